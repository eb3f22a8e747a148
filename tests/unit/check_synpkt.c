/* SYN probe packets (lib/synpkt.c): what we send, and which crafted
 * replies are taken as answers to it.  No privileges needed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/synprobe.h"
#include "unit.h"

#define KEY	0x5eed5eed12345678ULL
#define LO	61000
#define TPORT	4301

static struct sk_syn_match m4, m6;
static struct sockaddr_in ours4, tgt4;
static struct sockaddr_in6 ours6, tgt6;
static const char router4[] = "198.18.43.254", router6[] = "2001:2:43::fe";

static void
setup(void)
{
	sk_syn_match_init(&m4, AF_INET, KEY, LO);
	sk_syn_match_init(&m6, AF_INET6, KEY, LO);
	memset(&ours4, 0, sizeof(ours4));
	ours4.sin_family = AF_INET;
	inet_pton(AF_INET, "198.18.43.1", &ours4.sin_addr);
	tgt4 = ours4;
	inet_pton(AF_INET, "198.18.43.2", &tgt4.sin_addr);
	tgt4.sin_port = htons(TPORT);
	memset(&ours6, 0, sizeof(ours6));
	ours6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:2:43::1", &ours6.sin6_addr);
	tgt6 = ours6;
	inet_pton(AF_INET6, "2001:2:43::2", &tgt6.sin6_addr);
	tgt6.sin6_port = htons(TPORT);
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

/* An IP header src -> dst carrying proto and plen bytes; returns its
 * length.  family picks the version. */
static size_t
iphdr(unsigned char *p, int family, const void *src, const void *dst,
    int proto, size_t plen)
{
	if (family == AF_INET) {
		memset(p, 0, 20);
		p[0] = 0x45;
		put16(p + 2, 20 + plen);
		p[8] = 61;
		p[9] = proto;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
		return 20;
	}
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, plen);
	p[6] = proto;
	p[7] = 61;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

static const void *
a_ours(int family)
{
	return family == AF_INET ? (const void *)&ours4.sin_addr :
	    (const void *)&ours6.sin6_addr;
}

static const void *
a_tgt(int family)
{
	return family == AF_INET ? (const void *)&tgt4.sin_addr :
	    (const void *)&tgt6.sin6_addr;
}

static const struct sk_syn_match *
mof(int family)
{
	return family == AF_INET ? &m4 : &m6;
}

/* Try try of the probe ours -> target:TPORT. */
static void
probe(int family, uint8_t try, unsigned char tcp[SK_SYN_TCPLEN])
{
	const struct sockaddr *o = family == AF_INET ?
	    (struct sockaddr *)&ours4 : (struct sockaddr *)&ours6;
	const struct sockaddr *t = family == AF_INET ?
	    (struct sockaddr *)&tgt4 : (struct sockaddr *)&tgt6;

	ck_assert_int_eq(sk_syn_build(mof(family), o, t, try, tcp), SK_SYN_TCPLEN);
}

/* The target's TCP answer to probe tcp: ack and flags as given. */
static size_t
tcp_reply(unsigned char *pkt, int family, const unsigned char *tcp,
    uint32_t ack, unsigned flags)
{
	size_t hl = iphdr(pkt, family, a_tgt(family), a_ours(family),
	    IPPROTO_TCP, 20);
	unsigned char *t = pkt + hl;

	memset(t, 0, 20);
	memcpy(t, tcp + 2, 2);
	memcpy(t + 2, tcp, 2);
	put32(t + 4, 0x01020304);
	put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	return hl + 20;
}

/* An ICMP error of type/code from router quoting the first 8 bytes of
 * the probe's TCP header (what RFC 792 promises). */
static size_t
icmp_reply(unsigned char *pkt, int family, const unsigned char *tcp,
    int type, int code)
{
	unsigned char router[16];
	size_t ohl, ihl, inner = (family == AF_INET ? 20 : 40) + 8;
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;

	inet_pton(family, family == AF_INET ? router4 : router6, router);
	ohl = iphdr(pkt, family, router, a_ours(family), proto, 8 + inner);
	memset(pkt + ohl, 0, 8);
	pkt[ohl] = type;
	pkt[ohl + 1] = code;
	ihl = iphdr(pkt + ohl + 8, family, a_ours(family), a_tgt(family),
	    IPPROTO_TCP, SK_SYN_TCPLEN);
	memcpy(pkt + ohl + 8 + ihl, tcp, 8);
	return ohl + 8 + ihl + 8;
}

static const int families[] = { AF_INET, AF_INET6 };

START_TEST(synpkt_probe_is_a_syn_with_a_good_checksum)
{
	int fam = families[_i];
	unsigned char tcp[SK_SYN_TCPLEN];
	const unsigned char *o = a_ours(fam), *t = a_tgt(fam);
	int n = fam == AF_INET ? 4 : 16, i;
	uint32_t sum = IPPROTO_TCP + SK_SYN_TCPLEN;

	probe(fam, 0, tcp);
	ck_assert_uint_eq(get16(tcp + 2), TPORT);
	ck_assert_uint_eq(tcp[13], 0x02);
	ck_assert_uint_eq(tcp[12] >> 4, SK_SYN_TCPLEN / 4);
	for (i = 0; i < n; i += 2)
		sum += get16(o + i) + get16(t + i);
	for (i = 0; i < SK_SYN_TCPLEN; i += 2)
		sum += get16(tcp + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck_assert_msg(sum == 0xffff, "family %d: checksum does not verify "
	    "(sum %#x)", fam, sum);
}
END_TEST

START_TEST(synpkt_each_try_leaves_from_its_own_port_in_the_block)
{
	unsigned char tcp[SK_SYN_TCPLEN];
	char seen[SK_SYN_PORTS] = { 0 };
	unsigned sport;
	int try;

	for (try = 0; try < SK_SYN_PORTS; try++) {
		probe(AF_INET, (uint8_t)try, tcp);
		sport = get16(tcp);
		ck_assert_msg(sport >= LO && sport < LO + SK_SYN_PORTS,
		    "try %d: port %u outside the block", try, sport);
		ck_assert_msg(!seen[sport - LO], "try %d: port %u reused",
		    try, sport);
		seen[sport - LO] = 1;
	}
}
END_TEST

START_TEST(synpkt_synack_acking_seq_plus_one_means_open)
{
	int fam = families[_i];
	unsigned char tcp[SK_SYN_TCPLEN], pkt[128];
	struct sk_syn_reply r;
	size_t len;

	probe(fam, 0, tcp);
	len = tcp_reply(pkt, fam, tcp, get32(tcp + 4) + 1, 0x12);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_VALID);
	ck_assert_int_eq(r.what, SK_SYN_SYNACK);
	ck_assert_uint_eq(r.port, TPORT);
	ck_assert_uint_eq(r.try, 0);
	ck_assert_uint_eq(r.ttl, 61);
	ck_assert_int_eq(r.target.ss_family, fam);
	if (fam == AF_INET) {
		ck_assert_uint_eq(r.targetlen, sizeof(tgt4));
		ck_assert_mem_eq(&r.target, &tgt4, sizeof(tgt4));
		ck_assert_mem_eq(&((struct sockaddr_in *)&r.from)->sin_addr,
		    &tgt4.sin_addr, 4);
	} else {
		ck_assert_uint_eq(r.targetlen, sizeof(tgt6));
		ck_assert_mem_eq(&r.target, &tgt6, sizeof(tgt6));
	}
}
END_TEST

START_TEST(synpkt_reply_names_the_try_it_answers)
{
	static const uint8_t tries[] = { 0, 1, 2, 7, 100, 255 };
	unsigned char tcp[SK_SYN_TCPLEN], pkt[128];
	struct sk_syn_reply r;
	size_t len, i;

	for (i = 0; i < sizeof(tries); i++) {
		probe(AF_INET6, tries[i], tcp);
		len = tcp_reply(pkt, AF_INET6, tcp, get32(tcp + 4) + 1, 0x14);
		ck_assert_msg(sk_syn_parse(&m6, pkt, len, &r) == SK_SYN_VALID,
		    "case %zu", i);
		ck_assert_msg(r.try == tries[i], "case %zu: try %u, sent %u",
		    i, r.try, tries[i]);
	}
}
END_TEST

START_TEST(synpkt_synack_with_a_wrong_ack_is_forged)
{
	int fam = families[_i];
	unsigned char tcp[SK_SYN_TCPLEN], pkt[128];
	struct sk_syn_match other;
	struct sk_syn_reply r;
	uint32_t seq;
	size_t len;

	probe(fam, 3, tcp);
	seq = get32(tcp + 4);
	len = tcp_reply(pkt, fam, tcp, seq + 2, 0x12);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_FORGED);
	len = tcp_reply(pkt, fam, tcp, seq, 0x12);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_FORGED);
	len = tcp_reply(pkt, fam, tcp, seq ^ 0x80000000u, 0x14);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_FORGED);
	/* Right for one key, forged for another (another scan's reply). */
	len = tcp_reply(pkt, fam, tcp, seq + 1, 0x12);
	sk_syn_match_init(&other, fam, KEY + 1, LO);
	ck_assert_int_eq(sk_syn_parse(&other, pkt, len, &r), SK_SYN_FORGED);
}
END_TEST

START_TEST(synpkt_reset_acking_the_probe_means_closed)
{
	int fam = families[_i];
	unsigned char tcp[SK_SYN_TCPLEN], pkt[128];
	struct sk_syn_reply r;
	size_t len;

	probe(fam, 1, tcp);
	len = tcp_reply(pkt, fam, tcp, get32(tcp + 4) + 1, 0x14);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_VALID);
	ck_assert_int_eq(r.what, SK_SYN_RST);
	ck_assert_uint_eq(r.try, 1);
	/* A bare RST acknowledges nothing we could check; a SYN, an ACK or
	 * a SYN-ACK-RST are not answers. */
	len = tcp_reply(pkt, fam, tcp, get32(tcp + 4) + 1, 0x04);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_IGNORED);
	len = tcp_reply(pkt, fam, tcp, get32(tcp + 4) + 1, 0x02);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_IGNORED);
	len = tcp_reply(pkt, fam, tcp, get32(tcp + 4) + 1, 0x10);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_IGNORED);
	len = tcp_reply(pkt, fam, tcp, get32(tcp + 4) + 1, 0x16);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_IGNORED);
}
END_TEST

START_TEST(synpkt_icmp_error_quoting_the_probe_means_filtered)
{
	int fam = families[_i];
	int type = fam == AF_INET ? 3 : 1, code = fam == AF_INET ? 13 : 1;
	unsigned char tcp[SK_SYN_TCPLEN], pkt[160], router[16];
	struct sk_syn_reply r;
	size_t len;

	probe(fam, 2, tcp);
	len = icmp_reply(pkt, fam, tcp, type, code);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_VALID);
	ck_assert_int_eq(r.what, SK_SYN_ICMP);
	ck_assert_uint_eq(r.icmp_type, type);
	ck_assert_uint_eq(r.icmp_code, code);
	ck_assert_uint_eq(r.try, 2);
	ck_assert_uint_eq(r.port, TPORT);
	inet_pton(fam, fam == AF_INET ? router4 : router6, router);
	if (fam == AF_INET) {
		ck_assert_mem_eq(&((struct sockaddr_in *)&r.from)->sin_addr,
		    router, 4);
		ck_assert_mem_eq(&r.target, &tgt4, sizeof(tgt4));
	} else {
		ck_assert_mem_eq(&((struct sockaddr_in6 *)&r.from)->sin6_addr,
		    router, 16);
		ck_assert_mem_eq(&r.target, &tgt6, sizeof(tgt6));
	}
	/* A quote with another sequence number is not about our probe. */
	tcp[7] ^= 1;
	len = icmp_reply(pkt, fam, tcp, type, code);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_FORGED);
	/* Echo replies and other informational ICMP are not errors. */
	tcp[7] ^= 1;
	len = icmp_reply(pkt, fam, tcp, fam == AF_INET ? 0 : 129, 0);
	ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_IGNORED);
}
END_TEST

/* Every cut of a good reply is refused (the sanitizers check no byte
 * past the cut is read): TCP needs its 20-byte header, an ICMP error
 * its quote of 8 bytes. */
START_TEST(synpkt_truncated_replies_are_never_taken)
{
	int fam = families[_i];
	unsigned char tcp[SK_SYN_TCPLEN], pkt[160], *cut;
	struct sk_syn_reply r;
	size_t len, n, k;
	size_t full[2];

	probe(fam, 0, tcp);
	for (k = 0; k < 2; k++) {
		full[k] = k == 0 ? tcp_reply(pkt, fam, tcp, get32(tcp + 4) + 1,
		    0x12) : icmp_reply(pkt, fam, tcp, fam == AF_INET ? 3 : 1, 4);
		len = full[k];
		for (n = 0; n < len; n++) {
			cut = malloc(n ? n : 1);
			memcpy(cut, pkt, n);
			ck_assert_msg(sk_syn_parse(mof(fam), cut, n, &r) ==
			    SK_SYN_MALFORMED, "kind %zu: %zu of %zu bytes taken",
			    k, n, len);
			free(cut);
		}
		ck_assert_int_eq(sk_syn_parse(mof(fam), pkt, len, &r), SK_SYN_VALID);
	}
}
END_TEST

START_TEST(synpkt_reply_to_a_port_outside_the_block_is_ignored)
{
	unsigned char tcp[SK_SYN_TCPLEN], pkt[128];
	struct sk_syn_match shifted;
	struct sk_syn_reply r;
	size_t len;

	probe(AF_INET, 0, tcp);
	len = tcp_reply(pkt, AF_INET, tcp, get32(tcp + 4) + 1, 0x12);
	sk_syn_match_init(&shifted, AF_INET, KEY, LO + SK_SYN_PORTS);
	ck_assert_int_eq(sk_syn_parse(&shifted, pkt, len, &r), SK_SYN_IGNORED);
}
END_TEST

START_TEST(synpkt_bad_ip_headers_are_malformed_or_ignored)
{
	unsigned char tcp[SK_SYN_TCPLEN], pkt[160];
	struct sk_syn_reply r;
	size_t len;

	probe(AF_INET, 0, tcp);
	len = tcp_reply(pkt, AF_INET, tcp, get32(tcp + 4) + 1, 0x12);
	pkt[0] = 0x44;				/* IHL below 20 bytes */
	ck_assert_int_eq(sk_syn_parse(&m4, pkt, len, &r), SK_SYN_MALFORMED);
	pkt[0] = 0x4f;				/* IHL past the end */
	ck_assert_int_eq(sk_syn_parse(&m4, pkt, len, &r), SK_SYN_MALFORMED);
	pkt[0] = 0x45;
	put16(pkt + 2, 30);			/* total length cuts the TCP header */
	ck_assert_int_eq(sk_syn_parse(&m4, pkt, len, &r), SK_SYN_MALFORMED);
	put16(pkt + 2, 40);
	ck_assert_int_eq(sk_syn_parse(&m4, pkt, len + 6, &r), SK_SYN_VALID);
	put16(pkt + 6, 0x0010);			/* a later fragment */
	ck_assert_int_eq(sk_syn_parse(&m4, pkt, len, &r), SK_SYN_IGNORED);
	put16(pkt + 6, 0);
	ck_assert_int_eq(sk_syn_parse(&m6, pkt, len, &r), SK_SYN_IGNORED);

	/* IPv6: a hop-by-hop header before TCP is walked; one that claims
	 * more than the packet holds is refused. */
	probe(AF_INET6, 0, tcp);
	len = tcp_reply(pkt, AF_INET6, tcp, get32(tcp + 4) + 1, 0x12);
	memmove(pkt + 48, pkt + 40, len - 40);
	memset(pkt + 40, 0, 8);
	pkt[40] = IPPROTO_TCP;
	pkt[6] = 0;
	put16(pkt + 4, 28);
	ck_assert_int_eq(sk_syn_parse(&m6, pkt, len + 8, &r), SK_SYN_VALID);
	pkt[41] = 200;
	ck_assert_int_eq(sk_syn_parse(&m6, pkt, len + 8, &r), SK_SYN_MALFORMED);
	ck_assert_int_eq(sk_syn_parse(&m4, pkt, len + 8, &r), SK_SYN_IGNORED);
}
END_TEST

Suite *
synpkt_suite(void)
{
	Suite *s = suite_create("synpkt");
	TCase *tc = tcase_create("packets");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, synpkt_probe_is_a_syn_with_a_good_checksum, 0, 2);
	tcase_add_test(tc, synpkt_each_try_leaves_from_its_own_port_in_the_block);
	tcase_add_loop_test(tc, synpkt_synack_acking_seq_plus_one_means_open, 0, 2);
	tcase_add_test(tc, synpkt_reply_names_the_try_it_answers);
	tcase_add_loop_test(tc, synpkt_synack_with_a_wrong_ack_is_forged, 0, 2);
	tcase_add_loop_test(tc, synpkt_reset_acking_the_probe_means_closed, 0, 2);
	tcase_add_loop_test(tc, synpkt_icmp_error_quoting_the_probe_means_filtered,
	    0, 2);
	tcase_add_loop_test(tc, synpkt_truncated_replies_are_never_taken, 0, 2);
	tcase_add_test(tc, synpkt_reply_to_a_port_outside_the_block_is_ignored);
	tcase_add_test(tc, synpkt_bad_ip_headers_are_malformed_or_ignored);
	suite_add_tcase(s, tc);
	return s;
}
