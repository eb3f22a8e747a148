/*
 * pp-udpecho — test driver: answer every datagram to [::]:PORT (v4 and
 * v6) with the same bytes, for SECS seconds (default 60), then exit.
 *   pp-udpecho PORT [SECS]
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/num.h"

int
main(int argc, char **argv)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_storage from;
	socklen_t fl;
	const char *errstr;
	struct pollfd p;
	char buf[2048];
	int64_t end;
	ssize_t n;
	int fd, port, secs = 60, off = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: pp-udpecho port [secs]\n");
		return 2;
	}
	port = (int)sk_strtonum(argv[1], 1, 65535, &errstr);
	if (errstr == NULL && argc == 3)
		secs = (int)sk_strtonum(argv[2], 1, 3600, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "pp-udpecho: %s\n", errstr);
		return 2;
	}
	end = sk_deadline_in((int64_t)secs * 1000);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		perror("pp-udpecho");
		return 3;
	}
	p.fd = fd;
	p.events = POLLIN;
	while (!sk_deadline_passed(end)) {
		if (poll(&p, 1, sk_deadline_left(end)) <= 0)
			continue;
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
	return 0;
}
