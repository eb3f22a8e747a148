/*
 * Name resolution under a deadline: getaddrinfo(3) and getnameinfo(3)
 * run in a detached worker thread that the caller can walk away from.
 * See sockkit/addr.h.
 *
 * Why a thread per lookup rather than glibc's getaddrinfo_a(3):
 *  - gai_cancel() cannot stop a request in progress (EAI_NOTCANCELED), so
 *    an abandoned request's gaicb and result must outlive the caller all
 *    the same: the ownership problem is not avoided, only hidden;
 *  - getaddrinfo_a queues on a process-wide pool sized and kept by glibc,
 *    and reports by signal or by SIGEV_THREAD callback;
 *  - getnameinfo has no asynchronous form, so reverse lookups need a
 *    thread anyway, and musl has no getaddrinfo_a at all.
 * A thread costs tens of microseconds against a DNS round trip of
 * milliseconds, and numeric hosts and SK_NEVER never pay it.
 *
 * Ownership: a job has two references, the caller's and the worker's,
 * and whoever drops the last one frees it, together with any result the
 * caller did not take.  The worker touches nothing but its job, so a
 * caller that gave up may be long gone when the answer arrives.  A
 * caller that gets its answer in time joins the worker, so no thread of
 * ours outlives the call (nor the resolver state glibc keeps per thread);
 * one that gives up detaches it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "internal.h"

#define QUOTE_MAX 64
#define QUOTE(s) (int)(strlen(s) > QUOTE_MAX ? QUOTE_MAX : strlen(s)), (s), \
	(strlen(s) > QUOTE_MAX ? "..." : "")

enum job_kind { JOB_FORWARD, JOB_REVERSE };

struct sk__lookup {
	atomic_int refs;	/* caller + worker; the last one frees */
	atomic_int done;	/* set (release) before efd is signalled */
	int efd;		/* eventfd the worker signals when done */
	enum job_kind kind;
	int rc;			/* getaddrinfo/getnameinfo result */
	int err;		/* errno after the call, for EAI_SYSTEM */
	/* JOB_FORWARD */
	struct addrinfo hints, *res;
	char port[8];
	/* JOB_REVERSE */
	struct sockaddr_storage ss;
	socklen_t salen;
	int niflags;
	char name[NI_MAXHOST];
	char host[];		/* JOB_FORWARD: the name asked for */
};

static void
job_put(struct sk__lookup *j)
{
	if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (j->res != NULL)
		freeaddrinfo(j->res);
	close(j->efd);
	free(j);
}

static void *
worker(void *arg)
{
	struct sk__lookup *j = arg;
	uint64_t one = 1;

	if (j->kind == JOB_FORWARD)
		j->rc = getaddrinfo(j->host, j->port, &j->hints, &j->res);
	else
		j->rc = getnameinfo((struct sockaddr *)&j->ss, j->salen, j->name,
		    sizeof(j->name), NULL, 0, j->niflags);
	j->err = errno;
	atomic_store_explicit(&j->done, 1, memory_order_release);
	/* Cannot block or fail short of EINTR: the counter only reaches 1. */
	while (write(j->efd, &one, sizeof(one)) == -1 && errno == EINTR)
		;
	job_put(j);
	return NULL;
}

/* Start j's worker, joinable, as *t.  On failure j is freed, errno says
 * why and -1 is returned. */
static int
job_start(struct sk__lookup *j, pthread_t *t)
{
	sigset_t all, old;
	int rc;

	j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (j->efd == -1) {
		free(j);
		return -1;
	}
	atomic_init(&j->refs, 2);
	atomic_init(&j->done, 0);
	/* The worker takes no signals: they stay with the caller's threads,
	 * and a caller that reads them through a signalfd keeps working. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, worker, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		return 0;
	close(j->efd);
	free(j);
	errno = rc;
	return -1;
}

/* 1 when the worker t is done (and joined), 0 when deadline passed
 * first (and t is detached, left to finish on its own). */
static int
job_wait(struct sk__lookup *j, pthread_t t, int64_t deadline)
{
	int done;

	for (;;) {
		if ((done = atomic_load_explicit(&j->done, memory_order_acquire)))
			break;
		/* The eventfd is never drained: once it is readable, done is
		 * set, so poll is called at most twice. */
		if (sk_wait(j->efd, POLLIN, deadline, NULL) <= 0) {
			done = atomic_load_explicit(&j->done, memory_order_acquire);
			break;
		}
	}
	/* A done worker has only to drop its reference and return. */
	if (done)
		pthread_join(t, NULL);
	else
		pthread_detach(t);
	return done;
}

static int
job_done(struct sk__lookup *j)
{
	return atomic_load_explicit(&j->done, memory_order_acquire);
}

/* ---- forward --------------------------------------------------------------- */

/* Run getaddrinfo in a worker and wait for it until deadline; t0 is when
 * the call began, for the message. */
static int
resolve_async(const char *host, const char *port,
    const struct addrinfo *hints, struct addrinfo **res, int64_t t0,
    int64_t deadline, struct sk_err *e)
{
	struct sk__lookup *j;
	pthread_t t;
	size_t n = strlen(host);
	int rc, err;

	if (sk_deadline_passed(deadline))
		return sk_err_set(e, ETIMEDOUT, "host %.*s%s: timed out after 0 ms",
		    QUOTE(host));
	if ((j = calloc(1, sizeof(*j) + n + 1)) == NULL)
		return sk_err_sys(e, "host %.*s%s: resolve", QUOTE(host));
	j->kind = JOB_FORWARD;
	j->hints = *hints;
	snprintf(j->port, sizeof(j->port), "%s", port);
	memcpy(j->host, host, n + 1);
	if (job_start(j, &t) == -1)
		return sk_err_sys(e, "host %.*s%s: start resolver thread",
		    QUOTE(host));
	if (!job_wait(j, t, deadline)) {
		job_put(j);
		return sk_err_set(e, ETIMEDOUT, "host %.*s%s: timed out after "
		    "%lld ms", QUOTE(host), (long long)(sk_now_ms() - t0));
	}
	rc = j->rc;
	err = j->err;
	*res = j->res;
	j->res = NULL;
	job_put(j);
	errno = err;		/* for EAI_SYSTEM */
	if (rc != 0) {
		*res = NULL;
		return sk_err_gai(e, rc, "host %.*s%s", QUOTE(host));
	}
	return 0;
}

/* 0 when host cannot be an address getaddrinfo takes as a number (a
 * letter past 'f', an '_', a '-' before any '%' scope), so a name costs
 * no AI_NUMERICHOST call. */
static int
maybe_numeric(const char *host)
{
	const char *p;

	for (p = host; *p != '\0' && *p != '%'; p++)
		if (strchr("0123456789abcdefABCDEFxX.:", *p) == NULL)
			return 0;
	return 1;
}

int
sk_addr_resolve(const char *host, const char *service, int family,
    int socktype, int flags, struct addrinfo **res, int64_t deadline,
    struct sk_err *e)
{
	struct addrinfo hints;
	char portstr[8];
	int64_t t0 = sk_now_ms();
	int port = 0, rc;

	*res = NULL;
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return sk_err_set(e, EINVAL, "resolve: bad address family %d",
		    family);
	/* Services first: getaddrinfo would blame an unknown service on the
	 * host ("Servname not supported"), which misleads the user. */
	if (service != NULL && *service != '\0' && (port = sk_port_parse(service,
	    socktype == SOCK_DGRAM ? "udp" : "tcp", e)) == -1)
		return -1;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (host != NULL && (*host == '\0' || strcmp(host, "*") == 0))
		host = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = flags | AI_NUMERICSERV;
	/* Numbers first, in this thread: an address never leaves libc, and
	 * the common numeric case pays for no thread (nor, with SK_NEVER,
	 * for the resolver set-up glibc does before looking a name up).
	 * Only for what may be a number: with AI_ADDRCONFIG every
	 * getaddrinfo call dumps the interface addresses over netlink. */
	if (host != NULL && !(flags & AI_NUMERICHOST)) {
		if (maybe_numeric(host)) {
			hints.ai_flags |= AI_NUMERICHOST;
			rc = getaddrinfo(host, portstr, &hints, res);
			hints.ai_flags &= ~AI_NUMERICHOST;
			if (rc != EAI_NONAME)
				goto end;
		}
		if (deadline != SK_NEVER)
			return resolve_async(host, portstr, &hints, res, t0,
			    deadline, e);
	}
	rc = getaddrinfo(host, portstr, &hints, res);
end:
	if (rc == 0)
		return 0;
	*res = NULL;
	return sk_err_gai(e, rc, "host %.*s%s", QUOTE(host ? host : "*"));
}

/* ---- reverse --------------------------------------------------------------- */

static socklen_t
inet_salen(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

static struct sk__lookup *
reverse_job(const struct sockaddr *sa, socklen_t salen, int flags,
    pthread_t *t)
{
	struct sk__lookup *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->kind = JOB_REVERSE;
	memcpy(&j->ss, sa, salen);
	j->salen = salen;
	j->niflags = flags | NI_NAMEREQD;
	if (job_start(j, t) == -1)
		return NULL;
	return j;
}

int
sk_addr_reverse(const struct sockaddr *sa, char *host, size_t len, int flags,
    int64_t deadline, struct sk_err *e)
{
	struct sk__lookup *j;
	pthread_t t;
	char addr[SK_ADDRSTRLEN];
	socklen_t salen = inet_salen(sa);
	int64_t t0 = sk_now_ms();
	int rc, err;

	if (host != NULL && len > 0)
		host[0] = '\0';
	if (salen == 0)
		return sk_err_set(e, EAFNOSUPPORT, "reverse lookup: not an inet "
		    "address");
	if (host == NULL || len == 0)
		return sk_err_set(e, EINVAL, "reverse lookup: no room for a name");
	sk__host_str(sa, addr, sizeof(addr));
	if (deadline == SK_NEVER) {
		rc = getnameinfo(sa, salen, host, len, NULL, 0, flags | NI_NAMEREQD);
		goto end;
	}
	if (sk_deadline_passed(deadline))
		return sk_err_set(e, ETIMEDOUT, "reverse lookup of %s: timed out "
		    "after 0 ms", addr);
	if ((j = reverse_job(sa, salen, flags, &t)) == NULL)
		return sk_err_sys(e, "reverse lookup of %s: start resolver thread",
		    addr);
	if (!job_wait(j, t, deadline)) {
		job_put(j);
		return sk_err_set(e, ETIMEDOUT, "reverse lookup of %s: timed out "
		    "after %lld ms", addr, (long long)(sk_now_ms() - t0));
	}
	rc = j->rc;
	err = j->err;
	if (rc == 0 && strlen(j->name) >= len)
		rc = EAI_OVERFLOW;
	else if (rc == 0)
		memcpy(host, j->name, strlen(j->name) + 1);
	job_put(j);
	errno = err;		/* for EAI_SYSTEM */
end:
	if (rc == 0)
		return 0;
	host[0] = '\0';
	return sk_err_gai(e, rc, "reverse lookup of %s", addr);
}

/* ---- the name cache -------------------------------------------------------- */

void
sk_namecache_init(struct sk_namecache *c)
{
	memset(c, 0, sizeof(*c));
	c->negative_ms = SK_NAMECACHE_NEGATIVE_MS;
	c->max_pending = SK_NAMECACHE_PENDING;
}

static void
forget(struct sk_namecache *c, struct sk_namecache_entry *ent)
{
	if (ent->lookup != NULL) {
		job_put(ent->lookup);
		c->pending--;
	}
	memset(ent, 0, sizeof(*ent));
}

void
sk_namecache_destroy(struct sk_namecache *c)
{
	size_t i;

	for (i = 0; i < SK_NAMECACHE_SLOTS; i++)
		forget(c, &c->slot[i]);
	sk_namecache_init(c);
}

/* FNV-1a: cheap and spreads neighbouring addresses over the slots. */
static unsigned
slot_of(int family, const unsigned char *a, size_t n)
{
	uint32_t h = 2166136261u ^ (uint32_t)family;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	return h % SK_NAMECACHE_SLOTS;
}

/* Record a finished lookup: a name, or a failure remembered for
 * negative_ms (failures are the slow ones: a DNS timeout per row). */
static void
settle(struct sk_namecache *c, struct sk_namecache_entry *ent, int rc,
    const char *name)
{
	/* No DNS name is that long; a hosts(5) line could be, and a cut
	 * name would be a wrong one. */
	if (rc == 0 && strlen(name) < sizeof(ent->name)) {
		memcpy(ent->name, name, strlen(name) + 1);
		ent->expires = SK_NEVER;
	} else {
		ent->name[0] = '\0';
		ent->expires = sk_now_ms() + c->negative_ms;
	}
}

/* Take the answer of ent's lookup if it has arrived.  Returns 1 when ent
 * no longer waits for one. */
static int
harvest(struct sk_namecache *c, struct sk_namecache_entry *ent)
{
	struct sk__lookup *j = ent->lookup;

	if (j == NULL)
		return 1;
	if (!job_done(j))
		return 0;
	settle(c, ent, j->rc, j->name);
	job_put(j);
	ent->lookup = NULL;
	c->pending--;
	c->late++;
	return 1;
}

static void
harvest_all(struct sk_namecache *c)
{
	size_t i;

	for (i = 0; i < SK_NAMECACHE_SLOTS; i++)
		harvest(c, &c->slot[i]);
}

/*
 * Host name of an inet sockaddr (not v4-mapped), or "" when it has none
 * or it is not known by deadline.  A lookup that misses the deadline goes
 * on in the background and its answer fills the entry when it comes; in
 * the meantime the address is answered numerically without waiting.
 */
const char *
sk__name_lookup(struct sk_namecache *c, const struct sockaddr *sa,
    int64_t deadline, char *tmp, size_t tmplen)
{
	struct sk_namecache_entry *ent;
	struct sk__lookup *j;
	pthread_t t;
	const unsigned char *a;
	socklen_t salen = inet_salen(sa);
	size_t n;

	if (c == NULL)
		return sk_addr_reverse(sa, tmp, tmplen, 0, deadline, NULL) == 0 ?
		    tmp : "";
	if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
		n = 4;
	} else {
		a = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		n = 16;
	}
	ent = &c->slot[slot_of(sa->sa_family, a, n)];
	if (ent->family == sa->sa_family && memcmp(ent->addr, a, n) == 0) {
		if (!harvest(c, ent)) {
			c->hits++;
			return "";
		}
		if (ent->name[0] != '\0' || sk_now_ms() < ent->expires) {
			c->hits++;
			return ent->name;
		}
	}
	c->misses++;
	forget(c, ent);
	if (deadline == SK_NEVER) {
		ent->family = sa->sa_family;
		memcpy(ent->addr, a, n);
		settle(c, ent, getnameinfo(sa, salen, tmp, tmplen, NULL, 0,
		    NI_NAMEREQD), tmp);
		return ent->name;
	}
	if (c->pending >= c->max_pending)
		harvest_all(c);
	/* Too many lookups in flight: answer numerically and keep nothing,
	 * so that a later call asks again. */
	if (c->pending >= c->max_pending ||
	    (j = reverse_job(sa, salen, 0, &t)) == NULL)
		return "";
	ent->family = sa->sa_family;
	memcpy(ent->addr, a, n);
	if (job_wait(j, t, deadline)) {
		settle(c, ent, j->rc, j->name);
		job_put(j);
		return ent->name;
	}
	ent->lookup = j;
	c->pending++;
	c->timeouts++;
	return "";
}
