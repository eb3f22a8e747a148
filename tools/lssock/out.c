/*
 * A plain output buffer: at 100k rows stdio's per-call locking and
 * format parsing cost more than the netlink dump, so rows are built with
 * memcpy and written in 64 KiB blocks.
 */
#include <string.h>

#include "lssock/lssock.h"

void
ls_out_init(struct ls_out *o, FILE *f)
{
	o->f = f;
	o->n = 0;
	o->err = 0;
}

int
ls_out_flush(struct ls_out *o)
{
	if (o->n > 0 && fwrite(o->buf, 1, o->n, o->f) != o->n)
		o->err = 1;
	o->n = 0;
	if (fflush(o->f) == EOF)
		o->err = 1;
	return o->err ? -1 : 0;
}

void
ls_out_mem(struct ls_out *o, const char *s, size_t n)
{
	size_t k;

	while (n > 0) {
		if (o->n == sizeof(o->buf)) {
			if (fwrite(o->buf, 1, o->n, o->f) != o->n)
				o->err = 1;
			o->n = 0;
		}
		k = sizeof(o->buf) - o->n;
		if (k > n)
			k = n;
		memcpy(o->buf + o->n, s, k);
		o->n += k;
		s += k;
		n -= k;
	}
}

void
ls_out_str(struct ls_out *o, const char *s)
{
	ls_out_mem(o, s, strlen(s));
}

void
ls_out_char(struct ls_out *o, char c)
{
	ls_out_mem(o, &c, 1);
}

void
ls_out_uint(struct ls_out *o, unsigned long long v)
{
	char t[24];
	int n = sizeof(t);

	do {
		t[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ls_out_mem(o, t + n, sizeof(t) - n);
}

void
ls_out_pad(struct ls_out *o, size_t n)
{
	static const char sp[] = "                                ";

	while (n > 0) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;

		ls_out_mem(o, sp, k);
		n -= k;
	}
}
