#include <errno.h>
#include <time.h>		/* struct timespec, for linux/errqueue.h */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/loop.h"
#include "unit.h"

static socklen_t
loopback4(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*sin);
}

static socklen_t
loopback4_at(struct sockaddr_in *sin, const char *addr, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, addr, &sin->sin_addr);
	return sizeof(*sin);
}

/* Wait up to ms for fd to be writable; the poll result. */
static int
wait_out(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, ms);
}

START_TEST(connect_start_then_finish_connects)
{
	struct sk_err e;
	struct sk_icmp_reason why;
	struct sockaddr_in sin;
	socklen_t len;
	int port, lfd = ut_listener(AF_INET, &port), fd, a, rc;

	len = loopback4(&sin, port);
	fd = sk_connect_start((struct sockaddr *)&sin, len, SOCK_STREAM, 0,
	    NULL, NULL, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(wait_out(fd, 5000), 1);
	rc = sk_connect_finish(fd, (struct sockaddr *)&sin, len, &why, &e);
	ck_assert_msg(rc == 0, "finish %d: %s", rc, e.msg);
	ck_assert_int_eq(why.origin, 0);
	ck_assert_int_eq(sk_connect_is_self(fd), 0);
	a = accept(lfd, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(write(fd, "hi", 2), 2);
	close(a);
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(connect_finish_reports_refused_in_the_suite_address_form)
{
	struct sk_err e;
	struct sk_icmp_reason why;
	struct sockaddr_in sin;
	socklen_t len;
	char want[64];
	int port = ut_closed_port(), fd;

	len = loopback4(&sin, port);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%d: Connection "
	    "refused", port);
	fd = sk_connect_start((struct sockaddr *)&sin, len, SOCK_STREAM,
	    SK_CS_RECVERR, NULL, NULL, &e);
	if (fd >= 0) {
		ck_assert_int_eq(wait_out(fd, 5000), 1);
		ck_assert_int_eq(sk_connect_finish(fd, (struct sockaddr *)&sin,
		    len, &why, &e), -1);
		/* A RST, not an ICMP error: nothing in the queue. */
		ck_assert_int_eq(why.origin, 0);
		ck_assert_str_eq(sk_icmp_reason_str(&why), "");
		close(fd);
	}
	ck_assert_int_eq(e.kind, SK_ERR_REFUSED);
	ck_assert_int_eq(e.code, ECONNREFUSED);
	ck_assert_str_eq(e.msg, want);
}
END_TEST

START_TEST(connect_finish_says_in_progress_on_a_spurious_wakeup)
{
	struct sk_err e;
	struct sockaddr_in sin;
	socklen_t len;
	int port, filler, bh = ut_blackhole(&port, &filler), fd;

	len = loopback4(&sin, port);
	fd = sk_connect_start((struct sockaddr *)&sin, len, SOCK_STREAM, 0,
	    NULL, NULL, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	/* Asked before the SYN was answered (it never is): keep waiting. */
	ck_assert_int_eq(sk_connect_finish(fd, (struct sockaddr *)&sin, len,
	    NULL, &e), 1);
	ck_assert_int_eq(wait_out(fd, 100), 0);
	ck_assert_int_eq(sk_connect_finish(fd, NULL, 0, NULL, &e), 1);
	close(fd);
	close(filler);
	close(bh);
}
END_TEST

START_TEST(connect_finish_after_the_error_was_taken_is_a_failure)
{
	struct sk_err e;
	struct sockaddr_in sin;
	socklen_t len, sl;
	int port = ut_closed_port(), fd, soerr;

	len = loopback4(&sin, port);
	fd = sk_connect_start((struct sockaddr *)&sin, len, SOCK_STREAM, 0,
	    NULL, NULL, &e);
	if (fd == -1)
		return;	/* refused at once: nothing to harvest */
	ck_assert_int_eq(wait_out(fd, 5000), 1);
	sl = sizeof(soerr);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl), 0);
	ck_assert_int_eq(soerr, ECONNREFUSED);
	/* The socket is dead, not connecting: never "in progress" forever. */
	ck_assert_int_eq(sk_connect_finish(fd, NULL, 0, NULL, &e), -1);
	ck_assert_int_eq(e.kind, SK_ERR_NETWORK);
	ck_assert_msg(strncmp(e.msg, "connect to ?: ", 14) == 0, "%s", e.msg);
	close(fd);
}
END_TEST

struct hookrec {
	int calls, fd, dport, fail, fill, sport;
};

static int
hook(int fd, const struct sockaddr *dst, socklen_t dstlen, void *arg,
    struct sk_err *e)
{
	struct hookrec *h = arg;
	struct sockaddr_in src;

	h->calls++;
	h->fd = fd;
	h->dport = sk_addr_port(dst);
	ck_assert_int_eq(dstlen, sizeof(struct sockaddr_in));
	if (h->fail)
		return h->fill ? sk_err_set(e, EPERM, "no source for you") : -1;
	loopback4(&src, h->sport);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1)
		return sk_err_sys(e, "bind");
	return 0;
}

START_TEST(connect_start_runs_the_hook_before_connect)
{
	struct sk_err e;
	struct hookrec h = { 0 };
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	socklen_t len, sl = sizeof(ss);
	int port, lfd = ut_listener(AF_INET, &port), fd;

	h.sport = ut_closed_port();
	len = loopback4(&sin, port);
	fd = sk_connect_start((struct sockaddr *)&sin, len, SOCK_STREAM, 0,
	    hook, &h, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	ck_assert_int_eq(h.calls, 1);
	ck_assert_int_eq(h.fd, fd);
	ck_assert_int_eq(h.dport, port);
	ck_assert_int_eq(wait_out(fd, 5000), 1);
	ck_assert_int_eq(sk_connect_finish(fd, NULL, 0, NULL, &e), 0);
	/* The bind in the hook happened before connect(2) chose a port. */
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	ck_assert_int_eq(sk_addr_port((struct sockaddr *)&ss), h.sport);
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(connect_start_hook_failure_abandons_and_closes)
{
	struct sk_err e;
	struct hookrec h = { .fail = 1, .fill = 1 };
	struct sockaddr_in sin;
	socklen_t len;
	int port, lfd = ut_listener(AF_INET, &port);

	len = loopback4(&sin, port);
	ck_assert_int_eq(sk_connect_start((struct sockaddr *)&sin, len,
	    SOCK_STREAM, 0, hook, &h, &e), -1);
	ck_assert_int_eq(h.calls, 1);
	ck_assert_str_eq(e.msg, "no source for you");
	ck_assert_int_eq(e.code, EPERM);
	ck_assert_int_eq(fcntl(h.fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	/* A hook that says nothing still gets a message naming the target. */
	h.fill = 0;
	ck_assert_int_eq(sk_connect_start((struct sockaddr *)&sin, len,
	    SOCK_STREAM, 0, hook, &h, &e), -1);
	ck_assert_int_eq(h.calls, 2);
	ck_assert_int_eq(fcntl(h.fd, F_GETFD), -1);
	ck_assert_msg(strstr(e.msg, "127.0.0.1:") != NULL, "%s", e.msg);
	ck_assert_int_ne(e.kind, SK_ERR_NONE);
	close(lfd);
}
END_TEST

START_TEST(connect_start_sets_the_flagged_options)
{
	struct sk_err e;
	struct sockaddr_in sin;
	struct linger l;
	socklen_t len, sl;
	int port, lfd = ut_listener(AF_INET, &port), fd, v;

	len = loopback4(&sin, port);
	fd = sk_connect_start((struct sockaddr *)&sin, len, SOCK_STREAM,
	    SK_CS_RECVERR | SK_CS_RST | SK_CS_NODELAY, NULL, NULL, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	sl = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_IP, IP_RECVERR, &v, &sl), 0);
	ck_assert_int_eq(v, 1);
	sl = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &sl), 0);
	ck_assert_int_eq(v, 1);
	sl = sizeof(l);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &sl), 0);
	ck_assert_int_eq(l.l_onoff, 1);
	ck_assert_int_eq(l.l_linger, 0);
	close(fd);
	/* Without flags, none of them. */
	fd = sk_connect_start((struct sockaddr *)&sin, len, SOCK_STREAM, 0,
	    NULL, NULL, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	sl = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_IP, IP_RECVERR, &v, &sl), 0);
	ck_assert_int_eq(v, 0);
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(connect_start_bad_address_leaves_no_fd)
{
	struct sk_err e;
	struct sockaddr_in sin;
	int before, after;

	ck_assert_int_eq(sk_connect_start(NULL, 0, SOCK_STREAM, 0, NULL, NULL,
	    &e), -1);
	ck_assert_int_eq(e.kind, SK_ERR_INPUT);
	loopback4(&sin, 9);
	before = dup(0);
	close(before);
	/* Too short for AF_INET: connect(2) says EINVAL at once. */
	ck_assert_int_eq(sk_connect_start((struct sockaddr *)&sin, 4,
	    SOCK_STREAM, 0, NULL, NULL, &e), -1);
	ck_assert_int_eq(e.kind, SK_ERR_INPUT);
	ck_assert_int_eq(e.code, EINVAL);
	after = dup(0);
	close(after);
	ck_assert_int_eq(after, before);
}
END_TEST

START_TEST(connect_is_self_only_for_a_self_connected_socket)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int port, lfd = ut_listener(AF_INET, &port), a, b, fd, i;

	/* A normal pair, both ends: not self. */
	b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	loopback4(&sin, port);
	ck_assert_int_eq(connect(b, (struct sockaddr *)&sin, sizeof(sin)), 0);
	a = accept(lfd, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(sk_connect_is_self(a), 0);
	ck_assert_int_eq(sk_connect_is_self(b), 0);
	ck_assert_int_eq(sk_connect_is_self(lfd), 0);
	close(a);
	close(b);
	close(lfd);
	/* A socket bound to the port it connects to meets itself
	 * (TCP simultaneous open): the case a scanner must not call open. */
	for (i = 0; i < 5; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		loopback4(&sin, 0);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
		ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			break;
		close(fd);
	}
	ck_assert_int_lt(i, 5);
	ck_assert_int_eq(sk_connect_is_self(fd), 1);
	close(fd);
}
END_TEST

static const struct {
	int origin, type, code;
	const char *word;
} words[] = {
	{ SO_EE_ORIGIN_ICMP, 3, 0, "net-unreach" },
	{ SO_EE_ORIGIN_ICMP, 3, 1, "host-unreach" },
	{ SO_EE_ORIGIN_ICMP, 3, 2, "proto-unreach" },
	{ SO_EE_ORIGIN_ICMP, 3, 3, "port-unreach" },
	{ SO_EE_ORIGIN_ICMP, 3, 5, "dest-unreach" },
	{ SO_EE_ORIGIN_ICMP, 3, 9, "net-prohibited" },
	{ SO_EE_ORIGIN_ICMP, 3, 10, "host-prohibited" },
	{ SO_EE_ORIGIN_ICMP, 3, 13, "admin-prohibited" },
	{ SO_EE_ORIGIN_ICMP, 4, 0, "source-quench" },
	{ SO_EE_ORIGIN_ICMP, 11, 0, "time-exceeded" },
	{ SO_EE_ORIGIN_ICMP, 42, 0, "unknown-response" },
	{ SO_EE_ORIGIN_ICMP6, 1, 0, "no-route" },
	{ SO_EE_ORIGIN_ICMP6, 1, 1, "admin-prohibited" },
	{ SO_EE_ORIGIN_ICMP6, 1, 2, "beyond-scope" },
	{ SO_EE_ORIGIN_ICMP6, 1, 3, "host-unreach" },
	{ SO_EE_ORIGIN_ICMP6, 1, 4, "port-unreach" },
	{ SO_EE_ORIGIN_ICMP6, 1, 5, "admin-prohibited" },
	{ SO_EE_ORIGIN_ICMP6, 1, 6, "reject-route" },
	{ SO_EE_ORIGIN_ICMP6, 3, 0, "time-exceeded" },
	{ SO_EE_ORIGIN_ICMP6, 4, 0, "param-problem" },
	{ SO_EE_ORIGIN_LOCAL, 0, 0, "unknown-response" },
	{ 0, 3, 13, "" },
};

START_TEST(icmp_reason_str_uses_nmap_words)
{
	struct sk_icmp_reason why;

	memset(&why, 0, sizeof(why));
	why.origin = words[_i].origin;
	why.type = words[_i].type;
	why.code = words[_i].code;
	ck_assert_msg(strcmp(sk_icmp_reason_str(&why), words[_i].word) == 0,
	    "case %d: %d/%d/%d gave \"%s\", want \"%s\"", _i, why.origin,
	    why.type, why.code, sk_icmp_reason_str(&why), words[_i].word);
	ck_assert_str_eq(sk_icmp_reason_str(NULL), "");
}
END_TEST

START_TEST(connect_order_alternates_families_from_the_first)
{
	const char *hp[] = { "::1 1", "::1 2", "127.0.0.1 3", "127.0.0.1 4",
	    "127.0.0.1 5" };
	static const int want_any[] = { 1, 3, 2, 4, 5 };
	static const int want_v4[] = { 3, 4, 5 };
	const struct addrinfo *out[8];
	struct addrinfo *ai = ut_ai_list(hp, 5), unixai;
	size_t n, i;

	n = sk_connect_order(ai, AF_UNSPEC, out, 8);
	ck_assert_uint_eq(n, 5);
	for (i = 0; i < n; i++)
		ck_assert_msg(sk_addr_port(out[i]->ai_addr) == want_any[i],
		    "position %zu: port %d", i, sk_addr_port(out[i]->ai_addr));
	n = sk_connect_order(ai, AF_INET, out, 8);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(sk_addr_port(out[i]->ai_addr), want_v4[i]);
	/* Counting only, then a short array: the count is the whole. */
	ck_assert_uint_eq(sk_connect_order(ai, AF_UNSPEC, NULL, 0), 5);
	out[2] = NULL;
	ck_assert_uint_eq(sk_connect_order(ai, AF_UNSPEC, out, 2), 5);
	ck_assert_int_eq(sk_addr_port(out[1]->ai_addr), 3);
	ck_assert_ptr_null(out[2]);
	ck_assert_uint_eq(sk_connect_order(ai, AF_UNIX, out, 8), 0);
	/* Other families are left out, even in first place. */
	memset(&unixai, 0, sizeof(unixai));
	unixai.ai_family = AF_UNIX;
	unixai.ai_next = ai;
	n = sk_connect_order(&unixai, AF_UNSPEC, out, 8);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(sk_addr_port(out[0]->ai_addr), 1);
	ck_assert_uint_eq(sk_connect_order(NULL, AF_UNSPEC, out, 8), 0);
	ut_ai_free(ai);
}
END_TEST

/*
 * A target behind a veth, in network namespaces private to the (forked)
 * test process, so nothing outlives the test and no name or address can
 * clash with another test: this side 198.18.47.1 and 2001:2:47::1, the
 * target .2 and ::2, whose nftables answers port NS_PROHIB with ICMP
 * admin-prohibited and drops port NS_DROP.  Nothing listens on
 * NS_CLOSED, so the target's TCP resets it.
 */
#define NS_CLOSED	4700
#define NS_PROHIB	4701
#define NS_DROP		4702

static const char ns_target_setup[] =
    "ip link set lo up && "
    "ip addr add 198.18.47.2/24 dev skcs1 && "
    "ip -6 addr add 2001:2:47::2/64 dev skcs1 nodad && "
    "ip link set skcs1 up && "
    "nft -f - <<EOF\n"
    "table inet skconnstart {\n"
    "  chain input {\n"
    "    type filter hook input priority 0;\n"
    "    tcp dport 4701 reject with icmpx type admin-prohibited\n"
    "    tcp dport 4702 drop\n"
    "  }\n"
    "}\n"
    "EOF\n";

static const char ns_local_setup[] =
    "ip link set lo up && "
    "ip link add skcs0 type veth peer name skcs1 netns %d && "
    "ip addr add 198.18.47.1/24 dev skcs0 && "
    "ip -6 addr add 2001:2:47::1/64 dev skcs0 nodad && "
    "ip link set skcs0 up";

static int
ns_can_run(const char *test)
{
	const char *fork_mode = getenv("CK_FORK");

	if (!ut_is_root()) {
		fprintf(stderr, "%s: skipped: needs root (network namespaces, "
		    "nftables)\n", test);
		return 0;
	}
	if (fork_mode != NULL && strcmp(fork_mode, "no") == 0) {
		fprintf(stderr, "%s: skipped: needs CK_FORK=yes (the test moves "
		    "its process into a network namespace of its own)\n", test);
		return 0;
	}
	return 1;
}

/* Build the fixture.  The target is a child process in a namespace of
 * its own; it lives until this process (the test) exits and its end of
 * the pipe closes. */
static void
ns_up(void)
{
	int ready[2], go[2];
	char c = 0, cmd[512];
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (unshare(CLONE_NEWNET) == -1)
			_exit(1);
		c = 'r';
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		c = system(ns_target_setup) == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(c, 'r');
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	snprintf(cmd, sizeof(cmd), ns_local_setup, (int)pid);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_msg(c == 'y', "target namespace setup failed");
	close(ready[0]);
	/* go[1] stays open: the target waits on it until we exit. */
}

static socklen_t
ns_target(struct sockaddr_storage *ss, int family, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		inet_pton(AF_INET6, "2001:2:47::2", &s6->sin6_addr);
		return sizeof(*s6);
	}
	return loopback4_at((struct sockaddr_in *)ss, "198.18.47.2", port);
}

/* Start a connect to the target and wait for it to end (or ms to pass):
 * sk_connect_finish()'s result. */
static int
ns_connect(int family, int port, int ms, struct sk_icmp_reason *why,
    struct sk_err *e)
{
	struct sockaddr_storage ss;
	socklen_t len = ns_target(&ss, family, port);
	int fd, rc;

	fd = sk_connect_start((struct sockaddr *)&ss, len, SOCK_STREAM,
	    SK_CS_RECVERR, NULL, NULL, e);
	ck_assert_msg(fd >= 0, "%s", e->msg);
	wait_out(fd, ms);
	rc = sk_connect_finish(fd, (struct sockaddr *)&ss, len, why, e);
	close(fd);
	return rc;
}

START_TEST(connect_finish_reports_icmp_admin_prohibited_with_type_and_sender)
{
	/* The kernel turns ICMP's admin-prohibited into EHOSTUNREACH and
	 * ICMPv6's into EACCES; either way the network refused. */
	static const struct {
		int family, errno_, origin, type, code;
		const char *from, *port;
	} c[] = {
		{ AF_INET, EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 3, 13, "198.18.47.2",
		    "198.18.47.2:4701" },
		{ AF_INET6, EACCES, SO_EE_ORIGIN_ICMP6, 1, 1, "2001:2:47::2",
		    "[2001:2:47::2]:4701" },
	};
	struct sk_icmp_reason why;
	struct sk_err e;
	char from[SK_ADDRSTRLEN], want[128];

	if (!ns_can_run(__func__))
		return;
	ns_up();
	/* The path works: a closed port is reset, with nothing queued. */
	ck_assert_int_eq(ns_connect(c[_i].family, NS_CLOSED, 5000, &why, &e),
	    -1);
	ck_assert_msg(e.kind == SK_ERR_REFUSED, "%s", e.msg);
	ck_assert_int_eq(why.origin, 0);
	ck_assert_int_eq(ns_connect(c[_i].family, NS_PROHIB, 5000, &why, &e),
	    -1);
	ck_assert_int_eq(e.code, c[_i].errno_);
	ck_assert_int_eq(e.kind, SK_ERR_NETWORK);
	ck_assert_int_eq(why.origin, c[_i].origin);
	ck_assert_int_eq(why.type, c[_i].type);
	ck_assert_int_eq(why.code, c[_i].code);
	ck_assert_str_eq(sk_icmp_reason_str(&why), "admin-prohibited");
	ck_assert_int_ne(why.fromlen, 0);
	ck_assert_str_eq(sk_addr_ntop((struct sockaddr *)&why.from, from,
	    sizeof(from)), c[_i].from);
	snprintf(want, sizeof(want), "connect to %s: %s (admin-prohibited "
	    "from %s)", c[_i].port, strerror(c[_i].errno_), c[_i].from);
	ck_assert_str_eq(e.msg, want);
}
END_TEST

START_TEST(connect_to_a_dropped_port_stays_in_progress_until_the_deadline)
{
	struct sk_icmp_reason why;
	struct sk_err e;
	struct sk_connect_opts o = SK_CONNECT_OPTS_INIT;
	int64_t t0, el;

	if (!ns_can_run(__func__))
		return;
	ns_up();
	/* No answer at all: the caller's deadline is the only end. */
	ck_assert_int_eq(ns_connect(AF_INET, NS_DROP, 300, &why, &e), 1);
	t0 = sk_now_ms();
	o.deadline = sk_deadline_in(400);
	ck_assert_int_eq(sk_tcpopen("198.18.47.2", "4702", &o, &e), -1);
	el = sk_now_ms() - t0;
	ck_assert_int_eq(e.kind, SK_ERR_TIMEOUT);
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_msg(strstr(e.msg, "connect to 198.18.47.2:4702: timed out")
	    == e.msg, "%s", e.msg);
	ck_assert_msg(el >= 350, "gave up after %lld ms", (long long)el);
}
END_TEST

START_TEST(tcpopen_fails_fast_on_admin_prohibited)
{
	struct sk_err e;
	struct sk_connect_opts o = SK_CONNECT_OPTS_INIT;

	if (!ns_can_run(__func__))
		return;
	ns_up();
	/* The ICMP error ends the attempt; the deadline is not waited for
	 * (it is long enough that this cannot pass by timing out). */
	o.deadline = sk_deadline_in(60000);
	ck_assert_int_eq(sk_tcpopen("198.18.47.2", "4701", &o, &e), -1);
	ck_assert_int_eq(e.kind, SK_ERR_NETWORK);
	ck_assert_int_eq(e.code, EHOSTUNREACH);
	ck_assert_str_eq(e.msg, "connect to 198.18.47.2:4701: No route to host");
}
END_TEST

/* Many connects in flight on one sk_loop, the way a scanner runs them. */
#define NLOOP 300

struct many {
	struct sockaddr_in sin;
	int lfd, done, ok, accepted;
};

static void
on_accept(struct sk_loop *l, int fd, int events, void *arg)
{
	struct many *m = arg;
	int a;

	(void)l;
	(void)events;
	while ((a = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		m->accepted++;
		close(a);
	}
}

static void
on_writable(struct sk_loop *l, int fd, int events, void *arg)
{
	struct many *m = arg;
	struct sk_err e;
	int rc;

	(void)events;
	rc = sk_connect_finish(fd, (struct sockaddr *)&m->sin,
	    sizeof(m->sin), NULL, &e);
	if (rc == 1)
		return;
	if (rc == 0)
		m->ok++;
	sk_loop_unwatch(l, fd);
	close(fd);
	if (++m->done == NLOOP) {
		sk_loop_unwatch(l, m->lfd);
		sk_loop_stop(l);
	}
}

START_TEST(connect_start_runs_many_on_one_loop)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(NLOOP + 1, &e);
	struct many m = { .done = 0 };
	int port, i, fd;

	ck_assert_ptr_nonnull(l);
	m.lfd = ut_listener(AF_INET, &port);
	ck_assert_int_eq(fcntl(m.lfd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(listen(m.lfd, NLOOP), 0);
	loopback4(&m.sin, port);
	ck_assert_int_eq(sk_loop_watch(l, m.lfd, SK_READ, on_accept, &m, &e), 0);
	for (i = 0; i < NLOOP; i++) {
		fd = sk_connect_start((struct sockaddr *)&m.sin, sizeof(m.sin),
		    SOCK_STREAM, SK_CS_RST, NULL, NULL, &e);
		ck_assert_msg(fd >= 0, "connect %d: %s", i, e.msg);
		ck_assert_int_eq(sk_loop_watch(l, fd, SK_WRITE, on_writable, &m,
		    &e), 0);
	}
	ck_assert_int_eq(sk_loop_run(l, &e), 0);
	ck_assert_int_eq(m.done, NLOOP);
	ck_assert_int_eq(m.ok, NLOOP);
	sk_loop_free(l);
	close(m.lfd);
}
END_TEST

Suite *
connstart_suite(void)
{
	Suite *s = suite_create("connstart");
	TCase *tc = tcase_create("start-finish");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, connect_start_then_finish_connects);
	tcase_add_test(tc, connect_finish_reports_refused_in_the_suite_address_form);
	tcase_add_test(tc, connect_finish_says_in_progress_on_a_spurious_wakeup);
	tcase_add_test(tc, connect_finish_after_the_error_was_taken_is_a_failure);
	tcase_add_test(tc, connect_start_runs_the_hook_before_connect);
	tcase_add_test(tc, connect_start_hook_failure_abandons_and_closes);
	tcase_add_test(tc, connect_start_sets_the_flagged_options);
	tcase_add_test(tc, connect_start_bad_address_leaves_no_fd);
	tcase_add_test(tc, connect_is_self_only_for_a_self_connected_socket);
	tcase_add_test(tc, connect_start_runs_many_on_one_loop);
	suite_add_tcase(s, tc);
	tc = tcase_create("netns");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc,
	    connect_finish_reports_icmp_admin_prohibited_with_type_and_sender,
	    0, 2);
	tcase_add_test(tc,
	    connect_to_a_dropped_port_stays_in_progress_until_the_deadline);
	tcase_add_test(tc, tcpopen_fails_fast_on_admin_prohibited);
	suite_add_tcase(s, tc);
	tc = tcase_create("words-order");
	tcase_add_loop_test(tc, icmp_reason_str_uses_nmap_words, 0,
	    (int)(sizeof(words) / sizeof(words[0])));
	tcase_add_test(tc, connect_order_alternates_families_from_the_first);
	suite_add_tcase(s, tc);
	return s;
}
