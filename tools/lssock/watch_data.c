/*
 * lssock --watch, the data side: one dump per refresh into compact rows,
 * send and receive rates from the tcp_info byte counters of the refresh
 * before (matched by socket cookie through an open-addressing table, so
 * 100k sockets cost one probe each), the owner map watch.c hands over
 * (built off the screen's thread: at 100k sockets the /proc walk costs
 * more than the 200 ms a refresh may), and the sort.  No curses here;
 * watch.c draws.
 *
 * tcp_info is the dear part of a dump: the kernel locks each socket to
 * fill it and the replies triple in size.  Unless the sort needs it for
 * every socket, the dump goes without, and the rows on screen get theirs
 * by exact lookup (ls_wdata_fill): a screenful of lookups instead of
 * 100k fills.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/procmap.h"
#include "sockkit/sockdiag.h"
#include "lssock/arena.h"
#include "lssock/lssock.h"
#include "lssock/watch.h"

/* Byte counters of one socket as last read, and when. */
struct seen {
	uint64_t cookie;	/* 0: empty slot */
	uint64_t acked, received;
	int64_t ms;
};

struct table {
	struct seen *v;
	size_t mask;		/* capacity - 1, capacity a power of two */
	size_t used;
};

struct ls_wdata {
	struct ls_wrow *rows;
	struct ls_wrow **order;	/* the sorted view of rows */
	size_t n, cap, ocap;
	/* Counters read during the refresh before (prev) and this one
	 * (cur, lookups after the dump included). */
	struct table prev, cur;
	struct ls_chunk *arena;	/* UNIX paths and namespace names */
	struct sk_procmap *owners;
	size_t sorted;		/* order[0..sorted) is in order */
	int full;		/* every row came with its tcp_info */
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

/* t sized for n sockets at most half full, emptied. */
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
	} else if (t->used > 0)
		memset(t->v, 0, cap * sizeof(*t->v));
	t->used = 0;
	return 0;
}

/* Lookups after the dump may outgrow the size the dump called for. */
static int
table_grow(struct table *t)
{
	struct table n = { NULL, 0, 0 };
	size_t i, k;

	if (table_reset(&n, t->mask + 1) < 0)
		return -1;
	for (i = 0; i <= t->mask; i++) {
		if (t->v[i].cookie == 0)
			continue;
		k = slot(&n, t->v[i].cookie);
		n.v[k] = t->v[i];
		n.used++;
	}
	free(t->v);
	*t = n;
	return 0;
}

/* r's rates against its counters of the refresh before, then its
 * counters into this refresh's table. */
static int
row_rates(struct ls_wdata *d, struct ls_wrow *r, int64_t now_ms)
{
	const struct seen *p;
	double secs;
	size_t k;

	if (r->cookie == 0)
		return 0;
	if (d->prev.v != NULL) {
		p = &d->prev.v[slot(&d->prev, r->cookie)];
		secs = (double)(now_ms - p->ms) / 1000.0;
		if (p->cookie == r->cookie && secs > 0) {
			r->tx = r->acked >= p->acked ?
			    (double)(r->acked - p->acked) / secs : 0;
			r->rx = r->received >= p->received ?
			    (double)(r->received - p->received) / secs : 0;
		}
	}
	if (d->cur.v == NULL && table_reset(&d->cur, 0) < 0)
		return -1;
	if (2 * (d->cur.used + 1) > d->cur.mask + 1 && table_grow(&d->cur) < 0)
		return -1;
	k = slot(&d->cur, r->cookie);
	if (d->cur.v[k].cookie == 0)
		d->cur.used++;
	d->cur.v[k].cookie = r->cookie;
	d->cur.v[k].acked = r->acked;
	d->cur.v[k].received = r->received;
	d->cur.v[k].ms = now_ms;
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

static void
info_of(struct ls_wrow *r, const struct sk_sock *s)
{
	r->has_info = 1;
	r->rtt_us = s->tcpi.rtt;
	r->cwnd = s->tcpi.snd_cwnd;
	r->retrans = s->tcpi.total_retrans;
	r->acked = s->tcpi.bytes_acked;
	r->received = s->tcpi.bytes_received;
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
	r->ifindex = s->ifindex;
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
	if (s->tcpi_len > 0)
		info_of(r, s);
	d->n++;
	return 0;
}

/* This refresh's counters start empty; the last one's are prev.  Rows
 * the dump brought tcp_info for get their rates now. */
static int
rates(struct ls_wdata *d, int64_t now_ms)
{
	struct table t = d->prev;
	size_t i;

	d->prev = d->cur;
	d->cur = t;
	if (table_reset(&d->cur, d->full ? d->n : 0) < 0)
		return -1;
	for (i = 0; i < d->n; i++) {
		struct ls_wrow *r = &d->rows[i];

		r->asked = d->full || r->has_info;
		if (r->has_info && row_rates(d, r, now_ms) < 0)
			return -1;
	}
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
	if (rates(d, now_ms) < 0)
		goto fail;
	/* Kept from refresh to refresh: at 100k rows a new array each
	 * time is fresh pages to fault in each time. */
	if (d->n > d->ocap) {
		struct ls_wrow **v = reallocarray(d->order, d->n,
		    sizeof(*v));

		if (v == NULL)
			goto fail;
		d->order = v;
		d->ocap = d->n;
	}
	for (i = 0; i < d->n; i++)
		d->order[i] = &d->rows[i];
	return 0;
fail:
	d->n = 0;
	return -1;
}

int
ls_wdata_col_needs_info(int col)
{
	return col == LS_W_TX || col == LS_W_RX || col == LS_W_RTT ||
	    col == LS_W_RETR || col == LS_W_CWND;
}

int
ls_wdata_refresh(struct ls_wdata *d, const struct ls_opts *o, int full,
    struct sk_err *e)
{
	ls_wdata_begin(d);
	d->full = full;
	if (ls_collect_each(o, full ? SK_SD_EXT_INFO : 0, ls_wdata_add, d,
	    e) < 0) {
		d->n = 0;
		return -1;
	}
	if (ls_wdata_end(d, sk_now_ms()) < 0)
		return sk_err_sys(e, "--watch");
	return 0;
}

int
ls_wdata_full(const struct ls_wdata *d)
{
	return d->full;
}

/* ---- tcp_info for the rows shown ------------------------------------------------- */

/* Mini sockets (TIME-WAIT, SYN-RECV) have no tcp_info to ask for. */
static int
wants_info(const struct ls_wrow *r)
{
	return r->proto == SK_SD_TCP && r->cookie != 0 &&
	    (r->family == AF_INET || r->family == AF_INET6) &&
	    r->state != SK_SS_TIME_WAIT && r->state != SK_SS_SYN_RECV &&
	    r->state != SK_SS_NEW_SYN_RECV;
}

struct fill {
	struct ls_wdata *d;
	struct ls_wrow **rows;	/* asked for, in the order of the ids */
	size_t n, next;
	int64_t now_ms;
	int nomem;
};

/* Replies come in the order asked, less the sockets gone since (and
 * reuseport listeners, which come last): look from the last one on. */
static int
on_info(const struct sk_sock *s, void *arg)
{
	struct fill *f = arg;
	size_t k, i;

	for (k = 0; k < f->n; k++) {
		struct ls_wrow *r = f->rows[i = (f->next + k) % f->n];

		if (r->cookie != s->cookie)
			continue;
		f->next = i + 1;
		if (s->tcpi_len == 0)
			return 0;
		info_of(r, s);
		if (row_rates(f->d, r, f->now_ms) < 0) {
			f->nomem = 1;
			return 1;
		}
		return 0;
	}
	return 0;
}

int
ls_wdata_fill(struct ls_wdata *d, size_t from, size_t to, int64_t now_ms,
    ls_lookup_fn *lookup, struct sk_err *e)
{
	struct sk_sockid *ids = NULL;
	struct fill f;
	size_t i;
	int rc = -1;

	if (to > d->n)
		to = d->n;
	if (from >= to)
		return 0;
	memset(&f, 0, sizeof(f));
	f.d = d;
	f.now_ms = now_ms;
	if ((ids = calloc(to - from, sizeof(*ids))) == NULL ||
	    (f.rows = calloc(to - from, sizeof(*f.rows))) == NULL) {
		sk_err_sys(e, "--watch");
		goto end;
	}
	for (i = from; i < to; i++) {
		struct ls_wrow *r = d->order[i];

		if (r->asked)
			continue;
		r->asked = 1;
		if (!wants_info(r))
			continue;
		ids[f.n].proto = r->proto;
		ids[f.n].family = r->family;
		memcpy(ids[f.n].src, r->src, 16);
		memcpy(ids[f.n].dst, r->dst, 16);
		ids[f.n].sport = r->sport;
		ids[f.n].dport = r->dport;
		ids[f.n].ifindex = r->ifindex;
		ids[f.n].cookie = r->cookie;
		f.rows[f.n++] = r;
	}
	if (f.n > 0 && lookup(ids, f.n, SK_SD_EXT_INFO, on_info, &f, e) < 0)
		goto end;
	if (f.nomem) {
		sk_err_sys(e, "--watch");
		goto end;
	}
	rc = 0;
end:
	free(ids);
	free(f.rows);
	return rc;
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
	    (a->netns == b->netns || (c = strcmp(a->netns, b->netns)) == 0) &&
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
