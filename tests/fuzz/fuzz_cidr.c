/*
 * libFuzzer target for sk_iprange_parse, with format/count/contains on
 * what it accepts.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sockkit/addr.h"
#include "sockkit/err.h"

static void
mksa(struct sockaddr_storage *ss, int family, const unsigned char *a,
    int mapped)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET && mapped) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], a, 4);
	} else if (family == AF_INET) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
	} else {
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
	}
}

/* a - 1 in place; returns 0 if a was all zeroes. */
static int
decrement(unsigned char *a, size_t n)
{
	size_t i;

	for (i = n; i-- > 0;)
		if (a[i]-- != 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_iprange r, r2;
	struct sockaddr_storage ss;
	struct sk_err e;
	char in[512], buf[128];
	unsigned char a[16];
	uint64_t count;
	size_t n;
	int bits;

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';

	sk_err_clear(&e);
	if (sk_iprange_parse(&r, in, &e) == -1) {
		assert(e.code == EINVAL && e.msg[0] != '\0');
		return 0;
	}
	assert(r.family == AF_INET || r.family == AF_INET6);
	n = r.family == AF_INET ? 4 : 16;
	bits = (int)n * 8;
	assert(memcmp(r.lo, r.hi, n) <= 0);
	assert(r.prefix >= -1 && r.prefix <= bits);

	count = sk_iprange_count(&r);
	assert(count >= 1);
	if (r.prefix >= 0)
		assert(bits - r.prefix >= 64 ? count == UINT64_MAX :
		    count == (uint64_t)1 << (bits - r.prefix));

	/* Formatting round-trips to the same range. */
	sk_iprange_format(&r, buf, sizeof(buf));
	if (sk_iprange_parse(&r2, buf, &e) != 0) {
		fprintf(stderr, "\"%s\" formats as \"%s\": %s\n", in, buf, e.msg);
		assert(0);
	}
	assert(r2.family == r.family && r2.prefix == r.prefix &&
	    memcmp(r2.lo, r.lo, n) == 0 && memcmp(r2.hi, r.hi, n) == 0);

	mksa(&ss, r.family, r.lo, 0);
	assert(sk_iprange_contains(&r, (struct sockaddr *)&ss));
	mksa(&ss, r.family, r.hi, 0);
	assert(sk_iprange_contains(&r, (struct sockaddr *)&ss));
	mksa(&ss, r.family, r.hi, 1);
	assert(sk_iprange_contains(&r, (struct sockaddr *)&ss) ||
	    r.family == AF_INET6);
	memcpy(a, r.lo, n);
	if (decrement(a, n)) {
		mksa(&ss, r.family, a, 0);
		assert(!sk_iprange_contains(&r, (struct sockaddr *)&ss));
	}
	return 0;
}
