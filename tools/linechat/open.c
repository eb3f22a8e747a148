/*
 * The connection the options ask for: connect (TCP with every address
 * raced, UDP, UNIX), or listen (TCP, UDP, UNIX) and take one peer.
 * Addresses in messages take the suite's one form: 198.18.0.2:43,
 * [2001:2::1]:43.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/listen.h"
#include "linechat/linechat.h"

/* sa in the suite's form, a v4-mapped peer of a dual-stack listener as
 * the IPv4 address it is. */
static char *
peer_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	struct sockaddr_in s4;

	if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_port = s6->sin6_port;
		memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		return sk_addr_format((struct sockaddr *)&s4, buf, len);
	}
	return sk_addr_format(sa, buf, len);
}

/* "host:service", "[v6]:service". */
static void
label(char *buf, size_t len, const char *host, const char *service)
{
	snprintf(buf, len, strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s",
	    host, service);
}

static void
attempt(void *arg, enum sk_attempt_event ev, const struct sockaddr *sa,
    socklen_t salen, int error, int64_t ms)
{
	char addr[SK_ADDRSTRLEN];

	sk_addr_format(sa, addr, sizeof(addr));
	if (ev == SK_ATTEMPT_START)
		fprintf(stderr, "trying %s ...\n", addr);
	else if (ev == SK_ATTEMPT_FAIL)
		fprintf(stderr, "%s: %s\n", addr, error == ECONNREFUSED ?
		    "refused" : strerror(error));
	else if (ev == SK_ATTEMPT_CANCEL)
		fprintf(stderr, "%s: abandoned after %lld ms\n", addr,
		    (long long)ms);
	else
		fprintf(stderr, "connected to %s (%s) in %lld ms\n",
		    (const char *)arg, addr, (long long)ms);
}

int
lc_connect(const struct lc_opts *o, struct sk_err *e)
{
	struct sk_connect_opts co = SK_CONNECT_OPTS_INIT;
	char name[SK_HOSTLEN + SK_SERVLEN + 4];

	co.family = o->family;
	co.src_host = o->src;
	if (o->connect_ms > 0)
		co.deadline = sk_deadline_in(o->connect_ms);
	if (o->unix_path != NULL)
		return sk_unixopen(o->unix_path, SOCK_STREAM, &co, e);
	if (o->udp)
		return sk_udpopen(o->host, o->service, &co, e);
	label(name, sizeof(name), o->host, o->service);
	if (o->verbose) {
		co.on_attempt = attempt;
		co.arg = name;
	}
	return sk_tcpopen(o->host, o->service, &co, e);
}

int
lc_listen(const struct lc_opts *o, struct sk_err *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[SK_ADDRSTRLEN];
	int fd;

	if (o->unix_path != NULL)
		fd = sk_listen_unix(o->unix_path, 8, e);
	else if (o->udp)
		fd = sk_listen_udp(o->host, o->service, o->family, e);
	else
		fd = sk_listen_af(o->host, o->service, o->family, 8, e);
	if (fd == -1 || !o->verbose)
		return fd;
	if (o->unix_path != NULL)
		fprintf(stderr, "Listening on %s\n", o->unix_path);
	else if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		fprintf(stderr, "Listening on %s%s\n", sk_addr_format(
		    (struct sockaddr *)&ss, addr, sizeof(addr)),
		    o->udp ? " (udp)" : "");
	return fd;
}

/*
 * UDP has no accept: wait for the first datagram, leave it queued and
 * connect the socket to its sender, as nc -u -l does; the relay then reads
 * it like any other.
 */
static int
accept_dgram(int lfd, struct sockaddr_storage *ss, socklen_t *len,
    struct sk_err *e)
{
	char byte;

	if (recvfrom(lfd, &byte, 1, MSG_PEEK, (struct sockaddr *)ss, len) == -1)
		return sk_err_sys(e, "recvfrom");
	if (connect(lfd, (struct sockaddr *)ss, *len) == -1)
		return sk_err_sys(e, "connect");
	return lfd;
}

int
lc_accept(const struct lc_opts *o, int lfd, struct sk_err *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[SK_ADDRSTRLEN];
	int fd;

	if (o->udp)
		fd = accept_dgram(lfd, &ss, &len, e);
	else if ((fd = accept4(lfd, (struct sockaddr *)&ss, &len,
	    SOCK_CLOEXEC)) == -1)
		return sk_err_sys(e, "accept");
	if (fd == -1 || !o->verbose)
		return fd;
	if (o->unix_path != NULL)
		fprintf(stderr, "Connection received on %s\n", o->unix_path);
	else
		fprintf(stderr, "Connection received on %s\n", peer_str(
		    (struct sockaddr *)&ss, addr, sizeof(addr)));
	return fd;
}
