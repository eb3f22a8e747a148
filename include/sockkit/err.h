/*
 * sockkit/err.h — caller-owned error reports.
 *
 * Every fallible libsockkit call takes a struct sk_err * (NULL allowed) and,
 * on failure, returns -1 (or NULL) after filling it with a one-line human
 * message that names what failed and why, e.g.
 *   "connect to 198.18.0.2:43: Connection refused".
 * The library never prints and never exits.
 */
#ifndef SOCKKIT_ERR_H
#define SOCKKIT_ERR_H

#include <stdarg.h>

#define SK_ERR_MSGLEN 256

/*
 * What kind of failure an error is.  The kind, not the errno, decides the
 * exit code (sk_err_exitcode()) and the "status" word tools print.
 */
enum sk_err_kind {
	SK_ERR_NONE = 0,	/* no error */
	SK_ERR_INPUT,		/* bad input: malformed, out of range, unknown
				   service, no such file given as argument */
	SK_ERR_NOTFOUND,	/* the name does not exist (EAI_NONAME, NXDOMAIN) */
	SK_ERR_NODATA,		/* the name exists, with no data of the asked
				   kind (EAI_NODATA, EAI_ADDRFAMILY, NODATA) */
	SK_ERR_REFUSED,		/* the peer refused (RST, ICMP port unreachable) */
	SK_ERR_NETWORK,		/* unreachable, prohibited, reset, network down */
	SK_ERR_TIMEOUT,		/* a deadline passed */
	SK_ERR_TEMPFAIL,	/* temporary failure, worth retrying (EAI_AGAIN,
				   SERVFAIL) */
	SK_ERR_PERMFAIL,	/* a service failed for good (EAI_FAIL) */
	SK_ERR_SYSTEM		/* a system call or resource failed */
};
#define SK_ERR_NKINDS (SK_ERR_SYSTEM + 1)

/* The suite's exit codes (DESIGN.md); 4 and up are tool-specific. */
#define SK_EXIT_OK	0	/* success */
#define SK_EXIT_NEGATIVE 1	/* the question got a negative answer */
#define SK_EXIT_USAGE	2	/* usage error or bad input */
#define SK_EXIT_FAIL	3	/* the job could not be done */

/*
 * kind says what sort of failure it is; code is the errno value that
 * explains it (EINVAL, ETIMEDOUT, ECONNREFUSED, ...) or 0; gai is the
 * getaddrinfo(3)/getnameinfo(3) code (EAI_NONAME, ...) when a name lookup
 * failed, else 0.
 */
struct sk_err {
	enum sk_err_kind kind;
	int code;
	int gai;
	char msg[SK_ERR_MSGLEN];
};

/* Clear e (kind SK_ERR_NONE, codes 0, empty message).  e may be NULL. */
void sk_err_clear(struct sk_err *e);

/* Fill e with code, the kind that errno value implies (sk_err_kind_of())
 * and a printf-style message; returns -1 so callers can write
 * `return sk_err_set(e, EINVAL, "port %s: not a number", s);`.
 * Messages longer than SK_ERR_MSGLEN-1 end in "...".  e may be NULL. */
int sk_err_set(struct sk_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sk_err_vset(struct sk_err *e, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like sk_err_set() with an explicit kind, for failures whose errno does
 * not tell (an unknown host name is SK_ERR_NOTFOUND, not ENOENT's input
 * error).  Returns -1. */
int sk_err_kset(struct sk_err *e, enum sk_err_kind kind, int code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Like sk_err_set() with code = errno, appending ": strerror(errno)".
 * errno is preserved. */
int sk_err_sys(struct sk_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A getaddrinfo/getnameinfo failure rc (EAI_*): kind from rc (NONAME →
 * NOTFOUND, NODATA/ADDRFAMILY → NODATA, AGAIN → TEMPFAIL, FAIL → PERMFAIL,
 * SERVICE/BADFLAGS/FAMILY → INPUT, MEMORY/SYSTEM → SYSTEM), e->gai = rc,
 * message "<formatted>: <gai_strerror(rc)>".  Returns -1. */
int sk_err_gai(struct sk_err *e, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The kind an errno value implies: EINVAL, ERANGE, ENOENT... → INPUT,
 * ETIMEDOUT → TIMEOUT, ECONNREFUSED → REFUSED, ENETUNREACH, EHOSTUNREACH,
 * ECONNRESET... → NETWORK, EAGAIN → TEMPFAIL, 0 → NONE, else SYSTEM. */
enum sk_err_kind sk_err_kind_of(int code);

/* A short lower-case name for kind: "input", "not-found", "no-data",
 * "refused", "network", "timeout", "temp-fail", "perm-fail", "system",
 * "ok" for SK_ERR_NONE; "unknown" for values out of range. */
const char *sk_err_kind_str(enum sk_err_kind kind);

/*
 * The one kind → exit code table of the suite: SK_ERR_NONE → 0;
 * NOTFOUND, NODATA → 1 (a negative answer); INPUT → 2; everything else
 * (refused, network, timeout, temporary and permanent failures, system)
 * → 3.  A NULL e is 3.  Tools use this and document any override.
 */
int sk_err_exitcode(const struct sk_err *e);

#endif
