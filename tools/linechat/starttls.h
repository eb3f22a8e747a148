/*
 * linechat/starttls.h — the plaintext dialogue that upgrades an SMTP,
 * IMAP or POP3 connection to TLS, up to the point where the TLS
 * handshake (lc_tls_client) starts.
 */
#ifndef LINECHAT_STARTTLS_H
#define LINECHAT_STARTTLS_H

#include <stdint.h>
#include <stdio.h>

struct sk_err;

/* Protocols lc_starttls knows, for --help and messages; ends in NULL. */
extern const char *const lc_starttls_protos[];

/* Longest reply line accepted from the server, terminator excluded. */
#define LC_STARTTLS_MAXLINE	4096

/*
 * Run proto's upgrade dialogue on the connected socket fd: read the
 * greeting, ask for TLS (SMTP: EHLO, and STARTTLS must be advertised),
 * and check the go-ahead.  Every read and write ends by deadline.  Bytes
 * are read no further than the go-ahead line: data after it is refused as
 * a possible injection, so the socket is left exactly at the start of the
 * server's TLS stream.  Each line exchanged goes to trace (NULL: none),
 * prefixed "< " or "> ", control bytes escaped.  host only names the
 * server in messages.  Returns 0, or -1 with e filled: EINVAL for an
 * unknown proto, EPROTO for a refusal or unexpected reply (the server's
 * line is quoted), ETIMEDOUT, or a socket error.
 */
int lc_starttls(int fd, const char *proto, const char *host, int64_t deadline,
    FILE *trace, struct sk_err *e);

#endif
