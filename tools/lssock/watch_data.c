/*
 * lssock --watch, the data side: one dump per refresh into compact rows,
 * send and receive rates from the tcp_info byte counters of the refresh
 * before (matched by socket cookie through an open-addressing table, so
 * 100k sockets cost one probe each), the owner map watch.c hands over
 * (built off the screen's thread: at 100k sockets the /proc walk costs
 * more than the 200 ms a refresh may), and the sort.  No curses here;
 * watch.c draws.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/procmap.h"
#include "lssock/arena.h"
#include "lssock/lssock.h"
#include "lssock/watch.h"

/* Byte counters of one socket at the last refresh. */
struct seen {
	uint64_t cookie;	/* 0: empty slot */
	uint64_t acked, received;
};

struct table {
	struct seen *v;
	size_t mask;		/* capacity - 1, capacity a power of two */
};

struct ls_wdata {
	struct ls_wrow *rows;
	struct ls_wrow **order;	/* the sorted view of rows */
	size_t n, cap;
	struct table prev, cur;
	int64_t prev_ms;	/* when prev was taken; 0: never */
	int64_t now_ms;
	struct ls_chunk *arena;	/* UNIX paths and namespace names */
	struct sk_procmap *owners;
	size_t sorted;		/* order[0..sorted) is in order */
	int nomem;
};

struct ls_wdata *
ls_wdata_new(void)
{
	return calloc(1, sizeof(struct ls_wdata));
}

void
ls_wdata_free(struct ls_wdata *d)
{
	if (d == NULL)
		return;
	free(d->rows);
	free(d->order);
	free(d->prev.v);
	free(d->cur.v);
	ls_arena_free(&d->arena);
	sk_procmap_free(d->owners);
	free(d);
}

static size_t
slot(const struct table *t, uint64_t cookie)
{
	/* Cookies count up; a multiplicative hash spreads them. */
	size_t i = (size_t)((cookie * 0x9e3779b97f4a7c15ull) >> 17) & t->mask;

	while (t->v[i].cookie != 0 && t->v[i].cookie != cookie)
		i = (i + 1) & t->mask;
	return i;
}

/* cur sized for n sockets at most half full, emptied. */
static int
table_reset(struct table *t, size_t n)
{
	size_t cap = 1024;

	while (cap < 2 * n)
		cap *= 2;
	if (t->v == NULL || t->mask + 1 != cap) {
		free(t->v);
		if ((t->v = calloc(cap, sizeof(*t->v))) == NULL)
			return -1;
		t->mask = cap - 1;
	} else
		memset(t->v, 0, cap * sizeof(*t->v));
	return 0;
}

void
ls_wdata_begin(struct ls_wdata *d)
{
	ls_arena_free(&d->arena);
	d->n = 0;
	d->sorted = 0;
	d->nomem = 0;
}

int
ls_wdata_add(const struct sk_sock *s, const char *netns, void *arg)
{
	struct ls_wdata *d = arg;
	struct ls_wrow *r;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 4096;
		struct ls_wrow *v = reallocarray(d->rows, cap, sizeof(*v));

		if (v == NULL) {
			d->nomem = 1;
			return 1;
		}
		d->rows = v;
		d->cap = cap;
	}
	r = &d->rows[d->n];
	memset(r, 0, sizeof(*r));
	r->proto = (uint8_t)s->proto;
	r->family = (uint8_t)s->family;
	r->state = (uint8_t)s->state;
	r->type = (uint8_t)s->type;
	r->v6only = (int8_t)s->v6only;
	r->rq = s->rqueue;
	r->wq = s->wqueue;
	r->inode = s->inode;
	r->peer_inode = s->peer_inode;
	r->cookie = s->cookie;
	r->netns = "";
	r->path = "";
	if ((netns != NULL && (r->netns = ls_intern(&d->arena, netns)) == NULL) ||
	    (s->family == AF_UNIX && (r->path = ls_intern(&d->arena, s->path)) == NULL)) {
		d->nomem = 1;
		return 1;
	}
	memcpy(r->src, s->src, 16);
	memcpy(r->dst, s->dst, 16);
	r->sport = s->sport;
	r->dport = s->dport;
	r->tx = r->rx = -1;
	if (s->tcpi_len > 0) {
		r->has_info = 1;
		r->rtt_us = s->tcpi.rtt;
		r->cwnd = s->tcpi.snd_cwnd;
		r->retrans = s->tcpi.total_retrans;
		r->acked = s->tcpi.bytes_acked;
		r->received = s->tcpi.bytes_received;
	}
	d->n++;
	return 0;
}

/* Rates against the refresh before; then cur becomes prev. */
static int
rates(struct ls_wdata *d)
{
	double secs = (double)(d->now_ms - d->prev_ms) / 1000.0;
	struct table t;
	size_t i, k;

	if (table_reset(&d->cur, d->n) < 0)
		return -1;
	for (i = 0; i < d->n; i++) {
		struct ls_wrow *r = &d->rows[i];

		if (!r->has_info || r->cookie == 0)
			continue;
		k = slot(&d->cur, r->cookie);
		d->cur.v[k].cookie = r->cookie;
		d->cur.v[k].acked = r->acked;
		d->cur.v[k].received = r->received;
		if (d->prev.v == NULL || d->prev_ms == 0 || secs <= 0)
			continue;
		k = slot(&d->prev, r->cookie);
		if (d->prev.v[k].cookie != r->cookie)
			continue;	/* new since: no rate yet */
		r->tx = r->acked >= d->prev.v[k].acked ?
		    (double)(r->acked - d->prev.v[k].acked) / secs : 0;
		r->rx = r->received >= d->prev.v[k].received ?
		    (double)(r->received - d->prev.v[k].received) / secs : 0;
	}
	t = d->prev;
	d->prev = d->cur;
	d->cur = t;
	d->prev_ms = d->now_ms;
	return 0;
}

void
ls_wdata_set_owners(struct ls_wdata *d, struct sk_procmap *owners)
{
	sk_procmap_free(d->owners);
	d->owners = owners;
}

const struct sk_owner *
ls_wdata_owner(const struct ls_wdata *d, const struct ls_wrow *r)
{
	if (d->owners == NULL || r->inode == 0)
		return NULL;
	return sk_procmap_find(d->owners, r->inode);
}

int
ls_wdata_end(struct ls_wdata *d, int64_t now_ms)
{
	size_t i;

	if (d->nomem) {
		errno = ENOMEM;
		goto fail;
	}
	d->now_ms = now_ms;
	if (rates(d) < 0)
		goto fail;
	free(d->order);
	if ((d->order = calloc(d->n ? d->n : 1, sizeof(*d->order))) == NULL)
		goto fail;
	for (i = 0; i < d->n; i++)
		d->order[i] = &d->rows[i];
	return 0;
fail:
	d->n = 0;
	return -1;
}

int
ls_wdata_refresh(struct ls_wdata *d, const struct ls_opts *o, struct sk_err *e)
{
	ls_wdata_begin(d);
	if (ls_collect_each(o, SK_SD_EXT_INFO, ls_wdata_add, d, e) < 0) {
		d->n = 0;
		return -1;
	}
	if (ls_wdata_end(d, sk_now_ms()) < 0)
		return sk_err_sys(e, "--watch");
	return 0;
}

size_t
ls_wdata_count(const struct ls_wdata *d)
{
	return d->n;
}

const struct ls_wrow *
ls_wdata_row(const struct ls_wdata *d, size_t i)
{
	return i < d->n ? d->order[i] : NULL;
}

/* ---- sorting ---------------------------------------------------------------------- */

#define CMP(a, b)	((a) < (b) ? -1 : (a) > (b))

static int
cmp_end(const struct ls_wrow *a, const struct ls_wrow *b, int peer)
{
	int c;

	if ((c = CMP(a->family, b->family)) != 0)
		return c;
	if (a->family == AF_UNIX) {
		if (!peer && (c = strcmp(a->path, b->path)) != 0)
			return c;
		return peer ? CMP(a->peer_inode, b->peer_inode) :
		    CMP(a->inode, b->inode);
	}
	if ((c = memcmp(peer ? a->dst : a->src, peer ? b->dst : b->src,
	    16)) != 0)
		return c;
	return peer ? CMP(a->dport, b->dport) : CMP(a->sport, b->sport);
}

/* Numbers largest first, words in order; unknowns (-1) last either way. */
static int
cmp_col(const struct ls_wrow *a, const struct ls_wrow *b, int col)
{
	int c;

	switch (col) {
	case LS_W_NETID:
		if ((c = CMP(a->proto, b->proto)) != 0)
			return c;
		return CMP(a->type, b->type);
	case LS_W_STATE:
		return strcmp(sk_sock_state_str(a->state),
		    sk_sock_state_str(b->state));
	case LS_W_RECVQ:
		return -CMP(a->rq, b->rq);
	case LS_W_SENDQ:
		return -CMP(a->wq, b->wq);
	case LS_W_LOCAL:
		return cmp_end(a, b, 0);
	case LS_W_PEER:
		return cmp_end(a, b, 1);
	case LS_W_TX:
		return -CMP(a->tx, b->tx);
	case LS_W_RX:
		return -CMP(a->rx, b->rx);
	case LS_W_RTT:
		if (a->has_info != b->has_info)
			return a->has_info ? -1 : 1;
		return -CMP(a->rtt_us, b->rtt_us);
	case LS_W_RETR:
		return -CMP(a->retrans, b->retrans);
	case LS_W_CWND:
		return -CMP(a->cwnd, b->cwnd);
	case LS_W_PROC:
		if ((a->owner == NULL) != (b->owner == NULL))
			return a->owner != NULL ? -1 : 1;
		if (a->owner == NULL)
			return 0;
		if ((c = strcmp(a->owner->comm, b->owner->comm)) != 0)
			return c;
		return CMP(a->owner->pid, b->owner->pid);
	}
	return 0;
}

struct sortkey {
	int col, rev;
};

static int
cmp_rows(const void *x, const void *y, void *arg)
{
	const struct ls_wrow *a = *(const struct ls_wrow *const *)x;
	const struct ls_wrow *b = *(const struct ls_wrow *const *)y;
	const struct sortkey *k = arg;
	int c;

	/* Ties fall back to netns, local, peer: a steady order. */
	if ((c = cmp_col(a, b, k->col)) == 0 &&
	    (c = strcmp(a->netns, b->netns)) == 0 &&
	    (c = cmp_end(a, b, 0)) == 0 &&
	    (c = cmp_end(a, b, 1)) == 0)
		c = CMP(a->cookie, b->cookie);
	return k->rev ? -c : c;
}

static void
swap(struct ls_wrow **a, struct ls_wrow **b)
{
	struct ls_wrow *t = *a;

	*a = *b;
	*b = t;
}

/*
 * Move the k first rows in order (unsorted among themselves) to the
 * front of v[0..n): quickselect with a median-of-three pivot, O(n) on
 * average.  Returns -1 when it keeps picking bad pivots, for the caller
 * to sort everything instead.
 */
static int
select_first(struct ls_wrow **v, size_t n, size_t k, struct sortkey *key)
{
	size_t lo = 0, hi = n, i, j, mid;
	int rounds = 0;

	while (hi - lo > 16) {
		if (++rounds > 64)
			return -1;
		mid = lo + (hi - lo) / 2;
		if (cmp_rows(&v[mid], &v[lo], key) < 0)
			swap(&v[mid], &v[lo]);
		if (cmp_rows(&v[hi - 1], &v[lo], key) < 0)
			swap(&v[hi - 1], &v[lo]);
		if (cmp_rows(&v[hi - 1], &v[mid], key) < 0)
			swap(&v[hi - 1], &v[mid]);
		swap(&v[mid], &v[hi - 2]);	/* the pivot */
		for (i = lo, j = lo; j < hi - 2; j++)
			if (cmp_rows(&v[j], &v[hi - 2], key) < 0)
				swap(&v[i++], &v[j]);
		swap(&v[i], &v[hi - 2]);
		if (i == k || i + 1 == k)
			return 0;
		if (k < i)
			hi = i;
		else
			lo = i + 1;
	}
	/* The boundary is in a short stretch left: put it in order. */
	qsort_r(v + lo, hi - lo, sizeof(*v), cmp_rows, key);
	return 0;
}

void
ls_wdata_sort(struct ls_wdata *d, int col, int reverse, size_t upto)
{
	struct sortkey k = { col, reverse };
	size_t i, n = d->n;

	/* Owners by the map in force now, looked up once per row. */
	if (col == LS_W_PROC)
		for (i = 0; i < d->n; i++)
			d->rows[i].owner = ls_wdata_owner(d, &d->rows[i]);
	/* Only the rows on screen need their order: at 100k sockets a
	 * full sort would cost a good part of a refresh. */
	if (upto < n && select_first(d->order, n, upto, &k) == 0)
		n = upto;
	qsort_r(d->order, n, sizeof(*d->order), cmp_rows, &k);
	d->sorted = n;
}

size_t
ls_wdata_sorted(const struct ls_wdata *d)
{
	return d->sorted;
}
