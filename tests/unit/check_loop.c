#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
	int64_t last_lo;
	int fired;
};

/* A timer's due time lies in [lo, hi]: the clock read just before and
 * just after sk_loop_timer(), plus its delay. */
struct tctx {
	struct order *o;
	int64_t lo, hi;
};

static int64_t
note_order(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	struct tctx *c = arg;

	/* Due times must come out in order even after cancellations: no
	 * timer fires after one that was surely due later.  The bounds make
	 * this exact even when the test is preempted between clock reads. */
	ck_assert_msg(c->hi >= c->o->last_lo, "out of order: due by %lld after "
	    "one due from %lld", (long long)c->hi, (long long)c->o->last_lo);
	ck_assert(sk_now_ms() >= c->lo);
	if (c->lo > c->o->last_lo)
		c->o->last_lo = c->lo;
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
		ctx[i].lo = sk_now_ms() + ms;
		t[i] = sk_loop_timer(l, ms, note_order, &ctx[i], &e);
		ctx[i].hi = sk_now_ms() + ms;
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


/* ---- one-step turns ------------------------------------------------------ */

START_TEST(loop_run_once_returns_after_deadline_with_nothing_ready)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	int sv[2];
	int64_t t0, el;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sk_loop_watch(l, sv[0], SK_READ, never, NULL, &e), 0);
	t0 = sk_now_ms();
	ck_assert_int_eq(sk_loop_run_once(l, sk_deadline_in(80), &e), 0);
	el = sk_now_ms() - t0;
	ck_assert_msg(el >= 79 && el < 500, "took %lld ms", (long long)el);
	/* SK_NOW polls: no wait at all. */
	t0 = sk_now_ms();
	ck_assert_int_eq(sk_loop_run_once(l, SK_NOW, &e), 0);
	ck_assert_int_lt(sk_now_ms() - t0, 50);
	sk_loop_free(l);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static void
count_read(struct sk_loop *l, int fd, int ev, void *arg)
{
	char b[8];

	ck_assert_int_gt(read(fd, b, sizeof(b)), 0);
	++*(int *)arg;
}

static int64_t
count_once(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	++*(int *)arg;
	return -1;
}

START_TEST(loop_run_once_runs_what_is_ready_once_and_counts_callbacks)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	int sv[2], reads = 0, fired = 0;
	int64_t t0, el;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sk_loop_watch(l, sv[0], SK_READ, count_read, &reads,
	    &e), 0);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert_int_eq(sk_loop_run_once(l, SK_NOW, &e), 1);
	ck_assert_int_eq(reads, 1);
	/* A timer due before the deadline ends the wait early. */
	ck_assert_int_eq(sk_loop_next_due(l), SK_NEVER);
	t0 = sk_now_ms();
	ck_assert_ptr_nonnull(sk_loop_timer(l, 30, count_once, &fired, &e));
	ck_assert(sk_loop_next_due(l) >= t0 + 30);
	ck_assert(sk_loop_next_due(l) <= sk_now_ms() + 30);
	ck_assert_int_eq(sk_loop_run_once(l, sk_deadline_in(3000), &e), 1);
	el = sk_now_ms() - t0;
	ck_assert_int_eq(fired, 1);
	ck_assert_msg(el >= 29 && el < 1000, "took %lld ms", (long long)el);
	ck_assert_int_eq(sk_loop_next_due(l), SK_NEVER);
	ck_assert_int_eq(reads, 1);
	sk_loop_free(l);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(loop_fd_polls_readable_when_a_turn_has_work)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	struct pollfd p = { .events = POLLIN };
	int sv[2], reads = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sk_loop_watch(l, sv[0], SK_READ, count_read, &reads,
	    &e), 0);
	p.fd = sk_loop_fd(l);
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert_int_eq(poll(&p, 1, 1000), 1);
	ck_assert_int_eq(sk_loop_run_once(l, SK_NOW, &e), 1);
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	sk_loop_free(l);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* ---- posts and wake-ups from other threads -------------------------------- */

struct poster {
	struct sk_loop *l;
	pthread_t loop_thread;
	int id, n, delay_ms;
	int on_loop_thread;	/* every callback ran on the loop's thread */
	int done;		/* callbacks run, counted on the loop thread */
	int next;		/* next sequence number expected */
	int out_of_order;
	int failed_posts;
};

struct post_arg {
	struct poster *p;
	int seq;
};

static void
posted(struct sk_loop *l, void *arg)
{
	struct post_arg *a = arg;
	struct poster *p = a->p;

	if (!pthread_equal(pthread_self(), p->loop_thread))
		p->on_loop_thread = 0;
	if (a->seq != p->next)
		p->out_of_order++;
	p->next = a->seq + 1;
	p->done++;
	free(a);
}

static void *
post_many(void *arg)
{
	struct poster *p = arg;
	struct post_arg *a;
	int i;

	if (p->delay_ms > 0)
		usleep(p->delay_ms * 1000);
	for (i = 0; i < p->n; i++) {
		a = malloc(sizeof(*a));
		if (a == NULL) {
			p->failed_posts++;
			continue;
		}
		a->p = p;
		a->seq = i;
		if (sk_loop_post(p->l, posted, a, NULL) == -1) {
			free(a);
			p->failed_posts++;
		}
	}
	return NULL;
}

START_TEST(loop_post_from_another_thread_runs_callback_on_loop_thread)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	struct poster p = { .l = l, .n = 1, .delay_ms = 30, .on_loop_thread = 1 };
	pthread_t th;
	int64_t t0 = sk_now_ms(), el;

	p.loop_thread = pthread_self();
	ck_assert_int_eq(pthread_create(&th, NULL, post_many, &p), 0);
	/* The turn waits in epoll_wait until the post wakes it. */
	ck_assert_int_eq(sk_loop_run_once(l, sk_deadline_in(3000), &e), 1);
	el = sk_now_ms() - t0;
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(p.done, 1);
	ck_assert(p.on_loop_thread);
	ck_assert_msg(el < 1000, "woken after %lld ms", (long long)el);
	sk_loop_free(l);
}
END_TEST

static void *
wake_later(void *arg)
{
	usleep(30 * 1000);
	sk_loop_wake(arg);
	return NULL;
}

START_TEST(loop_wake_from_another_thread_ends_the_wait_with_no_callback)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	pthread_t th;
	int64_t t0 = sk_now_ms(), el;

	ck_assert_int_eq(pthread_create(&th, NULL, wake_later, l), 0);
	ck_assert_int_eq(sk_loop_run_once(l, sk_deadline_in(3000), &e), 0);
	el = sk_now_ms() - t0;
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(el >= 25 && el < 1000, "woken after %lld ms",
	    (long long)el);
	/* The wake is consumed: the next turn waits again. */
	ck_assert_int_eq(sk_loop_run_once(l, sk_deadline_in(30), &e), 0);
	ck_assert_int_ge(sk_now_ms() - t0, el + 29);
	sk_loop_free(l);
}
END_TEST

#define NPOSTERS 4
#define NPOSTS 20000

START_TEST(loop_thousands_of_posts_from_many_threads_lose_none_and_keep_order)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	struct poster p[NPOSTERS];
	pthread_t th[NPOSTERS];
	int64_t deadline = sk_deadline_in(20000);
	int i, total = 0, rc;

	memset(p, 0, sizeof(p));
	for (i = 0; i < NPOSTERS; i++) {
		p[i].l = l;
		p[i].id = i;
		p[i].n = NPOSTS;
		p[i].loop_thread = pthread_self();
		p[i].on_loop_thread = 1;
		ck_assert_int_eq(pthread_create(&th[i], NULL, post_many, &p[i]), 0);
	}
	while (total < NPOSTERS * NPOSTS && !sk_deadline_passed(deadline)) {
		rc = sk_loop_run_once(l, deadline, &e);
		ck_assert_msg(rc >= 0, "%s", e.msg);
		total += rc;
	}
	for (i = 0; i < NPOSTERS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_msg(p[i].done == NPOSTS, "poster %d: %d of %d run", i,
		    p[i].done, NPOSTS);
		ck_assert_msg(p[i].out_of_order == 0, "poster %d: %d out of order",
		    i, p[i].out_of_order);
		ck_assert_int_eq(p[i].failed_posts, 0);
		ck_assert(p[i].on_loop_thread);
	}
	ck_assert_int_eq(total, NPOSTERS * NPOSTS);
	/* Nothing left over, nothing run twice. */
	ck_assert_int_eq(sk_loop_run_once(l, SK_NOW, &e), 0);
	sk_loop_free(l);
}
END_TEST

/* ---- signals --------------------------------------------------------------- */

static int
blocked(int signo)
{
	sigset_t cur;

	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	return sigismember(&cur, signo);
}

struct sigseen {
	int signo;
	int n;
};

static void
on_sig(struct sk_loop *l, int signo, void *arg)
{
	struct sigseen *s = arg;

	s->signo = signo;
	s->n++;
}

START_TEST(loop_raised_signal_arrives_as_callback_not_default_action)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	struct sigseen seen = { 0 };

	/* SIGUSR1's default action would end this test process. */
	ck_assert_int_eq(sk_loop_signal(l, SIGUSR1, on_sig, &seen, &e), 0);
	ck_assert(blocked(SIGUSR1));
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(sk_loop_run_once(l, sk_deadline_in(2000), &e), 1);
	ck_assert_int_eq(seen.signo, SIGUSR1);
	/* A process-directed one too. */
	ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
	ck_assert_int_eq(sk_loop_run_once(l, sk_deadline_in(2000), &e), 1);
	ck_assert_int_eq(seen.n, 2);
	/* Signal watches alone do not keep sk_loop_run() going. */
	ck_assert_int_eq(sk_loop_run(l, &e), 0);
	sk_loop_free(l);
	ck_assert(!blocked(SIGUSR1));
}
END_TEST

START_TEST(loop_signal_unwatch_restores_the_mask_and_swallows_undelivered)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	struct sigseen seen = { 0 };
	sigset_t one;

	ck_assert(!blocked(SIGUSR2));
	ck_assert_int_eq(sk_loop_signal(l, SIGUSR2, on_sig, &seen, &e), 0);
	ck_assert(blocked(SIGUSR2));
	/* Raised but never dispatched: unwatching must not let it kill us. */
	ck_assert_int_eq(raise(SIGUSR2), 0);
	sk_loop_signal_unwatch(l, SIGUSR2);
	ck_assert(!blocked(SIGUSR2));
	ck_assert_int_eq(seen.n, 0);

	/* A signal the caller held before stays held afterwards. */
	sigemptyset(&one);
	sigaddset(&one, SIGUSR2);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &one, NULL), 0);
	ck_assert_int_eq(sk_loop_signal(l, SIGUSR2, on_sig, &seen, &e), 0);
	sk_loop_signal_unwatch(l, SIGUSR2);
	ck_assert(blocked(SIGUSR2));
	ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &one, NULL), 0);
	/* Unwatching twice, or what was never watched, is harmless. */
	sk_loop_signal_unwatch(l, SIGUSR2);
	sk_loop_signal_unwatch(l, SIGWINCH);
	ck_assert(!blocked(SIGUSR2));
	sk_loop_free(l);
}
END_TEST

START_TEST(loop_signal_held_before_the_watch_is_delivered_on_first_turn)
{
	struct sk_err e;
	struct sk_loop *l;
	struct sigseen seen = { 0 };
	sigset_t one;

	/* whoisd's start: hold SIGHUP, load, and only then build the loop. */
	sigemptyset(&one);
	sigaddset(&one, SIGHUP);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &one, NULL), 0);
	ck_assert_int_eq(raise(SIGHUP), 0);
	l = sk_loop_new(8, &e);
	ck_assert_int_eq(sk_loop_signal(l, SIGHUP, on_sig, &seen, &e), 0);
	ck_assert_int_eq(sk_loop_run_once(l, sk_deadline_in(2000), &e), 1);
	ck_assert_int_eq(seen.signo, SIGHUP);
	sk_loop_free(l);
	ck_assert(blocked(SIGHUP));
	ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &one, NULL), 0);
}
END_TEST

START_TEST(loop_signal_refuses_what_cannot_be_caught)
{
	struct sk_err e;
	struct sk_loop *l = sk_loop_new(8, &e);
	static const int bad[] = { 0, -1, SIGKILL, SIGSTOP, 65, 1000 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sk_err_clear(&e);
		ck_assert_msg(sk_loop_signal(l, bad[i], on_sig, NULL, &e) == -1,
		    "case %zu: signal %d accepted", i, bad[i]);
		ck_assert_msg(e.code == EINVAL, "case %zu: code %d", i, e.code);
	}
	sk_loop_free(l);
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
	tcase_add_test(tc, loop_run_once_returns_after_deadline_with_nothing_ready);
	tcase_add_test(tc, loop_run_once_runs_what_is_ready_once_and_counts_callbacks);
	tcase_add_test(tc, loop_fd_polls_readable_when_a_turn_has_work);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, loop_post_from_another_thread_runs_callback_on_loop_thread);
	tcase_add_test(tc, loop_wake_from_another_thread_ends_the_wait_with_no_callback);
	tcase_add_test(tc, loop_thousands_of_posts_from_many_threads_lose_none_and_keep_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("signals");
	tcase_add_test(tc, loop_raised_signal_arrives_as_callback_not_default_action);
	tcase_add_test(tc, loop_signal_unwatch_restores_the_mask_and_swallows_undelivered);
	tcase_add_test(tc, loop_signal_held_before_the_watch_is_delivered_on_first_turn);
	tcase_add_test(tc, loop_signal_refuses_what_cannot_be_caught);
	suite_add_tcase(s, tc);
	return s;
}
