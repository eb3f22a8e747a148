/* linechat's text check for piped stdin (tools/linechat/text.c). */
#include <string.h>

#include "linechat/linechat.h"
#include "unit.h"

START_TEST(text_check_tells_text_from_binary)
{
	static const struct {
		const char *in;
		size_t n;
		int want;
		size_t off;
	} t[] = {
		{ "PING\r\nSET k v\n", 14, LC_TEXT_OK, 14 },
		{ "", 0, LC_TEXT_OK, 0 },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n", 15, LC_TEXT_OK, 15 },
		{ "ab\0cd", 5, LC_TEXT_NUL, 2 },
		{ "ab\xff", 3, LC_TEXT_BADUTF8, 2 },
		{ "\x80x", 2, LC_TEXT_BADUTF8, 0 },		/* bare continuation */
		{ "x\xc0\xafy", 4, LC_TEXT_BADUTF8, 1 },	/* overlong '/' */
		{ "x\xe0\x80\xafy", 5, LC_TEXT_BADUTF8, 1 },	/* overlong, 3 bytes */
		{ "\xed\xa0\x80", 3, LC_TEXT_BADUTF8, 0 },	/* surrogate */
		{ "\xf4\x90\x80\x80", 4, LC_TEXT_BADUTF8, 0 },	/* past U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, LC_TEXT_BADUTF8, 0 },
		{ "\xc3(", 2, LC_TEXT_BADUTF8, 0 },		/* cut short */
		{ "latin-1 caf\xe9!", 13, LC_TEXT_BADUTF8, 11 },
		/* A sequence cut by the end of the block may go on. */
		{ "ok \xe2\x82", 5, LC_TEXT_OK, 5 },
		{ "ok \xf0", 4, LC_TEXT_OK, 4 },
	};
	size_t i, off;
	int got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		off = 12345;
		got = lc_text_check(t[i].in, t[i].n, &off);
		ck_assert_msg(got == t[i].want && off == t[i].off,
		    "case %zu: got %d at %zu, want %d at %zu", i, got, off,
		    t[i].want, t[i].off);
	}
}
END_TEST

Suite *
text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, text_check_tells_text_from_binary);
	suite_add_tcase(s, tc);
	return s;
}
