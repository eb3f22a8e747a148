/*
 * SYN probe packets: the keyed hash, the TCP header we send, and the
 * judge of what comes back.  No sockets here, so tests and the fuzzer
 * reach every line without privileges.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "sockkit/synprobe.h"

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_ACK	0x10

#define MAX_EXTHDRS 8		/* IPv6 extension headers walked before giving up */

/* ---- SipHash-2-4 (Aumasson, Bernstein) ----------------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
siphash(uint64_t k0, uint64_t k1, const unsigned char *in, size_t len)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	while (left-- > 0)
		b |= (uint64_t)in[i + left] << (8 * left);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void
sk_syn_match_init(struct sk_syn_match *m, int family, uint64_t key,
    uint16_t port_lo)
{
	m->family = family;
	m->k0 = key;
	m->k1 = splitmix64(key);
	m->port_lo = port_lo;
}

static int
alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* The sequence number of the probe ours:oport -> target:tport. */
static uint32_t
seq_of(const struct sk_syn_match *m, const unsigned char *ours,
    const unsigned char *target, uint16_t oport, uint16_t tport)
{
	unsigned char in[1 + 16 + 16 + 4];
	int n = alen(m->family);

	in[0] = 's';
	memcpy(in + 1, ours, n);
	memcpy(in + 1 + n, target, n);
	in[1 + 2 * n] = oport >> 8;
	in[2 + 2 * n] = oport & 0xff;
	in[3 + 2 * n] = tport >> 8;
	in[4 + 2 * n] = tport & 0xff;
	return (uint32_t)siphash(m->k0, m->k1, in, 5 + 2 * n);
}

/* Where in the port block try 0 of a probe to target:tport leaves from;
 * it does not depend on our address, so a reply names the try alone. */
static unsigned
port_off(const struct sk_syn_match *m, const unsigned char *target,
    uint16_t tport)
{
	unsigned char in[1 + 16 + 2];
	int n = alen(m->family);

	in[0] = 'p';
	memcpy(in + 1, target, n);
	in[1 + n] = tport >> 8;
	in[2 + n] = tport & 0xff;
	return (unsigned)(siphash(m->k0, m->k1, in, 3 + n) % SK_SYN_PORTS);
}

/* ---- building ------------------------------------------------------------ */

static const unsigned char *
addr_of(const struct sockaddr *sa, uint16_t *port)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		*port = ntohs(s6->sin6_port);
		return s6->sin6_addr.s6_addr;
	}
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	*port = ntohs(s4->sin_port);
	return (const unsigned char *)&s4->sin_addr;
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint32_t
sum16(uint32_t sum, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

int
sk_syn_build(const struct sk_syn_match *m, const struct sockaddr *src,
    const struct sockaddr *dst, uint8_t try, unsigned char tcp[SK_SYN_TCPLEN])
{
	const unsigned char *ours, *target;
	uint16_t oport, tport;
	uint32_t sum;
	int n = alen(m->family);

	if (src->sa_family != m->family || dst->sa_family != m->family) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	ours = addr_of(src, &oport);
	target = addr_of(dst, &tport);
	oport = m->port_lo + (port_off(m, target, tport) + try) % SK_SYN_PORTS;
	memset(tcp, 0, SK_SYN_TCPLEN);
	put16(tcp, oport);
	put16(tcp + 2, tport);
	put32(tcp + 4, seq_of(m, ours, target, oport, tport));
	tcp[12] = (SK_SYN_TCPLEN / 4) << 4;
	tcp[13] = TH_SYN;
	put16(tcp + 14, 1024);		/* window, as nmap's probes */
	tcp[20] = 2;			/* MSS 1460: some stacks drop bare SYNs */
	tcp[21] = 4;
	put16(tcp + 22, 1460);
	/* Pseudo-header: both addresses, protocol, TCP length. */
	sum = sum16(0, ours, n);
	sum = sum16(sum, target, n);
	sum += IPPROTO_TCP + SK_SYN_TCPLEN;
	sum = sum16(sum, tcp, SK_SYN_TCPLEN);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(tcp + 16, ~sum & 0xffff);
	return SK_SYN_TCPLEN;
}

/* ---- judging ------------------------------------------------------------- */

/* An IP header taken apart: where its payload is and what it carries. */
struct ip {
	const unsigned char *src, *dst;
	int proto;
	unsigned ttl;
	const unsigned char *data;	/* payload (what the capture holds of it) */
	size_t len;
};

/*
 * Parse the IP header of m's family at p.  outer: the packet itself,
 * whose length field trims link-layer padding; inner: the header an ICMP
 * error quotes, whose length is the original packet's, longer than the
 * quote.  Later fragments carry no transport header: IGNORED.
 */
static enum sk_syn_verdict
ip_parse(const struct sk_syn_match *m, const unsigned char *p, size_t len,
    int outer, struct ip *ip)
{
	size_t hl, tot, off;
	int nh, i;

	if (m->family == AF_INET) {
		if (len < 20)
			return SK_SYN_MALFORMED;
		if (p[0] >> 4 != 4)
			return SK_SYN_IGNORED;
		hl = (size_t)(p[0] & 0x0f) * 4;
		tot = get16(p + 2);
		if (hl < 20 || hl > len || tot < hl)
			return SK_SYN_MALFORMED;
		if (outer && tot < len)
			len = tot;
		if ((get16(p + 6) & 0x1fff) != 0)
			return SK_SYN_IGNORED;
		ip->ttl = p[8];
		ip->proto = p[9];
		ip->src = p + 12;
		ip->dst = p + 16;
		ip->data = p + hl;
		ip->len = len - hl;
		return SK_SYN_VALID;
	}
	if (len < 40)
		return SK_SYN_MALFORMED;
	if (p[0] >> 4 != 6)
		return SK_SYN_IGNORED;
	tot = 40 + (size_t)get16(p + 4);
	if (outer && tot < len)
		len = tot;
	ip->ttl = p[7];
	ip->src = p + 8;
	ip->dst = p + 24;
	nh = p[6];
	off = 40;
	for (i = 0; i < MAX_EXTHDRS; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {	/* hop-by-hop, routing, dstopts */
			if (len - off < 2)
				return SK_SYN_MALFORMED;
			hl = ((size_t)p[off + 1] + 1) * 8;
			if (len - off < hl)
				return SK_SYN_MALFORMED;
			nh = p[off];
			off += hl;
		} else if (nh == 44) {			/* fragment */
			if (len - off < 8)
				return SK_SYN_MALFORMED;
			if ((get16(p + off + 2) & 0xfff8) != 0)
				return SK_SYN_IGNORED;
			nh = p[off];
			off += 8;
		} else {
			break;
		}
	}
	if (i == MAX_EXTHDRS)
		return SK_SYN_IGNORED;
	ip->proto = nh;
	ip->data = p + off;
	ip->len = len - off;
	return SK_SYN_VALID;
}

static socklen_t
put_addr(struct sockaddr_storage *ss, int family, const unsigned char *a,
    unsigned port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, a, 4);
	return sizeof(*s4);
}

/*
 * Our probe ours:oport -> target:tport had sequence number seq (the ack
 * of a reply minus one, or the quote in an ICMP error): check the hash
 * and the port block, and name the probe in r.
 */
static enum sk_syn_verdict
probe_check(const struct sk_syn_match *m, const unsigned char *ours,
    const unsigned char *target, unsigned oport, unsigned tport, uint32_t seq,
    struct sk_syn_reply *r)
{
	unsigned slot;

	if (oport < m->port_lo || oport >= (unsigned)m->port_lo + SK_SYN_PORTS)
		return SK_SYN_IGNORED;
	if (seq != seq_of(m, ours, target, oport, tport))
		return SK_SYN_FORGED;
	slot = oport - m->port_lo;
	r->try = (uint8_t)((slot + SK_SYN_PORTS - port_off(m, target, tport))
	    % SK_SYN_PORTS);
	r->port = tport;
	r->targetlen = put_addr(&r->target, m->family, target, tport);
	return SK_SYN_VALID;
}

static int
icmp_error(int family, unsigned type)
{
	if (family == AF_INET)	/* unreachable, time exceeded, parameter problem */
		return type == 3 || type == 11 || type == 12;
	return type == 1 || type == 3 || type == 4;
}

enum sk_syn_verdict
sk_syn_parse(const struct sk_syn_match *m, const unsigned char *pkt,
    size_t len, struct sk_syn_reply *r)
{
	struct ip ip, in;
	enum sk_syn_verdict v;
	const unsigned char *t;
	unsigned flags;

	if ((v = ip_parse(m, pkt, len, 1, &ip)) != SK_SYN_VALID)
		return v;
	t = ip.data;
	if (ip.proto == IPPROTO_TCP) {
		if (ip.len < 20)
			return SK_SYN_MALFORMED;
		flags = t[13];
		/* A SYN-ACK opens; a RST that acknowledges our SYN closes.  A
		 * bare RST names no sequence number we could check. */
		if ((flags & (TH_SYN | TH_ACK | TH_RST)) == (TH_SYN | TH_ACK))
			r->what = SK_SYN_SYNACK;
		else if ((flags & (TH_RST | TH_ACK)) == (TH_RST | TH_ACK) &&
		    !(flags & TH_SYN))
			r->what = SK_SYN_RST;
		else
			return SK_SYN_IGNORED;
		v = probe_check(m, ip.dst, ip.src, get16(t + 2), get16(t),
		    get32(t + 8) - 1, r);
		r->icmp_type = r->icmp_code = 0;
	} else if (ip.proto == (m->family == AF_INET ? IPPROTO_ICMP :
	    IPPROTO_ICMPV6)) {
		if (ip.len < 8)
			return SK_SYN_MALFORMED;
		if (!icmp_error(m->family, t[0]))
			return SK_SYN_IGNORED;
		if ((v = ip_parse(m, t + 8, ip.len - 8, 0, &in)) != SK_SYN_VALID)
			return v;
		if (in.proto != IPPROTO_TCP)
			return SK_SYN_IGNORED;
		/* RFC 792 promises 8 bytes of the quoted datagram: ports and
		 * sequence number, all we need. */
		if (in.len < 8)
			return SK_SYN_MALFORMED;
		v = probe_check(m, in.src, in.dst, get16(in.data),
		    get16(in.data + 2), get32(in.data + 4), r);
		r->what = SK_SYN_ICMP;
		r->icmp_type = t[0];
		r->icmp_code = t[1];
	} else {
		return SK_SYN_IGNORED;
	}
	if (v != SK_SYN_VALID)
		return v;
	r->fromlen = put_addr(&r->from, m->family, ip.src, 0);
	r->ttl = (uint8_t)ip.ttl;
	return SK_SYN_VALID;
}
