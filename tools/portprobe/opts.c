/*
 * portprobe's option helpers: range-checked numbers, nmap's times, the
 * shard spec, --plan.  Bad input ends the program here, with exit 2.
 */
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/err.h"
#include "sockkit/num.h"
#include "sockkit/scan.h"
#include "portprobe/portprobe.h"

void
pp_bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "portprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(SK_EXIT_USAGE);
}

long long
pp_num(const char *what, const char *s, long long lo, long long hi)
{
	const char *errstr;
	long long v = sk_strtonum(s, lo, hi, &errstr);

	if (errstr != NULL)
		pp_bad("%s \"%s\": %s (%lld-%lld)", what, s, errstr, lo, hi);
	return v;
}

/* nmap's times: "250ms", "2s", "1m", a bare number is seconds. */
int64_t
pp_usecs(const char *what, const char *s)
{
	static const struct { const char *sfx; int64_t mul; } u[] = {
		{ "ms", 1000 }, { "s", 1000000 }, { "m", 60000000 },
		{ "h", 3600000000LL }, { "", 1000000 }, { NULL, 0 }
	};
	char buf[32];
	size_t n = strspn(s, "0123456789");
	int i;

	for (i = 0; u[i].sfx != NULL; i++)
		if (strcmp(s + n, u[i].sfx) == 0 && n > 0 && n < sizeof(buf)) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			return pp_num(what, buf, 0, 86400000000LL / u[i].mul) *
			    u[i].mul;
		}
	pp_bad("%s \"%s\": not a time (250ms, 2s, 1m)", what, s);
	return 0;
}

void
pp_shard(const char *s, struct sk_scan_opts *so)
{
	char buf[64], *slash;

	if (strlen(s) >= sizeof(buf) || (slash = strchr(strcpy(buf, s), '/')) ==
	    NULL)
		pp_bad("shard \"%s\": not I/N", s);
	*slash = '\0';
	so->nshards = (uint64_t)pp_num("shard count", slash + 1, 1, 1LL << 32);
	so->shard = (uint64_t)pp_num("shard index", buf, 0, 1LL << 32);
	if (so->shard >= so->nshards)
		pp_bad("shard \"%s\": index not in 0-%llu", s,
		    (unsigned long long)so->nshards - 1);
}

char *
pp_joined(int argc, char **argv)
{
	size_t n = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	if ((s = calloc(1, n)) == NULL)
		return NULL;
	for (i = 0; i < argc; i++) {
		strcat(s, argv[i]);
		if (i + 1 < argc)
			strcat(s, " ");
	}
	return s;
}

/* Print the shard's probes in order, sending nothing. */
int
pp_plan(const struct sk_targets *t, const struct sk_portset *ps,
    const struct sk_scan_opts *so)
{
	struct sockaddr_storage ss;
	char a[SK_ADDRSTRLEN];
	struct sk_plan p;
	struct sk_err e;
	socklen_t len;
	uint64_t host;
	unsigned port;
	int proto;

	if (sk_plan_init(&p, t, ps, so->protos, so->seed, so->shard,
	    so->nshards ? so->nshards : 1, &e) == -1)
		pp_bad("%s", e.msg);
	while (sk_plan_next(&p, &host, &proto, &port)) {
		sk_targets_addr(t, host, &ss, &len);
		printf("%s %s/%u\n", sk_addr_ntop((struct sockaddr *)&ss, a,
		    sizeof(a)), proto == SK_PROTO_UDP ? "udp" : "tcp", port);
	}
	sk_plan_free(&p);
	return fflush(stdout) == EOF ? SK_EXIT_FAIL : SK_EXIT_OK;
}
