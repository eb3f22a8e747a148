/*
 * libFuzzer target for lssock's filter parser and evaluator.  Input: the
 * filter text, split at NUL bytes into argv words (as the shell would
 * hand them over).  A parse either fails with a caret message or yields
 * a filter that evaluates on a v4, a v6 and a UNIX socket without fault.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lssock/lssock.h"

static struct sk_sock socks[3];

static void
init_socks(void)
{
	static const unsigned char v4[4] = { 198, 18, 0, 2 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0, 2, [15] = 2 };

	socks[0].proto = SK_SD_TCP;
	socks[0].family = AF_INET;
	memcpy(socks[0].src, v4, 4);
	socks[0].sport = 22;
	socks[0].dport = 50000;
	socks[1].proto = SK_SD_UDP;
	socks[1].family = AF_INET6;
	memcpy(socks[1].dst, v6, 16);
	socks[1].sport = 53;
	socks[2].proto = SK_SD_UNIX;
	socks[2].family = AF_UNIX;
	strcpy(socks[2].path, "/run/sk.sock");
	socks[2].inode = 4242;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[2048], err[8192], *argv[512];
	struct ls_filter *f;
	uint32_t states = 0;
	int argc = 0, have = 0, rc, i;
	size_t k;

	if (socks[0].family == 0)
		init_socks();
	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = buf;
	for (k = 0; k < size && argc < 512; k++)
		if (buf[k] == '\0')
			argv[argc++] = buf + k + 1;
	err[0] = '\0';
	rc = ls_filter_parse(argc, argv, &f, &states, &have, err, sizeof(err));
	if (rc < 0) {
		assert(f == NULL);
		assert(strncmp(err, "bad filter", 10) == 0 ||
		    strncmp(err, "filter:", 7) == 0);
		return 0;
	}
	for (i = 0; i < 3; i++)
		(void)ls_filter_match(f, &socks[i]);
	ls_filter_free(f);
	return 0;
}
