/*
 * lssock — tool-private declarations shared by its files.
 * Collection (collect.c), filtering (filter.c), owners (via lib/procmap),
 * rendering (render.c, render_json.c, summary.c) stay apart.
 */
#ifndef LSSOCK_H
#define LSSOCK_H

#include <stdint.h>
#include <stdio.h>

#include "sockkit/addr.h"
#include "sockkit/sockdiag.h"

struct sk_err;
struct sk_procmap;
struct ls_filter;
struct sk_json;

/* Output styles. */
enum ls_style { LS_SS = 0, LS_NETSTAT, LS_JSON, LS_SUMMARY, LS_METRICS };

struct ls_opts {
	unsigned protos;	/* SK_SD_* */
	int family;		/* AF_UNSPEC, AF_INET, AF_INET6 */
	uint32_t states;	/* SK_SS_BIT set */
	enum ls_style style;
	int numeric;		/* -n */
	int resolve;		/* -r */
	int owners;		/* -p */
	int extended;		/* -e */
	int info;		/* -i */
	int memory;		/* -m */
	int timers;		/* -o */
	int noheader;		/* -H */
	int useproc;		/* --proc */
	int verbose;		/* -v: say how owners were found */
	const char *netns;	/* -N */
	int all_netns;		/* --all-netns */
	const char *metrics;	/* --openmetrics FILE ("-": stdout) */
	const char *procroot;	/* LSSOCK_PROC (tests) or NULL */
	const char *diff;	/* --diff SNAPSHOT ("-": stdin) */
	int watch_ms;		/* --watch interval; 0: no live view */
	int filter_argc;	/* the filter's words as given */
	char *const *filter_argv;
	struct ls_filter *filter;	/* NULL: everything in states */
};

/* ---- filter.c: states and expressions ---------------------------------------- */

/* ss's default: every state but LISTEN, CLOSE, TIME-WAIT and SYN-RECV. */
#define LS_STATES_CONN	(SK_SS_ALL & ~(SK_SS_BIT(SK_SS_LISTEN) | \
    SK_SS_BIT(SK_SS_CLOSE) | SK_SS_BIT(SK_SS_TIME_WAIT) | \
    SK_SS_BIT(SK_SS_SYN_RECV) | SK_SS_BIT(SK_SS_NEW_SYN_RECV)))

/* States named by word ("established", "connected", "all", ...) as a
 * bitmap; 0 for an unknown word. */
uint32_t ls_state_word(const char *w);

/*
 * Parse the filter words (argv after the options) into *fp.  Leading
 * "state WORD" / "exclude WORD" clauses set *states (and *have_states);
 * the rest is an expression:
 *   expr := term { ("or" | "||") term }
 *   term := factor { ["and" | "&&"] factor }
 *   factor := ("not" | "!") factor | "(" expr ")" | cond
 *   cond := ("sport" | "dport") OP PORT | ("src" | "dst") [OP] ADDR
 * On error returns -1 with a message in err (errlen) that quotes the
 * whole filter and points at the bad token with a caret line.
 */
int ls_filter_parse(int argc, char *const argv[], struct ls_filter **fp,
    uint32_t *states, int *have_states, char *err, size_t errlen);

/* Non-zero when s passes f (a NULL f passes everything). */
int ls_filter_match(const struct ls_filter *f, const struct sk_sock *s);

void ls_filter_free(struct ls_filter *f);

/* The part of f the kernel can check (port comparisons that must all
 * hold), as INET_DIAG bytecode in bc.  Returns the conditions pushed, or
 * -1 when one can never hold. */
int ls_filter_bytecode(const struct ls_filter *f, struct sk_sockdiag_bc *bc);

/* ---- out.c: a big output buffer (stdio per field is the slow part) ------------- */

struct ls_held;
struct ls_region;

struct ls_out {
	FILE *f;
	size_t n;
	int err;
	int hold;		/* full buffers are kept, not written */
	struct ls_held *held, **tail;
	size_t held_bytes;
	struct ls_region *regions;	/* where held buffers live */
	char buf[1 << 16];
};

void ls_out_init(struct ls_out *o, FILE *f);
void ls_out_mem(struct ls_out *o, const char *s, size_t n);
void ls_out_str(struct ls_out *o, const char *s);
void ls_out_char(struct ls_out *o, char c);
void ls_out_uint(struct ls_out *o, unsigned long long v);
void ls_out_pad(struct ls_out *o, size_t n);	/* n spaces */
int ls_out_flush(struct ls_out *o);		/* -1 on a write error */
/* Keep everything written from now on in memory (out of memory sets
 * err) until ls_out_release. */
void ls_out_hold(struct ls_out *o);
/* Bytes written since ls_out_init. */
size_t ls_out_pos(const struct ls_out *o);
/* Stop holding: what was held is handed back in order, by fn (held
 * bytes, up to each position in at[0..nat), then fn's at(i)), through
 * the normal buffer.  fn(o, i, arg) may write to o. */
typedef void ls_out_at_fn(struct ls_out *o, size_t i, void *arg);
void ls_out_release(struct ls_out *o, const size_t *at, size_t nat,
    ls_out_at_fn *fn, void *arg);
/* Drop what is held (an error ends the listing). */
void ls_out_drop(struct ls_out *o);

/* ---- names.c: address and service text ------------------------------------------ */

struct ls_names;

struct ls_names *ls_names_new(int numeric, int resolve);
void ls_names_free(struct ls_names *nm);

/* ss's "host:port" for one side of s (peer when peer is set). */
size_t ls_name_endpoint(struct ls_names *nm, const struct sk_sock *s,
    int peer, char *buf, size_t len);
/* Numeric address only ("198.18.0.2", "::1"); for JSON. */
size_t ls_name_addr(const struct sk_sock *s, int peer, char *buf, size_t len);
/* netstat's "host.service". */
void ls_name_netstat(struct ls_names *nm, const struct sk_sock *s, int peer,
    char *buf, size_t len);

/* ---- render*.c ------------------------------------------------------------------ */

struct ls_render;

struct ls_render *ls_render_new(const struct ls_opts *o, FILE *out,
    const struct sk_procmap *owners);
void ls_render_header(struct ls_render *r);
/* --all-netns: the namespace the next rows come from. */
void ls_render_set_netns(struct ls_render *r, const char *name);
void ls_render_sock(struct ls_render *r, const struct sk_sock *s);
/* -p without JSON: rows may be rendered before the owner map exists.
 * ls_render_defer makes the rows wait in memory, each owner list a
 * mark; ls_render_owners fills the marks from m and writes the rows. */
void ls_render_defer(struct ls_render *r);
void ls_render_owners(struct ls_render *r, const struct sk_procmap *m);
int ls_render_end(struct ls_render *r);	/* flush, -1 on write error */
void ls_render_free(struct ls_render *r);

/* "off", "on", "keepalive", "timewait", "persist", "unknown". */
const char *ls_timer_name(int timer);

/* The JSON and netstat styles, called by ls_render_sock. */
void ls_json_sock(struct sk_json *j, const struct ls_opts *o,
    const struct sk_sock *s, const struct sk_procmap *owners,
    const char *netns);

/* ---- summary.c ------------------------------------------------------------------ */

struct ls_summary {
	unsigned long n[4][3];	/* [tcp,udp,raw,unix][total, v4, v6] */
	unsigned long tcp_state[SK_SS_MAX];
	unsigned long tw[2];		/* TIME-WAIT [v4, v6] */
};

void ls_summary_add(struct ls_summary *sum, const struct sk_sock *s);
int ls_summary_print(const struct ls_summary *sum, const char *procroot,
    FILE *out);

/* ---- metrics.c ------------------------------------------------------------------ */

struct ls_metrics;

struct ls_metrics *ls_metrics_new(void);
void ls_metrics_add(struct ls_metrics *m, const struct sk_sock *s);
/* Write the OpenMetrics text to path through a temporary file and
 * rename(2); "-" is standard output.  -1 with e filled. */
int ls_metrics_write(const struct ls_metrics *m, const char *path,
    struct sk_err *e);
void ls_metrics_free(struct ls_metrics *m);

/* ---- netns.c -------------------------------------------------------------------- */

/* Enter the network namespace /run/netns/NAME (or the nsfs file NAME
 * when it has a slash).  -1 with e filled (kind INPUT when missing). */
int ls_enter_netns(const char *name, struct sk_err *e);
int ls_enter_netns_fd(int fd, const char *what, struct sk_err *e);

struct ls_netns {
	char name[64];		/* /run/netns name, else "net:[INODE]" */
	char path[320];		/* a file that refers to it */
	unsigned long long ino, dev;
};

/* Every network namespace: /run/netns, then each process's ns/net,
 * one entry each, ordered by inode.  *list is freed by the caller. */
int ls_netns_list(const char *procroot, struct ls_netns **list, size_t *count,
    struct sk_err *e);

/* ---- snapshot.c, diff.c: --diff ------------------------------------------------ */

#define LS_SCHEMA	"sockkit.lssock/1"
#define LS_DIFF_SCHEMA	"sockkit.lssock.diff/1"
#define LS_SNAP_LINEMAX	(256 * 1024)	/* bytes of one snapshot line */

/*
 * Parse one line of `lssock -j` output (len bytes, no newline) into s
 * (cleared first) and netns ("" when the line has none; nslen bytes).
 * Fields other than identity, state and queues are skipped.  Returns 0,
 * or -1 with "column N: what" in err.
 */
int ls_snap_parse(const char *line, size_t len, struct sk_sock *s,
    char *netns, size_t nslen, char *err, size_t errlen);

/* Compare o->diff with the sockets now and print the differences.
 * Returns 0 (none), 1 (some) or -1 with e filled (a malformed snapshot
 * is SK_ERR_INPUT naming file:line). */
int ls_diff(const struct ls_opts *o, FILE *out, struct sk_err *e);

/* ---- watch*.c: --watch ------------------------------------------------------------ */

/* "1", "0.5", NULL (the default, 1 s) into *ms; -1 unless 0.1..3600 s. */
int ls_watch_interval(const char *s, int *ms);

/* The live view until q or a signal; 0, or -1 with e filled (no
 * terminal: SK_ERR_INPUT). */
int ls_watch(const struct ls_opts *o, struct sk_err *e);

/* ---- collect.c ------------------------------------------------------------------ */

/* Dump, filter and render as o says.  Returns 0 or -1 with e filled. */
int ls_collect(const struct ls_opts *o, FILE *out, struct sk_err *e);

/* Each socket o selects (netns: the --all-netns name, else NULL), with
 * the SK_SD_EXT_* in ext; fn returns non-zero to stop the dump. */
typedef int ls_each_fn(const struct sk_sock *s, const char *netns, void *arg);
int ls_collect_each(const struct ls_opts *o, unsigned ext, ls_each_fn *fn,
    void *arg, struct sk_err *e);

#endif
