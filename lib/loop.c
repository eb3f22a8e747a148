/*
 * A small epoll event loop (see sockkit/loop.h), after Redis ae.c: an fd
 * table indexed by fd, a min-heap of timers, one epoll_wait per turn.
 * Handlers must tolerate a spurious readiness event (an fd closed and
 * reused within one turn), as with any level-triggered loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/loop.h"

#define MAX_EVENTS 256

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

struct sk_loop {
	int epfd;
	int stop;
	struct watch *w;
	int nw;			/* size of w */
	int nwatched;
	struct sk_timer **heap;
	size_t nheap, capheap;
	uint64_t seq;
	struct epoll_event ev[MAX_EVENTS];
};

struct sk_loop *
sk_loop_new(int setsize, struct sk_err *e)
{
	struct sk_loop *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		sk_err_sys(e, "loop");
		return NULL;
	}
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd == -1) {
		sk_err_sys(e, "epoll_create1");
		free(l);
		return NULL;
	}
	l->nw = setsize > 16 ? setsize : 16;
	l->w = calloc(l->nw, sizeof(*l->w));
	if (l->w == NULL) {
		sk_err_sys(e, "loop");
		close(l->epfd);
		free(l);
		return NULL;
	}
	return l;
}

void
sk_loop_free(struct sk_loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->w);
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
	ev.data.fd = fd;
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

static void
run_timers(struct sk_loop *l)
{
	int64_t now = sk_now_ms(), again;
	struct sk_timer *t;
	uint64_t limit = l->seq;

	/* Timers added while running (seq >= limit) wait for the next turn,
	 * so a 0 ms repeating timer cannot starve the fds. */
	while (l->nheap > 0 && !l->stop) {
		t = l->heap[0];
		if (t->when > now || t->seq >= limit)
			break;
		heap_remove(l, t);
		again = t->fn(l, t, t->arg);
		if (again < 0) {
			free(t);
			continue;
		}
		t->when = sk_now_ms() + again;
		if (heap_push(l, t) == -1)
			free(t);
	}
}

int
sk_loop_run(struct sk_loop *l, struct sk_err *e)
{
	int n, i, fd, mask, timeout;
	uint32_t ev;

	l->stop = 0;
	while (!l->stop && (l->nwatched > 0 || l->nheap > 0)) {
		timeout = -1;
		if (l->nheap > 0) {
			int64_t left = l->heap[0]->when - sk_now_ms();

			timeout = left <= 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
		}
		n = epoll_wait(l->epfd, l->ev, MAX_EVENTS, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return sk_err_sys(e, "epoll_wait");
		}
		for (i = 0; i < n && !l->stop; i++) {
			fd = l->ev[i].data.fd;
			ev = l->ev[i].events;
			/* An earlier handler of this turn may have unwatched it. */
			if (fd >= l->nw || !l->w[fd].active)
				continue;
			mask = 0;
			if (ev & (EPOLLIN | EPOLLRDHUP))
				mask |= SK_READ;
			if (ev & EPOLLOUT)
				mask |= SK_WRITE;
			if (ev & (EPOLLERR | EPOLLHUP))
				mask |= SK_ERROR | (l->w[fd].mask & (SK_READ | SK_WRITE));
			mask &= l->w[fd].mask | SK_ERROR;
			if (mask != 0)
				l->w[fd].fn(l, fd, mask, l->w[fd].arg);
		}
		run_timers(l);
	}
	return 0;
}

void
sk_loop_stop(struct sk_loop *l)
{
	l->stop = 1;
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
