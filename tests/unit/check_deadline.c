#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "unit.h"

START_TEST(deadline_never_waits_forever)
{
	ck_assert_int_eq(sk_deadline_left(SK_NEVER), -1);
	ck_assert(!sk_deadline_passed(SK_NEVER));
	ck_assert(sk_deadline_in(-1) == SK_NEVER);
}
END_TEST

START_TEST(now_us_is_now_ms_in_microseconds)
{
	int64_t ms0 = sk_now_ms(), us = sk_now_us(), ms1 = sk_now_ms();

	/* The same clock: us falls between the two readings around it. */
	ck_assert_int_ge(us / 1000, ms0);
	ck_assert_int_le(us / 1000, ms1);
	ck_assert_int_ge(sk_now_us(), us);
}
END_TEST

START_TEST(deadline_left_counts_down_to_zero)
{
	int64_t d = sk_deadline_in(200);
	int left = sk_deadline_left(d);

	ck_assert_int_le(left, 200);
	ck_assert_int_ge(left, 150);
	sk_sleep_until(d);
	ck_assert_int_eq(sk_deadline_left(d), 0);
	ck_assert(sk_deadline_passed(d));
}
END_TEST

START_TEST(wait_times_out_within_tolerance)
{
	int sv[2];
	struct sk_err e;
	int64_t t0 = sk_now_ms(), el;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sk_wait(sv[0], POLLIN, sk_deadline_in(300), &e), 0);
	el = sk_now_ms() - t0;
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_msg(el >= 290 && el <= 400, "waited %lld ms", (long long)el);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(wait_reports_readiness_and_hangup)
{
	int sv[2];
	struct sk_err e;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert(sk_wait(sv[0], POLLIN, sk_deadline_in(1000), &e) & POLLIN);
	close(sv[1]);
	ck_assert(sk_wait(sv[0], POLLIN, sk_deadline_in(1000), &e) & (POLLIN | POLLHUP));
	close(sv[0]);
}
END_TEST

Suite *
deadline_suite(void)
{
	Suite *s = suite_create("deadline");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, deadline_never_waits_forever);
	tcase_add_test(tc, now_us_is_now_ms_in_microseconds);
	tcase_add_test(tc, deadline_left_counts_down_to_zero);
	tcase_add_test(tc, wait_times_out_within_tolerance);
	tcase_add_test(tc, wait_reports_readiness_and_hangup);
	suite_add_tcase(s, tc);
	return s;
}
