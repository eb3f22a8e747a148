/*
 * libFuzzer target for sk_addr_split (and, on what it yields, sk_port_parse
 * and the numeric formatters).  No DNS: only services(5) lookups.
 * Input: first byte selects split flags, the rest is the address text.
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
#include "sockkit/deadline.h"
#include "sockkit/err.h"

/* Split of a rejoined "host:serv" must give back the same parts. */
static void
check_rejoin(const char *host, const char *serv)
{
	char in[SK_HOSTLEN + SK_SERVLEN + 4], h[SK_HOSTLEN], s[SK_SERVLEN];
	struct sk_err e;

	if (serv[0] == '\0')
		return;
	snprintf(in, sizeof(in), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
	    serv);
	if (sk_addr_split(in, 0, h, s, &e) != 0) {
		fprintf(stderr, "rejoined \"%s\" rejected: %s\n", in, e.msg);
		assert(0);
	}
	assert(strcmp(h, host) == 0 && strcmp(s, serv) == 0);
}

static void
check_format(const uint8_t *data, size_t size)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	char buf[SK_ADDRSTRLEN], name[SK_HOSTLEN + SK_SERVLEN];

	if (size < sizeof(s6.sin6_addr) + 2)
		return;
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	memcpy(&s6.sin6_addr, data, sizeof(s6.sin6_addr));
	memcpy(&s6.sin6_port, data + sizeof(s6.sin6_addr), 2);
	sk_addr_format((struct sockaddr *)&s6, buf, sizeof(buf));
	assert(strlen(buf) < sizeof(buf) && buf[0] != '\0');
	/* NOHOST: numeric host, so no reverse DNS; service names from files. */
	sk_addr_name((struct sockaddr *)&s6, SK_NAME_NOHOST, NULL, name,
	    sizeof(name), SK_NOW);
	assert(name[0] != '\0');
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	memcpy(&s4.sin_addr, data, 4);
	memcpy(&s4.sin_port, data + 4, 2);
	sk_addr_format((struct sockaddr *)&s4, buf, sizeof(buf));
	sk_addr_name((struct sockaddr *)&s4, SK_NAME_NUMERIC, NULL, name,
	    sizeof(name), SK_NOW);
	assert(sk_addr_port((struct sockaddr *)&s4) == ntohs(s4.sin_port));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[1024], host[SK_HOSTLEN], serv[SK_SERVLEN];
	struct sk_err e;
	int flags, port;

	if (size == 0)
		return 0;
	check_format(data, size);
	flags = data[0] & (SK_SPLIT_DOTSERVICE | SK_SPLIT_BARE_HOST);
	data++, size--;
	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';

	sk_err_clear(&e);
	if (sk_addr_split(in, flags, host, serv, &e) == -1) {
		assert(e.code == EINVAL && e.msg[0] != '\0');
		assert(host[0] == '\0' && serv[0] == '\0');
		return 0;
	}
	assert(strlen(host) < SK_HOSTLEN && strlen(serv) < SK_SERVLEN);
	assert(strstr(in, host) != NULL && strstr(in, serv) != NULL);
	check_rejoin(host, serv);
	if (serv[0] != '\0') {
		port = sk_port_parse(serv, "tcp", &e);
		assert(port == -1 ? e.msg[0] != '\0' : port >= 0 && port <= 65535);
	}
	return 0;
}
