/* Private to transcript.c, replay.c and ignore.c. */
#ifndef LINECHAT_TRANSCRIPT_INT_H
#define LINECHAT_TRANSCRIPT_INT_H

#include <regex.h>
#include <stddef.h>

#include "linechat/transcript.h"

struct lc_transcript {
	struct lc_event *ev;
	size_t nev, cap;
	unsigned char *data;	/* decoded bytes of every event */
	size_t used;		/* bytes of data in use */
	size_t rxtotal;		/* '<' bytes in all */
};

/* Copy n bytes (n <= LC_REPLAY_LINE_MAX; more are not looked at) of in
 * to out, leaving out every part one of the nrx --ignore patterns
 * matches, leftmost first (the longest at one start); returns out's
 * length. */
size_t lc__ignore_strip(const regex_t *rx, size_t nrx,
    const unsigned char *in, size_t n, unsigned char *out);

#endif
