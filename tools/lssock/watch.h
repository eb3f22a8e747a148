/*
 * lssock --watch — shared by the data side (watch_data.c) and the
 * screen (watch.c).
 */
#ifndef LSSOCK_WATCH_H
#define LSSOCK_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct sk_err;
struct sk_owner;
struct ls_opts;
struct sk_procmap;
struct sk_sock;
struct sk_sockid;

/* Columns, left to right; also the sort keys. */
enum { LS_W_NETID, LS_W_STATE, LS_W_RECVQ, LS_W_SENDQ, LS_W_LOCAL,
    LS_W_PEER, LS_W_TX, LS_W_RX, LS_W_RTT, LS_W_RETR, LS_W_CWND, LS_W_PROC,
    LS_W_NCOLS };

/* One socket of a refresh. */
struct ls_wrow {
	uint64_t cookie, inode, peer_inode;
	uint64_t acked, received;	/* tcp_info byte counters */
	double tx, rx;		/* bytes/s since the refresh before; -1:
				   unknown (first seen, no tcp_info) */
	const char *path;	/* UNIX; "" when unnamed */
	const char *netns;	/* --all-netns; else "" */
	const struct sk_owner *owner;	/* set by a sort on LS_W_PROC only */
	unsigned char src[16], dst[16];
	uint32_t rq, wq, rtt_us, cwnd, retrans;
	uint32_t ifindex;
	uint16_t sport, dport;
	uint8_t proto, family, state, type, has_info;
	uint8_t asked;		/* tcp_info was asked for this refresh */
	int8_t v6only;
};

struct ls_wdata;

struct ls_wdata *ls_wdata_new(void);
void ls_wdata_free(struct ls_wdata *d);
/* Whether sorting by col needs every socket's tcp_info (the rate,
 * RTT, Retr and Cwnd columns). */
int ls_wdata_col_needs_info(int col);
/* Dump what o selects; the rows of the refresh before are replaced.
 * With full, every socket comes with its tcp_info (a dearer dump: at
 * 100k sockets the kernel's filling it is a good part of a refresh);
 * without, none does, and ls_wdata_fill() asks for the rows shown.
 * -1 with e filled. */
int ls_wdata_refresh(struct ls_wdata *d, const struct ls_opts *o, int full,
    struct sk_err *e);
/* Whether the last refresh was full. */
int ls_wdata_full(const struct ls_wdata *d);
/* sk_sockdiag_lookup()'s signature, for tests to stand in for it. */
typedef int ls_lookup_fn(const struct sk_sockid *ids, size_t n, unsigned ext,
    int (*cb)(const struct sk_sock *, void *), void *arg, struct sk_err *e);
/* tcp_info, by exact lookup, for sorted rows from..to (the screen's)
 * not asked for yet this refresh; their rates are against the refresh
 * before as of now_ms, so a row that was not on the screen then shows
 * its rates from its next refresh.  -1 with e filled. */
int ls_wdata_fill(struct ls_wdata *d, size_t from, size_t to, int64_t now_ms,
    ls_lookup_fn *lookup, struct sk_err *e);
/* The steps of a refresh, for callers with sockets of their own (tests):
 * begin drops the rows, add takes one socket (an ls_each_fn; arg is d;
 * non-zero when out of memory), end computes the rates against the
 * refresh before as of now_ms.  end returns -1 (errno) on failure. */
void ls_wdata_begin(struct ls_wdata *d);
int ls_wdata_add(const struct sk_sock *s, const char *netns, void *arg);
int ls_wdata_end(struct ls_wdata *d, int64_t now_ms);
/* Order the rows by column col (numbers largest first, text in order),
 * reversed when reverse is set: the first upto of them (all when upto
 * is at least the count), which is what a screen shows. */
void ls_wdata_sort(struct ls_wdata *d, int col, int reverse, size_t upto);
/* How many rows from the first are in order since the last sort. */
size_t ls_wdata_sorted(const struct ls_wdata *d);
size_t ls_wdata_count(const struct ls_wdata *d);
/* Hand over an owner map (freed with d or by the next one). */
void ls_wdata_set_owners(struct ls_wdata *d, struct sk_procmap *owners);
/* r's first owner by the map in force, NULL if none. */
const struct sk_owner *ls_wdata_owner(const struct ls_wdata *d,
    const struct ls_wrow *r);
/* The i-th row in sorted order, NULL past the end. */
const struct ls_wrow *ls_wdata_row(const struct ls_wdata *d, size_t i);

#endif
