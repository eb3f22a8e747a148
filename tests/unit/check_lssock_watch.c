#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

Suite *
lssock_watch_suite(void)
{
	Suite *s = suite_create("lssock_watch");
	TCase *tc = tcase_create("watch");

	tcase_add_test(tc, watch_rates_come_from_counter_deltas_of_the_same_socket);
	tcase_add_loop_test(tc, watch_partial_sort_shows_what_a_full_sort_shows,
	    0, 2 * LS_W_NCOLS);
	suite_add_tcase(s, tc);
	return s;
}
