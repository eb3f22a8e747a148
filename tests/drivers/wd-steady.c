/*
 * wd-steady — one whois query every INTERVAL ms, COUNT times, each on a
 * new connection and waited for; optionally SIGHUP the server PID after
 * the HUPAT-th query (a reload under a steady trickle of clients).
 *
 *   wd-steady HOST PORT LINE INTERVAL_MS COUNT [PID HUPAT]
 *
 * Prints "queries N failed F max_ms M p99_ms P p50_ms Q" (failed: no
 * reply, a reset, or a reply starting with "%ERROR:"; latency: connect to
 * EOF).  Exit 0 when none failed.  Bounded: 5 s per query, COUNT <= 100000.
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"
#include "sockkit/num.h"

#define QUERY_MS 5000

/* One query; its latency in µs, or -1 on failure. */
static long
one(const char *host, const char *port, const char *line)
{
	struct sk_connect_opts o = { .deadline = sk_deadline_in(QUERY_MS) };
	struct timespec t0, t1;
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	int fd, ok = 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = sk_tcpopen(host, port, &o, NULL);
	if (fd == -1)
		return -1;
	if (sk_write_all(fd, line, strlen(line), o.deadline, NULL, NULL) == -1 ||
	    sk_write_all(fd, "\r\n", 2, o.deadline, NULL, NULL) == -1)
		ok = 0;
	for (;;) {
		if (!ok || sk_wait(fd, POLLIN, o.deadline, NULL) <= 0) {
			ok = 0;
			break;
		}
		n = read(fd, len < sizeof(buf) ? buf + len : buf,
		    len < sizeof(buf) ? sizeof(buf) - len : sizeof(buf));
		if (n == 0)
			break;
		if (n == -1) {
			ok = 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ok || len == 0 || strncmp(buf, "%ERROR:", 7) == 0)
		return -1;
	return (t1.tv_sec - t0.tv_sec) * 1000000L +
	    (t1.tv_nsec - t0.tv_nsec) / 1000;
}

static int
cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static long long
num(const char *what, const char *s, long long max)
{
	const char *errstr;
	long long v = sk_strtonum(s, 0, max, &errstr);

	if (errstr != NULL)
		errx(2, "%s %s: %s", what, s, errstr);
	return v;
}

int
main(int argc, char **argv)
{
	long long interval, count, i, hupat = -1, failed = 0, ok = 0;
	pid_t pid = 0;
	int64_t next;
	long *lat, us;

	if (argc != 6 && argc != 8)
		errx(2, "usage: wd-steady HOST PORT LINE INTERVAL_MS COUNT "
		    "[PID HUPAT]");
	interval = num("INTERVAL_MS", argv[4], 10000);
	count = num("COUNT", argv[5], 100000);
	if (argc == 8) {
		pid = (pid_t)num("PID", argv[6], 1 << 30);
		hupat = num("HUPAT", argv[7], count);
	}
	lat = calloc((size_t)count + 1, sizeof(*lat));
	if (lat == NULL)
		err(3, "calloc");
	next = sk_now_ms();
	for (i = 0; i < count; i++) {
		if (i == hupat && kill(pid, SIGHUP) == -1)
			err(3, "kill %ld", (long)pid);
		us = one(argv[1], argv[2], argv[3]);
		if (getenv("WD_STEADY_SLOW") != NULL && us > 20000)
			fprintf(stderr, "query %lld: %.1f ms\n", i, us / 1000.0);
		if (us < 0)
			failed++;
		else
			lat[ok++] = us;
		next += interval;
		while (sk_now_ms() < next)
			usleep((useconds_t)(next - sk_now_ms()) * 1000);
	}
	qsort(lat, (size_t)ok, sizeof(*lat), cmp);
	printf("queries %lld failed %lld max_ms %.1f p99_ms %.1f p50_ms %.1f\n",
	    count, failed, ok ? lat[ok - 1] / 1000.0 : 0.0,
	    ok ? lat[ok * 99 / 100 < ok ? ok * 99 / 100 : ok - 1] / 1000.0 : 0.0,
	    ok ? lat[ok / 2] / 1000.0 : 0.0);
	free(lat);
	return failed == 0 ? 0 : 1;
}
