/*
 * whoisd_load — connection-per-query load generator: C connections in
 * flight, each connects, sends QUERY CRLF, reads to EOF, closes; runs
 * for SECS seconds (bounded), then prints
 *   qps Q p50_ms A p99_ms B errors E cpu_ms C
 * where C is the CPU time (user + system) this generator used itself: on
 * a small machine it competes with the server for the same cores.
 *   whoisd_load PORT CONCURRENCY SECS QUERY
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockkit/num.h"

#define MAXLAT 4000000

struct slot {
	int fd;
	int sent;
	double t0;
	size_t got;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct sockaddr_in dst;
static int ep;

static void
start(struct slot *s)
{
	struct epoll_event ev;

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	s->sent = 0;
	s->got = 0;
	s->t0 = now();
	if (connect(s->fd, (struct sockaddr *)&dst, sizeof(dst)) == -1 &&
	    errno != EINPROGRESS)
		err(3, "connect");
	ev.events = EPOLLOUT | EPOLLIN;
	ev.data.ptr = s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
}

static int
cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[512], ev;
	const char *errstr;
	static float lat[MAXLAT];
	size_t nlat = 0, qlen;
	long errors = 0;
	char q[1100], buf[65536];
	int conc, secs, i, n;
	double t0, end;
	struct slot *slots;
	struct rusage ru;
	ssize_t r;

	if (argc != 5)
		errx(2, "usage: whoisd_load PORT CONCURRENCY SECS QUERY");
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((unsigned short)sk_strtonum(argv[1], 1, 65535, &errstr));
	if (errstr)
		errx(2, "port %s: %s", argv[1], errstr);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	conc = (int)sk_strtonum(argv[2], 1, 10000, &errstr);
	if (errstr)
		errx(2, "concurrency %s: %s", argv[2], errstr);
	secs = (int)sk_strtonum(argv[3], 1, 600, &errstr);
	if (errstr)
		errx(2, "secs %s: %s", argv[3], errstr);
	qlen = (size_t)snprintf(q, sizeof(q), "%s\r\n", argv[4]);
	ep = epoll_create1(0);
	slots = calloc((size_t)conc, sizeof(*slots));
	t0 = now();
	end = t0 + secs * 1000.0;
	for (i = 0; i < conc; i++)
		start(&slots[i]);
	while (now() < end) {
		n = epoll_wait(ep, evs, 512, 100);
		for (i = 0; i < n; i++) {
			struct slot *s = evs[i].data.ptr;

			if (!s->sent && (evs[i].events & EPOLLOUT)) {
				if (send(s->fd, q, qlen, MSG_NOSIGNAL) != (ssize_t)qlen) {
					errors++;
					goto restart;
				}
				s->sent = 1;
				ev.events = EPOLLIN;
				ev.data.ptr = s;
				epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
				continue;
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			while ((r = read(s->fd, buf, sizeof(buf))) > 0)
				s->got += (size_t)r;
			if (r == -1 && errno == EAGAIN)
				continue;
			if (r == -1 || s->got == 0 || memcmp(buf, "%ERROR", 6) == 0)
				errors++;
			else if (nlat < MAXLAT)
				lat[nlat++] = (float)(now() - s->t0);
restart:
			close(s->fd);
			start(s);
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	qsort(lat, nlat, sizeof(lat[0]), cmp);
	printf("qps %.0f p50_ms %.2f p99_ms %.2f errors %ld cpu_ms %.0f\n",
	    nlat * 1000.0 / (now() - t0), nlat ? lat[nlat / 2] : 0.0,
	    nlat ? lat[(size_t)(nlat * 0.99)] : 0.0, errors,
	    (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
	return 0;
}
