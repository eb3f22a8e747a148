/*
 * Transcripts: the --log writer and a strict reader (replay.c replays).
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
#include "sockkit/vis.h"

#include "linechat/transcript.h"
#include "linechat/transcript_int.h"


#define EVENT_MAX	1024	/* '*' text bytes, before escaping */
#define HDR_VALUE_MAX	255	/* header host/service bytes */


static const char hexdigits[] = "0123456789abcdef";
/* Bytes with a one-letter escape, and their letters, index for index:
 * what sk_vis's SK_VIS_TRANSCRIPT mode writes, for the reader. */
static const char esc_byte[5] = { '\\', '\r', '\n', '\t', '\0' };
static const char esc_sym[5] = { '\\', 'r', 'n', 't', '0' };

size_t
lc_escape(char *dst, const void *src, size_t n)
{
	return sk_vis(dst, LC_ESCAPE_SIZE(n), src, n, SK_VIS_TRANSCRIPT, NULL);
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
	/* The buffer holds any n the callers pass: nothing is cut. */
	len += sk_vis(buf + len, sizeof(buf) - len, p, n, SK_VIS_TRANSCRIPT,
	    NULL);
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
	sk_vis(h, sizeof(h), host, strnlen(host, HDR_VALUE_MAX),
	    SK_VIS_TRANSCRIPT | SK_VIS_SPACE, NULL);
	sk_vis(s, sizeof(s), service, strnlen(service, HDR_VALUE_MAX),
	    SK_VIS_TRANSCRIPT | SK_VIS_SPACE, NULL);
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

