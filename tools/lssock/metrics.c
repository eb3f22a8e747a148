/*
 * lssock --openmetrics: socket counts for Prometheus's node_exporter
 * textfile collector.  Counts by netid/family/state, listening sockets
 * by port, and each listener's accept queue (Recv-Q) and its limit
 * (Send-Q), in the OpenMetrics text format.  The file is written to a
 * temporary name and renamed, so the collector never reads half of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "lssock/lssock.h"

#define NNETID 6	/* tcp udp raw u_str u_dgr u_seq */
#define NFAM 3		/* inet inet6 unix */

struct listener {
	unsigned char netid;
	char local[SK_HOSTLEN + 16];
	uint32_t rq, wq;
};

struct ls_metrics {
	unsigned long count[NNETID][NFAM][SK_SS_MAX];
	uint32_t *ports[3];	/* LISTEN/UNCONN inet sockets by port */
	struct listener *lst;
	size_t nlst, cap;
	struct ls_names *names;
	int oom;
};

static const char *const netids[NNETID] = {
	"tcp", "udp", "raw", "u_str", "u_dgr", "u_seq"
};
static const char *const fams[NFAM] = { "inet", "inet6", "unix" };

static int
netid_index(const struct sk_sock *s)
{
	const char *n = sk_sock_netid(s);
	int i;

	for (i = 0; i < NNETID; i++)
		if (strcmp(n, netids[i]) == 0)
			return i;
	return 0;
}

struct ls_metrics *
ls_metrics_new(void)
{
	struct ls_metrics *m = calloc(1, sizeof(*m));
	int i;

	if (m == NULL)
		return NULL;
	for (i = 0; i < 3; i++)
		if ((m->ports[i] = calloc(65536, sizeof(uint32_t))) == NULL)
			goto fail;
	if ((m->names = ls_names_new(1, 0)) == NULL)
		goto fail;
	return m;
fail:
	ls_metrics_free(m);
	return NULL;
}

void
ls_metrics_free(struct ls_metrics *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < 3; i++)
		free(m->ports[i]);
	free(m->lst);
	ls_names_free(m->names);
	free(m);
}

void
ls_metrics_add(struct ls_metrics *m, const struct sk_sock *s)
{
	int n = netid_index(s);
	int f = s->family == AF_INET ? 0 : s->family == AF_INET6 ? 1 : 2;
	struct listener *l;

	if ((unsigned)s->state < SK_SS_MAX)
		m->count[n][f][s->state]++;
	if (n < 3 && (s->state == SK_SS_LISTEN ||
	    (n > 0 && s->state == SK_SS_CLOSE)))
		m->ports[n][s->sport]++;
	if (s->state != SK_SS_LISTEN)
		return;
	/* Listeners are few; keeping them lets each family print whole. */
	if (m->nlst == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;

		if ((l = realloc(m->lst, cap * sizeof(*l))) == NULL) {
			m->oom = 1;
			return;
		}
		m->lst = l;
		m->cap = cap;
	}
	l = &m->lst[m->nlst++];
	l->netid = (unsigned char)n;
	ls_name_endpoint(m->names, s, 0, l->local, sizeof(l->local));
	l->rq = s->rqueue;
	l->wq = s->wqueue;
}

/* A label value: backslash, quote and newline escaped. */
static void
label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

static void
listeners(FILE *f, const struct ls_metrics *m, const char *name,
    const char *help, int limit)
{
	size_t i;

	fprintf(f, "# TYPE %s gauge\n# HELP %s %s\n", name, name, help);
	for (i = 0; i < m->nlst; i++) {
		fprintf(f, "%s{netid=\"%s\",local=\"", name,
		    netids[m->lst[i].netid]);
		label(f, m->lst[i].local);
		fprintf(f, "\"} %u\n", limit ? m->lst[i].wq : m->lst[i].rq);
	}
}

static void
write_all(FILE *f, const struct ls_metrics *m)
{
	int n, fa, st;
	unsigned p;

	fputs("# TYPE lssock_sockets gauge\n"
	    "# HELP lssock_sockets Sockets by netid, family and state.\n", f);
	for (n = 0; n < NNETID; n++)
		for (fa = 0; fa < NFAM; fa++)
			for (st = 1; st < SK_SS_MAX; st++) {
				if (m->count[n][fa][st] == 0)
					continue;
				fprintf(f, "lssock_sockets{netid=\"%s\",family=\"%s\","
				    "state=\"%s\"} %lu\n", netids[n], fams[fa],
				    sk_sock_state_str(st), m->count[n][fa][st]);
			}
	fputs("# TYPE lssock_listening gauge\n"
	    "# HELP lssock_listening Listening TCP and bound unconnected UDP "
	    "and raw sockets by port.\n", f);
	for (n = 0; n < 3; n++)
		for (p = 0; p < 65536; p++)
			if (m->ports[n][p])
				fprintf(f, "lssock_listening{netid=\"%s\",port=\"%u\"} "
				    "%u\n", netids[n], p, m->ports[n][p]);
	listeners(f, m, "lssock_accept_queue",
	    "Connections waiting in a listener's accept queue (Recv-Q).", 0);
	listeners(f, m, "lssock_accept_queue_limit",
	    "A listener's accept queue limit (Send-Q, the listen backlog).", 1);
	fputs("# EOF\n", f);
}

int
ls_metrics_write(const struct ls_metrics *m, const char *path, struct sk_err *e)
{
	char tmp[4096];
	FILE *f;

	if (m->oom)
		return sk_err_set(e, ENOMEM, "openmetrics: out of memory");
	if (strcmp(path, "-") == 0) {
		write_all(stdout, m);
		if (fflush(stdout) == EOF || ferror(stdout))
			return sk_err_sys(e, "write");
		return 0;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp))
		return sk_err_kset(e, SK_ERR_INPUT, ENAMETOOLONG,
		    "openmetrics file %s: name too long", path);
	if ((f = fopen(tmp, "we")) == NULL)
		return sk_err_sys(e, "open %s", tmp);
	write_all(f, m);
	if (fflush(f) == EOF || ferror(f) || fsync(fileno(f)) < 0) {
		sk_err_sys(e, "write %s", tmp);
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) == EOF) {
		sk_err_sys(e, "close %s", tmp);
		unlink(tmp);
		return -1;
	}
	/* rename(2) is atomic: the collector sees the old file or the new. */
	if (rename(tmp, path) < 0) {
		sk_err_sys(e, "rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}
