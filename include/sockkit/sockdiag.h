/*
 * sockkit/sockdiag.h — socket table dumps: NETLINK_SOCK_DIAG first,
 * /proc/net tables as the fallback, one struct out either way.
 *
 * Dumps are callback-driven: each socket is parsed into a caller-visible
 * struct sk_sock and handed to the callback, then forgotten, so a dump of
 * 100k sockets runs in constant memory.  The struct is only valid during
 * the callback.
 */
#ifndef SOCKKIT_SOCKDIAG_H
#define SOCKKIT_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct sk_err;
struct nlmsghdr;

/* ---- what to dump ---------------------------------------------------------- */

/* Protocols (bits of sk_sockdiag_req.protos and the value of sk_sock.proto). */
#define SK_SD_TCP	0x01
#define SK_SD_UDP	0x02
#define SK_SD_RAW	0x04
#define SK_SD_UNIX	0x08
#define SK_SD_INET	(SK_SD_TCP | SK_SD_UDP | SK_SD_RAW)
#define SK_SD_ALL	(SK_SD_INET | SK_SD_UNIX)

/* Socket states, numbered as the kernel numbers them (TCP_* in
 * <netinet/tcp.h>); UDP, RAW and UNIX sockets use a subset (ESTABLISHED,
 * CLOSE, LISTEN). */
enum sk_sock_state {
	SK_SS_UNKNOWN = 0,
	SK_SS_ESTABLISHED, SK_SS_SYN_SENT, SK_SS_SYN_RECV, SK_SS_FIN_WAIT1,
	SK_SS_FIN_WAIT2, SK_SS_TIME_WAIT, SK_SS_CLOSE, SK_SS_CLOSE_WAIT,
	SK_SS_LAST_ACK, SK_SS_LISTEN, SK_SS_CLOSING, SK_SS_NEW_SYN_RECV,
	SK_SS_MAX
};
#define SK_SS_BIT(s)	(1u << (s))
#define SK_SS_ALL	((1u << SK_SS_MAX) - 2)	/* every state but UNKNOWN */

/* Extended information (bits of sk_sockdiag_req.ext and sk_sock.have). */
#define SK_SD_EXT_INFO	0x01	/* tcp_info and congestion algorithm */
#define SK_SD_EXT_MEM	0x02	/* socket memory (skmeminfo) */
#define SK_SD_EXT_TIMER	0x04	/* timers (always sent for inet) */
#define SK_SD_EXT_UID	0x08	/* owner uid and inode (always for inet) */

/*
 * INET_DIAG bytecode: conditions the kernel checks before it sends an
 * inet socket, so a filtered dump of a big table stays cheap.  Built as
 * an AND of port comparisons; callers that filter more finely still
 * check every socket themselves (the bytecode only narrows).
 */
#define SK_SOCKDIAG_BC_MAX 256	/* bytes: 32 conditions */

enum sk_bc_op { SK_BC_EQ, SK_BC_LT, SK_BC_GT, SK_BC_LE, SK_BC_GE };

struct sk_sockdiag_bc {
	unsigned char code[SK_SOCKDIAG_BC_MAX];
	size_t len;
};

void sk_sockdiag_bc_init(struct sk_sockdiag_bc *bc);

/*
 * AND "local (peer when peer) port OP port" to bc.  Returns 0, 1 when the
 * condition can never hold (port > 65535 etc.: nothing will match), or
 * -1 with e filled: EINVAL for a bad op, ENOSPC when bc is full.
 */
int sk_sockdiag_bc_port(struct sk_sockdiag_bc *bc, int peer, enum sk_bc_op op,
    unsigned port, struct sk_err *e);

struct sk_sockdiag_req {
	unsigned protos;	/* SK_SD_* bits; 0 means SK_SD_ALL */
	int family;		/* AF_UNSPEC (both), AF_INET or AF_INET6;
				   ignored for UNIX */
	uint32_t states;	/* SK_SS_BIT() set the kernel keeps; 0 = all */
	unsigned ext;		/* SK_SD_EXT_* bits */
	const char *procroot;	/* "/proc" when NULL; for the fallback */
	const struct sk_sockdiag_bc *bc;	/* inet only; NULL: none.  The
					   /proc fallback ignores it. */
};

/* ---- one socket -------------------------------------------------------------- */

#define SK_SOCK_PATHMAX 109	/* sun_path plus a NUL */
#define SK_SOCK_CONGMAX 16	/* TCP_CA_NAME_MAX */

enum sk_sock_timer {
	SK_TIMER_OFF = 0, SK_TIMER_ON, SK_TIMER_KEEPALIVE, SK_TIMER_TIMEWAIT,
	SK_TIMER_PERSIST, SK_TIMER_UNKNOWN
};

/* The tcp_info fields lssock shows, copied out of the kernel's struct so
 * this header does not pull in <linux/tcp.h> (it clashes with
 * <netinet/tcp.h>).  Times in microseconds, rates in bytes per second;
 * fields a kernel did not send are 0. */
struct sk_tcp_info {
	uint8_t state, ca_state, retransmits, probes, backoff, options;
	uint8_t snd_wscale, rcv_wscale;
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_recv, last_data_recv;	/* ms */
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd;
	uint32_t advmss, reordering, rcv_rtt, rcv_space, total_retrans;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, notsent_bytes, min_rtt;
	uint32_t data_segs_in, data_segs_out;
	uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
	uint32_t delivered, delivered_ce;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t dsack_dups, reord_seen;
};

/* The skmeminfo counters, in bytes. */
struct sk_sock_mem {
	uint32_t rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc,
	    wmem_queued, optmem, backlog, drops;
};

struct sk_sock {
	unsigned proto;		/* one SK_SD_* bit */
	int family;		/* AF_INET, AF_INET6 or AF_UNIX */
	int type;		/* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET,
				   SOCK_RAW */
	int protocol;		/* RAW: the IP protocol bound; else 0 */
	enum sk_sock_state state;
	uint32_t rqueue, wqueue;	/* Recv-Q, Send-Q as ss shows them */
	/* inet: addresses in network order (4 bytes used for v4) */
	unsigned char src[16], dst[16];
	uint16_t sport, dport;	/* host order */
	int v6only;		/* -1 unknown */
	uint32_t ifindex;
	/* UNIX: bound path ("@name" for abstract, "" if unnamed) */
	char path[SK_SOCK_PATHMAX + 1];
	uint64_t peer_inode;	/* UNIX: peer's inode, 0 if none */

	uint64_t inode;
	uint64_t cookie;	/* 0 from /proc */
	uint32_t uid;

	unsigned have;		/* SK_SD_EXT_* that are filled below */
	enum sk_sock_timer timer;
	uint32_t timer_expires;	/* ms */
	uint32_t retrans;	/* timer retransmits / probes */
	struct sk_sock_mem mem;
	char cong[SK_SOCK_CONGMAX];
	struct sk_tcp_info tcpi;	/* with SK_SD_EXT_INFO, TCP only */
	size_t tcpi_len;	/* bytes of tcp_info the kernel sent; 0: none */
};

/* Return non-zero to stop the dump (the dump then returns 0). */
typedef int (*sk_sock_cb)(const struct sk_sock *s, void *arg);

/* ---- dumps ----------------------------------------------------------------------- */

/*
 * Dump the sockets req asks for through NETLINK_SOCK_DIAG, calling cb once
 * per socket.  TCP of both families is one request (the kernel walks its
 * table once).  States outside req->states are filtered by the kernel.
 * Returns 0, or -1 with e filled: EPROTONOSUPPORT/EACCES/... when netlink
 * sock_diag is unavailable (callers may then use sk_procnet_dump()),
 * EBADMSG for a malformed reply.
 */
int sk_sockdiag_dump(const struct sk_sockdiag_req *req, sk_sock_cb cb,
    void *arg, struct sk_err *e);

/*
 * An inet socket as a dump reported it: what the kernel needs to find
 * it again by exact lookup (sk_sockid_of() fills one from a dump's
 * struct sk_sock).
 */
struct sk_sockid {
	unsigned proto;		/* SK_SD_TCP or SK_SD_UDP */
	int family;		/* AF_INET or AF_INET6 */
	unsigned char src[16], dst[16];
	uint16_t sport, dport;	/* host order */
	uint32_t ifindex;
	uint64_t cookie;	/* 0: any socket with these addresses */
};

void sk_sockid_of(const struct sk_sock *s, struct sk_sockid *id);

/*
 * Ask for n sockets by exact id (SOCK_DIAG_BY_FAMILY without NLM_F_DUMP,
 * a few dozen requests per send), with the extended information ext,
 * and call cb once for each one still there, in the order of ids but
 * for listeners of an SO_REUSEPORT group, which the kernel cannot look
 * up one by one: those come last, from a dump of the listening table
 * alone.  The kernel finds each in its hash tables, so this costs per
 * socket asked for, not per socket in the table: the way to get
 * tcp_info for a few sockets of a big table.  A socket that is gone, or
 * whose address now belongs to another socket (cookie mismatch), is
 * skipped.  Returns 0,
 * or -1 with e filled: EINVAL for an id of another protocol or family,
 * errno values of the netlink socket, EBADMSG for a malformed reply.
 */
int sk_sockdiag_lookup(const struct sk_sockid *ids, size_t n, unsigned ext,
    sk_sock_cb cb, void *arg, struct sk_err *e);

/*
 * The same from /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix} under
 * req->procroot.  No extended information beyond uid, inode and timers;
 * cookie is 0.  Missing files (no IPv6) are skipped; a malformed line is
 * an error (EBADMSG) naming file and line.
 */
int sk_procnet_dump(const struct sk_sockdiag_req *req, sk_sock_cb cb,
    void *arg, struct sk_err *e);

/*
 * Parse one SOCK_DIAG_BY_FAMILY reply message into s (cleared first).
 * proto is the SK_SD_* the request asked for (the inet reply does not
 * say).  Every attribute is validated before use; unknown ones are
 * skipped.  Returns 0, or -1 (EBADMSG) naming what was malformed.
 */
int sk_sockdiag_parse(const struct nlmsghdr *nlh, unsigned proto,
    struct sk_sock *s, struct sk_err *e);

/* ---- names ------------------------------------------------------------------------- */

/* ss's state word: "ESTAB", "SYN-SENT", ..., "UNCONN" for CLOSE,
 * "LISTEN"; "UNKNOWN" out of range. */
const char *sk_sock_state_str(enum sk_sock_state st);

/* ss's Netid: "tcp", "udp", "raw", "u_str", "u_dgr", "u_seq". */
const char *sk_sock_netid(const struct sk_sock *s);

#endif
