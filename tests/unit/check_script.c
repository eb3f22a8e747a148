/* linechat's chat(8) script parser and engine (tools/linechat/script*.c),
 * run against an in-memory peer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "linechat/script.h"
#include "linechat/script_int.h"
#include "unit.h"

/* ---- parsed form, printed ---------------------------------------------- */

static void
cat(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = strlen(out), i;

	for (i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, cap - o, "<%02x>", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void
dump_str(char *out, size_t cap, const struct lc_str *s)
{
	size_t i, off = 0;
	char num[32];

	if (s->rx != NULL) {
		cat(out, cap, "re:", 3);
		cat(out, cap, s->src, strlen(s->src));
		return;
	}
	for (i = 0; i < s->npause; i++) {
		cat(out, cap, s->b + off, s->pause[i].off - off);
		snprintf(num, sizeof(num), "{%d}", s->pause[i].ms);
		cat(out, cap, num, strlen(num));
		off = s->pause[i].off;
	}
	cat(out, cap, s->b + off, s->n - off);
	if (s->flags & STR_NOEOL)
		cat(out, cap, "+c", 2);
	if (s->flags & STR_QUIET)
		cat(out, cap, "+q", 2);
}

/* One letter per step, its strings in [] separated by |. */
static char *
dump(const struct lc_script *s)
{
	static const char letter[] = "ESAaRrTYON";
	static char out[4096];
	size_t i, k;
	char num[32];

	out[0] = '\0';
	for (i = 0; i < s->nstep; i++) {
		const struct lc_step *st = &s->step[i];

		if (i > 0)
			cat(out, sizeof(out), " ", 1);
		cat(out, sizeof(out), &letter[st->op], 1);
		if (st->op == LC_OP_TIMEOUT || st->op == LC_OP_ECHO ||
		    st->op == LC_OP_NOP) {
			snprintf(num, sizeof(num), "%d", st->num);
			cat(out, sizeof(out), num, strlen(num));
			continue;
		}
		cat(out, sizeof(out), "[", 1);
		for (k = 0; k < st->ns; k++) {
			if (k > 0)
				cat(out, sizeof(out), "|", 1);
			dump_str(out, sizeof(out), &st->s[k]);
		}
		cat(out, sizeof(out), "]", 1);
	}
	return out;
}

static const struct {
	const char *text, *want;
} good[] = {
	{ "'' PING +PONG", "E[] S[PING] E[+PONG]" },
	{ "'' PING +PONG 'SET k v' +OK 'GET k' v",
	  "E[] S[PING] E[+PONG] S[SET k v] E[+OK] S[GET k] E[v]" },
	{ "", "" },
	{ "# a comment\n  # indented too\n'' x # words\n",
	  "E[] S[x] E[#] S[words]" },
	{ "\"a b\"'c d'e \"it's\"", "E[a bc de] S[it's]" },
	{ "'' 'a\\r\\n\\t\\s\\\\\\N\\b^A^?^z\\101\\0\\q'",
	  "E[] S[a<0d><0a><09> \\<00><08><01><7f><1a>A<00>+q]" },
	{ "'' 'AT\\dZ\\pX\\K\\c'", "E[] S[AT{1000}Z{100}X+c]" },
	{ "'' '\\-\\~\\^\\'\\\"\\ ' x^", "E[] S[-~^'\" ] E[x^]" },
	{ "TIMEOUT 5 ECHO ON ECHO OFF HANGUP OFF SAY 'hi\\n'",
	  "T5 O1 O0 N0 Y[hi<0a>]" },
	{ "ABORT BUSY REPORT CONNECT CLR_REPORT CONNECT CLR_ABORT BUSY",
	  "A[BUSY] R[CONNECT] r[CONNECT] a[BUSY]" },
	{ "ABORT -ERR -ERR", "A[-ERR] E[|ERR]" },
	{ "ogin:-BREAK-ogin: u", "E[ogin:|+c|ogin:] S[u]" },
	{ "ogin:--ogin: u a-b a- a\\-b", "E[ogin:||ogin:] S[u] E[a|b] S[a-] E[a-b]" },
	{ "'' EOT", "E[] S[<04>+c]" },
	{ "'~/^\\+OK [0-9]{1,3}\\r$/-x-~/[a-]-b/'",
	  "E[re:~/^\\+OK [0-9]{1,3}\\r$/|x|re:~/[a-]-b/]" },
	{ "~/a/b/ ~/x", "E[re:~/a/b/] S[~/x]" },
	{ "~/[[:digit:]]{2}(ab|c){3}/", "E[re:~/[[:digit:]]{2}(ab|c){3}/]" },
};

START_TEST(parse_builds_chat_steps)
{
	struct sk_err e;
	struct lc_script *s;

	s = lc_script_parse(good[_i].text, strlen(good[_i].text), "t", &e);
	ck_assert_msg(s != NULL, "case %d: %s", _i, e.msg);
	ck_assert_msg(strcmp(dump(s), good[_i].want) == 0,
	    "case %d: got %s, want %s", _i, dump(s), good[_i].want);
	lc_script_free(s);
}
END_TEST

static const struct {
	const char *text, *msg;
} bad[] = {
	{ "'' 'abc", "t:1:4: unterminated quote" },
	{ "'' \"ab\ncd\"", "t:1:4: unterminated quote" },
	{ "'' 'a\\xb'", "t:1:6: unknown escape \\x" },
	{ "'' x\n  ok '\\T'", "t:2:7: unknown escape \\T" },
	{ "'' a\\", "t:1:5: backslash at end of string" },
	{ "TIMEOUT", "t:1:1: TIMEOUT needs a number of seconds" },
	{ "TIMEOUT abc", "t:1:9: TIMEOUT abc: invalid" },
	{ "TIMEOUT 0", "t:1:9: TIMEOUT 0: too small" },
	{ "TIMEOUT 99999999", "t:1:9: TIMEOUT 99999999: too large" },
	{ "'' x\nABORT", "t:2:1: ABORT needs a string" },
	{ "ABORT ''", "t:1:7: ABORT needs a non-empty string" },
	{ "REPORT 'a\\nb'", "t:1:8: a REPORT string cannot hold a newline" },
	{ "CLR_ABORT x", "t:1:11: CLR_ABORT x: not a live ABORT string" },
	{ "ABORT x CLR_ABORT x CLR_ABORT x",
	  "t:1:31: CLR_ABORT x: not a live ABORT string" },
	{ "ECHO maybe", "t:1:6: ECHO maybe: want ON or OFF" },
	{ "SAY", "t:1:1: SAY needs a string" },
	{ "ECHO", "t:1:1: ECHO needs ON or OFF" },
	{ "'' 'a\\c b'", "t:1:6: \\c must end the send string" },
	{ "x\\d y", "t:1:2: \\d is only for send strings" },
	{ "SAY 'x\\c'", "t:1:7: \\c is only for send strings" },
	{ "'' ^1", "t:1:4: bad control character ^1 (write \\^ for ^)" },
	{ "'' '\\400'", "t:1:5: octal escape \\400 is over \\377" },
	{ "'' '\\001\\777'", "t:1:9: octal escape \\777 is over \\377" },
	{ "~/abc", "t:1:1: regex ~/ has no closing / (write \\~ for a plain ~)" },
	{ "x-y-~/abc", "t:1:5: regex ~/ has no closing / (write \\~ for a plain ~)" },
	{ "~//", "t:1:1: empty regex" },
	{ "~/(/", "t:1:3: bad regex: Unmatched ( or \\(" },
	{ "~/(a)\\1/", "t:1:6: regex back-references are not supported" },
	{ "~/a**/", "t:1:5: regex repetition operator after another" },
	{ "~/[a-z]{2}*/", "t:1:11: regex repetition operator after another" },
	{ "~/(((a?)+)*)+/", "t:1:13: regex repetitions nest deeper than 3" },
	{ "~/a)/", "t:1:4: unmatched ) in regex (write \\) for a literal ))" },
	{ "~/(a{100}){200}/", "t:1:15: regex repetition too large" },
	{ "~/((((((((((((((((((((((((((((((((((a/",
	  "t:1:35: regex nests deeper than 32" },
	{ "'' x\0y", "t:1:5: NUL byte in script (write \\N)" },
};

START_TEST(parse_rejects_bad_scripts_with_line_and_column)
{
	struct sk_err e;
	struct lc_script *s;
	size_t n = strlen(bad[_i].text);

	if (strcmp(bad[_i].text, "'' x") == 0)
		n = 6;			/* the NUL case */
	s = lc_script_parse(bad[_i].text, n, "t", &e);
	ck_assert_msg(s == NULL, "case %d: parsed", _i);
	ck_assert_msg(e.code == EINVAL, "case %d: code %d", _i, e.code);
	ck_assert_msg(strcmp(e.msg, bad[_i].msg) == 0, "case %d: got \"%s\"",
	    _i, e.msg);
}
END_TEST

START_TEST(parse_bounds_words_abort_strings_and_size)
{
	struct sk_err e;
	size_t n, i;
	char *t;

	t = malloc(LC_SCRIPT_MAX + 2);
	ck_assert_ptr_nonnull(t);
	for (n = 0, i = 0; i < LC_SCRIPT_MAXWORDS + 1; i++)
		n += (size_t)sprintf(t + n, "w ");
	ck_assert_ptr_null(lc_script_parse(t, n, "t", &e));
	ck_assert_str_eq(e.msg, "t:1:20001: too many words (max 10000)");
	for (n = 0, i = 0; i < LC_SCRIPT_MAXABORT + 1; i++)
		n += (size_t)sprintf(t + n, "ABORT a%zu\n", i);
	ck_assert_ptr_null(lc_script_parse(t, n, "t", &e));
	ck_assert_str_eq(e.msg, "t:51:1: too many ABORT strings (max 50)");
	memset(t, ' ', LC_SCRIPT_MAX + 1);
	ck_assert_ptr_null(lc_script_parse(t, LC_SCRIPT_MAX + 1, "t", &e));
	ck_assert_int_eq(e.code, EFBIG);
	free(t);
}
END_TEST

START_TEST(load_names_the_file_in_errors)
{
	char path[] = "/tmp/check_scriptXXXXXX";
	struct sk_err e;
	struct lc_script *s;
	char msg[300];
	int fd;

	ck_assert_ptr_null(lc_script_load("/nonexistent/chat", &e));
	ck_assert_int_eq(e.code, ENOENT);
	ck_assert_str_eq(e.msg,
	    "script /nonexistent/chat: No such file or directory");
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, "'' PING\n+PONG 'x\n", 17), 17);
	close(fd);
	ck_assert_ptr_null(lc_script_load(path, &e));
	snprintf(msg, sizeof(msg), "%s:2:7: unterminated quote", path);
	ck_assert_str_eq(e.msg, msg);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "'' PING +PONG\n", 14), 14);
	close(fd);
	s = lc_script_load(path, &e);
	ck_assert_msg(s != NULL, "%s", e.msg);
	ck_assert_str_eq(dump(s), "E[] S[PING] E[+PONG]");
	lc_script_free(s);
	unlink(path);
}
END_TEST

/* ---- a fake peer -------------------------------------------------------- */

enum { DATA, SILENT, END, RESET, FLOOD };

struct chunk {
	int kind;
	int after;		/* delivered once we made this many writes */
	const char *data;	/* FLOOD: NULL, len bytes of 'x' */
	size_t len;
};

#define CH(after, s)	{ DATA, after, s, sizeof(s) - 1 }

struct fake {
	const struct chunk *c;
	size_t nc, i, off;
	int writes, nosilence;
	size_t maxread;
	char out[4096], said[4096], echoed[4096];
	size_t outlen, saidlen, echolen;
};

static void
append(char *buf, size_t *len, size_t cap, const void *p, size_t n)
{
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(buf + *len, p, n);
	*len += n;
	buf[*len] = '\0';
}

/* A chunk not yet due (or SILENT) is the peer saying nothing until the
 * deadline: report that at once, as if the time had passed. */
static ssize_t
fake_read(void *arg, void *buf, size_t n, int64_t deadline)
{
	struct fake *f = arg;
	const struct chunk *c;
	size_t k;

	if (n > f->maxread)
		f->maxread = n;
	if (f->i == f->nc)
		return 0;
	c = &f->c[f->i];
	if (c->after > f->writes || c->kind == SILENT) {
		f->i += c->kind == SILENT;
		errno = ETIMEDOUT;
		return -1;
	}
	if (c->kind == END)
		return 0;
	if (c->kind == RESET) {
		errno = ECONNRESET;
		return -1;
	}
	k = c->len - f->off < n ? c->len - f->off : n;
	if (c->kind == FLOOD)
		memset(buf, 'x', k);
	else
		memcpy(buf, c->data + f->off, k);
	if ((f->off += k) == c->len) {
		f->i++;
		f->off = 0;
	}
	return (ssize_t)k;
}

static int
fake_write(void *arg, const void *buf, size_t n, int64_t deadline)
{
	struct fake *f = arg;

	f->writes++;
	append(f->out, &f->outlen, sizeof(f->out), buf, n);
	return 0;
}

static void
fake_echo(void *arg, const void *buf, size_t n)
{
	struct fake *f = arg;

	append(f->echoed, &f->echolen, sizeof(f->echoed), buf, n);
}

static void
fake_say(void *arg, const char *msg, size_t n)
{
	struct fake *f = arg;

	append(f->said, &f->saidlen, sizeof(f->said), msg, n);
}

/* Run text against the peer chunks; f is left for inspection. */
static int
run(struct fake *f, const char *text, const struct chunk *c, size_t nc,
    const struct lc_script_opts *o)
{
	struct lc_io io = { f, fake_read, fake_write, fake_echo, fake_say };
	struct lc_script *s;
	struct sk_err e;
	int rc;

	memset(f, 0, sizeof(*f));
	f->c = c;
	f->nc = nc;
	s = lc_script_parse(text, strlen(text), "t", &e);
	ck_assert_msg(s != NULL, "%s", e.msg);
	rc = lc_script_run(s, &io, o);
	lc_script_free(s);
	return rc;
}

#define RUN(f, text, chunks, o) \
	run(f, text, chunks, sizeof(chunks) / sizeof(chunks[0]), o)

START_TEST(run_redis_ping_set_get)
{
	static const struct chunk c[] = {
		CH(1, "+PONG\r\n"), CH(2, "+OK\r\n"), CH(3, "$1\r\nv\r\n"),
	};
	struct fake f;

	ck_assert_int_eq(RUN(&f, "ABORT -ERR '' PING +PONG 'SET k v' +OK "
	    "'GET k' v", c, NULL), LC_EXIT_OK);
	ck_assert_str_eq(f.out, "PING\r\nSET k v\r\nGET k\r\n");
	ck_assert_str_eq(f.said, "");
}
END_TEST

static const struct {
	const char *script, *reply;
	int want;
} aborts[] = {
	{ "ABORT -ERR ABORT -WRONGTYPE '' x +OK", "-ERR unknown\r\n", 4 },
	{ "ABORT -ERR ABORT -WRONGTYPE '' x +OK", "-WRONGTYPE Op\r\n", 5 },
	{ "ABORT BUSY '' x CONNECT", "BUSY\r\nCONNECT\r\n", 4 },
	{ "ABORT BUSY '' x CONNECT", "CONNECT\r\nBUSY\r\n", 0 },
	/* Ending on the same byte: the expect wins, as in chat(8). */
	{ "ABORT -ERR '' x ERR", "-ERR\r\n", 0 },
	{ "ABORT A ABORT B CLR_ABORT A '' x +OK", "B\r\n", 4 },
	/* ABORT strings are looked for only while an expect waits. */
	{ "ABORT X '' x +OK y", "+OK\r\nX\r\n", 0 },
};

START_TEST(run_abort_exits_4_plus_index)
{
	struct chunk c[] = { { DATA, 1, aborts[_i].reply,
	    strlen(aborts[_i].reply) } };
	struct fake f;

	ck_assert_msg(RUN(&f, aborts[_i].script, c, NULL) == aborts[_i].want,
	    "case %d: said %s", _i, f.said);
	if (aborts[_i].want >= LC_EXIT_ABORT)
		ck_assert_msg(strstr(f.said, "linechat: got ABORT string") != NULL,
		    "case %d: said %s", _i, f.said);
}
END_TEST

START_TEST(run_timeout_exits_3_and_names_the_expect)
{
	static const struct chunk c[] = { { SILENT, 0, NULL, 0 } };
	struct fake f;
	int64_t t0 = sk_now_ms();

	ck_assert_int_eq(RUN(&f, "TIMEOUT 1 '' PING +PONG", c, NULL), LC_EXIT_NET);
	ck_assert_str_eq(f.said, "linechat: timeout waiting for \"+PONG\"\n");
	ck_assert_int_lt(sk_now_ms() - t0, 500);
}
END_TEST

START_TEST(run_eof_and_reset_exit_3)
{
	static const struct chunk eof[] = { CH(1, "+PO"), { END, 0, NULL, 0 } };
	static const struct chunk rst[] = { { RESET, 0, NULL, 0 } };
	struct fake f;

	ck_assert_int_eq(RUN(&f, "'' PING +PONG", eof, NULL), LC_EXIT_NET);
	ck_assert_str_eq(f.said,
	    "linechat: peer closed while waiting for \"+PONG\"\n");
	ck_assert_int_eq(RUN(&f, "'' PING ~/\\r\\n/", rst, NULL), LC_EXIT_NET);
	ck_assert_str_eq(f.said, "linechat: read while waiting for "
	    "\"~/\\r\\n/\": Connection reset by peer\n");
}
END_TEST

START_TEST(run_subexpect_sends_alternate_on_timeout)
{
	static const struct chunk c1[] = { CH(1, "login: "), CH(2, "Pass") };
	static const struct chunk c2[] = { CH(2, "third\r\n") };
	static const struct chunk c3[] = {
		{ SILENT, 0, NULL, 0 }, { SILENT, 0, NULL, 0 },
	};
	struct fake f;

	/* The first "ogin:" times out (nothing written yet). */
	ck_assert_int_eq(RUN(&f, "ogin:--ogin: user ass", c1, NULL), 0);
	ck_assert_str_eq(f.out, "\r\nuser\r\n");
	ck_assert_int_eq(RUN(&f, "a-b-c-d-third", c2, NULL), 0);
	ck_assert_str_eq(f.out, "b\r\nd\r\n");
	/* A last sub-send without a sub-expect ends the wait. */
	ck_assert_int_eq(RUN(&f, "a-b", c3, NULL), 0);
	ck_assert_str_eq(f.out, "b\r\n");
	ck_assert_int_eq(RUN(&f, "a-b-c", c3, NULL), LC_EXIT_NET);
	ck_assert_str_eq(f.said, "linechat: timeout waiting for \"c\"\n");
}
END_TEST

START_TEST(run_line_endings_follow_opts_and_backslash_c)
{
	static const struct chunk none[] = { { END, 0, NULL, 0 } };
	struct lc_script_opts o = { 0 };
	struct fake f;

	ck_assert_int_eq(RUN(&f, "'' abc '' 'de\\c' '' ''", none, NULL), 0);
	ck_assert_str_eq(f.out, "abc\r\nde\r\n");
	o.eol = "\n";
	ck_assert_int_eq(RUN(&f, "'' abc '' 'de\\c'", none, &o), 0);
	ck_assert_str_eq(f.out, "abc\nde");
	o.eol = "";
	ck_assert_int_eq(RUN(&f, "'' abc '' EOT", none, &o), 0);
	ck_assert_str_eq(f.out, "abc\x04");
}
END_TEST

START_TEST(run_echo_say_and_report)
{
	static const struct chunk c[] = {
		CH(1, "+OK ready\r\n+PO"), CH(1, "NG\r\nrest +OK tail"),
	};
	struct fake f;

	ck_assert_int_eq(RUN(&f, "SAY 'dialing\\n' '' x +PONG", c, NULL), 0);
	ck_assert_str_eq(f.said, "dialing\n");
	ck_assert_str_eq(f.echoed, "");
	ck_assert_int_eq(RUN(&f, "ECHO ON '' x +PONG", c, NULL), 0);
	ck_assert_str_eq(f.echoed, "+OK ready\r\n+PONG\r\nrest +OK tail");
	/* The line of each REPORT string, from the string on; the partial
	 * last line is reported at the end. */
	ck_assert_int_eq(RUN(&f, "REPORT +OK '' x +PONG y tail", c, NULL), 0);
	ck_assert_str_eq(f.said, "linechat: report: +OK ready\n"
	    "linechat: report: +OK tail\n");
}
END_TEST

START_TEST(run_regex_expects_match_per_line)
{
	static const struct chunk ok[] = { CH(1, "x\r\n+OK 42 items\r\n") };
	static const struct chunk mid[] = {
		CH(1, "x+OK 42\r\n"), { END, 0, NULL, 0 },
	};
	static const struct chunk nul[] = { CH(1, "a\0b\r\n$3\r\nabc\r\n") };
	struct fake f;

	ck_assert_int_eq(RUN(&f, "'' x '~/^\\+OK [0-9]+ items\\r$/'", ok, NULL), 0);
	ck_assert_int_eq(RUN(&f, "'' x ~/^\\+OK/", mid, NULL), LC_EXIT_NET);
	/* NUL bytes do not end the data a regex sees. */
	ck_assert_int_eq(RUN(&f, "'' x ~/^\\$[0-9]+\\r$/ y ~/^abc/", nul,
	    NULL), 0);
	ck_assert_int_eq(RUN(&f, "'' x ~/b\\r/ y ~/abc/", nul, NULL), 0);
}
END_TEST

START_TEST(run_match_consumes_window_up_to_its_end)
{
	static const struct chunk c[] = { CH(1, "+PONG\r\n+OK\r\n+PONG\r\n") };
	static const struct chunk c2[] = { CH(1, "+PONG\r\n"), { END, 0, NULL, 0 } };
	struct fake f;

	ck_assert_int_eq(RUN(&f, "'' x +PONG y +OK z +PONG", c, NULL), 0);
	ck_assert_int_eq(RUN(&f, "'' x +PONG y +PONG", c2, NULL), LC_EXIT_NET);
}
END_TEST

START_TEST(run_window_stays_bounded_under_a_flood)
{
	static const struct chunk hit[] = {
		CH(1, "MAT"), { FLOOD, 1, NULL, 1 << 20 }, CH(1, "MATCH\r\n"),
	};
	static const struct chunk miss[] = {
		{ FLOOD, 1, NULL, 1 << 20 }, { END, 0, NULL, 0 },
	};
	struct lc_script_opts o = { 0 };
	struct fake f;

	o.window = 4096;
	ck_assert_int_eq(RUN(&f, "ABORT MATX '' x MATCH", hit, &o), 0);
	ck_assert_int_le(f.maxread, 4096);
	ck_assert_int_eq(RUN(&f, "'' x MATCH", miss, &o), LC_EXIT_NET);
	ck_assert_int_le(f.maxread, 4096);
	ck_assert_int_eq(RUN(&f, "'' x ~/M[A-Z]+H/", miss, NULL), LC_EXIT_NET);
	ck_assert_int_le(f.maxread, LC_SCRIPT_WINDOW);
}
END_TEST

/* A peer that never pauses cannot keep an expect waiting past TIMEOUT. */
static ssize_t
endless_read(void *arg, void *buf, size_t n, int64_t deadline)
{
	memset(buf, 'x', n);
	return (ssize_t)n;
}

START_TEST(run_timeout_holds_against_a_peer_that_never_pauses)
{
	struct fake f;
	struct lc_io io = { &f, endless_read, fake_write, NULL, fake_say };
	struct lc_script *s;
	struct sk_err e;
	int64_t t0 = sk_now_ms();

	memset(&f, 0, sizeof(f));
	s = lc_script_parse("TIMEOUT 1 '' x ~/y+z/", 21, "t", &e);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(lc_script_run(s, &io, NULL), LC_EXIT_NET);
	ck_assert_int_lt(sk_now_ms() - t0, 2500);
	ck_assert_int_ge(sk_now_ms() - t0, 1000);
	lc_script_free(s);
}
END_TEST

START_TEST(run_pauses_split_writes_and_sleep)
{
	static const struct chunk none[] = { { END, 0, NULL, 0 } };
	struct lc_script_opts o = { 0 };
	struct fake f;
	int64_t t0 = sk_now_ms();

	ck_assert_int_eq(RUN(&f, "'' 'a\\pb\\pc'", none, NULL), 0);
	ck_assert_int_ge(sk_now_ms() - t0, 200);
	ck_assert_str_eq(f.out, "abc\r\n");
	ck_assert_int_eq(f.writes, 3);
	o.no_delay = 1;
	t0 = sk_now_ms();
	ck_assert_int_eq(RUN(&f, "'' 'a\\d\\db'", none, &o), 0);
	ck_assert_int_lt(sk_now_ms() - t0, 500);
	ck_assert_str_eq(f.out, "ab\r\n");
}
END_TEST

/* The -v trace with its times made "N ms", so it can be compared. */
static void
unstamp(char *s)
{
	char *p = s, *q = s;

	while (*p != '\0') {
		if (*p >= '0' && *p <= '9') {
			char *d = p;

			while (*d >= '0' && *d <= '9')
				d++;
			if (strncmp(d, " ms", 3) == 0) {
				*q++ = 'N';
				p = d;
				continue;
			}
		}
		*q++ = *p++;
	}
	*q = '\0';
}

START_TEST(run_verbose_hides_quiet_sends)
{
	static const struct chunk c[] = { CH(2, "+OK\r\n") };
	struct lc_script_opts o = { 0 };
	struct fake f;

	o.verbose = 1;
	ck_assert_int_eq(RUN(&f, "'' 'user x' '' 'pass secret\\q' +OK", c, &o), 0);
	unstamp(f.said);
	ck_assert_str_eq(f.said, "linechat: N ms: send \"user x\"\n"
	    "linechat: N ms: send \"??????\"\n"
	    "linechat: N ms: expect \"+OK\"\n"
	    "linechat: N ms: got \"+OK\" in N ms\n");
	ck_assert_str_eq(f.out, "user x\r\npass secret\r\n");
}
END_TEST

/* A peer that answers after 300 ms. */
static ssize_t
slow_read(void *arg, void *buf, size_t n, int64_t deadline)
{
	struct fake *f = arg;

	if (f->i++ > 0)
		return 0;
	sk_sleep_until(sk_deadline_in(300));
	memcpy(buf, "+OK\r\n", 5);
	return 5;
}

START_TEST(run_verbose_traces_expects_sends_and_timeouts_with_times)
{
	static const struct chunk c[] = { CH(2, "+OK\r\n") };
	struct lc_script_opts o = { 0 };
	struct fake f;
	struct lc_io io = { &f, slow_read, fake_write, NULL, fake_say };
	struct lc_script *s;
	struct sk_err e;
	unsigned got_ms, at_ms;
	const char *p;

	o.verbose = 1;
	memset(&f, 0, sizeof(f));
	s = lc_script_parse("'' x +OK", 8, "t", &e);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(lc_script_run(s, &io, &o), 0);
	lc_script_free(s);
	/* The expect waited for the peer's 300 ms: both times say so. */
	p = strstr(f.said, "linechat: ");
	p = p != NULL ? strstr(p + 1, "linechat: ") : NULL;
	p = p != NULL ? strstr(p + 1, "linechat: ") : NULL;
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "linechat: %u ms: got \"+OK\" in %u ms",
	    &at_ms, &got_ms), 2);
	ck_assert_uint_ge(got_ms, 250);
	ck_assert_uint_lt(got_ms, 2000);
	ck_assert_uint_ge(at_ms, got_ms);
	unstamp(f.said);
	ck_assert_str_eq(f.said, "linechat: N ms: send \"x\"\n"
	    "linechat: N ms: expect \"+OK\"\n"
	    "linechat: N ms: got \"+OK\" in N ms\n");
	/* A sub-expect: the timeout and the alternate send are traced. */
	ck_assert_int_eq(RUN(&f, "'' x NEVER-again-+OK", c, &o), 0);
	unstamp(f.said);
	ck_assert_str_eq(f.said, "linechat: N ms: send \"x\"\n"
	    "linechat: N ms: expect \"NEVER\"\n"
	    "linechat: N ms: \"NEVER\": timed out after N ms\n"
	    "linechat: N ms: send \"again\"\n"
	    "linechat: N ms: expect \"+OK\"\n"
	    "linechat: N ms: got \"+OK\" in N ms\n");
}
END_TEST

Suite *
script_suite(void)
{
	Suite *s = suite_create("script");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, parse_builds_chat_steps, 0,
	    sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, parse_rejects_bad_scripts_with_line_and_column,
	    0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, parse_bounds_words_abort_strings_and_size);
	tcase_add_test(tc, load_names_the_file_in_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("run");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, run_redis_ping_set_get);
	tcase_add_loop_test(tc, run_abort_exits_4_plus_index, 0,
	    sizeof(aborts) / sizeof(aborts[0]));
	tcase_add_test(tc, run_timeout_exits_3_and_names_the_expect);
	tcase_add_test(tc, run_eof_and_reset_exit_3);
	tcase_add_test(tc, run_subexpect_sends_alternate_on_timeout);
	tcase_add_test(tc, run_line_endings_follow_opts_and_backslash_c);
	tcase_add_test(tc, run_echo_say_and_report);
	tcase_add_test(tc, run_regex_expects_match_per_line);
	tcase_add_test(tc, run_match_consumes_window_up_to_its_end);
	tcase_add_test(tc, run_window_stays_bounded_under_a_flood);
	tcase_add_test(tc, run_timeout_holds_against_a_peer_that_never_pauses);
	tcase_add_test(tc, run_pauses_split_writes_and_sleep);
	tcase_add_test(tc, run_verbose_hides_quiet_sends);
	tcase_add_test(tc, run_verbose_traces_expects_sends_and_timeouts_with_times);
	suite_add_tcase(s, tc);
	return s;
}
