/*
 * Standalone whoisd on every core: one worker (event loop) per thread,
 * each accepting on listeners of its own (SO_REUSEPORT: the kernel
 * spreads connections, no thread wakes for another's) or, for sockets
 * handed over by systemd, all watching the same ones; all answer from
 * the same directory.  Worker 0 runs on the main thread and owns the signals:
 * SIGHUP starts a loader thread that builds the new directory while every
 * worker keeps answering from the old one; the result is posted back to
 * worker 0, which hands it to each worker (sk_loop_post) — the old one is
 * freed, off every loop, once the last worker has let go of it.
 * SIGTERM/SIGINT make every worker stop accepting and drain.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/fd.h"
#include "sockkit/log.h"
#include "sockkit/loop.h"
#include "db.h"
#include "server.h"
#include "whoisd.h"

static void *
worker_thread(void *arg)
{
	struct wd_worker *wk = arg;
	struct sk_err e;

	if (sk_loop_run(wk->loop, &e) == -1)
		sk_log(&wk->w->log, LOG_ERR, "worker: %s", e.msg);
	return NULL;
}

static void load_done(struct sk_loop *l, void *arg);

static void *
loader_thread(void *arg)
{
	struct wd_pool *p = arg;

	p->loaded = wd_dir_load(p->w->cfg, &p->load_err);
	/* Worker 0 may have stopped: then the post is dropped and wd_serve_loop
	 * joins us and frees what we loaded. */
	if (sk_loop_post(p->wk[0].loop, load_done, p, NULL) == -1)
		sk_loop_wake(p->wk[0].loop);
	return NULL;
}

static void start_load(struct wd_pool *p);

/* On worker 0, when the loader has finished. */
static void
load_done(struct sk_loop *l, void *arg)
{
	struct wd_pool *p = arg;
	struct wd_dir *d, *old;
	int i;

	if (!p->loading)
		return;
	pthread_join(p->loader, NULL);
	p->loading = 0;
	d = p->loaded;
	p->loaded = NULL;
	if (d == NULL) {
		const struct sk_err *e = &p->load_err;
		int acc = e->code == EACCES && p->w->runs_as != NULL;

		sk_log(&p->w->log, LOG_ERR, "reload rejected, old database "
		    "stays in service: %s%s%s%s", e->msg,
		    acc ? " (whoisd now runs as user " : "",
		    acc ? p->w->runs_as : "", acc ? ")" : "");
	} else {
		sk_log(&p->w->log, LOG_NOTICE, "reloaded %s: %zu records in "
		    "%lld ms", p->w->cfg->db_path, wd_db_count(d->db),
		    (long long)(sk_now_ms() - p->load_t0));
		/* One reference per worker; each drops its old one itself. */
		atomic_store(&d->refs, p->nworkers);
		for (i = 0; i < p->nworkers; i++) {
			old = atomic_exchange(&p->wk[i].next_dir, d);
			wd_dir_release(old, 0);
			if (i == 0)
				wd_worker_adopt(l, &p->wk[0]);
			else if (sk_loop_post(p->wk[i].loop, wd_worker_adopt,
			    &p->wk[i], NULL) == -1)
				sk_log(&p->w->log, LOG_ERR, "reload: worker %d "
				    "keeps the old database: out of memory", i);
		}
	}
	if (p->load_again) {
		p->load_again = 0;
		start_load(p);
	}
}

static void
start_load(struct wd_pool *p)
{
	int rc;

	if (p->loading) {
		p->load_again = 1;
		return;
	}
	p->load_t0 = sk_now_ms();
	rc = pthread_create(&p->loader, NULL, loader_thread, p);
	if (rc != 0) {
		sk_log(&p->w->log, LOG_ERR, "reload: thread: %s", strerror(rc));
		return;
	}
	p->loading = 1;
}

static void
on_signal(struct sk_loop *l, int signo, void *arg)
{
	struct wd_pool *p = arg;
	int i;

	if (signo == SIGHUP) {
		start_load(p);
		return;
	}
	if (p->wk[0].draining)
		return;
	sk_log(&p->w->log, LOG_NOTICE, "signal %d: draining %d clients", signo,
	    atomic_load(&p->nconns));
	for (i = 1; i < p->nworkers; i++)
		if (sk_loop_post(p->wk[i].loop, wd_worker_drain, &p->wk[i],
		    NULL) == -1)
			sk_log(&p->w->log, LOG_ERR, "drain: worker %d: out of "
			    "memory", i);
	wd_worker_drain(l, &p->wk[0]);
}

/* "127.0.0.1:4343, [::]:43": the suite's address form, wildcards too. */
static const char *
local_names(const int *fds, int nfds, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[INET6_ADDRSTRLEN];
	size_t off = 0;
	const void *a;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < nfds && off < len; i++) {
		sl = sizeof(ss);
		if (getsockname(fds[i], (struct sockaddr *)&ss, &sl) == -1)
			continue;
		a = ss.ss_family == AF_INET6 ?
		    (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr :
		    (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
		if ((ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
		    inet_ntop(ss.ss_family, a, host, sizeof(host)) == NULL)
			continue;
		n = snprintf(buf + off, len - off, ss.ss_family == AF_INET6 ?
		    "%s[%s]:%d" : "%s%s:%d", off ? ", " : "", host,
		    sk_addr_port((struct sockaddr *)&ss));
		off += n > 0 ? (size_t)n : 0;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "%d socket%s", nfds, nfds == 1 ? "" : "s");
	return buf;
}

int
wd_serve_loop(struct whoisd *w, const int *fds, int nfds, int own)
{
	const struct whoisd_cfg *cfg = w->cfg;
	static struct wd_pool p;
	struct sk_err e;
	char names[512];
	int i, rc = 0, started = 0;

	p.w = w;
	p.nworkers = cfg->threads;
	p.shared = !own;
	atomic_init(&p.watching, p.nworkers);
	pthread_mutex_init(&p.lim_lock, NULL);
	p.lim = wd_limits_new(cfg->per_ip, cfg->rate, cfg->burst, &e);
	if (p.lim == NULL)
		goto fail;
	for (i = 0; i < (own ? nfds * p.nworkers : nfds); i++)
		if (sk_fd_nonblock(fds[i], 1, &e) == -1)
			goto fail;
	/* Every worker holds a reference to the directory loaded at start. */
	atomic_store(&w->dir->refs, p.nworkers);
	for (i = 0; i < p.nworkers; i++) {
		p.wk[i].dir = w->dir;
		p.wk[i].lfds = own ? fds + i * nfds : fds;
		p.wk[i].nl = nfds;
		if (wd_worker_init(&p.wk[i], &p, &e) == -1)
			goto fail;
	}
	w->dir = NULL;
	/* Signals stay blocked in every thread (held since main()); worker
	 * 0 reads them from its loop. */
	if (sk_loop_signal(p.wk[0].loop, SIGHUP, on_signal, &p, &e) == -1 ||
	    sk_loop_signal(p.wk[0].loop, SIGTERM, on_signal, &p, &e) == -1 ||
	    sk_loop_signal(p.wk[0].loop, SIGINT, on_signal, &p, &e) == -1)
		goto fail;
	sk_log(&w->log, LOG_NOTICE, "serving %zu records from %s on %s with "
	    "%d thread%s", wd_db_count(p.wk[0].dir->db), cfg->db_path,
	    local_names(fds, nfds, names, sizeof(names)), p.nworkers,
	    p.nworkers == 1 ? "" : "s");
	for (i = 1; i < p.nworkers; i++) {
		rc = pthread_create(&p.wk[i].tid, NULL, worker_thread, &p.wk[i]);
		if (rc != 0) {
			sk_err_set(&e, rc, "thread: %s", strerror(rc));
			break;
		}
		p.wk[i].started = 1;
		started++;
	}
	rc = 0;
	if (started != p.nworkers - 1) {
		/* Stop the ones that run; serve nothing. */
		for (i = 1; i <= started; i++)
			sk_loop_post(p.wk[i].loop, wd_worker_drain, &p.wk[i], NULL);
		sk_log(&w->log, LOG_ERR, "start: %s", e.msg);
		rc = WHOISD_EXIT_SYS;
	} else if (sk_loop_run(p.wk[0].loop, &e) == -1) {
		sk_log(&w->log, LOG_ERR, "%s", e.msg);
		rc = WHOISD_EXIT_SYS;
	}
	for (i = 1; i < p.nworkers; i++)
		if (p.wk[i].started)
			pthread_join(p.wk[i].tid, NULL);
	if (p.loading) {
		pthread_join(p.loader, NULL);
		wd_dir_release(p.loaded, 1);
	}
	sk_log(&w->log, LOG_NOTICE, "exiting");
	for (i = 0; i < p.nworkers; i++)
		wd_worker_fini(&p.wk[i]);
	wd_limits_free(p.lim);
	pthread_mutex_destroy(&p.lim_lock);
	return rc;
fail:
	sk_log(&w->log, LOG_ERR, "start: %s", e.msg);
	return WHOISD_EXIT_SYS;
}
