/*
 * One query, answered into a struct rs_result: names through
 * getaddrinfo (sk_addr_resolve), addresses through getnameinfo
 * (sk_addr_reverse) plus forward confirmation, the services and
 * protocols databases, and the connect plan.  Nothing here prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sockkit/addr.h"
#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/num.h"
#include "resolve/resolve.h"

static double
now_ms(void)
{
	return sk_now_us() / 1e3;
}

/* The deadline a lookup runs under: none inline when the batch
 * supervisor keeps -w (see batch.c). */
static int64_t
deadline(const struct rs_opts *o)
{
	return o->watchdog ? SK_NEVER : sk_deadline_in(o->timeout_ms);
}

/* An address literal is a reverse query; host:service is a plan. */
enum rs_type
rs_classify(const char *arg)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *c;

	if (inet_pton(AF_INET, arg, buf) == 1 ||
	    inet_pton(AF_INET6, arg, buf) == 1)
		return RS_ADDR;
	if (arg[0] == '[')
		return RS_PLAN;
	if ((c = strchr(arg, ':')) != NULL && strchr(c + 1, ':') == NULL)
		return RS_PLAN;
	return RS_HOST;
}

static void
add_addr(struct rs_result *r, const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN];
	const void *p;
	int i;

	if (sa->sa_family == AF_INET)
		p = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else
		return;
	inet_ntop(sa->sa_family, p, buf, sizeof(buf));
	/* getaddrinfo repeats each address once per socket type. */
	for (i = 0; i < r->naddr; i++)
		if (strcmp(r->addr[i].addr, buf) == 0)
			return;
	if (r->naddr == RS_MAXADDR)
		return;
	r->addr[r->naddr].family = sa->sa_family;
	r->addr[r->naddr].port = sk_addr_port(sa);
	snprintf(r->addr[r->naddr].addr, sizeof(r->addr[0].addr), "%s", buf);
	r->naddr++;
}

/* The flags getent ahosts uses, so both show the same set. */
#define RS_AI_FLAGS (AI_ADDRCONFIG | AI_CANONNAME)

static int
forward(struct rs_result *r, const char *host, const struct rs_opts *o)
{
	struct addrinfo *res, *ai;
	char ascii[SK_HOSTLEN];

	/* IDN: getaddrinfo gets the A-label form, as getent's AI_IDN does */
	if (rs_name_ascii(host, ascii, sizeof(ascii), o, &r->err) == -1)
		return -1;
	if (strcmp(ascii, host) != 0)
		snprintf(r->alabel, sizeof(r->alabel), "%s", ascii);
	host = ascii;
	/* A batch worked AI_ADDRCONFIG out once (o->addrconfig): asking for
	 * one socket type then gives a one-address name a one-entry list,
	 * which glibc does not sort, and neither step dumps the interface
	 * addresses over netlink for every name. */
	if (o->addrconfig ? sk_addr_resolve(host, NULL, o->family, SOCK_STREAM,
	    AI_CANONNAME, &res, deadline(o), &r->err) == -1 :
	    sk_addr_resolve(host, NULL, o->family, 0, RS_AI_FLAGS, &res,
	    deadline(o), &r->err) == -1)
		return -1;
	if (res->ai_canonname != NULL)
		snprintf(r->canon, sizeof(r->canon), "%s", res->ai_canonname);
	for (ai = res; ai != NULL; ai = ai->ai_next)
		add_addr(r, ai->ai_addr);
	freeaddrinfo(res);
	return 0;
}

static int
reverse(struct rs_result *r, const char *addr, const struct rs_opts *o)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct rs_result *fw;
	struct rs_opts fo = *o;
	char num[INET6_ADDRSTRLEN];
	int i;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		inet_ntop(AF_INET, &sin->sin_addr, num, sizeof(num));
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		inet_ntop(AF_INET6, &sin6->sin6_addr, num, sizeof(num));
	} else {
		return sk_err_kset(&r->err, SK_ERR_INPUT, EINVAL,
		    "address %s: not numeric", addr);
	}
	if (sk_addr_reverse((struct sockaddr *)&ss, r->name, sizeof(r->name),
	    0, deadline(o), &r->err) == -1)
		return -1;
	/* Forward-confirmed reverse DNS: the name must lead back. */
	r->fcrdns = 0;
	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return 0;
	fo.family = ss.ss_family;
	if (forward(fw, r->name, &fo) == 0)
		for (i = 0; i < fw->naddr; i++)
			if (strcmp(fw->addr[i].addr, num) == 0)
				r->fcrdns = 1;
	free(fw);
	return 0;
}

static void
aliases(struct rs_result *r, char **al)
{
	for (; al != NULL && *al != NULL && r->nalias < RS_MAXALIAS; al++)
		snprintf(r->alias[r->nalias++], sizeof(r->alias[0]), "%s", *al);
}

/* "whois", "43", "whois/tcp", "43/udp": like getent services. */
static int
service(struct rs_result *r, const char *q)
{
	char name[SK_SERVLEN], buf[4096];
	const char *proto = NULL, *slash, *errstr;
	struct servent se, *sp = NULL;
	long long port;

	slash = strchr(q, '/');
	if (slash != NULL) {
		proto = slash + 1;
		if (*proto == '\0')
			return sk_err_kset(&r->err, SK_ERR_INPUT, EINVAL,
			    "service %s: empty protocol", q);
	}
	snprintf(name, sizeof(name), "%.*s",
	    (int)(slash ? (size_t)(slash - q) : strlen(q)), q);
	if (name[0] == '\0')
		return sk_err_kset(&r->err, SK_ERR_INPUT, EINVAL,
		    "service %s: empty name", q);
	port = sk_strtonum(name, 0, 65535, &errstr);
	if (errstr == NULL)
		getservbyport_r(htons(port), proto, &se, buf, sizeof(buf), &sp);
	else if (name[0] >= '0' && name[0] <= '9')
		return sk_err_kset(&r->err, SK_ERR_INPUT, EINVAL,
		    "service %s: port %s", q, errstr);
	else
		getservbyname_r(name, proto, &se, buf, sizeof(buf), &sp);
	if (sp == NULL)
		return sk_err_kset(&r->err, SK_ERR_NOTFOUND, ENOENT,
		    "service %s: not in the services database", q);
	snprintf(r->name, sizeof(r->name), "%s", sp->s_name);
	snprintf(r->proto, sizeof(r->proto), "%s", sp->s_proto);
	r->number = ntohs(sp->s_port);
	aliases(r, sp->s_aliases);
	return 0;
}

static int
protocol(struct rs_result *r, const char *q)
{
	struct protoent pe, *pp = NULL;
	const char *errstr;
	char buf[4096];
	long long n;

	n = sk_strtonum(q, 0, 255, &errstr);
	if (errstr == NULL)
		getprotobynumber_r(n, &pe, buf, sizeof(buf), &pp);
	else
		getprotobyname_r(q, &pe, buf, sizeof(buf), &pp);
	if (pp == NULL)
		return sk_err_kset(&r->err, SK_ERR_NOTFOUND, ENOENT,
		    "protocol %s: not in the protocols database", q);
	snprintf(r->name, sizeof(r->name), "%s", pp->p_name);
	r->number = pp->p_proto;
	aliases(r, pp->p_aliases);
	return 0;
}

/* Attempt i of sk_tcpopen starts i * stagger ms in if none before it
 * has connected. */
static void
schedule(struct rs_result *r, int stagger)
{
	int i;

	for (i = 0; i < r->naddr; i++)
		r->addr[i].start_ms = (int64_t)i * stagger;
}

static int
plan(struct rs_result *r, const char *q, const char *serv,
    const struct rs_opts *o)
{
	char host[SK_HOSTLEN], sv[SK_SERVLEN];
	const struct addrinfo **order;
	struct addrinfo *res;
	size_t n, i;

	if (serv == NULL) {
		if (sk_addr_split(q, SK_SPLIT_BARE_HOST, host, sv, &r->err) == -1)
			return -1;
	} else {
		snprintf(host, sizeof(host), "%s", q);
		snprintf(sv, sizeof(sv), "%s", serv);
	}
	if (sv[0] == '\0')
		return sk_err_kset(&r->err, SK_ERR_INPUT, EINVAL,
		    "%s: no service or port", q);
	if (host[0] != '\0' && rs_classify(host) != RS_ADDR &&
	    rs_name_check(host, &r->err) == -1)
		return -1;
	/* The call sk_tcpopen makes. */
	if (sk_addr_resolve(host, sv, o->family, SOCK_STREAM, 0, &res,
	    deadline(o), &r->err) == -1)
		return -1;
	/* sk_tcpopen's order (RFC 8305 section 4), from the library. */
	n = sk_connect_order(res, o->family, NULL, 0);
	if ((order = calloc(n ? n : 1, sizeof(*order))) == NULL) {
		freeaddrinfo(res);
		return sk_err_sys(&r->err, "connect plan");
	}
	sk_connect_order(res, o->family, order, n);
	for (i = 0; i < n; i++)
		add_addr(r, order[i]->ai_addr);
	free(order);
	freeaddrinfo(res);
	schedule(r, o->stagger_ms);
	if (o->probe)
		rs_probe(r, o);
	return 0;
}

void
rs_query(struct rs_result *r, enum rs_type type, const char *q,
    const char *serv, const struct rs_opts *o)
{
	double t0 = now_ms();

	memset(r, 0, sizeof(*r));
	r->type = type;
	r->fcrdns = -1;
	if (serv != NULL)
		snprintf(r->query, sizeof(r->query), "%s %s", q, serv);
	else
		snprintf(r->query, sizeof(r->query), "%s", q);
	switch (type) {
	case RS_HOST:
		forward(r, q, o);
		break;
	case RS_ADDR:
		reverse(r, q, o);
		break;
	case RS_SERV:
		service(r, q);
		break;
	case RS_PROTO:
		protocol(r, q);
		break;
	case RS_PLAN:
		plan(r, q, serv, o);
		break;
	}
	r->ms = now_ms() - t0;
}
