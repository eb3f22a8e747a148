/*
 * libFuzzer target for portprobe's target and port specs as the scan
 * plan takes them: "PORTS TARGET" — sk_portset_parse, sk_targets_add on
 * address forms (names are left out: they would go to the resolver),
 * then the first probes of a sharded plan, which must lie inside both.
 */
#include <sys/socket.h>

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/scan.h"

static struct sk_portset ps;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct sk_targets t;
	struct sk_iprange r;
	struct sk_plan p;
	struct sk_err e;
	char in[512], *sp;
	uint64_t host, n = 0, count, nshards;
	unsigned port;
	int proto, i;

	if (size < 2 || size >= sizeof(in))
		return 0;
	nshards = data[0] % 5 + 1;
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	if ((sp = strchr(in, ' ')) == NULL)
		return 0;
	*sp++ = '\0';
	if (sk_portset_parse(&ps, in, SK_PROTO_TCP, &e) == -1)
		return 0;
	if (sk_iprange_parse(&r, sp, &e) == -1)
		return 0;
	sk_targets_init(&t, AF_UNSPEC);
	if (sk_targets_add(&t, sp, 0, SK_NOW, &e) == -1) {
		assert(e.kind == SK_ERR_INPUT && strstr(e.msg, "more than") != NULL);
		sk_targets_free(&t);
		return 0;
	}
	assert(t.total == sk_iprange_count(&r) && t.total <= SK_TGT_MAXBLOCK);
	if (sk_plan_init(&p, &t, &ps, 1 << SK_PROTO_TCP | 1 << SK_PROTO_UDP,
	    data[0], nshards - 1, nshards, &e) == 0) {
		count = sk_plan_count(&p, nshards - 1, nshards);
		for (i = 0; i < 256 && sk_plan_next(&p, &host, &proto, &port); i++) {
			assert(host < t.total);
			assert(sk_portset_has(&ps, proto, port));
			assert(sk_targets_addr(&t, host, &ss, &(socklen_t){0}) != NULL);
			assert(ss.ss_family == r.family);
			n++;
		}
		assert(n <= count);
		sk_plan_free(&p);
	}
	sk_targets_free(&t);
	return 0;
}
