/*
 * whoisd/db_internal.h — what db.c (reading, parsing, record access),
 * db_index.c (the word index) and db_mem.c (large arrays) share.  Private
 * to those files, their tests and the fuzzer; the API is db.h.
 */
#ifndef WHOISD_DB_INTERNAL_H
#define WHOISD_DB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "db.h"

struct attr {
	char *name;
	uint32_t hash;
	uint16_t len;
	uint8_t indexed, hidden;
};

/* A field is its attribute and value length; the value itself follows the
 * previous field's value in buf, so no offset is stored per field. */
struct fld {
	uint16_t attr;
	uint16_t len;
};

struct rec {
	uint32_t fld;		/* first field in flds */
	uint32_t off;		/* first value byte in buf */
};

/* The word index's own types, defined in db_index.c. */
struct wkey;
struct slot;

/* The index is split by the top bit of each word's hash into shards that
 * share nothing, so each can be built on its own core. */
#define WD_DB_SHARDS	2

struct wd_db_shard {
	struct wkey *keys;
	uint32_t nkeys, keycap;
	struct slot *slots;
	uint32_t smask;
	uint32_t *post;
	uint32_t postcap;
	uint32_t *bucket;	/* NBUCKET + 1 starts into border */
	uint32_t *border;	/* key ids grouped by their first two bytes */
	uint32_t bordercap;
};

struct wd_db {
	char *buf;		/* the values, back to back */
	uint32_t buflen, bufcap;
	struct attr *attrs;
	uint32_t nattrs, attrcap;
	uint32_t *amap;		/* attribute table: index + 1, 0 free */
	uint32_t amask;
	struct fld *flds;
	uint32_t nflds, fldcap;
	struct rec *recs;	/* nrec + 1: the last marks the end */
	uint32_t nrec, reccap;
	uint32_t nindexed;	/* indexed fields: sizes the index */
	struct wd_db_shard sh[WD_DB_SHARDS];
};

/* Fold eight bytes at once, as wd_db_fold() does each: set 0x20 in each
 * byte from 'A' to 'Z'.  Adding to the low seven bits cannot carry into
 * the next byte. */
static inline uint64_t
wd_db__fold8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, highs = ones * 0x80;
	uint64_t low = x & ~highs;
	uint64_t ge_a = low + ones * (0x80 - 'A');
	uint64_t gt_z = low + ones * (0x80 - 'Z' - 1);

	return x | ((ge_a & ~gt_z & ~x & highs) >> 2);
}

/* Case-folded hash of s[0..n): attribute names and indexed words. */
uint32_t wd_db__hash(const char *s, size_t n);

/* ---- large arrays (db_mem.c) ------------------------------------------- */

/* Grow the array p of *cap elements of size bytes to hold need, at least
 * doubling; *cap changes only on success.  p NULL allocates, zeroed.
 * Arrays of a megabyte or more live in their own anonymous mapping on
 * huge pages and grow with mremap, which moves page tables, not bytes;
 * smaller ones use malloc (and so stay visible to ASan).  NULL when out
 * of memory or past UINT32_MAX elements. */
void *wd_db__grow_slow(void *p, uint32_t *cap, uint64_t need, size_t size);

/* The common case, where there is room, costs a compare. */
static inline void *
wd_db__grow(void *p, uint32_t *cap, uint64_t need, size_t size)
{
	if (need <= *cap && p != NULL)
		return p;
	return wd_db__grow_slow(p, cap, need, size);
}

/* Turn the array p of cap elements of size bytes into one of need
 * elements of nsize bytes, keeping the bytes both hold; a mapping at
 * least that large is kept and cut to size, because pages already
 * touched cost nothing and fresh ones a fault and a clear each (more
 * than the work done in them, on virtual machines).  *ncap is set for
 * wd_db__release(); p is gone afterwards, NULL or not. */
void *wd_db__reuse(void *p, uint32_t cap, size_t size, uint32_t *ncap,
    uint64_t need, size_t nsize);

/* Release an array of cap elements of size bytes from wd_db__grow(). */
void wd_db__release(void *p, uint32_t cap, size_t size);

/* ---- loading (db.c) -------------------------------------------------------- */

/* Load from fd, reading at most maxread bytes per read(2) (0: no limit
 * beyond the buffer); name is for messages.  A regular file of split
 * bytes or more (0: 8 MiB) read from its start is parsed as two halves
 * on two threads.  wd_db_load() is this with maxread and split 0; tests
 * use small reads to put every line on a boundary, and split 1 to split
 * small files. */
struct wd_db *wd_db__load_fd(int fd, size_t maxread, uint64_t split,
    const char *name, const struct wd_db_opts *o, struct sk_err *e);

/* ---- the index (db_index.c) ------------------------------------------------ */

/* Build the word index over the parsed records of db, on two threads when
 * it is large; -1 when out of memory. */
int wd_db__build_index(struct wd_db *db);

/* Free what wd_db__build_index() allocated. */
void wd_db__free_index(struct wd_db *db);

#endif
