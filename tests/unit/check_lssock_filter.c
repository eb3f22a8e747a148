#include <arpa/inet.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lssock/lssock.h"
#include "unit.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

/* A socket from text: "tcp ESTAB 198.18.0.2:22 198.18.0.1:50000". */
static void
mksock(struct sk_sock *s, const char *src, int sport, const char *dst, int dport)
{
	memset(s, 0, sizeof(*s));
	s->proto = SK_SD_TCP;
	s->type = SOCK_STREAM;
	s->state = SK_SS_ESTABLISHED;
	s->v6only = -1;
	s->family = strchr(src, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(s->family, src, s->src), 1);
	ck_assert_int_eq(inet_pton(s->family, dst, s->dst), 1);
	s->sport = sport;
	s->dport = dport;
}

static struct ls_filter *
parse(const char *text, int *rc, char *err, size_t errlen, uint32_t *states,
    int *have)
{
	struct ls_filter *f = NULL;
	char *copy = strdup(text), *argv[256], *w;
	int argc = 0;

	for (w = strtok(copy, " "); w && argc < 256; w = strtok(NULL, " "))
		argv[argc++] = w;
	*states = 0;
	*have = 0;
	*rc = ls_filter_parse(argc, argv, &f, states, have, err, errlen);
	free(copy);
	return f;
}

/* expression, then whether it matches 198.18.0.2:22 -> 198.18.0.1:50000
 * and [2001:2::2]:443 -> [::1]:1024. */
static const struct {
	const char *expr;
	int v4, v6;
} match_cases[] = {
	{ "sport = :22", 1, 0 },
	{ "sport == 22", 1, 0 },
	{ "sport eq :ssh", 1, 0 },
	{ "sport != :22", 0, 1 },
	{ "dport > :1024", 1, 0 },
	{ "dport >= :1024", 1, 1 },
	{ "dport < :1024", 0, 0 },
	{ "dport le :1024", 0, 1 },
	{ "src 198.18.0.0/15", 1, 0 },
	{ "src 198.18.0.2:22", 1, 0 },
	{ "src 198.18.0.2:23", 0, 0 },
	{ "dst [::1]", 0, 1 },
	{ "dst [::1]:1024", 0, 1 },
	{ "src [2001:2::]/48", 0, 1 },
	{ "src 2001:2::/48", 0, 1 },
	{ "src [2001:2::]/48:443", 0, 1 },
	{ "dst *:50000", 1, 0 },
	{ "not sport = :22", 0, 1 },
	{ "! sport = :22", 0, 1 },
	{ "sport = :22 or sport = :443", 1, 1 },
	{ "sport = :22 || sport = :443", 1, 1 },
	{ "sport = :22 and dport = :50000", 1, 0 },
	{ "sport = :22 && dport = :1", 0, 0 },
	{ "sport = :22 dport = :50000", 1, 0 },
	{ "( sport = :22 or sport = :443 ) and not dst [::1]", 1, 0 },
	{ "(sport = :22)", 1, 0 },
	{ "not ( src 198.18.0.0/15 or src 2001:2::/48 )", 0, 0 },
	{ "src != 198.18.0.0/15", 0, 1 },
	{ "state established sport = :22", 1, 0 },
};

START_TEST(filter_expressions_select_like_ss)
{
	struct sk_sock a, b;
	struct ls_filter *f;
	char err[1024];
	uint32_t states;
	int rc, have;

	mksock(&a, "198.18.0.2", 22, "198.18.0.1", 50000);
	mksock(&b, "2001:2::2", 443, "::1", 1024);
	f = parse(match_cases[_i].expr, &rc, err, sizeof(err), &states, &have);
	ck_assert_msg(rc == 0, "case %d \"%s\": %s", _i, match_cases[_i].expr, err);
	ck_assert_msg(ls_filter_match(f, &a) == match_cases[_i].v4,
	    "case %d \"%s\": v4 socket", _i, match_cases[_i].expr);
	ck_assert_msg(ls_filter_match(f, &b) == match_cases[_i].v6,
	    "case %d \"%s\": v6 socket", _i, match_cases[_i].expr);
	ls_filter_free(f);
}
END_TEST

/* Bad filters: the message names the problem and the caret line points
 * at the column of the bad token. */
static const struct {
	const char *expr;
	const char *msg;
	int col;		/* caret column in the quoted filter */
} bad_cases[] = {
	{ "sport = foo", "not a port", 8 },
	{ "sport foo", "expected = != < > <= >=", 6 },
	{ "sport =", "expected a port", 7 },
	{ "bogus", "unexpected \"bogus\"", 0 },
	{ "sport = :22 and", "ends too early", 15 },
	{ "( sport = :22", "expected )", 13 },
	{ "sport = :22 )", "unexpected \")\"", 12 },
	{ "src 300.1.1.1", "not a numeric address", 4 },
	{ "src [::1", "unbalanced [", 4 },
	{ "src > 198.18.0.1", "only = and != compare addresses", 4 },
	{ "state nosuch", "unknown state \"nosuch\"", 6 },
	{ "state", "expected a state", 5 },
	{ "sport = :70000", "not a port", 8 },
	{ "dport = :22 or or", "unexpected \"or\"", 15 },
};

START_TEST(filter_errors_point_at_the_token)
{
	struct ls_filter *f;
	char err[1024], want[128];
	const char *caret;
	uint32_t states;
	int rc, have;

	f = parse(bad_cases[_i].expr, &rc, err, sizeof(err), &states, &have);
	ck_assert_msg(rc == -1 && f == NULL, "case %d \"%s\" accepted", _i,
	    bad_cases[_i].expr);
	ck_assert_msg(strstr(err, bad_cases[_i].msg) != NULL,
	    "case %d: \"%s\" lacks \"%s\"", _i, err, bad_cases[_i].msg);
	/* Line 3 is two spaces, then col spaces, then '^'. */
	caret = strrchr(err, '\n');
	ck_assert_ptr_nonnull(caret);
	snprintf(want, sizeof(want), "\n  %*s^", bad_cases[_i].col, "");
	ck_assert_msg(strncmp(caret, want, strlen(want)) == 0,
	    "case %d: caret line \"%s\", want column %d", _i, caret + 1,
	    bad_cases[_i].col);
}
END_TEST

START_TEST(filter_state_clauses_set_the_state_bitmap)
{
	uint32_t states;
	char err[512];
	int rc, have;
	struct ls_filter *f;

	f = parse("state established state listening", &rc, err, sizeof(err),
	    &states, &have);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(have, 1);
	ck_assert_uint_eq(states, SK_SS_BIT(SK_SS_ESTABLISHED) |
	    SK_SS_BIT(SK_SS_LISTEN));
	parse("exclude listening", &rc, err, sizeof(err), &states, &have);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(states, SK_SS_ALL & ~SK_SS_BIT(SK_SS_LISTEN));
	ck_assert_uint_eq(ls_state_word("connected") &
	    SK_SS_BIT(SK_SS_TIME_WAIT), SK_SS_BIT(SK_SS_TIME_WAIT));
	ck_assert_uint_eq(ls_state_word("nosuch"), 0);
}
END_TEST

START_TEST(filter_refuses_nesting_past_its_bound)
{
	char text[1024], err[2048];
	struct ls_filter *f;
	uint32_t states;
	int rc, have, i, n = 0;

	for (i = 0; i < 100; i++)
		n += snprintf(text + n, sizeof(text) - n, "( ");
	snprintf(text + n, sizeof(text) - n, "sport = :22");
	f = parse(text, &rc, err, sizeof(err), &states, &have);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(f);
	ck_assert_ptr_nonnull(strstr(err, "nested deeper than"));
}
END_TEST

/* Only conditions every match must meet go to the kernel. */
static const struct {
	const char *expr;
	int pushed;
} bc_cases[] = {
	{ "sport = :22", 1 },
	{ "sport = :22 and dport > :1024", 2 },
	{ "( sport >= :1 sport <= :1024 ) and src 198.18.0.0/15", 2 },
	{ "sport = :22 or dport = :22", 0 },
	{ "not sport = :22", 0 },
	{ "sport != :22", 0 },
	{ "src 198.18.0.0/15", 0 },
	{ "sport < :0", -1 },
	{ "sport = :22 and not ( dport = :1 or dport = :2 )", 1 },
};

START_TEST(filter_pushes_only_necessary_port_conditions)
{
	struct sk_sockdiag_bc bc;
	struct ls_filter *f;
	char err[512];
	uint32_t states;
	int rc, have;

	f = parse(bc_cases[_i].expr, &rc, err, sizeof(err), &states, &have);
	ck_assert_msg(rc == 0, "case %d: %s", _i, err);
	ck_assert_msg(ls_filter_bytecode(f, &bc) == bc_cases[_i].pushed,
	    "case %d \"%s\": pushed %d", _i, bc_cases[_i].expr,
	    ls_filter_bytecode(f, &bc));
	ls_filter_free(f);
}
END_TEST

Suite *
lssock_filter_suite(void)
{
	Suite *s = suite_create("lssock_filter");
	TCase *tc = tcase_create("filter");

	tcase_add_loop_test(tc, filter_expressions_select_like_ss, 0,
	    NELEM(match_cases));
	tcase_add_loop_test(tc, filter_errors_point_at_the_token, 0,
	    NELEM(bad_cases));
	tcase_add_test(tc, filter_state_clauses_set_the_state_bitmap);
	tcase_add_test(tc, filter_refuses_nesting_past_its_bound);
	tcase_add_loop_test(tc, filter_pushes_only_necessary_port_conditions, 0,
	    NELEM(bc_cases));
	suite_add_tcase(s, tc);
	return s;
}
