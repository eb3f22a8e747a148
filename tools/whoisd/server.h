/*
 * whoisd/server.h — standalone serving, private to server.c and pool.c:
 * one event loop per serving thread ("worker"), each on listeners of its
 * own (SO_REUSEPORT) or all on the same ones (socket activation), all
 * answering from the same directory.
 */
#ifndef WHOISD_SERVER_H
#define WHOISD_SERVER_H

#include <pthread.h>
#include <stdatomic.h>

#include "whoisd.h"

struct wd_conn;
struct wd_pool;

struct wd_worker {
	struct wd_pool *p;
	struct whoisd *w;
	struct sk_loop *loop;
	pthread_t tid;
	int started;			/* tid is a thread to join */
	struct wd_dir *dir;		/* what this worker answers from */
	_Atomic(struct wd_dir *) next_dir;	/* posted by a reload */
	const int *lfds;		/* the listeners this worker accepts on */
	int nl;
	int listening;
	int draining;
	int spare;			/* reserve fd for shedding under EMFILE */
	int sndbuf_each;		/* listeners lack the cap: set per client */
	int nconns;			/* this worker's clients */
	int nrefusing;			/* ... that only get an error line */
	int accept_batch;
	struct wd_conn *head;
};

/* Shared by the workers.  Per-address limits and rate buckets live in one
 * table under one lock (lim_lock); the client count is an atomic. */
struct wd_pool {
	struct whoisd *w;
	int shared;			/* every worker on the same listeners */
	pthread_mutex_t lim_lock;
	struct wd_limits *lim;
	atomic_int nconns;		/* clients served now, all workers */
	atomic_int watching;		/* shared: workers still on them */
	int nworkers;
	struct wd_worker wk[WHOISD_MAX_THREADS];
	/* Reload: worker 0's thread only, but for the loader thread's
	 * result, handed over through sk_loop_post(). */
	pthread_t loader;
	int loading;			/* loader is a thread to join */
	int load_again;			/* SIGHUP while loading */
	int64_t load_t0;
	struct wd_dir *loaded;		/* the loader's result, or NULL */
	struct sk_err load_err;
};

/* server.c: one worker's connections. */
int wd_worker_init(struct wd_worker *wk, struct wd_pool *p, struct sk_err *e);
void wd_worker_fini(struct wd_worker *wk);
/* Post callbacks: stop accepting and drain (SIGTERM); answer from the
 * directory in wk->next_dir from now on (reload). */
void wd_worker_drain(struct sk_loop *l, void *arg);
void wd_worker_adopt(struct sk_loop *l, void *arg);

#endif
