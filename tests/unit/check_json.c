#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/json.h"
#include "sockkit/vis.h"
#include "unit.h"

/* Output of one writer, captured in memory. */
struct cap {
	FILE *f;
	char *buf;
	size_t len;
};

static void
cap_open(struct cap *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	ck_assert_ptr_nonnull(c->f);
}

static const char *
cap_text(struct cap *c)
{
	ck_assert_int_eq(fflush(c->f), 0);
	return c->buf;
}

static void
cap_close(struct cap *c)
{
	fclose(c->f);
	free(c->buf);
}

/* --- strings -------------------------------------------------------------- */

static const struct {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	const char *want;
} esc_cases[] = {
	{ "plain", 0, "\"plain\"" },
	{ "", 0, "\"\"" },
	{ "say \"hi\"", 0, "\"say \\\"hi\\\"\"" },
	{ "back\\slash", 0, "\"back\\\\slash\"" },
	{ "a/b", 0, "\"a/b\"" },
	{ "\n\r\t\b\f", 0, "\"\\n\\r\\t\\b\\f\"" },
	{ "\x01\x1f", 0, "\"\\u0001\\u001f\"" },
	{ "nul\0in", 6, "\"nul\\u0000in\"" },
	{ "del\x7f", 0, "\"del\x7f\"" },
	/* Valid UTF-8 of every length passes through. */
	{ "caf\xc3\xa9", 0, "\"caf\xc3\xa9\"" },
	{ "\xe2\x82\xac 5", 0, "\"\xe2\x82\xac 5\"" },
	{ "\xf0\x9f\x98\x80", 0, "\"\xf0\x9f\x98\x80\"" },
	{ "\xef\xbf\xbf\xf4\x8f\xbf\xbf", 0, "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"" },
	{ "\xed\x9f\xbf", 0, "\"\xed\x9f\xbf\"" },		/* U+D7FF */
	/* Invalid bytes become \udcXX, one per byte. */
	{ "\xff", 0, "\"\\udcff\"" },
	{ "a\x80z", 0, "\"a\\udc80z\"" },
	{ "\xc0\xaf", 0, "\"\\udcc0\\udcaf\"" },		/* overlong '/' */
	{ "\xe0\x80\xaf", 0, "\"\\udce0\\udc80\\udcaf\"" },	/* overlong */
	{ "\xf0\x82\x82\xac", 0, "\"\\udcf0\\udc82\\udc82\\udcac\"" },
	{ "\xed\xa0\x80", 0, "\"\\udced\\udca0\\udc80\"" },	/* U+D800 */
	{ "\xed\xbf\xbf", 0, "\"\\udced\\udcbf\\udcbf\"" },	/* U+DFFF */
	{ "\xf4\x90\x80\x80", 0, "\"\\udcf4\\udc90\\udc80\\udc80\"" },
	{ "\xf5\x80\x80\x80", 0, "\"\\udcf5\\udc80\\udc80\\udc80\"" },
	{ "\xe2\x82", 0, "\"\\udce2\\udc82\"" },		/* truncated */
	{ "\xe2\x82x", 0, "\"\\udce2\\udc82x\"" },
	{ "\xf0\x9f\x98", 0, "\"\\udcf0\\udc9f\\udc98\"" },
	{ "\xc3", 0, "\"\\udcc3\"" },
	{ "\xc3\xa9\xc3", 0, "\"\xc3\xa9\\udcc3\"" },
};

START_TEST(json_escapes_strings_and_keeps_valid_utf8)
{
	struct cap c;
	const char *in = esc_cases[_i].in;
	size_t n = esc_cases[_i].len ? esc_cases[_i].len : strlen(in);
	int ret;

	cap_open(&c);
	ret = sk_json_escape(c.f, in, n);
	ck_assert_msg(strcmp(cap_text(&c), esc_cases[_i].want) == 0,
	    "case %d: got %s, want %s", _i, c.buf, esc_cases[_i].want);
	ck_assert_msg(ret == (int)strlen(esc_cases[_i].want),
	    "case %d: returned %d", _i, ret);
	cap_close(&c);
}
END_TEST

/* What the writer must produce for s: sk_vis's JSON mode over the whole
 * string at once, in quotes (the writer copies plain runs itself and
 * hands sk_vis only the runs between them). */
static char *
want_escaped(const char *s, size_t n)
{
	size_t size = 6 * n + 3, len, used;
	char *w = malloc(size);

	ck_assert_ptr_nonnull(w);
	w[0] = '"';
	len = sk_vis(w + 1, size - 2, s, n, SK_VIS_JSON, &used);
	ck_assert_uint_eq(used, n);
	w[1 + len] = '"';
	w[2 + len] = '\0';
	return w;
}

static void
check_escape(const char *in, size_t n)
{
	struct cap c;
	char *want = want_escaped(in, n);
	int ret;

	cap_open(&c);
	ret = sk_json_escape(c.f, in, n);
	cap_text(&c);
	ck_assert_msg(c.len == strlen(want) && memcmp(c.buf, want, c.len) == 0,
	    "len %zu: got %s, want %s", n, c.buf, want);
	ck_assert_int_eq(ret, (int)strlen(want));
	cap_close(&c);
	free(want);
}

/* The plain-run scan reads 8 bytes a word: each byte that needs care, at
 * every offset around word boundaries, in strings of every length
 * around them, alone and after another. */
START_TEST(json_escapes_at_word_boundaries)
{
	static const char *const special[] = {
		"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\x80", "\xff",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe2\x82",
		" ", "~", "\0",
	};
	const char *sp = special[_i];
	size_t sl = _i == 14 ? 1 : strlen(sp), pos, len, second;
	char in[64];

	for (len = 0; len + sl <= 40; len++)
		for (pos = 0; pos <= len; pos++) {
			memset(in, 'a', sizeof(in));
			memcpy(in + pos, sp, sl);
			check_escape(in, len + sl);
			/* A second one further on, in the same or next word. */
			for (second = pos + sl; second + sl <= len + sl;
			    second += 3) {
				memcpy(in + second, sp, sl);
				check_escape(in, len + sl);
				memset(in + second, 'a', sl);
			}
		}
}
END_TEST

/* Random mixes of plain and special bytes, against the whole-string
 * escaping. */
START_TEST(json_escapes_random_mixes)
{
	static const unsigned char alpha[] = "ab\"\\\n\x01\x7f\x80\xbf\xc3\xa9"
	    "\xe2\x82\xac\xf0\x9f\xed\xa0\xff z";
	uint32_t x = 12345;
	char in[80];
	size_t n, k;
	int round;

	for (round = 0; round < 3000; round++) {
		x = x * 1103515245 + 12345;
		n = (x >> 16) % sizeof(in);
		for (k = 0; k < n; k++) {
			x = x * 1103515245 + 12345;
			/* Mostly plain, so long runs meet words too. */
			in[k] = (x >> 16) % 4 ? 'p' :
			    (char)alpha[(x >> 8) % (sizeof(alpha) - 1)];
		}
		check_escape(in, n);
	}
}
END_TEST

/* Output of a record stream through sk_json_init_fd with a buffer of
 * size, or (file set) through a FILE writer. */
static char *
fd_records(int file, char *buf, size_t size, size_t *len)
{
	struct sk_json j;
	FILE *f = tmpfile();
	char *out;
	long n;
	int i;

	ck_assert_ptr_nonnull(f);
	if (file)
		sk_json_init(&j, f);
	else
		sk_json_init_fd(&j, fileno(f), buf, size);
	for (i = 0; i < 50; i++) {
		sk_json_obj_begin(&j);
		sk_json_key(&j, "schema");
		sk_json_str(&j, "sockkit.test/1");
		sk_json_key(&j, "n");
		sk_json_int(&j, -i * 1000003LL);
		sk_json_key(&j, "s\n");
		sk_json_strn(&j, "a\"b\xff\0c", 6);
		sk_json_key(&j, "list");
		sk_json_arr_begin(&j);
		sk_json_uint(&j, (unsigned)i);
		sk_json_double(&j, 0.5);
		sk_json_bool(&j, i & 1);
		sk_json_null(&j);
		sk_json_arr_end(&j);
		sk_json_obj_end(&j);
		sk_json_newline(&j);
	}
	ck_assert_int_eq(sk_json_flush(&j), 0);
	ck_assert_int_eq(sk_json_error(&j), 0);
	n = lseek(fileno(f), 0, SEEK_END);
	ck_assert_int_gt(n, 0);
	out = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(pread(fileno(f), out, (size_t)n, 0), n);
	out[n] = '\0';
	*len = (size_t)n;
	fclose(f);
	return out;
}

/* Buffered output is the FILE writer's, whatever the buffer's size. */
START_TEST(json_fd_writer_matches_file_writer)
{
	static const size_t sizes[] = { 0, 1, 7, 64, 255, 256, 1000, 65536 };
	/* size 0 with a buffer: one write(2) per call. */
	char *buf = malloc(65536), *ref, *got;
	size_t rlen, glen, k;

	ck_assert_ptr_nonnull(buf);
	ref = fd_records(1, NULL, 0, &rlen);
	ck_assert_ptr_nonnull(strstr(ref, "{\"schema\":\"sockkit.test/1\",\"n\":-49000147,"
	    "\"s\\n\":\"a\\\"b\\udcff\\u0000c\",\"list\":[49,0.5,true,null]}\n"));
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		got = fd_records(0, buf, sizes[k], &glen);
		ck_assert_msg(glen == rlen && memcmp(got, ref, rlen) == 0,
		    "buffer of %zu differs", sizes[k]);
		free(got);
	}
	free(ref);
	free(buf);
}
END_TEST

START_TEST(json_fd_writer_reports_write_errors)
{
	struct sk_json j;
	char buf[16];
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	close(p[1]);		/* p[1] is now a closed descriptor */
	sk_json_init_fd(&j, p[1], buf, sizeof(buf));
	sk_json_str(&j, "fits");
	ck_assert_int_eq(sk_json_error(&j), 0);	/* not written yet */
	ck_assert_int_eq(sk_json_flush(&j), -1);
	ck_assert_int_ne(sk_json_error(&j), 0);
	close(p[0]);
}
END_TEST

START_TEST(json_str_writes_null_for_null)
{
	struct cap c;
	struct sk_json j;

	cap_open(&c);
	sk_json_init(&j, c.f);
	sk_json_arr_begin(&j);
	sk_json_str(&j, NULL);
	sk_json_str(&j, "x");
	sk_json_strn(&j, "a\0b", 3);
	sk_json_arr_end(&j);
	ck_assert_str_eq(cap_text(&c), "[null,\"x\",\"a\\u0000b\"]");
	ck_assert_int_eq(sk_json_error(&j), 0);
	cap_close(&c);
}
END_TEST

/* --- structure ------------------------------------------------------------ */

START_TEST(json_tracks_commas_through_nesting)
{
	struct cap c;
	struct sk_json j;

	cap_open(&c);
	sk_json_init(&j, c.f);
	sk_json_obj_begin(&j);
	sk_json_key(&j, "schema");
	sk_json_str(&j, "sockkit.test/1");
	sk_json_key(&j, "empty_obj");
	sk_json_obj_begin(&j);
	sk_json_obj_end(&j);
	sk_json_key(&j, "empty_arr");
	sk_json_arr_begin(&j);
	sk_json_arr_end(&j);
	sk_json_key(&j, "socks");
	sk_json_arr_begin(&j);
	sk_json_obj_begin(&j);
	sk_json_key(&j, "port");
	sk_json_int(&j, 80);
	sk_json_key(&j, "tags");
	sk_json_arr_begin(&j);
	sk_json_str(&j, "a");
	sk_json_arr_begin(&j);
	sk_json_arr_end(&j);
	sk_json_bool(&j, 1);
	sk_json_arr_end(&j);
	sk_json_obj_end(&j);
	sk_json_obj_begin(&j);
	sk_json_key(&j, "port");
	sk_json_uint(&j, 18446744073709551615ULL);
	sk_json_obj_end(&j);
	sk_json_null(&j);
	sk_json_arr_end(&j);
	sk_json_key(&j, "ok");
	sk_json_bool(&j, 0);
	sk_json_obj_end(&j);
	ck_assert_str_eq(cap_text(&c),
	    "{\"schema\":\"sockkit.test/1\",\"empty_obj\":{},\"empty_arr\":[],"
	    "\"socks\":[{\"port\":80,\"tags\":[\"a\",[],true]},"
	    "{\"port\":18446744073709551615},null],\"ok\":false}");
	ck_assert_int_eq(sk_json_error(&j), 0);
	cap_close(&c);
}
END_TEST

START_TEST(json_escapes_keys)
{
	struct cap c;
	struct sk_json j;

	cap_open(&c);
	sk_json_init(&j, c.f);
	sk_json_obj_begin(&j);
	sk_json_key(&j, "a\"b\n");
	sk_json_int(&j, -9223372036854775807LL - 1);
	sk_json_obj_end(&j);
	ck_assert_str_eq(cap_text(&c), "{\"a\\\"b\\n\":-9223372036854775808}");
	cap_close(&c);
}
END_TEST

START_TEST(json_newline_ends_ndjson_records)
{
	struct cap c;
	struct sk_json j;
	int i;

	cap_open(&c);
	sk_json_init(&j, c.f);
	for (i = 0; i < 3; i++) {
		sk_json_obj_begin(&j);
		sk_json_key(&j, "n");
		sk_json_int(&j, i);
		sk_json_obj_end(&j);
		sk_json_newline(&j);
	}
	sk_json_str(&j, "last");
	sk_json_newline(&j);
	ck_assert_str_eq(cap_text(&c),
	    "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n\"last\"\n");
	ck_assert_int_eq(sk_json_error(&j), 0);
	cap_close(&c);
}
END_TEST

/* --- numbers -------------------------------------------------------------- */

static const struct {
	double v;
	const char *want;
} dbl_cases[] = {
	{ 0.0, "0" },
	{ 1.5, "1.5" },
	{ 0.1, "0.1" },
	{ -2.25, "-2.25" },
	{ 1e300, "1e+300" },
	{ 1.0 / 3.0, "0.3333333333333333" },
	{ 123456789012345678.0, "1.2345678901234568e+17" },
};

START_TEST(json_doubles_round_trip)
{
	struct cap c;
	struct sk_json j;

	cap_open(&c);
	sk_json_init(&j, c.f);
	sk_json_double(&j, dbl_cases[_i].v);
	ck_assert_msg(strcmp(cap_text(&c), dbl_cases[_i].want) == 0,
	    "case %d: got %s", _i, c.buf);
	ck_assert(strtod(c.buf, NULL) == dbl_cases[_i].v);
	cap_close(&c);
}
END_TEST

START_TEST(json_non_finite_doubles_are_null)
{
	struct cap c;
	struct sk_json j;

	cap_open(&c);
	sk_json_init(&j, c.f);
	sk_json_arr_begin(&j);
	sk_json_double(&j, NAN);
	sk_json_double(&j, INFINITY);
	sk_json_double(&j, -INFINITY);
	sk_json_arr_end(&j);
	ck_assert_str_eq(cap_text(&c), "[null,null,null]");
	ck_assert_int_eq(sk_json_error(&j), 0);
	cap_close(&c);
}
END_TEST

/* --- misuse --------------------------------------------------------------- */

enum { OB, OE, AB, AE, KEY, VAL, NL, END };

static const struct {
	int ops[8];
	const char *want;	/* output: the misused call wrote nothing */
} misuse_cases[] = {
	{ { OE, END }, "" },				/* end without begin */
	{ { AE, END }, "" },
	{ { OB, AE, OE, END }, "{}" },			/* wrong closer */
	{ { AB, OE, AE, END }, "[]" },
	{ { OB, VAL, OE, END }, "{}" },			/* value without key */
	{ { KEY, END }, "" },				/* key outside object */
	{ { AB, KEY, AE, END }, "[]" },
	{ { OB, KEY, KEY, VAL, OE, END }, "{\"k\":1}" },	/* two keys */
	{ { OB, KEY, OE, END }, "{\"k\":" },		/* key without value */
	{ { VAL, VAL, END }, "1" },			/* two documents */
	{ { OB, NL, OE, END }, "{}" },			/* newline inside */
	{ { NL, END }, "" },				/* newline with no value */
};

START_TEST(json_misuse_sets_sticky_error_and_writes_nothing)
{
	struct cap c;
	struct sk_json j;
	int k;

	cap_open(&c);
	sk_json_init(&j, c.f);
	for (k = 0; misuse_cases[_i].ops[k] != END; k++)
		switch (misuse_cases[_i].ops[k]) {
		case OB: sk_json_obj_begin(&j); break;
		case OE: sk_json_obj_end(&j); break;
		case AB: sk_json_arr_begin(&j); break;
		case AE: sk_json_arr_end(&j); break;
		case KEY: sk_json_key(&j, "k"); break;
		case VAL: sk_json_int(&j, 1); break;
		case NL: sk_json_newline(&j); break;
		}
	ck_assert_msg(strcmp(cap_text(&c), misuse_cases[_i].want) == 0,
	    "case %d: wrote %s", _i, c.buf);
	ck_assert_msg(sk_json_error(&j) != 0, "case %d: no error", _i);
	cap_close(&c);
}
END_TEST

START_TEST(json_refuses_nesting_past_maxdepth)
{
	struct cap c;
	struct sk_json j;
	int i;

	cap_open(&c);
	sk_json_init(&j, c.f);
	for (i = 0; i < SK_JSON_MAXDEPTH; i++)
		sk_json_arr_begin(&j);
	ck_assert_int_eq(sk_json_error(&j), 0);
	sk_json_arr_begin(&j);
	ck_assert_int_ne(sk_json_error(&j), 0);
	for (i = 0; i < SK_JSON_MAXDEPTH; i++)
		sk_json_arr_end(&j);
	cap_text(&c);
	ck_assert_uint_eq(c.len, 2 * SK_JSON_MAXDEPTH);
	ck_assert_int_eq(c.buf[SK_JSON_MAXDEPTH - 1], '[');
	ck_assert_int_eq(c.buf[SK_JSON_MAXDEPTH], ']');
	cap_close(&c);
}
END_TEST

START_TEST(json_reports_stdio_errors)
{
	struct sk_json j;
	char tiny[4];
	FILE *f = fmemopen(tiny, sizeof(tiny), "w");

	ck_assert_ptr_nonnull(f);
	setvbuf(f, NULL, _IONBF, 0);
	sk_json_init(&j, f);
	sk_json_str(&j, "much longer than four bytes");
	ck_assert_int_ne(sk_json_error(&j), 0);
	fclose(f);
}
END_TEST

Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *ts = tcase_create("strings");
	TCase *tc = tcase_create("structure");

	tcase_add_loop_test(ts, json_escapes_strings_and_keeps_valid_utf8, 0,
	    sizeof(esc_cases) / sizeof(esc_cases[0]));
	/* Thousands of escapes a case: slow under ASan on a busy machine. */
	tcase_set_timeout(ts, 60);
	tcase_add_loop_test(ts, json_escapes_at_word_boundaries, 0, 15);
	tcase_add_test(ts, json_escapes_random_mixes);
	tcase_add_test(ts, json_str_writes_null_for_null);
	suite_add_tcase(s, ts);

	tcase_add_test(tc, json_tracks_commas_through_nesting);
	tcase_add_test(tc, json_escapes_keys);
	tcase_add_test(tc, json_newline_ends_ndjson_records);
	tcase_add_loop_test(tc, json_doubles_round_trip, 0,
	    sizeof(dbl_cases) / sizeof(dbl_cases[0]));
	tcase_add_test(tc, json_non_finite_doubles_are_null);
	tcase_add_loop_test(tc, json_misuse_sets_sticky_error_and_writes_nothing,
	    0, sizeof(misuse_cases) / sizeof(misuse_cases[0]));
	tcase_add_test(tc, json_refuses_nesting_past_maxdepth);
	tcase_add_test(tc, json_reports_stdio_errors);
	tcase_add_test(tc, json_fd_writer_matches_file_writer);
	tcase_add_test(tc, json_fd_writer_reports_write_errors);
	suite_add_tcase(s, tc);
	return s;
}
