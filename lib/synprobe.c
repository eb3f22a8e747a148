/*
 * The SYN probe engine: a raw socket that sends, a libpcap handle on the
 * "any" device that receives.  Packets are built and judged in
 * lib/synpkt.c; this file owns the sockets, the route cache and the
 * capture.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <pcap/pcap.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/synprobe.h"
#include "internal.h"

#define NOPRIV_MSG	"SYN scan needs root or CAP_NET_RAW; use -sT"
#define SNAPLEN		256		/* link + IP + ICMP + quoted IP + 8: fits v6 with room */
#define PCAP_BUFSIZE	(8 << 20)	/* replies to a fast scan arrive in bursts */
#define SNDBUF		(1 << 20)
#define ROUTES		1024		/* route cache slots (direct-mapped) */
#define SCAN_MIN	256		/* packets one sk_syn_recv looks at, at least */
#define MAX_AGE_US	(10 * 1000000LL) /* older capture stamps: the clock jumped */

struct route {
	unsigned char dst[16], src[16];
	uint32_t scope;
	int used;
};

struct sk_syn {
	int family;
	int fd;				/* raw send socket */
	pcap_t *pcap;
	int pfd;
	int linktype;
	struct sk_syn_match m;
	struct sk_syn_stats st;
	/* One sk_syn_recv call's state, for the pcap callback. */
	struct sk_syn_reply *out;
	int n, max;
	int64_t mono_us, real_us;
	struct route routes[ROUTES];
};

int64_t
sk_syn_now_us(void)
{
	return sk_now_us();
}

static int64_t
real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
nopriv(struct sk_err *e)
{
	return sk_err_kset(e, SK_ERR_INPUT, EPERM, NOPRIV_MSG);
}

/*
 * Our source ports: a block the kernel does not hand to connect() and
 * bind(0), so replies to us do not meet real sockets, placed by the key
 * so that two scans with different keys rarely share ports (they would
 * still tell their replies apart by the hash).
 */
static uint16_t
pick_ports(uint64_t key)
{
	unsigned lo = 32768, hi = 60999, first, room;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (f != NULL) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo > hi || hi > 65535)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	if (65535 - hi >= SK_SYN_PORTS)
		first = hi + 1, room = 65535 - hi - SK_SYN_PORTS + 1;
	else if (lo >= 1024 + SK_SYN_PORTS)
		first = 1024, room = lo - 1024 - SK_SYN_PORTS + 1;
	else
		first = 1024, room = 65536 - 1024 - SK_SYN_PORTS + 1;
	return (uint16_t)(first + (key >> 17) % room);
}

/* The raw socket sends only; without a filter the kernel would queue a
 * copy of every TCP segment the host receives on it. */
static int
raw_open(int family, struct sk_err *e)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { 1, &drop };
	int fd;

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		if (errno == EPERM || errno == EACCES)
			return nopriv(e);
		return sk_err_sys(e, "socket SOCK_RAW");
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
		sk_err_sys(e, "setsockopt SO_ATTACH_FILTER");
		goto error;
	}
	if (sk__setsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", SNDBUF, e) < 0)
		goto error;
	return fd;
error:
	close(fd);
	return -1;
}

static int
pcap_fail(pcap_t *p, int rc, const char *what, struct sk_err *e)
{
	if (rc == PCAP_ERROR_PERM_DENIED)
		return nopriv(e);
	return sk_err_kset(e, SK_ERR_SYSTEM, 0, "pcap %s: %s", what,
	    pcap_geterr(p));
}

/* Replies land on whichever interface routes back to us, loopback and
 * veths included: capture on "any", only inbound, only our ports and
 * ICMP errors (lib/synpkt.c has the last word on each). */
static int
cap_open(struct sk_syn *s, struct sk_err *e)
{
	char errbuf[PCAP_ERRBUF_SIZE], filter[160];
	struct bpf_program prog;
	unsigned lo = s->m.port_lo, hi = lo + SK_SYN_PORTS - 1;
	int rc;

	errbuf[0] = '\0';
	if ((s->pcap = pcap_create("any", errbuf)) == NULL)
		return sk_err_kset(e, SK_ERR_SYSTEM, 0, "pcap any: %s", errbuf);
	if (pcap_set_snaplen(s->pcap, SNAPLEN) != 0 ||
	    pcap_set_immediate_mode(s->pcap, 1) != 0 ||
	    pcap_set_buffer_size(s->pcap, PCAP_BUFSIZE) != 0)
		return pcap_fail(s->pcap, 0, "any: set", e);
	if ((rc = pcap_activate(s->pcap)) < 0)
		return pcap_fail(s->pcap, rc, "any", e);
	if (pcap_setdirection(s->pcap, PCAP_D_IN) != 0)
		return pcap_fail(s->pcap, 0, "setdirection", e);
	/* "inbound" keeps the kernel from copying loopback's outgoing
	 * copy of each reply to us at all (pcap_setdirection drops it only
	 * in user space); link types without a direction refuse it. */
	if (s->family == AF_INET)
		snprintf(filter, sizeof(filter), "inbound and ip and (tcp dst "
		    "portrange %u-%u or icmp[0] = 3 or icmp[0] = 11 or "
		    "icmp[0] = 12)", lo, hi);
	else
		snprintf(filter, sizeof(filter), "inbound and ip6 and (tcp dst "
		    "portrange %u-%u or icmp6[0] = 1 or icmp6[0] = 3 or "
		    "icmp6[0] = 4)", lo, hi);
	if (pcap_compile(s->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 &&
	    pcap_compile(s->pcap, &prog, filter + strlen("inbound and "), 1,
	    PCAP_NETMASK_UNKNOWN) != 0)
		return pcap_fail(s->pcap, 0, "compile", e);
	rc = pcap_setfilter(s->pcap, &prog);
	pcap_freecode(&prog);
	if (rc != 0)
		return pcap_fail(s->pcap, 0, "setfilter", e);
	if (pcap_setnonblock(s->pcap, 1, errbuf) != 0)
		return sk_err_kset(e, SK_ERR_SYSTEM, 0, "pcap setnonblock: %s",
		    errbuf);
	if ((s->pfd = pcap_get_selectable_fd(s->pcap)) < 0)
		return sk_err_kset(e, SK_ERR_SYSTEM, 0, "pcap: no selectable fd");
	s->linktype = pcap_datalink(s->pcap);
	return 0;
}

struct sk_syn *
sk_syn_open(int family, uint64_t key, struct sk_err *e)
{
	struct sk_syn *s;

	if (family != AF_INET && family != AF_INET6) {
		sk_err_set(e, EAFNOSUPPORT, "SYN probes: address family %d: %s",
		    family, strerror(EAFNOSUPPORT));
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		sk_err_sys(e, "SYN probes");
		return NULL;
	}
	s->family = family;
	s->pfd = -1;
	sk_syn_match_init(&s->m, family, key, pick_ports(key));
	if ((s->fd = raw_open(family, e)) < 0 || cap_open(s, e) < 0) {
		sk_syn_close(s);
		return NULL;
	}
	return s;
}

void
sk_syn_close(struct sk_syn *s)
{
	if (s == NULL)
		return;
	if (s->pcap != NULL)
		pcap_close(s->pcap);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int
sk_syn_fd(const struct sk_syn *s)
{
	return s->pfd;
}

uint16_t
sk_syn_port_lo(const struct sk_syn *s)
{
	return s->m.port_lo;
}

void
sk_syn_stats(struct sk_syn *s, struct sk_syn_stats *st)
{
	struct pcap_stat ps;

	if (pcap_stats(s->pcap, &ps) == 0)
		s->st.pcap_drop = ps.ps_drop;
	*st = s->st;
}

/* ---- sending --------------------------------------------------------------- */

static const unsigned char *
dst_addr(const struct sockaddr *sa, uint32_t *scope)
{
	if (sa->sa_family == AF_INET6) {
		*scope = ((const struct sockaddr_in6 *)sa)->sin6_scope_id;
		return ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	}
	*scope = 0;
	return (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
}

/* The source address the kernel would pick for dst: what a connected
 * UDP socket is given (no packet leaves). */
static int
route_lookup(struct sk_syn *s, const struct sockaddr *dst, socklen_t dstlen,
    struct sockaddr_storage *src, struct sk_err *e)
{
	char host[SK_ADDRSTRLEN];
	socklen_t len = sizeof(*src);
	int fd, rc = -1;

	s->st.routes++;
	if ((fd = socket(s->family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return sk_err_sys(e, "socket SOCK_DGRAM");
	if (connect(fd, dst, dstlen) < 0)
		sk_err_sys(e, "route to %s", sk__host_str(dst, host, sizeof(host)));
	else if (getsockname(fd, (struct sockaddr *)src, &len) < 0)
		sk_err_sys(e, "getsockname");
	else
		rc = 0;
	close(fd);
	return rc;
}

static unsigned
route_slot(const unsigned char *a, int n, uint32_t scope)
{
	uint32_t h = 2166136261u ^ scope;
	int i;

	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	return h % ROUTES;
}

/* The cached source for dst, looked up on a miss. */
static struct route *
route_get(struct sk_syn *s, const struct sockaddr *dst, socklen_t dstlen,
    struct sk_err *e)
{
	struct sockaddr_storage src;
	const unsigned char *a;
	struct route *r;
	uint32_t scope;
	int n = s->family == AF_INET6 ? 16 : 4;

	a = dst_addr(dst, &scope);
	r = &s->routes[route_slot(a, n, scope)];
	if (r->used && r->scope == scope && memcmp(r->dst, a, n) == 0)
		return r;
	if (route_lookup(s, dst, dstlen, &src, e) < 0)
		return NULL;
	memcpy(r->dst, a, n);
	r->scope = scope;
	memcpy(r->src, dst_addr((struct sockaddr *)&src, &scope), n);
	r->used = 1;
	return r;
}

int
sk_syn_send(struct sk_syn *s, const struct sockaddr *dst, socklen_t dstlen,
    uint8_t try, struct sk_err *e)
{
	union {
		struct cmsghdr c;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct sockaddr_storage to, from;
	char host[SK_ADDRSTRLEN];
	unsigned char tcp[SK_SYN_TCPLEN];
	struct iovec iov = { tcp, sizeof(tcp) };
	struct msghdr msg;
	struct cmsghdr *c;
	struct route *r;
	socklen_t len;

	if (dst->sa_family != s->family || dstlen < (s->family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)))
		return sk_err_set(e, EAFNOSUPPORT, "send SYN: address of "
		    "another family than the engine's");
	if ((r = route_get(s, dst, dstlen, e)) == NULL)
		return -1;
	len = s->family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	memcpy(&to, dst, len);
	memcpy(&from, dst, len);
	/* The raw socket's "port" is the protocol (IPv6 insists it be 0 or
	 * ours); the TCP header carries the real one. */
	memset(&cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &to;
	msg.msg_namelen = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	c = &cbuf.c;
	/* Pin the source the checksum was computed with, whatever the
	 * kernel would pick at send time. */
	if (s->family == AF_INET) {
		struct in_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, r->src, 4);
		memcpy(&((struct sockaddr_in *)&from)->sin_addr, r->src, 4);
		((struct sockaddr_in *)&to)->sin_port = 0;
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi6_addr, r->src, 16);
		memcpy(&((struct sockaddr_in6 *)&from)->sin6_addr, r->src, 16);
		((struct sockaddr_in6 *)&to)->sin6_port = 0;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	sk_syn_build(&s->m, (struct sockaddr *)&from, dst, try, tcp);
	if (sendmsg(s->fd, &msg, 0) < 0) {
		int err = errno;
		sk_addr_format(dst, host, sizeof(host));
		errno = err;
		if (err == ENOBUFS || err == EAGAIN || err == EWOULDBLOCK) {
			s->st.tempfail++;
			return sk_err_kset(e, SK_ERR_TEMPFAIL, err,
			    "send SYN to %s: %s", host, strerror(err));
		}
		/* The cached source may have gone (address removed). */
		if (err == EINVAL || err == EADDRNOTAVAIL)
			r->used = 0;
		return sk_err_sys(e, "send SYN to %s", host);
	}
	s->st.sent++;
	return 0;
}

/* ---- receiving ------------------------------------------------------------- */

/* Where the IP header starts in a frame of linktype, or -1. */
static long
l3_offset(int linktype, const unsigned char *f, size_t caplen)
{
	switch (linktype) {
	case DLT_LINUX_SLL:
		return caplen >= 16 ? 16 : -1;
	case DLT_LINUX_SLL2:
		return caplen >= 20 ? 20 : -1;
	case DLT_EN10MB:
		if (caplen >= 18 && f[12] == 0x81 && f[13] == 0x00)
			return 18;	/* one 802.1Q tag */
		return caplen >= 14 ? 14 : -1;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return 0;
	default:
		return -1;
	}
}

static void
on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *f)
{
	struct sk_syn *s = (struct sk_syn *)arg;
	struct sk_syn_reply *r;
	enum sk_syn_verdict v;
	int64_t age;
	long off;

	s->st.captured++;
	if (s->n >= s->max)
		return;
	if ((off = l3_offset(s->linktype, f, h->caplen)) < 0)
		return;
	r = &s->out[s->n];
	v = sk_syn_parse(&s->m, f + off, h->caplen - (size_t)off, r);
	if (v == SK_SYN_FORGED)
		s->st.forged++;
	if (v != SK_SYN_VALID)
		return;
	s->st.accepted++;
	/* Capture stamps are wall-clock; carry their age over to the
	 * monotonic clock, unless the wall clock jumped. */
	age = s->real_us - ((int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
	if (age < 0 || age > MAX_AGE_US)
		age = 0;
	r->when_us = s->mono_us - age;
	s->n++;
}

int
sk_syn_recv(struct sk_syn *s, struct sk_syn_reply *out, int max,
    struct sk_err *e)
{
	int rc, seen = 0, budget;

	if (max <= 0)
		return 0;
	s->out = out;
	s->n = 0;
	s->max = max;
	s->mono_us = sk_syn_now_us();
	s->real_us = real_us();
	budget = max * 4 > SCAN_MIN ? max * 4 : SCAN_MIN;
	while (s->n < s->max && seen < budget) {
		rc = pcap_dispatch(s->pcap, s->max - s->n, on_packet, (u_char *)s);
		if (rc == PCAP_ERROR)
			return sk_err_kset(e, SK_ERR_SYSTEM, 0, "pcap: %s",
			    pcap_geterr(s->pcap));
		if (rc <= 0)
			break;
		seen += rc;
	}
	return s->n;
}
