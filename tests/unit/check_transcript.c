#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "linechat/transcript.h"
#include "unit.h"

#define HDR "# linechat transcript v1 host=h service=s date=x\n"

/* --- writer --------------------------------------------------------------- */

/* A log on a memstream; text() closes it and returns what was written. */
struct mem {
	char *buf;
	size_t len;
	struct lc_log *lg;
};

static void
mem_open(struct mem *m, const char *host, const char *service)
{
	struct sk_err e;
	FILE *fp;

	m->buf = NULL;
	m->len = 0;
	ck_assert_ptr_nonnull(fp = open_memstream(&m->buf, &m->len));
	m->lg = lc_log_fopen(fp, "mem", host, service, &e);
	ck_assert_msg(m->lg != NULL, "%s", e.msg);
}

static const char *
mem_text(struct mem *m)
{
	struct sk_err e;

	ck_assert_msg(lc_log_close(m->lg, &e) == 0, "%s", e.msg);
	return m->buf;
}

/* The text after the header line. */
static const char *
body(const char *s)
{
	const char *p = strchr(s, '\n');

	ck_assert_ptr_nonnull(p);
	return p + 1;
}

/* Bytes with a letter escape (transcript.h), and the letter. */
static const struct {
	unsigned char byte;
	char sym;
} specials[] = {
	{ '\\', '\\' }, { '\r', 'r' }, { '\n', 'n' }, { '\t', 't' }, { 0, '0' },
};

START_TEST(escape_matches_the_documented_form_for_every_byte)
{
	char got[8], want[8];
	unsigned char c = (unsigned char)_i;
	size_t k, n;

	if (c >= 0x20 && c < 0x7f)
		snprintf(want, sizeof(want), "%c", c);
	else
		snprintf(want, sizeof(want), "\\x%02x", c);
	for (k = 0; k < sizeof(specials) / sizeof(specials[0]); k++)
		if (specials[k].byte == c)
			snprintf(want, sizeof(want), "\\%c", specials[k].sym);
	n = lc_escape(got, &c, 1);
	ck_assert_msg(strcmp(got, want) == 0 && n == strlen(want),
	    "byte 0x%02x: want %s, got %s", c, want, got);
}
END_TEST

START_TEST(log_round_trips_every_byte_value)
{
	unsigned char all[512], back[512];
	const struct lc_event *ev;
	struct lc_transcript *t;
	struct sk_err e;
	struct mem m;
	const char *s;
	size_t i, n = 0;

	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(i * 7 + 3);
	mem_open(&m, "h", "s");
	lc_log_start(m.lg);
	ck_assert_int_eq(lc_log_data(m.lg, '<', all, sizeof(all)), 0);
	ck_assert_int_eq(lc_log_data(m.lg, '>', all, 256), 0);
	s = mem_text(&m);
	for (i = 0; s[i] != '\0'; i++)
		ck_assert_msg(s[i] == '\n' || (s[i] >= 0x20 && s[i] < 0x7f),
		    "byte 0x%02x at %zu", (unsigned char)s[i], i);
	t = lc_transcript_parse("mem", m.buf, m.len, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	for (i = 0; i < lc_transcript_count(t); i++) {
		ev = lc_transcript_event(t, i);
		if (ev->dir == '<') {
			memcpy(back + n, ev->data, ev->len);
			n += ev->len;
		}
	}
	ck_assert_uint_eq(n, sizeof(all));
	ck_assert(memcmp(back, all, n) == 0);
	lc_transcript_free(t);
	free(m.buf);
}
END_TEST

START_TEST(log_ends_each_line_right_after_an_lf)
{
	struct mem m;

	mem_open(&m, "h", "s");
	lc_log_data(m.lg, '<', "a\r\nb\r\n", 6);
	lc_log_data(m.lg, '>', "no newline", 10);
	lc_log_data(m.lg, '<', "x\n\ny", 4);
	ck_assert_str_eq(body(mem_text(&m)),
	    "0 < a\\r\\n\n"
	    "0 < b\\r\\n\n"
	    "0 > no newline\n"
	    "0 < x\\n\n"
	    "0 < \\n\n"
	    "0 < y\n");
	free(m.buf);
}
END_TEST

START_TEST(log_splits_long_chunks_to_keep_lines_bounded)
{
	static char big[3 * LC_LOG_LINE_BYTES + 5];
	struct lc_transcript *t;
	struct sk_err e;
	struct mem m;
	size_t i;

	memset(big, 'z', sizeof(big));
	mem_open(&m, "h", "s");
	lc_log_data(m.lg, '<', big, sizeof(big));
	mem_text(&m);
	t = lc_transcript_parse("mem", m.buf, m.len, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_uint_eq(lc_transcript_count(t), 4);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(lc_transcript_event(t, i)->len,
		    LC_LOG_LINE_BYTES);
	ck_assert_uint_eq(lc_transcript_event(t, 3)->len, 5);
	lc_transcript_free(t);
	free(m.buf);
}
END_TEST

START_TEST(log_header_names_host_service_and_utc_date)
{
	char date[32];
	struct mem m;
	const char *s;
	int n = 0;

	mem_open(&m, "whois.example", "who is");
	s = mem_text(&m);
	ck_assert_msg(sscanf(s, "# linechat transcript v1 host=whois.example "
	    "service=who\\x20is date=%31s%n", date, &n) == 1, "%s", s);
	ck_assert_msg(strlen(date) == 20 && date[4] == '-' && date[10] == 'T' &&
	    date[19] == 'Z', "date %s", date);
	ck_assert_int_eq(s[n], '\n');
	ck_assert_int_eq(s[n + 1], '\0');
	free(m.buf);
}
END_TEST

START_TEST(log_times_events_from_start_and_escapes_event_text)
{
	long long ms;
	struct mem m;
	const char *s;
	char rest[64];

	mem_open(&m, "h", "s");
	lc_log_event(m.lg, "trying %s", "198.18.0.2");
	lc_log_start(m.lg);
	sk_sleep_until(sk_deadline_in(60));
	lc_log_event(m.lg, "peer closed\n\"%d\"", 7);
	s = body(mem_text(&m));
	ck_assert(strncmp(s, "0 * trying 198.18.0.2\n", 22) == 0);
	ck_assert_int_eq(sscanf(s + 22, "%lld * %63[^\n]", &ms, rest), 2);
	ck_assert_msg(ms >= 60 && ms < 1000, "ms %lld", ms);
	ck_assert_str_eq(rest, "peer closed\\n\"7\"");
	free(m.buf);
}
END_TEST

/* A "disk" that takes cap bytes, then fails with ENOSPC. */
static ssize_t
full_write(void *cookie, const char *buf, size_t n)
{
	size_t *room = cookie;

	if (n > *room) {
		errno = ENOSPC;
		return -1;
	}
	*room -= n;
	return (ssize_t)n;
}

START_TEST(log_reports_a_full_disk_instead_of_losing_lines)
{
	cookie_io_functions_t fns = { .write = full_write };
	size_t room = 200;
	struct lc_log *lg;
	struct sk_err e;
	char big[300];
	FILE *fp;

	ck_assert_ptr_null(lc_log_open("/dev/full", "h", "s", &e));
	ck_assert_str_eq(e.msg, "write /dev/full: No space left on device");
	ck_assert_int_eq(e.code, ENOSPC);

	ck_assert_ptr_nonnull(fp = fopencookie(&room, "w", fns));
	ck_assert_ptr_nonnull(lg = lc_log_fopen(fp, "disk.log", "h", "s", &e));
	ck_assert_int_eq(lc_log_data(lg, '>', "ok\n", 3), 0);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(lc_log_data(lg, '<', big, sizeof(big)), -1);
	ck_assert_int_eq(lc_log_event(lg, "later"), -1);
	ck_assert_int_eq(lc_log_close(lg, &e), -1);
	ck_assert_str_eq(e.msg, "write disk.log: No space left on device");
}
END_TEST

/* --- reader --------------------------------------------------------------- */

static const struct {
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *msg;
} bad[] = {
	{ HDR "12 x hi\n", 0,
	  "t.log:2: bad direction \"x\" (want '>', '<' or '*')" },
	{ HDR "12 <> hi\n", 0,
	  "t.log:2: bad direction \"<>\" (want '>', '<' or '*')" },
	{ HDR "1x > hi\n", 0, "t.log:2: bad time \"1x\": invalid" },
	{ HDR "-1 > hi\n", 0, "t.log:2: bad time \"-1\": too small" },
	{ HDR "10000000000000 > hi\n", 0,
	  "t.log:2: bad time \"10000000000000\": too large" },
	{ HDR " 1 > hi\n", 0, "t.log:2: bad time \"\": invalid" },
	{ HDR "1 > a\\qb\n", 0, "t.log:2: bad escape \"\\q\" at column 6" },
	{ HDR "1 > a\\x4g\n", 0, "t.log:2: bad escape \"\\x4g\" at column 6" },
	{ HDR "1 > a\\x4\n", 0, "t.log:2: bad escape \"\\x4\" at column 6" },
	{ HDR "1 > a\\\n", 0,
	  "t.log:2: bad escape \"\\\" at column 6 (end of line)" },
	{ HDR "1 > caf\xc3\xa9\n", 0, "t.log:2: byte 0xc3 at column 8 is not "
	  "printable ASCII (write \\xc3)" },
	{ HDR "1 > a\r\n", 0, "t.log:2: byte 0x0d at column 6 is not "
	  "printable ASCII (write \\x0d)" },
	{ HDR "1 > a\0b\n", sizeof(HDR) - 1 + 8, "t.log:2: byte 0x00 at "
	  "column 6 is not printable ASCII (write \\x00)" },
	{ HDR "# note: caf\xc3\xa9\n", 0, "t.log:2: byte 0xc3 at column 12 "
	  "is not printable ASCII (write \\xc3)" },
	{ HDR "12\n", 0, "t.log:2: missing fields (want \"MS DIR BYTES\")" },
	{ HDR "12 >\n", 0, "t.log:2: missing fields (want \"MS DIR BYTES\")" },
	{ HDR "12 > \n", 0, "t.log:2: missing fields (want \"MS DIR BYTES\")" },
	{ HDR "# c\n\n5 > a\n3 < b\n", 0,
	  "t.log:5: time 3 is before the previous line's 5" },
	{ HDR "1 > a", 0, "t.log:2: no newline at end of file (truncated?)" },
	{ "hello\n", 0, "t.log:1: not a linechat transcript "
	  "(want \"# linechat transcript v1\" on line 1)" },
	{ "", 0, "t.log:1: not a linechat transcript "
	  "(want \"# linechat transcript v1\" on line 1)" },
	{ "\n" HDR, 0, "t.log:1: not a linechat transcript "
	  "(want \"# linechat transcript v1\" on line 1)" },
	{ "# linechat transcript v2 host=h\n", 0,
	  "t.log:1: unsupported transcript version \"v2\" (want v1)" },
	{ "# linechat transcript v10\n", 0,
	  "t.log:1: unsupported transcript version \"v10\" (want v1)" },
};

START_TEST(reader_names_file_and_line_of_a_bad_line)
{
	size_t len = bad[_i].len ? bad[_i].len : strlen(bad[_i].text);
	struct sk_err e;

	sk_err_clear(&e);
	ck_assert_msg(lc_transcript_parse("t.log", bad[_i].text, len, &e) ==
	    NULL, "case %d accepted", _i);
	ck_assert_msg(strcmp(e.msg, bad[_i].msg) == 0,
	    "case %d: want %s, got %s", _i, bad[_i].msg, e.msg);
	ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

START_TEST(reader_rejects_a_line_longer_than_the_bound)
{
	size_t h = sizeof(HDR) - 1, n = h + LC_TRANSCRIPT_LINE_MAX + 1;
	char *s = malloc(n + 1);
	struct lc_transcript *t;
	struct sk_err e;

	/* "1 > aaa...a\n", exactly LC_TRANSCRIPT_LINE_MAX bytes before LF. */
	memcpy(s, HDR "1 > ", h + 4);
	memset(s + h + 4, 'a', LC_TRANSCRIPT_LINE_MAX - 4);
	s[n - 1] = '\n';
	t = lc_transcript_parse("t.log", s, n, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_uint_eq(lc_transcript_event(t, 0)->len,
	    LC_TRANSCRIPT_LINE_MAX - 4);
	lc_transcript_free(t);
	/* One byte more. */
	memcpy(s + n - 1, "a\n", 2);
	ck_assert_ptr_null(lc_transcript_parse("t.log", s, n + 1, &e));
	ck_assert_str_eq(e.msg, "t.log:2: line longer than 65536 bytes");
	free(s);
}
END_TEST

START_TEST(reader_decodes_events_and_skips_comments_and_blank_lines)
{
	static const char text[] = HDR "# a comment\n\n"
	    "0 * connected\n3 > PING\\r\\n\n4 <  +PONG\\x0D\\n\n4 < \\0\\\\\n";
	const struct lc_event *ev;
	struct lc_transcript *t;
	struct sk_err e;

	t = lc_transcript_parse("t.log", text, sizeof(text) - 1, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_uint_eq(lc_transcript_count(t), 4);
	ev = lc_transcript_event(t, 0);
	ck_assert(ev->dir == '*' && ev->line == 4 && ev->len == 9 &&
	    memcmp(ev->data, "connected", 9) == 0);
	ev = lc_transcript_event(t, 1);
	ck_assert(ev->dir == '>' && ev->ms == 3 && ev->line == 5 &&
	    ev->len == 6 && memcmp(ev->data, "PING\r\n", 6) == 0);
	ev = lc_transcript_event(t, 2);
	ck_assert(ev->dir == '<' && ev->ms == 4 && ev->len == 8 &&
	    memcmp(ev->data, " +PONG\r\n", 8) == 0 && ev->rxoff == 0);
	ev = lc_transcript_event(t, 3);
	ck_assert(ev->len == 2 && memcmp(ev->data, "\0\\", 2) == 0 &&
	    ev->rxoff == 8);
	ck_assert_ptr_null(lc_transcript_event(t, 4));
	lc_transcript_free(t);
}
END_TEST

START_TEST(load_refuses_missing_and_oversized_files)
{
	char path[] = "/tmp/check_transcript.XXXXXX";
	struct lc_transcript *t;
	struct sk_err e;
	int fd;

	ck_assert_ptr_null(lc_transcript_load("/nonexistent/t.log", &e));
	ck_assert_str_eq(e.msg, "open /nonexistent/t.log: No such file or "
	    "directory");
	ck_assert_int_eq(e.code, ENOENT);

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, HDR "7 > hi\\n\n", sizeof(HDR) - 1 + 9),
	    (ssize_t)sizeof(HDR) - 1 + 9);
	t = lc_transcript_load(path, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_uint_eq(lc_transcript_count(t), 1);
	lc_transcript_free(t);
	/* Sparse: the size alone must be refused, without reading it. */
	ck_assert_int_eq(ftruncate(fd, LC_TRANSCRIPT_MAX + 1), 0);
	ck_assert_ptr_null(lc_transcript_load(path, &e));
	ck_assert_int_eq(e.code, EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, ": larger than 67108864 bytes"));
	close(fd);
	unlink(path);
}
END_TEST

/* --- replay with an in-memory peer ---------------------------------------- */

/* Once the peer has been sent `after` bytes, it answers reply, delay_ms
 * later. */
struct step {
	size_t after;
	const char *reply;
	int delay_ms;
};

struct fake {
	const struct step *steps;
	size_t nsteps, next;
	int64_t ready_at;		/* when steps[next] answers; -1 unset */
	char out[1024];
	size_t outlen, outpos;
	size_t chunk;			/* bytes per read; 0 any */
	int close_at_end;		/* EOF once every reply was read */
	int fail;			/* read fails with this errno */
	size_t nsent, nwrites;
	int64_t t0, write_ms[8];
	size_t read_at_write[8];	/* bytes the replayer had read */
};

static void
fake_release(struct fake *f)
{
	int64_t now = sk_now_ms();

	size_t n;

	while (f->next < f->nsteps && f->nsent >= f->steps[f->next].after) {
		if (f->ready_at < 0)
			f->ready_at = now + f->steps[f->next].delay_ms;
		if (now < f->ready_at)
			break;
		n = strlen(f->steps[f->next].reply);

		ck_assert_uint_le(f->outlen + n, sizeof(f->out));
		memcpy(f->out + f->outlen, f->steps[f->next].reply, n);
		f->outlen += n;
		f->next++;
		f->ready_at = -1;
	}
}

static ssize_t
fake_read(void *arg, void *buf, size_t n, int64_t deadline)
{
	struct fake *f = arg;
	int64_t wake;

	for (;;) {
		fake_release(f);
		if (f->outpos < f->outlen) {
			if (n > f->outlen - f->outpos)
				n = f->outlen - f->outpos;
			if (f->chunk > 0 && n > f->chunk)
				n = f->chunk;
			memcpy(buf, f->out + f->outpos, n);
			f->outpos += n;
			return (ssize_t)n;
		}
		if (f->fail) {
			errno = f->fail;
			return -1;
		}
		if (f->next == f->nsteps && f->close_at_end)
			return 0;
		if (sk_deadline_passed(deadline) || sk_now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		wake = f->ready_at >= 0 && f->ready_at < deadline ?
		    f->ready_at : deadline;
		ck_assert_msg(wake != SK_NEVER, "replay waits forever");
		sk_sleep_until(wake);
	}
}

static int
fake_write(void *arg, const void *buf, size_t n, int64_t deadline)
{
	struct fake *f = arg;

	if (f->nwrites < 8) {
		f->write_ms[f->nwrites] = sk_now_ms() - f->t0;
		f->read_at_write[f->nwrites] = f->outpos;
	}
	f->nwrites++;
	f->nsent += n;
	return 0;
}

/* Lines: 1 header, 2 '*', 3 '>', 4 '<', 5 '>', 6 '<', 7 '<'. */
static const char redis[] = HDR
    "0 * connected\n"
    "0 > PING\\r\\n\n"
    "1 < +PONG\\r\\n\n"
    "30 > GET k\\r\\n\n"
    "31 < $1\\r\\n\n"
    "31 < v\\r\\n\n";

/* --ignore patterns for the next replay() calls. */
static const regex_t *ignore;
static size_t nignore;

/* Replay text against steps; returns the exit code, *msg what it said. */
static int
replay(const char *text, struct fake *f, int fast, int64_t idle,
    int64_t tail, char **msg)
{
	struct lc_replay_opts o;
	struct lc_transcript *t;
	struct lc_io io = { f, fake_read, fake_write, NULL, NULL };
	struct sk_err e;
	size_t len;
	FILE *rep;
	int rc;

	t = lc_transcript_parse("t.log", text, strlen(text), &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	lc_replay_opts_init(&o);
	o.fast = fast;
	o.idle_ms = idle;
	o.tail_ms = tail;
	o.ignore = ignore;
	o.nignore = nignore;
	f->ready_at = -1;
	f->t0 = sk_now_ms();
	ck_assert_ptr_nonnull(rep = open_memstream(msg, &len));
	rc = lc_replay_run(t, &io, &o, rep);
	fclose(rep);
	lc_transcript_free(t);
	return rc;
}

#define FAKE(s)	{ .steps = (s), .nsteps = sizeof(s) / sizeof((s)[0]) }

static const struct step redis_ok[] = {
	{ 6, "+PONG\r\n", 0 }, { 13, "$1\r\nv\r\n", 0 },
};

START_TEST(replay_of_an_identical_session_exits_0_silently)
{
	struct fake f = FAKE(redis_ok);
	char *msg;

	f.chunk = _i;		/* 0: whole replies; 1..3: odd chunk edges */
	ck_assert_int_eq(replay(redis, &f, _i & 1, 500, 50, &msg), LC_EXIT_OK);
	ck_assert_str_eq(msg, "");
	ck_assert_uint_eq(f.nsent, 13);
	free(msg);
}
END_TEST

START_TEST(replay_names_the_transcript_line_of_a_changed_byte)
{
	static const struct step s[] = {
		{ 6, "+PONG\r\n", 0 }, { 13, "$1\r\nw\r\n", 0 },
	};
	struct fake f = FAKE(s);
	char *msg;

	ck_assert_int_eq(replay(redis, &f, 1, 500, 50, &msg),
	    LC_EXIT_NOREPLY);
	ck_assert_str_eq(msg, "replay: differs at transcript line 7, byte 0: "
	    "expected \"+PONG\\r\\n$1\\r\\nv\\r\\n\", "
	    "got \"+PONG\\r\\n$1\\r\\nw\\r\\n\"\n");
	free(msg);
}
END_TEST

START_TEST(replay_reports_a_peer_that_closes_early)
{
	static const struct step s[] = {
		{ 6, "+PONG\r\n", 0 }, { 13, "$1\r", 0 },
	};
	struct fake f = FAKE(s);
	char *msg;

	f.close_at_end = 1;
	ck_assert_int_eq(replay(redis, &f, 0, 500, 50, &msg),
	    LC_EXIT_NOREPLY);
	ck_assert_str_eq(msg, "replay: peer sent less than recorded, missing "
	    "data at transcript line 6, byte 3: "
	    "expected \"+PONG\\r\\n$1\\r\\nv\\r\\n\", "
	    "got \"+PONG\\r\\n$1\\r\" then end of file\n");
	free(msg);
}
END_TEST

START_TEST(replay_gives_up_on_missing_data_after_the_idle_time)
{
	static const struct step s[] = { { 6, "+PONG\r\n", 0 } };
	struct fake f = FAKE(s);
	int64_t t0 = sk_now_ms();
	char *msg;

	ck_assert_int_eq(replay(redis, &f, 1, 150, 50, &msg),
	    LC_EXIT_NOREPLY);
	ck_assert_str_eq(msg, "replay: peer sent less than recorded, missing "
	    "data at transcript line 6, byte 0: "
	    "expected \"+PONG\\r\\n$1\\r\\nv\\r\\n\", "
	    "got \"+PONG\\r\\n\" then nothing for 150 ms\n");
	ck_assert_int_ge(sk_now_ms() - t0, 150);
	ck_assert_int_lt(sk_now_ms() - t0, 1000);
	free(msg);
}
END_TEST

START_TEST(replay_reports_a_peer_that_sends_more)
{
	static const struct step s[] = {
		{ 6, "+PONG\r\n", 0 }, { 13, "$1\r\nv\r\n+EXTRA\r\n", 0 },
	};
	static const struct step late[] = {
		{ 6, "+PONG\r\n", 0 }, { 13, "$1\r\nv\r\n", 0 },
		{ 13, "-LATE\r\n", 100 },
	};
	struct fake f = FAKE(s), g = FAKE(late);
	char *msg;

	ck_assert_int_eq(replay(redis, &f, 1, 500, 50, &msg),
	    LC_EXIT_NOREPLY);
	ck_assert_str_eq(msg, "replay: peer sent more than recorded, after "
	    "transcript line 7: got \"+EXTRA\\r\\n\"\n");
	free(msg);
	/* Extra data after the last expected byte, within the tail time. */
	ck_assert_int_eq(replay(redis, &g, 1, 500, 400, &msg),
	    LC_EXIT_NOREPLY);
	ck_assert_str_eq(msg, "replay: peer sent more than recorded, after "
	    "transcript line 7: got \"-LATE\\r\\n\"\n");
	free(msg);
}
END_TEST

START_TEST(replay_reports_data_when_none_was_recorded)
{
	static const char text[] = HDR "0 > QUIT\\r\\n\n";
	static const struct step s[] = { { 0, "220 hello\r\n", 0 } };
	struct fake f = FAKE(s);
	char *msg;

	ck_assert_int_eq(replay(text, &f, 1, 500, 100, &msg),
	    LC_EXIT_NOREPLY);
	ck_assert_str_eq(msg, "replay: peer sent more than recorded, after "
	    "transcript line 1: got \"220 hello\\r\\n\"\n");
	free(msg);
}
END_TEST

/* Paced: the second request goes out at its recorded 30 ms, even though
 * the first reply comes 150 ms late; fast waits for that reply instead. */
START_TEST(replay_paces_by_the_recorded_clock_and_fast_waits_for_replies)
{
	static const struct step slow[] = {
		{ 6, "+PONG\r\n", 150 }, { 13, "$1\r\nv\r\n", 0 },
	};
	struct fake f = FAKE(slow), g = FAKE(slow);
	char *msg;

	ck_assert_int_eq(replay(redis, &f, 0, 500, 0, &msg), LC_EXIT_OK);
	ck_assert_str_eq(msg, "");
	free(msg);
	ck_assert_uint_eq(f.nwrites, 2);
	ck_assert_int_ge(f.write_ms[1], 30);
	ck_assert_int_lt(f.write_ms[1], 140);
	ck_assert_uint_eq(f.read_at_write[1], 0);

	ck_assert_int_eq(replay(redis, &g, 1, 500, 0, &msg), LC_EXIT_OK);
	free(msg);
	ck_assert_uint_eq(g.nwrites, 2);
	ck_assert_int_ge(g.write_ms[1], 150);
	ck_assert_uint_eq(g.read_at_write[1], 7);
}
END_TEST

START_TEST(replay_fast_does_not_wait_for_the_recorded_time)
{
	static const char text[] = HDR "0 > a\n400 > b\n800 > c\n";
	static const struct step none[] = { { 99, "", 0 } };
	struct fake f = FAKE(none);
	int64_t t0 = sk_now_ms();
	char *msg;

	ck_assert_int_eq(replay(text, &f, 1, 500, 0, &msg), LC_EXIT_OK);
	free(msg);
	ck_assert_uint_eq(f.nwrites, 3);
	ck_assert_int_lt(sk_now_ms() - t0, 200);
}
END_TEST

static int
broken_write(void *arg, const void *buf, size_t n, int64_t deadline)
{
	errno = EPIPE;
	return -1;
}

START_TEST(replay_exits_3_on_a_write_error)
{
	struct lc_replay_opts o;
	struct lc_transcript *t;
	struct fake f = FAKE(redis_ok);
	struct lc_io io = { &f, fake_read, broken_write, NULL, NULL };
	struct sk_err e;
	char *msg;
	size_t len;
	FILE *rep;

	t = lc_transcript_parse("t.log", redis, strlen(redis), &e);
	ck_assert_ptr_nonnull(t);
	lc_replay_opts_init(&o);
	f.ready_at = -1;
	ck_assert_ptr_nonnull(rep = open_memstream(&msg, &len));
	ck_assert_int_eq(lc_replay_run(t, &io, &o, rep), LC_EXIT_NET);
	fclose(rep);
	ck_assert_str_eq(msg,
	    "replay: write (transcript line 3): Broken pipe\n");
	free(msg);
	lc_transcript_free(t);
}
END_TEST

START_TEST(replay_exits_3_on_a_read_error)
{
	static const struct step s[] = { { 6, "+PO", 0 } };
	struct fake f = FAKE(s);
	char *msg;

	f.fail = ECONNRESET;
	ck_assert_int_eq(replay(redis, &f, 1, 500, 50, &msg), LC_EXIT_NET);
	ck_assert_str_eq(msg, "replay: read: Connection reset by peer\n");
	free(msg);
}
END_TEST

/* Lines: 2 '>', 3-7 '<' (Date: is line 4). */
static const char http[] = HDR
    "0 > GET / HTTP/1.0\\r\\n\\r\\n\n"
    "1 < HTTP/1.0 200 OK\\r\\n\n"
    "1 < Date: Mon, 01 Dec 2026 10:00:00 GMT\\r\\n\n"
    "1 < Content-Length: 3\\r\\n\n"
    "1 < \\r\\n\n"
    "1 < ok\\n\n";

START_TEST(replay_ignore_leaves_a_changing_field_out_of_the_comparison)
{
	static const struct {
		const char *reply;
		const char *pattern;	/* NULL: no --ignore */
		int rc;
		const char *msg;
	} t[] = {
		{ "HTTP/1.0 200 OK\r\nDate: Tue, 02 Dec 2026 11:22:33 GMT\r\n"
		  "Content-Length: 3\r\n\r\nok\n", NULL, LC_EXIT_NOREPLY,
		  "replay: differs at transcript line 4, byte 6: expected "
		  "\"0 200 OK\\r\\nDate: Mon, 01 Dec 2026 10:00:00 GMT\\r\\nC\", "
		  "got \"0 200 OK\\r\\nDate: Tue, 02 Dec 2026 11:22:33 GMT\\r\\nC\"\n" },
		{ "HTTP/1.0 200 OK\r\nDate: Tue, 02 Dec 2026 11:22:33 GMT\r\n"
		  "Content-Length: 3\r\n\r\nok\n", "Date: .*", LC_EXIT_OK, "" },
		/* Shorter, and a pattern that stops at the CR. */
		{ "HTTP/1.0 200 OK\r\nDate: Tue, 2 Dec 2026 1:22:33 GMT\r\n"
		  "Content-Length: 3\r\n\r\nok\n", "^Date: [^\\r]*",
		  LC_EXIT_OK, "" },
		/* What is not ignored still counts, at its own line. */
		{ "HTTP/1.0 200 OK\r\nDate: Tue, 02 Dec 2026 11:22:33 GMT\r\n"
		  "Content-Length: 3\r\n\r\nko\n", "Date: .*", LC_EXIT_NOREPLY,
		  "replay: differs at transcript line 7, byte 0: expected "
		  "\"nt-Length: 3\\r\\n\\r\\nok\\n\", "
		  "got \"nt-Length: 3\\r\\n\\r\\nko\\n\"\n" },
		{ "HTTP/1.0 200 OK\r\nDate: Tue, 02 Dec 2026 11:22:33 GMT\r\n"
		  "Server: x\r\nContent-Length: 3\r\n\r\nok\n", "Date: .*",
		  LC_EXIT_NOREPLY, NULL },
		/* The Date line last, cut short by the peer closing. */
		{ "HTTP/1.0 200 OK\r\nDate: Tue, 02 Dec 20", "Date: .*",
		  LC_EXIT_NOREPLY, NULL },
	};
	struct step s[1] = { { 18, NULL, 0 } };
	struct fake f = FAKE(s);
	struct sk_err e;
	regex_t rx;
	size_t k;
	char *msg;

	for (k = 0; k < 4; k++) {
		memset(&f, 0, sizeof(f));
		f.steps = s;
		f.nsteps = 1;
		f.chunk = k * 7;	/* 0: all at once; else odd edges */
		f.close_at_end = 1;
		s[0].reply = t[_i].reply;
		nignore = 0;
		if (t[_i].pattern != NULL) {
			ck_assert_msg(lc_ignore_compile(t[_i].pattern, &rx,
			    &e) == 0, "%s", e.msg);
			ignore = &rx;
			nignore = 1;
		}
		ck_assert_int_eq(replay(http, &f, 1, 300, 0, &msg), t[_i].rc);
		if (t[_i].msg != NULL)
			ck_assert_msg(strcmp(msg, t[_i].msg) == 0,
			    "case %d, chunk %zu: %s", _i, f.chunk, msg);
		else
			ck_assert_msg(strncmp(msg, "replay: ", 8) == 0,
			    "case %d: %s", _i, msg);
		free(msg);
		if (nignore > 0)
			regfree(&rx);
		nignore = 0;
	}
}
END_TEST

START_TEST(ignore_refuses_unsafe_or_empty_patterns)
{
	static const char *const unsafe[] = {
		"x*", "(a)\\1", "a**", "(", "[", "a|",
	};
	struct sk_err e;
	regex_t rx;
	size_t i;

	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		ck_assert_msg(lc_ignore_compile(unsafe[i], &rx, &e) == -1,
		    "case %zu: %s accepted", i, unsafe[i]);
		ck_assert_msg(strncmp(e.msg, "--ignore ", 9) == 0 &&
		    e.code == EINVAL, "case %zu: %s", i, e.msg);
	}
	ck_assert_int_eq(lc_ignore_compile("Date: .*", &rx, &e), 0);
	regfree(&rx);
}
END_TEST

Suite *
transcript_suite(void)
{
	Suite *s = suite_create("transcript");
	TCase *tc;

	tc = tcase_create("writer");
	tcase_add_loop_test(tc,
	    escape_matches_the_documented_form_for_every_byte, 0, 256);
	tcase_add_test(tc, log_round_trips_every_byte_value);
	tcase_add_test(tc, log_ends_each_line_right_after_an_lf);
	tcase_add_test(tc, log_splits_long_chunks_to_keep_lines_bounded);
	tcase_add_test(tc, log_header_names_host_service_and_utc_date);
	tcase_add_test(tc, log_times_events_from_start_and_escapes_event_text);
	tcase_add_test(tc, log_reports_a_full_disk_instead_of_losing_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("reader");
	tcase_add_loop_test(tc, reader_names_file_and_line_of_a_bad_line, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, reader_rejects_a_line_longer_than_the_bound);
	tcase_add_test(tc,
	    reader_decodes_events_and_skips_comments_and_blank_lines);
	tcase_add_test(tc, load_refuses_missing_and_oversized_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("replay");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, replay_of_an_identical_session_exits_0_silently,
	    0, 4);
	tcase_add_test(tc, replay_names_the_transcript_line_of_a_changed_byte);
	tcase_add_test(tc, replay_reports_a_peer_that_closes_early);
	tcase_add_test(tc, replay_gives_up_on_missing_data_after_the_idle_time);
	tcase_add_test(tc, replay_reports_a_peer_that_sends_more);
	tcase_add_test(tc, replay_reports_data_when_none_was_recorded);
	tcase_add_test(tc,
	    replay_paces_by_the_recorded_clock_and_fast_waits_for_replies);
	tcase_add_test(tc, replay_fast_does_not_wait_for_the_recorded_time);
	tcase_add_test(tc, replay_exits_3_on_a_read_error);
	tcase_add_test(tc, replay_exits_3_on_a_write_error);
	tcase_add_loop_test(tc,
	    replay_ignore_leaves_a_changing_field_out_of_the_comparison, 0, 6);
	tcase_add_test(tc, ignore_refuses_unsafe_or_empty_patterns);
	suite_add_tcase(s, tc);
	return s;
}
