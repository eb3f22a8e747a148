/*
 * The word index of the whois directory: one open-addressing table over
 * arrays, with no allocation per word, so a million records load in well
 * under a second; and the tokenizer that the loader and queries share.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "db_internal.h"

/* A distinct indexed word, folded.  While building, start is the last
 * record that used the word plus one (to drop repeats within a record);
 * afterwards it is the record itself when cnt == 1 (most words: handles,
 * e-mail addresses, index keys) or the word's first slot in post. */
struct wkey {
	uint32_t off;
	uint32_t start;
	uint32_t cnt;
	uint16_t len;
	uint16_t pfx;		/* first two folded bytes, for prefix buckets */
};

/* The hash sits in the slot so that probing rarely touches the key. */
struct slot {
	uint32_t hash;
	uint32_t id;		/* key index + 1; 0 is a free slot */
};

#define NBUCKET 65536

/* ---- words --------------------------------------------------------------- */

int
wdb_issep(unsigned char c)
{
	switch (c) {
	case ' ': case '\t': case ',': case ';': case ':': case '(': case ')':
	case '[': case ']': case '<': case '>': case '"':
		return 1;
	}
	return 0;
}

const char *
wdb_token(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *t;

	while (s < end && wdb_issep((unsigned char)*s))
		s++;
	if (s == end) {
		*p = end;
		return NULL;
	}
	for (t = s; t < end && !wdb_issep((unsigned char)*t); t++)
		;
	*len = (size_t)(t - s);
	*p = t;
	return s;
}

/* ---- index ------------------------------------------------------------------ */

static int
foldeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (wdb_fold((unsigned char)a[i]) != wdb_fold((unsigned char)b[i]))
			return 0;
	return 1;
}

/* The slot table is probed at random: on huge pages (where the kernel
 * grants them) far fewer of those probes miss the TLB as well. */
static void *
zalloc_huge(size_t n)
{
	uintptr_t a, b, pg = 4096;
	void *p = calloc(1, n);

	if (p != NULL && n >= (8u << 20)) {
		a = ((uintptr_t)p + pg - 1) & ~(pg - 1);
		b = ((uintptr_t)p + n) & ~(pg - 1);
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
	}
	return p;
}

static int
slots_resize(struct wdb *db, uint32_t size)
{
	struct slot *s = zalloc_huge((size_t)size * sizeof(*s));
	uint32_t i, j;

	if (s == NULL)
		return -1;
	if (db->slots != NULL) {
		for (i = 0; i <= db->smask; i++) {
			if (db->slots[i].id == 0)
				continue;
			for (j = db->slots[i].hash & (size - 1); s[j].id != 0;
			    j = (j + 1) & (size - 1))
				;
			s[j] = db->slots[i];
		}
	}
	free(db->slots);
	db->slots = s;
	db->smask = size - 1;
	return 0;
}

static const struct wkey *
key_find(const struct wdb *db, const char *w, size_t len, uint32_t h)
{
	uint32_t j;
	const struct wkey *k;

	if (db->slots == NULL)
		return NULL;
	for (j = h & db->smask; db->slots[j].id != 0; j = (j + 1) & db->smask) {
		if (db->slots[j].hash != h)
			continue;
		k = &db->keys[db->slots[j].id - 1];
		if (k->len == len && foldeq(db->buf + k->off, w, len))
			return k;
	}
	return NULL;
}

/* Find or add the word at buf offset off with hash h; NULL: no memory. */
static struct wkey *
key_get(struct wdb *db, uint32_t off, size_t len, uint32_t h)
{
	const char *w = db->buf + off;
	struct wkey *k = (struct wkey *)key_find(db, w, len, h);
	uint32_t j;

	if (k != NULL)
		return k;
	if ((uint64_t)db->nkeys + 1 > (uint64_t)(db->smask + 1) / 4 * 3 &&
	    (db->smask >= 0x7fffffffu ||
	    slots_resize(db, (db->smask + 1) * 2) < 0))
		return NULL;
	if ((k = wdb__grow(db->keys, &db->keycap, (uint64_t)db->nkeys + 1,
	    sizeof(*k))) == NULL)
		return NULL;
	db->keys = k;
	for (j = h & db->smask; db->slots[j].id != 0; j = (j + 1) & db->smask)
		;
	db->slots[j].hash = h;
	db->slots[j].id = ++db->nkeys;
	k = &db->keys[db->nkeys - 1];
	k->off = off;
	k->start = 0;
	k->cnt = 0;
	k->len = (uint16_t)len;
	k->pfx = len < 2 ? 0 : (uint16_t)(wdb_fold((unsigned char)w[0]) << 8 |
	    wdb_fold((unsigned char)w[1]));
	return k;
}

/* Group keys by their first two bytes: a prefix query (at least two
 * characters) then scans one bucket instead of sorting every word. */
static int
build_buckets(struct wdb *db)
{
	uint32_t i, b, *pos;

	db->bucket = calloc(NBUCKET + 1, sizeof(uint32_t));
	db->border = malloc(((size_t)db->nkeys + 1) * sizeof(uint32_t));
	if (db->bucket == NULL || db->border == NULL)
		return -1;
	for (i = 0; i < db->nkeys; i++)
		if (db->keys[i].len >= 2)
			db->bucket[db->keys[i].pfx + 1]++;
	for (b = 0; b < NBUCKET; b++)
		db->bucket[b + 1] += db->bucket[b];
	if ((pos = malloc(NBUCKET * sizeof(*pos))) == NULL)
		return -1;
	memcpy(pos, db->bucket, NBUCKET * sizeof(*pos));
	for (i = 0; i < db->nkeys; i++)
		if (db->keys[i].len >= 2)
			db->border[pos[db->keys[i].pfx]++] = i;
	free(pos);
	return 0;
}

/* Lay the postings out per word: kid holds each posting's key in record
 * order (rpost[rec] is where each record starts), so a counting sort gives
 * every word an ascending record list without per-word allocation. */
static int
build_postings(struct wdb *db, const uint32_t *kid, const uint32_t *rpost)
{
	uint64_t total = 0;
	uint32_t i, rec, p;
	struct wkey *k;

	for (i = 0; i < db->nkeys; i++) {
		k = &db->keys[i];
		if (k->cnt > 1) {
			k->start = (uint32_t)total;
			total += k->cnt;
		}
	}
	if ((db->post = malloc((size_t)(total ? total : 1) * 4)) == NULL)
		return -1;
	for (rec = 0; rec < db->nrec; rec++) {
		for (p = rpost[rec]; p < rpost[rec + 1]; p++) {
			/* Random access into keys: fetch ahead of use. */
			if (p + 16 < rpost[db->nrec])
				__builtin_prefetch(&db->keys[kid[p + 16]], 1);
			k = &db->keys[kid[p]];
			if (k->cnt == 1)
				k->start = rec;
			else
				db->post[k->start++] = rec;
		}
	}
	for (i = 0; i < db->nkeys; i++)
		if (db->keys[i].cnt > 1)
			db->keys[i].start -= db->keys[i].cnt;
	return 0;
}

/* Words waiting for their table lookup.  Hashing a batch first and
 * prefetching its slots lets the cache misses of a million-record table
 * overlap instead of queueing one behind the other. */
#define BATCH 256

struct pending {
	uint32_t off, rec, hash, len;
};

struct build {
	uint32_t *kid;		/* key of each posting, in record order */
	uint32_t *rpost;	/* nrec + 1 starts into kid */
	uint32_t nk, kcap, nextrec;
	struct pending pend[BATCH];
	size_t np;
};

static int
flush(struct wdb *db, struct build *b)
{
	struct pending *p;
	struct wkey *k;
	uint32_t *t;
	size_t i;

	for (i = 0; i < b->np; i++) {
		p = &b->pend[i];
		while (b->nextrec <= p->rec)
			b->rpost[b->nextrec++] = b->nk;
		if ((k = key_get(db, p->off, p->len, p->hash)) == NULL)
			return -1;
		if (k->start == p->rec + 1)
			continue;	/* again in the same record */
		k->start = p->rec + 1;
		k->cnt++;
		if ((t = wdb__grow(b->kid, &b->kcap, (uint64_t)b->nk + 1,
		    4)) == NULL)
			return -1;
		b->kid = t;
		b->kid[b->nk++] = (uint32_t)(k - db->keys);
	}
	b->np = 0;
	return 0;
}

int
wdb__build_index(struct wdb *db)
{
	struct build b = { .np = 0 };
	uint32_t rec, f, size = 1024, est = 0;
	const char *p, *end, *s;
	struct pending *pe;
	size_t off, wl;
	int rc = -1;

	/* One slot table sized from the indexed field count usually fits,
	 * sparing rehashes of millions of slots. */
	for (f = 0; f < db->nflds; f++)
		est += db->attrs[db->flds[f].attr].indexed;
	while (size < 0x80000000u && size / 4 * 3 < est)
		size *= 2;
	if (slots_resize(db, size) < 0 ||
	    (b.rpost = malloc(((size_t)db->nrec + 1) * 4)) == NULL)
		goto end;
	for (rec = 0; rec < db->nrec; rec++) {
		off = db->recs[rec].off;
		for (f = db->recs[rec].fld; f < db->recs[rec + 1].fld; f++) {
			p = db->buf + off;
			end = p + db->flds[f].len;
			off += db->flds[f].len;
			if (!db->attrs[db->flds[f].attr].indexed)
				continue;
			while ((s = wdb_token(&p, end, &wl)) != NULL) {
				if (b.np == BATCH && flush(db, &b) < 0)
					goto end;
				pe = &b.pend[b.np++];
				pe->off = (uint32_t)(s - db->buf);
				pe->rec = rec;
				pe->len = (uint32_t)wl;
				pe->hash = wdb__hash(s, wl);
				__builtin_prefetch(&db->slots[pe->hash & db->smask]);
			}
		}
	}
	if (flush(db, &b) < 0)
		goto end;
	while (b.nextrec <= db->nrec)
		b.rpost[b.nextrec++] = b.nk;
	if (build_postings(db, b.kid, b.rpost) < 0)
		goto end;
	free(b.kid);
	b.kid = NULL;
	free(b.rpost);
	b.rpost = NULL;
	rc = build_buckets(db);
end:
	free(b.kid);
	free(b.rpost);
	return rc;
}

/* ---- lookup -------------------------------------------------------------- */

static size_t
key_recs(const struct wdb *db, const struct wkey *k, const uint32_t **recs)
{
	*recs = k->cnt == 1 ? &k->start : db->post + k->start;
	return k->cnt;
}

size_t
wdb_word(const struct wdb *db, const char *w, size_t len,
    const uint32_t **recs)
{
	const struct wkey *k;

	*recs = NULL;
	if (len == 0 || len > WDB_VALUE_MAX ||
	    (k = key_find(db, w, len, wdb__hash(w, len))) == NULL)
		return 0;
	return key_recs(db, k, recs);
}

int
wdb_prefix(const struct wdb *db, const char *p, size_t len,
    int (*fn)(void *arg, const uint32_t *recs, size_t n), void *arg)
{
	uint32_t b, i;
	const struct wkey *k;
	const uint32_t *recs;
	size_t n;
	int r;

	if (len < 2 || db->bucket == NULL)
		return 0;
	b = (uint32_t)wdb_fold((unsigned char)p[0]) << 8 |
	    wdb_fold((unsigned char)p[1]);
	for (i = db->bucket[b]; i < db->bucket[b + 1]; i++) {
		k = &db->keys[db->border[i]];
		if (k->len < len || !foldeq(db->buf + k->off + 2, p + 2, len - 2))
			continue;
		n = key_recs(db, k, &recs);
		if ((r = fn(arg, recs, n)) != 0)
			return r;
	}
	return 0;
}
