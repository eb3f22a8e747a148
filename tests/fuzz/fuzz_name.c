/*
 * libFuzzer target for resolve's name checks and IDN conversion
 * (tools/resolve/name.c): any bytes as a name typed by a user or read
 * from a batch file.  The first byte says whether --idn is on.  A name
 * that passes is what goes on the wire: ASCII, at most 253 bytes (a
 * trailing dot aside), and it passes the check again unchanged.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/addr.h"
#include "sockkit/err.h"
#include "resolve/resolve.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[2048], out[SK_HOSTLEN], back[SK_HOSTLEN * 4], again[SK_HOSTLEN];
	struct rs_opts o;
	struct sk_err e;
	size_t i, n;

	if (size < 1 || size > sizeof(name))
		return 0;
	memset(&o, 0, sizeof(o));
	o.idn = data[0] & 1;
	memcpy(name, data + 1, size - 1);
	name[size - 1] = '\0';
	if (rs_name_ascii(name, out, sizeof(out), &o, &e) == -1) {
		assert(e.kind == SK_ERR_INPUT);
		assert(memchr(e.msg, '\0', sizeof(e.msg)) != NULL);
		return 0;
	}
	n = strlen(out);
	assert(n > 0 && n <= 254);
	for (i = 0; i < n; i++)
		assert((unsigned char)out[i] < 0x80);
	assert(rs_name_check(out, NULL) == 0);
	assert(rs_name_ascii(out, again, sizeof(again), &o, NULL) == 0);
	assert(strcmp(out, again) == 0);
	rs_name_unicode(out, back, sizeof(back));
	assert(memchr(back, '\0', sizeof(back)) != NULL);
	return 0;
}
