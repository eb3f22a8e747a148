/*
 * linechat/linechat.h — options from the command line and the modes
 * main() dispatches to.
 */
#ifndef LINECHAT_LINECHAT_H
#define LINECHAT_LINECHAT_H

#include <stddef.h>
#include <stdint.h>

#include "linechat/io.h"
#include "linechat/transcript.h"

#define LC_MAX_LINES 64

struct lc_conn;
struct sk_err;

struct lc_opts {
	int family;
	int families;		/* how many of -4, -6 were given */
	int verbose;
	int connect_ms;		/* -w, 0: none beyond the kernel's */
	int wait_set, idle_set;	/* -w, -i given */
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
	const char *ignore[LC_IGNORE_MAX];	/* --ignore */
	int nignore;
	int stats;			/* --stats */
	int fast;
	int listen, keep, udp;
	const char *unix_path;		/* -U */
	int tls, insecure;
	const char *ca_file, *starttls;
	const char *host, *service;
	int color;
};

/* NULL if the options make sense together, else why not, as a one-line
 * message ("-k: only with -l").  interactive: the session will be one
 * (stdin and stdout are terminals, no -c, -e, -f or --replay). */
const char *lc_opts_conflict(const struct lc_opts *o, int interactive);

/* The connection (open.c): connect as o says, or open the -l listener
 * and take its next peer (UDP: the first datagram's sender; the socket
 * itself is returned, connected to it).  fd, or -1 with e filled.  -v
 * says each step on stderr. */
int lc_connect(const struct lc_opts *o, struct sk_err *e);
int lc_listen(const struct lc_opts *o, struct sk_err *e);
int lc_accept(const struct lc_opts *o, int lfd, struct sk_err *e);

/* Whether n bytes look like text (text.c): LC_TEXT_OK, or LC_TEXT_NUL /
 * LC_TEXT_BADUTF8 with *off the offset of the first NUL byte or of the
 * first byte that is not valid UTF-8 (per sk_utf8_len(): overlong forms,
 * surrogates and code points past U+10FFFF are not).  A sequence cut by the end of buf
 * is fine: it may go on in the next block. */
enum { LC_TEXT_OK, LC_TEXT_NUL, LC_TEXT_BADUTF8 };
int lc_text_check(const void *buf, size_t n, size_t *off);

/* Modes; each returns an exit code (io.h). */
int lc_relay(struct lc_conn *c, const struct lc_opts *o);
int lc_oneshot(struct lc_conn *c, const struct lc_opts *o);
int lc_interactive(struct lc_conn *c, const struct lc_opts *o);

/* Upgrade c to TLS now (after --starttls or ~starttls); 0 or -1 (said). */
int lc_start_tls(struct lc_conn *c, const struct lc_opts *o);

/* "linechat: what: strerror(errno)" on stderr. */
void lc_warn_net(const struct lc_opts *o, const char *what);
/* "from 198.18.0.2:53:" on stderr for UDP replies (-v). */
void lc_show_source(const struct lc_conn *c);
/* Write all of buf to stdout (which may be non-blocking); 0 or -1. */
int lc_write_out(const void *buf, size_t n);

#endif
