/*
 * Name resolution under a deadline (lib/resolve.c).
 *
 * The cases that need a resolver with known answers run against a tiny
 * DNS server in the test's own network and mount namespaces: resolv.conf,
 * hosts and nsswitch.conf are bind-mounted over, and 127.0.0.1:53 answers
 * by the first label of the name asked (see dns_answer()).  That needs
 * root and Check's fork mode; without them those cases say so and pass.
 */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "unit.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

/*
 * Every thread this test program starts is counted, so a test can show
 * that a numeric host costs no worker thread.  The definition here comes
 * before libc's (and a sanitizer's) in symbol lookup and passes the call
 * on to it.
 */
static atomic_int threads_started;

int
pthread_create(pthread_t *t, const pthread_attr_t *attr,
    void *(*fn)(void *), void *arg)
{
	int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
	    void *);

	*(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
	atomic_fetch_add(&threads_started, 1);
	return real(t, attr, fn, arg);
}

static socklen_t
mksa(struct sockaddr_storage *ss, const char *addr, int port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':') != NULL) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	return sizeof(*s4);
}

/* ---- the DNS fixture ------------------------------------------------------- */

#define LATE_MS 400		/* when "late" names get their answer */

static int dns_ready;			/* fixture up in this test process */
static atomic_int dns_queries;		/* queries received */
static atomic_int dns_late_sent;	/* delayed answers sent */

struct delayed {
	int64_t due;
	struct sockaddr_in to;
	size_t len;
	unsigned char msg[512];
};

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Append name as DNS labels. */
static size_t
put_name(unsigned char *p, const char *name)
{
	size_t n = 0, l;

	while (*name != '\0') {
		l = strcspn(name, ".");
		p[n++] = (unsigned char)l;
		memcpy(p + n, name, l);
		n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	p[n++] = 0;
	return n;
}

/*
 * The fixture's zone, by the first label of the name asked:
 *   a         A 198.18.0.10, AAAA 2001:2::10
 *   v4only    A 198.18.0.11, no AAAA (NODATA for AF_INET6)
 *   nodata    the name exists, no address (NODATA)
 *   servfail  SERVFAIL (a temporary failure)
 *   slow      never answered
 *   late      A 198.18.0.12 after LATE_MS
 *   anything else NXDOMAIN
 * and reverse (PTR) by the last byte of an IPv4 address:
 *   .1 one.test  .2 NXDOMAIN  .3 never  .4 SERVFAIL  .5 late.test after
 *   LATE_MS
 * Returns the reply length, 0 for no reply; *delay is set for late ones.
 */
static size_t
dns_answer(const unsigned char *q, size_t qlen, unsigned char *r, int *delay)
{
	char label[64];
	size_t off = 12, n;
	unsigned qtype, rcode = 0, an = 0;
	unsigned char rdata[256];
	size_t rdlen = 0;
	int ptr;

	*delay = 0;
	if (qlen < 12 + 5 || q[12] == 0 || q[12] > 63)
		return 0;
	memcpy(label, q + 13, q[12]);
	label[q[12]] = '\0';
	while (off < qlen && q[off] != 0)
		off += q[off] + 1;
	if (off + 5 > qlen)
		return 0;
	qtype = (unsigned)q[off + 1] << 8 | q[off + 2];
	off += 5;
	ptr = memmem(q + 12, off - 12, "\007in-addr", 8) != NULL;
	if (ptr) {
		if (strcmp(label, "1") == 0 || strcmp(label, "5") == 0) {
			rdlen = put_name(rdata, label[0] == '1' ? "one.test" :
			    "late.test");
			an = 1;
			*delay = label[0] == '5' ? LATE_MS : 0;
		} else if (strcmp(label, "3") == 0) {
			return 0;
		} else {
			rcode = strcmp(label, "4") == 0 ? 2 : 3;
		}
	} else if (strcmp(label, "slow") == 0) {
		return 0;
	} else if (strcmp(label, "a") == 0 || strcmp(label, "v4only") == 0 ||
	    strcmp(label, "late") == 0) {
		if (qtype == 1) {
			rdlen = 4;
			memcpy(rdata, (unsigned char[]){ 198, 18, 0,
			    label[0] == 'a' ? 10 : label[0] == 'v' ? 11 : 12 }, 4);
			an = 1;
		} else if (qtype == 28 && label[0] == 'a') {
			rdlen = 16;
			inet_pton(AF_INET6, "2001:2::10", rdata);
			an = 1;
		}
		*delay = label[0] == 'l' ? LATE_MS : 0;
	} else if (strcmp(label, "servfail") == 0) {
		rcode = 2;
	} else if (strcmp(label, "nodata") != 0) {
		rcode = 3;
	}
	memcpy(r, q, off);
	r[2] = 0x80 | (q[2] & 0x01);	/* QR, RD copied */
	r[3] = 0x80 | rcode;		/* RA */
	put16(r + 6, an);
	put16(r + 8, 0);
	put16(r + 10, 0);
	n = off;
	if (an) {
		put16(r + n, 0xc00c);
		put16(r + n + 2, ptr ? 12 : qtype);
		put16(r + n + 4, 1);
		memcpy(r + n + 6, (unsigned char[]){ 0, 0, 0, 60 }, 4);
		put16(r + n + 10, (unsigned)rdlen);
		n += 12;
		memcpy(r + n, rdata, rdlen);
		n += rdlen;
	}
	return n;
}

static void *
dns_serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct delayed late[16];
	int nlate = 0, i, delay, timeout;
	unsigned char q[512];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	size_t rl;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		timeout = -1;
		for (i = 0; i < nlate; i++) {
			int left = sk_deadline_left(late[i].due);

			if (timeout == -1 || left < timeout)
				timeout = left;
		}
		poll(&p, 1, timeout);
		for (i = nlate - 1; i >= 0; i--) {
			if (!sk_deadline_passed(late[i].due))
				continue;
			sendto(fd, late[i].msg, late[i].len, 0,
			    (struct sockaddr *)&late[i].to, sizeof(late[i].to));
			atomic_fetch_add(&dns_late_sent, 1);
			late[i] = late[--nlate];
		}
		fl = sizeof(from);
		n = recvfrom(fd, q, sizeof(q), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl);
		if (n <= 0)
			continue;
		atomic_fetch_add(&dns_queries, 1);
		if (nlate == NELEM(late))
			continue;
		rl = dns_answer(q, (size_t)n, late[nlate].msg, &delay);
		if (rl == 0)
			continue;
		if (delay == 0) {
			sendto(fd, late[nlate].msg, rl, 0, (struct sockaddr *)&from,
			    fl);
			continue;
		}
		late[nlate].due = sk_deadline_in(delay);
		late[nlate].to = from;
		late[nlate].len = rl;
		nlate++;
	}
	return NULL;
}

/* Bind-mount a file holding text over path (in our mount namespace). */
static void
mount_text(const char *path, const char *text)
{
	char tmp[] = "/tmp/sk-resolve-XXXXXX";
	int fd = mkstemp(tmp);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_msg(mount(tmp, path, NULL, MS_BIND, NULL) == 0,
	    "bind %s: %s", path, strerror(errno));
	unlink(tmp);
}

static void
dns_setup(void)
{
	struct sockaddr_in sin;
	struct ifreq ifr;
	pthread_t t;
	const char *fork_mode = getenv("CK_FORK");
	int fd;

	dns_ready = 0;
	if (!ut_is_root() || (fork_mode != NULL && strcmp(fork_mode, "no") == 0))
		return;
	/* Private network and mounts; the test process is single-threaded
	 * here, as unshare(CLONE_NEWNS) requires. */
	ck_assert_msg(unshare(CLONE_NEWNS | CLONE_NEWNET) == 0, "unshare: %s",
	    strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	/* One try of 2 s: a name the server drops fails at last, after every
	 * deadline in these tests. */
	mount_text("/etc/resolv.conf", "nameserver 127.0.0.1\n"
	    "search sk.test\noptions timeout:2 attempts:1\n");
	mount_text("/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n");
	mount_text("/etc/nsswitch.conf", "hosts: files dns\n");
	atomic_store(&dns_queries, 0);
	atomic_store(&dns_late_sent, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, dns_serve,
	    (void *)(intptr_t)fd), 0);
	pthread_detach(t);
	dns_ready = 1;
}

#define NEED_DNS() do { \
	if (!dns_ready) { \
		fprintf(stderr, "%s: skipped: needs root and CK_FORK=yes " \
		    "(private DNS fixture)\n", __func__); \
		return; \
	} \
} while (0)

static int64_t
elapsed(int64_t t0)
{
	return sk_now_ms() - t0;
}

/* ---- forward: numeric and local names ------------------------------------ */

static const struct {
	const char *host;
	int family, flags;
	int64_t wait;		/* ms; -1: SK_NEVER */
	const char *want;	/* sk_addr_format of the first result */
} resolve_cases[] = {
	{ "127.0.0.1", AF_UNSPEC, AI_NUMERICHOST, -1, "127.0.0.1:43" },
	{ "::1", AF_UNSPEC, AI_NUMERICHOST, -1, "[::1]:43" },
	{ "localhost", AF_INET, 0, -1, "127.0.0.1:43" },
	{ NULL, AF_INET, AI_PASSIVE, -1, "*:43" },
	{ "", AF_INET, 0, -1, "127.0.0.1:43" },
	{ "127.0.0.1", AF_UNSPEC, 0, 2000, "127.0.0.1:43" },
	{ "2001:2::2", AF_INET6, 0, 2000, "[2001:2::2]:43" },
	{ "localhost", AF_INET, 0, 5000, "127.0.0.1:43" },
	{ NULL, AF_INET6, AI_PASSIVE, 0, "*:43" },
};

START_TEST(resolve_finds_loopback_and_wildcard)
{
	struct addrinfo *res;
	struct sk_err e;
	char buf[SK_ADDRSTRLEN];
	int64_t w = resolve_cases[_i].wait;

	sk_err_clear(&e);
	ck_assert_msg(sk_addr_resolve(resolve_cases[_i].host, "whois",
	    resolve_cases[_i].family, SOCK_STREAM, resolve_cases[_i].flags, &res,
	    w < 0 ? SK_NEVER : sk_deadline_in(w), &e) == 0, "case %d: %s", _i,
	    e.msg);
	sk_addr_format(res->ai_addr, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, resolve_cases[_i].want) == 0,
	    "case %d: got %s, want %s", _i, buf, resolve_cases[_i].want);
	ck_assert_int_eq(res->ai_socktype, SOCK_STREAM);
	freeaddrinfo(res);
}
END_TEST

START_TEST(resolve_names_unknown_service_before_host)
{
	struct addrinfo *res = (struct addrinfo *)&res;
	struct sk_err e;

	ck_assert_int_eq(sk_addr_resolve("localhost", "nosuch", AF_UNSPEC,
	    SOCK_STREAM, 0, &res, SK_NEVER, &e), -1);
	ck_assert_int_eq(e.code, ENOENT);
	ck_assert_int_eq(e.kind, SK_ERR_INPUT);
	ck_assert_str_eq(e.msg, "service nosuch: unknown tcp service");
	ck_assert_ptr_null(res);
	ck_assert_int_eq(sk_addr_resolve("nosuch.invalid", "nosuch", AF_UNSPEC,
	    SOCK_DGRAM, 0, &res, sk_deadline_in(1000), &e), -1);
	ck_assert_str_eq(e.msg, "service nosuch: unknown udp service");
	ck_assert_int_eq(sk_addr_resolve("localhost", "65536", AF_UNSPEC,
	    SOCK_STREAM, 0, &res, SK_NEVER, &e), -1);
	ck_assert_int_eq(e.code, EINVAL);
	ck_assert_msg(strstr(e.msg, "65536") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(resolve_names_unknown_host)
{
	struct addrinfo *res;
	struct sk_err e;
	const char *pfx = "host nosuch.sockkit.invalid: ";

	ck_assert_int_eq(sk_addr_resolve("nosuch.sockkit.invalid", "80",
	    AF_UNSPEC, SOCK_STREAM, 0, &res, SK_NEVER, &e), -1);
	/* Without a reachable resolver the answer is "try again", not "no". */
	ck_assert_msg(e.kind == SK_ERR_NOTFOUND || e.kind == SK_ERR_TEMPFAIL,
	    "kind %s: %s", sk_err_kind_str(e.kind), e.msg);
	ck_assert_msg(strncmp(e.msg, pfx, strlen(pfx)) == 0 &&
	    strlen(e.msg) > strlen(pfx), "message \"%s\"", e.msg);
	ck_assert_str_eq(e.msg + strlen(pfx), gai_strerror(e.gai));
}
END_TEST

START_TEST(resolve_rejects_bad_family)
{
	struct addrinfo *res;
	struct sk_err e;

	ck_assert_int_eq(sk_addr_resolve("127.0.0.1", "80", AF_UNIX, SOCK_STREAM,
	    0, &res, SK_NEVER, &e), -1);
	ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

/* The common case, a numeric address under a deadline, must not pay for
 * a thread; a name does. */
static const struct {
	const char *host;
	int family, flags, threads;
} thread_cases[] = {
	{ "198.18.0.2", AF_UNSPEC, 0, 0 },
	{ "2001:2::2", AF_UNSPEC, 0, 0 },
	{ "127.0.0.1", AF_INET, 0, 0 },
	{ NULL, AF_UNSPEC, AI_PASSIVE, 0 },
	{ "", AF_INET, 0, 0 },
	{ "localhost", AF_INET, 0, 1 },
};

START_TEST(resolve_numeric_host_starts_no_thread)
{
	struct addrinfo *res;
	struct sk_err e;
	int before = atomic_load(&threads_started);

	ck_assert_msg(sk_addr_resolve(thread_cases[_i].host, "43",
	    thread_cases[_i].family, SOCK_STREAM, thread_cases[_i].flags, &res,
	    sk_deadline_in(5000), &e) == 0, "case %d: %s", _i, e.msg);
	freeaddrinfo(res);
	ck_assert_msg(atomic_load(&threads_started) - before ==
	    thread_cases[_i].threads, "case %d (%s): %d threads, want %d", _i,
	    thread_cases[_i].host ? thread_cases[_i].host : "NULL",
	    atomic_load(&threads_started) - before, thread_cases[_i].threads);
}
END_TEST

static int
task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* pthread_join() returns once the kernel clears the thread's tid, a
 * moment before the task leaves /proc/self/task; on a loaded machine
 * that moment shows.  Wait (1 s at most) for the count to come down to
 * want, then return it. */
static int
task_count_settled(int want)
{
	int n, i;

	for (i = 0; (n = task_count()) != want && i < 100; i++)
		usleep(10000);
	return n;
}

/* An answer in time joins its worker: no thread (nor the resolver state
 * glibc keeps per thread) outlives the call. */
START_TEST(resolve_in_time_leaves_no_thread_behind)
{
	struct sockaddr_storage ss;
	struct addrinfo *res;
	struct sk_err e;
	char host[NI_MAXHOST];
	int before = task_count(), started = atomic_load(&threads_started);

	ck_assert_msg(sk_addr_resolve("localhost", "43", AF_INET, SOCK_STREAM, 0,
	    &res, sk_deadline_in(5000), &e) == 0, "%s", e.msg);
	freeaddrinfo(res);
	ck_assert_int_eq(task_count_settled(before), before);
	mksa(&ss, "127.0.0.1", 43);
	ck_assert_msg(sk_addr_reverse((struct sockaddr *)&ss, host, sizeof(host),
	    0, sk_deadline_in(5000), &e) == 0, "%s", e.msg);
	ck_assert_int_eq(task_count_settled(before), before);
	ck_assert_int_eq(atomic_load(&threads_started) - started, 2);
}
END_TEST

START_TEST(resolve_with_no_time_left_takes_numbers_refuses_names)
{
	struct addrinfo *res;
	struct sk_err e;
	int64_t t0 = sk_now_ms();
	int before = atomic_load(&threads_started);

	ck_assert_msg(sk_addr_resolve("198.18.0.2", "43", AF_UNSPEC, SOCK_STREAM,
	    0, &res, SK_NOW, &e) == 0, "%s", e.msg);
	freeaddrinfo(res);
	ck_assert_int_eq(sk_addr_resolve("localhost", "43", AF_UNSPEC,
	    SOCK_STREAM, 0, &res, SK_NOW, &e), -1);
	ck_assert_int_eq(e.kind, SK_ERR_TIMEOUT);
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_str_eq(e.msg, "host localhost: timed out after 0 ms");
	ck_assert_ptr_null(res);
	ck_assert_int_lt(elapsed(t0), 50);
	ck_assert_int_eq(atomic_load(&threads_started), before);
}
END_TEST

/* ---- forward: the fixture's answers --------------------------------------- */

static const struct {
	const char *host;
	int family;
	enum sk_err_kind kind;	/* SK_ERR_NONE: resolves */
	const char *want;	/* first address, or the message */
} kind_cases[] = {
	{ "a.test", AF_INET, SK_ERR_NONE, "198.18.0.10:43" },
	{ "a.test", AF_INET6, SK_ERR_NONE, "[2001:2::10]:43" },
	{ "v4only.test", AF_INET, SK_ERR_NONE, "198.18.0.11:43" },
	{ "nx.test", AF_UNSPEC, SK_ERR_NOTFOUND,
	    "host nx.test: Name or service not known" },
	{ "nx.test", AF_INET6, SK_ERR_NOTFOUND, NULL },
	{ "nodata.test", AF_UNSPEC, SK_ERR_NODATA, NULL },
	{ "nodata.test", AF_INET, SK_ERR_NODATA, NULL },
	{ "v4only.test", AF_INET6, SK_ERR_NODATA, NULL },
	{ "servfail.test", AF_UNSPEC, SK_ERR_TEMPFAIL,
	    "host servfail.test: Temporary failure in name resolution" },
};

START_TEST(resolve_tells_notfound_nodata_and_tempfail_apart)
{
	struct addrinfo *res;
	struct sk_err e;
	char buf[SK_ADDRSTRLEN];
	int rc;

	NEED_DNS();
	sk_err_clear(&e);
	rc = sk_addr_resolve(kind_cases[_i].host, "43", kind_cases[_i].family,
	    SOCK_STREAM, 0, &res, sk_deadline_in(5000), &e);
	ck_assert_msg(e.kind == kind_cases[_i].kind, "case %d (%s): kind %s, "
	    "want %s: %s", _i, kind_cases[_i].host, sk_err_kind_str(e.kind),
	    sk_err_kind_str(kind_cases[_i].kind), e.msg);
	if (kind_cases[_i].kind == SK_ERR_NONE) {
		ck_assert_int_eq(rc, 0);
		sk_addr_format(res->ai_addr, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, kind_cases[_i].want) == 0,
		    "case %d: got %s, want %s", _i, buf, kind_cases[_i].want);
		freeaddrinfo(res);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(res);
	ck_assert_msg(strncmp(e.msg, "host ", 5) == 0 && strstr(e.msg,
	    kind_cases[_i].host) != NULL, "case %d: %s", _i, e.msg);
	if (kind_cases[_i].want != NULL)
		ck_assert_str_eq(e.msg, kind_cases[_i].want);
}
END_TEST

START_TEST(resolve_gives_up_at_the_deadline_naming_the_host)
{
	static const int64_t waits[] = { 150, 400 };
	struct addrinfo *res;
	struct sk_err e;
	char want[64];
	int64_t t0, el;

	NEED_DNS();
	t0 = sk_now_ms();
	ck_assert_int_eq(sk_addr_resolve("slow.test", "43", AF_UNSPEC,
	    SOCK_STREAM, 0, &res, sk_deadline_in(waits[_i]), &e), -1);
	el = elapsed(t0);
	ck_assert_msg(el >= waits[_i] - 5 && el <= waits[_i] + 100,
	    "took %lld ms for a %lld ms deadline", (long long)el,
	    (long long)waits[_i]);
	ck_assert_int_eq(e.kind, SK_ERR_TIMEOUT);
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_ptr_null(res);
	/* The message's count starts inside the call, a little later. */
	snprintf(want, sizeof(want), "host slow.test: timed out after ");
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0 &&
	    strcmp(e.msg + strlen(e.msg) - 3, " ms") == 0, "%s", e.msg);
}
END_TEST

START_TEST(resolve_abandoned_lookup_frees_its_late_answer)
{
	struct addrinfo *res;
	struct sk_err e;
	int i;

	NEED_DNS();
	/* Several abandoned lookups, so that a result written to freed
	 * memory or never freed shows under ASan/LSan. */
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(sk_addr_resolve("late.test", "43", AF_INET,
		    SOCK_STREAM, 0, &res, sk_deadline_in(50), &e), -1);
		ck_assert_int_eq(e.kind, SK_ERR_TIMEOUT);
	}
	/* Their answers arrive while nobody waits; the workers clean up. */
	for (i = 0; i < 40 && atomic_load(&dns_late_sent) < 4; i++)
		usleep(50000);
	ck_assert_int_ge(atomic_load(&dns_late_sent), 4);
	usleep(100000);
	/* Given time, the same name resolves. */
	ck_assert_msg(sk_addr_resolve("late.test", "43", AF_INET, SOCK_STREAM,
	    0, &res, sk_deadline_in(3000), &e) == 0, "%s", e.msg);
	freeaddrinfo(res);
}
END_TEST

/* ---- reverse --------------------------------------------------------------- */

static const struct {
	const char *addr;
	enum sk_err_kind kind;
	const char *want;	/* the name, or the message */
} reverse_cases[] = {
	{ "198.18.0.1", SK_ERR_NONE, "one.test" },
	{ "::ffff:198.18.0.1", SK_ERR_NONE, "one.test" },
	{ "198.18.0.2", SK_ERR_NOTFOUND,
	    "reverse lookup of 198.18.0.2: Name or service not known" },
	{ "198.18.0.3", SK_ERR_TIMEOUT,
	    "reverse lookup of 198.18.0.3: timed out after " },
	{ "198.18.0.4", SK_ERR_TEMPFAIL, "reverse lookup of 198.18.0.4: " },
};

START_TEST(reverse_tells_notfound_timeout_and_tempfail_apart)
{
	struct sockaddr_storage ss;
	struct sk_err e;
	char host[NI_MAXHOST];
	int64_t t0, el;
	int rc;

	NEED_DNS();
	mksa(&ss, reverse_cases[_i].addr, 43);
	sk_err_clear(&e);
	t0 = sk_now_ms();
	rc = sk_addr_reverse((struct sockaddr *)&ss, host, sizeof(host), 0,
	    sk_deadline_in(300), &e);
	el = elapsed(t0);
	ck_assert_msg(e.kind == reverse_cases[_i].kind, "case %d: kind %s, "
	    "want %s: %s", _i, sk_err_kind_str(e.kind),
	    sk_err_kind_str(reverse_cases[_i].kind), e.msg);
	ck_assert_msg(el <= 400, "case %d: took %lld ms", _i, (long long)el);
	if (reverse_cases[_i].kind == SK_ERR_NONE) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(host, reverse_cases[_i].want);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(host, "");
	ck_assert_msg(strncmp(e.msg, reverse_cases[_i].want,
	    strlen(reverse_cases[_i].want)) == 0, "case %d: %s", _i, e.msg);
	if (reverse_cases[_i].kind == SK_ERR_TIMEOUT)
		ck_assert_msg(el >= 295, "case %d: gave up after %lld ms", _i,
		    (long long)el);
}
END_TEST

START_TEST(reverse_rejects_non_inet_and_no_time_left)
{
	struct sockaddr_storage ss;
	struct sk_err e;
	char host[NI_MAXHOST];

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	ck_assert_int_eq(sk_addr_reverse((struct sockaddr *)&ss, host,
	    sizeof(host), 0, SK_NEVER, &e), -1);
	ck_assert_int_eq(e.code, EAFNOSUPPORT);
	mksa(&ss, "127.0.0.1", 0);
	ck_assert_int_eq(sk_addr_reverse((struct sockaddr *)&ss, host,
	    sizeof(host), 0, SK_NOW, &e), -1);
	ck_assert_int_eq(e.kind, SK_ERR_TIMEOUT);
	ck_assert_str_eq(e.msg, "reverse lookup of 127.0.0.1: timed out after "
	    "0 ms");
	ck_assert_str_eq(host, "");
}
END_TEST

/* ---- the name cache -------------------------------------------------------- */

START_TEST(name_looks_up_host_once_per_address)
{
	struct sk_namecache *c = malloc(sizeof(*c));
	struct sockaddr_storage ss;
	char buf[SK_HOSTLEN + SK_SERVLEN], first[SK_HOSTLEN + SK_SERVLEN];
	size_t n;

	ck_assert_ptr_nonnull(c);
	sk_namecache_init(c);
	mksa(&ss, "127.0.0.1", 43);
	sk_addr_name((struct sockaddr *)&ss, 0, c, first, sizeof(first),
	    sk_deadline_in(5000));
	n = strlen(first);
	ck_assert_msg(n > 6 && strcmp(first + n - 6, ".whois") == 0, "got %s",
	    first);
	ck_assert_uint_eq(c->misses, 1);
	/* A dual-stack socket's view of the same peer shares the entry. */
	mksa(&ss, "::ffff:127.0.0.1", 43);
	sk_addr_name((struct sockaddr *)&ss, 0, c, buf, sizeof(buf), SK_NOW);
	ck_assert_str_eq(buf, first);
	ck_assert_uint_eq(c->hits, 1);
	ck_assert_uint_eq(c->misses, 1);
	/* Short names stop at the first dot but never cut a numeric host. */
	first[n - 6] = '\0';
	if (inet_pton(AF_INET, first, &ss) != 1)
		first[strcspn(first, ".")] = '\0';
	strcat(first, ".whois");
	sk_addr_name((struct sockaddr *)&ss, SK_NAME_SHORT, c, buf, sizeof(buf),
	    SK_NEVER);
	ck_assert_str_eq(buf, first);
	sk_namecache_destroy(c);
	free(c);
}
END_TEST

START_TEST(name_answers_slow_ptr_numerically_and_does_not_wait_again)
{
	struct sk_namecache *c = malloc(sizeof(*c));
	struct sockaddr_storage ss;
	char buf[SK_HOSTLEN + SK_SERVLEN];
	int64_t t0, el;

	NEED_DNS();
	ck_assert_ptr_nonnull(c);
	sk_namecache_init(c);
	mksa(&ss, "198.18.0.3", 43);
	t0 = sk_now_ms();
	sk_addr_name((struct sockaddr *)&ss, 0, c, buf, sizeof(buf),
	    sk_deadline_in(200));
	el = elapsed(t0);
	ck_assert_str_eq(buf, "198.18.0.3.whois");
	ck_assert_msg(el >= 195 && el <= 300, "first took %lld ms", (long long)el);
	ck_assert_uint_eq(c->timeouts, 1);
	ck_assert_uint_eq(c->pending, 1);
	/* The next refresh finds the lookup still running: numeric, now. */
	t0 = sk_now_ms();
	sk_addr_name((struct sockaddr *)&ss, 0, c, buf, sizeof(buf),
	    sk_deadline_in(200));
	el = elapsed(t0);
	ck_assert_str_eq(buf, "198.18.0.3.whois");
	ck_assert_msg(el < 20, "second took %lld ms", (long long)el);
	ck_assert_uint_eq(c->hits, 1);
	ck_assert_uint_eq(c->timeouts, 1);
	/* Letting go of a running lookup is safe; its worker cleans up. */
	sk_namecache_destroy(c);
	ck_assert_uint_eq(c->pending, 0);
	free(c);
	usleep(2500 * 1000);
}
END_TEST

START_TEST(name_late_answer_fills_the_cache)
{
	struct sk_namecache *c = malloc(sizeof(*c));
	struct sockaddr_storage ss;
	char buf[SK_HOSTLEN + SK_SERVLEN];
	int i;

	NEED_DNS();
	ck_assert_ptr_nonnull(c);
	sk_namecache_init(c);
	mksa(&ss, "198.18.0.5", 43);
	sk_addr_name((struct sockaddr *)&ss, 0, c, buf, sizeof(buf),
	    sk_deadline_in(100));
	ck_assert_str_eq(buf, "198.18.0.5.whois");
	for (i = 0; i < 40 && atomic_load(&dns_late_sent) < 1; i++)
		usleep(50000);
	usleep(100000);
	sk_addr_name((struct sockaddr *)&ss, 0, c, buf, sizeof(buf), SK_NOW);
	ck_assert_str_eq(buf, "late.test.whois");
	ck_assert_uint_eq(c->late, 1);
	ck_assert_uint_eq(c->pending, 0);
	sk_namecache_destroy(c);
	free(c);
}
END_TEST

START_TEST(name_remembers_a_missing_ptr_for_a_while)
{
	struct sk_namecache *c = malloc(sizeof(*c));
	struct sockaddr_storage ss;
	char buf[SK_HOSTLEN + SK_SERVLEN];
	int q0;

	NEED_DNS();
	ck_assert_ptr_nonnull(c);
	sk_namecache_init(c);
	c->negative_ms = 300;
	mksa(&ss, "198.18.0.2", 25);
	q0 = atomic_load(&dns_queries);
	sk_addr_name((struct sockaddr *)&ss, 0, c, buf, sizeof(buf),
	    sk_deadline_in(2000));
	ck_assert_str_eq(buf, "198.18.0.2.smtp");
	ck_assert_int_eq(atomic_load(&dns_queries), q0 + 1);
	sk_addr_name((struct sockaddr *)&ss, 0, c, buf, sizeof(buf),
	    sk_deadline_in(2000));
	ck_assert_int_eq(atomic_load(&dns_queries), q0 + 1);
	ck_assert_uint_eq(c->hits, 1);
	usleep(350 * 1000);
	sk_addr_name((struct sockaddr *)&ss, 0, c, buf, sizeof(buf),
	    sk_deadline_in(2000));
	ck_assert_str_eq(buf, "198.18.0.2.smtp");
	ck_assert_int_eq(atomic_load(&dns_queries), q0 + 2);
	ck_assert_uint_eq(c->misses, 2);
	sk_namecache_destroy(c);
	free(c);
}
END_TEST

START_TEST(name_keeps_at_most_max_pending_lookups_running)
{
	struct sk_namecache *c = malloc(sizeof(*c));
	struct sockaddr_storage ss;
	char buf[SK_HOSTLEN + SK_SERVLEN];
	const char *addrs[] = { "198.18.1.3", "198.18.2.3", "198.18.3.3" };
	int i, before;

	NEED_DNS();
	ck_assert_ptr_nonnull(c);
	sk_namecache_init(c);
	c->max_pending = 2;
	before = atomic_load(&threads_started);
	/* A live view's first pass: nothing is waited for. */
	for (i = 0; i < NELEM(addrs); i++) {
		mksa(&ss, addrs[i], 43);
		sk_addr_name((struct sockaddr *)&ss, 0, c, buf, sizeof(buf),
		    SK_NOW);
		ck_assert_msg(strncmp(buf, addrs[i], strlen(addrs[i])) == 0,
		    "%d: %s", i, buf);
	}
	ck_assert_uint_eq(c->pending, 2);
	ck_assert_int_eq(atomic_load(&threads_started) - before, 2);
	sk_namecache_destroy(c);
	free(c);
}
END_TEST

Suite *
resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc;

	tc = tcase_create("forward");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, resolve_finds_loopback_and_wildcard, 0,
	    NELEM(resolve_cases));
	tcase_add_test(tc, resolve_names_unknown_service_before_host);
	tcase_add_test(tc, resolve_names_unknown_host);
	tcase_add_test(tc, resolve_rejects_bad_family);
	tcase_add_loop_test(tc, resolve_numeric_host_starts_no_thread, 0,
	    NELEM(thread_cases));
	tcase_add_test(tc, resolve_in_time_leaves_no_thread_behind);
	tcase_add_test(tc, resolve_with_no_time_left_takes_numbers_refuses_names);
	tcase_add_test(tc, reverse_rejects_non_inet_and_no_time_left);
	tcase_add_test(tc, name_looks_up_host_once_per_address);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixture");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, dns_setup, NULL);
	tcase_add_loop_test(tc, resolve_tells_notfound_nodata_and_tempfail_apart,
	    0, NELEM(kind_cases));
	tcase_add_loop_test(tc, resolve_gives_up_at_the_deadline_naming_the_host,
	    0, 2);
	tcase_add_test(tc, resolve_abandoned_lookup_frees_its_late_answer);
	tcase_add_loop_test(tc, reverse_tells_notfound_timeout_and_tempfail_apart,
	    0, NELEM(reverse_cases));
	tcase_add_test(tc, name_answers_slow_ptr_numerically_and_does_not_wait_again);
	tcase_add_test(tc, name_late_answer_fills_the_cache);
	tcase_add_test(tc, name_remembers_a_missing_ptr_for_a_while);
	tcase_add_test(tc, name_keeps_at_most_max_pending_lookups_running);
	suite_add_tcase(s, tc);
	return s;
}
