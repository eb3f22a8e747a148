/*
 * Socket owners from one walk over /proc/<pid>/fd.  readlink(2) of each
 * fd is the cost (a few microseconds each), so the caller thread lists
 * fd directories into chunks and a worker thread resolves chunks while
 * it lists; both resolve once listing ends.  Chunks, not processes, are
 * the unit of work: a benchmark or server may hold nearly all the fds.
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
};

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

/* Fill comm pointers: one read per distinct pid (owners arrive grouped
 * by pid, one worker's run at a time). */
static int
name_owners(struct sk_procmap *m, const char *root)
{
	size_t i, used = 0, cap = 0, *off;
	char comm[COMM_MAX], *p;
	int last = -1;
	size_t lastoff = 0, len;

	if ((off = malloc((m->nowner + 1) * sizeof(*off))) == NULL)
		return -1;
	for (i = 0; i < m->nowner; i++) {
		if (m->owner[i].pid != last) {
			last = m->owner[i].pid;
			read_comm(root, last, comm, sizeof(comm));
			len = strlen(comm) + 1;
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
			memcpy(m->comms + used, comm, len);
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

static int
index_owners(struct sk_procmap *m)
{
	size_t i, h, mask;
	uint32_t j;

	m->nslot = 64;
	while (m->nslot < m->nowner * 2)
		m->nslot *= 2;
	if ((m->slot = malloc(m->nslot * sizeof(*m->slot))) == NULL)
		return -1;
	memset(m->slot, 0xff, m->nslot * sizeof(*m->slot));
	mask = m->nslot - 1;
	/* Walk backwards and push to chain fronts, so chains keep walk order. */
	for (i = m->nowner; i-- > 0;) {
		h = hash_inode(m->owner[i].inode, mask);
		while ((j = m->slot[h]) != NO_OWNER &&
		    m->owner[j].inode != m->owner[i].inode)
			h = (h + 1) & mask;
		m->owner[i].next = j;
		m->slot[h] = (uint32_t)i;
	}
	return 0;
}

static int
merge(struct sk_procmap *m, struct worker *w, unsigned nw)
{
	size_t total = 0, k = 0;
	unsigned i;

	for (i = 0; i < nw; i++) {
		if (w[i].f.oom)
			return -1;
		total += w[i].f.n;
	}
	if (total >= NO_OWNER)
		return -1;
	if ((m->owner = malloc((total + 1) * sizeof(*m->owner))) == NULL)
		return -1;
	for (i = 0; i < nw; i++) {
		if (w[i].f.n)
			memcpy(m->owner + k, w[i].f.v, w[i].f.n * sizeof(*m->owner));
		k += w[i].f.n;
	}
	m->nowner = total;
	return 0;
}

struct sk_procmap *
sk_procmap_build(const char *procroot, unsigned nthreads, struct sk_err *e)
{
	const char *root = procroot ? procroot : "/proc";
	struct queue q = { .root = root };
	struct sk_procmap *m = NULL;
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
	if ((w = calloc(nthreads, sizeof(*w))) == NULL) {
		sk_err_sys(e, "procmap");
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
	if (failed || (m = calloc(1, sizeof(*m))) == NULL ||
	    merge(m, w, started + 1) < 0 || index_owners(m) < 0 ||
	    name_owners(m, root) < 0) {
		errno = ENOMEM;
		sk_err_sys(e, "procmap");
		sk_procmap_free(m);
		m = NULL;
	}
	for (i = 0; i < nthreads; i++)
		free(w[i].f.v);
	free(w);
	pthread_cond_destroy(&q.cv);
	pthread_mutex_destroy(&q.mu);
	return m;
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
	free(m);
}
