/*
 * resolve — what the resolver library answers: names and addresses
 * through NSS, the services and protocols databases, and the order
 * sk_tcpopen() would connect in; one at a time or in bulk.  See resolve(1).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/connect.h"
#include "sockkit/err.h"
#include "sockkit/num.h"
#include "resolve/resolve.h"

#define RS_WORKERS_DEFAULT 64
#define RS_TIMEOUT_DEFAULT 5

/* --help: to stdout, exit 0; a usage error: to stderr, exit 2. */
static void
usage(int ok)
{
	fprintf(ok ? stdout : stderr,
	    "usage: resolve [-46jt] [-w secs] name | address ...\n"
	    "       resolve [-46jt] [-w secs] host service | host:service\n"
	    "       resolve [-jt] -s service[/proto] ... | -P proto ...\n"
	    "       resolve [-46jt] [-c workers] [--ordered] [-w secs] -f file\n"
	    "       resolve -h | -V\n");
	exit(ok ? SK_EXIT_OK : SK_EXIT_USAGE);
}

static void
bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "resolve: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(0);
}

enum { OPT_ORDERED = 256 };

static const struct option longopts[] = {
	{ "file",	required_argument,	NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "ipv4",	no_argument,		NULL, '4' },
	{ "ipv6",	no_argument,		NULL, '6' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "ordered",	no_argument,		NULL, OPT_ORDERED },
	{ "protocol",	required_argument,	NULL, 'P' },
	{ "service",	required_argument,	NULL, 's' },
	{ "timeout",	required_argument,	NULL, 'w' },
	{ "timings",	no_argument,		NULL, 't' },
	{ "version",	no_argument,		NULL, 'V' },
	{ "workers",	required_argument,	NULL, 'c' },
	{ NULL,		0,			NULL, 0 }
};

/* Two operands are a connect plan when the second names a port. */
static int
is_service(const char *s)
{
	const char *errstr;

	sk_strtonum(s, 0, 65535, &errstr);
	return errstr == NULL || getservbyname(s, "tcp") != NULL;
}

static int
run_one(enum rs_type type, const char *q, const char *serv,
    const struct rs_opts *o)
{
	struct rs_result *r;
	int x;

	if ((r = malloc(sizeof(*r))) == NULL) {
		perror("resolve");
		exit(SK_EXIT_FAIL);
	}
	rs_query(r, type, q, serv, o);
	rs_render(stdout, r, o);
	x = rs_exitcode(r);
	free(r);
	return x;
}

int
main(int argc, char *argv[])
{
	struct rs_opts o;
	const char *file = NULL, *first = NULL, *errstr;
	enum rs_type mode = RS_HOST;
	int ch, i, x, worst = 0, fixed = 0;
	FILE *in;

	memset(&o, 0, sizeof(o));
	o.workers = RS_WORKERS_DEFAULT;
	o.timeout_ms = RS_TIMEOUT_DEFAULT * 1000;
	o.stagger_ms = SK_STAGGER_DEFAULT;
	while ((ch = getopt_long(argc, argv, "46P:Vc:f:hjs:tw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '4':
			o.family = AF_INET;
			break;
		case '6':
			o.family = AF_INET6;
			break;
		case 'P':
		case 's':
			if (fixed)
				bad("%s", "-s and -P are one each, not both");
			fixed = 1;
			mode = ch == 's' ? RS_SERV : RS_PROTO;
			first = optarg;
			break;
		case 'V':
			printf("resolve (sockkit) %s\nnames: NSS (getaddrinfo, "
			    "getnameinfo) under a deadline\n", SK_VERSION);
			return SK_EXIT_OK;
		case 'c':
			o.workers = sk_strtonum(optarg, 1, 4096, &errstr);
			if (errstr != NULL)
				bad("workers %s", errstr);
			break;
		case 'f':
			file = optarg;
			break;
		case 'h':
			usage(1);
			break;
		case 'j':
			o.json = 1;
			break;
		case 't':
			o.timings = 1;
			break;
		case 'w':
			o.timeout_ms = sk_strtonum(optarg, 1, INT_MAX / 1000,
			    &errstr) * 1000;
			if (errstr != NULL)
				bad("timeout %s", errstr);
			break;
		case OPT_ORDERED:
			o.ordered = 1;
			break;
		default:
			usage(0);
		}
	}
	argc -= optind;
	argv += optind;
	if (file != NULL) {
		if (argc > 0 || fixed)
			bad("%s", "-f takes its queries from the file only");
		if (strcmp(file, "-") == 0)
			in = stdin;
		else if ((in = fopen(file, "r")) == NULL) {
			fprintf(stderr, "resolve: %s: %s\n", file,
			    strerror(errno));
			return SK_EXIT_USAGE;
		}
		x = rs_batch(in, file, &o);
		if (x == -1) {
			fprintf(stderr, "resolve: %s: %s\n", file,
			    strerror(errno));
			return SK_EXIT_FAIL;
		}
		return x;
	}
	if (o.ordered)
		bad("%s", "--ordered goes with -f");
	if (fixed) {
		if ((x = run_one(mode, first, NULL, &o)) > worst)
			worst = x;
		for (i = 0; i < argc; i++)
			if ((x = run_one(mode, argv[i], NULL, &o)) > worst)
				worst = x;
		return worst;
	}
	if (argc == 0)
		usage(0);
	if (argc == 2 && is_service(argv[1]))
		return run_one(RS_PLAN, argv[0], argv[1], &o);
	for (i = 0; i < argc; i++)
		if ((x = run_one(rs_classify(argv[i]), argv[i], NULL, &o)) >
		    worst)
			worst = x;
	return worst;
}
