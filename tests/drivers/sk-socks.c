/*
 * sk-socks — hold a known set of sockets for the lssock tests, in
 * whatever network namespace it runs in:
 *
 *   sk-socks V4ADDR V6ADDR UNIXDIR [SECS]
 *
 * TCP listeners (v4, v6-only, dual-stack), established pairs over v4,
 * v6, v4-mapped and ::1, one TIME-WAIT, UDP bound and connected, UNIX
 * stream/dgram/seqpacket (named, abstract, unnamed pairs), raw ICMP
 * sockets; the v4 listener is also at fd 100.  Prints "ready" once all
 * exist, then holds them until killed or SECS (default 60) pass, so a
 * forgotten fixture ends by itself.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
tcp_listen(int family, const char *addr, int port, int v6only)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			errx(2, "bad address %s", addr);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			errx(2, "bad address %s", addr);
		len = sizeof(*s6);
	}
	if ((fd = socket(family, SOCK_STREAM, 0)) < 0)
		err(1, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		err(1, "SO_REUSEADDR");
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &v6only, sizeof(v6only)) < 0)
		err(1, "IPV6_V6ONLY");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		err(1, "bind %s port %d", addr, port);
	if (port != 0 && listen(fd, 16) < 0)
		err(1, "listen");
	return fd;
}

static int
inet_connect(int family, int type, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		len = sizeof(*s6);
	}
	if ((fd = socket(family, type, 0)) < 0)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		err(1, "connect %s port %d", addr, port);
	return fd;
}

static int
udp_bind(int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		len = sizeof(*s6);
	}
	if ((fd = socket(family, SOCK_DGRAM, 0)) < 0)
		err(1, "socket");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		err(1, "bind udp %s port %d", addr, port);
	return fd;
}

/* path "@x" is abstract. */
static socklen_t
unix_addr(struct sockaddr_un *sun, const char *path)
{
	size_t n = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n >= sizeof(sun->sun_path))
		errx(2, "path too long");
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (path[0] == '@' ? 0 : 1));
}

static int
unix_listen(int type, const char *path)
{
	struct sockaddr_un sun;
	socklen_t len = unix_addr(&sun, path);
	int fd;

	if ((fd = socket(AF_UNIX, type, 0)) < 0)
		err(1, "socket");
	if (path[0] != '@')
		unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, len) < 0)
		err(1, "bind %s", path);
	if (type != SOCK_DGRAM && listen(fd, 8) < 0)
		err(1, "listen");
	return fd;
}

static void
unix_pair_to(int type, const char *path, int lfd)
{
	struct sockaddr_un sun;
	socklen_t len = unix_addr(&sun, path);
	int fd;

	if ((fd = socket(AF_UNIX, type, 0)) < 0)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, len) < 0)
		err(1, "connect %s", path);
	if (type != SOCK_DGRAM && accept(lfd, NULL, NULL) < 0)
		err(1, "accept");
}

/* Client closes first, so the client side ends in TIME-WAIT. */
static void
time_wait(int lfd, int family, const char *addr, int port)
{
	char b;
	int c = inet_connect(family, SOCK_STREAM, addr, port);
	int a = accept(lfd, NULL, NULL);

	if (a < 0)
		err(1, "accept");
	close(c);
	if (read(a, &b, 1) != 0)
		errx(1, "expected EOF");
	close(a);
}

int
main(int argc, char *argv[])
{
	const char *v4, *v6, *dir;
	char path[256];
	int secs = 60, l1, l2, l3, u, sv[2];

	if (argc < 4)
		errx(2, "usage: sk-socks v4addr v6addr unixdir [secs]");
	v4 = argv[1];
	v6 = argv[2];
	dir = argv[3];
	if (argc > 4)
		secs = atoi(argv[4]);

	l1 = tcp_listen(AF_INET, v4, 4301, 0);
	l2 = tcp_listen(AF_INET6, v6, 4302, 1);
	l3 = tcp_listen(AF_INET6, "::", 4303, 0);
	/* One socket at two fds: owners list both, in ss -p's order. */
	if (dup2(l1, 100) < 0)
		err(1, "dup2");
	inet_connect(AF_INET, SOCK_STREAM, v4, 4301);
	accept(l1, NULL, NULL);
	inet_connect(AF_INET6, SOCK_STREAM, v6, 4302);
	accept(l2, NULL, NULL);
	inet_connect(AF_INET, SOCK_STREAM, "127.0.0.1", 4303);	/* v4-mapped */
	accept(l3, NULL, NULL);
	inet_connect(AF_INET6, SOCK_STREAM, "::1", 4303);
	accept(l3, NULL, NULL);
	time_wait(l1, AF_INET, v4, 4301);

	udp_bind(AF_INET, v4, 5301);
	u = udp_bind(AF_INET, v4, 5302);
	inet_connect(AF_INET, SOCK_DGRAM, v4, 5301);
	(void)u;
	udp_bind(AF_INET6, "::", 5303);

	snprintf(path, sizeof(path), "%s/stream.sock", dir);
	unix_pair_to(SOCK_STREAM, path, unix_listen(SOCK_STREAM, path));
	snprintf(path, sizeof(path), "@sk-lssock-%d", (int)getpid());
	unix_pair_to(SOCK_STREAM, path, unix_listen(SOCK_STREAM, path));
	snprintf(path, sizeof(path), "%s/seq.sock", dir);
	unix_pair_to(SOCK_SEQPACKET, path, unix_listen(SOCK_SEQPACKET, path));
	snprintf(path, sizeof(path), "%s/dgram.sock", dir);
	unix_pair_to(SOCK_DGRAM, path, unix_listen(SOCK_DGRAM, path));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		err(1, "socketpair");

	if (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0)
		err(1, "raw socket");
	if (socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) < 0)
		err(1, "raw6 socket");

	printf("ready\n");
	fflush(stdout);
	sleep(secs > 0 && secs < 3600 ? (unsigned)secs : 60);
	return 0;
}
