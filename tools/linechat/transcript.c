/*
 * Transcripts: the --log writer, a strict reader, and the --replay engine.
 * The format is described in transcript.h.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/num.h"

#include "linechat/transcript.h"

#define ESC_SPACE	0x1	/* header values: a space would end the value */
#define ESC_QUOTE	0x2	/* messages: the text is shown inside "" */

#define EVENT_MAX	1024	/* '*' text bytes, before escaping */
#define HDR_VALUE_MAX	255	/* header host/service bytes */

#define CTX_BEFORE	16	/* matched bytes shown before a difference */
#define CTX_AFTER	32	/* bytes shown from the difference on */
#define CTX_WAIT_MS	100	/* how long to wait for the rest of a "got" */

static const char hexdigits[] = "0123456789abcdef";
/* Bytes with a one-letter escape, and their letters, index for index. */
static const char esc_byte[5] = { '\\', '\r', '\n', '\t', '\0' };
static const char esc_sym[5] = { '\\', 'r', 'n', 't', '0' };

static size_t
escape(char *dst, const void *src, size_t n, int flags)
{
	const unsigned char *s = src;
	const char *x;
	char *d = dst;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if ((x = memchr(esc_byte, c, sizeof(esc_byte))) != NULL) {
			*d++ = '\\';
			*d++ = esc_sym[x - esc_byte];
		} else if (c == '"' && (flags & ESC_QUOTE)) {
			*d++ = '\\';
			*d++ = '"';
		} else if (c > ' ' && c < 0x7f) {
			*d++ = (char)c;
		} else if (c == ' ' && !(flags & ESC_SPACE)) {
			*d++ = ' ';
		} else {
			*d++ = '\\';
			*d++ = 'x';
			*d++ = hexdigits[c >> 4];
			*d++ = hexdigits[c & 0xf];
		}
	}
	*d = '\0';
	return (size_t)(d - dst);
}

size_t
lc_escape(char *dst, const void *src, size_t n)
{
	return escape(dst, src, n, 0);
}

/* ------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

struct lc_log {
	FILE *fp;
	char *name;
	int64_t t0;
	int started;
	int err;		/* first write errno: later writes skipped */
};

/*
 * Write (and flush) unless an earlier write failed: the first failure is
 * what lc_log_close reports, and lines after a lost one would mislead.
 */
static int
log_put(struct lc_log *lg, const char *buf, size_t len, int flush)
{
	if (lg->err == 0) {
		errno = 0;
		if (fwrite(buf, 1, len, lg->fp) != len ||
		    (flush && (fflush(lg->fp) != 0 || ferror(lg->fp))))
			lg->err = errno != 0 ? errno : EIO;
	}
	if (lg->err != 0) {
		errno = lg->err;
		return -1;
	}
	return 0;
}

static int
log_line(struct lc_log *lg, int64_t ms, char dir, const void *p, size_t n,
    int flush)
{
	char buf[32 + LC_ESCAPE_SIZE(LC_LOG_LINE_BYTES > EVENT_MAX ?
	    LC_LOG_LINE_BYTES : EVENT_MAX)];
	size_t len;

	len = (size_t)snprintf(buf, 32, "%lld %c ", (long long)ms, dir);
	len += escape(buf + len, p, n, 0);
	buf[len++] = '\n';
	return log_put(lg, buf, len, flush);
}

static int64_t
log_ms(const struct lc_log *lg)
{
	return lg->started ? sk_now_ms() - lg->t0 : 0;
}

struct lc_log *
lc_log_fopen(FILE *fp, const char *name, const char *host,
    const char *service, struct sk_err *e)
{
	char h[LC_ESCAPE_SIZE(HDR_VALUE_MAX)], s[LC_ESCAPE_SIZE(HDR_VALUE_MAX)];
	char date[32], hdr[sizeof(h) + sizeof(s) + 80];
	struct lc_log *lg;
	struct tm tm;
	time_t now = time(NULL);

	if ((lg = calloc(1, sizeof(*lg))) == NULL ||
	    (lg->name = strdup(name)) == NULL) {
		sk_err_sys(e, "log %s", name);
		free(lg);
		fclose(fp);
		return NULL;
	}
	lg->fp = fp;
	lg->t0 = sk_now_ms();
	/* Header values are informational: a longer one is cut, not lost
	 * data (no real host or service name comes near the bound). */
	escape(h, host, strnlen(host, HDR_VALUE_MAX), ESC_SPACE);
	escape(s, service, strnlen(service, HDR_VALUE_MAX), ESC_SPACE);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(date, "unknown");
	if (log_put(lg, hdr, (size_t)snprintf(hdr, sizeof(hdr), "# linechat "
	    "transcript v1 host=%s service=%s date=%s\n", h, s, date), 1) < 0) {
		lc_log_close(lg, e);
		return NULL;
	}
	return lg;
}

struct lc_log *
lc_log_open(const char *path, const char *host, const char *service,
    struct sk_err *e)
{
	FILE *fp;

	if ((fp = fopen(path, "we")) == NULL) {
		sk_err_sys(e, "open %s", path);
		return NULL;
	}
	return lc_log_fopen(fp, path, host, service, e);
}

void
lc_log_start(struct lc_log *lg)
{
	lg->t0 = sk_now_ms();
	lg->started = 1;
}

int
lc_log_data(struct lc_log *lg, char dir, const void *buf, size_t n)
{
	const unsigned char *p = buf, *lf;
	int64_t ms = log_ms(lg);
	size_t k;

	if (dir != '>' && dir != '<') {
		errno = EINVAL;
		return -1;
	}
	if (n == 0)
		return log_put(lg, "", 0, 0);
	while (n > 0) {
		k = n < LC_LOG_LINE_BYTES ? n : LC_LOG_LINE_BYTES;
		if ((lf = memchr(p, '\n', k)) != NULL)
			k = (size_t)(lf - p) + 1;
		if (log_line(lg, ms, dir, p, k, k == n) < 0)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

int
lc_log_event(struct lc_log *lg, const char *fmt, ...)
{
	char text[EVENT_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > EVENT_MAX) {
		memcpy(text + EVENT_MAX - 3, "...", 3);
		n = EVENT_MAX;
	}
	if (n == 0)		/* a line needs at least one byte of text */
		n = snprintf(text, sizeof(text), "-");
	return log_line(lg, log_ms(lg), '*', text, (size_t)n, 1);
}

int
lc_log_close(struct lc_log *lg, struct sk_err *e)
{
	int rc = 0;

	if (lg == NULL)
		return 0;
	log_put(lg, "", 0, 1);
	if (fclose(lg->fp) != 0 && lg->err == 0)
		lg->err = errno;
	if (lg->err != 0)
		rc = sk_err_set(e, lg->err, "write %s: %s", lg->name,
		    strerror(lg->err));
	free(lg->name);
	free(lg);
	return rc;
}

/* ------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

struct lc_transcript {
	struct lc_event *ev;
	size_t nev, cap;
	unsigned char *data;	/* decoded bytes of every event */
	size_t used;		/* bytes of data in use */
	size_t rxtotal;		/* '<' bytes in all */
};

void
lc_transcript_free(struct lc_transcript *t)
{
	if (t == NULL)
		return;
	free(t->ev);
	free(t->data);
	free(t);
}

size_t
lc_transcript_count(const struct lc_transcript *t)
{
	return t->nev;
}

const struct lc_event *
lc_transcript_event(const struct lc_transcript *t, size_t i)
{
	return i < t->nev ? &t->ev[i] : NULL;
}

static int __attribute__((format(printf, 4, 5)))
bad_line(struct sk_err *e, const char *name, unsigned long line,
    const char *fmt, ...)
{
	char msg[SK_ERR_MSGLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sk_err_set(e, EINVAL, "%s:%lu: %s", name, line, msg);
}

static int
hexval(unsigned char c)
{
	const char *p = c != '\0' ? strchr(hexdigits, tolower(c)) : NULL;

	return p != NULL ? (int)(p - hexdigits) : -1;
}

/*
 * Decode the escaped text s[0..n) to out (room for n bytes, which is
 * enough: no escape is shorter than what it stands for).  col is the
 * column of s[0], for messages.
 */
static int
unescape(const unsigned char *s, size_t n, unsigned char *out, size_t *outlen,
    const char *name, unsigned long line, size_t col, struct sk_err *e)
{
	const char *x;
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (i + 1 == n)
			return bad_line(e, name, line,
			    "bad escape \"\\\" at column %zu (end of line)",
			    col + i);
		if (s[i + 1] == 'x') {
			hi = i + 2 < n ? hexval(s[i + 2]) : -1;
			lo = i + 3 < n ? hexval(s[i + 3]) : -1;
			if (hi < 0 || lo < 0)
				return bad_line(e, name, line,
				    "bad escape \"%.*s\" at column %zu",
				    (int)(n - i < 4 ? n - i : 4),
				    (const char *)s + i, col + i);
			out[o++] = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if ((x = memchr(esc_sym, s[i + 1], sizeof(esc_sym))) !=
		    NULL) {
			out[o++] = (unsigned char)esc_byte[x - esc_sym];
		} else {
			return bad_line(e, name, line,
			    "bad escape \"\\%c\" at column %zu", s[i + 1],
			    col + i);
		}
		i++;
	}
	*outlen = o;
	return 0;
}

static int
check_header(const unsigned char *s, size_t n, const char *name,
    struct sk_err *e)
{
	static const char magic[] = "# linechat transcript v";
	size_t m = sizeof(magic) - 1, v;

	if (n < m || memcmp(s, magic, m) != 0)
		return bad_line(e, name, 1, "not a linechat transcript "
		    "(want \"# linechat transcript v1\" on line 1)");
	for (v = m; v < n && s[v] != ' '; v++)
		;
	if (v - m != 1 || s[m] != '1')
		return bad_line(e, name, 1, "unsupported transcript version "
		    "\"v%.*s\" (want v1)", (int)(v - m < 16 ? v - m : 16),
		    (const char *)s + m);
	return 0;
}

/* One event line "MS DIR BYTES" of n bytes, all printable. */
static int
parse_event(struct lc_transcript *t, const unsigned char *s, size_t n,
    unsigned long line, const char *name, struct sk_err *e)
{
	char num[16];
	const char *errstr;
	struct lc_event *ev;
	size_t tok, dlen, len = 0;
	long long ms = 0;

	for (tok = 0; tok < n && s[tok] != ' '; tok++)
		;
	if (tok + 3 >= n)
		return bad_line(e, name, line,
		    "missing fields (want \"MS DIR BYTES\")");
	if (tok >= sizeof(num)) {
		errstr = "too long";
	} else {
		memcpy(num, s, tok);
		num[tok] = '\0';
		ms = sk_strtonum(num, 0, LC_TRANSCRIPT_MS_MAX, &errstr);
	}
	if (errstr != NULL)
		return bad_line(e, name, line, "bad time \"%.*s\": %s",
		    (int)(tok < 16 ? tok : 16), (const char *)s, errstr);
	if (t->nev > 0 && ms < t->ev[t->nev - 1].ms)
		return bad_line(e, name, line,
		    "time %lld is before the previous line's %lld", ms,
		    (long long)t->ev[t->nev - 1].ms);
	for (dlen = 0; tok + 1 + dlen < n && s[tok + 1 + dlen] != ' '; dlen++)
		;
	if (dlen != 1 || (s[tok + 1] != '>' && s[tok + 1] != '<' &&
	    s[tok + 1] != '*'))
		return bad_line(e, name, line, "bad direction \"%.*s\" "
		    "(want '>', '<' or '*')", (int)(dlen < 8 ? dlen : 8),
		    (const char *)s + tok + 1);
	if (t->nev == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct lc_event *p = reallocarray(t->ev, cap, sizeof(*p));

		if (p == NULL)
			return sk_err_sys(e, "%s", name);
		t->ev = p;
		t->cap = cap;
	}
	ev = &t->ev[t->nev];
	if (unescape(s + tok + 3, n - tok - 3, t->data + t->used, &len, name,
	    line, tok + 4, e) < 0)
		return -1;
	ev->data = t->data + t->used;
	t->used += len;
	ev->ms = ms;
	ev->dir = (char)s[tok + 1];
	ev->line = line;
	ev->len = len;
	ev->rxoff = t->rxtotal;
	if (ev->dir == '<')
		t->rxtotal += len;
	t->nev++;
	return 0;
}

struct lc_transcript *
lc_transcript_parse(const char *name, const void *buf, size_t n,
    struct sk_err *e)
{
	const unsigned char *s = buf, *lf;
	struct lc_transcript *t;
	unsigned long line;
	size_t p, len, i;

	if (n > LC_TRANSCRIPT_MAX) {
		sk_err_set(e, EINVAL, "%s: larger than %ld bytes", name,
		    LC_TRANSCRIPT_MAX);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->data = malloc(n > 0 ? n : 1)) == NULL) {
		sk_err_sys(e, "%s", name);
		free(t);
		return NULL;
	}
	for (p = 0, line = 1; p < n; p += len + 1, line++) {
		lf = memchr(s + p, '\n', n - p);
		len = lf != NULL ? (size_t)(lf - (s + p)) : n - p;
		if (len > LC_TRANSCRIPT_LINE_MAX) {
			bad_line(e, name, line, "line longer than %d bytes",
			    LC_TRANSCRIPT_LINE_MAX);
			goto bad;
		}
		for (i = 0; i < len; i++)
			if (s[p + i] < ' ' || s[p + i] >= 0x7f) {
				bad_line(e, name, line, "byte 0x%02x at "
				    "column %zu is not printable ASCII "
				    "(write \\x%02x)", s[p + i], i + 1,
				    s[p + i]);
				goto bad;
			}
		if (lf == NULL) {
			bad_line(e, name, line,
			    "no newline at end of file (truncated?)");
			goto bad;
		}
		if (line == 1) {
			if (check_header(s + p, len, name, e) < 0)
				goto bad;
		} else if (len > 0 && s[p] != '#' &&
		    parse_event(t, s + p, len, line, name, e) < 0)
			goto bad;
	}
	if (line == 1) {	/* an empty file */
		check_header(s, 0, name, e);
		goto bad;
	}
	return t;
bad:
	lc_transcript_free(t);
	return NULL;
}

struct lc_transcript *
lc_transcript_load(const char *path, struct sk_err *e)
{
	struct lc_transcript *t = NULL;
	unsigned char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	struct stat st;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		sk_err_sys(e, "open %s", path);
		return NULL;
	}
	/* Refuse a huge regular file before reading it; pipes are bounded
	 * by the read loop instead. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > LC_TRANSCRIPT_MAX)
		goto toobig;
	for (;;) {
		if (len == cap) {
			if (cap > LC_TRANSCRIPT_MAX)
				goto toobig;
			cap = cap ? 2 * cap : 65536;
			if (cap > LC_TRANSCRIPT_MAX + 1)
				cap = LC_TRANSCRIPT_MAX + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				sk_err_sys(e, "read %s", path);
				goto end;
			}
			buf = nb;
		}
		if ((r = read(fd, buf + len, cap - len)) < 0) {
			if (errno == EINTR)
				continue;
			sk_err_sys(e, "read %s", path);
			goto end;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	t = lc_transcript_parse(path, buf, len, e);
	goto end;
toobig:
	sk_err_set(e, EINVAL, "%s: larger than %ld bytes", path,
	    LC_TRANSCRIPT_MAX);
end:
	close(fd);
	free(buf);
	return t;
}

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
	escape(xs, xp, nx, ESC_QUOTE);
	escape(gs, gp, before + ngot, ESC_QUOTE);
	fprintf(r->report, "replay: %s at transcript line %lu, byte %zu: "
	    "expected \"%s\", got \"%s\"%s\n", what, r->t->ev[r->xev].line,
	    r->xoff, xs, gs, after);
	fflush(r->report);
}

/* Data arrived: compare it.  0 if it all matched, else an exit code. */
static int
received(struct replay *r, const unsigned char *p, size_t n)
{
	const struct lc_transcript *t = r->t;
	unsigned char got[CTX_AFTER];
	char gs[LC_ESCAPE_SIZE(CTX_AFTER)];
	size_t i, ngot, last;
	int eof;

	if (r->io->echo != NULL)
		r->io->echo(r->io->arg, p, n);
	if ((i = match(r, p, n)) == n)
		return 0;
	eof = collect(r, p + i, n - i, got, &ngot);
	if (r->pos < t->rxtotal) {
		report_diff(r, "differs", got, ngot, eof ?
		    " then end of file" : "");
		return LC_EXIT_NOREPLY;
	}
	if (r->report == NULL)
		return LC_EXIT_NOREPLY;
	escape(gs, got, ngot, ESC_QUOTE);
	/* The last '<' line, or the header if there is none. */
	for (last = t->nev; last > 0 && t->ev[last - 1].dir != '<'; last--)
		;
	fprintf(r->report, "replay: peer sent more than recorded, after "
	    "transcript line %lu: got \"%s\"\n",
	    last > 0 ? t->ev[last - 1].line : 1UL, gs);
	fflush(r->report);
	return LC_EXIT_NOREPLY;
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
			if (r.pos < t->rxtotal)
				return less(&r, " then end of file");
			eof = 1;
		} else if (errno != ETIMEDOUT && errno != EINTR) {
			return net_error(&r, "read");
		} else if (wait_until != SK_NEVER &&
		    sk_now_ms() >= wait_until) {
			if (r.pos == t->rxtotal)
				return LC_EXIT_OK;
			snprintf(after, sizeof(after), " then nothing for "
			    "%lld ms", (long long)r.o.idle_ms);
			return less(&r, after);
		}
	}
}
