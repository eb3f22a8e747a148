/* The connection under every linechat mode.  See conn.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/fd.h"
#include "sockkit/lineio.h"
#include "linechat/conn.h"
#include "linechat/tls.h"
#include "linechat/transcript.h"

int
lc_conn_init(struct lc_conn *c, int fd, int dgram, struct sk_err *e)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->dgram = dgram;
	c->t0 = sk_now_ms();
	/* Every mode's waits assume a non-blocking socket: a blocking one
	 * would hang past the deadline, so this must not fail in silence. */
	return sk_fd_nonblock(fd, 1, e) == -1 ? -1 : 0;
}

ssize_t
lc_conn_read(struct lc_conn *c, void *buf, size_t n)
{
	ssize_t r;

	if (c->tls != NULL) {
		r = lc_tls_read(c->tls, buf, n);
	} else if (c->dgram) {
		c->fromlen = sizeof(c->from);
		r = recvfrom(c->fd, buf, n, 0, (struct sockaddr *)&c->from,
		    &c->fromlen);
	} else {
		r = read(c->fd, buf, n);
	}
	if (r > 0)
		c->nrecv += (uint64_t)r;
	if (r > 0 && c->log != NULL)
		lc_log_data(c->log, '<', buf, (size_t)r);
	if (r == 0 && !c->dgram) {
		c->rd_eof = 1;
		if (c->log != NULL)
			lc_log_event(c->log, "peer closed");
	}
	if (r == -1 && errno == ECONNRESET && c->log != NULL)
		lc_log_event(c->log, "connection reset");
	return r;
}

ssize_t
lc_conn_write(struct lc_conn *c, const void *buf, size_t n)
{
	ssize_t r;

	if (c->tls != NULL)
		r = lc_tls_write(c->tls, buf, n);
	else
		r = send(c->fd, buf, n, MSG_NOSIGNAL);
	if (r > 0)
		c->nsent += (uint64_t)r;
	if (r > 0 && c->log != NULL)
		lc_log_data(c->log, '>', buf, (size_t)r);
	return r;
}

short
lc_conn_rd_events(const struct lc_conn *c)
{
	if (c->tls == NULL)
		return POLLIN;
	if (lc_tls_pending(c->tls) > 0)
		return 0;
	return lc_tls_want(c->tls) == POLLOUT ? POLLOUT : POLLIN;
}

short
lc_conn_wr_events(const struct lc_conn *c)
{
	if (c->tls == NULL)
		return POLLOUT;
	return lc_tls_want(c->tls) == POLLIN ? POLLIN : POLLOUT;
}

ssize_t
lc_conn_read_wait(struct lc_conn *c, void *buf, size_t n, int64_t deadline)
{
	ssize_t r;
	short ev;
	int w;

	for (;;) {
		r = lc_conn_read(c, buf, n);
		if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR))
			return r;
		ev = lc_conn_rd_events(c);
		if (ev == 0)
			continue;
		w = sk_wait(c->fd, ev, deadline, NULL);
		if (w == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (w < 0)
			return -1;
	}
}

/* TLS records go through OpenSSL, which sk_write_all cannot drive. */
static int
tls_write_all(struct lc_conn *c, const void *buf, size_t n, int64_t deadline)
{
	const char *p = buf;
	size_t off = 0;
	ssize_t r;
	int w;

	while (off < n) {
		r = lc_conn_write(c, p + off, n - off);
		if (r > 0) {
			off += (size_t)r;
			continue;
		}
		if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return -1;
		w = sk_wait(c->fd, lc_conn_wr_events(c), deadline, NULL);
		if (w == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (w < 0)
			return -1;
	}
	return 0;
}

int
lc_conn_write_all(struct lc_conn *c, const void *buf, size_t n,
    int64_t deadline)
{
	struct sk_err e;
	size_t done = 0;
	int rc;

	if (c->tls != NULL)
		return tls_write_all(c, buf, n, deadline);
	rc = sk_write_all(c->fd, buf, n, deadline, &done, &e);
	c->nsent += done;
	if (done > 0 && c->log != NULL)
		lc_log_data(c->log, '>', buf, done);
	if (rc == -1)
		errno = e.code;
	return rc;
}

int
lc_conn_write_line(struct lc_conn *c, const char *text, size_t n,
    const char *eol, int64_t deadline)
{
	size_t elen = strlen(eol);
	char *buf;
	int rc;

	if ((buf = malloc(n + elen)) == NULL)
		return -1;
	memcpy(buf, text, n);
	memcpy(buf + n, eol, elen);
	rc = lc_conn_write_all(c, buf, n + elen, deadline);
	free(buf);
	return rc;
}

int
lc_conn_shutdown(struct lc_conn *c, int64_t deadline)
{
	if (c->wr_shut)
		return 0;
	c->wr_shut = 1;
	if (c->log != NULL)
		lc_log_event(c->log, "we closed our side");
	if (c->dgram)
		return 0;
	if (c->tls != NULL)
		lc_tls_shutdown(c->tls, deadline);
	return shutdown(c->fd, SHUT_WR);
}

void
lc_conn_close(struct lc_conn *c)
{
	if (c->tls != NULL) {
		lc_tls_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* ---- struct lc_io over a connection ------------------------------------- */

static ssize_t
io_read(void *arg, void *buf, size_t n, int64_t deadline)
{
	return lc_conn_read_wait(arg, buf, n, deadline);
}

static int
io_write(void *arg, const void *buf, size_t n, int64_t deadline)
{
	return lc_conn_write_all(arg, buf, n, deadline);
}

static void
io_echo(void *arg, const void *buf, size_t n)
{
	fwrite(buf, 1, n, stdout);
	fflush(stdout);
}

static void
io_say(void *arg, const char *msg, size_t n)
{
	fwrite(msg, 1, n, stderr);
	if (n == 0 || msg[n - 1] != '\n')
		fputc('\n', stderr);
}

void
lc_conn_io(struct lc_conn *c, struct lc_io *io)
{
	memset(io, 0, sizeof(*io));
	io->arg = c;
	io->read = io_read;
	io->write = io_write;
	io->echo = io_echo;
	io->say = io_say;
}
