/*
 * libFuzzer target for sk_syn_parse, the judge of captured packets.
 * Input: the first byte picks the family (even: IPv4, odd: IPv6), the
 * rest is a packet from its IP header on, copied to a buffer of exactly
 * its size so any read past the end is caught.  A packet is either
 * refused or, if taken, names a probe in our port block.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "sockkit/synprobe.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_syn_match m;
	struct sk_syn_reply r;
	enum sk_syn_verdict v;
	unsigned char *pkt;
	int family;

	if (size < 1 || size > 65536)
		return 0;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	sk_syn_match_init(&m, family, 0x5eed5eed12345678ULL, 61000);
	if ((pkt = malloc(size - 1 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(pkt, data + 1, size - 1);
	v = sk_syn_parse(&m, pkt, size - 1, &r);
	assert(v == SK_SYN_VALID || v == SK_SYN_MALFORMED ||
	    v == SK_SYN_IGNORED || v == SK_SYN_FORGED);
	if (v == SK_SYN_VALID) {
		assert(r.target.ss_family == family && r.from.ss_family == family);
		assert(r.what == SK_SYN_SYNACK || r.what == SK_SYN_RST ||
		    r.what == SK_SYN_ICMP);
	}
	free(pkt);
	return 0;
}
