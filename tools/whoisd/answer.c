/*
 * Whois answers in the source text's UWO whoisd layout: the bounded output
 * buffer, the match listing (records from wd_q_run() in query.c), error
 * lines and help text, built in or loaded from a file.  Like query.c, this
 * file only has to be right about bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "whoisd/query.h"

#define HINT		"For more information try 'whois help'."
#define NAME_WIDTH	20	/* the source text's colon column, minus one */
#define TAIL_RESERVE	512	/* room kept for the closing lines */
#define HELP_MAX	65536
#define HELP_TOPICS	64

static const char builtin_help[] =
    "This is a whois directory server.  Send one line:\n"
    "\n"
    "  NAME        records whose name, handle, e-mail address or index key\n"
    "              holds the word NAME; with several words, all of them\n"
    "  \"VALUE\"     records with a name, handle, e-mail address or index key\n"
    "              that is exactly VALUE\n"
    "  PREFIX*     records with a word that starts with PREFIX (at least\n"
    "              two characters)\n"
    "  help        this text\n"
    "\n"
    "Case does not matter.  Examples:\n"
    "\n"
    "  whois smith\n"
    "  whois \"Smith, Jane\"\n"
    "  whois smi*\n";

struct topic {
	size_t name, namelen;	/* offsets into text */
	size_t off, len;
};

struct wd_q_help {
	char *text;
	size_t genlen;		/* general text: text[0..genlen) */
	struct topic topic[HELP_TOPICS];
	size_t ntopic;
};

/* ---- output buffer ---------------------------------------------------------------- */

void
wd_q_buf_init(struct wd_q_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : WD_Q_OUT_MAX;
	if (b->max < 4096)
		b->max = 4096;	/* room for any header, error or hint */
	b->full = 0;
}

void
wd_q_buf_free(struct wd_q_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->full = 0;
}

static int
put(struct wd_q_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *d;

	if (n > b->max - b->len) {
		b->full = 1;
		errno = ENOBUFS;
		return -1;
	}
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		if (cap > b->max)
			cap = b->max;
		if ((d = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	return 0;
}

static int
putc_n(struct wd_q_buf *b, char c, size_t n)
{
	char sp[128];
	size_t k;

	memset(sp, c, sizeof(sp));
	for (; n > 0; n -= k) {
		k = n < sizeof(sp) ? n : sizeof(sp);
		if (put(b, sp, k) < 0)
			return -1;
	}
	return 0;
}

static int
putline(struct wd_q_buf *b, const char *eol, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
putline(struct wd_q_buf *b, const char *eol, const char *fmt, ...)
{
	char line[WD_Q_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (put(b, line, (size_t)n) < 0 || put(b, eol, strlen(eol)) < 0)
		return -1;
	return 0;
}

/* ---- answers ----------------------------------------------------------------------- */

/* One field, wrapped so no line passes WD_Q_LINE_MAX: break at the last
 * space in the second half of the room, else before a UTF-8 character;
 * continuation lines are indented to the value column. */
static int
put_field(struct wd_q_buf *b, const struct wd_db_field *f, size_t width,
    const char *eol)
{
	size_t el = strlen(eol), room = WD_Q_LINE_MAX - el - width - 2, n, cut;
	const char *v = f->value, *end = f->value + f->len;

	if (putc_n(b, ' ', width - f->namelen) < 0 || put(b, f->name,
	    f->namelen) < 0 || put(b, ":", 1) < 0)
		return -1;
	if (v == end)
		return put(b, eol, el);
	if (put(b, " ", 1) < 0)
		return -1;
	for (;;) {
		n = (size_t)(end - v);
		if (n <= room)
			return put(b, v, n) < 0 || put(b, eol, el) < 0 ? -1 : 0;
		for (cut = room; cut > room / 2 && v[cut] != ' '; cut--)
			;
		if (cut == room / 2)
			for (cut = room; cut > 0 &&
			    ((unsigned char)v[cut] & 0xc0) == 0x80; cut--)
				;
		if (cut == 0)
			cut = room;
		while (cut > 0 && v[cut - 1] == ' ')
			cut--;		/* no trailing blanks */
		if (cut == 0)
			cut = room;
		if (put(b, v, cut) < 0 || put(b, eol, el) < 0)
			return -1;
		for (v += cut; v < end && *v == ' '; v++)
			;
		if (v == end)
			return 0;
		if (putc_n(b, ' ', width + 2) < 0)
			return -1;
	}
}

static int
put_record(const struct wd_db *db, uint32_t rec, size_t width, struct wd_q_buf *b,
    const char *eol)
{
	struct wd_db_iter it;
	struct wd_db_field f;

	wd_db_fields(db, rec, &it);
	while (wd_db_next(&it, &f))
		if (!f.hidden && put_field(b, &f, width, eol) < 0)
			return -1;
	return put(b, eol, strlen(eol));
}

/* Text with '\n' line ends, sent with eol. */
static int
put_text(struct wd_q_buf *b, const char *s, size_t len, const char *eol)
{
	const char *end = s + len, *nl;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (put(b, s, (nl ? nl : end) - s) < 0 ||
		    put(b, eol, strlen(eol)) < 0)
			return -1;
		s = nl ? nl + 1 : end;
	}
	return 0;
}

static int
put_help(const struct wd_q_help *h, const char *topic, size_t tl,
    struct wd_q_buf *b, const char *eol)
{
	size_t i;

	if (h == NULL)
		return put_text(b, builtin_help, sizeof(builtin_help) - 1, eol);
	for (i = 0; tl > 0 && i < h->ntopic; i++)
		if (h->topic[i].namelen == tl && strncasecmp(h->text +
		    h->topic[i].name, topic, tl) == 0)
			return put_text(b, h->text + h->topic[i].off,
			    h->topic[i].len, eol);
	return put_text(b, h->text, h->genlen, eol);
}

static int
put_matches(const struct wd_db *db, const struct wd_q_query *q, size_t max,
    struct wd_q_buf *out, struct wd_q_result *res, const char *eol)
{
	struct wd_db_iter it;
	struct wd_db_field f;
	size_t i, width = NAME_WIDTH, hardmax = out->max, mark;
	uint32_t *recs;
	ssize_t n;
	int rc = -1;

	if ((recs = malloc((max + 1) * sizeof(*recs))) == NULL)
		return -1;
	if ((n = wd_q_run(db, q, recs, max + 1)) < 0)
		goto end;
	res->more = (size_t)n > max;
	if (res->more)
		n = (ssize_t)max;
	for (i = 0; i < (size_t)n; i++)
		for (wd_db_fields(db, recs[i], &it); wd_db_next(&it, &f);)
			if (!f.hidden && f.namelen > width)
				width = f.namelen;
	if (res->more)
		rc = putline(out, eol, "There were more than %zu matches on "
		    "your request; showing the first %zu.", max, max);
	else
		rc = putline(out, eol, "There were %zu matches on your "
		    "request.", (size_t)n);
	if (rc < 0 || put(out, eol, strlen(eol)) < 0) {
		rc = -1;
		goto end;
	}
	rc = -1;
	/* Records may not eat the room the closing lines need. */
	if (hardmax > out->len + TAIL_RESERVE)
		out->max = hardmax - TAIL_RESERVE;
	for (i = 0; i < (size_t)n; i++) {
		mark = out->len;
		if (put_record(db, recs[i], width, out, eol) < 0) {
			if (errno != ENOBUFS)
				goto end;
			out->len = mark;
			res->truncated = 1;
			break;
		}
		res->matches++;
	}
	out->max = hardmax;
	out->full = 0;
	if (res->truncated && (putline(out, eol, "The answer was cut after "
	    "%zu records to stay under %zu bytes.", res->matches, hardmax) < 0 ||
	    put(out, eol, strlen(eol)) < 0))
		goto end;
	rc = putline(out, eol, "%s", HINT);
end:
	out->max = hardmax;
	free(recs);
	return rc;
}

int
wd_q_answer(const struct wd_db *db, const struct wd_q_query *q,
    const struct wd_q_opts *o, struct wd_q_buf *out, struct wd_q_result *res)
{
	struct wd_q_result dummy;
	const char *eol = o && o->eol ? o->eol : "\r\n";
	size_t max = o && o->max_matches ? o->max_matches : WD_Q_MAX_MATCHES;

	if (res == NULL)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	switch (q->kind) {
	case WD_Q_EMPTY:
		return putline(out, eol, "%s", HINT);
	case WD_Q_HELP:
		return put_help(o ? o->help : NULL, q->text, q->len, out, eol);
	default:
		return put_matches(db, q, max, out, res, eol);
	}
}

const char *
wd_q_strerror(int code)
{
	switch (code) {
	case WD_Q_ERR_INTERNAL:
		return "internal software error";
	case WD_Q_ERR_TOO_LONG:
		return "input line too long";
	case WD_Q_ERR_BADCHAR:
		return "invalid characters in query";
	case WD_Q_ERR_SHORT:
		return "search key too short: need 2 characters before '*'";
	case WD_Q_ERR_DENIED:
		return "access denied";
	case WD_Q_ERR_BUSY:
		return "server busy";
	}
	return "error";
}

int
wd_q_error(struct wd_q_buf *out, int code, const char *text, const char *eol)
{
	return putline(out, eol ? eol : "\r\n", "%%ERROR:%d: %s", code,
	    text ? text : wd_q_strerror(code));
}

/* ---- help text ---------------------------------------------------------------------- */

/* Blank as in a query line (query.c has the same test). */
static int
isblank_(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int
help_parse(struct wd_q_help *h, size_t len, const char *path, struct sk_err *e)
{
	char *s = h->text, *end = s + len, *nl, *w = s;
	struct topic *t = NULL;
	unsigned long line = 0;
	size_t l, i;

	/* Compact in place: drop CRs and the %topic lines themselves. */
	h->genlen = (size_t)-1;
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		l = (size_t)((nl ? nl : end) - s);
		line++;
		if (l > 0 && s[l - 1] == '\r')
			l--;
		if (l >= WD_Q_LINE_MAX - 2)
			return sk_err_set(e, EINVAL, "%s:%lu: line longer than "
			    "%d bytes", path, line, WD_Q_LINE_MAX - 3);
		for (i = 0; i < l; i++)
			if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
			    s[i] == 0x7f)
				return sk_err_set(e, EINVAL, "%s:%lu: control "
				    "character 0x%02x", path, line,
				    (unsigned char)s[i]);
		if (l > 7 && strncmp(s, "%topic ", 7) == 0) {
			if (h->ntopic == HELP_TOPICS)
				return sk_err_set(e, EINVAL, "%s:%lu: more than "
				    "%d topics", path, line, HELP_TOPICS);
			if (t != NULL)
				t->len = (size_t)(w - h->text) - t->off;
			else
				h->genlen = (size_t)(w - h->text);
			t = &h->topic[h->ntopic++];
			for (i = 7; i < l && isblank_((unsigned char)s[i]); i++)
				;
			memmove(w, s + i, l - i);
			t->name = (size_t)(w - h->text);
			t->namelen = l - i;
			while (t->namelen > 0 && isblank_((unsigned char)
			    w[t->namelen - 1]))
				t->namelen--;
			w += l - i;
			t->off = (size_t)(w - h->text);
		} else {
			memmove(w, s, l);
			w += l;
			*w++ = '\n';
		}
		s = nl ? nl + 1 : end;
	}
	if (t != NULL)
		t->len = (size_t)(w - h->text) - t->off;
	else
		h->genlen = (size_t)(w - h->text);
	return 0;
}

struct wd_q_help *
wd_q_help_load(const char *path, struct sk_err *e)
{
	struct wd_q_help *h = calloc(1, sizeof(*h));
	size_t len = 0;
	ssize_t n;
	int fd = -1;

	if (h == NULL || (h->text = malloc(HELP_MAX + 1)) == NULL) {
		sk_err_set(e, ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		sk_err_sys(e, "%s", path);
		goto fail;
	}
	while (len <= HELP_MAX) {
		if ((n = read(fd, h->text + len, HELP_MAX + 1 - len)) < 0) {
			if (errno == EINTR)
				continue;
			sk_err_sys(e, "%s", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > HELP_MAX) {
		sk_err_set(e, EFBIG, "%s: larger than %d bytes", path, HELP_MAX);
		goto fail;
	}
	if (help_parse(h, len, path, e) < 0)
		goto fail;
	close(fd);
	return h;
fail:
	if (fd >= 0)
		close(fd);
	wd_q_help_free(h);
	return NULL;
}

void
wd_q_help_free(struct wd_q_help *h)
{
	if (h == NULL)
		return;
	free(h->text);
	free(h);
}
