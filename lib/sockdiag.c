/*
 * NETLINK_SOCK_DIAG dumps on libmnl.  One request per (protocol, family)
 * the kernel needs, except TCP: the old TCPDIAG_GETSOCK request accepts
 * AF_UNSPEC and makes the kernel walk its one TCP table for v4 and v6 at
 * once, which is half the work of two SOCK_DIAG_BY_FAMILY walks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/tcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "sockkit/err.h"
#include "sockkit/sockdiag.h"
#include "internal.h"

/* The kernel fills at most 32 KiB per dump read (netlink max_recvmsg_len). */
#define DUMP_BUFSIZE 32768

/* ---- names ------------------------------------------------------------------- */

static const char *const state_words[SK_SS_MAX] = {
	[SK_SS_UNKNOWN] = "UNKNOWN",
	[SK_SS_ESTABLISHED] = "ESTAB",
	[SK_SS_SYN_SENT] = "SYN-SENT",
	[SK_SS_SYN_RECV] = "SYN-RECV",
	[SK_SS_FIN_WAIT1] = "FIN-WAIT-1",
	[SK_SS_FIN_WAIT2] = "FIN-WAIT-2",
	[SK_SS_TIME_WAIT] = "TIME-WAIT",
	[SK_SS_CLOSE] = "UNCONN",
	[SK_SS_CLOSE_WAIT] = "CLOSE-WAIT",
	[SK_SS_LAST_ACK] = "LAST-ACK",
	[SK_SS_LISTEN] = "LISTEN",
	[SK_SS_CLOSING] = "CLOSING",
	[SK_SS_NEW_SYN_RECV] = "SYN-RECV",
};

const char *
sk_sock_state_str(enum sk_sock_state st)
{
	if ((unsigned)st >= SK_SS_MAX)
		return "UNKNOWN";
	return state_words[st];
}

const char *
sk_sock_netid(const struct sk_sock *s)
{
	switch (s->proto) {
	case SK_SD_TCP:
		return "tcp";
	case SK_SD_UDP:
		return "udp";
	case SK_SD_RAW:
		return "raw";
	case SK_SD_UNIX:
		if (s->type == SOCK_DGRAM)
			return "u_dgr";
		if (s->type == SOCK_SEQPACKET)
			return "u_seq";
		return "u_str";
	}
	return "???";
}

/* ---- parsing ------------------------------------------------------------------- */

struct attrs {
	const struct nlattr *tb[32];
	const char *bad;	/* what failed validation, for the message */
};

/* Attributes whose payload has a fixed minimum size; the rest are binary
 * of any length and are length-checked where they are copied. */
static int
attr_min(int family, int type)
{
	if (family == AF_UNIX) {
		switch (type) {
		case UNIX_DIAG_PEER:
		case UNIX_DIAG_UID:
		case UNIX_DIAG_VFS:
			return 4;
		case UNIX_DIAG_RQLEN:
			return sizeof(struct unix_diag_rqlen);
		case UNIX_DIAG_SHUTDOWN:
			return 1;
		}
		return 0;
	}
	switch (type) {
	case INET_DIAG_MEMINFO:
		return sizeof(struct inet_diag_meminfo);
	case INET_DIAG_SKV6ONLY:
	case INET_DIAG_PROTOCOL:
	case INET_DIAG_SHUTDOWN:
		return 1;
	}
	return 0;
}

struct attr_ctx {
	struct attrs *a;
	int family;
};

static int
attr_cb(const struct nlattr *attr, void *data)
{
	struct attr_ctx *c = data;
	int type = mnl_attr_get_type(attr);
	size_t need;

	if (type < 0 || (size_t)type >= SK_ARRAY_LEN(c->a->tb))
		return MNL_CB_OK;	/* newer kernel: not ours to read */
	if (mnl_attr_validate(attr, MNL_TYPE_UNSPEC) < 0) {
		c->a->bad = "attribute";
		return MNL_CB_ERROR;
	}
	need = attr_min(c->family, type);
	if (mnl_attr_get_payload_len(attr) < need) {
		c->a->bad = "short attribute";
		return MNL_CB_ERROR;
	}
	if (c->family != AF_UNIX && type == INET_DIAG_CONG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0) {
		c->a->bad = "congestion name";
		return MNL_CB_ERROR;
	}
	c->a->tb[type] = attr;
	return MNL_CB_OK;
}

static int
parse_attrs(const struct nlmsghdr *nlh, size_t off, int family, struct attrs *a,
    struct sk_err *e)
{
	struct attr_ctx c = { a, family };
	const struct nlattr *attr;

	memset(a, 0, sizeof(*a));
	mnl_attr_for_each(attr, nlh, off) {
		if (attr_cb(attr, &c) != MNL_CB_OK)
			goto bad;
	}
	/* The walk stops at the first attribute that does not fit: bytes
	 * left over mean a truncated or corrupt list, not the end of it. */
	if ((const char *)attr < (const char *)mnl_nlmsg_get_payload_tail(nlh)) {
		a->bad = "truncated attribute";
		goto bad;
	}
	return 0;
bad:
	return sk_err_kset(e, SK_ERR_SYSTEM, EBADMSG,
	    "sock_diag reply: malformed %s", a->bad ? a->bad : "attribute");
}

/* Copy up to sizeof(dst) bytes of a binary attribute; the rest stays 0.
 * Returns the bytes copied. */
static size_t
attr_copy(const struct nlattr *at, void *dst, size_t dstlen)
{
	size_t n = mnl_attr_get_payload_len(at);

	if (n > dstlen)
		n = dstlen;
	memcpy(dst, mnl_attr_get_payload(at), n);
	return n;
}

/* An older kernel sends a shorter tcp_info: what it left out stays 0. */
static size_t
tcpi_from_attr(const struct nlattr *at, struct sk_tcp_info *o)
{
	struct tcp_info t;
	size_t n;

	memset(&t, 0, sizeof(t));
	n = attr_copy(at, &t, sizeof(t));
	o->state = t.tcpi_state;
	o->ca_state = t.tcpi_ca_state;
	o->retransmits = t.tcpi_retransmits;
	o->probes = t.tcpi_probes;
	o->backoff = t.tcpi_backoff;
	o->options = t.tcpi_options;
	o->snd_wscale = t.tcpi_snd_wscale;
	o->rcv_wscale = t.tcpi_rcv_wscale;
	o->rto = t.tcpi_rto;
	o->ato = t.tcpi_ato;
	o->snd_mss = t.tcpi_snd_mss;
	o->rcv_mss = t.tcpi_rcv_mss;
	o->unacked = t.tcpi_unacked;
	o->sacked = t.tcpi_sacked;
	o->lost = t.tcpi_lost;
	o->retrans = t.tcpi_retrans;
	o->fackets = t.tcpi_fackets;
	o->last_data_sent = t.tcpi_last_data_sent;
	o->last_ack_recv = t.tcpi_last_ack_recv;
	o->last_data_recv = t.tcpi_last_data_recv;
	o->pmtu = t.tcpi_pmtu;
	o->rcv_ssthresh = t.tcpi_rcv_ssthresh;
	o->rtt = t.tcpi_rtt;
	o->rttvar = t.tcpi_rttvar;
	o->snd_ssthresh = t.tcpi_snd_ssthresh;
	o->snd_cwnd = t.tcpi_snd_cwnd;
	o->advmss = t.tcpi_advmss;
	o->reordering = t.tcpi_reordering;
	o->rcv_rtt = t.tcpi_rcv_rtt;
	o->rcv_space = t.tcpi_rcv_space;
	o->total_retrans = t.tcpi_total_retrans;
	o->pacing_rate = t.tcpi_pacing_rate;
	o->max_pacing_rate = t.tcpi_max_pacing_rate;
	o->bytes_acked = t.tcpi_bytes_acked;
	o->bytes_received = t.tcpi_bytes_received;
	o->segs_out = t.tcpi_segs_out;
	o->segs_in = t.tcpi_segs_in;
	o->notsent_bytes = t.tcpi_notsent_bytes;
	o->min_rtt = t.tcpi_min_rtt;
	o->data_segs_in = t.tcpi_data_segs_in;
	o->data_segs_out = t.tcpi_data_segs_out;
	o->delivery_rate = t.tcpi_delivery_rate;
	o->busy_time = t.tcpi_busy_time;
	o->rwnd_limited = t.tcpi_rwnd_limited;
	o->sndbuf_limited = t.tcpi_sndbuf_limited;
	o->delivered = t.tcpi_delivered;
	o->delivered_ce = t.tcpi_delivered_ce;
	o->bytes_sent = t.tcpi_bytes_sent;
	o->bytes_retrans = t.tcpi_bytes_retrans;
	o->dsack_dups = t.tcpi_dsack_dups;
	o->reord_seen = t.tcpi_reord_seen;
	return n;
}

static void
mem_from_skmeminfo(const struct nlattr *at, struct sk_sock_mem *m)
{
	uint32_t v[SK_MEMINFO_VARS] = { 0 };

	attr_copy(at, v, sizeof(v));
	m->rmem_alloc = v[SK_MEMINFO_RMEM_ALLOC];
	m->rcvbuf = v[SK_MEMINFO_RCVBUF];
	m->wmem_alloc = v[SK_MEMINFO_WMEM_ALLOC];
	m->sndbuf = v[SK_MEMINFO_SNDBUF];
	m->fwd_alloc = v[SK_MEMINFO_FWD_ALLOC];
	m->wmem_queued = v[SK_MEMINFO_WMEM_QUEUED];
	m->optmem = v[SK_MEMINFO_OPTMEM];
	m->backlog = v[SK_MEMINFO_BACKLOG];
	m->drops = v[SK_MEMINFO_DROPS];
}

static int
parse_inet(const struct nlmsghdr *nlh, unsigned proto, struct sk_sock *s,
    struct sk_err *e)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct attrs a;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return sk_err_kset(e, SK_ERR_SYSTEM, EBADMSG,
		    "sock_diag reply: inet message of %zu bytes",
		    mnl_nlmsg_get_payload_len(nlh));
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return sk_err_kset(e, SK_ERR_SYSTEM, EBADMSG,
		    "sock_diag reply: family %u", m->idiag_family);
	if (parse_attrs(nlh, sizeof(*m), m->idiag_family, &a, e) < 0)
		return -1;
	s->proto = proto;
	s->family = m->idiag_family;
	s->type = proto == SK_SD_TCP ? SOCK_STREAM :
	    proto == SK_SD_UDP ? SOCK_DGRAM : SOCK_RAW;
	s->state = m->idiag_state < SK_SS_MAX ? m->idiag_state : SK_SS_UNKNOWN;
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	memcpy(s->src, m->id.idiag_src, 16);
	memcpy(s->dst, m->id.idiag_dst, 16);
	if (s->family == AF_INET) {
		memset(s->src + 4, 0, 12);
		memset(s->dst + 4, 0, 12);
	}
	s->sport = ntohs(m->id.idiag_sport);
	s->dport = ntohs(m->id.idiag_dport);
	s->ifindex = m->id.idiag_if;
	s->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
	    m->id.idiag_cookie[0];
	s->inode = m->idiag_inode;
	s->uid = m->idiag_uid;
	s->timer = m->idiag_timer <= SK_TIMER_PERSIST ? m->idiag_timer :
	    SK_TIMER_UNKNOWN;
	s->timer_expires = m->idiag_expires;
	s->retrans = m->idiag_retrans;
	s->have |= SK_SD_EXT_TIMER | SK_SD_EXT_UID;
	s->v6only = -1;
	if (a.tb[INET_DIAG_SKV6ONLY])
		s->v6only = mnl_attr_get_u8(a.tb[INET_DIAG_SKV6ONLY]) != 0;
	if (a.tb[INET_DIAG_PROTOCOL] && proto == SK_SD_RAW)
		s->protocol = mnl_attr_get_u8(a.tb[INET_DIAG_PROTOCOL]);
	if (a.tb[INET_DIAG_SKMEMINFO]) {
		mem_from_skmeminfo(a.tb[INET_DIAG_SKMEMINFO], &s->mem);
		s->have |= SK_SD_EXT_MEM;
	}
	if (a.tb[INET_DIAG_INFO] && proto == SK_SD_TCP) {
		s->tcpi_len = tcpi_from_attr(a.tb[INET_DIAG_INFO], &s->tcpi);
		s->have |= SK_SD_EXT_INFO;
	}
	if (a.tb[INET_DIAG_CONG]) {
		snprintf(s->cong, sizeof(s->cong), "%s",
		    mnl_attr_get_str(a.tb[INET_DIAG_CONG]));
		s->have |= SK_SD_EXT_INFO;
	}
	return 0;
}

static int
parse_unix(const struct nlmsghdr *nlh, struct sk_sock *s, struct sk_err *e)
{
	const struct unix_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct unix_diag_rqlen rq;
	struct attrs a;
	size_t n;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return sk_err_kset(e, SK_ERR_SYSTEM, EBADMSG,
		    "sock_diag reply: unix message of %zu bytes",
		    mnl_nlmsg_get_payload_len(nlh));
	if (parse_attrs(nlh, sizeof(*m), AF_UNIX, &a, e) < 0)
		return -1;
	s->proto = SK_SD_UNIX;
	s->family = AF_UNIX;
	s->type = m->udiag_type;
	s->state = m->udiag_state < SK_SS_MAX ? m->udiag_state : SK_SS_UNKNOWN;
	s->inode = m->udiag_ino;
	s->cookie = (uint64_t)m->udiag_cookie[1] << 32 | m->udiag_cookie[0];
	s->v6only = -1;
	if (a.tb[UNIX_DIAG_NAME]) {
		const char *p = mnl_attr_get_payload(a.tb[UNIX_DIAG_NAME]);

		n = mnl_attr_get_payload_len(a.tb[UNIX_DIAG_NAME]);
		if (n > SK_SOCK_PATHMAX - 1)
			return sk_err_kset(e, SK_ERR_SYSTEM, EBADMSG,
			    "sock_diag reply: unix name of %zu bytes", n);
		/* An abstract name starts with a NUL; show it as ss does. */
		if (n > 0 && p[0] == '\0') {
			s->path[0] = '@';
			memcpy(s->path + 1, p + 1, n - 1);
			s->path[n] = '\0';
		} else {
			memcpy(s->path, p, n);
			s->path[n] = '\0';
		}
	}
	if (a.tb[UNIX_DIAG_PEER])
		s->peer_inode = mnl_attr_get_u32(a.tb[UNIX_DIAG_PEER]);
	if (a.tb[UNIX_DIAG_RQLEN]) {
		memcpy(&rq, mnl_attr_get_payload(a.tb[UNIX_DIAG_RQLEN]),
		    sizeof(rq));
		s->rqueue = rq.udiag_rqueue;
		s->wqueue = rq.udiag_wqueue;
	}
	if (a.tb[UNIX_DIAG_UID]) {
		s->uid = mnl_attr_get_u32(a.tb[UNIX_DIAG_UID]);
		s->have |= SK_SD_EXT_UID;
	}
	if (a.tb[UNIX_DIAG_MEMINFO]) {
		mem_from_skmeminfo(a.tb[UNIX_DIAG_MEMINFO], &s->mem);
		s->have |= SK_SD_EXT_MEM;
	}
	return 0;
}

int
sk_sockdiag_parse(const struct nlmsghdr *nlh, unsigned proto, struct sk_sock *s,
    struct sk_err *e)
{
	const unsigned char *fam;

	/* tcp_info comes last and is only filled when sent; clearing it
	 * for every socket of a 100k dump would be wasted work. */
	memset(s, 0, offsetof(struct sk_sock, tcpi));
	s->tcpi_len = 0;
	if (nlh->nlmsg_len < NLMSG_HDRLEN || mnl_nlmsg_get_payload_len(nlh) < 1)
		return sk_err_kset(e, SK_ERR_SYSTEM, EBADMSG,
		    "sock_diag reply: message of %u bytes", nlh->nlmsg_len);
	/* Both reply structs start with the family byte. */
	fam = mnl_nlmsg_get_payload(nlh);
	if (*fam == AF_UNIX)
		return parse_unix(nlh, s, e);
	return parse_inet(nlh, proto, s, e);
}

/* ---- bytecode ------------------------------------------------------------------ */

void
sk_sockdiag_bc_init(struct sk_sockdiag_bc *bc)
{
	bc->len = 0;
}

/*
 * Every condition is a two-op port comparison (8 bytes): on success step
 * to the next one, on failure jump 4 bytes past the end, which the kernel
 * reads as "reject".  The failure offsets depend on the total length, so
 * they are rewritten after each append.
 */
int
sk_sockdiag_bc_port(struct sk_sockdiag_bc *bc, int peer, enum sk_bc_op op,
    unsigned port, struct sk_err *e)
{
	struct inet_diag_bc_op ops[2];
	unsigned char code;
	size_t off;

	switch (op) {
	case SK_BC_EQ:
		code = peer ? INET_DIAG_BC_D_EQ : INET_DIAG_BC_S_EQ;
		break;
	case SK_BC_GT:
		port++;
		/* FALLTHROUGH */
	case SK_BC_GE:
		code = peer ? INET_DIAG_BC_D_GE : INET_DIAG_BC_S_GE;
		break;
	case SK_BC_LT:
		if (port == 0)
			return 1;
		port--;
		/* FALLTHROUGH */
	case SK_BC_LE:
		code = peer ? INET_DIAG_BC_D_LE : INET_DIAG_BC_S_LE;
		break;
	default:
		return sk_err_set(e, EINVAL, "sock_diag bytecode: bad op %d", op);
	}
	if (port > 65535)
		return 1;
	if (bc->len + sizeof(ops) > sizeof(bc->code))
		return sk_err_set(e, ENOSPC, "sock_diag bytecode: more than %zu "
		    "conditions", sizeof(bc->code) / sizeof(ops));
	ops[0].code = code;
	ops[0].yes = sizeof(ops);
	ops[0].no = 0;
	ops[1].code = INET_DIAG_BC_NOP;
	ops[1].yes = 0;
	ops[1].no = (unsigned short)port;
	memcpy(bc->code + bc->len, ops, sizeof(ops));
	bc->len += sizeof(ops);
	for (off = 0; off < bc->len; off += sizeof(ops)) {
		memcpy(&ops[0], bc->code + off, sizeof(ops[0]));
		ops[0].no = (unsigned short)(bc->len - off + 4);
		memcpy(bc->code + off, &ops[0], sizeof(ops[0]));
	}
	return 0;
}

/* ---- dumping ------------------------------------------------------------------- */

struct dump {
	struct sk_sock sock;	/* reused: the callback's struct */
	unsigned proto;
	unsigned ext;
	sk_sock_cb cb;
	void *arg;
	int stopped;
	unsigned long nsent;	/* sockets of this request so far */
	struct sk_err *e;
	int parse_failed;
};

static int
data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;

	if (sk_sockdiag_parse(nlh, d->proto, &d->sock, d->e) < 0) {
		d->parse_failed = 1;
		return MNL_CB_ERROR;
	}
	d->nsent++;
	if (d->cb(&d->sock, d->arg) != 0) {
		d->stopped = 1;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

/* libmnl's default NLMSG_DONE handler ignores the error a dump may end
 * with; the kernel reports a missing diag module (raw_diag) that way. */
static int
done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *err;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*err)) {
		err = mnl_nlmsg_get_payload(nlh);
		if (*err < 0) {
			errno = -*err;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

struct mnl_socket *
sk__sockdiag_open(struct sk_err *e)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);

	if (nl == NULL) {
		sk_err_sys(e, "netlink sock_diag socket");
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		sk_err_sys(e, "netlink sock_diag bind");
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

uint8_t
sk__inet_ext(unsigned ext, unsigned proto)
{
	uint8_t x = 0;

	if ((ext & SK_SD_EXT_INFO) && proto == SK_SD_TCP)
		x |= 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1);
	if (ext & SK_SD_EXT_MEM)
		x |= 1 << (INET_DIAG_SKMEMINFO - 1);
	return x;
}

static const char *
proto_name(unsigned proto)
{
	return proto == SK_SD_TCP ? "tcp" : proto == SK_SD_UDP ? "udp" :
	    proto == SK_SD_RAW ? "raw" : "unix";
}

static void
put_bytecode(struct nlmsghdr *nlh, const struct sk_sockdiag_req *req)
{
	if (req->bc != NULL && req->bc->len > 0)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, req->bc->len,
		    req->bc->code);
}

/* Put one request for (proto, family) into buf; family AF_UNSPEC only for
 * TCP, through the compat request. */
static struct nlmsghdr *
put_request(char *buf, unsigned proto, int family, const struct sk_sockdiag_req *req,
    uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	uint32_t states = req->states ? req->states : SK_SS_ALL;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (proto == SK_SD_UNIX) {
		struct unix_diag_req *u;

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		u = mnl_nlmsg_put_extra_header(nlh, sizeof(*u));
		u->sdiag_family = AF_UNIX;
		u->udiag_states = states;
		u->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER |
		    UDIAG_SHOW_RQLEN;
		if (req->ext & SK_SD_EXT_UID)
			u->udiag_show |= UDIAG_SHOW_UID;
		if (req->ext & SK_SD_EXT_MEM)
			u->udiag_show |= UDIAG_SHOW_MEMINFO;
	} else if (family == AF_UNSPEC) {
		struct inet_diag_req *r;

		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		r->idiag_family = AF_UNSPEC;
		r->idiag_ext = sk__inet_ext(req->ext, proto);
		r->idiag_states = states;
		put_bytecode(nlh, req);
	} else {
		struct inet_diag_req_v2 *r;

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		r->sdiag_family = family;
		r->sdiag_protocol = proto == SK_SD_TCP ? IPPROTO_TCP :
		    proto == SK_SD_UDP ? IPPROTO_UDP : IPPROTO_RAW;
		r->idiag_ext = sk__inet_ext(req->ext, proto);
		r->idiag_states = states;
		put_bytecode(nlh, req);
	}
	return nlh;
}

/* One dump request and its replies.  Returns 0, or -1 with errno-based
 * e; *stopped tells the caller the callback asked to stop. */
static int
dump_one(struct mnl_socket *nl, char *buf, size_t buflen, unsigned proto,
    int family, const struct sk_sockdiag_req *req, struct dump *d)
{
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)proto << 8 | (uint32_t)family;
	unsigned portid = mnl_socket_get_portid(nl);
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_DONE] = done_cb };
	ssize_t n;
	int rc;

	nlh = put_request(buf, proto, family, req, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return sk_err_sys(d->e, "sock_diag %s request", proto_name(proto));
	d->proto = proto;
	d->nsent = 0;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, buflen);
		if (n < 0)
			return sk_err_sys(d->e, "sock_diag %s dump",
			    proto_name(proto));
		rc = mnl_cb_run2(buf, n, seq, portid, data_cb, d, ctl,
		    SK_ARRAY_LEN(ctl));
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0) {
			if (d->parse_failed)
				return -1;
			return sk_err_sys(d->e, "sock_diag %s dump",
			    proto_name(proto));
		}
	}
}

static int
proc_cb(const struct sk_sock *s, void *arg)
{
	struct dump *d = arg;

	return d->stopped = d->cb(s, d->arg) != 0;
}

static int
proc_one(const struct sk_sockdiag_req *req, unsigned proto, int family,
    struct dump *d)
{
	struct sk_sockdiag_req r = *req;

	r.protos = proto;
	r.family = family == AF_INET ? req->family : family;
	return sk_procnet_dump(&r, proc_cb, d, d->e);
}

int
sk_sockdiag_dump(const struct sk_sockdiag_req *req, sk_sock_cb cb, void *arg,
    struct sk_err *e)
{
	static const unsigned order[] = { SK_SD_TCP, SK_SD_UDP, SK_SD_RAW,
	    SK_SD_UNIX };
	unsigned protos = req->protos ? req->protos : SK_SD_ALL;
	struct mnl_socket *nl;
	struct dump *d;
	char *buf;
	size_t buflen = DUMP_BUFSIZE;
	size_t i;
	int fams[4], nfam, f, rc = -1;

	if ((nl = sk__sockdiag_open(e)) == NULL)
		return -1;
	buf = malloc(buflen);
	d = calloc(1, sizeof(*d));
	if (buf == NULL || d == NULL) {
		sk_err_sys(e, "sock_diag buffer");
		goto end;
	}
	d->ext = req->ext;
	d->cb = cb;
	d->arg = arg;
	d->e = e;
	for (i = 0; i < SK_ARRAY_LEN(order) && !d->stopped; i++) {
		unsigned p = order[i];

		if (!(protos & p))
			continue;
		if (p == SK_SD_UNIX) {
			if (dump_one(nl, buf, buflen, p, AF_UNIX, req, d) < 0)
				goto end;
			continue;
		}
		nfam = 0;
		if (req->family == AF_UNSPEC && p == SK_SD_TCP)
			fams[nfam++] = AF_UNSPEC;
		else if (req->family == AF_UNSPEC) {
			fams[nfam++] = AF_INET;
			fams[nfam++] = AF_INET6;
		} else
			fams[nfam++] = req->family;
		for (f = 0; f < nfam && !d->stopped; f++) {
			if (dump_one(nl, buf, buflen, p, fams[f], req, d) == 0)
				continue;
			if (fams[f] == AF_UNSPEC && d->nsent == 0 &&
			    (errno == EINVAL || errno == EOPNOTSUPP)) {
				/* No compat request: walk the families apart. */
				fams[nfam++] = AF_INET;
				fams[nfam++] = AF_INET6;
				continue;
			}
			if (errno == ENOENT && d->nsent == 0) {
				/* No diag module for p (raw_diag is often
				 * absent): its /proc table says the same. */
				if (proc_one(req, p, fams[f], d) < 0)
					goto end;
				if (fams[f] == AF_INET && nfam == 2)
					f++;	/* /proc covered both */
				continue;
			}
			goto end;
		}
	}
	rc = 0;
end:
	free(d);
	free(buf);
	mnl_socket_close(nl);
	return rc;
}
