#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/err.h"
#include "lssock/lssock.h"
#include "lssock/watch.h"
#include "unit.h"

static void
tcp(struct sk_sock *s, uint64_t cookie, uint64_t acked, uint64_t received)
{
	memset(s, 0, sizeof(*s));
	s->proto = SK_SD_TCP;
	s->family = AF_INET;
	s->type = SOCK_STREAM;
	s->state = SK_SS_ESTABLISHED;
	s->src[0] = 127;
	s->src[3] = 1;
	s->dst[0] = 127;
	s->dst[3] = 1;
	s->sport = (uint16_t)(1000 + cookie);
	s->dport = 4301;
	s->cookie = cookie;
	if (acked != UINT64_MAX) {
		s->tcpi_len = sizeof(s->tcpi);
		s->tcpi.bytes_acked = acked;
		s->tcpi.bytes_received = received;
	}
}

static const struct ls_wrow *
by_cookie(const struct ls_wdata *d, uint64_t cookie)
{
	size_t i;

	for (i = 0; i < ls_wdata_count(d); i++)
		if (ls_wdata_row(d, i)->cookie == cookie)
			return ls_wdata_row(d, i);
	ck_abort_msg("no row with cookie %llu", (unsigned long long)cookie);
	return NULL;
}

/* Rates are byte-counter deltas over the time between two refreshes,
 * for sockets seen in both; "-" (-1) otherwise. */
START_TEST(watch_rates_come_from_counter_deltas_of_the_same_socket)
{
	struct ls_wdata *d = ls_wdata_new();
	struct sk_sock s;

	ls_wdata_begin(d);
	tcp(&s, 1, 1000, 500);
	ls_wdata_add(&s, NULL, d);
	tcp(&s, 2, UINT64_MAX, 0);		/* no tcp_info */
	ls_wdata_add(&s, NULL, d);
	tcp(&s, 4, 9000, 9000);
	ls_wdata_add(&s, NULL, d);
	ck_assert_int_eq(ls_wdata_end(d, 1000), 0);
	ck_assert(by_cookie(d, 1)->tx == -1 && by_cookie(d, 1)->rx == -1);

	ls_wdata_begin(d);
	tcp(&s, 1, 5000, 2500);
	ls_wdata_add(&s, NULL, d);
	tcp(&s, 2, UINT64_MAX, 0);
	ls_wdata_add(&s, NULL, d);
	tcp(&s, 3, 7000, 7000);			/* new since */
	ls_wdata_add(&s, NULL, d);
	tcp(&s, 4, 100, 100);			/* counters went back */
	ls_wdata_add(&s, NULL, d);
	ck_assert_int_eq(ls_wdata_end(d, 3000), 0);
	ck_assert_int_eq(ls_wdata_count(d), 4);
	ck_assert(by_cookie(d, 1)->tx == 2000.0);	/* 4000 B in 2 s */
	ck_assert(by_cookie(d, 1)->rx == 1000.0);
	ck_assert(by_cookie(d, 2)->tx == -1 && !by_cookie(d, 2)->has_info);
	ck_assert(by_cookie(d, 3)->tx == -1 && by_cookie(d, 3)->rx == -1);
	ck_assert(by_cookie(d, 4)->tx == 0 && by_cookie(d, 4)->rx == 0);

	/* Only the refresh just before counts: 1 gone in between. */
	ls_wdata_begin(d);
	ck_assert_int_eq(ls_wdata_end(d, 4000), 0);
	ls_wdata_begin(d);
	tcp(&s, 1, 6000, 2500);
	ls_wdata_add(&s, NULL, d);
	ck_assert_int_eq(ls_wdata_end(d, 5000), 0);
	ck_assert(by_cookie(d, 1)->tx == -1);
	ls_wdata_free(d);
}
END_TEST

#define NROWS 1000

static void
fill(struct ls_wdata *d)
{
	struct sk_sock s;
	unsigned seed = 42;
	int i;

	ls_wdata_begin(d);
	for (i = 0; i < NROWS; i++) {
		tcp(&s, (uint64_t)i + 1, 0, 0);
		/* Few distinct values: ties must fall back to a steady order. */
		s.rqueue = (uint32_t)(rand_r(&seed) % 7);
		s.wqueue = (uint32_t)rand_r(&seed);
		s.tcpi.rtt = (uint32_t)(rand_r(&seed) % 50);
		s.sport = (uint16_t)rand_r(&seed);
		s.state = 1 + rand_r(&seed) % 10;
		ck_assert_int_eq(ls_wdata_add(&s, NULL, d), 0);
	}
	ck_assert_int_eq(ls_wdata_end(d, 1000), 0);
}

/* Sorting only the rows a screen shows puts the same rows first, in the
 * same order, as sorting all of them, whatever the column. */
START_TEST(watch_partial_sort_shows_what_a_full_sort_shows)
{
	static const size_t uptos[] = { 0, 1, 2, 5, 17, 34, 100, 999, 1000, 5000 };
	static uint64_t want[NROWS];
	struct ls_wdata *d = ls_wdata_new();
	int col = _i / 2, rev = _i % 2;
	size_t u, i, k;

	fill(d);
	ls_wdata_sort(d, col, rev, SIZE_MAX);
	ck_assert_uint_eq(ls_wdata_sorted(d), NROWS);
	for (i = 0; i < NROWS; i++)
		want[i] = ls_wdata_row(d, i)->cookie;
	for (u = 0; u < sizeof(uptos) / sizeof(uptos[0]); u++) {
		fill(d);
		ls_wdata_sort(d, col, rev, uptos[u]);
		k = uptos[u] < NROWS ? uptos[u] : NROWS;
		ck_assert_uint_ge(ls_wdata_sorted(d), k);
		for (i = 0; i < k; i++)
			ck_assert_msg(ls_wdata_row(d, i)->cookie == want[i],
			    "column %d%s, first %zu: row %zu differs", col,
			    rev ? " reversed" : "", uptos[u], i);
	}
	ls_wdata_free(d);
}
END_TEST

/* A stand-in for sk_sockdiag_lookup(): every id asked for is written
 * down, and answered with tcp_info whose counters are the cookie times
 * fake_mult, except cookie 13, which is gone. */
static uint64_t fake_asked[64];
static size_t fake_nasked;
static uint64_t fake_mult;

static int
fake_lookup(const struct sk_sockid *ids, size_t n, unsigned ext,
    int (*cb)(const struct sk_sock *, void *), void *arg, struct sk_err *e)
{
	struct sk_sock s;
	size_t i;

	ck_assert_uint_eq(ext, SK_SD_EXT_INFO);
	for (i = 0; i < n; i++) {
		ck_assert_uint_lt(fake_nasked, 64);
		fake_asked[fake_nasked++] = ids[i].cookie;
		ck_assert_int_eq(ids[i].proto, SK_SD_TCP);
		ck_assert_int_eq(ids[i].sport, 1000 + ids[i].cookie);
		ck_assert_int_eq(ids[i].dport, 4301);
		if (ids[i].cookie == 13)
			continue;
		tcp(&s, ids[i].cookie, ids[i].cookie * fake_mult,
		    2 * ids[i].cookie * fake_mult);
		s.tcpi.rtt = 1000 * (uint32_t)ids[i].cookie;
		s.tcpi.snd_cwnd = 10;
		if (cb(&s, arg) != 0)
			break;
	}
	return 0;
}

/* A dump without tcp_info, then 30 rows, cookie 1..30, sorted by local
 * address (= cookie, see tcp()). */
static void
fill_plain(struct ls_wdata *d, int64_t now_ms)
{
	struct sk_sock s;
	uint64_t c;

	ls_wdata_begin(d);
	for (c = 1; c <= 30; c++) {
		tcp(&s, c, UINT64_MAX, 0);
		if (c == 20)
			s.state = SK_SS_TIME_WAIT;	/* no tcp_info to ask */
		ck_assert_int_eq(ls_wdata_add(&s, NULL, d), 0);
	}
	ck_assert_int_eq(ls_wdata_end(d, now_ms), 0);
	ls_wdata_sort(d, LS_W_LOCAL, 0, SIZE_MAX);
}

/* Without tcp_info in the dump, only the rows shown are looked up, each
 * once a refresh; they get rtt and cwnd at once, and rates when they
 * were looked up in the refresh before too. */
START_TEST(watch_fill_asks_for_the_rows_shown_only)
{
	struct ls_wdata *d = ls_wdata_new();
	struct sk_err e;
	size_t i;

	fake_mult = 1000;
	fill_plain(d, 1000);
	for (i = 0; i < 30; i++)
		ck_assert(!ls_wdata_row(d, i)->has_info);
	fake_nasked = 0;
	ck_assert_int_eq(ls_wdata_fill(d, 10, 25, 1000, fake_lookup, &e), 0);
	ck_assert_uint_eq(fake_nasked, 14);	/* 11..25 less TIME-WAIT 20 */
	for (i = 0; i < 30; i++) {
		const struct ls_wrow *r = ls_wdata_row(d, i);
		int shown = i >= 10 && i < 25 && r->cookie != 13 &&
		    r->cookie != 20;

		ck_assert_uint_eq(r->cookie, i + 1);
		ck_assert_int_eq(r->has_info, shown);
		if (shown)
			ck_assert_uint_eq(r->rtt_us, 1000 * r->cookie);
		ck_assert(r->tx == -1 && r->rx == -1);	/* first sight */
	}
	/* Drawn again (a key, a resize): nothing asked twice. */
	fake_nasked = 0;
	ck_assert_int_eq(ls_wdata_fill(d, 5, 25, 1000, fake_lookup, &e), 0);
	ck_assert_uint_eq(fake_nasked, 5);		/* 6..10 */

	/* The next refresh, scrolled down by 3, 2 s later, counters up by
	 * half: rows shown both times have rates, 26..28 not yet. */
	fake_mult = 1500;
	fill_plain(d, 3000);
	fake_nasked = 0;
	ck_assert_int_eq(ls_wdata_fill(d, 13, 28, 3000, fake_lookup, &e), 0);
	ck_assert_uint_eq(fake_nasked, 14);
	for (i = 13; i < 28; i++) {
		const struct ls_wrow *r = ls_wdata_row(d, i);

		if (r->cookie == 13 || r->cookie == 20)
			ck_assert(r->tx == -1 && !r->has_info);
		else if (r->cookie > 25)
			ck_assert(r->tx == -1 && r->rx == -1 && r->has_info);
		else {
			/* 500 * cookie bytes in 2 s */
			ck_assert(r->tx == 250.0 * (double)r->cookie);
			ck_assert(r->rx == 500.0 * (double)r->cookie);
		}
	}
	ls_wdata_free(d);
}
END_TEST

Suite *
lssock_watch_suite(void)
{
	Suite *s = suite_create("lssock_watch");
	TCase *tc = tcase_create("watch");

	tcase_add_test(tc, watch_rates_come_from_counter_deltas_of_the_same_socket);
	tcase_add_test(tc, watch_fill_asks_for_the_rows_shown_only);
	tcase_add_loop_test(tc, watch_partial_sort_shows_what_a_full_sort_shows,
	    0, 2 * LS_W_NCOLS);
	suite_add_tcase(s, tc);
	return s;
}
