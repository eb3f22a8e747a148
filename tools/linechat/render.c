/* Visible rendering of peer bytes.  See render.h. */
#include <string.h>

#include "sockkit/vis.h"
#include "linechat/render.h"

void
lc_render_init(struct lc_render *r, int flags)
{
	memset(r, 0, sizeof(*r));
	r->flags = flags;
}

static int
vis_flags(const struct lc_render *r)
{
	int f = SK_VIS_TERM;

	if (r->flags & LC_RENDER_SHOW_CRLF)
		f &= ~SK_VIS_CRLF;
	if (r->flags & LC_RENDER_COLOR)
		f |= SK_VIS_HILITE;
	return f;
}

/* Show what the last chunk held back, now that in[0..n) (n > 0) tells
 * how it ends.  Returns the input bytes that went with it, or -1 if out
 * (cap bytes, *o used) has no room; r is unchanged then. */
static long
resolve_held(struct lc_render *r, const char *in, size_t n, char *out,
    size_t cap, size_t *o)
{
	unsigned char seq[4];
	size_t k = 0, shown = (size_t)r->nheld, len, used;

	memcpy(seq, r->held, shown);
	if (seq[0] == '\r') {
		/* The CR of a CRLF goes unseen; the LF is shown with in. */
		if (in[0] == '\n') {
			r->nheld = 0;
			return 0;
		}
	} else {
		/* A cut UTF-8 character: take bytes until it is whole, or
		 * shown as escapes when a byte cannot continue it (that byte
		 * stays in the input). */
		while (sk_utf8_len(seq, shown) == -1) {
			if (k == n) {
				memcpy(r->held, seq, shown);
				r->nheld = (int)shown;
				return (long)k;
			}
			seq[shown] = (unsigned char)in[k];
			if (sk_utf8_len(seq, shown + 1) == 0)
				break;
			shown++;
			k++;
		}
	}
	len = sk_vis(out + *o, cap - *o, seq, shown, vis_flags(r), &used);
	if (used < shown)
		return -1;
	*o += len;
	r->nheld = 0;
	return (long)k;
}

size_t
lc_render(struct lc_render *r, const char *in, size_t n, char *out,
    size_t cap)
{
	size_t i = 0, o = 0, end = n, k, used;
	long got;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (r->nheld > 0 && n > 0) {
		if ((got = resolve_held(r, in, n, out, cap, &o)) < 0)
			return 0;
		i = (size_t)got;
		if (r->nheld > 0)
			return n;		/* all of in went into held */
	}
	/* Hold back a final CR (an LF may follow) and the start of a UTF-8
	 * character the chunk cut. */
	if (end > i && in[end - 1] == '\r' &&
	    !(r->flags & LC_RENDER_SHOW_CRLF))
		end--;
	else
		for (k = 1; k <= 3 && k <= end - i; k++)
			if (sk_utf8_len(in + end - k, k) == -1) {
				end -= k;
				break;
			}
	o += sk_vis(out + o, cap - o, in + i, end - i, vis_flags(r), &used);
	i += used;
	if (i < end)
		return i;		/* out is full */
	memcpy(r->held, in + end, n - end);
	r->nheld = (int)(n - end);
	return n;
}

size_t
lc_render_flush(struct lc_render *r, char *out, size_t cap)
{
	size_t len;

	if (cap == 0)
		return 0;
	len = sk_vis(out, cap, r->held, (size_t)r->nheld, vis_flags(r), NULL);
	r->nheld = 0;
	return len;
}
