/* Access lists and per-address limits for whoisd.  See limits.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

/* Hard cap on tracked addresses: memory stays bounded whatever the
 * number of distinct clients; idle entries are swept to make room. */
#define TABLE_SIZE 65536

int
wd_acl_add(struct wd_acl *a, const char *cidr, int deny, struct sk_err *e)
{
	struct sk_iprange r;

	if (sk_iprange_parse(&r, cidr, e) == -1)
		return -1;
	if ((deny ? a->ndeny : a->nallow) >= WD_ACL_MAX)
		return sk_err_set(e, EINVAL, "%s %s: more than %d entries",
		    deny ? "deny" : "allow", cidr, WD_ACL_MAX);
	if (deny)
		a->deny[a->ndeny++] = r;
	else
		a->allow[a->nallow++] = r;
	return 0;
}

int
wd_acl_permits(const struct wd_acl *a, const struct sockaddr *sa)
{
	int i;

	for (i = 0; i < a->ndeny; i++)
		if (sk_iprange_contains(&a->deny[i], sa))
			return 0;
	if (a->nallow == 0)
		return 1;
	for (i = 0; i < a->nallow; i++)
		if (sk_iprange_contains(&a->allow[i], sa))
			return 1;
	return 0;
}

struct entry {
	unsigned char key[8];	/* IPv4 address, or the /64 of an IPv6 one */
	uint8_t used;
	uint8_t v6;
	uint16_t active;
	int64_t stamp;		/* ms of the last refill */
	double tokens;
};

struct wd_limits {
	int per_ip, rate, burst;
	unsigned n;
	struct entry *t;
};

struct wd_limits *
wd_limits_new(int per_ip, int rate_per_min, int burst, struct sk_err *e)
{
	struct wd_limits *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->t = calloc(TABLE_SIZE, sizeof(*l->t))) == NULL) {
		free(l);
		sk_err_sys(e, "limits");
		return NULL;
	}
	l->per_ip = per_ip;
	l->rate = rate_per_min;
	l->burst = burst > 0 ? burst : 1;
	return l;
}

void
wd_limits_free(struct wd_limits *l)
{
	if (l == NULL)
		return;
	free(l->t);
	free(l);
}

/* Key of sa; v4-mapped IPv6 counts as the IPv4 address it carries. */
static int
make_key(const struct sockaddr *sa, unsigned char key[8], uint8_t *v6)
{
	memset(key, 0, 8);
	if (sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		*v6 = 0;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(key, a->s6_addr + 12, 4);
			*v6 = 0;
		} else {
			memcpy(key, a->s6_addr, 8);
			*v6 = 1;
		}
		return 0;
	}
	return -1;
}

static uint32_t
hash(const unsigned char key[8], uint8_t v6)
{
	uint64_t k;

	memcpy(&k, key, 8);
	k ^= v6;
	k *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(k >> 40) & (TABLE_SIZE - 1);
}

static void
refill(struct wd_limits *l, struct entry *en, int64_t now)
{
	if (l->rate <= 0)
		return;
	en->tokens += (double)(now - en->stamp) * l->rate / 60000.0;
	if (en->tokens > l->burst)
		en->tokens = l->burst;
	en->stamp = now;
}

/* Rebuild the table without entries that no longer limit anyone: no
 * connection open and a full bucket.  Linear probing needs a rebuild
 * rather than holes. */
static void
sweep(struct wd_limits *l, int64_t now)
{
	struct entry *old = l->t, *en;
	size_t i;
	uint32_t h;

	l->t = calloc(TABLE_SIZE, sizeof(*l->t));
	if (l->t == NULL) {
		l->t = old;
		return;
	}
	l->n = 0;
	for (i = 0; i < TABLE_SIZE; i++) {
		en = &old[i];
		if (!en->used)
			continue;
		refill(l, en, now);
		if (en->active == 0 && (l->rate <= 0 || en->tokens >= l->burst))
			continue;
		h = hash(en->key, en->v6);
		while (l->t[h].used)
			h = (h + 1) & (TABLE_SIZE - 1);
		l->t[h] = *en;
		l->n++;
	}
	free(old);
}

static struct entry *
find(struct wd_limits *l, const unsigned char key[8], uint8_t v6, int create,
    int64_t now)
{
	uint32_t h = hash(key, v6);
	struct entry *en;

	for (;;) {
		en = &l->t[h];
		if (!en->used)
			break;
		if (en->v6 == v6 && memcmp(en->key, key, 8) == 0)
			return en;
		h = (h + 1) & (TABLE_SIZE - 1);
	}
	if (!create)
		return NULL;
	/* Keep the table at most 3/4 full so probes stay short. */
	if (l->n >= TABLE_SIZE / 4 * 3) {
		sweep(l, now);
		if (l->n >= TABLE_SIZE / 4 * 3)
			return NULL;
		return find(l, key, v6, create, now);
	}
	memset(en, 0, sizeof(*en));
	en->used = 1;
	en->v6 = v6;
	memcpy(en->key, key, 8);
	en->stamp = now;
	en->tokens = l->burst;
	l->n++;
	return en;
}

enum wd_limit_verdict
wd_limits_enter(struct wd_limits *l, const struct sockaddr *sa, int64_t now_ms)
{
	unsigned char key[8];
	uint8_t v6;
	struct entry *en;

	if (l->per_ip <= 0 && l->rate <= 0)
		return WD_LIMIT_OK;
	if (make_key(sa, key, &v6) == -1)
		return WD_LIMIT_OK;
	en = find(l, key, v6, 1, now_ms);
	if (en == NULL)
		return WD_LIMIT_FULL;
	if (l->per_ip > 0 && en->active >= l->per_ip)
		return WD_LIMIT_TOO_MANY;
	if (l->rate > 0) {
		refill(l, en, now_ms);
		if (en->tokens < 1.0)
			return WD_LIMIT_RATE;
		en->tokens -= 1.0;
	}
	if (en->active < UINT16_MAX)
		en->active++;
	return WD_LIMIT_OK;
}

void
wd_limits_leave(struct wd_limits *l, const struct sockaddr *sa)
{
	unsigned char key[8];
	uint8_t v6;
	struct entry *en;

	if (l->per_ip <= 0 && l->rate <= 0)
		return;
	if (make_key(sa, key, &v6) == -1)
		return;
	en = find(l, key, v6, 0, 0);
	if (en != NULL && en->active > 0)
		en->active--;
}

unsigned
wd_limits_tracked(const struct wd_limits *l)
{
	return l->n;
}
