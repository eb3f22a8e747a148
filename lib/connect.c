/*
 * tcpopen(host, service) for today's networks: every address, raced
 * RFC 8305-style, bounded by one deadline.  See sockkit/connect.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "internal.h"

/* More addresses than this are not worth racing; getaddrinfo rarely
 * returns more than a dozen. */
#define MAX_ADDRS 64

/* What a NULL struct sk_connect_opts means: defaults, no deadline. */
static const struct sk_connect_opts default_opts = SK_CONNECT_OPTS_INIT;

struct attempt {
	const struct addrinfo *ai;
	int fd;
};

struct race {
	const struct sk_connect_opts *o;
	int64_t t0, deadline;
	const struct addrinfo *order[MAX_ADDRS];
	int naddr, next;
	struct attempt live[MAX_ADDRS];
	int nlive;
	struct addrinfo *src;		/* resolved source addresses, or NULL */
	int last_err;
	char last_msg[SK_ERR_MSGLEN];
};

static void
report(struct race *r, enum sk_attempt_event ev, const struct addrinfo *ai,
    int err)
{
	if (r->o->on_attempt != NULL)
		r->o->on_attempt(r->o->arg, ev, ai->ai_addr, ai->ai_addrlen, err,
		    sk_now_ms() - r->t0);
}

static void
note_failure(struct race *r, const struct addrinfo *ai, int err,
    const char *what)
{
	char host[SK_ADDRSTRLEN];

	r->last_err = err;
	snprintf(r->last_msg, sizeof(r->last_msg), "%s %s port %d: %s", what,
	    sk__host_str(ai->ai_addr, host, sizeof(host)),
	    sk_addr_port(ai->ai_addr), strerror(err));
}

/*
 * RFC 8305 section 4: alternate families, starting with the family of the
 * first address, keeping getaddrinfo's (RFC 6724) order within a family.
 */
static int
interleave(const struct addrinfo *list, int family,
    const struct addrinfo **out)
{
	const struct addrinfo *ai, *a[MAX_ADDRS], *b[MAX_ADDRS];
	int na = 0, nb = 0, n = 0, i, j, first = 0;

	for (ai = list; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (family != AF_UNSPEC && ai->ai_family != family)
			continue;
		if (first == 0)
			first = ai->ai_family;
		if (ai->ai_family == first) {
			if (na < MAX_ADDRS)
				a[na++] = ai;
		} else if (nb < MAX_ADDRS) {
			b[nb++] = ai;
		}
	}
	for (i = 0, j = 0; (i < na || j < nb) && n < MAX_ADDRS;) {
		if (i < na)
			out[n++] = a[i++];
		if (j < nb && n < MAX_ADDRS)
			out[n++] = b[j++];
	}
	return n;
}

static int
bind_source(struct race *r, int fd, const struct addrinfo *dst)
{
	const struct addrinfo *s;

	for (s = r->src; s != NULL; s = s->ai_next) {
		if (s->ai_family != dst->ai_family)
			continue;
		if (bind(fd, s->ai_addr, s->ai_addrlen) == 0)
			return 0;
		note_failure(r, s, errno, "bind");
		return -1;
	}
	note_failure(r, dst, EAFNOSUPPORT, "no source address of the family of");
	return -1;
}

/* Start one attempt.  Returns 1 if it connected at once, 0 if it is in
 * progress (added to r->live), -1 if it failed (recorded). */
static int
start(struct race *r, const struct addrinfo *ai, int *fdp)
{
	int fd, one = 1;

	report(r, SK_ATTEMPT_START, ai, 0);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1) {
		note_failure(r, ai, errno, "socket for");
		report(r, SK_ATTEMPT_FAIL, ai, r->last_err);
		return -1;
	}
	if (r->o->src_host != NULL || r->o->src_port != NULL) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind_source(r, fd, ai) == -1) {
			close(fd);
			report(r, SK_ATTEMPT_FAIL, ai, r->last_err);
			return -1;
		}
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		*fdp = fd;
		return 1;
	}
	if (errno == EINPROGRESS || errno == EINTR) {
		r->live[r->nlive].ai = ai;
		r->live[r->nlive].fd = fd;
		r->nlive++;
		return 0;
	}
	note_failure(r, ai, errno, "connect to");
	close(fd);
	report(r, SK_ATTEMPT_FAIL, ai, r->last_err);
	return -1;
}

static void
drop_live(struct race *r, int i)
{
	close(r->live[i].fd);
	r->live[i] = r->live[--r->nlive];
}

static void
cancel_all(struct race *r)
{
	while (r->nlive > 0) {
		report(r, SK_ATTEMPT_CANCEL, r->live[r->nlive - 1].ai, 0);
		drop_live(r, r->nlive - 1);
	}
}

static int
finish(struct race *r, int fd, const struct addrinfo *ai)
{
	int one = 1;

	report(r, SK_ATTEMPT_OK, ai, 0);
	cancel_all(r);
	if (r->o->flags & SK_CONN_NODELAY)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!(r->o->flags & SK_CONN_NONBLOCK))
		sk__set_nonblock(fd, 0);
	return fd;
}

static int
race(struct race *r, const char *name, struct sk_err *e)
{
	struct pollfd pfd[MAX_ADDRS];
	int64_t next_at = 0, now;
	int stagger, i, n, fd, rc, timeout, soerr;
	socklen_t sl;

	stagger = r->o->stagger_ms > 0 ? r->o->stagger_ms : SK_STAGGER_DEFAULT;
	if (r->o->flags & SK_CONN_SEQUENTIAL)
		stagger = -1;
	for (;;) {
		now = sk_now_ms();
		/* Start the next address when nothing is in flight (the last
		 * one failed) or the stagger delay ran out. */
		while (r->next < r->naddr && (r->nlive == 0 ||
		    (stagger >= 0 && now >= next_at))) {
			const struct addrinfo *ai = r->order[r->next++];

			rc = start(r, ai, &fd);
			if (rc == 1)
				return finish(r, fd, ai);
			if (rc == 0) {
				next_at = now + stagger;
				break;
			}
		}
		if (r->nlive == 0) {
			if (r->next >= r->naddr)
				break;
			continue;
		}
		if (sk_deadline_passed(r->deadline)) {
			cancel_all(r);
			return sk_err_set(e, ETIMEDOUT,
			    "connect to %s: timed out after %lld ms", name,
			    (long long)(sk_now_ms() - r->t0));
		}
		timeout = sk_deadline_left(r->deadline);
		if (r->next < r->naddr && stagger >= 0) {
			int64_t left = next_at - now;

			if (left < 0)
				left = 0;
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
		}
		for (i = 0; i < r->nlive; i++) {
			pfd[i].fd = r->live[i].fd;
			pfd[i].events = POLLOUT;
			pfd[i].revents = 0;
		}
		n = poll(pfd, r->nlive, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			cancel_all(r);
			return sk_err_sys(e, "poll");
		}
		/* Walk backwards: drop_live() moves the last entry into i. */
		for (i = r->nlive - 1; i >= 0; i--) {
			const struct addrinfo *ai = r->live[i].ai;

			if (pfd[i].revents == 0)
				continue;
			soerr = 0;
			sl = sizeof(soerr);
			if (getsockopt(r->live[i].fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) == -1)
				soerr = errno;
			if (soerr == 0) {
				fd = r->live[i].fd;
				r->live[i] = r->live[--r->nlive];
				return finish(r, fd, ai);
			}
			note_failure(r, ai, soerr, "connect to");
			report(r, SK_ATTEMPT_FAIL, ai, soerr);
			drop_live(r, i);
			/* A failure frees the next address to go at once. */
			next_at = sk_now_ms();
		}
	}
	if (r->last_err == 0)
		return sk_err_set(e, EADDRNOTAVAIL, "connect to %s: no address",
		    name);
	return sk_err_set(e, r->last_err, "%s", r->last_msg);
}

static int
race_init(struct race *r, const struct sk_connect_opts *o,
    struct sk_err *e)
{
	memset(r, 0, sizeof(*r));
	r->o = o != NULL ? o : &default_opts;
	r->t0 = sk_now_ms();
	r->deadline = r->o->deadline;
	if (r->o->src_host != NULL || r->o->src_port != NULL) {
		if (sk_addr_resolve(r->o->src_host, r->o->src_port ? r->o->src_port
		    : "0", r->o->family, SOCK_STREAM, AI_PASSIVE, &r->src,
		    r->deadline, e) == -1)
			return -1;
	}
	return 0;
}

int
sk_tcpopen_ai(const struct addrinfo *list, const struct sk_connect_opts *o,
    struct sk_err *e)
{
	struct race r;
	char name[SK_ADDRSTRLEN];
	int fd;

	if (race_init(&r, o, e) == -1)
		return -1;
	r.naddr = interleave(list, r.o->family, r.order);
	if (r.naddr == 0) {
		if (r.src)
			freeaddrinfo(r.src);
		return sk_err_set(e, EADDRNOTAVAIL, "connect: no usable address");
	}
	sk_addr_format(r.order[0]->ai_addr, name, sizeof(name));
	fd = race(&r, name, e);
	if (r.src)
		freeaddrinfo(r.src);
	return fd;
}

int
sk_tcpopen(const char *host, const char *service,
    const struct sk_connect_opts *o, struct sk_err *e)
{
	struct addrinfo *res;
	struct race r;
	char name[SK_HOSTLEN + SK_SERVLEN + 8];
	int fd;

	if (service == NULL || *service == '\0')
		return sk_err_set(e, EINVAL, "connect to %s: no service or port",
		    host ? host : "localhost");
	if (race_init(&r, o, e) == -1)
		return -1;
	if (sk_addr_resolve(host, service, r.o->family, SOCK_STREAM, 0, &res,
	    r.deadline, e) == -1) {
		if (r.src)
			freeaddrinfo(r.src);
		return -1;
	}
	r.naddr = interleave(res, r.o->family, r.order);
	snprintf(name, sizeof(name), "%s port %s", host && *host ? host :
	    "localhost", service);
	if (r.naddr == 0) {
		fd = sk_err_set(e, EADDRNOTAVAIL, "connect to %s: no address of "
		    "the requested family", name);
	} else {
		fd = race(&r, name, e);
	}
	freeaddrinfo(res);
	if (r.src)
		freeaddrinfo(r.src);
	return fd;
}

int
sk_udpopen(const char *host, const char *service,
    const struct sk_connect_opts *o, struct sk_err *e)
{
	struct addrinfo *res, *ai;
	struct race r;
	int fd = -1;

	if (race_init(&r, o, e) == -1)
		return -1;
	if (sk_addr_resolve(host, service, r.o->family, SOCK_DGRAM, 0, &res,
	    r.deadline, e) == -1)
		goto end;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		report(&r, SK_ATTEMPT_START, ai, 0);
		fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			note_failure(&r, ai, errno, "socket for");
		} else if (r.src != NULL && bind_source(&r, fd, ai) == -1) {
			close(fd);
			fd = -1;
		} else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			note_failure(&r, ai, errno, "connect to");
			close(fd);
			fd = -1;
		} else {
			report(&r, SK_ATTEMPT_OK, ai, 0);
			if (r.o->flags & SK_CONN_NONBLOCK)
				sk__set_nonblock(fd, 1);
			break;
		}
		report(&r, SK_ATTEMPT_FAIL, ai, r.last_err);
	}
	if (fd == -1)
		sk_err_set(e, r.last_err ? r.last_err : EADDRNOTAVAIL, "%s",
		    r.last_err ? r.last_msg : "udp: no usable address");
	freeaddrinfo(res);
end:
	if (r.src)
		freeaddrinfo(r.src);
	return fd;
}

int
sk_unixopen(const char *path, int type, const struct sk_connect_opts *o,
    struct sk_err *e)
{
	struct sockaddr_un sun;
	socklen_t len;
	int64_t deadline = o != NULL ? o->deadline : SK_NEVER;
	int fd, soerr = 0, rc;
	socklen_t sl = sizeof(soerr);

	if (sk__unix_addr(path, &sun, &len, e) == -1)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return sk_err_sys(e, "socket");
	if (connect(fd, (struct sockaddr *)&sun, len) == -1) {
		/* EAGAIN here is a full backlog, not a connect in progress. */
		if (errno != EINPROGRESS) {
			sk_err_sys(e, "connect to %s", path);
			/* No socket file means no server there: refused, not
			 * a bad argument (servers create their own paths). */
			if (e != NULL && errno == ENOENT)
				e->kind = SK_ERR_REFUSED;
			close(fd);
			return -1;
		}
		rc = sk_wait(fd, POLLOUT, deadline, e);
		if (rc <= 0) {
			if (rc == 0)
				sk_err_set(e, ETIMEDOUT, "connect to %s: timed out",
				    path);
			close(fd);
			return -1;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr != 0) {
			close(fd);
			return sk_err_set(e, soerr, "connect to %s: %s", path,
			    strerror(soerr));
		}
	}
	if (o == NULL || !(o->flags & SK_CONN_NONBLOCK))
		sk__set_nonblock(fd, 0);
	return fd;
}
