/*
 * DNS queries through c-ares on an sk_loop (see sockkit/dns.h).
 *
 * c-ares tells us which sockets it wants watched (sock_state_cb) and when
 * it next needs a turn (ares_timeout()); the loop watches those sockets
 * and keeps one timer at the earliest c-ares deadline.  Nothing blocks,
 * so one thread can keep thousands of queries in flight.
 *
 * The answering server: c-ares 1.18 does not say who answered, but it
 * reads replies only inside ares_process_fd() on the socket that became
 * readable, and its UDP and TCP sockets are connected to one server each,
 * so the peer of that socket is the server whose reply is being handed to
 * the callback.
 *
 * ARES_FLAG_NOCHECKRESP: a SERVFAIL or REFUSED reply is handed to us as
 * it came (its rcode read from the header, its server named) instead of
 * being retried on the next server and reported with no reply at all.
 *
 * UDP in batches: c-ares sends each query with its own send and reads
 * each reply with its own recvfrom, two system calls a query, most of
 * what a batch of thousands costs.  Its socket functions
 * (ares_set_socket_functions) are ours instead: a query c-ares sends is
 * queued, and the queue goes out in one sendmmsg before the next read
 * and before control returns to the loop; a read takes up to IO_BATCH
 * replies in one recvmmsg and hands them to c-ares one by one.  c-ares
 * still builds, matches, times and retries every query.  A send error
 * found when the queue goes out is handed to c-ares by the next read on
 * that socket, as the kernel would have (c-ares then moves that server's
 * queries on); TCP goes straight through (with MSG_NOSIGNAL: a server
 * closing a connection is an error for c-ares, not SIGPIPE for us).
 */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/dns.h"
#include "sockkit/err.h"
#include "sockkit/loop.h"
#include "internal.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_TRIES 2
#define RCVBUF (4 << 20)	/* asked for; the kernel caps it at rmem_max */
#define IO_BATCH 64		/* datagrams per sendmmsg or recvmmsg */
#define IO_QLEN 512		/* a query: 12 + 255 + 4 + EDNS 11 < 512 */
#define IO_RLEN 4097		/* c-ares 1.18 reads into MAXENDSSZ + 1 */

/* A socket c-ares opened through us. */
struct iosock {
	int fd;
	int udp;
	int err;		/* a send error for the next read to report */
};

struct dns_io {
	struct iosock *sock;
	size_t nsock, capsock;
	/* queries queued for one sendmmsg */
	size_t nout;
	int outfd[IO_BATCH];
	struct iovec outiov[IO_BATCH];
	struct mmsghdr outmsg[IO_BATCH];
	unsigned char out[IO_BATCH][IO_QLEN];
	/* replies read by one recvmmsg, handed out from next_in */
	int infd;
	size_t nin, next_in;
	struct mmsghdr inmsg[IO_BATCH];
	struct iovec iniov[IO_BATCH];
	struct sockaddr_storage infrom[IO_BATCH];
	unsigned char in[IO_BATCH][IO_RLEN];
};

struct sk_dns {
	struct sk_loop *loop;
	ares_channel ch;
	struct sk_timer *timer;	/* at c-ares' next deadline, or NULL */
	int64_t due;		/* when timer fires */
	int in_timer;		/* the timer callback re-arms itself */
	int cur_fd;		/* socket ares_process_fd() is reading, or -1 */
	int peer_fd;		/* the socket peer names, or -1 */
	char peer[INET6_ADDRSTRLEN + 8];	/* its server, "addr:port" */
	size_t pending;
	char (*domains)[SK_DNS_NAMELEN];	/* search list, from c-ares */
	size_t ndomains;
	int ndots;
	int try_ms;		/* c-ares' time for a query's first try */
	struct sk_dns_rr rr[SK_DNS_MAXRR];	/* one reply at a time */
	int depth;		/* inside ares_process_fd or ares_query */
	struct dns_io io;
};

struct query {
	struct sk_dns *d;
	sk_dns_fn *fn;
	void *arg;
	int type;
	double t0;
	char name[];
};

static double
mono_ms(void)
{
	return sk_now_us() / 1e3;
}

/* ---- UDP in batches (see the top of the file) ------------------------------- */

static struct iosock *
io_sock(struct sk_dns *d, int fd)
{
	size_t i;

	for (i = 0; i < d->io.nsock; i++)
		if (d->io.sock[i].fd == fd)
			return &d->io.sock[i];
	return NULL;
}

/* Send every queued query, a run of one socket's in one sendmmsg. */
static void
io_flush(struct sk_dns *d)
{
	struct dns_io *io = &d->io;
	struct iosock *s;
	size_t i = 0, j, k;
	int n;

	while (i < io->nout) {
		for (j = i; j < io->nout && io->outfd[j] == io->outfd[i]; j++) {
			memset(&io->outmsg[j], 0, sizeof(io->outmsg[j]));
			io->outmsg[j].msg_hdr.msg_iov = &io->outiov[j];
			io->outmsg[j].msg_hdr.msg_iovlen = 1;
		}
		for (k = i; k < j; k += (size_t)n) {
			n = sendmmsg(io->outfd[i], &io->outmsg[k],
			    (unsigned)(j - k), 0);
			if (n > 0)
				continue;
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			/* A full buffer loses these as the network could:
			 * c-ares times them out and tries again.  Anything
			 * else is the socket's, for its next read. */
			if (n == -1 && errno != EAGAIN && errno != ENOBUFS &&
			    (s = io_sock(d, io->outfd[i])) != NULL)
				s->err = errno;
			break;
		}
		i = j;
	}
	io->nout = 0;
}

static ares_socket_t
io_socket(int af, int type, int proto, void *arg)
{
	struct sk_dns *d = arg;
	struct dns_io *io = &d->io;
	struct iosock *ns;
	int fd, on = 1, rcv = RCVBUF;

	if (io->nsock == io->capsock) {
		size_t cap = io->capsock ? io->capsock * 2 : 4;

		if ((ns = realloc(io->sock, cap * sizeof(*ns))) == NULL)
			return ARES_SOCKET_BAD;
		io->sock = ns;
		io->capsock = cap;
	}
	/* what c-ares does for its own sockets, and not for ours */
	if ((fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto)) == -1)
		return ARES_SOCKET_BAD;
	/* Replies for thousands of queries share one UDP socket: give it
	 * room. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) == -1 ||
	    (type == SOCK_STREAM &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)) {
		close(fd);
		return ARES_SOCKET_BAD;
	}
	io->sock[io->nsock].fd = fd;
	io->sock[io->nsock].udp = type == SOCK_DGRAM;
	io->sock[io->nsock].err = 0;
	io->nsock++;
	return fd;
}

static int
io_close(ares_socket_t fd, void *arg)
{
	struct sk_dns *d = arg;
	struct dns_io *io = &d->io;
	struct iosock *s;
	size_t i, n = 0;

	/* what was queued for it or read from it goes with it */
	for (i = 0; i < io->nout; i++) {
		if (io->outfd[i] == fd)
			continue;
		if (n != i) {
			io->outfd[n] = io->outfd[i];
			io->outiov[n].iov_len = io->outiov[i].iov_len;
			memcpy(io->out[n], io->out[i], io->outiov[i].iov_len);
		}
		n++;
	}
	io->nout = n;
	if (io->infd == fd)
		io->infd = -1;
	if ((s = io_sock(d, fd)) != NULL)
		*s = io->sock[--io->nsock];
	return close(fd);
}

static int
io_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len,
    void *arg)
{
	return connect(fd, sa, len);
}

/* Send what is queued; then a send error left for s is this read's
 * (-1, errno), as the kernel would have reported it. */
static int
io_flush_err(struct sk_dns *d, struct iosock *s)
{
	int err;

	io_flush(d);
	if ((err = s->err) != 0) {
		s->err = 0;
		errno = err;
		return -1;
	}
	return 0;
}

static ares_ssize_t
io_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
    struct sockaddr *from, ares_socklen_t *fromlen, void *arg)
{
	struct sk_dns *d = arg;
	struct dns_io *io = &d->io;
	struct iosock *s = io_sock(d, fd);
	struct mmsghdr *m;
	size_t i, n;
	int got;

	if (s == NULL || !s->udp)
		return recvfrom(fd, buf, len, flags, from, fromlen);
	if (io->infd != -1 && io->infd != fd && io->next_in < io->nin) {
		/* another socket's replies are still held: this one is read
		 * the plain way rather than lose them */
		if (io_flush_err(d, s) < 0)
			return -1;
		return recvfrom(fd, buf, len, flags | MSG_DONTWAIT, from,
		    fromlen);
	}
	if (io->infd != fd || io->next_in == io->nin) {
		/* the queries the last replies' callbacks sent go first:
		 * their replies may be what the next read finds */
		if (io_flush_err(d, s) < 0)
			return -1;
		for (i = 0; i < IO_BATCH; i++) {
			memset(&io->inmsg[i], 0, sizeof(io->inmsg[i]));
			io->iniov[i].iov_base = io->in[i];
			io->iniov[i].iov_len = sizeof(io->in[i]);
			io->inmsg[i].msg_hdr.msg_iov = &io->iniov[i];
			io->inmsg[i].msg_hdr.msg_iovlen = 1;
			io->inmsg[i].msg_hdr.msg_name = &io->infrom[i];
			io->inmsg[i].msg_hdr.msg_namelen = sizeof(io->infrom[i]);
		}
		io->infd = -1;
		if ((got = recvmmsg(fd, io->inmsg, IO_BATCH, MSG_DONTWAIT,
		    NULL)) <= 0) {
			if (got == 0)
				errno = EAGAIN;
			return -1;
		}
		io->infd = fd;
		io->nin = (size_t)got;
		io->next_in = 0;
	}
	m = &io->inmsg[io->next_in];
	n = m->msg_len < len ? m->msg_len : len;
	memcpy(buf, io->in[io->next_in], n);
	if (from != NULL && fromlen != NULL) {
		socklen_t fl = m->msg_hdr.msg_namelen;

		memcpy(from, &io->infrom[io->next_in], fl < *fromlen ? fl :
		    *fromlen);
		*fromlen = fl;
	}
	io->next_in++;
	return (ares_ssize_t)n;
}

static ares_ssize_t
io_sendv(ares_socket_t fd, const struct iovec *iov, int iovcnt, void *arg)
{
	struct sk_dns *d = arg;
	struct dns_io *io = &d->io;
	struct iosock *s = io_sock(d, fd);
	size_t len = 0, off = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (s == NULL || !s->udp || len > IO_QLEN) {
		/* c-ares' own writev would let a server that closed a TCP
		 * connection kill the process with SIGPIPE */
		struct msghdr mh;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = (struct iovec *)iov;
		mh.msg_iovlen = (size_t)iovcnt;
		return sendmsg(fd, &mh, MSG_NOSIGNAL);
	}
	if (io->nout == IO_BATCH)
		io_flush(d);
	for (i = 0; i < iovcnt; i++) {
		memcpy(io->out[io->nout] + off, iov[i].iov_base,
		    iov[i].iov_len);
		off += iov[i].iov_len;
	}
	io->outfd[io->nout] = fd;
	io->outiov[io->nout].iov_base = io->out[io->nout];
	io->outiov[io->nout].iov_len = len;
	io->nout++;
	return (ares_ssize_t)len;
}

static const struct ares_socket_functions io_funcs = {
	io_socket, io_close, io_connect, io_recvfrom, io_sendv
};

/* After c-ares' turn: send what it queued, and let it read the errors
 * (and any replies still held) the sends left.  A read can send again
 * (a query moving on), hence the loop; it ends when nothing is left,
 * bounded all the same. */
static void
io_settle(struct sk_dns *d)
{
	struct dns_io *io = &d->io;
	size_t i;
	int round, fd;

	for (round = 0; round < 8; round++) {
		io_flush(d);
		fd = io->infd != -1 && io->next_in < io->nin ? io->infd : -1;
		for (i = 0; fd == -1 && i < io->nsock; i++)
			if (io->sock[i].err != 0)
				fd = io->sock[i].fd;
		if (fd == -1)
			return;
		d->depth++;
		d->cur_fd = fd;
		ares_process_fd(d->ch, fd, ARES_SOCKET_BAD);
		d->cur_fd = -1;
		d->depth--;
	}
}

/* ---- the channel on the loop ---------------------------------------------- */

static void process(struct sk_dns *d, int rfd, int wfd);

static void
on_fd(struct sk_loop *l, int fd, int events, void *arg)
{
	struct sk_dns *d = arg;

	/* An error or hangup is for c-ares' read to find. */
	process(d, events & (SK_READ | SK_ERROR) ? fd : ARES_SOCKET_BAD,
	    events & SK_WRITE ? fd : ARES_SOCKET_BAD);
}

/* c-ares opens, changes and (readable = writable = 0) closes sockets. */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct sk_dns *d = data;
	int mask = (readable ? SK_READ : 0) | (writable ? SK_WRITE : 0);

	if (mask == 0) {
		sk_loop_unwatch(d->loop, fd);
		if (fd == d->peer_fd)
			d->peer_fd = -1;	/* the number may come back */
	}
	else if (sk_loop_watch(d->loop, fd, mask, on_fd, d, NULL) == -1)
		/* c-ares will time the query out; nothing else to do here */
		return;
}

static int64_t
next_ms(struct sk_dns *d)
{
	struct timeval tv, *tp;

	if ((tp = ares_timeout(d->ch, NULL, &tv)) == NULL)
		return -1;
	/* round up: a timer that fires early would find nothing to do */
	return (int64_t)tp->tv_sec * 1000 + (tp->tv_usec + 999) / 1000;
}

static int64_t
on_timer(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	struct sk_dns *d = arg;
	int64_t ms;

	d->in_timer = 1;
	d->depth++;
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	d->depth--;
	if (d->depth == 0)
		io_settle(d);
	d->in_timer = 0;
	if ((ms = next_ms(d)) < 0) {
		d->timer = NULL;
		return -1;
	}
	d->due = sk_now_ms() + ms;
	return ms;
}

/*
 * Keep the timer at or before c-ares' next deadline.  ares_timeout()
 * walks every query in flight, so it is not asked after each query: a
 * deadline c-ares sets is at least now + the first try's time, so one
 * armed no later than that already comes first.  A timer left early (its
 * query answered) fires, finds nothing, and on_timer asks for the next
 * deadline then: about once per try time, not once per query.
 */
static void
rearm(struct sk_dns *d)
{
	int64_t ms;

	if (d->in_timer)
		return;		/* on_timer recomputes on its way out */
	if (d->pending == 0) {
		sk_loop_timer_cancel(d->loop, d->timer);
		d->timer = NULL;
		return;
	}
	if (d->timer != NULL && d->due <= sk_now_ms() + d->try_ms)
		return;
	if ((ms = next_ms(d)) < 0)
		return;
	if (d->timer != NULL && d->due <= sk_now_ms() + ms)
		return;
	sk_loop_timer_cancel(d->loop, d->timer);
	d->timer = sk_loop_timer(d->loop, ms, on_timer, d, NULL);
	d->due = sk_now_ms() + ms;
}

static void
process(struct sk_dns *d, int rfd, int wfd)
{
	int fd = d->cur_fd;

	d->depth++;
	d->cur_fd = rfd;
	ares_process_fd(d->ch, rfd, wfd);
	d->cur_fd = fd;
	d->depth--;
	if (d->depth == 0)
		io_settle(d);
	rearm(d);
}

/* ---- results ---------------------------------------------------------------- */

/* The server at the other end of fd, named once per socket: a batch
 * reads thousands of replies from one. */
static const char *
peer_of(struct sk_dns *d, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN], *buf = d->peer;
	size_t len = sizeof(d->peer);

	if (fd >= 0 && fd == d->peer_fd)
		return d->peer;
	d->peer_fd = -1;
	buf[0] = '\0';
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return d->peer;
	sk__host_str((struct sockaddr *)&ss, host, sizeof(host));
	if (ss.ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%d", host,
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	else if (ss.ss_family == AF_INET)
		snprintf(buf, len, "%s:%d", host,
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	d->peer_fd = fd;
	return d->peer;
}

/* The kind a reply's rcode and records give the question. */
static int
judge(const struct query *q, const struct sk_dns_reply *rp,
    const struct sk_dns_rr *rr, struct sk_err *e)
{
	char b[16];
	size_t i;

	switch (rp->rcode) {
	case SK_DNS_NOERROR:
		for (i = 0; i < rp->nrr; i++)
			if (rr[i].type == q->type || q->type == 255)
				return 0;
		return sk_err_kset(e, SK_ERR_NODATA, ENODATA,
		    "%s %s: no such record (NOERROR, no data)", q->name,
		    sk_dns_type_str(q->type, b, sizeof(b)));
	case SK_DNS_NXDOMAIN:
		return sk_err_kset(e, SK_ERR_NOTFOUND, ENOENT,
		    "%s: no such name (NXDOMAIN)", q->name);
	case SK_DNS_SERVFAIL:
		return sk_err_kset(e, SK_ERR_TEMPFAIL, EAGAIN,
		    "%s: server failure (SERVFAIL)", q->name);
	default:
		return sk_err_kset(e, SK_ERR_PERMFAIL, EPROTO, "%s: %s",
		    q->name, sk_dns_rcode_str(rp->rcode, b, sizeof(b)));
	}
}

/* A query that ended without a reply we can use. */
static void
no_reply(const struct query *q, int status, struct sk_err *e)
{
	enum sk_err_kind k;
	int code;

	switch (status) {
	case ARES_ETIMEOUT:
		k = SK_ERR_TIMEOUT;
		code = ETIMEDOUT;
		break;
	case ARES_ECONNREFUSED:
		k = SK_ERR_REFUSED;
		code = ECONNREFUSED;
		break;
	case ARES_EBADNAME:
	case ARES_EBADQUERY:
	case ARES_EBADFAMILY:
		k = SK_ERR_INPUT;
		code = EINVAL;
		break;
	case ARES_ENOMEM:
		k = SK_ERR_SYSTEM;
		code = ENOMEM;
		break;
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		k = SK_ERR_SYSTEM;
		code = ECANCELED;
		break;
	default:
		k = SK_ERR_PERMFAIL;
		code = EPROTO;
		break;
	}
	sk_err_kset(e, k, code, "%s: %s", q->name, ares_strerror(status));
}

static void
answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct sk_dns *d = q->d;
	struct sk_dns_reply rp;
	struct sk_dns_result r;
	struct sk_err e;
	char server[INET6_ADDRSTRLEN + 8];

	memset(&r, 0, sizeof(r));
	r.qname = q->name;
	r.qtype = q->type;
	r.rcode = -1;
	r.server = server;
	r.ms = mono_ms() - q->t0;
	r.timeouts = timeouts;
	server[0] = '\0';
	sk_err_clear(&e);
	d->pending--;
	/* With NOCHECKRESP every reply comes here as ARES_SUCCESS or as the
	 * status its rcode implies; abuf is set whenever one arrived. */
	if (abuf != NULL && alen > 0 && status != ARES_EDESTRUCTION &&
	    status != ARES_ECANCELLED) {
		snprintf(server, sizeof(server), "%s", peer_of(d, d->cur_fd));
		if (sk_dns_parse(abuf, (size_t)alen, d->rr, SK_DNS_MAXRR, &rp,
		    &e) == 0) {
			r.rcode = rp.rcode;
			r.reply = &rp;
			r.rr = d->rr;
			judge(q, &rp, d->rr, &e);
		} else {
			/* name the query, not only the offset */
			char m[SK_ERR_MSGLEN];

			snprintf(m, sizeof(m), "%s", e.msg);
			sk_err_kset(&e, e.kind, e.code, "%s: %s", q->name, m);
		}
	} else {
		no_reply(q, status, &e);
	}
	q->fn(q->arg, &r, &e);
	free(q);
}

/* ---- public ---------------------------------------------------------------- */

/* Copy c-ares' search list and ndots, for sk_dns_search_list(). */
static int
keep_search(struct sk_dns *d, struct sk_err *e)
{
	struct ares_options ao;
	int mask, i;

	if (ares_save_options(d->ch, &ao, &mask) != ARES_SUCCESS)
		return sk_err_kset(e, SK_ERR_SYSTEM, ENOMEM, "dns: options");
	d->ndots = ao.ndots;
	if (ao.ndomains > 0 &&
	    (d->domains = calloc(ao.ndomains, sizeof(*d->domains))) == NULL) {
		ares_destroy_options(&ao);
		return sk_err_sys(e, "dns: search list");
	}
	for (i = 0; i < ao.ndomains; i++)
		snprintf(d->domains[i], sizeof(d->domains[0]), "%s",
		    ao.domains[i]);
	d->ndomains = ao.ndomains > 0 ? (size_t)ao.ndomains : 0;
	ares_destroy_options(&ao);
	return 0;
}

/* c-ares backs off: try n (from 0) waits timeout << (n / nservers), so
 * the whole lookup takes nservers * timeout * (2^tries - 1). */
static int
per_try_ms(struct sk_dns *d, int64_t total, int tries)
{
	struct ares_addr_port_node *s, *list = NULL;
	int64_t ms;
	int nserv = 0;

	if (ares_get_servers_ports(d->ch, &list) == ARES_SUCCESS)
		for (s = list; s != NULL; s = s->next)
			nserv++;
	ares_free_data(list);
	if (nserv == 0)
		nserv = 1;
	ms = total / ((int64_t)nserv * ((1LL << tries) - 1));
	return ms < 1 ? 1 : ms > 1000000 ? 1000000 : (int)ms;
}

struct sk_dns *
sk_dns_new(struct sk_loop *l, const struct sk_dns_opts *o, struct sk_err *e)
{
	struct ares_options ao;
	struct sk_dns *d;
	int64_t total = o && o->timeout_ms > 0 ? o->timeout_ms :
	    DEFAULT_TIMEOUT_MS;
	int tries = o && o->tries > 0 ? o->tries : DEFAULT_TRIES;
	int rc;

	if (tries > 16)
		tries = 16;
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		sk_err_kset(e, SK_ERR_SYSTEM, ENOMEM, "c-ares: %s",
		    ares_strerror(rc));
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		sk_err_sys(e, "dns");
		ares_library_cleanup();
		return NULL;
	}
	d->loop = l;
	d->cur_fd = -1;
	d->peer_fd = -1;
	d->io.infd = -1;
	memset(&ao, 0, sizeof(ao));
	ao.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH;
	if (o && (o->flags & SK_DNS_TCP))
		ao.flags |= ARES_FLAG_USEVC;
	if (o && (o->flags & SK_DNS_NORECURSE))
		ao.flags |= ARES_FLAG_NORECURSE;
	ao.tries = tries;
	ao.timeout = 1000;	/* set again below, once the servers are known */
	ao.sock_state_cb = sock_state;
	ao.sock_state_cb_data = d;
	rc = ares_init_options(&d->ch, &ao, ARES_OPT_FLAGS | ARES_OPT_TRIES |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_SOCK_STATE_CB);
	if (rc != ARES_SUCCESS) {
		sk_err_kset(e, SK_ERR_SYSTEM, EINVAL, "c-ares init: %s",
		    ares_strerror(rc));
		free(d);
		ares_library_cleanup();
		return NULL;
	}
	if (o && o->servers != NULL &&
	    (rc = ares_set_servers_ports_csv(d->ch, o->servers)) != ARES_SUCCESS) {
		sk_err_kset(e, SK_ERR_INPUT, EINVAL, "server %s: %s", o->servers,
		    rc == ARES_EBADSTR ? "not ADDR[:PORT]" : ares_strerror(rc));
		goto error;
	}
	if (keep_search(d, e) == -1)
		goto error;
	/* ARES_OPT_TIMEOUTMS cannot be changed after init: start again with
	 * the per-try time the server count asks for. */
	ao.timeout = d->try_ms = per_try_ms(d, total, tries);
	{
		ares_channel ch;

		rc = ares_init_options(&ch, &ao, ARES_OPT_FLAGS |
		    ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS | ARES_OPT_SOCK_STATE_CB);
		if (rc != ARES_SUCCESS) {
			sk_err_kset(e, SK_ERR_SYSTEM, EINVAL, "c-ares init: %s",
			    ares_strerror(rc));
			goto error;
		}
		if (o && o->servers != NULL)
			ares_set_servers_ports_csv(ch, o->servers);
		ares_destroy(d->ch);
		d->ch = ch;
		ares_set_socket_functions(d->ch, &io_funcs, d);
	}
	return d;
error:
	ares_destroy(d->ch);
	free(d->domains);
	free(d);
	ares_library_cleanup();
	return NULL;
}

void
sk_dns_free(struct sk_dns *d)
{
	if (d == NULL)
		return;
	/* ares_destroy calls back every pending query (EDESTRUCTION) and
	 * closes its sockets through sock_state (unwatch first). */
	ares_destroy(d->ch);
	sk_loop_timer_cancel(d->loop, d->timer);
	free(d->io.sock);
	free(d->domains);
	free(d);
	ares_library_cleanup();
}

int
sk_dns_query(struct sk_dns *d, const char *name, int type, sk_dns_fn *fn,
    void *arg, struct sk_err *e)
{
	size_t n = strlen(name);
	struct query *q;

	if (n == 0 || n >= SK_DNS_NAMELEN)
		return sk_err_kset(e, SK_ERR_INPUT, EINVAL,
		    "name \"%.64s\": %s", name, n ? "too long" : "empty");
	if (type <= 0 || type > 65535)
		return sk_err_kset(e, SK_ERR_INPUT, EINVAL, "%s: type %d",
		    name, type);
	if ((q = malloc(sizeof(*q) + n + 1)) == NULL)
		return sk_err_sys(e, "query %s", name);
	q->d = d;
	q->fn = fn;
	q->arg = arg;
	q->type = type;
	q->t0 = mono_ms();
	memcpy(q->name, name, n + 1);
	d->pending++;
	d->depth++;
	ares_query(d->ch, name, 1 /* C_IN */, type, answered, q);
	d->depth--;
	/* a query sent from a callback goes out with the rest of the turn */
	if (d->depth == 0)
		io_settle(d);
	rearm(d);
	return 0;
}

size_t
sk_dns_pending(const struct sk_dns *d)
{
	return d->pending;
}

size_t
sk_dns_search_list(const struct sk_dns *d, const char *name,
    char (*out)[SK_DNS_NAMELEN], size_t max)
{
	size_t n = 0, i, len = strlen(name);
	const char *p;
	int dots = 0;

#define ADD(...) do { if (n < max) snprintf(out[n++], SK_DNS_NAMELEN, \
	__VA_ARGS__); } while (0)
	if (len > 0 && name[len - 1] == '.') {
		ADD("%s", name);
		return n;
	}
	for (p = name; *p != '\0'; p++)
		dots += *p == '.';
	/* as res_search(3): enough dots, the name as given first; otherwise
	 * the search domains first and the name as given last */
	if (dots >= d->ndots)
		ADD("%s", name);
	for (i = 0; i < d->ndomains; i++)
		ADD("%s.%s", name, d->domains[i]);
	if (dots < d->ndots)
		ADD("%s", name);
	return n;
#undef ADD
}
