/*
 * lssock_hold — create PAIRS established TCP pairs on loopback and hold
 * them, for bench/lssock.sh:
 *
 *   lssock_hold PAIRS SECS SRCADDR
 *
 * One listener on 127.0.0.1 port 0; clients bind SRCADDR (a 127/8
 * address, so processes do not share one ephemeral port range) with
 * IP_BIND_ADDRESS_NO_PORT and connect, each accepted at once.  Prints
 * "ready PAIRS" when all exist, then holds them until stdin reaches EOF
 * or SECS pass, whichever is first, so it stops by itself.
 */
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/num.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

int
main(int argc, char *argv[])
{
	struct sockaddr_in lsin, src;
	struct rlimit rl;
	struct pollfd pfd;
	socklen_t len = sizeof(lsin);
	const char *errstr;
	long long pairs, secs, i;
	int lfd, c, a, one = 1;

	if (argc != 4)
		errx(2, "usage: lssock_hold pairs secs srcaddr");
	pairs = sk_strtonum(argv[1], 1, 100000, &errstr);
	if (errstr)
		errx(2, "pairs %s: %s", errstr, argv[1]);
	secs = sk_strtonum(argv[2], 1, 3600, &errstr);
	if (errstr)
		errx(2, "secs %s: %s", errstr, argv[2]);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[3], &src.sin_addr) != 1)
		errx(2, "bad address %s", argv[3]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    (rlim_t)(2 * pairs + 16) > rl.rlim_cur)
		errx(2, "%lld pairs need %lld fds; the limit is %llu", pairs,
		    2 * pairs + 16, (unsigned long long)rl.rlim_cur);

	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		err(3, "socket");
	memset(&lsin, 0, sizeof(lsin));
	lsin.sin_family = AF_INET;
	lsin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&lsin, sizeof(lsin)) < 0 ||
	    listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&lsin, &len) < 0)
		err(3, "listen");
	for (i = 0; i < pairs; i++) {
		if ((c = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			err(3, "socket %lld", i);
		if (setsockopt(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one)) < 0)
			err(3, "IP_BIND_ADDRESS_NO_PORT");
		if (bind(c, (struct sockaddr *)&src, sizeof(src)) < 0)
			err(3, "bind %s", argv[3]);
		if (connect(c, (struct sockaddr *)&lsin, sizeof(lsin)) < 0)
			err(3, "connect %lld", i);
		if ((a = accept(lfd, NULL, NULL)) < 0)
			err(3, "accept %lld", i);
	}
	printf("ready %lld\n", pairs);
	fflush(stdout);
	pfd.fd = 0;
	pfd.events = POLLIN;
	/* EOF on stdin (the script went away) or the time limit ends it. */
	while (poll(&pfd, 1, (int)secs * 1000) > 0) {
		char b[64];

		if (read(0, b, sizeof(b)) <= 0)
			break;
	}
	return 0;
}
