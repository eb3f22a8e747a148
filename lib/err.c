#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sockkit/err.h"

void
sk_err_clear(struct sk_err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int
sk_err_vset(struct sk_err *e, int code, const char *fmt, va_list ap)
{
	int n;

	if (e == NULL)
		return -1;
	e->code = code;
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	/* A cut message must say so rather than end mid-word silently. */
	if (n >= (int)sizeof(e->msg))
		memcpy(e->msg + sizeof(e->msg) - 4, "...", 4);
	return -1;
}

int
sk_err_set(struct sk_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sk_err_vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
sk_err_sys(struct sk_err *e, const char *fmt, ...)
{
	int saved = errno;
	char what[SK_ERR_MSGLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sk_err_set(e, saved, "%s: %s", what, strerror(saved));
	errno = saved;
	return -1;
}

int
sk_err_exitcode(const struct sk_err *e)
{
	if (e == NULL)
		return 3;
	switch (e->code) {
	case ECONNREFUSED:
	case ENOENT:
		return 1;
	case EINVAL:
	case ERANGE:
		return 2;
	default:
		return 3;
	}
}
