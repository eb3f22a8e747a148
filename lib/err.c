#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "sockkit/err.h"
#include "internal.h"

void
sk_err_clear(struct sk_err *e)
{
	if (e == NULL)
		return;
	e->kind = SK_ERR_NONE;
	e->code = 0;
	e->gai = 0;
	e->msg[0] = '\0';
}

static int
fill(struct sk_err *e, enum sk_err_kind kind, int code, int gai,
    const char *fmt, va_list ap)
{
	int n;

	if (e == NULL)
		return -1;
	e->kind = kind;
	e->code = code;
	e->gai = gai;
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	/* A cut message must say so rather than end mid-word silently. */
	if (n >= (int)sizeof(e->msg))
		memcpy(e->msg + sizeof(e->msg) - 4, "...", 4);
	return -1;
}

int
sk_err_vset(struct sk_err *e, int code, const char *fmt, va_list ap)
{
	return fill(e, sk_err_kind_of(code), code, 0, fmt, ap);
}

int
sk_err_set(struct sk_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(e, sk_err_kind_of(code), code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
sk_err_kset(struct sk_err *e, enum sk_err_kind kind, int code,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(e, kind, code, 0, fmt, ap);
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

static enum sk_err_kind
gai_kind(int rc)
{
	switch (rc) {
	case EAI_NONAME:
		return SK_ERR_NOTFOUND;
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		return SK_ERR_NODATA;
	case EAI_AGAIN:
		return SK_ERR_TEMPFAIL;
	case EAI_FAIL:
		return SK_ERR_PERMFAIL;
	case EAI_SERVICE:
	case EAI_BADFLAGS:
	case EAI_FAMILY:
	case EAI_SOCKTYPE:
	case EAI_OVERFLOW:
		return SK_ERR_INPUT;
	default:
		return SK_ERR_SYSTEM;
	}
}

int
sk_err_gai(struct sk_err *e, int rc, const char *fmt, ...)
{
	int saved = errno;
	char what[SK_ERR_MSGLEN];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (rc == EAI_SYSTEM) {
		errno = saved;
		sk_err_sys(e, "%s", what);
		e->gai = rc;
		return -1;
	}
	sk_err_kset(e, gai_kind(rc), 0, "%s: %s", what, gai_strerror(rc));
	e->gai = rc;
	return -1;
}

enum sk_err_kind
sk_err_kind_of(int code)
{
	switch (code) {
	case 0:
		return SK_ERR_NONE;
	case EINVAL:
	case ERANGE:
	case E2BIG:
	case ENAMETOOLONG:
	case ENOENT:
	case ENOTDIR:
	case EISDIR:
	case EILSEQ:
	case EAFNOSUPPORT:
	case EDOM:
		return SK_ERR_INPUT;
	case ETIMEDOUT:
		return SK_ERR_TIMEOUT;
	case ECONNREFUSED:
		return SK_ERR_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case ECONNRESET:
	case ECONNABORTED:
	case ENONET:
	case EPROTO:
		return SK_ERR_NETWORK;
	case EAGAIN:
		return SK_ERR_TEMPFAIL;
	default:
		return SK_ERR_SYSTEM;
	}
}

static const char *const kind_names[SK_ERR_NKINDS] = {
	[SK_ERR_NONE] = "ok",
	[SK_ERR_INPUT] = "input",
	[SK_ERR_NOTFOUND] = "not-found",
	[SK_ERR_NODATA] = "no-data",
	[SK_ERR_REFUSED] = "refused",
	[SK_ERR_NETWORK] = "network",
	[SK_ERR_TIMEOUT] = "timeout",
	[SK_ERR_TEMPFAIL] = "temp-fail",
	[SK_ERR_PERMFAIL] = "perm-fail",
	[SK_ERR_SYSTEM] = "system",
};

const char *
sk_err_kind_str(enum sk_err_kind kind)
{
	if ((unsigned)kind >= SK_ARRAY_LEN(kind_names))
		return "unknown";
	return kind_names[kind];
}

int
sk_err_exitcode(const struct sk_err *e)
{
	if (e == NULL)
		return SK_EXIT_FAIL;
	switch (e->kind) {
	case SK_ERR_NONE:
		return SK_EXIT_OK;
	case SK_ERR_NOTFOUND:
	case SK_ERR_NODATA:
		return SK_EXIT_NEGATIVE;
	case SK_ERR_INPUT:
		return SK_EXIT_USAGE;
	default:
		return SK_EXIT_FAIL;
	}
}
