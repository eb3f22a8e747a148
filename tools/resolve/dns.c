/*
 * DNS mode: queries through lib/dns (c-ares) on one event loop, for the
 * operands of one command or every line of a batch file.  Up to
 * o->inflight queries are outstanding at once, no more than o->qps are
 * sent per second, c-ares retries each one (o->retries) within the
 * lookup's deadline, and every query line gets exactly one result line:
 * as it completes or, with --ordered, in input order.
 *
 * The in-flight window adapts, since a dropped query costs a whole
 * per-try timeout, far more than sending a little slower: a resolver's
 * UDP socket holds only a few hundred queries.  Loss is seen too late
 * for a batch that takes a fraction of a second, so the window follows
 * the delay first (as TCP Vegas does): it starts at SLOWSTART, grows by
 * one per round of answers while they come back within 4 x the fastest
 * seen (+2 ms), and shrinks by one per slower answer, the queue at the
 * server building up.  A query that needed a retry halves it, once per
 * round of queries.  o->inflight caps it.
 *
 * Output goes through stdio's buffer and is flushed every FLUSH_MS, not
 * after each line: ten thousand answers are not ten thousand writes.
 *
 * --search walks the names res_search(3) would try, one query at a
 * time, and keeps each name tried with its answer for the result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/deadline.h"
#include "sockkit/dns.h"
#include "sockkit/err.h"
#include "sockkit/loop.h"
#include "resolve/resolve.h"

#define MAXCAND 8	/* names --search tries: resolv.conf allows 6 domains */
#define FLUSH_MS 50	/* longest a finished line waits in the buffer */
#define MINWIN 4	/* the window never shrinks below this */
#define SLOWSTART 64	/* the window to begin with */

/* A batch holds one job per line, tens of thousands: a job stays small
 * (the A-label form and an input error are kept only when there is one),
 * since the loop walks them in order as it sends. */
struct job {
	char *name;		/* as given (operand or line) */
	char *ascii;		/* what goes on the wire (A-label): name itself,
				 * its own copy, or "" when never sent */
	int type;
	struct sk_err *bad;	/* input error, never sent; NULL if none */
	char (*cand)[SK_DNS_NAMELEN];	/* --search: names to try */
	struct rs_tried *tried;
	size_t ncand, cur;
	int nodata;		/* some name tried had NODATA */
	size_t seq;		/* r->sent when its query went out */
	struct run *run;	/* set when sent */
};

struct run {
	const struct rs_opts *o;
	struct sk_loop *l;
	struct sk_dns *d;
	struct job *job;
	size_t njob, next, done, inflight, sent;
	double window;		/* queries allowed in flight now */
	double minrtt;		/* fastest answer so far, ms */
	size_t cut_seq;		/* r->sent when the window was last halved */
	int64_t t0, flushed;
	struct sk_timer *pace;
	int in_pump;
	char **out;		/* --ordered: rendered lines waiting */
	size_t *outlen;
	size_t next_out;
	int worst;
	int failed;		/* output or memory failure */
};

static void pump(struct run *r);

static void
emit_ready(struct run *r)
{
	while (r->next_out < r->njob && r->out[r->next_out] != NULL) {
		fwrite(r->out[r->next_out], 1, r->outlen[r->next_out], stdout);
		free(r->out[r->next_out]);
		r->out[r->next_out] = (char *)1;	/* written */
		r->next_out++;
	}
}

/* One job is answered: render its line, count it. */
static void
finish(struct run *r, size_t i, const struct sk_dns_result *res,
    const struct sk_err *e)
{
	struct job *jb = &r->job[i];
	struct rs_dns_view v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int x;

	memset(&v, 0, sizeof(v));
	v.query = jb->name;
	v.ascii = jb->ascii;
	v.type = jb->type;
	v.res = res;
	v.err = e;
	v.tried = jb->tried;
	v.ntried = jb->cand != NULL ? jb->cur + 1 : 0;
	if (v.ntried > jb->ncand)
		v.ntried = jb->ncand;
	if (!r->o->ordered) {
		rs_render_dns(stdout, &v, r->o);
	} else if ((f = open_memstream(&buf, &len)) == NULL) {
		r->failed = errno;
	} else {
		rs_render_dns(f, &v, r->o);
		if (fclose(f) != 0)
			r->failed = errno;
		r->out[i] = buf;
		r->outlen[i] = len;
		emit_ready(r);
	}
	x = e->kind == SK_ERR_NONE ? SK_EXIT_OK : sk_err_exitcode(e);
	if (x > r->worst)
		r->worst = x;
	r->done++;
	if (r->done == r->njob || sk_now_ms() - r->flushed >= FLUSH_MS) {
		fflush(stdout);
		r->flushed = sk_now_ms();
	}
	free(jb->cand);
	free(jb->tried);
	jb->cand = NULL;
	jb->tried = NULL;
}

static void send_job(struct run *r, size_t i);

/* Move the in-flight window after an answer (see the top of the file). */
static void
adapt(struct run *r, const struct job *jb, const struct sk_dns_result *res)
{
	if (res->timeouts > 0) {
		if (jb->seq >= r->cut_seq) {
			r->window = r->window / 2 > MINWIN ? r->window / 2 :
			    MINWIN;
			r->cut_seq = r->sent;
		}
		return;
	}
	if (res->rcode < 0)
		return;		/* no reply: no time to learn from */
	if (r->minrtt == 0 || res->ms < r->minrtt)
		r->minrtt = res->ms;
	if (res->ms > 4 * r->minrtt + 2) {
		if (r->window > MINWIN)
			r->window -= 1;
	} else if (r->window < r->o->inflight) {
		r->window += 1 / r->window;
	}
}

static void
on_answer(void *arg, const struct sk_dns_result *res, const struct sk_err *e)
{
	struct job *jb = arg;
	struct run *r = jb->run;
	size_t i = (size_t)(jb - r->job);
	int next = 0;

	r->inflight--;
	adapt(r, jb, res);
	if (jb->cand != NULL) {
		struct rs_tried *t = &jb->tried[jb->cur];

		snprintf(t->name, sizeof(t->name), "%s", jb->cand[jb->cur]);
		t->rcode = res->rcode;
		t->kind = e->kind;
		if (e->kind == SK_ERR_NODATA)
			jb->nodata = 1;
		/* as res_search: a name that does not exist, or exists
		 * without data, or whose server failed, is not the end */
		next = (e->kind == SK_ERR_NOTFOUND || e->kind == SK_ERR_NODATA ||
		    e->kind == SK_ERR_TEMPFAIL) && jb->cur + 1 < jb->ncand;
	}
	if (next) {
		jb->cur++;
		send_job(r, i);
	} else if (jb->cand != NULL && jb->nodata && e->kind != SK_ERR_NONE &&
	    e->kind != SK_ERR_NODATA) {
		/* as res_search: a name with no data beats no name at all */
		struct sk_err nd;

		sk_err_kset(&nd, SK_ERR_NODATA, ENODATA,
		    "%s: no such record on any name tried", jb->name);
		finish(r, i, res, &nd);
	} else {
		finish(r, i, res, e);
	}
	pump(r);
}

static void
send_job(struct run *r, size_t i)
{
	struct job *jb = &r->job[i];
	struct sk_dns_result res;
	struct sk_err e;
	const char *name = jb->cand != NULL ? jb->cand[jb->cur] : jb->ascii;

	jb->run = r;
	jb->seq = r->sent;
	r->inflight++;
	r->sent++;
	if (sk_dns_query(r->d, name, jb->type, on_answer, jb, &e) == -1) {
		r->inflight--;
		memset(&res, 0, sizeof(res));
		res.qname = name;
		res.qtype = jb->type;
		res.rcode = -1;
		res.server = "";
		finish(r, i, &res, &e);
	}
}

/* Start a job: a bad name is answered at once, never sent. */
static void
start(struct run *r, size_t i)
{
	struct job *jb = &r->job[i];
	struct sk_dns_result res;
	struct sk_err oom;
	const struct sk_err *bad = jb->bad;

	if (bad == NULL && r->o->search) {
		jb->cand = calloc(MAXCAND, sizeof(*jb->cand));
		jb->tried = calloc(MAXCAND, sizeof(*jb->tried));
		if (jb->cand == NULL || jb->tried == NULL) {
			sk_err_sys(&oom, "%s", jb->name);
			free(jb->cand);
			free(jb->tried);
			jb->cand = NULL;
			jb->tried = NULL;
			bad = &oom;
		}
	}
	if (bad != NULL) {
		memset(&res, 0, sizeof(res));
		res.qname = jb->name;
		res.qtype = jb->type;
		res.rcode = -1;
		res.server = "";
		finish(r, i, &res, bad);
		return;
	}
	if (r->o->search) {
		jb->ncand = sk_dns_search_list(r->d, jb->ascii, jb->cand,
		    MAXCAND);
		jb->cur = 0;
	}
	send_job(r, i);
}

static int64_t
on_pace(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	struct run *r = arg;

	r->pace = NULL;
	pump(r);
	return -1;
}

/* Send what the in-flight cap and the --qps ceiling allow. */
static void
pump(struct run *r)
{
	int64_t now, due;

	if (r->in_pump)
		return;
	r->in_pump = 1;
	while (r->next < r->njob && r->inflight < (size_t)r->window) {
		if (r->o->qps > 0) {
			now = sk_now_ms();
			/* the n-th query may go at t0 + n / qps seconds */
			due = r->t0 + (int64_t)((double)r->sent * 1000 / r->o->qps);
			if (due > now) {
				if (r->pace == NULL)
					r->pace = sk_loop_timer(r->l, due - now,
					    on_pace, r, NULL);
				break;
			}
		}
		start(r, r->next++);
	}
	r->in_pump = 0;
}

static char never_sent[] = "";

/* Keep e as the job's input error.  -1 when out of memory. */
static int
job_bad(struct job *jb, const struct sk_err *e)
{
	if ((jb->bad = malloc(sizeof(*jb->bad))) == NULL)
		return -1;
	*jb->bad = *e;
	jb->ascii = never_sent;
	return 0;
}

/* Fill a job from a name (and a type word, or NULL for o->dns_type).
 * -1 when out of memory. */
static int
job_init(struct job *jb, char *name, const char *type, const struct rs_opts *o)
{
	char ascii[SK_DNS_NAMELEN];
	struct sk_err e;

	memset(jb, 0, sizeof(*jb));
	jb->name = name;
	jb->ascii = never_sent;
	jb->type = o->dns_type;
	if (type != NULL && (jb->type = sk_dns_type_parse(type)) == -1) {
		jb->type = o->dns_type;
		sk_err_kset(&e, SK_ERR_INPUT, EINVAL,
		    "%s: unknown record type %s", name, type);
		return job_bad(jb, &e);
	}
	if (rs_name_ascii(name, ascii, sizeof(ascii), o, &e) == -1)
		return job_bad(jb, &e);
	if (strcmp(ascii, name) == 0)
		jb->ascii = name;
	else if ((jb->ascii = strdup(ascii)) == NULL)
		return -1;
	return 0;
}

static void
job_free(struct job *jb)
{
	if (jb->ascii != jb->name && jb->ascii != never_sent)
		free(jb->ascii);
	free(jb->bad);
}

/*
 * Run every job on one loop.  Returns the worst exit code, or -1 (errno)
 * when the channel cannot be made or output fails.
 */
static int
run_jobs(struct job *job, size_t njob, const struct rs_opts *o)
{
	struct sk_dns_opts dopt;
	struct run r;
	struct sk_err e;
	size_t k;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.job = job;
	r.njob = njob;
	memset(&dopt, 0, sizeof(dopt));
	dopt.servers = o->server;
	dopt.timeout_ms = o->timeout_ms;
	dopt.tries = o->retries + 1;
	dopt.flags = o->tcp ? SK_DNS_TCP : 0;
	if ((r.l = sk_loop_new(64, &e)) == NULL) {
		fprintf(stderr, "resolve: %s\n", e.msg);
		return -1;
	}
	if ((r.d = sk_dns_new(r.l, &dopt, &e)) == NULL) {
		fprintf(stderr, "resolve: %s\n", e.msg);
		sk_loop_free(r.l);
		errno = 0;
		return e.kind == SK_ERR_INPUT ? -2 : -1;
	}
	if (o->ordered && ((r.out = calloc(njob, sizeof(*r.out))) == NULL ||
	    (r.outlen = calloc(njob, sizeof(*r.outlen))) == NULL))
		goto end;
	r.t0 = r.flushed = sk_now_ms();
	r.window = o->inflight < SLOWSTART ? o->inflight : SLOWSTART;
	pump(&r);
	if (sk_loop_run(r.l, &e) == -1) {
		fprintf(stderr, "resolve: %s\n", e.msg);
		goto end;
	}
	fflush(stdout);
	if (r.failed || ferror(stdout)) {
		errno = r.failed ? r.failed : EIO;
		goto end;
	}
	/* Every job was started and called back: nothing can be lost. */
	if (r.done != njob) {
		fprintf(stderr, "resolve: %zu of %zu lookups unanswered\n",
		    njob - r.done, njob);
		errno = EPROTO;
		goto end;
	}
	rc = r.worst;
end:
	sk_dns_free(r.d);
	sk_loop_timer_cancel(r.l, r.pace);
	sk_loop_free(r.l);
	if (r.out != NULL)
		for (k = 0; k < njob; k++)
			if (r.out[k] != (char *)1)
				free(r.out[k]);
	free(r.out);
	free(r.outlen);
	return rc;
}

int
rs_dns_args(char **names, int n, const struct rs_opts *o)
{
	struct job *job;
	int i, k, rc = -1;

	if ((job = calloc(n, sizeof(*job))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (job_init(&job[i], names[i], NULL, o) == -1)
			break;
	if (i == n)
		rc = run_jobs(job, n, o);
	for (k = 0; k < n; k++)		/* calloc'd: an unset job frees nothing */
		job_free(&job[k]);
	free(job);
	return rc;
}

/* Lines "NAME" or "NAME TYPE"; blank lines and comments are skipped,
 * a line that is neither is answered as bad input. */
int
rs_dns_batch(FILE *in, const struct rs_opts *o)
{
	char buf[RS_LINEMAX + 2];
	struct job *job = NULL, *nj;
	size_t njob = 0, cap = 0, k, len;
	const char *q, *t;
	int c, rc = -1, lineno = 0;

	while (fgets(buf, sizeof(buf), in) != NULL) {
		const char *why = NULL;
		char *name;

		lineno++;
		len = strlen(buf);
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n') {
			while ((c = getc(in)) != EOF && c != '\n')
				;
			why = "line too long";
		} else if ((c = rs_line_parse(buf, len, &q, &t)) == 0) {
			continue;
		} else if (c < 0) {
			why = "not a query (NAME or NAME TYPE)";
		}
		if (njob == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((nj = realloc(job, cap * sizeof(*nj))) == NULL)
				goto end;
			job = nj;
		}
		if (why != NULL) {
			char label[32];
			struct sk_err e;

			snprintf(label, sizeof(label), "line-%d", lineno);
			if ((name = strdup(label)) == NULL)
				goto end;
			memset(&job[njob], 0, sizeof(job[0]));
			job[njob].name = name;
			job[njob].ascii = never_sent;
			job[njob].type = o->dns_type;
			njob++;
			sk_err_kset(&e, SK_ERR_INPUT, EINVAL, "line %d: %s",
			    lineno, why);
			if (job_bad(&job[njob - 1], &e) == -1)
				goto end;
		} else {
			if ((name = strdup(q)) == NULL)
				goto end;
			njob++;
			if (job_init(&job[njob - 1], name, t, o) == -1)
				goto end;
		}
	}
	if (ferror(in))
		goto end;
	rc = njob == 0 ? 0 : run_jobs(job, njob, o);
end:
	for (k = 0; k < njob; k++) {
		job_free(&job[k]);
		free(job[k].name);
	}
	free(job);
	return rc;
}
