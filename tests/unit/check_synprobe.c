/*
 * The SYN probe engine (lib/synprobe.c) against real stacks: loopback,
 * and a target in a network namespace behind a veth with a listener, a
 * closed port, a port nftables rejects as admin-prohibited and one it
 * drops.  Both namespaces are private to the test process (unshare), so
 * nothing outlives it and no name or address can clash with another
 * test; the veth carries 198.18.43.0/24 and 2001:2:43::/64.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/synprobe.h"
#include "unit.h"

#define P_OPEN		4301
#define P_CLOSED	4302
#define P_PROHIB	4303
#define P_DROP		4304
#define ROUNDS		6	/* tries per port before giving up */

static const char target_setup[] =
    "ip link set lo up && "
    "ip addr add 198.18.43.2/24 dev sksyn1 && "
    "ip -6 addr add 2001:2:43::2/64 dev sksyn1 nodad && "
    "ip link set sksyn1 up && "
    "nft -f - <<EOF\n"
    "table inet sksyn {\n"
    "  chain input {\n"
    "    type filter hook input priority 0;\n"
    "    tcp dport 4303 reject with icmpx type admin-prohibited\n"
    "    tcp dport 4304 drop\n"
    "  }\n"
    "}\n"
    "EOF\n";

static const char scanner_setup[] =
    "ip link add sksyn0 type veth peer name sksyn1 netns %d && "
    "ip addr add 198.18.43.1/24 dev sksyn0 && "
    "ip -6 addr add 2001:2:43::1/64 dev sksyn0 nodad && "
    "ip link set sksyn0 up";

static pid_t target_pid = -1;
static int target_go = -1;

static int
can_run(const char *test)
{
	const char *fork_mode = getenv("CK_FORK");
	int n = (int)strlen(test);

	/* Check names the function <test>_fn. */
	if (n > 3 && strcmp(test + n - 3, "_fn") == 0)
		n -= 3;
	if (!ut_is_root()) {
		fprintf(stderr, "%.*s: skipped: needs root (raw socket, "
		    "packet capture, network namespaces)\n", n, test);
		return 0;
	}
	if (fork_mode != NULL && strcmp(fork_mode, "no") == 0) {
		fprintf(stderr, "%.*s: skipped: needs CK_FORK=yes (the test "
		    "moves its process into a private network namespace)\n",
		    n, test);
		return 0;
	}
	return 1;
}

/* Move this (forked) test process into a network namespace of its own
 * with loopback up. */
static void
private_netns(void)
{
	struct ifreq ifr;
	int fd;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

static int
listen_on(int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		len = sizeof(*s6);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The target: a child in a second private namespace joined to ours by
 * the veth sksyn0/sksyn1, listening on P_OPEN (v4 and v6), with the
 * nftables rules for P_PROHIB and P_DROP.  It lives until target_down()
 * closes its pipe (or this process dies).
 */
static void
target_up(void)
{
	char cmd[512], c;
	int go[2], ready[2];

	private_netns();
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	target_pid = fork();
	ck_assert_int_ge(target_pid, 0);
	if (target_pid == 0) {
		close(go[1]);
		close(ready[0]);
		if (unshare(CLONE_NEWNET) < 0 || write(ready[1], "u", 1) != 1)
			_exit(1);
		if (read(go[0], &c, 1) != 1 || system(target_setup) != 0)
			_exit(2);
		if (listen_on(AF_INET, "198.18.43.2", P_OPEN) < 0 ||
		    listen_on(AF_INET6, "2001:2:43::2", P_OPEN) < 0)
			_exit(3);
		if (write(ready[1], "r", 1) != 1)
			_exit(4);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	target_go = go[1];
	ck_assert_msg(read(ready[0], &c, 1) == 1, "target namespace failed");
	snprintf(cmd, sizeof(cmd), scanner_setup, (int)target_pid);
	ck_assert_msg(system(cmd) == 0, "veth setup failed: %s", cmd);
	ck_assert_int_eq(write(target_go, "g", 1), 1);
	ck_assert_msg(read(ready[0], &c, 1) == 1,
	    "target setup failed (ip, nft, listeners)");
	close(ready[0]);
}

static void
target_down(void)
{
	int st;

	if (target_pid <= 0)
		return;
	close(target_go);
	waitpid(target_pid, &st, 0);
	target_pid = -1;
}

static socklen_t
mkaddr(struct sockaddr_storage *ss, int family, const char *addr, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	return sizeof(*s6);
}

struct want {
	int port;
	int what;		/* enum sk_syn_what, or -1: no reply at all */
	int type, code;		/* for SK_SYN_ICMP */
	int got;		/* replies seen */
	int try;		/* try of the first */
};

/*
 * Probe every port in w at addr, up to ROUNDS tries each (the first SYNs
 * over a fresh veth can be lost to neighbour discovery), until each port
 * that should answer has; each reply must name the address, a port we
 * probed and a try we sent.  Ports that must stay silent are probed
 * every round and checked for a last 300 ms after the others answered.
 */
static void
probe_ports(int family, const char *addr, struct want *w, int n)
{
	struct sk_syn_reply r[16];
	struct sockaddr_storage dst;
	struct sk_syn_stats st;
	struct sk_syn *s;
	struct sk_err e;
	struct pollfd pfd;
	socklen_t len;
	int64_t t0 = sk_syn_now_us(), until;
	int round, i, j, k, left, extra = 0, answering = 0;

	s = sk_syn_open(family, (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL, &e);
	ck_assert_msg(s != NULL, "sk_syn_open: %s", e.msg);
	pfd.fd = sk_syn_fd(s);
	pfd.events = POLLIN;
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < n; i++) {
			if (w[i].got)
				continue;
			len = mkaddr(&dst, family, addr, w[i].port);
			ck_assert_msg(sk_syn_send(s, (struct sockaddr *)&dst, len,
			    (uint8_t)round, &e) == 0, "send: %s", e.msg);
		}
		until = sk_syn_now_us() + 1000000;
		while (sk_syn_now_us() < until) {
			poll(&pfd, 1, 50);
			k = sk_syn_recv(s, r, 16, &e);
			ck_assert_msg(k >= 0, "recv: %s", e.msg);
			for (j = 0; j < k; j++) {
				for (i = 0; i < n && w[i].port != r[j].port; i++)
					;
				ck_assert_msg(i < n, "reply for port %u, not "
				    "probed", r[j].port);
				ck_assert_int_eq(r[j].target.ss_family, family);
				ck_assert_msg(r[j].try <= round, "port %d: try %u "
				    "not sent yet", w[i].port, r[j].try);
				ck_assert(r[j].when_us <= sk_syn_now_us());
				ck_assert(r[j].when_us > t0 - 10000000);
				if (w[i].got++ == 0) {
					w[i].try = r[j].try;
					if (w[i].what != -1) {
						ck_assert_msg((int)r[j].what == w[i].what,
						    "port %d: reply %d, want %d",
						    w[i].port, r[j].what, w[i].what);
						if (w[i].what == SK_SYN_ICMP) {
							ck_assert_uint_eq(r[j].icmp_type, w[i].type);
							ck_assert_uint_eq(r[j].icmp_code, w[i].code);
						}
					}
				}
			}
			for (left = 0, i = 0; i < n; i++)
				left += w[i].what != -1 && !w[i].got;
			if (left == 0 && extra == 0) {
				/* Time for a reply the silent port must not send. */
				extra = 1;
				until = sk_syn_now_us() + 300000;
			}
		}
		if (extra)
			break;
	}
	/* The counters say where a missing reply went: never captured,
	 * dropped by the capture, or refused by the parser. */
	sk_syn_stats(s, &st);
	for (i = 0; i < n; i++) {
		answering += w[i].what != -1;
		if (w[i].what == -1)
			ck_assert_msg(w[i].got == 0, "port %d: %d replies, "
			    "want none (dropped)", w[i].port, w[i].got);
		else
			ck_assert_msg(w[i].got > 0, "port %d: no reply to %d "
			    "tries (sent %llu, captured %llu, accepted %llu, "
			    "forged %llu, pcap drops %llu)", w[i].port, ROUNDS,
			    (unsigned long long)st.sent,
			    (unsigned long long)st.captured,
			    (unsigned long long)st.accepted,
			    (unsigned long long)st.forged,
			    (unsigned long long)st.pcap_drop);
	}
	ck_assert_uint_ge(st.sent, (uint64_t)n);
	ck_assert_uint_ge(st.accepted, (uint64_t)answering);
	sk_syn_close(s);
}

START_TEST(syn_open_unprivileged_says_use_sT)
{
	struct sk_syn *s;
	struct sk_err e;
	pid_t pid;
	int st;

	if (!ut_is_root()) {
		s = sk_syn_open(AF_INET, 1, &e);
		ck_assert_ptr_null(s);
		ck_assert_str_eq(e.msg, "SYN scan needs root or CAP_NET_RAW; use -sT");
		ck_assert_int_eq(e.kind, SK_ERR_INPUT);
		return;
	}
	/* As root: the same from a child that gave up root (and with it
	 * every capability). */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(10);
		s = sk_syn_open(AF_INET6, 1, &e);
		if (s != NULL)
			_exit(11);
		if (strcmp(e.msg, "SYN scan needs root or CAP_NET_RAW; use -sT"))
			_exit(12);
		_exit(e.kind == SK_ERR_INPUT && e.code == EPERM ? 0 : 13);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "unprivileged child: status %#x (11 opened, 12 message, 13 kind)", st);
}
END_TEST

START_TEST(syn_open_refuses_other_families)
{
	struct sk_err e;

	ck_assert_ptr_null(sk_syn_open(AF_UNIX, 1, &e));
	ck_assert_int_eq(e.kind, SK_ERR_INPUT);
}
END_TEST

START_TEST(syn_send_refuses_an_address_of_the_other_family)
{
	struct sockaddr_storage dst;
	struct sk_syn *s;
	struct sk_err e;
	socklen_t len;

	if (!can_run(__func__))
		return;
	private_netns();
	s = sk_syn_open(AF_INET, 7, &e);
	ck_assert_msg(s != NULL, "sk_syn_open: %s", e.msg);
	len = mkaddr(&dst, AF_INET6, "::1", 80);
	ck_assert_int_eq(sk_syn_send(s, (struct sockaddr *)&dst, len, 0, &e), -1);
	ck_assert_int_eq(e.kind, SK_ERR_INPUT);
	len = mkaddr(&dst, AF_INET, "127.0.0.1", 80);
	ck_assert_int_eq(sk_syn_send(s, (struct sockaddr *)&dst, len - 1, 0, &e), -1);
	ck_assert_uint_ge(sk_syn_port_lo(s), 1024);
	sk_syn_close(s);
}
END_TEST

START_TEST(syn_loopback_open_and_closed)
{
	int fam = _i == 0 ? AF_INET : AF_INET6, lfd, cfd, port, closed;
	struct want w[2];

	if (!can_run(__func__))
		return;
	private_netns();
	lfd = ut_listener(fam, &port);
	cfd = ut_listener(fam, &closed);
	close(cfd);
	memset(w, 0, sizeof(w));
	w[0].port = port;
	w[0].what = SK_SYN_SYNACK;
	w[1].port = closed;
	w[1].what = SK_SYN_RST;
	probe_ports(fam, fam == AF_INET ? "127.0.0.1" : "::1", w, 2);
	close(lfd);
}
END_TEST

START_TEST(syn_netns_open_closed_prohibited_dropped)
{
	int fam = _i == 0 ? AF_INET : AF_INET6;
	struct want w[4];

	if (!can_run(__func__))
		return;
	target_up();
	memset(w, 0, sizeof(w));
	w[0].port = P_OPEN;
	w[0].what = SK_SYN_SYNACK;
	w[1].port = P_CLOSED;
	w[1].what = SK_SYN_RST;
	w[2].port = P_PROHIB;
	w[2].what = SK_SYN_ICMP;
	w[2].type = fam == AF_INET ? 3 : 1;	/* unreachable */
	w[2].code = fam == AF_INET ? 13 : 1;	/* administratively prohibited */
	w[3].port = P_DROP;
	w[3].what = -1;
	probe_ports(fam, fam == AF_INET ? "198.18.43.2" : "2001:2:43::2", w, 4);
	target_down();
}
END_TEST

/*
 * A full send buffer is a temporary failure the caller backs off from.
 * A token bucket on a veth holds every SYN (to a static neighbour, so
 * nothing waits for ARP) until the raw socket's buffer runs out.  Not
 * loopback: a SYN reaching a closed port there makes the kernel send a
 * RST from the one per-CPU reset socket that every namespace shares;
 * held in the bucket those RSTs would starve that socket, and stop
 * IPv4 resets host-wide, for minutes.  Here the peer drops the frames
 * (not its MAC address), and the bucket is deleted before the end so
 * the queued SYNs are freed at once.
 */
START_TEST(syn_send_into_a_full_queue_is_tempfail)
{
	struct sockaddr_storage dst;
	struct sk_syn_stats st;
	struct sk_syn *s;
	struct sk_err e;
	socklen_t len;
	int i, rc = 0;

	if (!can_run(__func__))
		return;
	private_netns();
	ck_assert_msg(system("ip link add sksynq0 type veth peer name sksynq1 && "
	    "ip link set sksynq0 up && ip link set sksynq1 up && "
	    "ip addr add 198.18.44.1/24 dev sksynq0 && "
	    "ip neigh add 198.18.44.2 lladdr 02:00:00:00:00:02 dev sksynq0 && "
	    "tc qdisc add dev sksynq0 root tbf rate 8kbit burst 1600 "
	    "limit 50000000") == 0, "veth and tbf setup failed");
	s = sk_syn_open(AF_INET, 9, &e);
	ck_assert_msg(s != NULL, "sk_syn_open: %s", e.msg);
	len = mkaddr(&dst, AF_INET, "198.18.44.2", P_CLOSED);
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = sk_syn_send(s, (struct sockaddr *)&dst, len, 0, &e);
	ck_assert_int_eq(system("tc qdisc del dev sksynq0 root"), 0);
	ck_assert_msg(rc == -1, "%d sends, none refused", i);
	ck_assert_msg(e.kind == SK_ERR_TEMPFAIL, "kind %d: %s", e.kind, e.msg);
	ck_assert_msg(e.code == EAGAIN || e.code == ENOBUFS, "%s", e.msg);
	ck_assert_msg(strncmp(e.msg, "send SYN to 198.18.44.2:4302: ", 30) == 0,
	    "%s", e.msg);
	sk_syn_stats(s, &st);
	ck_assert_msg(st.tempfail == 1, "tempfail %llu: %s",
	    (unsigned long long)st.tempfail, e.msg);
	ck_assert_uint_eq(st.sent, (uint64_t)i - 1);
	sk_syn_close(s);
}
END_TEST

Suite *
synprobe_suite(void)
{
	Suite *s = suite_create("synprobe");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, syn_open_unprivileged_says_use_sT);
	tcase_add_test(tc, syn_open_refuses_other_families);
	tcase_add_test(tc, syn_send_refuses_an_address_of_the_other_family);
	tcase_add_test(tc, syn_send_into_a_full_queue_is_tempfail);
	tcase_add_loop_test(tc, syn_loopback_open_and_closed, 0, 2);
	tcase_add_loop_test(tc, syn_netns_open_closed_prohibited_dropped, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
