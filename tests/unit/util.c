/* Socket fixtures shared by the unit suites. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"

int
ut_listener(int family, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	ck_assert_int_eq(listen(fd, 128), 0);
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	    : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int
ut_closed_port(void)
{
	int port, fd = ut_listener(AF_INET, &port);

	/* Closing a fresh listener frees the port; nothing else binds it in
	 * the instant before the test connects. */
	close(fd);
	return port;
}

int
ut_is_root(void)
{
	return geteuid() == 0;
}

int
ut_blackhole(int *port, int *filler)
{
	struct sockaddr_in sin;
	int lfd, c;

	/* A listener whose accept queue is full drops further SYNs: a
	 * blackhole on loopback that needs no privileges or firewall. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	socklen_t len = sizeof(sin);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*filler = c;
	return lfd;
}

struct addrinfo *
ut_ai_list(const char *const *hostports, int n)
{
	struct addrinfo hints, *head = NULL, **tail = &head, *r;
	char host[64], *colon;
	int i;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	for (i = 0; i < n; i++) {
		snprintf(host, sizeof(host), "%s", hostports[i]);
		colon = strrchr(host, ' ');
		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		ck_assert_int_eq(getaddrinfo(host, colon + 1, &hints, &r), 0);
		/* Chain separate results; ut_ai_free undoes it. */
		*tail = r;
		while (r->ai_next)
			r = r->ai_next;
		tail = &r->ai_next;
	}
	return head;
}

void
ut_ai_free(struct addrinfo *ai)
{
	struct addrinfo *n;

	/* Each node came from its own getaddrinfo call with one result. */
	for (; ai != NULL; ai = n) {
		n = ai->ai_next;
		ai->ai_next = NULL;
		freeaddrinfo(ai);
	}
}
