/*
 * sockkit/synprobe.h — raw TCP SYN probes (the engine of portprobe -sS).
 *
 * A SYN leaves through a raw socket (the kernel builds the IP header, we
 * build the TCP header and its checksum); replies come back through
 * libpcap on the "any" device, filtered in the kernel to TCP aimed at our
 * source-port range and to ICMP errors.  No per-probe table is needed to
 * trust a reply: the sequence number of every SYN is a keyed hash of its
 * addresses and ports, so a SYN-ACK or RST must acknowledge hash + 1 and
 * an ICMP error must quote it.  The source port tells which transmission
 * (try) of a probe a reply answers.  The kernel answers each SYN-ACK with
 * a RST of its own (no socket owns the port), which closes the half-open
 * connection on the target.
 *
 * Needs root or CAP_NET_RAW.  One engine serves one address family.
 */
#ifndef SOCKKIT_SYNPROBE_H
#define SOCKKIT_SYNPROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sk_err;

/* ---- the engine ------------------------------------------------------------ */

/* Source ports one engine sends from: a block outside the kernel's
 * ephemeral range, placed by the key.  try n of a probe leaves from the
 * port n places (mod SK_SYN_PORTS) after the probe's first, so every
 * try is a fresh connection to the target. */
#define SK_SYN_PORTS 256

struct sk_syn;			/* opaque: raw send socket + libpcap handle */

enum sk_syn_what {
	SK_SYN_SYNACK,		/* port open   (reason "syn-ack") */
	SK_SYN_RST,		/* port closed (reason "reset") */
	SK_SYN_ICMP		/* ICMP/ICMPv6 error about our probe: filtered */
};

struct sk_syn_reply {
	struct sockaddr_storage target;	/* the probed address, port = probed port */
	socklen_t targetlen;
	uint16_t port;			/* probed port, host order */
	uint8_t try;			/* transmission the reply answers (0, 1, ...) */
	enum sk_syn_what what;
	uint8_t icmp_type, icmp_code;	/* when what == SK_SYN_ICMP */
	struct sockaddr_storage from;	/* sender: ICMP reporter, else the target */
	socklen_t fromlen;
	uint8_t ttl;			/* IP TTL / hop limit of the reply */
	int64_t when_us;		/* arrival, CLOCK_MONOTONIC µs (sk_syn_now_us) */
};

/*
 * Open the engine for family (AF_INET or AF_INET6).  key seeds the keyed
 * hash (SipHash-2-4) in the sequence numbers and the choice of source
 * ports; replies that do not carry the hash are dropped.  Unprivileged:
 * kind SK_ERR_INPUT, code EPERM, message
 * "SYN scan needs root or CAP_NET_RAW; use -sT".  Other failures: SYSTEM.
 */
struct sk_syn *sk_syn_open(int family, uint64_t key, struct sk_err *e);
void sk_syn_close(struct sk_syn *s);	/* NULL allowed */

/*
 * Send transmission try of the probe to dst (its port = the probed port).
 * The source address comes from the routing table (cached per
 * destination).  Never blocks.  Returns 0, or -1: kind SK_ERR_TEMPFAIL
 * for ENOBUFS/EAGAIN (back off, resend later); NETWORK for no route;
 * INPUT for an address of the other family; else SYSTEM.
 */
int sk_syn_send(struct sk_syn *s, const struct sockaddr *dst, socklen_t dstlen,
    uint8_t try, struct sk_err *e);

/* A descriptor that turns readable when replies may be waiting (for an
 * sk_loop or epoll).  Owned by the engine. */
int sk_syn_fd(const struct sk_syn *s);

/*
 * Non-blocking: fill out with up to max validated replies and return
 * their count; 0 = none now.  A reply can come twice (a target that
 * retransmits its SYN-ACK); callers keep the first.  One call looks at a
 * bounded number of packets, so 0 can also follow a burst of foreign
 * ones: keep calling while the descriptor is readable.  -1: SYSTEM.
 */
int sk_syn_recv(struct sk_syn *s, struct sk_syn_reply *out, int max,
    struct sk_err *e);

/* CLOCK_MONOTONIC in microseconds, the clock of when_us. */
int64_t sk_syn_now_us(void);

/* The source ports in use: lo .. lo + SK_SYN_PORTS - 1. */
uint16_t sk_syn_port_lo(const struct sk_syn *s);

struct sk_syn_stats {
	uint64_t sent;		/* SYNs the kernel took */
	uint64_t tempfail;	/* sends refused with ENOBUFS/EAGAIN */
	uint64_t captured;	/* packets the filter let through */
	uint64_t accepted;	/* ... that were replies to our probes */
	uint64_t forged;	/* ... that looked like replies, wrong hash */
	uint64_t routes;	/* source-address lookups (cache misses) */
	uint64_t pcap_drop;	/* packets the capture buffer had no room for */
};

/* Counters since sk_syn_open. */
void sk_syn_stats(struct sk_syn *s, struct sk_syn_stats *st);

/* ---- packets (no privileges needed: tests, fuzzing) -------------------- */

/* What the hash and the port block are derived from. */
struct sk_syn_match {
	int family;
	uint64_t k0, k1;	/* SipHash key */
	uint16_t port_lo;	/* first of SK_SYN_PORTS source ports */
};

/* Derive m from key for family, with source ports from port_lo. */
void sk_syn_match_init(struct sk_syn_match *m, int family, uint64_t key,
    uint16_t port_lo);

#define SK_SYN_TCPLEN 24	/* TCP header + MSS option */

/* Build the TCP header of try of the probe src -> dst (dst's port is the
 * probed port; src's port is ignored) with its checksum; returns
 * SK_SYN_TCPLEN, or -1 (EAFNOSUPPORT) if a family is not m's. */
int sk_syn_build(const struct sk_syn_match *m, const struct sockaddr *src,
    const struct sockaddr *dst, uint8_t try, unsigned char tcp[SK_SYN_TCPLEN]);

enum sk_syn_verdict {
	SK_SYN_VALID,		/* a reply to one of our probes; r filled */
	SK_SYN_MALFORMED,	/* lengths or headers do not add up */
	SK_SYN_IGNORED,		/* well-formed, not a kind of reply we take */
	SK_SYN_FORGED		/* a reply in form whose hash does not match */
};

/*
 * Judge one packet of len bytes that starts at its IP header (hostile
 * input: every length is checked against len).  SK_SYN_VALID fills r
 * (but when_us, which is the caller's).  Checksums are not checked:
 * loopback captures carry partial ones; the hash is the check.
 */
enum sk_syn_verdict sk_syn_parse(const struct sk_syn_match *m,
    const unsigned char *pkt, size_t len, struct sk_syn_reply *r);

#endif
