/*
 * sockkit/log.h — daemon logging to syslog (LOG_DAEMON) or stderr.
 */
#ifndef SOCKKIT_LOG_H
#define SOCKKIT_LOG_H

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <sys/socket.h>

struct sk_log {
	int to_stderr;		/* 1: stderr lines, 0: syslog */
	int max_prio;		/* messages above this priority are dropped */
	char ident[32];
	FILE *out;		/* stderr unless changed (for tests) */
};

/* Open a log: syslog(3) with ident and LOG_PID under LOG_DAEMON, or
 * stderr lines "ident[pid]: message" when to_stderr. */
void sk_log_open(struct sk_log *lg, const char *ident, int to_stderr);
void sk_log_close(struct sk_log *lg);

/* Log one line at prio (LOG_ERR, LOG_INFO, ...). */
void sk_log(struct sk_log *lg, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sk_vlog(struct sk_log *lg, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* "198.18.0.2 port 55049", "2001:2::2 port 43", "unix:/run/x" into buf;
 * v4-mapped v6 shown as v4.  Returns buf. */
char *sk_log_peer(const struct sockaddr *sa, char *buf, size_t len);

/* Peer text for a log line: sk_vis() with SK_VIS_LOG (sockkit/vis.h). */

#endif
