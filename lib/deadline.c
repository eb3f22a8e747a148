#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <time.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"

int64_t
sk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
sk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
sk_deadline_in(int64_t ms)
{
	int64_t now;

	if (ms < 0)
		return SK_NEVER;
	now = sk_now_ms();
	return ms > SK_NEVER - now ? SK_NEVER : now + ms;
}

int
sk_deadline_left(int64_t deadline)
{
	int64_t left;

	if (deadline == SK_NEVER)
		return -1;
	left = deadline - sk_now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

int
sk_deadline_passed(int64_t deadline)
{
	return deadline != SK_NEVER && sk_now_ms() >= deadline;
}

int
sk_wait(int fd, short events, int64_t deadline, struct sk_err *e)
{
	struct pollfd p;
	int n;

	p.fd = fd;
	p.events = events;
	for (;;) {
		p.revents = 0;
		n = poll(&p, 1, sk_deadline_left(deadline));
		if (n > 0)
			return p.revents;
		if (n == 0) {
			sk_err_set(e, ETIMEDOUT, "timed out");
			return 0;
		}
		if (errno != EINTR)
			return sk_err_sys(e, "poll");
	}
}

void
sk_sleep_until(int64_t deadline)
{
	int left;

	while ((left = sk_deadline_left(deadline)) != 0) {
		if (left < 0)
			left = INT_MAX;
		poll(NULL, 0, left);
	}
}
