/*
 * Streaming JSON writer (sockkit/json.h).
 *
 * Levels: first[d] and is_obj[d] describe the container at depth d + 1;
 * depth 0 is the top level, where one value makes a document (top_done).
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/json.h"
#include "sockkit/vis.h"

void
sk_json_init(struct sk_json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

int
sk_json_escape(FILE *out, const char *str, size_t n)
{
	char buf[512];
	size_t i = 0, used, len;
	long total = 2;

	if (putc('"', out) == EOF)
		return -1;
	/* Keys and most values are plain ASCII: one fwrite, no sk_vis.  A
	 * 100k-row NDJSON listing spends most of its time here. */
	while (i < n && str[i] >= 0x20 && str[i] < 0x7f && str[i] != '"' &&
	    str[i] != '\\')
		i++;
	if (i > 0 && fwrite(str, 1, i, out) != i)
		return -1;
	total += (long)i;
	/* The rest through sk_vis's JSON mode, a buffer at a time: it never
	 * cuts a unit, so each round takes at least one input byte. */
	while (i < n) {
		len = sk_vis(buf, sizeof(buf), str + i, n - i, SK_VIS_JSON,
		    &used);
		if (fwrite(buf, 1, len, out) != len)
			return -1;
		total += (long)len;
		i += used;
	}
	if (putc('"', out) == EOF)
		return -1;
	return total > 0x7fffffff ? 0x7fffffff : (int)total;
}

/*
 * Prepare for a value: check it is allowed here and write the comma
 * before it.  Returns -1 (and sets err) on misuse.
 */
static int
value_begin(struct sk_json *j)
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
		putc(',', j->out);
	j->first[d] = 0;
	return 0;
}

static void
value_end(struct sk_json *j)
{
	if (j->depth == 0)
		j->top_done = 1;
}

static void
open_container(struct sk_json *j, int is_obj)
{
	if (j->depth >= SK_JSON_MAXDEPTH) {
		j->err = 1;
		return;
	}
	if (value_begin(j) < 0)
		return;
	putc(is_obj ? '{' : '[', j->out);
	j->first[j->depth] = 1;
	j->is_obj[j->depth] = (unsigned char)is_obj;
	j->depth++;
}

static void
close_container(struct sk_json *j, int is_obj)
{
	if (j->depth == 0 || j->is_obj[j->depth - 1] != is_obj ||
	    j->after_key) {
		j->err = 1;
		return;
	}
	putc(is_obj ? '}' : ']', j->out);
	j->depth--;
	value_end(j);
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
	int d = j->depth - 1;

	if (key == NULL || j->depth == 0 || !j->is_obj[d] || j->after_key) {
		j->err = 1;
		return;
	}
	if (!j->first[d])
		putc(',', j->out);
	j->first[d] = 0;
	sk_json_escape(j->out, key, strlen(key));
	putc(':', j->out);
	j->after_key = 1;
}

void
sk_json_strn(struct sk_json *j, const char *s, size_t n)
{
	if (value_begin(j) < 0)
		return;
	if (s == NULL)
		fputs("null", j->out);
	else
		sk_json_escape(j->out, s, n);
	value_end(j);
}

void
sk_json_str(struct sk_json *j, const char *s)
{
	sk_json_strn(j, s, s != NULL ? strlen(s) : 0);
}

/* Decimal digits of v, with a '-' when neg, into one fwrite: fprintf's
 * format parsing costs more than the number. */
static void
put_number(FILE *out, unsigned long long v, int neg)
{
	char b[24];
	size_t n = sizeof(b);

	do {
		b[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		b[--n] = '-';
	fwrite(b + n, 1, sizeof(b) - n, out);
}

void
sk_json_int(struct sk_json *j, long long v)
{
	if (value_begin(j) < 0)
		return;
	/* -(v + 1) + 1 keeps LLONG_MIN in range. */
	put_number(j->out, v < 0 ? (unsigned long long)-(v + 1) + 1 :
	    (unsigned long long)v, v < 0);
	value_end(j);
}

void
sk_json_uint(struct sk_json *j, unsigned long long v)
{
	if (value_begin(j) < 0)
		return;
	put_number(j->out, v, 0);
	value_end(j);
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

	if (value_begin(j) < 0)
		return;
	if (!isfinite(v))
		fputs("null", j->out);
	else {
		for (prec = 15; prec < 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
		if (prec == 17)
			snprintf(buf, sizeof(buf), "%.17g", v);
		fix_point(buf);
		fputs(buf, j->out);
	}
	value_end(j);
}

void
sk_json_bool(struct sk_json *j, int v)
{
	if (value_begin(j) < 0)
		return;
	fputs(v ? "true" : "false", j->out);
	value_end(j);
}

void
sk_json_null(struct sk_json *j)
{
	if (value_begin(j) < 0)
		return;
	fputs("null", j->out);
	value_end(j);
}

void
sk_json_newline(struct sk_json *j)
{
	if (j->depth != 0 || !j->top_done) {
		j->err = 1;
		return;
	}
	putc('\n', j->out);
	j->top_done = 0;
}

int
sk_json_error(const struct sk_json *j)
{
	return j->err || j->out == NULL || ferror(j->out) ? -1 : 0;
}
