/*
 * linechat/script_int.h — the parsed form of a chat script, shared by the
 * parser (script.c) and the engine (script_run.c) and by nothing else.
 */
#ifndef LINECHAT_SCRIPT_INT_H
#define LINECHAT_SCRIPT_INT_H

#include <regex.h>
#include <stddef.h>

#define STR_NOEOL	0x01	/* send ended in \c */
#define STR_QUIET	0x02	/* \q: verbose output hides it */

/* A sleep (\d, \p) before byte off of a send string. */
struct lc_pause {
	size_t off;
	int ms;
};

/* A script string with its escapes done. */
struct lc_str {
	char *b;		/* bytes (may hold NUL); NUL-terminated too */
	size_t n;
	char *src;		/* as written, for messages */
	char *rx;		/* expect written ~/.../: its ERE for regcomp */
	struct lc_pause *pause;
	size_t npause;
	unsigned flags;
};

enum lc_op {
	LC_OP_EXPECT,		/* s[0] expect, s[1] sub-send, s[2] ... */
	LC_OP_SEND,
	LC_OP_ABORT,
	LC_OP_CLR_ABORT,
	LC_OP_REPORT,
	LC_OP_CLR_REPORT,
	LC_OP_TIMEOUT,		/* num seconds */
	LC_OP_SAY,
	LC_OP_ECHO,		/* num 1 ON, 0 OFF */
	LC_OP_NOP		/* HANGUP: a modem's business */
};

struct lc_step {
	enum lc_op op;
	int num;
	struct lc_str *s;
	size_t ns;
};

struct lc_script {
	struct lc_step *step;
	size_t nstep, cap;
};

/*
 * Check the n-byte body of a ~/.../ and translate it into pat (room for
 * LC_SCRIPT_MAXSTR + 1 bytes) for lc_rx_compile().  Returns 0, or -1 with
 * msg filled and *bad the offset in body of the byte to blame.
 */
int lc_rx_prepare(const char *body, size_t n, char *pat, size_t *bad,
    char *msg, size_t msglen);

/*
 * Compile rx (REG_EXTENDED | REG_NEWLINE) into full, and into pre as
 * "^(.|\n)*(rx)", a filter that tells in one pass whether full matches
 * anywhere (glibc tries full at every start: quadratic).  Returns 0, or
 * the regcomp error with its text in err; nothing to free then.
 */
int lc_rx_compile(const char *rx, regex_t *full, regex_t *pre, char *err,
    size_t errlen);

#endif
