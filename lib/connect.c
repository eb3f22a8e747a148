/*
 * tcpopen(host, service) for today's networks: every address, raced
 * RFC 8305-style, bounded by one deadline.  See sockkit/connect.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/fd.h"
#include "internal.h"

/* What a NULL struct sk_connect_opts means: defaults, no deadline. */
static const struct sk_connect_opts default_opts = SK_CONNECT_OPTS_INIT;

/* Lists this long race in arrays inside struct race; longer ones get
 * arrays as long as they are, so no address is ever left out. */
#define SMALL 8

struct attempt {
	const struct addrinfo *ai;
	int fd;
};

struct race {
	const struct sk_connect_opts *o;
	int64_t t0, deadline;
	const struct addrinfo **order;	/* sk_connect_order() of the list */
	size_t naddr, next;
	struct attempt *live;		/* attempts in flight */
	struct pollfd *pfd;		/* one per live attempt */
	size_t nlive;
	int csflags;			/* SK_CS_* for sk_connect_start() */
	struct addrinfo *src;		/* resolved source addresses, or NULL */
	int last_err;
	char last_msg[SK_ERR_MSGLEN];
	void *mem;			/* the arrays, when malloc'd */
	const struct addrinfo *order_small[SMALL];
	struct attempt live_small[SMALL];
	struct pollfd pfd_small[SMALL];
};

static void
report(struct race *r, enum sk_attempt_event ev, const struct addrinfo *ai,
    int err)
{
	if (r->o->on_attempt != NULL)
		r->o->on_attempt(r->o->arg, ev, ai->ai_addr, ai->ai_addrlen, err,
		    sk_now_ms() - r->t0);
}

/* Keep e as the failure to report if no address connects. */
static void
note_failure(struct race *r, const struct sk_err *e)
{
	r->last_err = e->code != 0 ? e->code : EIO;
	memcpy(r->last_msg, e->msg, sizeof(r->last_msg));
}

/* The source bind of the options, as sk_connect_start()'s hook: the first
 * resolved source address of the destination's family. */
static int
bind_source(int fd, const struct sockaddr *dst, socklen_t dstlen, void *arg,
    struct sk_err *e)
{
	const struct race *r = arg;
	const struct addrinfo *s;
	char buf[SK_ADDRSTRLEN];

	if (sk__setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1,
	    e) == -1)
		return -1;
	for (s = r->src; s != NULL; s = s->ai_next) {
		if (s->ai_family != dst->sa_family)
			continue;
		if (bind(fd, s->ai_addr, s->ai_addrlen) == 0)
			return 0;
		return sk_err_sys(e, "bind %s", sk__addr_str(s->ai_addr, buf,
		    sizeof(buf)));
	}
	return sk_err_set(e, EAFNOSUPPORT, "connect to %s: no source address "
	    "of its family", sk__addr_str(dst, buf, sizeof(buf)));
}

/* Start one attempt: 0 if it is in flight (added to r->live; one that
 * completed inside connect(2) shows up in the next poll), -1 if it
 * failed (recorded). */
static int
start(struct race *r, const struct addrinfo *ai)
{
	struct sk_err e;
	int fd;

	report(r, SK_ATTEMPT_START, ai, 0);
	fd = sk_connect_start(ai->ai_addr, ai->ai_addrlen, SOCK_STREAM,
	    r->csflags, r->src != NULL ? bind_source : NULL, r, &e);
	if (fd == -1) {
		note_failure(r, &e);
		report(r, SK_ATTEMPT_FAIL, ai, r->last_err);
		return -1;
	}
	r->live[r->nlive].ai = ai;
	r->live[r->nlive].fd = fd;
	r->nlive++;
	return 0;
}

static void
drop_live(struct race *r, size_t i)
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
finish(struct race *r, int fd, const struct addrinfo *ai, struct sk_err *e)
{
	report(r, SK_ATTEMPT_OK, ai, 0);
	cancel_all(r);
	/* The race's sockets come from sk_connect_start() with O_NONBLOCK
	 * as their only status flag (its hook here only binds), so one
	 * F_SETFL, not sk_fd_nonblock()'s get-and-set, makes it blocking. */
	if (!(r->o->flags & SK_CONN_NONBLOCK) && fcntl(fd, F_SETFL, 0) == -1) {
		sk_err_sys(e, "fcntl F_SETFL fd %d", fd);
		close(fd);
		return -1;
	}
	return fd;
}

static int
race(struct race *r, const char *name, struct sk_err *e)
{
	int64_t next_at = 0, now;
	int stagger, n, fd, rc, timeout;
	size_t i;

	stagger = r->o->stagger_ms > 0 ? r->o->stagger_ms : SK_STAGGER_DEFAULT;
	if (r->o->flags & SK_CONN_SEQUENTIAL)
		stagger = -1;
	for (;;) {
		now = sk_now_ms();
		/* Start the next address when nothing is in flight (the last
		 * one failed) or the stagger delay ran out. */
		while (r->next < r->naddr && (r->nlive == 0 ||
		    (stagger >= 0 && now >= next_at))) {
			if (start(r, r->order[r->next++]) == 0) {
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
			r->pfd[i].fd = r->live[i].fd;
			r->pfd[i].events = POLLOUT;
			r->pfd[i].revents = 0;
		}
		n = poll(r->pfd, r->nlive, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			cancel_all(r);
			return sk_err_sys(e, "poll");
		}
		/* Walk backwards: drop_live() moves the last entry into i. */
		for (i = r->nlive; i-- > 0;) {
			const struct addrinfo *ai = r->live[i].ai;
			struct sk_err fe;

			if (r->pfd[i].revents == 0)
				continue;
			fd = r->live[i].fd;
			rc = sk__connect_finish_polled(fd, ai->ai_addr,
			    ai->ai_addrlen, NULL, r->pfd[i].revents, &fe);
			if (rc == 1)
				continue;
			if (rc == 0) {
				r->live[i] = r->live[--r->nlive];
				return finish(r, fd, ai, e);
			}
			note_failure(r, &fe);
			report(r, SK_ATTEMPT_FAIL, ai, r->last_err);
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
	r->o = o != NULL ? o : &default_opts;
	r->t0 = sk_now_ms();
	r->deadline = r->o->deadline;
	r->naddr = r->next = r->nlive = 0;
	r->csflags = (r->o->flags & SK_CONN_NODELAY) ? SK_CS_NODELAY : 0;
	r->src = NULL;
	r->last_err = 0;
	r->last_msg[0] = '\0';
	r->mem = NULL;
	if (r->o->src_host != NULL || r->o->src_port != NULL) {
		if (sk_addr_resolve(r->o->src_host, r->o->src_port ? r->o->src_port
		    : "0", r->o->family, SOCK_STREAM, AI_PASSIVE, &r->src,
		    r->deadline, e) == -1)
			return -1;
	}
	return 0;
}

/* Order list into r, with arrays for as many attempts as it has
 * addresses.  Returns the number of addresses, or -1 (ENOMEM). */
static int
race_plan(struct race *r, const struct addrinfo *list, struct sk_err *e)
{
	size_t n = sk_connect_order(list, r->o->family, NULL, 0), each;

	r->order = r->order_small;
	r->live = r->live_small;
	r->pfd = r->pfd_small;
	if (n > SMALL) {
		each = sizeof(*r->live) + sizeof(*r->order) + sizeof(*r->pfd);
		if (n > SIZE_MAX / each || (r->mem = malloc(n * each)) == NULL)
			return sk_err_set(e, ENOMEM, "connect: %zu addresses: %s",
			    n, strerror(ENOMEM));
		/* Largest alignment first. */
		r->live = r->mem;
		r->order = (const struct addrinfo **)(r->live + n);
		r->pfd = (struct pollfd *)(r->order + n);
	}
	r->naddr = sk_connect_order(list, r->o->family, r->order, n);
	return (int)(r->naddr > 0);
}

static void
race_free(struct race *r)
{
	if (r->src != NULL)
		freeaddrinfo(r->src);
	free(r->mem);
}

int
sk_tcpopen_ai(const struct addrinfo *list, const struct sk_connect_opts *o,
    struct sk_err *e)
{
	struct race r;
	char name[SK_ADDRSTRLEN];
	int fd = -1;

	if (race_init(&r, o, e) == -1)
		return -1;
	switch (race_plan(&r, list, e)) {
	case 0:
		sk_err_set(e, EADDRNOTAVAIL, "connect: no usable address");
		break;
	case 1:
		sk__addr_str(r.order[0]->ai_addr, name, sizeof(name));
		fd = race(&r, name, e);
		break;
	}
	race_free(&r);
	return fd;
}

int
sk_tcpopen(const char *host, const char *service,
    const struct sk_connect_opts *o, struct sk_err *e)
{
	struct addrinfo *res;
	struct race r;
	char name[SK_HOSTLEN + SK_SERVLEN + 8];
	int fd = -1;

	if (service == NULL || *service == '\0')
		return sk_err_set(e, EINVAL, "connect to %s: no service or port",
		    host ? host : "localhost");
	if (race_init(&r, o, e) == -1)
		return -1;
	if (sk_addr_resolve(host, service, r.o->family, SOCK_STREAM, 0, &res,
	    r.deadline, e) == -1) {
		race_free(&r);
		return -1;
	}
	/* The name as asked for, with the port it resolved to, in the
	 * suite's form: "example:43", "[2001:2::1]:43". */
	if (host == NULL || *host == '\0')
		host = "localhost";
	snprintf(name, sizeof(name), strchr(host, ':') ? "[%s]:%d" : "%s:%d",
	    host, sk_addr_port(res->ai_addr));
	switch (race_plan(&r, res, e)) {
	case 0:
		sk_err_set(e, EADDRNOTAVAIL, "connect to %s: no address of "
		    "the requested family", name);
		break;
	case 1:
		fd = race(&r, name, e);
		break;
	}
	freeaddrinfo(res);
	race_free(&r);
	return fd;
}

int
sk_udpopen(const char *host, const char *service,
    const struct sk_connect_opts *o, struct sk_err *e)
{
	struct addrinfo *res, *ai;
	struct race r;
	struct sk_err ae;
	int fd = -1;

	if (race_init(&r, o, e) == -1)
		return -1;
	if (sk_addr_resolve(host, service, r.o->family, SOCK_DGRAM, 0, &res,
	    r.deadline, e) == -1)
		goto end;
	/* A UDP connect(2) only picks a route: it completes at once. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		report(&r, SK_ATTEMPT_START, ai, 0);
		fd = sk_connect_start(ai->ai_addr, ai->ai_addrlen, SOCK_DGRAM,
		    0, r.src != NULL ? bind_source : NULL, &r, &ae);
		if (fd != -1) {
			report(&r, SK_ATTEMPT_OK, ai, 0);
			break;
		}
		note_failure(&r, &ae);
		report(&r, SK_ATTEMPT_FAIL, ai, r.last_err);
	}
	if (fd == -1)
		sk_err_set(e, r.last_err ? r.last_err : EADDRNOTAVAIL, "%s",
		    r.last_err ? r.last_msg : "udp: no usable address");
	else if (!(r.o->flags & SK_CONN_NONBLOCK) &&
	    sk_fd_nonblock(fd, 0, e) == -1) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
end:
	race_free(&r);
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
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
			soerr = errno;
		if (soerr != 0) {
			close(fd);
			return sk_err_set(e, soerr, "connect to %s: %s", path,
			    strerror(soerr));
		}
	}
	if ((o == NULL || !(o->flags & SK_CONN_NONBLOCK)) &&
	    sk_fd_nonblock(fd, 0, e) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}
