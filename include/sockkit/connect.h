/*
 * sockkit/connect.h — tcpopen(host, service), done right.
 *
 * The source text's tcpopen used the first address of a host and blocked
 * as long as the kernel liked.  sk_tcpopen() resolves with getaddrinfo(3),
 * tries every address, races them RFC 8305-style (Happy Eyeballs: the
 * address list interleaved by family, the next attempt started when the
 * current one has not answered within the stagger delay, first to connect
 * wins, the losers closed), and never waits past an overall deadline.
 */
#ifndef SOCKKIT_CONNECT_H
#define SOCKKIT_CONNECT_H

#include <stddef.h>
#include <stdint.h>
#include "sockkit/deadline.h"
#include <netdb.h>
#include <sys/socket.h>

struct sk_err;

/* Events reported to the attempt callback. */
enum sk_attempt_event {
	SK_ATTEMPT_START,	/* connect(2) issued to sa */
	SK_ATTEMPT_OK,		/* sa accepted the connection (the winner) */
	SK_ATTEMPT_FAIL,	/* sa failed; err is the errno */
	SK_ATTEMPT_CANCEL	/* abandoned: another address won or time ran out */
};

/* Called for every event, in order; elapsed_ms counts from the start of the
 * sk_tcpopen() call.  Must not close fds or call back into the library. */
typedef void sk_attempt_cb(void *arg, enum sk_attempt_event ev,
    const struct sockaddr *sa, socklen_t salen, int err, int64_t elapsed_ms);

#define SK_STAGGER_DEFAULT 250	/* RFC 8305 "Connection Attempt Delay" */

/* Flags for sk_connect_opts.flags. */
#define SK_CONN_NONBLOCK   0x1	/* leave the returned fd O_NONBLOCK */
#define SK_CONN_SEQUENTIAL 0x2	/* no racing: wait for each attempt to end */
#define SK_CONN_NODELAY    0x4	/* set TCP_NODELAY on the result */

/* Options start from SK_CONNECT_OPTS_INIT: the deadline is an absolute
 * time like everywhere else, so a zeroed struct means SK_NOW (fail at once
 * unless the connect completes immediately), not "no deadline". */
struct sk_connect_opts {
	int family;		/* AF_UNSPEC (0), AF_INET or AF_INET6 */
	int64_t deadline;	/* absolute (sk_deadline_in()), SK_NEVER or SK_NOW */
	int stagger_ms;		/* 0 = SK_STAGGER_DEFAULT */
	int flags;
	const char *src_host;	/* optional source address to bind */
	const char *src_port;	/* optional source port/service */
	sk_attempt_cb *on_attempt;
	void *arg;
};
#define SK_CONNECT_OPTS_INIT { .deadline = SK_NEVER }

/*
 * Connect a TCP socket to host/service.  service is a name from
 * services(5) or a number.  o may be NULL (defaults).  Returns a connected
 * fd (blocking, close-on-exec, unless SK_CONN_NONBLOCK), or -1 with e
 * naming the last failure: "connect to 198.18.0.2:43: Connection
 * refused", "connect to example:43: timed out after 2000 ms",
 * "service nosuch: unknown tcp service".  e->code is the errno of the
 * attempt that failed last (ECONNREFUSED, ETIMEDOUT, ENETUNREACH...).
 */
int sk_tcpopen(const char *host, const char *service,
    const struct sk_connect_opts *o, struct sk_err *e);

/*
 * The same race over an address list the caller resolved (and may have
 * ordered itself).  The list is reordered only by family interleaving
 * (RFC 8305 section 4, sk_connect_order()), keeping the first address
 * first; every address is tried, however long the list.
 */
int sk_tcpopen_ai(const struct addrinfo *list, const struct sk_connect_opts *o,
    struct sk_err *e);

/*
 * A connected UDP socket to host/service: the first address to which
 * connect(2) succeeds (UDP connect only picks a route; ICMP errors show up
 * on the first send/recv).  Honors family and source options.
 */
int sk_udpopen(const char *host, const char *service,
    const struct sk_connect_opts *o, struct sk_err *e);

/* Connect to a UNIX socket at path; type is SOCK_STREAM or SOCK_DGRAM.
 * A path starting with '@' is in the abstract namespace.  Honors
 * o->deadline for stream sockets. */
int sk_unixopen(const char *path, int type, const struct sk_connect_opts *o,
    struct sk_err *e);

/* ---- building blocks: one connect at a time, on the caller's loop -------- */

/* Flags for sk_connect_start(). */
#define SK_CS_RECVERR 0x1  /* IP_RECVERR / IPV6_RECVERR: keep ICMP errors for sk_connect_finish() */
#define SK_CS_RST     0x2  /* SO_LINGER {1,0}: close(2) sends RST, leaves no TIME_WAIT */
#define SK_CS_NODELAY 0x4  /* TCP_NODELAY */

/* Called on the new socket before connect(2): set options, bind a source.
 * Return 0, or -1 with e filled to abandon this attempt (the fd is closed). */
typedef int sk_sockopt_fn(int fd, const struct sockaddr *dst, socklen_t dstlen,
    void *arg, struct sk_err *e);

/* Why a connect failed, from the socket's error queue (MSG_ERRQUEUE). */
struct sk_icmp_reason {
	int origin;                    /* 0 = none; SO_EE_ORIGIN_ICMP, _ICMP6 or _LOCAL */
	int type, code;                /* ICMP / ICMPv6 type and code as received */
	struct sockaddr_storage from;  /* who reported it (router or target) */
	socklen_t fromlen;             /* 0 if unknown */
};

/*
 * Start a non-blocking connect of a new socket of type socktype
 * (SOCK_STREAM normally) to sa, after applying flags (SK_CS_*) and then
 * hook(fd, sa, salen, arg, e) if hook is not NULL.  Returns the fd
 * (O_NONBLOCK, close-on-exec; the caller owns it) with the connect in
 * flight or already done: wait for writability (SK_WRITE, EPOLLOUT), then
 * call sk_connect_finish().  Returns -1 with e filled ("connect to
 * 198.18.0.2:43: Network is unreachable", kind from errno) when the socket
 * cannot be made, an option or the hook fails, or connect(2) fails at
 * once; no fd is left open then.
 */
int sk_connect_start(const struct sockaddr *sa, socklen_t salen, int socktype,
    int flags, sk_sockopt_fn *hook, void *arg, struct sk_err *e);

/*
 * Harvest the result of sk_connect_start() once fd is writable (or has an
 * error or hangup).  Returns 0 connected; 1 still in progress (a spurious
 * wake-up: keep waiting); -1 failed, with e->code the SO_ERROR value and
 * e->kind from it (ECONNREFUSED: REFUSED; EHOSTUNREACH, ENETUNREACH and
 * EACCES, ICMPv6's admin-prohibited: NETWORK; ETIMEDOUT: TIMEOUT) and
 * a message naming sa in the suite's form ("connect to 198.18.0.2:43:
 * Connection refused"; sa may be NULL).
 * why (may be NULL) gets the ICMP error queued when SK_CS_RECVERR was set,
 * why->origin 0 if there was none.  fd stays the caller's to close.
 */
int sk_connect_finish(int fd, const struct sockaddr *sa, socklen_t salen,
    struct sk_icmp_reason *why, struct sk_err *e);

/* nmap's reason word for why: "net-unreach", "host-unreach",
 * "admin-prohibited", "port-unreach", "time-exceeded", "no-route"...;
 * "unknown-response" for what nmap has no word for; "" when origin is 0
 * or why is NULL.  Static strings. */
const char *sk_icmp_reason_str(const struct sk_icmp_reason *why);

/* 1 if the connected fd is connected to itself (a TCP simultaneous open
 * of a loopback port with itself: local address:port == peer's), else 0. */
int sk_connect_is_self(int fd);

/*
 * RFC 8305 section 4 order of list, the order sk_tcpopen_ai() tries it:
 * families alternate, starting with the first address's, getaddrinfo's
 * order kept within a family; entries not AF_INET/AF_INET6, or not of
 * family (unless AF_UNSPEC), are left out.  Stores up to max entries in
 * out (pointers into list) and returns how many there are in all, which
 * may be more than max: call with max 0 to size the array.
 */
size_t sk_connect_order(const struct addrinfo *list, int family,
    const struct addrinfo **out, size_t max);

#endif
