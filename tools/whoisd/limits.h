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

#define WD_ACL_MAX 64

struct wd_acl {
	struct sk_iprange allow[WD_ACL_MAX], deny[WD_ACL_MAX];
	int nallow, ndeny;
};

/* Add a CIDR/range to the allow (deny = 0) or deny list; -1 on bad input
 * (message names it) or a full list. */
int wd_acl_add(struct wd_acl *a, const char *cidr, int deny, struct sk_err *e);

/* 1 if sa may connect: not in a deny entry, and in an allow entry when
 * there are any. */
int wd_acl_permits(const struct wd_acl *a, const struct sockaddr *sa);

enum wd_limit_verdict { WD_LIMIT_OK, WD_LIMIT_TOO_MANY, WD_LIMIT_RATE, WD_LIMIT_FULL };

struct wd_limits;

/* per_ip 0 = no concurrency cap; rate_per_min 0 = no rate limit. */
struct wd_limits *wd_limits_new(int per_ip, int rate_per_min, int burst,
    struct sk_err *e);
void wd_limits_free(struct wd_limits *l);

/* A new connection from sa at now_ms: WD_LIMIT_OK (and counted: call
 * wd_limits_leave() when it ends), or why not.  A refused one is not counted. */
enum wd_limit_verdict wd_limits_enter(struct wd_limits *l, const struct sockaddr *sa,
    int64_t now_ms);
void wd_limits_leave(struct wd_limits *l, const struct sockaddr *sa);

/* Number of addresses tracked (for tests and the status log). */
unsigned wd_limits_tracked(const struct wd_limits *l);

#endif
