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
#include "sockkit/dns.h"
#include "sockkit/err.h"
#include "sockkit/num.h"
#include "resolve/resolve.h"

#define RS_WORKERS_DEFAULT 64
#define RS_INFLIGHT_DEFAULT 1000
#define RS_TIMEOUT_DEFAULT 5
#define RS_RETRIES_DEFAULT 2

/* --help: to stdout, exit 0; a usage error: to stderr, exit 2. */
static void
usage(int ok)
{
	fprintf(ok ? stdout : stderr,
	    "usage: resolve [-46jt] [-w secs] name | address ...\n"
	    "       resolve [-46jt] [--probe] [-w secs] host service | host:service\n"
	    "       resolve [-jt] -s service[/proto] ... | -P proto ...\n"
	    "       resolve [-46jt] [-c workers] [--ordered] [-w secs] -f file\n"
	    "       resolve --dns [-jt] [--search] [--tcp] [--retries n] [-w secs]\n"
	    "               [type] name ... [@server[:port]]\n"
	    "       resolve --dns [-jt] [-c inflight] [--ordered] [--qps n] [--search]\n"
	    "               [--tcp] [--retries n] [-w secs] [type] [@server[:port]] -f file\n"
	    "       resolve --compare [-j] [--tcp] [--retries n] [-w secs] name ...\n"
	    "               [@server[:port]]\n"
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

enum { OPT_ORDERED = 256, OPT_COMPARE, OPT_DNS, OPT_SEARCH, OPT_RETRIES, OPT_QPS, OPT_TCP,
	OPT_IDN, OPT_NOIDN, OPT_PROBE };

static const struct option longopts[] = {
	{ "compare",	no_argument,		NULL, OPT_COMPARE },
	{ "dns",	no_argument,		NULL, OPT_DNS },
	{ "file",	required_argument,	NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "idn",	no_argument,		NULL, OPT_IDN },
	{ "ipv4",	no_argument,		NULL, '4' },
	{ "ipv6",	no_argument,		NULL, '6' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "no-idn",	no_argument,		NULL, OPT_NOIDN },
	{ "ordered",	no_argument,		NULL, OPT_ORDERED },
	{ "probe",	no_argument,		NULL, OPT_PROBE },
	{ "protocol",	required_argument,	NULL, 'P' },
	{ "qps",	required_argument,	NULL, OPT_QPS },
	{ "retries",	required_argument,	NULL, OPT_RETRIES },
	{ "search",	no_argument,		NULL, OPT_SEARCH },
	{ "service",	required_argument,	NULL, 's' },
	{ "tcp",	no_argument,		NULL, OPT_TCP },
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

static FILE *
open_input(const char *file)
{
	FILE *in;

	if (strcmp(file, "-") == 0)
		return stdin;
	if ((in = fopen(file, "r")) == NULL) {
		fprintf(stderr, "resolve: %s: %s\n", file, strerror(errno));
		exit(SK_EXIT_USAGE);
	}
	return in;
}

/*
 * --dns [TYPE] NAME... [@SERVER[:PORT]], or [TYPE] [@SERVER] -f FILE:
 * a first operand that names a record type is the type when names
 * follow it (or -f gives them), an operand starting with '@' the server.
 */
static int
dns_main(int argc, char *argv[], const char *file, struct rs_opts *o)
{
	char *names[argc > 0 ? argc : 1];
	int i, n = 0, t, x;
	FILE *in;

	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '@') {
			if (o->server != NULL || argv[i][1] == '\0')
				bad("server %s: one @server[:port]", argv[i]);
			o->server = argv[i] + 1;
		} else if (i == 0 && (t = sk_dns_type_parse(argv[i])) != -1 &&
		    (file != NULL || (argc > 1 && argv[1][0] != '@'))) {
			o->dns_type = t;
		} else {
			names[n++] = argv[i];
		}
	}
	if (file != NULL) {
		if (n > 0)
			bad("%s", "-f takes its names from the file only");
		in = open_input(file);
		x = rs_dns_batch(in, o);
	} else {
		if (n == 0)
			usage(0);
		if (o->ordered)
			bad("%s", "--ordered goes with -f");
		x = rs_dns_args(names, n, o);
	}
	if (x == -2)
		exit(SK_EXIT_USAGE);
	if (x == -1) {
		fprintf(stderr, "resolve: %s: %s\n", file ? file : "dns",
		    strerror(errno));
		return SK_EXIT_FAIL;
	}
	return x;
}

/* --compare NAME... [@SERVER[:PORT]] */
static int
compare_main(int argc, char *argv[], struct rs_opts *o)
{
	char *names[argc > 0 ? argc : 1];
	int i, n = 0, x;

	for (i = 0; i < argc; i++) {
		if (argv[i][0] != '@')
			names[n++] = argv[i];
		else if (o->server != NULL || argv[i][1] == '\0')
			bad("server %s: one @server[:port]", argv[i]);
		else
			o->server = argv[i] + 1;
	}
	if (n == 0)
		usage(0);
	if ((x = rs_compare(names, n, o)) == -2)
		return SK_EXIT_USAGE;
	if (x == -1) {
		fprintf(stderr, "resolve: compare: %s\n", strerror(errno));
		return SK_EXIT_FAIL;
	}
	return x;
}

int
main(int argc, char *argv[])
{
	struct rs_opts o;
	const char *file = NULL, *first = NULL, *errstr;
	enum rs_type mode = RS_HOST;
	const char *dnsonly = NULL;
	int ch, i, x, worst = 0, fixed = 0, cset = 0;
	FILE *in;

	memset(&o, 0, sizeof(o));
	o.workers = RS_WORKERS_DEFAULT;
	o.inflight = RS_INFLIGHT_DEFAULT;
	o.retries = RS_RETRIES_DEFAULT;
	o.idn = 1;
	o.dns_type = SK_DNS_A;
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
			    "getnameinfo) under a deadline; DNS: c-ares; "
			    "IDN: libidn2\n", SK_VERSION);
			return SK_EXIT_OK;
		case 'c':
			o.workers = sk_strtonum(optarg, 1, 4096, &errstr);
			if (errstr != NULL)
				bad("workers %s", errstr);
			cset = 1;
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
		case OPT_COMPARE:
			o.compare = 1;
			break;
		case OPT_PROBE:
			o.probe = 1;
			break;
		case OPT_DNS:
			o.dns = 1;
			break;
		case OPT_SEARCH:
			o.search = 1;
			break;
		case OPT_RETRIES:
			o.retries = sk_strtonum(optarg, 0, 10, &errstr);
			if (errstr != NULL)
				bad("retries %s", errstr);
			dnsonly = "--retries";
			break;
		case OPT_QPS:
			o.qps = sk_strtonum(optarg, 1, 10000000, &errstr);
			if (errstr != NULL)
				bad("qps %s", errstr);
			dnsonly = "--qps";
			break;
		case OPT_TCP:
			o.tcp = 1;
			dnsonly = "--tcp";
			break;
		case OPT_IDN:
			o.idn = 1;
			break;
		case OPT_NOIDN:
			o.idn = 0;
			break;
		default:
			usage(0);
		}
	}
	argc -= optind;
	argv += optind;
	if (o.search)
		dnsonly = dnsonly ? dnsonly : "--search";
	if (o.probe && (o.dns || o.compare || fixed))
		bad("%s", "--probe goes with a connect plan");
	if (o.compare) {
		if (o.dns || fixed || file != NULL || o.ordered || o.search ||
		    o.qps > 0 || o.family != AF_UNSPEC || o.timings || cset)
			bad("%s", "--compare takes names (and @server) only");
		return compare_main(argc, argv, &o);
	}
	if (o.dns) {
		if (fixed || o.family != AF_UNSPEC)
			bad("%s", "--dns asks for record types: no -s, -P, -4 or -6");
		if (cset)
			o.inflight = o.workers;
		return dns_main(argc, argv, file, &o);
	}
	if (dnsonly != NULL)
		bad("%s goes with --dns", dnsonly);
	if (file != NULL) {
		if (argc > 0 || fixed)
			bad("%s", "-f takes its queries from the file only");
		in = open_input(file);
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
	if (o.probe) {
		for (i = 0; i < argc && rs_classify(argv[i]) != RS_PLAN; i++)
			;
		if (i == argc)
			bad("%s", "--probe goes with a connect plan");
	}
	for (i = 0; i < argc; i++)
		if ((x = run_one(rs_classify(argv[i]), argv[i], NULL, &o)) >
		    worst)
			worst = x;
	return worst;
}
