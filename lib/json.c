/*
 * Streaming JSON writer (sockkit/json.h).
 *
 * Levels: first[d] and is_obj[d] describe the container at depth d + 1;
 * depth 0 is the top level, where one value makes a document (top_done).
 *
 * Each call gathers its bytes (comma, key, value) in a small stage on the
 * stack and hands them on once: one fwrite for a FILE writer, one memcpy
 * into the caller's buffer for an sk_json_init_fd one.  A 100k-row NDJSON
 * listing made ~60 stdio calls a row before, and they were its cost.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/json.h"
#include "sockkit/vis.h"

#define STAGE 256

struct sink {
	FILE *f;		/* a FILE writer's stream, else NULL */
	struct sk_json *j;	/* an fd writer, else NULL */
	size_t n;		/* bytes in b */
	long total;		/* bytes handed on (sk_json_escape's count) */
	int err;
	char b[STAGE];
};

static void
write_all(struct sk_json *j, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && !j->ioerr) {
		if ((w = write(j->fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			j->ioerr = 1;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
buf_flush(struct sk_json *j)
{
	write_all(j, j->buf, j->len);
	j->len = 0;
}

/* Bytes past the stage: to the stream, or into the caller's buffer. */
static void
raw_out(struct sink *s, const char *p, size_t n)
{
	struct sk_json *j = s->j;

	s->total += (long)n;
	if (s->f != NULL) {
		if (fwrite(p, 1, n, s->f) != n)
			s->err = 1;
		return;
	}
	if (n > j->cap - j->len) {
		buf_flush(j);
		if (n >= j->cap) {
			write_all(j, p, n);
			return;
		}
	}
	memcpy(j->buf + j->len, p, n);
	j->len += n;
}

static void
drain(struct sink *s)
{
	if (s->n > 0)
		raw_out(s, s->b, s->n);
	s->n = 0;
}

static void
sput(struct sink *s, const void *p, size_t n)
{
	if (n > STAGE - s->n) {
		drain(s);
		if (n > STAGE) {
			raw_out(s, p, n);
			return;
		}
	}
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void
sputc(struct sink *s, char c)
{
	if (s->n == STAGE)
		drain(s);
	s->b[s->n++] = c;
}

static void
sink_init(struct sink *s, struct sk_json *j)
{
	s->f = j->buf == NULL ? j->out : NULL;
	s->j = j;
	s->n = 0;
	s->total = 0;
	s->err = 0;
}

/* Hand the call's bytes on; a failed fwrite marks the writer. */
static void
sink_end(struct sink *s)
{
	drain(s);
	if (s->err)
		s->j->ioerr = 1;
}

#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL

static int
plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/*
 * Bytes at the start of s that JSON takes as they are: printable ASCII
 * but '"' and '\'.  Eight at a time (the usual "has a byte below / equal
 * to" word tricks; each is exact about whether one exists), then byte by
 * byte from the first word that has one.
 */
static size_t
plain_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint64_t w, q, b;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, p + i, 8);
		q = w ^ (ONES * '"');
		b = w ^ (ONES * '\\');
		if ((((w - ONES * 0x20) & ~w) |		/* < 0x20 */
		    (((w & ~HIGH) + ONES) | w) |		/* >= 0x7f */
		    ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGH)
			break;
	}
	while (i < n && plain(p[i]))
		i++;
	return i;
}

/*
 * s[0..n) as a string literal.  Runs of plain bytes are copied; the runs
 * between them go through sk_vis's JSON mode, which validates UTF-8: a
 * sequence is all bytes >= 0x80, so a plain byte never splits one and a
 * run ending before a plain byte is cut exactly where the whole string
 * would be.
 */
static void
put_escaped(struct sink *s, const char *str, size_t n)
{
	char buf[512];
	size_t k, r, used, len;

	sputc(s, '"');
	while (n > 0) {
		k = plain_len(str, n);
		sput(s, str, k);
		str += k;
		n -= k;
		for (r = 0; r < n && !plain((unsigned char)str[r]); r++)
			;
		/* sk_vis never cuts a unit, so each round takes a byte. */
		while (r > 0) {
			len = sk_vis(buf, sizeof(buf), str, r, SK_VIS_JSON,
			    &used);
			sput(s, buf, len);
			str += used;
			n -= used;
			r -= used;
		}
	}
	sputc(s, '"');
}

void
sk_json_init(struct sk_json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->fd = -1;
}

void
sk_json_init_fd(struct sk_json *j, int fd, char *buf, size_t size)
{
	static char one;

	memset(j, 0, sizeof(*j));
	j->fd = fd;
	/* A zero-size buffer still works, one write(2) per call. */
	j->buf = buf != NULL && size > 0 ? buf : &one;
	j->cap = buf != NULL ? size : 0;
}

int
sk_json_flush(struct sk_json *j)
{
	if (j->buf != NULL)
		buf_flush(j);
	else if (j->out == NULL || fflush(j->out) == EOF)
		j->ioerr = 1;
	return j->ioerr ? -1 : 0;
}

int
sk_json_escape(FILE *out, const char *str, size_t n)
{
	struct sink s;

	memset(&s, 0, sizeof(s));
	s.f = out;
	put_escaped(&s, str, n);
	drain(&s);
	if (s.err)
		return -1;
	return s.total > 0x7fffffff ? 0x7fffffff : (int)s.total;
}

/*
 * Prepare for a value: check it is allowed here and stage the comma
 * before it.  Returns -1 (and sets err) on misuse.
 */
static int
value_begin(struct sk_json *j, struct sink *s)
{
	int d = j->depth - 1;

	if (j->depth == 0) {
		if (j->top_done) {
			j->err = 1;
			return -1;
		}
		return 0;
	}
	if (j->is_obj[d]) {
		if (!j->after_key) {
			j->err = 1;
			return -1;
		}
		j->after_key = 0;
		return 0;
	}
	if (!j->first[d])
		sputc(s, ',');
	j->first[d] = 0;
	return 0;
}

static void
value_end(struct sk_json *j, struct sink *s)
{
	if (j->depth == 0)
		j->top_done = 1;
	sink_end(s);
}

/* One literal value: null, true, false, a number's digits. */
static void
put_value(struct sk_json *j, const char *v, size_t n)
{
	struct sink s;

	sink_init(&s, j);
	if (value_begin(j, &s) < 0)
		return;
	sput(&s, v, n);
	value_end(j, &s);
}

static void
open_container(struct sk_json *j, int is_obj)
{
	struct sink s;

	if (j->depth >= SK_JSON_MAXDEPTH) {
		j->err = 1;
		return;
	}
	sink_init(&s, j);
	if (value_begin(j, &s) < 0)
		return;
	sputc(&s, is_obj ? '{' : '[');
	sink_end(&s);
	j->first[j->depth] = 1;
	j->is_obj[j->depth] = (unsigned char)is_obj;
	j->depth++;
}

static void
close_container(struct sk_json *j, int is_obj)
{
	struct sink s;

	if (j->depth == 0 || j->is_obj[j->depth - 1] != is_obj ||
	    j->after_key) {
		j->err = 1;
		return;
	}
	sink_init(&s, j);
	sputc(&s, is_obj ? '}' : ']');
	j->depth--;
	value_end(j, &s);
}

void
sk_json_obj_begin(struct sk_json *j)
{
	open_container(j, 1);
}

void
sk_json_obj_end(struct sk_json *j)
{
	close_container(j, 1);
}

void
sk_json_arr_begin(struct sk_json *j)
{
	open_container(j, 0);
}

void
sk_json_arr_end(struct sk_json *j)
{
	close_container(j, 0);
}

void
sk_json_key(struct sk_json *j, const char *key)
{
	struct sink s;
	int d = j->depth - 1;

	if (key == NULL || j->depth == 0 || !j->is_obj[d] || j->after_key) {
		j->err = 1;
		return;
	}
	sink_init(&s, j);
	if (!j->first[d])
		sputc(&s, ',');
	j->first[d] = 0;
	put_escaped(&s, key, strlen(key));
	sputc(&s, ':');
	sink_end(&s);
	j->after_key = 1;
}

void
sk_json_strn(struct sk_json *j, const char *str, size_t n)
{
	struct sink s;

	sink_init(&s, j);
	if (value_begin(j, &s) < 0)
		return;
	if (str == NULL)
		sput(&s, "null", 4);
	else
		put_escaped(&s, str, n);
	value_end(j, &s);
}

void
sk_json_str(struct sk_json *j, const char *s)
{
	sk_json_strn(j, s, s != NULL ? strlen(s) : 0);
}

static const char digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* Decimal digits of v, with a '-' when neg, two at a time from the end
 * of b (24 bytes); returns where they start. */
static char *
fmt_number(char *end, unsigned long long v, int neg)
{
	char *p = end;

	while (v >= 100) {
		p -= 2;
		memcpy(p, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digits2 + 2 * v, 2);
	} else
		*--p = (char)('0' + v);
	if (neg)
		*--p = '-';
	return p;
}

void
sk_json_int(struct sk_json *j, long long v)
{
	char b[24], *p;

	/* -(v + 1) + 1 keeps LLONG_MIN in range. */
	p = fmt_number(b + sizeof(b), v < 0 ? (unsigned long long)-(v + 1) + 1 :
	    (unsigned long long)v, v < 0);
	put_value(j, p, (size_t)(b + sizeof(b) - p));
}

void
sk_json_uint(struct sk_json *j, unsigned long long v)
{
	char b[24], *p;

	p = fmt_number(b + sizeof(b), v, 0);
	put_value(j, p, (size_t)(b + sizeof(b) - p));
}

/* printf follows LC_NUMERIC; JSON wants '.' whatever the locale. */
static void
fix_point(char *buf)
{
	const char *dp = localeconv()->decimal_point;
	size_t dlen = strlen(dp);
	char *p;

	if (dlen == 0 || strcmp(dp, ".") == 0 || (p = strstr(buf, dp)) == NULL)
		return;
	*p = '.';
	memmove(p + 1, p + dlen, strlen(p + dlen) + 1);
}

/* Shortest of %.15g..%.17g that reads back as v: 0.1 stays "0.1". */
void
sk_json_double(struct sk_json *j, double v)
{
	char buf[32];
	int prec;

	if (!isfinite(v)) {
		put_value(j, "null", 4);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fix_point(buf);
	put_value(j, buf, strlen(buf));
}

void
sk_json_bool(struct sk_json *j, int v)
{
	put_value(j, v ? "true" : "false", v ? 4 : 5);
}

void
sk_json_null(struct sk_json *j)
{
	put_value(j, "null", 4);
}

void
sk_json_newline(struct sk_json *j)
{
	struct sink s;

	if (j->depth != 0 || !j->top_done) {
		j->err = 1;
		return;
	}
	sink_init(&s, j);
	sputc(&s, '\n');
	sink_end(&s);
	j->top_done = 0;
}

int
sk_json_error(const struct sk_json *j)
{
	if (j->err || j->ioerr)
		return -1;
	if (j->buf != NULL)
		return 0;
	return j->out == NULL || ferror(j->out) ? -1 : 0;
}
