/* Private to transcript.c and replay.c. */
#ifndef LINECHAT_TRANSCRIPT_INT_H
#define LINECHAT_TRANSCRIPT_INT_H

#include <stddef.h>

#include "linechat/transcript.h"

struct lc_transcript {
	struct lc_event *ev;
	size_t nev, cap;
	unsigned char *data;	/* decoded bytes of every event */
	size_t used;		/* bytes of data in use */
	size_t rxtotal;		/* '<' bytes in all */
};

#define ESC_SPACE	0x1	/* header values: a space would end the value */
#define ESC_QUOTE	0x2	/* messages: the text is shown inside "" */

/* Transcript escaping with the flags above; returns the length. */
size_t lc__escape(char *dst, const void *src, size_t n, int flags);

#endif
