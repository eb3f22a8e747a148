/*
 * lssock collection: build the owner map when -p asks for it, dump
 * through netlink (or /proc/net), in one namespace or each in turn,
 * filter, and hand each socket to the renderer or the summary as it
 * arrives.
 *
 * The owner map (a BPF program load and iterator read, or the /proc
 * walk) costs about what the dump does, and they need different things
 * (the kernel's task list, its socket tables): a thread builds the map
 * while this one dumps, and the table rows wait in memory with a mark
 * where each owner list goes until the map is joined.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/procmap.h"
#include "sockkit/sockdiag.h"
#include "lssock/lssock.h"

struct run {
	const struct ls_opts *o;
	struct ls_render *r;
	struct ls_summary *sum;
	struct ls_metrics *metrics;
	ls_each_fn *each;	/* ls_collect_each() */
	void *arg;
	const char *netns;	/* --all-netns: the one being dumped */
	unsigned long seen;
};

static int
on_sock(const struct sk_sock *s, void *arg)
{
	struct run *run = arg;

	run->seen++;
	/* The kernel filtered states for netlink; /proc leaves it to us
	 * (cheap to repeat).  -4/-6 never list UNIX sockets. */
	if (!(run->o->states & SK_SS_BIT(s->state)))
		return 0;
	if (!ls_filter_match(run->o->filter, s))
		return 0;
	if (run->each != NULL)
		return run->each(s, run->netns, run->arg);
	if (run->sum != NULL)
		ls_summary_add(run->sum, s);
	else if (run->metrics != NULL)
		ls_metrics_add(run->metrics, s);
	else
		ls_render_sock(run->r, s);
	return 0;
}

/* -v: which way the owner map was built, and why not the fast one. */
static void
say_owners(const struct sk_procmap *m)
{
	const char *why = sk_procmap_fallback(m);

	if (sk_procmap_via(m) == SK_PROCMAP_BPF)
		fprintf(stderr, "lssock: owners: BPF task_file iterator, "
		    "%zu socket fds\n", sk_procmap_count(m));
	else
		fprintf(stderr, "lssock: owners: /proc fd walk, %zu socket "
		    "fds%s%s\n", sk_procmap_count(m), why ? "; " : "",
		    why ? why : "");
}

/* The owner map, built on a thread of its own. */
struct owner_job {
	pthread_t tid;
	const char *procroot;
	struct sk_procmap *m;
	struct sk_err e;
};

static void *
build_owners(void *arg)
{
	struct owner_job *job = arg;

	job->m = sk_procmap_build(job->procroot, 0, &job->e);
	return NULL;
}

static int
dump(const struct sk_sockdiag_req *req, struct run *run, struct sk_err *e)
{
	if (run->o->useproc)
		return sk_procnet_dump(req, on_sock, run, e);
	run->seen = 0;
	if (sk_sockdiag_dump(req, on_sock, run, e) == 0)
		return 0;
	/* As ss does, when netlink is refused before the first socket. */
	if (run->seen == 0 && (e->code == EPROTONOSUPPORT ||
	    e->code == EACCES || e->code == EPERM || e->code == EAFNOSUPPORT))
		return sk_procnet_dump(req, on_sock, run, e);
	return -1;
}

/* Each namespace in turn, from this thread, then back home. */
static int
dump_all(const struct sk_sockdiag_req *req, struct run *run, struct sk_err *e)
{
	struct ls_netns *ns = NULL;
	size_t n = 0, i;
	int home, fd, rc = -1;

	if (geteuid() != 0)
		return sk_err_kset(e, SK_ERR_SYSTEM, EPERM,
		    "--all-netns: entering other namespaces needs root");
	if ((home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		return sk_err_sys(e, "open /proc/self/ns/net");
	if (ls_netns_list(run->o->procroot, &ns, &n, e) < 0)
		goto end;
	for (i = 0; i < n; i++) {
		if ((fd = open(ns[i].path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;	/* its last process exited meanwhile */
		rc = ls_enter_netns_fd(fd, ns[i].path, e);
		close(fd);
		if (rc < 0)
			goto end;
		run->netns = ns[i].name;
		if (run->r != NULL)
			ls_render_set_netns(run->r, ns[i].name);
		if ((rc = dump(req, run, e)) < 0)
			goto end;
	}
	rc = 0;
end:
	if (ls_enter_netns_fd(home, "home namespace", rc < 0 ? NULL : e) < 0)
		rc = -1;
	close(home);
	free(ns);
	return rc;
}

static void
request(const struct ls_opts *o, unsigned ext, struct sk_sockdiag_req *req,
    struct sk_sockdiag_bc *bc)
{
	memset(req, 0, sizeof(*req));
	req->protos = o->protos;
	req->family = o->family;
	req->states = o->states;
	req->procroot = o->procroot;
	req->ext = ext;
	if (ls_filter_bytecode(o->filter, bc) > 0)
		req->bc = bc;
}

int
ls_collect_each(const struct ls_opts *o, unsigned ext, ls_each_fn *fn,
    void *arg, struct sk_err *e)
{
	struct sk_sockdiag_req req;
	struct sk_sockdiag_bc bc;
	struct run run;

	request(o, ext, &req, &bc);
	memset(&run, 0, sizeof(run));
	run.o = o;
	run.each = fn;
	run.arg = arg;
	return o->all_netns ? dump_all(&req, &run, e) : dump(&req, &run, e);
}

int
ls_collect(const struct ls_opts *o, FILE *out, struct sk_err *e)
{
	struct sk_sockdiag_req req;
	struct sk_procmap *owners = NULL;
	struct sk_sockdiag_bc bc;
	struct ls_summary sum;
	struct owner_job job;
	struct run run;
	unsigned ext = 0;
	int rc = -1, joined = 1;

	if (o->info)
		ext |= SK_SD_EXT_INFO;
	if (o->memory)
		ext |= SK_SD_EXT_MEM;
	if (o->extended || o->style == LS_JSON)
		ext |= SK_SD_EXT_UID;
	request(o, ext, &req, &bc);
	memset(&run, 0, sizeof(run));
	run.o = o;
	if (o->style == LS_SUMMARY) {
		memset(&sum, 0, sizeof(sum));
		run.sum = &sum;
	} else if (o->style == LS_METRICS) {
		if ((run.metrics = ls_metrics_new()) == NULL)
			return sk_err_sys(e, "openmetrics");
	} else {
		/* JSON puts owners inside each object: its rows do not wait,
		 * the map comes first.  So it does when no thread starts. */
		memset(&job, 0, sizeof(job));
		job.procroot = o->procroot;
		if (o->owners && o->style != LS_JSON &&
		    pthread_create(&job.tid, NULL, build_owners, &job) == 0)
			joined = 0;
		else if (o->owners &&
		    (owners = sk_procmap_build(o->procroot, 0, e)) == NULL)
			return -1;
		if (owners != NULL && o->verbose)
			say_owners(owners);
		if ((run.r = ls_render_new(o, out, owners)) == NULL) {
			sk_err_sys(e, "lssock");
			goto end;
		}
		if (!joined)
			ls_render_defer(run.r);
		ls_render_header(run.r);
	}
	if (o->all_netns)
		rc = dump_all(&req, &run, e);
	else
		rc = dump(&req, &run, e);
	if (!joined) {
		pthread_join(job.tid, NULL);
		joined = 1;
		owners = job.m;
		if (owners == NULL && rc == 0) {
			*e = job.e;
			rc = -1;
		}
		if (owners != NULL && o->verbose)
			say_owners(owners);
		/* On an error the waiting rows are dropped with the renderer:
		 * a listing whose owners failed wrote nothing before either
		 * (one whose dump failed midway used to write its first rows). */
		if (rc == 0)
			ls_render_owners(run.r, owners);
	}
	if (run.r != NULL && ls_render_end(run.r) < 0 && rc == 0)
		rc = sk_err_sys(e, "write");
	if (rc == 0 && run.sum != NULL && ls_summary_print(&sum, o->procroot, out) < 0)
		rc = sk_err_sys(e, "write");
	if (rc == 0 && run.metrics != NULL)
		rc = ls_metrics_write(run.metrics, o->metrics, e);
end:
	if (!joined) {
		pthread_join(job.tid, NULL);
		owners = job.m;
	}
	ls_metrics_free(run.metrics);
	ls_render_free(run.r);
	sk_procmap_free(owners);
	return rc;
}
