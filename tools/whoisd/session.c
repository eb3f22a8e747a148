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
	[OUT_OK] = "ok", [OUT_HELP] = "help", [OUT_TOO_LONG] = "too-long",
	[OUT_BAD_CHARS] = "bad-chars", [OUT_BAD_QUERY] = "bad-query",
	[OUT_DENIED] = "denied", [OUT_RATE] = "rate-limited",
	[OUT_BUSY] = "busy", [OUT_TIMEOUT] = "timeout",
	[OUT_NO_QUERY] = "no-query", [OUT_WRITE_ERR] = "write-error",
};

const char *
outcome_str(enum outcome o)
{
	return (unsigned)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ?
	    outcome_names[o] : "?";
}

int
session_error(enum outcome o, const char *eol, struct wq_buf *out)
{
	switch (o) {
	case OUT_DENIED:
		return wq_error(out, WQ_ERR_DENIED, NULL, eol);
	case OUT_RATE:
		return wq_error(out, WQ_ERR_DENIED, WQ_TEXT_RATE, eol);
	default:
		return wq_error(out, WQ_ERR_BUSY, NULL, eol);
	}
}

int
session_answer(struct whoisd *w, const struct wdir *d, const char *line,
    size_t len, int status, const char *eol, struct wq_buf *out, struct txn *t)
{
	struct wq_query *q;
	struct wq_opts o = { 0 };
	struct wq_result res;
	int rc;

	/* At most QUERY_SHOWN bytes of a query are logged; a longer one and
	 * one whose escapes do not fit end in "...". */
	sk_vis(t->query, sizeof(t->query), line, len < QUERY_SHOWN ? len :
	    QUERY_SHOWN, SK_VIS_LOG | (len > QUERY_SHOWN ? SK_VIS_MORE : 0),
	    NULL);
	t->matches = -1;
	if (status == SK_LINE_TOO_LONG) {
		t->outcome = OUT_TOO_LONG;
		return wq_error(out, WQ_ERR_TOO_LONG, NULL, eol);
	}
	/* The query struct holds a 4 KiB key: heap, not the loop's stack. */
	q = malloc(sizeof(*q));
	if (q == NULL)
		return -1;
	rc = wq_parse(q, line, len);
	if (rc != 0) {
		t->outcome = rc == WQ_ERR_BADCHAR ? OUT_BAD_CHARS :
		    rc == WQ_ERR_TOO_LONG ? OUT_TOO_LONG : OUT_BAD_QUERY;
		free(q);
		return wq_error(out, rc, NULL, eol);
	}
	o.max_matches = (size_t)w->cfg->max_matches;
	o.eol = eol;
	o.help = d->help;
	rc = wq_answer(d->db, q, &o, out, &res);
	t->outcome = q->kind == WQ_HELP || q->kind == WQ_EMPTY ? OUT_HELP : OUT_OK;
	if (t->outcome == OUT_OK)
		t->matches = (long)res.matches;
	free(q);
	return rc;
}

void
session_log(struct whoisd *w, const struct sockaddr *peer, const struct txn *t,
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
	sk_log(&w->log, t->outcome <= OUT_HELP ? LOG_INFO : LOG_NOTICE,
	    "%s query \"%s\" matches %s bytes %zu ms %lld %s", who, t->query,
	    matches, bytes_sent, (long long)(sk_now_ms() - t->t0),
	    outcome_str(t->outcome));
}

struct wdir *
wdir_load(const struct whoisd_cfg *cfg, struct sk_err *e)
{
	struct wdb_opts o = { .index = cfg->index };
	struct wdir *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		sk_err_sys(e, "load %s", cfg->db_path);
		return NULL;
	}
	atomic_init(&d->refs, 1);
	d->db = wdb_load(cfg->db_path, &o, e);
	if (d->db == NULL)
		goto fail;
	if (cfg->help_file != NULL) {
		d->help = wq_help_load(cfg->help_file, e);
		if (d->help == NULL) {
			char msg[sizeof(e->msg)];

			snprintf(msg, sizeof(msg), "%s", e->msg);
			sk_err_kset(e, e->kind, e->code, "--help-file %s", msg);
			goto fail;
		}
	}
	return d;
fail:
	wdb_free(d->db);
	free(d);
	return NULL;
}

void
wdir_free(struct wdir *d)
{
	if (d == NULL)
		return;
	wdb_free(d->db);
	wq_help_free(d->help);
	free(d);
}

static void *
free_thread(void *arg)
{
	wdir_free(arg);
	return NULL;
}

int
wdir_release(struct wdir *d, int now)
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
		wdir_free(d);
	return 1;
}

int
whoisd_load(struct whoisd *w, struct sk_err *e)
{
	struct wdir *d = wdir_load(w->cfg, e);

	if (d == NULL)
		return -1;
	wdir_release(w->dir, 1);
	w->dir = d;
	return 0;
}
