/*
 * TLS client over a connected TCP socket (linechat/tls.h).
 *
 * OpenSSL talks to the socket through a BIO of our own rather than
 * BIO_s_socket: the stock one writes with write(2), which raises SIGPIPE
 * on a reset peer, and it loses errno before SSL_get_error() is asked.
 * Ours sends with MSG_NOSIGNAL and keeps the socket's errno in the
 * connection.  Each connection owns its SSL_CTX and BIO_METHOD, so there
 * is no shared state to set up or tear down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/fd.h"
#include "linechat/tls.h"

/* Longest DNS name (RFC 1035) plus room for an IPv6 literal's zone. */
#define NAME_MAX_LEN	256
#define ERRSTR_LEN	160

struct lc_tls {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO_METHOD *meth;
	int want;		/* POLLIN or POLLOUT after EAGAIN */
	int sock_errno;		/* errno of the BIO's last failed call */
	int tcp_eof;		/* recv() returned 0 */
	int eof;		/* reads return 0 from now on */
	int unexpected_eof;	/* ... and it came without close_notify */
	int dead;		/* errno for every call after a fatal error */
	int sent_close;		/* our close_notify is out */
	int insecure;
	int ip_literal;
	long verify;		/* SSL_get_verify_result after handshake */
	char name[NAME_MAX_LEN];	/* what was verified, for messages */
	char errstr[ERRSTR_LEN];
};

/* ===== socket BIO ===================================================== */

static int
bio_write(BIO *b, const char *buf, size_t n, size_t *done)
{
	struct lc_tls *t = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	do
		r = send(t->fd, buf, n, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			BIO_set_retry_write(b);
		else
			t->sock_errno = errno;
		return 0;
	}
	*done = (size_t)r;
	return 1;
}

static int
bio_read(BIO *b, char *buf, size_t n, size_t *done)
{
	struct lc_tls *t = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	do
		r = recv(t->fd, buf, n, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			BIO_set_retry_read(b);
		else
			t->sock_errno = errno;
		return 0;
	}
	if (r == 0) {
		/* OpenSSL asks BIO_eof() to tell a truncation from an error. */
		t->tcp_eof = 1;
		return 0;
	}
	*done = (size_t)r;
	return 1;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct lc_tls *t = BIO_get_data(b);

	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;	/* send() keeps nothing back */
	case BIO_CTRL_EOF:
		return t->tcp_eof;
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = t->fd;
		return t->fd;
	default:
		return 0;
	}
}

static BIO *
socket_bio(struct lc_tls *t)
{
	BIO *b;

	/* BIO_TYPE_SOCKET so that SSL_get_fd() finds the descriptor. */
	t->meth = BIO_meth_new(BIO_TYPE_SOCKET, "linechat socket");
	if (t->meth == NULL || !BIO_meth_set_write_ex(t->meth, bio_write) ||
	    !BIO_meth_set_read_ex(t->meth, bio_read) ||
	    !BIO_meth_set_ctrl(t->meth, bio_ctrl))
		return NULL;
	if ((b = BIO_new(t->meth)) == NULL)
		return NULL;
	BIO_set_data(b, t);
	BIO_set_init(b, 1);
	return b;
}

/* ===== errors ========================================================= */

/* The first (root-cause) error on OpenSSL's queue, then clear it. */
static const char *
ossl_reason(char *buf, size_t len)
{
	unsigned long code = ERR_peek_error();
	const char *s;

	if (code == 0)
		snprintf(buf, len, "unknown error");
	else if (ERR_SYSTEM_ERROR(code))
		snprintf(buf, len, "%s", strerror(ERR_GET_REASON(code)));
	else if ((s = ERR_reason_error_string(code)) != NULL)
		snprintf(buf, len, "%s", s);
	else
		ERR_error_string_n(code, buf, len);
	ERR_clear_error();
	return buf;
}

static int
queue_has_unexpected_eof(void)
{
	unsigned long code = ERR_peek_error();

	return ERR_GET_LIB(code) == ERR_LIB_SSL &&
	    ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

static ssize_t
fatal(struct lc_tls *t, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Remember a fatal error: OpenSSL's state is unusable after one. */
static ssize_t
fatal(struct lc_tls *t, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->errstr, sizeof(t->errstr), fmt, ap);
	va_end(ap);
	t->dead = code;
	errno = code;
	return -1;
}

/*
 * Turn a failed SSL_read_ex/SSL_write_ex/SSL_shutdown into the tls.h
 * contract: EAGAIN with want set, 0 for EOF (reads), or a fatal errno.
 */
static ssize_t
io_fail(struct lc_tls *t, int ret, int reading, const char *what)
{
	char why[ERRSTR_LEN];
	int err = SSL_get_error(t->ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		t->want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		t->want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		if (reading) {
			t->eof = 1;
			return 0;
		}
		return fatal(t, EPIPE, "%s: peer closed the TLS session", what);
	case SSL_ERROR_SYSCALL:
		if (t->sock_errno != 0) {
			ERR_clear_error();
			return fatal(t, t->sock_errno, "%s: %s", what,
			    strerror(t->sock_errno));
		}
		break;		/* EOF without close_notify */
	case SSL_ERROR_SSL:
		if (queue_has_unexpected_eof())
			break;
		return fatal(t, EPROTO, "%s: %s", what,
		    ossl_reason(why, sizeof(why)));
	default:
		return fatal(t, EPROTO, "%s: OpenSSL error %d", what, err);
	}
	ERR_clear_error();
	/*
	 * The TCP stream ended without close_notify.  Most servers do that
	 * and users expect plain EOF; the flag lets the tool mention it.
	 * Writing is over either way: OpenSSL treats this as fatal.
	 */
	t->unexpected_eof = 1;
	fatal(t, EPIPE, "%s: connection closed without TLS close_notify", what);
	if (reading) {
		t->eof = 1;
		return 0;
	}
	return -1;
}

/* ===== handshake ====================================================== */

/* Copy host into t->name without a trailing dot or IPv6 zone and note
 * whether it is an address literal. */
static int
set_name(struct lc_tls *t, const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];
	size_t n;
	char *p;

	n = strlen(host);
	if (n == 0 || n >= sizeof(t->name))
		return -1;
	memcpy(t->name, host, n + 1);
	if ((p = strchr(t->name, '%')) != NULL && strchr(t->name, ':') != NULL)
		*p = '\0';
	else if (n > 1 && t->name[n - 1] == '.')
		t->name[n - 1] = '\0';
	t->ip_literal = inet_pton(AF_INET, t->name, addr) == 1 ||
	    inet_pton(AF_INET6, t->name, addr) == 1;
	return 0;
}

static SSL_CTX *
make_ctx(const struct lc_tls_opts *o, struct sk_err *e)
{
	char why[ERRSTR_LEN];
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		sk_err_set(e, ENOMEM, "TLS: %s", ossl_reason(why, sizeof(why)));
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		goto fail;
	/* Partial writes make lc_tls_write behave like write(2). */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
	    NULL);
	if (o->ca_file != NULL) {
		if (access(o->ca_file, R_OK) != 0) {
			sk_err_set(e, EINVAL, "CA file %s: %s", o->ca_file,
			    strerror(errno));
			goto end;
		}
		if (!SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL)) {
			sk_err_set(e, EINVAL, "CA file %s: %s", o->ca_file,
			    ossl_reason(why, sizeof(why)));
			goto end;
		}
	} else if (!SSL_CTX_set_default_verify_paths(ctx))
		goto fail;
	return ctx;
fail:
	sk_err_set(e, EPROTO, "TLS setup: %s", ossl_reason(why, sizeof(why)));
end:
	SSL_CTX_free(ctx);
	return NULL;
}

/* SNI and the name the certificate must carry. */
static int
set_peer_name(struct lc_tls *t, struct sk_err *e)
{
	char why[ERRSTR_LEN];

	if (t->name[0] == '\0')
		return 0;
	if (t->ip_literal) {
		/* RFC 6066: no SNI for addresses; match the IP SAN. */
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
		    t->name))
			goto fail;
		return 0;
	}
	SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (!SSL_set_tlsext_host_name(t->ssl, t->name) ||
	    !SSL_set1_host(t->ssl, t->name))
		goto fail;
	return 0;
fail:
	return sk_err_set(e, EINVAL, "TLS server name %s: %s", t->name,
	    ossl_reason(why, sizeof(why)));
}

/* Why SSL_connect failed, as one message naming the peer. */
static int
handshake_error(struct lc_tls *t, int ret, struct sk_err *e)
{
	char why[ERRSTR_LEN];
	const char *peer = t->name[0] != '\0' ? t->name : "server";
	long v;

	switch (SSL_get_error(t->ssl, ret)) {
	case SSL_ERROR_SYSCALL:
		if (t->sock_errno != 0) {
			ERR_clear_error();
			return sk_err_set(e, t->sock_errno,
			    "TLS handshake with %s: %s", peer,
			    strerror(t->sock_errno));
		}
		break;
	case SSL_ERROR_SSL:
		if (queue_has_unexpected_eof())
			break;
		v = SSL_get_verify_result(t->ssl);
		if (!t->insecure && v != X509_V_OK) {
			ERR_clear_error();
			return sk_err_set(e, EPROTO, "TLS handshake with %s: "
			    "certificate verify failed: %s", peer,
			    X509_verify_cert_error_string(v));
		}
		return sk_err_set(e, EPROTO, "TLS handshake with %s: %s", peer,
		    ossl_reason(why, sizeof(why)));
	case SSL_ERROR_ZERO_RETURN:
		break;
	default:
		return sk_err_set(e, EPROTO, "TLS handshake with %s: %s", peer,
		    ossl_reason(why, sizeof(why)));
	}
	ERR_clear_error();
	return sk_err_set(e, ECONNRESET, "TLS handshake with %s: connection "
	    "closed by peer (not a TLS server?)", peer);
}

static int
handshake(struct lc_tls *t, int64_t deadline, struct sk_err *e)
{
	const char *peer = t->name[0] != '\0' ? t->name : "server";
	int r, w;

	for (;;) {
		ERR_clear_error();
		t->sock_errno = 0;
		if ((r = SSL_connect(t->ssl)) == 1)
			return 0;
		switch (SSL_get_error(t->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			w = sk_wait(t->fd, POLLIN, deadline, e);
			break;
		case SSL_ERROR_WANT_WRITE:
			w = sk_wait(t->fd, POLLOUT, deadline, e);
			break;
		default:
			return handshake_error(t, r, e);
		}
		if (w == 0)
			return sk_err_set(e, ETIMEDOUT,
			    "TLS handshake with %s: timed out", peer);
		if (w < 0)
			return -1;
		/* POLLERR/POLLHUP: the next SSL_connect reports it. */
	}
}

struct lc_tls *
lc_tls_client(int fd, const char *sni_host, const struct lc_tls_opts *o,
    int64_t deadline, struct sk_err *e)
{
	static const struct lc_tls_opts defaults;
	struct lc_tls *t;
	BIO *b;

	if (o == NULL)
		o = &defaults;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		sk_err_sys(e, "TLS");
		return NULL;
	}
	t->fd = fd;
	t->insecure = o->insecure;
	if (sni_host != NULL && set_name(t, sni_host) < 0) {
		sk_err_set(e, EINVAL, "TLS server name %.64s: empty or longer "
		    "than %zu bytes", sni_host, sizeof(t->name) - 1);
		goto fail;
	}
	if (sk_fd_nonblock(fd, 1, e) == -1)
		goto fail;
	if ((t->ctx = make_ctx(o, e)) == NULL)
		goto fail;
	if ((t->ssl = SSL_new(t->ctx)) == NULL ||
	    (b = socket_bio(t)) == NULL) {
		sk_err_set(e, ENOMEM, "TLS: out of memory");
		goto fail;
	}
	SSL_set_bio(t->ssl, b, b);
	if (set_peer_name(t, e) < 0)
		goto fail;
	SSL_set_connect_state(t->ssl);
	if (handshake(t, deadline, e) < 0)
		goto fail;
	t->verify = SSL_get_verify_result(t->ssl);
	return t;
fail:
	lc_tls_free(t);
	return NULL;
}

void
lc_tls_free(struct lc_tls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);	/* frees the BIO */
	SSL_CTX_free(t->ctx);
	BIO_meth_free(t->meth);
	free(t);
}

int
lc_tls_fd(const struct lc_tls *t)
{
	return t->fd;
}

/* ===== I/O ============================================================ */

ssize_t
lc_tls_read(struct lc_tls *t, void *buf, size_t n)
{
	size_t got;
	int r;

	if (t->eof)
		return 0;
	if (t->dead) {
		errno = t->dead;
		return -1;
	}
	if (n == 0)
		return 0;
	ERR_clear_error();
	t->sock_errno = 0;
	if ((r = SSL_read_ex(t->ssl, buf, n, &got)) == 1)
		return (ssize_t)got;
	return io_fail(t, r, 1, "TLS read");
}

ssize_t
lc_tls_write(struct lc_tls *t, const void *buf, size_t n)
{
	size_t done;
	int r;

	if (t->dead) {
		errno = t->dead;
		return -1;
	}
	if (t->sent_close)
		return fatal(t, EPIPE, "TLS write: after close_notify");
	if (n == 0)
		return 0;
	ERR_clear_error();
	t->sock_errno = 0;
	if ((r = SSL_write_ex(t->ssl, buf, n, &done)) == 1)
		return (ssize_t)done;
	return io_fail(t, r, 0, "TLS write");
}

int
lc_tls_want(const struct lc_tls *t)
{
	return t->want != 0 ? t->want : POLLIN;
}

size_t
lc_tls_pending(const struct lc_tls *t)
{
	int n = SSL_pending(t->ssl);

	return n > 0 ? (size_t)n : 0;
}

int
lc_tls_eof_unexpected(const struct lc_tls *t)
{
	return t->unexpected_eof;
}

const char *
lc_tls_errstr(const struct lc_tls *t)
{
	return t->errstr;
}

int
lc_tls_shutdown(struct lc_tls *t, int64_t deadline)
{
	struct sk_err e;
	int r, w;

	if (t->dead) {
		errno = t->dead;
		return -1;
	}
	/* A second SSL_shutdown would wait for the peer's close_notify,
	 * discarding application data on the way. */
	if (t->sent_close)
		return 0;
	for (;;) {
		ERR_clear_error();
		t->sock_errno = 0;
		if ((r = SSL_shutdown(t->ssl)) >= 0) {
			t->sent_close = 1;
			return 0;
		}
		if (io_fail(t, r, 0, "TLS shutdown") == 0 || errno != EAGAIN)
			return -1;
		w = sk_wait(t->fd, (short)t->want, deadline, &e);
		if (w == 0) {
			errno = ETIMEDOUT;
			snprintf(t->errstr, sizeof(t->errstr),
			    "TLS shutdown: timed out");
			return -1;
		}
		if (w < 0) {
			snprintf(t->errstr, sizeof(t->errstr), "TLS shutdown: "
			    "%.140s", e.msg);
			errno = e.code;
			return -1;
		}
	}
}

/* ===== describe ======================================================= */

struct out {
	char *buf;
	size_t len, off;	/* off counts everything, written or not */
};

static void
put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->off < o->len ? o->buf + o->off : NULL,
	    o->off < o->len ? o->len - o->off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off += (size_t)n;
}

/* A certificate name in one line; RFC 2253 string flags escape control
 * and non-ASCII bytes, which come from the peer. */
static void
put_name(struct out *o, const char *key, const X509_NAME *name)
{
	char tmp[512];
	BIO *m;
	int n = -1;

	if ((m = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(m, name, 0, XN_FLAG_ONELINE) >= 0)
		n = BIO_read(m, tmp, sizeof(tmp) - 1);
	BIO_free(m);
	if (n < 0)
		n = 0;
	tmp[n] = '\0';
	put(o, "%s: %s\n", key, n > 0 ? tmp : "(empty)");
}

static void
put_expiry(struct out *o, const ASN1_TIME *na)
{
	struct tm tm;
	char when[64];
	int days, secs;

	if (na == NULL || !ASN1_TIME_to_tm(na, &tm) ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		put(o, "expires: (unreadable)\n");
		return;
	}
	if (!ASN1_TIME_diff(&days, &secs, NULL, na))
		put(o, "expires: %s\n", when);
	else if (days < 0 || secs < 0)
		put(o, "expires: %s (EXPIRED %d day%s ago)\n", when, -days,
		    days == -1 ? "" : "s");
	else
		put(o, "expires: %s (in %d day%s)\n", when, days,
		    days == 1 ? "" : "s");
}

int
lc_tls_describe(const struct lc_tls *t, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
	X509 *cert = SSL_get0_peer_certificate(t->ssl);
	const char *vs = X509_verify_cert_error_string(t->verify);

	if (len > 0)
		buf[0] = '\0';
	put(&o, "protocol: %s, cipher %s\n", SSL_get_version(t->ssl),
	    c != NULL ? SSL_CIPHER_get_name(c) : "(none)");
	if (cert == NULL)
		put(&o, "certificate: none\n");
	else {
		put_name(&o, "subject", X509_get_subject_name(cert));
		put_name(&o, "issuer", X509_get_issuer_name(cert));
		put_expiry(&o, X509_get0_notAfter(cert));
	}
	if (t->verify != X509_V_OK)
		put(&o, "verify: FAILED, ignored (insecure): %s\n", vs);
	else if (t->insecure)
		put(&o, "verify: ok (not enforced)\n");
	else if (t->name[0] != '\0')
		put(&o, "verify: ok, certificate matches %s\n", t->name);
	else
		put(&o, "verify: ok (chain only, no name checked)\n");
	return o.off > (size_t)INT32_MAX ? INT32_MAX : (int)o.off;
}
