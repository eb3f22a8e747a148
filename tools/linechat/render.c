/* Visible rendering of peer bytes.  See render.h. */
#include <stdio.h>
#include <string.h>

#include "linechat/render.h"

#define HI_ON  "\033[7m"	/* reverse video */
#define HI_OFF "\033[0m"

void
lc_render_init(struct lc_render *r, int flags)
{
	memset(r, 0, sizeof(*r));
	r->flags = flags;
}

/* Append an escape such as "\x1b" (highlighted); 0 if it does not fit. */
static int
put_esc(struct lc_render *r, const char *esc, char *out, size_t cap,
    size_t *o)
{
	char tmp[32];
	int k;

	k = snprintf(tmp, sizeof(tmp), "%s%s%s",
	    r->flags & LC_RENDER_COLOR ? HI_ON : "", esc,
	    r->flags & LC_RENDER_COLOR ? HI_OFF : "");
	if (*o + (size_t)k + 1 > cap)
		return 0;
	memcpy(out + *o, tmp, (size_t)k);
	*o += (size_t)k;
	return 1;
}

static int
put_byte_esc(struct lc_render *r, unsigned char c, char *out, size_t cap,
    size_t *o)
{
	char esc[8];

	if (c == 0)
		snprintf(esc, sizeof(esc), "\\0");
	else if (c == '\r')
		snprintf(esc, sizeof(esc), "\\r");
	else
		snprintf(esc, sizeof(esc), "\\x%02x", c);
	return put_esc(r, esc, out, cap, o);
}

static int
utf8_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Flush a held partial UTF-8 sequence as escapes (it turned out bad). */
static int
spill_utf(struct lc_render *r, char *out, size_t cap, size_t *o)
{
	int i;

	for (i = 0; i < r->nutf; i++)
		if (!put_byte_esc(r, r->utf[i], out, cap, o))
			return 0;
	r->nutf = r->needutf = 0;
	return 1;
}

size_t
lc_render(struct lc_render *r, const char *in, size_t n, char *out,
    size_t cap)
{
	size_t i = 0, o = 0;
	unsigned char c;

	if (cap == 0)
		return 0;
	if (r->pending_cr && n > 0) {
		if (in[0] == '\n') {
			if (r->flags & LC_RENDER_SHOW_CRLF &&
			    !put_esc(r, "\\r", out, cap, &o))
				goto end;
		} else if (!put_esc(r, "\\r", out, cap, &o)) {
			goto end;
		}
		r->pending_cr = 0;
	}
	for (; i < n; i++) {
		c = (unsigned char)in[i];
		if (r->needutf > 0) {
			if ((c & 0xc0) == 0x80) {
				r->utf[r->nutf++] = c;
				if (r->nutf == r->needutf) {
					if (o + (size_t)r->nutf + 1 > cap) {
						r->nutf--;
						goto end;
					}
					memcpy(out + o, r->utf, (size_t)r->nutf);
					o += (size_t)r->nutf;
					r->nutf = r->needutf = 0;
				}
				continue;
			}
			if (!spill_utf(r, out, cap, &o))
				goto end;
		}
		if (c == '\r') {
			if (i + 1 == n) {
				r->pending_cr = 1;
				i++;
				break;
			}
			if (in[i + 1] == '\n' && !(r->flags & LC_RENDER_SHOW_CRLF))
				continue;
			if (!put_esc(r, "\\r", out, cap, &o))
				goto end;
			continue;
		}
		if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
			if (o + 2 > cap)
				goto end;
			out[o++] = (char)c;
			continue;
		}
		if (utf8_len(c) > 0) {
			r->utf[0] = c;
			r->nutf = 1;
			r->needutf = utf8_len(c);
			continue;
		}
		if (!put_byte_esc(r, c, out, cap, &o))
			goto end;
	}
end:
	out[o] = '\0';
	return i;
}

size_t
lc_render_flush(struct lc_render *r, char *out, size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return 0;
	if (r->pending_cr) {
		put_esc(r, "\\r", out, cap, &o);
		r->pending_cr = 0;
	}
	if (r->nutf > 0)
		spill_utf(r, out, cap, &o);
	out[o] = '\0';
	return o;
}
