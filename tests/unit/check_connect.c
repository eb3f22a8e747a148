#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/listen.h"
#include "unit.h"

/* What the attempt callback saw, in order. */
struct trace {
	int n;
	enum sk_attempt_event ev[16];
	int port[16];
	int64_t ms[16];
};

static void
record(void *arg, enum sk_attempt_event ev, const struct sockaddr *sa,
    socklen_t salen, int err, int64_t ms)
{
	struct trace *t = arg;

	if (t->n >= 16)
		return;
	t->ev[t->n] = ev;
	t->port[t->n] = sk_addr_port(sa);
	t->ms[t->n] = ms;
	t->n++;
}

START_TEST(tcpopen_refused_port_names_address_and_port)
{
	struct sk_err e;
	char want[128];
	int port = ut_closed_port();
	char svc[16];

	snprintf(svc, sizeof(svc), "%d", port);
	ck_assert_int_eq(sk_tcpopen("127.0.0.1", svc, NULL, &e), -1);
	ck_assert_int_eq(e.code, ECONNREFUSED);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%d: "
	    "Connection refused", port);
	ck_assert_str_eq(e.msg, want);
}
END_TEST

START_TEST(tcpopen_connects_and_returns_blocking_fd)
{
	struct sk_err e;
	char svc[16];
	int port, lfd = ut_listener(AF_INET, &port), fd, a;

	snprintf(svc, sizeof(svc), "%d", port);
	fd = sk_tcpopen("127.0.0.1", svc, NULL, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	a = accept(lfd, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(write(fd, "hi", 2), 2);
	close(a);
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(tcpopen_resolves_service_name_to_port)
{
	struct sk_err e;
	struct trace t = { 0 };
	struct sk_connect_opts o = { .deadline = SK_NEVER, .on_attempt = record, .arg = &t };
	int fd, port, lfd = -1;

	o.deadline = sk_deadline_in(2000);
	/* As root, serve port 43 so the whole round trip is checked. */
	if (ut_is_root()) {
		lfd = sk_listen("127.0.0.1", "whois", 4, &e);
		ck_assert_msg(lfd >= 0, "%s", e.msg);
	}
	fd = sk_tcpopen("127.0.0.1", "whois", &o, &e);
	ck_assert_int_ge(t.n, 2);
	ck_assert_int_eq(t.ev[0], SK_ATTEMPT_START);
	ck_assert_int_eq(t.port[0], 43);
	if (lfd >= 0) {
		ck_assert_msg(fd >= 0, "%s", e.msg);
		port = sk_local_port(lfd, &e);
		ck_assert_int_eq(port, 43);
		close(fd);
		close(lfd);
	} else if (fd < 0) {
		ck_assert_ptr_nonnull(strstr(e.msg, "127.0.0.1:43: "));
	} else {
		close(fd);
	}
}
END_TEST

START_TEST(tcpopen_unknown_service_is_a_clear_error)
{
	struct sk_err e;

	ck_assert_int_eq(sk_tcpopen("127.0.0.1", "no-such-svc", NULL, &e), -1);
	ck_assert_int_eq(e.code, ENOENT);
	ck_assert_msg(strstr(e.msg, "no-such-svc") != NULL, "%s", e.msg);
	ck_assert_int_eq(sk_tcpopen("127.0.0.1", "70000", NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "70000") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(tcpopen_ai_moves_on_from_refused_address)
{
	struct sk_err e;
	struct trace t = { 0 };
	struct sk_connect_opts o = { .deadline = SK_NEVER, .on_attempt = record, .arg = &t };
	char a[32], b[32];
	const char *hp[2] = { a, b };
	struct addrinfo *ai;
	int port, lfd = ut_listener(AF_INET, &port), closed = ut_closed_port();
	int fd;

	snprintf(a, sizeof(a), "127.0.0.1 %d", closed);
	snprintf(b, sizeof(b), "127.0.0.1 %d", port);
	ai = ut_ai_list(hp, 2);
	fd = sk_tcpopen_ai(ai, &o, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	ck_assert_int_eq(t.n, 4);
	ck_assert_int_eq(t.ev[1], SK_ATTEMPT_FAIL);
	ck_assert_int_eq(t.port[1], closed);
	ck_assert_int_eq(t.ev[3], SK_ATTEMPT_OK);
	ck_assert_int_eq(t.port[3], port);
	/* A refusal frees the next address at once, not after the stagger. */
	ck_assert_msg(t.ms[2] < 100, "second attempt after %lld ms",
	    (long long)t.ms[2]);
	close(fd);
	close(lfd);
	ut_ai_free(ai);
}
END_TEST

START_TEST(tcpopen_ai_races_past_blackholed_address_after_stagger)
{
	struct sk_err e;
	struct trace t = { 0 };
	struct sk_connect_opts o = { .deadline = SK_NEVER, .on_attempt = record, .arg = &t };
	char a[32], b[32];
	const char *hp[2] = { a, b };
	struct addrinfo *ai;
	int bport, filler, bh = ut_blackhole(&bport, &filler);
	int port, lfd = ut_listener(AF_INET, &port), fd;
	int64_t t0 = sk_now_ms(), el;

	o.deadline = sk_deadline_in(3000);
	snprintf(a, sizeof(a), "127.0.0.1 %d", bport);
	snprintf(b, sizeof(b), "127.0.0.1 %d", port);
	ai = ut_ai_list(hp, 2);
	fd = sk_tcpopen_ai(ai, &o, &e);
	el = sk_now_ms() - t0;
	ck_assert_msg(fd >= 0, "%s", e.msg);
	ck_assert_msg(el >= 240 && el < 1000, "took %lld ms", (long long)el);
	ck_assert_int_eq(t.ev[1], SK_ATTEMPT_START);
	ck_assert_int_eq(t.port[1], port);
	ck_assert_msg(t.ms[1] >= 240 && t.ms[1] < 400, "stagger %lld ms",
	    (long long)t.ms[1]);
	ck_assert_int_eq(t.ev[2], SK_ATTEMPT_OK);
	ck_assert_int_eq(t.ev[3], SK_ATTEMPT_CANCEL);
	ck_assert_int_eq(t.port[3], bport);
	close(fd);
	close(lfd);
	close(filler);
	close(bh);
	ut_ai_free(ai);
}
END_TEST

START_TEST(tcpopen_honours_overall_deadline)
{
	struct sk_err e;
	struct sk_connect_opts o = SK_CONNECT_OPTS_INIT;
	char svc[16];
	int bport, filler, bh = ut_blackhole(&bport, &filler);
	int64_t t0, el;

	snprintf(svc, sizeof(svc), "%d", bport);
	t0 = sk_now_ms();
	o.deadline = sk_deadline_in(400);
	ck_assert_int_eq(sk_tcpopen("127.0.0.1", svc, &o, &e), -1);
	el = sk_now_ms() - t0;
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_msg(el >= 300 && el <= 500, "took %lld ms", (long long)el);
	ck_assert_msg(strstr(e.msg, "timed out") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, svc) != NULL, "%s", e.msg);
	close(filler);
	close(bh);
}
END_TEST

START_TEST(tcpopen_sequential_waits_for_each_attempt)
{
	struct sk_err e;
	struct trace t = { 0 };
	struct sk_connect_opts o = { .deadline = SK_NEVER, .on_attempt = record, .arg = &t,
	    .flags = SK_CONN_SEQUENTIAL };
	char a[32], b[32];
	const char *hp[2] = { a, b };
	struct addrinfo *ai;
	int bport, filler, bh = ut_blackhole(&bport, &filler);
	int port, lfd = ut_listener(AF_INET, &port);

	o.deadline = sk_deadline_in(500);
	snprintf(a, sizeof(a), "127.0.0.1 %d", bport);
	snprintf(b, sizeof(b), "127.0.0.1 %d", port);
	ai = ut_ai_list(hp, 2);
	/* Without racing, the blackhole eats the whole budget. */
	ck_assert_int_eq(sk_tcpopen_ai(ai, &o, &e), -1);
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_int_eq(t.n, 2);
	close(lfd);
	close(filler);
	close(bh);
	ut_ai_free(ai);
}
END_TEST

START_TEST(tcpopen_binds_requested_source_port)
{
	struct sk_err e;
	struct sk_connect_opts o = { .deadline = SK_NEVER, .src_host = "127.0.0.1" };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char svc[16], src[16];
	int port, lfd = ut_listener(AF_INET, &port), fd, sport = ut_closed_port();

	snprintf(svc, sizeof(svc), "%d", port);
	snprintf(src, sizeof(src), "%d", sport);
	o.src_port = src;
	fd = sk_tcpopen("127.0.0.1", svc, &o, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	ck_assert_int_eq(sk_addr_port((struct sockaddr *)&ss), sport);
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(tcpopen_family_choice_filters_addresses)
{
	struct sk_err e;
	struct sk_connect_opts o = { .deadline = SK_NEVER, .family = AF_INET6 };
	char svc[16];
	int port, lfd = ut_listener(AF_INET, &port);

	snprintf(svc, sizeof(svc), "%d", port);
	ck_assert_int_eq(sk_tcpopen("127.0.0.1", svc, &o, &e), -1);
	close(lfd);
}
END_TEST

/* Counts of what the attempt callback saw, and the winner's address. */
struct tally {
	int start, fail, ok, cancel;
	char winner[SK_ADDRSTRLEN];
};

static void
count(void *arg, enum sk_attempt_event ev, const struct sockaddr *sa,
    socklen_t salen, int err, int64_t ms)
{
	struct tally *t = arg;

	switch (ev) {
	case SK_ATTEMPT_START:
		t->start++;
		break;
	case SK_ATTEMPT_FAIL:
		t->fail++;
		break;
	case SK_ATTEMPT_OK:
		t->ok++;
		sk_addr_format(sa, t->winner, sizeof(t->winner));
		break;
	case SK_ATTEMPT_CANCEL:
		t->cancel++;
		break;
	}
}

#define NMANY 1000

START_TEST(tcpopen_ai_tries_every_one_of_a_thousand_addresses)
{
	struct sk_err e;
	struct tally t = { 0 };
	struct sk_connect_opts o = { .deadline = SK_NEVER, .on_attempt = count,
	    .arg = &t };
	static struct addrinfo ai[NMANY];
	static struct sockaddr_in sin[NMANY];
	char want[32];
	int port, lfd = ut_listener(AF_INET, &port), fd, i, h;

	/* 999 loopback addresses where nothing listens on port (the
	 * listener has 127.0.0.1 only), then 127.0.0.1 itself, last. */
	for (i = 0, h = 2; i < NMANY; i++, h++) {
		if ((h & 0xff) == 0 || (h & 0xff) == 0xff)
			h++;
		sin[i].sin_family = AF_INET;
		sin[i].sin_port = htons((unsigned short)port);
		sin[i].sin_addr.s_addr = htonl(i == NMANY - 1 ? INADDR_LOOPBACK :
		    0x7f000000u | (unsigned)h);
		ai[i].ai_family = AF_INET;
		ai[i].ai_socktype = SOCK_STREAM;
		ai[i].ai_addr = (struct sockaddr *)&sin[i];
		ai[i].ai_addrlen = sizeof(sin[i]);
		ai[i].ai_next = i + 1 < NMANY ? &ai[i + 1] : NULL;
	}
	o.deadline = sk_deadline_in(8000);
	fd = sk_tcpopen_ai(ai, &o, &e);
	ck_assert_msg(fd >= 0, "%s (%d started, %d failed)", e.msg, t.start,
	    t.fail);
	ck_assert_int_eq(t.start, NMANY);
	ck_assert_int_eq(t.fail, NMANY - 1);
	ck_assert_int_eq(t.ok, 1);
	snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	ck_assert_str_eq(t.winner, want);
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(tcpopen_ai_all_refused_reports_the_last_address)
{
	struct sk_err e;
	struct tally t = { 0 };
	struct sk_connect_opts o = { .deadline = SK_NEVER, .on_attempt = count,
	    .arg = &t };
	char a[32], b[32], want[64];
	const char *hp[2] = { a, b };
	struct addrinfo *ai;
	int port = ut_closed_port();

	snprintf(a, sizeof(a), "127.0.0.2 %d", port);
	snprintf(b, sizeof(b), "127.0.0.3 %d", port);
	ai = ut_ai_list(hp, 2);
	o.deadline = sk_deadline_in(5000);
	ck_assert_int_eq(sk_tcpopen_ai(ai, &o, &e), -1);
	ck_assert_int_eq(e.kind, SK_ERR_REFUSED);
	snprintf(want, sizeof(want), "connect to 127.0.0.3:%d: Connection "
	    "refused", port);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(t.start, 2);
	ck_assert_int_eq(t.fail, 2);
	ut_ai_free(ai);
}
END_TEST

START_TEST(udpopen_sends_datagrams_to_the_service)
{
	struct sk_err e;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char svc[16], buf[8];
	int s, fd;

	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	snprintf(svc, sizeof(svc), "%d", ntohs(sin.sin_port));
	fd = sk_udpopen("127.0.0.1", svc, NULL, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	ck_assert_int_eq(send(fd, "ping", 4, 0), 4);
	ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	close(fd);
	close(s);
}
END_TEST

START_TEST(unixopen_connects_and_rejects_long_paths)
{
	struct sk_err e;
	char path[64], big[200];
	int lfd, fd;

	snprintf(path, sizeof(path), "/tmp/sk-unit-%d.sock", (int)getpid());
	unlink(path);
	lfd = sk_listen_unix(path, 4, &e);
	ck_assert_msg(lfd >= 0, "%s", e.msg);
	fd = sk_unixopen(path, SOCK_STREAM, NULL, &e);
	ck_assert_msg(fd >= 0, "%s", e.msg);
	close(fd);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(sk_unixopen(big, SOCK_STREAM, NULL, &e), -1);
	ck_assert_int_eq(e.code, EINVAL);
	close(lfd);
	unlink(path);
	ck_assert_int_eq(sk_unixopen(path, SOCK_STREAM, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, path) != NULL, "%s", e.msg);
}
END_TEST

Suite *
connect_suite(void)
{
	Suite *s = suite_create("connect");
	TCase *tc = tcase_create("tcpopen");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, tcpopen_refused_port_names_address_and_port);
	tcase_add_test(tc, tcpopen_connects_and_returns_blocking_fd);
	tcase_add_test(tc, tcpopen_resolves_service_name_to_port);
	tcase_add_test(tc, tcpopen_unknown_service_is_a_clear_error);
	tcase_add_test(tc, tcpopen_ai_moves_on_from_refused_address);
	tcase_add_test(tc, tcpopen_ai_races_past_blackholed_address_after_stagger);
	tcase_add_test(tc, tcpopen_honours_overall_deadline);
	tcase_add_test(tc, tcpopen_sequential_waits_for_each_attempt);
	tcase_add_test(tc, tcpopen_binds_requested_source_port);
	tcase_add_test(tc, tcpopen_family_choice_filters_addresses);
	tcase_add_test(tc, tcpopen_ai_tries_every_one_of_a_thousand_addresses);
	tcase_add_test(tc, tcpopen_ai_all_refused_reports_the_last_address);
	suite_add_tcase(s, tc);
	tc = tcase_create("other");
	tcase_add_test(tc, udpopen_sends_datagrams_to_the_service);
	tcase_add_test(tc, unixopen_connects_and_rejects_long_paths);
	suite_add_tcase(s, tc);
	return s;
}
