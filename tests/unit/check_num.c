#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "sockkit/num.h"
#include "unit.h"

static const struct {
	const char *in;
	long long min, max, want;
	const char *err;
} cases[] = {
	{ "0", 0, 10, 0, NULL },
	{ "10", 0, 10, 10, NULL },
	{ "11", 0, 10, 0, "too large" },
	{ "-1", 0, 10, 0, "too small" },
	{ "", 0, 10, 0, "invalid" },
	{ " 5", 0, 10, 0, "invalid" },
	{ "+5", 0, 10, 0, "invalid" },
	{ "5x", 0, 10, 0, "invalid" },
	{ "99999999999999999999", 0, LLONG_MAX, 0, "too large" },
	{ "-99999999999999999999", LLONG_MIN, 0, 0, "too small" },
	{ "65535", 0, 65535, 65535, NULL },
};

START_TEST(strtonum_accepts_only_whole_in_range_numbers)
{
	const char *err;
	long long v = sk_strtonum(cases[_i].in, cases[_i].min, cases[_i].max, &err);

	ck_assert_msg(v == cases[_i].want, "case %d (%s): got %lld", _i,
	    cases[_i].in, v);
	if (cases[_i].err == NULL)
		ck_assert_msg(err == NULL, "case %d (%s): error %s", _i,
		    cases[_i].in, err);
	else
		ck_assert_msg(err != NULL && strcmp(err, cases[_i].err) == 0,
		    "case %d (%s): want %s, got %s", _i, cases[_i].in,
		    cases[_i].err, err ? err : "(none)");
}
END_TEST

Suite *
num_suite(void)
{
	Suite *s = suite_create("num");
	TCase *tc = tcase_create("strtonum");

	tcase_add_loop_test(tc, strtonum_accepts_only_whole_in_range_numbers, 0,
	    sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
