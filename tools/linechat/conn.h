/*
 * linechat/conn.h — the connection every mode talks through: a TCP, UDP or
 * UNIX socket, optionally wrapped in TLS, always non-blocking, plus the
 * struct lc_io adapter that scripts and replays use.
 */
#ifndef LINECHAT_CONN_H
#define LINECHAT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sockkit/err.h"
#include "linechat/io.h"

struct lc_tls;
struct lc_log;

struct lc_conn {
	int fd;
	int dgram;			/* UDP: each write is one datagram */
	struct lc_tls *tls;		/* NULL: plain */
	struct lc_log *log;		/* transcript, or NULL */
	int rd_eof;			/* peer closed its side */
	int wr_shut;			/* we closed ours */
	struct sockaddr_storage from;	/* UDP: source of the last datagram */
	socklen_t fromlen;
	int64_t t0;			/* connect time (for -v timings) */
	uint64_t nsent, nrecv;		/* bytes of data each way (--stats) */
};

/* Make c from a connected (or, for UDP, connected) fd, which is made
 * non-blocking; 0, or -1 with e filled if that fails. */
int lc_conn_init(struct lc_conn *c, int fd, int dgram, struct sk_err *e);

/* Non-blocking read/write: > 0 bytes, 0 at EOF (read), -1 with errno
 * (EAGAIN: try after lc_conn_events() says so).  Both log to the
 * transcript when one is open. */
ssize_t lc_conn_read(struct lc_conn *c, void *buf, size_t n);
ssize_t lc_conn_write(struct lc_conn *c, const void *buf, size_t n);

/* poll(2) events to wait for before the next read (POLLIN, or POLLOUT
 * when TLS needs to write first); 0 if data is already buffered. */
short lc_conn_rd_events(const struct lc_conn *c);
short lc_conn_wr_events(const struct lc_conn *c);

/* Blocking-with-deadline helpers: read what is available (waiting until
 * deadline), write everything.  Same returns as struct lc_io. */
ssize_t lc_conn_read_wait(struct lc_conn *c, void *buf, size_t n,
    int64_t deadline);
int lc_conn_write_all(struct lc_conn *c, const void *buf, size_t n,
    int64_t deadline);

/* text (n bytes) and eol in one write: a peer that answers the first
 * segment and closes would reset the connection under a second one.
 * 0, or -1 with errno (ENOMEM too). */
int lc_conn_write_line(struct lc_conn *c, const char *text, size_t n,
    const char *eol, int64_t deadline);

/* Half-close our side (TLS: close_notify first). */
int lc_conn_shutdown(struct lc_conn *c, int64_t deadline);

/* Close everything (TLS session, fd); c can be reused after init. */
void lc_conn_close(struct lc_conn *c);

/* Fill io with callbacks over c; say/echo go to err/out (may be NULL). */
void lc_conn_io(struct lc_conn *c, struct lc_io *io);

#endif
