/*
 * whoisd/whoisd.h — what main() hands the serving modes: the settings
 * from the command line and the state shared by every connection.
 */
#ifndef WHOISD_WHOISD_H
#define WHOISD_WHOISD_H

#include <stddef.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sockkit/err.h"
#include "sockkit/log.h"
#include "limits.h"

#define WHOISD_MAX_LISTEN 16
#define WHOISD_MAX_THREADS 64

/* whoisd uses the suite's exit codes (sockkit/err.h, whoisd(8)). */
#define WHOISD_EXIT_USAGE SK_EXIT_USAGE
#define WHOISD_EXIT_SYS   SK_EXIT_FAIL

struct whoisd_cfg {
	const char *db_path;
	const char *help_file;		/* NULL: built-in help text */
	const char *index;		/* --index, NULL: default attributes */
	size_t max_query;		/* bytes per query line */
	int max_matches;
	int read_timeout_ms;		/* query must arrive within this */
	int timeout_ms;			/* whole exchange */
	int max_clients;
	int per_ip;			/* concurrent connections per address */
	int rate;			/* queries per minute per address */
	int burst;
	int stdio;			/* allow a pipe or tty on stdin */
	int daemonize;
	int log_stderr;
	int threads;			/* serving threads (event loops) */
	const char *pidfile;
	const char *user;
	const char *listen[WHOISD_MAX_LISTEN];
	int nlisten;
	struct wd_acl acl;
};

struct wd_db;
struct wd_q_buf;
struct wd_q_help;

/* One loaded directory and its help text, shared by the serving threads
 * and freed when the last one lets go (SIGHUP swaps in a new one). */
struct wd_dir {
	struct wd_db *db;
	struct wd_q_help *help;		/* NULL: built-in help text */
	atomic_int refs;
};

/* Shared by every connection. */
struct whoisd {
	const struct whoisd_cfg *cfg;
	struct wd_dir *dir;		/* as loaded at start (refs: 1) */
	struct sk_log log;
	const char *runs_as;		/* user after dropping root, or NULL */
};

/* ---- session.c: one query, independent of how bytes move -------------- */

enum wd_outcome {
	WD_OUT_OK,			/* answered (any number of matches) */
	WD_OUT_HELP,
	WD_OUT_TOO_LONG,
	WD_OUT_BAD_CHARS,
	WD_OUT_BAD_QUERY,
	WD_OUT_DENIED,
	WD_OUT_RATE,
	WD_OUT_BUSY,
	WD_OUT_TIMEOUT,
	WD_OUT_NO_QUERY,		/* peer closed before sending a line */
	WD_OUT_WRITE_ERR
};

struct wd_txn {
	enum wd_outcome outcome;
	long matches;		/* -1 when no lookup happened */
	char query[256];	/* escaped and capped for the log */
	int64_t t0;
};

/* Build the answer to one query line (status from sk_line_read) into out
 * (the answer's size is bounded by the database and --max-matches, never
 * by what the client sends) with line ends eol; fill t.  Returns 0, or -1
 * when out of memory. */
int wd_session_answer(struct whoisd *w, const struct wd_dir *d, const char *line,
    size_t len, int status, const char *eol, struct wd_q_buf *out, struct wd_txn *t);

/* Put the "%ERROR:CODE: text" line for a refusal (WD_OUT_DENIED, WD_OUT_RATE,
 * WD_OUT_BUSY) into out. */
int wd_session_error(enum wd_outcome o, const char *eol, struct wd_q_buf *out);

/* Log one finished transaction (syslog or stderr). */
void wd_session_log(struct whoisd *w, const struct sockaddr *peer,
    const struct wd_txn *t, size_t bytes_sent);

const char *wd_outcome_str(enum wd_outcome o);

/* Load the db and help text per cfg: a new wdir with refs 1, or NULL
 * (e set).  Safe to call on any thread. */
struct wd_dir *wd_dir_load(const struct whoisd_cfg *cfg, struct sk_err *e);
/* Drop one reference; the last one frees d, on a thread of its own
 * unless now.  Returns 1 when that was the last.  NULL is a no-op. */
int wd_dir_release(struct wd_dir *d, int now);
void wd_dir_free(struct wd_dir *d);

/* Load w->dir at start (on failure -1 with e set, w unchanged). */
int wd_load(struct whoisd *w, struct sk_err *e);

/* ---- the serving modes --------------------------------------------------- */

/* inetd.c: serve the one connection on fd in (answer to out). */
int wd_serve_inetd(struct whoisd *w, int in, int out);
/* inetd.c: the database did not load (e): tell the admin (log) and a
 * socket client "%ERROR:100" without server paths; a pipe or tty (--stdio)
 * gets e on stderr.  Returns the exit code. */
int wd_inetd_broken(struct whoisd *w, int in, int out, const struct sk_err *e);

/* pool.c: serve until SIGTERM/SIGINT.  With own, fds holds nfds
 * listeners for each of cfg->threads workers (worker k's are fds[k * nfds]
 * on, SO_REUSEPORT siblings of worker 0's); else all workers watch the
 * same nfds fds. */
int wd_serve_loop(struct whoisd *w, const int *fds, int nfds, int own);

/* sys.c */
int wd_sys_drop_privileges(const char *user, struct sk_err *e);
/* Open and lock (flock) the pidfile; returns its fd, or -1 with a message
 * naming the pid that holds it. */
int wd_sys_pidfile_lock(const char *path, struct sk_err *e);
/* Remove the pidfile at exit (or empty it if its directory forbids). */
void wd_sys_pidfile_remove(const char *path, int fd);
/* Detach (if detach) and write our pid into pidfd (if >= 0). */
int wd_sys_daemonize(const char *pidfile, int pidfd, int detach, struct sk_err *e);
void wd_sys_raise_nofile(void);
/* Block (hold 1) or unblock SIGHUP, SIGTERM and SIGINT in this thread
 * and the threads it makes later, so that one arriving before the loop
 * watches them (sk_loop_signal) waits for it.  0 or -1 (e filled). */
int wd_sys_hold_signals(int hold, struct sk_err *e);

#endif
