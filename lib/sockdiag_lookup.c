/*
 * sock_diag by exact id: one SOCK_DIAG_BY_FAMILY request per socket,
 * without NLM_F_DUMP, so the kernel looks each one up in its hash tables
 * instead of walking the table.  For a screenful of sockets out of 100k
 * this is what keeps tcp_info cheap: the kernel fills it only for the
 * sockets asked for.
 *
 * Requests go out BATCH at a time in one send (the kernel handles the
 * messages of one send in order) and each gets exactly one reply: the
 * socket, or an NLMSG_ERROR.  BATCH is kept small because the kernel
 * drops a reply that does not fit in our receive buffer instead of
 * waiting, and a lost reply would leave us waiting; the receive timeout
 * turns that case into an error rather than a hang.
 *
 * A listener in an SO_REUSEPORT group cannot be told apart by its
 * addresses: the kernel's lookup finds one of the group, and the others
 * come back as a cookie mismatch.  Those are looked for afterwards in
 * one dump of the listening table only, which the kernel walks without
 * the established one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "sockkit/err.h"
#include "sockkit/sockdiag.h"
#include "internal.h"

#define BATCH 32
#define REQ_SIZE NLMSG_ALIGN(NLMSG_HDRLEN + sizeof(struct inet_diag_req_v2))
#define RECV_SIZE 32768

void
sk_sockid_of(const struct sk_sock *s, struct sk_sockid *id)
{
	memset(id, 0, sizeof(*id));
	id->proto = s->proto;
	id->family = s->family;
	memcpy(id->src, s->src, 16);
	memcpy(id->dst, s->dst, 16);
	id->sport = s->sport;
	id->dport = s->dport;
	id->ifindex = s->ifindex;
	id->cookie = s->cookie;
}

static void
put_exact(char *buf, const struct sk_sockid *id, unsigned ext, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *r;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = (uint8_t)id->family;
	r->sdiag_protocol = id->proto == SK_SD_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	r->idiag_ext = sk__inet_ext(ext, id->proto);
	r->idiag_states = SK_SS_ALL;
	r->id.idiag_sport = htons(id->sport);
	r->id.idiag_dport = htons(id->dport);
	memcpy(r->id.idiag_src, id->src, 16);
	memcpy(r->id.idiag_dst, id->dst, 16);
	r->id.idiag_if = id->ifindex;
	if (id->cookie != 0) {
		r->id.idiag_cookie[0] = (uint32_t)id->cookie;
		r->id.idiag_cookie[1] = (uint32_t)(id->cookie >> 32);
	} else {
		r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	}
}

struct batch {
	const struct sk_sockid *all;	/* every id asked for */
	size_t *again;		/* listeners to find by dump: indexes in all */
	size_t nagain;
	size_t base;		/* this batch's first id in all */
	const struct sk_sockid *ids;
	uint32_t seq0;		/* the first request's sequence number */
	size_t n, got;		/* requests sent, replies read */
	struct sk_sock sock;
	char buf[RECV_SIZE];
	sk_sock_cb cb;
	void *arg;
	int stopped;
	struct sk_err *e;
};

/* One reply: the socket, or the error that stands for it. */
static int
reply(struct batch *b, const struct nlmsghdr *nlh)
{
	size_t i = nlh->nlmsg_seq - b->seq0;
	const struct nlmsgerr *err;

	if (nlh->nlmsg_seq < b->seq0 || i >= b->n)
		return 0;	/* not ours (a late reply of a stopped run) */
	b->got++;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
			return sk_err_kset(b->e, SK_ERR_SYSTEM, EBADMSG,
			    "sock_diag lookup: short error message");
		err = mnl_nlmsg_get_payload(nlh);
		/* Maybe a listener of a reuseport group other than the
		 * one the lookup found (the kernel says ENOENT for a
		 * cookie mismatch there). */
		if ((err->error == -ESTALE || err->error == -ENOENT) &&
		    b->ids[i].proto == SK_SD_TCP &&
		    b->ids[i].dport == 0 && b->ids[i].cookie != 0) {
			b->again[b->nagain++] = b->base + i;
			return 0;
		}
		/* Gone, or its address taken by another socket since. */
		if (err->error == 0 || err->error == -ENOENT ||
		    err->error == -ESTALE)
			return 0;
		errno = -err->error;
		return sk_err_sys(b->e, "sock_diag lookup");
	}
	if (b->stopped)
		return 0;
	if (sk_sockdiag_parse(nlh, b->ids[i].proto, &b->sock, b->e) < 0)
		return -1;
	if (b->cb(&b->sock, b->arg) != 0)
		b->stopped = 1;
	return 0;
}

static int
one_batch(struct mnl_socket *nl, struct batch *b, unsigned ext)
{
	char req[BATCH * REQ_SIZE];
	unsigned portid = mnl_socket_get_portid(nl);
	const struct nlmsghdr *nlh;
	size_t i;
	ssize_t len;
	int left;

	for (i = 0; i < b->n; i++)
		put_exact(req + i * REQ_SIZE, &b->ids[i], ext,
		    b->seq0 + (uint32_t)i);
	if (mnl_socket_sendto(nl, req, b->n * REQ_SIZE) < 0)
		return sk_err_sys(b->e, "sock_diag lookup request");
	b->got = 0;
	while (b->got < b->n) {
		len = mnl_socket_recvfrom(nl, b->buf, sizeof(b->buf));
		if (len < 0)
			return sk_err_sys(b->e, "sock_diag lookup");
		left = (int)len;
		for (nlh = (const struct nlmsghdr *)b->buf; mnl_nlmsg_ok(nlh, left);
		    nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_pid != portid && nlh->nlmsg_pid != 0)
				continue;
			if (reply(b, nlh) < 0)
				return -1;
		}
	}
	return 0;
}

static int
on_listener(const struct sk_sock *s, void *arg)
{
	struct batch *b = arg;
	size_t i;

	for (i = 0; i < b->nagain; i++)
		if (b->all[b->again[i]].cookie == s->cookie)
			return b->stopped = b->cb(s, b->arg) != 0;
	return 0;
}

int
sk_sockdiag_lookup(const struct sk_sockid *ids, size_t n, unsigned ext,
    sk_sock_cb cb, void *arg, struct sk_err *e)
{
	struct timeval tv = { 2, 0 };
	struct mnl_socket *nl;
	struct batch *b;
	size_t i;
	int rc = -1;

	for (i = 0; i < n; i++)
		if ((ids[i].proto != SK_SD_TCP && ids[i].proto != SK_SD_UDP) ||
		    (ids[i].family != AF_INET && ids[i].family != AF_INET6))
			return sk_err_set(e, EINVAL, "sock_diag lookup: not "
			    "a TCP or UDP socket of AF_INET or AF_INET6");
	if (n == 0)
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->again = calloc(n, sizeof(*b->again))) == NULL) {
		free(b);
		return sk_err_sys(e, "sock_diag lookup");
	}
	if ((nl = sk__sockdiag_open(e)) == NULL) {
		free(b->again);
		free(b);
		return -1;
	}
	/* A reply the kernel dropped must not leave us waiting forever. */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) < 0) {
		sk_err_sys(e, "netlink sock_diag timeout");
		goto end;
	}
	b->cb = cb;
	b->arg = arg;
	b->e = e;
	b->all = ids;
	for (i = 0; i < n && !b->stopped; i += b->n) {
		b->base = i;
		b->ids = ids + i;
		b->n = n - i < BATCH ? n - i : BATCH;
		b->seq0 = 1 + (uint32_t)i;
		if (one_batch(nl, b, ext) < 0)
			goto end;
	}
	if (b->nagain > 0 && !b->stopped) {
		struct sk_sockdiag_req req = { .protos = SK_SD_TCP,
		    .states = SK_SS_BIT(SK_SS_LISTEN), .ext = ext };

		if (sk_sockdiag_dump(&req, on_listener, b, e) < 0)
			goto end;
	}
	rc = 0;
end:
	mnl_socket_close(nl);
	free(b->again);
	free(b);
	return rc;
}
