/*
 * linechat's TLS client and STARTTLS dialogues (tools/linechat/tls.c,
 * starttls.c) against servers forked by the tests: an OpenSSL server with
 * a throwaway CA and certificate made by the openssl CLI, and small fake
 * SMTP, IMAP and POP3 servers that upgrade to it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "linechat/starttls.h"
#include "linechat/tls.h"
#include "linechat/conn.h"

/* Deadline-bound I/O goes through struct lc_conn, as in the tool. */
static ssize_t
tls_read_wait(struct lc_tls *t, void *buf, size_t n, int64_t deadline)
{
	struct lc_conn c;

	if (lc_conn_init(&c, lc_tls_fd(t), 0, NULL) == -1)
		return -1;
	c.tls = t;
	return lc_conn_read_wait(&c, buf, n, deadline);
}

static int
tls_write_all(struct lc_tls *t, const void *buf, size_t n, int64_t deadline)
{
	struct lc_conn c;

	if (lc_conn_init(&c, lc_tls_fd(t), 0, NULL) == -1)
		return -1;
	c.tls = t;
	return lc_conn_write_all(&c, buf, n, deadline);
}
#include "unit.h"

/*
 * The CA and server certificate are made once per test case, in the
 * runner's process (an unchecked fixture), so the directory is removed
 * even when a test fails in its forked child.
 */
static char certdir[64];

static void
make_certs(void)
{
	char cmd[1024];

	snprintf(certdir, sizeof(certdir), "/tmp/sk-tls-XXXXXX");
	if (mkdtemp(certdir) == NULL) {
		certdir[0] = '\0';
		return;
	}
	snprintf(cmd, sizeof(cmd), "cd %s && { "
	    "openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
	    "-subj '/CN=sockkit test CA' -keyout ca.key -out ca.pem && "
	    "openssl req -x509 -CA ca.pem -CAkey ca.key "
	    "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
	    "-subj /CN=localhost "
	    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
	    "-addext basicConstraints=critical,CA:FALSE "
	    "-keyout srv.key -out srv.pem; } >/dev/null 2>&1", certdir);
	if (system(cmd) != 0)
		certdir[0] = '\0';
}

static void
remove_certs(void)
{
	static const char *const files[] = { "ca.key", "ca.pem", "srv.key",
	    "srv.pem", NULL };
	char path[128];
	int i;

	if (certdir[0] == '\0')
		return;
	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", certdir, files[i]);
		unlink(path);
	}
	rmdir(certdir);
}

static const char *
cert_path(const char *name, char *buf, size_t len)
{
	ck_assert_msg(certdir[0] != '\0', "openssl CLI could not make certs");
	snprintf(buf, len, "%s/%s", certdir, name);
	return buf;
}

/* ===== forked servers ================================================= */

enum srv_mode {
	SRV_ECHO,		/* TLS, echo until close_notify, answer it */
	SRV_TRUNCATE,		/* TLS, "bye\n", close without notify */
	SRV_SILENT,		/* accept, never speak */
	SRV_SMTP,		/* SMTP STARTTLS, then SRV_ECHO */
	SRV_SMTP_SPLIT_CRLF,	/* ... the 220's CR, LF in two segments */
	SRV_SMTP_REFUSE,	/* 454 to STARTTLS */
	SRV_SMTP_INJECT,	/* a command right after the 220 */
	SRV_SMTP_NO_TLS,	/* EHLO reply without STARTTLS */
	SRV_IMAP,
	SRV_POP3
};

struct server {
	pid_t pid;
	int port;
};

static void
say(int c, const char *s)
{
	size_t n = strlen(s);

	if (write(c, s, n) != (ssize_t)n)
		_exit(10);
}

/* One plaintext line, a byte at a time: the server must not read into
 * the client's ClientHello. */
static void
hear(int c, const char *want)
{
	char line[256];
	size_t n = 0;
	char ch;

	while (n < sizeof(line) - 1) {
		if (read(c, &ch, 1) != 1)
			_exit(11);
		if (ch == '\n')
			break;
		line[n++] = ch;
	}
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	if (strncmp(line, want, strlen(want)) != 0)
		_exit(12);
}

/* Wait for the client to close (it decides when the test is over). */
static void
drain(int c)
{
	char buf[256];

	while (read(c, buf, sizeof(buf)) > 0)
		;
}

static void
tls_serve(int c, enum srv_mode m)
{
	char crt[128], key[128], buf[4096];
	SSL_CTX *ctx;
	SSL *ssl;
	size_t n, done;
	int r;

	snprintf(crt, sizeof(crt), "%s/srv.pem", certdir);
	snprintf(key, sizeof(key), "%s/srv.key", certdir);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, c) != 1)
		_exit(20);
	if (SSL_accept(ssl) != 1)
		_exit(21);	/* the client refused us (some tests) */
	if (m == SRV_TRUNCATE) {
		SSL_write_ex(ssl, "bye\n", 4, &done);
		_exit(0);	/* no close_notify */
	}
	while ((r = SSL_read_ex(ssl, buf, sizeof(buf), &n)) == 1)
		if (SSL_write_ex(ssl, buf, n, &done) != 1)
			_exit(22);
	if (SSL_get_error(ssl, r) != SSL_ERROR_ZERO_RETURN)
		_exit(23);
	SSL_shutdown(ssl);
	_exit(0);
}

static void
serve(int lfd, enum srv_mode m)
{
	int c;

	/* Never outlive a test that forgot us. */
	alarm(10);
	if ((c = accept(lfd, NULL, NULL)) < 0)
		_exit(1);
	close(lfd);
	switch (m) {
	case SRV_ECHO:
	case SRV_TRUNCATE:
		tls_serve(c, m);
		break;
	case SRV_SILENT:
		drain(c);
		_exit(0);
	case SRV_IMAP:
		say(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS] fake ready\r\n");
		hear(c, "a001 STARTTLS");
		say(c, "* NOTE untagged line first\r\na001 OK Begin TLS\r\n");
		tls_serve(c, SRV_ECHO);
		break;
	case SRV_POP3:
		say(c, "+OK fake POP3\r\n");
		hear(c, "STLS");
		say(c, "+OK Begin TLS\r\n");
		tls_serve(c, SRV_ECHO);
		break;
	default:
		break;
	}
	/* SMTP variants. */
	say(c, "220-fake.test ESMTP\r\n220 ready\r\n");
	hear(c, "EHLO ");
	if (m == SRV_SMTP_NO_TLS) {
		say(c, "250-fake.test\r\n250 PIPELINING\r\n");
		drain(c);
		_exit(0);
	}
	say(c, "250-fake.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
	hear(c, "STARTTLS");
	switch (m) {
	case SRV_SMTP_REFUSE:
		say(c, "454 4.7.0 TLS not available\r\n");
		drain(c);
		_exit(0);
	case SRV_SMTP_INJECT:
		say(c, "220 go ahead\r\nRSET\r\n");
		drain(c);
		_exit(0);
	case SRV_SMTP_SPLIT_CRLF:
		say(c, "220 go ahead\r");
		usleep(50 * 1000);
		say(c, "\n");
		break;
	default:
		say(c, "220 go ahead\r\n");
		break;
	}
	tls_serve(c, SRV_ECHO);
}

static void
server_start(struct server *s, enum srv_mode m)
{
	int lfd = ut_listener(AF_INET, &s->port);

	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0)
		serve(lfd, m);
	close(lfd);
}

/* Reap the server; its exit status, or -1 if it had to be killed. */
static int
server_stop(struct server *s)
{
	int64_t until = sk_deadline_in(3000);
	int status;

	while (waitpid(s->pid, &status, WNOHANG) == 0) {
		if (sk_deadline_passed(until)) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
			return -1;
		}
		usleep(5 * 1000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
tcp_connect(int port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Start a server in mode m and handshake with it as name; NULL with e
 * filled on failure.  Hand *fd and s to finish() afterwards. */
static struct lc_tls *
tls_to(struct server *s, enum srv_mode m, int *fd, const char *name,
    int use_ca, int insecure, int64_t deadline, struct sk_err *e)
{
	char ca[128];
	struct lc_tls_opts o = { .insecure = insecure };

	if (use_ca)
		o.ca_file = cert_path("ca.pem", ca, sizeof(ca));
	server_start(s, m);
	*fd = tcp_connect(s->port);
	return lc_tls_client(*fd, name, &o, deadline, e);
}

/* Close our side (politely if t) and reap the server: its exit status. */
static int
finish(struct lc_tls *t, int fd, struct server *s)
{
	if (t != NULL) {
		lc_tls_shutdown(t, sk_deadline_in(1000));
		lc_tls_free(t);
	}
	close(fd);
	return server_stop(s);
}

/* Send line, read the same bytes back. */
static void
assert_echo(struct lc_tls *t, const char *line)
{
	char buf[256];
	size_t n = strlen(line), got = 0;
	ssize_t r;

	ck_assert_int_eq(tls_write_all(t, line, n, sk_deadline_in(2000)), 0);
	while (got < n) {
		r = tls_read_wait(t, buf + got, sizeof(buf) - got,
		    sk_deadline_in(2000));
		ck_assert_msg(r > 0, "read %zd: %s", r, strerror(errno));
		got += (size_t)r;
	}
	ck_assert_uint_eq(got, n);
	ck_assert(memcmp(buf, line, n) == 0);
}

/* ===== handshake and verification ===================================== */

/* Names the certificate carries: a DNS SAN (sent as SNI) and an IP SAN. */
static const char *const good_names[] = { "localhost", "127.0.0.1" };

START_TEST(tls_handshake_verifies_name_with_ca_file)
{
	struct sk_err e;
	struct server s;
	struct lc_tls *t;
	char d[1024], want[128];
	int fd;

	t = tls_to(&s, SRV_ECHO, &fd, good_names[_i], 1, 0,
	    sk_deadline_in(3000), &e);
	ck_assert_msg(t != NULL, "case %d: %s", _i, e.msg);
	ck_assert_int_eq(lc_tls_fd(t), fd);
	assert_echo(t, "hello\r\n");
	lc_tls_describe(t, d, sizeof(d));
	snprintf(want, sizeof(want), "\nverify: ok, certificate matches %s\n",
	    good_names[_i]);
	ck_assert_msg(strstr(d, want) != NULL, "case %d: %s", _i, d);
	ck_assert_int_eq(finish(t, fd, &s), 0);
}
END_TEST

static const struct {
	const char *name;
	int use_ca;
	const char *reason;
} bad_certs[] = {
	/* The system store does not know the throwaway CA. */
	{ "localhost", 0, "unable to get local issuer certificate" },
	{ "wronghost.invalid", 1, "hostname mismatch" },
	{ "127.0.0.2", 1, "IP address mismatch" },
};

START_TEST(tls_verify_failure_names_host_and_reason)
{
	struct sk_err e;
	struct server s;
	char want[160];
	int fd;

	ck_assert_ptr_null(tls_to(&s, SRV_ECHO, &fd, bad_certs[_i].name,
	    bad_certs[_i].use_ca, 0, sk_deadline_in(3000), &e));
	snprintf(want, sizeof(want), "TLS handshake with %s: certificate "
	    "verify failed: %s", bad_certs[_i].name, bad_certs[_i].reason);
	ck_assert_msg(strcmp(e.msg, want) == 0, "case %d: %s", _i, e.msg);
	ck_assert_int_eq(e.code, EPROTO);
	finish(NULL, fd, &s);
}
END_TEST

START_TEST(tls_insecure_connects_and_describe_reports_failure)
{
	struct sk_err e;
	struct server s;
	struct lc_tls *t;
	char d[1024];
	int fd;

	t = tls_to(&s, SRV_ECHO, &fd, "wronghost.invalid", 0, 1,
	    sk_deadline_in(3000), &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	assert_echo(t, "insecure\n");
	lc_tls_describe(t, d, sizeof(d));
	ck_assert_msg(strstr(d, "\nverify: FAILED, ignored (insecure): ") !=
	    NULL, "%s", d);
	ck_assert_int_eq(finish(t, fd, &s), 0);
}
END_TEST

START_TEST(tls_unreadable_ca_file_is_bad_input)
{
	struct sk_err e;
	struct lc_tls_opts o = { .ca_file = "/nonexistent/ca.pem" };
	int fd[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
	ck_assert_ptr_null(lc_tls_client(fd[0], "localhost", &o,
	    sk_deadline_in(1000), &e));
	ck_assert_int_eq(e.code, EINVAL);
	ck_assert_str_eq(e.msg, "CA file /nonexistent/ca.pem: "
	    "No such file or directory");
	close(fd[0]);
	close(fd[1]);
}
END_TEST

START_TEST(tls_handshake_with_silent_server_honours_deadline)
{
	struct sk_err e;
	struct server s;
	int64_t t0 = sk_now_ms(), ms;
	int fd;

	ck_assert_ptr_null(tls_to(&s, SRV_SILENT, &fd, "localhost", 1, 0,
	    t0 + 300, &e));
	ms = sk_now_ms() - t0;
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_str_eq(e.msg, "TLS handshake with localhost: timed out");
	ck_assert_msg(ms >= 290 && ms <= 450, "gave up after %lld ms",
	    (long long)ms);
	ck_assert_int_eq(finish(NULL, fd, &s), 0);
}
END_TEST

START_TEST(tls_plaintext_server_is_a_handshake_error)
{
	struct sk_err e;
	struct server s;
	int fd;

	/* An SMTP server answering a ClientHello with its greeting. */
	ck_assert_ptr_null(tls_to(&s, SRV_SMTP, &fd, "localhost", 1, 0,
	    sk_deadline_in(2000), &e));
	ck_assert_int_eq(e.code, EPROTO);
	ck_assert_msg(strstr(e.msg, "TLS handshake with localhost: ") == e.msg,
	    "%s", e.msg);
	finish(NULL, fd, &s);
}
END_TEST

/* ===== I/O ============================================================ */

START_TEST(tls_nonblocking_read_says_what_to_wait_for)
{
	struct sk_err e;
	struct server s;
	struct lc_tls *t;
	struct pollfd p;
	char buf[64];
	ssize_t r;
	int fd;

	t = tls_to(&s, SRV_ECHO, &fd, "localhost", 1, 0, sk_deadline_in(3000),
	    &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	p.fd = fd;
	p.events = POLLIN;
	/* Nothing sent yet: only session tickets, if anything, to read. */
	do
		r = lc_tls_read(t, buf, sizeof(buf));
	while (r < 0 && errno == EAGAIN && poll(&p, 1, 50) > 0);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(lc_tls_want(t), POLLIN);
	ck_assert_uint_eq(lc_tls_pending(t), 0);

	ck_assert_int_eq(lc_tls_write(t, "abcdef\n", 7), 7);
	/* Read part of the record: the rest is pending, the socket quiet. */
	do
		r = lc_tls_read(t, buf, 2);
	while (r < 0 && errno == EAGAIN && poll(&p, 1, 2000) == 1);
	ck_assert_int_eq(r, 2);
	ck_assert(memcmp(buf, "ab", 2) == 0);
	ck_assert_uint_eq(lc_tls_pending(t), 5);
	ck_assert_int_eq(lc_tls_read(t, buf, sizeof(buf)), 5);
	ck_assert(memcmp(buf, "cdef\n", 5) == 0);
	ck_assert_int_eq(finish(t, fd, &s), 0);
}
END_TEST

START_TEST(tls_half_close_still_reads_reply_then_clean_eof)
{
	struct sk_err e;
	struct server s;
	struct lc_tls *t;
	char buf[64];
	int fd;

	t = tls_to(&s, SRV_ECHO, &fd, "localhost", 1, 0, sk_deadline_in(3000),
	    &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_int_eq(tls_write_all(t, "last\n", 5, sk_deadline_in(1000)),
	    0);
	ck_assert_int_eq(lc_tls_shutdown(t, sk_deadline_in(1000)), 0);
	ck_assert_int_eq(lc_tls_shutdown(t, sk_deadline_in(1000)), 0);
	ck_assert_int_eq(tls_read_wait(t, buf, sizeof(buf),
	    sk_deadline_in(2000)), 5);
	ck_assert(memcmp(buf, "last\n", 5) == 0);
	ck_assert_int_eq(tls_read_wait(t, buf, sizeof(buf),
	    sk_deadline_in(2000)), 0);
	ck_assert_int_eq(lc_tls_eof_unexpected(t), 0);
	ck_assert_int_eq(lc_tls_write(t, "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(finish(t, fd, &s), 0);
}
END_TEST

START_TEST(tls_eof_without_close_notify_is_eof_but_flagged)
{
	struct sk_err e;
	struct server s;
	struct lc_tls *t;
	char buf[64];
	ssize_t r;
	int fd;

	t = tls_to(&s, SRV_TRUNCATE, &fd, "localhost", 1, 0,
	    sk_deadline_in(3000), &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_int_eq(tls_read_wait(t, buf, sizeof(buf),
	    sk_deadline_in(2000)), 4);
	r = tls_read_wait(t, buf, sizeof(buf), sk_deadline_in(2000));
	ck_assert_msg(r == 0, "read %zd: %s", r, lc_tls_errstr(t));
	ck_assert_int_eq(lc_tls_eof_unexpected(t), 1);
	ck_assert_int_eq(lc_tls_read(t, buf, sizeof(buf)), 0);
	ck_assert_int_eq(tls_write_all(t, "x", 1, sk_deadline_in(500)), -1);
	ck_assert_msg(strstr(lc_tls_errstr(t), "close_notify") != NULL, "%s",
	    lc_tls_errstr(t));
	ck_assert_int_eq(lc_tls_shutdown(t, sk_deadline_in(500)), -1);
	finish(t, fd, &s);
}
END_TEST

START_TEST(tls_describe_shows_protocol_cipher_names_expiry)
{
	struct sk_err e;
	struct server s;
	struct lc_tls *t;
	char d[1024], small[16];
	int fd, n;

	t = tls_to(&s, SRV_ECHO, &fd, "localhost", 1, 0, sk_deadline_in(3000),
	    &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	n = lc_tls_describe(t, d, sizeof(d));
	ck_assert_int_eq(n, (int)strlen(d));
	ck_assert_msg(strstr(d, "protocol: TLSv1.3, cipher TLS_") == d,
	    "%s", d);
	ck_assert_msg(strstr(d, "\nsubject: CN = localhost\n") != NULL,
	    "%s", d);
	ck_assert_msg(strstr(d, "\nissuer: CN = sockkit test CA\n") != NULL,
	    "%s", d);
	ck_assert_msg(strstr(d, "\nexpires: ") != NULL &&
	    strstr(d, " UTC (in ") != NULL, "%s", d);
	ck_assert_int_eq(d[n - 1], '\n');
	/* A short buffer gets a terminated prefix and the full length. */
	ck_assert_int_eq(lc_tls_describe(t, small, sizeof(small)), n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert(strncmp(small, d, sizeof(small) - 1) == 0);
	finish(t, fd, &s);
}
END_TEST

/* ===== STARTTLS ======================================================= */

/* Run the dialogue against a fresh server in mode m; the trace goes to
 * trace (size len).  Returns lc_starttls's result; *fd for the caller. */
static int
starttls_with(struct server *s, enum srv_mode m, const char *proto, int *fd,
    char *tr, size_t len, struct sk_err *e)
{
	FILE *fp = fmemopen(tr, len, "w");
	int r;

	ck_assert_ptr_nonnull(fp);
	server_start(s, m);
	*fd = tcp_connect(s->port);
	r = lc_starttls(*fd, proto, "localhost", sk_deadline_in(2000), fp, e);
	fclose(fp);
	return r;
}

/* After a successful dialogue the TLS session works end to end. */
static void
upgrade_and_echo(struct server *s, int fd)
{
	struct sk_err e;
	struct lc_tls *t;
	char ca[128];
	struct lc_tls_opts o = { 0 };

	o.ca_file = cert_path("ca.pem", ca, sizeof(ca));
	t = lc_tls_client(fd, "localhost", &o, sk_deadline_in(2000), &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	assert_echo(t, "NOOP\r\n");
	ck_assert_int_eq(finish(t, fd, s), 0);
}

START_TEST(starttls_smtp_upgrades_and_traces_the_dialogue)
{
	struct sk_err e;
	struct server s;
	char tr[2048];
	int fd;

	ck_assert_msg(starttls_with(&s, SRV_SMTP, "smtp", &fd, tr, sizeof(tr),
	    &e) == 0, "%s", e.msg);
	ck_assert_str_eq(tr,
	    "< 220-fake.test ESMTP\n"
	    "< 220 ready\n"
	    "> EHLO linechat.invalid\n"
	    "< 250-fake.test\n"
	    "< 250-PIPELINING\n"
	    "< 250 STARTTLS\n"
	    "> STARTTLS\n"
	    "< 220 go ahead\n");
	upgrade_and_echo(&s, fd);
}
END_TEST

START_TEST(starttls_smtp_waits_for_lf_split_from_its_cr)
{
	struct sk_err e;
	struct server s;
	char tr[2048];
	int fd;

	ck_assert_msg(starttls_with(&s, SRV_SMTP_SPLIT_CRLF, "smtp", &fd, tr,
	    sizeof(tr), &e) == 0, "%s", e.msg);
	upgrade_and_echo(&s, fd);
}
END_TEST

static const struct {
	enum srv_mode mode;
	const char *proto;
	const char *msg;	/* after "starttls PROTO with localhost: " */
} refusals[] = {
	{ SRV_SMTP_REFUSE, "smtp",
	  "server refused: 454 4.7.0 TLS not available" },
	{ SRV_SMTP_INJECT, "smtp",
	  "server sent data after STARTTLS reply: possible injection" },
	{ SRV_SMTP_NO_TLS, "smtp", "server does not offer STARTTLS" },
	/* POP3 spoken to an SMTP server: its greeting is the refusal. */
	{ SRV_SMTP, "pop3", "server refused: 220-fake.test ESMTP" },
};

START_TEST(starttls_refusal_or_injection_fails_quoting_server)
{
	struct sk_err e;
	struct server s;
	char tr[2048], want[256];
	int fd;

	ck_assert_int_eq(starttls_with(&s, refusals[_i].mode,
	    refusals[_i].proto, &fd, tr, sizeof(tr), &e), -1);
	snprintf(want, sizeof(want), "starttls %s with localhost: %s",
	    refusals[_i].proto, refusals[_i].msg);
	ck_assert_msg(strcmp(e.msg, want) == 0, "case %d: %s", _i, e.msg);
	ck_assert_int_eq(e.code, EPROTO);
	if (refusals[_i].mode == SRV_SMTP_NO_TLS)
		ck_assert(strstr(tr, "> STARTTLS") == NULL);
	finish(NULL, fd, &s);
}
END_TEST

START_TEST(starttls_imap_and_pop3_upgrade)
{
	struct sk_err e;
	struct server s;
	char tr[2048];
	int fd;

	ck_assert_msg(starttls_with(&s, SRV_IMAP, "imap", &fd, tr, sizeof(tr),
	    &e) == 0, "%s", e.msg);
	ck_assert_msg(strstr(tr, "> a001 STARTTLS\n< * NOTE untagged line "
	    "first\n< a001 OK Begin TLS\n") != NULL, "%s", tr);
	upgrade_and_echo(&s, fd);

	ck_assert_msg(starttls_with(&s, SRV_POP3, "POP3", &fd, tr, sizeof(tr),
	    &e) == 0, "%s", e.msg);
	ck_assert_str_eq(tr, "< +OK fake POP3\n> STLS\n< +OK Begin TLS\n");
	upgrade_and_echo(&s, fd);
}
END_TEST

START_TEST(starttls_silent_server_times_out_naming_the_step)
{
	struct sk_err e;
	struct server s;
	int fd;

	server_start(&s, SRV_SILENT);
	fd = tcp_connect(s.port);
	ck_assert_int_eq(lc_starttls(fd, "imap", "localhost",
	    sk_deadline_in(200), NULL, &e), -1);
	ck_assert_int_eq(e.code, ETIMEDOUT);
	ck_assert_str_eq(e.msg, "starttls imap with localhost: timed out "
	    "waiting for greeting");
	finish(NULL, fd, &s);
}
END_TEST

START_TEST(starttls_unknown_protocol_is_einval)
{
	struct sk_err e;
	int i;

	ck_assert_int_eq(lc_starttls(-1, "foo", "localhost", SK_NEVER, NULL,
	    &e), -1);
	ck_assert_int_eq(e.code, EINVAL);
	ck_assert_str_eq(e.msg,
	    "starttls foo: unknown protocol (smtp, imap, pop3)");
	for (i = 0; lc_starttls_protos[i] != NULL; i++)
		;
	ck_assert_int_eq(i, 3);
}
END_TEST

Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_add_unchecked_fixture(tc, make_certs, remove_certs);
	tcase_set_timeout(tc, 15);
	tcase_add_loop_test(tc, tls_handshake_verifies_name_with_ca_file, 0,
	    (int)(sizeof(good_names) / sizeof(good_names[0])));
	tcase_add_loop_test(tc, tls_verify_failure_names_host_and_reason, 0,
	    (int)(sizeof(bad_certs) / sizeof(bad_certs[0])));
	tcase_add_test(tc, tls_insecure_connects_and_describe_reports_failure);
	tcase_add_test(tc, tls_unreadable_ca_file_is_bad_input);
	tcase_add_test(tc, tls_handshake_with_silent_server_honours_deadline);
	tcase_add_test(tc, tls_plaintext_server_is_a_handshake_error);
	tcase_add_test(tc, tls_nonblocking_read_says_what_to_wait_for);
	tcase_add_test(tc, tls_half_close_still_reads_reply_then_clean_eof);
	tcase_add_test(tc, tls_eof_without_close_notify_is_eof_but_flagged);
	tcase_add_test(tc, tls_describe_shows_protocol_cipher_names_expiry);
	suite_add_tcase(s, tc);

	tc = tcase_create("starttls");
	tcase_add_unchecked_fixture(tc, make_certs, remove_certs);
	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, starttls_smtp_upgrades_and_traces_the_dialogue);
	tcase_add_test(tc, starttls_smtp_waits_for_lf_split_from_its_cr);
	tcase_add_loop_test(tc,
	    starttls_refusal_or_injection_fails_quoting_server, 0,
	    (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(tc, starttls_imap_and_pop3_upgrade);
	tcase_add_test(tc, starttls_silent_server_times_out_naming_the_step);
	tcase_add_test(tc, starttls_unknown_protocol_is_einval);
	suite_add_tcase(s, tc);
	return s;
}
