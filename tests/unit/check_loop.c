#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/loop.h"
#include "unit.h"

struct echo {
	int reads, writes;
	char got[16];
};

static void
on_read(struct sk_loop *l, int fd, int ev, void *arg)
{
	struct echo *c = arg;
	ssize_t n;

	ck_assert(ev & SK_READ);
	n = read(fd, c->got, sizeof(c->got) - 1);
	c->reads++;
	if (n <= 0)
		sk_loop_unwatch(l, fd);
}

static void
on_write(struct sk_loop *l, int fd, int ev, void *arg)
{
	struct echo *c = arg;

	ck_assert(ev & SK_WRITE);
	ck_assert_int_eq(write(fd, "hello", 5), 5);
	c->writes++;
	sk_loop_unwatch(l, fd);
	shutdown(fd, SHUT_WR);
}

START_TEST(loop_delivers_read_and_write_readiness_then_ends)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	struct echo c = { 0 };
	int sv[2];

	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sk_loop_watch(l, sv[0], SK_READ, on_read, &c, &e), 0);
	ck_assert_int_eq(sk_loop_watch(l, sv[1], SK_WRITE, on_write, &c, &e), 0);
	ck_assert_int_eq(sk_loop_nwatched(l), 2);
	/* Ends by itself once both fds are unwatched. */
	ck_assert_int_eq(sk_loop_run(l, &e), 0);
	ck_assert_int_eq(c.writes, 1);
	ck_assert_int_eq(c.reads, 2);
	ck_assert_str_eq(c.got, "hello");
	sk_loop_free(l);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static int64_t
count_to_three(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	int *n = arg;

	return ++*n < 3 ? 20 : -1;
}

static int64_t
fail_timer(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	ck_abort_msg("cancelled timer fired");
	return -1;
}

START_TEST(loop_timers_repeat_until_they_say_stop_and_cancel_works)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	struct sk_timer *t;
	int n = 0;
	int64_t t0 = sk_now_ms(), el;

	ck_assert_ptr_nonnull(sk_loop_timer(l, 20, count_to_three, &n, &e));
	t = sk_loop_timer(l, 30, fail_timer, NULL, &e);
	ck_assert_int_eq(sk_loop_ntimers(l), 2);
	sk_loop_timer_cancel(l, t);
	ck_assert_int_eq(sk_loop_run(l, &e), 0);
	el = sk_now_ms() - t0;
	ck_assert_int_eq(n, 3);
	ck_assert_msg(el >= 60 && el < 300, "took %lld ms", (long long)el);
	sk_loop_free(l);
}
END_TEST

struct order {
	int64_t last_when;
	int fired;
	int64_t when[2000];
};

struct tctx {
	struct order *o;
	int64_t when;
};

static int64_t
note_order(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	struct tctx *c = arg;

	/* Due times must come out in order even after cancellations (1 ms
	 * slack: the test's clock read and the loop's may straddle a tick). */
	ck_assert_msg(c->when + 1 >= c->o->last_when, "out of order: %lld after %lld",
	    (long long)c->when, (long long)c->o->last_when);
	ck_assert(sk_now_ms() >= c->when);
	if (c->when > c->o->last_when)
		c->o->last_when = c->when;
	c->o->fired++;
	return -1;
}

START_TEST(loop_timer_heap_fires_in_due_order_after_random_cancels)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	static struct tctx ctx[1000];
	struct sk_timer *t[1000];
	struct order o = { 0 };
	int i, cancelled = 0;

	srand(7);
	for (i = 0; i < 1000; i++) {
		int ms = rand() % 60;

		ctx[i].o = &o;
		ctx[i].when = sk_now_ms() + ms;
		t[i] = sk_loop_timer(l, ms, note_order, &ctx[i], &e);
		ck_assert_ptr_nonnull(t[i]);
	}
	for (i = 0; i < 1000; i += 3) {
		sk_loop_timer_cancel(l, t[i]);
		cancelled++;
	}
	ck_assert_int_eq(sk_loop_run(l, &e), 0);
	ck_assert_int_eq(o.fired, 1000 - cancelled);
	sk_loop_free(l);
}
END_TEST

static int64_t
stopper(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	sk_loop_stop(l);
	return 1000;
}

static void
never(struct sk_loop *l, int fd, int ev, void *arg)
{
	ck_abort_msg("no event expected");
}

START_TEST(loop_stop_returns_with_watchers_left)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sk_loop_watch(l, sv[0], SK_READ, never, NULL, &e), 0);
	ck_assert_ptr_nonnull(sk_loop_timer(l, 10, stopper, NULL, &e));
	ck_assert_int_eq(sk_loop_run(l, &e), 0);
	ck_assert_int_eq(sk_loop_nwatched(l), 1);
	/* A mask of 0 keeps the fd registered but quiet, even once the
	 * peer hangs up (epoll would report EPOLLHUP regardless of mask). */
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	close(sv[1]);
	ck_assert_int_eq(sk_loop_mask(l, sv[0], 0, &e), 0);
	ck_assert_ptr_nonnull(sk_loop_timer(l, 10, stopper, NULL, &e));
	ck_assert_int_eq(sk_loop_run(l, &e), 0);
	ck_assert_int_eq(sk_loop_watch(l, -1, SK_READ, never, NULL, &e), -1);
	sk_loop_free(l);
	close(sv[0]);
}
END_TEST

static void
hup(struct sk_loop *l, int fd, int ev, void *arg)
{
	int *seen = arg;

	*seen = ev;
	sk_loop_unwatch(l, fd);
}

START_TEST(loop_reports_peer_close_as_readable)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	int sv[2], seen = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	ck_assert_int_eq(sk_loop_watch(l, sv[0], SK_READ, hup, &seen, &e), 0);
	ck_assert_int_eq(sk_loop_run(l, &e), 0);
	ck_assert(seen & SK_READ);
	sk_loop_free(l);
	close(sv[0]);
}
END_TEST

Suite *
loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, loop_delivers_read_and_write_readiness_then_ends);
	tcase_add_test(tc, loop_timers_repeat_until_they_say_stop_and_cancel_works);
	tcase_add_test(tc, loop_timer_heap_fires_in_due_order_after_random_cancels);
	tcase_add_test(tc, loop_stop_returns_with_watchers_left);
	tcase_add_test(tc, loop_reports_peer_close_as_readable);
	suite_add_tcase(s, tc);
	return s;
}
