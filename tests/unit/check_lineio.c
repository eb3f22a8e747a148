#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"
#include "unit.h"

/* A socketpair (or pipe): fd[0] is read by the reader, fd[1] written. */
static void
open_pair(int fd[2], int use_pipe)
{
	if (use_pipe)
		ck_assert_int_eq(pipe(fd), 0);
	else
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
}

static void
put(int fd, const char *s, size_t n)
{
	ck_assert_int_eq(write(fd, s, n), (ssize_t)n);
}

/* --- line ends ------------------------------------------------------------ */

struct want {
	const char *data;
	enum sk_eol eol;
};

/*
 * Each chunk is written, then lines are read until the reader has to wait
 * (a short TIMEOUT), so a chunk boundary is also a read boundary.  After
 * the last chunk the writer closes; tail is what EOF must return.
 */
static const struct {
	const char *chunks[3];
	struct want lines[5];
	const char *tail;
} eol_cases[] = {
	{ { "a\nb\n" }, { { "a", SK_EOL_LF }, { "b", SK_EOL_LF } }, "" },
	{ { "a\r\nb\r\n" }, { { "a", SK_EOL_CRLF }, { "b", SK_EOL_CRLF } }, "" },
	{ { "a\rb\rc" }, { { "a", SK_EOL_CR }, { "b", SK_EOL_CR } }, "c" },
	/* CRLF split across two writes: one line end, no empty line. */
	{ { "a\r", "\nb\n" }, { { "a", SK_EOL_CR }, { "b", SK_EOL_LF } }, "" },
	/* CR at the end of data, LF much later, then more lines. */
	{ { "x\r\ny\r", "\n", "z\r\n" },
	  { { "x", SK_EOL_CRLF }, { "y", SK_EOL_CR }, { "z", SK_EOL_CRLF } }, "" },
	/* A bare CR at the end of data followed by a real line. */
	{ { "a\r", "b\n" }, { { "a", SK_EOL_CR }, { "b", SK_EOL_LF } }, "" },
	{ { "a\n\nb" }, { { "a", SK_EOL_LF }, { "", SK_EOL_LF } }, "b" },
	{ { "\r\n\r\n" }, { { "", SK_EOL_CRLF }, { "", SK_EOL_CRLF } }, "" },
	{ { "a\r\r\nb\n" },
	  { { "a", SK_EOL_CR }, { "", SK_EOL_CRLF }, { "b", SK_EOL_LF } }, "" },
	/* Only one LF after a CR is swallowed. */
	{ { "a\r", "\n\n" }, { { "a", SK_EOL_CR }, { "", SK_EOL_LF } }, "" },
	{ { "no end" }, { { NULL, 0 } }, "no end" },
	{ { "" }, { { NULL, 0 } }, "" },
};

START_TEST(line_read_splits_lf_crlf_and_bare_cr)
{
	struct sk_line_reader r;
	struct sk_line l;
	struct sk_err e;
	enum sk_line_status st;
	char buf[64];
	int fd[2], c, n = 0;

	open_pair(fd, 0);
	ck_assert_int_eq(sk_line_init(&r, fd[0], buf, sizeof(buf), 32, &e), 0);
	for (c = 0; c < 3 && eol_cases[_i].chunks[c] != NULL; c++) {
		put(fd[1], eol_cases[_i].chunks[c], strlen(eol_cases[_i].chunks[c]));
		if (c + 1 == 3 || eol_cases[_i].chunks[c + 1] == NULL)
			close(fd[1]);
		for (;;) {
			st = sk_line_read(&r, &l, sk_deadline_in(30), &e);
			if (st != SK_LINE_OK)
				break;
			ck_assert_msg(eol_cases[_i].lines[n].data != NULL,
			    "case %d: extra line '%.*s'", _i, (int)l.len, l.data);
			ck_assert_msg(l.len == strlen(eol_cases[_i].lines[n].data) &&
			    memcmp(l.data, eol_cases[_i].lines[n].data, l.len) == 0,
			    "case %d line %d: got '%.*s'", _i, n, (int)l.len, l.data);
			ck_assert_msg(l.eol == eol_cases[_i].lines[n].eol,
			    "case %d line %d: eol %d, want %d", _i, n, l.eol,
			    eol_cases[_i].lines[n].eol);
			ck_assert(!l.has_nul);
			n++;
		}
		if (st == SK_LINE_EOF)
			break;
		ck_assert_msg(st == SK_LINE_TIMEOUT, "case %d: status %s", _i,
		    sk_line_status_str(st));
	}
	ck_assert_msg(st == SK_LINE_EOF, "case %d: ended with %s", _i,
	    sk_line_status_str(st));
	ck_assert_msg(eol_cases[_i].lines[n].data == NULL,
	    "case %d: only %d lines", _i, n);
	ck_assert_msg(l.len == strlen(eol_cases[_i].tail) &&
	    memcmp(l.data, eol_cases[_i].tail, l.len) == 0,
	    "case %d: tail '%.*s'", _i, (int)l.len, l.data);
	ck_assert_int_eq(l.eol, SK_EOL_NONE);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(30), &e), SK_LINE_EOF);
	ck_assert_uint_eq(l.len, 0);
	close(fd[0]);
}
END_TEST

/* --- the bound ----------------------------------------------------------- */

START_TEST(line_read_accepts_line_of_exactly_maxline)
{
	struct sk_line_reader r;
	struct sk_line l;
	char buf[9];			/* the smallest legal buffer */
	int fd[2];

	open_pair(fd, 0);
	put(fd[1], "12345678\n87654321\r\nabcdefgh\r\n", 29);
	close(fd[1]);
	ck_assert_int_eq(sk_line_init(&r, fd[0], buf, sizeof(buf), 8, NULL), 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert_uint_eq(l.len, 8);
	ck_assert(memcmp(l.data, "12345678", 8) == 0);
	ck_assert_int_eq(l.eol, SK_EOL_LF);
	/* With a 9-byte buffer the CR is the last byte buffered. */
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert(l.len == 8 && memcmp(l.data, "87654321", 8) == 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert(l.len == 8 && memcmp(l.data, "abcdefgh", 8) == 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_EOF);
	ck_assert_uint_eq(l.len, 0);
	close(fd[0]);
}
END_TEST

START_TEST(line_read_rejects_line_longer_than_bound)
{
	struct sk_line_reader r;
	struct sk_line l;
	char buf[16], big[100];
	int fd[2];

	memset(big, 'x', sizeof(big));
	memcpy(big, "ABCDEFGH", 8);
	open_pair(fd, 0);
	put(fd[1], "123456789\nok\n", 13);
	/* A long line arriving over several reads is skipped across them. */
	put(fd[1], big, 40);
	ck_assert_int_eq(sk_line_init(&r, fd[0], buf, sizeof(buf), 8, NULL), 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL),
	    SK_LINE_TOO_LONG);
	ck_assert(l.len == 8 && memcmp(l.data, "12345678", 8) == 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert(l.len == 2 && memcmp(l.data, "ok", 2) == 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL),
	    SK_LINE_TOO_LONG);
	ck_assert(l.len == 8 && memcmp(l.data, "ABCDEFGH", 8) == 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(50), NULL),
	    SK_LINE_TIMEOUT);
	put(fd[1], big + 40, 60);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(50), NULL),
	    SK_LINE_TIMEOUT);
	put(fd[1], "\r", 1);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(50), NULL),
	    SK_LINE_TIMEOUT);
	put(fd[1], "\nnextline\n", 10);
	close(fd[1]);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert_msg(l.len == 8 && memcmp(l.data, "nextline", 8) == 0,
	    "got '%.*s'", (int)l.len, l.data);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_EOF);
	ck_assert_uint_eq(l.len, 0);
	close(fd[0]);
}
END_TEST

START_TEST(line_init_refuses_buffer_not_bigger_than_maxline)
{
	struct sk_line_reader r;
	struct sk_err e;
	char buf[8];

	ck_assert_int_eq(sk_line_init(&r, 0, buf, 8, 8, &e), -1);
	ck_assert_int_eq(e.code, EINVAL);
	ck_assert_int_eq(sk_line_init(&r, 0, buf, 8, 0, &e), -1);
	ck_assert_int_eq(sk_line_init(&r, 0, buf, 8, 7, &e), 0);
}
END_TEST

/*
 * The reader writes only inside the caller's buffer, whatever mix of
 * short, long and exact-bound lines arrives, in whatever pieces.
 */
START_TEST(line_read_never_writes_past_its_buffer)
{
	enum { CAP = 32, GUARD = 64, MAXLINE = 20 };
	struct sk_line_reader r;
	struct sk_line l;
	enum sk_line_status st;
	char mem[GUARD + CAP + GUARD], data[4096];
	size_t i, ok = 0, toolong = 0;
	int fd[2];

	memset(mem, 0xa5, sizeof(mem));
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i % 37 == 36 ? '\n' : i % 101 == 100 ? '\r' :
		    'a' + i % 26);
	open_pair(fd, 0);
	ck_assert_int_eq(sk_line_init(&r, fd[0], mem + GUARD, CAP, MAXLINE, NULL), 0);
	for (i = 0; i < sizeof(data); i += 700) {
		put(fd[1], data + i, sizeof(data) - i < 700 ? sizeof(data) - i : 700);
		while ((st = sk_line_read(&r, &l, sk_deadline_in(20), NULL)) ==
		    SK_LINE_OK || st == SK_LINE_TOO_LONG) {
			ck_assert_uint_le(l.len, MAXLINE);
			ck_assert(l.data >= mem + GUARD &&
			    l.data + l.len <= mem + GUARD + CAP);
			ck_assert_uint_le(sk_line_pending(&r), CAP);
			if (st == SK_LINE_OK)
				ok++;
			else
				toolong++;
		}
		ck_assert_int_eq(st, SK_LINE_TIMEOUT);
	}
	close(fd[1]);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_EOF);
	ck_assert_uint_gt(ok, 20);
	ck_assert_uint_gt(toolong, 0);
	for (i = 0; i < GUARD; i++) {
		ck_assert_int_eq((unsigned char)mem[i], 0xa5);
		ck_assert_int_eq((unsigned char)mem[GUARD + CAP + i], 0xa5);
	}
	close(fd[0]);
}
END_TEST

/* --- contents ------------------------------------------------------------- */

START_TEST(line_read_keeps_nul_bytes_and_flags_them)
{
	struct sk_line_reader r;
	struct sk_line l;
	char buf[64];
	int fd[2];

	open_pair(fd, 0);
	put(fd[1], "a\0b\nc\n\0\n", 8);
	ck_assert_int_eq(sk_line_init(&r, fd[0], buf, sizeof(buf), 32, NULL), 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert(l.len == 3 && memcmp(l.data, "a\0b", 3) == 0 && l.has_nul);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert(l.len == 1 && l.data[0] == 'c' && !l.has_nul);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert(l.len == 1 && l.data[0] == '\0' && l.has_nul);
	/* A NUL seen by an earlier call that timed out still counts. */
	put(fd[1], "x\0y", 3);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(30), NULL), SK_LINE_TIMEOUT);
	put(fd[1], "z\n", 2);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert(l.len == 4 && memcmp(l.data, "x\0yz", 4) == 0 && l.has_nul);
	put(fd[1], "t\0", 2);
	close(fd[1]);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_EOF);
	ck_assert(l.len == 2 && l.has_nul);
	close(fd[0]);
}
END_TEST

START_TEST(line_read_returns_partial_tail_at_eof)
{
	struct sk_line_reader r;
	struct sk_line l;
	char buf[64];
	int fd[2];

	open_pair(fd, _i);
	put(fd[1], "abc\ndef", 7);
	close(fd[1]);
	ck_assert_int_eq(sk_line_init(&r, fd[0], buf, sizeof(buf), 32, NULL), 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert(l.len == 3 && memcmp(l.data, "abc", 3) == 0);
	ck_assert_uint_eq(sk_line_pending(&r), 3);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_EOF);
	ck_assert(l.len == 3 && memcmp(l.data, "def", 3) == 0);
	ck_assert_int_eq(l.eol, SK_EOL_NONE);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_EOF);
	ck_assert_uint_eq(l.len, 0);
	ck_assert_uint_eq(sk_line_pending(&r), 0);
	close(fd[0]);
}
END_TEST

START_TEST(line_pending_counts_unreturned_bytes)
{
	struct sk_line_reader r;
	struct sk_line l;
	char buf[64];
	int fd[2];

	open_pair(fd, 0);
	put(fd[1], "STARTTLS\r", 9);
	ck_assert_int_eq(sk_line_init(&r, fd[0], buf, sizeof(buf), 32, NULL), 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), NULL), SK_LINE_OK);
	ck_assert_uint_eq(sk_line_pending(&r), 0);
	put(fd[1], "\n\x16\x03\x01", 4);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(30), NULL), SK_LINE_TIMEOUT);
	/* The LF ending the CRLF is not the peer's next protocol's data. */
	ck_assert_uint_eq(sk_line_pending(&r), 3);
	close(fd[0]);
	close(fd[1]);
}
END_TEST

START_TEST(line_status_has_names)
{
	ck_assert_str_eq(sk_line_status_str(SK_LINE_OK), "ok");
	ck_assert_str_eq(sk_line_status_str(SK_LINE_TOO_LONG), "line too long");
	ck_assert_str_eq(sk_line_status_str(SK_LINE_EOF), "eof");
	ck_assert_str_eq(sk_line_status_str(SK_LINE_TIMEOUT), "timed out");
	ck_assert_str_eq(sk_line_status_str(SK_LINE_ERROR), "error");
}
END_TEST

START_TEST(line_read_reports_read_errors)
{
	struct sk_line_reader r;
	struct sk_line l;
	struct sk_err e;
	char buf[64];

	ck_assert_int_eq(sk_line_init(&r, -1, buf, sizeof(buf), 32, &e), 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(1000), &e), SK_LINE_ERROR);
	ck_assert_int_eq(e.code, EBADF);
	ck_assert_msg(strncmp(e.msg, "read: ", 6) == 0, "msg %s", e.msg);
}
END_TEST

/* --- deadlines ------------------------------------------------------------ */

/* A child that writes s one byte per 50 ms, then waits to be reaped. */
static pid_t
drip(int fd, const char *s)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (; *s != '\0'; s++) {
			if (write(fd, s, 1) != 1)
				_exit(1);
			sk_sleep_until(sk_deadline_in(50));
		}
		_exit(0);
	}
	return pid;
}

START_TEST(line_read_times_out_on_dripping_peer_then_resumes)
{
	struct sk_line_reader r;
	struct sk_line l;
	struct sk_err e;
	char buf[64];
	int fd[2], status;
	int64_t t0, el;
	pid_t pid;

	open_pair(fd, _i);
	ck_assert_int_eq(sk_line_init(&r, fd[0], buf, sizeof(buf), 32, &e), 0);
	pid = drip(fd[1], "hello, slow world\n");	/* 18 bytes: ~900 ms */
	close(fd[1]);
	t0 = sk_now_ms();
	ck_assert_int_eq(sk_line_read(&r, &l, t0 + 300, &e), SK_LINE_TIMEOUT);
	el = sk_now_ms() - t0;
	ck_assert_msg(el >= 290 && el <= 400, "timed out after %lld ms",
	    (long long)el);
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_uint_gt(sk_line_pending(&r), 0);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(5000), &e), SK_LINE_OK);
	ck_assert_msg(l.len == 17 && memcmp(l.data, "hello, slow world", 17) == 0,
	    "got '%.*s'", (int)l.len, l.data);
	ck_assert_int_eq(sk_line_read(&r, &l, sk_deadline_in(5000), &e), SK_LINE_EOF);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd[0]);
}
END_TEST

/* --- writing -------------------------------------------------------------- */

START_TEST(write_all_times_out_on_peer_that_never_reads)
{
	enum { LEN = 8 << 20 };
	struct sk_err e;
	char *big = calloc(1, LEN);
	size_t done = 0;
	int fd[2];
	int64_t t0, el;

	ck_assert_ptr_nonnull(big);
	open_pair(fd, _i);
	t0 = sk_now_ms();
	ck_assert_int_eq(sk_write_all(fd[1], big, LEN, t0 + 300, &done, &e), -1);
	el = sk_now_ms() - t0;
	ck_assert_msg(el >= 290 && el <= 400, "gave up after %lld ms",
	    (long long)el);
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_gt(done, 0);
	ck_assert_uint_lt(done, LEN);
	ck_assert_msg(strncmp(e.msg, "write: timed out after ", 23) == 0,
	    "msg %s", e.msg);
	free(big);
	close(fd[0]);
	close(fd[1]);
}
END_TEST

START_TEST(write_all_reports_epipe_without_dying)
{
	struct sk_err e;
	sigset_t pending, mask;
	size_t done = 7;
	int fd[2];

	signal(SIGPIPE, SIG_DFL);
	open_pair(fd, _i);
	close(fd[0]);
	ck_assert_int_eq(sk_write_all(fd[1], "data", 4, sk_deadline_in(1000),
	    &done, &e), -1);
	ck_assert_int_eq(e.code, EPIPE);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_str_eq(e.msg, "write: Broken pipe");
	ck_assert_uint_eq(done, 0);
	/* No SIGPIPE left pending, and the signal mask is as it was. */
	sigpending(&pending);
	ck_assert(!sigismember(&pending, SIGPIPE));
	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	ck_assert(!sigismember(&mask, SIGPIPE));
	close(fd[1]);
}
END_TEST

/* A reader that takes small bites forces many short writes.  Loop
 * index 0: socketpair, 1: blocking pipe, 2: non-blocking pipe. */
START_TEST(write_all_finishes_through_short_writes)
{
	enum { LEN = 1 << 20 };
	char *big = malloc(LEN), chunk[999];
	size_t i, done = 0;
	ssize_t n;
	int fd[2], status, sz = 4096, bad = 0;
	pid_t pid;

	ck_assert_ptr_nonnull(big);
	for (i = 0; i < LEN; i++)
		big[i] = (char)(i % 251);
	open_pair(fd, _i != 0);
	if (_i == 0)
		setsockopt(fd[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (_i == 2)
		fcntl(fd[1], F_SETFL, O_NONBLOCK);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fd[1]);
		for (i = 0; (n = read(fd[0], chunk, sizeof(chunk))) > 0; ) {
			for (ssize_t k = 0; k < n; k++, i++)
				bad |= chunk[k] != (char)(i % 251);
			usleep(100);
		}
		_exit(bad || i != LEN ? 1 : 0);
	}
	close(fd[0]);
	ck_assert_int_eq(sk_write_all(fd[1], big, LEN, sk_deadline_in(20000),
	    &done, NULL), 0);
	ck_assert_uint_eq(done, LEN);
	close(fd[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(big);
}
END_TEST

START_TEST(write_all_of_nothing_succeeds)
{
	size_t done = 9;

	ck_assert_int_eq(sk_write_all(-1, "", 0, sk_deadline_in(10), &done, NULL), 0);
	ck_assert_uint_eq(done, 0);
}
END_TEST

Suite *
lineio_suite(void)
{
	Suite *s = suite_create("lineio");
	TCase *tc = tcase_create("read");
	TCase *tt = tcase_create("deadline");
	TCase *tw = tcase_create("write");

	tcase_add_loop_test(tc, line_read_splits_lf_crlf_and_bare_cr, 0,
	    sizeof(eol_cases) / sizeof(eol_cases[0]));
	tcase_add_test(tc, line_read_accepts_line_of_exactly_maxline);
	tcase_add_test(tc, line_read_rejects_line_longer_than_bound);
	tcase_add_test(tc, line_init_refuses_buffer_not_bigger_than_maxline);
	tcase_add_test(tc, line_read_never_writes_past_its_buffer);
	tcase_add_test(tc, line_read_keeps_nul_bytes_and_flags_them);
	tcase_add_loop_test(tc, line_read_returns_partial_tail_at_eof, 0, 2);
	tcase_add_test(tc, line_pending_counts_unreturned_bytes);
	tcase_add_test(tc, line_status_has_names);
	tcase_add_test(tc, line_read_reports_read_errors);
	suite_add_tcase(s, tc);

	/* Loop index 0: socketpair, 1: pipe. */
	tcase_add_loop_test(tt, line_read_times_out_on_dripping_peer_then_resumes, 0, 2);
	tcase_set_timeout(tt, 10);
	suite_add_tcase(s, tt);

	tcase_add_loop_test(tw, write_all_times_out_on_peer_that_never_reads, 0, 2);
	tcase_add_loop_test(tw, write_all_reports_epipe_without_dying, 0, 2);
	tcase_add_loop_test(tw, write_all_finishes_through_short_writes, 0, 3);
	tcase_add_test(tw, write_all_of_nothing_succeeds);
	tcase_set_timeout(tw, 30);
	suite_add_tcase(s, tw);
	return s;
}
