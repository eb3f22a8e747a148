/*
 * What one probe sends and how its answer reads: TCP connect probes over
 * sk_connect_start()/sk_connect_finish() (ICMP reasons from the error
 * queue), UDP probes with protocol payloads, banners.  Scheduling is
 * lib/scan.c.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/errqueue.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/connect.h"
#include "sockkit/err.h"
#include "sockkit/scan.h"
#include "scan_int.h"

#define BANNER_MAX 512
#define BANNER_WAIT_US 1000000	/* then "\r\n", then as long again */

/* A DNS query for the root's NS records (RD set) and an NTP v4 client
 * request: what a DNS or NTP server answers, so an open port shows. */
static const unsigned char dns_query[] = {
	0x53, 0x4b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x02, 0x00, 0x01
};
static unsigned char ntp_query[48] = { 0xe3 };

static void
payload(unsigned port, const void **buf, size_t *len)
{
	*buf = "";
	*len = 0;
	if (port == 53) {
		*buf = dns_query;
		*len = sizeof(dns_query);
	} else if (port == 123) {
		*buf = ntp_query;
		*len = sizeof(ntp_query);
	}
}

static int64_t
timeout_us(const struct worker *w, const struct probe *p)
{
	const struct sk_scan_timing *tm = &w->s->o->timing;

	return sk_rtt_timeout(&p->h->rtt, tm->initial_rtt_us, tm->min_rtt_us,
	    tm->max_rtt_us);
}

static int
watch(struct worker *w, struct probe *p, uint32_t events, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = p;
	if (epoll_ctl(w->ep, op, p->fd, &ev) == -1)
		return sk_err_sys(&w->err, "epoll_ctl");
	p->watched = 1;
	return 0;
}

/* An ICMP error about the probe decides it: port unreachable from the
 * target closes a UDP port; the rest (and every ICMP error about TCP)
 * means something in the way filters it, as nmap reads them. */
static void
icmp_verdict(struct worker *w, struct probe *p, const struct sk_icmp_reason *why)
{
	const char *word = sk_icmp_reason_str(why);
	enum sk_port_state st = SK_PORT_FILTERED;

	if (p->x.proto == SK_PROTO_UDP && strcmp(word, "port-unreach") == 0)
		st = SK_PORT_CLOSED;
	sk__probe_done(w, p, st, word, why->type, why->code, why->fromlen ?
	    (const struct sockaddr *)&why->from : NULL);
}

/* A failure without an ICMP reason, by errno. */
static void
errno_verdict(struct worker *w, struct probe *p, int code)
{
	int udp = p->x.proto == SK_PROTO_UDP;

	switch (code) {
	case ECONNREFUSED:
		sk__probe_done(w, p, SK_PORT_CLOSED, udp ? "port-unreach" :
		    "conn-refused", -1, -1, NULL);
		break;
	case ETIMEDOUT:
		sk__probe_silent(w, p);
		break;
	case ENETUNREACH:
		sk__probe_done(w, p, SK_PORT_FILTERED, "net-unreach", -1, -1,
		    NULL);
		break;
	case EHOSTUNREACH:
	case EHOSTDOWN:
		sk__probe_done(w, p, SK_PORT_FILTERED, "host-unreach", -1, -1,
		    NULL);
		break;
	case ECONNRESET:
		sk__probe_done(w, p, SK_PORT_CLOSED, "reset", -1, -1, NULL);
		break;
	default:
		sk__probe_done(w, p, SK_PORT_FILTERED, "unknown-response", -1,
		    -1, NULL);
		break;
	}
}

static void
banner_start(struct worker *w, struct probe *p)
{
	p->phase = PH_BANNER1;
	if (watch(w, p, EPOLLIN, p->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD) == -1)
		sk__probe_done(w, p, SK_PORT_OPEN, "syn-ack", -1, -1, NULL);
	else
		sk__probe_rearm(w, p, sk__scan_now_us() + BANNER_WAIT_US);
}

static void
banner_read(struct worker *w, struct probe *p)
{
	ssize_t n;

	if ((p->banner = malloc(BANNER_MAX)) != NULL) {
		n = recv(p->fd, p->banner, BANNER_MAX, MSG_DONTWAIT);
		p->bannerlen = n > 0 ? (size_t)n : 0;
	}
	sk__probe_done(w, p, SK_PORT_OPEN, "syn-ack", -1, -1, NULL);
}

/*
 * Probes to a 127/8 target leave from another loopback address.  With
 * thousands of connects in flight, two probes can otherwise be each
 * other's mirror (A from port a to port b while B goes from b to a):
 * their SYNs cross, TCP's simultaneous open connects them, and two
 * closed ports look open.  A source address that is never a target
 * port's local address rules that out, and the self-connect with it.
 */
#define LOOP_SRC  0x7ffefefeU	/* 127.254.254.254 */
#define LOOP_SRC2 0x7ffefefdU	/* when that is the target itself */

static in_addr_t
loop_src(const struct sockaddr_storage *ss)
{
	in_addr_t dst = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);

	return htonl(dst == LOOP_SRC ? LOOP_SRC2 : LOOP_SRC);
}

static int
bind_loop_src(int fd, const struct sockaddr *dst, socklen_t dstlen,
    void *arg, struct sk_err *e)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	int one = 1;

	(void)dstlen;
	(void)arg;
	src.sin_addr.s_addr = loop_src((const struct sockaddr_storage *)dst);
	/* The port is picked at connect(2), per 4-tuple, not at bind. */
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1)
		return sk_err_sys(e, "bind 127.254.254.254");
	return 0;
}

/* 1 if probes to ss get the loopback source of bind_loop_src(). */
static int
loop_bound(const struct probe *p, const struct sockaddr_storage *ss)
{
	return p->local && ss->ss_family == AF_INET;
}

/* Keep p's refused socket for the next probe: connect(2) to AF_UNSPEC
 * makes it unconnected again, options and all. */
static void
spare_put(struct worker *w, struct probe *p)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	struct sockaddr_storage ss;
	unsigned *n;
	int v6;

	sk__probe_addr(w, p, &ss);
	v6 = ss.ss_family == AF_INET6;
	n = &w->nspare[v6][!p->local];
	/* Out of the epoll set first: the next probe adds it again. */
	if (*n < SPARE_MAX && (!p->watched ||
	    epoll_ctl(w->ep, EPOLL_CTL_DEL, p->fd, NULL) == 0) &&
	    connect(p->fd, &sa, sizeof(sa)) == 0) {
		w->spare[v6][!p->local][(*n)++] = p->fd;
		p->fd = -1;
	}
}

/* A spare socket's connect to ss, as sk_connect_start() would: the fd,
 * or -1 with e filled (no spare: e->code 0). */
static int
spare_start(struct worker *w, struct probe *p,
    const struct sockaddr_storage *ss, socklen_t len, struct sk_err *e)
{
	unsigned *n = &w->nspare[ss->ss_family == AF_INET6][!p->local];
	int fd;

	sk_err_clear(e);
	/* A spare keeps the source it was bound to: never aim it at that
	 * same address. */
	if (*n == 0 || (loop_bound(p, ss) && loop_src(ss) != htonl(LOOP_SRC)))
		return -1;
	fd = w->spare[ss->ss_family == AF_INET6][!p->local][--(*n)];
	if (connect(fd, (const struct sockaddr *)ss, len) == 0 ||
	    errno == EINPROGRESS || errno == EINTR)
		return fd;
	sk_err_sys(e, "connect to port %u", p->x.port);
	close(fd);
	return -1;
}

void
sk__probe_spares_close(struct worker *w)
{
	int v6, q;

	for (v6 = 0; v6 < 2; v6++)
		for (q = 0; q < 2; q++)
			while (w->nspare[v6][q] > 0)
				close(w->spare[v6][q][--w->nspare[v6][q]]);
}

/* 1 while the connect is still going on; else the verdict is in. */
static int
tcp_harvest(struct worker *w, struct probe *p)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	struct sk_icmp_reason why;
	struct sk_err e;
	int rc;

	rc = sk_connect_finish(p->fd, NULL, 0, p->local ? NULL : &why, &e);
	if (rc == 1)
		return 1;
	p->rtt_us = sk__scan_now_us() - p->sent_us;
	if (rc == -1) {
		if (!p->local && why.origin != 0 && why.origin !=
		    SO_EE_ORIGIN_LOCAL) {
			icmp_verdict(w, p, &why);
		} else {
			if (e.code == ECONNREFUSED)
				spare_put(w, p);
			errno_verdict(w, p, e.code);
		}
		return 0;
	}
	/* On loopback the kernel may pick the probed port as the source:
	 * the SYN meets itself and "connects" with nobody listening. */
	if (p->local && sk_connect_is_self(p->fd)) {
		if ((p->x.tries >> 4) < 3)
			sk__probe_again(w, p);
		else
			sk__probe_done(w, p, SK_PORT_CLOSED, "self-connect", -1,
			    -1, NULL);
		return 0;
	}
	/* Close with a RST: no TIME_WAIT left behind per open port.  Set
	 * now, not at start: closed ports (most) never need it. */
	setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	if (w->s->o->banner)
		banner_start(w, p);
	else
		sk__probe_done(w, p, SK_PORT_OPEN, "syn-ack", -1, -1, NULL);
	return 0;
}

static int
udp_harvest(struct worker *w, struct probe *p)
{
	struct sk_icmp_reason why;
	struct sk_err e;
	char buf[512];
	ssize_t n;

	if (sk_connect_finish(p->fd, NULL, 0, &why, &e) == -1) {
		p->rtt_us = sk__scan_now_us() - p->sent_us;
		if (why.origin != 0 && why.origin != SO_EE_ORIGIN_LOCAL)
			icmp_verdict(w, p, &why);
		else
			errno_verdict(w, p, e.code);
		return 0;
	}
	n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 1;
	p->rtt_us = sk__scan_now_us() - p->sent_us;
	if (n >= 0)
		sk__probe_done(w, p, SK_PORT_OPEN, "udp-response", -1, -1, NULL);
	else
		errno_verdict(w, p, errno);
	return 0;
}

int
sk__probe_start(struct worker *w, struct probe *p, int *retry)
{
	struct sockaddr_storage ss;
	socklen_t len = sk__probe_addr(w, p, &ss);
	int udp = p->x.proto == SK_PROTO_UDP, flags, rc;
	const void *buf;
	size_t blen;
	struct sk_err e;

	*retry = 0;
	if (!udp && w->s->o->tcp == SK_SCAN_SYN) {
		if ((rc = sk__syn_start(w, p, retry)) == 0 && p->phase == PH_SYN &&
		    p->heapi == NIL && p->tabi != NIL)
			sk__probe_rearm(w, p, p->sent_us + timeout_us(w, p));
		return rc;
	}
	/* Loopback answers with RSTs, never ICMP: no error queue to read. */
	flags = udp || !p->local ? SK_CS_RECVERR : 0;
	sk_err_clear(&e);
	p->fd = udp ? -1 : spare_start(w, p, &ss, len, &e);
	if (p->fd == -1 && e.code == 0)
		p->fd = sk_connect_start((struct sockaddr *)&ss, len, udp ?
		    SOCK_DGRAM : SOCK_STREAM, flags, loop_bound(p, &ss) ?
		    bind_loop_src : NULL, NULL, &e);
	if (p->fd == -1) {
		switch (e.code) {
		case ECONNREFUSED:
			sk__probe_done(w, p, SK_PORT_CLOSED, udp ? "port-unreach" :
			    "conn-refused", -1, -1, NULL);
			return 0;
		case ENETUNREACH:
		case EHOSTUNREACH:
		case EACCES:
		case EPERM:
			/* No route, or a local firewall: the local stack
			 * refused to send, so nothing was probed. */
			w->local_errors++;
			sk__probe_done(w, p, SK_PORT_FILTERED, e.code == EACCES ||
			    e.code == EPERM ? "local-prohibited" : "no-route",
			    -1, -1, NULL);
			return 0;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
		case EADDRNOTAVAIL:
		case EAGAIN:
			*retry = 1;
			break;
		}
		w->err = e;
		return -1;
	}
	if (udp) {
		p->phase = PH_UDP;
		payload(p->x.port, &buf, &blen);
		if (send(p->fd, buf, blen, MSG_NOSIGNAL) == -1 &&
		    errno != ECONNREFUSED) {
			rc = errno;
			sk_err_sys(&w->err, "send to port %u", p->x.port);
			*retry = rc == ENOBUFS || rc == EAGAIN;
			close(p->fd);
			p->fd = -1;
			return -1;
		}
	} else {
		p->phase = PH_CONNECT;
		/* A loopback connect is decided before connect(2) returns:
		 * harvest it now and save the epoll round trip. */
		if (p->local && tcp_harvest(w, p) == 0)
			return 0;
	}
	if (watch(w, p, udp ? EPOLLIN : EPOLLOUT, EPOLL_CTL_ADD) == -1) {
		close(p->fd);
		p->fd = -1;
		return -1;
	}
	sk__probe_rearm(w, p, p->sent_us + timeout_us(w, p));
	return 0;
}

void
sk__probe_event(struct worker *w, struct probe *p, int events)
{
	switch (p->phase) {
	case PH_CONNECT:
		tcp_harvest(w, p);
		break;
	case PH_UDP:
		udp_harvest(w, p);
		break;
	default:
		banner_read(w, p);
		break;
	}
}

void
sk__probe_expire(struct worker *w, struct probe *p)
{
	switch (p->phase) {
	case PH_CONNECT:
		/* The answer may be in and its event not yet read. */
		if (tcp_harvest(w, p) == 1)
			sk__probe_silent(w, p);
		break;
	case PH_UDP:
		if (udp_harvest(w, p) == 1)
			sk__probe_silent(w, p);
		break;
	case PH_SYN:
		sk__probe_silent(w, p);
		break;
	case PH_BANNER1:
		/* Some services speak only when spoken to. */
		if (send(p->fd, "\r\n", 2, MSG_NOSIGNAL) == -1) {
			sk__probe_done(w, p, SK_PORT_OPEN, "syn-ack", -1, -1, NULL);
			break;
		}
		p->phase = PH_BANNER2;
		sk__probe_rearm(w, p, sk__scan_now_us() + BANNER_WAIT_US);
		break;
	default:
		sk__probe_done(w, p, SK_PORT_OPEN, "syn-ack", -1, -1, NULL);
		break;
	}
}
