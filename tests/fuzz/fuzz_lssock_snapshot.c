/*
 * libFuzzer target for lssock's --diff snapshot parser.  Input: one line
 * of a snapshot file, as the reader hands it over (no newline, at most
 * LS_SNAP_LINEMAX bytes).  A parse either fails with "column N: ..." or
 * yields a socket whose strings are terminated and whose netid, family
 * and state are ones lssock writes.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lssock/lssock.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sk_sock s;
	char netns[64], err[256];

	if (size > LS_SNAP_LINEMAX)
		return 0;
	err[0] = '\0';
	if (ls_snap_parse((const char *)data, size, &s, netns, sizeof(netns),
	    err, sizeof(err)) < 0) {
		assert(strncmp(err, "column ", 7) == 0);
		return 0;
	}
	assert(memchr(netns, '\0', sizeof(netns)) != NULL);
	assert(memchr(s.path, '\0', sizeof(s.path)) != NULL);
	assert(s.state > SK_SS_UNKNOWN && s.state < SK_SS_MAX);
	assert(s.family == AF_INET || s.family == AF_INET6 ||
	    s.family == AF_UNIX);
	assert((s.proto == SK_SD_UNIX) == (s.family == AF_UNIX));
	assert(strcmp(sk_sock_netid(&s), "???") != 0);
	return 0;
}
