/*
 * sockkit/addr.h — addresses, services, port lists and CIDR ranges.
 *
 * Parsing is strict: every error names the offending token, e.g.
 *   "port list \"22,8o\": bad port \"8o\"".
 * Name resolution goes through getaddrinfo(3)/getnameinfo(3) only, and
 * always under a deadline (lib/resolve.c).
 */
#ifndef SOCKKIT_ADDR_H
#define SOCKKIT_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <netdb.h>
#include <sys/socket.h>

struct sk_err;

/* ---- host/port splitting ----------------------------------------------- */

#define SK_HOSTLEN 256		/* host part incl. NUL (DNS names are < 254) */
#define SK_SERVLEN 64		/* service part incl. NUL */

/* Accept "host.service" (netstat style, split at the last dot) when the
 * part after the last dot is a number or a known service name. */
#define SK_SPLIT_DOTSERVICE 0x1
/* A bare word is a host, not a service ("example" → host, no port). */
#define SK_SPLIT_BARE_HOST  0x2

/*
 * Split s into host and service.  Accepted forms:
 *   host:port  [v6addr]:port  [v6addr]  v4addr  v6addr (no port; it has
 *   two or more colons)  :port  *:port  bare service name or number
 *   (host left empty, unless SK_SPLIT_BARE_HOST; a word with a dot is
 *   always a host)  host.service (with SK_SPLIT_DOTSERVICE; a whole
 *   numeric address such as "198.18.0.2" is never split).
 * host and serv get NUL-terminated strings ("" when absent); "*" as host
 * becomes "".  Returns 0, or -1 (EINVAL) naming s if a part is empty where
 * required, a bracket is unbalanced, or a part does not fit.
 */
int sk_addr_split(const char *s, int flags, char host[SK_HOSTLEN],
    char serv[SK_SERVLEN], struct sk_err *e);

/*
 * Port number of service (a number 0-65535 or a name in services(5) for
 * proto "tcp" or "udp").  Returns the port in host order or -1: EINVAL
 * for a malformed or out-of-range number, ENOENT for an unknown name
 * ("service nosuch: unknown tcp service").
 */
int sk_port_parse(const char *service, const char *proto, struct sk_err *e);

/*
 * getaddrinfo(3) with clear errors, waiting at most until deadline
 * (sockkit/deadline.h).  host NULL or "" means the wildcard when
 * AI_PASSIVE is in flags, else loopback.  family AF_UNSPEC/AF_INET/
 * AF_INET6; socktype SOCK_STREAM/SOCK_DGRAM.  A name is looked up in a
 * worker thread the call abandons when time runs out (it cleans up after
 * itself); numeric addresses and SK_NEVER take no thread.  Errors: unknown
 * service → SK_ERR_INPUT "service X: unknown tcp service"; then by
 * getaddrinfo's code (sk_err_gai): NOTFOUND "host X: Name or service not
 * known", NODATA, TEMPFAIL, PERMFAIL; deadline → SK_ERR_TIMEOUT (ETIMEDOUT)
 * "host X: timed out after 2000 ms".  On success *res is freed by
 * freeaddrinfo(3); on failure it is NULL.
 */
int sk_addr_resolve(const char *host, const char *service, int family,
    int socktype, int flags, struct addrinfo **res, int64_t deadline,
    struct sk_err *e);

/*
 * Reverse lookup (getnameinfo(3) with NI_NAMEREQD, plus NI_* flags) of an
 * AF_INET/AF_INET6 sa into host (len bytes), waiting at most until
 * deadline, as sk_addr_resolve() does.  Returns 0, or -1 with host "" and
 * e naming the address: SK_ERR_NOTFOUND (no PTR), SK_ERR_TIMEOUT
 * ("reverse lookup of 198.18.0.2: timed out after 500 ms"), TEMPFAIL...
 */
int sk_addr_reverse(const struct sockaddr *sa, char *host, size_t len,
    int flags, int64_t deadline, struct sk_err *e);

/* ---- formatting ---------------------------------------------------------- */

#define SK_ADDRSTRLEN 128	/* enough for any formatted inet address */

/* Numeric forms: "198.18.0.2", "2001:2::2" (no port); with port:
 * "198.18.0.2:43", "[2001:2::2]:43".  Wildcards print as "*", and so
 * does port 0 ("198.18.0.2:*").  v4-mapped addresses keep their v6 form.
 * Returns buf.  Non-inet families print as "?" (AF_UNIX: the path). */
char *sk_addr_ntop(const struct sockaddr *sa, char *buf, size_t len);
char *sk_addr_format(const struct sockaddr *sa, char *buf, size_t len);

/* Port of an inet sockaddr in host order, or -1. */
int sk_addr_port(const struct sockaddr *sa);

/*
 * Caller-owned name cache for netstat-style "host.service" output: reverse
 * lookups are slow, and a listing names the same hosts over and over.
 * Fixed size; an address hashes to one slot and replaces what was there.
 * Names are kept until replaced; failures (no name, timeouts, resolver
 * errors) for negative_ms.  A lookup that misses its deadline goes on in
 * a worker thread (at most max_pending of them) and its answer fills the
 * entry when it comes; until then the address prints numerically, at
 * once.  sk_namecache_destroy() lets go of those lookups.  One cache
 * belongs to one thread at a time; the fields below the slots may be
 * read, and the two settings changed, after sk_namecache_init().
 */
#define SK_NAMECACHE_SLOTS 256
#define SK_NAMECACHE_NEGATIVE_MS 30000	/* default negative_ms */
#define SK_NAMECACHE_PENDING 16		/* default max_pending */
struct sk__lookup;
struct sk_namecache_entry {
	int family;			/* 0 = empty slot */
	unsigned char addr[16];
	int64_t expires;		/* a failure: when to ask again */
	struct sk__lookup *lookup;	/* private: a lookup still running */
	char name[SK_HOSTLEN];		/* "" = no name (yet) */
};
struct sk_namecache {
	struct sk_namecache_entry slot[SK_NAMECACHE_SLOTS];
	int64_t negative_ms;		/* how long failures are remembered */
	unsigned max_pending;		/* lookups left running, at most */
	unsigned pending;		/* lookups running now */
	unsigned hits, misses;		/* answered from the cache, or not */
	unsigned timeouts;		/* lookups that missed their deadline */
	unsigned late;			/* answers taken after their deadline */
};

/* Empty c and set the defaults.  Does not let go of running lookups: use
 * on a fresh struct, or after sk_namecache_destroy(). */
void sk_namecache_init(struct sk_namecache *c);

/* Let go of c's running lookups (their workers free themselves) and empty
 * it.  c may be used again after sk_namecache_init(), which this calls. */
void sk_namecache_destroy(struct sk_namecache *c);

/* Format flags for sk_addr_name(). */
#define SK_NAME_NUMERIC   0x1	/* no reverse lookup, no service names */
#define SK_NAME_NOHOST    0x2	/* numeric host, named service */
#define SK_NAME_DGRAM     0x4	/* service names for udp, not tcp */
#define SK_NAME_SHORT     0x8	/* host name up to its first dot */

/*
 * netstat-style "host.service": "julian.smtp", "*.whois", "::1.43",
 * "198.18.0.2.55049".  Host names come from a reverse lookup that waits
 * at most until deadline (through c, which may be NULL: no cache) and
 * fall back to numeric.  v4-mapped addresses print as IPv4; port 0
 * prints as "*".  Returns buf.
 */
char *sk_addr_name(const struct sockaddr *sa, int flags, struct sk_namecache *c,
    char *buf, size_t len, int64_t deadline);

/* ---- port lists (nmap syntax) ------------------------------------------ */

enum { SK_PROTO_TCP = 0, SK_PROTO_UDP = 1, SK_PROTO_SCTP = 2, SK_NPROTO = 3 };

/* A set of ports per protocol: 3 x 8 KiB bitmaps. */
struct sk_portset {
	uint8_t bits[SK_NPROTO][65536 / 8];
	unsigned count[SK_NPROTO];
};

/*
 * Parse an nmap-style port list into ps (cleared first):
 *   "22,80,1000-2000"  "-" (1-65535)  "-1024"  "60000-"  "http,smtp"
 *   "T:22,80,U:53,111" (a T:/U:/S: prefix applies to the items after it)
 * Items without a prefix go to default_proto.  Port 0 is allowed only when
 * named explicitly ("0", "0-10").  Names must be known services (for the
 * item's protocol, else for any: "U:http" is 80).  Empty
 * items, reversed ranges ("20-10"), numbers > 65535 and junk are errors
 * naming the item.  Returns the total number of ports, or -1.
 */
int sk_portset_parse(struct sk_portset *ps, const char *list, int default_proto,
    struct sk_err *e);

int sk_portset_has(const struct sk_portset *ps, int proto, unsigned port);

/* Next port >= from in proto's set, or -1 when there is none. */
int sk_portset_next(const struct sk_portset *ps, int proto, unsigned from);

/* ---- addresses, CIDR blocks and ranges ---------------------------------- */

/* An inclusive range of addresses of one family; addresses are stored in
 * network byte order (4 bytes used for AF_INET). */
struct sk_iprange {
	int family;
	unsigned char lo[16];
	unsigned char hi[16];
	int prefix;		/* CIDR prefix length, or -1 if given as a range */
};

/*
 * Parse "198.18.0.0/15", "2001:2::/48", "198.18.0.1-198.18.0.9",
 * "2001:2::1-2001:2::ff", "198.18.0.1-20" (nmap's last-octet range), or a
 * single address (a /32 or /128).  Host bits
 * set under a prefix are cleared ("198.18.1.7/15" is 198.18.0.0/15), as
 * nmap does.  Errors (EINVAL) name the input: bad address, prefix out of
 * range, mixed families, lo > hi.
 */
int sk_iprange_parse(struct sk_iprange *r, const char *s, struct sk_err *e);

/* Non-zero if sa (AF_INET or AF_INET6; v4-mapped v6 matches v4 ranges)
 * lies inside r. */
int sk_iprange_contains(const struct sk_iprange *r, const struct sockaddr *sa);

/* Number of addresses in r, saturating at UINT64_MAX. */
uint64_t sk_iprange_count(const struct sk_iprange *r);

/* Format r back as "a/len" or "lo-hi" into buf; returns buf. */
char *sk_iprange_format(const struct sk_iprange *r, char *buf, size_t len);

#endif
