/*
 * SYN probes for the scan engine: sk_syn (sockkit/synprobe.h) sends and
 * validates; this file keeps the probes in flight findable by the
 * (address, port) a reply names, and turns replies into verdicts.  The
 * engine's keyed hash already proved a reply is ours; the table only says
 * which probe it ends.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/errqueue.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/connect.h"
#include "sockkit/err.h"
#include "sockkit/scan.h"
#include "sockkit/synprobe.h"
#include "scan_int.h"

/* The address bytes and family of ss, for hashing and comparing. */
static size_t
key_of(const struct sockaddr_storage *ss, const unsigned char **a)
{
	if (ss->ss_family == AF_INET) {
		*a = (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_addr;
		return 4;
	}
	*a = (const unsigned char *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	return 16;
}

static uint32_t
slot_hash(const struct sockaddr_storage *ss, unsigned port, uint32_t mask)
{
	const unsigned char *a;
	size_t n = key_of(ss, &a), i;
	uint64_t h = 0xcbf29ce484222325ULL ^ port;

	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 0x100000001b3ULL;
	h ^= h >> 29;
	return (uint32_t)h & mask;
}

static int
same(const struct worker *w, const struct probe *p,
    const struct sockaddr_storage *ss, unsigned port)
{
	struct sockaddr_storage mine;
	const unsigned char *a, *b;
	size_t n;

	if (p->x.port != port)
		return 0;
	sk__probe_addr(w, p, &mine);
	if (mine.ss_family != ss->ss_family)
		return 0;
	n = key_of(&mine, &a);
	key_of(ss, &b);
	return memcmp(a, b, n) == 0;
}

int
sk__syn_init(struct worker *w, struct sk_err *e)
{
	uint32_t n = 1;
	int fam;

	while (n < 2 * w->cap0)
		n <<= 1;
	if ((w->tab = calloc(n, sizeof(*w->tab))) == NULL)
		return sk_err_sys(e, "scan state");
	w->tabmask = n - 1;
	for (fam = 0; fam < 2; fam++) {
		struct epoll_event ev;

		if (!(w->s->families & (1 << fam)))
			continue;
		w->syn[fam] = sk_syn_open(fam ? AF_INET6 : AF_INET,
		    w->s->o->seed ^ (0x5851f42d4c957f2dULL * (w->id + 1)), e);
		if (w->syn[fam] == NULL)
			return -1;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = &w->syn[fam];
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, sk_syn_fd(w->syn[fam]), &ev) == -1)
			return sk_err_sys(e, "epoll_ctl");
	}
	return 0;
}

void
sk__syn_free(struct worker *w)
{
	sk_syn_close(w->syn[0]);
	sk_syn_close(w->syn[1]);
	w->syn[0] = w->syn[1] = NULL;
	free(w->tab);
	w->tab = NULL;
}

int
sk__syn_is(const struct worker *w, const void *ptr)
{
	return ptr == &w->syn[0] || ptr == &w->syn[1];
}

static void
tab_del(struct worker *w, struct probe *p)
{
	uint32_t i, j, k;
	struct sockaddr_storage ss;

	if (p->tabi == NIL || w->tab == NULL)
		return;
	/* Linear probing: close the gap so later entries stay findable. */
	i = p->tabi;
	w->tab[i] = NULL;
	p->tabi = NIL;
	for (j = (i + 1) & w->tabmask; w->tab[j] != NULL; j = (j + 1) & w->tabmask) {
		sk__probe_addr(w, w->tab[j], &ss);
		k = slot_hash(&ss, w->tab[j]->x.port, w->tabmask);
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			w->tab[i] = w->tab[j];
			w->tab[i]->tabi = i;
			w->tab[j] = NULL;
			i = j;
		}
	}
}

void
sk__syn_forget(struct worker *w, struct probe *p)
{
	tab_del(w, p);
}

int
sk__syn_start(struct worker *w, struct probe *p, int *retry)
{
	struct sockaddr_storage ss;
	socklen_t len = sk__probe_addr(w, p, &ss);
	struct sk_syn *s = w->syn[ss.ss_family == AF_INET6];
	uint32_t i;

	p->phase = PH_SYN;
	if (sk_syn_send(s, (struct sockaddr *)&ss, len,
	    (uint8_t)((p->x.tries & 0x0f) - 1), &w->err) == -1) {
		if (w->err.kind == SK_ERR_TEMPFAIL) {
			*retry = 1;
			return -1;
		}
		if (w->err.kind == SK_ERR_NETWORK) {
			w->local_errors++;
			sk__probe_done(w, p, SK_PORT_FILTERED, "no-route", -1, -1,
			    NULL);
			return 0;
		}
		return -1;
	}
	if (p->tabi == NIL) {
		for (i = slot_hash(&ss, p->x.port, w->tabmask); w->tab[i] != NULL;
		    i = (i + 1) & w->tabmask)
			;
		w->tab[i] = p;
		p->tabi = i;
	}
	return 0;
}

static struct probe *
find(struct worker *w, const struct sk_syn_reply *r)
{
	uint32_t i;

	for (i = slot_hash(&r->target, r->port, w->tabmask); w->tab[i] != NULL;
	    i = (i + 1) & w->tabmask)
		if (same(w, w->tab[i], &r->target, r->port))
			return w->tab[i];
	return NULL;
}

void
sk__syn_event(struct worker *w, void *ptr)
{
	struct sk_syn *s = *(struct sk_syn **)ptr;
	struct sk_syn_reply rep[64];
	struct sk_icmp_reason why;
	struct probe *p;
	int n, i, k;

	/* A call looks at a bounded number of packets and can return 0
	 * after foreign ones (our source ports may be a test server's on
	 * loopback): go on while the capture is readable, so no reply that
	 * is in is left behind a probe being declared silent. */
	for (k = 0; k < 256; k++) {
		if ((n = sk_syn_recv(s, rep, 64, &w->err)) <= 0) {
			struct pollfd pfd = { .fd = sk_syn_fd(s), .events = POLLIN };

			if (n == -1 || poll(&pfd, 1, 0) != 1)
				break;
			continue;
		}
		for (i = 0; i < n; i++) {
			if ((p = find(w, &rep[i])) == NULL)
				continue;	/* late: the port has its verdict */
			/* Karn: only an answer to the latest try times it. */
			if (rep[i].try == (p->x.tries & 0x0f) - 1)
				p->rtt_us = rep[i].when_us - p->sent_us;
			else
				p->rtt_us = sk__scan_now_us() - p->sent_us;
			switch (rep[i].what) {
			case SK_SYN_SYNACK:
				sk__probe_done(w, p, SK_PORT_OPEN, "syn-ack", -1,
				    -1, NULL);
				break;
			case SK_SYN_RST:
				sk__probe_done(w, p, SK_PORT_CLOSED, "reset", -1,
				    -1, NULL);
				break;
			default:
				memset(&why, 0, sizeof(why));
				why.origin = rep[i].target.ss_family == AF_INET ?
				    SO_EE_ORIGIN_ICMP : SO_EE_ORIGIN_ICMP6;
				why.type = rep[i].icmp_type;
				why.code = rep[i].icmp_code;
				sk__probe_done(w, p, SK_PORT_FILTERED,
				    sk_icmp_reason_str(&why), why.type, why.code,
				    rep[i].fromlen ?
				    (struct sockaddr *)&rep[i].from : NULL);
				break;
			}
		}
	}
}
