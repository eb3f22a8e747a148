/*
 * --probe: connect to each address of a connect plan in the plan's
 * order, one at a time, each with the lookup's timeout, and keep the
 * time to connect or why it failed (SO_ERROR, and the ICMP reason when
 * the kernel queued one).  Built on sk_connect_start/finish, the same
 * steps sk_tcpopen races; here they run one after another, so each
 * address gets its own verdict instead of losing to the fastest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "resolve/resolve.h"

static double
mono_ms(void)
{
	return sk_now_us() / 1e3;
}

static socklen_t
to_sa(const struct rs_addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		inet_pton(AF_INET6, a->addr, &s6->sin6_addr);
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(a->port);
	inet_pton(AF_INET, a->addr, &s4->sin_addr);
	return sizeof(*s4);
}

static void
probe_one(struct rs_addr *a, int64_t timeout_ms)
{
	struct sockaddr_storage ss;
	struct sk_icmp_reason why;
	struct sk_err e;
	socklen_t sl = to_sa(a, &ss);
	int64_t deadline = sk_deadline_in(timeout_ms);
	double t0 = mono_ms();
	int fd, rc = 1, ev;

	a->probed = 1;
	sk_err_clear(&e);
	fd = sk_connect_start((struct sockaddr *)&ss, sl, SOCK_STREAM,
	    SK_CS_RECVERR | SK_CS_RST, NULL, NULL, &e);
	while (fd != -1 && rc == 1) {
		if ((ev = sk_wait(fd, POLLOUT, deadline, &e)) <= 0) {
			if (ev == 0)
				sk_err_kset(&e, SK_ERR_TIMEOUT, ETIMEDOUT, "%s",
				    "timed out");
			break;
		}
		rc = sk_connect_finish(fd, (struct sockaddr *)&ss, sl, &why, &e);
		if (rc == -1 && why.origin != 0)
			snprintf(a->reason, sizeof(a->reason), "%s",
			    sk_icmp_reason_str(&why));
	}
	a->connect_ms = mono_ms() - t0;
	a->pkind = e.kind;
	a->perrno = e.code;
	if (fd != -1)
		close(fd);
}

void
rs_probe_msg(const struct rs_addr *a, char *buf, size_t len)
{
	if (a->family == AF_INET6)
		snprintf(buf, len, "connect to [%s]:%d: %s", a->addr, a->port,
		    strerror(a->perrno));
	else
		snprintf(buf, len, "connect to %s:%d: %s", a->addr, a->port,
		    strerror(a->perrno));
}

/* Probe every address of a plan; the plan's exit code becomes 0 if one
 * connected, else the last failure's. */
void
rs_probe(struct rs_result *r, const struct rs_opts *o)
{
	int i, any = 0;

	char msg[128];

	for (i = 0; i < r->naddr; i++) {
		probe_one(&r->addr[i], o->timeout_ms);
		if (r->addr[i].pkind == SK_ERR_NONE)
			any = 1;
	}
	if (r->naddr > 0 && !any) {
		rs_probe_msg(&r->addr[r->naddr - 1], msg, sizeof(msg));
		sk_err_kset(&r->err, r->addr[r->naddr - 1].pkind,
		    r->addr[r->naddr - 1].perrno, "%s", msg);
	}
}
