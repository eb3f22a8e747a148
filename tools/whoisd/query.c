/*
 * The whois protocol logic: one query line in, one answer out, shaped like
 * the source text's UWO whoisd.  This file parses the line and finds the
 * matching records; answer.c formats what goes back.  Sockets, deadlines and logging belong to the caller; these
 * files only have to be right about bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "whoisd/query.h"

#define RIPE_FLAGS	"aBbcdFGKLlMmrx"

/* ---- parsing -------------------------------------------------------------- */

static int
isblank_(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Next blank-separated token of [*p, end). */
static const char *
next_tok(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *t;

	while (s < end && isblank_((unsigned char)*s))
		s++;
	if (s == end) {
		*p = end;
		return NULL;
	}
	for (t = s; t < end && !isblank_((unsigned char)*t); t++)
		;
	*len = (size_t)(t - s);
	*p = t;
	return s;
}

static int
tok_is(const char *t, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(t, word, len) == 0;
}

/* Is t a client flag to drop?  Returns the tokens it uses (0: not one). */
static int
client_flag(const char *t, size_t len)
{
	size_t i;

	if (len == 2 && memcmp(t, "--", 2) == 0)
		return -1;			/* end of flags */
	if ((len == 2 && memcmp(t, "-V", 2) == 0) ||
	    (len == 9 && memcmp(t, "--charset", 9) == 0))
		return 2;
	if (len > 10 && memcmp(t, "--charset=", 10) == 0)
		return 1;
	if (len < 2 || t[0] != '-')
		return 0;
	for (i = 1; i < len; i++)
		if (strchr(RIPE_FLAGS, t[i]) == NULL)
			return 0;
	return 1;
}

/* Copy [s, end) into q->text folded, blank runs as one space, trimmed. */
static void
normalize(struct wd_q_query *q, const char *s, const char *end)
{
	size_t n = 0;
	int blank = 0;

	for (; s < end; s++) {
		if (isblank_((unsigned char)*s)) {
			blank = n > 0;
			continue;
		}
		if (blank)
			q->text[n++] = ' ';
		blank = 0;
		q->text[n++] = (char)wd_db_fold((unsigned char)*s);
	}
	q->text[n] = '\0';
	q->len = n;
}

int
wd_q_parse(struct wd_q_query *q, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *t, *save, *last;
	size_t i, tl = 0, wl;
	int n, flags = 1;

	q->kind = WD_Q_EMPTY;
	q->prefix = 0;
	q->len = 0;
	q->text[0] = '\0';
	if (len > WD_Q_QUERY_MAX)
		return WD_Q_ERR_TOO_LONG;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return WD_Q_ERR_BADCHAR;
	}
	/* "for some reason people send the whois phrase": drop it, and the
	 * flags clients put before the key, however they are interleaved. */
	for (;;) {
		save = p;
		if ((t = next_tok(&p, end, &tl)) == NULL)
			return 0;
		if (tok_is(t, tl, "whois") && flags)
			continue;
		if (!flags || (n = client_flag(t, tl)) == 0)
			break;
		if (n < 0)
			flags = 0;
		else if (n == 2)
			next_tok(&p, end, &tl);
	}
	p = save;
	while (end > p && isblank_((unsigned char)end[-1]))
		end--;
	while (p < end && isblank_((unsigned char)*p))
		p++;
	if (tok_is(t, tl, "help")) {
		q->kind = WD_Q_HELP;
		normalize(q, p + tl, end);
		return 0;
	}
	if (end - p >= 2 && *p == '"' && end[-1] == '"') {
		normalize(q, p + 1, end - 1);
		q->kind = q->len > 0 ? WD_Q_WHOLE : WD_Q_EMPTY;
		return 0;
	}
	normalize(q, p, end);
	q->kind = WD_Q_MATCH;
	if (q->len > 0 && q->text[q->len - 1] == '*') {
		q->text[--q->len] = '\0';
		q->prefix = 1;
		/* The star must end a word of at least two characters. */
		last = NULL;
		wl = 0;
		p = q->text;
		if (q->len == 0 || wd_db_issep((unsigned char)q->text[q->len - 1]))
			return WD_Q_ERR_SHORT;
		while ((t = wd_db_token(&p, q->text + q->len, &tl)) != NULL) {
			last = t;
			wl = tl;
		}
		if (last == NULL || wl < 2)
			return WD_Q_ERR_SHORT;
	}
	return 0;
}

/* ---- running ------------------------------------------------------------------ */

struct list {
	const uint32_t *r;
	size_t n, cur;
};

/* Does l hold x?  Candidates come in ascending order, so the cursor only
 * moves forward and a whole intersection costs O(n log n) at worst. */
static int
list_has(struct list *l, uint32_t x)
{
	size_t lo = l->cur, hi = l->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->r[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	l->cur = lo;
	return lo < l->n && l->r[lo] == x;
}

static int
rec_has_prefix(const struct wd_db *db, uint32_t rec, const char *pw, size_t pl)
{
	struct wd_db_iter it;
	struct wd_db_field f;
	const char *p, *w;
	size_t i, wl;

	wd_db_fields(db, rec, &it);
	while (wd_db_next(&it, &f)) {
		if (!f.indexed)
			continue;
		p = f.value;
		while ((w = wd_db_token(&p, f.value + f.len, &wl)) != NULL) {
			if (wl < pl)
				continue;
			for (i = 0; i < pl &&
			    wd_db_fold((unsigned char)w[i]) == (unsigned char)pw[i]; i++)
				;
			if (i == pl)
				return 1;
		}
	}
	return 0;
}

/* Is value v, read with case folded and blank runs as one space, equal
 * to the normalized key t? */
static int
normeq(const char *v, size_t vl, const char *t, size_t tl)
{
	size_t i = 0, j = 0;

	while (i < vl && j < tl) {
		if (v[i] == ' ') {
			while (i < vl && v[i] == ' ')
				i++;
			if (t[j++] != ' ')
				return 0;
			continue;
		}
		if (wd_db_fold((unsigned char)v[i++]) != (unsigned char)t[j++])
			return 0;
	}
	return i == vl && j == tl;
}

static int
rec_has_value(const struct wd_db *db, uint32_t rec, const char *t, size_t tl)
{
	struct wd_db_iter it;
	struct wd_db_field f;

	wd_db_fields(db, rec, &it);
	while (wd_db_next(&it, &f))
		if (f.indexed && normeq(f.value, f.len, t, tl))
			return 1;
	return 0;
}

/* Union of the record lists of every word with a prefix.  Small unions
 * are sorted; big ones go through a bitmap, linear in the record count. */
struct pset {
	uint32_t *v;
	size_t n, cap, nrec;
	uint64_t *bits;
};

static int
pset_add(void *arg, const uint32_t *recs, size_t n)
{
	struct pset *s = arg;
	uint32_t *nv;
	size_t i;

	if (s->bits == NULL && s->n + n > s->cap) {
		if (s->n + n > 4096 && s->n + n > s->nrec / 32) {
			if ((s->bits = calloc(s->nrec / 64 + 1, 8)) == NULL)
				return -1;
			for (i = 0; i < s->n; i++)
				s->bits[s->v[i] / 64] |= 1ull << (s->v[i] % 64);
		} else {
			s->cap = (s->n + n) * 2;
			if ((nv = realloc(s->v, s->cap * 4)) == NULL)
				return -1;
			s->v = nv;
		}
	}
	if (s->bits != NULL) {
		for (i = 0; i < n; i++)
			s->bits[recs[i] / 64] |= 1ull << (recs[i] % 64);
		return 0;
	}
	memcpy(s->v + s->n, recs, n * 4);
	s->n += n;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static ssize_t
prefix_only(const struct wd_db *db, const char *pw, size_t pl, uint32_t *recs,
    size_t max)
{
	struct pset s = { .nrec = wd_db_count(db) };
	size_t i, n = 0;
	uint64_t word;

	if (wd_db_prefix(db, pw, pl, pset_add, &s) != 0) {
		free(s.v);
		free(s.bits);
		errno = ENOMEM;
		return -1;
	}
	if (s.bits != NULL) {
		for (i = 0; i <= s.nrec / 64 && n < max; i++)
			for (word = s.bits[i]; word != 0 && n < max;
			    word &= word - 1)
				recs[n++] = (uint32_t)(i * 64 +
				    (size_t)__builtin_ctzll(word));
	} else {
		qsort(s.v, s.n, 4, cmp_u32);
		for (i = 0; i < s.n && n < max; i++)
			if (n == 0 || recs[n - 1] != s.v[i])
				recs[n++] = s.v[i];
	}
	free(s.v);
	free(s.bits);
	return (ssize_t)n;
}

ssize_t
wd_q_run(const struct wd_db *db, const struct wd_q_query *q, uint32_t *recs,
    size_t max)
{
	const char *p = q->text, *end = q->text + q->len, *w, *pw = NULL;
	struct list *l;
	size_t nw = 0, ne, i, j, best = 0, wl, pl = 0, n = 0;
	int ok;

	if ((q->kind != WD_Q_MATCH && q->kind != WD_Q_WHOLE) || max == 0)
		return 0;
	while (wd_db_token(&p, end, &wl) != NULL)
		nw++;
	if (nw == 0)
		return 0;
	if ((l = calloc(nw, sizeof(*l))) == NULL)
		return -1;
	ne = q->kind == WD_Q_MATCH && q->prefix ? nw - 1 : nw;
	for (p = q->text, i = 0; (w = wd_db_token(&p, end, &wl)) != NULL; i++) {
		if (i == ne) {
			pw = w;
			pl = wl;
		} else if ((l[i].n = wd_db_word(db, w, wl, &l[i].r)) == 0)
			goto done;
		else if (l[i].n < l[best].n)
			best = i;
	}
	if (ne == 0) {
		free(l);
		return prefix_only(db, pw, pl, recs, max);
	}
	/* Walk the shortest list and check each candidate against the rest. */
	for (j = 0; j < l[best].n && n < max; j++) {
		uint32_t r = l[best].r[j];

		for (ok = 1, i = 0; ok && i < ne; i++)
			ok = i == best || list_has(&l[i], r);
		if (ok && pw != NULL)
			ok = rec_has_prefix(db, r, pw, pl);
		if (ok && q->kind == WD_Q_WHOLE)
			ok = rec_has_value(db, r, q->text, q->len);
		if (ok)
			recs[n++] = r;
	}
done:
	free(l);
	return (ssize_t)n;
}
