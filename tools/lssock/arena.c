/*
 * arena.c — see arena.h.  One malloc per 64 KiB instead of one per
 * string: a 100k-socket listing interns tens of thousands of paths.
 */
#include <stdlib.h>
#include <string.h>

#include "lssock/arena.h"

struct ls_chunk {
	struct ls_chunk *next;
	size_t used;
	char buf[1 << 16];
};

const char *
ls_intern(struct ls_chunk **arena, const char *s)
{
	size_t n = strlen(s) + 1;
	struct ls_chunk *c = *arena;

	if (n == 1)
		return "";
	if (n > sizeof(c->buf))
		return NULL;
	if (c == NULL || c->used + n > sizeof(c->buf)) {
		if ((c = malloc(sizeof(*c))) == NULL)
			return NULL;
		c->next = *arena;
		c->used = 0;
		*arena = c;
	}
	memcpy(c->buf + c->used, s, n);
	c->used += n;
	return c->buf + c->used - n;
}

void
ls_arena_free(struct ls_chunk **arena)
{
	struct ls_chunk *c, *next;

	for (c = *arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	*arena = NULL;
}
