/*
 * libFuzzer target for sk_sockdiag_parse.  Input: first byte picks the
 * protocol the "request" asked for, the rest is one netlink message
 * whose nlmsg_len is forced to the input length (the dump loop only
 * hands over messages that fit the buffer).  Parsing either fails with
 * EBADMSG or fills a struct whose strings are terminated.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>

#include "sockkit/err.h"
#include "sockkit/sockdiag.h"

static struct sk_sock s;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned protos[] = { SK_SD_TCP, SK_SD_UDP, SK_SD_RAW,
	    SK_SD_UNIX };
	struct nlmsghdr *nlh;
	struct sk_err e;
	size_t len;

	if (size < 1 + NLMSG_HDRLEN || size > 65536)
		return 0;
	len = size - 1;
	/* Aligned copy with room for libmnl's rounding up to 4. */
	if ((nlh = calloc(1, len + 4)) == NULL)
		return 0;
	memcpy(nlh, data + 1, len);
	nlh->nlmsg_len = (uint32_t)len;
	sk_err_clear(&e);
	if (sk_sockdiag_parse(nlh, protos[data[0] % 4], &s, &e) < 0) {
		assert(e.code == EBADMSG && e.msg[0] != '\0');
	} else {
		assert(memchr(s.path, '\0', sizeof(s.path)) != NULL);
		assert(memchr(s.cong, '\0', sizeof(s.cong)) != NULL);
		assert(s.tcpi_len <= 1024);
	}
	free(nlh);
	return 0;
}
