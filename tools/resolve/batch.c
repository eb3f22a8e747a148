/*
 * Batch mode: one query per input line, answered by a pool of worker
 * threads (getaddrinfo blocks, so concurrency means threads; each lookup
 * keeps its own deadline through sk_addr_resolve).  Every query line
 * gets exactly one result line, as it completes or, with --ordered, in
 * input order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct pool {
	const struct rs_opts *o;
	struct job *job;
	struct rs_result *res;
	unsigned char *done;
	size_t njob, next, next_out;
	int worst;
	pthread_mutex_t mu;
};

static void
emit(struct pool *p, size_t i)
{
	int x;

	rs_render(stdout, &p->res[i], p->o);
	if ((x = rs_exitcode(&p->res[i])) > p->worst)
		p->worst = x;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct rs_result *r;
	struct job *jb;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		i = p->next < p->njob ? p->next++ : p->njob;
		pthread_mutex_unlock(&p->mu);
		if (i == p->njob)
			return NULL;
		jb = &p->job[i];
		r = &p->res[i];
		if (jb->why != NULL) {
			memset(r, 0, sizeof(*r));
			snprintf(r->query, sizeof(r->query), "line-%zu", i + 1);
			sk_err_kset(&r->err, SK_ERR_INPUT, EINVAL, "line %zu: %s",
			    i + 1, jb->why);
		} else {
			rs_query(r, jb->serv ? RS_PLAN : rs_classify(jb->line),
			    jb->line, jb->serv, p->o);
		}
		pthread_mutex_lock(&p->mu);
		p->done[i] = 1;
		if (!p->o->ordered) {
			emit(p, i);
			fflush(stdout);
		} else {
			while (p->next_out < p->njob && p->done[p->next_out])
				emit(p, p->next_out++);
			fflush(stdout);
		}
		pthread_mutex_unlock(&p->mu);
	}
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

/* Returns the worst exit code of all results, or -1 (errno) when the
 * input cannot be read or memory runs out. */
int
rs_batch(FILE *in, const char *name, const struct rs_opts *o)
{
	struct pool p;
	pthread_t *tid = NULL;
	int i, n = 0, rc = -1;
	size_t k;

	(void)name;
	memset(&p, 0, sizeof(p));
	p.o = o;
	pthread_mutex_init(&p.mu, NULL);
	if (read_jobs(in, &p) == -1)
		goto end;
	rc = 0;
	if (p.njob == 0)
		goto end;
	p.res = calloc(p.njob, sizeof(*p.res));
	p.done = calloc(p.njob, 1);
	tid = calloc(o->workers, sizeof(*tid));
	if (p.res == NULL || p.done == NULL || tid == NULL) {
		rc = -1;
		goto end;
	}
	for (i = 0; i < o->workers && (size_t)i < p.njob; i++) {
		if ((errno = pthread_create(&tid[i], NULL, worker, &p)) != 0)
			break;
		n++;
	}
	if (n == 0) {
		rc = -1;
		goto end;
	}
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	rc = p.worst;
end:
	for (k = 0; k < p.njob; k++) {
		free(p.job[k].line);
		free(p.job[k].serv);
	}
	free(p.job);
	free(p.res);
	free(p.done);
	free(tid);
	pthread_mutex_destroy(&p.mu);
	return rc;
}
