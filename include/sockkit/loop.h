/*
 * sockkit/loop.h — a small epoll event loop in the spirit of Redis ae.c:
 * fd watchers with read/write interest, one-shot and repeating timers,
 * stop.  Single-threaded; the struct is opaque.
 */
#ifndef SOCKKIT_LOOP_H
#define SOCKKIT_LOOP_H

#include <stdint.h>

struct sk_err;
struct sk_loop;
struct sk_timer;

#define SK_READ  0x1
#define SK_WRITE 0x2
#define SK_ERROR 0x4	/* reported only: EPOLLERR/EPOLLHUP */

/* events is the SK_* mask that is ready. */
typedef void sk_fd_fn(struct sk_loop *l, int fd, int events, void *arg);
/* Return the delay in ms before the next run, or -1 to end the timer
 * (its handle is then invalid). */
typedef int64_t sk_timer_fn(struct sk_loop *l, struct sk_timer *t, void *arg);

/* A new loop; setsize is a hint of how many fds it will watch. */
struct sk_loop *sk_loop_new(int setsize, struct sk_err *e);
/* Free the loop and its timers; watched fds are not closed. */
void sk_loop_free(struct sk_loop *l);

/*
 * Watch fd for mask (SK_READ|SK_WRITE); replaces any earlier watch of fd.
 * mask 0 keeps the registration but stops events.  Returns 0 or -1.
 */
int sk_loop_watch(struct sk_loop *l, int fd, int mask, sk_fd_fn *fn, void *arg,
    struct sk_err *e);
/* Change only the mask of a watched fd. */
int sk_loop_mask(struct sk_loop *l, int fd, int mask, struct sk_err *e);
/* Stop watching fd (call before closing it).  Unknown fds are ignored. */
void sk_loop_unwatch(struct sk_loop *l, int fd);

/* Run fn after ms milliseconds (then as fn's return value says).
 * Returns a handle or NULL (e filled). */
struct sk_timer *sk_loop_timer(struct sk_loop *l, int64_t ms, sk_timer_fn *fn,
    void *arg, struct sk_err *e);
/* Cancel a pending timer (not from inside its own callback: return -1). */
void sk_loop_timer_cancel(struct sk_loop *l, struct sk_timer *t);

/* Run until sk_loop_stop() or nothing is left to watch or time.
 * Returns 0, or -1 if epoll_wait fails with something other than EINTR. */
int sk_loop_run(struct sk_loop *l, struct sk_err *e);
/* Make sk_loop_run() return after the current iteration. */
void sk_loop_stop(struct sk_loop *l);

/* Number of watched fds and pending timers. */
int sk_loop_nwatched(const struct sk_loop *l);
int sk_loop_ntimers(const struct sk_loop *l);

#endif
