/*
 * DNS through c-ares on the loop (lib/dns.c) and reply parsing
 * (lib/dns_parse.c).
 *
 * Parsing runs on replies built byte by byte here.  Queries run against
 * a dnsmasq this suite starts on 127.0.53.x and a free port (no system
 * config, local records only), and against fake servers that live on
 * the same loop as the queries: one that answers every query with a
 * chosen rcode, one that reads and never answers.  Without dnsmasq the
 * cases that need it say so and pass.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/dns.h"
#include "sockkit/err.h"
#include "sockkit/loop.h"
#include "unit.h"

/* ---- replies built by hand ------------------------------------------------ */

struct msgbuf {
	unsigned char b[1024];
	size_t n;
};

static void
mb_bytes(struct msgbuf *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->n + n, sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
mb_u16(struct msgbuf *m, unsigned v)
{
	unsigned char b[2] = { v >> 8, v & 0xff };

	mb_bytes(m, b, 2);
}

static void
mb_u32(struct msgbuf *m, uint32_t v)
{
	mb_u16(m, v >> 16);
	mb_u16(m, v & 0xffff);
}

static void
mb_name(struct msgbuf *m, const char *name)
{
	const char *p = name, *dot;
	unsigned char len;

	while (*p != '\0') {
		dot = strchr(p, '.');
		len = dot ? (size_t)(dot - p) : strlen(p);
		mb_bytes(m, &len, 1);
		mb_bytes(m, p, len);
		p += len + (dot != NULL);
	}
	mb_bytes(m, "", 1);
}

/* Header + question name/type. */
static void
mb_head(struct msgbuf *m, int rcode, unsigned an, unsigned ns,
    const char *qname, unsigned qtype)
{
	m->n = 0;
	mb_u16(m, 0x1234);
	mb_u16(m, 0x8180 | rcode);	/* QR RD RA */
	mb_u16(m, 1);
	mb_u16(m, an);
	mb_u16(m, ns);
	mb_u16(m, 0);
	mb_name(m, qname);
	mb_u16(m, qtype);
	mb_u16(m, 1);
}

/* An RR whose owner is a pointer to the question name (offset 12). */
static void
mb_rr(struct msgbuf *m, unsigned type, uint32_t ttl, const void *rd,
    size_t rdlen)
{
	mb_u16(m, 0xc00c);
	mb_u16(m, type);
	mb_u16(m, 1);
	mb_u32(m, ttl);
	mb_u16(m, rdlen);
	mb_bytes(m, rd, rdlen);
}

static struct sk_dns_rr rrs[SK_DNS_MAXRR];

START_TEST(parse_formats_rdata_as_dig_does)
{
	static const struct {
		unsigned type;
		const char *rd;
		size_t len;
		const char *want;
	} t[] = {
		{ SK_DNS_A, "\xc6\x12\x00\x14", 4, "198.18.0.20" },
		{ SK_DNS_AAAA, "\x20\x01\x00\x02\0\0\0\0\0\0\0\0\0\0\0\x20", 16,
		  "2001:2::20" },
		{ SK_DNS_MX, "\x00\x0a\x04mail\x04test\x00", 13, "10 mail.test." },
		{ SK_DNS_SRV, "\x00\x00\x00\x05\x00\x2b\x01""a\xc0\x0c", 10,
		  "0 5 43 a.x.test." },
		{ SK_DNS_CNAME, "\xc0\x0c", 2, "x.test." },
		{ SK_DNS_TXT, "\x0bhello world\x03x\"y", 16,
		  "\"hello world\" \"x\\\"y\"" },
		{ SK_DNS_TXT, "\x02\x01\xff", 3, "\"\\001\\255\"" },
		{ SK_DNS_CAA, "\x00\x05issueca.test", 14, "0 issue \"ca.test\"" },
		{ SK_DNS_SOA, "\x02ns\xc0\x0e\x05""admin\xc0\x0e"
		  "\0\0\0\x07\0\0\x0e\x10\0\0\x02\x58\0\x01\x51\x80\0\0\x01\x2c",
		  33, "ns.test. admin.test. 7 3600 600 86400 300" },
		{ 99, "\xab\xcd", 2, "\\# 2 ABCD" },
	};
	struct sk_dns_reply rp;
	struct msgbuf m;
	struct sk_err e;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mb_head(&m, 0, 1, 0, "x.test", t[i].type);
		mb_rr(&m, t[i].type, 300 + i, t[i].rd, t[i].len);
		ck_assert_msg(sk_dns_parse(m.b, m.n, rrs, SK_DNS_MAXRR, &rp,
		    &e) == 0, "case %zu: %s", i, e.msg);
		ck_assert_msg(rp.nrr == 1, "case %zu: %zu records", i, rp.nrr);
		ck_assert_msg(strcmp(rrs[0].data, t[i].want) == 0,
		    "case %zu: got [%s] want [%s]", i, rrs[0].data, t[i].want);
		ck_assert_str_eq(rrs[0].name, "x.test.");
		ck_assert_uint_eq(rrs[0].ttl, 300 + i);
		ck_assert_int_eq(rrs[0].type, (int)t[i].type);
	}
	ck_assert_str_eq(rp.qname, "x.test.");
	ck_assert_int_eq(rp.rcode, 0);
	ck_assert_int_eq(rp.ra, 1);
}
END_TEST

START_TEST(parse_refuses_malformed_replies_with_the_offset)
{
	static const struct {
		unsigned type;
		const char *rd;
		size_t len;
		const char *why;
	} t[] = {
		{ SK_DNS_A, "\x01\x02\x03", 3, "wrong length" },
		{ SK_DNS_MX, "\x00\x0a", 2, "too short" },
		{ SK_DNS_CNAME, "\xc0\x0c\x00", 3, "does not fill" },
		{ SK_DNS_TXT, "\x05""abc", 4, "runs past rdata" },
		{ SK_DNS_CAA, "\x00\x09iss", 5, "tag length" },
		{ SK_DNS_CAA, "\x00\x02i-x", 5, "alphanumeric" },
		{ SK_DNS_SOA, "\x00\x00\x00", 3, "numbers do not fill" },
		{ SK_DNS_NS, "\xc0\xff", 2, "rdata name" },
	};
	struct sk_dns_reply rp;
	struct msgbuf m;
	struct sk_err e;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mb_head(&m, 0, 1, 0, "x.test", t[i].type);
		mb_rr(&m, t[i].type, 1, t[i].rd, t[i].len);
		ck_assert_msg(sk_dns_parse(m.b, m.n, rrs, SK_DNS_MAXRR, &rp,
		    &e) == -1, "case %zu parsed", i);
		ck_assert_int_eq(e.kind, SK_ERR_PERMFAIL);
		ck_assert_msg(strstr(e.msg, t[i].why) != NULL,
		    "case %zu: [%s] lacks [%s]", i, e.msg, t[i].why);
	}
	/* rdlength past the end of the message */
	mb_head(&m, 0, 1, 0, "x.test", 1);
	mb_rr(&m, 1, 1, "\1\2\3\4", 4);
	ck_assert_int_eq(sk_dns_parse(m.b, m.n - 1, rrs, 4, &rp, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "past the end"));
	/* a name that points at itself */
	mb_head(&m, 0, 1, 0, "x.test", 1);
	m.b[12] = 0xc0;
	m.b[13] = 12;
	ck_assert_int_eq(sk_dns_parse(m.b, m.n, rrs, 4, &rp, &e), -1);
	/* a query, not a reply */
	mb_head(&m, 0, 0, 0, "x.test", 1);
	m.b[2] = 0x01;
	ck_assert_int_eq(sk_dns_parse(m.b, m.n, rrs, 4, &rp, &e), -1);
	ck_assert_int_eq(sk_dns_parse(m.b, 5, rrs, 4, &rp, &e), -1);
}
END_TEST

START_TEST(parse_keeps_max_records_and_counts_the_rest)
{
	struct sk_dns_reply rp;
	struct msgbuf m;
	int i;

	mb_head(&m, 0, 10, 0, "x.test", 1);
	for (i = 0; i < 10; i++)
		mb_rr(&m, 1, 60, "\xc6\x12\x00\x01", 4);
	ck_assert_int_eq(sk_dns_parse(m.b, m.n, rrs, 3, &rp, NULL), 0);
	ck_assert_uint_eq(rp.nrr, 3);
	ck_assert_uint_eq(rp.dropped, 7);
}
END_TEST

START_TEST(parse_cuts_long_rdata_visibly)
{
	struct sk_dns_reply rp;
	struct msgbuf m;
	unsigned char txt[600];
	int i;

	for (i = 0; i < 3; i++) {
		txt[i * 200] = 199;
		memset(txt + i * 200 + 1, '\\', 199);
	}
	mb_head(&m, 0, 1, 0, "x.test", SK_DNS_TXT);
	mb_rr(&m, SK_DNS_TXT, 1, txt, 600);
	ck_assert_int_eq(sk_dns_parse(m.b, m.n, rrs, 1, &rp, NULL), 0);
	ck_assert_int_eq(rrs[0].cut, 1);
	ck_assert_uint_lt(strlen(rrs[0].data), SK_DNS_DATALEN);
	ck_assert_str_eq(rrs[0].data + strlen(rrs[0].data) - 3, "...");
}
END_TEST

START_TEST(parse_reads_the_negative_ttl_from_the_authority_soa)
{
	static const char soa[] = "\x02ns\xc0\x0e\x05""admin\xc0\x0e"
	    "\0\0\0\x07\0\0\x0e\x10\0\0\x02\x58\0\x01\x51\x80\0\0\x01\x2c";
	struct sk_dns_reply rp;
	struct msgbuf m;

	mb_head(&m, SK_DNS_NXDOMAIN, 0, 1, "nx.test", 1);
	mb_rr(&m, SK_DNS_SOA, 60, soa, sizeof(soa) - 1);
	ck_assert_int_eq(sk_dns_parse(m.b, m.n, rrs, 4, &rp, NULL), 0);
	ck_assert_int_eq(rp.rcode, SK_DNS_NXDOMAIN);
	ck_assert_uint_eq(rp.nrr, 0);
	ck_assert_uint_eq(rp.neg_ttl, 300);
}
END_TEST

START_TEST(type_and_rcode_names_go_both_ways)
{
	char b[16];

	ck_assert_int_eq(sk_dns_type_parse("mx"), SK_DNS_MX);
	ck_assert_int_eq(sk_dns_type_parse("CAA"), SK_DNS_CAA);
	ck_assert_int_eq(sk_dns_type_parse("TYPE65"), 65);
	ck_assert_int_eq(sk_dns_type_parse("TYPE0"), -1);
	ck_assert_int_eq(sk_dns_type_parse("TYPE65536"), -1);
	ck_assert_int_eq(sk_dns_type_parse("MXX"), -1);
	ck_assert_str_eq(sk_dns_type_str(SK_DNS_AAAA, b, sizeof(b)), "AAAA");
	ck_assert_str_eq(sk_dns_type_str(65, b, sizeof(b)), "TYPE65");
	ck_assert_str_eq(sk_dns_rcode_str(3, b, sizeof(b)), "NXDOMAIN");
	ck_assert_str_eq(sk_dns_rcode_str(15, b, sizeof(b)), "RCODE15");
}
END_TEST

/* ---- a dnsmasq with known records -------------------------------------- */

static pid_t dnsmasq_pid = -1;
static char dns_server[64];	/* "127.0.53.N:PORT" */

/* A free UDP port on addr (bound and released). */
static int
free_udp_port(const char *addr)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* 1 while something holds addr:port (UDP). */
static int
udp_taken(const char *addr, int port)
{
	struct sockaddr_in sin;
	int fd, rc;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno == EADDRINUSE;
	close(fd);
	return rc;
}

static void
dnsmasq_start(void)
{
	char addr[32], portarg[32], listen[64];
	int port, i;

	if (access("/usr/sbin/dnsmasq", X_OK) != 0)
		return;
	snprintf(addr, sizeof(addr), "127.0.53.%d", 100 + getpid() % 100);
	if ((port = free_udp_port(addr)) <= 0)
		return;
	snprintf(portarg, sizeof(portarg), "--port=%d", port);
	snprintf(listen, sizeof(listen), "--listen-address=%s", addr);
	if ((dnsmasq_pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execl("/usr/sbin/dnsmasq", "dnsmasq", "-k",
		    "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
		    "--bind-interfaces", listen, portarg, "--pid-file=",
		    "--local=/test/",
		    "--host-record=a.test,198.18.0.20,2001:2::20",
		    "--mx-host=mx.test,mail.test,10",
		    "--srv-host=_whois._tcp.test,a.test,43,0,5",
		    "--txt-record=txt.test,hello world,sockkit",
		    "--cname=c.test,a.test",
		    "--ptr-record=20.0.18.198.in-addr.arpa,a.test",
		    "--txt-record=nodata.test,sockkit",
		    "--dns-rr=caa.test,257,0005697373756563612e74657374",
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && !udp_taken(addr, port); i++)
		usleep(50000);
	snprintf(dns_server, sizeof(dns_server), "%s:%d", addr, port);
}

static void
dnsmasq_stop(void)
{
	if (dnsmasq_pid > 0) {
		kill(dnsmasq_pid, SIGTERM);
		waitpid(dnsmasq_pid, NULL, 0);
	}
	dnsmasq_pid = -1;
}

#define NEED_DNSMASQ() do { if (dnsmasq_pid <= 0) { \
	fprintf(stderr, "%s: skipped: needs /usr/sbin/dnsmasq\n", __func__); \
	return; } } while (0)

/* ---- running queries -------------------------------------------------------- */

struct got {
	int n;
	enum sk_err_kind kind;
	int rcode;
	int timeouts;
	char server[64];
	char data[8][SK_DNS_DATALEN];
	int types[8];
	int nrr;
	char msg[SK_ERR_MSGLEN];
};

static void
collect(void *arg, const struct sk_dns_result *r, const struct sk_err *e)
{
	struct got *g = arg;
	size_t i;

	g->n++;
	g->kind = e->kind;
	g->rcode = r->rcode;
	g->timeouts = r->timeouts;
	snprintf(g->server, sizeof(g->server), "%s", r->server);
	snprintf(g->msg, sizeof(g->msg), "%s", e->msg);
	g->nrr = r->reply ? (int)r->reply->nrr : 0;
	for (i = 0; r->reply && i < r->reply->nrr && i < 8; i++) {
		snprintf(g->data[i], sizeof(g->data[i]), "%s", r->rr[i].data);
		g->types[i] = r->rr[i].type;
	}
}

/* Ask one question of servers and run the loop until it is answered. */
static void
ask(const char *servers, int64_t timeout_ms, const char *name, int type,
    struct got *g)
{
	struct sk_dns_opts o = { .servers = servers, .timeout_ms = timeout_ms,
	    .tries = 1 };
	struct sk_loop *l = sk_loop_new(16, NULL);
	struct sk_dns *d;
	struct sk_err e;

	memset(g, 0, sizeof(*g));
	ck_assert_ptr_nonnull(l);
	d = sk_dns_new(l, &o, &e);
	ck_assert_msg(d != NULL, "%s", e.msg);
	ck_assert_int_eq(sk_dns_query(d, name, type, collect, g, &e), 0);
	ck_assert_int_eq(sk_loop_run(l, &e), 0);
	ck_assert_int_eq(g->n, 1);
	ck_assert_uint_eq(sk_dns_pending(d), 0);
	sk_dns_free(d);
	ck_assert_int_eq(sk_loop_nwatched(l), 0);
	sk_loop_free(l);
}

START_TEST(query_answers_each_type_from_dnsmasq)
{
	static const struct {
		const char *name;
		int type;
		const char *want;
	} t[] = {
		{ "a.test", SK_DNS_A, "198.18.0.20" },
		{ "a.test", SK_DNS_AAAA, "2001:2::20" },
		{ "mx.test", SK_DNS_MX, "10 mail.test." },
		{ "_whois._tcp.test", SK_DNS_SRV, "0 5 43 a.test." },
		{ "txt.test", SK_DNS_TXT, "\"hello world\" \"sockkit\"" },
		{ "c.test", SK_DNS_CNAME, "a.test." },
		{ "20.0.18.198.in-addr.arpa", SK_DNS_PTR, "a.test." },
		{ "caa.test", SK_DNS_CAA, "0 issue \"ca.test\"" },
	};
	struct got g;
	size_t i;

	NEED_DNSMASQ();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ask(dns_server, 3000, t[i].name, t[i].type, &g);
		ck_assert_msg(g.kind == SK_ERR_NONE, "case %zu: %s", i, g.msg);
		ck_assert_int_eq(g.rcode, SK_DNS_NOERROR);
		ck_assert_msg(g.nrr >= 1 && strcmp(g.data[g.nrr - 1],
		    t[i].want) == 0, "case %zu: got [%s] want [%s]", i,
		    g.data[0], t[i].want);
		ck_assert_str_eq(g.server, dns_server);
	}
	/* A through a CNAME: the chain, then the address */
	ask(dns_server, 3000, "c.test", SK_DNS_A, &g);
	ck_assert_int_eq(g.kind, SK_ERR_NONE);
	ck_assert_int_eq(g.nrr, 2);
	ck_assert_int_eq(g.types[0], SK_DNS_CNAME);
	ck_assert_str_eq(g.data[1], "198.18.0.20");
}
END_TEST

START_TEST(query_sorts_negative_answers_into_kinds)
{
	struct got g;

	NEED_DNSMASQ();
	ask(dns_server, 3000, "nx.test", SK_DNS_A, &g);
	ck_assert_int_eq(g.kind, SK_ERR_NOTFOUND);
	ck_assert_int_eq(g.rcode, SK_DNS_NXDOMAIN);
	ck_assert_ptr_nonnull(strstr(g.msg, "NXDOMAIN"));
	ask(dns_server, 3000, "nodata.test", SK_DNS_A, &g);
	ck_assert_int_eq(g.kind, SK_ERR_NODATA);
	ck_assert_int_eq(g.rcode, SK_DNS_NOERROR);
	/* outside --local with no upstream, dnsmasq refuses */
	ask(dns_server, 3000, "example.com", SK_DNS_A, &g);
	ck_assert_int_eq(g.kind, SK_ERR_PERMFAIL);
	ck_assert_int_eq(g.rcode, SK_DNS_REFUSED);
	ck_assert_str_eq(g.server, dns_server);
}
END_TEST

/* ---- fake servers on the same loop ----------------------------------------- */

struct fake {
	int fd;
	int rcode;	/* -1: drop every query */
	int seen;
	char addr[64];
};

static void
fake_read(struct sk_loop *l, int fd, int ev, void *arg)
{
	struct fake *f = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned char b[512];
	ssize_t n;

	while ((n = recvfrom(fd, b, sizeof(b), MSG_DONTWAIT,
	    (struct sockaddr *)&ss, &sl)) > 12) {
		f->seen++;
		if (f->rcode < 0)
			continue;
		b[2] |= 0x80;
		b[3] = (b[3] & 0xf0) | f->rcode;
		sendto(fd, b, n, 0, (struct sockaddr *)&ss, sl);
		sl = sizeof(ss);
	}
}

static void
fake_start(struct sk_loop *l, struct fake *f, int rcode)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(f->fd, (struct sockaddr *)&sin, &len);
	snprintf(f->addr, sizeof(f->addr), "127.0.0.1:%d", ntohs(sin.sin_port));
	f->rcode = rcode;
	f->seen = 0;
	ck_assert_int_eq(sk_loop_watch(l, f->fd, SK_READ, fake_read, f, NULL), 0);
}

/* Run l until g is answered (the fake server keeps the loop alive). */
static void
run_until(struct sk_loop *l, struct got *g, int n)
{
	int64_t dl = sk_deadline_in(10000);

	while (g->n < n && !sk_deadline_passed(dl))
		sk_loop_run_once(l, dl, NULL);
}

START_TEST(query_reads_servfail_from_the_header)
{
	struct sk_loop *l = sk_loop_new(16, NULL);
	struct sk_dns_opts o = { .timeout_ms = 3000, .tries = 1 };
	struct sk_dns *d;
	struct fake f;
	struct got g;

	fake_start(l, &f, SK_DNS_SERVFAIL);
	o.servers = f.addr;
	ck_assert_ptr_nonnull(d = sk_dns_new(l, &o, NULL));
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(sk_dns_query(d, "x.test", SK_DNS_A, collect, &g, NULL),
	    0);
	run_until(l, &g, 1);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.kind, SK_ERR_TEMPFAIL);
	ck_assert_int_eq(g.rcode, SK_DNS_SERVFAIL);
	ck_assert_str_eq(g.server, f.addr);
	ck_assert_int_eq(f.seen, 1);
	ck_assert_int_eq(g.timeouts, 0);
	sk_dns_free(d);
	sk_loop_unwatch(l, f.fd);
	close(f.fd);
	sk_loop_free(l);
}
END_TEST

START_TEST(query_times_out_on_a_server_that_drops_with_every_try_sent)
{
	struct sk_loop *l = sk_loop_new(16, NULL);
	struct sk_dns_opts o = { .timeout_ms = 700, .tries = 3 };
	struct sk_dns *d;
	struct fake f;
	struct got g;
	int64_t t0;

	fake_start(l, &f, -1);
	o.servers = f.addr;
	ck_assert_ptr_nonnull(d = sk_dns_new(l, &o, NULL));
	memset(&g, 0, sizeof(g));
	t0 = sk_now_ms();
	ck_assert_int_eq(sk_dns_query(d, "x.test", SK_DNS_A, collect, &g, NULL),
	    0);
	run_until(l, &g, 1);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.kind, SK_ERR_TIMEOUT);
	ck_assert_int_eq(g.rcode, -1);
	ck_assert_str_eq(g.server, "");
	ck_assert_int_eq(f.seen, 3);
	ck_assert_int_eq(g.timeouts, 3);
	/* the lookup's deadline covers all tries (a loose bound: no timing
	 * assertion beyond "not the 3 x 700 ms of per-try timeouts") */
	ck_assert_int_lt(sk_now_ms() - t0, 2100);
	sk_dns_free(d);
	sk_loop_unwatch(l, f.fd);
	close(f.fd);
	sk_loop_free(l);
}
END_TEST

#define MANY 3000

static void
count(void *arg, const struct sk_dns_result *r, const struct sk_err *e)
{
	int *n = arg;

	if (e->kind == SK_ERR_NONE && r->reply->nrr == 1 &&
	    strcmp(r->rr[0].data, "198.18.0.20") == 0)
		n[0]++;
	n[1]++;
}

START_TEST(query_keeps_thousands_in_flight_on_one_loop)
{
	struct sk_dns_opts o = { .servers = dns_server, .timeout_ms = 20000,
	    .tries = 4 };
	struct sk_loop *l;
	struct sk_dns *d;
	int n[2] = { 0, 0 }, i;

	NEED_DNSMASQ();
	l = sk_loop_new(16, NULL);
	ck_assert_ptr_nonnull(d = sk_dns_new(l, &o, NULL));
	for (i = 0; i < MANY; i++)
		ck_assert_int_eq(sk_dns_query(d, "a.test", SK_DNS_A, count, n,
		    NULL), 0);
	ck_assert_uint_eq(sk_dns_pending(d), MANY);
	ck_assert_int_eq(sk_loop_run(l, NULL), 0);
	ck_assert_int_eq(n[1], MANY);
	ck_assert_int_eq(n[0], MANY);
	sk_dns_free(d);
	sk_loop_free(l);
}
END_TEST

START_TEST(free_calls_back_pending_queries_once)
{
	struct sk_loop *l = sk_loop_new(16, NULL);
	struct sk_dns_opts o = { .timeout_ms = 5000 };
	struct sk_dns *d;
	struct fake f;
	struct got g;

	fake_start(l, &f, -1);
	o.servers = f.addr;
	ck_assert_ptr_nonnull(d = sk_dns_new(l, &o, NULL));
	memset(&g, 0, sizeof(g));
	sk_dns_query(d, "x.test", SK_DNS_A, collect, &g, NULL);
	sk_loop_run_once(l, sk_deadline_in(50), NULL);
	sk_dns_free(d);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.kind, SK_ERR_SYSTEM);
	ck_assert_int_eq(sk_loop_nwatched(l), 1);	/* the fake's only */
	ck_assert_int_eq(sk_loop_ntimers(l), 0);
	sk_loop_unwatch(l, f.fd);
	close(f.fd);
	sk_loop_free(l);
}
END_TEST

START_TEST(new_refuses_a_bad_server_list)
{
	struct sk_loop *l = sk_loop_new(16, NULL);
	struct sk_dns_opts o = { .servers = "not an address" };
	struct sk_err e;

	ck_assert_ptr_null(sk_dns_new(l, &o, &e));
	ck_assert_int_eq(e.kind, SK_ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "not an address"));
	sk_loop_free(l);
}
END_TEST

START_TEST(search_list_follows_ndots)
{
	struct sk_loop *l = sk_loop_new(16, NULL);
	struct sk_dns_opts o = { .servers = "127.0.0.1" };
	char out[8][SK_DNS_NAMELEN];
	struct sk_dns *d;
	size_t n;

	ck_assert_ptr_nonnull(d = sk_dns_new(l, &o, NULL));
	/* whatever resolv.conf says: a dotted FQDN is tried as given */
	n = sk_dns_search_list(d, "a.test.", out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0], "a.test.");
	n = sk_dns_search_list(d, "host", out, 8);
	ck_assert_uint_ge(n, 1);
	ck_assert_str_eq(out[n - 1], "host");	/* ndots 1: bare name last */
	sk_dns_free(d);
	sk_loop_free(l);
}
END_TEST

Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tp = tcase_create("parse");
	TCase *tq = tcase_create("query");

	tcase_add_test(tp, parse_formats_rdata_as_dig_does);
	tcase_add_test(tp, parse_refuses_malformed_replies_with_the_offset);
	tcase_add_test(tp, parse_keeps_max_records_and_counts_the_rest);
	tcase_add_test(tp, parse_cuts_long_rdata_visibly);
	tcase_add_test(tp, parse_reads_the_negative_ttl_from_the_authority_soa);
	tcase_add_test(tp, type_and_rcode_names_go_both_ways);
	suite_add_tcase(s, tp);

	tcase_add_unchecked_fixture(tq, dnsmasq_start, dnsmasq_stop);
	tcase_set_timeout(tq, 30);
	tcase_add_test(tq, query_answers_each_type_from_dnsmasq);
	tcase_add_test(tq, query_sorts_negative_answers_into_kinds);
	tcase_add_test(tq, query_reads_servfail_from_the_header);
	tcase_add_test(tq, query_times_out_on_a_server_that_drops_with_every_try_sent);
	tcase_add_test(tq, query_keeps_thousands_in_flight_on_one_loop);
	tcase_add_test(tq, free_calls_back_pending_queries_once);
	tcase_add_test(tq, new_refuses_a_bad_server_list);
	tcase_add_test(tq, search_list_follows_ndots);
	suite_add_tcase(s, tq);
	return s;
}
