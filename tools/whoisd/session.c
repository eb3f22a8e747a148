/*
 * One whois transaction, whatever carries it: map the line reader's
 * verdict and the query to an answer or an error line, and log the
 * outcome.  Used by inetd.c and server.c alike.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/deadline.h"
#include "sockkit/lineio.h"
#include "sockkit/log.h"
#include "sockkit/vis.h"
#include "db.h"
#include "query.h"
#include "whoisd.h"

#define QUERY_SHOWN	200	/* query bytes logged */

static const char *const outcome_names[] = {
	[WD_OUT_OK] = "ok", [WD_OUT_HELP] = "help", [WD_OUT_TOO_LONG] = "too-long",
	[WD_OUT_BAD_CHARS] = "bad-chars", [WD_OUT_BAD_QUERY] = "bad-query",
	[WD_OUT_DENIED] = "denied", [WD_OUT_RATE] = "rate-limited",
	[WD_OUT_BUSY] = "busy", [WD_OUT_TIMEOUT] = "timeout",
	[WD_OUT_NO_QUERY] = "no-query", [WD_OUT_WRITE_ERR] = "write-error",
};

const char *
wd_outcome_str(enum wd_outcome o)
{
	return (unsigned)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ?
	    outcome_names[o] : "?";
}

int
wd_session_error(enum wd_outcome o, const char *eol, struct wd_q_buf *out)
{
	switch (o) {
	case WD_OUT_DENIED:
		return wd_q_error(out, WD_Q_ERR_DENIED, NULL, eol);
	case WD_OUT_RATE:
		return wd_q_error(out, WD_Q_ERR_DENIED, WD_Q_TEXT_RATE, eol);
	default:
		return wd_q_error(out, WD_Q_ERR_BUSY, NULL, eol);
	}
}

int
wd_session_answer(struct whoisd *w, const struct wd_dir *d, const char *line,
    size_t len, int status, const char *eol, struct wd_q_buf *out, struct wd_txn *t)
{
	struct wd_q_query *q;
	struct wd_q_opts o = { 0 };
	struct wd_q_result res;
	int rc;

	/* At most QUERY_SHOWN bytes of a query are logged; a longer one and
	 * one whose escapes do not fit end in "...". */
	sk_vis(t->query, sizeof(t->query), line, len < QUERY_SHOWN ? len :
	    QUERY_SHOWN, SK_VIS_LOG | (len > QUERY_SHOWN ? SK_VIS_MORE : 0),
	    NULL);
	t->matches = -1;
	if (status == SK_LINE_TOO_LONG) {
		t->outcome = WD_OUT_TOO_LONG;
		return wd_q_error(out, WD_Q_ERR_TOO_LONG, NULL, eol);
	}
	/* The query struct holds a 4 KiB key: heap, not the loop's stack. */
	q = malloc(sizeof(*q));
	if (q == NULL)
		return -1;
	rc = wd_q_parse(q, line, len);
	if (rc != 0) {
		t->outcome = rc == WD_Q_ERR_BADCHAR ? WD_OUT_BAD_CHARS :
		    rc == WD_Q_ERR_TOO_LONG ? WD_OUT_TOO_LONG : WD_OUT_BAD_QUERY;
		free(q);
		return wd_q_error(out, rc, NULL, eol);
	}
	o.max_matches = (size_t)w->cfg->max_matches;
	o.eol = eol;
	o.help = d->help;
	rc = wd_q_answer(d->db, q, &o, out, &res);
	t->outcome = q->kind == WD_Q_HELP || q->kind == WD_Q_EMPTY ? WD_OUT_HELP : WD_OUT_OK;
	if (t->outcome == WD_OUT_OK)
		t->matches = (long)res.matches;
	free(q);
	return rc;
}

void
wd_session_log(struct whoisd *w, const struct sockaddr *peer, const struct wd_txn *t,
    size_t bytes_sent)
{
	char who[128];
	char matches[32] = "-";

	if (peer != NULL)
		sk_log_peer(peer, who, sizeof(who));
	else
		snprintf(who, sizeof(who), "stdin");
	if (t->matches >= 0)
		snprintf(matches, sizeof(matches), "%ld", t->matches);
	sk_log(&w->log, t->outcome <= WD_OUT_HELP ? LOG_INFO : LOG_NOTICE,
	    "%s query \"%s\" matches %s bytes %zu ms %lld %s", who, t->query,
	    matches, bytes_sent, (long long)(sk_now_ms() - t->t0),
	    wd_outcome_str(t->outcome));
}

struct wd_dir *
wd_dir_load(const struct whoisd_cfg *cfg, struct sk_err *e)
{
	struct wd_db_opts o = { .index = cfg->index };
	struct wd_dir *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		sk_err_sys(e, "load %s", cfg->db_path);
		return NULL;
	}
	atomic_init(&d->refs, 1);
	d->db = wd_db_load(cfg->db_path, &o, e);
	if (d->db == NULL)
		goto fail;
	if (cfg->help_file != NULL) {
		d->help = wd_q_help_load(cfg->help_file, e);
		if (d->help == NULL) {
			char msg[sizeof(e->msg)];

			snprintf(msg, sizeof(msg), "%s", e->msg);
			sk_err_kset(e, e->kind, e->code, "--help-file %s", msg);
			goto fail;
		}
	}
	return d;
fail:
	wd_db_free(d->db);
	free(d);
	return NULL;
}

void
wd_dir_free(struct wd_dir *d)
{
	if (d == NULL)
		return;
	wd_db_free(d->db);
	wd_q_help_free(d->help);
	free(d);
}

static void *
free_thread(void *arg)
{
	wd_dir_free(arg);
	return NULL;
}

int
wd_dir_release(struct wd_dir *d, int now)
{
	pthread_attr_t a;
	pthread_t t;
	int rc = -1;

	if (d == NULL || atomic_fetch_sub(&d->refs, 1) != 1)
		return 0;
	/* A million records take tens of ms to unmap and free: not on a
	 * loop that answers queries. */
	if (!now && pthread_attr_init(&a) == 0) {
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &a, free_thread, d);
		pthread_attr_destroy(&a);
	}
	if (rc != 0)
		wd_dir_free(d);
	return 1;
}

int
wd_load(struct whoisd *w, struct sk_err *e)
{
	struct wd_dir *d = wd_dir_load(w->cfg, e);

	if (d == NULL)
		return -1;
	wd_dir_release(w->dir, 1);
	w->dir = d;
	return 0;
}
