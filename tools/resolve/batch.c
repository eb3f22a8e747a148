/*
 * Batch mode: one query per input line, answered by a pool of worker
 * threads (getaddrinfo blocks, so concurrency means threads).  The
 * lookups run inline in the workers, and the calling thread keeps each
 * one's -w deadline: a worker past it is abandoned, its query reported
 * as timed out and a new worker started in its place.  A thread per
 * lookup (what sk_addr_resolve does under a deadline) would cost a
 * thread creation and a fresh resolver state for every name.  Every
 * query line gets exactly one result line, as it completes (flushed
 * within RS_FLUSH_MS) or, with --ordered, in input order.  Each worker
 * keeps its resolver socket for a few lookups (keep_socket).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "resolve/resolve.h"

/*
 * Split a line into a query and an optional service: "NAME", "ADDR",
 * "HOST:SERVICE" or "HOST SERVICE".  Leading and trailing blanks and a
 * CR go; blank lines and '#' comments are no query.  Returns 1 with *q
 * (and *serv, or NULL) pointing into line, 0 for no query, -1 for a
 * line that cannot be one (NUL bytes, more than two words).
 */
#define BLANK(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

int
rs_line_parse(char *line, size_t len, const char **q, const char **serv)
{
	size_t i, start, end;
	char *sp;

	*q = *serv = NULL;
	if (memchr(line, '\0', len) != NULL)
		return -1;
	for (start = 0; start < len && BLANK(line[start]); start++)
		;
	for (end = len; end > start && BLANK(line[end - 1]); end--)
		;
	line[end] = '\0';
	if (start == end || line[start] == '#')
		return 0;
	*q = line + start;
	for (i = start; i < end; i++)
		if (BLANK(line[i]))
			break;
	if (i == end)
		return 1;
	line[i] = '\0';
	for (sp = line + i + 1; BLANK(*sp); sp++)
		;
	if (strpbrk(sp, " \t\r\n") != NULL)
		return -1;
	*serv = sp;
	return 1;
}

/* The exit code one result asks for: the suite's table. */
int
rs_exitcode(const struct rs_result *r)
{
	return r->err.kind == SK_ERR_NONE ? SK_EXIT_OK : sk_err_exitcode(&r->err);
}

struct job {
	char *line;		/* the query text, or NULL: bad line */
	char *serv;
	const char *why;	/* why a line is no query */
};

struct pool;

/* A result rendered into memory. */
struct text {
	FILE *f;
	char *buf;
	size_t len;
};

/* Output is written as lookups complete but flushed at most every
 * RS_FLUSH_MS (a line waits no longer than that): a write(2) per line,
 * made under the pool's lock, cost more than the lookup's own work. */
#define RS_FLUSH_MS 50

/* Lookups a worker makes on one resolver socket (see keep_socket). */
#define RS_SOCK_REUSE 32

/* A worker thread.  One that overstays -w is abandoned: its job is
 * reported as timed out, a new worker takes its place, and it throws
 * its late answer away and ends when getaddrinfo lets it go. */
struct worker {
	struct pool *p;
	pthread_t tid;
	size_t job;		/* current job while busy */
	int64_t deadline;	/* when the current job times out */
	int busy, abandoned;
	unsigned nlookup;	/* lookups made, for RS_SOCK_REUSE */
	struct text txt;	/* the answer rendered, outside the lock */
	struct rs_result r;	/* the worker's own answer buffer */
};

struct pool {
	const struct rs_opts *o;
	struct rs_opts wo;	/* o, with the lookups left to run inline */
	struct job *job;
	char **out;		/* --ordered: rendered results waiting */
	size_t *outlen;
	unsigned char *done;
	size_t njob, next, next_out, ndone;
	int worst;
	int failed;		/* errno of an output failure */
	int dirty;		/* stdout holds lines not flushed */
	int64_t flushed;	/* when stdout was last flushed */
	struct rs_result tmo;	/* a timeout result being reported */
	struct text tmotxt;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* all done, a worker gone, lines waiting */
	struct worker **w;	/* every worker started */
	size_t nw, capw;
	int live;		/* workers running and not abandoned */
	int abandoned;
};

/* An abandoned worker may outlive rs_batch(): the pool it points to is
 * then kept, reachable from here, until the process exits. */
static struct pool *kept;

/* Render r into t (its stream opened on first use, rewound after).
 * Returns the text's length, or -1 (errno). */
static long
render(struct text *t, const struct rs_result *r, const struct rs_opts *o)
{
	long n;

	if (t->f == NULL && (t->f = open_memstream(&t->buf, &t->len)) == NULL)
		return -1;
	rewind(t->f);
	rs_render(t->f, r, o);
	if (fflush(t->f) != 0 || (n = ftell(t->f)) < 0)
		return -1;
	return n;
}

static void
text_free(struct text *t)
{
	if (t->f != NULL)
		fclose(t->f);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* Flush stdout if it holds lines and RS_FLUSH_MS has passed since the
 * last flush (or force).  p->mu held. */
static void
flush_out(struct pool *p, int64_t now, int force)
{
	if (!p->dirty || (!force && now < p->flushed + RS_FLUSH_MS))
		return;
	fflush(stdout);		/* as before: a write error is not the batch's */
	p->dirty = 0;
	p->flushed = now;
}

/* Job i is answered with r, rendered as text (len bytes, or len -1 if
 * it could not be): print it now or, with --ordered, keep the line (not
 * the bulky result) until those before it are out.  Called with p->mu
 * held. */
static void
complete(struct pool *p, size_t i, const struct rs_result *r,
    const char *text, long len)
{
	int was = p->dirty, x;

	if ((x = rs_exitcode(r)) > p->worst)
		p->worst = x;
	p->done[i] = 1;
	p->ndone++;
	if (len < 0) {
		p->failed = errno;
	} else if (!p->o->ordered) {
		fwrite(text, 1, len, stdout);
		p->dirty = 1;
	} else if ((p->out[i] = malloc(len ? len : 1)) == NULL) {
		p->failed = errno;
	} else {
		memcpy(p->out[i], text, len);
		p->outlen[i] = len;
	}
	while (p->o->ordered && p->next_out < p->njob &&
	    p->done[p->next_out]) {
		if (p->out[p->next_out] != NULL) {
			fwrite(p->out[p->next_out], 1,
			    p->outlen[p->next_out], stdout);
			p->dirty = 1;
		}
		free(p->out[p->next_out]);
		p->out[p->next_out++] = NULL;
	}
	flush_out(p, sk_now_ms(), 0);
	/* The supervisor sleeps until a deadline, the end or a flush due:
	 * wake it when the end comes or lines start waiting, not for every
	 * answer (a wake-up per answer was a tenth of the batch's time). */
	if (p->ndone == p->njob || (p->dirty && !was))
		pthread_cond_signal(&p->cv);
}

static void
run_job(struct pool *p, size_t i, struct rs_result *r)
{
	struct job *jb = &p->job[i];

	if (jb->why != NULL) {
		memset(r, 0, sizeof(*r));
		snprintf(r->query, sizeof(r->query), "line-%zu", i + 1);
		sk_err_kset(&r->err, SK_ERR_INPUT, EINVAL, "line %zu: %s",
		    i + 1, jb->why);
	} else {
		rs_query(r, jb->serv ? RS_PLAN : rs_classify(jb->line),
		    jb->line, jb->serv, &p->wo);
	}
}

/*
 * Keep glibc's UDP socket to the name server open from one lookup to
 * the next (RES_STAYOPEN in this thread's resolver state): otherwise
 * every getaddrinfo makes and closes one (socket, setsockopt, connect,
 * close), which was a fifth of the system calls of a lookup.  The
 * queries and the answers are the same; the answers are still matched
 * by ID and question.  What is given up is a fresh source port for
 * every lookup, so the socket is renewed every RS_SOCK_REUSE lookups
 * (the last one runs without the flag, and glibc closes the socket
 * after it).  A reloaded resolv.conf resets the options: the flag is
 * set again before each lookup.  Called in the worker thread.
 */
static void
keep_socket(struct worker *me, int ok)
{
	if (!ok)
		return;
	if (++me->nlookup % RS_SOCK_REUSE == 0)
		_res.options &= ~RES_STAYOPEN;
	else
		_res.options |= RES_STAYOPEN;
}

static void *
worker(void *arg)
{
	struct worker *me = arg;
	struct pool *p = me->p;
	size_t i;
	long len;
	int ok;

	/* this thread's resolver state, set up to take RES_STAYOPEN */
	ok = res_init() == 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (me->abandoned)
			break;
		if (p->next == p->njob) {
			p->live--;
			pthread_cond_signal(&p->cv);
			break;
		}
		i = p->next++;
		me->job = i;
		me->busy = 1;
		me->deadline = sk_deadline_in(p->o->timeout_ms);
		pthread_mutex_unlock(&p->mu);
		keep_socket(me, ok);
		run_job(p, i, &me->r);
		len = render(&me->txt, &me->r, p->o);
		pthread_mutex_lock(&p->mu);
		me->busy = 0;
		if (me->abandoned)
			break;		/* reported as a timeout already */
		complete(p, i, &me->r, me->txt.buf, len);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Start one more worker; -1 (errno) if it cannot be.  p->mu held or
 * no worker running yet. */
static int
spawn(struct pool *p)
{
	struct worker *w, **nw;
	sigset_t all, old;
	int rc;

	if (p->nw == p->capw) {
		p->capw = p->capw ? p->capw * 2 : 64;
		if ((nw = realloc(p->w, p->capw * sizeof(*nw))) == NULL)
			return -1;
		p->w = nw;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->p = p;
	/* signals stay with the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->tid, NULL, worker, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(w);
		errno = rc;
		return -1;
	}
	p->w[p->nw++] = w;
	p->live++;
	return 0;
}

/* w's job is past -w: report it as timed out and put a new worker in
 * its place.  p->mu held. */
static void
abandon(struct pool *p, struct worker *w)
{
	struct job *jb = &p->job[w->job];
	struct rs_result *r = &p->tmo;

	w->abandoned = 1;
	p->abandoned++;
	p->live--;
	memset(r, 0, sizeof(*r));
	r->type = jb->serv ? RS_PLAN : rs_classify(jb->line);
	r->fcrdns = -1;
	if (jb->serv != NULL)
		snprintf(r->query, sizeof(r->query), "%s %s", jb->line, jb->serv);
	else
		snprintf(r->query, sizeof(r->query), "%s", jb->line);
	r->ms = p->o->timeout_ms;
	sk_err_kset(&r->err, SK_ERR_TIMEOUT, ETIMEDOUT,
	    "%s: timed out after %lld ms", r->query,
	    (long long)p->o->timeout_ms);
	complete(p, w->job, r, p->tmotxt.buf, render(&p->tmotxt, r, p->o));
	if (p->next < p->njob)
		spawn(p);	/* on failure the others carry on */
}

/* Wait until every job is done, abandoning workers past their
 * deadline.  Returns 0, or -1 (EAGAIN) if no worker is left while jobs
 * are. */
static int
supervise(struct pool *p)
{
	struct timespec ts;
	int64_t now, first;
	size_t k;
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	while (p->ndone < p->njob) {
		now = sk_now_ms();
		first = SK_NEVER;
		for (k = 0; k < p->nw; k++) {
			struct worker *w = p->w[k];

			if (w->abandoned || !w->busy)
				continue;
			if (w->deadline <= now)
				abandon(p, w);
			else if (w->deadline < first)
				first = w->deadline;
		}
		if (p->ndone == p->njob)
			break;
		if (p->live == 0 && p->next < p->njob) {
			errno = EAGAIN;
			rc = -1;
			break;
		}
		/* lines waiting: out within RS_FLUSH_MS */
		flush_out(p, now, 0);
		if (p->dirty && p->flushed + RS_FLUSH_MS < first)
			first = p->flushed + RS_FLUSH_MS;
		if (first == SK_NEVER) {
			pthread_cond_wait(&p->cv, &p->mu);
		} else {
			ts.tv_sec = first / 1000;
			ts.tv_nsec = (first % 1000) * 1000000;
			pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		}
	}
	flush_out(p, sk_now_ms(), 1);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/*
 * What AI_ADDRCONFIG would do to AF_UNSPEC lookups, worked out once for
 * the batch with glibc's rule (an IPv4 address other than 127.0.0.1, an
 * IPv6 address other than ::1): the family to ask for.  glibc dumps the
 * interface addresses over netlink on every call otherwise, which on a
 * host with many addresses costs more than the lookup.  -1 if the
 * interfaces cannot be read (then every call does it itself).
 */
static int
addrconfig_family(void)
{
	struct ifaddrs *ifa, *i;
	int has4 = 0, has6 = 0;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr !=
		    htonl(INADDR_LOOPBACK))
			has4 = 1;
		if (i->ifa_addr->sa_family == AF_INET6 &&
		    !IN6_IS_ADDR_LOOPBACK(
		    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
			has6 = 1;
	}
	freeifaddrs(ifa);
	return has4 && !has6 ? AF_INET : has6 && !has4 ? AF_INET6 : AF_UNSPEC;
}

/* Read every line of in (each at most RS_LINEMAX bytes, longer ones
 * are reported, never cut) into p->job. */
static int
read_jobs(FILE *in, struct pool *p)
{
	char buf[RS_LINEMAX + 2];
	size_t cap = 0, len;
	const char *q, *serv;
	struct job jb, *nj;
	int rc, c;

	while (fgets(buf, sizeof(buf), in) != NULL) {
		memset(&jb, 0, sizeof(jb));
		len = strlen(buf);
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n') {
			while ((c = getc(in)) != EOF && c != '\n')
				;
			jb.why = "line too long";
		} else {
			rc = rs_line_parse(buf, len, &q, &serv);
			if (rc == 0)
				continue;
			if (rc < 0)
				jb.why = "not a query (NAME, ADDR, HOST:SERVICE "
				    "or HOST SERVICE)";
			else if ((jb.line = strdup(q)) == NULL ||
			    (serv && (jb.serv = strdup(serv)) == NULL))
				return -1;
		}
		if (p->njob == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nj = realloc(p->job, cap * sizeof(*nj))) == NULL)
				return -1;
			p->job = nj;
		}
		p->job[p->njob++] = jb;
	}
	return ferror(in) ? -1 : 0;
}

/*
 * Returns the worst exit code of all results, or -1 (errno) when the
 * input cannot be read, memory runs out or no worker can be started.
 * The lookups run inline in the workers (no thread per lookup) and -w
 * is kept by the calling thread, which abandons a worker past it.
 */
int
rs_batch(FILE *in, const char *name, const struct rs_opts *o)
{
	struct pool *p;
	pthread_condattr_t ca;
	int i, rc = -1;
	size_t k;

	(void)name;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->o = o;
	p->wo = *o;
	p->wo.watchdog = 1;
	if (o->family == AF_UNSPEC && (i = addrconfig_family()) != -1) {
		p->wo.family = i;
		p->wo.addrconfig = 1;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (read_jobs(in, p) == -1)
		goto end;
	rc = 0;
	if (p->njob == 0)
		goto end;
	p->done = calloc(p->njob, 1);
	if (o->ordered) {
		p->out = calloc(p->njob, sizeof(*p->out));
		p->outlen = calloc(p->njob, sizeof(*p->outlen));
	}
	if (p->done == NULL || (o->ordered && (p->out == NULL ||
	    p->outlen == NULL))) {
		rc = -1;
		goto end;
	}
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < o->workers && (size_t)i < p->njob; i++)
		if (spawn(p) == -1)
			break;
	pthread_mutex_unlock(&p->mu);
	if (p->nw == 0 || supervise(p) == -1) {
		rc = -1;
		goto end;
	}
	rc = p->worst;
	if (p->failed) {
		errno = p->failed;
		rc = -1;
	}
end:
	if (p->abandoned > 0) {
		/* late workers still hold p: join the others, keep it */
		for (k = 0; k < p->nw; k++) {
			if (p->w[k]->abandoned)
				pthread_detach(p->w[k]->tid);
			else
				pthread_join(p->w[k]->tid, NULL);
		}
		kept = p;
		return rc;
	}
	for (k = 0; k < p->nw; k++) {
		pthread_join(p->w[k]->tid, NULL);
		text_free(&p->w[k]->txt);
		free(p->w[k]);
	}
	text_free(&p->tmotxt);
	free(p->w);
	for (k = 0; k < p->njob; k++) {
		free(p->job[k].line);
		free(p->job[k].serv);
	}
	free(p->job);
	if (p->out != NULL)
		for (k = 0; k < p->njob; k++)
			free(p->out[k]);
	free(p->out);
	free(p->outlen);
	free(p->done);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return rc;
}
