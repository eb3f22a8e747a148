#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockkit/connect.h"
#include "sockkit/err.h"
#include "sockkit/fd.h"
#include "sockkit/listen.h"
#include "unit.h"

START_TEST(listen_wildcard_is_dual_stack)
{
	struct sk_err e;
	struct sk_peer p;
	char svc[16];
	int lfd = sk_listen(NULL, "0", 8, &e), port, fd;

	ck_assert_msg(lfd >= 0, "%s", e.msg);
	port = sk_local_port(lfd, &e);
	ck_assert_int_gt(port, 0);
	ck_assert_int_eq(sk_peer(lfd, &p, &e), 0);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert(p.listening);
	snprintf(svc, sizeof(svc), "%d", port);
	fd = sk_tcpopen("127.0.0.1", svc, NULL, &e);
	ck_assert_msg(fd >= 0, "v4: %s", e.msg);
	close(fd);
	fd = sk_tcpopen("::1", svc, NULL, &e);
	ck_assert_msg(fd >= 0, "v6: %s", e.msg);
	close(fd);
	close(lfd);
}
END_TEST

/* -4 / -6 listeners: the other family's clients are refused. */
START_TEST(listen_af_wildcard_takes_one_family_only)
{
	static const struct { int family; const char *yes, *no; } t[] = {
		{ AF_INET, "127.0.0.1", "::1" },
		{ AF_INET6, "::1", "127.0.0.1" },
	};
	struct sk_err e;
	char svc[16];
	int i, lfd, fd;

	for (i = 0; i < 2; i++) {
		lfd = sk_listen_af(NULL, "0", t[i].family, 8, &e);
		ck_assert_msg(lfd >= 0, "%d: %s", i, e.msg);
		snprintf(svc, sizeof(svc), "%d", sk_local_port(lfd, &e));
		fd = sk_tcpopen(t[i].yes, svc, NULL, &e);
		ck_assert_msg(fd >= 0, "%d: %s: %s", i, t[i].yes, e.msg);
		close(fd);
		ck_assert_msg(sk_tcpopen(t[i].no, svc, NULL, &e) == -1,
		    "%d: %s connected", i, t[i].no);
		ck_assert_int_eq(e.code, ECONNREFUSED);
		close(lfd);
	}
	ck_assert_int_eq(sk_listen_af(NULL, "0", AF_UNIX, 8, &e), -1);
	ck_assert_int_eq(e.code, EAFNOSUPPORT);
}
END_TEST

START_TEST(listen_udp_binds_a_datagram_socket)
{
	struct sk_err e;
	struct sk_peer p;
	char svc[16], buf[8];
	int lfd = sk_listen_udp("127.0.0.1", "0", AF_UNSPEC, &e), fd;

	ck_assert_msg(lfd >= 0, "%s", e.msg);
	ck_assert_int_eq(sk_peer(lfd, &p, &e), 0);
	ck_assert_int_eq(p.socktype, SOCK_DGRAM);
	snprintf(svc, sizeof(svc), "%d", sk_local_port(lfd, &e));
	fd = sk_udpopen("127.0.0.1", svc, NULL, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	ck_assert_int_eq(send(fd, "hi", 2, 0), 2);
	ck_assert_int_eq(recv(lfd, buf, sizeof(buf), 0), 2);
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(listen_port_in_use_names_address_and_port)
{
	struct sk_err e;
	char svc[16], want[96];
	int port, a = ut_listener(AF_INET, &port);

	snprintf(svc, sizeof(svc), "%d", port);
	ck_assert_int_eq(sk_listen("127.0.0.1", svc, 8, &e), -1);
	ck_assert_int_eq(e.code, EADDRINUSE);
	snprintf(want, sizeof(want), "bind 127.0.0.1:%d: Address already in use",
	    port);
	ck_assert_str_eq(e.msg, want);
	close(a);
}
END_TEST

START_TEST(listen_reuseport_shares_the_port_but_a_plain_listener_is_refused)
{
	struct sk_err e;
	char svc[16];
	int a, b, c[32], i, got_a = 0, got_b = 0, fd;

	a = sk_listen_reuseport("127.0.0.1", "0", AF_INET, 64, &e);
	ck_assert_msg(a >= 0, "%s", e.msg);
	snprintf(svc, sizeof(svc), "%d", sk_local_port(a, NULL));
	b = sk_listen_reuseport("127.0.0.1", svc, AF_INET, 64, &e);
	ck_assert_msg(b >= 0, "second listener on port %s: %s", svc, e.msg);
	ck_assert_int_eq(sk_listen("127.0.0.1", svc, 8, &e), -1);
	ck_assert_int_eq(e.code, EADDRINUSE);
	/* 32 connections over two listeners: all on one has odds 2^-31. */
	for (i = 0; i < 32; i++) {
		c[i] = sk_tcpopen("127.0.0.1", svc, NULL, &e);
		ck_assert_msg(c[i] >= 0, "connection %d: %s", i, e.msg);
	}
	sk_fd_nonblock(a, 1, NULL);
	sk_fd_nonblock(b, 1, NULL);
	while ((fd = accept(a, NULL, NULL)) >= 0) {
		got_a++;
		close(fd);
	}
	while ((fd = accept(b, NULL, NULL)) >= 0) {
		got_b++;
		close(fd);
	}
	ck_assert_int_eq(got_a + got_b, 32);
	ck_assert_msg(got_a > 0 && got_b > 0, "one listener took all: %d, %d",
	    got_a, got_b);
	for (i = 0; i < 32; i++)
		close(c[i]);
	close(a);
	close(b);
}
END_TEST

START_TEST(listen_unix_replaces_only_stale_socket_files)
{
	struct sk_err e;
	char path[64];
	int a, b;

	snprintf(path, sizeof(path), "/tmp/sk-unit-l%d.sock", (int)getpid());
	unlink(path);
	a = sk_listen_unix(path, 4, &e);
	ck_assert_msg(a >= 0, "%s", e.msg);
	ck_assert_int_eq(sk_listen_unix(path, 4, &e), -1);
	ck_assert_int_eq(e.code, EADDRINUSE);
	close(a);
	b = sk_listen_unix(path, 4, &e);
	ck_assert_msg(b >= 0, "stale: %s", e.msg);
	close(b);
	unlink(path);
	/* A regular file in the way is never deleted. */
	close(open(path, O_CREAT | O_WRONLY, 0600));
	ck_assert_int_eq(sk_listen_unix(path, 4, &e), -1);
	ck_assert_int_eq(access(path, F_OK), 0);
	unlink(path);
}
END_TEST

/* No ck_assert here: it talks to Check over a pipe that may be fd 3. */
static int
setup_fds(int n)
{
	int i, s;

	close(3);
	close(4);
	for (i = 0; i < n; i++) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (s == -1)
			return -1;
		if (s != 3 + i) {
			if (dup2(s, 3 + i) != 3 + i)
				return -1;
			close(s);
		}
	}
	return 0;
}

/* Runs in a child: fds 3 and 4 may be Check's own pipes in the test
 * process.  Exit status 0 means every expectation held. */
static int
listen_fds_child(void)
{
	struct sk_err e;
	struct sk_listen_fd lf[4];
	char pid[16];

	if (setup_fds(2) == -1)
		return 6;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "2", 1);
	setenv("LISTEN_FDNAMES", "whois:admin", 1);
	if (sk_listen_fds(1, lf, 4, &e) != 2)
		return 1;
	if (lf[0].fd != 3 || lf[1].fd != 4)
		return 2;
	if (strcmp(lf[0].name, "whois") != 0 || strcmp(lf[1].name, "admin") != 0)
		return 3;
	if (!(fcntl(3, F_GETFD) & FD_CLOEXEC))
		return 4;
	if (getenv("LISTEN_FDS") != NULL)
		return 5;
	return 0;
}

START_TEST(listen_fds_reads_systemd_variables)
{
	int st;
	pid_t p = fork();

	ck_assert_int_ge(p, 0);
	if (p == 0)
		_exit(listen_fds_child());
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child failed check %d (status %#x)", WEXITSTATUS(st), st);
}
END_TEST

START_TEST(listen_fds_ignores_other_pid_and_rejects_junk)
{
	struct sk_err e;
	struct sk_listen_fd lf[4];
	char pid[16];

	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "2", 1);
	ck_assert_int_eq(sk_listen_fds(0, lf, 4, &e), 0);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "two", 1);
	ck_assert_int_eq(sk_listen_fds(1, lf, 4, &e), -1);
	ck_assert_int_eq(e.code, EINVAL);
	ck_assert_msg(strstr(e.msg, "two") != NULL, "%s", e.msg);
	unsetenv("LISTEN_PID");
	ck_assert_int_eq(sk_listen_fds(1, lf, 4, &e), 0);
}
END_TEST

START_TEST(peer_tells_sockets_from_pipes_and_files)
{
	struct sk_err e;
	struct sk_peer p;
	int sv[2], pp[2], port, lfd = ut_listener(AF_INET, &port), c, a, dn;
	struct sockaddr_in sin;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sk_peer(sv[0], &p, &e), 0);
	ck_assert_int_eq(p.kind, SK_PEER_UNIX);
	ck_assert_int_eq(pipe(pp), 0);
	ck_assert_int_eq(sk_peer(pp[0], &p, &e), 0);
	ck_assert_int_eq(p.kind, SK_PEER_PIPE);
	ck_assert_str_eq(sk_peer_kind_str(p.kind), "pipe");
	dn = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(sk_peer(dn, &p, &e), 0);
	ck_assert_int_eq(p.kind, SK_PEER_FILE);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	a = accept(lfd, NULL, NULL);
	ck_assert_int_eq(sk_peer(a, &p, &e), 0);
	ck_assert_int_eq(p.kind, SK_PEER_INET);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_str_eq(p.addr, "127.0.0.1");
	ck_assert_int_gt(p.port, 0);
	ck_assert(!p.listening);
	close(dn);
	ck_assert_int_eq(sk_peer(dn, &p, &e), -1);
	close(a);
	close(c);
	close(lfd);
}
END_TEST

Suite *
listen_suite(void)
{
	Suite *s = suite_create("listen");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, listen_wildcard_is_dual_stack);
	tcase_add_test(tc, listen_af_wildcard_takes_one_family_only);
	tcase_add_test(tc, listen_udp_binds_a_datagram_socket);
	tcase_add_test(tc, listen_port_in_use_names_address_and_port);
	tcase_add_test(tc, listen_reuseport_shares_the_port_but_a_plain_listener_is_refused);
	tcase_add_test(tc, listen_unix_replaces_only_stale_socket_files);
	tcase_add_test(tc, listen_fds_reads_systemd_variables);
	tcase_add_test(tc, listen_fds_ignores_other_pid_and_rejects_junk);
	tcase_add_test(tc, peer_tells_sockets_from_pipes_and_files);
	suite_add_tcase(s, tc);
	return s;
}
