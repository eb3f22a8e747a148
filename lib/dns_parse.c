/*
 * DNS replies into records (see sockkit/dns.h): a bounded walk over the
 * header, the question and the answer section, names expanded by c-ares'
 * ares_expand_name() (it refuses pointer loops and names over 255 bytes),
 * every fixed field read only after checking it is inside the message.
 *
 * Why our own walk rather than c-ares' ares_parse_*_reply(): in 1.18 only
 * the A/AAAA parsers return TTLs (and those are lowered to the CNAME's),
 * CNAME has no parser, the PTR parser drops records whose owner is not
 * the question, and none says which record of the section it came from.
 * Showing what dig shows — every answer record with its own owner and
 * TTL — needs the section walked record by record; c-ares still expands
 * every name.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sockkit/dns.h"
#include "sockkit/err.h"

#define HDRLEN 12

static const struct {
	int type;
	const char *name;
} types[] = {
	{ SK_DNS_A, "A" }, { SK_DNS_NS, "NS" }, { SK_DNS_CNAME, "CNAME" },
	{ SK_DNS_SOA, "SOA" }, { SK_DNS_PTR, "PTR" }, { SK_DNS_MX, "MX" },
	{ SK_DNS_TXT, "TXT" }, { SK_DNS_AAAA, "AAAA" }, { SK_DNS_SRV, "SRV" },
	{ SK_DNS_CAA, "CAA" }, { 255, "ANY" }, { 0, NULL }
};

static const char *const rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", NULL
};

int
sk_dns_type_parse(const char *s)
{
	char *end;
	long n;
	int i;

	for (i = 0; types[i].name != NULL; i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].type;
	if (strncasecmp(s, "TYPE", 4) == 0 && s[4] >= '0' && s[4] <= '9') {
		errno = 0;
		n = strtol(s + 4, &end, 10);
		if (*end == '\0' && errno == 0 && n > 0 && n <= 65535)
			return (int)n;
	}
	return -1;
}

const char *
sk_dns_type_str(int type, char *buf, size_t len)
{
	int i;

	for (i = 0; types[i].name != NULL; i++)
		if (types[i].type == type)
			return types[i].name;
	snprintf(buf, len, "TYPE%d", type);
	return buf;
}

const char *
sk_dns_rcode_str(int rcode, char *buf, size_t len)
{
	if (rcode >= 0 && rcode < (int)(sizeof(rcodes) / sizeof(rcodes[0])) - 1)
		return rcodes[rcode];
	snprintf(buf, len, "RCODE%d", rcode);
	return buf;
}

/* ---- bounded output -------------------------------------------------------- */

/* Text written into a fixed buffer; overflow is remembered, not silent. */
struct out {
	char *p;
	size_t len, n;
	int cut;
};

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->cut)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->p + o->n, o->len - o->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= o->len - o->n) {
		o->cut = 1;
		/* room for "..." was kept by the caller's len - 4 */
		o->n = o->len - 1;
		o->p[o->n] = '\0';
		return;
	}
	o->n += (size_t)r;
}

/* ---- the message walk ------------------------------------------------------ */

struct msg {
	const unsigned char *buf;
	size_t len;
	struct sk_err *e;
};

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Expand the name at off into out as an FQDN with its trailing dot;
 * *used gets its encoded length.  -1 when c-ares refuses it.
 */
static int
name_at(const struct msg *m, size_t off, char *out, size_t outlen,
    long *used, const char *what)
{
	char *s = NULL;
	int rc;

	if (off >= m->len)
		return sk_err_kset(m->e, SK_ERR_PERMFAIL, EBADMSG,
		    "reply: %s at offset %zu: past the end", what, off);
	rc = ares_expand_name(m->buf + off, m->buf, (int)m->len, &s, used);
	if (rc != ARES_SUCCESS)
		return sk_err_kset(m->e, SK_ERR_PERMFAIL, EBADMSG,
		    "reply: %s at offset %zu: %s", what, off, ares_strerror(rc));
	if (strlen(s) + 2 > outlen) {
		ares_free_string(s);
		return sk_err_kset(m->e, SK_ERR_PERMFAIL, EBADMSG,
		    "reply: %s at offset %zu: name too long", what, off);
	}
	snprintf(out, outlen, "%s.", s[0] == '\0' ? "" : s);
	ares_free_string(s);
	return 0;
}

/* A <character-string> as dig prints it: quoted, '"' and '\' escaped,
 * other bytes outside printable ASCII as \DDD. */
static void
put_qstring(struct out *o, const unsigned char *p, size_t n)
{
	size_t i;

	put(o, "\"");
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			put(o, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] > 0x7e)
			put(o, "\\%03u", p[i]);
		else
			put(o, "%c", p[i]);
	}
	put(o, "\"");
}

/* rdata of a type we do not know, RFC 3597: \# LEN HEX. */
static void
put_unknown(struct out *o, const unsigned char *p, size_t n)
{
	size_t i;

	put(o, "\\# %zu", n);
	if (n > 0)
		put(o, " ");
	for (i = 0; i < n; i++)
		put(o, "%02X", p[i]);
}

/*
 * Format the rdata at off (rdlen bytes) of type into o.  Names inside
 * rdata may point anywhere in the message (compression) but must start
 * inside the rdata.
 */
static int
rdata(const struct msg *m, int type, size_t off, size_t rdlen, struct out *o,
    int idx)
{
	const unsigned char *p = m->buf + off;
	char name[SK_DNS_NAMELEN], name2[SK_DNS_NAMELEN], addr[INET6_ADDRSTRLEN];
	size_t pos, n, fixed;
	long used, used2;

#define BAD(why) sk_err_kset(m->e, SK_ERR_PERMFAIL, EBADMSG, \
	"reply: record %d at offset %zu: %s", idx, off, why)
	switch (type) {
	case SK_DNS_A:
	case SK_DNS_AAAA:
		if (rdlen != (type == SK_DNS_A ? 4u : 16u))
			return BAD("address of the wrong length");
		inet_ntop(type == SK_DNS_A ? AF_INET : AF_INET6, p, addr,
		    sizeof(addr));
		put(o, "%s", addr);
		return 0;
	case SK_DNS_NS:
	case SK_DNS_CNAME:
	case SK_DNS_PTR:
		if (rdlen == 0)
			return BAD("empty rdata");
		if (name_at(m, off, name, sizeof(name), &used,
		    "rdata name") == -1)
			return -1;
		if ((size_t)used != rdlen)
			return BAD("name does not fill rdata");
		put(o, "%s", name);
		return 0;
	case SK_DNS_MX:
	case SK_DNS_SRV:
		fixed = type == SK_DNS_MX ? 2 : 6;
		if (rdlen <= fixed)
			return BAD("rdata too short");
		if (name_at(m, off + fixed, name, sizeof(name), &used,
		    "rdata name") == -1)
			return -1;
		if (fixed + (size_t)used != rdlen)
			return BAD("name does not fill rdata");
		if (type == SK_DNS_MX)
			put(o, "%u %s", get16(p), name);
		else
			put(o, "%u %u %u %s", get16(p), get16(p + 2),
			    get16(p + 4), name);
		return 0;
	case SK_DNS_SOA:
		if (rdlen == 0)
			return BAD("empty rdata");
		if (name_at(m, off, name, sizeof(name), &used, "SOA mname") == -1)
			return -1;
		if ((size_t)used >= rdlen)
			return BAD("rdata too short");
		if (name_at(m, off + used, name2, sizeof(name2), &used2,
		    "SOA rname") == -1)
			return -1;
		pos = (size_t)used + (size_t)used2;
		if (pos + 20 != rdlen)
			return BAD("SOA numbers do not fill rdata");
		put(o, "%s %s %u %u %u %u %u", name, name2, get32(p + pos),
		    get32(p + pos + 4), get32(p + pos + 8), get32(p + pos + 12),
		    get32(p + pos + 16));
		return 0;
	case SK_DNS_TXT:
		if (rdlen == 0)
			return BAD("empty TXT rdata");
		for (pos = 0; pos < rdlen; pos += 1 + n) {
			n = p[pos];
			if (pos + 1 + n > rdlen)
				return BAD("TXT string runs past rdata");
			if (pos > 0)
				put(o, " ");
			put_qstring(o, p + pos + 1, n);
		}
		return 0;
	case SK_DNS_CAA:
		/* flags(1) taglen(1) tag value (RFC 8659) */
		if (rdlen < 2 || p[1] == 0 || 2u + p[1] > rdlen)
			return BAD("CAA tag length out of rdata");
		for (n = 0; n < p[1]; n++) {
			unsigned char c = p[2 + n];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9')))
				return BAD("CAA tag not alphanumeric");
		}
		put(o, "%u %.*s ", p[0], (int)p[1], (const char *)p + 2);
		put_qstring(o, p + 2 + p[1], rdlen - 2 - p[1]);
		return 0;
	default:
		put_unknown(o, p, rdlen);
		return 0;
	}
#undef BAD
}

/* Skip one resource record at *off: owner name, fixed part, rdata. */
static int
rr_at(const struct msg *m, size_t *off, struct sk_dns_rr *rr, int idx,
    int want_data, unsigned *typep, uint32_t *minp)
{
	char owner[SK_DNS_NAMELEN], what[32];
	const unsigned char *p;
	size_t rdoff, rdlen;
	struct out o;
	long used;
	unsigned type;

	snprintf(what, sizeof(what), "record %d owner", idx);
	if (name_at(m, *off, owner, sizeof(owner), &used, what) == -1)
		return -1;
	if (*off + (size_t)used + 10 > m->len)
		return sk_err_kset(m->e, SK_ERR_PERMFAIL, EBADMSG,
		    "reply: record %d at offset %zu: header runs past the end",
		    idx, *off);
	p = m->buf + *off + used;
	type = get16(p);
	rdlen = get16(p + 8);
	rdoff = *off + (size_t)used + 10;
	if (rdoff + rdlen > m->len)
		return sk_err_kset(m->e, SK_ERR_PERMFAIL, EBADMSG,
		    "reply: record %d at offset %zu: rdata runs past the end",
		    idx, *off);
	*typep = type;
	if (minp != NULL && type == SK_DNS_SOA && rdlen >= 20)
		*minp = get32(m->buf + rdoff + rdlen - 4);
	if (want_data) {
		memcpy(rr->name, owner, sizeof(rr->name));
		rr->type = (int)type;
		rr->ttl = get32(p + 4);
		/* keep 4 bytes for "..." */
		o.p = rr->data;
		o.len = sizeof(rr->data) - 3;
		o.n = 0;
		o.cut = 0;
		rr->data[0] = '\0';
		if (rdata(m, (int)type, rdoff, rdlen, &o, idx) == -1)
			return -1;
		rr->cut = o.cut;
		if (o.cut)
			strcat(rr->data, "...");
	}
	*off = rdoff + rdlen;
	return 0;
}

int
sk_dns_parse(const unsigned char *buf, size_t len, struct sk_dns_rr *rr,
    size_t max, struct sk_dns_reply *out, struct sk_err *e)
{
	struct sk_err tmp;
	struct msg m = { buf, len, e ? e : &tmp };
	size_t off = HDRLEN;
	long used;
	unsigned i, type;
	uint32_t min = 0;
	int neg;

	memset(out, 0, sizeof(*out));
	sk_err_clear(m.e);
	if (len < HDRLEN)
		return sk_err_kset(e, SK_ERR_PERMFAIL, EBADMSG,
		    "reply: %zu bytes, shorter than a DNS header", len);
	if (len > 65535)
		return sk_err_kset(e, SK_ERR_PERMFAIL, EMSGSIZE,
		    "reply: %zu bytes, longer than a DNS message", len);
	out->id = (int)get16(buf);
	out->aa = !!(buf[2] & 0x04);
	out->tc = !!(buf[2] & 0x02);
	out->rd = !!(buf[2] & 0x01);
	out->ra = !!(buf[3] & 0x80);
	out->rcode = buf[3] & 0x0f;
	out->qdcount = get16(buf + 4);
	out->ancount = get16(buf + 6);
	out->nscount = get16(buf + 8);
	out->arcount = get16(buf + 10);
	if (!(buf[2] & 0x80))
		return sk_err_kset(e, SK_ERR_PERMFAIL, EBADMSG,
		    "reply: QR bit clear, a query and not a reply");
	out->qname[0] = '\0';
	if (out->qdcount > 0) {
		if (name_at(&m, off, out->qname, sizeof(out->qname), &used,
		    "question") == -1)
			return -1;
		if (off + (size_t)used + 4 > len)
			return sk_err_kset(e, SK_ERR_PERMFAIL, EBADMSG,
			    "reply: question runs past the end");
		out->qtype = (int)get16(buf + off + used);
		off += (size_t)used + 4;
		/* further questions (none in practice) are skipped */
		for (i = 1; i < out->qdcount; i++) {
			char skip[SK_DNS_NAMELEN];

			if (name_at(&m, off, skip, sizeof(skip), &used,
			    "question") == -1)
				return -1;
			if (off + (size_t)used + 4 > len)
				return sk_err_kset(e, SK_ERR_PERMFAIL, EBADMSG,
				    "reply: question runs past the end");
			off += (size_t)used + 4;
		}
	}
	for (i = 0; i < out->ancount; i++) {
		int keep = out->nrr < max;

		if (rr_at(&m, &off, keep ? &rr[out->nrr] : NULL, (int)i + 1,
		    keep, &type, NULL) == -1)
			return -1;
		if (keep)
			out->nrr++;
		else
			out->dropped++;
	}
	/* Negative answers carry the zone's SOA in the authority section:
	 * its minimum is how long the "no" may be cached (RFC 2308). */
	neg = out->rcode == SK_DNS_NXDOMAIN ||
	    (out->rcode == SK_DNS_NOERROR && out->ancount == 0);
	for (i = 0; neg && i < out->nscount; i++) {
		if (rr_at(&m, &off, NULL, (int)(out->ancount + i + 1), 0, &type,
		    &min) == -1)
			return -1;
		if (type == SK_DNS_SOA) {
			out->neg_ttl = min;
			break;
		}
	}
	return 0;
}
