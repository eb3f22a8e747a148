/*
 * The scan engine's scheduler: worker threads, each a sub-shard of the
 * plan on its own epoll set, with per-host RTT estimates, congestion
 * windows, resends of silent probes and a rate ceiling.  What a probe
 * sends and how its answer reads is lib/scan_probe.c.  See sockkit/scan.h.
 *
 * The loop is epoll directly rather than sk_loop: a scan opens and closes
 * tens of thousands of sockets a second, each with one deadline, and a
 * timer object per probe would cost more than the probe.
 */
#include <sys/epoll.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/resource.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/scan.h"
#include "sockkit/deadline.h"
#include "internal.h"
#include "scan_int.h"

#define POOL_SIZE (1u << 16)	/* deferred probes per worker, beyond 2 x cap */
#define HOSTS_MAX (1u << 20)	/* per-host state slots per worker */
#define MAX_WORKERS 16
#define FILL_BATCH 256	/* probes started between two epoll_waits */

/* sk_syn_now_us()'s clock too, so reply times (when_us) and probe times
 * agree. */
int64_t
sk__scan_now_us(void)
{
	return sk_now_us();
}

/* ---- deadline heap ---------------------------------------------------------- */

static void
heap_swap(struct worker *w, uint32_t a, uint32_t b)
{
	struct probe *t = w->heap[a];

	w->heap[a] = w->heap[b];
	w->heap[b] = t;
	w->heap[a]->heapi = a;
	w->heap[b]->heapi = b;
}

static void
heap_up(struct worker *w, uint32_t i)
{
	while (i > 0 && w->heap[(i - 1) / 2]->deadline_us >
	    w->heap[i]->deadline_us) {
		heap_swap(w, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct worker *w, uint32_t i)
{
	uint32_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= w->heapn)
			return;
		if (c + 1 < w->heapn && w->heap[c + 1]->deadline_us <
		    w->heap[c]->deadline_us)
			c++;
		if (w->heap[i]->deadline_us <= w->heap[c]->deadline_us)
			return;
		heap_swap(w, i, c);
		i = c;
	}
}

static void
heap_del(struct worker *w, struct probe *p)
{
	uint32_t i = p->heapi;

	if (i == NIL)
		return;
	w->heapn--;
	if (i != w->heapn) {
		w->heap[i] = w->heap[w->heapn];
		w->heap[i]->heapi = i;
		heap_down(w, i);
		heap_up(w, i);
	}
	p->heapi = NIL;
}

void
sk__probe_rearm(struct worker *w, struct probe *p, int64_t deadline)
{
	heap_del(w, p);
	p->deadline_us = deadline;
	p->heapi = w->heapn;
	w->heap[w->heapn++] = p;
	heap_up(w, p->heapi);
}

/* ---- entry pool: deferred and ready lists ---------------------------------- */

static uint32_t
ent_alloc(struct worker *w, const struct ent *x)
{
	uint32_t i = w->pool_free;

	if (i == NIL)
		return NIL;
	w->pool_nfree--;
	w->pool_free = w->pool[i].next;
	w->pool[i] = *x;
	w->pool[i].next = NIL;
	return i;
}

static void
ready_push(struct worker *w, uint32_t i, int front)
{
	if (w->ready_head == NIL) {
		w->ready_head = w->ready_tail = i;
		w->pool[i].next = NIL;
	} else if (front) {
		w->pool[i].next = w->ready_head;
		w->ready_head = i;
	} else {
		w->pool[i].next = NIL;
		w->pool[w->ready_tail].next = i;
		w->ready_tail = i;
	}
}

/* Queue x as ready (its host slot is reserved); 0, or -1 if the pool is
 * full (cannot happen for entries that came out of it). */
static int
ready_add(struct worker *w, const struct ent *x, int front)
{
	uint32_t i = ent_alloc(w, x);

	if (i == NIL)
		return -1;
	ready_push(w, i, front);
	return 0;
}

static struct hstate *
host_of(struct worker *w, uint64_t host)
{
	return &w->hosts[host % w->nhosts];
}

/* A slot of h came free: its next deferred probe may go. */
static void
host_release(struct worker *w, struct hstate *h)
{
	uint32_t i;

	if (h->inflight > 0)
		h->inflight--;
	/* The window may have grown too: fill all of it. */
	while (h->qhead != NIL && h->inflight < (uint32_t)h->cwnd) {
		i = h->qhead;
		h->qhead = w->pool[i].next;
		if (h->qhead == NIL)
			h->qtail = NIL;
		h->inflight++;
		ready_push(w, i, 0);
	}
}

/* ---- probe slots and verdicts -------------------------------------------- */

socklen_t
sk__probe_addr(const struct worker *w, const struct probe *p,
    struct sockaddr_storage *ss)
{
	socklen_t len = 0;

	sk_targets_addr(w->s->t, p->x.host, ss, &len);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(p->x.port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(p->x.port);
	return len;
}

static void
slot_free(struct worker *w, struct probe *p)
{
	if (!p->live)
		return;
	p->live = 0;
	heap_del(w, p);
	sk__syn_forget(w, p);
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	free(p->banner);
	p->banner = NULL;
	w->free_slots[w->nfree++] = (uint32_t)(p - w->probes);
	w->active--;
}

void
sk__probe_done(struct worker *w, struct probe *p, enum sk_port_state st,
    const char *reason, int icmp_type, int icmp_code,
    const struct sockaddr *from)
{
	const struct sk_scan_opts *o = w->s->o;
	struct sockaddr_storage ss;
	struct sk_scan_result r;
	struct hstate *h = p->h;
	int answered = strcmp(reason, "no-response") != 0 &&
	    strcmp(reason, "self-connect") != 0;

	if (answered && p->rtt_us < 0)
		p->rtt_us = sk__scan_now_us() - p->sent_us;
	if (answered) {
		sk_rtt_sample(&h->rtt, p->rtt_us);
		if ((p->x.tries & 0x0f) > 1) {
			/* A resend was answered: the first probe was lost, so
			 * the path drops.  Halve the window, allow more
			 * resends (nmap's adaptive retries). */
			h->ssthresh = h->cwnd / 2 < 2 ? 2 : h->cwnd / 2;
			h->cwnd = h->ssthresh;
			if (h->retry_limit < o->timing.max_retries)
				h->retry_limit++;
		} else if (h->cwnd < w->cap) {
			h->cwnd += h->cwnd < h->ssthresh ? 1 : 1 / h->cwnd;
		}
	}
	memset(&r, 0, sizeof(r));
	r.host = p->x.host;
	r.addrlen = sk__probe_addr(w, p, &ss);
	r.addr = (struct sockaddr *)&ss;
	r.proto = p->x.proto;
	r.port = p->x.port;
	r.state = st;
	r.reason = reason;
	r.icmp_type = icmp_type;
	r.icmp_code = icmp_code;
	r.icmp_from = from;
	r.rtt_us = answered ? p->rtt_us : -1;
	r.tries = p->x.tries & 0x0f;
	r.banner = p->banner;
	r.bannerlen = p->bannerlen;
	if (o->on_result != NULL) {
		pthread_mutex_lock(&w->s->lock);
		o->on_result(&r, o->arg);
		pthread_mutex_unlock(&w->s->lock);
	}
	w->count[st]++;
	__atomic_add_fetch(&w->done, 1, __ATOMIC_RELAXED);
	slot_free(w, p);
	host_release(w, h);
}

void
sk__probe_silent(struct worker *w, struct probe *p)
{
	struct ent x = p->x;
	struct hstate *h = p->h;

	if ((x.tries & 0x0f) > h->retry_limit) {
		sk__probe_done(w, p, x.proto == SK_PROTO_UDP ?
		    SK_PORT_OPEN_FILTERED : SK_PORT_FILTERED, "no-response",
		    -1, -1, NULL);
		return;
	}
	/* The resend keeps the host slot the probe held. */
	slot_free(w, p);
	ready_add(w, &x, 1);
}

void
sk__probe_again(struct worker *w, struct probe *p)
{
	struct ent x = p->x;

	x.tries = (uint8_t)((x.tries & 0xf0) + 0x10 + (x.tries & 0x0f) - 1);
	slot_free(w, p);
	ready_add(w, &x, 1);
}

/* ---- the worker loop -------------------------------------------------------- */

static int
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) ==
		    127;
	return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)ss)->sin6_addr) ||
	    (IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)ss)->sin6_addr) &&
	    ((struct sockaddr_in6 *)ss)->sin6_addr.s6_addr[12] == 127);
}

static int
take_token(struct worker *w, int64_t now)
{
	if (w->rate <= 0)
		return 1;
	w->tokens += (double)(now - w->tok_at) * w->rate / 1e6;
	w->tok_at = now;
	if (w->tokens > w->burst)
		w->tokens = w->burst;
	if (w->tokens < 1)
		return 0;
	w->tokens -= 1;
	return 1;
}

static void
issue(struct worker *w, const struct ent *x, int64_t now)
{
	struct sockaddr_storage ss;
	struct probe *p;
	int retry = 0;

	p = &w->probes[w->free_slots[--w->nfree]];
	w->active++;
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->heapi = p->tabi = NIL;
	p->live = 1;
	p->x = *x;
	p->x.tries++;
	p->h = host_of(w, x->host);
	p->rtt_us = -1;
	p->sent_us = now;
	sk__probe_addr(w, p, &ss);
	p->local = (uint8_t)is_loopback(&ss);
	w->sent++;
	if (sk__probe_start(w, p, &retry) == 0)
		return;
	if (retry && w->active > 1) {
		/* Out of descriptors or ports: fewer in flight from now on. */
		struct ent y = *x;

		w->cap = w->active - 1;
		w->sent--;
		slot_free(w, p);
		ready_add(w, &y, 1);
		return;
	}
	w->failed = 1;
	w->s->abort = 1;
	slot_free(w, p);
}

/* Start what the windows, the slots and the rate allow. */
static void
fill(struct worker *w)
{
	int64_t now = sk__scan_now_us();
	struct hstate *h;
	struct ent x;
	uint32_t i;
	int batch = FILL_BATCH;

	/* In batches: answers are read between them, so RTTs are measured
	 * when the answer comes, not after the whole plan went out. */
	while (w->active < w->cap && !w->s->abort && batch-- > 0) {
		if (w->ready_head != NIL) {
			i = w->ready_head;
			w->ready_head = w->pool[i].next;
			x = w->pool[i];
			w->pool[i].next = w->pool_free;
			w->pool_free = i;
			w->pool_nfree++;
		} else {
			if (w->has_stalled) {
				x = w->stalled;
			} else {
				int proto;
				unsigned port;

				if (w->plan_done || !sk_plan_next(&w->plan, &x.host,
				    &proto, &port)) {
					w->plan_done = 1;
					return;
				}
				x.proto = (uint8_t)proto;
				x.port = (uint16_t)port;
				x.tries = 0;
				x.next = NIL;
			}
			w->has_stalled = 0;
			h = host_of(w, x.host);
			if (h->inflight >= (uint32_t)h->cwnd) {
				/* Deferring stops short of the pool's end: resends
				 * and rate-limited probes need entries too. */
				if (w->pool_nfree <= 2 * w->cap0 + 16 ||
				    (i = ent_alloc(w, &x)) == NIL) {
					w->stalled = x;
					w->has_stalled = 1;
					return;
				}
				if (h->qtail == NIL)
					h->qhead = i;
				else
					w->pool[h->qtail].next = i;
				h->qtail = i;
				continue;
			}
			h->inflight++;
		}
		if (!take_token(w, now)) {
			ready_add(w, &x, 1);
			return;
		}
		issue(w, &x, now);
	}
}

static void
progress(struct worker *w, int64_t now)
{
	struct scan *s = w->s;
	const struct sk_scan_opts *o = s->o;
	uint64_t done = 0;
	unsigned i;

	if (o->on_progress == NULL || now < s->next_progress)
		return;
	s->next_progress = now + (o->progress_ms > 0 ? o->progress_ms : 1000) *
	    1000;
	for (i = 0; i < s->nw; i++)
		done += __atomic_load_n(&s->w[i].done, __ATOMIC_RELAXED);
	pthread_mutex_lock(&s->lock);
	o->on_progress(done, s->total, now - s->start_us, o->progress_arg);
	pthread_mutex_unlock(&s->lock);
}

/* How long epoll may sleep: until the first deadline, or a token. */
static int
wait_ms(struct worker *w, int64_t now)
{
	int64_t until = INT64_MAX;
	/* Work that can start now (a stalled plan waits for completions). */
	int work = w->ready_head != NIL || (!w->has_stalled && !w->plan_done);

	if (w->heapn > 0)
		until = w->heap[0]->deadline_us;
	if (work && w->active < w->cap && w->rate > 0 && w->tokens < 1) {
		int64_t t = now + (int64_t)((1 - w->tokens) * 1e6 / w->rate);

		if (t < until)
			until = t;
	}
	if (w->id == 0 && w->s->o->on_progress != NULL &&
	    w->s->next_progress < until)
		until = w->s->next_progress;
	if (work && w->active < w->cap && (w->rate <= 0 || w->tokens >= 1))
		return 0;
	if (until == INT64_MAX)
		return w->active > 0 ? 1000 : 0;
	if (until <= now)
		return 0;
	/* Round up: waking before a deadline only spins. */
	return (int)((until - now + 999) / 1000);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[256];
	int64_t now;
	int i, n;

	for (;;) {
		fill(w);
		if (w->s->abort)
			break;
		if (w->active == 0 && w->ready_head == NIL && !w->has_stalled &&
		    w->plan_done)
			break;
		now = sk__scan_now_us();
		n = epoll_wait(w->ep, ev, (int)SK_ARRAY_LEN(ev), wait_ms(w, now));
		if (n == -1 && errno != EINTR) {
			sk_err_sys(&w->err, "epoll_wait");
			w->failed = 1;
			w->s->abort = 1;
			break;
		}
		for (i = 0; i < n; i++)
			if (!sk__syn_is(w, ev[i].data.ptr) &&
			    !((struct probe *)ev[i].data.ptr)->live)
				continue;
			else if (sk__syn_is(w, ev[i].data.ptr))
				sk__syn_event(w, ev[i].data.ptr);
			else
				sk__probe_event(w, ev[i].data.ptr,
				    (int)ev[i].events);
		/* Deadlines after the events: an answer that is already in
		 * is harvested, never declared silent (SYN replies may wait
		 * in the capture buffer: read them first). */
		now = sk__scan_now_us();
		if (w->heapn > 0 && w->heap[0]->deadline_us <= now) {
			if (w->syn[0] != NULL)
				sk__syn_event(w, &w->syn[0]);
			if (w->syn[1] != NULL)
				sk__syn_event(w, &w->syn[1]);
		}
		while (w->heapn > 0 && w->heap[0]->deadline_us <= now)
			sk__probe_expire(w, w->heap[0]);
		if (w->id == 0)
			progress(w, now);
	}
	return NULL;
}

/* ---- set-up ------------------------------------------------------------------ */

static void
worker_free(struct worker *w)
{
	uint32_t i;

	if (w->probes != NULL)
		for (i = 0; i < w->cap0; i++)
			if (w->probes[i].fd != -1)
				close(w->probes[i].fd);
	for (i = 0; w->probes != NULL && i < w->cap0; i++)
		free(w->probes[i].banner);
	sk__probe_spares_close(w);
	sk__syn_free(w);
	if (w->ep != -1)
		close(w->ep);
	free(w->hosts);
	free(w->pool);
	free(w->probes);
	free(w->free_slots);
	free(w->heap);
}

static int
worker_init(struct worker *w, struct scan *s, const struct sk_plan *plan,
    unsigned id, unsigned cap, struct sk_err *e)
{
	const struct sk_scan_timing *tm = &s->o->timing;
	uint64_t nshards = s->o->nshards ? s->o->nshards : 1;
	uint32_t i;

	memset(w, 0, sizeof(*w));
	w->s = s;
	w->id = id;
	w->ep = -1;
	w->cap = w->cap0 = cap;
	w->plan = *plan;
	/* Worker id of nw is the sub-shard shard + id * nshards of
	 * nshards * nw: the same permutation, cut finer. */
	w->plan.next = plan->next + (uint64_t)id * nshards;
	w->plan.step = nshards * s->nw;
	w->plan_done = w->plan.next >= w->plan.total;
	w->nhosts = s->t->total < HOSTS_MAX ? s->t->total : HOSTS_MAX;
	w->hosts = calloc(w->nhosts, sizeof(*w->hosts));
	/* Every probe in flight may need an entry for its resend. */
	w->npool = POOL_SIZE + 2 * cap;
	w->pool = malloc(w->npool * sizeof(*w->pool));
	w->probes = calloc(cap, sizeof(*w->probes));
	w->free_slots = malloc(cap * sizeof(*w->free_slots));
	w->heap = malloc(cap * sizeof(*w->heap));
	if (w->hosts == NULL || w->pool == NULL || w->probes == NULL ||
	    w->free_slots == NULL || w->heap == NULL)
		return sk_err_sys(e, "scan state");
	for (i = 0; i < w->nhosts; i++) {
		sk_rtt_init(&w->hosts[i].rtt);
		w->hosts[i].cwnd = tm->min_parallel ? (float)tm->min_parallel : 1;
		w->hosts[i].ssthresh = (float)cap;
		w->hosts[i].qhead = w->hosts[i].qtail = NIL;
		w->hosts[i].retry_limit = tm->max_retries > 0 ? 1 : 0;
	}
	for (i = 0; i < w->npool; i++)
		w->pool[i].next = i + 1 < w->npool ? i + 1 : NIL;
	w->pool_free = 0;
	w->pool_nfree = w->npool;
	w->ready_head = w->ready_tail = NIL;
	for (i = 0; i < cap; i++) {
		w->probes[i].fd = -1;
		w->free_slots[i] = cap - 1 - i;
	}
	w->nfree = cap;
	w->rate = 0;
	if (tm->rate > 0)
		w->rate = tm->rate / s->nw;
	if (tm->scan_delay_us > 0 && (w->rate == 0 ||
	    1e6 / (double)tm->scan_delay_us < w->rate))
		w->rate = 1e6 / (double)tm->scan_delay_us;
	w->burst = w->rate / 100 > 1 ? w->rate / 100 : 1;
	w->tokens = 1;
	w->tok_at = sk__scan_now_us();
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return sk_err_sys(e, "epoll_create1");
	if ((s->o->protos & (1 << SK_PROTO_TCP)) && s->o->tcp == SK_SCAN_SYN)
		return sk__syn_init(w, e);
	return 0;
}

/* Descriptors: as many as the hard limit allows; returns the soft limit. */
static rlim_t
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

int
sk_scan_run(const struct sk_targets *t, const struct sk_portset *ps,
    const struct sk_scan_opts *o, struct sk_scan_stats *st, struct sk_err *e)
{
	struct scan s;
	struct sk_plan plan;
	uint64_t nshards = o->nshards ? o->nshards : 1, left;
	unsigned nw = o->workers, i, started = 0, cap;
	rlim_t nofile;
	long ncpu;
	int rc = 0, k;
	sigset_t all, old;

	memset(st, 0, sizeof(*st));
	if (sk_plan_init(&plan, t, ps, o->protos, o->seed, o->shard, nshards,
	    e) == -1)
		return -1;
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.o = o;
	s.total = sk_plan_count(&plan, o->shard, nshards);
	if (nw == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nw = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (unsigned)ncpu;
	}
	if (nw > MAX_WORKERS)
		nw = MAX_WORKERS;
	/* A scan delay is a pace for the whole scan: one worker keeps it.
	 * SYN probes cost no socket, and every engine's capture sees every
	 * reply: one worker does them best. */
	if (o->timing.scan_delay_us > 0 || s.total < nw ||
	    ((o->protos & (1 << SK_PROTO_TCP)) && o->tcp == SK_SCAN_SYN))
		nw = 1;
	for (i = 0; i < t->n; i++)
		s.families |= t->v[i].range.family == AF_INET6 ? 2 : 1;
	s.nw = nw;
	nofile = raise_nofile();
	left = nofile > 96 ? nofile - 64 : 32;
	cap = o->timing.max_parallel ? o->timing.max_parallel : 1024;
	if (cap > left)
		cap = (unsigned)left;
	cap = cap / nw ? cap / nw : 1;
	if ((s.w = calloc(nw, sizeof(*s.w))) == NULL) {
		sk_plan_free(&plan);
		return sk_err_sys(e, "scan state");
	}
	pthread_mutex_init(&s.lock, NULL);
	s.start_us = sk__scan_now_us();
	s.next_progress = s.start_us + (o->progress_ms > 0 ? o->progress_ms :
	    1000) * 1000;
	for (i = 0; i < nw; i++)
		if (worker_init(&s.w[i], &s, &plan, i, cap, e) == -1) {
			rc = -1;
			nw = i + 1;
			goto end;
		}
	/* Workers take no signals: the caller's thread handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 1; i < nw; i++) {
		if ((k = pthread_create(&s.w[i].th, NULL, worker_main,
		    &s.w[i])) != 0) {
			errno = k;
			sk_err_sys(e, "pthread_create");
			s.abort = 1;
			rc = -1;
			break;
		}
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		worker_main(&s.w[0]);
	for (i = 1; i <= started; i++)
		pthread_join(s.w[i].th, NULL);
end:
	for (i = 0; i < nw; i++) {
		struct worker *w = &s.w[i];

		st->probes += w->done;
		st->sent += w->sent;
		st->local_errors += w->local_errors;
		for (k = 0; k < SK_PORT_NSTATES; k++)
			st->count[k] += w->count[k];
		if (w->failed && rc == 0) {
			if (e != NULL)
				*e = w->err;
			rc = -1;
		}
		worker_free(w);
	}
	st->elapsed_us = sk__scan_now_us() - s.start_us;
	pthread_mutex_destroy(&s.lock);
	free(s.w);
	sk_plan_free(&plan);
	return rc;
}
