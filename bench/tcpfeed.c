/*
 * tcpfeed — run a command with a loopback TCP socket as its stdin.
 *
 *   tcpfeed LINES LEN command [arg ...]
 *
 * Listens on 127.0.0.1 port 0, forks a producer that accepts one
 * connection and sends LINES lines of LEN bytes (newline included), then
 * connects, makes the socket fd 0 and execs command.  Every consumer
 * thus reads the same bytes from the same kind of socket.
 */
#include <arpa/inet.h>
#include <err.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"
#include "sockkit/num.h"

#define CHUNK_LINES 8192

static void
produce(int lfd, long long lines, int len)
{
	struct sk_err e;
	char *buf;
	long long n;
	int fd, i, k;

	if ((fd = accept(lfd, NULL, NULL)) < 0)
		err(1, "accept");
	close(lfd);
	if ((buf = malloc((size_t)len * CHUNK_LINES)) == NULL)
		err(1, "malloc");
	for (i = 0; i < CHUNK_LINES; i++) {
		for (k = 0; k < len - 1; k++)
			buf[i * len + k] = (char)('!' + (i + k) % 94);
		buf[i * len + len - 1] = '\n';
	}
	for (; lines > 0; lines -= n) {
		n = lines < CHUNK_LINES ? lines : CHUNK_LINES;
		if (sk_write_all(fd, buf, (size_t)(n * len), SK_NEVER, NULL,
		    &e) < 0)
			errx(1, "%s", e.msg);
	}
	close(fd);
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	const char *errstr;
	long long lines;
	int len, lfd, fd;

	if (argc < 4) {
		fprintf(stderr, "usage: tcpfeed lines len command [arg ...]\n");
		exit(2);
	}
	lines = sk_strtonum(argv[1], 0, 1LL << 40, &errstr);
	if (errstr)
		errx(2, "lines %s: %s", errstr, argv[1]);
	len = (int)sk_strtonum(argv[2], 1, 4096, &errstr);
	if (errstr)
		errx(2, "len %s: %s", errstr, argv[2]);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		err(1, "socket");
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) < 0)
		err(1, "listen");
	switch (fork()) {
	case -1:
		err(1, "fork");
	case 0:
		produce(lfd, lines, len);
	}
	close(lfd);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		err(1, "connect");
	if (dup2(fd, 0) < 0)
		err(1, "dup2");
	close(fd);
	execvp(argv[3], argv + 3);
	err(127, "%s", argv[3]);
}
