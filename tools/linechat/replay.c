/*
 * The --replay engine: send what a transcript says we sent, with its
 * pacing, and compare what comes back with what was received then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/vis.h"
#include "linechat/transcript.h"
#include "linechat/transcript_int.h"

#define CTX_BEFORE	16	/* matched bytes shown before a difference */
#define CTX_AFTER	32	/* bytes shown from the difference on */
#define CTX_WAIT_MS	100	/* how long to wait for the rest of a "got" */

/* ------------------------------------------------------------------------
 * Replay
 * ------------------------------------------------------------------------ */

struct replay {
	const struct lc_transcript *t;
	const struct lc_io *io;
	struct lc_replay_opts o;
	FILE *report;
	size_t pos;		/* '<' bytes matched so far */
	size_t xev, xoff;	/* event and offset of the next expected byte */
	size_t send;		/* next event to look at for sending */
	int64_t t0;		/* when replay started: recorded ms 0 */
	int64_t progress;	/* last byte sent or received */
	/* --ignore: a line that differs is collected whole, then compared
	 * without the ignored parts. */
	size_t lpos;		/* bytes matched since the last LF */
	int lmode;		/* collecting such a line */
	size_t lstart;		/* its start in the '<' stream */
	unsigned char line[LC_REPLAY_LINE_MAX];
	size_t llen;
};

void
lc_replay_opts_init(struct lc_replay_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->idle_ms = 2000;
	o->tail_ms = 500;
}

static size_t
next_rx(const struct lc_transcript *t, size_t i)
{
	while (i < t->nev && t->ev[i].dir != '<')
		i++;
	return i;
}

/* Copy '<' stream bytes [from, to) to out; returns how many exist. */
static size_t
expected_copy(const struct lc_transcript *t, size_t from, size_t to,
    unsigned char *out)
{
	const struct lc_event *ev;
	size_t i, a, b, o = 0;

	for (i = next_rx(t, 0); i < t->nev && from < to;
	    i = next_rx(t, i + 1)) {
		ev = &t->ev[i];
		if (ev->rxoff + ev->len <= from)
			continue;
		a = from - ev->rxoff;
		b = to - ev->rxoff < ev->len ? to - ev->rxoff : ev->len;
		memcpy(out + o, ev->data + a, b - a);
		o += b - a;
		from += b - a;
	}
	return o;
}

/*
 * Match received bytes against the expected stream, advancing the cursor.
 * Returns the index of the first byte that differs or was not expected,
 * or n when all of them matched.
 */
static size_t
match(struct replay *r, const unsigned char *p, size_t n)
{
	const struct lc_transcript *t = r->t;
	const struct lc_event *ev;
	size_t i = 0, j, k;

	while (i < n && r->pos < t->rxtotal) {
		ev = &t->ev[r->xev];
		k = ev->len - r->xoff < n - i ? ev->len - r->xoff : n - i;
		for (j = 0; j < k && p[i + j] == ev->data[r->xoff + j]; j++)
			;
		i += j;
		r->pos += j;
		r->xoff += j;
		if (j < k)
			break;
		if (r->xoff == ev->len) {
			r->xev = next_rx(t, r->xev + 1);
			r->xoff = 0;
		}
	}
	return i;
}

/* Move the cursor forward to '<' stream offset pos. */
static void
seek(struct replay *r, size_t pos)
{
	const struct lc_transcript *t = r->t;

	r->pos = pos;
	while (r->xev < t->nev && t->ev[r->xev].rxoff + t->ev[r->xev].len <= pos)
		r->xev = next_rx(t, r->xev + 1);
	r->xoff = r->xev < t->nev ? pos - t->ev[r->xev].rxoff : 0;
}

/* Bytes since the last LF, after n more matched bytes at p. */
static void
count_line(struct replay *r, const unsigned char *p, size_t n)
{
	const unsigned char *lf = n > 0 ? memrchr(p, '\n', n) : NULL;

	r->lpos = lf != NULL ? (size_t)(p + n - lf - 1) : r->lpos + n;
}

/*
 * Collect up to CTX_AFTER bytes of what the peer sent from the point of
 * difference: the rest of this chunk, then briefly whatever follows, so
 * the message shows more than a chunk edge happened to deliver.
 * Returns 1 if the peer closed meanwhile.
 */
static int
collect(struct replay *r, const unsigned char *p, size_t n,
    unsigned char *got, size_t *ngot)
{
	unsigned char buf[CTX_AFTER];
	int64_t deadline = sk_deadline_in(CTX_WAIT_MS);
	ssize_t k;

	*ngot = n < CTX_AFTER ? n : CTX_AFTER;
	memcpy(got, p, *ngot);
	while (*ngot < CTX_AFTER) {
		k = r->io->read(r->io->arg, buf, CTX_AFTER - *ngot, deadline);
		if (k == 0)
			return 1;
		if (k < 0)
			break;
		if (r->io->echo != NULL)
			r->io->echo(r->io->arg, buf, (size_t)k);
		memcpy(got + *ngot, buf, (size_t)k);
		*ngot += (size_t)k;
	}
	return 0;
}

/* "replay: WHAT at transcript line L, byte B: expected "..", got ".."". */
static void
report_diff(struct replay *r, const char *what, const unsigned char *got,
    size_t ngot, const char *after)
{
	unsigned char xp[CTX_BEFORE + CTX_AFTER], gp[CTX_BEFORE + CTX_AFTER];
	char xs[LC_ESCAPE_SIZE(sizeof(xp))], gs[LC_ESCAPE_SIZE(sizeof(gp))];
	size_t before = r->pos < CTX_BEFORE ? r->pos : CTX_BEFORE, nx;

	if (r->report == NULL)
		return;
	nx = expected_copy(r->t, r->pos - before, r->pos + CTX_AFTER, xp);
	memcpy(gp, xp, before);		/* matched, so the same bytes */
	if (ngot > 0)
		memcpy(gp + before, got, ngot);
	sk_vis(xs, sizeof(xs), xp, nx, SK_VIS_TRANSCRIPT | SK_VIS_DQUOTE,
	    NULL);
	sk_vis(gs, sizeof(gs), gp, before + ngot,
	    SK_VIS_TRANSCRIPT | SK_VIS_DQUOTE, NULL);
	fprintf(r->report, "replay: %s at transcript line %lu, byte %zu: "
	    "expected \"%s\", got \"%s\"%s\n", what, r->t->ev[r->xev].line,
	    r->xoff, xs, gs, after);
	fflush(r->report);
}

/* "replay: peer sent more than recorded ..."; returns LC_EXIT_NOREPLY. */
static int
more(struct replay *r, const unsigned char *got, size_t ngot)
{
	const struct lc_transcript *t = r->t;
	char gs[LC_ESCAPE_SIZE(CTX_AFTER)];
	size_t last;

	if (r->report == NULL)
		return LC_EXIT_NOREPLY;
	sk_vis(gs, sizeof(gs), got, ngot < CTX_AFTER ? ngot : CTX_AFTER,
	    SK_VIS_TRANSCRIPT | SK_VIS_DQUOTE, NULL);
	/* The last '<' line, or the header if there is none. */
	for (last = t->nev; last > 0 && t->ev[last - 1].dir != '<'; last--)
		;
	fprintf(r->report, "replay: peer sent more than recorded, after "
	    "transcript line %lu: got \"%s\"\n",
	    last > 0 ? t->ev[last - 1].line : 1UL, gs);
	fflush(r->report);
	return LC_EXIT_NOREPLY;
}

/* --ignore: a difference at r->pos starts collecting its line, if there
 * are patterns and the line so far fits.  Returns 1 if it did. */
static int
line_start(struct replay *r)
{
	if (r->o.nignore == 0 || r->pos >= r->t->rxtotal ||
	    r->lpos >= LC_REPLAY_LINE_MAX)
		return 0;
	r->lstart = r->pos - r->lpos;
	r->llen = expected_copy(r->t, r->lstart, r->pos, r->line);
	r->lmode = 1;
	return 1;
}

/* Add received bytes to the line up to its LF; returns how many. */
static size_t
line_add(struct replay *r, const unsigned char *p, size_t n)
{
	const unsigned char *lf = memchr(p, '\n', n);
	size_t k = lf != NULL ? (size_t)(lf - p) + 1 : n;

	if (k > sizeof(r->line) - r->llen)
		k = sizeof(r->line) - r->llen;
	memcpy(r->line + r->llen, p, k);
	r->llen += k;
	return k;
}

/*
 * The collected line is done (LF, full, or the peer stopped: after says
 * how).  Compare it with the recorded line without the ignored parts:
 * 0 if they agree (the cursor moves past the recorded line), else report
 * the first byte that differs and return LC_EXIT_NOREPLY.  A line cut at
 * the bound is only compared byte for byte: where it goes on is unknown.
 */
static int
line_end(struct replay *r, const char *after)
{
	unsigned char want[LC_REPLAY_LINE_MAX], a[LC_REPLAY_LINE_MAX],
	    b[LC_REPLAY_LINE_MAX];
	const unsigned char *lf;
	size_t wlen, na, nb, d;
	int whole = r->llen > 0 && r->line[r->llen - 1] == '\n';

	r->lmode = 0;
	wlen = expected_copy(r->t, r->lstart, r->lstart + sizeof(want), want);
	if ((lf = memchr(want, '\n', wlen)) != NULL)
		wlen = (size_t)(lf - want) + 1;
	if (whole || *after != '\0') {
		na = lc__ignore_strip(r->o.ignore, r->o.nignore, want, wlen, a);
		nb = lc__ignore_strip(r->o.ignore, r->o.nignore, r->line,
		    r->llen, b);
		if (na == nb && memcmp(a, b, na) == 0) {
			seek(r, r->lstart + wlen);
			r->lpos = whole ? 0 : r->llen;
			return 0;
		}
	}
	for (d = 0; d < wlen && d < r->llen && want[d] == r->line[d]; d++)
		;
	seek(r, r->lstart + d);
	if (r->pos >= r->t->rxtotal)
		return more(r, r->line + d, r->llen - d);
	report_diff(r, "differs", r->line + d, r->llen - d < CTX_AFTER ?
	    r->llen - d : CTX_AFTER, after);
	return LC_EXIT_NOREPLY;
}

/* Data arrived: compare it.  0 if it all matched, else an exit code. */
static int
received(struct replay *r, const unsigned char *p, size_t n)
{
	const struct lc_transcript *t = r->t;
	unsigned char got[CTX_AFTER];
	size_t i, ngot;
	int eof, rc;

	if (r->io->echo != NULL)
		r->io->echo(r->io->arg, p, n);
	for (;;) {
		if (r->lmode) {
			i = line_add(r, p, n);
			p += i;
			n -= i;
			if (r->line[r->llen - 1] != '\n' &&
			    r->llen < sizeof(r->line))
				return 0;
			if ((rc = line_end(r, "")) != 0)
				return rc;
			continue;
		}
		i = match(r, p, n);
		count_line(r, p, i);
		if (i == n)
			return 0;
		if (!line_start(r))
			break;
		p += i;
		n -= i;
	}
	eof = collect(r, p + i, n - i, got, &ngot);
	if (r->pos < t->rxtotal) {
		report_diff(r, "differs", got, ngot, eof ?
		    " then end of file" : "");
		return LC_EXIT_NOREPLY;
	}
	return more(r, got, ngot);
}

static int
less(struct replay *r, const char *after)
{
	report_diff(r, "peer sent less than recorded, missing data", NULL, 0,
	    after);
	return LC_EXIT_NOREPLY;
}

static int
net_error(struct replay *r, const char *what)
{
	if (r->report != NULL) {
		fprintf(r->report, "replay: %s: %s\n", what, strerror(errno));
		fflush(r->report);
	}
	return LC_EXIT_NET;
}

static int64_t
clamp_ms(int64_t ms)
{
	if (ms < 0)
		return 0;
	return ms > LC_TRANSCRIPT_MS_MAX ? LC_TRANSCRIPT_MS_MAX : ms;
}

/*
 * One loop: send what is due, otherwise read until the next send or until
 * missing data is given up on.  Paced mode sends on the recorded clock
 * whatever has arrived; fast mode waits for the data recorded before each
 * send, since request/response servers given all requests at once may
 * answer differently (pipelining, or closing after the first).
 */
int
lc_replay_run(const struct lc_transcript *t, const struct lc_io *io,
    const struct lc_replay_opts *o, FILE *report)
{
	unsigned char buf[16384];
	const struct lc_event *ev;
	struct replay r;
	int64_t now, send_at, wait_until, tail_end = -1, due;
	char after[64];
	ssize_t n;
	int eof = 0, rc;

	memset(&r, 0, sizeof(r));
	r.t = t;
	r.io = io;
	r.o = *o;
	r.o.idle_ms = clamp_ms(o->idle_ms);
	r.o.tail_ms = clamp_ms(o->tail_ms);
	r.report = report;
	r.xev = next_rx(t, 0);
	r.t0 = r.progress = sk_now_ms();
	for (;;) {
		now = sk_now_ms();
		while (r.send < t->nev && t->ev[r.send].dir != '>')
			r.send++;
		send_at = SK_NEVER;
		if (r.send < t->nev) {
			ev = &t->ev[r.send];
			if (!r.o.fast)
				send_at = r.t0 + ev->ms;
			else if (r.pos >= ev->rxoff)
				send_at = now;
			if (send_at <= now) {
				if (io->write(io->arg, ev->data, ev->len,
				    sk_deadline_in(r.o.idle_ms > 1000 ?
				    r.o.idle_ms : 1000)) < 0) {
					snprintf(after, sizeof(after), "write "
					    "(transcript line %lu)", ev->line);
					return net_error(&r, after);
				}
				r.progress = sk_now_ms();
				r.send++;
				continue;
			}
		}
		if (r.pos < t->rxtotal) {
			due = r.o.fast ? 0 : r.t0 + t->ev[r.xev].ms;
			wait_until = (due > r.progress ? due : r.progress) +
			    r.o.idle_ms;
		} else if (r.send < t->nev) {
			wait_until = SK_NEVER;	/* paced: send_at is set */
		} else {
			if (tail_end < 0) {
				due = t->nev > 0 && !r.o.fast ?
				    r.t0 + t->ev[t->nev - 1].ms : now;
				tail_end = (due > now ? due : now) +
				    r.o.tail_ms;
			}
			wait_until = tail_end;
		}
		if (eof) {
			/* Only sends remain; the peer may still read them. */
			if (send_at == SK_NEVER)
				return LC_EXIT_OK;
			sk_sleep_until(send_at);
			continue;
		}
		/* Read even when the deadline has passed: data already there
		 * counts, whatever idle_ms and tail_ms are. */
		n = io->read(io->arg, buf, sizeof(buf),
		    send_at < wait_until ? send_at : wait_until);
		if (n > 0) {
			r.progress = sk_now_ms();
			if ((rc = received(&r, buf, (size_t)n)) != 0)
				return rc;
		} else if (n == 0) {
			if (r.lmode && (rc = line_end(&r, " then end of "
			    "file")) != 0)
				return rc;
			if (r.pos < t->rxtotal)
				return less(&r, " then end of file");
			eof = 1;
		} else if (errno != ETIMEDOUT && errno != EINTR) {
			return net_error(&r, "read");
		} else if (wait_until != SK_NEVER &&
		    sk_now_ms() >= wait_until) {
			snprintf(after, sizeof(after), " then nothing for "
			    "%lld ms", (long long)r.o.idle_ms);
			if (r.lmode && (rc = line_end(&r, after)) != 0)
				return rc;
			if (r.pos == t->rxtotal)
				return LC_EXIT_OK;
			return less(&r, after);
		}
	}
}
