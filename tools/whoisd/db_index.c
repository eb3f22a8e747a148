/*
 * The word index of the whois directory: open-addressing tables over
 * arrays, with no allocation per word, so a million records load in well
 * under a second; and the tokenizer that the loader and queries share.
 *
 * Words are split by the top bit of their hash into shards (db_internal.h)
 * that share nothing: each is a complete index of its words, and a lookup
 * only ever needs the one its hash names.  The build has two steps, each
 * on two threads: first each half of the records is tokenized and hashed
 * (once) into a list of words per shard; then each shard radix-sorts its
 * words by hash and reads keys, record lists and the slot table off the
 * sorted run in one sequential pass.  Probing a hash table of millions of
 * words for each of millions of occurrences was a cache miss apiece;
 * sorting streams through memory instead.
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

/* Shards are picked by the top bits of a word's hash. */
#define SHARD_BITS	1
_Static_assert(WD_DB_SHARDS == 1 << SHARD_BITS, "a shard per top bit value");

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

/* Equal but for ASCII case?  Eight bytes at a time: the index build
 * compares every repeat of a word with its first occurrence. */
static int
foldeq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	size_t i;

	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (wd_db__fold8(x) != wd_db__fold8(y))
			return 0;
	}
	for (i = 0; i < n; i++)
		if (wd_db_fold((unsigned char)a[i]) != wd_db_fold((unsigned char)b[i]))
			return 0;
	return 1;
}

/* A word's first slot: the hash bits below the shard bits, highest
 * first, so that words taken in hash order fill a table front to back. */
static uint32_t
home(const struct wd_db_shard *s, uint32_t h)
{
	return (uint32_t)(h << SHARD_BITS) >> __builtin_clz(s->smask);
}

static const struct wkey *
key_find(const struct wd_db *db, const struct wd_db_shard *s, const char *w,
    size_t len, uint32_t h)
{
	uint32_t j;
	const struct wkey *k;

	if (s->slots == NULL)
		return NULL;
	for (j = home(s, h); s->slots[j].id != 0; j = (j + 1) & s->smask) {
		if (s->slots[j].hash != h)
			continue;
		k = &s->keys[s->slots[j].id - 1];
		if (k->len == len && foldeq(db->buf + k->off, w, len))
			return k;
	}
	return NULL;
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

/* ---- building ------------------------------------------------------------- */

/* One occurrence of an indexed word.  The build never goes back to the
 * values for a word except to compare it with another of the same hash. */
struct wtok {
	uint32_t hash;
	uint32_t off;		/* in buf */
	uint32_t rec;
	uint16_t len;
	uint16_t pfx;		/* as in struct wkey */
};

struct wlist {
	struct wtok *v;
	uint32_t n, cap;
};

/* Step one: the words of records [lo, hi), tokenized and hashed once
 * and dealt out by shard, in record order. */
struct collect {
	const struct wd_db *db;
	uint32_t lo, hi;
	struct wlist l[WD_DB_SHARDS];
	int rc;
};

/* Step two: one shard, from every collector's list for it. */
#define RBITS	11
#define RPASS	3		/* 11 + 11 + 10 hash bits */
#define RSIZE	(1u << RBITS)

struct build {
	const struct wd_db *db;
	struct wd_db_shard *s;
	struct collect *c;	/* NCOLLECT of them */
	unsigned id;
	int rc;
	uint32_t cnt[RPASS][RSIZE];
};

#define NCOLLECT	2		/* sort_words() counts on two */

static uint16_t
pfx_of(const char *w, size_t len)
{
	return len < 2 ? 0 : (uint16_t)(wd_db_fold((unsigned char)w[0]) << 8 |
	    wd_db_fold((unsigned char)w[1]));
}

static void *
collect_run(void *arg)
{
	struct collect *c = arg;
	const struct wd_db *db = c->db;
	const char *p, *end, *w;
	struct wlist *l;
	struct wtok *t;
	uint32_t rec, f, h;
	size_t off, wl;

	c->rc = -1;
	for (rec = c->lo; rec < c->hi; rec++) {
		off = db->recs[rec].off;
		for (f = db->recs[rec].fld; f < db->recs[rec + 1].fld; f++) {
			p = db->buf + off;
			end = p + db->flds[f].len;
			off += db->flds[f].len;
			if (!db->attrs[db->flds[f].attr].indexed)
				continue;
			while ((w = wd_db_token(&p, end, &wl)) != NULL) {
				h = wd_db__hash(w, wl);
				l = &c->l[shard_of(h)];
				if ((t = wd_db__grow(l->v, &l->cap,
				    (uint64_t)l->n + 1, sizeof(*t))) == NULL)
					return NULL;
				l->v = t;
				t += l->n++;
				t->hash = h;
				t->off = (uint32_t)(w - db->buf);
				t->rec = rec;
				t->len = (uint16_t)wl;
				t->pfx = pfx_of(w, wl);
			}
		}
	}
	c->rc = 0;
	return NULL;
}

static void
list_release(struct wlist *l)
{
	wd_db__release(l->v, l->cap, sizeof(*l->v));
	l->v = NULL;
	l->n = l->cap = 0;
}

/* One pass of a least significant digit radix sort: stable, so words of
 * one hash stay in record order.  Position i of the destination is
 * to0[i] below n0 and to1[i - n0] from there on. */
static void
scatter(const struct wtok *v, uint32_t n, struct wtok *to0, uint32_t n0,
    struct wtok *to1, uint32_t *pos, unsigned shift)
{
	uint32_t i, j;

	for (i = 0; i < n; i++) {
		j = pos[(v[i].hash >> shift) & (RSIZE - 1)]++;
		*(j < n0 ? &to0[j] : &to1[j - n0]) = v[i];
	}
}

/* The shard's n words, sorted by hash into a fresh array; NULL when out
 * of memory.  The two collectors' lists serve as the second array, so
 * the sort touches no more memory than it sorts. */
static struct wtok *
sort_words(struct build *b, uint32_t n, uint32_t *cap)
{
	struct wlist *l0 = &b->c[0].l[b->id], *l1 = &b->c[1].l[b->id], *l;
	uint32_t i, d, sum, c;
	struct wtok *a;
	unsigned k;

	*cap = 0;
	if ((a = wd_db__grow(NULL, cap, n ? n : 1, sizeof(*a))) == NULL)
		return NULL;
	memset(b->cnt, 0, sizeof(b->cnt));
	for (k = 0; k < NCOLLECT; k++) {
		l = &b->c[k].l[b->id];
		for (i = 0; i < l->n; i++)
			for (d = 0; d < RPASS; d++)
				b->cnt[d][(l->v[i].hash >> (d * RBITS)) &
				    (RSIZE - 1)]++;
	}
	for (d = 0; d < RPASS; d++)
		for (i = 0, sum = 0; i < RSIZE; i++) {
			c = b->cnt[d][i];
			b->cnt[d][i] = sum;
			sum += c;
		}
	/* Digit 0 from the lists into a, 1 back into the lists, 2 into a. */
	scatter(l0->v, l0->n, a, n, NULL, b->cnt[0], 0);
	scatter(l1->v, l1->n, a, n, NULL, b->cnt[0], 0);
	scatter(a, n, l0->v, l0->n, l1->v, b->cnt[1], RBITS);
	scatter(l0->v, l0->n, a, n, NULL, b->cnt[2], 2 * RBITS);
	scatter(l1->v, l1->n, a, n, NULL, b->cnt[2], 2 * RBITS);
	return a;
}

/* Turn the sorted words into keys, each with its ascending record list
 * (most words are in one record: that record is kept in the key), and
 * note each key's hash in kh.  A run of one hash is nearly always one
 * word; the rare words that share a hash are told apart by comparing.
 * Keys are written over the words: the q-th key goes where the q-th
 * word was, and every word up to the one it is made from has been
 * taken by then.  Returns the postings written to post. */
static uint32_t
group(struct build *b, struct wtok *v, uint32_t n, uint32_t *post,
    uint32_t *kh)
{
	struct wd_db_shard *s = b->s;
	const char *buf = b->db->buf;
	uint32_t i, j, m, e, np = 0, last;
	struct wtok w;
	struct wkey k;

	for (i = 0; i < n; i = e) {
		for (e = i + 1; e < n && v[e].hash == v[i].hash; e++)
			;
		for (j = i; j < e; j++) {
			if (v[j].len == 0)
				continue;	/* taken by an earlier key */
			w = v[j];
			k.off = w.off;
			k.len = w.len;
			k.pfx = w.pfx;
			k.start = np;
			k.cnt = 1;
			post[np++] = last = w.rec;
			for (m = j + 1; m < e; m++) {
				if (m + 8 < e)
					__builtin_prefetch(buf + v[m + 8].off);
				if (v[m].len != k.len || v[m].pfx != k.pfx ||
				    !foldeq(buf + v[m].off, buf + k.off, k.len))
					continue;
				v[m].len = 0;
				if (v[m].rec == last)
					continue;	/* again in one record */
				post[np++] = last = v[m].rec;
				k.cnt++;
			}
			if (k.cnt == 1) {
				k.start = last;
				np--;
			}
			kh[s->nkeys] = w.hash;
			memcpy(&v[s->nkeys++], &k, sizeof(k));
		}
	}
	return np;
}

/* The slot table, at most half full, filled in hash order: a key's slot
 * is then its first one or the one after the previous key's, with no
 * probing until the table wraps around. */
static int
build_slots(struct wd_db_shard *s, const uint32_t *kh)
{
	uint32_t size = 16, cap = 0, i, j, cur = 0;

	while (size < 0x80000000u && size / 2 < s->nkeys)
		size *= 2;
	if ((s->slots = wd_db__grow(NULL, &cap, size, sizeof(*s->slots))) == NULL)
		return -1;
	s->smask = size - 1;
	for (i = 0; i < s->nkeys; i++) {
		j = home(s, kh[i]);
		if (cur <= s->smask && j < cur)
			j = cur;
		while (s->slots[j].id != 0)
			j = (j + 1) & s->smask;
		s->slots[j].hash = kh[i];
		s->slots[j].id = i + 1;
		if (cur <= s->smask)
			cur = j + 1;
	}
	return 0;
}

static void *
build_shard(void *arg)
{
	struct build *b = arg;
	struct wd_db_shard *s = b->s;
	struct wlist *l0 = &b->c[0].l[b->id], *l1 = &b->c[1].l[b->id];
	uint64_t total = 0;
	uint32_t n, np, vcap = 0, kcap = 0, *kh = NULL;
	struct wtok *v = NULL;
	unsigned k;

	b->rc = -1;
	for (k = 0; k < NCOLLECT; k++)
		total += b->c[k].l[b->id].n;
	if (total >= UINT32_MAX || (v = sort_words(b, (uint32_t)total,
	    &vcap)) == NULL)
		return NULL;
	n = (uint32_t)total;
	/* The lists are free again: they hold the postings and the keys'
	 * hashes, at most one of each per word. */
	s->post = wd_db__reuse(l0->v, l0->cap, sizeof(*l0->v), &s->postcap, n,
	    sizeof(*s->post));
	l0->v = NULL;
	kh = wd_db__reuse(l1->v, l1->cap, sizeof(*l1->v), &kcap, n, sizeof(*kh));
	l1->v = NULL;
	if (s->post == NULL || kh == NULL)
		goto end;
	np = group(b, v, n, s->post, kh);
	/* What the words took beyond the keys and postings goes back. */
	s->keys = wd_db__reuse(v, vcap, sizeof(*v), &s->keycap, s->nkeys,
	    sizeof(*s->keys));
	v = NULL;
	if (s->keys == NULL || (s->post = wd_db__reuse(s->post, s->postcap,
	    sizeof(*s->post), &s->postcap, np, sizeof(*s->post))) == NULL ||
	    build_slots(s, kh) < 0)
		goto end;
	b->rc = build_buckets(s);
end:
	wd_db__release(v, vcap, sizeof(*v));
	wd_db__release(kh, kcap, sizeof(*kh));
	return NULL;
}

/* Run fn on each of n args, on threads when threads is set (the first on
 * this one), and wait for all. */
static void
run_all(void *(*fn)(void *), void *args, size_t size, unsigned n, int threads)
{
	pthread_t t[NCOLLECT > WD_DB_SHARDS ? NCOLLECT : WD_DB_SHARDS];
	int started[sizeof(t) / sizeof(t[0])] = { 0 };
	unsigned i;

	/* A thread that cannot start is run here afterwards. */
	for (i = 1; i < n && threads; i++)
		started[i] = pthread_create(&t[i], NULL, fn,
		    (char *)args + i * size) == 0;
	fn(args);
	for (i = 1; i < n; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		else
			fn((char *)args + i * size);
	}
}

int
wd_db__build_index(struct wd_db *db)
{
	struct collect c[NCOLLECT];
	struct build *b = calloc(WD_DB_SHARDS, sizeof(*b));
	int threads = db->nindexed >= THREAD_MIN, rc = -1;
	uint32_t est;
	unsigned i, j;

	if (b == NULL)
		return -1;
	memset(c, 0, sizeof(c));
	/* Sized for about two words per indexed field, which generated and
	 * real directories stay under; more costs a remap. */
	est = db->nindexed / (NCOLLECT * WD_DB_SHARDS) * 2 + 16;
	for (i = 0; i < NCOLLECT; i++) {
		c[i].db = db;
		c[i].lo = (uint32_t)((uint64_t)db->nrec * i / NCOLLECT);
		c[i].hi = (uint32_t)((uint64_t)db->nrec * (i + 1) / NCOLLECT);
		c[i].rc = -1;
		for (j = 0; j < WD_DB_SHARDS; j++)
			if ((c[i].l[j].v = wd_db__grow(NULL, &c[i].l[j].cap,
			    est, sizeof(struct wtok))) == NULL)
				goto end;
	}
	run_all(collect_run, c, sizeof(c[0]), NCOLLECT, threads);
	for (i = 0; i < NCOLLECT; i++)
		if (c[i].rc < 0)
			goto end;
	for (i = 0; i < WD_DB_SHARDS; i++) {
		b[i].db = db;
		b[i].s = &db->sh[i];
		b[i].c = c;
		b[i].id = i;
	}
	run_all(build_shard, b, sizeof(b[0]), WD_DB_SHARDS, threads);
	rc = 0;
	for (i = 0; i < WD_DB_SHARDS; i++)
		if (b[i].rc < 0)
			rc = -1;
end:
	for (i = 0; i < NCOLLECT; i++)
		for (j = 0; j < WD_DB_SHARDS; j++)
			list_release(&c[i].l[j]);
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
