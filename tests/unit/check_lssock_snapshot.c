#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/json.h"
#include "lssock/lssock.h"
#include "unit.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

/* Sockets of every kind lssock -j writes, with the extras that --diff
 * must skip (tcp_info, timers, skmem) switched on. */
static void
mksock(int i, struct sk_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->v6only = -1;
	s->rqueue = 3;
	s->wqueue = 4000000000u;
	s->inode = 1000 + (uint64_t)i;
	s->have = SK_SD_EXT_UID | SK_SD_EXT_TIMER | SK_SD_EXT_MEM;
	s->timer = SK_TIMER_ON;
	switch (i) {
	case 0:
		s->proto = SK_SD_TCP;
		s->type = SOCK_STREAM;
		s->family = AF_INET;
		s->state = SK_SS_ESTABLISHED;
		inet_pton(AF_INET, "198.18.0.2", s->src);
		inet_pton(AF_INET, "198.18.0.1", s->dst);
		s->sport = 43;
		s->dport = 50000;
		s->tcpi_len = sizeof(s->tcpi);
		s->tcpi.rtt = 1234;
		strcpy(s->cong, "cubic");
		break;
	case 1:
		s->proto = SK_SD_TCP;
		s->type = SOCK_STREAM;
		s->family = AF_INET6;
		s->state = SK_SS_LISTEN;
		s->v6only = 1;
		inet_pton(AF_INET6, "2001:2::1", s->src);
		s->sport = 4301;
		break;
	case 2:
		s->proto = SK_SD_UDP;
		s->type = SOCK_DGRAM;
		s->family = AF_INET6;
		s->state = SK_SS_CLOSE;
		s->v6only = 0;
		s->sport = 53;
		break;
	case 3:
		s->proto = SK_SD_RAW;
		s->type = SOCK_RAW;
		s->family = AF_INET;
		s->state = SK_SS_CLOSE;
		s->protocol = 255;
		break;
	case 4:
		s->proto = SK_SD_UNIX;
		s->type = SOCK_SEQPACKET;
		s->family = AF_UNIX;
		s->state = SK_SS_LISTEN;
		strcpy(s->path, "/run/s\xc3\xa9 \"q\"\\\t.sock");
		break;
	case 5:
		s->proto = SK_SD_UNIX;
		s->type = SOCK_DGRAM;
		s->family = AF_UNIX;
		s->state = SK_SS_ESTABLISHED;
		s->peer_inode = 77;
		break;
	}
}

/* What ls_json_sock writes, ls_snap_parse reads back. */
START_TEST(snapshot_reads_back_what_json_output_writes)
{
	struct ls_opts o;
	struct sk_sock in, out;
	struct sk_json j;
	char *buf = NULL, netns[64], err[256];
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);

	memset(&o, 0, sizeof(o));
	o.info = o.memory = o.timers = o.extended = 1;
	mksock(_i, &in);
	sk_json_init(&j, f);
	ls_json_sock(&j, &o, &in, NULL, _i == 2 ? "net:[4026531840]" : NULL);
	fclose(f);
	n = strlen(buf);
	ck_assert_msg(n > 0 && buf[n - 1] == '\n', "case %d", _i);
	ck_assert_msg(ls_snap_parse(buf, n - 1, &out, netns, sizeof(netns),
	    err, sizeof(err)) == 0, "case %d: %s: %s", _i, err, buf);
	ck_assert_str_eq(netns, _i == 2 ? "net:[4026531840]" : "");
	ck_assert_int_eq(out.proto, in.proto);
	ck_assert_int_eq(out.family, in.family);
	ck_assert_int_eq(out.state, in.state);
	ck_assert_uint_eq(out.rqueue, in.rqueue);
	ck_assert_uint_eq(out.wqueue, in.wqueue);
	ck_assert(out.inode == in.inode);
	if (in.family == AF_UNIX) {
		ck_assert_int_eq(out.type, in.type);
		ck_assert_str_eq(out.path, in.path);
		ck_assert(out.peer_inode == in.peer_inode);
	} else {
		ck_assert_msg(memcmp(out.src, in.src, 16) == 0, "case %d", _i);
		ck_assert_msg(memcmp(out.dst, in.dst, 16) == 0, "case %d", _i);
		ck_assert_uint_eq(out.sport, in.sport);
		ck_assert_uint_eq(out.dport, in.dport);
		ck_assert_int_eq(out.protocol, in.protocol);
		ck_assert_int_eq(out.v6only, in.v6only);
	}
	free(buf);
}
END_TEST

#define OK4 "\"schema\":\"sockkit.lssock/1\",\"netid\":\"tcp\"," \
	"\"family\":\"inet\",\"state\":\"LISTEN\",\"local_addr\":\"0.0.0.0\"," \
	"\"local_port\":22,\"peer_addr\":\"0.0.0.0\",\"peer_port\":0"

/* Lines that must be refused, and a word of the reason. */
static const struct {
	const char *line;
	const char *why;
} bad[] = {
	{ "", "expected '{'" },
	{ "[]", "expected '{'" },
	{ "{" OK4, "expected '}'" },
	{ "{" OK4 "} {}", "text after the object" },
	{ "{" OK4 ",}", "expected '\"'" },
	{ "{\"schema\":\"sockkit.resolve/1\"}", "schema" },
	{ "{\"netid\":\"tcp\"}", "missing \"schema\"" },
	{ "{" OK4 ",\"netid\":\"sctp\"}", "unknown netid" },
	{ "{" OK4 ",\"state\":\"ESTABLISHED\"}", "unknown state" },
	{ "{" OK4 ",\"family\":\"unix\"}", "netid tcp with family unix" },
	{ "{" OK4 ",\"local_port\":65536}", "local_port: not an integer" },
	{ "{" OK4 ",\"local_port\":-1}", "local_port: not an integer" },
	{ "{" OK4 ",\"local_port\":2.5}", "local_port: not an integer" },
	{ "{" OK4 ",\"local_port\":\"22\"}", "local_port: not an integer" },
	{ "{" OK4 ",\"inode\":18446744073709551616}", "inode: not an integer" },
	{ "{" OK4 ",\"local_port\":022}", "leading zero" },
	{ "{" OK4 ",\"local_addr\":\"::1\"}", "not an IPv4 address" },
	{ "{" OK4 ",\"local_addr\":\"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.0.0.0.0.0\"}", "longer than" },
	{ "{" OK4 ",\"x\":\"a\x01\"}", "control character" },
	{ "{" OK4 ",\"x\":\"\\x\"}", "bad escape" },
	{ "{" OK4 ",\"x\":\"\\ud800\"}", "lone high surrogate" },
	{ "{" OK4 ",\"x\":\"\\udc00\"}", "lone low surrogate" },
	{ "{" OK4 ",\"x\":\"\\u00zz\"}", "bad \\u escape" },
	{ "{" OK4 ",\"local_addr\":\"\\u0000\"}", "\\u0000" },
	{ "{" OK4 ",\"x\":\"abc", "unterminated string" },
	{ "{" OK4 ",\"x\":tru}", "unexpected character" },
	{ "{" OK4 ",\"x\":[1,2}", "expected ']'" },
	{ "{" OK4 ",\"x\":-}", "bad number" },
	{ "{" OK4 ",\"x\":1.}", "bad fraction" },
	{ "{" OK4 ",\"x\":1e}", "bad exponent" },
	{ "{" OK4 ",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]]}", "nested deeper" },
	{ "{\"schema\":\"sockkit.lssock/1\",\"netid\":\"tcp\",\"family\":\"inet\","
	    "\"state\":\"LISTEN\"}", "inet socket without \"local_addr\"" },
	{ "{\"schema\":\"sockkit.lssock/1\",\"netid\":\"u_str\",\"family\":"
	    "\"unix\",\"state\":\"LISTEN\",\"inode\":1,\"peer_inode\":0}",
	    "UNIX socket without \"local_path\"" },
	{ "{" OK4 ",\"v6only\":1}", "unexpected character" },
};

START_TEST(snapshot_refuses_malformed_lines_and_says_where)
{
	struct sk_sock s;
	char netns[64], err[256];

	err[0] = '\0';
	ck_assert_msg(ls_snap_parse(bad[_i].line, strlen(bad[_i].line), &s,
	    netns, sizeof(netns), err, sizeof(err)) == -1, "case %d parsed",
	    _i);
	ck_assert_msg(strncmp(err, "column ", 7) == 0 &&
	    strstr(err, bad[_i].why) != NULL, "case %d: \"%s\" lacks \"%s\"",
	    _i, err, bad[_i].why);
}
END_TEST

/* Fields from later versions are skipped, whatever their shape. */
START_TEST(snapshot_skips_fields_it_does_not_know)
{
	static const char line[] = "{ \"future\" : {\"a\":[1,-2.5e+3,true,false,"
	    "null,\"\\ud83d\\ude00\",{}]}, \"a_key_much_longer_than_any_key_lssock"
	    "_writes_today\":\"v\"," OK4 ",\"owners\":[] }";
	struct sk_sock s;
	char netns[64], err[256];

	ck_assert_msg(ls_snap_parse(line, strlen(line), &s, netns,
	    sizeof(netns), err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(s.sport, 22);
	ck_assert_int_eq(s.state, SK_SS_LISTEN);
}
END_TEST

Suite *
lssock_snapshot_suite(void)
{
	Suite *s = suite_create("lssock_snapshot");
	TCase *tc = tcase_create("snapshot");

	tcase_add_loop_test(tc, snapshot_reads_back_what_json_output_writes, 0, 6);
	tcase_add_loop_test(tc, snapshot_refuses_malformed_lines_and_says_where,
	    0, NELEM(bad));
	tcase_add_test(tc, snapshot_skips_fields_it_does_not_know);
	suite_add_tcase(s, tc);
	return s;
}
