/*
 * The whois protocol logic: one query line in, one answer out, shaped like
 * the source text's UWO whoisd.  Sockets, deadlines and logging belong to
 * the caller; this file only has to be right about bytes.
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
#define RIPE_FLAGS	"aBbcdFGKLlMmrx"

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

struct wq_help {
	char *text;
	size_t genlen;		/* general text: text[0..genlen) */
	struct topic topic[HELP_TOPICS];
	size_t ntopic;
};

/* ---- parsing -------------------------------------------------------------- */

static int
isblank_(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Next blank-separated token of [*p, end). */
static const char *
next_tok(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *t;

	while (s < end && isblank_((unsigned char)*s))
		s++;
	if (s == end) {
		*p = end;
		return NULL;
	}
	for (t = s; t < end && !isblank_((unsigned char)*t); t++)
		;
	*len = (size_t)(t - s);
	*p = t;
	return s;
}

static int
tok_is(const char *t, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(t, word, len) == 0;
}

/* Is t a client flag to drop?  Returns the tokens it uses (0: not one). */
static int
client_flag(const char *t, size_t len)
{
	size_t i;

	if (len == 2 && memcmp(t, "--", 2) == 0)
		return -1;			/* end of flags */
	if ((len == 2 && memcmp(t, "-V", 2) == 0) ||
	    (len == 9 && memcmp(t, "--charset", 9) == 0))
		return 2;
	if (len > 10 && memcmp(t, "--charset=", 10) == 0)
		return 1;
	if (len < 2 || t[0] != '-')
		return 0;
	for (i = 1; i < len; i++)
		if (strchr(RIPE_FLAGS, t[i]) == NULL)
			return 0;
	return 1;
}

/* Copy [s, end) into q->text folded, blank runs as one space, trimmed. */
static void
normalize(struct wq_query *q, const char *s, const char *end)
{
	size_t n = 0;
	int blank = 0;

	for (; s < end; s++) {
		if (isblank_((unsigned char)*s)) {
			blank = n > 0;
			continue;
		}
		if (blank)
			q->text[n++] = ' ';
		blank = 0;
		q->text[n++] = (char)wdb_fold((unsigned char)*s);
	}
	q->text[n] = '\0';
	q->len = n;
}

int
wq_parse(struct wq_query *q, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *t, *save, *last;
	size_t i, tl = 0, wl;
	int n, flags = 1;

	q->kind = WQ_EMPTY;
	q->prefix = 0;
	q->len = 0;
	q->text[0] = '\0';
	if (len > WQ_QUERY_MAX)
		return WQ_ERR_TOO_LONG;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return WQ_ERR_BADCHAR;
	}
	/* "for some reason people send the whois phrase": drop it, and the
	 * flags clients put before the key, however they are interleaved. */
	for (;;) {
		save = p;
		if ((t = next_tok(&p, end, &tl)) == NULL)
			return 0;
		if (tok_is(t, tl, "whois") && flags)
			continue;
		if (!flags || (n = client_flag(t, tl)) == 0)
			break;
		if (n < 0)
			flags = 0;
		else if (n == 2)
			next_tok(&p, end, &tl);
	}
	p = save;
	while (end > p && isblank_((unsigned char)end[-1]))
		end--;
	while (p < end && isblank_((unsigned char)*p))
		p++;
	if (tok_is(t, tl, "help")) {
		q->kind = WQ_HELP;
		normalize(q, p + tl, end);
		return 0;
	}
	if (end - p >= 2 && *p == '"' && end[-1] == '"') {
		normalize(q, p + 1, end - 1);
		q->kind = q->len > 0 ? WQ_WHOLE : WQ_EMPTY;
		return 0;
	}
	normalize(q, p, end);
	q->kind = WQ_MATCH;
	if (q->len > 0 && q->text[q->len - 1] == '*') {
		q->text[--q->len] = '\0';
		q->prefix = 1;
		/* The star must end a word of at least two characters. */
		last = NULL;
		wl = 0;
		p = q->text;
		if (q->len == 0 || wdb_issep((unsigned char)q->text[q->len - 1]))
			return WQ_ERR_SHORT;
		while ((t = wdb_token(&p, q->text + q->len, &tl)) != NULL) {
			last = t;
			wl = tl;
		}
		if (last == NULL || wl < 2)
			return WQ_ERR_SHORT;
	}
	return 0;
}

/* ---- running ------------------------------------------------------------------ */

struct list {
	const uint32_t *r;
	size_t n, cur;
};

/* Does l hold x?  Candidates come in ascending order, so the cursor only
 * moves forward and a whole intersection costs O(n log n) at worst. */
static int
list_has(struct list *l, uint32_t x)
{
	size_t lo = l->cur, hi = l->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->r[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	l->cur = lo;
	return lo < l->n && l->r[lo] == x;
}

static int
rec_has_prefix(const struct wdb *db, uint32_t rec, const char *pw, size_t pl)
{
	struct wdb_iter it;
	struct wdb_field f;
	const char *p, *w;
	size_t i, wl;

	wdb_fields(db, rec, &it);
	while (wdb_next(&it, &f)) {
		if (!f.indexed)
			continue;
		p = f.value;
		while ((w = wdb_token(&p, f.value + f.len, &wl)) != NULL) {
			if (wl < pl)
				continue;
			for (i = 0; i < pl &&
			    wdb_fold((unsigned char)w[i]) == (unsigned char)pw[i]; i++)
				;
			if (i == pl)
				return 1;
		}
	}
	return 0;
}

/* Is value v, read with case folded and blank runs as one space, equal
 * to the normalized key t? */
static int
normeq(const char *v, size_t vl, const char *t, size_t tl)
{
	size_t i = 0, j = 0;

	while (i < vl && j < tl) {
		if (v[i] == ' ') {
			while (i < vl && v[i] == ' ')
				i++;
			if (t[j++] != ' ')
				return 0;
			continue;
		}
		if (wdb_fold((unsigned char)v[i++]) != (unsigned char)t[j++])
			return 0;
	}
	return i == vl && j == tl;
}

static int
rec_has_value(const struct wdb *db, uint32_t rec, const char *t, size_t tl)
{
	struct wdb_iter it;
	struct wdb_field f;

	wdb_fields(db, rec, &it);
	while (wdb_next(&it, &f))
		if (f.indexed && normeq(f.value, f.len, t, tl))
			return 1;
	return 0;
}

/* Union of the record lists of every word with a prefix.  Small unions
 * are sorted; big ones go through a bitmap, linear in the record count. */
struct pset {
	uint32_t *v;
	size_t n, cap, nrec;
	uint64_t *bits;
};

static int
pset_add(void *arg, const uint32_t *recs, size_t n)
{
	struct pset *s = arg;
	uint32_t *nv;
	size_t i;

	if (s->bits == NULL && s->n + n > s->cap) {
		if (s->n + n > 4096 && s->n + n > s->nrec / 32) {
			if ((s->bits = calloc(s->nrec / 64 + 1, 8)) == NULL)
				return -1;
			for (i = 0; i < s->n; i++)
				s->bits[s->v[i] / 64] |= 1ull << (s->v[i] % 64);
		} else {
			s->cap = (s->n + n) * 2;
			if ((nv = realloc(s->v, s->cap * 4)) == NULL)
				return -1;
			s->v = nv;
		}
	}
	if (s->bits != NULL) {
		for (i = 0; i < n; i++)
			s->bits[recs[i] / 64] |= 1ull << (recs[i] % 64);
		return 0;
	}
	memcpy(s->v + s->n, recs, n * 4);
	s->n += n;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static ssize_t
prefix_only(const struct wdb *db, const char *pw, size_t pl, uint32_t *recs,
    size_t max)
{
	struct pset s = { .nrec = wdb_count(db) };
	size_t i, n = 0;
	uint64_t word;

	if (wdb_prefix(db, pw, pl, pset_add, &s) != 0) {
		free(s.v);
		free(s.bits);
		errno = ENOMEM;
		return -1;
	}
	if (s.bits != NULL) {
		for (i = 0; i <= s.nrec / 64 && n < max; i++)
			for (word = s.bits[i]; word != 0 && n < max;
			    word &= word - 1)
				recs[n++] = (uint32_t)(i * 64 +
				    (size_t)__builtin_ctzll(word));
	} else {
		qsort(s.v, s.n, 4, cmp_u32);
		for (i = 0; i < s.n && n < max; i++)
			if (n == 0 || recs[n - 1] != s.v[i])
				recs[n++] = s.v[i];
	}
	free(s.v);
	free(s.bits);
	return (ssize_t)n;
}

ssize_t
wq_run(const struct wdb *db, const struct wq_query *q, uint32_t *recs,
    size_t max)
{
	const char *p = q->text, *end = q->text + q->len, *w, *pw = NULL;
	struct list *l;
	size_t nw = 0, ne, i, j, best = 0, wl, pl = 0, n = 0;
	int ok;

	if ((q->kind != WQ_MATCH && q->kind != WQ_WHOLE) || max == 0)
		return 0;
	while (wdb_token(&p, end, &wl) != NULL)
		nw++;
	if (nw == 0)
		return 0;
	if ((l = calloc(nw, sizeof(*l))) == NULL)
		return -1;
	ne = q->kind == WQ_MATCH && q->prefix ? nw - 1 : nw;
	for (p = q->text, i = 0; (w = wdb_token(&p, end, &wl)) != NULL; i++) {
		if (i == ne) {
			pw = w;
			pl = wl;
		} else if ((l[i].n = wdb_word(db, w, wl, &l[i].r)) == 0)
			goto done;
		else if (l[i].n < l[best].n)
			best = i;
	}
	if (ne == 0) {
		free(l);
		return prefix_only(db, pw, pl, recs, max);
	}
	/* Walk the shortest list and check each candidate against the rest. */
	for (j = 0; j < l[best].n && n < max; j++) {
		uint32_t r = l[best].r[j];

		for (ok = 1, i = 0; ok && i < ne; i++)
			ok = i == best || list_has(&l[i], r);
		if (ok && pw != NULL)
			ok = rec_has_prefix(db, r, pw, pl);
		if (ok && q->kind == WQ_WHOLE)
			ok = rec_has_value(db, r, q->text, q->len);
		if (ok)
			recs[n++] = r;
	}
done:
	free(l);
	return (ssize_t)n;
}

/* ---- output buffer ---------------------------------------------------------------- */

void
wq_buf_init(struct wq_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : WQ_OUT_MAX;
	if (b->max < 4096)
		b->max = 4096;	/* room for any header, error or hint */
	b->full = 0;
}

void
wq_buf_free(struct wq_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->full = 0;
}

static int
put(struct wq_buf *b, const char *s, size_t n)
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
putc_n(struct wq_buf *b, char c, size_t n)
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
putline(struct wq_buf *b, const char *eol, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
putline(struct wq_buf *b, const char *eol, const char *fmt, ...)
{
	char line[WQ_LINE_MAX];
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

/* One field, wrapped so no line passes WQ_LINE_MAX: break at the last
 * space in the second half of the room, else before a UTF-8 character;
 * continuation lines are indented to the value column. */
static int
put_field(struct wq_buf *b, const struct wdb_field *f, size_t width,
    const char *eol)
{
	size_t el = strlen(eol), room = WQ_LINE_MAX - el - width - 2, n, cut;
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
put_record(const struct wdb *db, uint32_t rec, size_t width, struct wq_buf *b,
    const char *eol)
{
	struct wdb_iter it;
	struct wdb_field f;

	wdb_fields(db, rec, &it);
	while (wdb_next(&it, &f))
		if (!f.hidden && put_field(b, &f, width, eol) < 0)
			return -1;
	return put(b, eol, strlen(eol));
}

/* Text with '\n' line ends, sent with eol. */
static int
put_text(struct wq_buf *b, const char *s, size_t len, const char *eol)
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
put_help(const struct wq_help *h, const char *topic, size_t tl,
    struct wq_buf *b, const char *eol)
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
put_matches(const struct wdb *db, const struct wq_query *q, size_t max,
    struct wq_buf *out, struct wq_result *res, const char *eol)
{
	struct wdb_iter it;
	struct wdb_field f;
	size_t i, width = NAME_WIDTH, hardmax = out->max, mark;
	uint32_t *recs;
	ssize_t n;
	int rc = -1;

	if ((recs = malloc((max + 1) * sizeof(*recs))) == NULL)
		return -1;
	if ((n = wq_run(db, q, recs, max + 1)) < 0)
		goto end;
	res->more = (size_t)n > max;
	if (res->more)
		n = (ssize_t)max;
	for (i = 0; i < (size_t)n; i++)
		for (wdb_fields(db, recs[i], &it); wdb_next(&it, &f);)
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
wq_answer(const struct wdb *db, const struct wq_query *q,
    const struct wq_opts *o, struct wq_buf *out, struct wq_result *res)
{
	struct wq_result dummy;
	const char *eol = o && o->eol ? o->eol : "\r\n";
	size_t max = o && o->max_matches ? o->max_matches : WQ_MAX_MATCHES;

	if (res == NULL)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	switch (q->kind) {
	case WQ_EMPTY:
		return putline(out, eol, "%s", HINT);
	case WQ_HELP:
		return put_help(o ? o->help : NULL, q->text, q->len, out, eol);
	default:
		return put_matches(db, q, max, out, res, eol);
	}
}

const char *
wq_strerror(int code)
{
	switch (code) {
	case WQ_ERR_TOO_LONG:
		return "input line too long";
	case WQ_ERR_BADCHAR:
		return "invalid characters in query";
	case WQ_ERR_SHORT:
		return "search key too short: need 2 characters before '*'";
	case WQ_ERR_DENIED:
		return "access denied";
	case WQ_ERR_BUSY:
		return "server busy";
	}
	return "error";
}

int
wq_error(struct wq_buf *out, int code, const char *text, const char *eol)
{
	return putline(out, eol ? eol : "\r\n", "%%ERROR:%d: %s", code,
	    text ? text : wq_strerror(code));
}

/* ---- help text ---------------------------------------------------------------------- */

static int
help_parse(struct wq_help *h, size_t len, const char *path, struct sk_err *e)
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
		if (l >= WQ_LINE_MAX - 2)
			return sk_err_set(e, EINVAL, "%s:%lu: line longer than "
			    "%d bytes", path, line, WQ_LINE_MAX - 3);
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

struct wq_help *
wq_help_load(const char *path, struct sk_err *e)
{
	struct wq_help *h = calloc(1, sizeof(*h));
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
	wq_help_free(h);
	return NULL;
}

void
wq_help_free(struct wq_help *h)
{
	if (h == NULL)
		return;
	free(h->text);
	free(h);
}

/* ---- logging ------------------------------------------------------------------------- */

static size_t
esc1(unsigned char c, char *tmp)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\\' || c == '"') {
		tmp[0] = '\\';
		tmp[1] = (char)c;
		return 2;
	}
	if (c < 0x20 || c >= 0x7f) {
		tmp[0] = '\\';
		tmp[1] = 'x';
		tmp[2] = hex[c >> 4];
		tmp[3] = hex[c & 15];
		return 4;
	}
	tmp[0] = (char)c;
	return 1;
}

size_t
wq_escape(char *dst, size_t size, const char *s, size_t len)
{
	size_t total = 0, limit, n = 0, i, k;
	char tmp[4];

	if (size == 0)
		return 0;
	for (i = 0; i < len; i++)
		total += esc1((unsigned char)s[i], tmp);
	/* Whole, or as much as leaves room for "..." and the NUL. */
	limit = total < size ? total : size >= 4 ? size - 4 : 0;
	for (i = 0; i < len; i++) {
		k = esc1((unsigned char)s[i], tmp);
		if (n + k > limit)
			break;
		memcpy(dst + n, tmp, k);
		n += k;
	}
	if (n < total && size >= 4) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
	return n;
}
