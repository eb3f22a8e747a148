/*
 * resolve_floor — the least getaddrinfo(3) can cost for a batch, for
 * bench/resolve.sh: T threads take the names of FILE (one a line) from a
 * shared counter and call getaddrinfo on each (AF_UNSPEC, SOCK_STREAM,
 * AI_CANONNAME: the call resolve -f makes on a host with both families),
 * and do nothing else: no output, no deadline, no idn.  With -s each
 * thread keeps its resolver socket open (RES_STAYOPEN, as resolve -f
 * does for 32 lookups at a time); without, glibc's default, a socket
 * per lookup.  Prints "answered N".  The caller times it.
 *   resolve_floor [-s] THREADS FILE
 */
#include <err.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char **names;
static size_t nnames;
static atomic_size_t next, answered;
static int stayopen;

static void *
run(void *arg)
{
	struct addrinfo hints, *res;
	size_t i;

	(void)arg;
	if (stayopen && res_init() == 0)
		_res.options |= RES_STAYOPEN;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	while ((i = atomic_fetch_add(&next, 1)) < nnames) {
		if (getaddrinfo(names[i], NULL, &hints, &res) == 0) {
			atomic_fetch_add(&answered, 1);
			freeaddrinfo(res);
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	char line[512];
	pthread_t *t;
	size_t cap = 0;
	FILE *f;
	long nt, i;
	int c;

	while ((c = getopt(argc, argv, "s")) != -1) {
		if (c != 's')
			errx(2, "usage: resolve_floor [-s] THREADS FILE");
		stayopen = 1;
	}
	if (argc - optind != 2 || (nt = strtol(argv[optind], NULL, 10)) < 1 ||
	    nt > 4096)
		errx(2, "usage: resolve_floor [-s] THREADS FILE");
	if ((f = fopen(argv[optind + 1], "r")) == NULL)
		err(1, "%s", argv[optind + 1]);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((names = realloc(names, cap * sizeof(*names))) == NULL)
				err(1, "realloc");
		}
		if ((names[nnames++] = strdup(line)) == NULL)
			err(1, "strdup");
	}
	fclose(f);
	if ((t = calloc(nt, sizeof(*t))) == NULL)
		err(1, "calloc");
	for (i = 0; i < nt; i++)
		if ((c = pthread_create(&t[i], NULL, run, NULL)) != 0)
			errx(1, "pthread_create: %s", strerror(c));
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	printf("answered %zu\n", (size_t)answered);
	return 0;
}
