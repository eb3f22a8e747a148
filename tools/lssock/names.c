/*
 * Endpoint text for lssock: ss's "addr:port" with its wildcard rules,
 * service names from one read of services(5) (getservbyport per row is
 * a file scan per row), and netstat's "host.service" through the
 * library's cached sk_addr_name().
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "lssock/lssock.h"

/* How long -r waits for one address's name: a PTR that has not come by
 * then prints numerically, and the cache keeps the listing from asking
 * (and waiting) again. */
#define LS_NAME_WAIT_MS 1000

struct ls_names {
	int numeric, resolve;
	int loaded;
	char **svc[2];		/* [tcp, udp] port → name, or NULL */
	struct sk_namecache cache;
};

struct ls_names *
ls_names_new(int numeric, int resolve)
{
	struct ls_names *nm = calloc(1, sizeof(*nm));

	if (nm == NULL)
		return NULL;
	nm->numeric = numeric;
	nm->resolve = resolve;
	sk_namecache_init(&nm->cache);
	return nm;
}

void
ls_names_free(struct ls_names *nm)
{
	int p;
	size_t i;

	if (nm == NULL)
		return;
	sk_namecache_destroy(&nm->cache);
	for (p = 0; p < 2; p++) {
		if (nm->svc[p] == NULL)
			continue;
		for (i = 0; i < 65536; i++)
			free(nm->svc[p][i]);
		free(nm->svc[p]);
	}
	free(nm);
}

/* First name services(5) gives a port wins, as getservbyport() does. */
static void
load_services(struct ls_names *nm)
{
	struct servent *se;
	int p;

	nm->loaded = 1;
	nm->svc[0] = calloc(65536, sizeof(char *));
	nm->svc[1] = calloc(65536, sizeof(char *));
	if (nm->svc[0] == NULL || nm->svc[1] == NULL)
		return;
	setservent(0);
	while ((se = getservent()) != NULL) {
		unsigned port = ntohs((uint16_t)se->s_port);

		p = strcmp(se->s_proto, "udp") == 0 ? 1 :
		    strcmp(se->s_proto, "tcp") == 0 ? 0 : -1;
		if (p >= 0 && nm->svc[p][port] == NULL)
			nm->svc[p][port] = strdup(se->s_name);
	}
	endservent();
}

static size_t
put_uint(char *b, unsigned v)
{
	char t[12];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		b[i] = t[n - 1 - i];
	return n;
}

/* Dotted quad without inet_ntop's overhead: this runs 100k times. */
static size_t
put_v4(char *b, const unsigned char *a)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			b[n++] = '.';
		n += put_uint(b + n, a[i]);
	}
	return n;
}

static int
is_any(const unsigned char *a, int family)
{
	static const unsigned char zero[16];

	return memcmp(a, zero, family == AF_INET ? 4 : 16) == 0;
}

size_t
ls_name_addr(const struct sk_sock *s, int peer, char *buf, size_t len)
{
	const unsigned char *a = peer ? s->dst : s->src;

	if (len < INET6_ADDRSTRLEN)
		return 0;
	if (s->family == AF_INET) {
		size_t n = put_v4(buf, a);

		buf[n] = '\0';
		return n;
	}
	if (inet_ntop(AF_INET6, a, buf, len) == NULL)
		return 0;
	return strlen(buf);
}

/* Host name for -r: sk_addr_name() with port 0 gives "host.*". */
static size_t
put_rhost(struct ls_names *nm, const struct sk_sock *s, const unsigned char *a,
    char *b, size_t len)
{
	struct sockaddr_storage ss;
	char tmp[SK_HOSTLEN + 8];
	size_t n;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = s->family;
	if (s->family == AF_INET)
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, a, 4);
	else
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, a, 16);
	sk_addr_name((struct sockaddr *)&ss, 0, &nm->cache,
	    tmp, sizeof(tmp), sk_deadline_in(LS_NAME_WAIT_MS));
	n = strlen(tmp);
	if (n >= 2 && strcmp(tmp + n - 2, ".*") == 0)
		n -= 2;
	if (n >= len)
		n = len - 1;
	memcpy(b, tmp, n);
	return n;
}

size_t
ls_name_endpoint(struct ls_names *nm, const struct sk_sock *s, int peer,
    char *buf, size_t len)
{
	const unsigned char *a = peer ? s->dst : s->src;
	unsigned port = peer ? s->dport : s->sport;
	const char *svc = NULL;
	size_t n = 0;

	if (len < SK_HOSTLEN + 16)
		return 0;
	if (s->family == AF_UNIX) {
		if (!peer && s->path[0] != '\0')
			n = (size_t)snprintf(buf, len - 24, "%s", s->path);
		else
			buf[n++] = '*';
		if (n > len - 24)
			n = len - 24;
		buf[n++] = ' ';
		n += put_uint(buf + n, (unsigned)(peer ? s->peer_inode : s->inode));
		buf[n] = '\0';
		return n;
	}
	if (s->family == AF_INET) {
		if (nm->resolve && !is_any(a, AF_INET))
			n = put_rhost(nm, s, a, buf, len - 16);
		else
			n = put_v4(buf, a);
	} else if (is_any(a, AF_INET6) && s->v6only != 1) {
		buf[n++] = '*';	/* dual-stack wildcard, as ss shows it */
	} else {
		buf[n++] = '[';
		if (nm->resolve && !is_any(a, AF_INET6))
			n += put_rhost(nm, s, a, buf + n, len - 20);
		else if (inet_ntop(AF_INET6, a, buf + n, len - 20) != NULL)
			n += strlen(buf + n);
		buf[n++] = ']';
	}
	buf[n++] = ':';
	if (port == 0) {
		buf[n++] = '*';
	} else {
		if (!nm->numeric && s->proto != SK_SD_RAW) {
			if (!nm->loaded)
				load_services(nm);
			if (nm->svc[s->proto == SK_SD_UDP] != NULL)
				svc = nm->svc[s->proto == SK_SD_UDP][port];
		}
		if (svc != NULL && strlen(svc) < 32) {
			memcpy(buf + n, svc, strlen(svc));
			n += strlen(svc);
		} else
			n += put_uint(buf + n, port);
	}
	buf[n] = '\0';
	return n;
}

void
ls_name_netstat(struct ls_names *nm, const struct sk_sock *s, int peer,
    char *buf, size_t len)
{
	struct sockaddr_storage ss;
	int flags = 0;

	if (s->family == AF_UNIX) {
		snprintf(buf, len, "%s", peer ? "" : s->path);
		return;
	}
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = s->family;
	if (s->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		memcpy(&s4->sin_addr, peer ? s->dst : s->src, 4);
		s4->sin_port = htons(peer ? s->dport : s->sport);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		memcpy(&s6->sin6_addr, peer ? s->dst : s->src, 16);
		s6->sin6_port = htons(peer ? s->dport : s->sport);
	}
	if (nm->numeric)
		flags |= SK_NAME_NUMERIC;
	else if (!nm->resolve)
		flags |= SK_NAME_NOHOST;
	else
		flags |= SK_NAME_SHORT;	/* "julian.smtp", as netstat did */
	if (s->proto == SK_SD_UDP)
		flags |= SK_NAME_DGRAM;
	if (s->proto == SK_SD_RAW)
		flags |= SK_NAME_NUMERIC;
	sk_addr_name((struct sockaddr *)&ss, flags, &nm->cache, buf, len,
	    sk_deadline_in(LS_NAME_WAIT_MS));
}
