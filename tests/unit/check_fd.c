#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/fd.h"
#include "unit.h"

START_TEST(fd_nonblock_sets_clears_and_returns_previous_state)
{
	struct sk_err e;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(sk_fd_nonblock(p[0], 1, &e), 0);
	ck_assert(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	ck_assert_int_eq(sk_fd_nonblock(p[0], 1, &e), 1);
	ck_assert_int_eq(sk_fd_nonblock(p[0], 0, &e), 1);
	ck_assert(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	ck_assert_int_eq(sk_fd_nonblock(p[0], 0, &e), 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(fd_nonblock_reports_a_closed_descriptor)
{
	struct sk_err e;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(sk_fd_nonblock(p[0], 1, &e), -1);
	ck_assert_int_eq(e.code, EBADF);
	ck_assert_int_eq(e.kind, SK_ERR_SYSTEM);
	ck_assert_msg(strstr(e.msg, "fcntl F_GETFL fd ") == e.msg &&
	    strstr(e.msg, strerror(EBADF)) != NULL, "message: %s", e.msg);
	ck_assert_int_eq(sk_fd_nonblock(p[0], 1, NULL), -1);
}
END_TEST

Suite *
fd_suite(void)
{
	Suite *s = suite_create("fd");
	TCase *tc = tcase_create("nonblock");

	tcase_add_test(tc, fd_nonblock_sets_clears_and_returns_previous_state);
	tcase_add_test(tc, fd_nonblock_reports_a_closed_descriptor);
	suite_add_tcase(s, tc);
	return s;
}
