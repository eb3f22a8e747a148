/*
 * linechat/render.h — make received bytes visible for a human, chunk by
 * chunk: sk_vis()'s SK_VIS_TERM mode (control bytes as \x1b, \0, a lone
 * CR as \r; the CR of a CRLF hidden unless asked for; valid UTF-8 passed
 * through) with a CR or a UTF-8 character cut by a chunk's end held for
 * the next.  Escapes are highlighted on colour terminals so they cannot
 * be mistaken for text the peer sent literally.
 */
#ifndef LINECHAT_RENDER_H
#define LINECHAT_RENDER_H

#include <stddef.h>

#define LC_RENDER_SHOW_CRLF 0x1		/* show the \r of CRLF too */
#define LC_RENDER_COLOR     0x2		/* highlight escapes (ANSI) */
#define LC_RENDER_MIN       64		/* out room that always suffices */

struct lc_render {
	int flags;
	/* What the last chunk ended in and the next decides: a CR (an LF
	 * may follow) or the start of a UTF-8 character. */
	unsigned char held[4];
	int nheld;
};

void lc_render_init(struct lc_render *r, int flags);

/*
 * Render n bytes of in into out (cap bytes, NUL-terminated; at least
 * LC_RENDER_MIN so the widest escape fits).  Returns the number of input
 * bytes consumed: less than n when out is full (call again with the rest).  A CR at the very end is held back until the
 * next call (or lc_render_flush) shows whether an LF follows.
 */
size_t lc_render(struct lc_render *r, const char *in, size_t n, char *out,
    size_t cap);

/* Render whatever is held back (a final CR, a cut UTF-8 sequence) into
 * out (at least LC_RENDER_MIN bytes); returns the length written. */
size_t lc_render_flush(struct lc_render *r, char *out, size_t cap);

#endif
