/*
 * The word index of the whois directory: open-addressing tables over
 * arrays, with no allocation per word, so a million records load in well
 * under a second; and the tokenizer that the loader and queries share.
 *
 * Words are split by the top bit of their hash into shards (db_internal.h)
 * that share nothing: each is a complete index of its words, built by its
 * own thread, and a lookup only ever needs the one its hash names.  Both
 * threads walk every indexed value and hash every word, keeping their
 * own; hashing is cheap next to the table probes and posting writes that
 * the split halves.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
#define SCAN_MAX 4096		/* fewer keys: no prefix buckets */

/* Below this many indexed fields a second thread costs more than it
 * saves (and the fuzzer loads thousands of small files a second). */
#define THREAD_MIN	(1u << 15)

static unsigned
shard_of(uint32_t h)
{
	return (unsigned)(((uint64_t)h * WD_DB_SHARDS) >> 32);
}

/* ---- words --------------------------------------------------------------- */

static const unsigned char sep[256] = {
	[' '] = 1, ['\t'] = 1, [','] = 1, [';'] = 1, [':'] = 1, ['('] = 1,
	[')'] = 1, ['['] = 1, [']'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1,
};

int
wd_db_issep(unsigned char c)
{
	return sep[c];
}

const char *
wd_db_token(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *t;

	while (s < end && sep[(unsigned char)*s])
		s++;
	if (s == end) {
		*p = end;
		return NULL;
	}
	for (t = s + 1; t < end && !sep[(unsigned char)*t]; t++)
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
		if (wd_db_fold((unsigned char)a[i]) != wd_db_fold((unsigned char)b[i]))
			return 0;
	return 1;
}

static int
slots_resize(struct wd_db_shard *s, uint32_t size)
{
	struct slot *n;
	uint32_t cap = 0, i, j;

	if ((n = wd_db__grow(NULL, &cap, size, sizeof(*n))) == NULL)
		return -1;
	if (s->slots != NULL) {
		for (i = 0; i <= s->smask; i++) {
			if (s->slots[i].id == 0)
				continue;
			for (j = s->slots[i].hash & (size - 1); n[j].id != 0;
			    j = (j + 1) & (size - 1))
				;
			n[j] = s->slots[i];
		}
		wd_db__release(s->slots, s->smask + 1, sizeof(*n));
	}
	s->slots = n;
	s->smask = size - 1;
	return 0;
}

static const struct wkey *
key_find(const struct wd_db *db, const struct wd_db_shard *s, const char *w,
    size_t len, uint32_t h)
{
	uint32_t j;
	const struct wkey *k;

	if (s->slots == NULL)
		return NULL;
	for (j = h & s->smask; s->slots[j].id != 0; j = (j + 1) & s->smask) {
		if (s->slots[j].hash != h)
			continue;
		k = &s->keys[s->slots[j].id - 1];
		if (k->len == len && foldeq(db->buf + k->off, w, len))
			return k;
	}
	return NULL;
}

/* Find or add the word at buf offset off with hash h; NULL: no memory. */
static struct wkey *
key_get(const struct wd_db *db, struct wd_db_shard *s, uint32_t off, size_t len,
    uint32_t h)
{
	const char *w = db->buf + off;
	struct wkey *k = (struct wkey *)key_find(db, s, w, len, h);
	uint32_t j;

	if (k != NULL)
		return k;
	if ((uint64_t)s->nkeys + 1 > (uint64_t)(s->smask + 1) / 4 * 3 &&
	    (s->smask >= 0x7fffffffu ||
	    slots_resize(s, (s->smask + 1) * 2) < 0))
		return NULL;
	if ((k = wd_db__grow(s->keys, &s->keycap, (uint64_t)s->nkeys + 1,
	    sizeof(*k))) == NULL)
		return NULL;
	s->keys = k;
	for (j = h & s->smask; s->slots[j].id != 0; j = (j + 1) & s->smask)
		;
	s->slots[j].hash = h;
	s->slots[j].id = ++s->nkeys;
	k = &s->keys[s->nkeys - 1];
	k->off = off;
	k->start = 0;
	k->cnt = 0;
	k->len = (uint16_t)len;
	k->pfx = len < 2 ? 0 : (uint16_t)(wd_db_fold((unsigned char)w[0]) << 8 |
	    wd_db_fold((unsigned char)w[1]));
	return k;
}

/* Group keys by their first two bytes: a prefix query (at least two
 * characters) then scans one bucket instead of sorting every word.  A
 * shard of few words is scanned whole instead. */
static int
build_buckets(struct wd_db_shard *s)
{
	uint32_t i, b, *pos;

	if (s->nkeys < SCAN_MAX)
		return 0;
	s->bucket = calloc(NBUCKET + 1, sizeof(uint32_t));
	s->border = wd_db__grow(NULL, &s->bordercap, (uint64_t)s->nkeys + 1,
	    sizeof(uint32_t));
	if (s->bucket == NULL || s->border == NULL)
		return -1;
	for (i = 0; i < s->nkeys; i++)
		if (s->keys[i].len >= 2)
			s->bucket[s->keys[i].pfx + 1]++;
	for (b = 0; b < NBUCKET; b++)
		s->bucket[b + 1] += s->bucket[b];
	if ((pos = malloc(NBUCKET * sizeof(*pos))) == NULL)
		return -1;
	memcpy(pos, s->bucket, NBUCKET * sizeof(*pos));
	for (i = 0; i < s->nkeys; i++)
		if (s->keys[i].len >= 2)
			s->border[pos[s->keys[i].pfx]++] = i;
	free(pos);
	return 0;
}

/* Words waiting for their table lookup.  Hashing a batch first and
 * prefetching its slots lets the cache misses of a million-record table
 * overlap instead of queueing one behind the other. */
#define BATCH 256

struct pending {
	uint32_t off, rec, hash, len;
};

/* One shard's build: its thread owns all of it. */
struct build {
	const struct wd_db *db;
	struct wd_db_shard *s;
	unsigned id;
	int rc;
	uint32_t *kid;		/* key of each posting, in record order */
	uint32_t *rpost;	/* nrec + 1 starts into kid */
	uint32_t nk, kcap, rcap, nextrec;
	struct pending pend[BATCH];
	size_t np;
};

/* Lay the postings out per word: kid holds each posting's key in record
 * order (rpost[rec] is where each record starts), so a counting sort gives
 * every word an ascending record list without per-word allocation. */
static int
build_postings(struct build *b)
{
	struct wd_db_shard *s = b->s;
	uint32_t i, rec, p, end = b->rpost[b->db->nrec];
	uint64_t total = 0;
	struct wkey *k;

	for (i = 0; i < s->nkeys; i++) {
		k = &s->keys[i];
		if (k->cnt > 1) {
			k->start = (uint32_t)total;
			total += k->cnt;
		}
	}
	if ((s->post = wd_db__grow(NULL, &s->postcap, total ? total : 1,
	    sizeof(uint32_t))) == NULL)
		return -1;
	for (rec = 0; rec < b->db->nrec; rec++) {
		for (p = b->rpost[rec]; p < b->rpost[rec + 1]; p++) {
			/* Random access into keys: fetch ahead of use. */
			if (p + 16 < end)
				__builtin_prefetch(&s->keys[b->kid[p + 16]], 1);
			k = &s->keys[b->kid[p]];
			if (k->cnt == 1)
				k->start = rec;
			else
				s->post[k->start++] = rec;
		}
	}
	for (i = 0; i < s->nkeys; i++)
		if (s->keys[i].cnt > 1)
			s->keys[i].start -= s->keys[i].cnt;
	return 0;
}

static int
flush(struct build *b)
{
	struct pending *p;
	struct wkey *k;
	uint32_t *t;
	size_t i;

	for (i = 0; i < b->np; i++) {
		p = &b->pend[i];
		while (b->nextrec <= p->rec)
			b->rpost[b->nextrec++] = b->nk;
		if ((k = key_get(b->db, b->s, p->off, p->len, p->hash)) == NULL)
			return -1;
		if (k->start == p->rec + 1)
			continue;	/* again in the same record */
		k->start = p->rec + 1;
		k->cnt++;
		if ((t = wd_db__grow(b->kid, &b->kcap, (uint64_t)b->nk + 1,
		    sizeof(*t))) == NULL)
			return -1;
		b->kid = t;
		b->kid[b->nk++] = (uint32_t)(k - b->s->keys);
	}
	b->np = 0;
	return 0;
}

/* Every word of every indexed value, in record order: ours go to the
 * table, the other shard's are skipped. */
static int
scan(struct build *b)
{
	const struct wd_db *db = b->db;
	const char *p, *end, *w;
	struct pending *pe;
	uint32_t rec, f, h;
	size_t off, wl;

	for (rec = 0; rec < db->nrec; rec++) {
		off = db->recs[rec].off;
		for (f = db->recs[rec].fld; f < db->recs[rec + 1].fld; f++) {
			p = db->buf + off;
			end = p + db->flds[f].len;
			off += db->flds[f].len;
			if (!db->attrs[db->flds[f].attr].indexed)
				continue;
			while ((w = wd_db_token(&p, end, &wl)) != NULL) {
				h = wd_db__hash(w, wl);
				if (shard_of(h) != b->id)
					continue;
				if (b->np == BATCH && flush(b) < 0)
					return -1;
				pe = &b->pend[b->np++];
				pe->off = (uint32_t)(w - db->buf);
				pe->rec = rec;
				pe->len = (uint32_t)wl;
				pe->hash = h;
				__builtin_prefetch(&b->s->slots[h & b->s->smask]);
			}
		}
	}
	if (flush(b) < 0)
		return -1;
	while (b->nextrec <= db->nrec)
		b->rpost[b->nextrec++] = b->nk;
	return 0;
}

static void *
build_shard(void *arg)
{
	struct build *b = arg;
	const struct wd_db *db = b->db;
	uint32_t size = 1024, est;

	/* Hashes split words evenly, so each shard sees about its share of
	 * the indexed fields; a slot table sized for that rarely rehashes. */
	est = db->nindexed / WD_DB_SHARDS + db->nindexed / 16 + 1;
	while (size < 0x80000000u && size / 4 * 3 < est)
		size *= 2;
	b->rc = -1;
	if (slots_resize(b->s, size) < 0 ||
	    (b->s->keys = wd_db__grow(NULL, &b->s->keycap, est,
	    sizeof(*b->s->keys))) == NULL ||
	    (b->kid = wd_db__grow(NULL, &b->kcap, (uint64_t)est * 2,
	    sizeof(*b->kid))) == NULL ||
	    (b->rpost = wd_db__grow(NULL, &b->rcap, (uint64_t)db->nrec + 1,
	    sizeof(*b->rpost))) == NULL)
		goto end;
	if (scan(b) < 0 || build_postings(b) < 0)
		goto end;
	wd_db__release(b->kid, b->kcap, sizeof(*b->kid));
	b->kid = NULL;
	wd_db__release(b->rpost, b->rcap, sizeof(*b->rpost));
	b->rpost = NULL;
	b->rc = build_buckets(b->s);
end:
	wd_db__release(b->kid, b->kcap, sizeof(*b->kid));
	wd_db__release(b->rpost, b->rcap, sizeof(*b->rpost));
	return NULL;
}

int
wd_db__build_index(struct wd_db *db)
{
	struct build *b = calloc(WD_DB_SHARDS, sizeof(*b));
	pthread_t t[WD_DB_SHARDS];
	int started[WD_DB_SHARDS] = { 0 }, rc = 0;
	unsigned i;

	if (b == NULL)
		return -1;
	for (i = 0; i < WD_DB_SHARDS; i++) {
		b[i].db = db;
		b[i].s = &db->sh[i];
		b[i].id = i;
	}
	/* The other shards on threads of their own, shard 0 on this one; a
	 * thread that cannot start is built here afterwards. */
	for (i = 1; i < WD_DB_SHARDS && db->nindexed >= THREAD_MIN; i++)
		started[i] = pthread_create(&t[i], NULL, build_shard,
		    &b[i]) == 0;
	build_shard(&b[0]);
	for (i = 1; i < WD_DB_SHARDS; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		else
			build_shard(&b[i]);
	}
	for (i = 0; i < WD_DB_SHARDS; i++)
		if (b[i].rc < 0)
			rc = -1;
	free(b);
	return rc;
}

void
wd_db__free_index(struct wd_db *db)
{
	struct wd_db_shard *s;
	unsigned i;

	for (i = 0; i < WD_DB_SHARDS; i++) {
		s = &db->sh[i];
		wd_db__release(s->keys, s->keycap, sizeof(*s->keys));
		if (s->slots != NULL)
			wd_db__release(s->slots, s->smask + 1, sizeof(*s->slots));
		wd_db__release(s->post, s->postcap, sizeof(*s->post));
		free(s->bucket);
		wd_db__release(s->border, s->bordercap, sizeof(*s->border));
	}
}

/* ---- lookup -------------------------------------------------------------- */

static size_t
key_recs(const struct wd_db_shard *s, const struct wkey *k,
    const uint32_t **recs)
{
	*recs = k->cnt == 1 ? &k->start : s->post + k->start;
	return k->cnt;
}

size_t
wd_db_word(const struct wd_db *db, const char *w, size_t len,
    const uint32_t **recs)
{
	const struct wd_db_shard *s;
	const struct wkey *k;
	uint32_t h;

	*recs = NULL;
	if (len == 0 || len > WD_DB_VALUE_MAX)
		return 0;
	h = wd_db__hash(w, len);
	s = &db->sh[shard_of(h)];
	if ((k = key_find(db, s, w, len, h)) == NULL)
		return 0;
	return key_recs(s, k, recs);
}

int
wd_db_prefix(const struct wd_db *db, const char *p, size_t len,
    int (*fn)(void *arg, const uint32_t *recs, size_t n), void *arg)
{
	const struct wd_db_shard *s;
	const struct wkey *k;
	const uint32_t *recs;
	uint32_t b, i, lo, hi;
	unsigned sh;
	size_t n;
	int r;

	if (len < 2)
		return 0;
	b = (uint32_t)wd_db_fold((unsigned char)p[0]) << 8 |
	    wd_db_fold((unsigned char)p[1]);
	for (sh = 0; sh < WD_DB_SHARDS; sh++) {
		s = &db->sh[sh];
		lo = s->bucket ? s->bucket[b] : 0;
		hi = s->bucket ? s->bucket[b + 1] : s->nkeys;
		for (i = lo; i < hi; i++) {
			k = &s->keys[s->bucket ? s->border[i] : i];
			if (k->len < len || (s->bucket == NULL && k->pfx != b) ||
			    !foldeq(db->buf + k->off + 2, p + 2, len - 2))
				continue;
			n = key_recs(s, k, &recs);
			if ((r = fn(arg, recs, n)) != 0)
				return r;
		}
	}
	return 0;
}
