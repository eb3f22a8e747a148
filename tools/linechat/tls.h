/*
 * linechat/tls.h — TLS client over an already-connected TCP socket
 * (OpenSSL).  The handshake is bounded by a deadline; after it the
 * connection is driven non-blocking, like the socket itself, or through
 * the *_wait helpers for the deadline style of scripts and one-shots.
 */
#ifndef LINECHAT_TLS_H
#define LINECHAT_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sk_err;
struct lc_tls;

struct lc_tls_opts {
	int insecure;		/* handshake even if verification fails */
	const char *ca_file;	/* PEM CAs to trust instead of the system
				 * store; NULL: the system store */
};

/* ===== connection ===================================================== */

/*
 * Run a TLS (1.2 or later) client handshake on the connected TCP socket
 * fd, which is switched to non-blocking mode and stays so.  sni_host is
 * sent as SNI and the certificate must match it (DNS name, or IP address
 * for an IP literal, which is not sent as SNI); NULL checks the chain
 * only.  o may be NULL (verify against the system store).  Returns the
 * connection (free with lc_tls_free; fd stays the caller's), or NULL
 * with e filled: EPROTO for a handshake or verification failure
 * ("TLS handshake with HOST: certificate verify failed: REASON"),
 * ETIMEDOUT, ECONNRESET..., EINVAL for an unusable ca_file.
 */
struct lc_tls *lc_tls_client(int fd, const char *sni_host,
    const struct lc_tls_opts *o, int64_t deadline, struct sk_err *e);

/* Free t and its OpenSSL state without sending anything and without
 * closing the socket.  t may be NULL. */
void lc_tls_free(struct lc_tls *t);

/* The socket t runs over. */
int lc_tls_fd(const struct lc_tls *t);

/* ===== non-blocking I/O =============================================== */

/*
 * Read up to n decrypted bytes.  Returns > 0; 0 at EOF (the peer's
 * close_notify, or the TCP connection closing without one: see
 * lc_tls_eof_unexpected); -1 with errno EAGAIN when the call must be
 * repeated once the socket is ready for lc_tls_want(); -1 with EPROTO
 * (TLS error, see lc_tls_errstr) or a socket errno (ECONNRESET...).
 */
ssize_t lc_tls_read(struct lc_tls *t, void *buf, size_t n);

/*
 * Write up to n bytes (at least one record's worth, or all of a short
 * buffer).  Returns the bytes taken (> 0), or -1 with errno EAGAIN (wait
 * for lc_tls_want(), then call again with the same bytes: OpenSSL holds
 * the encrypted record), EPIPE/ECONNRESET, or EPROTO.  Never raises
 * SIGPIPE.
 */
ssize_t lc_tls_write(struct lc_tls *t, const void *buf, size_t n);

/* After EAGAIN: POLLIN or POLLOUT, what the last call waits for (a read
 * may need to write and a write to read). */
int lc_tls_want(const struct lc_tls *t);

/* Decrypted bytes buffered in t: read them before polling the socket,
 * which will not signal them.  (Read-ahead is off, so nothing else is
 * buffered beyond the socket's view.) */
size_t lc_tls_pending(const struct lc_tls *t);

/* Non-zero if EOF came without the peer's close_notify (a truncation an
 * attacker could cause; the tool may want to say so). */
int lc_tls_eof_unexpected(const struct lc_tls *t);

/* One line describing the last -1 from t's I/O calls ("TLS read:
 * decryption failed or bad record mac"), or "" if none. */
const char *lc_tls_errstr(const struct lc_tls *t);

/*
 * Send close_notify (our half-close), waiting at most until deadline for
 * the socket to take it; the peer's close_notify is not waited for, and
 * reading may go on.  Returns 0, or -1 with errno (ETIMEDOUT, EPIPE,
 * EPROTO after an earlier fatal error).
 */
int lc_tls_shutdown(struct lc_tls *t, int64_t deadline);

/* ===== deadline helpers (struct lc_io style) ========================== */

/* Waiting with a deadline is conn.h's job (lc_conn_read_wait,
 * lc_conn_write_all): one loop for plain and TLS connections. */

/* ===== reporting ====================================================== */

/*
 * Describe the session for -v, one "key: value" line each, every line
 * ending in '\n': protocol and cipher, certificate subject, issuer,
 * expiry (notAfter, with days left), verification result.  Names from the
 * certificate are escaped (no control bytes).  Returns the length of the
 * full text like snprintf(3); buf (len > 0) is always terminated.
 */
int lc_tls_describe(const struct lc_tls *t, char *buf, size_t len);

#endif
