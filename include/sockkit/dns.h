/*
 * sockkit/dns.h — DNS queries through c-ares, driven by an sk_loop.
 *
 * A struct sk_dns is a c-ares channel whose sockets and timeouts live on
 * the caller's loop, so thousands of queries can be in flight on one
 * thread.  Each query ends in exactly one callback: the reply's records
 * (answer section, TTLs, rdata as dig(1) prints it), the rcode read from
 * the reply header, the server that answered and the query time, with
 * the failure sorted into the library's error kinds:
 *   NXDOMAIN → SK_ERR_NOTFOUND, NOERROR without the asked type → NODATA,
 *   SERVFAIL → TEMPFAIL, REFUSED/NOTIMP/FORMERR → PERMFAIL,
 *   no reply by the deadline → TIMEOUT, ICMP unreachable → REFUSED.
 * Replies are parsed with bounded reads (sk_dns_parse()); a malformed
 * reply is a PERMFAIL, never a crash or an unbounded allocation.
 */
#ifndef SOCKKIT_DNS_H
#define SOCKKIT_DNS_H

#include <stddef.h>
#include <stdint.h>

struct sk_err;
struct sk_loop;
struct sk_dns;

/* ===== records ========================================================== */

#define SK_DNS_NAMELEN 1024	/* a presentation name, escapes (\DDD) included */
#define SK_DNS_DATALEN 1024	/* rdata as text; longer is cut, see cut */
#define SK_DNS_MAXRR   64	/* answer records kept per reply */

/* RR types by their RFC numbers. */
enum {
	SK_DNS_A = 1, SK_DNS_NS = 2, SK_DNS_CNAME = 5, SK_DNS_SOA = 6,
	SK_DNS_PTR = 12, SK_DNS_MX = 15, SK_DNS_TXT = 16, SK_DNS_AAAA = 28,
	SK_DNS_SRV = 33, SK_DNS_CAA = 257
};

/* Header rcodes (RFC 1035, 2136). */
enum {
	SK_DNS_NOERROR = 0, SK_DNS_FORMERR = 1, SK_DNS_SERVFAIL = 2,
	SK_DNS_NXDOMAIN = 3, SK_DNS_NOTIMP = 4, SK_DNS_REFUSED = 5
};

struct sk_dns_rr {
	char name[SK_DNS_NAMELEN];	/* owner, fully qualified ("a.test.") */
	int type;			/* SK_DNS_A ... or any other number */
	uint32_t ttl;
	char data[SK_DNS_DATALEN];	/* "10 mx.test.", "\"txt\"", ... */
	int cut;			/* data did not fit: ends in "..." */
};

struct sk_dns_reply {
	int id;			/* header ID */
	int rcode;		/* SK_DNS_NOERROR ... (4 bits) */
	int aa, tc, rd, ra;	/* header flags */
	unsigned qdcount, ancount, nscount, arcount;	/* as the header says */
	char qname[SK_DNS_NAMELEN];	/* the question, "." for the root */
	int qtype;
	size_t nrr;		/* answer records parsed into rr[] */
	size_t dropped;		/* answer records past the caller's max */
	uint32_t neg_ttl;	/* authority SOA minimum (negative answers), 0 */
};

/*
 * Parse the DNS message buf[0..len) (untrusted): header, first question,
 * the answer section into rr[0..max) (further records are counted in
 * out->dropped) and, for a negative answer, the authority SOA's minimum.
 * Names are expanded by c-ares (compression loops refused).  Returns 0, or
 * -1 with e (SK_ERR_PERMFAIL) naming the offset of the fault: "reply:
 * record 2 at offset 61: rdata runs past the end".
 */
int sk_dns_parse(const unsigned char *buf, size_t len, struct sk_dns_rr *rr,
    size_t max, struct sk_dns_reply *out, struct sk_err *e);

/* "A", "mx", "CAA", "TYPE65" → the type number; -1 if unknown. */
int sk_dns_type_parse(const char *s);
/* The type's mnemonic ("MX"), or "TYPEn" in buf (at least 16 bytes). */
const char *sk_dns_type_str(int type, char *buf, size_t len);
/* "NOERROR", "NXDOMAIN", ... or "RCODEn" in buf (at least 16 bytes). */
const char *sk_dns_rcode_str(int rcode, char *buf, size_t len);

/* ===== queries on a loop ================================================ */

#define SK_DNS_TCP	0x1	/* queries over TCP (c-ares USEVC) */
#define SK_DNS_NORECURSE 0x2	/* RD bit off */

struct sk_dns_opts {
	const char *servers;	/* "ADDR[:PORT],[V6]:PORT..." or NULL:
				   resolv.conf's nameservers */
	int64_t timeout_ms;	/* whole lookup, every try included (0: 5000) */
	int tries;		/* sends per server before giving up (0: 2) */
	int flags;		/* SK_DNS_* */
};

/* What one query got.  Valid only during the callback. */
struct sk_dns_result {
	const char *qname;	/* the name asked */
	int qtype;
	int rcode;		/* from the reply header; -1: no reply */
	const char *server;	/* "127.0.53.4:53", "[::1]:53"; "" if unknown */
	double ms;		/* from sk_dns_query() to the answer */
	int timeouts;		/* tries that went unanswered before this */
	const struct sk_dns_reply *reply;	/* NULL if no usable reply */
	const struct sk_dns_rr *rr;		/* reply->nrr answer records */
};

/*
 * Called once per query, on the loop's thread.  e->kind is SK_ERR_NONE
 * when the answer holds a record of the asked type (or a CNAME asked
 * for), else the failure's kind (see the top of this file); r is filled
 * either way.  The callback may start new queries; it must not free d.
 */
typedef void sk_dns_fn(void *arg, const struct sk_dns_result *r,
    const struct sk_err *e);

/*
 * A channel on loop l: resolv.conf read by c-ares (nameservers, search,
 * ndots) unless o->servers names the servers.  o may be NULL.  Returns
 * NULL with e filled (SK_ERR_INPUT for a bad server list).
 */
struct sk_dns *sk_dns_new(struct sk_loop *l, const struct sk_dns_opts *o,
    struct sk_err *e);
/* Cancel pending queries (their callbacks run with SK_ERR_SYSTEM,
 * "cancelled"), unwatch and close the channel's sockets, free d. */
void sk_dns_free(struct sk_dns *d);

/*
 * Send one query for name (as given: no search list) and type.  Returns 0
 * (fn will be called, possibly before this returns for a name c-ares
 * refuses at once), or -1 with e filled and fn never called.
 */
int sk_dns_query(struct sk_dns *d, const char *name, int type, sk_dns_fn *fn,
    void *arg, struct sk_err *e);

/* Queries sent and not yet called back. */
size_t sk_dns_pending(const struct sk_dns *d);

/*
 * The names res_search(3) would try for name, in order, from the
 * channel's search domains and ndots (a name ending in '.' is only
 * itself): out[0..max).  Returns how many were written.
 */
size_t sk_dns_search_list(const struct sk_dns *d, const char *name,
    char (*out)[SK_DNS_NAMELEN], size_t max);

#endif
