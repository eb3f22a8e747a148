/*
 * Socket owners: the BPF task_file iterator (lib/procmap_bpf.c) when it
 * loads, else one walk over /proc/<pid>/fd.  In the walk, the lookup of
 * each fd is the cost (about 4 us: a dentry lookup and revalidation, a
 * ptrace access check, then the link text; stat(2) instead of
 * readlink(2) measured no cheaper), so the caller thread lists fd
 * directories into chunks and a worker thread resolves chunks while it
 * lists; both resolve once listing ends.  Chunks, not processes, are the
 * unit of work: a benchmark or server may hold nearly all the fds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/procmap.h"
#include "internal.h"

#define CHUNK_FDS 512
#define NO_OWNER UINT32_MAX
#define COMM_MAX 64

struct chunk {
	struct chunk *next;
	int pid;
	int nfd;
	int fd[CHUNK_FDS];
};

/* What one worker found; merged by the caller after the join. */
struct found {
	struct sk_owner *v;
	size_t n, cap;
	int oom;
};

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk *head, *tail;
	int done;		/* no more chunks will come */
	const char *root;
};

struct sk_procmap {
	struct sk_owner *owner;
	size_t nowner;
	uint32_t *slot;		/* open addressing: index of first owner */
	size_t nslot;		/* power of two */
	char *comms;		/* NUL-separated comm strings */
	enum sk_procmap_via via;
	char *fallback;		/* why AUTO did not use BPF, or NULL */
};

/* Where name_owners() gets a pid's comm. */
typedef void (*comm_fn)(void *arg, int pid, char *buf, size_t len);

/* ---- workers ---------------------------------------------------------------- */

static int
found_add(struct found *f, uint64_t inode, int pid, int fd)
{
	struct sk_owner *v;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;

		if ((v = realloc(f->v, cap * sizeof(*v))) == NULL) {
			f->oom = 1;
			return -1;
		}
		f->v = v;
		f->cap = cap;
	}
	v = &f->v[f->n++];
	v->inode = inode;
	v->pid = pid;
	v->fd = fd;
	v->comm = NULL;
	v->next = NO_OWNER;
	return 0;
}

/* "socket:[12345]" → 12345; anything else → 0. */
static uint64_t
socket_inode(const char *l, ssize_t n)
{
	uint64_t ino = 0;
	ssize_t i;

	if (n < 10 || memcmp(l, "socket:[", 8) != 0 || l[n - 1] != ']')
		return 0;
	for (i = 8; i < n - 1; i++) {
		if (l[i] < '0' || l[i] > '9')
			return 0;
		ino = ino * 10 + (uint64_t)(l[i] - '0');
	}
	return ino;
}

static void
resolve_chunk(const char *root, const struct chunk *c, struct found *f)
{
	char path[4096], name[16], link[64];
	uint64_t ino;
	ssize_t n;
	int dfd, i;

	snprintf(path, sizeof(path), "%s/%d/fd", root, c->pid);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;		/* the process exited meanwhile */
	for (i = 0; i < c->nfd; i++) {
		snprintf(name, sizeof(name), "%d", c->fd[i]);
		n = readlinkat(dfd, name, link, sizeof(link));
		if (n <= 0 || (ino = socket_inode(link, n)) == 0)
			continue;
		if (found_add(f, ino, c->pid, c->fd[i]) < 0)
			break;
	}
	close(dfd);
}

static struct chunk *
queue_pop(struct queue *q)
{
	struct chunk *c;

	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !q->done)
		pthread_cond_wait(&q->cv, &q->mu);
	if ((c = q->head) != NULL) {
		q->head = c->next;
		if (q->head == NULL)
			q->tail = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	return c;
}

static void
queue_push(struct queue *q, struct chunk *c)
{
	c->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

struct worker {
	pthread_t tid;
	struct queue *q;
	struct found f;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct chunk *c;

	while ((c = queue_pop(w->q)) != NULL) {
		resolve_chunk(w->q->root, c, &w->f);
		free(c);
	}
	return NULL;
}

/* ---- listing ------------------------------------------------------------------ */

/* A /proc directory name as a pid or fd number; -1 for anything else. */
static int
dir_number(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

/* List /proc/<pid>/fd into chunks on the queue.  Returns -1 on OOM. */
static int
list_fds(struct queue *q, int pid)
{
	char path[4096];
	struct chunk *c = NULL;
	struct dirent *de;
	DIR *d;
	int rc = 0, fd;

	snprintf(path, sizeof(path), "%s/%d/fd", q->root, pid);
	if ((d = opendir(path)) == NULL)
		return 0;	/* gone or not ours to read */
	while ((de = readdir(d)) != NULL) {
		if ((fd = dir_number(de->d_name)) < 0)
			continue;
		if (c == NULL) {
			if ((c = malloc(sizeof(*c))) == NULL) {
				rc = -1;
				break;
			}
			c->pid = pid;
			c->nfd = 0;
		}
		c->fd[c->nfd++] = fd;
		if (c->nfd == CHUNK_FDS) {
			queue_push(q, c);
			c = NULL;
		}
	}
	if (c != NULL && c->nfd > 0)
		queue_push(q, c);
	else
		free(c);
	closedir(d);
	return rc;
}

/* ---- the map ------------------------------------------------------------------ */

static size_t
hash_inode(uint64_t ino, size_t mask)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ull) >> 17) & mask;
}

static int
read_comm(const char *root, int pid, char *buf, size_t len)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/comm", root, pid);
	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	if (buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/* Fill comm pointers: one comm(pid) per run of owners with one pid
 * (owners arrive grouped by pid, one worker's run at a time). */
static int
name_owners(struct sk_procmap *m, comm_fn comm, void *arg)
{
	size_t i, used = 0, cap = 0, *off;
	char buf[COMM_MAX], *p;
	int last = -1;
	size_t lastoff = 0, len;

	if ((off = malloc((m->nowner + 1) * sizeof(*off))) == NULL)
		return -1;
	for (i = 0; i < m->nowner; i++) {
		if (m->owner[i].pid != last) {
			last = m->owner[i].pid;
			comm(arg, last, buf, sizeof(buf));
			len = strlen(buf) + 1;
			if (used + len > cap) {
				cap = cap ? cap * 2 : 4096;
				while (used + len > cap)
					cap *= 2;
				if ((p = realloc(m->comms, cap)) == NULL) {
					free(off);
					return -1;
				}
				m->comms = p;
			}
			memcpy(m->comms + used, buf, len);
			lastoff = used;
			used += len;
		}
		off[i] = lastoff;
	}
	/* Pointers only once the pool stops moving. */
	for (i = 0; i < m->nowner; i++)
		m->owner[i].comm = m->comms + off[i];
	free(off);
	return 0;
}

static void
proc_comm(void *arg, int pid, char *buf, size_t len)
{
	read_comm(arg, pid, buf, len);
}

/* ss -p's order among the owners of one socket: pid, then fd, both
 * descending (the reverse of its /proc walk). */
static int
comes_first(const struct sk_owner *a, const struct sk_owner *b)
{
	return a->pid != b->pid ? a->pid > b->pid : a->fd > b->fd;
}

/*
 * Hash inodes to chains of owners kept in ss order, whatever order the
 * collector (or the race between walkers) gave them.  Owners come
 * mostly ascending, so each usually goes to the front of its chain.
 */
static int
index_owners(struct sk_procmap *m)
{
	size_t i, h, mask;
	uint32_t j, *at;
	struct sk_owner *o;

	m->nslot = 64;
	while (m->nslot < m->nowner * 2)
		m->nslot *= 2;
	if ((m->slot = malloc(m->nslot * sizeof(*m->slot))) == NULL)
		return -1;
	memset(m->slot, 0xff, m->nslot * sizeof(*m->slot));
	mask = m->nslot - 1;
	for (i = 0; i < m->nowner; i++) {
		o = &m->owner[i];
		h = hash_inode(o->inode, mask);
		while ((j = m->slot[h]) != NO_OWNER &&
		    m->owner[j].inode != o->inode)
			h = (h + 1) & mask;
		for (at = &m->slot[h]; *at != NO_OWNER &&
		    !comes_first(o, &m->owner[*at]); at = &m->owner[*at].next)
			;
		o->next = *at;
		*at = (uint32_t)i;
	}
	return 0;
}

static int
merge(struct sk_procmap *m, struct found *f, unsigned nf)
{
	size_t total = 0, k = 0;
	unsigned i;

	for (i = 0; i < nf; i++) {
		if (f[i].oom)
			return -1;
		total += f[i].n;
	}
	if (total >= NO_OWNER)
		return -1;
	/* One collector (the iterator): its vector is the map's. */
	if (nf == 1 && f[0].n > 0) {
		m->owner = f[0].v;
		m->nowner = f[0].n;
		f[0].v = NULL;
		return 0;
	}
	if ((m->owner = malloc((total + 1) * sizeof(*m->owner))) == NULL)
		return -1;
	for (i = 0; i < nf; i++) {
		if (f[i].n)
			memcpy(m->owner + k, f[i].v, f[i].n * sizeof(*m->owner));
		k += f[i].n;
	}
	m->nowner = total;
	return 0;
}

/* The map from what the collectors found; f is theirs to free. */
static struct sk_procmap *
finish(struct found *f, unsigned nf, enum sk_procmap_via via, comm_fn comm,
    void *arg, struct sk_err *e)
{
	struct sk_procmap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL || merge(m, f, nf) < 0 ||
	    index_owners(m) < 0 || name_owners(m, comm, arg) < 0) {
		errno = ENOMEM;
		sk_err_sys(e, "procmap");
		sk_procmap_free(m);
		return NULL;
	}
	m->via = via;
	return m;
}

/* ---- the /proc walk ------------------------------------------------------------ */

static struct sk_procmap *
walk(const char *root, unsigned nthreads, struct sk_err *e)
{
	struct queue q = { .root = root };
	struct sk_procmap *m = NULL;
	struct found *f = NULL;
	struct worker *w;
	struct dirent *de;
	unsigned i, started = 0;
	int failed = 0, pid;
	DIR *d;

	if (nthreads == 0)
		nthreads = 2;
	if (nthreads > 64)
		nthreads = 64;
	if ((d = opendir(root)) == NULL) {
		sk_err_sys(e, "open %s", root);
		return NULL;
	}
	if ((w = calloc(nthreads, sizeof(*w))) == NULL ||
	    (f = calloc(nthreads, sizeof(*f))) == NULL) {
		sk_err_sys(e, "procmap");
		free(w);
		closedir(d);
		return NULL;
	}
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.cv, NULL);
	/* Worker 0 is this thread, after listing. */
	for (i = 1; i < nthreads; i++) {
		w[i].q = &q;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	while (!failed && (de = readdir(d)) != NULL)
		if ((pid = dir_number(de->d_name)) > 0 && list_fds(&q, pid) < 0)
			failed = 1;
	closedir(d);
	pthread_mutex_lock(&q.mu);
	q.done = 1;
	pthread_cond_broadcast(&q.cv);
	pthread_mutex_unlock(&q.mu);
	w[0].q = &q;
	worker_main(&w[0]);
	for (i = 1; i <= started; i++)
		pthread_join(w[i].tid, NULL);
	for (i = 0; i <= started; i++)
		f[i] = w[i].f;
	if (failed) {
		errno = ENOMEM;
		sk_err_sys(e, "procmap");
	} else
		m = finish(f, started + 1, SK_PROCMAP_PROC, proc_comm,
		    (void *)root, e);
	/* f[i], not w[i].f: finish() may have taken a vector. */
	for (i = 0; i <= started; i++)
		free(f[i].v);
	free(f);
	free(w);
	pthread_cond_destroy(&q.cv);
	pthread_mutex_destroy(&q.mu);
	return m;
}

/* ---- the BPF iterator ---------------------------------------------------------- */

/* One comm per run of records with one pid: records come in task order. */
struct bpf_run {
	int pid;
	char comm[COMM_MAX];
};

struct bpf_found {
	struct found f;
	struct bpf_run *run;
	size_t nrun, cap, at;	/* at: name_owners()'s cursor */
};

static int
bpf_add(void *arg, uint64_t inode, int pid, int fd, const char *comm)
{
	struct bpf_found *b = arg;
	struct bpf_run *r;

	if (b->nrun == 0 || b->run[b->nrun - 1].pid != pid) {
		if (b->nrun == b->cap) {
			size_t cap = b->cap ? b->cap * 2 : 256;

			if ((r = realloc(b->run, cap * sizeof(*r))) == NULL)
				return -1;
			b->run = r;
			b->cap = cap;
		}
		r = &b->run[b->nrun++];
		r->pid = pid;
		snprintf(r->comm, sizeof(r->comm), "%s", comm);
	}
	return found_add(&b->f, inode, pid, fd);
}

/* name_owners() asks for pids in record order: walk the runs along. */
static void
bpf_comm(void *arg, int pid, char *buf, size_t len)
{
	struct bpf_found *b = arg;

	while (b->at < b->nrun && b->run[b->at].pid != pid)
		b->at++;
	snprintf(buf, len, "%s", b->at < b->nrun ? b->run[b->at].comm : "");
}

static struct sk_procmap *
iterate(struct sk_err *e)
{
	struct bpf_found b;
	struct sk_procmap *m = NULL;

	memset(&b, 0, sizeof(b));
	if (sk__procmap_bpf(bpf_add, &b, e) == 0)
		m = finish(&b.f, 1, SK_PROCMAP_BPF, bpf_comm, &b, e);
	free(b.f.v);
	free(b.run);
	return m;
}

/* ---- entry points -------------------------------------------------------------- */

struct sk_procmap *
sk_procmap_build_via(enum sk_procmap_via via, const char *procroot,
    unsigned nthreads, struct sk_err *e)
{
	struct sk_procmap *m;
	struct sk_err why;

	switch (via) {
	case SK_PROCMAP_PROC:
		return walk(procroot ? procroot : "/proc", nthreads, e);
	case SK_PROCMAP_BPF:
		if (procroot != NULL) {
			sk_err_set(e, EINVAL, "BPF iterator: reads the running "
			    "kernel, not %s", procroot);
			return NULL;
		}
		return iterate(e);
	case SK_PROCMAP_AUTO:
		if (procroot != NULL)
			return walk(procroot, nthreads, e);
		if ((m = iterate(&why)) != NULL)
			return m;
		if ((m = walk("/proc", nthreads, e)) != NULL &&
		    (m->fallback = strdup(why.msg)) == NULL) {
			sk_procmap_free(m);
			errno = ENOMEM;
			sk_err_sys(e, "procmap");
			return NULL;
		}
		return m;
	}
	sk_err_set(e, EINVAL, "procmap: no such way to build: %d", (int)via);
	return NULL;
}

struct sk_procmap *
sk_procmap_build(const char *procroot, unsigned nthreads, struct sk_err *e)
{
	return sk_procmap_build_via(SK_PROCMAP_AUTO, procroot, nthreads, e);
}

enum sk_procmap_via
sk_procmap_via(const struct sk_procmap *m)
{
	return m->via;
}

const char *
sk_procmap_fallback(const struct sk_procmap *m)
{
	return m->fallback;
}

const struct sk_owner *
sk_procmap_find(const struct sk_procmap *m, uint64_t inode)
{
	size_t h, mask;
	uint32_t j;

	if (m == NULL || m->nowner == 0)
		return NULL;
	mask = m->nslot - 1;
	h = hash_inode(inode, mask);
	while ((j = m->slot[h]) != NO_OWNER) {
		if (m->owner[j].inode == inode)
			return &m->owner[j];
		h = (h + 1) & mask;
	}
	return NULL;
}

/*
 * Lookups in dump order land anywhere in the slots and the owners (4 MB
 * at 100k sockets), two cache (and, in a VM, costly TLB) misses each.
 * Here they overlap: the slot of the lookup 2 * AHEAD on is prefetched,
 * then, AHEAD on, its owner, so the lookup itself finds both in cache.
 */
void
sk_procmap_find_n(const struct sk_procmap *m, const uint64_t *inodes,
    size_t n, const struct sk_owner **out)
{
	enum { AHEAD = 8 };
	size_t i, mask;
	uint32_t j;

	if (m == NULL || m->nowner == 0) {
		for (i = 0; i < n; i++)
			out[i] = NULL;
		return;
	}
	mask = m->nslot - 1;
	for (i = 0; i < n; i++) {
		if (i + 2 * AHEAD < n)
			__builtin_prefetch(&m->slot[hash_inode(
			    inodes[i + 2 * AHEAD], mask)]);
		if (i + AHEAD < n && (j = m->slot[hash_inode(inodes[i + AHEAD],
		    mask)]) != NO_OWNER)
			__builtin_prefetch(&m->owner[j]);
		out[i] = sk_procmap_find(m, inodes[i]);
	}
}

const struct sk_owner *
sk_procmap_next(const struct sk_procmap *m, const struct sk_owner *o)
{
	if (m == NULL || o == NULL || o->next == NO_OWNER)
		return NULL;
	return &m->owner[o->next];
}

size_t
sk_procmap_count(const struct sk_procmap *m)
{
	return m ? m->nowner : 0;
}

void
sk_procmap_free(struct sk_procmap *m)
{
	if (m == NULL)
		return;
	free(m->owner);
	free(m->slot);
	free(m->comms);
	free(m->fallback);
	free(m);
}
