/*
 * wdb_load FILE [QUERY...] — load a whoisd.db(5) file the way whoisd does
 * and print the load time, the minor page faults the load took and
 * memory, then the match count of each QUERY.
 * Built by `make bench`; bench/whoisd-load.sh runs it.  The loader and
 * its index are compiled in directly because tool code is not part of
 * libsockkit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../tools/whoisd/db.c"
#include "../tools/whoisd/db_index.c"
#include "../tools/whoisd/db_mem.c"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long
rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

int
main(int argc, char **argv)
{
	struct sk_err e;
	struct rusage r0, ru;
	struct wd_db *db;
	const uint32_t *recs;
	double t0, t1;
	char w[256];
	size_t i, n;
	int a;

	if (argc < 2) {
		fprintf(stderr, "usage: wdb_load FILE [WORD...]\n");
		return 2;
	}
	getrusage(RUSAGE_SELF, &r0);
	t0 = now_ms();
	if ((db = wd_db_load(argv[1], NULL, &e)) == NULL) {
		fprintf(stderr, "wdb_load: %s\n", e.msg);
		return 1;
	}
	t1 = now_ms();
	getrusage(RUSAGE_SELF, &ru);
	printf("records=%zu load_ms=%.1f minflt=%ld rss_kb=%ld maxrss_kb=%ld\n",
	    wd_db_count(db), t1 - t0, ru.ru_minflt - r0.ru_minflt, rss_kb(),
	    ru.ru_maxrss);
	for (a = 2; a < argc; a++) {
		n = strlen(argv[a]) < sizeof(w) ? strlen(argv[a]) : sizeof(w) - 1;
		for (i = 0; i < n; i++)
			w[i] = (char)wd_db_fold((unsigned char)argv[a][i]);
		printf("%s: %zu\n", argv[a], wd_db_word(db, w, n, &recs));
	}
	wd_db_free(db);
	return 0;
}
