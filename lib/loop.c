/*
 * A small epoll event loop (see sockkit/loop.h), after Redis ae.c: an fd
 * table indexed by fd, a min-heap of timers, one epoll_wait per turn.
 * Handlers must tolerate a spurious readiness event (an fd closed and
 * reused within one turn), as with any level-triggered loop.
 *
 * Two fds of the loop's own sit in the epoll set beside the caller's,
 * told apart by a tag in the high half of epoll_data.u64 (caller fds
 * have it zero): an eventfd that other threads write to wake the loop
 * and flag posted callbacks, and a signalfd, made on the first
 * sk_loop_signal().
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/loop.h"

#define MAX_EVENTS 256
#define NSIGNALS 65		/* Linux signals are 1..64 */
#define TAG_WAKE ((uint64_t)1 << 32)
#define TAG_SIGNAL ((uint64_t)2 << 32)

struct watch {
	sk_fd_fn *fn;
	void *arg;
	int mask;
	int active;
	int in_epoll;	/* mask 0 takes the fd out: epoll would still
			   report EPOLLHUP/EPOLLERR and spin the loop */
};

struct sk_timer {
	int64_t when;
	uint64_t seq;		/* FIFO order among timers due at once */
	size_t idx;		/* position in the heap */
	sk_timer_fn *fn;
	void *arg;
};

struct post {
	sk_post_fn *fn;
	void *arg;
	struct post *next;
};

struct sigwatch {
	sk_signal_fn *fn;
	void *arg;
	int active;
	int was_blocked;	/* blocked before we took it: leave it so */
};

struct sk_loop {
	int epfd;
	int stop;
	struct watch *w;
	int nw;			/* size of w */
	int nwatched;
	struct sk_timer **heap;
	size_t nheap, capheap;
	uint64_t seq;
	int wakefd;		/* eventfd: posts and wake-ups */
	pthread_mutex_t mu;	/* guards posts and ptail, nothing else */
	struct post *posts, **ptail;
	int sigfd;		/* signalfd, -1 until a signal is watched */
	sigset_t sigs;		/* what sigfd reads */
	struct sigwatch sig[NSIGNALS];
	struct epoll_event ev[MAX_EVENTS];
};

static int
epoll_add(int epfd, int fd, uint64_t data, struct sk_err *e)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = data;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		return sk_err_sys(e, "epoll_ctl fd %d", fd);
	return 0;
}

struct sk_loop *
sk_loop_new(int setsize, struct sk_err *e)
{
	struct sk_loop *l = calloc(1, sizeof(*l));
	int rc;

	if (l == NULL) {
		sk_err_sys(e, "loop");
		return NULL;
	}
	l->epfd = l->wakefd = l->sigfd = -1;
	l->ptail = &l->posts;
	sigemptyset(&l->sigs);
	if ((rc = pthread_mutex_init(&l->mu, NULL)) != 0) {
		errno = rc;
		sk_err_sys(e, "loop mutex");
		free(l);
		return NULL;
	}
	l->nw = setsize > 16 ? setsize : 16;
	l->w = calloc(l->nw, sizeof(*l->w));
	if (l->w == NULL) {
		sk_err_sys(e, "loop");
		goto error;
	}
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd == -1) {
		sk_err_sys(e, "epoll_create1");
		goto error;
	}
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wakefd == -1) {
		sk_err_sys(e, "eventfd");
		goto error;
	}
	if (epoll_add(l->epfd, l->wakefd, TAG_WAKE, e) == -1)
		goto error;
	return l;
error:
	sk_loop_free(l);
	return NULL;
}

void
sk_loop_free(struct sk_loop *l)
{
	struct post *p;
	size_t i;
	int s;

	if (l == NULL)
		return;
	for (s = 1; s < NSIGNALS; s++)
		sk_loop_signal_unwatch(l, s);
	for (i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	while ((p = l->posts) != NULL) {
		l->posts = p->next;
		free(p);
	}
	pthread_mutex_destroy(&l->mu);
	free(l->heap);
	free(l->w);
	if (l->sigfd != -1)
		close(l->sigfd);
	if (l->wakefd != -1)
		close(l->wakefd);
	if (l->epfd != -1)
		close(l->epfd);
	free(l);
}

static uint32_t
to_epoll(int mask)
{
	return (mask & SK_READ ? EPOLLIN : 0) | (mask & SK_WRITE ? EPOLLOUT : 0);
}

/* Make the epoll set match mask for fd: in it with those events, or out
 * of it for mask 0. */
static int
sync_epoll(struct sk_loop *l, int fd, int mask, struct sk_err *e)
{
	struct epoll_event ev;
	struct watch *w = &l->w[fd];

	if (mask == 0) {
		if (w->in_epoll && epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) == -1)
			return sk_err_sys(e, "epoll_ctl fd %d", fd);
		w->in_epoll = 0;
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(mask);
	ev.data.u64 = (uint32_t)fd;	/* tag 0: a caller's fd */
	if (epoll_ctl(l->epfd, w->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
	    &ev) == -1)
		return sk_err_sys(e, "epoll_ctl fd %d", fd);
	w->in_epoll = 1;
	return 0;
}

int
sk_loop_watch(struct sk_loop *l, int fd, int mask, sk_fd_fn *fn, void *arg,
    struct sk_err *e)
{
	if (fd < 0)
		return sk_err_set(e, EBADF, "watch fd %d: bad fd", fd);
	if (fd >= l->nw) {
		int n = l->nw;
		struct watch *w;

		while (n <= fd)
			n *= 2;
		w = realloc(l->w, (size_t)n * sizeof(*w));
		if (w == NULL)
			return sk_err_sys(e, "watch fd %d", fd);
		memset(w + l->nw, 0, (size_t)(n - l->nw) * sizeof(*w));
		l->w = w;
		l->nw = n;
	}
	if (!l->w[fd].active)
		l->w[fd].in_epoll = 0;
	if (sync_epoll(l, fd, mask, e) == -1)
		return -1;
	if (!l->w[fd].active)
		l->nwatched++;
	l->w[fd].fn = fn;
	l->w[fd].arg = arg;
	l->w[fd].mask = mask;
	l->w[fd].active = 1;
	return 0;
}

int
sk_loop_mask(struct sk_loop *l, int fd, int mask, struct sk_err *e)
{
	if (fd < 0 || fd >= l->nw || !l->w[fd].active)
		return sk_err_set(e, EBADF, "mask fd %d: not watched", fd);
	if (l->w[fd].mask == mask)
		return 0;
	if (sync_epoll(l, fd, mask, e) == -1)
		return -1;
	l->w[fd].mask = mask;
	return 0;
}

void
sk_loop_unwatch(struct sk_loop *l, int fd)
{
	if (fd < 0 || fd >= l->nw || !l->w[fd].active)
		return;
	if (l->w[fd].in_epoll)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&l->w[fd], 0, sizeof(l->w[fd]));
	l->nwatched--;
}

/* ---- timer heap ---------------------------------------------------------- */

static int
earlier(const struct sk_timer *a, const struct sk_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void
heap_set(struct sk_loop *l, size_t i, struct sk_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

static void
sift_up(struct sk_loop *l, size_t i)
{
	struct sk_timer *t = l->heap[i];

	while (i > 0 && earlier(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void
sift_down(struct sk_loop *l, size_t i)
{
	struct sk_timer *t = l->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && earlier(l->heap[c + 1], l->heap[c]))
			c++;
		if (!earlier(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static int
heap_push(struct sk_loop *l, struct sk_timer *t)
{
	if (l->nheap == l->capheap) {
		size_t n = l->capheap ? l->capheap * 2 : 64;
		struct sk_timer **h = realloc(l->heap, n * sizeof(*h));

		if (h == NULL)
			return -1;
		l->heap = h;
		l->capheap = n;
	}
	t->seq = l->seq++;
	l->heap[l->nheap++] = t;
	sift_up(l, l->nheap - 1);
	return 0;
}

static void
heap_remove(struct sk_loop *l, struct sk_timer *t)
{
	struct sk_timer *m;
	size_t i = t->idx;

	l->nheap--;
	if (i == l->nheap)
		return;
	m = l->heap[l->nheap];
	heap_set(l, i, m);
	sift_down(l, i);
	sift_up(l, m->idx);
}

struct sk_timer *
sk_loop_timer(struct sk_loop *l, int64_t ms, sk_timer_fn *fn, void *arg,
    struct sk_err *e)
{
	struct sk_timer *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		sk_err_sys(e, "timer");
		return NULL;
	}
	t->when = sk_now_ms() + (ms > 0 ? ms : 0);
	t->fn = fn;
	t->arg = arg;
	if (heap_push(l, t) == -1) {
		sk_err_sys(e, "timer");
		free(t);
		return NULL;
	}
	return t;
}

void
sk_loop_timer_cancel(struct sk_loop *l, struct sk_timer *t)
{
	if (t == NULL)
		return;
	heap_remove(l, t);
	free(t);
}

static int
run_timers(struct sk_loop *l)
{
	int64_t now = sk_now_ms(), again;
	struct sk_timer *t;
	uint64_t limit = l->seq;
	int ran = 0;

	/* Timers added while running (seq >= limit) wait for the next turn,
	 * so a 0 ms repeating timer cannot starve the fds. */
	while (l->nheap > 0 && !l->stop) {
		t = l->heap[0];
		if (t->when > now || t->seq >= limit)
			break;
		heap_remove(l, t);
		again = t->fn(l, t, t->arg);
		ran++;
		if (again < 0) {
			free(t);
			continue;
		}
		t->when = sk_now_ms() + again;
		if (heap_push(l, t) == -1)
			free(t);
	}
	return ran;
}

/* ---- posts, wake-ups and signals -------------------------------------- */

int
sk_loop_post(struct sk_loop *l, sk_post_fn *fn, void *arg, struct sk_err *e)
{
	struct post *p = malloc(sizeof(*p));
	int was_empty;

	if (p == NULL)
		return sk_err_sys(e, "loop post");
	p->fn = fn;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&l->mu);
	was_empty = l->posts == NULL;
	*l->ptail = p;
	l->ptail = &p->next;
	pthread_mutex_unlock(&l->mu);
	/* One wake per batch: the loop clears the eventfd before it takes
	 * the queue, so a post that finds the queue non-empty is sure to be
	 * taken by a drain that has not happened yet. */
	if (was_empty)
		sk_loop_wake(l);
	return 0;
}

void
sk_loop_wake(struct sk_loop *l)
{
	uint64_t one = 1;
	int saved = errno;
	ssize_t n;

	/* Its one possible failure, EAGAIN, means the counter is near its
	 * maximum: the loop is due to wake anyway. */
	n = write(l->wakefd, &one, sizeof(one));
	(void)n;
	errno = saved;
}

static int
run_posts(struct sk_loop *l, struct sk_err *e)
{
	struct post *p, *next;
	uint64_t v;
	int ran = 0;

	if (read(l->wakefd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		return sk_err_sys(e, "read eventfd");
	pthread_mutex_lock(&l->mu);
	p = l->posts;
	l->posts = NULL;
	l->ptail = &l->posts;
	pthread_mutex_unlock(&l->mu);
	/* All of them, even past a stop: they are already off the queue. */
	for (; p != NULL; p = next) {
		next = p->next;
		p->fn(l, p->arg);
		free(p);
		ran++;
	}
	return ran;
}

static int
run_signals(struct sk_loop *l, struct sk_err *e)
{
	struct signalfd_siginfo si;
	struct sigwatch *w;
	ssize_t n;
	int ran = 0;

	/* One at a time, so that a stop leaves the rest in the kernel. */
	while (!l->stop) {
		n = read(l->sigfd, &si, sizeof(si));
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return sk_err_sys(e, "read signalfd");
		}
		if (n != (ssize_t)sizeof(si))
			return sk_err_set(e, EIO, "read signalfd: short read");
		if (si.ssi_signo >= NSIGNALS)
			continue;
		w = &l->sig[si.ssi_signo];
		if (w->active) {
			w->fn(l, (int)si.ssi_signo, w->arg);
			ran++;
		}
	}
	return ran;
}

/* Point the signalfd at set, making it (and adding it to epoll) if there
 * is none yet. */
static int
set_sigfd(struct sk_loop *l, const sigset_t *set, struct sk_err *e)
{
	int fd = signalfd(l->sigfd, set, SFD_NONBLOCK | SFD_CLOEXEC);

	if (fd == -1)
		return sk_err_sys(e, "signalfd");
	if (l->sigfd == -1) {
		if (epoll_add(l->epfd, fd, TAG_SIGNAL, e) == -1) {
			close(fd);
			return -1;
		}
		l->sigfd = fd;
	}
	return 0;
}

int
sk_loop_signal(struct sk_loop *l, int signo, sk_signal_fn *fn, void *arg,
    struct sk_err *e)
{
	sigset_t one, old, next;
	int rc;

	if (signo < 1 || signo >= NSIGNALS || signo == SIGKILL ||
	    signo == SIGSTOP)
		return sk_err_set(e, EINVAL, "watch signal %d: cannot be caught",
		    signo);
	if (!l->sig[signo].active) {
		sigemptyset(&one);
		sigaddset(&one, signo);
		if ((rc = pthread_sigmask(SIG_BLOCK, &one, &old)) != 0) {
			errno = rc;
			return sk_err_sys(e, "block signal %d", signo);
		}
		next = l->sigs;
		sigaddset(&next, signo);
		if (set_sigfd(l, &next, e) == -1) {
			if (!sigismember(&old, signo))
				(void)pthread_sigmask(SIG_UNBLOCK, &one, NULL);
			return -1;
		}
		l->sigs = next;
		l->sig[signo].was_blocked = sigismember(&old, signo);
		l->sig[signo].active = 1;
	}
	l->sig[signo].fn = fn;
	l->sig[signo].arg = arg;
	return 0;
}

void
sk_loop_signal_unwatch(struct sk_loop *l, int signo)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t one;

	if (signo < 1 || signo >= NSIGNALS || !l->sig[signo].active)
		return;
	sigdelset(&l->sigs, signo);
	/* Shrinking the set cannot fail on a valid signalfd; if it somehow
	 * did, the fd would merely go on reading a signal nobody watches. */
	(void)set_sigfd(l, &l->sigs, NULL);
	if (!l->sig[signo].was_blocked) {
		sigemptyset(&one);
		sigaddset(&one, signo);
		/* An instance that came in while watched must not reach the
		 * default action once unblocked: take it now. */
		while (sigtimedwait(&one, NULL, &zero) == signo)
			;
		(void)pthread_sigmask(SIG_UNBLOCK, &one, NULL);	/* only EINVAL */
	}
	memset(&l->sig[signo], 0, sizeof(l->sig[signo]));
}

/* ---- running ------------------------------------------------------------- */

/* Dispatch one ready caller fd; returns 1 if a handler ran. */
static int
run_fd(struct sk_loop *l, int fd, uint32_t ev)
{
	int mask = 0;

	/* An earlier handler of this turn may have unwatched it. */
	if (fd >= l->nw || !l->w[fd].active)
		return 0;
	if (ev & (EPOLLIN | EPOLLRDHUP))
		mask |= SK_READ;
	if (ev & EPOLLOUT)
		mask |= SK_WRITE;
	if (ev & (EPOLLERR | EPOLLHUP))
		mask |= SK_ERROR | (l->w[fd].mask & (SK_READ | SK_WRITE));
	mask &= l->w[fd].mask | SK_ERROR;
	if (mask == 0)
		return 0;
	l->w[fd].fn(l, fd, mask, l->w[fd].arg);
	return 1;
}

/* One turn: wait until deadline or the first timer, dispatch what is
 * ready, then the due timers.  Returns the callbacks run, or -1. */
static int
turn(struct sk_loop *l, int64_t deadline, struct sk_err *e)
{
	int64_t until = deadline;
	int n, i, r, ran = 0;
	uint64_t tag;

	if (l->nheap > 0 && l->heap[0]->when < until)
		until = l->heap[0]->when;
	n = epoll_wait(l->epfd, l->ev, MAX_EVENTS, sk_deadline_left(until));
	if (n == -1) {
		if (errno != EINTR)
			return sk_err_sys(e, "epoll_wait");
		n = 0;
	}
	for (i = 0; i < n && !l->stop; i++) {
		tag = l->ev[i].data.u64 & ~(uint64_t)UINT32_MAX;
		if (tag == TAG_WAKE)
			r = run_posts(l, e);
		else if (tag == TAG_SIGNAL)
			r = run_signals(l, e);
		else
			r = run_fd(l, (int)(uint32_t)l->ev[i].data.u64,
			    l->ev[i].events);
		if (r == -1)
			return -1;
		ran += r;
	}
	if (!l->stop)
		ran += run_timers(l);
	return ran;
}

int
sk_loop_run(struct sk_loop *l, struct sk_err *e)
{
	l->stop = 0;
	while (!l->stop && (l->nwatched > 0 || l->nheap > 0))
		if (turn(l, SK_NEVER, e) == -1)
			return -1;
	return 0;
}

int
sk_loop_run_once(struct sk_loop *l, int64_t deadline, struct sk_err *e)
{
	l->stop = 0;
	return turn(l, deadline, e);
}

void
sk_loop_stop(struct sk_loop *l)
{
	l->stop = 1;
}

int64_t
sk_loop_next_due(const struct sk_loop *l)
{
	return l->nheap > 0 ? l->heap[0]->when : SK_NEVER;
}

int
sk_loop_fd(const struct sk_loop *l)
{
	return l->epfd;
}

int
sk_loop_nwatched(const struct sk_loop *l)
{
	return l->nwatched;
}

int
sk_loop_ntimers(const struct sk_loop *l)
{
	return (int)l->nheap;
}
