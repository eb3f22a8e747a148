/*
 * linechat/script_run.c — run a parsed chat script over a struct lc_io.
 *
 * Received data goes into one window of the caller's chosen size; when it
 * is full the oldest bytes go, so a peer that never says what we expect
 * costs memory once, not per byte.  The window is searched in steps of
 * STEP bytes, oldest first, and the first step where the expect or an
 * ABORT string ends decides; inside a step the earliest end wins, the
 * expect before an ABORT ending at the same byte, as chat(8) does when it
 * compares after each character.  After a match the window is consumed
 * up to its end, so the next expect sees only what came after.
 */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/deadline.h"
#include "sockkit/vis.h"
#include "linechat/script.h"
#include "linechat/script_int.h"

#define STEP		2048	/* bytes searched at a time */
/* glibc caches DFA states per compiled regex and never drops them; a
 * peer can make a new one per byte for some patterns, so the regexes of
 * the current expect are compiled afresh after this much input. */
#define RX_RESET	4096
#define RLINE_MAX	(2 * LC_SCRIPT_MAXSTR)	/* REPORT: line kept */
#define RSHOW_MAX	256	/* REPORT: longest line shown */

#define NOTFOUND	(-1)
#define TIMEDOUT	(-2)

struct run {
	const struct lc_io *io;
	const struct lc_script_opts *o;
	const char *eol;
	size_t eollen;
	int64_t timeout_ms;
	int64_t t0;		/* start of the run, for -v timings */
	int echo;
	/* win[0..len) is unconsumed data; [0..scanned) has been searched
	 * for the current expect, [0..rfed) given to the REPORT scanner. */
	char *win;
	size_t cap, len, scanned, rfed, rdsize;
	int bol;		/* win[0] starts a line */
	const struct lc_str *abort[LC_SCRIPT_MAXABORT];
	size_t nabort;
	const struct lc_str *report[LC_SCRIPT_MAXREPORT];
	size_t nreport;
	regex_t full, pre;	/* the current expect's ~/.../, compiled */
	int rx_ok;
	size_t rx_fed;		/* bytes regexec saw since compiling */
	char rline[RLINE_MAX];	/* the line being received, for REPORT */
	size_t rlen;
	int rdone;		/* rline's line has been reported */
};

/* ---- messages --------------------------------------------------------- */

static void
say(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
say(struct run *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (r->io->say == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {		/* keep the newline */
		n = sizeof(buf) - 1;
		memcpy(buf + n - 4, "...\n", 4);
	}
	r->io->say(r->io->arg, buf, (size_t)n);
}

/* -v: chat(8)'s trace, each line stamped with the time since the start
 * of the script. */
static void
trace(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
trace(struct run *r, const char *fmt, ...)
{
	char buf[900];
	va_list ap;

	if (!r->o->verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	say(r, "linechat: %lld ms: %s\n", (long long)(sk_now_ms() - r->t0),
	    buf);
}

/* b[0..n) made printable into out (cap bytes), "..." when cut.  Script
 * text (src) keeps its backslashes: it is shown as the user wrote it. */
static const char *
vis(const char *b, size_t n, char *out, size_t cap, int src)
{
	sk_vis(out, cap, b, n, SK_VIS_C | SK_VIS_ELLIPSIS |
	    (src ? SK_VIS_RAWBS : SK_VIS_DQUOTE), NULL);
	return out;
}

/* ---- REPORT ----------------------------------------------------------- */

/* Say rline from the earliest REPORT string in it to its end. */
static void
report_line(struct run *r, int cut)
{
	char out[RSHOW_MAX * 4 + 8];
	size_t i, best = SIZE_MAX, n;
	char *m;

	for (i = 0; i < r->nreport; i++) {
		m = memmem(r->rline, r->rlen, r->report[i]->b, r->report[i]->n);
		if (m != NULL && (size_t)(m - r->rline) < best)
			best = (size_t)(m - r->rline);
	}
	if (best == SIZE_MAX)
		return;
	n = r->rlen - best;
	if (!cut && n > 0 && r->rline[best + n - 1] == '\r')
		n--;
	if (n > RSHOW_MAX) {
		n = RSHOW_MAX;
		cut = 1;
	}
	vis(r->rline + best, n, out, sizeof(out), 0);
	say(r, "linechat: report: %s%s\n", out, cut ? "..." : "");
	r->rdone = 1;
}

/* Give win[rfed..upto) to the REPORT scanner, a line at a time. */
static void
report_feed(struct run *r, size_t upto)
{
	size_t keep;
	char c;

	if (r->nreport == 0) {
		r->rfed = upto > r->rfed ? upto : r->rfed;
		return;
	}
	for (; r->rfed < upto; r->rfed++) {
		c = r->win[r->rfed];
		if (c == '\n') {
			if (!r->rdone)
				report_line(r, 0);
			r->rlen = 0;
			r->rdone = 0;
			continue;
		}
		if (r->rdone)
			continue;
		if (r->rlen == sizeof(r->rline)) {
			/* Too long to keep: report it cut, or keep enough
			 * of its end for a REPORT string to straddle. */
			report_line(r, 1);
			if (r->rdone) {
				r->rlen = 0;
				continue;
			}
			keep = LC_SCRIPT_MAXSTR - 1;
			memmove(r->rline, r->rline + r->rlen - keep, keep);
			r->rlen = keep;
		}
		r->rline[r->rlen++] = c;
	}
}

/* ---- receiving -------------------------------------------------------- */

static void
consume(struct run *r, size_t n)
{
	if (n == 0)
		return;
	r->bol = r->win[n - 1] == '\n';
	memmove(r->win, r->win + n, r->len - n);
	r->len -= n;
	r->win[r->len] = '\0';
	r->scanned = r->scanned > n ? r->scanned - n : 0;
	r->rfed = r->rfed > n ? r->rfed - n : 0;
}

/* The end of the first match of want in win[from..to), or SIZE_MAX. */
static size_t
match_end(struct run *r, const struct lc_str *want, size_t from, size_t to)
{
	regmatch_t m;
	int flags = REG_STARTEND | REG_NOTEOL;
	const char *hit;

	if (to <= from)
		return SIZE_MAX;
	if (want->rx == NULL) {
		hit = memmem(r->win + from, to - from, want->b, want->n);
		return hit == NULL ? SIZE_MAX : (size_t)(hit - r->win) + want->n;
	}
	r->rx_fed += to - from;
	m.rm_so = 0;
	m.rm_eo = (regoff_t)(to - from);
	if (regexec(&r->pre, r->win + from, 1, &m, flags) != 0)
		return SIZE_MAX;
	/* ^ may match at from only if a line starts there. */
	if (from > 0 ? r->win[from - 1] != '\n' : !r->bol)
		flags |= REG_NOTBOL;
	m.rm_so = 0;
	m.rm_eo = (regoff_t)(to - from);
	if (regexec(&r->full, r->win + from, 1, &m, flags) != 0)
		return SIZE_MAX;
	return from + (size_t)m.rm_eo;
}

static void
rx_free(struct run *r)
{
	if (r->rx_ok) {
		regfree(&r->full);
		regfree(&r->pre);
		r->rx_ok = 0;
	}
}

/* (Re)compile want's regex when it has none or has seen RX_RESET bytes. */
static int
rx_fresh(struct run *r, const struct lc_str *want)
{
	char msg[128];

	if (want->rx == NULL || (r->rx_ok && r->rx_fed < RX_RESET))
		return 0;
	rx_free(r);
	r->rx_fed = 0;
	if (lc_rx_compile(want->rx, &r->full, &r->pre, msg, sizeof(msg)) != 0) {
		say(r, "linechat: regex %s: %s\n", want->src, msg);
		return -1;
	}
	r->rx_ok = 1;
	return 0;
}

/* Where a search for want that already covered [0..scanned) resumes:
 * far enough back that a match across the seam is seen. */
static size_t
resume(const struct run *r, const struct lc_str *want)
{
	size_t back = want->rx != NULL ? LC_SCRIPT_RXSPAN : want->n - 1;

	return r->scanned > back ? r->scanned - back : 0;
}

/*
 * Search the unsearched part of the window.  Returns 0 (want matched and
 * consumed), LC_EXIT_ABORT + i, NOTFOUND, or LC_EXIT_NET (said why).
 */
static int
search(struct run *r, const struct lc_str *want)
{
	char shown[256];
	size_t end, best, e, i;
	int who;

	while (r->scanned < r->len) {
		if (rx_fresh(r, want) < 0)
			return LC_EXIT_NET;
		end = r->len - r->scanned > STEP ? r->scanned + STEP : r->len;
		best = match_end(r, want, resume(r, want), end);
		who = best != SIZE_MAX ? 0 : NOTFOUND;
		for (i = 0; i < r->nabort; i++) {
			/* Only an ABORT that ends first beats what we have. */
			e = match_end(r, r->abort[i], resume(r, r->abort[i]),
			    best != SIZE_MAX && best - 1 < end ? best - 1 : end);
			if (e != SIZE_MAX && e < best) {
				best = e;
				who = LC_EXIT_ABORT + (int)i;
			}
		}
		report_feed(r, best != SIZE_MAX ? best : end);
		if (who == 0) {
			consume(r, best);
			r->scanned = 0;
			return 0;
		}
		if (who != NOTFOUND) {
			say(r, "linechat: got ABORT string \"%s\"\n",
			    vis(r->abort[who - LC_EXIT_ABORT]->src,
			    strlen(r->abort[who - LC_EXIT_ABORT]->src), shown,
			    sizeof(shown), 1));
			return who;
		}
		r->scanned = end;
	}
	return NOTFOUND;
}

/* Returns 0, LC_EXIT_ABORT + i, TIMEDOUT, or LC_EXIT_NET (said why). */
static int
wait_for1(struct run *r, const struct lc_str *want)
{
	char shown[256];
	int64_t deadline, start = sk_now_ms();
	size_t room, drop;
	ssize_t n;
	int rc;

	vis(want->src, strlen(want->src), shown, sizeof(shown), 1);
	trace(r, "expect \"%s\"", shown);
	r->scanned = 0;
	deadline = sk_deadline_in(r->timeout_ms);
	for (;;) {
		if ((rc = search(r, want)) != NOTFOUND) {
			if (rc == 0)
				trace(r, "got \"%s\" in %lld ms", shown,
				    (long long)(sk_now_ms() - start));
			return rc;
		}
		/* Even a peer that never pauses must not outlast TIMEOUT. */
		if (sk_deadline_passed(deadline)) {
			trace(r, "\"%s\": timed out after %lld ms", shown,
			    (long long)(sk_now_ms() - start));
			return TIMEDOUT;
		}
		room = r->cap - r->len;
		if (room < r->rdsize) {
			drop = r->rdsize - room;
			consume(r, drop);
			room += drop;
		}
		n = r->io->read(r->io->arg, r->win + r->len, room, deadline);
		if (n > 0) {
			if (r->echo && r->io->echo != NULL)
				r->io->echo(r->io->arg, r->win + r->len, (size_t)n);
			r->len += (size_t)n;
			r->win[r->len] = '\0';
			continue;
		}
		if (n == 0)
			say(r, "linechat: peer closed while waiting for \"%s\"\n",
			    shown);
		else if (errno == ETIMEDOUT) {
			trace(r, "\"%s\": timed out after %lld ms", shown,
			    (long long)(sk_now_ms() - start));
			return TIMEDOUT;
		}
		else
			say(r, "linechat: read while waiting for \"%s\": %s\n",
			    shown, strerror(errno));
		return LC_EXIT_NET;
	}
}

static int
wait_for(struct run *r, const struct lc_str *want)
{
	int rc;

	if (want->n == 0 && want->rx == NULL)
		return 0;		/* '': expect nothing */
	rc = wait_for1(r, want);
	rx_free(r);
	return rc;
}

/* ---- sending ---------------------------------------------------------- */

static int
put(struct run *r, const char *b, size_t n)
{
	if (n == 0)
		return 0;
	if (r->io->write(r->io->arg, b, n, sk_deadline_in(r->timeout_ms)) < 0) {
		say(r, "linechat: send: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* One write for the text after the last pause and the line ending, so a
 * datagram transport sends one line per datagram. */
static int
send_str(struct run *r, const struct lc_str *s)
{
	char shown[256];
	size_t off = 0, i, n;
	char *buf;
	int rc;

	if (r->o->verbose)
		trace(r, "send \"%s\"", s->flags & STR_QUIET ? "??????" :
		    vis(s->b, s->n, shown, sizeof(shown), 0));
	for (i = 0; i < s->npause; i++) {
		if (put(r, s->b + off, s->pause[i].off - off) < 0)
			return LC_EXIT_NET;
		off = s->pause[i].off;
		if (!r->o->no_delay)
			sk_sleep_until(sk_deadline_in(s->pause[i].ms));
	}
	n = s->n - off;
	if (s->flags & STR_NOEOL)
		return put(r, s->b + off, n) < 0 ? LC_EXIT_NET : 0;
	if ((buf = malloc(n + r->eollen)) == NULL) {
		say(r, "linechat: out of memory\n");
		return LC_EXIT_NET;
	}
	memcpy(buf, s->b + off, n);
	memcpy(buf + n, r->eol, r->eollen);
	rc = put(r, buf, n + r->eollen) < 0 ? LC_EXIT_NET : 0;
	free(buf);
	return rc;
}

/* ---- steps ------------------------------------------------------------ */

/* expect-send-expect...: on a timeout, send the next sub-send and wait
 * for the sub-expect after it; a missing last sub-expect is ''. */
static int
expect(struct run *r, const struct lc_step *st)
{
	char shown[256];
	size_t k;
	int rc;

	for (k = 0; k < st->ns; k += 2) {
		if ((rc = wait_for(r, &st->s[k])) != TIMEDOUT)
			return rc;
		if (k + 1 == st->ns)
			break;
		if ((rc = send_str(r, &st->s[k + 1])) != 0)
			return rc;
		if (k + 2 == st->ns)
			return 0;
	}
	say(r, "linechat: timeout waiting for \"%s\"\n",
	    vis(st->s[k].src, strlen(st->s[k].src), shown, sizeof(shown), 1));
	return LC_EXIT_NET;
}

static void
unlist(const struct lc_str **list, size_t *n, const struct lc_str *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (list[i]->n == s->n && memcmp(list[i]->b, s->b, s->n) == 0) {
			memmove(&list[i], &list[i + 1],
			    (*n - i - 1) * sizeof(*list));
			(*n)--;
			return;
		}
}

static int
step(struct run *r, const struct lc_step *st)
{
	switch (st->op) {
	case LC_OP_EXPECT:
		return expect(r, st);
	case LC_OP_SEND:
		return send_str(r, &st->s[0]);
	case LC_OP_ABORT:
		/* The parser kept the lists within their bounds. */
		if (r->nabort < LC_SCRIPT_MAXABORT)
			r->abort[r->nabort++] = &st->s[0];
		break;
	case LC_OP_CLR_ABORT:
		unlist(r->abort, &r->nabort, &st->s[0]);
		break;
	case LC_OP_REPORT:
		if (r->nreport < LC_SCRIPT_MAXREPORT)
			r->report[r->nreport++] = &st->s[0];
		break;
	case LC_OP_CLR_REPORT:
		unlist(r->report, &r->nreport, &st->s[0]);
		break;
	case LC_OP_TIMEOUT:
		r->timeout_ms = (int64_t)st->num * 1000;
		break;
	case LC_OP_SAY:
		if (r->io->say != NULL && st->s[0].n > 0)
			r->io->say(r->io->arg, st->s[0].b, st->s[0].n);
		break;
	case LC_OP_ECHO:
		r->echo = st->num;
		break;
	case LC_OP_NOP:
		break;
	}
	return 0;
}

int
lc_script_run(const struct lc_script *s, const struct lc_io *io,
    const struct lc_script_opts *o)
{
	static const struct lc_script_opts defaults;
	struct run *r;
	size_t i;
	int rc = 0;

	if (o == NULL)
		o = &defaults;
	/* struct run holds the REPORT line; keep it off the stack. */
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto oom;
	r->io = io;
	r->o = o;
	r->eol = o->eol != NULL ? o->eol : "\r\n";
	r->eollen = strlen(r->eol);
	r->timeout_ms = (int64_t)(o->timeout > 0 ? o->timeout :
	    LC_SCRIPT_TIMEOUT) * 1000;
	r->echo = o->echo;
	r->t0 = sk_now_ms();
	r->bol = 1;
	r->cap = o->window == 0 ? LC_SCRIPT_WINDOW : o->window;
	if (r->cap < LC_SCRIPT_MINWINDOW)
		r->cap = LC_SCRIPT_MINWINDOW;
	if (r->cap > LC_SCRIPT_MAXWINDOW)
		r->cap = LC_SCRIPT_MAXWINDOW;
	r->rdsize = r->cap / 4 < 16384 ? r->cap / 4 : 16384;
	/* win[len] is kept NUL: regexec interceptors (ASan) run strlen()
	 * even with REG_STARTEND. */
	if ((r->win = malloc(r->cap + 1)) == NULL)
		goto oom;
	r->win[0] = '\0';
	for (i = 0; i < s->nstep && rc == 0; i++)
		rc = step(r, &s->step[i]);
	if (r->rlen > 0 && !r->rdone)
		report_line(r, 0);
	free(r->win);
	free(r);
	return rc;
oom:
	free(r);
	if (io->say != NULL)
		io->say(io->arg, "linechat: out of memory\n", 24);
	return LC_EXIT_NET;
}
