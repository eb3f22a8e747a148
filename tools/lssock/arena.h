/*
 * arena.h — lssock's string arena: copies of short strings (UNIX paths,
 * namespace names) kept for a whole listing in 64 KiB chunks, freed at
 * once.  Used by --diff and --watch.
 */
#ifndef LSSOCK_ARENA_H
#define LSSOCK_ARENA_H

struct ls_chunk;

/* A copy of s in *arena ("" needs no copy), or NULL when out of memory.
 * s must be shorter than a chunk (paths and names are). */
const char *ls_intern(struct ls_chunk **arena, const char *s);
/* Free every chunk of *arena and empty it. */
void ls_arena_free(struct ls_chunk **arena);

#endif
