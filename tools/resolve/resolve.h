/*
 * resolve — what getaddrinfo, getnameinfo and the services/protocols
 * databases answer, and the order sk_tcpopen() would connect in.
 * Tool-private declarations; see resolve(1).
 */
#ifndef RESOLVE_RESOLVE_H
#define RESOLVE_RESOLVE_H

#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include "sockkit/addr.h"
#include "sockkit/err.h"

#define RS_MAXADDR	32	/* addresses kept per answer */
#define RS_MAXALIAS	8	/* aliases kept per services/protocols entry */
#define RS_LINEMAX	512	/* longest batch line (a name + a service) */

/* What a query asks. */
enum rs_type {
	RS_HOST,	/* name -> addresses (getaddrinfo) */
	RS_ADDR,	/* address -> name (getnameinfo), then confirmed */
	RS_SERV,	/* services(5) by name or port */
	RS_PROTO,	/* protocols(5) by name or number */
	RS_PLAN		/* host + service -> sk_tcpopen's attempt order */
};

struct rs_opts {
	int family;		/* AF_UNSPEC, AF_INET, AF_INET6 (-4/-6) */
	int json;		/* -j */
	int timings;		/* -t */
	int ordered;		/* --ordered */
	int workers;		/* -c: NSS worker threads */
	int64_t timeout_ms;	/* -w, per lookup */
	int stagger_ms;		/* the plan's Happy Eyeballs stagger */
	int idn;		/* --idn (default) / --no-idn */
	/* DNS mode */
	int dns;		/* --dns */
	int dns_type;		/* SK_DNS_A ... */
	const char *server;	/* @SERVER[:PORT], or NULL: resolv.conf */
	int search;		/* --search */
	int retries;		/* --retries */
	double qps;		/* --qps, 0: no ceiling */
	int inflight;		/* -c in DNS mode: queries in flight */
	int tcp;		/* --tcp */
	int compare;		/* --compare */
	int probe;		/* --probe */
	int watchdog;		/* the caller keeps -w: look up inline */
	int addrconfig;		/* AI_ADDRCONFIG applied to family already */
};

/* A name --search tried, and what it got. */
struct rs_tried {
	char name[SK_HOSTLEN + 2];
	int rcode;		/* -1: no reply */
	enum sk_err_kind kind;
};

struct sk_dns_result;

/* What the DNS renderer shows of one query. */
struct rs_dns_view {
	const char *query;	/* as given */
	const char *ascii;	/* as sent (A-labels), "" if never sent */
	int type;
	const struct sk_dns_result *res;
	const struct sk_err *err;
	const struct rs_tried *tried;
	size_t ntried;
};

struct rs_addr {
	int family;
	char addr[INET6_ADDRSTRLEN];
	int port;		/* RS_PLAN only */
	int64_t start_ms;	/* RS_PLAN: when sk_tcpopen starts it */
	int probed;		/* --probe: connected to, see below */
	enum sk_err_kind pkind;	/* --probe: SK_ERR_NONE if it connected */
	int perrno;		/* --probe: why not (SO_ERROR, ETIMEDOUT) */
	float connect_ms;	/* --probe: time to connect or fail */
	char reason[20];	/* --probe: ICMP reason word, if any */
};

struct rs_result {
	enum rs_type type;
	char query[RS_LINEMAX];
	struct sk_err err;	/* kind SK_ERR_NONE: answered */
	double ms;		/* time the lookup took */
	char canon[SK_HOSTLEN];	/* RS_HOST: canonical name */
	char alabel[SK_HOSTLEN];	/* RS_HOST: A-label form of an IDN query */
	char name[SK_HOSTLEN];	/* RS_ADDR: the PTR name; RS_SERV/PROTO: name */
	int fcrdns;		/* RS_ADDR: -1 unknown, 0 mismatch, 1 ok */
	int number;		/* RS_SERV: port; RS_PROTO: protocol number */
	char proto[16];		/* RS_SERV: "tcp" */
	char alias[RS_MAXALIAS][64];
	int nalias;
	struct rs_addr addr[RS_MAXADDR];
	int naddr;
};

/* name.c */
int rs_name_check(const char *name, struct sk_err *e);
int rs_name_ascii(const char *name, char *out, size_t len,
    const struct rs_opts *o, struct sk_err *e);
void rs_name_unicode(const char *ascii, char *out, size_t len);

/* query.c */
enum rs_type rs_classify(const char *arg);
void rs_query(struct rs_result *r, enum rs_type type, const char *q,
    const char *service, const struct rs_opts *o);

/* batch.c */
int rs_line_parse(char *line, size_t len, const char **q, const char **serv);
int rs_exitcode(const struct rs_result *r);
int rs_batch(FILE *in, const char *name, const struct rs_opts *o);

/* probe.c: connect to each address of a plan, in order; the message
 * for a failed attempt */
void rs_probe(struct rs_result *r, const struct rs_opts *o);
void rs_probe_msg(const struct rs_addr *a, char *buf, size_t len);

/* render.c */
void rs_render(FILE *out, const struct rs_result *r, const struct rs_opts *o);

/* dns.c: operands or batch lines as DNS queries on one loop; the worst
 * exit code, -1 (errno) on failure, -2 for a bad server. */
int rs_dns_args(char **names, int n, const struct rs_opts *o);
int rs_dns_batch(FILE *in, const struct rs_opts *o);

/* compare.c: NSS beside DNS for each name; exit code, -1, -2 as above */
int rs_compare(char **names, int n, const struct rs_opts *o);

/* dnsout.c */
void rs_render_dns(FILE *out, const struct rs_dns_view *v,
    const struct rs_opts *o);

#endif
