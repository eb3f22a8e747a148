#include <errno.h>
#include <string.h>

#include "sockkit/err.h"
#include "unit.h"

START_TEST(err_set_formats_message_and_code)
{
	struct sk_err e;

	ck_assert_int_eq(sk_err_set(&e, ECONNREFUSED, "connect to %s port %d: %s",
	    "198.18.0.2", 43, "Connection refused"), -1);
	ck_assert_int_eq(e.code, ECONNREFUSED);
	ck_assert_str_eq(e.msg, "connect to 198.18.0.2 port 43: Connection refused");
	sk_err_clear(&e);
	ck_assert_int_eq(e.code, 0);
	ck_assert_str_eq(e.msg, "");
}
END_TEST

START_TEST(err_set_marks_truncated_messages)
{
	struct sk_err e;
	char big[600];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sk_err_set(&e, EINVAL, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), SK_ERR_MSGLEN - 1);
	ck_assert_str_eq(e.msg + SK_ERR_MSGLEN - 4, "...");
}
END_TEST

START_TEST(err_sys_appends_strerror_and_keeps_errno)
{
	struct sk_err e;

	errno = EPIPE;
	sk_err_sys(&e, "write to %s", "peer");
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(e.code, EPIPE);
	ck_assert_str_eq(e.msg, "write to peer: Broken pipe");
}
END_TEST

START_TEST(err_null_is_allowed)
{
	ck_assert_int_eq(sk_err_set(NULL, EINVAL, "x"), -1);
	sk_err_clear(NULL);
}
END_TEST

START_TEST(err_exitcode_follows_suite_convention)
{
	struct sk_err e = { 0 };

	e.code = ECONNREFUSED;
	ck_assert_int_eq(sk_err_exitcode(&e), 1);
	e.code = EINVAL;
	ck_assert_int_eq(sk_err_exitcode(&e), 2);
	e.code = ETIMEDOUT;
	ck_assert_int_eq(sk_err_exitcode(&e), 3);
}
END_TEST

Suite *
err_suite(void)
{
	Suite *s = suite_create("err");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, err_set_formats_message_and_code);
	tcase_add_test(tc, err_set_marks_truncated_messages);
	tcase_add_test(tc, err_sys_appends_strerror_and_keeps_errno);
	tcase_add_test(tc, err_null_is_allowed);
	tcase_add_test(tc, err_exitcode_follows_suite_convention);
	suite_add_tcase(s, tc);
	return s;
}
