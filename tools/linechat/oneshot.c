/*
 * One-shot mode (-c LINE ...): send the lines, print the reply until the
 * peer closes or stays silent for -i seconds.  `linechat -c reggers HOST
 * whois` is the source text's whois client.
 *
 * Each line goes out in one write, text and line end together: a server
 * that answers the first segment and closes (redis refusing a client)
 * would reset the connection under a second one.  While a send waits for
 * room, what the peer says is printed as it arrives, and after a send
 * error whatever is still queued is printed before the error: the reply
 * usually says why the peer stopped listening.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/deadline.h"
#include "linechat/conn.h"
#include "linechat/linechat.h"

#define DRAIN_MS 200	/* after a send error: wait this long for the rest */

enum { RD_AGAIN, RD_DATA, RD_EOF, RD_ERR, RD_OUT };

/* One non-blocking read, printed.  RD_ERR leaves errno set; RD_OUT: stdout
 * failed (said). */
static int
take(struct lc_conn *c, const struct lc_opts *o)
{
	static char buf[64 * 1024];
	ssize_t n = lc_conn_read(c, buf, sizeof(buf));

	if (n > 0) {
		if (c->dgram && o->verbose)
			lc_show_source(c);
		return lc_write_out(buf, (size_t)n) == -1 ? RD_OUT : RD_DATA;
	}
	if (n == 0)
		return c->dgram ? RD_DATA : RD_EOF;	/* an empty datagram */
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return RD_AGAIN;
	return RD_ERR;
}

/* Print what the peer has sent up to now, waiting at most until
 * deadline for more; errno is kept. */
static void
drain(struct lc_conn *c, const struct lc_opts *o, int64_t deadline)
{
	int saved = errno, r;
	short ev;

	while (!c->rd_eof) {
		r = take(c, o);
		if (r == RD_DATA)
			continue;
		if (r != RD_AGAIN)
			break;
		if ((ev = lc_conn_rd_events(c)) != 0 &&
		    sk_wait(c->fd, ev, deadline, NULL) <= 0)
			break;
	}
	errno = saved;
}

/*
 * Send line and eol in one write (more only if the socket takes part of
 * it), printing replies while there is no room.  Returns RD_DATA when
 * sent, RD_ERR with errno, or RD_OUT.  *got is set when a reply came.
 */
static int
send_line(struct lc_conn *c, const struct lc_opts *o, const char *line,
    const char *eol, int *got)
{
	size_t len = strlen(line), elen = strlen(eol), off = 0;
	int64_t deadline = sk_deadline_in(o->idle_ms);
	struct pollfd pfd;
	char *buf;
	ssize_t n;
	int r, rc = RD_DATA;

	if ((buf = malloc(len + elen)) == NULL)
		return RD_ERR;
	memcpy(buf, line, len);
	memcpy(buf + len, eol, elen);
	len += elen;
	while (off < len) {
		n = lc_conn_write(c, buf + off, len - off);
		if (n > 0) {
			off += (size_t)n;
			deadline = sk_deadline_in(o->idle_ms);
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			rc = RD_ERR;
			break;
		}
		pfd.fd = c->fd;
		pfd.events = lc_conn_wr_events(c);
		if (!c->rd_eof) {
			if (lc_conn_rd_events(c) == 0)
				pfd.events = 0;		/* TLS holds data */
			else
				pfd.events |= lc_conn_rd_events(c);
		}
		if (pfd.events != 0) {
			r = poll(&pfd, 1, sk_deadline_left(deadline));
			if (r == 0) {
				errno = ETIMEDOUT;
				rc = RD_ERR;
				break;
			}
			if (r == -1 && errno != EINTR) {
				rc = RD_ERR;
				break;
			}
		}
		if (c->rd_eof)
			continue;
		r = take(c, o);
		if (r == RD_DATA) {
			*got = 1;
			deadline = sk_deadline_in(o->idle_ms);
		} else if (r == RD_ERR || r == RD_OUT) {
			rc = r;
			break;
		}
	}
	free(buf);
	return rc;
}

int
lc_oneshot(struct lc_conn *c, const struct lc_opts *o)
{
	const char *eol = o->raw ? "" : o->lf ? "\n" : "\r\n";
	int64_t deadline;
	int i, r, got = 0;

	for (i = 0; i < o->nlines; i++) {
		r = send_line(c, o, o->lines[i], eol, &got);
		if (r == RD_OUT)
			return LC_EXIT_NET;
		if (r == RD_ERR) {
			drain(c, o, sk_deadline_in(DRAIN_MS));
			lc_warn_net(o, "send");
			return LC_EXIT_NET;
		}
	}
	deadline = sk_deadline_in(o->idle_ms);
	while (!c->rd_eof) {
		r = take(c, o);
		if (r == RD_DATA) {
			got = 1;
			/* -i is idle time: every reply restarts it. */
			deadline = sk_deadline_in(o->idle_ms);
			continue;
		}
		if (r == RD_OUT)
			return LC_EXIT_NET;
		if (r == RD_ERR) {
			lc_warn_net(o, "receive");
			return LC_EXIT_NET;
		}
		if (r == RD_AGAIN && lc_conn_rd_events(c) != 0) {
			r = sk_wait(c->fd, lc_conn_rd_events(c), deadline, NULL);
			if (r == 0)
				break;
			if (r < 0 && errno != EINTR) {
				lc_warn_net(o, "receive");
				return LC_EXIT_NET;
			}
		}
	}
	return got ? LC_EXIT_OK : LC_EXIT_NOREPLY;
}
