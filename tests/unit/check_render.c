#include <string.h>

#include "linechat/render.h"
#include "unit.h"

#define HI(s)	"\033[7m" s "\033[0m"

static const struct {
	const char *in;
	size_t n;
	int flags;
	const char *want;
} renders[] = {
	{ "hello\r\nworld\n", 13, 0, "hello\nworld\n" },
	{ "a\rb", 3, 0, "a\\rb" },
	{ "a\r", 2, 0, "a\\r" },
	{ "a\r\n", 3, LC_RENDER_SHOW_CRLF, "a\\r\n" },
	{ "\0\x1b[1m\t\\", 7, 0, "\\0\\x1b[1m\t\\" },
	{ "caf\xc3\xa9 \xf0\x9f\x98\x80", 10, 0, "caf\xc3\xa9 \xf0\x9f\x98\x80" },
	{ "\xe2\x82", 2, 0, "\\xe2\\x82" },
	{ "\xe2\x82" "a", 3, 0, "\\xe2\\x82" "a" },
	{ "\xc3\xc3\xa9", 3, 0, "\\xc3\xc3\xa9" },
	{ "\xe0\x80\x80", 3, 0, "\\xe0\\x80\\x80" },
	{ "\xc2\x9b" "2J", 4, 0, "\\xc2\\x9b" "2J" },
	{ "\x1b" "x\r", 3, LC_RENDER_COLOR, HI("\\x1b") "x" HI("\\r") },
};

/* Whatever the chunking, the screen shows the same. */
START_TEST(render_shows_the_same_whatever_the_chunks)
{
	char got[256], out[64];
	struct lc_render r;
	size_t chunk, i, k, c;

	for (chunk = 1; chunk <= renders[_i].n; chunk++) {
		lc_render_init(&r, renders[_i].flags);
		got[0] = '\0';
		for (i = 0; i < renders[_i].n; i += c) {
			c = renders[_i].n - i < chunk ? renders[_i].n - i : chunk;
			for (k = 0; k < c; ) {
				size_t used = lc_render(&r, renders[_i].in + i + k,
				    c - k, out, sizeof(out));

				strcat(got, out);
				ck_assert_msg(used > 0, "case %d: no progress", _i);
				k += used;
			}
		}
		lc_render_flush(&r, out, sizeof(out));
		strcat(got, out);
		ck_assert_msg(strcmp(got, renders[_i].want) == 0,
		    "case %d, chunks of %zu: got \"%s\"", _i, chunk, got);
	}
}
END_TEST

START_TEST(render_stops_when_out_is_full_and_goes_on_after)
{
	char got[64] = "", out[5];	/* the widest escape, \\x01, and the NUL */
	struct lc_render r;
	const char *in = "abcdefgh\x01";
	size_t n = 9, used;

	lc_render_init(&r, 0);
	while (n > 0) {
		used = lc_render(&r, in, n, out, sizeof(out));
		ck_assert(used > 0 && strlen(out) < sizeof(out));
		strcat(got, out);
		in += used;
		n -= used;
	}
	ck_assert_str_eq(got, "abcdefgh\\x01");
}
END_TEST

Suite *
render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("render");

	tcase_add_loop_test(tc, render_shows_the_same_whatever_the_chunks, 0,
	    sizeof(renders) / sizeof(renders[0]));
	tcase_add_test(tc, render_stops_when_out_is_full_and_goes_on_after);
	suite_add_tcase(s, tc);
	return s;
}
