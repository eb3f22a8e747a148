/*
 * linechat/script.c — parse chat(8) scripts into steps (script_int.h).
 *
 * Everything chat(8) would only notice while running (an unknown escape,
 * a TIMEOUT that is not a number, too many ABORT strings, a bad regex) is
 * found here, so a script never fails halfway through a conversation for
 * a reason that was visible in its text.  The script is linear, so the
 * live ABORT and REPORT lists can be simulated exactly at parse time.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/num.h"
#include "sockkit/vis.h"
#include "linechat/script.h"
#include "linechat/script_int.h"


enum kind { K_EXPECT, K_SEND };

struct parser {
	const char *text;
	size_t len;
	const char *name;
	struct sk_err *e;
	struct lc_script *s;
	/* The current word, quotes removed and backslashes kept, with the
	 * source offset of each of its bytes for error columns. */
	char *w;
	size_t *pos;
	size_t wn, wcap, woff;
	size_t nwords;
	/* The live lists as they will be at run time at this point. */
	const struct lc_str *abort[LC_SCRIPT_MAXABORT];
	size_t nabort;
	const struct lc_str *report[LC_SCRIPT_MAXREPORT];
	size_t nreport;
};

static const struct {
	const char *word;
	enum lc_op op;
} keywords[] = {
	{ "ABORT",	LC_OP_ABORT },
	{ "CLR_ABORT",	LC_OP_CLR_ABORT },
	{ "CLR_REPORT",	LC_OP_CLR_REPORT },
	{ "ECHO",	LC_OP_ECHO },
	{ "HANGUP",	LC_OP_NOP },
	{ "REPORT",	LC_OP_REPORT },
	{ "SAY",	LC_OP_SAY },
	{ "TIMEOUT",	LC_OP_TIMEOUT },
	{ NULL,		LC_OP_NOP }
};

static int
perr(struct parser *p, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "NAME:LINE:COL: message", LINE and COL counted at off. */
static int
perr(struct parser *p, size_t off, const char *fmt, ...)
{
	char msg[SK_ERR_MSGLEN];
	size_t i, line = 1, bol = 0;
	va_list ap;

	if (off > p->len)
		off = p->len;
	for (i = 0; i < off; i++)
		if (p->text[i] == '\n') {
			line++;
			bol = i + 1;
		}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sk_err_set(p->e, EINVAL, "%s:%zu:%zu: %s", p->name, line,
	    off - bol + 1, msg);
}

static int
nomem(struct parser *p)
{
	return sk_err_set(p->e, ENOMEM, "%s: out of memory", p->name);
}

/* c as it should appear in a message. */
static const char *
vis1(int c, char buf[8])
{
	char ch = (char)c;

	sk_vis(buf, 8, &ch, 1, SK_VIS_SPACE | SK_VIS_RAWBS, NULL);
	return buf;
}

/* ---- words ------------------------------------------------------------ */

static int
push(struct parser *p, char c, size_t off)
{
	if (p->wn + 1 >= p->wcap) {
		size_t ncap = p->wcap ? p->wcap * 2 : 64;
		char *nw = realloc(p->w, ncap);
		size_t *npos;

		if (nw == NULL)
			return nomem(p);
		p->w = nw;
		if ((npos = realloc(p->pos, ncap * sizeof(*npos))) == NULL)
			return nomem(p);
		p->pos = npos;
		p->wcap = ncap;
	}
	p->pos[p->wn] = off;
	p->w[p->wn++] = c;
	p->w[p->wn] = '\0';
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

/*
 * The next word into p->w, starting the scan at *off.  Backslash pairs
 * are kept whole (escapes are done per string kind later) so that a
 * quote or blank after a backslash does not end anything.
 * Returns 1 for a word, 0 at the end, -1 on error.
 */
static int
next_word(struct parser *p, size_t *off)
{
	size_t i = *off, q0;
	int linestart = (i == 0 || p->text[i - 1] == '\n');
	char q;

	for (;;) {
		while (i < p->len && is_blank(p->text[i])) {
			if (p->text[i] == '\n')
				linestart = 1;
			i++;
		}
		if (i < p->len && p->text[i] == '#' && linestart) {
			while (i < p->len && p->text[i] != '\n')
				i++;
			continue;
		}
		break;
	}
	if (i == p->len) {
		*off = i;
		return 0;
	}
	if (++p->nwords > LC_SCRIPT_MAXWORDS)
		return perr(p, i, "too many words (max %d)", LC_SCRIPT_MAXWORDS);
	p->wn = 0;
	p->woff = i;
	if (push(p, '\0', i) < 0)	/* so p->w is "" for '' */
		return -1;
	p->wn = 0;
	while (i < p->len && !is_blank(p->text[i])) {
		char c = p->text[i];

		if (c == '\0')
			return perr(p, i, "NUL byte in script (write \\N)");
		if (c == '\'' || c == '"') {
			q = c;
			q0 = i++;
			while (i < p->len && p->text[i] != q) {
				if (p->text[i] == '\n' || p->text[i] == '\0')
					return perr(p, q0, "unterminated quote");
				if (p->text[i] == '\\' && i + 1 < p->len &&
				    p->text[i + 1] != '\n' && p->text[i + 1] != '\0') {
					if (push(p, '\\', i) < 0)
						return -1;
					i++;
				}
				if (push(p, p->text[i], i) < 0)
					return -1;
				i++;
			}
			if (i == p->len)
				return perr(p, q0, "unterminated quote");
			i++;
			continue;
		}
		if (c == '\\' && i + 1 < p->len && !is_blank(p->text[i + 1]) &&
		    p->text[i + 1] != '\0') {
			if (push(p, '\\', i) < 0)
				return -1;
			i++;
		}
		if (push(p, p->text[i], i) < 0)
			return -1;
		i++;
	}
	*off = i;
	return 1;
}

/* ---- strings ---------------------------------------------------------- */

static void
str_free(struct lc_str *s)
{
	free(s->b);
	free(s->src);
	free(s->pause);
	free(s->rx);
	memset(s, 0, sizeof(*s));
}

static int
set_src(struct parser *p, struct lc_str *s, size_t from, size_t to)
{
	if ((s->src = malloc(to - from + 1)) == NULL)
		return nomem(p);
	memcpy(s->src, p->w + from, to - from);
	s->src[to - from] = '\0';
	return 0;
}

static int
add_pause(struct parser *p, struct lc_str *s, size_t off, int ms)
{
	struct lc_pause *np;

	np = reallocarray(s->pause, s->npause + 1, sizeof(*np));
	if (np == NULL)
		return nomem(p);
	s->pause = np;
	s->pause[s->npause].off = off;
	s->pause[s->npause++].ms = ms;
	return 0;
}

/*
 * Do the escapes of w[from..to) into s (chat(8)'s clean()), for a send or
 * for anything matched against or shown from received data (K_EXPECT:
 * expects, ABORT, REPORT, SAY), where sleeps and \c make no sense.
 */
static int
cook(struct parser *p, size_t from, size_t to, enum kind k, struct lc_str *s)
{
	char vb[8], *b;
	size_t i, n = 0;
	int c, v, d;

	if (set_src(p, s, from, to) < 0)
		return -1;
	if ((b = s->b = malloc(to - from + 1)) == NULL)
		return nomem(p);
	for (i = from; i < to; i++) {
		c = (unsigned char)p->w[i];
		if (c == '^') {
			if (i + 1 == to) {
				b[n++] = '^';
				continue;
			}
			c = (unsigned char)p->w[++i];
			if (c == '?')
				b[n++] = 0x7f;
			else if ((c >= '@' && c <= '_') || (c >= 'a' && c <= 'z'))
				b[n++] = c & 0x1f;
			else
				return perr(p, p->pos[i - 1],
				    "bad control character ^%s (write \\^ for ^)",
				    vis1(c, vb));
			continue;
		}
		if (c != '\\') {
			b[n++] = c;
			continue;
		}
		if (i + 1 == to)
			return perr(p, p->pos[i], "backslash at end of string");
		c = (unsigned char)p->w[++i];
		switch (c) {
		case 'b': b[n++] = '\b'; break;
		case 'n': b[n++] = '\n'; break;
		case 'r': b[n++] = '\r'; break;
		case 's': b[n++] = ' '; break;
		case 't': b[n++] = '\t'; break;
		case 'N': b[n++] = '\0'; break;
		case 'q': s->flags |= STR_QUIET; break;
		case '\\': case '-': case '~': case '^':
		case '\'': case '"': case ' ':
			b[n++] = c;
			break;
		case 'c': case 'd': case 'p': case 'K':
			if (k != K_SEND)
				return perr(p, p->pos[i - 1],
				    "\\%c is only for send strings", c);
			if (c == 'c' && i + 1 != to)
				return perr(p, p->pos[i - 1],
				    "\\c must end the send string");
			if (c == 'c')
				s->flags |= STR_NOEOL;
			else if (c != 'K' &&	/* no BREAK on a socket */
			    add_pause(p, s, n, c == 'd' ? 1000 : 100) < 0)
				return -1;
			break;
		default:
			if (c < '0' || c > '7')
				return perr(p, p->pos[i - 1], "unknown escape \\%s",
				    vis1(c, vb));
			for (v = 0, d = 0; d < 3 && i < to &&
			    p->w[i] >= '0' && p->w[i] <= '7'; d++, i++)
				v = v * 8 + (p->w[i] - '0');
			i--;
			if (v > 0377)
				return perr(p, p->pos[i - d], "octal escape "
				    "\\%o is over \\377", v);
			b[n++] = (char)v;
			break;
		}
	}
	b[n] = '\0';
	s->n = n;
	if (k == K_EXPECT && n > LC_SCRIPT_MAXSTR)
		return perr(p, p->pos[from], "string longer than %d bytes",
		    LC_SCRIPT_MAXSTR);
	return 0;
}

/*
 * Compile the body w[from..to) of a ~/.../ expect (script_rx.c says what
 * is refused and why).  \r \n \t become the bytes (POSIX EREs have no
 * such escapes); other backslash pairs are the regex's own.  REG_NEWLINE
 * makes ^ and $ work per line, which is what a line protocol needs.
 */
static int
cook_regex(struct parser *p, size_t from, size_t to, struct lc_str *s)
{
	char pat[LC_SCRIPT_MAXSTR + 1], msg[128];
	size_t bad;
	regex_t full, pre;
	int rc;

	if (set_src(p, s, from - 2, to + 1) < 0)
		return -1;
	if (lc_rx_prepare(p->w + from, to - from, pat, &bad, msg,
	    sizeof(msg)) < 0)
		return perr(p, to == from ? p->pos[from - 2] :
		    p->pos[from + bad], "%s", msg);
	if ((rc = lc_rx_compile(pat, &full, &pre, msg, sizeof(msg))) != 0)
		return rc == REG_ESPACE ? nomem(p) :
		    perr(p, p->pos[from], "bad regex: %s", msg);
	regfree(&full);
	regfree(&pre);
	if ((s->rx = strdup(pat)) == NULL)
		return nomem(p);
	return 0;
}

/* ---- steps ------------------------------------------------------------ */

static struct lc_step *
add_step(struct parser *p, enum lc_op op, size_t ns)
{
	struct lc_script *s = p->s;
	struct lc_step *st;

	if (s->nstep == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;

		if ((st = reallocarray(s->step, ncap, sizeof(*st))) == NULL)
			goto oom;
		s->step = st;
		s->cap = ncap;
	}
	st = &s->step[s->nstep];
	memset(st, 0, sizeof(*st));
	st->op = op;
	if (ns > 0 && (st->s = calloc(ns, sizeof(*st->s))) == NULL)
		goto oom;
	st->ns = ns;
	s->nstep++;
	return st;
oom:
	nomem(p);
	return NULL;
}

/* A send string; the words EOT and BREAK are chat's "^D\c" and "\K\c". */
static int
cook_send(struct parser *p, size_t from, size_t to, struct lc_str *s)
{
	if (to - from == 3 && memcmp(p->w + from, "EOT", 3) == 0) {
		if (set_src(p, s, from, to) < 0 || (s->b = strdup("\x04")) == NULL)
			return nomem(p);
		s->n = 1;
		s->flags = STR_NOEOL;
		return 0;
	}
	if (to - from == 5 && memcmp(p->w + from, "BREAK", 5) == 0) {
		if (set_src(p, s, from, to) < 0 || (s->b = strdup("")) == NULL)
			return nomem(p);
		s->flags = STR_NOEOL;
		return 0;
	}
	return cook(p, from, to, K_SEND, s);
}

/* Where the segment starting at i ends: at an unescaped '-', or for a
 * regex expect at the '/' that ends the word or comes before a '-'. */
static int
seg_end(struct parser *p, size_t i, int expect, size_t *end, int *rx)
{
	size_t j;

	*rx = expect && p->wn - i >= 2 && p->w[i] == '~' && p->w[i + 1] == '/';
	if (*rx) {
		for (j = i + 2; j < p->wn; j++) {
			if (p->w[j] == '\\') {
				j++;
				continue;
			}
			if (p->w[j] == '/' && (j + 1 == p->wn || p->w[j + 1] == '-')) {
				*end = j + 1;
				return 0;
			}
		}
		return perr(p, p->pos[i], "regex ~/ has no closing / "
		    "(write \\~ for a plain ~)");
	}
	for (j = i; j < p->wn && p->w[j] != '-'; j++)
		if (p->w[j] == '\\')
			j++;
	*end = j < p->wn ? j : p->wn;
	return 0;
}

/* expect[-send-expect...]: the segments alternate expect and sub-send. */
static int
expect_word(struct parser *p)
{
	struct lc_step *st;
	size_t i, end = 0, nseg = 1, k;
	int rx;

	for (i = 0; i < p->wn; i++)	/* an upper bound: escapes are 2 */
		if (p->w[i] == '-')
			nseg++;
	if ((st = add_step(p, LC_OP_EXPECT, nseg)) == NULL)
		return -1;
	for (i = 0, k = 0;; k++) {
		if (seg_end(p, i, k % 2 == 0, &end, &rx) < 0)
			return -1;
		if (rx && cook_regex(p, i + 2, end - 1, &st->s[k]) < 0)
			return -1;
		if (!rx && k % 2 == 0 &&
		    cook(p, i, end, K_EXPECT, &st->s[k]) < 0)
			return -1;
		if (k % 2 == 1 && cook_send(p, i, end, &st->s[k]) < 0)
			return -1;
		if (end == p->wn)
			break;
		i = end + 1;
	}
	st->ns = k + 1;
	return 0;
}

static int
find_live(const struct lc_str *const *list, size_t n, const struct lc_str *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i]->n == s->n && memcmp(list[i]->b, s->b, s->n) == 0)
			return (int)i;
	return -1;
}

/* The argument of keyword op (at kwoff) is in p->w. */
static int
keyword_arg(struct parser *p, enum lc_op op, const char *kw, size_t kwoff)
{
	const struct lc_str **list;
	const char *errstr;
	struct lc_step *st;
	size_t *nlist, max;
	int i;

	if ((st = add_step(p, op, 1)) == NULL)
		return -1;
	switch (op) {
	case LC_OP_TIMEOUT:
		st->num = (int)sk_strtonum(p->w, 1, INT_MAX / 1000, &errstr);
		if (errstr != NULL)
			return perr(p, p->woff, "TIMEOUT %s: %s", p->w, errstr);
		return 0;
	case LC_OP_ECHO:
	case LC_OP_NOP:
		if (strcmp(p->w, "ON") != 0 && strcmp(p->w, "OFF") != 0)
			return perr(p, p->woff, "%s %s: want ON or OFF", kw, p->w);
		st->num = p->w[1] == 'N';
		return 0;
	case LC_OP_SAY:
		return cook(p, 0, p->wn, K_EXPECT, &st->s[0]);
	default:
		break;
	}
	if (cook(p, 0, p->wn, K_EXPECT, &st->s[0]) < 0)
		return -1;
	if (st->s[0].n == 0)
		return perr(p, p->woff, "%s needs a non-empty string", kw);
	if (op == LC_OP_ABORT || op == LC_OP_CLR_ABORT) {
		list = p->abort;
		nlist = &p->nabort;
		max = LC_SCRIPT_MAXABORT;
	} else {
		list = p->report;
		nlist = &p->nreport;
		max = LC_SCRIPT_MAXREPORT;
	}
	if (op == LC_OP_REPORT && memchr(st->s[0].b, '\n', st->s[0].n))
		return perr(p, p->woff, "a REPORT string cannot hold a newline");
	if (op == LC_OP_ABORT || op == LC_OP_REPORT) {
		if (*nlist == max)
			return perr(p, kwoff, "too many %s strings (max %zu)",
			    kw, max);
		list[(*nlist)++] = &st->s[0];
		return 0;
	}
	if ((i = find_live(list, *nlist, &st->s[0])) < 0)
		return perr(p, p->woff, "%s %s: not a live %s string", kw,
		    st->s[0].src, kw + 4);
	memmove(&list[i], &list[i + 1], (*nlist - (size_t)i - 1) * sizeof(*list));
	(*nlist)--;
	return 0;
}

static int
lookup_keyword(const struct parser *p)
{
	int i;

	for (i = 0; keywords[i].word != NULL; i++)
		if (strlen(keywords[i].word) == p->wn &&
		    memcmp(keywords[i].word, p->w, p->wn) == 0)
			return i;
	return -1;
}

struct lc_script *
lc_script_parse(const char *text, size_t len, const char *name,
    struct sk_err *e)
{
	struct parser p;
	size_t off = 0, kwoff = 0;
	int r, kw = -1, expect = 1;

	memset(&p, 0, sizeof(p));
	p.text = text;
	p.len = len;
	p.name = name != NULL ? name : "script";
	p.e = e;
	if (len > LC_SCRIPT_MAX) {
		sk_err_set(e, EFBIG, "%s: script longer than %u bytes", p.name,
		    LC_SCRIPT_MAX);
		return NULL;
	}
	if ((p.s = calloc(1, sizeof(*p.s))) == NULL) {
		nomem(&p);
		return NULL;
	}
	while ((r = next_word(&p, &off)) > 0) {
		if (kw >= 0) {
			if (keyword_arg(&p, keywords[kw].op, keywords[kw].word,
			    kwoff) < 0)
				goto fail;
			kw = -1;
		} else if (expect && (kw = lookup_keyword(&p)) >= 0) {
			kwoff = p.woff;
			continue;
		} else if (expect) {
			if (expect_word(&p) < 0)
				goto fail;
			expect = 0;
		} else {
			if (add_step(&p, LC_OP_SEND, 1) == NULL ||
			    cook_send(&p, 0, p.wn,
			    &p.s->step[p.s->nstep - 1].s[0]) < 0)
				goto fail;
			expect = 1;
		}
	}
	if (r < 0)
		goto fail;
	if (kw >= 0) {
		perr(&p, kwoff, "%s needs %s", keywords[kw].word,
		    keywords[kw].op == LC_OP_TIMEOUT ? "a number of seconds" :
		    keywords[kw].op == LC_OP_ECHO ||
		    keywords[kw].op == LC_OP_NOP ? "ON or OFF" : "a string");
		goto fail;
	}
	free(p.w);
	free(p.pos);
	return p.s;
fail:
	free(p.w);
	free(p.pos);
	lc_script_free(p.s);
	return NULL;
}

struct lc_script *
lc_script_load(const char *path, struct sk_err *e)
{
	struct lc_script *s = NULL;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		sk_err_sys(e, "script %s", path);
		return NULL;
	}
	/* One byte over the limit tells "too large" without fstat, which
	 * would not work for a FIFO or /dev/stdin. */
	if ((buf = malloc(LC_SCRIPT_MAX + 1)) == NULL) {
		sk_err_set(e, ENOMEM, "script %s: out of memory", path);
		goto end;
	}
	while (n < LC_SCRIPT_MAX + 1) {
		r = read(fd, buf + n, LC_SCRIPT_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sk_err_sys(e, "script %s", path);
			goto end;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > LC_SCRIPT_MAX)
		sk_err_set(e, EFBIG, "script %s: longer than %u bytes", path,
		    LC_SCRIPT_MAX);
	else
		s = lc_script_parse(buf, n, path, e);
end:
	free(buf);
	close(fd);
	return s;
}

void
lc_script_free(struct lc_script *s)
{
	size_t i, k;

	if (s == NULL)
		return;
	for (i = 0; i < s->nstep; i++) {
		for (k = 0; k < s->step[i].ns; k++)
			str_free(&s->step[i].s[k]);
		free(s->step[i].s);
	}
	free(s->step);
	free(s);
}
