/*
 * sockkit/scan.h — port scanning: target lists, a keyed permutation of
 * the probe space cut into shards, per-host RTT estimation, and a scan
 * engine that runs connect, UDP and SYN probes with adaptive timing
 * (congestion-window parallelism, retries of silent probes, a rate
 * ceiling) on one epoll loop per worker thread.
 *
 * The probe space is target x port: probe j of the whole scan is
 * sk_perm_at(j) = host * nports + port index.  Shard I of N takes the
 * probes j = I, I + N, I + 2N, ...; a worker thread is a sub-shard, so
 * N machines with W threads each cover every probe exactly once.
 */
#ifndef SOCKKIT_SCAN_H
#define SOCKKIT_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "sockkit/addr.h"

struct sk_err;

/* ---- targets --------------------------------------------------------------- */

#define SK_TGT_ALLADDRS 0x1	/* every address of a name, not the first */
#define SK_TGT_FORCE    0x2	/* allow blocks above SK_TGT_MAXBLOCK */
#define SK_TGT_MAXBLOCK 65536	/* a /16 of IPv4, a /112 of IPv6 */

/* One block of addresses, and the name it was typed as (NULL for
 * literals, CIDR blocks and ranges). */
struct sk_target {
	struct sk_iprange range;
	uint64_t count;
	uint64_t first;		/* index of its first address in the list */
	char *name;
};

/* The whole list, in the order given; host index i (0..total-1) is one
 * address.  Start from sk_targets_init(); free with sk_targets_free(). */
struct sk_targets {
	struct sk_target *v;
	size_t n, cap;
	uint64_t total;
	int family;		/* AF_UNSPEC, or only names' addresses of it */
};

void sk_targets_init(struct sk_targets *t, int family);
void sk_targets_free(struct sk_targets *t);

/*
 * Add one target: an IPv4/IPv6 literal, a CIDR block ("198.18.0.0/24",
 * "2001:2::/120"), a range ("198.18.0.1-20", "198.18.0.1-198.18.1.9") or a
 * host name, resolved by deadline (first address, or all of them with
 * SK_TGT_ALLADDRS).  Blocks above SK_TGT_MAXBLOCK addresses are refused
 * without SK_TGT_FORCE ("target 198.18.0.0/8: 16777216 addresses, more
 * than a /16; use --force").  Returns 0 or -1: INPUT for bad syntax, the
 * resolver's kind (NOTFOUND, TIMEOUT...) for names.
 */
int sk_targets_add(struct sk_targets *t, const char *spec, int flags,
    int64_t deadline, struct sk_err *e);

/* Add every target in f (whitespace-separated, '#' starts a comment);
 * errors name fname and the line.  Returns the number added, or -1. */
int sk_targets_read(struct sk_targets *t, FILE *f, const char *fname,
    int flags, int64_t deadline, struct sk_err *e);

/* Address of host i (port 0) into ss; the target it belongs to, or NULL
 * when i is out of range. */
const struct sk_target *sk_targets_addr(const struct sk_targets *t,
    uint64_t i, struct sockaddr_storage *ss, socklen_t *len);

/* ---- the probe space: a keyed permutation, shards ---------------------- */

/* A bijection of [0, n) chosen by seed (a Feistel network with cycle
 * walking): no table, O(1) memory whatever n is. */
struct sk_perm {
	uint64_t n;
	unsigned half;		/* bits per Feistel half */
	uint64_t key[4];
};

void sk_perm_init(struct sk_perm *p, uint64_t n, uint64_t seed);
uint64_t sk_perm_at(const struct sk_perm *p, uint64_t i);

/* Which (host, protocol, port) probes a shard runs, in its order. */
struct sk_plan {
	const struct sk_targets *t;
	uint32_t *ports;	/* proto << 16 | port, ascending */
	uint32_t nports;
	struct sk_perm perm;
	uint64_t total;		/* probes in the whole scan */
	uint64_t next, step;	/* this shard's next index, and its stride */
};

/* The probes of targets x ports (the protocols whose bit (1 << SK_PROTO_*)
 * is in protos), shard shard of nshards (0 <= shard < nshards).  Returns
 * 0, or -1: no ports or targets, or a scan too large to index. */
int sk_plan_init(struct sk_plan *p, const struct sk_targets *t,
    const struct sk_portset *ps, int protos, uint64_t seed, uint64_t shard,
    uint64_t nshards, struct sk_err *e);
/* The plan's next probe: 1 and the probe, or 0 when it has no more. */
int sk_plan_next(struct sk_plan *p, uint64_t *host, int *proto,
    unsigned *port);
/* Number of probes in the plan's shard (from its start). */
uint64_t sk_plan_count(const struct sk_plan *p, uint64_t shard,
    uint64_t nshards);
void sk_plan_free(struct sk_plan *p);

/* ---- RTT estimation (RFC 6298) ------------------------------------------- */

struct sk_rtt {
	int64_t srtt_us, rttvar_us;	/* valid once samples > 0 */
	unsigned samples;
};

void sk_rtt_init(struct sk_rtt *r);
void sk_rtt_sample(struct sk_rtt *r, int64_t us);
/* srtt + 4 * rttvar clamped to [min_us, max_us]; initial_us before the
 * first sample. */
int64_t sk_rtt_timeout(const struct sk_rtt *r, int64_t initial_us,
    int64_t min_us, int64_t max_us);

/* ---- the scan engine ------------------------------------------------------ */

enum sk_port_state {
	SK_PORT_OPEN,
	SK_PORT_CLOSED,
	SK_PORT_FILTERED,
	SK_PORT_OPEN_FILTERED,
	SK_PORT_NSTATES
};

/* "open", "closed", "filtered", "open|filtered". */
const char *sk_port_state_str(enum sk_port_state s);

/* How TCP ports are probed. */
enum sk_scan_tcp { SK_SCAN_CONNECT, SK_SCAN_SYN };

/* Timing, nmap's -T0..5 (sk_scan_timing_preset()) or set one by one. */
struct sk_scan_timing {
	int64_t initial_rtt_us;	/* probe timeout before any RTT sample */
	int64_t min_rtt_us, max_rtt_us;	/* clamp of srtt + 4 rttvar */
	int64_t scan_delay_us;	/* at least this between probes of a worker */
	int max_retries;	/* resends of a silent probe, at most */
	unsigned min_parallel;	/* initial congestion window per host */
	unsigned max_parallel;	/* probes in flight in all, at most */
	double rate;		/* probes per second in all, 0 = no ceiling */
};

/* Fill t with the -T level (0 paranoid ... 3 normal ... 5 insane);
 * -1 (EINVAL) for a level outside 0..5. */
int sk_scan_timing_preset(struct sk_scan_timing *t, int level,
    struct sk_err *e);

/* One port's verdict. */
struct sk_scan_result {
	uint64_t host;			/* index in the target list */
	const struct sockaddr *addr;	/* the host, port set */
	socklen_t addrlen;
	int proto;			/* SK_PROTO_TCP or SK_PROTO_UDP */
	unsigned port;
	enum sk_port_state state;
	const char *reason;	/* nmap's word: "syn-ack", "conn-refused",
				   "reset", "no-response", "admin-prohibited",
				   "udp-response", "port-unreach"... */
	int icmp_type, icmp_code;	/* -1 unless an ICMP error decided */
	const struct sockaddr *icmp_from;	/* its sender, or NULL */
	int64_t rtt_us;			/* -1 without an answer */
	unsigned tries;			/* probes sent for this port */
	const char *banner;		/* --banner text (not NUL-ended), or NULL */
	size_t bannerlen;
};

/* Called once per port from a worker thread, never two at a time. */
typedef void sk_scan_result_fn(const struct sk_scan_result *r, void *arg);
/* Called about every progress_ms by one worker: done of total probes. */
typedef void sk_scan_progress_fn(uint64_t done, uint64_t total,
    int64_t elapsed_us, void *arg);

struct sk_scan_opts {
	int protos;		/* 1 << SK_PROTO_TCP | 1 << SK_PROTO_UDP */
	enum sk_scan_tcp tcp;
	struct sk_scan_timing timing;
	unsigned workers;	/* threads; 0 = one per CPU, at most 4 */
	uint64_t seed, shard, nshards;	/* nshards 0 = 1 */
	int banner;		/* read a banner from open TCP ports */
	sk_scan_result_fn *on_result;
	void *arg;
	sk_scan_progress_fn *on_progress;
	void *progress_arg;
	int64_t progress_ms;
};

/* What a scan did. */
struct sk_scan_stats {
	uint64_t probes;	/* port verdicts (this shard) */
	uint64_t sent;		/* probes sent, resends included */
	uint64_t count[SK_PORT_NSTATES];
	uint64_t local_errors;	/* probes the local stack refused to send */
	int64_t elapsed_us;
};

/*
 * Scan the targets' ports (ps, the protocols in o->protos) as o says and
 * report every port once through o->on_result.  Raises RLIMIT_NOFILE to
 * its hard limit for the connect sockets.  Returns 0 when every probe got
 * a verdict, or -1 (e filled, st as far as it got): a system error, or
 * SK_SCAN_SYN without privileges (INPUT, EPERM, "SYN scan needs root or
 * CAP_NET_RAW; use -sT").  A SYN scan runs in one worker.
 */
int sk_scan_run(const struct sk_targets *t, const struct sk_portset *ps,
    const struct sk_scan_opts *o, struct sk_scan_stats *st, struct sk_err *e);

#endif
