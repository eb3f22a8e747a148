/*
 * sk-connect — test driver for sk_tcpopen(): connect, print the peer,
 * exit.  Used by tests/cli/lib.bats (network namespace scenarios).
 *   sk-connect [-46rv] [-s src] [-w ms] host service
 * -r only resolves (sk_addr_resolve() under the same deadline) and prints
 * each address and the time taken.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/num.h"

/* Resolve only: one "resolved ADDR" line per address, then the time. */
static int
resolve_only(const char *host, const char *service, int family,
    int64_t deadline)
{
	struct addrinfo *res, *ai;
	struct sk_err e;
	char buf[SK_ADDRSTRLEN];
	int64_t t0 = sk_now_ms();

	if (sk_addr_resolve(host, service, family, SOCK_STREAM, 0, &res,
	    deadline, &e) == -1) {
		fprintf(stderr, "sk-connect: %s\n", e.msg);
		fprintf(stderr, "sk-connect: kind %s after %lld ms\n",
		    sk_err_kind_str(e.kind), (long long)(sk_now_ms() - t0));
		return sk_err_exitcode(&e);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		printf("resolved %s\n", sk_addr_format(ai->ai_addr, buf,
		    sizeof(buf)));
	printf("resolved in %lld ms\n", (long long)(sk_now_ms() - t0));
	freeaddrinfo(res);
	return 0;
}

static const char *const evname[] = { "start", "ok", "fail", "cancel" };

static void
show(void *arg, enum sk_attempt_event ev, const struct sockaddr *sa,
    socklen_t salen, int error, int64_t ms)
{
	char buf[SK_ADDRSTRLEN];

	fprintf(stderr, "%lld ms %s %s\n", (long long)ms, evname[ev],
	    sk_addr_format(sa, buf, sizeof(buf)));
}

int
main(int argc, char **argv)
{
	struct sk_connect_opts o = SK_CONNECT_OPTS_INIT;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct sk_err e;
	const char *errstr;
	char buf[SK_ADDRSTRLEN];
	int c, fd, ronly = 0;
	int64_t t0;

	while ((c = getopt(argc, argv, "46rs:vw:")) != -1) {
		switch (c) {
		case '4': o.family = AF_INET; break;
		case '6': o.family = AF_INET6; break;
		case 'r': ronly = 1; break;
		case 's': o.src_host = optarg; break;
		case 'v': o.on_attempt = show; break;
		case 'w':
			o.deadline = sk_deadline_in(sk_strtonum(optarg, 1, 600000,
			    &errstr));
			if (errstr)
				errx(2, "timeout %s: %s", optarg, errstr);
			break;
		default:
			fprintf(stderr, "usage: sk-connect [-46rv] [-s src] [-w ms] "
			    "host service\n");
			return 2;
		}
	}
	if (argc - optind != 2)
		errx(2, "need host and service");
	if (ronly)
		return resolve_only(argv[optind], argv[optind + 1], o.family,
		    o.deadline);
	t0 = sk_now_ms();
	fd = sk_tcpopen(argv[optind], argv[optind + 1], &o, &e);
	if (fd == -1) {
		fprintf(stderr, "sk-connect: %s\n", e.msg);
		return sk_err_exitcode(&e);
	}
	getpeername(fd, (struct sockaddr *)&ss, &len);
	printf("connected %s %lld ms\n", sk_addr_format((struct sockaddr *)&ss,
	    buf, sizeof(buf)), (long long)(sk_now_ms() - t0));
	close(fd);
	return 0;
}
