/*
 * linechat/transcript.h — session transcripts (--log) and their replay
 * (--replay): a server regression test in one command.
 *
 * A transcript is plain printable ASCII, one event per line:
 *
 *	# linechat transcript v1 host=HOST service=SERVICE date=ISO-8601
 *	0 * connected to whois.example (198.18.0.2)
 *	3 > reggers\r\n
 *	41 < Name: Reg Quinton\r\n
 *	41 < Email: reggers@example.org\r\n
 *
 * "MS DIR BYTES": milliseconds since connect, '>' sent by us, '<' received,
 * '*' an event (connected, peer closed, timeout, TLS details; free text,
 * never compared).  BYTES is lossless: printable ASCII other than backslash
 * as is, then \\ \r \n \t \0 and \xHH for everything else.  A data line
 * ends right after an LF of the data (so transcripts diff line by line) or
 * at LC_LOG_LINE_BYTES bytes; a chunk without LF is one line.  Line 1 is
 * the header; other lines starting with '#' are comments; blank lines are
 * ignored.
 */
#ifndef LINECHAT_TRANSCRIPT_H
#define LINECHAT_TRANSCRIPT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockkit/vis.h"
#include "linechat/io.h"

struct sk_err;

#define LC_TRANSCRIPT_MAX	(64L * 1024 * 1024)	/* bytes per file */
#define LC_TRANSCRIPT_LINE_MAX	65536		/* bytes per line, without LF */
#define LC_TRANSCRIPT_MS_MAX	1000000000000LL	/* about 31 years */
#define LC_LOG_LINE_BYTES	4096		/* data bytes per log line */

/* Room lc_escape() needs for n bytes, with the NUL. */
#define LC_ESCAPE_SIZE(n)	SK_VIS_SIZE(n)

/* ------------------------------------------------------------------------
 * Escaping
 * ------------------------------------------------------------------------ */

/* Escape n bytes of src into dst (LC_ESCAPE_SIZE(n) bytes) as a transcript
 * line does (sk_vis() with SK_VIS_TRANSCRIPT); NUL-terminates and returns
 * the length. */
size_t lc_escape(char *dst, const void *src, size_t n);

/* ------------------------------------------------------------------------
 * Writer (--log)
 * ------------------------------------------------------------------------ */

struct lc_log;

/* Create (truncate) path and write the header naming host and service.
 * NULL with e filled ("open PATH: ...", "write PATH: ...") on failure. */
struct lc_log *lc_log_open(const char *path, const char *host,
    const char *service, struct sk_err *e);

/* The same on an open stream, which the log then owns (lc_log_close closes
 * it); name is used in error messages.  For tests and memstreams. */
struct lc_log *lc_log_fopen(FILE *fp, const char *name, const char *host,
    const char *service, struct sk_err *e);

/* Start the clock: later lines carry milliseconds since this call (lines
 * before it carry 0).  Call it when the connection is established. */
void lc_log_start(struct lc_log *lg);

/* Log n bytes sent (dir '>') or received ('<'), split after each LF, and
 * flush.  Returns 0, or -1 once the log has failed (errno set; the first
 * error is kept for lc_log_close) or for a bad dir (EINVAL). */
int lc_log_data(struct lc_log *lg, char dir, const void *buf, size_t n);

/* Log a '*' event line (printf-style, cut at 1 KiB), and flush. */
int lc_log_event(struct lc_log *lg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Flush, close and free lg (NULL is a no-op).  Returns -1 with e filled
 * ("write PATH: No space left on device") if any write failed: a lost
 * transcript line is never silent. */
int lc_log_close(struct lc_log *lg, struct sk_err *e);

/* ------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

struct lc_transcript;

struct lc_event {
	int64_t ms;		/* since connect, never decreasing */
	char dir;		/* '>', '<' or '*' */
	unsigned long line;	/* line number in the file, from 1 */
	const unsigned char *data;	/* decoded; the transcript owns it */
	size_t len;		/* > 0 */
	size_t rxoff;		/* '<' bytes before this event */
};

/* Read and parse the transcript at path (at most LC_TRANSCRIPT_MAX bytes).
 * NULL with e filled on failure: "PATH:LINE: message" with code EINVAL for
 * a malformed file, "open PATH: ..." (errno) when it cannot be read. */
struct lc_transcript *lc_transcript_load(const char *path, struct sk_err *e);

/* Parse n bytes at buf (any bytes; need not be NUL-terminated); name is
 * used in messages.  Errors as lc_transcript_load(). */
struct lc_transcript *lc_transcript_parse(const char *name, const void *buf,
    size_t n, struct sk_err *e);

void lc_transcript_free(struct lc_transcript *t);

/* Number of events, and the i-th (i < count), in file order. */
size_t lc_transcript_count(const struct lc_transcript *t);
const struct lc_event *lc_transcript_event(const struct lc_transcript *t,
    size_t i);

/* ------------------------------------------------------------------------
 * Replay (--replay)
 * ------------------------------------------------------------------------ */

struct lc_replay_opts {
	/* No pacing: send each '>' line as soon as all '<' data recorded
	 * before it has arrived.  Without it, each '>' line is sent at its
	 * recorded time whatever has arrived. */
	int fast;
	/* Missing data is given up on idle_ms after it was due (its recorded
	 * time, or the last byte sent or received if later).  Each write may
	 * take as long (at least 1 s).  Default 2000. */
	int64_t idle_ms;
	/* Once everything is sent and matched, watch for extra data this
	 * long (paced: after the recorded end of the session).  Default 500;
	 * 0 stops at once.  A peer that closes ends the wait early. */
	int64_t tail_ms;
	/* --ignore: where the data differs inside a line, the line is
	 * compared whole (up to LC_REPLAY_LINE_MAX bytes, LF included) with
	 * every part that one of these matches left out on both sides; the
	 * difference counts only if the lines still differ.  Compiled with
	 * lc_ignore_compile(); the caller owns them. */
	const regex_t *ignore;
	size_t nignore;
};

#define LC_REPLAY_LINE_MAX	4096	/* bytes of a line --ignore compares */
#define LC_IGNORE_MAX		16	/* --ignore patterns */

/* Compile an --ignore pattern (POSIX ERE with \r \n \t, checked like a
 * script's ~/.../: no back-references, no stacked or deeply nested
 * repetitions, and it must not match the empty string).  0, or -1 with e
 * filled: "--ignore PATTERN: why" (EINVAL).  Free rx with regfree(). */
int lc_ignore_compile(const char *pattern, regex_t *rx, struct sk_err *e);

/* Defaults as documented above. */
void lc_replay_opts_init(struct lc_replay_opts *o);

/*
 * Replay t over io: send the '>' data, compare everything received with
 * the '<' data as one byte stream (chunk boundaries may differ), and write
 * one "replay: ..." line to report (may be NULL) on the first difference:
 *   replay: differs at transcript line 12, byte 3: expected "...", got "..."
 * (byte is the 0-based offset into that line's data; the quoted text starts
 * up to 16 bytes before the difference), "peer sent less than recorded"
 * (end of file, or nothing for idle_ms) or "peer sent more than recorded".
 * '*' lines are not compared: a peer that stays open where the recorded
 * one closed passes.  With o->ignore, a difference inside a line is
 * looked at again as described there.  Memory use does not depend on what the peer sends.
 * Returns LC_EXIT_OK if identical, LC_EXIT_NOREPLY on a difference,
 * LC_EXIT_NET on a read or write error ("replay: read: ...").  io->write
 * must not raise SIGPIPE; io->echo, if set, sees received data.
 */
int lc_replay_run(const struct lc_transcript *t, const struct lc_io *io,
    const struct lc_replay_opts *o, FILE *report);

#endif
