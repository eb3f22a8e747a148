/*
 * connect_loop — connect+close loops for bench/connect.sh.
 *   connect_loop serve PORTFILE       accept and close until killed
 *   connect_loop sk|plain PORT N      N connections; prints "conn/s R"
 * The server closes first, so TIME_WAIT stays on its side and the client
 * never runs out of ephemeral ports.  "sk" goes through sk_tcpopen()
 * (getaddrinfo, non-blocking connect, poll); "plain" is a blocking
 * connect() to a prepared sockaddr, the floor.
 */
#include <arpa/inet.h>
#include <err.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/listen.h"
#include "bench.h"
#include "sockkit/num.h"

static void
wait_eof(int fd)
{
	char c;

	while (read(fd, &c, 1) > 0)
		;
}

int
main(int argc, char **argv)
{
	const char *errstr;
	struct sk_err e;
	int64_t t0;
	long long n, i;
	int fd;

	if (argc == 3 && strcmp(argv[1], "serve") == 0) {
		int lfd = bench_listen(argv[2], 4096);

		for (;;) {
			fd = accept(lfd, NULL, NULL);
			if (fd >= 0)
				close(fd);
		}
	}
	if (argc != 4)
		errx(2, "usage: connect_loop serve PORTFILE | sk|plain PORT N");
	n = sk_strtonum(argv[3], 1, 10000000, &errstr);
	if (errstr)
		errx(2, "N %s: %s", argv[3], errstr);
	t0 = sk_now_ms();
	if (strcmp(argv[1], "sk") == 0) {
		struct sk_connect_opts o = SK_CONNECT_OPTS_INIT;

		for (i = 0; i < n; i++) {
			o.deadline = sk_deadline_in(5000);
			fd = sk_tcpopen("127.0.0.1", argv[2], &o, &e);
			if (fd == -1)
				errx(3, "%s", e.msg);
			wait_eof(fd);
			close(fd);
		}
	} else {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((unsigned short)atoi(argv[2]));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		for (i = 0; i < n; i++) {
			fd = socket(AF_INET, SOCK_STREAM, 0);
			if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
				err(3, "connect");
			wait_eof(fd);
			close(fd);
		}
	}
	printf("%.0f\n", n * 1000.0 / (double)(sk_now_ms() - t0 + 1));
	return 0;
}
