/*
 * sockkit/deadline.h — absolute monotonic deadlines: the source text's
 * alarm(2)+setjmp timeouts, done with poll(2) and no signals.
 *
 * A deadline is an absolute CLOCK_MONOTONIC time in milliseconds, or
 * SK_NEVER for "wait forever".  Blocking libsockkit calls take one.  Every
 * header means the same by the two named values: SK_NEVER waits forever;
 * SK_NOW (0, a time long past) does not wait at all: a call given SK_NOW
 * does what it can without blocking and reports a timeout otherwise.
 */
#ifndef SOCKKIT_DEADLINE_H
#define SOCKKIT_DEADLINE_H

#include <stdint.h>

struct sk_err;

#define SK_NEVER INT64_MAX
#define SK_NOW   0

/* Monotonic clock in milliseconds (CLOCK_MONOTONIC). */
int64_t sk_now_ms(void);
/* The same clock in microseconds, for round-trip times and query timing. */
int64_t sk_now_us(void);

/* The deadline ms milliseconds from now; ms < 0 gives SK_NEVER. */
int64_t sk_deadline_in(int64_t ms);

/* Milliseconds left until deadline as a poll(2) timeout: -1 for SK_NEVER,
 * 0 if it has passed, otherwise clamped to INT_MAX. */
int sk_deadline_left(int64_t deadline);

/* Non-zero if deadline is not SK_NEVER and has passed. */
int sk_deadline_passed(int64_t deadline);

/*
 * Wait until fd is ready for events (POLLIN, POLLOUT) or deadline passes.
 * Returns the revents (> 0; POLLERR/POLLHUP are reported, not hidden),
 * 0 on timeout (e filled, code ETIMEDOUT), -1 on error.  EINTR restarts
 * with the remaining time.
 */
int sk_wait(int fd, short events, int64_t deadline, struct sk_err *e);

/* Sleep until deadline (no signals; EINTR restarts). */
void sk_sleep_until(int64_t deadline);

#endif
