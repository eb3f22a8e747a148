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

#endif
