/*
 * sk-smtpd — the smallest SMTP server that can STARTTLS, for the linechat
 * CLI tests.  Plaintext: 220 greeting, EHLO (advertises STARTTLS), NOOP,
 * QUIT, STARTTLS; after the upgrade NOOP answers "250 2.0.0 OK over TLS".
 *   sk-smtpd PORT CERT.pem KEY.pem        (serves until killed)
 * Every read has a 10 s deadline; lines are bounded.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"
#include "sockkit/listen.h"

static void
say(int fd, SSL *ssl, const char *s)
{
	if (ssl != NULL)
		SSL_write(ssl, s, (int)strlen(s));
	else
		sk_write_all(fd, s, strlen(s), sk_deadline_in(10000), NULL, NULL);
}

/* One line over TLS, byte by byte (this is a test fixture, not fast). */
static int
tls_line(SSL *ssl, char *buf, size_t len)
{
	size_t n = 0;
	char c;

	while (n + 1 < len && SSL_read(ssl, &c, 1) == 1) {
		if (c == '\n')
			break;
		if (c != '\r')
			buf[n++] = c;
	}
	buf[n] = '\0';
	return n > 0 || c == '\n' ? 0 : -1;
}

static void
session(int fd, SSL_CTX *ctx)
{
	struct sk_line_reader r;
	struct sk_line l;
	char buf[1024], line[1024];
	SSL *ssl = NULL;

	say(fd, NULL, "220 sk-smtpd ESMTP test\r\n");
	sk_line_init(&r, fd, buf, sizeof(buf), sizeof(buf) - 2, NULL);
	for (;;) {
		if (ssl == NULL) {
			if (sk_line_read(&r, &l, sk_deadline_in(10000), NULL) !=
			    SK_LINE_OK)
				break;
			snprintf(line, sizeof(line), "%.*s", (int)l.len, l.data);
		} else if (tls_line(ssl, line, sizeof(line)) == -1) {
			break;
		}
		if (strncasecmp(line, "EHLO", 4) == 0) {
			say(fd, ssl, ssl ? "250-sk-smtpd\r\n250 PIPELINING\r\n" :
			    "250-sk-smtpd\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
		} else if (strcasecmp(line, "STARTTLS") == 0 && ssl == NULL) {
			say(fd, NULL, "220 2.0.0 Ready to start TLS\r\n");
			ssl = SSL_new(ctx);
			SSL_set_fd(ssl, fd);
			if (SSL_accept(ssl) != 1) {
				ERR_print_errors_fp(stderr);
				break;
			}
		} else if (strcasecmp(line, "NOOP") == 0) {
			say(fd, ssl, ssl ? "250 2.0.0 OK over TLS\r\n" :
			    "250 2.0.0 OK\r\n");
		} else if (strcasecmp(line, "QUIT") == 0) {
			say(fd, ssl, "221 2.0.0 bye\r\n");
			break;
		} else {
			say(fd, ssl, "500 5.5.2 what?\r\n");
		}
	}
	if (ssl != NULL) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	close(fd);
}

int
main(int argc, char **argv)
{
	struct sk_err e;
	SSL_CTX *ctx;
	int lfd, fd;

	if (argc != 4)
		errx(2, "usage: sk-smtpd PORT CERT KEY");
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 3;
	}
	lfd = sk_listen("127.0.0.1", argv[1], 8, &e);
	if (lfd == -1)
		errx(3, "%s", e.msg);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			session(fd, ctx);
	}
}
