/*
 * sockkit/vis.h — make untrusted bytes visible: the one escaper for log
 * lines, terminal display, transcripts and JSON string bodies, and the one
 * UTF-8 validator.
 *
 * By default printable ASCII (0x20-0x7e) passes, a backslash becomes \\
 * and every other byte \xNN (lower-case hex).  Flags change single rules;
 * the SK_VIS_LOG, SK_VIS_TERM, SK_VIS_TRANSCRIPT and SK_VIS_JSON sets are
 * the modes the tools use.
 */
#ifndef SOCKKIT_VIS_H
#define SOCKKIT_VIS_H

#include <stddef.h>

#define SK_VIS_C	0x0001	/* NUL CR LF TAB as \0 \r \n \t, not \xNN */
#define SK_VIS_DQUOTE	0x0002	/* '"' as \" (text shown inside quotes) */
#define SK_VIS_SPACE	0x0004	/* ' ' as \x20 (a space would end a field) */
#define SK_VIS_RAWBS	0x0008	/* '\' as is: text shown as its author wrote it */
#define SK_VIS_NL	0x0010	/* LF as is (terminal) */
#define SK_VIS_TAB	0x0020	/* TAB as is (terminal) */
#define SK_VIS_CRLF	0x0040	/* the CR of a CR LF pair dropped */
#define SK_VIS_UTF8	0x0080	/* valid UTF-8 as is, but C1 controls
				   (U+0080-U+009F) escaped byte by byte */
#define SK_VIS_HILITE	0x0100	/* escapes in ANSI reverse video, so they
				   cannot pass for text the peer sent */
#define SK_VIS_JSON	0x0200	/* a JSON string body (RFC 8259): \" \\ \b \f
				   \n \r \t, \u00XX, valid UTF-8 and DEL as
				   is, other bytes as \udcXX; the flags above
				   are ignored */
#define SK_VIS_ELLIPSIS	0x0400	/* output cut short ends in "..." */
#define SK_VIS_MORE	0x0800	/* src was cut from longer data: end in
				   "..." even if all of it fits */

/* Log lines: one line, safe inside "", cut with "...". */
#define SK_VIS_LOG	(SK_VIS_DQUOTE | SK_VIS_ELLIPSIS)
/* A terminal: lines, tabs and UTF-8 text as they are, CR LF as a line
 * end; NUL and a lone CR as \0 and \r, other controls as \xNN. */
#define SK_VIS_TERM	(SK_VIS_C | SK_VIS_RAWBS | SK_VIS_NL | SK_VIS_TAB | \
			 SK_VIS_CRLF | SK_VIS_UTF8)
/* linechat transcripts: reversible, one line per event. */
#define SK_VIS_TRANSCRIPT SK_VIS_C

/* Room that holds any n bytes escaped, with the NUL, without SK_VIS_JSON
 * (6 bytes per input byte) or SK_VIS_HILITE (12). */
#define SK_VIS_SIZE(n)	(4 * (size_t)(n) + 1)

/*
 * Write src[0..n) made visible per flags into dst (size bytes; NUL-
 * terminated when size > 0).  An escape or UTF-8 character is never cut:
 * if not all fits, the output stops before the first that does not (with
 * SK_VIS_ELLIPSIS, early enough for "..." to fit too).  Returns the output
 * length; *used (may be NULL) gets the input bytes shown, less than n when
 * the output was cut.  Never fails.
 */
size_t sk_vis(char *dst, size_t size, const void *src, size_t n, int flags,
    size_t *used);

/*
 * Length (1 to 4) of the well-formed UTF-8 sequence at s[0..n), n > 0
 * (Unicode Table 3-7: no overlong forms, no surrogates, nothing past
 * U+10FFFF); 0 if none starts there; -1 if the n bytes are the start of
 * one that more bytes could complete.
 */
int sk_utf8_len(const void *s, size_t n);

#endif
