/*
 * sockkit/err.h — caller-owned error reports.
 *
 * Every fallible libsockkit call takes a struct sk_err * (NULL allowed) and,
 * on failure, returns -1 (or NULL) after filling it with a one-line human
 * message that names what failed and why, e.g.
 *   "connect to 198.18.0.2 port 43: Connection refused".
 * The library never prints and never exits.
 */
#ifndef SOCKKIT_ERR_H
#define SOCKKIT_ERR_H

#include <stdarg.h>

#define SK_ERR_MSGLEN 256

/*
 * code is an errno value that explains the failure (EINVAL for bad input,
 * ETIMEDOUT for a passed deadline, ECONNREFUSED, ...), or 0 for none.
 * For name lookups that fail, code is ENOENT ("no such host/service").
 */
struct sk_err {
	int code;
	char msg[SK_ERR_MSGLEN];
};

/* Clear e (code 0, empty message).  e may be NULL. */
void sk_err_clear(struct sk_err *e);

/* Fill e with code and a printf-style message; returns -1 so callers can
 * write `return sk_err_set(e, EINVAL, "port %s: not a number", s);`.
 * Messages longer than SK_ERR_MSGLEN-1 end in "...".  e may be NULL. */
int sk_err_set(struct sk_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sk_err_vset(struct sk_err *e, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like sk_err_set() with code = errno, appending ": strerror(errno)". */
int sk_err_sys(struct sk_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Map e->code to the suite's exit code convention (DESIGN.md): 1 for a
 * negative answer (ECONNREFUSED, ENOENT), 2 for bad input (EINVAL,
 * ERANGE), 3 for everything else (system and network errors, timeouts). */
int sk_err_exitcode(const struct sk_err *e);

#endif
