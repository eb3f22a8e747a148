/*
 * linechat — drive line protocols by hand or by script: interactive,
 * one-shot, chat(8) scripts, recorded and replayed, over TCP, UDP, UNIX
 * sockets and TLS.  See linechat(1).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"
#include "sockkit/listen.h"
#include "sockkit/num.h"
#include "linechat/conn.h"
#include "linechat/linechat.h"
#include "linechat/script.h"
#include "linechat/starttls.h"
#include "linechat/tls.h"
#include "linechat/transcript.h"

#define SCRIPT_MAX (1024 * 1024)

/* --help: to stdout, exit 0; a usage error: to stderr, exit 2. */
static void
usage(int ok)
{
	fprintf(ok ? stdout : stderr,
	    "usage: linechat [-46hkuVv] [-c line] [-e script] [-f file] [-i secs]\n"
	    "                [-q secs] [-s addr] [-w secs] [--ca file] [--fast]\n"
	    "                [--ignore regex] [--insecure] [--lf] [--log file]\n"
	    "                [--raw] [--replay file] [--show-crlf]\n"
	    "                [--starttls proto] [--stats] [--tls]\n"
	    "                host service | host:service\n"
	    "       linechat -l [-k] [options] [addr] service | addr:service\n"
	    "       linechat [-l] -U path [options]\n");
	exit(ok ? SK_EXIT_OK : LC_EXIT_USAGE);
}

enum {
	OPT_CA = 256, OPT_FAST, OPT_IGNORE, OPT_INSECURE, OPT_LF, OPT_LOG,
	OPT_NOCOLOR, OPT_RAW, OPT_REPLAY, OPT_SHOWCRLF, OPT_STARTTLS, OPT_STATS,
	OPT_TLS
};

static const struct option longopts[] = {
	{ "ca",		required_argument,	NULL, OPT_CA },
	{ "fast",	no_argument,		NULL, OPT_FAST },
	{ "help",	no_argument,		NULL, 'h' },
	{ "ignore",	required_argument,	NULL, OPT_IGNORE },
	{ "insecure",	no_argument,		NULL, OPT_INSECURE },
	{ "lf",		no_argument,		NULL, OPT_LF },
	{ "log",	required_argument,	NULL, OPT_LOG },
	{ "no-color",	no_argument,		NULL, OPT_NOCOLOR },
	{ "raw",	no_argument,		NULL, OPT_RAW },
	{ "replay",	required_argument,	NULL, OPT_REPLAY },
	{ "show-crlf",	no_argument,		NULL, OPT_SHOWCRLF },
	{ "starttls",	required_argument,	NULL, OPT_STARTTLS },
	{ "stats",	no_argument,		NULL, OPT_STATS },
	{ "tls",	no_argument,		NULL, OPT_TLS },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

static int
starttls_known(const char *proto)
{
	int i;

	for (i = 0; lc_starttls_protos[i] != NULL; i++)
		if (strcmp(lc_starttls_protos[i], proto) == 0)
			return 1;
	return 0;
}

static int
secs(const char *what, const char *s, int max)
{
	const char *errstr;
	int v = (int)sk_strtonum(s, 0, max, &errstr);

	if (errstr != NULL)
		errx(LC_EXIT_USAGE, "%s %s: %s (0-%d)", what, s, errstr, max);
	return v;
}

/*
 * One argument: HOST:PORT or [v6]:PORT, as nc users type; with -l also
 * a bare PORT or :PORT.  A host without a port is a usage error.
 */
static void
split_target(struct lc_opts *o, const char *arg)
{
	static char host[SK_HOSTLEN], serv[SK_SERVLEN];
	struct sk_err e;

	if (sk_addr_split(arg, o->listen ? 0 : SK_SPLIT_BARE_HOST, host, serv,
	    &e) == -1)
		errx(LC_EXIT_USAGE, "%s", e.msg);
	if (serv[0] == '\0')
		errx(LC_EXIT_USAGE, "%s: no port (give HOST PORT or HOST:PORT)",
		    arg);
	o->host = host[0] != '\0' ? host : NULL;
	o->service = serv;
	if (!o->listen && o->host == NULL)
		errx(LC_EXIT_USAGE, "%s: no host (give HOST PORT or HOST:PORT)",
		    arg);
}

/*
 * ncat's -e runs a program; ours is a chat script.  A script that is one
 * word shaped like a path would only wait 45 s for that text: say why
 * instead.
 */
static void
check_not_program(const char *script)
{
	struct stat st;

	if (strpbrk(script, " \t\n'\"") != NULL || (script[0] != '/' &&
	    strncmp(script, "./", 2) != 0 && strncmp(script, "../", 3) != 0))
		return;
	if (stat(script, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 0111) != 0)
		errx(LC_EXIT_USAGE, "-e %s: -e takes a chat script, not a "
		    "program to run (linechat runs no programs)", script);
	if (stat(script, &st) == 0 && S_ISREG(st.st_mode))
		errx(LC_EXIT_USAGE, "-e %s: -e takes a chat script; for a "
		    "script file use -f %s", script, script);
	errx(LC_EXIT_USAGE, "-e %s: -e takes a chat script (expect send "
	    "...), not a path", script);
}

/* Read a whole script file, bounded. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		err(LC_EXIT_USAGE, "script %s", path);
	buf = malloc(SCRIPT_MAX + 1);
	if (buf == NULL)
		err(LC_EXIT_NET, "script %s", path);
	n = fread(buf, 1, SCRIPT_MAX + 1, f);
	if (ferror(f))
		err(LC_EXIT_USAGE, "script %s", path);
	fclose(f);
	if (n > SCRIPT_MAX)
		errx(LC_EXIT_USAGE, "script %s: longer than %d bytes", path,
		    SCRIPT_MAX);
	*len = n;
	return buf;
}

/* The next connection: the listener's next peer, or a new one; exits
 * on failure. */
static int
open_conn(const struct lc_opts *o, int *lfd)
{
	struct sk_err e;
	int fd;

	if (o->listen && *lfd < 0 && (*lfd = lc_listen(o, &e)) == -1)
		errx(sk_err_exitcode(&e), "%s", e.msg);
	fd = o->listen ? lc_accept(o, *lfd, &e) : lc_connect(o, &e);
	if (fd == -1)
		errx(sk_err_exitcode(&e), "%s", e.msg);
	return fd;
}

static int
run(struct lc_conn *c, struct lc_opts *o, struct lc_script *script,
    struct lc_transcript *replay, const regex_t *ignore)
{
	struct sk_err e;
	struct lc_io io;

	if (o->starttls != NULL) {
		if (lc_starttls(c->fd, o->starttls, o->host, sk_deadline_in(
		    o->connect_ms ? o->connect_ms : 10000), o->verbose ? stderr :
		    NULL, &e) == -1) {
			fprintf(stderr, "linechat: %s\n", e.msg);
			return LC_EXIT_NET;
		}
	}
	if ((o->tls || o->starttls != NULL) && lc_start_tls(c, o) == -1)
		return LC_EXIT_NET;
	lc_conn_io(c, &io);
	if (replay != NULL) {
		struct lc_replay_opts ro;

		lc_replay_opts_init(&ro);
		ro.fast = o->fast;
		ro.ignore = ignore;
		ro.nignore = (size_t)o->nignore;
		return lc_replay_run(replay, &io, &ro, stderr);
	}
	if (script != NULL) {
		struct lc_script_opts so = { 0 };

		so.eol = o->raw ? "" : o->lf ? "\n" : "\r\n";
		so.verbose = o->verbose;
		return lc_script_run(script, &io, &so);
	}
	if (o->nlines > 0)
		return lc_oneshot(c, o);
	if (isatty(0) && isatty(1))
		return lc_interactive(c, o);
	return lc_relay(c, o);
}

int
main(int argc, char **argv)
{
	static struct lc_opts o = { .quit_secs = -1, .idle_ms = 5000 };
	struct lc_script *script = NULL;
	struct lc_transcript *replay = NULL;
	struct lc_conn c;
	struct sk_err e;
	const char *term = getenv("TERM"), *why;
	regex_t ignore[LC_IGNORE_MAX];
	int ch, fd, lfd = -1, rc, i;

	setlocale(LC_CTYPE, "");
	while ((ch = getopt_long(argc, argv, "46Vc:e:f:hi:klq:s:U:uvw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '4': o.family = AF_INET; o.families++; break;
		case '6': o.family = AF_INET6; o.families++; break;
		case 'V':
			printf("linechat (sockkit) %s\n", SK_VERSION);
			return 0;
		case 'c':
			if (o.nlines == LC_MAX_LINES)
				errx(LC_EXIT_USAGE, "-c %s: at most %d lines", optarg,
				    LC_MAX_LINES);
			o.lines[o.nlines++] = optarg;
			break;
		case 'e': o.script_expr = optarg; break;
		case 'f': o.script_file = optarg; break;
		case 'h': usage(1); break;
		case 'i':
			o.idle_ms = secs("-i", optarg, 86400) * 1000;
			o.idle_set = 1;
			break;
		case 'k': o.keep = 1; break;
		case 'l': o.listen = 1; break;
		case 'q': o.quit_secs = secs("-q", optarg, 86400); break;
		case 's': o.src = optarg; break;
		case 'U': o.unix_path = optarg; break;
		case 'u': o.udp = 1; break;
		case 'v': o.verbose++; break;
		case 'w':
			o.connect_ms = secs("-w", optarg, 86400) * 1000;
			o.wait_set = 1;
			break;
		case OPT_CA: o.ca_file = optarg; break;
		case OPT_FAST: o.fast = 1; break;
		case OPT_IGNORE:
			if (o.nignore == LC_IGNORE_MAX)
				errx(LC_EXIT_USAGE, "--ignore %s: at most %d "
				    "patterns", optarg, LC_IGNORE_MAX);
			o.ignore[o.nignore++] = optarg;
			break;
		case OPT_INSECURE: o.insecure = 1; break;
		case OPT_LF: o.lf = 1; break;
		case OPT_LOG: o.log_path = optarg; break;
		case OPT_NOCOLOR: o.color = -1; break;
		case OPT_RAW: o.raw = 1; break;
		case OPT_REPLAY: o.replay_path = optarg; break;
		case OPT_SHOWCRLF: o.show_crlf = 1; break;
		case OPT_STARTTLS: o.starttls = optarg; break;
		case OPT_STATS: o.stats = 1; break;
		case OPT_TLS: o.tls = 1; break;
		default: usage(0);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > (o.unix_path != NULL ? 0 : 2) || (argc == 0 &&
	    o.unix_path == NULL))
		usage(0);
	if (argc == 2) {
		o.host = argv[0];
		o.service = argv[1];
	} else if (argc == 1) {
		split_target(&o, argv[0]);
	}
	if (o.service != NULL && sk_port_parse(o.service, o.udp ? "udp" : "tcp",
	    &e) == -1)
		errx(LC_EXIT_USAGE, "%s", e.msg);
	if (o.starttls != NULL && !starttls_known(o.starttls))
		errx(LC_EXIT_USAGE, "--starttls %s: unknown protocol (smtp, imap, "
		    "pop3)", o.starttls);
	if (o.ca_file != NULL && access(o.ca_file, R_OK) == -1)
		err(LC_EXIT_USAGE, "--ca %s", o.ca_file);
	if (!!o.script_file + !!o.script_expr + !!o.replay_path + (o.nlines > 0) > 1)
		errx(LC_EXIT_USAGE, "-c, -e, -f and --replay exclude each other");
	if ((why = lc_opts_conflict(&o, isatty(0) && isatty(1) &&
	    o.nlines == 0 && o.script_file == NULL && o.script_expr == NULL &&
	    o.replay_path == NULL)) != NULL)
		errx(LC_EXIT_USAGE, "%s", why);
	o.color = o.color == 0 && isatty(1) && getenv("NO_COLOR") == NULL &&
	    term != NULL && strcmp(term, "dumb") != 0;

	/* Everything that can be wrong with the input is found before any
	 * connection is made. */
	if (o.script_expr != NULL)
		check_not_program(o.script_expr);
	if (o.script_file != NULL || o.script_expr != NULL) {
		size_t len;
		char *text = o.script_file ? slurp(o.script_file, &len) :
		    strdup(o.script_expr);

		if (o.script_expr)
			len = strlen(text);
		script = lc_script_parse(text, len, o.script_file ? o.script_file :
		    "-e", &e);
		free(text);
		if (script == NULL)
			errx(LC_EXIT_USAGE, "%s", e.msg);
	}
	if (o.replay_path != NULL) {
		replay = lc_transcript_load(o.replay_path, &e);
		if (replay == NULL)
			errx(LC_EXIT_USAGE, "%s", e.msg);
	}
	for (i = 0; i < o.nignore; i++)
		if (lc_ignore_compile(o.ignore[i], &ignore[i], &e) == -1)
			errx(LC_EXIT_USAGE, "%s", e.msg);
	signal(SIGPIPE, SIG_IGN);
	do {
		fd = open_conn(&o, &lfd);
		if (lc_conn_init(&c, fd, o.udp, &e) == -1)
			errx(sk_err_exitcode(&e), "%s", e.msg);
		if (o.log_path != NULL) {
			c.log = lc_log_open(o.log_path, o.host ? o.host :
			    o.unix_path ? o.unix_path : "*", o.service ? o.service :
			    "", &e);
			if (c.log == NULL)
				errx(LC_EXIT_USAGE, "%s", e.msg);
			lc_log_start(c.log);
			lc_log_event(c.log, "connected");
		}
		rc = run(&c, &o, script, replay, ignore);
		if (o.stats)
			fprintf(stderr, "linechat: sent %llu bytes, received %llu "
			    "bytes in %.3f s\n", (unsigned long long)c.nsent,
			    (unsigned long long)c.nrecv,
			    (double)(sk_now_ms() - c.t0) / 1000);
		if (c.log != NULL && lc_log_close(c.log, &e) == -1) {
			warnx("%s", e.msg);
			if (rc == LC_EXIT_OK)
				rc = LC_EXIT_NET;
		}
		c.log = NULL;
		lc_conn_close(&c);
	} while (o.listen && o.keep);
	if (lfd >= 0 && lfd != fd)
		close(lfd);
	if (o.listen && o.unix_path != NULL && o.unix_path[0] != '@')
		unlink(o.unix_path);
	lc_script_free(script);
	lc_transcript_free(replay);
	for (i = 0; i < o.nignore; i++)
		regfree(&ignore[i]);
	return rc;
}
