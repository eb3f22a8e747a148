/*
 * The /proc/net fallback of sockdiag.h: the same struct sk_sock from the
 * text tables, for kernels or sandboxes that refuse NETLINK_SOCK_DIAG.
 * The root is a parameter so tests can feed captured tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/sockdiag.h"
#include "internal.h"

#define LINE_MAX_PROCNET 4096

/* /proc/net/unix "St" column: the BSD socket state, not sk_state. */
#define UNIX_SS_CONNECTED 3
#define UNIX_ACCEPTCON 0x10000

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "0100007F:0016" (v4) or 32 hex digits ":port" (v6).  The kernel prints
 * each 32-bit word of the address as a host-order integer, so reading the
 * word back in host order restores the network-order bytes. */
static int
parse_addr(const char *s, int v6, unsigned char a[16], uint16_t *port)
{
	int words = v6 ? 4 : 1, w, i, h;
	uint32_t x;
	unsigned p = 0;

	memset(a, 0, 16);
	for (w = 0; w < words; w++) {
		x = 0;
		for (i = 0; i < 8; i++) {
			if ((h = hexval(*s++)) < 0)
				return -1;
			x = x << 4 | (uint32_t)h;
		}
		memcpy(a + 4 * w, &x, 4);
	}
	if (*s++ != ':')
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = hexval(*s++)) < 0)
			return -1;
		p = p << 4 | (unsigned)h;
	}
	*port = (uint16_t)p;
	return 0;
}

static int
keep(const struct sk_sockdiag_req *req, const struct sk_sock *s)
{
	uint32_t states = req->states ? req->states : SK_SS_ALL;

	if (s->family != AF_UNIX && req->family != AF_UNSPEC &&
	    req->family != s->family)
		return 0;
	return (states & SK_SS_BIT(s->state)) != 0;
}

static int
parse_inet_line(const char *line, unsigned proto, int v6, long ms_per_tick,
    struct sk_sock *s)
{
	char la[64], ra[64];
	unsigned st, tx, rx, tr, rt;
	unsigned long when, inode;
	unsigned uid;
	int n;

	n = sscanf(line, " %*u: %63s %63s %x %x:%x %x:%lx %x %u %*d %lu",
	    la, ra, &st, &tx, &rx, &tr, &when, &rt, &uid, &inode);
	if (n != 10)
		return -1;
	if (parse_addr(la, v6, s->src, &s->sport) < 0 ||
	    parse_addr(ra, v6, s->dst, &s->dport) < 0)
		return -1;
	s->proto = proto;
	s->family = v6 ? AF_INET6 : AF_INET;
	s->type = proto == SK_SD_TCP ? SOCK_STREAM :
	    proto == SK_SD_UDP ? SOCK_DGRAM : SOCK_RAW;
	s->state = st < SK_SS_MAX ? st : SK_SS_UNKNOWN;
	s->wqueue = tx;
	s->rqueue = rx;
	s->timer = tr <= SK_TIMER_PERSIST ? tr : SK_TIMER_UNKNOWN;
	s->timer_expires = tr ? (uint32_t)(when * ms_per_tick) : 0;
	s->retrans = rt;
	s->uid = uid;
	s->inode = inode;
	/* The kernel makes a socket bound to one non-mapped v6 address
	 * v6-only; for the wildcard the table does not say. */
	s->v6only = -1;
	if (v6 && !IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)s->src) &&
	    !IN6_IS_ADDR_V4MAPPED((struct in6_addr *)s->src))
		s->v6only = 1;
	if (proto == SK_SD_RAW)
		s->protocol = s->sport;
	s->have = SK_SD_EXT_TIMER | SK_SD_EXT_UID;
	return 0;
}

static int
parse_unix_line(const char *line, struct sk_sock *s)
{
	unsigned long flags, inode;
	unsigned type, st;
	int off = 0;
	const char *p;
	size_t n;

	if (sscanf(line, "%*x: %*x %*x %lx %x %x %lu%n", &flags, &type, &st,
	    &inode, &off) != 4)
		return -1;
	s->proto = SK_SD_UNIX;
	s->family = AF_UNIX;
	s->type = type;
	s->inode = inode;
	s->v6only = -1;
	if (flags & UNIX_ACCEPTCON)
		s->state = SK_SS_LISTEN;
	else if (st == UNIX_SS_CONNECTED)
		s->state = SK_SS_ESTABLISHED;
	else
		s->state = SK_SS_CLOSE;
	p = line + off;
	while (*p == ' ')
		p++;
	n = strcspn(p, "\n");
	if (n >= sizeof(s->path))
		return -1;
	memcpy(s->path, p, n);
	s->path[n] = '\0';
	return 0;
}

struct table {
	const char *file;
	unsigned proto;
	int family;
};

static const struct table tables[] = {
	{ "tcp", SK_SD_TCP, AF_INET },
	{ "tcp6", SK_SD_TCP, AF_INET6 },
	{ "udp", SK_SD_UDP, AF_INET },
	{ "udp6", SK_SD_UDP, AF_INET6 },
	{ "raw", SK_SD_RAW, AF_INET },
	{ "raw6", SK_SD_RAW, AF_INET6 },
	{ "unix", SK_SD_UNIX, AF_UNIX },
};

/* Returns 1 when the callback stopped the dump, 0 at end, -1 on error. */
static int
dump_table(const char *root, const struct table *t,
    const struct sk_sockdiag_req *req, sk_sock_cb cb, void *arg,
    struct sk_sock *s, long ms_per_tick, struct sk_err *e)
{
	char path[4096], line[LINE_MAX_PROCNET];
	unsigned lineno = 0;
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/net/%s", root, t->file);
	if ((f = fopen(path, "re")) == NULL) {
		/* No IPv6 (or no raw) in this kernel: nothing to list. */
		if (errno == ENOENT)
			return 0;
		return sk_err_sys(e, "open %s", path);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (++lineno == 1)
			continue;	/* header */
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = sk_err_kset(e, SK_ERR_SYSTEM, EBADMSG,
			    "%s line %u: longer than %d bytes", path, lineno,
			    LINE_MAX_PROCNET);
			break;
		}
		memset(s, 0, sizeof(*s));
		if ((t->proto == SK_SD_UNIX ? parse_unix_line(line, s) :
		    parse_inet_line(line, t->proto, t->family == AF_INET6,
		    ms_per_tick, s)) < 0) {
			rc = sk_err_kset(e, SK_ERR_SYSTEM, EBADMSG,
			    "%s line %u: malformed", path, lineno);
			break;
		}
		if (keep(req, s) && cb(s, arg) != 0) {
			rc = 1;
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = sk_err_sys(e, "read %s", path);
	fclose(f);
	return rc;
}

int
sk_procnet_dump(const struct sk_sockdiag_req *req, sk_sock_cb cb, void *arg,
    struct sk_err *e)
{
	unsigned protos = req->protos ? req->protos : SK_SD_ALL;
	const char *root = req->procroot ? req->procroot : "/proc";
	long hz = sysconf(_SC_CLK_TCK);
	struct sk_sock *s;
	size_t i;
	int rc = 0;

	if (hz <= 0)
		hz = 100;
	if ((s = malloc(sizeof(*s))) == NULL)
		return sk_err_sys(e, "procnet buffer");
	for (i = 0; i < SK_ARRAY_LEN(tables) && rc == 0; i++) {
		const struct table *t = &tables[i];

		if (!(protos & t->proto))
			continue;
		if (t->family != AF_UNIX && req->family != AF_UNSPEC &&
		    req->family != t->family)
			continue;
		rc = dump_table(root, t, req, cb, arg, s, 1000 / hz, e);
	}
	free(s);
	return rc < 0 ? -1 : 0;
}
