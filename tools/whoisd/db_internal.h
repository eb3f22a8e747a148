/*
 * whoisd/db_internal.h — what db.c (reading, parsing, record access) and
 * db_index.c (the word index) share.  Private to those two files; the API
 * is db.h.
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

struct wdb {
	char *buf;
	size_t buflen;
	struct attr *attrs;
	uint32_t nattrs, attrcap;
	uint32_t *amap;		/* attribute table: index + 1, 0 free */
	uint32_t amask;
	struct fld *flds;
	uint32_t nflds, fldcap;
	struct rec *recs;	/* nrec + 1: the last marks the end */
	uint32_t nrec, reccap;
	struct wkey *keys;
	uint32_t nkeys, keycap;
	struct slot *slots;
	uint32_t smask;
	uint32_t *post;
	uint32_t *bucket;	/* NBUCKET + 1 starts into border */
	uint32_t *border;	/* key ids grouped by their first two bytes */
};

/* Case-folded hash of s[0..n): attribute names and indexed words. */
uint32_t wdb__hash(const char *s, size_t n);

/* Grow an array to hold need elements, doubling; *cap changes only on
 * success.  Large blocks are mmap'd by malloc, so realloc moves no bytes. */
static inline void *
wdb__grow(void *p, uint32_t *cap, uint64_t need, size_t size)
{
	uint64_t n = *cap ? *cap : 256;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	if (n < need || (q = realloc(p, (size_t)n * size)) == NULL)
		return NULL;
	*cap = (uint32_t)n;
	return q;
}

/* Build the word index over the parsed records of db; -1 when out of
 * memory. */
int wdb__build_index(struct wdb *db);

#endif
