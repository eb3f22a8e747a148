/*
 * lssock — list sockets, ss and netstat compatible: netlink sock_diag
 * dumps, /proc/net fallback, owners, tcp_info, JSON.  See lssock(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/err.h"
#include "sockkit/procmap.h"
#include "sockkit/sockdiag.h"
#include "lssock/lssock.h"

/* --help: to stdout, exit 0; a usage error: to stderr, exit 2. */
static void
usage(int ok)
{
	fprintf(ok ? stdout : stderr,
	    "usage: lssock [-46HVaehijlmnoprstuvwx] [-N netns] [--all-netns]\n"
	    "              [--diff snapshot] [--netstat] [--openmetrics file]\n"
	    "              [--proc] [--watch [secs]] [filter]\n");
	exit(ok ? SK_EXIT_OK : SK_EXIT_USAGE);
}

static void
version(void)
{
	const char *absent = sk_procmap_bpf_absent();

	printf("lssock (sockkit) %s\n"
	    "socket tables: NETLINK_SOCK_DIAG (libmnl), /proc/net fallback\n",
	    SK_VERSION);
	if (absent == NULL)
		printf("owners (-p): BPF task_file iterator (root or "
		    "CAP_BPF+CAP_PERFMON), else /proc fd walk, 2 threads\n");
	else
		printf("owners (-p): /proc fd walk, 2 threads; "
		    "BPF task_file iterator: %s\n", absent);
	exit(SK_EXIT_OK);
}

static void
bad(const char *msg)
{
	fprintf(stderr, "lssock: %s\n", msg);
	usage(0);
}

enum { OPT_ALLNETNS = 256, OPT_DIFF, OPT_NETSTAT, OPT_METRICS, OPT_PROC,
    OPT_WATCH };

static const struct option longopts[] = {
	{ "all",	no_argument,		NULL, 'a' },
	{ "all-netns",	no_argument,		NULL, OPT_ALLNETNS },
	{ "diff",	required_argument,	NULL, OPT_DIFF },
	{ "extended",	no_argument,		NULL, 'e' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "info",	no_argument,		NULL, 'i' },
	{ "ipv4",	no_argument,		NULL, '4' },
	{ "ipv6",	no_argument,		NULL, '6' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "listening",	no_argument,		NULL, 'l' },
	{ "memory",	no_argument,		NULL, 'm' },
	{ "net",	required_argument,	NULL, 'N' },
	{ "netstat",	no_argument,		NULL, OPT_NETSTAT },
	{ "no-header",	no_argument,		NULL, 'H' },
	{ "numeric",	no_argument,		NULL, 'n' },
	{ "openmetrics", required_argument,	NULL, OPT_METRICS },
	{ "options",	no_argument,		NULL, 'o' },
	{ "proc",	no_argument,		NULL, OPT_PROC },
	{ "processes",	no_argument,		NULL, 'p' },
	{ "raw",	no_argument,		NULL, 'w' },
	{ "resolve",	no_argument,		NULL, 'r' },
	{ "summary",	no_argument,		NULL, 's' },
	{ "tcp",	no_argument,		NULL, 't' },
	{ "udp",	no_argument,		NULL, 'u' },
	{ "unix",	no_argument,		NULL, 'x' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "version",	no_argument,		NULL, 'V' },
	{ "watch",	optional_argument,	NULL, OPT_WATCH },
	{ NULL,		0,			NULL, 0 }
};

int
main(int argc, char *argv[])
{
	struct ls_opts o;
	struct sk_err e;
	char ferr[8192];
	int ch, v4 = 0, v6 = 0, all = 0, listening = 0, have_states = 0;
	int json = 0, netstat = 0, summary = 0, rc;
	uint32_t fstates = 0;

	memset(&o, 0, sizeof(o));
	o.procroot = getenv("LSSOCK_PROC");
	while ((ch = getopt_long(argc, argv, "46HN:Vaehijlmnoprstuvwx", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '4':
			v4 = 1;
			break;
		case '6':
			v6 = 1;
			break;
		case 'H':
			o.noheader = 1;
			break;
		case 'N':
			o.netns = optarg;
			break;
		case 'V':
			version();
			break;
		case 'a':
			all = 1;
			break;
		case 'e':
			o.extended = 1;
			break;
		case 'h':
			usage(1);
			break;
		case 'i':
			o.info = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			listening = 1;
			break;
		case 'm':
			o.memory = 1;
			break;
		case 'n':
			o.numeric = 1;
			break;
		case 'o':
			o.timers = 1;
			break;
		case 'p':
			o.owners = 1;
			break;
		case 'r':
			o.resolve = 1;
			break;
		case 's':
			summary = 1;
			break;
		case 't':
			o.protos |= SK_SD_TCP;
			break;
		case 'u':
			o.protos |= SK_SD_UDP;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'w':
			o.protos |= SK_SD_RAW;
			break;
		case 'x':
			o.protos |= SK_SD_UNIX;
			break;
		case OPT_ALLNETNS:
			o.all_netns = 1;
			break;
		case OPT_DIFF:
			o.diff = optarg;
			break;
		case OPT_NETSTAT:
			netstat = 1;
			break;
		case OPT_METRICS:
			o.metrics = optarg;
			break;
		case OPT_PROC:
			o.useproc = 1;
			break;
		case OPT_WATCH:
			/* "--watch 2" as well as "--watch=2": a filter never
			 * starts with a digit. */
			if (optarg == NULL && optind < argc &&
			    argv[optind][0] != '\0' &&
			    strchr("0123456789.", argv[optind][0]) != NULL)
				optarg = argv[optind++];
			if (ls_watch_interval(optarg, &o.watch_ms) < 0) {
				fprintf(stderr, "lssock: --watch %s: not a "
				    "number of seconds in 0.1..3600\n", optarg);
				exit(SK_EXIT_USAGE);
			}
			break;
		default:
			usage(0);
		}
	}
	argc -= optind;
	argv += optind;

	if (json + netstat + summary + (o.metrics != NULL) > 1)
		bad("-j, -s, --netstat and --openmetrics choose different "
		    "outputs; give one");
	if (o.diff != NULL && (netstat || summary || o.metrics != NULL ||
	    o.watch_ms || o.owners || o.info || o.memory || o.timers ||
	    o.extended))
		bad("--diff compares sockets and states: no -s -p -i -m -o -e, "
		    "--netstat, --openmetrics or --watch");
	if (o.watch_ms && (json || netstat || summary || o.metrics != NULL ||
	    o.info || o.memory || o.timers || o.extended || o.noheader))
		bad("--watch shows its own table: no -j -s -i -m -o -e -H, "
		    "--netstat or --openmetrics");
	if (o.metrics != NULL && (o.owners || o.info || o.memory || o.timers ||
	    o.extended || o.resolve || o.noheader))
		bad("--openmetrics writes counts only; no -p -i -m -o -e -r -H");
	if (o.all_netns && (o.netns != NULL || netstat))
		bad("--all-netns lists every namespace: no -N, no --netstat");
	if (o.numeric && o.resolve)
		bad("-n and -r contradict each other");
	if ((v4 || v6) && (o.protos & SK_SD_UNIX))
		bad("-4 and -6 select inet sockets; -x lists UNIX ones");
	if (summary && (o.owners || o.info || o.memory || o.timers ||
	    o.extended || argc > 0))
		bad("-s prints counts only; it takes no -p -i -m -o -e or filter");
	o.style = json ? LS_JSON : netstat ? LS_NETSTAT : summary ? LS_SUMMARY :
	    o.metrics != NULL ? LS_METRICS : LS_SS;
	if (o.protos == 0)
		o.protos = (v4 || v6) ? SK_SD_INET : SK_SD_ALL;
	o.family = v4 && !v6 ? AF_INET : v6 && !v4 ? AF_INET6 : AF_UNSPEC;

	o.filter_argc = argc;
	o.filter_argv = argv;
	if (ls_filter_parse(argc, argv, &o.filter, &fstates, &have_states,
	    ferr, sizeof(ferr)) < 0) {
		fprintf(stderr, "lssock: %s\n", ferr);
		exit(SK_EXIT_USAGE);
	}
	if (summary) {
		o.states = SK_SS_ALL;
		o.protos = SK_SD_ALL;
	} else if (have_states)
		o.states = fstates;
	else if (all || o.metrics != NULL)
		o.states = SK_SS_ALL;	/* metrics count every state */
	else if (listening)
		o.states = SK_SS_BIT(SK_SS_LISTEN) | SK_SS_BIT(SK_SS_CLOSE);
	else
		o.states = LS_STATES_CONN;

	if (o.netns != NULL && ls_enter_netns(o.netns, &e) < 0) {
		fprintf(stderr, "lssock: %s\n", e.msg);
		exit(sk_err_exitcode(&e));
	}
	if (o.diff != NULL)
		rc = ls_diff(&o, stdout, &e);
	else if (o.watch_ms)
		rc = ls_watch(&o, &e);
	else
		rc = ls_collect(&o, stdout, &e);
	if (rc < 0) {
		fprintf(stderr, "lssock: %s\n", e.msg);
		exit(sk_err_exitcode(&e));
	}
	ls_filter_free(o.filter);
	/* --diff: 1 when something differs, as diff(1). */
	return rc > 0 ? SK_EXIT_NEGATIVE : SK_EXIT_OK;
}
