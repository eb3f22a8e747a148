/*
 * libFuzzer target for sk_portset_parse.  Input: first byte selects the
 * default protocol, the rest is the port list.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sockkit/addr.h"
#include "sockkit/err.h"

/* 24 KiB: static rather than on the fuzzer's stack. */
static struct sk_portset ps;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[4096];
	struct sk_err e;
	unsigned n, total = 0;
	int proto, p, rc;

	if (size == 0)
		return 0;
	proto = data[0] % SK_NPROTO;
	data++, size--;
	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';

	sk_err_clear(&e);
	rc = sk_portset_parse(&ps, in, proto, &e);
	if (rc == -1) {
		assert(e.code == EINVAL && e.msg[0] != '\0');
		assert(ps.count[0] + ps.count[1] + ps.count[2] == 0);
		return 0;
	}
	assert(rc > 0);
	/* The counts must agree with the bitmaps, as seen through next(). */
	for (proto = 0; proto < SK_NPROTO; proto++) {
		n = 0;
		for (p = sk_portset_next(&ps, proto, 0); p != -1;
		    p = sk_portset_next(&ps, proto, (unsigned)p + 1)) {
			assert(p >= 0 && p <= 65535);
			assert(sk_portset_has(&ps, proto, (unsigned)p));
			n++;
		}
		assert(n == ps.count[proto]);
		total += n;
	}
	assert(total == (unsigned)rc);
	assert(!sk_portset_has(&ps, 0, 65536));
	return 0;
}
