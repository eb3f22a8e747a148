#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netlink.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/sockdiag.h"
#include "unit.h"

/*
 * Replies recorded once from a kernel 6.18 namespace holding a TCP
 * listener on 127.0.0.1:4343 (backlog 7, dumped with tcp_info, congestion
 * and skmeminfo) and a UNIX stream listener on "\0sk-test" (backlog 3).
 */
static const unsigned char tcp_listen_msg[] __attribute__((aligned(4))) = {
	0xc8, 0x01, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x34, 0x1b, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x10, 0xf7, 0x00, 0x00,
	0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xc7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xc9, 0xaf, 0x01, 0x00, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x15, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x16, 0x00,
	0x52, 0x00, 0x00, 0x00, 0x28, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x01, 0x02, 0x00,
	0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x04, 0x00, 0x62, 0x62, 0x72, 0x00,
};

static const unsigned char unix_listen_msg[] __attribute__((aligned(4))) = {
	0x48, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x35, 0x1b, 0x00, 0x00, 0x01, 0x01, 0x0a, 0x00, 0xca, 0xaf, 0x01, 0x00,
	0xc8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
	0x00, 0x73, 0x6b, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x0c, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x06, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* A writable copy, so cases can corrupt it. */
static struct nlmsghdr *
copy_msg(const unsigned char *msg, size_t len)
{
	struct nlmsghdr *nlh = malloc(len);

	ck_assert_ptr_nonnull(nlh);
	memcpy(nlh, msg, len);
	return nlh;
}

START_TEST(parse_reads_tcp_listener_from_captured_reply)
{
	struct sk_sock *s = calloc(1, sizeof(*s));
	struct sk_err e;
	char a[INET_ADDRSTRLEN];

	ck_assert_int_eq(sk_sockdiag_parse((const struct nlmsghdr *)tcp_listen_msg,
	    SK_SD_TCP, s, &e), 0);
	ck_assert_int_eq(s->family, AF_INET);
	ck_assert_int_eq(s->state, SK_SS_LISTEN);
	ck_assert_str_eq(sk_sock_state_str(s->state), "LISTEN");
	ck_assert_str_eq(sk_sock_netid(s), "tcp");
	ck_assert_str_eq(inet_ntop(AF_INET, s->src, a, sizeof(a)), "127.0.0.1");
	ck_assert_int_eq(s->sport, 4343);
	ck_assert_int_eq(s->dport, 0);
	/* A listener's Send-Q is its backlog, as ss shows it. */
	ck_assert_uint_eq(s->wqueue, 7);
	ck_assert_uint_ne(s->inode, 0);
	ck_assert(s->have & SK_SD_EXT_INFO);
	ck_assert(s->have & SK_SD_EXT_MEM);
	ck_assert_uint_gt(s->tcpi_len, 100);
	ck_assert_int_eq(s->tcpi.state, SK_SS_LISTEN);
	ck_assert_str_ne(s->cong, "");
	ck_assert_uint_gt(s->mem.rcvbuf, 0);
	free(s);
}
END_TEST

START_TEST(parse_reads_abstract_unix_listener_from_captured_reply)
{
	struct sk_sock *s = calloc(1, sizeof(*s));
	struct sk_err e;

	ck_assert_int_eq(sk_sockdiag_parse((const struct nlmsghdr *)unix_listen_msg,
	    SK_SD_UNIX, s, &e), 0);
	ck_assert_int_eq(s->family, AF_UNIX);
	ck_assert_int_eq(s->type, SOCK_STREAM);
	ck_assert_str_eq(sk_sock_netid(s), "u_str");
	ck_assert_int_eq(s->state, SK_SS_LISTEN);
	ck_assert_str_eq(s->path, "@sk-test");
	ck_assert_uint_eq(s->wqueue, 3);
	ck_assert_uint_eq(s->peer_inode, 0);
	ck_assert_uint_ne(s->inode, 0);
	free(s);
}
END_TEST

/* Cut the message inside its last attribute: the length fields now
 * disagree, and the parser must say so instead of stopping quietly. */
START_TEST(parse_rejects_truncated_attribute)
{
	struct nlmsghdr *nlh = copy_msg(tcp_listen_msg, sizeof(tcp_listen_msg));
	struct sk_sock *s = calloc(1, sizeof(*s));
	struct sk_err e;

	struct nlattr *at;
	size_t off = NLMSG_HDRLEN + 72;	/* header + struct inet_diag_msg */

	/* End the message 8 bytes into tcp_info (INET_DIAG_INFO, 2). */
	for (;;) {
		at = (struct nlattr *)((char *)nlh + off);
		ck_assert_uint_lt(off, sizeof(tcp_listen_msg));
		if (at->nla_type == 2)
			break;
		off += NLA_ALIGN(at->nla_len);
	}
	nlh->nlmsg_len = off + 12;
	ck_assert_int_eq(sk_sockdiag_parse(nlh, SK_SD_TCP, s, &e), -1);
	ck_assert_int_eq(e.code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.msg, "truncated"));
	free(nlh);
	free(s);
}
END_TEST

START_TEST(parse_rejects_message_shorter_than_its_header)
{
	struct nlmsghdr *nlh = copy_msg(tcp_listen_msg, sizeof(tcp_listen_msg));
	struct sk_sock *s = calloc(1, sizeof(*s));
	struct sk_err e;

	nlh->nlmsg_len = NLMSG_HDRLEN + 8;
	ck_assert_int_eq(sk_sockdiag_parse(nlh, SK_SD_TCP, s, &e), -1);
	ck_assert_int_eq(e.code, EBADMSG);
	free(nlh);
	free(s);
}
END_TEST

/* An attribute whose length is below its type's fixed size (a u32 peer
 * inode of 2 bytes) is refused, not read past. */
START_TEST(parse_rejects_attribute_shorter_than_its_type)
{
	struct {
		struct nlmsghdr h;
		unsigned char body[64];
	} m;
	struct sk_sock *s = calloc(1, sizeof(*s));
	struct sk_err e;
	unsigned char *p = m.body;

	memset(&m, 0, sizeof(m));
	p[0] = AF_UNIX;			/* unix_diag_msg: 16 bytes */
	p[1] = SOCK_STREAM;
	p[2] = SK_SS_ESTABLISHED;
	p[16] = 6;			/* nla_len: header + 2 bytes */
	p[18] = 2;			/* UNIX_DIAG_PEER */
	m.h.nlmsg_len = NLMSG_HDRLEN + 16 + 8;
	ck_assert_int_eq(sk_sockdiag_parse(&m.h, SK_SD_UNIX, s, &e), -1);
	ck_assert_int_eq(e.code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.msg, "short attribute"));
	free(s);
}
END_TEST

/* ---- /proc fallback ------------------------------------------------------------ */

static char procroot[64];

static void
put_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/net/%s", procroot, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
proc_setup(void)
{
	char path[128];

	snprintf(procroot, sizeof(procroot), "/tmp/sk-procnet.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(procroot));
	snprintf(path, sizeof(path), "%s/net", procroot);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

static void
proc_teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", procroot);
	ck_assert_int_eq(system(cmd), 0);
}

struct seen {
	int n;
	char line[8][160];
};

static int
record(const struct sk_sock *s, void *arg)
{
	struct seen *sn = arg;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (sn->n == 8)
		return 1;
	if (s->family == AF_UNIX)
		snprintf(sn->line[sn->n++], 160, "%s %s %s %llu",
		    sk_sock_netid(s), sk_sock_state_str(s->state), s->path,
		    (unsigned long long)s->inode);
	else
		snprintf(sn->line[sn->n++], 160, "%s %s %s:%u %s:%u q=%u/%u ino=%llu",
		    sk_sock_netid(s), sk_sock_state_str(s->state),
		    inet_ntop(s->family, s->src, a, sizeof(a)), s->sport,
		    inet_ntop(s->family, s->dst, b, sizeof(b)), s->dport,
		    s->rqueue, s->wqueue, (unsigned long long)s->inode);
	return 0;
}

static const char proc_tcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:10E7 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n"
    "   1: 020012C6:0016 010012C6:C350 01 00000010:00000000 02:00000BB8 00000000  1000        0 4243 1 0 20 4 30 10 -1\n";
static const char proc_tcp6[] =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:10E7 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4244 1 0 100 0 0 10 0\n";
static const char proc_unix[] =
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 5001 @sk-test\n"
    "0000000000000000: 00000003 00000000 00000000 0002 03 5002 /run/a b\n";

START_TEST(procnet_reads_tables_like_netlink)
{
	struct sk_sockdiag_req req = { .protos = SK_SD_TCP | SK_SD_UNIX };
	struct seen sn = { 0 };
	struct sk_err e;

	put_file("tcp", proc_tcp);
	put_file("tcp6", proc_tcp6);
	put_file("unix", proc_unix);
	req.procroot = procroot;
	ck_assert_int_eq(sk_procnet_dump(&req, record, &sn, &e), 0);
	ck_assert_int_eq(sn.n, 5);
	ck_assert_str_eq(sn.line[0], "tcp LISTEN 127.0.0.1:4327 0.0.0.0:0 q=2/0 ino=4242");
	ck_assert_str_eq(sn.line[1], "tcp ESTAB 198.18.0.2:22 198.18.0.1:50000 q=0/16 ino=4243");
	ck_assert_str_eq(sn.line[2], "tcp LISTEN ::1:4327 :::0 q=0/0 ino=4244");
	ck_assert_str_eq(sn.line[3], "u_str LISTEN @sk-test 5001");
	ck_assert_str_eq(sn.line[4], "u_dgr ESTAB /run/a b 5002");
}
END_TEST

START_TEST(procnet_filters_states_and_families)
{
	struct sk_sockdiag_req req = { .protos = SK_SD_TCP,
	    .states = SK_SS_BIT(SK_SS_LISTEN), .family = AF_INET6 };
	struct seen sn = { 0 };
	struct sk_err e;

	put_file("tcp", proc_tcp);
	put_file("tcp6", proc_tcp6);
	req.procroot = procroot;
	ck_assert_int_eq(sk_procnet_dump(&req, record, &sn, &e), 0);
	ck_assert_int_eq(sn.n, 1);
	ck_assert_str_eq(sn.line[0], "tcp LISTEN ::1:4327 :::0 q=0/0 ino=4244");
}
END_TEST

START_TEST(procnet_names_file_and_line_of_malformed_row)
{
	struct sk_sockdiag_req req = { .protos = SK_SD_TCP };
	struct seen sn = { 0 };
	struct sk_err e;

	put_file("tcp", "header\n   0: 0100007F:10E7 junk\n");
	req.procroot = procroot;
	ck_assert_int_eq(sk_procnet_dump(&req, record, &sn, &e), -1);
	ck_assert_int_eq(e.code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.msg, "net/tcp line 2: malformed"));
}
END_TEST

/* The live kernel path: a listener this test opens shows up. */
static int
find_port(const struct sk_sock *s, void *arg)
{
	int *port = arg;

	if (s->state == SK_SS_LISTEN && s->sport == *port) {
		*port = -1;
		return 1;
	}
	return 0;
}

START_TEST(dump_finds_own_loopback_listener)
{
	struct sk_sockdiag_req req = { .protos = SK_SD_TCP,
	    .states = SK_SS_BIT(SK_SS_LISTEN) };
	struct sk_err e;
	int port, fd = ut_listener(AF_INET6, &port);

	ck_assert_int_ge(fd, 0);
	if (sk_sockdiag_dump(&req, find_port, &port, &e) < 0)
		ck_abort_msg("dump: %s", e.msg);
	ck_assert_int_eq(port, -1);
	close(fd);
}
END_TEST

/* Two listeners; bytecode "local port == first" lets only the first
 * through, and a condition that never holds is reported as such. */
struct ports {
	int want, other, seen_want, seen_other;
};

static int
count_ports(const struct sk_sock *s, void *arg)
{
	struct ports *p = arg;

	p->seen_want += s->sport == p->want;
	p->seen_other += s->sport == p->other;
	return 0;
}

START_TEST(bytecode_lets_the_kernel_drop_other_ports)
{
	struct sk_sockdiag_req req = { .protos = SK_SD_TCP,
	    .states = SK_SS_BIT(SK_SS_LISTEN) };
	struct sk_sockdiag_bc bc;
	struct ports p = { 0 };
	struct sk_err e;
	int fa = ut_listener(AF_INET, &p.want);
	int fb = ut_listener(AF_INET6, &p.other);

	sk_sockdiag_bc_init(&bc);
	ck_assert_int_eq(sk_sockdiag_bc_port(&bc, 0, SK_BC_GE, p.want, &e), 0);
	ck_assert_int_eq(sk_sockdiag_bc_port(&bc, 0, SK_BC_LE, p.want, &e), 0);
	ck_assert_int_eq(sk_sockdiag_bc_port(&bc, 1, SK_BC_EQ, 0, &e), 0);
	ck_assert_uint_eq(bc.len, 24);
	req.bc = &bc;
	if (sk_sockdiag_dump(&req, count_ports, &p, &e) < 0)
		ck_abort_msg("dump: %s", e.msg);
	ck_assert_int_eq(p.seen_want, 1);
	ck_assert_int_eq(p.seen_other, 0);
	ck_assert_int_eq(sk_sockdiag_bc_port(&bc, 0, SK_BC_GT, 65535, &e), 1);
	ck_assert_int_eq(sk_sockdiag_bc_port(&bc, 0, SK_BC_LT, 0, &e), 1);
	close(fa);
	close(fb);
}
END_TEST

/* Exact lookups: the sockets asked for come back in the order asked,
 * with tcp_info when asked for it; one whose cookie no longer matches
 * and one that does not exist are skipped. */
static in_port_t
port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return a.sin_port;
}

struct found {
	uint16_t ports[2];	/* only sockets on these (host order) count */
	struct sk_sockid ids[4];
	int nids;
	uint64_t cookies[4];
	int states[4], info[4], n;
};

static int
collect_ids(const struct sk_sock *s, void *arg)
{
	struct found *f = arg;
	int k, ours = 0;

	/* The host may hold other TCP sockets: count the test's own. */
	for (k = 0; k < 2; k++)
		if (f->ports[k] && (s->sport == f->ports[k] ||
		    s->dport == f->ports[k]))
			ours = 1;
	if (ours && f->nids < 4)
		sk_sockid_of(s, &f->ids[f->nids++]);
	return 0;
}

static int
record_found(const struct sk_sock *s, void *arg)
{
	struct found *f = arg;

	ck_assert_int_lt(f->n, 4);
	f->cookies[f->n] = s->cookie;
	f->states[f->n] = s->state;
	f->info[f->n++] = s->tcpi_len > 0;
	return 0;
}

START_TEST(lookup_finds_sockets_by_exact_id)
{
	struct sk_sockdiag_req req = { .protos = SK_SD_TCP, .family = AF_INET,
	    .states = SK_SS_BIT(SK_SS_LISTEN) | SK_SS_BIT(SK_SS_ESTABLISHED) };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sk_sockid ids[4], bad;
	struct found f;
	struct sk_err e;
	int port, lfd = ut_listener(AF_INET, &port), cfd, afd;

	ck_assert_int_ge(lfd, 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	memset(&f, 0, sizeof(f));
	f.ports[0] = (uint16_t)port;
	if (sk_sockdiag_dump(&req, collect_ids, &f, &e) < 0)
		ck_abort_msg("dump: %s", e.msg);
	ck_assert_int_eq(f.nids, 3);
	/* The listening table is dumped first: then two connected. */
	ck_assert(f.ids[0].dport == 0 && f.ids[1].dport != 0 &&
	    f.ids[2].dport != 0);
	ids[0] = f.ids[2];
	ids[1] = f.ids[1];
	ids[1].cookie ^= 0x10000;	/* another socket's now */
	ids[2] = f.ids[0];
	ids[3] = f.ids[2];
	ids[3].sport ^= 1;		/* nobody's */
	f.n = 0;
	if (sk_sockdiag_lookup(ids, 4, SK_SD_EXT_INFO, record_found, &f, &e) < 0)
		ck_abort_msg("lookup: %s", e.msg);
	ck_assert_int_eq(f.n, 2);
	ck_assert(f.cookies[0] == f.ids[2].cookie && f.info[0]);
	ck_assert(f.cookies[1] == f.ids[0].cookie && f.info[1]);
	ck_assert_int_eq(f.states[0], SK_SS_ESTABLISHED);
	ck_assert_int_eq(f.states[1], SK_SS_LISTEN);
	/* Without extensions asked for, no tcp_info. */
	f.n = 0;
	ck_assert_int_eq(sk_sockdiag_lookup(ids, 1, 0, record_found, &f, &e), 0);
	ck_assert(f.n == 1 && !f.info[0]);
	/* Listeners of one SO_REUSEPORT group share their addresses; each
	 * is found all the same. */
	{
		int one = 1, rp[2], k;
		struct sockaddr_in la = sa;
		socklen_t len = sizeof(la);

		for (k = 0; k < 2; k++) {
			rp[k] = socket(AF_INET, SOCK_STREAM, 0);
			ck_assert_int_eq(setsockopt(rp[k], SOL_SOCKET,
			    SO_REUSEPORT, &one, sizeof(one)), 0);
			if (k == 1)
				la.sin_port = port_of(rp[0]);
			else
				la.sin_port = 0;
			ck_assert_int_eq(bind(rp[k], (struct sockaddr *)&la,
			    len), 0);
			ck_assert_int_eq(listen(rp[k], 4), 0);
		}
		req.states = SK_SS_BIT(SK_SS_LISTEN);
		memset(&f, 0, sizeof(f));
		f.ports[0] = (uint16_t)port;
		f.ports[1] = ntohs(port_of(rp[0]));
		if (sk_sockdiag_dump(&req, collect_ids, &f, &e) < 0)
			ck_abort_msg("dump: %s", e.msg);
		ck_assert_int_eq(f.nids, 3);
		f.n = 0;
		if (sk_sockdiag_lookup(f.ids, 3, SK_SD_EXT_INFO, record_found,
		    &f, &e) < 0)
			ck_abort_msg("lookup: %s", e.msg);
		ck_assert_int_eq(f.n, 3);
		for (k = 0; k < 3; k++)
			ck_assert(f.info[k] && f.states[k] == SK_SS_LISTEN);
		close(rp[0]);
		close(rp[1]);
	}
	bad = ids[0];
	bad.family = AF_UNIX;
	ck_assert_int_eq(sk_sockdiag_lookup(&bad, 1, 0, record_found, &f, &e), -1);
	ck_assert_int_eq(e.code, EINVAL);
	close(afd);
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(bytecode_rejects_jumps_past_the_end_and_overflow)
{
	struct sk_sockdiag_bc bc;
	struct sk_err e;
	unsigned short no;
	int i;

	sk_sockdiag_bc_init(&bc);
	for (i = 0; i < SK_SOCKDIAG_BC_MAX / 8; i++)
		ck_assert_int_eq(sk_sockdiag_bc_port(&bc, 0, SK_BC_EQ, 22, &e), 0);
	ck_assert_int_eq(sk_sockdiag_bc_port(&bc, 0, SK_BC_EQ, 22, &e), -1);
	ck_assert_int_eq(e.code, ENOSPC);
	/* Each condition's failure jump lands 4 bytes past the end. */
	for (i = 0; i < SK_SOCKDIAG_BC_MAX / 8; i++) {
		memcpy(&no, bc.code + 8 * i + 2, sizeof(no));
		ck_assert_uint_eq(no, SK_SOCKDIAG_BC_MAX - 8 * i + 4);
	}
}
END_TEST

Suite *
sockdiag_suite(void)
{
	Suite *s = suite_create("sockdiag");
	TCase *tc = tcase_create("parse");
	TCase *tp = tcase_create("procnet");

	tcase_add_test(tc, parse_reads_tcp_listener_from_captured_reply);
	tcase_add_test(tc, parse_reads_abstract_unix_listener_from_captured_reply);
	tcase_add_test(tc, parse_rejects_truncated_attribute);
	tcase_add_test(tc, parse_rejects_message_shorter_than_its_header);
	tcase_add_test(tc, parse_rejects_attribute_shorter_than_its_type);
	tcase_add_test(tc, dump_finds_own_loopback_listener);
	tcase_add_test(tc, bytecode_lets_the_kernel_drop_other_ports);
	tcase_add_test(tc, bytecode_rejects_jumps_past_the_end_and_overflow);
	tcase_add_test(tc, lookup_finds_sockets_by_exact_id);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tp, proc_setup, proc_teardown);
	tcase_add_test(tp, procnet_reads_tables_like_netlink);
	tcase_add_test(tp, procnet_filters_states_and_families);
	tcase_add_test(tp, procnet_names_file_and_line_of_malformed_row);
	suite_add_tcase(s, tp);
	return s;
}
