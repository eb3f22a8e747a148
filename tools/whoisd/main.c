/*
 * whoisd — the source text's whois server: one query line in, the
 * directory's answer out, under inetd, systemd socket activation or on
 * its own (-l).  See whoisd(8).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/err.h"
#include "sockkit/listen.h"
#include "sockkit/num.h"
#include "db.h"
#include "query.h"
#include "whoisd.h"

/* --help: to stdout, exit 0; a usage error: to stderr, exit 2. */
static void
usage(int ok)
{
	fprintf(ok ? stdout : stderr,
	    "usage: whoisd [-DhV] [-f db] [-l [addr]:port] [-P pidfile] [-u user]\n"
	    "              [--allow cidr] [--deny cidr] [--help-file file]\n"
	    "              [--index attrs] [--inetd | --stdio] [--log-stderr]\n"
	    "              [--max-clients n] [--max-matches n] [--max-query bytes]\n"
	    "              [--no-limits] [--per-ip n] [--rate n] [--burst n]\n"
	    "              [--read-timeout secs] [--threads n] [--timeout secs]\n");
	exit(ok ? SK_EXIT_OK : WHOISD_EXIT_USAGE);
}

enum {
	OPT_ALLOW = 256, OPT_BURST, OPT_DENY, OPT_HELPFILE, OPT_INDEX,
	OPT_INETD, OPT_LOGSTDERR, OPT_MAXCLIENTS, OPT_MAXMATCHES, OPT_MAXQUERY,
	OPT_NOLIMITS, OPT_PERIP, OPT_RATE, OPT_READTIMEOUT, OPT_STDIO,
	OPT_THREADS, OPT_TIMEOUT
};

static const struct option longopts[] = {
	{ "allow",		required_argument,	NULL, OPT_ALLOW },
	{ "burst",		required_argument,	NULL, OPT_BURST },
	{ "daemon",		no_argument,		NULL, 'D' },
	{ "db",			required_argument,	NULL, 'f' },
	{ "deny",		required_argument,	NULL, OPT_DENY },
	{ "help",		no_argument,		NULL, 'h' },
	{ "help-file",		required_argument,	NULL, OPT_HELPFILE },
	{ "index",		required_argument,	NULL, OPT_INDEX },
	{ "inetd",		no_argument,		NULL, OPT_INETD },
	{ "listen",		required_argument,	NULL, 'l' },
	{ "log-stderr",		no_argument,		NULL, OPT_LOGSTDERR },
	{ "max-clients",	required_argument,	NULL, OPT_MAXCLIENTS },
	{ "max-matches",	required_argument,	NULL, OPT_MAXMATCHES },
	{ "max-query",		required_argument,	NULL, OPT_MAXQUERY },
	{ "no-limits",		no_argument,		NULL, OPT_NOLIMITS },
	{ "per-ip",		required_argument,	NULL, OPT_PERIP },
	{ "pidfile",		required_argument,	NULL, 'P' },
	{ "rate",		required_argument,	NULL, OPT_RATE },
	{ "read-timeout",	required_argument,	NULL, OPT_READTIMEOUT },
	{ "stdio",		no_argument,		NULL, OPT_STDIO },
	{ "threads",		required_argument,	NULL, OPT_THREADS },
	{ "timeout",		required_argument,	NULL, OPT_TIMEOUT },
	{ "user",		required_argument,	NULL, 'u' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

static long long
number(const char *what, const char *s, long long min, long long max)
{
	const char *errstr;
	long long v = sk_strtonum(s, min, max, &errstr);

	if (errstr != NULL)
		errx(WHOISD_EXIT_USAGE, "%s %s: %s (%lld-%lld)", what, s, errstr,
		    min, max);
	return v;
}

static void
listen_failed(const char *addr, const struct sk_err *e)
{
	errx(sk_err_exitcode(e), "listen %s: %s", addr, e->msg);
}

/* Listen on every -l address; "[addr]:port", "addr:port", ":port" or
 * "port".  With several threads, each gets a listener of its own on each
 * address (SO_REUSEPORT, thread k's at fds[k * nlisten]), so that no
 * thread wakes for a connection another takes.  A plain listener tried
 * first shows that no other program has the port: a second whoisd must
 * fail to start, not quietly take a share of the clients.  Exits with a
 * message naming the address on failure. */
static int
open_listeners(const struct whoisd_cfg *cfg, int *fds)
{
	char host[SK_HOSTLEN], serv[SK_SERVLEN];
	struct sk_err e;
	int i, k, fd, n = cfg->nlisten;

	for (i = 0; i < n; i++) {
		if (sk_addr_split(cfg->listen[i], 0, host, serv, &e) == -1)
			errx(WHOISD_EXIT_USAGE, "listen %s: %s", cfg->listen[i], e.msg);
		if (*serv == '\0')
			errx(WHOISD_EXIT_USAGE, "listen %s: no port", cfg->listen[i]);
		if (cfg->threads == 1 || strcmp(serv, "0") != 0) {
			if ((fd = sk_listen(host, serv, 1024, &e)) == -1)
				listen_failed(cfg->listen[i], &e);
			if (cfg->threads == 1) {
				fds[i] = fd;
				continue;
			}
			close(fd);
		}
		for (k = 0; k < cfg->threads; k++) {
			fd = sk_listen_reuseport(host, serv, AF_UNSPEC, 1024, &e);
			if (fd == -1)
				listen_failed(cfg->listen[i], &e);
			fds[k * n + i] = fd;
			/* Port 0: the others join the port the first got. */
			snprintf(serv, sizeof(serv), "%d", sk_local_port(fd, NULL));
		}
	}
	return n;
}

/* path made absolute against the current directory (the file need not
 * exist yet: then the error names it as given). */
static const char *
absolute(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/' || (cwd = getcwd(NULL, 0)) == NULL)
		return path;
	if (asprintf(&abs, "%s/%s", cwd, path) == -1)
		abs = NULL;
	free(cwd);
	return abs != NULL ? abs : path;
}

int
main(int argc, char **argv)
{
	static struct whoisd_cfg cfg = {
		.db_path = "/etc/whoisd.db",
		.max_query = 1024,
		.max_matches = 100,
		.read_timeout_ms = 5000,
		.timeout_ms = 15000,
		.max_clients = 4096,
		.per_ip = 16,
		.rate = 60,
		.burst = 20,
		.user = "nobody",
	};
	static struct whoisd w;
	static int fds[WHOISD_MAX_LISTEN * WHOISD_MAX_THREADS];
	struct sk_listen_fd act[WHOISD_MAX_LISTEN];
	struct sk_err e;
	int c, nfds = 0, inetd = 0, opt_inetd = 0, i, rc, own = 0;
	int pidfd = -1;

	while ((c = getopt_long(argc, argv, "DP:Vf:hl:u:", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			cfg.daemonize = 1;
			break;
		case 'P':
			cfg.pidfile = optarg;
			break;
		case 'V':
			printf("whoisd (sockkit) %s\n", SK_VERSION);
			return 0;
		case 'f':
			cfg.db_path = optarg;
			break;
		case 'h':
			usage(1);
			break;
		case 'l':
			if (cfg.nlisten == WHOISD_MAX_LISTEN)
				errx(WHOISD_EXIT_USAGE, "listen %s: at most %d -l",
				    optarg, WHOISD_MAX_LISTEN);
			cfg.listen[cfg.nlisten++] = optarg;
			break;
		case 'u':
			cfg.user = optarg;
			break;
		case OPT_ALLOW:
		case OPT_DENY:
			if (wd_acl_add(&cfg.acl, optarg, c == OPT_DENY, &e) == -1)
				errx(WHOISD_EXIT_USAGE, "%s", e.msg);
			break;
		case OPT_BURST:
			cfg.burst = number("--burst", optarg, 1, 100000);
			break;
		case OPT_HELPFILE:
			cfg.help_file = optarg;
			break;
		case OPT_INDEX:
			cfg.index = optarg;
			break;
		case OPT_INETD:
			inetd = 1;
			opt_inetd = 1;
			break;
		case OPT_LOGSTDERR:
			cfg.log_stderr = 1;
			break;
		case OPT_MAXCLIENTS:
			cfg.max_clients = number("--max-clients", optarg, 1, 1000000);
			break;
		case OPT_MAXMATCHES:
			cfg.max_matches = number("--max-matches", optarg, 1, 1000000);
			break;
		case OPT_MAXQUERY:
			cfg.max_query = number("--max-query", optarg, 16, WD_Q_QUERY_MAX);
			break;
		case OPT_NOLIMITS:
			cfg.per_ip = 0;
			cfg.rate = 0;
			break;
		case OPT_PERIP:
			cfg.per_ip = number("--per-ip", optarg, 0, 65535);
			break;
		case OPT_RATE:
			cfg.rate = number("--rate", optarg, 0, 6000000);
			break;
		case OPT_READTIMEOUT:
			cfg.read_timeout_ms = number("--read-timeout", optarg, 1,
			    3600) * 1000;
			break;
		case OPT_STDIO:
			cfg.stdio = 1;
			inetd = 1;
			break;
		case OPT_THREADS:
			cfg.threads = number("--threads", optarg, 1,
			    WHOISD_MAX_THREADS);
			break;
		case OPT_TIMEOUT:
			cfg.timeout_ms = number("--timeout", optarg, 1, 3600) * 1000;
			break;
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);
	if (opt_inetd && cfg.stdio)
		errx(WHOISD_EXIT_USAGE, "--inetd and --stdio: choose one");
	if (inetd && (cfg.nlisten > 0 || cfg.daemonize))
		errx(WHOISD_EXIT_USAGE, "--inetd/--stdio serve stdin: no -l or -D");
	if (cfg.read_timeout_ms > cfg.timeout_ms)
		cfg.read_timeout_ms = cfg.timeout_ms;
	if (cfg.threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cfg.threads = n < 1 ? 1 : n > WHOISD_MAX_THREADS ?
		    WHOISD_MAX_THREADS : (int)n;
	}
	/* -D changes to /, and SIGHUP reloads: a relative path must keep
	 * naming the file it named at start. */
	cfg.db_path = absolute(cfg.db_path);
	if (cfg.help_file != NULL)
		cfg.help_file = absolute(cfg.help_file);
	/* Before anything else: a second daemon must not even bind. */
	if (!inetd && cfg.pidfile != NULL &&
	    (pidfd = wd_sys_pidfile_lock(cfg.pidfile, &e)) == -1)
		errx(WHOISD_EXIT_SYS, "%s", e.msg);

	/* A client that goes away mid-answer must cost an EPIPE, not us. */
	signal(SIGPIPE, SIG_IGN);
	/* Held from the start, until the loop takes them as events: a
	 * SIGHUP that comes while the database loads must not kill us. */
	if (!inetd && wd_sys_hold_signals(1, &e) == -1)
		errx(WHOISD_EXIT_SYS, "%s", e.msg);
	w.cfg = &cfg;
	sk_log_open(&w.log, "whoisd", cfg.log_stderr);

	/* Socket activation first: LISTEN_FDS says how we were started. */
	rc = sk_listen_fds(1, act, WHOISD_MAX_LISTEN, &e);
	if (rc == -1)
		errx(WHOISD_EXIT_USAGE, "%s", e.msg);
	if (rc > WHOISD_MAX_LISTEN)
		errx(WHOISD_EXIT_USAGE, "LISTEN_FDS %d: at most %d sockets", rc,
		    WHOISD_MAX_LISTEN);
	if (rc > 0) {
		struct sk_peer p;

		/* Accept=yes hands us one connected socket: inetd style. */
		if (rc == 1 && sk_peer(act[0].fd, &p, NULL) == 0 && !p.listening) {
			dup2(act[0].fd, 0);
			dup2(act[0].fd, 1);
			close(act[0].fd);
			inetd = 1;
		} else {
			for (i = 0; i < rc; i++)
				fds[nfds++] = act[i].fd;
		}
	} else if (cfg.nlisten > 0 || cfg.daemonize) {
		if (cfg.nlisten == 0)
			cfg.listen[cfg.nlisten++] = "[::]:43";
		/* Up to 16 addresses times 64 threads of listeners. */
		wd_sys_raise_nofile();
		nfds = open_listeners(&cfg, fds);
		own = cfg.threads > 1;
	} else {
		inetd = 1;
	}

	if (inetd && wd_sys_hold_signals(0, &e) == -1)
		errx(WHOISD_EXIT_SYS, "%s", e.msg);
	if (wd_load(&w, &e) == -1) {
		if (inetd)
			return wd_inetd_broken(&w, 0, 1, &e);
		errx(sk_err_exitcode(&e), "%s", e.msg);
	}
	if (!inetd)
		wd_sys_raise_nofile();
	/* Detach and write the pidfile while still allowed to write /run. */
	if (!inetd && (cfg.daemonize || cfg.pidfile != NULL) &&
	    wd_sys_daemonize(cfg.pidfile, pidfd, cfg.daemonize, &e) == -1)
		errx(WHOISD_EXIT_SYS, "%s", e.msg);
	if (geteuid() == 0) {
		if (wd_sys_drop_privileges(cfg.user, &e) == -1) {
			/* Once: --log-stderr already puts the log on stderr. */
			sk_log(&w.log, LOG_ERR, "%s", e.msg);
			if (!cfg.log_stderr)
				warnx("%s", e.msg);
			exit(WHOISD_EXIT_SYS);
		}
		w.runs_as = cfg.user;
	}
	if (inetd)
		return wd_serve_inetd(&w, 0, 1);
	rc = wd_serve_loop(&w, fds, nfds, own);
	if (pidfd >= 0)
		wd_sys_pidfile_remove(cfg.pidfile, pidfd);
	return rc;
}
