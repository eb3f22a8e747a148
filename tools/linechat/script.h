/*
 * linechat/script.h — chat(8) scripts: expect/send pairs, ABORT, TIMEOUT,
 * REPORT, SAY, ECHO, chat's escapes, expect-send-expect alternates and
 * ~/regex/ expects, parsed once (every syntax error is found before
 * anything is sent) and then run against a struct lc_io.
 *
 * Grammar (one for -f FILE and -e STRING): words separated by blanks and
 * newlines; '...' and "..." group blanks into a word (a quote may open
 * anywhere in a word, as in sh); a line whose first non-blank is '#' is a
 * comment.  Words alternate expect, send, expect, ...; a keyword in an
 * expect position takes the next word as its argument.
 *
 * An expect "~/ERE/" is a POSIX extended regex with REG_NEWLINE (^ and $
 * per line; \r \n \t allowed); back-references, stacked or deeply nested
 * repetitions and large intervals are refused, since glibc's engine has
 * no limits of its own (script_rx.c).  A '-' splits expect-send-expect
 * unless escaped (\-); inside a regex only "/-" ends it.
 */
#ifndef LINECHAT_SCRIPT_H
#define LINECHAT_SCRIPT_H

#include <stddef.h>

#include "sockkit/err.h"
#include "linechat/io.h"

/* ---- limits ------------------------------------------------------------- */
#define LC_SCRIPT_MAX		(1u << 20)	/* bytes of script text */
#define LC_SCRIPT_MAXWORDS	10000
#define LC_SCRIPT_MAXABORT	50	/* live ABORT strings (chat's limit) */
#define LC_SCRIPT_MAXREPORT	50	/* live REPORT strings */
#define LC_SCRIPT_MAXSTR	1024	/* bytes of an expect/ABORT/REPORT string */
#define LC_SCRIPT_TIMEOUT	45	/* seconds per expect, chat's default */
#define LC_SCRIPT_WINDOW	(64u << 10)	/* default expect window */
#define LC_SCRIPT_MINWINDOW	4096
#define LC_SCRIPT_MAXWINDOW	(64u << 20)
/* A regex expect is tried over the newest data plus this much older
 * data; a match longer than this may be missed. */
#define LC_SCRIPT_RXSPAN	2048

struct lc_script;

/* ---- parsing ------------------------------------------------------------ */

/*
 * Parse len bytes of script text (need not be NUL-terminated); name is
 * what syntax errors are reported against (the file name, or "-e").
 * Returns a script the caller frees with lc_script_free(), or NULL with
 * e filled: code EINVAL and "NAME:LINE:COL: message" (1-based, COL in
 * bytes, pointing at the offending character) for bad scripts, ENOMEM
 * when out of memory.  Regexes are compiled here.
 */
struct lc_script *lc_script_parse(const char *text, size_t len,
    const char *name, struct sk_err *e);

/* Read path (at most LC_SCRIPT_MAX bytes) and parse it under that name.
 * NULL with e filled: "script PATH: strerror" (code errno) when it cannot
 * be read, EFBIG when too large, or a parse error as above. */
struct lc_script *lc_script_load(const char *path, struct sk_err *e);

/* Free s and its compiled regexes.  s may be NULL. */
void lc_script_free(struct lc_script *s);

/* ---- running ------------------------------------------------------------ */

/* Zero-initialised options give linechat's defaults. */
struct lc_script_opts {
	const char *eol;	/* after each send without \c; NULL = "\r\n",
				 * "\n" for --lf, "" for none */
	int timeout;		/* initial TIMEOUT in seconds; 0 = 45 */
	size_t window;		/* expect window in bytes; 0 = 64 KiB, clamped
				 * to [LC_SCRIPT_MINWINDOW, _MAXWINDOW] */
	int echo;		/* start with ECHO ON (chat -e) */
	int verbose;		/* say each expect and send (chat -v); \q
				 * sends show as ?????? */
	int no_delay;		/* \d and \p do not sleep (tests, fuzzing) */
};

/*
 * Run s over io; o may be NULL.  Returns LC_EXIT_OK when the script ran
 * to its end, LC_EXIT_NET on a timeout, EOF or I/O error (after saying
 * why, e.g. `linechat: timeout waiting for "+PONG"`), LC_EXIT_ABORT + i
 * when the i-th live ABORT string (counting from 0) arrived while an
 * expect was waited for, or LC_EXIT_NET with "out of memory" said.
 * Messages the engine makes end in '\n'; SAY text is passed as written.
 * Memory use is the window plus small constants whatever the peer sends
 * (plus glibc's DFA cache for a regex, dropped every 4 KiB of input).
 * Each expect waits at most TIMEOUT even if the peer never pauses.
 */
int lc_script_run(const struct lc_script *s, const struct lc_io *io,
    const struct lc_script_opts *o);

#endif
