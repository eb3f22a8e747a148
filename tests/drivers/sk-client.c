/*
 * sk-client — a scriptable badly-behaved (or well-behaved) TCP client for
 * the CLI tests.  Every mode connects to HOST PORT with sk_tcpopen().
 *
 *   sk-client query HOST PORT LINE      send LINE CRLF, print the reply
 *   sk-client flood HOST PORT BYTES     send BYTES of 'a' without newline,
 *                                       print the reply
 *   sk-client silent HOST PORT          send nothing; print reply, elapsed ms
 *   sk-client drip HOST PORT LINE MS    one byte every MS ms, then CRLF
 *   sk-client noread HOST PORT LINE SECS  send LINE, never read, hold SECS,
 *                                       print whether the server closed
 *   sk-client halfclose HOST PORT       shutdown(SHUT_WR) at once
 *   sk-client rst HOST PORT LINE        send LINE, read a little, reset
 *   sk-client idle HOST PORT N SECS     hold N idle connections for SECS
 *                                       (prints "open N" once they are up)
 *   sk-client timed HOST PORT LINE      like query, prints "ms N" last
 *
 * Bounded everywhere: every wait has a deadline (30 s at most).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"
#include "sockkit/num.h"

#define LIMIT_MS 30000

static int
dial(const char *host, const char *port)
{
	struct sk_connect_opts o = { .deadline = sk_deadline_in(5000) };
	struct sk_err e;
	int fd = sk_tcpopen(host, port, &o, &e);

	if (fd == -1)
		errx(3, "%s", e.msg);
	return fd;
}

/* Copy what the server sends to stdout until it closes. */
static size_t
relay(int fd, int64_t deadline)
{
	char buf[16384];
	size_t total = 0;
	ssize_t n;

	while (sk_wait(fd, POLLIN, deadline, NULL) > 0) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		total += (size_t)n;
	}
	fflush(stdout);
	return total;
}

static void
sendall(int fd, const char *s, size_t n)
{
	struct sk_err e;

	/* A server that answers and closes early (refusals, errors) makes
	 * the rest of our line fail with EPIPE: expected, not reported. */
	if (sk_write_all(fd, s, n, sk_deadline_in(LIMIT_MS), NULL, &e) == -1 &&
	    e.code != EPIPE && e.code != ECONNRESET)
		fprintf(stderr, "sk-client: %s\n", e.msg);
}

static long long
num(const char *s, long long max)
{
	const char *errstr;
	long long v = sk_strtonum(s, 0, max, &errstr);

	if (errstr)
		errx(2, "%s: %s", s, errstr);
	return v;
}

int
main(int argc, char **argv)
{
	const char *mode, *host, *port;
	int fd, i;
	int64_t t0;

	if (argc < 4)
		errx(2, "usage: sk-client MODE HOST PORT [args]");
	mode = argv[1];
	host = argv[2];
	port = argv[3];
	t0 = sk_now_ms();
	if (strcmp(mode, "query") == 0 || strcmp(mode, "timed") == 0) {
		if (argc != 5)
			errx(2, "query: need LINE");
		fd = dial(host, port);
		sendall(fd, argv[4], strlen(argv[4]));
		sendall(fd, "\r\n", 2);
		relay(fd, sk_deadline_in(LIMIT_MS));
		if (mode[0] == 't')
			printf("ms %lld\n", (long long)(sk_now_ms() - t0));
	} else if (strcmp(mode, "flood") == 0) {
		size_t n = (size_t)num(argv[4], 1 << 30), off = 0, k;
		char chunk[65536];

		memset(chunk, 'a', sizeof(chunk));
		fd = dial(host, port);
		/* The server may answer and close before all is sent. */
		signal(SIGPIPE, SIG_IGN);
		while (off < n) {
			k = n - off < sizeof(chunk) ? n - off : sizeof(chunk);
			if (sk_write_all(fd, chunk, k, sk_deadline_in(5000), NULL,
			    NULL) == -1)
				break;
			off += k;
		}
		relay(fd, sk_deadline_in(LIMIT_MS));
	} else if (strcmp(mode, "silent") == 0) {
		fd = dial(host, port);
		relay(fd, sk_deadline_in(LIMIT_MS));
		printf("closed after %lld ms\n", (long long)(sk_now_ms() - t0));
	} else if (strcmp(mode, "drip") == 0) {
		int ms;

		if (argc != 6)
			errx(2, "drip: need LINE MS");
		ms = (int)num(argv[5], 10000);
		fd = dial(host, port);
		signal(SIGPIPE, SIG_IGN);
		for (i = 0; argv[4][i] != '\0'; i++) {
			if (send(fd, argv[4] + i, 1, MSG_NOSIGNAL) != 1)
				break;
			poll(NULL, 0, ms);
		}
		send(fd, "\r\n", 2, MSG_NOSIGNAL);
		relay(fd, sk_deadline_in(LIMIT_MS));
		printf("closed after %lld ms\n", (long long)(sk_now_ms() - t0));
	} else if (strcmp(mode, "noread") == 0) {
		int rcv = 4096;
		int64_t until;
		char c;

		if (argc != 6)
			errx(2, "noread: need LINE SECS");
		until = sk_deadline_in(num(argv[5], 60) * 1000);
		fd = dial(host, port);
		/* A small receive buffer makes the server's sends block. */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		sendall(fd, argv[4], strlen(argv[4]));
		sendall(fd, "\r\n", 2);
		/* Peek for a reset/close without draining the answer. */
		while (!sk_deadline_passed(until)) {
			poll(NULL, 0, 100);
			if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == -1 &&
			    errno != EAGAIN) {
				printf("reset after %lld ms\n",
				    (long long)(sk_now_ms() - t0));
				return 0;
			}
		}
		printf("held %lld ms\n", (long long)(sk_now_ms() - t0));
	} else if (strcmp(mode, "halfclose") == 0) {
		fd = dial(host, port);
		shutdown(fd, SHUT_WR);
		relay(fd, sk_deadline_in(LIMIT_MS));
		printf("closed after %lld ms\n", (long long)(sk_now_ms() - t0));
	} else if (strcmp(mode, "rst") == 0) {
		struct linger lg = { 1, 0 };
		char buf[16];

		if (argc != 5)
			errx(2, "rst: need LINE");
		fd = dial(host, port);
		sendall(fd, argv[4], strlen(argv[4]));
		sendall(fd, "\r\n", 2);
		if (sk_wait(fd, POLLIN, sk_deadline_in(5000), NULL) > 0)
			(void)!read(fd, buf, sizeof(buf));
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		printf("reset\n");
	} else if (strcmp(mode, "idle") == 0) {
		struct rlimit rl;
		int n, secs, *fds;

		if (argc != 6)
			errx(2, "idle: need N SECS");
		n = (int)num(argv[4], 100000);
		secs = (int)num(argv[5], 600);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		fds = calloc((size_t)n, sizeof(*fds));
		if (fds == NULL)
			err(3, "calloc");
		for (i = 0; i < n; i++)
			fds[i] = dial(host, port);
		printf("open %d\n", n);
		fflush(stdout);
		sk_sleep_until(sk_deadline_in((int64_t)secs * 1000));
	} else {
		errx(2, "unknown mode %s", mode);
	}
	return 0;
}
