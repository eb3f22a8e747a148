/*
 * resolve_cost — what a deadline costs sk_addr_resolve(), for
 * bench/resolve-cost.sh.  Times N calls of each of:
 *   raw       getaddrinfo(3) of a numeric address (the anchor)
 *   never     sk_addr_resolve(), same address, SK_NEVER
 *   deadline  sk_addr_resolve(), same address, a 2 s deadline (fast path)
 *   name-raw  getaddrinfo(3) of "localhost" (hosts(5), no DNS)
 *   name-dl   sk_addr_resolve() of "localhost" under a deadline (a worker
 *             thread per call)
 * and prints "NAME ns-per-call" lines, the best of rounds.
 *   resolve_cost [N]
 */
#include <err.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
raw(const char *host, int flags)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = flags | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, "43", &hints, &res)) != 0)
		errx(1, "getaddrinfo %s: %s", host, gai_strerror(rc));
	freeaddrinfo(res);
}

static void
sk(const char *host, int64_t deadline)
{
	struct addrinfo *res;
	struct sk_err e;

	if (sk_addr_resolve(host, "43", AF_UNSPEC, SOCK_STREAM, 0, &res,
	    deadline, &e) == -1)
		errx(1, "%s", e.msg);
	freeaddrinfo(res);
}

/* Best ns per call of ROUNDS rounds of n calls, the variants taking turns
 * so that a busy machine slows them alike. */
#define ROUNDS 10
#define NVAR 5

static void
call(int v)
{
	switch (v) {
	case 0: raw("198.18.0.2", AI_NUMERICHOST); break;
	case 1: sk("198.18.0.2", SK_NEVER); break;
	case 2: sk("198.18.0.2", sk_deadline_in(2000)); break;
	case 3: raw("localhost", 0); break;
	case 4: sk("localhost", sk_deadline_in(2000)); break;
	}
}

int
main(int argc, char **argv)
{
	static const char *const name[NVAR] = { "raw", "never", "deadline",
	    "name-raw", "name-dl" };
	double best[NVAR], t0, ns;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000, i, calls;
	int r, v;

	if (n <= 0)
		errx(2, "usage: resolve_cost [N]");
	for (v = 0; v < NVAR; v++)
		best[v] = 0;
	for (r = 0; r < ROUNDS; r++) {
		for (v = 0; v < NVAR; v++) {
			/* Names cost ~100x more; fewer calls keep rounds short. */
			calls = (v >= 3 ? n / 100 : n) / ROUNDS;
			if (calls < 1)
				calls = 1;
			t0 = now_ns();
			for (i = 0; i < calls; i++)
				call(v);
			ns = (now_ns() - t0) / calls;
			if (best[v] == 0 || ns < best[v])
				best[v] = ns;
		}
	}
	for (v = 0; v < NVAR; v++)
		printf("%s %.0f\n", name[v], best[v]);
	return 0;
}
