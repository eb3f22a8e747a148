/*
 * whoisd/db.h — the whois directory: a text file loaded into one buffer
 * with word indices (format: whoisd.db(5)).
 *
 * A struct wd_db is immutable once loaded and holds no global state, so a
 * server can load a new one on SIGHUP and swap pointers while queries on
 * the old one finish.  Records are numbered 0..wd_db_count()-1 in file order.
 */
#ifndef WHOISD_DB_H
#define WHOISD_DB_H

#include <stddef.h>
#include <stdint.h>

#include "sockkit/err.h"

/* ---- limits: going past one fails the load with file:line ------------- */
#define WD_DB_LINE_MAX	4096		/* bytes per line, without newline */
#define WD_DB_NAME_MAX	64		/* bytes per attribute name */
#define WD_DB_VALUE_MAX	65535		/* bytes per value, continuations joined */
#define WD_DB_FIELDS_MAX	256		/* attribute lines per record */
#define WD_DB_ATTRS_MAX	65535		/* distinct attribute names per file */
#define WD_DB_SIZE_MAX	0xfffffff0u	/* bytes per file (offsets are 32-bit) */

struct wd_db;

struct wd_db_opts {
	/* Comma-separated attribute names to index, compared without case
	 * ("Full Name,Handle").  NULL or "" selects the default: every name
	 * containing "name", plus "handle", "email", "e-mail", "index key".
	 * Hidden attributes (names starting with '.') are always indexed. */
	const char *index;
};

/* ---- loading ------------------------------------------------------------ */

/* Load the database in path (a file, FIFO or device: it is read, not
 * mapped, so changing the file later cannot disturb db).  o may be NULL.
 * Returns NULL and fills e with "path: strerror" or "path:LINE: reason"
 * (code EINVAL for bad content, ENOMEM, EFBIG, or the errno of open/read);
 * nothing is half-loaded. */
struct wd_db *wd_db_load(const char *path, const struct wd_db_opts *o,
    struct sk_err *e);

/* Like wd_db_load() on len bytes at buf (any bytes allowed; db keeps no
 * pointer into buf); name is used in error messages only. */
struct wd_db *wd_db_load_mem(const char *buf, size_t len, const char *name,
    const struct wd_db_opts *o, struct sk_err *e);

/* Free db and everything it owns.  NULL is a no-op. */
void wd_db_free(struct wd_db *db);

/* Number of records. */
size_t wd_db_count(const struct wd_db *db);

/* ---- reading records ----------------------------------------------------- */

/* One attribute line.  Pointers stay valid until wd_db_free(); value is not
 * NUL-terminated (use len); name is.  hidden: name starts with '.', never
 * shown to clients. */
struct wd_db_field {
	const char *name;
	size_t namelen;
	const char *value;
	size_t len;
	int hidden;
	int indexed;
};

struct wd_db_iter {
	const struct wd_db *db;
	uint32_t f, fend;		/* field range of the record */
	size_t off;			/* buffer offset of the next value */
};

/* Start iterating the fields of record rec (< wd_db_count()), in file order. */
void wd_db_fields(const struct wd_db *db, size_t rec, struct wd_db_iter *it);

/* Fill f with the next field and return 1, or return 0 at the end. */
int wd_db_next(struct wd_db_iter *it, struct wd_db_field *f);

/* ---- index ------------------------------------------------------------------ */

/* Record numbers (ascending, no duplicates) whose indexed attributes hold
 * the word w (len bytes, already folded with wd_db_fold()).  Returns the
 * count and points *recs into db; 0 leaves *recs NULL. */
size_t wd_db_word(const struct wd_db *db, const char *w, size_t len,
    const uint32_t **recs);

/* Call fn once per distinct indexed word that starts with the folded
 * prefix p (len >= 2), with that word's record list as wd_db_word() gives
 * it.  Stops early and returns fn's value when fn returns non-zero;
 * returns 0 otherwise.  Words come in no particular order. */
int wd_db_prefix(const struct wd_db *db, const char *p, size_t len,
    int (*fn)(void *arg, const uint32_t *recs, size_t n), void *arg);

/* ---- words: the one tokenizer for the loader and for queries ------------ */

/* Case folding for matching: ASCII only; other bytes compare exactly. */
static inline unsigned char
wd_db_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Word separators: space, tab and , ; : ( ) [ ] < > " */
int wd_db_issep(unsigned char c);

/* Find the next word in [*p, end): return its start, set *len and move *p
 * past it; NULL when there are no more words. */
const char *wd_db_token(const char **p, const char *end, size_t *len);

#endif
