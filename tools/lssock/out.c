/*
 * A plain output buffer: at 100k rows stdio's per-call locking and
 * format parsing cost more than the netlink dump, so rows are built with
 * memcpy and written in 64 KiB blocks.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lssock/lssock.h"

/* A full buffer kept by ls_out_hold. */
struct ls_held {
	struct ls_held *next;
	size_t n;
	char buf[];
};

/*
 * Held buffers are carved from regions mapped with MAP_POPULATE: 100k
 * rows are ~11 MB, and a page fault apiece (costly under a hypervisor)
 * cost more than the copy.  The region list heads the first region.
 */
#define REGION (4u << 20)

struct ls_region {
	struct ls_region *next;
	size_t size, used;
};

static void *
region_alloc(struct ls_out *o, size_t n)
{
	struct ls_region *r = o->regions;
	size_t size;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (r == NULL || r->size - r->used < n) {
		size = n + sizeof(*r) > REGION ? n + sizeof(*r) : REGION;
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		r = p;
		r->next = o->regions;
		r->size = size;
		r->used = (sizeof(*r) + 15) & ~(size_t)15;
		o->regions = r;
	}
	p = (char *)r + r->used;
	r->used += n;
	return p;
}

static void
regions_free(struct ls_out *o)
{
	struct ls_region *r, *next;

	for (r = o->regions; r != NULL; r = next) {
		next = r->next;
		munmap(r, r->size);
	}
	o->regions = NULL;
}

void
ls_out_init(struct ls_out *o, FILE *f)
{
	o->f = f;
	o->n = 0;
	o->err = 0;
	o->hold = 0;
	o->held = NULL;
	o->tail = &o->held;
	o->held_bytes = 0;
	o->regions = NULL;
}

/* The buffer out: written, or kept while holding. */
static void
spill(struct ls_out *o)
{
	struct ls_held *h;

	if (o->n == 0)
		return;
	if (!o->hold) {
		if (fwrite(o->buf, 1, o->n, o->f) != o->n)
			o->err = 1;
	} else if ((h = region_alloc(o, sizeof(*h) + o->n)) == NULL)
		o->err = 1;
	else {
		h->next = NULL;
		h->n = o->n;
		memcpy(h->buf, o->buf, o->n);
		*o->tail = h;
		o->tail = &h->next;
		o->held_bytes += o->n;
	}
	o->n = 0;
}

int
ls_out_flush(struct ls_out *o)
{
	spill(o);
	if (!o->hold && fflush(o->f) == EOF)
		o->err = 1;
	return o->err ? -1 : 0;
}

void
ls_out_hold(struct ls_out *o)
{
	o->hold = 1;
}

size_t
ls_out_pos(const struct ls_out *o)
{
	return o->held_bytes + o->n;
}

void
ls_out_drop(struct ls_out *o)
{
	regions_free(o);
	o->held = NULL;
	o->tail = &o->held;
	o->held_bytes = 0;
	o->n = 0;
	o->hold = 0;
}

void
ls_out_release(struct ls_out *o, const size_t *at, size_t nat,
    ls_out_at_fn *fn, void *arg)
{
	struct ls_held *h;
	size_t pos = 0, off, k, i = 0;

	spill(o);
	h = o->held;
	o->held = NULL;
	o->tail = &o->held;
	o->held_bytes = 0;
	o->hold = 0;
	for (; h != NULL; h = h->next) {
		for (off = 0; off < h->n; ) {
			while (i < nat && at[i] == pos)
				fn(o, i++, arg);
			k = h->n - off;
			if (i < nat && at[i] - pos < k)
				k = at[i] - pos;
			ls_out_mem(o, h->buf + off, k);
			off += k;
			pos += k;
		}
	}
	while (i < nat)
		fn(o, i++, arg);
	regions_free(o);
}

void
ls_out_mem(struct ls_out *o, const char *s, size_t n)
{
	size_t k;

	while (n > 0) {
		if (o->n == sizeof(o->buf))
			spill(o);
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
