/*
 * Does a block of stdin look like text?  Pipe mode turns LF into CRLF for
 * text typed or generated for a line protocol; a binary file piped the
 * same way arrives changed, so the first block is checked and the user
 * told about --raw (relay.c).
 */
#include <stddef.h>

#include "sockkit/vis.h"
#include "linechat/linechat.h"

int
lc_text_check(const void *buf, size_t n, size_t *off)
{
	const unsigned char *p = buf;
	size_t i = 0;
	int len;

	while (i < n) {
		if (p[i] == '\0') {
			*off = i;
			return LC_TEXT_NUL;
		}
		/* A sequence cut by the end of the block may go on in the
		 * next one: not an error. */
		if ((len = sk_utf8_len(p + i, n - i)) == -1)
			break;
		if (len == 0) {
			*off = i;
			return LC_TEXT_BADUTF8;
		}
		i += (size_t)len;
	}
	*off = n;
	return LC_TEXT_OK;
}
