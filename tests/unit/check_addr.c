#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "unit.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

/* Build an inet sockaddr from text; the family follows the text. */
static socklen_t
mksa(struct sockaddr_storage *ss, const char *addr, int port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':') != NULL) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	return sizeof(*s4);
}

/* ---- sk_addr_split ------------------------------------------------------- */

static const struct {
	const char *in;
	int flags;
	const char *host, *serv;	/* host NULL: must fail */
	const char *err;		/* substring of the message */
} split_cases[] = {
	{ "example.com:80", 0, "example.com", "80", NULL },
	{ "198.18.0.2:whois", 0, "198.18.0.2", "whois", NULL },
	{ "[2001:2::2]:43", 0, "2001:2::2", "43", NULL },
	{ "[::1]", 0, "::1", "", NULL },
	{ "2001:2::2", 0, "2001:2::2", "", NULL },
	{ "::1", 0, "::1", "", NULL },
	{ "198.18.0.2", 0, "198.18.0.2", "", NULL },
	{ "example.com", 0, "example.com", "", NULL },
	{ "*:80", 0, "", "80", NULL },
	{ ":80", 0, "", "80", NULL },
	{ "[*]:80", 0, "", "80", NULL },
	{ "*", 0, "", "", NULL },
	{ "whois", 0, "", "whois", NULL },
	{ "43", 0, "", "43", NULL },
	{ "example", SK_SPLIT_BARE_HOST, "example", "", NULL },
	{ "localhost.smtp", SK_SPLIT_DOTSERVICE, "localhost", "smtp", NULL },
	{ "*.whois", SK_SPLIT_DOTSERVICE, "", "whois", NULL },
	{ "198.18.0.2.55049", SK_SPLIT_DOTSERVICE, "198.18.0.2", "55049", NULL },
	{ "198.18.0.2", SK_SPLIT_DOTSERVICE, "198.18.0.2", "", NULL },
	{ "::1.43", SK_SPLIT_DOTSERVICE, "::1", "43", NULL },
	{ "::ffff:198.18.0.2", SK_SPLIT_DOTSERVICE, "::ffff:198.18.0.2", "",
	    NULL },
	{ "example.com", SK_SPLIT_DOTSERVICE, "example.com", "", NULL },
	{ "host.99999", SK_SPLIT_DOTSERVICE, "host.99999", "", NULL },
	{ "[::1", 0, NULL, NULL, "unbalanced" },
	{ "::1]:80", 0, NULL, NULL, "unbalanced" },
	{ "[[::1]]:80", 0, NULL, NULL, "unbalanced" },
	{ "[::1]x", 0, NULL, NULL, "after" },
	{ "[::1]:", 0, NULL, NULL, "after" },
	{ "[::1]:80:81", 0, NULL, NULL, "after" },
	{ "[]:80", 0, NULL, NULL, "empty host" },
	{ "host:", 0, NULL, NULL, "empty port" },
	{ "", 0, NULL, NULL, "empty" },
	{ "h:" "0123456789012345678901234567890123456789012345678901234567890123",
	    0, NULL, NULL, "service part too long" },
};

START_TEST(split_accepts_documented_forms_and_names_bad_input)
{
	char host[SK_HOSTLEN], serv[SK_SERVLEN];
	struct sk_err e;
	int rc;

	sk_err_clear(&e);
	rc = sk_addr_split(split_cases[_i].in, split_cases[_i].flags, host, serv,
	    &e);
	if (split_cases[_i].host == NULL) {
		ck_assert_msg(rc == -1, "case %d (%s): accepted as [%s] [%s]", _i,
		    split_cases[_i].in, host, serv);
		ck_assert_msg(e.code == EINVAL, "case %d: code %d", _i, e.code);
		ck_assert_msg(strstr(e.msg, split_cases[_i].err) != NULL,
		    "case %d (%s): message \"%s\" lacks \"%s\"", _i,
		    split_cases[_i].in, e.msg, split_cases[_i].err);
		ck_assert_msg(strncmp(e.msg, "address \"", 9) == 0 &&
		    strncmp(e.msg + 9, split_cases[_i].in,
		    strlen(split_cases[_i].in) > 20 ? 20 :
		    strlen(split_cases[_i].in)) == 0,
		    "case %d: message \"%s\" does not name the input", _i, e.msg);
		return;
	}
	ck_assert_msg(rc == 0, "case %d (%s): %s", _i, split_cases[_i].in,
	    e.msg);
	ck_assert_msg(strcmp(host, split_cases[_i].host) == 0 &&
	    strcmp(serv, split_cases[_i].serv) == 0,
	    "case %d (%s): got [%s] [%s], want [%s] [%s]", _i,
	    split_cases[_i].in, host, serv, split_cases[_i].host,
	    split_cases[_i].serv);
}
END_TEST

START_TEST(split_rejects_host_longer_than_bound)
{
	char in[SK_HOSTLEN + 8], host[SK_HOSTLEN], serv[SK_SERVLEN];
	struct sk_err e;

	memset(in, 'a', SK_HOSTLEN);
	memcpy(in + SK_HOSTLEN, ":80", 4);
	ck_assert_int_eq(sk_addr_split(in, 0, host, serv, &e), -1);
	ck_assert_int_eq(e.code, EINVAL);
	ck_assert_msg(strstr(e.msg, "host part too long") != NULL, "%s", e.msg);
	ck_assert_str_eq(host, "");
	/* One less fits exactly. */
	memcpy(in + SK_HOSTLEN - 1, ":80", 4);
	ck_assert_int_eq(sk_addr_split(in, 0, host, serv, &e), 0);
	ck_assert_uint_eq(strlen(host), SK_HOSTLEN - 1);
}
END_TEST

/* ---- sk_port_parse --------------------------------------------------------- */

static const struct {
	const char *in, *proto;
	int want;		/* -1: must fail */
	int code;
	const char *err;
} port_cases[] = {
	{ "whois", "tcp", 43, 0, NULL },
	{ "nicname", "tcp", 43, 0, NULL },
	{ "domain", "udp", 53, 0, NULL },
	{ "43", "tcp", 43, 0, NULL },
	{ "0", "tcp", 0, 0, NULL },
	{ "65535", "udp", 65535, 0, NULL },
	{ "65536", "tcp", -1, EINVAL, "port 65536: out of range" },
	{ "8o", "tcp", -1, EINVAL, "port 8o: not a number" },
	{ "-1", "tcp", -1, EINVAL, "port -1: " },
	{ "", "tcp", -1, EINVAL, "empty" },
	{ "nosuch", "tcp", -1, ENOENT, "service nosuch: unknown tcp service" },
	{ "whois", "udp", -1, ENOENT, "service whois: unknown udp service" },
};

START_TEST(port_parse_takes_numbers_and_service_names)
{
	struct sk_err e;
	int port;

	sk_err_clear(&e);
	port = sk_port_parse(port_cases[_i].in, port_cases[_i].proto, &e);
	ck_assert_msg(port == port_cases[_i].want, "case %d (%s/%s): got %d (%s)",
	    _i, port_cases[_i].in, port_cases[_i].proto, port, e.msg);
	if (port_cases[_i].want != -1)
		return;
	ck_assert_msg(e.code == port_cases[_i].code, "case %d: code %d", _i,
	    e.code);
	ck_assert_msg(strstr(e.msg, port_cases[_i].err) != NULL,
	    "case %d: message \"%s\" lacks \"%s\"", _i, e.msg,
	    port_cases[_i].err);
}
END_TEST

/* ---- formatting ------------------------------------------------------------ */

static const struct {
	const char *addr;
	int port;
	const char *ntop, *fmt;
} fmt_cases[] = {
	{ "198.18.0.2", 43, "198.18.0.2", "198.18.0.2:43" },
	{ "2001:2::2", 43, "2001:2::2", "[2001:2::2]:43" },
	{ "::ffff:198.18.0.2", 43, "::ffff:198.18.0.2", "[::ffff:198.18.0.2]:43" },
	{ "0.0.0.0", 80, "*", "*:80" },
	{ "::", 80, "*", "*:80" },
	{ "198.18.0.2", 0, "198.18.0.2", "198.18.0.2:*" },
	{ "::1", 65535, "::1", "[::1]:65535" },
};

START_TEST(format_prints_numeric_addresses_and_wildcards)
{
	struct sockaddr_storage ss;
	char buf[SK_ADDRSTRLEN];
	struct sockaddr *sa = (struct sockaddr *)&ss;

	mksa(&ss, fmt_cases[_i].addr, fmt_cases[_i].port);
	sk_addr_ntop(sa, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, fmt_cases[_i].ntop) == 0,
	    "case %d: ntop %s, want %s", _i, buf, fmt_cases[_i].ntop);
	sk_addr_format(sa, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, fmt_cases[_i].fmt) == 0,
	    "case %d: format %s, want %s", _i, buf, fmt_cases[_i].fmt);
	ck_assert_msg(sk_addr_port(sa) == fmt_cases[_i].port, "case %d: port %d",
	    _i, sk_addr_port(sa));
}
END_TEST

START_TEST(format_handles_unix_and_unknown_families)
{
	struct sockaddr_un sun;
	struct sockaddr_storage ss;
	char buf[SK_ADDRSTRLEN];

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/run/sk.sock");
	ck_assert_str_eq(sk_addr_format((struct sockaddr *)&sun, buf,
	    sizeof(buf)), "/run/sk.sock");
	ck_assert_int_eq(sk_addr_port((struct sockaddr *)&sun), -1);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_PACKET;
	ck_assert_str_eq(sk_addr_ntop((struct sockaddr *)&ss, buf, sizeof(buf)),
	    "?");
	/* A short buffer is cut, never overrun. */
	mksa(&ss, "2001:2::2", 43);
	sk_addr_format((struct sockaddr *)&ss, buf, 6);
	ck_assert_str_eq(buf, "[2001");
}
END_TEST

/* ---- sk_addr_name ---------------------------------------------------------- */

static const struct {
	const char *addr;
	int port, flags;
	const char *want;
} name_cases[] = {
	{ "127.0.0.1", 43, SK_NAME_NUMERIC, "127.0.0.1.43" },
	{ "198.18.0.2", 55049, SK_NAME_NUMERIC, "198.18.0.2.55049" },
	{ "::1", 43, SK_NAME_NUMERIC, "::1.43" },
	{ "::ffff:198.18.0.2", 55049, SK_NAME_NUMERIC, "198.18.0.2.55049" },
	{ "0.0.0.0", 43, SK_NAME_NOHOST, "*.whois" },
	{ "::", 43, SK_NAME_NOHOST, "*.whois" },
	{ "0.0.0.0", 0, SK_NAME_NUMERIC, "*.*" },
	{ "198.18.0.2", 25, SK_NAME_NOHOST, "198.18.0.2.smtp" },
	{ "198.18.0.2", 53, SK_NAME_NOHOST | SK_NAME_DGRAM, "198.18.0.2.domain" },
	{ "198.18.0.2", 43, SK_NAME_NOHOST | SK_NAME_DGRAM, "198.18.0.2.43" },
	{ "198.18.0.2", 25, SK_NAME_NUMERIC | SK_NAME_NOHOST, "198.18.0.2.25" },
};

START_TEST(name_prints_netstat_host_dot_service)
{
	struct sockaddr_storage ss;
	char buf[SK_HOSTLEN + SK_SERVLEN];

	mksa(&ss, name_cases[_i].addr, name_cases[_i].port);
	sk_addr_name((struct sockaddr *)&ss, name_cases[_i].flags, NULL, buf,
	    sizeof(buf), SK_NOW);
	ck_assert_msg(strcmp(buf, name_cases[_i].want) == 0,
	    "case %d: got %s, want %s", _i, buf, name_cases[_i].want);
}
END_TEST

/* ---- port lists ------------------------------------------------------------ */

#define PT SK_PROTO_TCP
#define PU SK_PROTO_UDP
#define PS SK_PROTO_SCTP
#define END { -1, 0 }

static const struct {
	const char *list;
	int dflt;
	int total;		/* -1: must fail */
	int ntcp, nudp;
	struct { int proto; unsigned port; } in[4], out[4];
	const char *err;	/* the bad token, quoted in the message */
} ps_cases[] = {
	{ "22,80,1000-2000,U:53", PT, 1004, 1003, 1,
	    { { PT, 22 }, { PT, 1500 }, { PU, 53 }, END },
	    { { PU, 22 }, { PT, 53 }, { PT, 2001 }, END }, NULL },
	{ "-", PT, 65535, 65535, 0, { { PT, 1 }, { PT, 65535 }, END },
	    { { PT, 0 }, { PU, 1 }, END }, NULL },
	{ "-1024", PT, 1024, 1024, 0, { { PT, 1 }, { PT, 1024 }, END },
	    { { PT, 0 }, { PT, 1025 }, END }, NULL },
	{ "60000-", PT, 5536, 5536, 0, { { PT, 60000 }, { PT, 65535 }, END },
	    { { PT, 59999 }, END }, NULL },
	{ "T:22,U:53,111", PT, 3, 1, 2, { { PT, 22 }, { PU, 53 }, { PU, 111 }, END },
	    { { PT, 111 }, { PU, 22 }, END }, NULL },
	{ "http", PT, 1, 1, 0, { { PT, 80 }, END }, { END }, NULL },
	{ "ssh,smtp", PU, 2, 0, 2, { { PU, 22 }, { PU, 25 }, END }, { { PT, 22 }, END },
	    NULL },
	{ "S:80", PT, 1, 0, 0, { { PS, 80 }, END }, { { PT, 80 }, END }, NULL },
	{ "0", PT, 1, 1, 0, { { PT, 0 }, END }, { { PT, 1 }, END }, NULL },
	{ "0-10", PT, 11, 11, 0, { { PT, 0 }, { PT, 10 }, END }, { END }, NULL },
	{ "22,22,20-30", PT, 11, 11, 0, { { PT, 22 }, END }, { END }, NULL },
	{ "u:53,t:53", PT, 2, 1, 1, { { PT, 53 }, { PU, 53 }, END }, { END }, NULL },
	{ "20-10", PT, -1, 0, 0, { END }, { END }, "\"20-10\"" },
	{ "90-80", PT, -1, 0, 0, { END }, { END }, "bad port range \"90-80\"" },
	{ "1,,2", PT, -1, 0, 0, { END }, { END }, "empty item" },
	{ "22,", PT, -1, 0, 0, { END }, { END }, "empty item" },
	{ "T:", PT, -1, 0, 0, { END }, { END }, "empty item" },
	{ "", PT, -1, 0, 0, { END }, { END }, "empty" },
	{ "70000", PT, -1, 0, 0, { END }, { END }, "\"70000\"" },
	{ "1-70000", PT, -1, 0, 0, { END }, { END }, "\"1-70000\"" },
	{ "22,8o", PT, -1, 0, 0, { END }, { END }, "bad port \"8o\"" },
	{ "1-2-3", PT, -1, 0, 0, { END }, { END }, "\"1-2-3\"" },
	{ "22,nosuch", PT, -1, 0, 0, { END }, { END }, "\"nosuch\"" },
	{ "X:22", PT, -1, 0, 0, { END }, { END }, "\"X:\"" },
	{ " 22", PT, -1, 0, 0, { END }, { END }, "\" 22\"" },
	{ "--", PT, -1, 0, 0, { END }, { END }, "\"--\"" },
	{ "2 2", PT, -1, 0, 0, { END }, { END }, "\"2 2\"" },
};

START_TEST(portset_parses_nmap_lists_and_names_bad_items)
{
	struct sk_portset *ps = malloc(sizeof(*ps));
	struct sk_err e;
	int i, n;

	ck_assert_ptr_nonnull(ps);
	sk_err_clear(&e);
	n = sk_portset_parse(ps, ps_cases[_i].list, ps_cases[_i].dflt, &e);
	ck_assert_msg(n == ps_cases[_i].total, "case %d (%s): got %d (%s)", _i,
	    ps_cases[_i].list, n, e.msg);
	if (n == -1) {
		ck_assert_msg(e.code == EINVAL, "case %d: code %d", _i, e.code);
		ck_assert_msg(strstr(e.msg, ps_cases[_i].err) != NULL,
		    "case %d (%s): message \"%s\" lacks %s", _i,
		    ps_cases[_i].list, e.msg, ps_cases[_i].err);
		ck_assert_msg(ps->count[PT] + ps->count[PU] + ps->count[PS] == 0,
		    "case %d: failed parse left ports set", _i);
		free(ps);
		return;
	}
	ck_assert_msg(ps->count[PT] == (unsigned)ps_cases[_i].ntcp &&
	    ps->count[PU] == (unsigned)ps_cases[_i].nudp,
	    "case %d (%s): counts tcp %u udp %u", _i, ps_cases[_i].list,
	    ps->count[PT], ps->count[PU]);
	for (i = 0; i < 4 && ps_cases[_i].in[i].proto != -1; i++)
		ck_assert_msg(sk_portset_has(ps, ps_cases[_i].in[i].proto,
		    ps_cases[_i].in[i].port), "case %d (%s): %d/%u missing", _i,
		    ps_cases[_i].list, ps_cases[_i].in[i].proto,
		    ps_cases[_i].in[i].port);
	for (i = 0; i < 4 && ps_cases[_i].out[i].proto != -1; i++)
		ck_assert_msg(!sk_portset_has(ps, ps_cases[_i].out[i].proto,
		    ps_cases[_i].out[i].port), "case %d (%s): %d/%u present", _i,
		    ps_cases[_i].list, ps_cases[_i].out[i].proto,
		    ps_cases[_i].out[i].port);
	free(ps);
}
END_TEST

START_TEST(portset_next_walks_ports_in_order)
{
	static const int want[] = { 22, 80, 1000, 1001, 1002, 65535 };
	struct sk_portset *ps = malloc(sizeof(*ps));
	int i, p;

	ck_assert_ptr_nonnull(ps);
	ck_assert_int_eq(sk_portset_parse(ps, "65535,1000-1002,80,22", PT, NULL), 6);
	for (i = 0, p = sk_portset_next(ps, PT, 0); p != -1;
	    p = sk_portset_next(ps, PT, p + 1), i++) {
		ck_assert_int_lt(i, NELEM(want));
		ck_assert_int_eq(p, want[i]);
	}
	ck_assert_int_eq(i, NELEM(want));
	ck_assert_int_eq(sk_portset_next(ps, PU, 0), -1);
	ck_assert_int_eq(sk_portset_next(ps, PT, 65536), -1);
	ck_assert_int_eq(sk_portset_next(ps, 7, 0), -1);
	ck_assert_int_eq(sk_portset_has(ps, PT, 65536 + 22), 0);
	free(ps);
}
END_TEST

START_TEST(portset_rejects_bad_default_protocol)
{
	struct sk_portset *ps = malloc(sizeof(*ps));
	struct sk_err e;

	ck_assert_ptr_nonnull(ps);
	ck_assert_int_eq(sk_portset_parse(ps, "22", SK_NPROTO, &e), -1);
	ck_assert_int_eq(e.code, EINVAL);
	free(ps);
}
END_TEST

/* ---- CIDR blocks and ranges --------------------------------------------------- */

static const struct {
	const char *in;
	int family;		/* 0: must fail */
	uint64_t count;
	const char *fmt;	/* or the error substring */
} ipr_cases[] = {
	{ "198.18.0.0/15", AF_INET, 131072, "198.18.0.0/15" },
	{ "198.18.1.7/15", AF_INET, 131072, "198.18.0.0/15" },
	{ "198.18.0.2", AF_INET, 1, "198.18.0.2/32" },
	{ "0.0.0.0/0", AF_INET, 4294967296ULL, "0.0.0.0/0" },
	{ "198.18.0.1-198.18.0.9", AF_INET, 9, "198.18.0.1-198.18.0.9" },
	{ "198.18.0.7-198.18.0.7", AF_INET, 1, "198.18.0.7-198.18.0.7" },
	{ "2001:2::/48", AF_INET6, UINT64_MAX, "2001:2::/48" },
	{ "2001:2::/64", AF_INET6, UINT64_MAX, "2001:2::/64" },
	{ "2001:2::/65", AF_INET6, 1ULL << 63, "2001:2::/65" },
	{ "2001:2::ff/120", AF_INET6, 256, "2001:2::/120" },
	{ "2001:2::1-2001:2::ff", AF_INET6, 255, "2001:2::1-2001:2::ff" },
	{ "::1", AF_INET6, 1, "::1/128" },
	{ "198.18.0.0/33", 0, 0, "prefix \"33\"" },
	{ "2001:2::/129", 0, 0, "prefix \"129\"" },
	{ "198.18.0.0/-1", 0, 0, "prefix \"-1\"" },
	{ "198.18.0.0/", 0, 0, "prefix \"\"" },
	{ "198.18.0.0/1x", 0, 0, "prefix \"1x\"" },
	{ "198.18.0.1-2001:2::1", 0, 0, "mixed" },
	{ "198.18.0.1-20", AF_INET, 20, "198.18.0.1-198.18.0.20" },
	{ "198.18.0.7-7", AF_INET, 1, "198.18.0.7-198.18.0.7" },
	{ "198.18.0.9-3", 0, 0, "first address above last" },
	{ "198.18.0.1-256", 0, 0, "last octet \"256\"" },
	{ "2001:2::1-20", 0, 0, "bad address \"20\"" },
	{ "198.18.0.9-198.18.0.1", 0, 0, "first address above last" },
	{ "2001:2::ff-2001:2::1", 0, 0, "first address above last" },
	{ "198.18.0.256", 0, 0, "bad address \"198.18.0.256\"" },
	{ "198.18.0.1-198.18.0.x", 0, 0, "bad address \"198.18.0.x\"" },
	{ "/24", 0, 0, "bad address \"\"" },
	{ "fe80::1%eth0", 0, 0, "bad address" },
	{ "", 0, 0, "empty" },
};

START_TEST(iprange_parses_cidr_and_ranges_and_names_bad_input)
{
	struct sk_iprange r;
	struct sk_err e;
	char buf[128];
	uint64_t n;

	sk_err_clear(&e);
	if (ipr_cases[_i].family == 0) {
		ck_assert_msg(sk_iprange_parse(&r, ipr_cases[_i].in, &e) == -1,
		    "case %d (%s): accepted", _i, ipr_cases[_i].in);
		ck_assert_msg(e.code == EINVAL, "case %d: code %d", _i, e.code);
		ck_assert_msg(strstr(e.msg, ipr_cases[_i].fmt) != NULL &&
		    strstr(e.msg, ipr_cases[_i].in) != NULL,
		    "case %d (%s): message \"%s\" lacks \"%s\"", _i,
		    ipr_cases[_i].in, e.msg, ipr_cases[_i].fmt);
		return;
	}
	ck_assert_msg(sk_iprange_parse(&r, ipr_cases[_i].in, &e) == 0,
	    "case %d (%s): %s", _i, ipr_cases[_i].in, e.msg);
	ck_assert_msg(r.family == ipr_cases[_i].family, "case %d: family %d", _i,
	    r.family);
	n = sk_iprange_count(&r);
	ck_assert_msg(n == ipr_cases[_i].count, "case %d (%s): count %llu", _i,
	    ipr_cases[_i].in, (unsigned long long)n);
	sk_iprange_format(&r, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, ipr_cases[_i].fmt) == 0,
	    "case %d: format %s, want %s", _i, buf, ipr_cases[_i].fmt);
}
END_TEST

static const struct {
	const char *range, *addr;
	int want;
} contains_cases[] = {
	{ "198.18.0.0/15", "198.18.0.0", 1 },
	{ "198.18.0.0/15", "198.19.255.255", 1 },
	{ "198.18.0.0/15", "198.20.0.0", 0 },
	{ "198.18.0.0/15", "198.17.255.255", 0 },
	{ "198.18.0.0/15", "::ffff:198.18.0.2", 1 },
	{ "198.18.0.0/15", "::ffff:198.20.0.2", 0 },
	{ "198.18.0.0/15", "2001:2::1", 0 },
	{ "198.18.0.0/15", "::c612:2", 0 },	/* v4-compatible is not v4 */
	{ "2001:2::/48", "2001:2:0:ffff::1", 1 },
	{ "2001:2::/48", "2001:2:1::", 0 },
	{ "2001:2::/48", "198.18.0.1", 0 },
	{ "::ffff:198.18.0.0/120", "198.18.0.9", 1 },
	{ "198.18.0.1-198.18.0.9", "198.18.0.9", 1 },
	{ "198.18.0.1-198.18.0.9", "198.18.0.10", 0 },
	{ "198.18.0.1-198.18.0.9", "198.18.0.0", 0 },
	{ "2001:2::1-2001:2::ff", "2001:2::80", 1 },
	{ "2001:2::1-2001:2::ff", "2001:2::100", 0 },
};

START_TEST(iprange_contains_v4_v6_and_v4_mapped_addresses)
{
	struct sk_iprange r;
	struct sockaddr_storage ss;
	struct sk_err e;
	int got;

	ck_assert_msg(sk_iprange_parse(&r, contains_cases[_i].range, &e) == 0,
	    "case %d: %s", _i, e.msg);
	mksa(&ss, contains_cases[_i].addr, 0);
	got = sk_iprange_contains(&r, (struct sockaddr *)&ss) != 0;
	ck_assert_msg(got == contains_cases[_i].want, "case %d: %s in %s: %d", _i,
	    contains_cases[_i].addr, contains_cases[_i].range, got);
}
END_TEST

Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc;

	tc = tcase_create("split");
	tcase_add_loop_test(tc, split_accepts_documented_forms_and_names_bad_input,
	    0, NELEM(split_cases));
	tcase_add_test(tc, split_rejects_host_longer_than_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("services");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, port_parse_takes_numbers_and_service_names, 0,
	    NELEM(port_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, format_prints_numeric_addresses_and_wildcards, 0,
	    NELEM(fmt_cases));
	tcase_add_test(tc, format_handles_unix_and_unknown_families);
	tcase_add_loop_test(tc, name_prints_netstat_host_dot_service, 0,
	    NELEM(name_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("portset");
	tcase_add_loop_test(tc, portset_parses_nmap_lists_and_names_bad_items, 0,
	    NELEM(ps_cases));
	tcase_add_test(tc, portset_next_walks_ports_in_order);
	tcase_add_test(tc, portset_rejects_bad_default_protocol);
	suite_add_tcase(s, tc);

	tc = tcase_create("iprange");
	tcase_add_loop_test(tc, iprange_parses_cidr_and_ranges_and_names_bad_input,
	    0, NELEM(ipr_cases));
	tcase_add_loop_test(tc, iprange_contains_v4_v6_and_v4_mapped_addresses, 0,
	    NELEM(contains_cases));
	suite_add_tcase(s, tc);
	return s;
}
