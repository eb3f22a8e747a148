#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "sockkit/err.h"
#include "unit.h"

START_TEST(err_set_formats_message_and_code)
{
	struct sk_err e;

	ck_assert_int_eq(sk_err_set(&e, ECONNREFUSED, "connect to %s:%d: %s",
	    "198.18.0.2", 43, "Connection refused"), -1);
	ck_assert_int_eq(e.code, ECONNREFUSED);
	ck_assert_int_eq(e.kind, SK_ERR_REFUSED);
	ck_assert_str_eq(e.msg, "connect to 198.18.0.2:43: Connection refused");
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

/* The suite's one kind → exit code table (DESIGN.md). */
static const struct {
	enum sk_err_kind kind;
	const char *name;
	int exit;
} kind_cases[] = {
	{ SK_ERR_NONE,     "ok",        0 },
	{ SK_ERR_INPUT,    "input",     2 },
	{ SK_ERR_NOTFOUND, "not-found", 1 },
	{ SK_ERR_NODATA,   "no-data",   1 },
	{ SK_ERR_REFUSED,  "refused",   3 },
	{ SK_ERR_NETWORK,  "network",   3 },
	{ SK_ERR_TIMEOUT,  "timeout",   3 },
	{ SK_ERR_TEMPFAIL, "temp-fail", 3 },
	{ SK_ERR_PERMFAIL, "perm-fail", 3 },
	{ SK_ERR_SYSTEM,   "system",    3 },
};

START_TEST(err_exitcode_follows_suite_table)
{
	struct sk_err e;

	sk_err_kset(&e, kind_cases[_i].kind, 0, "x");
	ck_assert_msg(sk_err_exitcode(&e) == kind_cases[_i].exit,
	    "case %d: exit %d", _i, sk_err_exitcode(&e));
	ck_assert_msg(strcmp(sk_err_kind_str(e.kind), kind_cases[_i].name) == 0,
	    "case %d: name %s", _i, sk_err_kind_str(e.kind));
}
END_TEST

static const struct {
	int code;
	enum sk_err_kind kind;
} errno_cases[] = {
	{ 0,            SK_ERR_NONE },
	{ EINVAL,       SK_ERR_INPUT },
	{ ERANGE,       SK_ERR_INPUT },
	{ ENOENT,       SK_ERR_INPUT },
	{ ETIMEDOUT,    SK_ERR_TIMEOUT },
	{ ECONNREFUSED, SK_ERR_REFUSED },
	{ EHOSTUNREACH, SK_ERR_NETWORK },
	{ ENETUNREACH,  SK_ERR_NETWORK },
	{ ECONNRESET,   SK_ERR_NETWORK },
	{ EAGAIN,       SK_ERR_TEMPFAIL },
	{ EMFILE,       SK_ERR_SYSTEM },
	{ EADDRINUSE,   SK_ERR_SYSTEM },
};

START_TEST(err_set_derives_kind_from_errno)
{
	struct sk_err e;

	sk_err_set(&e, errno_cases[_i].code, "x");
	ck_assert_msg(e.kind == errno_cases[_i].kind, "case %d: kind %s", _i,
	    sk_err_kind_str(e.kind));
	ck_assert_int_eq(e.code, errno_cases[_i].code);
	ck_assert_int_eq(e.gai, 0);
}
END_TEST

static const struct {
	int gai;
	enum sk_err_kind kind;
} gai_cases[] = {
	{ EAI_NONAME,     SK_ERR_NOTFOUND },
	{ EAI_NODATA,     SK_ERR_NODATA },
	{ EAI_ADDRFAMILY, SK_ERR_NODATA },
	{ EAI_AGAIN,      SK_ERR_TEMPFAIL },
	{ EAI_FAIL,       SK_ERR_PERMFAIL },
	{ EAI_SERVICE,    SK_ERR_INPUT },
	{ EAI_FAMILY,     SK_ERR_INPUT },
	{ EAI_MEMORY,     SK_ERR_SYSTEM },
};

START_TEST(err_gai_keeps_lookup_outcomes_apart)
{
	struct sk_err e;

	sk_err_gai(&e, gai_cases[_i].gai, "host %s", "x.test");
	ck_assert_msg(e.kind == gai_cases[_i].kind, "case %d: kind %s", _i,
	    sk_err_kind_str(e.kind));
	ck_assert_int_eq(e.gai, gai_cases[_i].gai);
	ck_assert_msg(strncmp(e.msg, "host x.test: ", 13) == 0 &&
	    strstr(e.msg, gai_strerror(gai_cases[_i].gai)) != NULL,
	    "case %d: %s", _i, e.msg);
}
END_TEST

START_TEST(err_gai_system_reports_errno)
{
	struct sk_err e;

	errno = EMFILE;
	sk_err_gai(&e, EAI_SYSTEM, "host %s", "x.test");
	ck_assert_int_eq(e.kind, SK_ERR_SYSTEM);
	ck_assert_int_eq(e.code, EMFILE);
	ck_assert_int_eq(e.gai, EAI_SYSTEM);
	ck_assert_str_eq(e.msg, "host x.test: Too many open files");
}
END_TEST

START_TEST(err_exitcode_of_null_is_failure)
{
	ck_assert_int_eq(sk_err_exitcode(NULL), SK_EXIT_FAIL);
	ck_assert_str_eq(sk_err_kind_str((enum sk_err_kind)99), "unknown");
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
	tcase_add_loop_test(tc, err_exitcode_follows_suite_table, 0,
	    sizeof(kind_cases) / sizeof(kind_cases[0]));
	tcase_add_loop_test(tc, err_set_derives_kind_from_errno, 0,
	    sizeof(errno_cases) / sizeof(errno_cases[0]));
	tcase_add_loop_test(tc, err_gai_keeps_lookup_outcomes_apart, 0,
	    sizeof(gai_cases) / sizeof(gai_cases[0]));
	tcase_add_test(tc, err_gai_system_reports_errno);
	tcase_add_test(tc, err_exitcode_of_null_is_failure);
	suite_add_tcase(s, tc);
	return s;
}
