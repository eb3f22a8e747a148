/*
 * libFuzzer target for sk_dns_parse(): any bytes as a DNS reply.  The
 * first byte picks how many answer records the caller keeps (0-7), so the
 * "more records than room" path is fuzzed too.  Parsing either fails with
 * a PERMFAIL or leaves terminated strings that fit their buffers, and
 * never keeps more records than asked.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "sockkit/dns.h"
#include "sockkit/err.h"

static struct sk_dns_rr rr[8];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_dns_reply rp;
	struct sk_err e;
	size_t max, i;

	if (size < 1)
		return 0;
	max = data[0] & 7;
	if (sk_dns_parse(data + 1, size - 1, rr, max, &rp, &e) == -1) {
		assert(e.kind == SK_ERR_PERMFAIL);
		assert(memchr(e.msg, '\0', sizeof(e.msg)) != NULL);
		return 0;
	}
	assert(rp.nrr <= max);
	assert(rp.nrr + rp.dropped == rp.ancount);
	assert(memchr(rp.qname, '\0', sizeof(rp.qname)) != NULL);
	for (i = 0; i < rp.nrr; i++) {
		assert(memchr(rr[i].name, '\0', sizeof(rr[i].name)) != NULL);
		assert(memchr(rr[i].data, '\0', sizeof(rr[i].data)) != NULL);
		assert(rr[i].name[strlen(rr[i].name) - 1] == '.');
	}
	return 0;
}
