/* linechat's one-shot mode (tools/linechat/oneshot.c) over socketpairs:
 * SOCK_SEQPACKET keeps each write a record, so what one write sent can be
 * told apart on the other end. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/fd.h"
#include "linechat/conn.h"
#include "linechat/linechat.h"
#include "unit.h"

/* Run lc_oneshot over fd with stdout and stderr going into one pipe;
 * returns its exit code and what it printed (NUL-terminated) in out, so
 * the order of reply and error shows. */
static int
oneshot_captured(int fd, struct lc_opts *o, char *out, size_t cap)
{
	struct lc_conn c;
	int p[2], saved, saved2, rc;
	ssize_t n;
	size_t got = 0;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(sk_fd_nonblock(p[0], 1, NULL), 0);
	fflush(stderr);
	saved = dup(1);
	saved2 = dup(2);
	dup2(p[1], 1);
	dup2(p[1], 2);
	ck_assert_int_eq(lc_conn_init(&c, fd, 0, NULL), 0);
	rc = lc_oneshot(&c, o);
	dup2(saved, 1);
	dup2(saved2, 2);
	close(saved);
	close(saved2);
	close(p[1]);
	while (got + 1 < cap && (n = read(p[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(p[0]);
	lc_conn_close(&c);
	return rc;
}

START_TEST(oneshot_sends_each_line_in_one_write)
{
	static const char *const want[] = { "PING\r\n", "ECHO hi\r\n", "\r\n" };
	struct lc_opts o = { .idle_ms = 100, .nlines = 3,
	    .lines = { "PING", "ECHO hi", "" } };
	char rec[64], out[64];
	int sv[2], i;
	ssize_t n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	/* No reply within -i: exit 1, and each line was one record. */
	ck_assert_int_eq(oneshot_captured(sv[0], &o, out, sizeof(out)),
	    LC_EXIT_NOREPLY);
	ck_assert_int_ge(sk_fd_nonblock(sv[1], 1, NULL), 0);
	for (i = 0; i < 3; i++) {
		n = recv(sv[1], rec, sizeof(rec), 0);
		ck_assert_msg(n == (ssize_t)strlen(want[i]) &&
		    memcmp(rec, want[i], (size_t)n) == 0,
		    "line %d: record of %zd bytes, want \"%s\"", i, n, want[i]);
	}
	ck_assert_int_eq(recv(sv[1], rec, sizeof(rec), 0), 0);	/* then EOF */
	close(sv[1]);
}
END_TEST

START_TEST(oneshot_prints_reply_before_send_error)
{
	struct lc_opts o = { .idle_ms = 1000, .nlines = 1, .lines = { "PING" } };
	char out[256];
	int sv[2];

	/* A peer that answers and closes before reading anything. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], "-DENIED not you\r\n", 17), 17);
	close(sv[1]);
	ck_assert_int_eq(oneshot_captured(sv[0], &o, out, sizeof(out)),
	    LC_EXIT_NET);
	ck_assert_str_eq(out, "-DENIED not you\r\nlinechat: send: Broken pipe\n");
}
END_TEST

START_TEST(oneshot_prints_replies_while_a_long_send_waits)
{
	/* The peer answers early and stops reading: the reply must show
	 * while our send is stuck, then the send times out (-i). */
	static char big[4 << 20];
	struct lc_opts o = { .idle_ms = 300, .nlines = 1, .lines = { big } };
	char out[256];
	int sv[2];

	memset(big, 'a', sizeof(big) - 1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], "+OK early\r\n", 11), 11);
	ck_assert_int_eq(oneshot_captured(sv[0], &o, out, sizeof(out)),
	    LC_EXIT_NET);
	ck_assert_str_eq(out, "+OK early\r\nlinechat: send: timed out\n");
	close(sv[1]);
}
END_TEST

Suite *
oneshot_suite(void)
{
	Suite *s = suite_create("oneshot");
	TCase *tc = tcase_create("oneshot");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, oneshot_sends_each_line_in_one_write);
	tcase_add_test(tc, oneshot_prints_reply_before_send_error);
	tcase_add_test(tc, oneshot_prints_replies_while_a_long_send_waits);
	suite_add_tcase(s, tc);
	return s;
}
