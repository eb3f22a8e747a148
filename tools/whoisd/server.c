/*
 * One worker of standalone and socket-activated whoisd: an epoll loop on
 * which every connection is a small state machine (read a line, write the
 * answer, linger until the client closes) under a per-connection
 * deadline.  pool.c runs one worker per core and handles signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/fd.h"
#include "sockkit/lineio.h"
#include "sockkit/log.h"
#include "sockkit/loop.h"
#include "db.h"
#include "query.h"
#include "server.h"
#include "whoisd.h"

#define ACCEPT_BATCH 64		/* accepts per readiness event: fairness */
#define ACCEPT_BATCH_SHARED 4	/* ... when other workers share the listener */
#define DRAIN_MS 2000		/* SIGTERM: in-flight queries get this long */
#define LINGER_MS 1000		/* after the answer, wait this long for EOF */
#define PAUSE_MS 100		/* accept pause when out of fds */
#define REFUSE_READ_MS 300	/* a refused client's query: wait this long */
#define REFUSE_MAX 256		/* refusals in progress; past it, close at once */
#define LINGER_MAX (64 * 1024)	/* drain at most this much after answering */
#define SNDBUF (64 * 1024)	/* kernel send buffer per client */

enum state { ST_READ, ST_WRITE, ST_LINGER };

struct wd_conn {
	struct wd_worker *s;
	int fd;
	enum state state;
	struct sockaddr_storage peer;
	struct sk_line_reader r;
	struct wd_q_buf out;
	size_t off;
	struct wd_txn t;
	enum wd_outcome refused;	/* WD_OUT_OK, or why this client gets an error */
	size_t drained;		/* bytes read and dropped while lingering */
	int64_t deadline;	/* whole exchange */
	struct sk_timer *timer;
	struct wd_conn *prev, *next;
	char buf[];		/* line buffer: max_query + 2 */
};


static void conn_io(struct sk_loop *l, int fd, int ev, void *arg);
static void on_accept(struct sk_loop *l, int lfd, int ev, void *arg);

/* The per-address table is one for all workers, under one lock: a
 * client's connections land on any worker, and its limits must not be
 * multiplied by the number of workers. */
static enum wd_limit_verdict
lim_enter(struct wd_pool *p, const struct sockaddr *sa)
{
	enum wd_limit_verdict v;

	pthread_mutex_lock(&p->lim_lock);
	v = wd_limits_enter(p->lim, sa, sk_now_ms());
	pthread_mutex_unlock(&p->lim_lock);
	return v;
}

static void
lim_leave(struct wd_pool *p, const struct sockaddr *sa)
{
	pthread_mutex_lock(&p->lim_lock);
	wd_limits_leave(p->lim, sa);
	pthread_mutex_unlock(&p->lim_lock);
}

static void
conn_close(struct wd_conn *c)
{
	struct wd_worker *s = c->s;

	wd_session_log(s->w, (struct sockaddr *)&c->peer, &c->t, c->off);
	if (c->timer != NULL)
		sk_loop_timer_cancel(s->loop, c->timer);
	sk_loop_unwatch(s->loop, c->fd);
	close(c->fd);
	if (c->refused == WD_OUT_OK) {
		lim_leave(s->p, (struct sockaddr *)&c->peer);
		atomic_fetch_sub(&s->p->nconns, 1);
	}
	wd_q_buf_free(&c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->refused == WD_OUT_OK)
		s->nconns--;
	else
		s->nrefusing--;
	free(c);
	if (s->draining && s->nconns + s->nrefusing == 0)
		sk_loop_stop(s->loop);
}

static void conn_reply(struct wd_conn *c);

static int64_t
conn_timeout(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	struct wd_conn *c = arg;

	c->timer = NULL;	/* this timer ends with the return below */
	/* A refused client that sent no whole line still gets the error. */
	if (c->state == ST_READ && c->refused != WD_OUT_OK) {
		conn_reply(c);
		return -1;
	}
	if (c->state == ST_READ || c->state == ST_WRITE)
		c->t.outcome = WD_OUT_TIMEOUT;
	conn_close(c);
	return -1;
}

static void
rearm(struct wd_conn *c, int64_t deadline)
{
	struct wd_worker *s = c->s;
	int64_t ms = deadline - sk_now_ms();

	if (c->timer != NULL)
		sk_loop_timer_cancel(s->loop, c->timer);
	c->timer = sk_loop_timer(s->loop, ms > 0 ? ms : 0, conn_timeout, c, NULL);
}

/* Send what the socket takes now; 1 when all is sent, 0 for later, -1 on
 * error. */
static int
conn_flush(struct wd_conn *c)
{
	ssize_t n;

	while (c->off < c->out.len) {
		n = send(c->fd, c->out.data + c->off, c->out.len - c->off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	return 1;
}

static void
conn_linger(struct wd_conn *c)
{
	int64_t until = sk_now_ms() + LINGER_MS;

	shutdown(c->fd, SHUT_WR);
	c->state = ST_LINGER;
	wd_q_buf_free(&c->out);
	sk_loop_mask(c->s->loop, c->fd, SK_READ, NULL);
	rearm(c, until < c->deadline ? until : c->deadline);
}

static void
conn_write(struct wd_conn *c)
{
	int rc = conn_flush(c);

	if (rc == -1) {
		c->t.outcome = WD_OUT_WRITE_ERR;
		conn_close(c);
	} else if (rc == 1) {
		conn_linger(c);
	} else {
		sk_loop_mask(c->s->loop, c->fd, SK_WRITE, NULL);
	}
}

static void
conn_read(struct wd_conn *c)
{
	struct sk_line line;
	int st;

	/* SK_NOW makes the reader non-blocking: it takes what has arrived
	 * and says TIMEOUT when no whole line is there. */
	st = sk_line_read(&c->r, &line, SK_NOW, NULL);
	if (st == SK_LINE_TIMEOUT)
		return;
	if (c->refused != WD_OUT_OK) {
		/* The query is read, so closing will not reset the line. */
		conn_reply(c);
		return;
	}
	if (st == SK_LINE_ERROR || (st == SK_LINE_EOF && line.len == 0)) {
		c->t.outcome = WD_OUT_NO_QUERY;
		conn_close(c);
		return;
	}
	if (wd_session_answer(c->s->w, c->s->dir, line.data, line.len, st, "\r\n", &c->out,
	    &c->t) == -1)
		sk_log(&c->s->w->log, LOG_ERR, "answer: out of memory");
	c->state = ST_WRITE;
	rearm(c, c->deadline);
	conn_write(c);
}

/* A refused client: the error line, then the same orderly close as an
 * answer (shutdown, drain, close) so that no RST destroys it. */
static void
conn_reply(struct wd_conn *c)
{
	if (wd_session_error(c->refused, "\r\n", &c->out) == -1)
		sk_log(&c->s->w->log, LOG_ERR, "refuse: out of memory");
	c->state = ST_WRITE;
	rearm(c, c->deadline);
	conn_write(c);
}

static void
conn_io(struct sk_loop *l, int fd, int ev, void *arg)
{
	struct wd_conn *c = arg;
	char junk[4096];
	ssize_t n;

	switch (c->state) {
	case ST_READ:
		conn_read(c);
		break;
	case ST_WRITE:
		conn_write(c);
		break;
	case ST_LINGER:
		n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n > 0)
			c->drained += (size_t)n;
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR) ||
		    c->drained > LINGER_MAX)
			conn_close(c);
		break;
	}
}

/* Out of fds or memory: tell a refused client why if its socket takes
 * the line right away, and close. */
static void
refuse(struct wd_worker *s, int fd, const struct sockaddr *peer, enum wd_outcome o)
{
	struct wd_q_buf b;
	struct wd_txn t = { .outcome = o, .matches = -1, .t0 = sk_now_ms() };
	ssize_t n = 0;

	wd_q_buf_init(&b, 0);
	if (wd_session_error(o, "\r\n", &b) == 0)
		n = send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	wd_session_log(s->w, peer, &t, n > 0 ? (size_t)n : 0);
	wd_q_buf_free(&b);
	close(fd);
}

static void
conn_new(struct wd_worker *s, int fd, const struct sockaddr_storage *peer)
{
	const struct whoisd_cfg *cfg = s->w->cfg;
	const struct sockaddr *sa = (const struct sockaddr *)peer;
	size_t bufsz = cfg->max_query + 2;
	int sndbuf = SNDBUF;
	struct wd_conn *c;
	enum wd_outcome why = WD_OUT_OK;
	enum wd_limit_verdict v;

	if (atomic_fetch_add(&s->p->nconns, 1) >= cfg->max_clients)
		why = WD_OUT_BUSY;
	else if (!wd_acl_permits(&cfg->acl, sa))
		why = WD_OUT_DENIED;
	else if ((v = lim_enter(s->p, sa)) != WD_LIMIT_OK)
		why = v == WD_LIMIT_FULL ? WD_OUT_BUSY : WD_OUT_RATE;
	if (why != WD_OUT_OK)
		atomic_fetch_sub(&s->p->nconns, 1);
	if (why != WD_OUT_OK && s->nrefusing >= REFUSE_MAX) {
		refuse(s, fd, sa, why);
		return;
	}
	c = calloc(1, sizeof(*c) + bufsz);
	if (c == NULL) {
		if (why == WD_OUT_OK) {
			lim_leave(s->p, sa);
			atomic_fetch_sub(&s->p->nconns, 1);
		}
		refuse(s, fd, sa, WD_OUT_BUSY);
		return;
	}
	/* Cap what the kernel buffers for one client: a reader that never
	 * reads then blocks our writes and meets its deadline, instead of
	 * parking megabytes of answer in socket memory.  Accepted sockets
	 * inherit the cap from the listener (wd_worker_init); where that
	 * failed, set it here.  Without the cap the client is still served
	 * (its deadline holds); say so. */
	if (s->sndbuf_each && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)) == -1)
		sk_log(&s->w->log, LOG_WARNING, "setsockopt SO_SNDBUF %d: %s",
		    sndbuf, strerror(errno));
	c->s = s;
	c->fd = fd;
	c->peer = *peer;
	c->refused = why;
	c->t.t0 = sk_now_ms();
	c->t.matches = -1;
	c->t.outcome = why;
	c->deadline = c->t.t0 + cfg->timeout_ms;
	wd_q_buf_init(&c->out, 0);
	sk_line_init(&c->r, fd, c->buf, bufsz, cfg->max_query, NULL);
	if (sk_loop_watch(s->loop, fd, SK_READ, conn_io, c, NULL) == -1) {
		if (why == WD_OUT_OK) {
			lim_leave(s->p, sa);
			atomic_fetch_sub(&s->p->nconns, 1);
		}
		free(c);
		close(fd);
		return;
	}
	c->next = s->head;
	if (s->head)
		s->head->prev = c;
	s->head = c;
	if (why == WD_OUT_OK) {
		s->nconns++;
		rearm(c, c->t.t0 + cfg->read_timeout_ms);
	} else {
		/* Read the query (briefly) before answering: closing on unread
		 * data would reset the connection and lose the error line. */
		s->nrefusing++;
		rearm(c, c->t.t0 + (cfg->read_timeout_ms < REFUSE_READ_MS ?
		    cfg->read_timeout_ms : REFUSE_READ_MS));
	}
}

static void listen_all(struct wd_worker *s, int on);

static int64_t
resume_accept(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	struct wd_worker *s = arg;

	if (!s->draining)
		listen_all(s, 1);
	return -1;
}

/* Out of fds: the pending connection would keep the listener readable
 * and the loop spinning.  Use the spare fd to accept and shed it, then
 * pause accepting briefly so established clients can finish. */
static void
shed(struct wd_worker *s, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	if (s->spare >= 0) {
		close(s->spare);
		s->spare = -1;
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC |
		    SOCK_NONBLOCK);
		if (fd >= 0)
			refuse(s, fd, (struct sockaddr *)&ss, WD_OUT_BUSY);
		s->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	sk_log(&s->w->log, LOG_WARNING, "out of file descriptors with %d "
	    "clients: pausing accept for %d ms", s->nconns, PAUSE_MS);
	listen_all(s, 0);
	sk_loop_timer(s->loop, PAUSE_MS, resume_accept, s, NULL);
}

static void
on_accept(struct sk_loop *l, int lfd, int ev, void *arg)
{
	struct wd_worker *s = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd;

	for (i = 0; i < s->accept_batch && s->listening; i++) {
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC |
		    SOCK_NONBLOCK);
		if (fd >= 0) {
			conn_new(s, fd, &ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			shed(s, lfd);
			return;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			sk_log(&s->w->log, LOG_ERR, "accept: %s", strerror(errno));
		return;
	}
}

static void
listen_all(struct wd_worker *s, int on)
{
	int i;

	for (i = 0; i < s->nl; i++)
		sk_loop_mask(s->loop, s->lfds[i], on ? SK_READ : 0, NULL);
	s->listening = on;
}

static int64_t
drain_expired(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	struct wd_worker *s = arg;

	sk_log(&s->w->log, LOG_NOTICE, "drain: %d clients cut off after %d ms",
	    s->nconns + s->nrefusing, DRAIN_MS);
	while (s->head != NULL)
		conn_close(s->head);
	sk_loop_stop(l);
	return -1;
}

void
wd_worker_drain(struct sk_loop *l, void *arg)
{
	struct wd_worker *s = arg;
	struct wd_pool *p = s->p;
	int i;

	if (s->draining)
		return;
	s->draining = 1;
	for (i = 0; i < s->nl; i++)
		sk_loop_unwatch(l, s->lfds[i]);
	s->listening = 0;
	/* Shared listeners are closed by the last worker to let go of them:
	 * no loop may still hold an fd number the kernel could hand out
	 * again.  A worker's own listeners are its own to close. */
	if (!p->shared || atomic_fetch_sub(&p->watching, 1) == 1)
		for (i = 0; i < s->nl; i++)
			close(s->lfds[i]);
	if (s->nconns + s->nrefusing == 0)
		sk_loop_stop(l);
	else
		sk_loop_timer(l, DRAIN_MS, drain_expired, s, NULL);
}

void
wd_worker_adopt(struct sk_loop *l, void *arg)
{
	struct wd_worker *s = arg;
	struct wd_dir *d = atomic_exchange(&s->next_dir, NULL);

	/* Answers are built whole inside one callback, so no connection
	 * holds on to the old directory past this point. */
	if (d != NULL) {
		wd_dir_release(s->dir, 0);
		s->dir = d;
	}
}

int
wd_worker_init(struct wd_worker *s, struct wd_pool *p, struct sk_err *e)
{
	const struct whoisd_cfg *cfg = p->w->cfg;
	int i, sndbuf = SNDBUF;

	s->p = p;
	s->w = p->w;
	s->spare = -1;
	s->accept_batch = p->shared && p->nworkers > 1 ? ACCEPT_BATCH_SHARED :
	    ACCEPT_BATCH;
	s->loop = sk_loop_new(cfg->max_clients / p->nworkers + 64, e);
	if (s->loop == NULL)
		return -1;
	s->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < s->nl; i++) {
		/* Set once here, the send buffer cap costs no system call
		 * per client: accepted sockets inherit it. */
		if (setsockopt(s->lfds[i], SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof(sndbuf)) == -1)
			s->sndbuf_each = 1;
		if (sk_loop_watch(s->loop, s->lfds[i], SK_READ, on_accept, s,
		    e) == -1)
			return -1;
	}
	s->listening = 1;
	return 0;
}

void
wd_worker_fini(struct wd_worker *s)
{
	while (s->head != NULL)
		conn_close(s->head);
	if (s->loop != NULL)
		sk_loop_free(s->loop);
	if (s->spare >= 0)
		close(s->spare);
	wd_dir_release(s->dir, 1);
	wd_dir_release(atomic_exchange(&s->next_dir, NULL), 1);
	s->dir = NULL;
}
