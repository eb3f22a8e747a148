/*
 * whoisd/query.h — the whois protocol without sockets: parse one query
 * line, run it against a struct wd_db, format the answer (or an error line)
 * into a bounded caller-owned buffer that an event loop can drain at its
 * own pace.  No global state; every function is reentrant.
 */
#ifndef WHOISD_QUERY_H
#define WHOISD_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sockkit/err.h"
#include "whoisd/db.h"

/* ---- error codes: "%ERROR:CODE: text" lines (RIPE style) ----------------- */
#define WD_Q_ERR_INTERNAL		100	/* internal software error (no DB) */
#define WD_Q_ERR_TOO_LONG		107	/* input line too long */
#define WD_Q_ERR_BADCHAR		108	/* invalid characters in query */
#define WD_Q_ERR_SHORT		120	/* search key too short (prefix) */
#define WD_Q_ERR_DENIED		201	/* access denied */
#define WD_Q_ERR_BUSY		208	/* server busy */
/* 201 with the rate limiter's wording; pass it as wd_q_error()'s text. */
#define WD_Q_TEXT_RATE		"access temporarily denied"

#define WD_Q_QUERY_MAX	4096	/* longest query line wd_q_parse() takes */
#define WD_Q_LINE_MAX	1024	/* longest output line, line ending included */
#define WD_Q_MAX_MATCHES	100	/* default cap on records per answer */
#define WD_Q_OUT_MAX	(1u << 20) /* default cap on bytes per answer */

/* ---- parsing -------------------------------------------------------------- */

enum wd_q_kind {
	WD_Q_EMPTY,		/* nothing left: answer with the help hint */
	WD_Q_HELP,		/* help [TOPIC]: text holds TOPIC (may be "") */
	WD_Q_MATCH,		/* every word must occur in one record */
	WD_Q_WHOLE,		/* "quoted": a whole indexed value must equal it */
};

struct wd_q_query {
	enum wd_q_kind kind;
	int prefix;		/* WD_Q_MATCH: the last word is a prefix (word*) */
	size_t len;
	/* Search key folded to lower case with blank runs made one space,
	 * quotes and the trailing '*' removed; NUL-terminated. */
	char text[WD_Q_QUERY_MAX + 1];
};

/*
 * Parse one query line (without its line ending; any bytes).  Leading and
 * trailing blanks go, tabs count as spaces; then a leading "whois" verb
 * and the flags common clients send are dropped: "-V VERSION",
 * "--charset ENC", "--charset=ENC", "--", and any cluster of RIPE flags
 * that take no argument (letters of "aBbcdFGKLlMmrx", e.g. "-r -B" or
 * "-rB").  Other words starting with '-' are search text.
 * Returns 0, or WD_Q_ERR_TOO_LONG (len > WD_Q_QUERY_MAX), WD_Q_ERR_BADCHAR (a
 * byte below 0x20 other than tab, or 0x7f), WD_Q_ERR_SHORT (fewer than 2
 * characters before a trailing '*').  q is always filled.
 */
int wd_q_parse(struct wd_q_query *q, const char *line, size_t len);

/* ---- running ---------------------------------------------------------------- */

/* Put up to max matching record numbers, ascending, in recs.  Returns how
 * many were stored (max + 1 calls tell "more than max"), or -1 with errno
 * ENOMEM.  WD_Q_EMPTY and WD_Q_HELP match nothing. */
ssize_t wd_q_run(const struct wd_db *db, const struct wd_q_query *q,
    uint32_t *recs, size_t max);

/* ---- output buffer ------------------------------------------------------------ */

/* Bytes to send: data[0..len).  Grows on demand up to max bytes (0 means
 * WD_Q_OUT_MAX); full is set when something did not fit. */
struct wd_q_buf {
	char *data;
	size_t len, cap, max;
	int full;
};

void wd_q_buf_init(struct wd_q_buf *b, size_t max);
void wd_q_buf_free(struct wd_q_buf *b);	/* frees data; b can be reused */

/* ---- answers --------------------------------------------------------------------- */

struct wd_q_help;

struct wd_q_opts {
	size_t max_matches;		/* 0: WD_Q_MAX_MATCHES */
	const char *eol;		/* "\r\n" on sockets, "\n" on pipes;
					   NULL: "\r\n" */
	const struct wd_q_help *help;	/* NULL: the built-in text */
};

struct wd_q_result {
	size_t matches;		/* records shown */
	int more;		/* more matched than max_matches */
	int truncated;		/* records dropped to stay within out->max */
};

/*
 * Append the whole answer to out (help, hint, or the match listing in the
 * source text's layout: names right-aligned to max(20, longest name),
 * hidden fields left out, values too long for one WD_Q_LINE_MAX line
 * wrapped onto indented continuation lines).  A listing that would pass
 * out->max loses its last records and says so.  res may be NULL.
 * Returns 0, or -1 with errno ENOMEM (out then holds a partial answer).
 */
int wd_q_answer(const struct wd_db *db, const struct wd_q_query *q,
    const struct wd_q_opts *o, struct wd_q_buf *out, struct wd_q_result *res);

/* Append "%ERROR:CODE: text" and eol; text NULL picks the code's usual
 * wording (e.g. "invalid characters in query").  Returns 0 or -1. */
int wd_q_error(struct wd_q_buf *out, int code, const char *text, const char *eol);

/* The usual wording for an error code, or "error". */
const char *wd_q_strerror(int code);

/* ---- help text ---------------------------------------------------------------- */

/*
 * Load help text from path (at most 64 KiB, lines under WD_Q_LINE_MAX, no
 * control bytes but tab).  Text before the first "%topic NAME" line
 * answers "help"; each section answers "help NAME" (unknown topics get
 * the general text).  Returns NULL and fills e on error.
 */
struct wd_q_help *wd_q_help_load(const char *path, struct sk_err *e);
void wd_q_help_free(struct wd_q_help *h);

#endif
