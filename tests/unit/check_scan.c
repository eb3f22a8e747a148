#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/scan.h"
#include "unit.h"

/* ---- permutation and plans --------------------------------------------------- */

static const uint64_t perm_sizes[] = { 1, 2, 3, 7, 100, 1000, 4097, 65535 };

START_TEST(perm_is_a_bijection_of_every_size)
{
	uint64_t n = perm_sizes[_i], i, j, moved = 0;
	unsigned char *seen = calloc(n, 1);
	struct sk_perm p;

	ck_assert_ptr_nonnull(seen);
	sk_perm_init(&p, n, 42);
	for (i = 0; i < n; i++) {
		j = sk_perm_at(&p, i);
		ck_assert_msg(j < n, "case %d: %llu -> %llu out of range", _i,
		    (unsigned long long)i, (unsigned long long)j);
		ck_assert_msg(!seen[j], "case %d: %llu hit twice", _i,
		    (unsigned long long)j);
		seen[j] = 1;
		moved += j != i;
	}
	/* Not the identity: a scan must not walk ports in order. */
	if (n >= 100)
		ck_assert_msg(moved > n / 2, "case %d: only %llu moved", _i,
		    (unsigned long long)moved);
	free(seen);
}
END_TEST

START_TEST(perm_order_follows_the_seed)
{
	struct sk_perm a, b, c;
	int i, differ = 0;

	sk_perm_init(&a, 65535, 1);
	sk_perm_init(&b, 65535, 1);
	sk_perm_init(&c, 65535, 2);
	for (i = 0; i < 100; i++) {
		ck_assert_uint_eq(sk_perm_at(&a, i), sk_perm_at(&b, i));
		differ += sk_perm_at(&a, i) != sk_perm_at(&c, i);
	}
	ck_assert_int_gt(differ, 90);
}
END_TEST

static void
targets(struct sk_targets *t, const char *spec)
{
	struct sk_err e;

	sk_targets_init(t, AF_UNSPEC);
	ck_assert_msg(sk_targets_add(t, spec, 0, SK_NEVER, &e) == 0, "%s: %s",
	    spec, e.msg);
}

START_TEST(shards_cover_every_probe_once)
{
	static struct sk_portset ps;
	struct sk_targets t;
	struct sk_plan p;
	struct sk_err e;
	uint64_t host, total, n, count;
	unsigned char *seen;
	unsigned port, s;
	int proto;

	targets(&t, "198.18.0.1-20");
	ck_assert_int_eq(sk_portset_parse(&ps, "1-100,T:443,U:53,123", 0, &e), 103);
	total = 20 * 103;
	seen = calloc(total, 1);
	for (s = 0; s < 3; s++) {
		ck_assert_int_eq(sk_plan_init(&p, &t, &ps, 1 << SK_PROTO_TCP |
		    1 << SK_PROTO_UDP, 7, s, 3, &e), 0);
		ck_assert_uint_eq(p.total, total);
		count = sk_plan_count(&p, s, 3);
		n = 0;
		while (sk_plan_next(&p, &host, &proto, &port)) {
			uint64_t k = host * 103;
			unsigned i;

			ck_assert_uint_lt(host, 20);
			ck_assert(sk_portset_has(&ps, proto, port));
			/* Index of (proto, port) in the plan's port list. */
			for (i = 0; i < p.nports; i++)
				if (p.ports[i] == ((uint32_t)proto << 16 | port))
					break;
			ck_assert_uint_lt(i, p.nports);
			ck_assert_msg(!seen[k + i], "shard %u repeats a probe", s);
			seen[k + i] = 1;
			n++;
		}
		ck_assert_uint_eq(n, count);
		sk_plan_free(&p);
	}
	for (n = 0; n < total; n++)
		ck_assert_msg(seen[n], "probe %llu in no shard",
		    (unsigned long long)n);
	free(seen);
	sk_targets_free(&t);
}
END_TEST

START_TEST(plan_refuses_a_bad_shard_and_empty_ports)
{
	static struct sk_portset ps;
	struct sk_targets t;
	struct sk_plan p;
	struct sk_err e;

	targets(&t, "198.18.0.1");
	ck_assert_int_eq(sk_portset_parse(&ps, "U:53", 0, &e), 1);
	ck_assert_int_eq(sk_plan_init(&p, &t, &ps, 1 << SK_PROTO_TCP, 0, 0, 1,
	    &e), -1);
	ck_assert_str_eq(e.msg, "no ports to scan");
	ck_assert_int_eq(sk_plan_init(&p, &t, &ps, 1 << SK_PROTO_UDP, 0, 3, 3,
	    &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "shard 3/3"));
	sk_targets_free(&t);
}
END_TEST

/* ---- targets ------------------------------------------------------------------ */

static const struct {
	const char *spec;
	int flags;
	uint64_t count;		/* 0: must fail */
	uint64_t idx;
	const char *addr;	/* address of index idx, or the error */
} tcases[] = {
	{ "198.18.0.1-20", 0, 20, 5, "198.18.0.6" },
	{ "198.18.0.0/24", 0, 256, 255, "198.18.0.255" },
	{ "198.18.0.250-198.18.1.5", 0, 12, 7, "198.18.1.1" },
	{ "2001:2::/120", 0, 256, 16, "2001:2::10" },
	{ "2001:2::/112", 0, 65536, 65535, "2001:2::ffff" },
	{ "198.18.0.0/16", 0, 65536, 0, "198.18.0.0" },
	{ "::1", 0, 1, 0, "::1" },
	{ "198.18.0.0/15", SK_TGT_FORCE, 131072, 65536, "198.19.0.0" },
	{ "198.18.0.0/15", 0, 0, 0, "more than a /16; use --force" },
	{ "2001:2::/111", 0, 0, 0, "more than a /112" },
	{ "198.18.0.300", 0, 0, 0, "target \"198.18.0.300\"" },
	{ "198.18.0.9-3", 0, 0, 0, "first address above last" },
	{ "", 0, 0, 0, "empty" },
};

START_TEST(targets_expand_blocks_and_refuse_large_ones)
{
	struct sockaddr_storage ss;
	char buf[SK_ADDRSTRLEN];
	struct sk_targets t;
	struct sk_err e;
	socklen_t len;
	int rc;

	sk_targets_init(&t, AF_UNSPEC);
	rc = sk_targets_add(&t, tcases[_i].spec, tcases[_i].flags, SK_NEVER, &e);
	if (tcases[_i].count == 0) {
		ck_assert_msg(rc == -1, "case %d: accepted", _i);
		ck_assert_int_eq(e.kind, SK_ERR_INPUT);
		ck_assert_msg(strstr(e.msg, tcases[_i].addr) != NULL,
		    "case %d: message \"%s\"", _i, e.msg);
		return;
	}
	ck_assert_msg(rc == 0, "case %d: %s", _i, e.msg);
	ck_assert_uint_eq(t.total, tcases[_i].count);
	ck_assert_ptr_nonnull(sk_targets_addr(&t, tcases[_i].idx, &ss, &len));
	ck_assert_str_eq(sk_addr_ntop((struct sockaddr *)&ss, buf, sizeof(buf)),
	    tcases[_i].addr);
	ck_assert_ptr_null(sk_targets_addr(&t, t.total, &ss, &len));
	sk_targets_free(&t);
}
END_TEST

START_TEST(targets_index_across_several_specs)
{
	struct sockaddr_storage ss;
	char buf[SK_ADDRSTRLEN];
	const struct sk_target *x;
	struct sk_targets t;
	struct sk_err e;
	socklen_t len;

	sk_targets_init(&t, AF_UNSPEC);
	ck_assert_int_eq(sk_targets_add(&t, "198.18.0.1-3", 0, SK_NEVER, &e), 0);
	ck_assert_int_eq(sk_targets_add(&t, "localhost", 0, SK_NEVER, &e), 0);
	ck_assert_int_eq(sk_targets_add(&t, "2001:2::7", 0, SK_NEVER, &e), 0);
	ck_assert_uint_eq(t.total, 5);
	x = sk_targets_addr(&t, 3, &ss, &len);
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(x->name, "localhost");
	x = sk_targets_addr(&t, 4, &ss, &len);
	ck_assert_str_eq(sk_addr_ntop((struct sockaddr *)&ss, buf, sizeof(buf)),
	    "2001:2::7");
	ck_assert_ptr_null(x->name);
	sk_targets_free(&t);
}
END_TEST

/* ---- RTT and timing ---------------------------------------------------------- */

START_TEST(rtt_timeout_follows_samples_within_the_clamp)
{
	struct sk_rtt r;
	struct sk_scan_timing tm;
	struct sk_err e;
	int i;

	sk_rtt_init(&r);
	ck_assert_int_eq(sk_rtt_timeout(&r, 500000, 100000, 1250000), 500000);
	sk_rtt_sample(&r, 20000);
	ck_assert_int_eq(r.srtt_us, 20000);
	ck_assert_int_eq(r.rttvar_us, 10000);
	ck_assert_int_eq(sk_rtt_timeout(&r, 500000, 10000, 1250000), 60000);
	ck_assert_int_eq(sk_rtt_timeout(&r, 500000, 100000, 1250000), 100000);
	for (i = 0; i < 50; i++)
		sk_rtt_sample(&r, 2000000);
	ck_assert_int_eq(sk_rtt_timeout(&r, 500000, 100000, 1250000), 1250000);
	ck_assert_int_eq(sk_scan_timing_preset(&tm, 4, &e), 0);
	ck_assert_int_eq(tm.max_retries, 6);
	ck_assert_int_eq(tm.max_rtt_us, 1250000);
	ck_assert_int_eq(sk_scan_timing_preset(&tm, 6, &e), -1);
}
END_TEST

/* ---- scans on loopback --------------------------------------------------------- */

struct got {
	int n;
	struct sk_scan_result r[8];
	char reason[8][32];
};

static void
collect(const struct sk_scan_result *r, void *arg)
{
	struct got *g = arg;

	if (g->n < 8) {
		g->r[g->n] = *r;
		snprintf(g->reason[g->n], sizeof(g->reason[0]), "%s", r->reason);
		g->r[g->n].addr = NULL;
		g->n++;
	}
}

static const struct sk_scan_result *
find(const struct got *g, unsigned port, int *k)
{
	for (*k = 0; *k < g->n; (*k)++)
		if (g->r[*k].port == port)
			return &g->r[*k];
	return NULL;
}

START_TEST(scan_tells_open_closed_and_dropped_ports)
{
	static struct sk_portset ps;
	struct sk_scan_opts o;
	struct sk_scan_stats st;
	struct sk_targets t;
	struct sk_err e;
	struct got g;
	const struct sk_scan_result *r;
	char list[64];
	int lfd, open_port, closed, hole, filler, hfd, k;

	lfd = ut_listener(AF_INET, &open_port);
	closed = ut_closed_port();
	hfd = ut_blackhole(&hole, &filler);
	snprintf(list, sizeof(list), "%d,%d,%d", open_port, closed, hole);
	ck_assert_int_eq(sk_portset_parse(&ps, list, SK_PROTO_TCP, &e), 3);
	targets(&t, "127.0.0.1");
	memset(&o, 0, sizeof(o));
	memset(&g, 0, sizeof(g));
	o.protos = 1 << SK_PROTO_TCP;
	ck_assert_int_eq(sk_scan_timing_preset(&o.timing, 4, &e), 0);
	o.timing.initial_rtt_us = o.timing.min_rtt_us = 50000;
	o.timing.max_rtt_us = 50000;
	o.on_result = collect;
	o.arg = &g;
	ck_assert_msg(sk_scan_run(&t, &ps, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(g.n, 3);
	ck_assert_uint_eq(st.probes, 3);

	r = find(&g, (unsigned)open_port, &k);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->state, SK_PORT_OPEN);
	ck_assert_str_eq(g.reason[k], "syn-ack");
	ck_assert_int_ge(r->rtt_us, 0);

	r = find(&g, (unsigned)closed, &k);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->state, SK_PORT_CLOSED);
	ck_assert_str_eq(g.reason[k], "conn-refused");

	/* Silent: probed twice (one resend, nmap's default), no RTT. */
	r = find(&g, (unsigned)hole, &k);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->state, SK_PORT_FILTERED);
	ck_assert_str_eq(g.reason[k], "no-response");
	ck_assert_uint_eq(r->tries, 2);
	ck_assert_int_eq(r->rtt_us, -1);
	ck_assert_uint_eq(st.sent, 4);
	close(lfd);
	close(hfd);
	close(filler);
	sk_targets_free(&t);
}
END_TEST

START_TEST(scan_reads_udp_port_unreachable_as_closed)
{
	static struct sk_portset ps;
	struct sk_scan_opts o;
	struct sk_scan_stats st;
	struct sk_targets t;
	struct sk_err e;
	struct got g;
	char list[16];
	int port = ut_closed_port();

	snprintf(list, sizeof(list), "U:%d", port);
	ck_assert_int_eq(sk_portset_parse(&ps, list, SK_PROTO_TCP, &e), 1);
	targets(&t, "127.0.0.1");
	memset(&o, 0, sizeof(o));
	memset(&g, 0, sizeof(g));
	o.protos = 1 << SK_PROTO_UDP;
	ck_assert_int_eq(sk_scan_timing_preset(&o.timing, 4, &e), 0);
	o.on_result = collect;
	o.arg = &g;
	ck_assert_msg(sk_scan_run(&t, &ps, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.r[0].state, SK_PORT_CLOSED);
	ck_assert_str_eq(g.reason[0], "port-unreach");
	ck_assert_int_eq(g.r[0].icmp_type, 3);
	ck_assert_int_eq(g.r[0].icmp_code, 3);
	sk_targets_free(&t);
}
END_TEST

Suite *
scan_suite(void)
{
	Suite *s = suite_create("scan");
	TCase *tc = tcase_create("plan");

	tcase_add_loop_test(tc, perm_is_a_bijection_of_every_size, 0,
	    sizeof(perm_sizes) / sizeof(perm_sizes[0]));
	tcase_add_test(tc, perm_order_follows_the_seed);
	tcase_add_test(tc, shards_cover_every_probe_once);
	tcase_add_test(tc, plan_refuses_a_bad_shard_and_empty_ports);
	tcase_add_loop_test(tc, targets_expand_blocks_and_refuse_large_ones, 0,
	    sizeof(tcases) / sizeof(tcases[0]));
	tcase_add_test(tc, targets_index_across_several_specs);
	tcase_add_test(tc, rtt_timeout_follows_samples_within_the_clamp);
	suite_add_tcase(s, tc);
	tc = tcase_create("run");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, scan_tells_open_closed_and_dropped_ports);
	tcase_add_test(tc, scan_reads_udp_port_unreachable_as_closed);
	suite_add_tcase(s, tc);
	return s;
}
