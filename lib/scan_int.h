/* Private to the scan engine (lib/scan*.c); not installed. */
#ifndef SOCKKIT_SCAN_INT_H
#define SOCKKIT_SCAN_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sockkit/err.h"
#include "sockkit/scan.h"

#define NIL UINT32_MAX
#define SPARE_MAX 64

/* A probe waiting for its turn: deferred behind its host's window, or
 * ready to go (its window slot already reserved). */
struct ent {
	uint64_t host;
	uint32_t next;
	uint16_t port;
	uint8_t proto;
	uint8_t tries;		/* low 4 bits: sent so far; high: self-connects */
};

/* A worker's view of one host: RTT, congestion window, retries. */
struct hstate {
	struct sk_rtt rtt;
	float cwnd, ssthresh;
	uint32_t inflight;	/* probes in flight or reserved in ready */
	uint32_t qhead, qtail;	/* deferred entries */
	uint8_t retry_limit;
};

enum phase { PH_CONNECT, PH_UDP, PH_BANNER1, PH_BANNER2, PH_SYN };

struct probe {
	int fd;
	uint32_t heapi;
	uint32_t tabi;		/* SYN probes: slot in the reply table */
	struct ent x;
	struct hstate *h;
	int64_t sent_us, deadline_us, rtt_us;
	uint8_t phase;
	uint8_t local;		/* loopback target: no ICMP, answers at once */
	uint8_t watched;	/* fd is in the epoll set */
	uint8_t live;		/* slot in use (a stale event must not free it twice) */
	char *banner;
	size_t bannerlen;
};

struct scan;
struct sk_syn;

struct worker {
	struct scan *s;
	pthread_t th;
	unsigned id;
	int ep;
	struct sk_plan plan;
	int plan_done, has_stalled;
	struct ent stalled;

	struct hstate *hosts;
	uint64_t nhosts;	/* table size: hosts beyond share by modulo */

	struct ent *pool;	/* deferred/ready entries */
	uint32_t npool, pool_free, pool_nfree;
	uint32_t ready_head, ready_tail;

	struct probe *probes;	/* cap slots */
	uint32_t *free_slots, nfree, cap, cap0, active;
	struct probe **heap;
	uint32_t heapn;

	double rate, tokens, burst;
	int64_t tok_at;

	/* Sockets whose connect was refused, disconnected for reuse:
	 * [family is v6][error queue on].  A refused connect leaves the
	 * socket reusable, and skipping socket(2) and close(2) takes a
	 * third off the cost of a closed port. */
	int spare[2][2][SPARE_MAX];

	/* -sS: one engine per family, and the probes in flight by
	 * (address, port), which is all a validated reply names. */
	struct sk_syn *syn[2];
	struct probe **tab;
	uint32_t tabmask;
	unsigned nspare[2][2];

	uint64_t done, sent, local_errors;
	uint64_t count[SK_PORT_NSTATES];
	int failed;
	struct sk_err err;
};

struct scan {
	const struct sk_targets *t;
	const struct sk_scan_opts *o;
	pthread_mutex_t lock;
	uint64_t total;
	int families;		/* bit 0: IPv4 targets, bit 1: IPv6 */
	int64_t start_us, next_progress;
	int abort;
	struct worker *w;
	unsigned nw;
};

int64_t sk__scan_now_us(void);

/* lib/scan_probe.c: start a probe on slot p (x, h, local set); 0 when it
 * is in flight or already decided, -1 (e filled) on a local failure:
 * *retry says whether it is worth trying again later (EMFILE...). */
int sk__probe_start(struct worker *w, struct probe *p, int *retry);
/* An event or a deadline on p: harvest what the socket says. */
void sk__probe_event(struct worker *w, struct probe *p, int events);
void sk__probe_expire(struct worker *w, struct probe *p);
/* Close the worker's spare sockets. */
void sk__probe_spares_close(struct worker *w);

/* lib/scan_syn.c: SYN probes through sk_syn (sockkit/synprobe.h). */
int sk__syn_init(struct worker *w, struct sk_err *e);
void sk__syn_free(struct worker *w);
int sk__syn_is(const struct worker *w, const void *ptr);
int sk__syn_start(struct worker *w, struct probe *p, int *retry);
void sk__syn_event(struct worker *w, void *ptr);
void sk__syn_forget(struct worker *w, struct probe *p);

/* lib/scan.c: p's verdict is in; free its slot and report it. */
void sk__probe_done(struct worker *w, struct probe *p, enum sk_port_state st,
    const char *reason, int icmp_type, int icmp_code,
    const struct sockaddr *from);
/* p got no answer by its deadline: resend or give up. */
void sk__probe_silent(struct worker *w, struct probe *p);
/* Try p again right away (self-connect), not counted as a resend. */
void sk__probe_again(struct worker *w, struct probe *p);
/* Move p's deadline; keeps the heap in order. */
void sk__probe_rearm(struct worker *w, struct probe *p, int64_t deadline);
/* Address of p's target with its port. */
socklen_t sk__probe_addr(const struct worker *w, const struct probe *p,
    struct sockaddr_storage *ss);

#endif
