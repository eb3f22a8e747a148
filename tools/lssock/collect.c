/*
 * lssock collection: enter the namespace, build the owner map when -p
 * asks for it, dump through netlink (or /proc/net), filter, and hand
 * each socket to the renderer or the summary as it arrives.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/procmap.h"
#include "sockkit/sockdiag.h"
#include "lssock/lssock.h"

int
ls_enter_netns(const char *name, struct sk_err *e)
{
	char path[4096];
	int fd;

	/* A name with a slash is a path (/proc/PID/ns/net works too). */
	if (strchr(name, '/') != NULL)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		sk_err_sys(e, "network namespace %s", path);
		if (errno == ENOENT)
			e->kind = SK_ERR_INPUT;
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		sk_err_sys(e, "setns %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

struct run {
	const struct ls_opts *o;
	struct ls_render *r;
	struct ls_summary *sum;
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
	if (run->sum != NULL)
		ls_summary_add(run->sum, s);
	else
		ls_render_sock(run->r, s);
	return 0;
}

int
ls_collect(const struct ls_opts *o, FILE *out, struct sk_err *e)
{
	struct sk_sockdiag_req req;
	struct sk_procmap *owners = NULL;
	struct sk_sockdiag_bc bc;
	struct ls_summary sum;
	struct run run;
	int rc = -1;

	memset(&req, 0, sizeof(req));
	memset(&run, 0, sizeof(run));
	req.protos = o->protos;
	req.family = o->family;
	req.states = o->states;
	req.procroot = o->procroot;
	if (o->info)
		req.ext |= SK_SD_EXT_INFO;
	if (o->memory)
		req.ext |= SK_SD_EXT_MEM;
	if (o->extended || o->style == LS_JSON)
		req.ext |= SK_SD_EXT_UID;
	if (ls_filter_bytecode(o->filter, &bc) > 0)
		req.bc = &bc;
	run.o = o;
	if (o->style == LS_SUMMARY) {
		memset(&sum, 0, sizeof(sum));
		run.sum = &sum;
	} else {
		if (o->owners &&
		    (owners = sk_procmap_build(o->procroot, 0, e)) == NULL)
			return -1;
		if ((run.r = ls_render_new(o, out, owners)) == NULL) {
			sk_err_sys(e, "lssock");
			goto end;
		}
		ls_render_header(run.r);
	}
	if (o->useproc)
		rc = sk_procnet_dump(&req, on_sock, &run, e);
	else if ((rc = sk_sockdiag_dump(&req, on_sock, &run, e)) < 0 &&
	    run.seen == 0 && (e->code == EPROTONOSUPPORT ||
	    e->code == EACCES || e->code == EPERM || e->code == EAFNOSUPPORT))
		rc = sk_procnet_dump(&req, on_sock, &run, e);	/* ss does too */
	if (run.r != NULL && ls_render_end(run.r) < 0 && rc == 0)
		rc = sk_err_sys(e, "write");
	if (rc == 0 && run.sum != NULL && ls_summary_print(&sum, o->procroot, out) < 0)
		rc = sk_err_sys(e, "write");
end:
	ls_render_free(run.r);
	sk_procmap_free(owners);
	return rc;
}
