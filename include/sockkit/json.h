/*
 * sockkit/json.h — streaming JSON writer.
 *
 * No trees: values go straight to a FILE * as they are produced (or, with
 * sk_json_init_fd, to a caller's buffer that is written to a descriptor
 * when it fills), so 100k sockets stream out in constant memory.  Commas and nesting are tracked
 * by the writer; strings are escaped by it, never printf'd by hand.
 * Control characters become \uXXXX (or \n, \t, ...).  Bytes that are not
 * valid UTF-8 are escaped as \udcXX (the "surrogateescape" convention:
 * a lone low surrogate carrying the byte), so no input byte is dropped and
 * the original bytes can be recovered.
 */
#ifndef SOCKKIT_JSON_H
#define SOCKKIT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SK_JSON_MAXDEPTH 32

struct sk_json {
	FILE *out;
	int depth;
	int err;			/* sticky: set once a call is misused */
	unsigned char first[SK_JSON_MAXDEPTH];	/* no element yet at level */
	unsigned char is_obj[SK_JSON_MAXDEPTH];
	int after_key;			/* a key was written, value expected */
	int top_done;			/* a whole value was written at depth 0 */
	int ioerr;			/* a write(2) or stdio call failed */
	int fd;				/* sk_json_init_fd: where buf goes */
	char *buf;			/* sk_json_init_fd: caller's buffer */
	size_t cap, len;		/* its size, the bytes waiting in it */
};

/* Start a writer on out (not owned).  Use one writer per document or
 * per NDJSON record stream. */
void sk_json_init(struct sk_json *j, FILE *out);

/* Start a writer that gathers output in buf (size bytes, caller-owned,
 * any size; 64 KiB suits a big listing) and write(2)s it to fd when it
 * fills and at sk_json_flush: no stdio call per value.  Nothing else may
 * write to fd between flushes. */
void sk_json_init_fd(struct sk_json *j, int fd, char *buf, size_t size);

/* Write out what sk_json_init_fd's buffer holds (for a FILE writer,
 * fflush it).  0, or -1 if a write so far failed. */
int sk_json_flush(struct sk_json *j);

/* Containers.  Misuse (end without begin, value without key inside an
 * object, key outside an object, a second value at depth 0 before
 * sk_json_newline, nesting past SK_JSON_MAXDEPTH) sets j->err and writes
 * nothing; later well-formed calls still write, so output stays valid. */
void sk_json_obj_begin(struct sk_json *j);
void sk_json_obj_end(struct sk_json *j);
void sk_json_arr_begin(struct sk_json *j);
void sk_json_arr_end(struct sk_json *j);

/* Object key; the next call writes its value. */
void sk_json_key(struct sk_json *j, const char *key);

/* Values. */
void sk_json_str(struct sk_json *j, const char *s);	/* NULL → null */
void sk_json_strn(struct sk_json *j, const char *s, size_t n);
void sk_json_int(struct sk_json *j, long long v);
void sk_json_uint(struct sk_json *j, unsigned long long v);
void sk_json_double(struct sk_json *j, double v);	/* NaN/inf → null */
void sk_json_bool(struct sk_json *j, int v);
void sk_json_null(struct sk_json *j);

/* End an NDJSON record: writes "\n" after a whole value at depth 0 and
 * resets for the next; anywhere else it is misuse. */
void sk_json_newline(struct sk_json *j);

/* Write s (n bytes) as a JSON string literal, quotes included, to out.
 * Returns bytes written or -1 on a stdio error. */
int sk_json_escape(FILE *out, const char *s, size_t n);

/* 0 if every call so far was well-formed and no write failed (stdio's
 * ferror, or write(2) for sk_json_init_fd: sk_json_flush first). */
int sk_json_error(const struct sk_json *j);

#endif
