/*
 * lssock --diff: reading a saved `lssock -j` snapshot back, one NDJSON
 * line at a time, into the struct sk_sock the live dump fills, so both
 * sides of a comparison go through the same selection and identity.
 *
 * The file is untrusted input: a line is parsed within the bound the
 * caller read it with, nesting is bounded, strings are copied only into
 * fixed buffers (an over-long value is an error, not a truncation), and
 * numbers are range-checked per field.  Keys this parser does not know
 * are skipped, so snapshots with -p, -i, -m or -o fields read fine.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lssock/lssock.h"

#define MAX_DEPTH 32		/* nested objects/arrays skipped */
#define KEY_MAX 32		/* longer keys are nobody we know */

struct p {
	const char *s, *end;
	const char *start;	/* for column numbers in messages */
	char *err;
	size_t errlen;
	int failed;
};

static int
fail(struct p *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return -1;
	p->failed = 1;
	n = snprintf(p->err, p->errlen, "column %zu: ",
	    (size_t)(p->s - p->start) + 1);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static void
ws(struct p *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' ||
	    *p->s == '\r' || *p->s == '\n'))
		p->s++;
}

static int
expect(struct p *p, char c)
{
	ws(p);
	if (p->s >= p->end || *p->s != c)
		return fail(p, "expected '%c'", c);
	p->s++;
	return 0;
}

static int
hex4(struct p *p, unsigned *v)
{
	int i;

	*v = 0;
	if (p->end - p->s < 4)
		return fail(p, "short \\u escape");
	for (i = 0; i < 4; i++) {
		char c = *p->s++;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad \\u escape");
	}
	return 0;
}

/* Append bytes to out (when set); past cap, an error unless trunc is
 * given, which then records that the value did not fit. */
static int
put(struct p *p, const char *b, size_t k, char *out, size_t cap, size_t *n,
    int *trunc)
{
	if (out == NULL)
		return 0;
	if (*n + k >= cap) {
		if (trunc != NULL) {
			*trunc = 1;
			return 0;
		}
		return fail(p, "string longer than %zu bytes", cap - 1);
	}
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

/* One code point as UTF-8. */
static size_t
utf8(unsigned cp, char *b)
{
	size_t k;

	if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	return k;
}

/*
 * A JSON string into out (NUL-terminated, at most cap-1 bytes), or
 * skipped when out is NULL; see put() for trunc.  \u0000 is refused:
 * no field lssock writes can hold a NUL.
 */
static int
string(struct p *p, char *out, size_t cap, int *trunc)
{
	size_t n = 0;
	unsigned cp, lo;
	char b[4];

	if (expect(p, '"') < 0)
		return -1;
	while (p->s < p->end && *p->s != '"') {
		unsigned char c = (unsigned char)*p->s++;

		if (c < 0x20)
			return fail(p, "control character in string");
		if (c != '\\') {
			b[0] = (char)c;
			if (put(p, b, 1, out, cap, &n, trunc) < 0)
				return -1;
			continue;
		}
		if (p->s >= p->end)
			break;
		switch (*p->s++) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (hex4(p, &cp) < 0)
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(p, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->end - p->s < 2 || p->s[0] != '\\' ||
				    p->s[1] != 'u')
					return fail(p, "lone high surrogate");
				p->s += 2;
				if (hex4(p, &lo) < 0)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(p, "bad surrogate pair");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			if (cp == 0)
				return fail(p, "\\u0000 in string");
			break;
		default:
			p->s--;
			return fail(p, "bad escape");
		}
		if (put(p, b, utf8(cp, b), out, cap, &n, trunc) < 0)
			return -1;
	}
	if (p->s >= p->end)
		return fail(p, "unterminated string");
	p->s++;
	if (out != NULL)
		out[n] = '\0';
	return 0;
}

/* A JSON number; *isint says whether it was a plain non-negative
 * integer, *v its value then (*big when it did not fit). */
static int
number(struct p *p, uint64_t *v, int *isint, int *big)
{
	*v = 0;
	*isint = 1;
	*big = 0;
	if (p->s < p->end && *p->s == '-') {
		p->s++;
		*isint = 0;
	}
	if (p->s >= p->end || *p->s < '0' || *p->s > '9')
		return fail(p, "bad number");
	if (*p->s == '0' && p->end - p->s > 1 && p->s[1] >= '0' &&
	    p->s[1] <= '9')
		return fail(p, "number with a leading zero");
	while (p->s < p->end && *p->s >= '0' && *p->s <= '9') {
		unsigned d = (unsigned)(*p->s++ - '0');

		if (*v > (UINT64_MAX - d) / 10)
			*big = 1;
		else
			*v = *v * 10 + d;
	}
	if (p->s < p->end && *p->s == '.') {
		*isint = 0;
		p->s++;
		if (p->s >= p->end || *p->s < '0' || *p->s > '9')
			return fail(p, "bad fraction");
		while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
			p->s++;
	}
	if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
		*isint = 0;
		p->s++;
		if (p->s < p->end && (*p->s == '+' || *p->s == '-'))
			p->s++;
		if (p->s >= p->end || *p->s < '0' || *p->s > '9')
			return fail(p, "bad exponent");
		while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
			p->s++;
	}
	return 0;
}

static int
word(struct p *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n) != 0)
		return fail(p, "unexpected character");
	p->s += n;
	return 0;
}

/* Any value, skipped; nesting bounded by depth. */
static int
skip(struct p *p, int depth)
{
	uint64_t v;
	int isint, big;
	char close;

	ws(p);
	if (p->s >= p->end)
		return fail(p, "value expected");
	switch (*p->s) {
	case '"':
		return string(p, NULL, 0, NULL);
	case 't':
		return word(p, "true");
	case 'f':
		return word(p, "false");
	case 'n':
		return word(p, "null");
	case '{':
	case '[':
		break;
	default:
		return number(p, &v, &isint, &big);
	}
	if (depth >= MAX_DEPTH)
		return fail(p, "nested deeper than %d", MAX_DEPTH);
	close = *p->s == '{' ? '}' : ']';
	p->s++;
	ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (string(p, NULL, 0, NULL) < 0 || expect(p, ':') < 0)
				return -1;
		}
		if (skip(p, depth + 1) < 0)
			return -1;
		ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			ws(p);
			continue;
		}
		return expect(p, close);
	}
}

/* ---- the fields lssock -j writes ------------------------------------------------- */

enum { F_SCHEMA = 1, F_NETID = 2, F_FAMILY = 4, F_STATE = 8, F_LADDR = 16,
    F_LPORT = 32, F_PADDR = 64, F_PPORT = 128, F_PATH = 256, F_PINODE = 512,
    F_INODE = 1024 };

static const struct {
	const char *netid;
	unsigned proto;
	int type;
} netids[] = {
	{ "tcp", SK_SD_TCP, SOCK_STREAM },
	{ "udp", SK_SD_UDP, SOCK_DGRAM },
	{ "raw", SK_SD_RAW, SOCK_RAW },
	{ "u_str", SK_SD_UNIX, SOCK_STREAM },
	{ "u_dgr", SK_SD_UNIX, SOCK_DGRAM },
	{ "u_seq", SK_SD_UNIX, SOCK_SEQPACKET },
	{ NULL, 0, 0 }
};

static int
uint_field(struct p *p, const char *key, uint64_t max, uint64_t *v)
{
	int isint, big;

	ws(p);
	if (p->s >= p->end || (*p->s != '-' && (*p->s < '0' || *p->s > '9')))
		isint = 0;
	else if (number(p, v, &isint, &big) < 0)
		return -1;
	if (!isint || big || *v > max)
		return fail(p, "%s: not an integer in 0..%llu", key,
		    (unsigned long long)max);
	return 0;
}

static int
str_field(struct p *p, const char *key, char *out, size_t cap)
{
	ws(p);
	if (p->s >= p->end || *p->s != '"')
		return fail(p, "%s: string expected", key);
	return string(p, out, cap, NULL);
}

/* One member: returns the F_* bit it filled (0 for one skipped). */
static int
member(struct p *p, const char *key, struct sk_sock *s, char *netns,
    size_t nslen, char laddr[64], char paddr[64])
{
	char v[64];
	uint64_t n;
	int i;

	if (strcmp(key, "schema") == 0) {
		if (str_field(p, key, v, sizeof(v)) < 0)
			return -1;
		if (strcmp(v, LS_SCHEMA) != 0)
			return fail(p, "schema \"%s\", not \"%s\"", v, LS_SCHEMA);
		return F_SCHEMA;
	}
	if (strcmp(key, "netns") == 0)
		return str_field(p, key, netns, nslen) < 0 ? -1 : 0;
	if (strcmp(key, "netid") == 0) {
		if (str_field(p, key, v, sizeof(v)) < 0)
			return -1;
		for (i = 0; netids[i].netid != NULL; i++)
			if (strcmp(v, netids[i].netid) == 0)
				break;
		if (netids[i].netid == NULL)
			return fail(p, "unknown netid \"%s\"", v);
		s->proto = netids[i].proto;
		s->type = netids[i].type;
		return F_NETID;
	}
	if (strcmp(key, "family") == 0) {
		if (str_field(p, key, v, sizeof(v)) < 0)
			return -1;
		if (strcmp(v, "inet") == 0)
			s->family = AF_INET;
		else if (strcmp(v, "inet6") == 0)
			s->family = AF_INET6;
		else if (strcmp(v, "unix") == 0)
			s->family = AF_UNIX;
		else
			return fail(p, "unknown family \"%s\"", v);
		return F_FAMILY;
	}
	if (strcmp(key, "state") == 0) {
		if (str_field(p, key, v, sizeof(v)) < 0)
			return -1;
		for (i = 1; i < SK_SS_MAX; i++)
			if (strcmp(v, sk_sock_state_str(i)) == 0)
				break;
		if (i == SK_SS_MAX)
			return fail(p, "unknown state \"%s\"", v);
		s->state = i;
		return F_STATE;
	}
	if (strcmp(key, "local_addr") == 0 || strcmp(key, "peer_addr") == 0) {
		if (str_field(p, key, key[0] == 'l' ? laddr : paddr, 64) < 0)
			return -1;
		return key[0] == 'l' ? F_LADDR : F_PADDR;
	}
	if (strcmp(key, "local_port") == 0 || strcmp(key, "peer_port") == 0) {
		if (uint_field(p, key, 65535, &n) < 0)
			return -1;
		if (key[0] == 'l')
			s->sport = (uint16_t)n;
		else
			s->dport = (uint16_t)n;
		return key[0] == 'l' ? F_LPORT : F_PPORT;
	}
	if (strcmp(key, "local_path") == 0) {
		ws(p);
		if (p->s < p->end && *p->s == 'n') {
			s->path[0] = '\0';
			return word(p, "null") < 0 ? -1 : F_PATH;
		}
		return str_field(p, key, s->path, sizeof(s->path)) < 0 ? -1 :
		    F_PATH;
	}
	if (strcmp(key, "peer_inode") == 0 || strcmp(key, "inode") == 0) {
		if (uint_field(p, key, UINT64_MAX, &n) < 0)
			return -1;
		if (key[0] == 'p')
			s->peer_inode = n;
		else
			s->inode = n;
		return key[0] == 'p' ? F_PINODE : F_INODE;
	}
	if (strcmp(key, "v6only") == 0) {
		ws(p);
		if (p->s < p->end && *p->s == 't') {
			s->v6only = 1;
			return word(p, "true") < 0 ? -1 : 0;
		}
		s->v6only = 0;
		return word(p, "false") < 0 ? fail(p, "v6only: true or false "
		    "expected") : 0;
	}
	if (strcmp(key, "protocol") == 0) {
		if (uint_field(p, key, 255, &n) < 0)
			return -1;
		s->protocol = (int)n;
		return 0;
	}
	if (strcmp(key, "recv_q") == 0 || strcmp(key, "send_q") == 0) {
		if (uint_field(p, key, UINT32_MAX, &n) < 0)
			return -1;
		if (key[0] == 'r')
			s->rqueue = (uint32_t)n;
		else
			s->wqueue = (uint32_t)n;
		return 0;
	}
	return skip(p, 1) < 0 ? -1 : 0;
}

static int
address(struct p *p, struct sk_sock *s, const char *what, const char *text,
    unsigned char *dst)
{
	if (inet_pton(s->family, text, dst) != 1)
		return fail(p, "%s \"%s\" is not an %s address", what, text,
		    s->family == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

int
ls_snap_parse(const char *line, size_t len, struct sk_sock *s, char *netns,
    size_t nslen, char *err, size_t errlen)
{
	struct p p = { line, line + len, line, err, errlen, 0 };
	char key[KEY_MAX + 1], laddr[64] = "", paddr[64] = "";
	unsigned have = 0, need;
	int bit, trunc;

	memset(s, 0, sizeof(*s));
	s->v6only = -1;
	if (nslen > 0)
		netns[0] = '\0';
	if (expect(&p, '{') < 0)
		return -1;
	ws(&p);
	if (p.s < p.end && *p.s == '}')
		p.s++;
	else
		for (;;) {
			trunc = 0;
			ws(&p);
			if (string(&p, key, sizeof(key), &trunc) < 0)
				return -1;
			if (trunc)
				key[0] = '\0';	/* too long to be ours */
			if (expect(&p, ':') < 0)
				return -1;
			if ((bit = member(&p, key, s, netns, nslen, laddr,
			    paddr)) < 0)
				return -1;
			have |= (unsigned)bit;
			ws(&p);
			if (p.s < p.end && *p.s == ',') {
				p.s++;
				continue;
			}
			if (expect(&p, '}') < 0)
				return -1;
			break;
		}
	ws(&p);
	if (p.s != p.end)
		return fail(&p, "text after the object");
	need = F_SCHEMA | F_NETID | F_FAMILY | F_STATE;
	if ((have & need) != need)
		return fail(&p, "missing %s", !(have & F_SCHEMA) ? "\"schema\"" :
		    !(have & F_NETID) ? "\"netid\"" : !(have & F_FAMILY) ?
		    "\"family\"" : "\"state\"");
	if ((s->proto == SK_SD_UNIX) != (s->family == AF_UNIX))
		return fail(&p, "netid %s with family %s", sk_sock_netid(s),
		    s->family == AF_UNIX ? "unix" : "inet");
	if (s->family == AF_UNIX) {
		need = F_PATH | F_INODE | F_PINODE;
		if ((have & need) != need)
			return fail(&p, "UNIX socket without %s",
			    !(have & F_PATH) ? "\"local_path\"" :
			    !(have & F_INODE) ? "\"inode\"" : "\"peer_inode\"");
		return 0;
	}
	need = F_LADDR | F_LPORT | F_PADDR | F_PPORT;
	if ((have & need) != need)
		return fail(&p, "inet socket without %s",
		    !(have & F_LADDR) ? "\"local_addr\"" :
		    !(have & F_LPORT) ? "\"local_port\"" :
		    !(have & F_PADDR) ? "\"peer_addr\"" : "\"peer_port\"");
	if (address(&p, s, "local_addr", laddr, s->src) < 0 ||
	    address(&p, s, "peer_addr", paddr, s->dst) < 0)
		return -1;
	return 0;
}
