/*
 * linechat/io.h — how the script engine and the replayer talk to the
 * connection, whatever carries it (TCP, UDP, UNIX, TLS): a few callbacks
 * with deadlines.  main.c provides them over a struct lc_conn.
 */
#ifndef LINECHAT_IO_H
#define LINECHAT_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sockkit/err.h"

struct lc_io {
	void *arg;
	/* Read what is available, up to n bytes, waiting until deadline
	 * (absolute sk_now_ms() time; SK_NEVER waits forever).  Returns
	 * bytes read (> 0), 0 at EOF, -1 with errno ETIMEDOUT when the
	 * deadline passed, -1 with another errno on error. */
	ssize_t (*read)(void *arg, void *buf, size_t n, int64_t deadline);
	/* Write all n bytes before deadline; 0 or -1 (errno set). */
	int (*write)(void *arg, const void *buf, size_t n, int64_t deadline);
	/* Show received bytes to the user (chat's ECHO ON; may be NULL). */
	void (*echo)(void *arg, const void *buf, size_t n);
	/* A message for the user on stderr (SAY, REPORT; may be NULL). */
	void (*say)(void *arg, const char *msg, size_t n);
};

/* Exit codes of every linechat mode (linechat(1)): the suite's table
 * (sockkit/err.h) plus 4 + n for the n-th ABORT string. */
#define LC_EXIT_OK	SK_EXIT_OK
#define LC_EXIT_NOREPLY	SK_EXIT_NEGATIVE /* no reply, or replay differs */
#define LC_EXIT_USAGE	SK_EXIT_USAGE	/* usage or script error */
#define LC_EXIT_NET	SK_EXIT_FAIL	/* network error or timeout */
#define LC_EXIT_ABORT	4	/* 4 + n: the n-th ABORT string matched */

#endif
