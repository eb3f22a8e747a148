/*
 * libFuzzer target for linechat's text check of piped stdin
 * (tools/linechat/text.c): whatever the bytes, the verdict names an
 * offset inside them, the bytes before that offset are text on their
 * own, and a verdict of text means no NUL anywhere.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linechat/linechat.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = SIZE_MAX, off2;
	int kind = lc_text_check(data, size, &off);

	if (kind == LC_TEXT_OK) {
		if (off != size || memchr(data, 0, size) != NULL)
			abort();
		return 0;
	}
	if (off >= size || (kind != LC_TEXT_NUL && kind != LC_TEXT_BADUTF8))
		abort();
	if (kind == LC_TEXT_NUL && data[off] != 0)
		abort();
	if (lc_text_check(data, off, &off2) != LC_TEXT_OK || off2 != off)
		abort();
	return 0;
}
