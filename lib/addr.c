#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "sockkit/addr.h"
#include "sockkit/err.h"
#include "sockkit/num.h"
#include "internal.h"

/* Echo at most this much of a long input in a message, so that the
 * offending item after it still fits in SK_ERR_MSGLEN. */
#define QUOTE_MAX 64
#define QUOTE(s) (int)(strlen(s) > QUOTE_MAX ? QUOTE_MAX : strlen(s)), (s), \
	(strlen(s) > QUOTE_MAX ? "..." : "")

static int
is_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/*
 * getservbyname_r rather than getservbyname: the library keeps no global
 * state.  proto NULL matches any protocol.  Returns the port or -1.
 */
static int
serv_lookup(const char *name, const char *proto)
{
	struct servent se, *res = NULL;
	char buf[4096];

	if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		return -1;
	return ntohs((uint16_t)res->s_port);
}

static int
is_numeric_addr(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* ---- host/port splitting ----------------------------------------------- */

static int
put_part(char *dst, size_t dstlen, const char *src, size_t n, const char *what,
    const char *s, struct sk_err *e)
{
	if (n >= dstlen)
		return sk_err_set(e, EINVAL, "address \"%.*s%s\": %s part too long",
		    QUOTE(s), what);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* netstat's "host.service": only split when the tail really is a service,
 * so that "example.com" and "198.18.0.2" stay hosts. */
static int
split_dot(const char *s, char *host, char *serv, struct sk_err *e)
{
	const char *dot = strrchr(s, '.');
	char tail[SK_SERVLEN];
	const char *errstr;
	size_t n;

	if (dot == NULL || dot == s || is_numeric_addr(s))
		return 0;
	n = strlen(dot + 1);
	if (n == 0 || n >= sizeof(tail))
		return 0;
	memcpy(tail, dot + 1, n + 1);
	if (is_digits(tail)) {
		sk_strtonum(tail, 0, 65535, &errstr);
		if (errstr != NULL)
			return 0;
	} else if (serv_lookup(tail, "tcp") == -1 &&
	    serv_lookup(tail, "udp") == -1)
		return 0;
	if (put_part(host, SK_HOSTLEN, s, dot - s, "host", s, e) == -1)
		return -1;
	memcpy(serv, tail, n + 1);
	return 1;
}

static int
split(const char *s, int flags, char *host, char *serv, struct sk_err *e)
{
	const char *p, *colon;
	int r;

	if (s == NULL || *s == '\0')
		return sk_err_set(e, EINVAL, "address \"\": empty");
	if (*s == '[') {
		p = strchr(s, ']');
		if (p == NULL || memchr(s + 1, '[', p - s - 1) != NULL ||
		    strchr(p + 1, '[') != NULL || strchr(p + 1, ']') != NULL)
			return sk_err_set(e, EINVAL,
			    "address \"%.*s%s\": unbalanced brackets", QUOTE(s));
		if (p == s + 1)
			return sk_err_set(e, EINVAL, "address \"%.*s%s\": empty host",
			    QUOTE(s));
		if (p[1] != '\0' && (p[1] != ':' || p[2] == '\0' ||
		    strchr(p + 2, ':') != NULL))
			return sk_err_set(e, EINVAL,
			    "address \"%.*s%s\": expected \":port\" after \"]\"",
			    QUOTE(s));
		if (put_part(host, SK_HOSTLEN, s + 1, p - s - 1, "host", s, e) == -1)
			return -1;
		if (p[1] == '\0')
			return 0;
		return put_part(serv, SK_SERVLEN, p + 2, strlen(p + 2), "service",
		    s, e);
	}
	if (strchr(s, '[') != NULL || strchr(s, ']') != NULL)
		return sk_err_set(e, EINVAL, "address \"%.*s%s\": unbalanced brackets",
		    QUOTE(s));
	if (flags & SK_SPLIT_DOTSERVICE) {
		if ((r = split_dot(s, host, serv, e)) != 0)
			return r == 1 ? 0 : -1;
	}
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		/* Two or more colons: a bare IPv6 address, never a port. */
		return put_part(host, SK_HOSTLEN, s, strlen(s), "host", s, e);
	if (colon != NULL) {
		if (colon[1] == '\0')
			return sk_err_set(e, EINVAL, "address \"%.*s%s\": empty port",
			    QUOTE(s));
		if (put_part(host, SK_HOSTLEN, s, colon - s, "host", s, e) == -1)
			return -1;
		return put_part(serv, SK_SERVLEN, colon + 1, strlen(colon + 1),
		    "service", s, e);
	}
	/* A dotted word is a host name or address; service names have no dots. */
	if ((flags & SK_SPLIT_BARE_HOST) || strchr(s, '.') != NULL ||
	    strcmp(s, "*") == 0)
		return put_part(host, SK_HOSTLEN, s, strlen(s), "host", s, e);
	return put_part(serv, SK_SERVLEN, s, strlen(s), "service", s, e);
}

int
sk_addr_split(const char *s, int flags, char host[SK_HOSTLEN],
    char serv[SK_SERVLEN], struct sk_err *e)
{
	host[0] = serv[0] = '\0';
	if (split(s, flags, host, serv, e) == -1) {
		host[0] = serv[0] = '\0';
		return -1;
	}
	/* "*" is how users (and our own listings) spell the wildcard. */
	if (strcmp(host, "*") == 0)
		host[0] = '\0';
	return 0;
}

/* ---- services and resolution ------------------------------------------- */

static int
port_parse(const char *service, const char *proto, int anyproto,
    struct sk_err *e)
{
	const char *errstr;
	long long v;
	int port;

	if (service == NULL || *service == '\0')
		return sk_err_set(e, EINVAL, "port \"\": empty");
	if (proto == NULL)
		proto = "tcp";
	if ((*service >= '0' && *service <= '9') || *service == '-' ||
	    *service == '+') {
		v = sk_strtonum(service, 0, 65535, &errstr);
		if (errstr != NULL)
			return sk_err_set(e, EINVAL, "port %.*s%s: %s", QUOTE(service),
			    strcmp(errstr, "invalid") == 0 ? "not a number" :
			    "out of range (0-65535)");
		return (int)v;
	}
	port = serv_lookup(service, proto);
	if (port == -1 && anyproto)
		port = serv_lookup(service, NULL);
	if (port == -1)
		return sk_err_set(e, ENOENT, "service %.*s%s: unknown %s service",
		    QUOTE(service), proto);
	return port;
}

int
sk_port_parse(const char *service, const char *proto, struct sk_err *e)
{
	return port_parse(service, proto, 0, e);
}

/* ---- formatting ---------------------------------------------------------- */

static int
is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
		    &((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

/* star: print the unspecified address as "*" (listings), or as itself
 * (messages such as "bind 0.0.0.0 port 80", where "*" would be vague). */
static char *
ntop(const struct sockaddr *sa, int star, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	char ifname[IF_NAMESIZE];
	size_t n;

	if (buf == NULL || len == 0)
		return buf;
	buf[0] = '\0';
	if (sa == NULL) {
		snprintf(buf, len, "?");
	} else if (star && is_wildcard(sa)) {
		snprintf(buf, len, "*");
	} else if (sa->sa_family == AF_INET) {
		if (inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, len) == NULL)
			snprintf(buf, len, "?");
	} else if (sa->sa_family == AF_INET6) {
		if (inet_ntop(AF_INET6, &s6->sin6_addr, buf, len) == NULL) {
			snprintf(buf, len, "?");
		} else if (s6->sin6_scope_id != 0) {
			/* Link-local addresses are useless without their link. */
			n = strlen(buf);
			if (if_indextoname(s6->sin6_scope_id, ifname) != NULL)
				snprintf(buf + n, len - n, "%%%s", ifname);
			else
				snprintf(buf + n, len - n, "%%%u", s6->sin6_scope_id);
		}
	} else if (sa->sa_family == AF_UNIX) {
		if (sun->sun_path[0] != '\0')
			snprintf(buf, len, "%.*s", (int)sizeof(sun->sun_path),
			    sun->sun_path);
		else if (sun->sun_path[1] != '\0')
			snprintf(buf, len, "@%.*s", (int)sizeof(sun->sun_path) - 1,
			    sun->sun_path + 1);
		else
			snprintf(buf, len, "*");
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

const char *
sk__host_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	/* A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; people
	 * (and logs grepped for a.b.c.d) know them by the IPv4 address. */
	if (sa != NULL && sa->sa_family == AF_INET6 && len > 0 &&
	    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		if (inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12, buf, len) == NULL)
			snprintf(buf, len, "?");
		return buf;
	}
	return ntop(sa, 0, buf, len);
}

const char *
sk__addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[SK_ADDRSTRLEN];
	int port = sk_addr_port(sa);

	sk__host_str(sa, host, sizeof(host));
	if (port < 0)
		snprintf(buf, len, "%s", host);
	else
		snprintf(buf, len, strchr(host, ':') ? "[%s]:%d" : "%s:%d",
		    host, port);
	return buf;
}

char *
sk_addr_ntop(const struct sockaddr *sa, char *buf, size_t len)
{
	return ntop(sa, 1, buf, len);
}

char *
sk_addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[SK_ADDRSTRLEN], port[8];
	int n = sk_addr_port(sa);

	if (buf == NULL || len == 0)
		return buf;
	ntop(sa, 1, host, sizeof(host));
	if (n == -1)
		return ntop(sa, 1, buf, len);
	/* Port 0 is "any port" (an unconnected peer), as ss(8) shows it. */
	if (n == 0)
		snprintf(port, sizeof(port), "*");
	else
		snprintf(port, sizeof(port), "%d", n);
	if (sa->sa_family == AF_INET6 && !is_wildcard(sa))
		snprintf(buf, len, "[%s]:%s", host, port);
	else
		snprintf(buf, len, "%s:%s", host, port);
	return buf;
}

int
sk_addr_port(const struct sockaddr *sa)
{
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return -1;
}

static void
serv_name(int port, int flags, char *buf, size_t len)
{
	struct servent se, *res = NULL;
	char tmp[4096];

	if (port == 0) {
		snprintf(buf, len, "*");
		return;
	}
	if (!(flags & SK_NAME_NUMERIC) && getservbyport_r(htons(port),
	    (flags & SK_NAME_DGRAM) ? "udp" : "tcp", &se, tmp, sizeof(tmp),
	    &res) == 0 && res != NULL)
		snprintf(buf, len, "%s", res->s_name);
	else
		snprintf(buf, len, "%d", port);
}

char *
sk_addr_name(const struct sockaddr *sa, int flags, struct sk_namecache *c,
    char *buf, size_t len, int64_t deadline)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	struct sockaddr_in sin;
	char host[SK_HOSTLEN], serv[SK_SERVLEN], tmp[SK_HOSTLEN];
	const char *name = "";
	size_t n;

	if (buf == NULL || len == 0)
		return buf;
	if (sa == NULL || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return ntop(sa, 1, buf, len);
	/* A dual-stack socket's v4 peer is a v4 host to the reader. */
	if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = s6->sin6_port;
		memcpy(&sin.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		sa = (const struct sockaddr *)&sin;
	}
	if (!is_wildcard(sa) && !(flags & (SK_NAME_NUMERIC | SK_NAME_NOHOST)))
		name = sk__name_lookup(c, sa, deadline, tmp, sizeof(tmp));
	if (*name != '\0') {
		n = (flags & SK_NAME_SHORT) ? strcspn(name, ".") : strlen(name);
		if (n == 0)
			n = strlen(name);
		snprintf(host, sizeof(host), "%.*s", (int)n, name);
	} else {
		ntop(sa, 1, host, sizeof(host));
	}
	serv_name(sk_addr_port(sa), flags, serv, sizeof(serv));
	snprintf(buf, len, "%s.%s", host, serv);
	return buf;
}

/* ---- port lists ---------------------------------------------------------- */

static const char *const proto_names[SK_NPROTO] = { "tcp", "udp", "sctp" };

/* Set ports lo..hi, counting only newly set bits so duplicates ("22,22",
 * "1-100,50-60") do not inflate the count. */
static void
set_range(struct sk_portset *ps, int proto, unsigned lo, unsigned hi)
{
	uint8_t *b = ps->bits[proto];
	unsigned i, first, last;
	uint8_t m;

	for (i = lo / 8; i <= hi / 8; i++) {
		first = i == lo / 8 ? lo % 8 : 0;
		last = i == hi / 8 ? hi % 8 : 7;
		m = (uint8_t)((0xffu >> (7 - last)) & (0xffu << first));
		ps->count[proto] += __builtin_popcount(m & (uint8_t)~b[i]);
		b[i] |= m;
	}
}

static int
range_end(const char *num, unsigned *port, const char *list, const char *item,
    int itemlen, struct sk_err *e)
{
	const char *errstr;

	if (!is_digits(num))
		return sk_err_set(e, EINVAL, "port list \"%.*s%s\": bad port \"%.*s\"",
		    QUOTE(list), itemlen, item);
	*port = (unsigned)sk_strtonum(num, 0, 65535, &errstr);
	if (errstr != NULL)
		return sk_err_set(e, EINVAL,
		    "port list \"%.*s%s\": port \"%.*s\" out of range (0-65535)",
		    QUOTE(list), itemlen, item);
	return 0;
}

static int
parse_item(struct sk_portset *ps, int proto, const char *item, int itemlen,
    const char *list, struct sk_err *e)
{
	char buf[SK_SERVLEN], *dash;
	unsigned lo = 1, hi = 65535;
	int port;

	if (itemlen == 0)
		return sk_err_set(e, EINVAL, "port list \"%.*s%s\": empty item",
		    QUOTE(list));
	if ((size_t)itemlen >= sizeof(buf))
		return sk_err_set(e, EINVAL, "port list \"%.*s%s\": bad port \"%.*s\"",
		    QUOTE(list), itemlen > QUOTE_MAX ? QUOTE_MAX : itemlen, item);
	memcpy(buf, item, itemlen);
	buf[itemlen] = '\0';
	if ((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '-') {
		/* Open ends start at 1, like nmap: port 0 only when named. */
		dash = strchr(buf, '-');
		if (dash != NULL)
			*dash = '\0';
		if (buf[0] != '\0' && range_end(buf, &lo, list, item, itemlen,
		    e) == -1)
			return -1;
		if (dash == NULL)
			hi = lo;
		else if (dash[1] != '\0' && range_end(dash + 1, &hi, list, item,
		    itemlen, e) == -1)
			return -1;
		if (lo > hi)
			return sk_err_set(e, EINVAL,
			    "port list \"%.*s%s\": bad port range \"%.*s\" "
			    "(first port above last)",
			    QUOTE(list), itemlen, item);
	} else {
		/* Names may contain dashes ("netbios-ns"), so no ranges here. */
		if ((port = port_parse(buf, proto_names[proto], 1, NULL)) == -1)
			return sk_err_set(e, EINVAL,
			    "port list \"%.*s%s\": unknown service \"%s\"",
			    QUOTE(list), buf);
		lo = hi = (unsigned)port;
	}
	set_range(ps, proto, lo, hi);
	return 0;
}

int
sk_portset_parse(struct sk_portset *ps, const char *list, int default_proto,
    struct sk_err *e)
{
	const char *p, *end;
	int proto = default_proto;

	memset(ps, 0, sizeof(*ps));
	if (default_proto < 0 || default_proto >= SK_NPROTO)
		return sk_err_set(e, EINVAL, "port list: bad protocol %d",
		    default_proto);
	if (list == NULL || *list == '\0')
		return sk_err_set(e, EINVAL, "port list \"\": empty");
	for (p = list;; p = end + 1) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if (end - p >= 2 && p[1] == ':') {
			switch (p[0]) {
			case 'T': case 't': proto = SK_PROTO_TCP; break;
			case 'U': case 'u': proto = SK_PROTO_UDP; break;
			case 'S': case 's': proto = SK_PROTO_SCTP; break;
			default:
				memset(ps, 0, sizeof(*ps));
				return sk_err_set(e, EINVAL,
				    "port list \"%.*s%s\": bad protocol \"%.2s\"",
				    QUOTE(list), p);
			}
			p += 2;
		}
		if (parse_item(ps, proto, p, (int)(end - p), list, e) == -1) {
			memset(ps, 0, sizeof(*ps));
			return -1;
		}
		if (*end == '\0')
			break;
	}
	return (int)(ps->count[0] + ps->count[1] + ps->count[2]);
}

int
sk_portset_has(const struct sk_portset *ps, int proto, unsigned port)
{
	if (proto < 0 || proto >= SK_NPROTO || port > 65535)
		return 0;
	return (ps->bits[proto][port / 8] >> (port % 8)) & 1;
}

int
sk_portset_next(const struct sk_portset *ps, int proto, unsigned from)
{
	const uint8_t *b;
	unsigned p;

	if (proto < 0 || proto >= SK_NPROTO)
		return -1;
	b = ps->bits[proto];
	for (p = from; p <= 65535; p++) {
		/* Skip empty bytes whole: a scan walks sparse sets often. */
		if (p % 8 == 0 && b[p / 8] == 0) {
			p += 7;
			continue;
		}
		if ((b[p / 8] >> (p % 8)) & 1)
			return (int)p;
	}
	return -1;
}

/* ---- addresses, CIDR blocks and ranges ---------------------------------- */

static int
addr_parse(const char *s, int *family, unsigned char a[16])
{
	memset(a, 0, 16);
	*family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	return inet_pton(*family, s, a) == 1 ? 0 : -1;
}

static size_t
alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

int
sk_iprange_parse(struct sk_iprange *r, const char *s, struct sk_err *e)
{
	char buf[2 * INET6_ADDRSTRLEN + 2], *sep;
	const char *errstr;
	int fam2, bits, i;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->prefix = -1;
	if (s == NULL || *s == '\0')
		return sk_err_set(e, EINVAL, "address range \"\": empty");
	if ((n = strlen(s)) >= sizeof(buf))
		return sk_err_set(e, EINVAL, "address range \"%.*s%s\": too long",
		    QUOTE(s));
	memcpy(buf, s, n + 1);
	if ((sep = strpbrk(buf, "/-")) != NULL)
		*sep++ = '\0';
	if (addr_parse(buf, &r->family, r->lo) == -1)
		goto badaddr;
	n = alen(r->family);
	memcpy(r->hi, r->lo, n);
	bits = (int)n * 8;
	if (sep == NULL) {
		r->prefix = bits;
		return 0;
	}
	if (s[sep - 1 - buf] == '/') {
		r->prefix = (int)sk_strtonum(sep, 0, bits, &errstr);
		if (errstr != NULL) {
			memset(r, 0, sizeof(*r));
			return sk_err_set(e, EINVAL,
			    "address range \"%.*s%s\": prefix \"%s\" not in 0-%d",
			    QUOTE(s), sep, bits);
		}
		/* Host bits are cleared, not refused: nmap takes "host/len". */
		for (i = 0; i < (int)n; i++) {
			int keep = r->prefix - i * 8;
			uint8_t m = keep >= 8 ? 0xff : keep <= 0 ? 0 :
			    (uint8_t)(0xff << (8 - keep));

			r->lo[i] &= m;
			r->hi[i] = r->lo[i] | (uint8_t)~m;
		}
		return 0;
	}
	/* nmap's "198.18.0.1-20": the last octet's range. */
	if (r->family == AF_INET && is_digits(sep) && strlen(sep) <= 3) {
		r->hi[3] = (unsigned char)sk_strtonum(sep, 0, 255, &errstr);
		if (errstr != NULL) {
			memset(r, 0, sizeof(*r));
			return sk_err_set(e, EINVAL,
			    "address range \"%.*s%s\": last octet \"%s\" not "
			    "in 0-255", QUOTE(s), sep);
		}
		fam2 = AF_INET;
	} else if (addr_parse(sep, &fam2, r->hi) == -1) {
		memmove(buf, sep, strlen(sep) + 1);
		goto badaddr;
	}
	if (fam2 != r->family) {
		memset(r, 0, sizeof(*r));
		return sk_err_set(e, EINVAL,
		    "address range \"%.*s%s\": mixed address families", QUOTE(s));
	}
	if (memcmp(r->lo, r->hi, n) > 0) {
		memset(r, 0, sizeof(*r));
		return sk_err_set(e, EINVAL,
		    "address range \"%.*s%s\": first address above last", QUOTE(s));
	}
	return 0;
badaddr:
	memset(r, 0, sizeof(*r));
	return sk_err_set(e, EINVAL, "address range \"%.*s%s\": bad address \"%s\"",
	    QUOTE(s), buf);
}

int
sk_iprange_contains(const struct sk_iprange *r, const struct sockaddr *sa)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	unsigned char a[16];
	int family;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		family = AF_INET6;
	} else {
		return 0;
	}
	/* Compare in the range's family: a dual-stack socket reports v4 peers
	 * as ::ffff:a.b.c.d, and a v6 range may be written that way too. */
	if (family == AF_INET6 && r->family == AF_INET &&
	    memcmp(a, mapped, 12) == 0) {
		memmove(a, a + 12, 4);
		family = AF_INET;
	} else if (family == AF_INET && r->family == AF_INET6) {
		memmove(a + 12, a, 4);
		memcpy(a, mapped, 12);
		family = AF_INET6;
	}
	if (family != r->family)
		return 0;
	return memcmp(r->lo, a, alen(family)) <= 0 &&
	    memcmp(a, r->hi, alen(family)) <= 0;
}

uint64_t
sk_iprange_count(const struct sk_iprange *r)
{
	unsigned __int128 lo = 0, hi = 0, d;
	size_t i, n;

	if (r->family != AF_INET && r->family != AF_INET6)
		return 0;
	n = alen(r->family);
	for (i = 0; i < n; i++) {
		lo = lo << 8 | r->lo[i];
		hi = hi << 8 | r->hi[i];
	}
	if (lo > hi)
		return 0;
	d = hi - lo;
	return d >= UINT64_MAX ? UINT64_MAX : (uint64_t)d + 1;
}

char *
sk_iprange_format(const struct sk_iprange *r, char *buf, size_t len)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];

	if (buf == NULL || len == 0)
		return buf;
	if ((r->family != AF_INET && r->family != AF_INET6) ||
	    inet_ntop(r->family, r->lo, lo, sizeof(lo)) == NULL ||
	    inet_ntop(r->family, r->hi, hi, sizeof(hi)) == NULL)
		snprintf(buf, len, "?");
	else if (r->prefix >= 0)
		snprintf(buf, len, "%s/%d", lo, r->prefix);
	else
		snprintf(buf, len, "%s-%s", lo, hi);
	return buf;
}
