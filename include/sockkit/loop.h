/*
 * sockkit/loop.h — a small epoll event loop in the spirit of Redis ae.c:
 * fd watchers with read/write interest, one-shot and repeating timers,
 * signals as events, stop; one-step turns for callers that own their main
 * loop.  The struct is opaque.  Every function runs on the loop's thread,
 * except sk_loop_post() and sk_loop_wake(), which any thread may call.
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
/* A callback queued by sk_loop_post(); runs on the loop's thread. */
typedef void sk_post_fn(struct sk_loop *l, void *arg);
/* signo arrived (read from a signalfd, never by a handler). */
typedef void sk_signal_fn(struct sk_loop *l, int signo, void *arg);

/* A new loop; setsize is a hint of how many fds it will watch. */
struct sk_loop *sk_loop_new(int setsize, struct sk_err *e);
/* Free the loop, its timers and queued posts, restore the mask of watched
 * signals; watched fds are not closed.  No thread may post to it after. */
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

/* Run until sk_loop_stop() or no fd is left to watch and no timer to run
 * (signal watches and posts do not keep it running).
 * Returns 0, or -1 if epoll_wait fails with something other than EINTR. */
int sk_loop_run(struct sk_loop *l, struct sk_err *e);
/*
 * One turn, for callers that own their main loop: wait until something is
 * ready, a timer is due or deadline (absolute, deadline.h; SK_NOW polls,
 * SK_NEVER waits) passes, run what is ready once, return.  Returns the
 * number of callbacks run (0: timed out or woken), or -1 (e filled).
 */
int sk_loop_run_once(struct sk_loop *l, int64_t deadline, struct sk_err *e);
/* Make sk_loop_run() (or the current sk_loop_run_once() turn) return once
 * the running callback returns.  Loop thread only: from another thread,
 * sk_loop_post() a callback that calls it. */
void sk_loop_stop(struct sk_loop *l);

/* When the earliest timer is due (absolute ms, possibly past), or
 * SK_NEVER if there is none: how long a caller's own poll may sleep. */
int64_t sk_loop_next_due(const struct sk_loop *l);
/* The loop's epoll fd: readable when sk_loop_run_once(l, SK_NOW, e) has
 * work, for a caller's own poll(2) set.  Owned by the loop. */
int sk_loop_fd(const struct sk_loop *l);

/*
 * Thread-safe: queue fn(l, arg) to run on the loop's thread in its next
 * turn, in the order posted, and wake the loop.  Any thread may call it
 * while the loop runs.  Posts still queued at sk_loop_free() are dropped
 * uncalled.  Returns 0, or -1 (ENOMEM; e filled).
 */
int sk_loop_post(struct sk_loop *l, sk_post_fn *fn, void *arg,
    struct sk_err *e);
/* Thread- and async-signal-safe: make the loop's current or next wait
 * return (an eventfd write).  Never fails; errno is preserved. */
void sk_loop_wake(struct sk_loop *l);

/*
 * Deliver signo as a callback on the loop (signalfd): the signal is
 * blocked in the calling thread (pthread_sigmask), so it never takes its
 * default action or a handler.  Other threads must block it too (threads
 * created afterwards inherit the mask).  A signal already blocked and
 * pending is delivered on the next turn.  A second call replaces fn/arg.
 * Returns 0, or -1 (EINVAL for SIGKILL, SIGSTOP, out of range; e filled).
 */
int sk_loop_signal(struct sk_loop *l, int signo, sk_signal_fn *fn, void *arg,
    struct sk_err *e);
/* Stop watching signo and restore its blocked state as it was before
 * sk_loop_signal(); an instance not yet delivered is discarded rather than
 * let through.  sk_loop_free() does this for every watched signal. */
void sk_loop_signal_unwatch(struct sk_loop *l, int signo);

/* Number of watched fds and pending timers. */
int sk_loop_nwatched(const struct sk_loop *l);
int sk_loop_ntimers(const struct sk_loop *l);

#endif
