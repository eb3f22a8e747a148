#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lssock/lssock.h"
#include "unit.h"

/* What marks become at release: "<i>". */
static void
at_text(struct ls_out *o, size_t i, void *arg)
{
	char b[24];

	(void)arg;
	snprintf(b, sizeof(b), "<%zu>", i);
	ls_out_str(o, b);
}

/*
 * Held output comes back byte for byte with each mark's text where it
 * was set: marks at the start, at and around the 64 KiB buffer's
 * boundaries, several at one place, at the end; rows of odd lengths so
 * buffers fill mid-row.
 */
START_TEST(lssock_out_release_puts_marks_in_place)
{
	static const size_t row[] = { 1, 37, 113, 4000, 65536, 70000 };
	size_t rowlen = row[_i], total = 300000, pos, at[4097], nat = 0, k;
	char *want = malloc(total * 2), *got = NULL, *line = malloc(rowlen);
	size_t wlen = 0, glen = 0;
	struct ls_out *o = malloc(sizeof(*o));
	FILE *f = open_memstream(&got, &glen);
	char b[24];
	int n;

	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(f);
	for (k = 0; k < rowlen; k++)
		line[k] = (char)('a' + k % 26);
	line[rowlen - 1] = '\n';
	ls_out_init(o, f);
	ls_out_str(o, "header\n");		/* before holding: held too */
	memcpy(want, "header\n", 7);
	wlen = 7;
	ls_out_hold(o);
	for (pos = 7; pos < total; pos += rowlen) {
		/* A mark before each row, two at the 64 KiB boundaries. */
		k = pos / 65536 != (pos + rowlen) / 65536 ? 2 : 1;
		while (k-- > 0 && nat < 4096) {
			at[nat] = ls_out_pos(o);
			ck_assert_uint_eq(at[nat], pos);
			n = snprintf(b, sizeof(b), "<%zu>", nat);
			memcpy(want + wlen, b, (size_t)n);
			wlen += (size_t)n;
			nat++;
		}
		ls_out_mem(o, line, rowlen);
		memcpy(want + wlen, line, rowlen);
		wlen += rowlen;
	}
	at[nat] = ls_out_pos(o);	/* one at the very end */
	n = snprintf(b, sizeof(b), "<%zu>", nat);
	memcpy(want + wlen, b, (size_t)n);
	wlen += (size_t)n;
	nat++;
	ck_assert_int_eq(fflush(f), 0);
	ck_assert_uint_eq(glen, 0);		/* nothing written while held */
	ls_out_release(o, at, nat, at_text, NULL);
	ck_assert_int_eq(ls_out_flush(o), 0);
	ck_assert_uint_eq(glen, wlen);
	ck_assert(memcmp(got, want, wlen) == 0);
	fclose(f);
	free(got);
	free(want);
	free(line);
	free(o);
}
END_TEST

START_TEST(lssock_out_drop_writes_nothing)
{
	struct ls_out *o = malloc(sizeof(*o));
	char *got = NULL;
	size_t glen = 0, k;
	FILE *f = open_memstream(&got, &glen);

	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(f);
	ls_out_init(o, f);
	ls_out_hold(o);
	for (k = 0; k < 100000; k++)
		ls_out_str(o, "row row row\n");
	ls_out_drop(o);
	ck_assert_int_eq(ls_out_flush(o), 0);
	ck_assert_uint_eq(glen, 0);
	ls_out_str(o, "after\n");	/* writes again as usual */
	ck_assert_int_eq(ls_out_flush(o), 0);
	ck_assert_uint_eq(glen, 6);
	fclose(f);
	free(got);
	free(o);
}
END_TEST

Suite *
lssock_out_suite(void)
{
	Suite *s = suite_create("lssock_out");
	TCase *tc = tcase_create("hold");

	tcase_add_loop_test(tc, lssock_out_release_puts_marks_in_place, 0, 6);
	tcase_add_test(tc, lssock_out_drop_writes_nothing);
	suite_add_tcase(s, tc);
	return s;
}
