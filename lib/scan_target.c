/*
 * Targets, the keyed permutation of the probe space and its shards, RTT
 * estimation and timing presets: the parts of a scan that send nothing.
 * See sockkit/scan.h.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/addr.h"
#include "sockkit/err.h"
#include "sockkit/scan.h"

#define QUOTE_MAX 64
#define QUOTE(s) (int)(strlen(s) > QUOTE_MAX ? QUOTE_MAX : strlen(s)), (s), \
	(strlen(s) > QUOTE_MAX ? "..." : "")

/* ---- targets ---------------------------------------------------------------- */

void
sk_targets_init(struct sk_targets *t, int family)
{
	memset(t, 0, sizeof(*t));
	t->family = family;
}

void
sk_targets_free(struct sk_targets *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	sk_targets_init(t, t->family);
}

static int
push(struct sk_targets *t, const struct sk_iprange *r, const char *name,
    struct sk_err *e)
{
	struct sk_target *v, *x;
	uint64_t count = sk_iprange_count(r);

	if (t->total > UINT64_MAX / 2 - count)
		return sk_err_set(e, EINVAL, "targets: too many addresses");
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		if ((v = realloc(t->v, cap * sizeof(*v))) == NULL)
			return sk_err_sys(e, "targets");
		t->v = v;
		t->cap = cap;
	}
	x = &t->v[t->n];
	x->range = *r;
	x->count = count;
	x->first = t->total;
	x->name = NULL;
	if (name != NULL && (x->name = strdup(name)) == NULL)
		return sk_err_sys(e, "targets");
	t->n++;
	t->total += count;
	return 0;
}

/* Text that can only be meant as an address, a block or a range: its
 * parse error is the one to report, not a failed name lookup. */
static int
looks_numeric(const char *s)
{
	if (strchr(s, ':') != NULL || strchr(s, '/') != NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s) && *s != '.' && *s != '-')
			return 0;
	return 1;
}

static int
add_name(struct sk_targets *t, const char *name, int flags, int64_t deadline,
    struct sk_err *e)
{
	struct addrinfo *res, *ai, *bj;
	struct sk_iprange r;
	int added = 0, rc = 0;

	if (sk_addr_resolve(name, NULL, t->family, SOCK_STREAM, 0, &res,
	    deadline, e) == -1)
		return -1;
	for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		/* getaddrinfo repeats an address once per socket type. */
		for (bj = res; bj != ai; bj = bj->ai_next)
			if (bj->ai_addrlen == ai->ai_addrlen &&
			    memcmp(bj->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
		if (bj != ai)
			continue;
		memset(&r, 0, sizeof(r));
		r.family = ai->ai_family;
		if (r.family == AF_INET) {
			memcpy(r.lo, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
			r.prefix = 32;
		} else {
			memcpy(r.lo, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
			    16);
			r.prefix = 128;
		}
		memcpy(r.hi, r.lo, 16);
		rc = push(t, &r, name, e);
		added++;
		if (!(flags & SK_TGT_ALLADDRS))
			break;
	}
	freeaddrinfo(res);
	if (rc == 0 && added == 0)
		return sk_err_kset(e, SK_ERR_NODATA, 0,
		    "host %.*s%s: no address of the asked family", QUOTE(name));
	return rc;
}

int
sk_targets_add(struct sk_targets *t, const char *spec, int flags,
    int64_t deadline, struct sk_err *e)
{
	struct sk_iprange r;
	char buf[128];
	uint64_t n;

	if (spec == NULL || *spec == '\0')
		return sk_err_set(e, EINVAL, "target \"\": empty");
	if (sk_iprange_parse(&r, spec, e) == -1) {
		if (looks_numeric(spec))
			return sk_err_set(e, EINVAL, "target %s", e->msg +
			    strlen("address range "));
		return add_name(t, spec, flags, deadline, e);
	}
	if (t->family != AF_UNSPEC && r.family != t->family)
		return sk_err_set(e, EINVAL, "target \"%.*s%s\": not %s",
		    QUOTE(spec), t->family == AF_INET ? "IPv4" : "IPv6");
	n = sk_iprange_count(&r);
	if (n > SK_TGT_MAXBLOCK && !(flags & SK_TGT_FORCE)) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n);
		return sk_err_set(e, EINVAL, "target \"%.*s%s\": %s addresses, "
		    "more than a %s; use --force", QUOTE(spec),
		    n == UINT64_MAX ? "too many" : buf,
		    r.family == AF_INET ? "/16" : "/112");
	}
	return push(t, &r, NULL, e);
}

int
sk_targets_read(struct sk_targets *t, FILE *f, const char *fname, int flags,
    int64_t deadline, struct sk_err *e)
{
	char line[1024], *p, *tok, *save;
	unsigned lineno = 0;
	int added = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			return sk_err_set(e, EINVAL, "%s:%u: line too long",
			    fname, lineno);
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (sk_targets_add(t, tok, flags, deadline, e) == -1) {
				char msg[SK_ERR_MSGLEN];

				snprintf(msg, sizeof(msg), "%s", e->msg);
				return sk_err_kset(e, e->kind, e->code,
				    "%s:%u: %s", fname, lineno, msg);
			}
			added++;
		}
	}
	if (ferror(f))
		return sk_err_sys(e, "%s", fname);
	return added;
}

const struct sk_target *
sk_targets_addr(const struct sk_targets *t, uint64_t i,
    struct sockaddr_storage *ss, socklen_t *len)
{
	const struct sk_target *x;
	size_t lo = 0, hi = t->n, mid;
	unsigned char a[16];
	uint64_t off;
	int k;

	if (i >= t->total)
		return NULL;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (t->v[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	x = &t->v[lo];
	off = i - x->first;
	memcpy(a, x->range.lo, 16);
	/* a += off, big-endian, over the family's bytes. */
	for (k = x->range.family == AF_INET ? 3 : 15; k >= 0 && off; k--) {
		uint64_t s = a[k] + (off & 0xff);

		a[k] = (unsigned char)s;
		off = (off >> 8) + (s >> 8);
	}
	memset(ss, 0, sizeof(*ss));
	if (x->range.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		*len = sizeof(*s6);
	}
	return x;
}

/* ---- permutation and shards ------------------------------------------------ */

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void
sk_perm_init(struct sk_perm *p, uint64_t n, uint64_t seed)
{
	unsigned bits = 2;
	int i;

	p->n = n;
	while (bits < 64 && (1ULL << bits) < n)
		bits++;
	if (bits % 2)
		bits++;
	p->half = bits / 2;
	for (i = 0; i < 4; i++)
		p->key[i] = mix64(seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1));
}

static uint64_t
feistel(const struct sk_perm *p, uint64_t x)
{
	uint64_t mask = (1ULL << p->half) - 1, l = x >> p->half, r = x & mask, t;
	int i;

	for (i = 0; i < 4; i++) {
		t = r;
		r = l ^ (mix64(r ^ p->key[i]) & mask);
		l = t;
	}
	return l << p->half | r;
}

uint64_t
sk_perm_at(const struct sk_perm *p, uint64_t i)
{
	uint64_t x = i;

	if (p->n <= 1 || i >= p->n)
		return i;
	/* The network permutes [0, 4^half), at most 4n values: walking the
	 * cycle until it lands below n takes under 4 steps on average. */
	do
		x = feistel(p, x);
	while (x >= p->n);
	return x;
}

int
sk_plan_init(struct sk_plan *p, const struct sk_targets *t,
    const struct sk_portset *ps, int protos, uint64_t seed, uint64_t shard,
    uint64_t nshards, struct sk_err *e)
{
	unsigned n = 0;
	int proto, port;

	memset(p, 0, sizeof(*p));
	if (nshards == 0 || shard >= nshards)
		return sk_err_set(e, EINVAL, "shard %llu/%llu: not in 0-%llu",
		    (unsigned long long)shard, (unsigned long long)nshards,
		    (unsigned long long)(nshards ? nshards - 1 : 0));
	for (proto = 0; proto < SK_NPROTO; proto++)
		if (protos & (1 << proto))
			n += ps->count[proto];
	if (n == 0)
		return sk_err_set(e, EINVAL, "no ports to scan");
	if (t->total == 0)
		return sk_err_set(e, EINVAL, "no targets to scan");
	if (t->total > (UINT64_MAX >> 3) / n)
		return sk_err_set(e, EINVAL, "scan of %llu addresses x %u ports:"
		    " too large", (unsigned long long)t->total, n);
	if ((p->ports = malloc(n * sizeof(*p->ports))) == NULL)
		return sk_err_sys(e, "port list");
	n = 0;
	for (proto = 0; proto < SK_NPROTO; proto++) {
		if (!(protos & (1 << proto)))
			continue;
		for (port = sk_portset_next(ps, proto, 0); port != -1;
		    port = sk_portset_next(ps, proto, (unsigned)port + 1))
			p->ports[n++] = (uint32_t)proto << 16 | (uint32_t)port;
	}
	p->t = t;
	p->nports = n;
	p->total = t->total * n;
	sk_perm_init(&p->perm, p->total, seed);
	p->next = shard;
	p->step = nshards;
	return 0;
}

int
sk_plan_next(struct sk_plan *p, uint64_t *host, int *proto, unsigned *port)
{
	uint64_t j;
	uint32_t x;

	if (p->next >= p->total)
		return 0;
	j = sk_perm_at(&p->perm, p->next);
	/* Saturate rather than wrap: a stride past the end ends the plan. */
	p->next = p->total - p->next > p->step ? p->next + p->step : p->total;
	*host = j / p->nports;
	x = p->ports[j % p->nports];
	*proto = (int)(x >> 16);
	*port = x & 0xffff;
	return 1;
}

uint64_t
sk_plan_count(const struct sk_plan *p, uint64_t shard, uint64_t nshards)
{
	if (nshards == 0 || shard >= p->total)
		return 0;
	return (p->total - shard + nshards - 1) / nshards;
}

void
sk_plan_free(struct sk_plan *p)
{
	free(p->ports);
	p->ports = NULL;
	p->nports = 0;
}

/* ---- RTT, timing presets, words -------------------------------------------- */

void
sk_rtt_init(struct sk_rtt *r)
{
	memset(r, 0, sizeof(*r));
}

void
sk_rtt_sample(struct sk_rtt *r, int64_t us)
{
	int64_t d;

	if (us < 0)
		return;
	if (r->samples++ == 0) {
		r->srtt_us = us;
		r->rttvar_us = us / 2;
		return;
	}
	/* RFC 6298 2.3: beta 1/4, alpha 1/8. */
	d = r->srtt_us - us;
	if (d < 0)
		d = -d;
	r->rttvar_us += (d - r->rttvar_us) / 4;
	r->srtt_us += (us - r->srtt_us) / 8;
}

int64_t
sk_rtt_timeout(const struct sk_rtt *r, int64_t initial_us, int64_t min_us,
    int64_t max_us)
{
	int64_t t = r->samples ? r->srtt_us + 4 * r->rttvar_us : initial_us;

	if (t < min_us)
		t = min_us;
	if (t > max_us)
		t = max_us;
	return t;
}

int
sk_scan_timing_preset(struct sk_scan_timing *t, int level, struct sk_err *e)
{
	/* nmap's values (timing.cc), with our parallelism ceilings. */
	static const struct sk_scan_timing preset[6] = {
		{ 300000000, 100000, 300000000, 300000000, 10, 1, 1, 0 },
		{ 15000000, 100000, 15000000, 15000000, 10, 1, 1, 0 },
		{ 1000000, 100000, 10000000, 400000, 10, 1, 1, 0 },
		{ 1000000, 100000, 10000000, 0, 10, 10, 2048, 0 },
		{ 500000, 100000, 1250000, 0, 6, 10, 4096, 0 },
		{ 250000, 50000, 300000, 0, 2, 10, 8192, 0 },
	};

	if (level < 0 || level > 5)
		return sk_err_set(e, EINVAL, "timing level %d: not in 0-5", level);
	*t = preset[level];
	return 0;
}

const char *
sk_port_state_str(enum sk_port_state s)
{
	static const char *const w[SK_PORT_NSTATES] = {
		"open", "closed", "filtered", "open|filtered"
	};

	return (unsigned)s < SK_PORT_NSTATES ? w[s] : "unknown";
}
