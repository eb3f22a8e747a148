/* whoisd's directory loader and word index (tools/whoisd/db.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whoisd/db.h"
#include "unit.h"

static struct wdb *
mem(const char *text, const char *index, struct sk_err *e)
{
	struct wdb_opts o = { .index = index };

	return wdb_load_mem(text, strlen(text), "t.db", &o, e);
}

/* Field i of record rec as "Name=value". */
static const char *
field(const struct wdb *db, size_t rec, size_t i, char *buf, size_t size)
{
	struct wdb_iter it;
	struct wdb_field f;

	wdb_fields(db, rec, &it);
	do {
		if (!wdb_next(&it, &f))
			return "(none)";
	} while (i-- > 0);
	snprintf(buf, size, "%s=%.*s", f.name, (int)f.len, f.value);
	return buf;
}

static size_t
nfields(const struct wdb *db, size_t rec)
{
	struct wdb_iter it;
	struct wdb_field f;
	size_t n = 0;

	for (wdb_fields(db, rec, &it); wdb_next(&it, &f);)
		n++;
	return n;
}

/* Records holding word w, as "0,2,5". */
static const char *
word(const struct wdb *db, const char *w, char *buf, size_t size)
{
	const uint32_t *r;
	size_t n = wdb_word(db, w, strlen(w), &r), i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u",
		    i ? "," : "", r[i]);
	return buf;
}

/* ---- rejected files: every message names file and line ------------------- */

static const struct {
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *msg;
} bad[] = {
	{ "Full Name value\n", 0, "t.db:1: missing ':' after the attribute name" },
	{ "A: b\n: value\n", 0, "t.db:2: empty attribute name" },
	{ "A: b\n   : value\n", 0, NULL },	/* continuation: fine */
	{ "# c\n  cont\n", 0, "t.db:2: continuation line without an "
	    "attribute line before it" },
	{ "A: b\n\n  cont\n", 0, "t.db:3: continuation line without an "
	    "attribute line before it" },
	{ "A: b\0c\n", 7, "t.db:1: NUL byte" },
	{ "A: b\n# x\0y\n", 11, "t.db:2: NUL byte" },
	{ "A: b\x01\n", 0, "t.db:1: control character 0x01" },
	{ "A: b\x7f\n", 0, "t.db:1: control character 0x7f" },
	{ "A\tB: c\n", 0, "t.db:1: control character 0x09" },
	{ "A: b\rc\n", 0, "t.db:1: control character 0x0d" },
	{ "A: b\n\nC: d\n  e\x02\n", 0, "t.db:4: control character 0x02" },
	/* control bytes in the upper half of an 8-byte block */
	{ "abcdefg\x01: x\n", 0, "t.db:1: control character 0x01" },
	{ "\xcc\xcc\xff\xff`\x90\0\x1a: x\n", 12, "t.db:1: NUL byte" },
	{ "A: 12345678abcdef\x1fgh\n", 0, "t.db:1: control character 0x1f" },
};

START_TEST(wdb_rejects_broken_file_with_file_and_line)
{
	struct sk_err e;
	size_t len = bad[_i].len ? bad[_i].len : strlen(bad[_i].text);
	struct wdb *db = wdb_load_mem(bad[_i].text, len, "t.db", NULL, &e);

	if (bad[_i].msg == NULL) {
		ck_assert_msg(db != NULL, "case %d: %s", _i, e.msg);
		wdb_free(db);
		return;
	}
	ck_assert_msg(db == NULL, "case %d: loaded", _i);
	ck_assert_msg(strcmp(e.msg, bad[_i].msg) == 0, "case %d: got \"%s\"",
	    _i, e.msg);
	ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

/* Text of n lines "A: x" (or a record with n attributes). */
static char *
repeat(const char *line, size_t n, const char *tail)
{
	size_t l = strlen(line), t = strlen(tail), i;
	char *s = malloc(l * n + t + 1);

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * l, line, l);
	memcpy(s + n * l, tail, t + 1);
	return s;
}

START_TEST(wdb_enforces_line_field_name_and_value_bounds)
{
	struct sk_err e;
	struct wdb *db;
	char line[WDB_LINE_MAX + 8], name[80];
	char *s;

	/* A line of exactly 4096 bytes loads; 4097 does not. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "A: ", 3);
	line[WDB_LINE_MAX] = '\0';
	db = mem(line, NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	wdb_free(db);
	line[WDB_LINE_MAX] = 'x';
	line[WDB_LINE_MAX + 1] = '\n';
	line[WDB_LINE_MAX + 2] = '\0';
	s = repeat("B: c\n", 1, line);
	ck_assert_ptr_null(mem(s, NULL, &e));
	ck_assert_str_eq(e.msg, "t.db:2: line longer than 4096 bytes");
	free(s);

	s = repeat("A: x\n", WDB_FIELDS_MAX, "");
	db = mem(s, NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_uint_eq(nfields(db, 0), WDB_FIELDS_MAX);
	wdb_free(db);
	free(s);
	s = repeat("A: x\n", WDB_FIELDS_MAX + 1, "");
	ck_assert_ptr_null(mem(s, NULL, &e));
	ck_assert_str_eq(e.msg, "t.db:257: more than 256 attributes in one "
	    "record");
	free(s);

	memset(name, 'n', 65);
	strcpy(name + 65, ": v\n");
	ck_assert_ptr_null(mem(name, NULL, &e));
	ck_assert_str_eq(e.msg, "t.db:1: attribute name longer than 64 bytes");

	/* 17 continuation lines of 4000 bytes pass the 65535-byte value. */
	memset(line, 'y', 4000);
	line[0] = ' ';
	strcpy(line + 4000, "\n");
	s = repeat(line, 17, "");
	{
		char *t = malloc(strlen(s) + 8);
		sprintf(t, "A: z\n%s", s);
		ck_assert_ptr_null(mem(t, NULL, &e));
		ck_assert_str_eq(e.msg, "t.db:18: value longer than 65535 bytes");
		free(t);
	}
	free(s);
}
END_TEST

START_TEST(wdb_load_reports_missing_file_and_path)
{
	struct sk_err e;

	ck_assert_ptr_null(wdb_load("/nonexistent/whoisd.db", NULL, &e));
	ck_assert_str_eq(e.msg, "/nonexistent/whoisd.db: No such file or "
	    "directory");
	ck_assert_int_eq(e.code, ENOENT);
}
END_TEST

START_TEST(wdb_load_reads_file_and_names_it_in_errors)
{
	char path[] = "/tmp/check_wdb.XXXXXX", want[128], buf[128];
	const char text[] = "Full Name: Quinton, Reg\nRoom: NSC 214\n\n"
	    "Full Name: Ashford, Miriam\nbroken line\n";
	struct sk_err e;
	struct wdb *db;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, 38), 38);
	db = wdb_load(path, NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_uint_eq(wdb_count(db), 1);
	ck_assert_str_eq(field(db, 0, 1, buf, sizeof(buf)), "Room=NSC 214");
	wdb_free(db);
	ck_assert_int_eq(write(fd, text + 38, sizeof(text) - 39),
	    (ssize_t)sizeof(text) - 39);
	close(fd);
	ck_assert_ptr_null(wdb_load(path, NULL, &e));
	snprintf(want, sizeof(want), "%s:5: missing ':' after the attribute "
	    "name", path);
	ck_assert_str_eq(e.msg, want);
	unlink(path);
}
END_TEST

/* ---- accepted syntax ------------------------------------------------------------ */

START_TEST(wdb_parses_comments_continuations_and_blank_lines)
{
	const char *text =
	    "# a comment\n"
	    "% another\n"
	    "\n\n"
	    "Full Name:   Quinton, Reg  \n"
	    "% a comment inside a record does not end it\n"
	    "Machine Address:\n"
	    "Directory Addresses: a@example.org,\n"
	    "\t  b@example.org \n"
	    "  c@example.org\n"
	    "Empty:\n"
	    "  continued\n"
	    "Tabs:\ta\tb\r\n"
	    " \t \n"		/* blank: only spaces and tabs */
	    "full name : Second\n"
	    "\n"
	    "Last: no newline at end";
	struct sk_err e;
	struct wdb *db = mem(text, NULL, &e);
	char b[256];

	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_uint_eq(wdb_count(db), 3);
	ck_assert_uint_eq(nfields(db, 0), 5);
	ck_assert_str_eq(field(db, 0, 0, b, sizeof(b)), "Full Name=Quinton, Reg");
	ck_assert_str_eq(field(db, 0, 1, b, sizeof(b)), "Machine Address=");
	ck_assert_str_eq(field(db, 0, 2, b, sizeof(b)), "Directory Addresses="
	    "a@example.org, b@example.org c@example.org");
	ck_assert_str_eq(field(db, 0, 3, b, sizeof(b)), "Empty=continued");
	ck_assert_str_eq(field(db, 0, 4, b, sizeof(b)), "Tabs=a b");
	ck_assert_str_eq(field(db, 1, 0, b, sizeof(b)), "full name=Second");
	ck_assert_str_eq(field(db, 2, 0, b, sizeof(b)), "Last=no newline at end");
	wdb_free(db);
}
END_TEST

START_TEST(wdb_accepts_empty_and_comment_only_files)
{
	struct sk_err e;
	struct wdb *db = mem("", NULL, &e);
	const uint32_t *r;

	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(wdb_count(db), 0);
	ck_assert_uint_eq(wdb_word(db, "x", 1, &r), 0);
	wdb_free(db);
	db = mem("# nothing\n\n%\n", NULL, &e);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(wdb_count(db), 0);
	wdb_free(db);
}
END_TEST

/* ---- the index ------------------------------------------------------------------ */

static const char people[] =
    "Full Name: Quinton, Reg\n"			/* 0 */
    "Department: Info Tech Svcs\n"
    "Index Key: 481800\n"
    ".Login: reggers\n"
    "\n"
    "Full Name: Ashford, Miriam\n"		/* 1 */
    "Department: Reg Office\n"			/* not indexed */
    "E-mail: mashford@example.org\n"
    "Handle: MA12\n"
    "\n"
    "Full Name: Quinton, Farah Quinton\n"	/* 2: word twice */
    "Nickname: Reg\n"
    "Index Key: 488415\n";

static const struct {
	const char *word, *want;
} words[] = {
	{ "quinton", "0,2" },
	{ "reg", "0,2" },
	{ "reggers", "0" },
	{ "481800", "0" },
	{ "mashford@example.org", "1" },
	{ "ma12", "1" },
	{ "info", "" },		/* Department is not indexed */
	{ "office", "" },
	{ "quinton,", "" },	/* separators are not part of words */
	{ "quin", "" },
	{ "", "" },
};

START_TEST(wdb_word_finds_indexed_words_only)
{
	struct sk_err e;
	struct wdb *db = mem(people, NULL, &e);
	char b[64];

	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_msg(strcmp(word(db, words[_i].word, b, sizeof(b)),
	    words[_i].want) == 0, "case %d (%s): got \"%s\"", _i,
	    words[_i].word, b);
	wdb_free(db);
}
END_TEST

START_TEST(wdb_marks_hidden_and_indexed_fields)
{
	struct sk_err e;
	struct wdb *db = mem(people, NULL, &e);
	struct wdb_iter it;
	struct wdb_field f;
	int i = 0;
	static const int hidden[] = { 0, 0, 0, 1 }, indexed[] = { 1, 0, 1, 1 };

	ck_assert_ptr_nonnull(db);
	for (wdb_fields(db, 0, &it); wdb_next(&it, &f); i++) {
		ck_assert_int_eq(f.hidden, hidden[i]);
		ck_assert_int_eq(f.indexed, indexed[i]);
		ck_assert_uint_eq(f.namelen, strlen(f.name));
	}
	ck_assert_int_eq(i, 4);
	wdb_free(db);
}
END_TEST

START_TEST(wdb_index_option_replaces_default_attributes)
{
	struct sk_err e;
	struct wdb *db = mem(people, " department , handle", &e);
	char b[64];

	ck_assert_ptr_nonnull(db);
	ck_assert_str_eq(word(db, "info", b, sizeof(b)), "0");
	ck_assert_str_eq(word(db, "reg", b, sizeof(b)), "1");	/* Reg Office */
	ck_assert_str_eq(word(db, "ma12", b, sizeof(b)), "1");
	ck_assert_str_eq(word(db, "quinton", b, sizeof(b)), "");
	ck_assert_str_eq(word(db, "reggers", b, sizeof(b)), "0"); /* hidden */
	wdb_free(db);
}
END_TEST

struct collect {
	char s[256];
};

static int
collect(void *arg, const uint32_t *r, size_t n)
{
	struct collect *c = arg;
	size_t i, l = strlen(c->s);

	for (i = 0; i < n; i++)
		l += (size_t)snprintf(c->s + l, sizeof(c->s) - l, "%u ", r[i]);
	return 0;
}

START_TEST(wdb_prefix_visits_every_word_with_the_prefix)
{
	struct sk_err e;
	struct wdb *db = mem(people, NULL, &e);
	struct collect c = { "" };

	ck_assert_ptr_nonnull(db);
	/* "re": reg (0 2) and reggers (0), in either order */
	ck_assert_int_eq(wdb_prefix(db, "re", 2, collect, &c), 0);
	ck_assert_msg(strcmp(c.s, "0 2 0 ") == 0 || strcmp(c.s, "0 0 2 ") == 0,
	    "got %s", c.s);
	c.s[0] = '\0';
	wdb_prefix(db, "QUIN", 4, collect, &c);		/* any case */
	ck_assert_str_eq(c.s, "0 2 ");
	c.s[0] = '\0';
	wdb_prefix(db, "regg", 4, collect, &c);
	ck_assert_str_eq(c.s, "0 ");
	c.s[0] = '\0';
	wdb_prefix(db, "zz", 2, collect, &c);
	ck_assert_str_eq(c.s, "");
	wdb_free(db);
}
END_TEST

START_TEST(wdb_folds_case_and_keeps_display_case)
{
	struct sk_err e;
	struct wdb *db = mem("FULL NAME: McAllister, ADA\n", NULL, &e);
	char b[64];

	ck_assert_ptr_nonnull(db);
	ck_assert_str_eq(word(db, "mcallister", b, sizeof(b)), "0");
	ck_assert_str_eq(word(db, "ada", b, sizeof(b)), "0");
	ck_assert_str_eq(field(db, 0, 0, b, sizeof(b)),
	    "FULL NAME=McAllister, ADA");
	wdb_free(db);
}
END_TEST

START_TEST(wdb_indexes_many_records_in_file_order)
{
	size_t n = 20000, i, len = 0;
	char *s = malloc(n * 64), b[32];
	const uint32_t *r;
	struct sk_err e;
	struct wdb *db;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "Name: Smith W%zu\nHandle: "
		    "h%zu\n\n", i % 100, i);
	db = wdb_load_mem(s, len, "t.db", NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_uint_eq(wdb_count(db), n);
	ck_assert_uint_eq(wdb_word(db, "smith", 5, &r), n);
	for (i = 1; i < n; i++)
		ck_assert_uint_lt(r[i - 1], r[i]);
	ck_assert_uint_eq(wdb_word(db, "w7", 2, &r), n / 100);
	ck_assert_uint_eq(r[0], 7);
	ck_assert_uint_eq(r[1], 107);
	snprintf(b, sizeof(b), "h%zu", n - 1);
	ck_assert_uint_eq(wdb_word(db, b, strlen(b), &r), 1);
	ck_assert_uint_eq(r[0], n - 1);
	wdb_free(db);
	free(s);
}
END_TEST

static const struct {
	const char *in;
	const char *words;
} toks[] = {
	{ "Quinton, Reg", "Quinton|Reg|" },
	{ "  (a)b;c:d[e]f<g>h\"i\"  ", "a|b|c|d|e|f|g|h|i|" },
	{ "a@b.example.org O'Brien-Smith", "a@b.example.org|O'Brien-Smith|" },
	{ ",,, ", "" },
};

START_TEST(wdb_token_splits_on_separators_only)
{
	const char *p = toks[_i].in, *end = p + strlen(p), *w;
	char got[128] = "";
	size_t len;

	while ((w = wdb_token(&p, end, &len)) != NULL)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%.*s|",
		    (int)len, w);
	ck_assert_msg(strcmp(got, toks[_i].words) == 0, "case %d: got %s", _i,
	    got);
}
END_TEST

Suite *
wdb_suite(void)
{
	Suite *s = suite_create("wdb");
	TCase *tc = tcase_create("load");

	tcase_add_loop_test(tc, wdb_rejects_broken_file_with_file_and_line, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, wdb_enforces_line_field_name_and_value_bounds);
	tcase_add_test(tc, wdb_load_reports_missing_file_and_path);
	tcase_add_test(tc, wdb_load_reads_file_and_names_it_in_errors);
	tcase_add_test(tc, wdb_parses_comments_continuations_and_blank_lines);
	tcase_add_test(tc, wdb_accepts_empty_and_comment_only_files);
	suite_add_tcase(s, tc);
	tc = tcase_create("index");
	tcase_add_loop_test(tc, wdb_word_finds_indexed_words_only, 0,
	    sizeof(words) / sizeof(words[0]));
	tcase_add_test(tc, wdb_marks_hidden_and_indexed_fields);
	tcase_add_test(tc, wdb_index_option_replaces_default_attributes);
	tcase_add_test(tc, wdb_prefix_visits_every_word_with_the_prefix);
	tcase_add_test(tc, wdb_folds_case_and_keeps_display_case);
	tcase_add_test(tc, wdb_indexes_many_records_in_file_order);
	tcase_add_loop_test(tc, wdb_token_splits_on_separators_only, 0,
	    sizeof(toks) / sizeof(toks[0]));
	suite_add_tcase(s, tc);
	return s;
}
