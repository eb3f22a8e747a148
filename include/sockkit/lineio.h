/*
 * sockkit/lineio.h — bounded line reading and deadline-bound writing.
 *
 * The reader never holds more than the caller's buffer: a line longer than
 * the bound is reported (SK_LINE_TOO_LONG), never silently cut or grown.
 * Line ends: LF, CRLF and a bare CR all end a line.  A CR that is the last
 * byte received ends the line at once (a peer may wait for our answer) and
 * an LF arriving right after it is swallowed, so CRLF split across reads is
 * still one line end.  NUL bytes stay in the line and are flagged.
 */
#ifndef SOCKKIT_LINEIO_H
#define SOCKKIT_LINEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sk_err;

enum sk_line_status {
	SK_LINE_OK = 0,		/* a whole line, terminator stripped */
	SK_LINE_TOO_LONG,	/* maxline bytes without a terminator */
	SK_LINE_EOF,		/* peer closed; view holds any partial line */
	SK_LINE_TIMEOUT,	/* deadline passed; partial data kept */
	SK_LINE_ERROR		/* read error; e filled */
};

enum sk_eol { SK_EOL_NONE = 0, SK_EOL_LF, SK_EOL_CRLF, SK_EOL_CR };

/* Caller-owned reader state; treat fields as private. */
struct sk_line_reader {
	int fd;
	char *buf;
	size_t cap;		/* size of buf */
	size_t maxline;		/* longest line accepted, without terminator */
	size_t start, end;	/* unread bytes are buf[start..end) */
	size_t scanned;		/* bytes past start known to hold no EOL */
	int skip_lf;		/* last line ended in CR at end of data */
	int discarding;		/* dropping the rest of a too-long line */
	int eof;
	int is_sock;		/* -1 unknown, 0 no, 1 yes */
};

/* One line as returned: data points into the reader's buffer and stays
 * valid until the next call on the same reader. */
struct sk_line {
	const char *data;
	size_t len;		/* bytes, terminator excluded, NULs included */
	enum sk_eol eol;	/* how the line ended */
	int has_nul;		/* data contains at least one NUL byte */
};

/*
 * Set up r to read lines of at most maxline bytes from fd into buf
 * (bufsize bytes, owned by the caller).  bufsize must exceed maxline;
 * a bigger buffer means fewer read(2) calls (64 KiB is a good size).
 * Returns 0, or -1 with EINVAL if the sizes are unusable.  fd may be
 * blocking or not, a socket, pipe, tty or file.
 */
int sk_line_init(struct sk_line_reader *r, int fd, char *buf, size_t bufsize,
    size_t maxline, struct sk_err *e);

/*
 * Read the next line, waiting at most until deadline (deadline.h: SK_NOW
 * takes only what has arrived, as a readiness-driven caller wants;
 * SK_NEVER waits for a line).
 * SK_LINE_OK: *out is the line.  SK_LINE_TOO_LONG: *out holds the first
 * maxline bytes; the rest of that line is skipped by the next call, which
 * returns the line after it.  SK_LINE_EOF: *out holds the unterminated
 * tail (len may be 0).  SK_LINE_TIMEOUT: nothing consumed; call again to
 * go on.  SK_LINE_ERROR: e says why.
 */
enum sk_line_status sk_line_read(struct sk_line_reader *r, struct sk_line *out,
    int64_t deadline, struct sk_err *e);

/* Bytes received but not yet returned as lines (for protocol switches
 * such as STARTTLS, and for callers that need to drain the buffer). */
size_t sk_line_pending(const struct sk_line_reader *r);

/* Human name of a status ("ok", "line too long", "eof", ...). */
const char *sk_line_status_str(enum sk_line_status s);

/*
 * Write all len bytes of buf to fd before deadline (SK_NOW: what fits
 * without waiting; SK_NEVER: no limit), handling short writes, EINTR and
 * EAGAIN.  A closed peer is EPIPE, never SIGPIPE: sockets
 * use MSG_NOSIGNAL; for pipes SIGPIPE is blocked for the call and any
 * pending one is consumed.  On a blocking non-socket fd writes go in
 * PIPE_BUF chunks after poll so the deadline holds.  *done (may be NULL)
 * gets the bytes written either way.  Returns 0, or -1 (ETIMEDOUT, EPIPE,
 * ...) with e filled.
 */
int sk_write_all(int fd, const void *buf, size_t len, int64_t deadline,
    size_t *done, struct sk_err *e);

#endif
