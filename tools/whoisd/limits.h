/*
 * whoisd/limits.h — who may ask and how often: CIDR access lists, a
 * per-address concurrency cap and a per-address token bucket.  IPv6
 * clients are grouped by their /64 (one host usually owns a whole /64).
 */
#ifndef WHOISD_LIMITS_H
#define WHOISD_LIMITS_H

#include <stdint.h>
#include <sys/socket.h>

#include "sockkit/addr.h"
#include "sockkit/err.h"

#define ACL_MAX 64

struct acl {
	struct sk_iprange allow[ACL_MAX], deny[ACL_MAX];
	int nallow, ndeny;
};

/* Add a CIDR/range to the allow (deny = 0) or deny list; -1 on bad input
 * (message names it) or a full list. */
int acl_add(struct acl *a, const char *cidr, int deny, struct sk_err *e);

/* 1 if sa may connect: not in a deny entry, and in an allow entry when
 * there are any. */
int acl_permits(const struct acl *a, const struct sockaddr *sa);

enum limit_verdict { LIMIT_OK, LIMIT_TOO_MANY, LIMIT_RATE, LIMIT_FULL };

struct limits;

/* per_ip 0 = no concurrency cap; rate_per_min 0 = no rate limit. */
struct limits *limits_new(int per_ip, int rate_per_min, int burst,
    struct sk_err *e);
void limits_free(struct limits *l);

/* A new connection from sa at now_ms: LIMIT_OK (and counted: call
 * limits_leave() when it ends), or why not.  A refused one is not counted. */
enum limit_verdict limits_enter(struct limits *l, const struct sockaddr *sa,
    int64_t now_ms);
void limits_leave(struct limits *l, const struct sockaddr *sa);

/* Number of addresses tracked (for tests and the status log). */
unsigned limits_tracked(const struct limits *l);

#endif
