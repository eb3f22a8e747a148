/*
 * inetd mode: the client's socket is stdin/stdout.  As in the source
 * text, refuse unless stdin is an internet socket, so that every
 * transaction can be logged with its peer (--stdio allows pipes/ttys for
 * testing).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/lineio.h"
#include "sockkit/listen.h"
#include "sockkit/log.h"
#include "query.h"
#include "whoisd.h"

/* After answering, read and drop what the client still sends (up to
 * this much, until the deadline) so that closing does not reset the
 * connection and destroy the answer in flight. */
#define DRAIN_MAX (64 * 1024)
#define DRAIN_MS 1000
#define REFUSE_READ_MS 300	/* a denied client's query: wait this long */

static void
drain(int fd, int64_t deadline)
{
	char junk[4096];
	size_t total = 0;
	ssize_t n;

	while (total < DRAIN_MAX && sk_wait(fd, POLLIN, deadline, NULL) > 0) {
		n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
}

int
wd_serve_inetd(struct whoisd *w, int in, int out)
{
	const struct whoisd_cfg *cfg = w->cfg;
	struct sk_line_reader r;
	struct sk_line line;
	struct sk_peer p;
	struct sk_err e;
	struct wd_q_buf ans;
	struct wd_txn t = { .t0 = sk_now_ms(), .matches = -1 };
	const struct sockaddr *peer = NULL;
	const char *eol;
	int64_t total, rdl;
	size_t sent = 0;
	char *buf;
	int st, sock, denied;

	if (sk_peer(in, &p, &e) == -1) {
		sk_log(&w->log, LOG_ERR, "stdin: %s", e.msg);
		return WHOISD_EXIT_SYS;
	}
	if (p.kind == SK_PEER_INET && p.sslen > 0) {
		peer = (const struct sockaddr *)&p.ss;
	} else if (!cfg->stdio) {
		sk_log(&w->log, LOG_ERR, "stdin is a %s, not an internet socket: "
		    "refusing to answer (use --stdio to test, -l to listen)",
		    sk_peer_kind_str(p.kind));
		if (!cfg->log_stderr)
			fprintf(stderr, "whoisd: stdin is a %s, not an internet "
			    "socket: refusing to answer (use --stdio to test, -l "
			    "to listen)\n", sk_peer_kind_str(p.kind));
		return WHOISD_EXIT_USAGE;
	}
	sock = p.kind == SK_PEER_INET || p.kind == SK_PEER_UNIX;
	eol = sock ? "\r\n" : "\n";
	total = sk_deadline_in(cfg->timeout_ms);
	wd_q_buf_init(&ans, 0);
	denied = peer != NULL && !wd_acl_permits(&cfg->acl, peer);
	rdl = sk_deadline_in(denied ? REFUSE_READ_MS : cfg->read_timeout_ms);
	if (rdl > total)
		rdl = total;
	buf = malloc(cfg->max_query + 2);
	if (buf == NULL || sk_line_init(&r, in, buf, cfg->max_query + 2,
	    cfg->max_query, &e) == -1) {
		free(buf);
		sk_log(&w->log, LOG_ERR, "line buffer: out of memory");
		return WHOISD_EXIT_SYS;
	}
	st = sk_line_read(&r, &line, rdl, &e);
	if (denied) {
		/* Read the query first (briefly): closing on unread data would
		 * reset the connection and destroy the error line. */
		free(buf);
		t.outcome = WD_OUT_DENIED;
		wd_session_error(WD_OUT_DENIED, eol, &ans);
		goto reply;
	}
	if (st == SK_LINE_TIMEOUT || st == SK_LINE_ERROR ||
	    (st == SK_LINE_EOF && line.len == 0)) {
		t.outcome = st == SK_LINE_TIMEOUT ? WD_OUT_TIMEOUT : WD_OUT_NO_QUERY;
		free(buf);
		wd_session_log(w, peer, &t, 0);
		return 0;
	}
	if (wd_session_answer(w, w->dir, line.data, line.len, st, eol, &ans, &t) == -1)
		sk_log(&w->log, LOG_ERR, "answer: out of memory");
	free(buf);
reply:
	if (sk_write_all(out, ans.data, ans.len, total, &sent, &e) == -1)
		t.outcome = WD_OUT_WRITE_ERR;
	wd_session_log(w, peer, &t, sent);
	wd_q_buf_free(&ans);
	if (sock) {
		shutdown(out, SHUT_WR);
		drain(in, sk_deadline_in(DRAIN_MS));
	}
	return 0;
}

int
wd_inetd_broken(struct whoisd *w, int in, int out, const struct sk_err *e)
{
	struct sk_line_reader r;
	struct sk_line line;
	struct sk_peer p;
	struct wd_q_buf ans;
	char buf[256];
	int64_t dl;

	if (sk_peer(in, &p, NULL) == -1 || (p.kind != SK_PEER_INET &&
	    p.kind != SK_PEER_UNIX)) {
		/* A person at a terminal or a test pipe: stderr is theirs. */
		fprintf(stderr, "whoisd: %s\n", e->msg);
		return sk_err_exitcode(e);
	}
	/* stderr may be the client's socket too (inetd): the log only. */
	sk_log(&w->log, LOG_ERR, "database not loaded, answering %%ERROR:%d: %s",
	    WD_Q_ERR_INTERNAL, e->msg);
	dl = sk_deadline_in(REFUSE_READ_MS);
	if (sk_line_init(&r, in, buf, sizeof(buf), sizeof(buf) - 2, NULL) == 0)
		(void)sk_line_read(&r, &line, dl, NULL);
	wd_q_buf_init(&ans, 0);
	if (wd_q_error(&ans, WD_Q_ERR_INTERNAL, NULL, "\r\n") == 0)
		sk_write_all(out, ans.data, ans.len, sk_deadline_in(DRAIN_MS),
		    NULL, NULL);
	wd_q_buf_free(&ans);
	shutdown(out, SHUT_WR);
	drain(in, sk_deadline_in(DRAIN_MS));
	return sk_err_exitcode(e);
}
