/*
 * One non-blocking connect, split into start and finish so that a caller
 * can keep thousands in flight on its own loop; the RFC 8305 address
 * order.  See sockkit/connect.h ("building blocks").
 */
#include <errno.h>
#include <time.h>		/* struct timespec, for linux/errqueue.h */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/connect.h"
#include "sockkit/err.h"
#include "internal.h"

/* The destination in the suite's form, "198.18.0.2:43" or "[2001:2::1]:43",
 * or "?" when the caller gave none. */
static const char *
where(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
	if (sa == NULL || salen < sizeof(sa_family_t))
		return "?";
	return sk__addr_str(sa, buf, len);
}

static int
is_v4mapped(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
}

static int
apply_flags(int fd, const struct sockaddr *sa, int flags, struct sk_err *e)
{
	if (flags & SK_CS_RECVERR) {
		/* A v6 socket talking to a v4-mapped address gets ICMPv4
		 * errors, which only IP_RECVERR queues. */
		if ((sa->sa_family == AF_INET || is_v4mapped(sa)) &&
		    sk__setsockopt_int(fd, IPPROTO_IP, IP_RECVERR, "IP_RECVERR",
		    1, e) == -1)
			return -1;
		if (sa->sa_family == AF_INET6 && sk__setsockopt_int(fd,
		    IPPROTO_IPV6, IPV6_RECVERR, "IPV6_RECVERR", 1, e) == -1)
			return -1;
	}
	if (flags & SK_CS_RST) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) == -1)
			return sk_err_kset(e, SK_ERR_SYSTEM, errno,
			    "setsockopt SO_LINGER: %s", strerror(errno));
	}
	if ((flags & SK_CS_NODELAY) && sk__setsockopt_int(fd, IPPROTO_TCP,
	    TCP_NODELAY, "TCP_NODELAY", 1, e) == -1)
		return -1;
	return 0;
}

int
sk_connect_start(const struct sockaddr *sa, socklen_t salen, int socktype,
    int flags, sk_sockopt_fn *hook, void *arg, struct sk_err *e)
{
	char dst[SK_ADDRSTRLEN];
	int fd, saved;

	if (sa == NULL || salen < sizeof(sa_family_t))
		return sk_err_set(e, EINVAL, "connect: no address");
	fd = socket(sa->sa_family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return sk_err_sys(e, "socket for %s", where(sa, salen, dst,
		    sizeof(dst)));
	if (apply_flags(fd, sa, flags, e) == -1)
		goto fail;
	if (hook != NULL) {
		sk_err_clear(e);
		if (hook(fd, sa, salen, arg, e) == -1) {
			/* A hook that gave no reason still ends the attempt. */
			if (e != NULL && e->kind == SK_ERR_NONE)
				sk_err_set(e, ECANCELED, "connect to %s: "
				    "abandoned by the socket-option hook",
				    where(sa, salen, dst, sizeof(dst)));
			goto fail;
		}
	}
	/* EINTR leaves a non-blocking connect going on, like EINPROGRESS. */
	if (connect(fd, sa, salen) == 0 || errno == EINPROGRESS ||
	    errno == EINTR)
		return fd;
	sk_err_sys(e, "connect to %s", where(sa, salen, dst, sizeof(dst)));
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* The first ICMP or local error queued on fd, if any.  SO_ERROR is read
 * before this: on some kernels dequeuing an error also resets it. */
static void
read_errqueue(int fd, struct sk_icmp_reason *why)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
		    sizeof(struct sockaddr_in6))];
		struct cmsghdr align;
	} cbuf;
	struct sock_extended_err ee;
	struct msghdr mh;
	struct cmsghdr *c;
	struct iovec iov;
	char payload[1];
	size_t len;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = payload;
		iov.iov_len = sizeof(payload);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) == -1)
			return;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			if (!(c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_RECVERR) &&
			    !(c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_RECVERR))
				continue;
			if (c->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			/* Timestamps and zero-copy notices share the queue. */
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP &&
			    ee.ee_origin != SO_EE_ORIGIN_ICMP6 &&
			    ee.ee_origin != SO_EE_ORIGIN_LOCAL)
				continue;
			why->origin = ee.ee_origin;
			why->type = ee.ee_type;
			why->code = ee.ee_code;
			len = c->cmsg_len - CMSG_LEN(sizeof(ee));
			if (len > sizeof(why->from))
				len = sizeof(why->from);
			memcpy(&why->from, CMSG_DATA(c) + sizeof(ee), len);
			if (len >= sizeof(struct sockaddr_in) &&
			    why->from.ss_family == AF_INET)
				why->fromlen = sizeof(struct sockaddr_in);
			else if (len >= sizeof(struct sockaddr_in6) &&
			    why->from.ss_family == AF_INET6)
				why->fromlen = sizeof(struct sockaddr_in6);
			return;
		}
	}
}

/* Whether an unconnected socket has ended (its error already taken by
 * someone) rather than still connecting. */
static int
hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

int
sk_connect_finish(int fd, const struct sockaddr *sa, socklen_t salen,
    struct sk_icmp_reason *why, struct sk_err *e)
{
	return sk__connect_finish_polled(fd, sa, salen, why, 0, e);
}

/*
 * sk_connect_finish() for a caller that polled fd itself: with revents
 * POLLOUT and neither POLLERR nor POLLHUP, a clean SO_ERROR means the
 * connect is done (TCP never reports a SYN_SENT socket writable), so the
 * getpeername(2) that tells a spurious wake-up is skipped: one system
 * call less per connection in sk_tcpopen()'s race.
 */
int
sk__connect_finish_polled(int fd, const struct sockaddr *sa, socklen_t salen,
    struct sk_icmp_reason *why, int revents, struct sk_err *e)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	char dst[SK_ADDRSTRLEN], from[SK_ADDRSTRLEN];
	enum sk_err_kind kind;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (why != NULL) {
		why->origin = why->type = why->code = 0;
		why->fromlen = 0;
		why->from.ss_family = AF_UNSPEC;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		return sk_err_sys(e, "getsockopt SO_ERROR fd %d", fd);
	if (soerr == 0) {
		if ((revents & (POLLOUT | POLLERR | POLLHUP)) == POLLOUT)
			return 0;
		/* Writable with no error means connected, but a wake-up can
		 * be spurious and SO_ERROR reads 0 while SYN_SENT too. */
		if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0)
			return 0;
		if (errno != ENOTCONN)
			return sk_err_sys(e, "getpeername fd %d", fd);
		if (!hung_up(fd))
			return 1;
		soerr = ECONNABORTED;
	}
	/* ICMPv6 "administratively prohibited" arrives as EACCES: the
	 * network said no, this host's permissions had nothing to do. */
	kind = soerr == EACCES ? SK_ERR_NETWORK : sk_err_kind_of(soerr);
	if (why != NULL)
		read_errqueue(fd, why);
	if (why != NULL && why->origin != 0 && why->origin !=
	    SO_EE_ORIGIN_LOCAL)
		return sk_err_kset(e, kind, soerr, "connect to %s: %s (%s from "
		    "%s)", where(sa, salen, dst, sizeof(dst)), strerror(soerr),
		    sk_icmp_reason_str(why), why->fromlen ?
		    sk_addr_ntop((struct sockaddr *)&why->from, from,
		    sizeof(from)) : "?");
	return sk_err_kset(e, kind, soerr, "connect to %s: %s", where(sa, salen,
	    dst, sizeof(dst)), strerror(soerr));
}

/* nmap's words (reason.cc), so portprobe's reasons read like nmap's. */
static const char *
icmp4_word(int type, int code)
{
	switch (type) {
	case 0:
		return "echo-reply";
	case 3:
		switch (code) {
		case 0:
			return "net-unreach";
		case 1:
			return "host-unreach";
		case 2:
			return "proto-unreach";
		case 3:
			return "port-unreach";
		case 9:
			return "net-prohibited";
		case 10:
			return "host-prohibited";
		case 13:
			return "admin-prohibited";
		}
		return "dest-unreach";
	case 4:
		return "source-quench";
	case 11:
		return "time-exceeded";
	case 14:
		return "timestamp-reply";
	case 18:
		return "addressmask-reply";
	}
	return "unknown-response";
}

static const char *
icmp6_word(int type, int code)
{
	switch (type) {
	case 1:
		switch (code) {
		case 0:
			return "no-route";
		case 1:
		case 5:
			return "admin-prohibited";
		case 2:
			return "beyond-scope";
		case 3:
			return "host-unreach";
		case 4:
			return "port-unreach";
		case 6:
			return "reject-route";
		}
		return "dest-unreach";
	case 3:
		return "time-exceeded";
	case 4:
		return "param-problem";
	case 129:
		return "echo-reply";
	}
	return "unknown-response";
}

const char *
sk_icmp_reason_str(const struct sk_icmp_reason *why)
{
	if (why == NULL || why->origin == 0)
		return "";
	if (why->origin == SO_EE_ORIGIN_ICMP)
		return icmp4_word(why->type, why->code);
	if (why->origin == SO_EE_ORIGIN_ICMP6)
		return icmp6_word(why->type, why->code);
	return "unknown-response";
}

int
sk_connect_is_self(int fd)
{
	struct sockaddr_storage a, b;
	socklen_t la = sizeof(a), lb = sizeof(b);

	if (getsockname(fd, (struct sockaddr *)&a, &la) == -1 ||
	    getpeername(fd, (struct sockaddr *)&b, &lb) == -1)
		return 0;
	if (a.ss_family != b.ss_family)
		return 0;
	if (a.ss_family == AF_INET) {
		struct sockaddr_in *x = (struct sockaddr_in *)&a;
		struct sockaddr_in *y = (struct sockaddr_in *)&b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a.ss_family == AF_INET6) {
		struct sockaddr_in6 *x = (struct sockaddr_in6 *)&a;
		struct sockaddr_in6 *y = (struct sockaddr_in6 *)&b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr,
		    sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

/* The next entry of family fam from ai on (ai itself included). */
static const struct addrinfo *
next_of(const struct addrinfo *ai, int fam)
{
	while (ai != NULL && ai->ai_family != fam)
		ai = ai->ai_next;
	return ai;
}

/*
 * Two cursors walk the list, one per family, so the order needs no
 * scratch arrays and no cap on the list's length.
 */
size_t
sk_connect_order(const struct addrinfo *list, int family,
    const struct addrinfo **out, size_t max)
{
	const struct addrinfo *a, *b = NULL;
	size_t n = 0;
	int first;

	if (family == AF_UNSPEC) {
		for (a = list; a != NULL; a = a->ai_next)
			if (a->ai_family == AF_INET || a->ai_family == AF_INET6)
				break;
		if (a == NULL)
			return 0;
		first = a->ai_family;
		b = next_of(list, first == AF_INET ? AF_INET6 : AF_INET);
	} else if (family == AF_INET || family == AF_INET6) {
		first = family;
		a = next_of(list, first);
	} else {
		return 0;
	}
	while (a != NULL || b != NULL) {
		if (a != NULL) {
			if (n < max)
				out[n] = a;
			n++;
			a = next_of(a->ai_next, a->ai_family);
		}
		if (b != NULL) {
			if (n < max)
				out[n] = b;
			n++;
			b = next_of(b->ai_next, b->ai_family);
		}
	}
	return n;
}
