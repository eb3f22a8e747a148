/*
 * Pipe mode, like nc: stdin to the peer (LF → CRLF unless --lf or --raw),
 * the peer to stdout, until both directions are done.  In --raw mode on
 * plain TCP, splice(2) moves the bytes without copying them through user
 * space; elsewhere a 128 KiB buffer does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/fd.h"
#include "sockkit/lineio.h"
#include "linechat/conn.h"
#include "linechat/linechat.h"

#define BUFSZ (128 * 1024)
#define SPLICE_CHUNK (1 << 20)

struct dir {
	char buf[BUFSZ * 2];	/* LF → CRLF can double a chunk */
	size_t off, len;
	int eof;
};

/* Convert bare LFs to CRLF; *last_cr carries a CR across chunks. */
static size_t
crlf(const char *in, size_t n, char *out, int *last_cr)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && !*last_cr)
			out[o++] = '\r';
		out[o++] = in[i];
		*last_cr = in[i] == '\r';
	}
	return o;
}

/* UDP: one datagram per input line (its LF included, as nc sends it). */
struct dgram_lines {
	char buf[65507];	/* the largest UDP payload over IPv4 */
	size_t len;
};

static int
send_lines(struct lc_conn *c, struct dgram_lines *d, const char *in, size_t n,
    int flush)
{
	size_t i;

	for (i = 0; i < n; i++) {
		d->buf[d->len++] = in[i];
		/* A line longer than a datagram goes out in pieces. */
		if (in[i] == '\n' || d->len == sizeof(d->buf)) {
			if (lc_conn_write(c, d->buf, d->len) == -1)
				return -1;
			d->len = 0;
		}
	}
	if (flush && d->len > 0) {
		if (lc_conn_write(c, d->buf, d->len) == -1)
			return -1;
		d->len = 0;
	}
	return 0;
}

/* Bigger pipes, fewer splices per MiB.  Failure (EPERM past
 * fs.pipe-max-size, EBUSY) only costs speed: said with -v, not fatal. */
static void
pipe_size(int fd, const struct lc_opts *o)
{
	if (fcntl(fd, F_SETPIPE_SZ, SPLICE_CHUNK) == -1 && o->verbose)
		fprintf(stderr, "linechat: fcntl F_SETPIPE_SZ %d fd %d: %s\n",
		    SPLICE_CHUNK, fd, strerror(errno));
}

/* stdin is read after poll says so, but a blocking one could still stall
 * the loop: refuse to go on if it cannot be made non-blocking. */
static int
stdin_nonblock(void)
{
	struct sk_err e;

	if (sk_fd_nonblock(0, 1, &e) == -1) {
		fprintf(stderr, "linechat: stdin: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int
is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/*
 * Move up to one chunk from in to out with splice, through pipe p when
 * neither end is a pipe.  Returns bytes moved, 0 at EOF, -1 with errno
 * (EAGAIN: wait; EINVAL: splice not possible here, fall back).
 */
static ssize_t
splice_once(int in, int out, int direct, int p[2], size_t *inpipe)
{
	ssize_t n;

	if (direct)
		return splice(in, NULL, out, NULL, SPLICE_CHUNK,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE);
	if (*inpipe == 0) {
		n = splice(in, NULL, p[1], NULL, SPLICE_CHUNK,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n <= 0)
			return n;
		*inpipe = (size_t)n;
	}
	n = splice(p[0], NULL, out, NULL, *inpipe,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE);
	if (n > 0)
		*inpipe -= (size_t)n;
	return n > 0 ? n : -1;
}

/* --raw over plain TCP: splice both ways.  Returns an exit code, or -1
 * if splice cannot be used here (the caller falls back). */
static int
relay_splice(struct lc_conn *c, const struct lc_opts *o)
{
	int up[2] = { -1, -1 }, down[2] = { -1, -1 };
	size_t inup = 0, indown = 0;
	int in_direct = is_pipe(0), out_direct = is_pipe(1);
	int in_eof = 0, out_eof = 0, rc = LC_EXIT_OK;
	int64_t quit_at = SK_NEVER;
	struct pollfd pfd[2];
	ssize_t n;

	if ((!in_direct && pipe2(up, O_CLOEXEC) == -1) ||
	    (!out_direct && pipe2(down, O_CLOEXEC) == -1))
		return -1;
	/* stdin's own pipe grows too (the writer on the other end gains). */
	pipe_size(in_direct ? 0 : up[1], o);
	pipe_size(out_direct ? 1 : down[1], o);
	if (stdin_nonblock() == -1) {
		rc = LC_EXIT_NET;
		goto end;
	}
	/* Done when both directions are: the peer closing its side does not
	 * stop us sending the rest of stdin (nor the reverse). */
	while (!out_eof || !in_eof) {
		pfd[0].fd = in_eof || inup > 0 ? -1 : 0;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->fd;
		pfd[1].events = (out_eof ? 0 : POLLIN) | (inup > 0 ? POLLOUT : 0);
		if (poll(pfd, 2, sk_deadline_left(quit_at)) == 0)
			break;
		if (!in_eof && (pfd[0].revents || (inup > 0 &&
		    (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))))) {
			n = splice_once(0, c->fd, in_direct, up, &inup);
			if (n > 0)
				c->nsent += (uint64_t)n;
			if (n == 0 && inup == 0) {
				in_eof = 1;
				shutdown(c->fd, SHUT_WR);
				if (o->quit_secs >= 0)
					quit_at = sk_deadline_in(o->quit_secs * 1000LL);
			} else if (n == -1 && errno != EAGAIN) {
				if (errno == EINVAL && rc == LC_EXIT_OK &&
				    inup == 0)
					goto fallback;
				lc_warn_net(o, "send");
				rc = LC_EXIT_NET;
				break;
			}
		}
		if (!out_eof && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = splice_once(c->fd, 1, out_direct, down, &indown);
			if (n > 0)
				c->nrecv += (uint64_t)n;
			if (n == 0 && indown == 0) {
				out_eof = 1;
			} else if (n == -1 && errno != EAGAIN) {
				lc_warn_net(o, "receive");
				rc = LC_EXIT_NET;
				break;
			}
		}
	}
	goto end;
fallback:
	rc = -1;
end:
	if (up[0] >= 0) {
		close(up[0]);
		close(up[1]);
	}
	if (down[0] >= 0) {
		close(down[0]);
		close(down[1]);
	}
	return rc;
}

/*
 * Text is converted (LF to CRLF); a binary file piped the same way would
 * arrive changed.  Say so once, from the first block: a NUL byte or
 * invalid UTF-8 there means it is not text typed for a line protocol.
 */
static void
check_binary(const struct lc_conn *c, const struct lc_opts *o,
    const char *buf, size_t n)
{
	size_t off;
	int kind;

	if (o->raw || o->lf || c->dgram || isatty(0))
		return;
	if ((kind = lc_text_check(buf, n, &off)) == LC_TEXT_OK)
		return;
	fprintf(stderr, "linechat: stdin: %s at byte %zu: not text; LF is "
	    "sent as CRLF, --raw passes bytes unchanged\n",
	    kind == LC_TEXT_NUL ? "NUL byte" : "invalid UTF-8", off);
}

int
lc_relay(struct lc_conn *c, const struct lc_opts *o)
{
	static struct dir up;
	static struct dgram_lines dl;
	static char rbuf[BUFSZ], in[BUFSZ];
	struct pollfd pfd[2];
	int64_t quit_at = SK_NEVER;
	int last_cr = 0, rc = LC_EXIT_OK, held, first = 1;
	ssize_t n;

	if (o->raw && c->tls == NULL && !c->dgram) {
		rc = relay_splice(c, o);
		if (rc != -1)
			return rc;
		rc = LC_EXIT_OK;
	}
	if (stdin_nonblock() == -1)
		return LC_EXIT_NET;
	while (!c->rd_eof || !up.eof || up.len > up.off) {
		pfd[0].fd = up.eof || up.len > up.off ? -1 : 0;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->fd;
		pfd[1].events = c->rd_eof ? 0 : lc_conn_rd_events(c);
		if (up.len > up.off)
			pfd[1].events |= lc_conn_wr_events(c);
		/* TLS may hold decrypted data already: then do not sleep.
		 * Otherwise nothing ready means the -q (or UDP idle) time is
		 * up, even when that time is 0: -q 0 must not spin. */
		held = !c->rd_eof && lc_conn_rd_events(c) == 0;
		if (pfd[1].events == 0)
			pfd[1].fd = -1;
		if (poll(pfd, 2, held ? 0 : sk_deadline_left(quit_at)) == 0 &&
		    !held)
			break;
		if (pfd[0].revents) {
			n = read(0, in, sizeof(in));
			if (n > 0 && first)
				check_binary(c, o, in, (size_t)n);
			if (n > 0)
				first = 0;
			if (n > 0 && c->dgram && !o->raw) {
				if (send_lines(c, &dl, in, (size_t)n, 0) == -1) {
					lc_warn_net(o, "send");
					rc = LC_EXIT_NET;
					break;
				}
			} else if (n > 0) {
				if (o->raw || o->lf) {
					memcpy(up.buf, in, (size_t)n);
					up.len = (size_t)n;
				} else {
					up.len = crlf(in, (size_t)n, up.buf, &last_cr);
				}
				up.off = 0;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				if (c->dgram && !o->raw)
					send_lines(c, &dl, NULL, 0, 1);
				up.eof = 1;
				lc_conn_shutdown(c, sk_deadline_in(1000));
				if (o->quit_secs >= 0)
					quit_at = sk_deadline_in(o->quit_secs * 1000LL);
				else if (c->dgram)
					quit_at = sk_deadline_in(o->idle_ms);
			}
		}
		if (up.len > up.off) {
			n = lc_conn_write(c, up.buf + up.off, up.len - up.off);
			if (n > 0) {
				up.off += (size_t)n;
			} else if (errno != EAGAIN && errno != EINTR) {
				lc_warn_net(o, "send");
				rc = LC_EXIT_NET;
				break;
			}
		}
		while (!c->rd_eof) {
			n = lc_conn_read(c, rbuf, sizeof(rbuf));
			if (n > 0) {
				if (c->dgram && o->verbose)
					lc_show_source(c);
				if (lc_write_out(rbuf, (size_t)n) == -1)
					return LC_EXIT_NET;
				/* Each reply restarts the UDP wait. */
				if (c->dgram && up.eof && o->quit_secs < 0)
					quit_at = sk_deadline_in(o->idle_ms);
				continue;
			}
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n == -1) {
				lc_warn_net(o, "receive");
				rc = LC_EXIT_NET;
			}
			break;
		}
		if (rc != LC_EXIT_OK)
			break;
	}
	return rc;
}
