/*
 * The whois directory, loaded for speed and size: the file streams through
 * one small buffer and only the bare values are kept, back to back, in one
 * array; records and fields are small integers into it; attribute names
 * are interned.  The word index over it is in db_index.c.
 *
 * The file is read, not mapped: a mapping would have to stay valid while
 * the daemon answers from it, and an admin who rewrites the file in place
 * (truncating it) would turn the next query into SIGBUS.  Reading also
 * keeps the page cache out of the daemon's resident size, and on virtual
 * machines copying through a cache-resident buffer is faster than
 * faulting in the file's pages one by one.
 *
 * A large file is parsed as two halves on two threads, split after a
 * blank line (where a record always ends, so the second half starts in
 * the state the whole-file parse would be in).  Each half writes its
 * values into its own end of the one values array; the second half's
 * records, fields and attribute names are then appended to the first's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_internal.h"

struct parse {
	struct wd_db *db;
	const char *name;
	const char *index;
	unsigned long line;
	struct sk_err *e;
	int inrec;
	uint32_t bufmax;	/* > 0: values must fit, buf never moves */
	uint16_t pred[WD_DB_FIELDS_MAX];	/* attribute seen at each position */
};

/* Bytes read per read(2): the buffer stays in cache while it is parsed. */
#define CHUNK	(256u << 10)

/* Files from this size on are parsed on two threads. */
#define SPLIT_MIN	((uint64_t)8 << 20)
/* Look this far past the middle for a blank line to split at, this much
 * at a time. */
#define SPLIT_LOOK	(1u << 20)
#define SPLIT_STEP	(64u << 10)

static int
isws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

#define ONES	0x0101010101010101ull
#define HIGHS	(ONES * 0x80)

/* Any byte below 0x20 or equal to 0x7f in these eight? */
static int
ctl8(uint64_t x)
{
	uint64_t d = x ^ (ONES * 0x7f);

	return ((((x - ONES * 0x20) & ~x) | ((d - ONES) & ~d)) & HIGHS) != 0;
}

/* Case-folded hash, eight bytes per step: hashing every indexed word is
 * a large share of the load time. */
uint32_t
wd_db__hash(const char *s, size_t n)
{
	uint64_t h = n * 0x9e3779b97f4a7c15ull, x;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&x, s, 8);
		h = (h ^ wd_db__fold8(x)) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (n > 0) {
		x = 0;
		memcpy(&x, s, n);
		h = (h ^ wd_db__fold8(x)) * 0xff51afd7ed558ccdull;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* No control byte in s[0..n)? */
static int
clean(const char *s, size_t n)
{
	uint64_t x;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&x, s, 8);
		if (ctl8(x))
			return 0;
	}
	for (; n > 0; s++, n--)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
perr(struct parse *ps, const char *reason)
{
	return sk_err_set(ps->e, EINVAL, "%s:%lu: %s", ps->name, ps->line,
	    reason);
}

static int
nomem(struct parse *ps)
{
	return sk_err_set(ps->e, ENOMEM, "%s: out of memory", ps->name);
}

static int
badbyte(struct parse *ps, unsigned char c)
{
	if (c == 0)
		return perr(ps, "NUL byte");
	return sk_err_set(ps->e, EINVAL, "%s:%lu: control character 0x%02x",
	    ps->name, ps->line, c);
}

/* ---- attributes --------------------------------------------------------- */

static int
listed(const char *list, const char *name, size_t len)
{
	const char *p = list, *q, *t;

	while (*p != '\0') {
		q = strchr(p, ',');
		t = q ? q : p + strlen(p);
		while (p < t && isws((unsigned char)*p))
			p++;
		while (t > p && isws((unsigned char)t[-1]))
			t--;
		if ((size_t)(t - p) == len && strncasecmp(p, name, len) == 0)
			return 1;
		if (q == NULL)
			break;
		p = q + 1;
	}
	return 0;
}

static int
want_indexed(const char *index, const char *name, size_t len)
{
	if (index != NULL && *index != '\0')
		return listed(index, name, len);
	return strcasestr(name, "name") != NULL ||
	    listed("handle,email,e-mail,index key", name, len);
}

static int
attr_rehash(struct wd_db *db)
{
	uint32_t size = db->amap ? (db->amask + 1) * 2 : 64, i, j;
	uint32_t *m = calloc(size, sizeof(*m));

	if (m == NULL)
		return -1;
	for (i = 0; i < db->nattrs; i++) {
		for (j = db->attrs[i].hash & (size - 1); m[j] != 0;
		    j = (j + 1) & (size - 1))
			;
		m[j] = i + 1;
	}
	free(db->amap);
	db->amap = m;
	db->amask = size - 1;
	return 0;
}

/* Intern name; returns its index or -1 with ps->e filled. */
static long
attr_intern(struct parse *ps, const char *name, size_t len)
{
	struct wd_db *db = ps->db;
	uint32_t h = wd_db__hash(name, len), j;
	struct attr *a;

	if (db->amap != NULL) {
		for (j = h & db->amask; db->amap[j] != 0; j = (j + 1) & db->amask) {
			a = &db->attrs[db->amap[j] - 1];
			if (a->hash == h && a->len == len &&
			    memcmp(a->name, name, len) == 0)
				return (long)(db->amap[j] - 1);
		}
	}
	if (db->nattrs >= WD_DB_ATTRS_MAX)
		return perr(ps, "too many distinct attribute names");
	if ((a = wd_db__grow(db->attrs, &db->attrcap, db->nattrs + 1,
	    sizeof(*a))) == NULL)
		return nomem(ps);
	db->attrs = a;
	a = &db->attrs[db->nattrs];
	if ((a->name = strndup(name, len)) == NULL)
		return nomem(ps);
	a->hash = h;
	a->len = (uint16_t)len;
	a->hidden = name[0] == '.';
	a->indexed = a->hidden || want_indexed(ps->index, a->name, len);
	db->nattrs++;
	if (db->amap == NULL || db->nattrs * 2 > db->amask + 1)
		if (attr_rehash(db) < 0)
			return nomem(ps);
	return (long)(db->nattrs - 1);
}

/* ---- parsing -------------------------------------------------------------- */

/* Append a value to the values array, turning tabs into spaces so
 * output stays aligned.  The caller has made room. */
static int
copyval(struct parse *ps, const char *src, size_t n)
{
	char *dst = ps->db->buf + ps->db->buflen;
	size_t i;

	if (clean(src, n)) {
		memcpy(dst, src, n);
		ps->db->buflen += (uint32_t)n;
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c < 0x20 || c == 0x7f) {
			if (c != '\t')
				return badbyte(ps, c);
			c = ' ';
		}
		dst[i] = (char)c;
	}
	ps->db->buflen += (uint32_t)n;
	return 0;
}

/* Room for n more value bytes. */
static int
reserve(struct parse *ps, size_t n)
{
	struct wd_db *db = ps->db;
	char *b;

	/* A half of a split load has exactly the room its lines took. */
	if (ps->bufmax > 0 && (uint64_t)db->buflen + n > ps->bufmax)
		return nomem(ps);
	b = wd_db__grow(db->buf, &db->bufcap, (uint64_t)db->buflen + n, 1);
	if (b == NULL)
		return nomem(ps);
	db->buf = b;
	return 0;
}

static int
start_record(struct parse *ps)
{
	struct wd_db *db = ps->db;
	struct rec *r = wd_db__grow(db->recs, &db->reccap, (uint64_t)db->nrec + 2,
	    sizeof(*r));

	if (r == NULL)
		return nomem(ps);
	db->recs = r;
	r[db->nrec].fld = db->nflds;
	r[db->nrec].off = db->buflen;
	db->nrec++;
	return 0;
}

static int
attr_line(struct parse *ps, const char *p, size_t l)
{
	struct wd_db *db = ps->db;
	const char *colon = memchr(p, ':', l), *v, *end = p + l;
	size_t nl, i;
	uint32_t pos;
	struct fld *f;
	long a;

	if (colon == NULL)
		return perr(ps, "missing ':' after the attribute name");
	for (nl = (size_t)(colon - p); nl > 0 && isws((unsigned char)p[nl - 1]);)
		nl--;
	if (nl == 0)
		return perr(ps, "empty attribute name");
	if (nl > WD_DB_NAME_MAX)
		return perr(ps, "attribute name longer than 64 bytes");
	for (i = 0; !clean(p, nl); i++)	/* a bad byte ends the loop */
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return badbyte(ps, (unsigned char)p[i]);
	if (!ps->inrec) {
		if (start_record(ps) < 0)
			return -1;
		ps->inrec = 1;
	}
	if ((pos = db->nflds - db->recs[db->nrec - 1].fld) >= WD_DB_FIELDS_MAX)
		return perr(ps, "more than 256 attributes in one record");
	/* Records mostly repeat the previous one's attributes in order. */
	a = ps->pred[pos];
	if (a >= (long)db->nattrs || db->attrs[a].len != nl ||
	    memcmp(db->attrs[a].name, p, nl) != 0) {
		if ((a = attr_intern(ps, p, nl)) < 0)
			return -1;
		ps->pred[pos] = (uint16_t)a;
	}
	for (v = colon + 1; v < end && isws((unsigned char)*v); v++)
		;
	while (end > v && isws((unsigned char)end[-1]))
		end--;
	if ((f = wd_db__grow(db->flds, &db->fldcap, (uint64_t)db->nflds + 1,
	    sizeof(*f))) == NULL)
		return nomem(ps);
	db->flds = f;
	if (reserve(ps, (size_t)(end - v)) < 0 ||
	    copyval(ps, v, (size_t)(end - v)) < 0)
		return -1;
	f = &db->flds[db->nflds++];
	f->attr = (uint16_t)a;
	f->len = (uint16_t)(end - v);
	db->nindexed += db->attrs[a].indexed;
	return 0;
}

/* Continuation: append to the record's last value after one space. */
static int
cont_line(struct parse *ps, const char *p, size_t l)
{
	struct fld *f = &ps->db->flds[ps->db->nflds - 1];
	size_t sep = f->len > 0;

	while (l > 0 && isws((unsigned char)p[l - 1]))
		l--;
	if (f->len + sep + l > WD_DB_VALUE_MAX)
		return perr(ps, "value longer than 65535 bytes");
	if (reserve(ps, sep + l) < 0)
		return -1;
	if (sep)
		ps->db->buf[ps->db->buflen++] = ' ';
	if (copyval(ps, p, l) < 0)
		return -1;
	f->len = (uint16_t)(f->len + sep + l);
	return 0;
}

/* Validate the complete lines in buf[0..len) (and at eof the last one,
 * newline or not), split them into records and fields and append their
 * values.  Returns the bytes consumed, or -1 with ps->e filled. */
static long long
parse_lines(struct parse *ps, const char *buf, size_t len, int eof)
{
	size_t r = 0, l, i;
	const char *p, *nl;

	while (r < len) {
		p = buf + r;
		if ((nl = memchr(p, '\n', len - r)) == NULL && !eof)
			break;
		l = nl ? (size_t)(nl - p) : len - r;
		r += l + (nl != NULL);
		ps->line++;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l > WD_DB_LINE_MAX)
			return perr(ps, "line longer than 4096 bytes");
		if (l > 0 && (p[0] == '#' || p[0] == '%')) {
			if (memchr(p, '\0', l) != NULL)
				return perr(ps, "NUL byte");
			continue;
		}
		for (i = 0; i < l && isws((unsigned char)p[i]); i++)
			;
		if (i == l) {
			ps->inrec = 0;		/* blank line ends a record */
			continue;
		}
		if (i > 0) {
			if (!ps->inrec)
				return perr(ps, "continuation line without an "
				    "attribute line before it");
			if (cont_line(ps, p + i, l - i) < 0)
				return -1;
		} else if (attr_line(ps, p, l) < 0)
			return -1;
	}
	return (long long)r;
}

/* ---- load / free ---------------------------------------------------------- */

/* Start a load of about size bytes (0: unknown).  Arrays are sized from
 * the size so that a typical file never grows them; a bad guess costs a
 * remap, not a copy. */
static int
load_start(struct parse *ps, uint64_t size, const char *name,
    const struct wd_db_opts *o, struct sk_err *e)
{
	struct wd_db *db;
	void *p;

	memset(ps, 0, sizeof(*ps));
	ps->name = name;
	ps->e = e;
	ps->index = o ? o->index : NULL;
	if (size > WD_DB_SIZE_MAX)
		return sk_err_set(e, EFBIG, "%s: larger than 4 GiB", name);
	if ((ps->db = db = calloc(1, sizeof(*db))) == NULL)
		return nomem(ps);
	if (size == 0)
		return 0;
	/* Values never take more room than the lines they came from. */
	if ((p = wd_db__grow(NULL, &db->bufcap, size, 1)) != NULL)
		db->buf = p;
	if ((p = wd_db__grow(NULL, &db->fldcap, size / 16 + 1,
	    sizeof(*db->flds))) != NULL)
		db->flds = p;
	if ((p = wd_db__grow(NULL, &db->reccap, size / 128 + 2,
	    sizeof(*db->recs))) != NULL)
		db->recs = p;
	return 0;
}

/* Finish a load whose parse returned rc: add the end marker and build the
 * index, or free what there is. */
static struct wd_db *
load_finish(struct parse *ps, int rc)
{
	struct wd_db *db = ps->db;

	if (rc == 0 && start_record(ps) == 0) {
		db->nrec--;		/* the end marker */
		if (wd_db__build_index(db) == 0)
			return db;
		nomem(ps);
	}
	wd_db_free(db);
	return NULL;
}

struct wd_db *
wd_db_load_mem(const char *buf, size_t len, const char *name,
    const struct wd_db_opts *o, struct sk_err *e)
{
	struct parse ps;

	if (load_start(&ps, len, name, o, e) < 0)
		return load_finish(&ps, -1);
	return load_finish(&ps, parse_lines(&ps, buf, len, 1) < 0 ? -1 : 0);
}

/* Parse what fd holds: with off >= 0, the len bytes from off (pread(2);
 * fewer if the file ends first), else everything to EOF (read(2)), len
 * then being the size expected (0: unknown).  At most maxread bytes per
 * call (0: the buffer's size).  0, or -1 with ps->e filled. */
static int
feed(struct parse *ps, int fd, off_t off, uint64_t len, size_t maxread)
{
	uint64_t total = 0;
	uint32_t bcap = 0;
	size_t have = 0, room, chunk;
	long long used;
	char *b = NULL;
	ssize_t n;
	int rc = -1;

	/* A line may straddle two reads: the buffer holds one read plus the
	 * longest line carried over from the read before.  A small file
	 * needs no more than its size. */
	chunk = len > 0 && len < CHUNK ? (size_t)len + 1 : CHUNK;
	if ((b = wd_db__grow(NULL, &bcap, chunk + WD_DB_LINE_MAX + 2, 1)) == NULL) {
		nomem(ps);
		goto end;
	}
	for (;;) {
		room = maxread > 0 && maxread < chunk ? maxread : chunk;
		if (off >= 0 && room > len - total)
			room = (size_t)(len - total);
		if (off >= 0)
			n = room > 0 ? pread(fd, b + have, room,
			    off + (off_t)total) : 0;
		else
			n = read(fd, b + have, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sk_err_sys(ps->e, "%s", ps->name);
			if (ps->e != NULL && errno == EACCES)
				ps->e->kind = SK_ERR_INPUT;
			goto end;
		}
		if ((total += (uint64_t)n) > WD_DB_SIZE_MAX) {
			sk_err_set(ps->e, EFBIG, "%s: larger than 4 GiB",
			    ps->name);
			goto end;
		}
		have += (size_t)n;
		if ((used = parse_lines(ps, b, have, n == 0)) < 0)
			goto end;
		have -= (size_t)used;
		memmove(b, b + used, have);
		if (n == 0)
			break;
		/* Not even a CR can bring this line back under the limit. */
		if (have > WD_DB_LINE_MAX + 1) {
			ps->line++;
			perr(ps, "line longer than 4096 bytes");
			goto end;
		}
	}
	rc = 0;
end:
	wd_db__release(b, bcap, 1);
	return rc;
}

/* Is s[0..n) a blank line as parse_lines() sees it: one CR dropped from
 * the end, then only spaces and tabs? */
static int
blank(const char *s, size_t n)
{
	size_t i;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	for (i = 0; i < n && isws((unsigned char)s[i]); i++)
		;
	return i == n;
}

/* Where to split a file of size bytes: the offset just after the first
 * blank line past the middle, or 0 when there is none near it. */
static uint64_t
split_point(int fd, uint64_t size)
{
	uint64_t from = size / 2, line;
	char *w = malloc(SPLIT_STEP);
	const char *p, *nl, *end;
	ssize_t n;

	if (w == NULL)
		return 0;
	/* Lines start after a newline: the first one seen may be cut. */
	for (line = UINT64_MAX; from < size && from < size / 2 + SPLIT_LOOK;
	    from += (uint64_t)n) {
		if ((n = pread(fd, w, SPLIT_STEP, (off_t)from)) <= 0)
			break;
		end = w + n;
		for (p = w; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL;
		    p = nl + 1) {
			/* [line, nl]; one begun in an earlier window is
			 * passed over. */
			if (line != UINT64_MAX && line >= from &&
			    blank(p, (size_t)(nl - p))) {
				from += (uint64_t)(nl + 1 - w);
				free(w);
				return from < size ? from : 0;
			}
			line = from + (uint64_t)(nl + 1 - w);
		}
	}
	free(w);
	return 0;
}

/* The second half: its own parse state and arrays; its values go into
 * the shared values array from offset boff on. */
struct half {
	struct parse ps;
	struct sk_err e;
	struct wd_db db;
	int fd;
	uint64_t off, len;
	size_t maxread;
	int rc;
};

static void *
half_run(void *arg)
{
	struct half *h = arg;

	h->rc = feed(&h->ps, h->fd, (off_t)h->off, h->len, h->maxread);
	return NULL;
}

/* Append the second half's records to the first's (ps): its attribute
 * names interned again, its fields and records renumbered.  0, or -1. */
static int
merge(struct parse *ps, struct half *h, uint32_t boff)
{
	struct wd_db *db = ps->db, *d = &h->db;
	struct fld *f;
	struct rec *r;
	uint16_t *map;
	uint32_t i;
	long a;
	int rc = -1;

	if ((map = calloc(d->nattrs + 1, sizeof(*map))) == NULL)
		return nomem(ps);
	for (i = 0; i < d->nattrs; i++) {
		if ((a = attr_intern(ps, d->attrs[i].name, d->attrs[i].len)) < 0)
			goto end;
		map[i] = (uint16_t)a;
	}
	f = wd_db__grow(db->flds, &db->fldcap, (uint64_t)db->nflds + d->nflds,
	    sizeof(*f));
	if (f == NULL) {
		nomem(ps);
		goto end;
	}
	db->flds = f;
	r = wd_db__grow(db->recs, &db->reccap, (uint64_t)db->nrec + d->nrec + 2,
	    sizeof(*r));
	if (r == NULL) {
		nomem(ps);
		goto end;
	}
	db->recs = r;
	for (i = 0; i < d->nflds; i++) {
		f[db->nflds + i].attr = map[d->flds[i].attr];
		f[db->nflds + i].len = d->flds[i].len;
	}
	for (i = 0; i < d->nrec; i++) {
		r[db->nrec + i].fld = d->recs[i].fld + db->nflds;
		r[db->nrec + i].off = d->recs[i].off + boff;
	}
	db->nflds += d->nflds;
	db->nrec += d->nrec;
	db->buflen = boff + d->buflen;
	db->nindexed += d->nindexed;
	rc = 0;
end:
	free(map);
	return rc;
}

static void
half_free(struct half *h)
{
	uint32_t i;

	for (i = 0; i < h->db.nattrs; i++)
		free(h->db.attrs[i].name);
	wd_db__release(h->db.attrs, h->db.attrcap, sizeof(*h->db.attrs));
	free(h->db.amap);
	wd_db__release(h->db.flds, h->db.fldcap, sizeof(*h->db.flds));
	wd_db__release(h->db.recs, h->db.reccap, sizeof(*h->db.recs));
}

/* Parse a file of size bytes as [0, at) here and [at, size) on a second
 * thread.  1: done (rc in *rc); 0: not split, parse it whole instead. */
static int
load_split(struct parse *ps, int fd, uint64_t size, uint64_t at,
    size_t maxread, int *rc)
{
	struct half *h;
	pthread_t t;

	if (ps->db->buf == NULL || ps->db->bufcap < size ||
	    (h = calloc(1, sizeof(*h))) == NULL)
		return 0;
	h->ps.db = &h->db;
	h->ps.name = ps->name;
	h->ps.index = ps->index;
	h->ps.e = &h->e;
	h->ps.bufmax = (uint32_t)(size - at);
	h->db.buf = ps->db->buf + at;
	h->db.bufcap = h->ps.bufmax;
	/* Sized as load_start() does; NULL just means growing later. */
	h->db.flds = wd_db__grow(NULL, &h->db.fldcap, (size - at) / 16 + 1,
	    sizeof(*h->db.flds));
	h->db.recs = wd_db__grow(NULL, &h->db.reccap, (size - at) / 128 + 2,
	    sizeof(*h->db.recs));
	h->fd = fd;
	h->off = at;
	h->len = size - at;
	h->maxread = maxread;
	if (pthread_create(&t, NULL, half_run, h) != 0) {
		free(h);
		return 0;
	}
	ps->bufmax = (uint32_t)at;
	*rc = feed(ps, fd, 0, at, maxread);
	pthread_join(t, NULL);
	ps->bufmax = 0;
	/* An error in the first half is the file's first: report it.  One
	 * in the second half needs its line counted from the top, and one
	 * in the merge is rare: parse the file whole to say it right. */
	if (*rc == 0 && (h->rc < 0 || merge(ps, h, (uint32_t)at) < 0)) {
		half_free(h);
		free(h);
		return 0;
	}
	half_free(h);
	free(h);
	return 1;
}

struct wd_db *
wd_db__load_fd(int fd, size_t maxread, uint64_t split, const char *name,
    const struct wd_db_opts *o, struct sk_err *e)
{
	struct parse ps;
	struct stat st;
	uint64_t size = 0, at = 0;
	int rc = -1;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	if (load_start(&ps, size, name, o, e) < 0)
		return load_finish(&ps, -1);
	if (split == 0)
		split = SPLIT_MIN;
	if (size > 0 && size >= split && lseek(fd, 0, SEEK_CUR) == 0)
		at = split_point(fd, size);
	if (at > 0 && load_split(&ps, fd, size, at, maxread, &rc))
		return load_finish(&ps, rc);
	if (at > 0) {
		/* Start again from nothing. */
		wd_db_free(ps.db);
		if (load_start(&ps, size, name, o, e) < 0)
			return load_finish(&ps, -1);
		rc = feed(&ps, fd, 0, UINT64_MAX, maxread);
	} else {
		rc = feed(&ps, fd, -1, size, maxread);
	}
	return load_finish(&ps, rc);
}

struct wd_db *
wd_db_load(const char *path, const struct wd_db_opts *o, struct sk_err *e)
{
	struct wd_db *db;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		sk_err_sys(e, "%s", path);
		/* The file was named by the admin: one we may not read is a
		 * bad argument (exit 2, whoisd(8)), like one that is missing. */
		if (e != NULL && errno == EACCES)
			e->kind = SK_ERR_INPUT;
		return NULL;
	}
	db = wd_db__load_fd(fd, 0, 0, path, o, e);
	close(fd);
	return db;
}

void
wd_db_free(struct wd_db *db)
{
	uint32_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nattrs; i++)
		free(db->attrs[i].name);
	wd_db__release(db->attrs, db->attrcap, sizeof(*db->attrs));
	free(db->amap);
	wd_db__release(db->buf, db->bufcap, 1);
	wd_db__release(db->flds, db->fldcap, sizeof(*db->flds));
	wd_db__release(db->recs, db->reccap, sizeof(*db->recs));
	wd_db__free_index(db);
	free(db);
}

/* ---- access ------------------------------------------------------------------ */

size_t
wd_db_count(const struct wd_db *db)
{
	return db->nrec;
}

void
wd_db_fields(const struct wd_db *db, size_t rec, struct wd_db_iter *it)
{
	it->db = db;
	it->f = db->recs[rec].fld;
	it->fend = db->recs[rec + 1].fld;
	it->off = db->recs[rec].off;
}

int
wd_db_next(struct wd_db_iter *it, struct wd_db_field *f)
{
	const struct fld *fl;
	const struct attr *a;

	if (it->f >= it->fend)
		return 0;
	fl = &it->db->flds[it->f++];
	a = &it->db->attrs[fl->attr];
	f->name = a->name;
	f->namelen = a->len;
	f->value = it->db->buf + it->off;
	f->len = fl->len;
	f->hidden = a->hidden;
	f->indexed = a->indexed;
	it->off += fl->len;
	return 1;
}
