/*
 * STARTTLS dialogues for SMTP (RFC 3207), IMAP (RFC 3501) and POP3
 * (RFC 2595), up to the TLS handshake (linechat/starttls.h).
 *
 * The reply lines come through sk_line_read, which reads in chunks.
 * Nothing is lost by that: after the go-ahead the server must wait for
 * our ClientHello, so any byte already buffered is either a broken
 * server or someone injecting plaintext that would otherwise pass for
 * part of the protected session (the CVE-2011-0411 family).  We refuse it.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"
#include "sockkit/vis.h"
#include "linechat/starttls.h"

/* Reply lines per reply: a bound for servers that never stop continuing. */
#define MAX_REPLY_LINES	1000
/* Server text quoted in messages; sk_err cuts at SK_ERR_MSGLEN anyway. */
#define QUOTE_MAX	120
/* How long the LF of a reply's CRLF may lag behind its CR. */
#define LF_WAIT_MS	500

const char *const lc_starttls_protos[] = { "smtp", "imap", "pop3", NULL };

struct dialogue {
	struct sk_line_reader r;
	struct sk_line l;	/* the last line read */
	const char *proto, *host;
	int fd;
	int64_t deadline;
	FILE *trace;
	struct sk_err *e;
};

static void
trace(struct dialogue *d, char dir, const char *s, size_t n)
{
	char buf[LC_STARTTLS_MAXLINE * 4 + 8];

	if (d->trace == NULL)
		return;
	/* Control and non-ASCII bytes as \xHH: the text is the peer's. */
	sk_vis(buf, sizeof(buf), s, n, SK_VIS_ELLIPSIS, NULL);
	fprintf(d->trace, "%c %s\n", dir, buf);
	fflush(d->trace);
}

static int
fail(struct dialogue *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "starttls PROTO with HOST: ..."; the arguments may point into d->e. */
static int
fail(struct dialogue *d, int code, const char *fmt, ...)
{
	char what[SK_ERR_MSGLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sk_err_set(d->e, code, "starttls %s with %s: %s", d->proto,
	    d->host, what);
}

/* Fail quoting the server's last line: "...: server refused: 454 ...". */
static int
fail_line(struct dialogue *d, const char *what)
{
	char q[QUOTE_MAX];

	sk_vis(q, sizeof(q), d->l.data, d->l.len, SK_VIS_ELLIPSIS, NULL);
	return fail(d, EPROTO, "%s: %s", what, q);
}

static int
send_cmd(struct dialogue *d, const char *cmd)
{
	size_t n = strlen(cmd);

	trace(d, '>', cmd, n - 2);	/* without the CRLF */
	if (sk_write_all(d->fd, cmd, n, d->deadline, NULL, d->e) == 0)
		return 0;
	return fail(d, d->e != NULL ? d->e->code : EIO, "sending %.*s: %s",
	    (int)(n - 2), cmd, d->e != NULL ? d->e->msg : "error");
}

/* One reply line into d->l; what names the reply in messages. */
static int
get_line(struct dialogue *d, const char *what)
{
	enum sk_line_status st;

	st = sk_line_read(&d->r, &d->l, d->deadline, d->e);
	switch (st) {
	case SK_LINE_OK:
		trace(d, '<', d->l.data, d->l.len);
		return 0;
	case SK_LINE_TOO_LONG:
		return fail(d, EPROTO, "%s: line longer than %d bytes", what,
		    LC_STARTTLS_MAXLINE);
	case SK_LINE_EOF:
		if (d->l.len > 0)
			trace(d, '<', d->l.data, d->l.len);
		return fail(d, ECONNRESET, "connection closed while waiting "
		    "for %s", what);
	case SK_LINE_TIMEOUT:
		return fail(d, ETIMEDOUT, "timed out waiting for %s", what);
	case SK_LINE_ERROR:
	default:
		return fail(d, d->e != NULL ? d->e->code : EIO,
		    "reading %s: %s", what, d->e != NULL ? d->e->msg : "error");
	}
}

static int
has_prefix(const struct sk_line *l, const char *p)
{
	size_t n = strlen(p);

	return l->len >= n && strncasecmp(l->data, p, n) == 0;
}

/*
 * The last reply is in: the socket must now be at the start of the
 * server's TLS stream.  A CR that ended the line at the end of the data
 * may still have its LF in flight; take that LF, nothing else.  A server
 * that ends lines with a bare CR gets LF_WAIT_MS, not the whole deadline.
 */
static int
check_nothing_follows(struct dialogue *d)
{
	const char *inj = "server sent data after STARTTLS reply: possible "
	    "injection";
	int64_t until = sk_deadline_in(LF_WAIT_MS);
	char c;

	if (sk_line_pending(&d->r) != 0)
		return fail(d, EPROTO, "%s", inj);
	if (d->l.eol != SK_EOL_CR)
		return 0;
	if (sk_wait(d->fd, POLLIN, until < d->deadline ? until : d->deadline,
	    NULL) <= 0)
		return 0;	/* no LF coming, or an error the handshake sees */
	if (recv(d->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 1 && c != '\n')
		return fail(d, EPROTO, "%s", inj);
	if (recv(d->fd, &c, 1, MSG_DONTWAIT) < 0 && errno != EAGAIN)
		return fail(d, errno, "reading after STARTTLS reply: %s",
		    strerror(errno));
	return 0;
}

/* ===== SMTP =========================================================== */

/*
 * Read a (multi-line) SMTP reply and check its code.  "250-STARTTLS"
 * continuation lines set *tls if tls is not NULL.
 */
static int
smtp_reply(struct dialogue *d, const char *code, const char *what, int *tls)
{
	const char *p;
	int i;

	for (i = 0; i < MAX_REPLY_LINES; i++) {
		if (get_line(d, what) < 0)
			return -1;
		p = d->l.data;
		if (d->l.len < 3 || !isdigit((unsigned char)p[0]) ||
		    !isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]) ||
		    (d->l.len > 3 && p[3] != '-' && p[3] != ' '))
			return fail_line(d, "malformed SMTP reply");
		if (memcmp(p, code, 3) != 0)
			return fail_line(d, "server refused");
		if (tls != NULL && d->l.len >= 12 &&
		    strncasecmp(p + 4, "STARTTLS", 8) == 0 &&
		    (d->l.len == 12 || p[12] == ' '))
			*tls = 1;
		if (d->l.len == 3 || p[3] == ' ')
			return 0;
	}
	return fail(d, EPROTO, "reply of more than 1000 lines");
}

static int
smtp(struct dialogue *d)
{
	int tls = 0;

	if (smtp_reply(d, "220", "greeting", NULL) < 0 ||
	    send_cmd(d, "EHLO linechat.invalid\r\n") < 0 ||
	    smtp_reply(d, "250", "EHLO reply", &tls) < 0)
		return -1;
	if (!tls)
		return fail(d, EPROTO, "server does not offer STARTTLS");
	if (send_cmd(d, "STARTTLS\r\n") < 0 ||
	    smtp_reply(d, "220", "STARTTLS reply", NULL) < 0)
		return -1;
	return 0;
}

/* ===== IMAP =========================================================== */

static int
imap(struct dialogue *d)
{
	int i;

	if (get_line(d, "greeting") < 0)
		return -1;
	if (has_prefix(&d->l, "* PREAUTH"))
		return fail_line(d, "already authenticated, STARTTLS not "
		    "allowed");
	if (!has_prefix(&d->l, "* OK"))
		return fail_line(d, "server refused");
	if (send_cmd(d, "a001 STARTTLS\r\n") < 0)
		return -1;
	/* Untagged lines (capabilities, alerts) may come before ours. */
	for (i = 0; i < MAX_REPLY_LINES; i++) {
		if (get_line(d, "STARTTLS reply") < 0)
			return -1;
		if (has_prefix(&d->l, "* "))
			continue;
		if (has_prefix(&d->l, "a001 OK"))
			return 0;
		if (has_prefix(&d->l, "a001 "))
			return fail_line(d, "server refused");
		return fail_line(d, "unexpected IMAP reply");
	}
	return fail(d, EPROTO, "reply of more than 1000 lines");
}

/* ===== POP3 =========================================================== */

static int
pop3(struct dialogue *d)
{
	if (get_line(d, "greeting") < 0)
		return -1;
	if (!has_prefix(&d->l, "+OK"))
		return fail_line(d, "server refused");
	if (send_cmd(d, "STLS\r\n") < 0 || get_line(d, "STLS reply") < 0)
		return -1;
	if (!has_prefix(&d->l, "+OK"))
		return fail_line(d, "server refused");
	return 0;
}

/* ===== entry ========================================================== */

/* In the order of lc_starttls_protos. */
static int (*const dialogues[])(struct dialogue *) = { smtp, imap, pop3 };

_Static_assert(sizeof(dialogues) / sizeof(dialogues[0]) + 1 ==
    sizeof(lc_starttls_protos) / sizeof(lc_starttls_protos[0]),
    "one dialogue per protocol name");

int
lc_starttls(int fd, const char *proto, const char *host, int64_t deadline,
    FILE *trace_fp, struct sk_err *e)
{
	char buf[LC_STARTTLS_MAXLINE + 1], names[64];
	struct dialogue d;
	size_t n;
	int i;

	for (i = 0; proto != NULL && lc_starttls_protos[i] != NULL; i++)
		if (strcasecmp(proto, lc_starttls_protos[i]) == 0)
			break;
	if (proto == NULL || lc_starttls_protos[i] == NULL) {
		for (i = 0, n = 0; lc_starttls_protos[i] != NULL &&
		    n < sizeof(names); i++)
			n += snprintf(names + n, sizeof(names) - n, "%s%s",
			    i > 0 ? ", " : "", lc_starttls_protos[i]);
		return sk_err_set(e, EINVAL, "starttls %s: unknown protocol "
		    "(%s)", proto != NULL ? proto : "(null)", names);
	}
	memset(&d, 0, sizeof(d));
	d.proto = lc_starttls_protos[i];
	d.host = host != NULL ? host : "server";
	d.fd = fd;
	d.deadline = deadline;
	d.trace = trace_fp;
	d.e = e;
	/* One byte more than the longest line: the reader needs no more,
	 * and every byte it holds beyond the reply is checked anyway. */
	if (sk_line_init(&d.r, fd, buf, sizeof(buf), LC_STARTTLS_MAXLINE,
	    e) < 0)
		return -1;
	if (dialogues[i](&d) < 0)
		return -1;
	return check_nothing_follows(&d);
}
