#include <string.h>

#include "sockkit/vis.h"
#include "unit.h"

#define HI(s)	"\033[7m" s "\033[0m"

/* Each mode on the bytes that tell modes apart. */
static const struct {
	const char *in;
	size_t n;
	int flags;
	size_t size;
	const char *want;
	size_t used;
} modes[] = {
	/* default and log lines */
	{ "reggers", 7, 0, 64, "reggers", 7 },
	{ "a\0b\r\n\t\x7f\x1b", 8, 0, 64,
	    "a\\x00b\\x0d\\x0a\\x09\\x7f\\x1b", 8 },
	{ "back\\slash \"q\"", 14, 0, 64, "back\\\\slash \"q\"", 14 },
	{ "back\\slash \"q\"", 14, SK_VIS_LOG, 64,
	    "back\\\\slash \\\"q\\\"", 14 },
	{ "a\0b\r\n\"\\", 7, SK_VIS_LOG, 64,
	    "a\\x00b\\x0d\\x0a\\\"\\\\", 7 },
	{ "caf\xc3\xa9", 5, SK_VIS_LOG, 64, "caf\\xc3\\xa9", 5 },
	/* terminal */
	{ "caf\xc3\xa9 \xe2\x82\xac", 9, SK_VIS_TERM, 64,
	    "caf\xc3\xa9 \xe2\x82\xac", 9 },
	{ "a\r\nb\rc\n\td\\", 10, SK_VIS_TERM, 64, "a\nb\\rc\n\td\\", 10 },
	{ "\0\x1b[2J\x7f", 6, SK_VIS_TERM, 64, "\\0\\x1b[2J\\x7f", 6 },
	{ "\xc2\x9b" "31m", 5, SK_VIS_TERM, 64, "\\xc2\\x9b" "31m", 5 },
	{ "\xc2\xa0", 2, SK_VIS_TERM, 64, "\xc2\xa0", 2 },
	{ "\xe0\x80\xaf", 3, SK_VIS_TERM, 64, "\\xe0\\x80\\xaf", 3 },
	{ "\xed\xa0\x80", 3, SK_VIS_TERM, 64, "\\xed\\xa0\\x80", 3 },
	{ "\xf4\x90\x80\x80", 4, SK_VIS_TERM, 64,
	    "\\xf4\\x90\\x80\\x80", 4 },
	{ "\xff\xc3", 2, SK_VIS_TERM, 64, "\\xff\\xc3", 2 },
	{ "x\r", 2, SK_VIS_TERM, 64, "x\\r", 2 },
	{ "a\r\n", 3, SK_VIS_TERM & ~SK_VIS_CRLF, 64, "a\\r\n", 3 },
	{ "\x1b" "a", 2, SK_VIS_TERM | SK_VIS_HILITE, 64, HI("\\x1b") "a", 2 },
	{ "\r\r\n", 3, SK_VIS_TERM | SK_VIS_HILITE, 64, HI("\\r") "\n", 3 },
	/* transcripts */
	{ "a\\b\r\n\t\0 \"\x01\xff", 11, SK_VIS_TRANSCRIPT, 64,
	    "a\\\\b\\r\\n\\t\\0 \"\\x01\\xff", 11 },
	{ "my host", 7, SK_VIS_TRANSCRIPT | SK_VIS_SPACE, 64,
	    "my\\x20host", 7 },
	{ "say \"hi\"", 8, SK_VIS_TRANSCRIPT | SK_VIS_DQUOTE, 64,
	    "say \\\"hi\\\"", 8 },
	/* JSON string bodies */
	{ "\"\\/\b\f\n\r\t", 8, SK_VIS_JSON, 64,
	    "\\\"\\\\/\\b\\f\\n\\r\\t", 8 },
	{ "\x01\x1f\x7f", 3, SK_VIS_JSON, 64, "\\u0001\\u001f\x7f", 3 },
	{ "\xc3\xa9\xc2\x9b\xff\xed\xa0\x80", 8, SK_VIS_JSON, 64,
	    "\xc3\xa9\xc2\x9b\\udcff\\udced\\udca0\\udc80", 8 },
	{ "a\0b", 3, SK_VIS_JSON | SK_VIS_C | SK_VIS_RAWBS, 64,
	    "a\\u0000b", 3 },
	/* bounds: whole when it fits, never half an escape or character */
	{ "abcd", 4, SK_VIS_LOG, 5, "abcd", 4 },
	{ "abcdef", 6, SK_VIS_LOG, 6, "ab...", 2 },
	{ "\x01\x02", 2, SK_VIS_LOG, 6, "...", 0 },
	{ "abcdef", 6, SK_VIS_LOG, 3, "", 0 },
	{ "abcdef", 6, 0, 4, "abc", 3 },
	{ "a\x01", 2, 0, 5, "a", 1 },
	{ "\xc3\xa9\xc3\xa9", 4, SK_VIS_TERM, 4, "\xc3\xa9", 2 },
	{ "\x01", 1, SK_VIS_TERM | SK_VIS_HILITE, 12, "", 0 },
	{ "\x01", 1, SK_VIS_TERM | SK_VIS_HILITE, 13, HI("\\x01"), 1 },
	{ "abc", 3, 0, 0, NULL, 0 },
	{ "abc", 3, SK_VIS_LOG | SK_VIS_MORE, 64, "abc...", 3 },
	{ "abcdef", 6, SK_VIS_LOG | SK_VIS_MORE, 9, "abcde...", 5 },
	{ "abcdef", 6, SK_VIS_MORE, 9, "abcde...", 5 },
	{ "", 0, SK_VIS_LOG, 64, "", 0 },
};

START_TEST(vis_escapes_each_mode_and_respects_the_bound)
{
	char out[64] = "untouched";
	size_t len, used = 99;

	len = sk_vis(out, modes[_i].size, modes[_i].in, modes[_i].n,
	    modes[_i].flags, &used);
	if (modes[_i].want == NULL) {
		ck_assert_msg(len == 0 && used == 0 &&
		    strcmp(out, "untouched") == 0, "case %d: wrote to a "
		    "0-byte buffer", _i);
		return;
	}
	ck_assert_msg(strcmp(out, modes[_i].want) == 0, "case %d: got \"%s\"",
	    _i, out);
	ck_assert_msg(len == strlen(out), "case %d: returned %zu for %zu", _i,
	    len, strlen(out));
	ck_assert_msg(used == modes[_i].used, "case %d: used %zu, want %zu",
	    _i, used, modes[_i].used);
}
END_TEST

START_TEST(vis_transcript_size_always_holds_the_whole_input)
{
	char in[256], out[SK_VIS_SIZE(256)];
	size_t used, i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)i;
	sk_vis(out, sizeof(out), in, sizeof(in), SK_VIS_TRANSCRIPT, &used);
	ck_assert_uint_eq(used, sizeof(in));
	sk_vis(out, sizeof(out), in, sizeof(in), 0, &used);
	ck_assert_uint_eq(used, sizeof(in));
}
END_TEST

static const struct {
	const char *s;
	size_t n;
	int want;
} utf8[] = {
	{ "a", 1, 1 },
	{ "\x7f", 1, 1 },
	{ "\xc3\xa9", 2, 2 },
	{ "\xc3", 1, -1 },
	{ "\xc3" "a", 2, 0 },
	{ "\xc0\x80", 2, 0 },			/* overlong NUL */
	{ "\xc1\xbf", 2, 0 },
	{ "\xe2\x82\xac", 3, 3 },
	{ "\xe2\x82", 2, -1 },
	{ "\xe0\x9f\x80", 3, 0 },		/* overlong */
	{ "\xe0\xa0\x80", 3, 3 },
	{ "\xed\x9f\xbf", 3, 3 },
	{ "\xed\xa0\x80", 3, 0 },		/* surrogate */
	{ "\xed\xa0", 2, 0 },
	{ "\xf0\x9f\x98\x80", 4, 4 },
	{ "\xf0\x8f\xbf\xbf", 4, 0 },		/* overlong */
	{ "\xf4\x8f\xbf\xbf", 4, 4 },		/* U+10FFFF */
	{ "\xf4\x90\x80\x80", 4, 0 },		/* past U+10FFFF */
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xf0\x9f\x98", 3, -1 },
	{ "\xf0\x9f" "a", 3, 0 },
	{ "\x80", 1, 0 },
	{ "\xff", 1, 0 },
	{ "\xc3\xa9zz", 4, 2 },
};

START_TEST(utf8_len_accepts_only_well_formed_sequences)
{
	int got = sk_utf8_len(utf8[_i].s, utf8[_i].n);

	ck_assert_msg(got == utf8[_i].want, "case %d: got %d, want %d", _i,
	    got, utf8[_i].want);
}
END_TEST

Suite *
vis_suite(void)
{
	Suite *s = suite_create("vis");
	TCase *tc = tcase_create("vis");

	tcase_add_loop_test(tc, vis_escapes_each_mode_and_respects_the_bound, 0,
	    sizeof(modes) / sizeof(modes[0]));
	tcase_add_test(tc, vis_transcript_size_always_holds_the_whole_input);
	suite_add_tcase(s, tc);
	tc = tcase_create("utf8");
	tcase_add_loop_test(tc, utf8_len_accepts_only_well_formed_sequences, 0,
	    sizeof(utf8) / sizeof(utf8[0]));
	suite_add_tcase(s, tc);
	return s;
}
