/* portprobe's private declarations: port lists, result collection and
 * rendering.  The scan itself is libsockkit's (sockkit/scan.h). */
#ifndef PORTPROBE_H
#define PORTPROBE_H

#include <stdint.h>
#include <stdio.h>

#include "sockkit/addr.h"
#include "sockkit/scan.h"

struct pp_opts {
	int json;		/* -j: NDJSON on stdout */
	int open_only;		/* --open */
	int progress;		/* 1 = on stderr */
	const char *grepable;	/* -oG FILE, "-" = stdout */
	const char *cmdline;	/* for -oG's header */
};

/* ---- options (opts.c) ---------------------------------------------------- */

/* "portprobe: <message>" on stderr, exit 2. */
void pp_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));
/* s as a number in lo..hi, else pp_bad naming what. */
long long pp_num(const char *what, const char *s, long long lo, long long hi);
/* nmap's times ("250ms", "2s", "1m"; bare: seconds) in microseconds. */
int64_t pp_usecs(const char *what, const char *s);
/* "--shard I/N" into so->shard, so->nshards. */
void pp_shard(const char *s, struct sk_scan_opts *so);
/* argv joined by spaces (for -oG's header; free it), NULL without memory. */
char *pp_joined(int argc, char **argv);
/* --plan: print the shard's probes in order; the exit status. */
int pp_plan(const struct sk_targets *t, const struct sk_portset *ps,
    const struct sk_scan_opts *so);

/* ---- ports (ports.c) ----------------------------------------------------- */

/* Service name of port for proto (services(5)), or "unknown"; the table
 * is read once. */
const char *pp_service(int proto, unsigned port);
/* Every port named in services(5) for proto, into ps (added). */
void pp_ports_named(struct sk_portset *ps, int proto);
/* The 100 most often open ports of proto (nmap's ranking), into ps. */
void pp_ports_top(struct sk_portset *ps, int proto);

/* ---- results (collect.c) ------------------------------------------------- */

struct pp_run;

/* A collector for results of the scan of t; reports go to stdout (and
 * o->grepable).  NULL on ENOMEM. */
struct pp_run *pp_run_new(const struct sk_targets *t, const struct pp_opts *o);
/* sk_scan_opts.on_result: stream NDJSON or keep for the table. */
void pp_run_result(const struct sk_scan_result *r, void *arg);
/* sk_scan_opts.on_progress: done/total, rate, ETA on stderr. */
void pp_run_progress(uint64_t done, uint64_t total, int64_t elapsed_us,
    void *arg);
/* The tables (or host summaries), after the scan. 0, or -1 on a write
 * error (errno). */
int pp_run_finish(struct pp_run *r, const struct sk_scan_stats *st);
/* 1 if some port was open. */
int pp_run_any_open(const struct pp_run *r);
void pp_run_free(struct pp_run *r);

#endif
