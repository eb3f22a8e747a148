/*
 * linechat/linechat.h — options from the command line and the modes
 * main() dispatches to.
 */
#ifndef LINECHAT_LINECHAT_H
#define LINECHAT_LINECHAT_H

#include <stddef.h>
#include <stdint.h>

#include "linechat/io.h"

#define LC_MAX_LINES 64

struct lc_conn;

struct lc_opts {
	int family;
	int verbose;
	int connect_ms;		/* -w, 0: none beyond the kernel's */
	const char *src;	/* -s */
	int raw, lf, show_crlf;
	int quit_secs;		/* -q, -1: wait for the peer to close */
	int idle_ms;		/* -i: one-shot/UDP idle time */
	const char *lines[LC_MAX_LINES];	/* -c */
	int nlines;
	const char *script_file;	/* -f */
	const char *script_expr;	/* -e */
	const char *log_path;		/* --log */
	const char *replay_path;	/* --replay */
	int fast;
	int listen, keep, udp;
	const char *unix_path;		/* -U */
	int tls, insecure;
	const char *ca_file, *starttls;
	const char *host, *service;
	int color;
};

/* Modes; each returns an exit code (io.h). */
int lc_relay(struct lc_conn *c, const struct lc_opts *o);
int lc_oneshot(struct lc_conn *c, const struct lc_opts *o);
int lc_interactive(struct lc_conn *c, const struct lc_opts *o);

/* Upgrade c to TLS now (after --starttls or ~starttls); 0 or -1 (said). */
int lc_start_tls(struct lc_conn *c, const struct lc_opts *o);

/* "linechat: what: strerror(errno)" on stderr. */
void lc_warn_net(const struct lc_opts *o, const char *what);
/* "from 198.18.0.2 port 53:" on stderr for UDP replies (-v). */
void lc_show_source(const struct lc_conn *c);
/* Write all of buf to stdout (which may be non-blocking); 0 or -1. */
int lc_write_out(const void *buf, size_t n);

#endif
