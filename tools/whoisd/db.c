/*
 * The whois directory, loaded for speed and size: the file is read into one
 * buffer and compacted in place down to the bare values; records and fields
 * are small integers into that buffer; attribute names are interned.  The
 * word index over it is in db_index.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_internal.h"

struct parse {
	struct wdb *db;
	const char *name;
	const char *index;
	unsigned long line;
	struct sk_err *e;
	uint16_t pred[WDB_FIELDS_MAX];	/* attribute seen at each position */
};

static int
isws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

#define ONES	0x0101010101010101ull
#define HIGHS	(ONES * 0x80)

/* Fold eight bytes at once: set 0x20 in each byte from 'A' to 'Z'.
 * Adding to the low seven bits cannot carry into the next byte. */
static uint64_t
fold8(uint64_t x)
{
	uint64_t low = x & ~HIGHS;
	uint64_t ge_a = low + ONES * (0x80 - 'A');
	uint64_t gt_z = low + ONES * (0x80 - 'Z' - 1);

	return x | ((ge_a & ~gt_z & ~x & HIGHS) >> 2);
}

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
wdb__hash(const char *s, size_t n)
{
	uint64_t h = n * 0x9e3779b97f4a7c15ull, x;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&x, s, 8);
		h = (h ^ fold8(x)) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (n > 0) {
		x = 0;
		memcpy(&x, s, n);
		h = (h ^ fold8(x)) * 0xff51afd7ed558ccdull;
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
attr_rehash(struct wdb *db)
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
	struct wdb *db = ps->db;
	uint32_t h = wdb__hash(name, len), j;
	struct attr *a;

	if (db->amap != NULL) {
		for (j = h & db->amask; db->amap[j] != 0; j = (j + 1) & db->amask) {
			a = &db->attrs[db->amap[j] - 1];
			if (a->hash == h && a->len == len &&
			    memcmp(a->name, name, len) == 0)
				return (long)(db->amap[j] - 1);
		}
	}
	if (db->nattrs >= WDB_ATTRS_MAX)
		return perr(ps, "too many distinct attribute names");
	if ((a = wdb__grow(db->attrs, &db->attrcap, db->nattrs + 1,
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

/* Copy a value towards the start of the buffer (dst <= src, so a forward
 * byte copy is safe), turning tabs into spaces so output stays aligned. */
static int
copyval(struct parse *ps, char *dst, const char *src, size_t n)
{
	size_t i;

	if (clean(src, n)) {
		memmove(dst, src, n);
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
	return 0;
}

static int
start_record(struct parse *ps, size_t w)
{
	struct wdb *db = ps->db;
	struct rec *r = wdb__grow(db->recs, &db->reccap, (uint64_t)db->nrec + 2,
	    sizeof(*r));

	if (r == NULL)
		return nomem(ps);
	db->recs = r;
	r[db->nrec].fld = db->nflds;
	r[db->nrec].off = (uint32_t)w;
	db->nrec++;
	return 0;
}

static int
attr_line(struct parse *ps, char *buf, size_t *w, const char *p, size_t l,
    int *inrec)
{
	struct wdb *db = ps->db;
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
	if (nl > WDB_NAME_MAX)
		return perr(ps, "attribute name longer than 64 bytes");
	for (i = 0; !clean(p, nl); i++)	/* a bad byte ends the loop */
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return badbyte(ps, (unsigned char)p[i]);
	if (!*inrec) {
		if (start_record(ps, *w) < 0)
			return -1;
		*inrec = 1;
	}
	if ((pos = db->nflds - db->recs[db->nrec - 1].fld) >= WDB_FIELDS_MAX)
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
	if ((f = wdb__grow(db->flds, &db->fldcap, (uint64_t)db->nflds + 1,
	    sizeof(*f))) == NULL)
		return nomem(ps);
	db->flds = f;
	if (copyval(ps, buf + *w, v, (size_t)(end - v)) < 0)
		return -1;
	f = &db->flds[db->nflds++];
	f->attr = (uint16_t)a;
	f->len = (uint16_t)(end - v);
	*w += (size_t)(end - v);
	return 0;
}

/* Continuation: append to the record's last value after one space. */
static int
cont_line(struct parse *ps, char *buf, size_t *w, const char *p, size_t l)
{
	struct fld *f = &ps->db->flds[ps->db->nflds - 1];
	size_t sep = f->len > 0;

	while (l > 0 && isws((unsigned char)p[l - 1]))
		l--;
	if (f->len + sep + l > WDB_VALUE_MAX)
		return perr(ps, "value longer than 65535 bytes");
	if (sep)
		buf[(*w)++] = ' ';
	if (copyval(ps, buf + *w, p, l) < 0)
		return -1;
	*w += l;
	f->len = (uint16_t)(f->len + sep + l);
	return 0;
}

/* One pass over the file: validate, split into records and fields, and
 * compact the values to the front of buf.  Returns the compacted length. */
static long long
parse(struct parse *ps, char *buf, size_t len)
{
	size_t r = 0, w = 0, l, i;
	int inrec = 0;
	char *p, *nl;

	while (r < len) {
		p = buf + r;
		nl = memchr(p, '\n', len - r);
		l = nl ? (size_t)(nl - p) : len - r;
		r += l + (nl != NULL);
		ps->line++;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l > WDB_LINE_MAX)
			return perr(ps, "line longer than 4096 bytes");
		if (l > 0 && (p[0] == '#' || p[0] == '%')) {
			if (memchr(p, '\0', l) != NULL)
				return perr(ps, "NUL byte");
			continue;
		}
		for (i = 0; i < l && isws((unsigned char)p[i]); i++)
			;
		if (i == l) {
			inrec = 0;		/* blank line ends a record */
			continue;
		}
		if (i > 0) {
			if (!inrec)
				return perr(ps, "continuation line without an "
				    "attribute line before it");
			if (cont_line(ps, buf, &w, p + i, l - i) < 0)
				return -1;
		} else if (attr_line(ps, buf, &w, p, l, &inrec) < 0)
			return -1;
	}
	if (start_record(ps, w) < 0)	/* the end marker */
		return -1;
	ps->db->nrec--;
	return (long long)w;
}

/* ---- load / free ---------------------------------------------------------- */

/* Takes ownership of buf (malloc'd, len bytes). */
static struct wdb *
load_buf(char *buf, size_t len, const char *name, const struct wdb_opts *o,
    struct sk_err *e)
{
	struct parse ps = { .name = name, .e = e,
	    .index = o ? o->index : NULL };
	struct wdb *db;
	long long w;
	char *nb;

	if (len > WDB_SIZE_MAX) {
		free(buf);
		sk_err_set(e, EFBIG, "%s: larger than 4 GiB", name);
		return NULL;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		free(buf);
		sk_err_set(e, ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	db->buf = buf;
	ps.db = db;
	if ((w = parse(&ps, buf, len)) < 0)
		goto fail;
	/* Values take less room than the lines they came from: give the
	 * rest back before the index claims its share. */
	if ((nb = realloc(db->buf, (size_t)w + 1)) != NULL)
		db->buf = nb;
	db->buflen = (size_t)w;
	if (wdb__build_index(db) < 0) {
		nomem(&ps);
		goto fail;
	}
	return db;
fail:
	wdb_free(db);
	return NULL;
}

struct wdb *
wdb_load_mem(const char *buf, size_t len, const char *name,
    const struct wdb_opts *o, struct sk_err *e)
{
	char *copy = malloc(len + 1);

	if (copy == NULL) {
		sk_err_set(e, ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	memcpy(copy, buf, len);
	return load_buf(copy, len, name, o, e);
}

struct wdb *
wdb_load(const char *path, const struct wdb_opts *o, struct sk_err *e)
{
	struct stat st;
	size_t cap, len = 0;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		goto syserr;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > WDB_SIZE_MAX) {
		sk_err_set(e, EFBIG, "%s: larger than 4 GiB", path);
		goto fail;
	}
	/* One spare byte so a file that did not grow ends in one read. */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	if ((buf = malloc(cap)) == NULL)
		goto syserr;
	for (;;) {
		if (len == cap) {
			if (cap > WDB_SIZE_MAX) {
				sk_err_set(e, EFBIG, "%s: larger than 4 GiB",
				    path);
				goto fail;
			}
			if ((nb = realloc(buf, cap * 2)) == NULL)
				goto syserr;
			buf = nb;
			cap *= 2;
		}
		if ((n = read(fd, buf + len, cap - len)) < 0) {
			if (errno == EINTR)
				continue;
			goto syserr;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return load_buf(buf, len, path, o, e);
syserr:
	sk_err_sys(e, "%s", path);
	/* The file was named by the admin: one we may not read is a bad
	 * argument (exit 2, whoisd(8)), like one that is missing. */
	if (e != NULL && errno == EACCES)
		e->kind = SK_ERR_INPUT;
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

void
wdb_free(struct wdb *db)
{
	uint32_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nattrs; i++)
		free(db->attrs[i].name);
	free(db->attrs);
	free(db->amap);
	free(db->buf);
	free(db->flds);
	free(db->recs);
	free(db->keys);
	free(db->slots);
	free(db->post);
	free(db->bucket);
	free(db->border);
	free(db);
}

/* ---- access ------------------------------------------------------------------ */

size_t
wdb_count(const struct wdb *db)
{
	return db->nrec;
}

void
wdb_fields(const struct wdb *db, size_t rec, struct wdb_iter *it)
{
	it->db = db;
	it->f = db->recs[rec].fld;
	it->fend = db->recs[rec + 1].fld;
	it->off = db->recs[rec].off;
}

int
wdb_next(struct wdb_iter *it, struct wdb_field *f)
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
