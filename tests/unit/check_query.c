/* whoisd's query parser, matcher and answer formatter (tools/whoisd/query.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whoisd/query.h"
#include "unit.h"

static const char dir[] =
    "# the source text's record, found by its hidden login\n"
    "Full Name: Quinton, Reg\n"
    "Department: Info Tech Svcs\n"
    "Room: NSC 214\n"
    "Phone: 679-2111x(6026)\n"
    "Index Key: 481800\n"
    "Machine Address:\n"
    "Directory Addresses:\n"
    ".Login: reggers\n"
    "\n"
    "Full Name: Ashford, Miriam\n"
    "Department: Info Tech Svcs\n"
    "Email: mashford@example.org\n"
    "\n"
    "Full Name: Quinton, Farah\n"
    "Department: Student Awards\n"
    "Index Key: 488415\n"
    "\n"
    "Full Name: Barlow, Reginald\n"
    "Handle: RB7\n";

static const char reg_block[] =
    "There were 1 matches on your request.\n"
    "\n"
    "           Full Name: Quinton, Reg\n"
    "          Department: Info Tech Svcs\n"
    "                Room: NSC 214\n"
    "               Phone: 679-2111x(6026)\n"
    "           Index Key: 481800\n"
    "     Machine Address:\n"
    " Directory Addresses:\n"
    "\n"
    "For more information try 'whois help'.\n";

static struct wd_db *
load(const char *text)
{
	struct sk_err e;
	struct wd_db *db = wd_db_load_mem(text, strlen(text), "t.db", NULL, &e);

	ck_assert_msg(db != NULL, "%s", e.msg);
	return db;
}

/* The answer to line, as a NUL-terminated string the caller frees. */
static char *
ask(const struct wd_db *db, const char *line, size_t max, const char *eol,
    struct wd_q_result *res)
{
	struct wd_q_opts o = { .max_matches = max, .eol = eol };
	struct wd_q_query q;
	struct wd_q_buf b;
	char *s;

	ck_assert_int_eq(wd_q_parse(&q, line, strlen(line)), 0);
	wd_q_buf_init(&b, 0);
	ck_assert_int_eq(wd_q_answer(db, &q, &o, &b, res), 0);
	s = malloc(b.len + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, b.data, b.len);
	s[b.len] = '\0';
	wd_q_buf_free(&b);
	return s;
}

/* ---- parsing -------------------------------------------------------------- */

static const struct {
	const char *in;
	int rc;
	enum wd_q_kind kind;
	int prefix;
	const char *text;
} parses[] = {
	{ "reggers", 0, WD_Q_MATCH, 0, "reggers" },
	{ "  Quinton,\t\tReg  ", 0, WD_Q_MATCH, 0, "quinton, reg" },
	{ "whois reggers", 0, WD_Q_MATCH, 0, "reggers" },
	{ "WHOIS whois reggers", 0, WD_Q_MATCH, 0, "reggers" },
	{ "-V Md5.0 reggers", 0, WD_Q_MATCH, 0, "reggers" },
	{ "--charset UTF-8 reggers", 0, WD_Q_MATCH, 0, "reggers" },
	{ "--charset=utf-8 -V Md5.6 reggers", 0, WD_Q_MATCH, 0, "reggers" },
	{ "-r -B reggers", 0, WD_Q_MATCH, 0, "reggers" },
	{ "-rBG whois reggers", 0, WD_Q_MATCH, 0, "reggers" },
	{ "-- -r", 0, WD_Q_MATCH, 0, "-r" },
	{ "-T person reggers", 0, WD_Q_MATCH, 0, "-t person reggers" },
	{ "", 0, WD_Q_EMPTY, 0, "" },
	{ " \t ", 0, WD_Q_EMPTY, 0, "" },
	{ "whois", 0, WD_Q_EMPTY, 0, "" },
	{ "-V Md5.0", 0, WD_Q_EMPTY, 0, "" },
	{ "help", 0, WD_Q_HELP, 0, "" },
	{ "HELP  Query ", 0, WD_Q_HELP, 0, "query" },
	{ "whois help", 0, WD_Q_HELP, 0, "" },
	{ "\"Quinton, Reg\"", 0, WD_Q_WHOLE, 0, "quinton, reg" },
	{ "\" \"", 0, WD_Q_EMPTY, 0, "" },
	{ "\"", 0, WD_Q_MATCH, 0, "\"" },
	{ "quin*", 0, WD_Q_MATCH, 1, "quin" },
	{ "Quinton, re*", 0, WD_Q_MATCH, 1, "quinton, re" },
	{ "q*", WD_Q_ERR_SHORT, WD_Q_MATCH, 1, "q" },
	{ "*", WD_Q_ERR_SHORT, WD_Q_MATCH, 1, "" },
	{ "quinton *", WD_Q_ERR_SHORT, WD_Q_MATCH, 1, "quinton " },
	{ "quinton, r*", WD_Q_ERR_SHORT, WD_Q_MATCH, 1, "quinton, r" },
	{ "reg\x01gers", WD_Q_ERR_BADCHAR, WD_Q_EMPTY, 0, "" },
	{ "reg\x7f", WD_Q_ERR_BADCHAR, WD_Q_EMPTY, 0, "" },
	{ "reg\rgers", WD_Q_ERR_BADCHAR, WD_Q_EMPTY, 0, "" },
	{ "caf\xc3\xa9", 0, WD_Q_MATCH, 0, "caf\xc3\xa9" },
};

START_TEST(wd_q_parse_classifies_and_normalizes_queries)
{
	struct wd_q_query q;
	int rc = wd_q_parse(&q, parses[_i].in, strlen(parses[_i].in));

	ck_assert_msg(rc == parses[_i].rc, "case %d: rc %d", _i, rc);
	ck_assert_msg(q.kind == parses[_i].kind, "case %d: kind %d", _i, q.kind);
	ck_assert_msg(rc != 0 || q.prefix == parses[_i].prefix,
	    "case %d: prefix %d", _i, q.prefix);
	ck_assert_msg(rc != 0 || strcmp(q.text, parses[_i].text) == 0,
	    "case %d: text \"%s\"", _i, q.text);
	ck_assert_uint_eq(q.len, strlen(q.text));
}
END_TEST

START_TEST(wd_q_parse_rejects_nul_and_overlong_lines)
{
	struct wd_q_query q;
	char *big = malloc(WD_Q_QUERY_MAX + 1);

	ck_assert_int_eq(wd_q_parse(&q, "reg\0gers", 8), WD_Q_ERR_BADCHAR);
	ck_assert_int_eq(q.kind, WD_Q_EMPTY);
	memset(big, 'a', WD_Q_QUERY_MAX + 1);
	ck_assert_int_eq(wd_q_parse(&q, big, WD_Q_QUERY_MAX), 0);
	ck_assert_uint_eq(q.len, WD_Q_QUERY_MAX);
	ck_assert_int_eq(wd_q_parse(&q, big, WD_Q_QUERY_MAX + 1), WD_Q_ERR_TOO_LONG);
	free(big);
}
END_TEST

/* ---- matching -------------------------------------------------------------- */

static const struct {
	const char *in, *want;
} runs[] = {
	{ "reggers", "0" },
	{ "REG", "0" },			/* a word: not Reginald */
	{ "quinton", "0,2" },
	{ "Reg Quinton", "0" },		/* every word, any order */
	{ "Quinton, Reg", "0" },
	{ "\"Quinton, Reg\"", "0" },
	{ "\"quinton,   REG\"", "0" },
	{ "\"Quinton\"", "" },		/* whole value only */
	{ "\"Reg, Quinton\"", "" },
	{ "\"481800\"", "0" },
	{ "\"reggers\"", "0" },
	{ "quin*", "0,2" },
	{ "re*", "0,3" },
	{ "quinton fa*", "2" },
	{ "Quinton, Reg*", "0" },
	{ "tech", "" },			/* Department is not indexed */
	{ "mashford@example.org", "1" },
	{ "rb7", "3" },
	{ "nobody", "" },
	{ ",,,", "" },
	{ "help", "" },
};

START_TEST(wd_q_run_matches_in_database_order_without_duplicates)
{
	struct wd_db *db = load(dir);
	struct wd_q_query q;
	uint32_t r[8];
	char got[64] = "";
	ssize_t n, i;

	ck_assert_int_eq(wd_q_parse(&q, runs[_i].in, strlen(runs[_i].in)), 0);
	n = wd_q_run(db, &q, r, 8);
	ck_assert_int_ge(n, 0);
	for (i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%u",
		    i ? "," : "", r[i]);
	ck_assert_msg(strcmp(got, runs[_i].want) == 0, "case %d (%s): got %s",
	    _i, runs[_i].in, got);
	wd_db_free(db);
}
END_TEST

START_TEST(wd_q_run_prefix_over_many_words_uses_record_order)
{
	size_t n = 10000, i, len = 0;
	char *s = malloc(n * 48);
	struct wd_q_query q;
	struct wd_db *db;
	uint32_t r[101];

	ck_assert_ptr_nonnull(s);
	/* Distinct words sharing a prefix, so the union takes every path. */
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "Handle: ab%zu\n\n", n - i);
	s[len] = '\0';
	db = load(s);
	ck_assert_int_eq(wd_q_parse(&q, "ab*", 3), 0);
	ck_assert_int_eq(wd_q_run(db, &q, r, 101), 101);
	for (i = 0; i < 101; i++)
		ck_assert_uint_eq(r[i], i);
	ck_assert_int_eq(wd_q_parse(&q, "ab999*", 6), 0);
	ck_assert_int_eq(wd_q_run(db, &q, r, 101), 11);	/* 999, 9990..9999 */
	ck_assert_uint_eq(r[0], n - 9999);
	ck_assert_uint_eq(r[10], n - 999);
	wd_db_free(db);
	free(s);
}
END_TEST

/* ---- answers ---------------------------------------------------------------- */

START_TEST(wd_q_answer_prints_source_text_record_exactly)
{
	struct wd_db *db = load(dir);
	struct wd_q_result res;
	char *got, crlf[1024];
	const char *p;
	size_t n = 0;

	got = ask(db, "reggers", 0, "\n", &res);
	ck_assert_str_eq(got, reg_block);
	ck_assert_uint_eq(res.matches, 1);
	ck_assert_int_eq(res.more, 0);
	free(got);
	for (p = reg_block; *p; p++) {
		if (*p == '\n')
			crlf[n++] = '\r';
		crlf[n++] = *p;
	}
	crlf[n] = '\0';
	got = ask(db, "whois reggers", 0, NULL, NULL);	/* CRLF by default */
	ck_assert_str_eq(got, crlf);
	free(got);
	got = ask(db, "-V Md5.0 reggers", 0, "\r\n", NULL);
	ck_assert_str_eq(got, crlf);
	free(got);
	wd_db_free(db);
}
END_TEST

START_TEST(wd_q_answer_reports_zero_matches_with_hint)
{
	struct wd_db *db = load(dir);
	char *got = ask(db, "nobody", 0, "\n", NULL);

	ck_assert_str_eq(got, "There were 0 matches on your request.\n\n"
	    "For more information try 'whois help'.\n");
	free(got);
	got = ask(db, "", 0, "\r\n", NULL);
	ck_assert_str_eq(got, "For more information try 'whois help'.\r\n");
	free(got);
	wd_db_free(db);
}
END_TEST

START_TEST(wd_q_answer_caps_matches_and_says_so)
{
	struct wd_db *db = load("Name: Smith A\n\nName: Smith B\n\n"
	    "Name: Smith C\n\nName: Smith D\n");
	struct wd_q_result res;
	char *got = ask(db, "smith", 2, "\n", &res);

	ck_assert_str_eq(got, "There were more than 2 matches on your request; "
	    "showing the first 2.\n\n"
	    "                Name: Smith A\n\n"
	    "                Name: Smith B\n\n"
	    "For more information try 'whois help'.\n");
	ck_assert_uint_eq(res.matches, 2);
	ck_assert_int_eq(res.more, 1);
	free(got);
	got = ask(db, "smith", 4, "\n", &res);
	ck_assert_int_eq(strncmp(got, "There were 4 matches", 20), 0);
	ck_assert_int_eq(res.more, 0);
	free(got);
	wd_db_free(db);
}
END_TEST

START_TEST(wd_q_answer_aligns_long_names_and_hides_dot_fields)
{
	struct wd_db *db = load("Name: Lee\nA Rather Long Attribute Name: x\n"
	    ".Secret: hidden\n\nName: Lee Two\n");
	char *got = ask(db, "lee", 0, "\n", NULL);

	ck_assert_str_eq(got, "There were 2 matches on your request.\n\n"
	    "                        Name: Lee\n"
	    "A Rather Long Attribute Name: x\n\n"
	    "                        Name: Lee Two\n\n"
	    "For more information try 'whois help'.\n");
	free(got);
	wd_db_free(db);
}
END_TEST

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	for (; (s = strstr(s, needle)) != NULL; s += strlen(needle))
		n++;
	return n;
}

START_TEST(wd_q_answer_wraps_long_values_under_line_limit)
{
	size_t words = 0, i, lines = 0;
	char *text = malloc(64 * 1024), *got, *p, *nl;
	struct wd_db *db;

	/* A 20 kB value of words (continuation lines of ~2 kB) and one
	 * 3000-byte word that has to be broken without a space. */
	strcpy(text, "Name: wrap\nNote: start\n");
	p = text + strlen(text);
	for (i = 0; i < 10; i++) {
		*p++ = ' ';
		for (size_t j = 0; j < 250; j++, words++)
			p += sprintf(p, " abcdefg");
		*p++ = '\n';
	}
	*p++ = ' ';
	memset(p, 'z', 3000);
	strcpy(p + 3000, "\n");
	db = load(text);
	got = ask(db, "wrap", 0, "\r\n", NULL);
	for (p = got; (nl = strstr(p, "\r\n")) != NULL; p = nl + 2, lines++) {
		ck_assert_uint_le((size_t)(nl + 2 - p), WD_Q_LINE_MAX);
		ck_assert_msg(nl == p || nl[-1] != ' ', "trailing blank");
	}
	ck_assert_uint_gt(lines, 25);
	/* Nothing lost: every word and every z is still there. */
	ck_assert_uint_eq(count(got, "abcdefg"), words);
	ck_assert_uint_eq(count(got, "z"), 3000);
	ck_assert_ptr_nonnull(strstr(got, "                Note: start abcdefg"));
	ck_assert_ptr_nonnull(strstr(got, "\r\n                      abcdefg"));
	wd_db_free(db);
	free(got);
	free(text);
}
END_TEST

START_TEST(wd_q_answer_cuts_records_past_the_byte_cap)
{
	size_t n = 200, i, len = 0;
	char *s = malloc(n * 64);
	struct wd_q_opts o = { .max_matches = 1000, .eol = "\n" };
	struct wd_q_result res;
	struct wd_q_query q;
	struct wd_q_buf b;
	struct wd_db *db;

	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "Name: Smith\nNote: %040zu\n\n",
		    i);
	s[len] = '\0';
	db = load(s);
	ck_assert_int_eq(wd_q_parse(&q, "smith", 5), 0);
	wd_q_buf_init(&b, 8192);
	ck_assert_int_eq(wd_q_answer(db, &q, &o, &b, &res), 0);
	ck_assert_uint_le(b.len, 8192);
	ck_assert_int_eq(res.truncated, 1);
	ck_assert_uint_lt(res.matches, n);
	ck_assert_uint_gt(res.matches, 50);
	ck_assert_ptr_nonnull(memmem(b.data, b.len, "The answer was cut after",
	    24));
	ck_assert_int_eq(memcmp(b.data + b.len - 39,
	    "For more information try 'whois help'.\n", 39), 0);
	wd_q_buf_free(&b);
	wd_db_free(db);
	free(s);
}
END_TEST

START_TEST(wd_q_help_prints_builtin_text_and_file_topics)
{
	char path[] = "/tmp/check_query.XXXXXX";
	const char file[] = "General help.\r\n\n%topic query\nHow to query.\n"
	    "%topic Prefix \nUse *.\n";
	struct wd_q_opts o = { .eol = "\r\n" };
	struct wd_q_query q;
	struct wd_q_buf b;
	struct sk_err e;
	int fd = mkstemp(path);

	wd_q_buf_init(&b, 0);
	ck_assert_int_eq(wd_q_parse(&q, "help", 4), 0);
	ck_assert_int_eq(wd_q_answer(NULL, &q, &o, &b, NULL), 0);
	ck_assert_ptr_nonnull(memmem(b.data, b.len, "  help        this text\r\n",
	    25));
	ck_assert_ptr_null(memchr(b.data, '\0', b.len));
	wd_q_buf_free(&b);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, file, sizeof(file) - 1),
	    (ssize_t)sizeof(file) - 1);
	close(fd);
	o.help = wd_q_help_load(path, &e);
	ck_assert_msg(o.help != NULL, "%s", e.msg);
	ck_assert_int_eq(wd_q_answer(NULL, &q, &o, &b, NULL), 0);
	ck_assert_uint_eq(b.len, 17);
	ck_assert_int_eq(memcmp(b.data, "General help.\r\n\r\n", 17), 0);
	wd_q_buf_free(&b);
	ck_assert_int_eq(wd_q_parse(&q, "help PREFIX", 11), 0);
	ck_assert_int_eq(wd_q_answer(NULL, &q, &o, &b, NULL), 0);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_int_eq(memcmp(b.data, "Use *.\r\n", 8), 0);
	wd_q_buf_free(&b);
	ck_assert_int_eq(wd_q_parse(&q, "help nothing", 12), 0);
	ck_assert_int_eq(wd_q_answer(NULL, &q, &o, &b, NULL), 0);
	ck_assert_int_eq(memcmp(b.data, "General help.\r\n", 15), 0);
	wd_q_buf_free(&b);
	wd_q_help_free((struct wd_q_help *)o.help);

	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "ok\nbad\x01\n", 8), 8);
	close(fd);
	ck_assert_ptr_null(wd_q_help_load(path, &e));
	ck_assert_int_eq(strncmp(e.msg + strlen(path), ":2: control character",
	    21), 0);
	unlink(path);
	ck_assert_ptr_null(wd_q_help_load(path, &e));
	ck_assert_int_eq(e.code, ENOENT);
}
END_TEST

static const struct {
	int code;
	const char *text, *want;
} errs[] = {
	{ WD_Q_ERR_TOO_LONG, NULL, "%ERROR:107: input line too long\r\n" },
	{ WD_Q_ERR_BADCHAR, NULL, "%ERROR:108: invalid characters in query\r\n" },
	{ WD_Q_ERR_DENIED, NULL, "%ERROR:201: access denied\r\n" },
	{ WD_Q_ERR_DENIED, WD_Q_TEXT_RATE,
	    "%ERROR:201: access temporarily denied\r\n" },
	{ WD_Q_ERR_BUSY, NULL, "%ERROR:208: server busy\r\n" },
};

START_TEST(wd_q_error_formats_ripe_style_lines)
{
	struct wd_q_buf b;

	wd_q_buf_init(&b, 0);
	ck_assert_int_eq(wd_q_error(&b, errs[_i].code, errs[_i].text, "\r\n"), 0);
	ck_assert_uint_eq(b.len, strlen(errs[_i].want));
	ck_assert_int_eq(memcmp(b.data, errs[_i].want, b.len), 0);
	wd_q_buf_free(&b);
}
END_TEST

Suite *
query_suite(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, wd_q_parse_classifies_and_normalizes_queries, 0,
	    sizeof(parses) / sizeof(parses[0]));
	tcase_add_test(tc, wd_q_parse_rejects_nul_and_overlong_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("run");
	tcase_add_loop_test(tc, wd_q_run_matches_in_database_order_without_duplicates,
	    0, sizeof(runs) / sizeof(runs[0]));
	tcase_add_test(tc, wd_q_run_prefix_over_many_words_uses_record_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("answer");
	tcase_add_test(tc, wd_q_answer_prints_source_text_record_exactly);
	tcase_add_test(tc, wd_q_answer_reports_zero_matches_with_hint);
	tcase_add_test(tc, wd_q_answer_caps_matches_and_says_so);
	tcase_add_test(tc, wd_q_answer_aligns_long_names_and_hides_dot_fields);
	tcase_add_test(tc, wd_q_answer_wraps_long_values_under_line_limit);
	tcase_add_test(tc, wd_q_answer_cuts_records_past_the_byte_cap);
	tcase_add_test(tc, wd_q_help_prints_builtin_text_and_file_topics);
	tcase_add_loop_test(tc, wd_q_error_formats_ripe_style_lines, 0,
	    sizeof(errs) / sizeof(errs[0]));
	suite_add_tcase(s, tc);
	return s;
}
