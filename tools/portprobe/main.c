/*
 * portprobe — which ports of a host answer, and why the others do not:
 * connect, UDP (and SYN) scans in nmap's words, with reasons, NDJSON and
 * shards.  The engine is libsockkit's (sockkit/scan.h); this is options
 * and wiring.  See portprobe(1).
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/scan.h"
#include "portprobe/portprobe.h"

#define PP_RESOLVE_MS 5000	/* per target name */

static void
usage(int ok)
{
	fprintf(ok ? stdout : stderr,
	    "usage: portprobe [-46FjnV] [-sS | -sT] [-sU] [-p ports] [-T0-5]\n"
	    "                 [-iL file] [-oG file] [--all-addrs] [--banner] [--force]\n"
	    "                 [--open] [--plan] [--progress] [--rate pps]\n"
	    "                 [--max-retries n] [--min-rtt-timeout time]\n"
	    "                 [--max-rtt-timeout time] [--initial-rtt-timeout time]\n"
	    "                 [--min-parallelism n] [--max-parallelism n]\n"
	    "                 [--shard i/n] [--seed n] [--workers n] target ...\n"
	    "       portprobe -h | -V\n");
	exit(ok ? SK_EXIT_OK : SK_EXIT_USAGE);
}

enum {
	OPT_ALLADDRS = 256, OPT_BANNER, OPT_FORCE, OPT_OPEN, OPT_PLAN,
	OPT_PROGRESS, OPT_RATE, OPT_RETRIES, OPT_MINRTT, OPT_MAXRTT,
	OPT_INITRTT, OPT_MINPAR, OPT_MAXPAR, OPT_SHARD, OPT_SEED, OPT_WORKERS
};

static const struct option longopts[] = {
	{ "all-addrs",		no_argument,		NULL, OPT_ALLADDRS },
	{ "banner",		no_argument,		NULL, OPT_BANNER },
	{ "force",		no_argument,		NULL, OPT_FORCE },
	{ "help",		no_argument,		NULL, 'h' },
	{ "initial-rtt-timeout", required_argument,	NULL, OPT_INITRTT },
	{ "json",		no_argument,		NULL, 'j' },
	{ "max-parallelism",	required_argument,	NULL, OPT_MAXPAR },
	{ "max-retries",	required_argument,	NULL, OPT_RETRIES },
	{ "max-rtt-timeout",	required_argument,	NULL, OPT_MAXRTT },
	{ "min-parallelism",	required_argument,	NULL, OPT_MINPAR },
	{ "min-rtt-timeout",	required_argument,	NULL, OPT_MINRTT },
	{ "open",		no_argument,		NULL, OPT_OPEN },
	{ "plan",		no_argument,		NULL, OPT_PLAN },
	{ "progress",		no_argument,		NULL, OPT_PROGRESS },
	{ "rate",		required_argument,	NULL, OPT_RATE },
	{ "seed",		required_argument,	NULL, OPT_SEED },
	{ "shard",		required_argument,	NULL, OPT_SHARD },
	{ "version",		no_argument,		NULL, 'V' },
	{ "workers",		required_argument,	NULL, OPT_WORKERS },
	{ NULL,			0,			NULL, 0 }
};

int
main(int argc, char *argv[])
{
	static struct sk_portset ps;	/* 24 KiB */
	struct sk_scan_opts so;
	struct sk_scan_stats st;
	struct sk_targets t;
	struct pp_opts o;
	struct pp_run *run = NULL;
	char *cmdline;
	struct sk_err e;
	const char *ports = NULL, *listfile = NULL;
	int ch, family = AF_UNSPEC, tflags = 0, tcp = 0, syn = 0, udp = 0;
	int fast = 0, doplan = 0, seeded = 0, worst = 0, x, i, level = 3;
	int64_t minrtt = -1, maxrtt = -1, initrtt = -1;
	long long retries = -1, rate = 0, minpar = 0, maxpar = 0;
	FILE *f;

	memset(&o, 0, sizeof(o));
	memset(&so, 0, sizeof(so));
	o.cmdline = cmdline = pp_joined(argc, argv);
	while ((ch = getopt_long(argc, argv, "46FP:T:Vhi:jno:p:s:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			if (family != AF_UNSPEC)
				pp_bad("-4 and -6 are one or the other");
			family = ch == '4' ? AF_INET : AF_INET6;
			break;
		case 'F':
			fast = 1;
			break;
		case 'P':
			/* -Pn is what portprobe always does. */
			if (strcmp(optarg, "n") != 0)
				pp_bad("-P%s: host discovery is not done; only -Pn", optarg);
			break;
		case 'T':
			level = (int)pp_num("timing level", optarg, 0, 5);
			break;
		case 'V':
			printf("portprobe %s\n", SK_VERSION);
			return SK_EXIT_OK;
		case 'h':
			usage(1);
			break;
		case 'i':
			if (strcmp(optarg, "L") != 0 || optind >= argc)
				pp_bad("-i%s: only -iL FILE", optarg);
			listfile = argv[optind++];
			break;
		case 'j':
			o.json = 1;
			break;
		case 'n':
			/* Always numeric: no reverse lookups are done. */
			break;
		case 'o':
			if (strcmp(optarg, "G") != 0 || optind >= argc)
				pp_bad("-o%s: only -oG FILE", optarg);
			o.grepable = argv[optind++];
			break;
		case 'p':
			ports = optarg;
			break;
		case 's':
			for (i = 0; optarg[i] != '\0'; i++) {
				if (optarg[i] == 'T')
					tcp = 1;
				else if (optarg[i] == 'S')
					syn = 1;
				else if (optarg[i] == 'U')
					udp = 1;
				else
					pp_bad("-s%s: scan types are T, S and U", optarg);
			}
			break;
		case OPT_ALLADDRS:
			tflags |= SK_TGT_ALLADDRS;
			break;
		case OPT_BANNER:
			so.banner = 1;
			break;
		case OPT_FORCE:
			tflags |= SK_TGT_FORCE;
			break;
		case OPT_OPEN:
			o.open_only = 1;
			break;
		case OPT_PLAN:
			doplan = 1;
			break;
		case OPT_PROGRESS:
			o.progress = 1;
			break;
		case OPT_RATE:
			rate = pp_num("rate", optarg, 1, 100000000);
			break;
		case OPT_RETRIES:
			retries = pp_num("max retries", optarg, 0, 15);
			break;
		case OPT_MINRTT:
			minrtt = pp_usecs("min rtt timeout", optarg);
			break;
		case OPT_MAXRTT:
			maxrtt = pp_usecs("max rtt timeout", optarg);
			break;
		case OPT_INITRTT:
			initrtt = pp_usecs("initial rtt timeout", optarg);
			break;
		case OPT_MINPAR:
			minpar = pp_num("min parallelism", optarg, 1, 1000000);
			break;
		case OPT_MAXPAR:
			maxpar = pp_num("max parallelism", optarg, 1, 1000000);
			break;
		case OPT_SHARD:
			pp_shard(optarg, &so);
			break;
		case OPT_SEED:
			so.seed = (uint64_t)pp_num("seed", optarg, 0, INT64_MAX);
			seeded = 1;
			break;
		case OPT_WORKERS:
			so.workers = (unsigned)pp_num("workers", optarg, 1, 16);
			break;
		default:
			usage(0);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 && listfile == NULL)
		usage(0);
	if (tcp && syn)
		pp_bad("-sT and -sS are one or the other");
	if (fast && ports != NULL)
		pp_bad("-F and -p are one or the other");
	if (o.json && o.grepable != NULL && strcmp(o.grepable, "-") == 0)
		pp_bad("-j and -oG - both want stdout");
	if (!udp)
		tcp = !syn;
	so.protos = (tcp || syn ? 1 << SK_PROTO_TCP : 0) |
	    (udp ? 1 << SK_PROTO_UDP : 0);
	so.tcp = syn ? SK_SCAN_SYN : SK_SCAN_CONNECT;

	if (ports != NULL) {
		if (sk_portset_parse(&ps, ports, udp && !tcp && !syn ?
		    SK_PROTO_UDP : SK_PROTO_TCP, &e) == -1)
			pp_bad("%s", e.msg);
		if (ps.count[SK_PROTO_UDP] && !udp)
			pp_bad("port list \"%s\" has UDP ports: add -sU", ports);
		if (ps.count[SK_PROTO_TCP] && !(so.protos & 1 << SK_PROTO_TCP))
			pp_bad("port list \"%s\" has TCP ports: add -sT or -sS", ports);
		if (ps.count[SK_PROTO_SCTP])
			pp_bad("port list \"%s\": SCTP is not scanned", ports);
	} else {
		for (i = SK_PROTO_TCP; i <= SK_PROTO_UDP; i++)
			if (so.protos & 1 << i) {
				if (fast)
					pp_ports_top(&ps, i);
				else
					pp_ports_named(&ps, i);
			}
	}

	if (sk_scan_timing_preset(&so.timing, level, &e) == -1)
		pp_bad("%s", e.msg);
	if (minrtt >= 0)
		so.timing.min_rtt_us = minrtt;
	if (maxrtt >= 0)
		so.timing.max_rtt_us = maxrtt;
	if (initrtt >= 0)
		so.timing.initial_rtt_us = initrtt;
	if (so.timing.min_rtt_us > so.timing.max_rtt_us)
		pp_bad("--min-rtt-timeout is above --max-rtt-timeout");
	if (retries >= 0)
		so.timing.max_retries = (int)retries;
	if (rate > 0)
		so.timing.rate = (double)rate;
	if (minpar > 0)
		so.timing.min_parallel = (unsigned)minpar;
	if (maxpar > 0)
		so.timing.max_parallel = (unsigned)maxpar;
	/* Shards of one scan must walk the same permutation: without
	 * --seed they all use 0; a lone scan gets a fresh order. */
	if (!seeded && so.nshards == 0 && getrandom(&so.seed, sizeof(so.seed),
	    0) != sizeof(so.seed))
		so.seed = (uint64_t)getpid();
	so.seed &= INT64_MAX;

	sk_targets_init(&t, family);
	for (i = 0; i < argc; i++)
		if (sk_targets_add(&t, argv[i], tflags,
		    sk_deadline_in(PP_RESOLVE_MS), &e) == -1) {
			if (e.kind == SK_ERR_INPUT)
				pp_bad("%s", e.msg);
			fprintf(stderr, "portprobe: %s\n", e.msg);
			if ((x = sk_err_exitcode(&e)) > worst)
				worst = x;
		}
	if (listfile != NULL) {
		f = strcmp(listfile, "-") == 0 ? stdin : fopen(listfile, "r");
		if (f == NULL)
			pp_bad("%s: %s", listfile, strerror(errno));
		if (sk_targets_read(&t, f, listfile, tflags,
		    sk_deadline_in(PP_RESOLVE_MS), &e) == -1) {
			if (e.kind == SK_ERR_INPUT)
				pp_bad("%s", e.msg);
			fprintf(stderr, "portprobe: %s\n", e.msg);
			if ((x = sk_err_exitcode(&e)) > worst)
				worst = x;
		}
		if (f != stdin)
			fclose(f);
	}
	if (t.total == 0) {
		fprintf(stderr, "portprobe: no target to scan\n");
		worst = worst ? worst : SK_EXIT_USAGE;
		goto end;
	}
	if (doplan) {
		worst = pp_plan(&t, &ps, &so);
		goto end;
	}

	if ((run = pp_run_new(&t, &o)) == NULL) {
		perror("portprobe");
		worst = SK_EXIT_FAIL;
		goto end;
	}
	so.on_result = pp_run_result;
	so.arg = run;
	if (o.progress || isatty(STDERR_FILENO)) {
		so.on_progress = pp_run_progress;
		so.progress_arg = run;
		so.progress_ms = 1000;
	}
	if (sk_scan_run(&t, &ps, &so, &st, &e) == -1) {
		fprintf(stderr, "portprobe: %s\n", e.msg);
		worst = sk_err_exitcode(&e);
		goto end;
	}
	if (pp_run_finish(run, &st) == -1) {
		fprintf(stderr, "portprobe: %s: %s\n", o.grepable != NULL ?
		    o.grepable : "stdout", strerror(errno));
		worst = SK_EXIT_FAIL;
	}
	if (st.probes > 0 && st.local_errors == st.probes) {
		fprintf(stderr, "portprobe: no probe could be sent (no route)\n");
		worst = SK_EXIT_FAIL;
	}
	/* One port of one host asked for: the answer is the exit code. */
	if (worst == 0 && t.total == 1 && ps.count[0] + ps.count[1] == 1 &&
	    !pp_run_any_open(run))
		worst = SK_EXIT_NEGATIVE;
end:
	pp_run_free(run);
	sk_targets_free(&t);
	free(cmdline);
	return worst;
}
