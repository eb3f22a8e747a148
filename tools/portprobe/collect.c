/*
 * portprobe's results: NDJSON streamed as verdicts come in, or kept per
 * host for nmap-like tables and -oG.  What is kept is bounded per host:
 * a (state, protocol, reason) group of more than PP_SHOWN ports keeps
 * only its count ("Not shown: 65531 closed tcp ports (conn-refused)"),
 * so a /16 scan does not hold every filtered port in memory.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/json.h"
#include "sockkit/vis.h"
#include "portprobe/portprobe.h"

#define PP_SCHEMA "sockkit.portprobe/1"
#define PP_SHOWN 25		/* nmap's threshold for "Not shown" */
#define PP_NOICMP 0xffff

struct pent {
	uint16_t port;
	uint16_t icmp;		/* type << 8 | code, or PP_NOICMP */
	int32_t rtt_us;		/* -1 without an answer */
	char *banner;		/* escaped first line, or NULL */
};

struct bucket {
	uint8_t state, proto;
	const char *reason;	/* static strings from the library */
	uint64_t count;
	struct pent *v;		/* NULL once count > PP_SHOWN (not for open) */
	uint32_t n, cap;
};

struct hostrec {
	struct bucket *b;
	uint32_t nb;
	uint64_t count[SK_PORT_NSTATES];
	int64_t min_rtt;
	const char *up_reason;	/* the best evidence the host is there */
	int up_rank;
};

struct pp_run {
	const struct sk_targets *t;
	const struct pp_opts *o;
	struct hostrec **h;
	uint64_t nh;
	struct sk_json j;
	int any_open, progress_shown;
	time_t started;
};

struct pp_run *
pp_run_new(const struct sk_targets *t, const struct pp_opts *o)
{
	struct pp_run *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->t = t;
	r->o = o;
	r->nh = t->total;
	if ((r->h = calloc(r->nh, sizeof(*r->h))) == NULL) {
		free(r);
		return NULL;
	}
	sk_json_init(&r->j, stdout);
	r->started = time(NULL);
	return r;
}

void
pp_run_free(struct pp_run *r)
{
	struct hostrec *h;
	uint64_t i;
	uint32_t k, m;

	if (r == NULL)
		return;
	for (i = 0; i < r->nh; i++) {
		if ((h = r->h[i]) == NULL)
			continue;
		for (k = 0; k < h->nb; k++) {
			for (m = 0; h->b[k].v != NULL && m < h->b[k].n; m++)
				free(h->b[k].v[m].banner);
			free(h->b[k].v);
		}
		free(h->b);
		free(h);
	}
	free(r->h);
	free(r);
}

int
pp_run_any_open(const struct pp_run *r)
{
	return r->any_open;
}

static const char *
proto_str(int proto)
{
	return proto == SK_PROTO_UDP ? "udp" : "tcp";
}

/* The first line of a banner, escaped for a terminal or a JSON string. */
static char *
banner_line(const char *b, size_t n)
{
	size_t i;
	char *out;

	for (i = 0; i < n && b[i] != '\n' && b[i] != '\r'; i++)
		;
	if ((out = malloc(SK_VIS_SIZE(i))) == NULL)
		return NULL;
	sk_vis(out, SK_VIS_SIZE(i), b, i, 0, NULL);
	return out;
}

/* Evidence that a host is up, strongest first. */
static int
up_rank(const struct sk_scan_result *x)
{
	if (x->state == SK_PORT_OPEN)
		return 3;
	if (x->state == SK_PORT_CLOSED)
		return 2;
	return x->rtt_us >= 0 ? 1 : 0;
}

static void
json_port(struct pp_run *r, const struct sk_scan_result *x, const char *banner)
{
	struct sk_json *j = &r->j;
	char a[SK_ADDRSTRLEN];
	const struct sk_target *t;
	struct sockaddr_storage ss;
	socklen_t len;

	t = sk_targets_addr(r->t, x->host, &ss, &len);
	sk_json_obj_begin(j);
	sk_json_key(j, "schema");
	sk_json_str(j, PP_SCHEMA);
	sk_json_key(j, "type");
	sk_json_str(j, "port");
	sk_json_key(j, "host");
	sk_json_str(j, sk_addr_ntop(x->addr, a, sizeof(a)));
	if (t != NULL && t->name != NULL) {
		sk_json_key(j, "name");
		sk_json_str(j, t->name);
	}
	sk_json_key(j, "proto");
	sk_json_str(j, proto_str(x->proto));
	sk_json_key(j, "port");
	sk_json_uint(j, x->port);
	sk_json_key(j, "state");
	sk_json_str(j, sk_port_state_str(x->state));
	sk_json_key(j, "reason");
	sk_json_str(j, x->reason);
	sk_json_key(j, "service");
	sk_json_str(j, pp_service(x->proto, x->port));
	sk_json_key(j, "rtt_us");
	if (x->rtt_us >= 0)
		sk_json_int(j, x->rtt_us);
	else
		sk_json_null(j);
	sk_json_key(j, "tries");
	sk_json_uint(j, x->tries);
	if (x->icmp_type >= 0) {
		sk_json_key(j, "icmp_type");
		sk_json_int(j, x->icmp_type);
		sk_json_key(j, "icmp_code");
		sk_json_int(j, x->icmp_code);
		if (x->icmp_from != NULL) {
			sk_json_key(j, "icmp_from");
			sk_json_str(j, sk_addr_ntop(x->icmp_from, a, sizeof(a)));
		}
	}
	if (banner != NULL) {
		sk_json_key(j, "banner");
		sk_json_str(j, banner);
	}
	sk_json_obj_end(j);
	sk_json_newline(j);
}

static struct bucket *
bucket_of(struct hostrec *h, const struct sk_scan_result *x)
{
	struct bucket *b;
	uint32_t k;

	for (k = 0; k < h->nb; k++) {
		b = &h->b[k];
		if (b->state == x->state && b->proto == x->proto &&
		    strcmp(b->reason, x->reason) == 0)
			return b;
	}
	if ((b = realloc(h->b, (h->nb + 1) * sizeof(*b))) == NULL)
		return NULL;
	h->b = b;
	b = &h->b[h->nb++];
	memset(b, 0, sizeof(*b));
	b->state = (uint8_t)x->state;
	b->proto = (uint8_t)x->proto;
	b->reason = x->reason;
	return b;
}

static void
keep(struct hostrec *h, const struct sk_scan_result *x, char *banner)
{
	struct bucket *b = bucket_of(h, x);
	struct pent *v;
	uint32_t m;

	if (b == NULL) {
		free(banner);
		return;
	}
	b->count++;
	if (x->state != SK_PORT_OPEN && b->count > PP_SHOWN) {
		/* Summarised from here on: the ports are not shown. */
		for (m = 0; b->v != NULL && m < b->n; m++)
			free(b->v[m].banner);
		free(b->v);
		b->v = NULL;
		b->n = b->cap = 0;
		free(banner);
		return;
	}
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 4;

		if ((v = realloc(b->v, cap * sizeof(*v))) == NULL) {
			free(banner);
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	v = &b->v[b->n++];
	v->port = (uint16_t)x->port;
	v->icmp = x->icmp_type >= 0 ? (uint16_t)(x->icmp_type << 8 |
	    (x->icmp_code & 0xff)) : PP_NOICMP;
	v->rtt_us = x->rtt_us > INT32_MAX ? INT32_MAX : (int32_t)x->rtt_us;
	v->banner = banner;
}

void
pp_run_result(const struct sk_scan_result *x, void *arg)
{
	struct pp_run *r = arg;
	struct hostrec *h;
	char *banner = NULL;

	if (x->state == SK_PORT_OPEN)
		r->any_open = 1;
	if (x->host >= r->nh)
		return;
	if ((h = r->h[x->host]) == NULL) {
		if ((h = calloc(1, sizeof(*h))) == NULL)
			return;
		h->min_rtt = -1;
		r->h[x->host] = h;
	}
	h->count[x->state]++;
	if (x->rtt_us >= 0 && (h->min_rtt < 0 || x->rtt_us < h->min_rtt))
		h->min_rtt = x->rtt_us;
	if (h->up_reason == NULL || up_rank(x) > h->up_rank) {
		h->up_reason = x->reason;
		h->up_rank = up_rank(x);
	}
	if (x->banner != NULL && x->bannerlen > 0)
		banner = banner_line(x->banner, x->bannerlen);
	if (r->o->json) {
		if (!r->o->open_only || x->state == SK_PORT_OPEN)
			json_port(r, x, banner);
		if (r->o->grepable == NULL) {
			free(banner);
			return;
		}
	}
	keep(h, x, banner);
}

void
pp_run_progress(uint64_t done, uint64_t total, int64_t elapsed_us, void *arg)
{
	struct pp_run *r = arg;
	double secs = (double)elapsed_us / 1e6, rate = secs > 0 ?
	    (double)done / secs : 0;
	double eta = rate > 0 ? (double)(total - done) / rate : 0;
	int tty = isatty(STDERR_FILENO);

	fprintf(stderr, "%sportprobe: %llu/%llu probes (%.1f%%), %.0f/s, "
	    "ETA %.0fs%s", tty ? "\r" : "", (unsigned long long)done,
	    (unsigned long long)total, total ? 100.0 * (double)done /
	    (double)total : 100.0, rate, eta, tty ? "\033[K" : "\n");
	r->progress_shown = tty;
}

/* ---- tables, -oG, host summaries ------------------------------------------ */

struct row {
	uint8_t proto, state;
	const char *reason;
	const struct pent *e;
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto - y->proto;
	return (int)x->e->port - (int)y->e->port;
}

/* The rows a host's table shows, in port order; *n of them. */
static struct row *
rows_of(const struct hostrec *h, int open_only, size_t *n)
{
	struct row *v;
	size_t k, m, cnt = 0;

	for (k = 0; k < h->nb; k++)
		if (h->b[k].v != NULL)
			cnt += h->b[k].n;
	*n = 0;
	if ((v = calloc(cnt ? cnt : 1, sizeof(*v))) == NULL)
		return NULL;
	for (k = 0; k < h->nb; k++) {
		if (open_only && h->b[k].state != SK_PORT_OPEN)
			continue;
		for (m = 0; h->b[k].v != NULL && m < h->b[k].n; m++) {
			v[*n].proto = h->b[k].proto;
			v[*n].state = h->b[k].state;
			v[*n].reason = h->b[k].reason;
			v[*n].e = &h->b[k].v[m];
			(*n)++;
		}
	}
	qsort(v, *n, sizeof(*v), row_cmp);
	return v;
}

static void
rtt_str(int64_t us, char *buf, size_t len)
{
	if (us < 0)
		snprintf(buf, len, "-");
	else if (us < 10000)
		snprintf(buf, len, "%.2fms", (double)us / 1000);
	else
		snprintf(buf, len, "%.0fms", (double)us / 1000);
}

static void
table(FILE *f, const struct pp_run *r, uint64_t i, const struct hostrec *h)
{
	char a[SK_ADDRSTRLEN], port[16], reason[64], rtt[16];
	struct sockaddr_storage ss;
	const struct sk_target *t;
	struct row *v;
	socklen_t len;
	size_t k, n;
	int v6;

	t = sk_targets_addr(r->t, i, &ss, &len);
	v6 = ss.ss_family == AF_INET6;
	sk_addr_ntop((struct sockaddr *)&ss, a, sizeof(a));
	if (t != NULL && t->name != NULL)
		fprintf(f, "portprobe report for %s (%s)\n", t->name, a);
	else
		fprintf(f, "portprobe report for %s\n", a);
	if (h->up_rank > 0) {
		rtt_str(h->min_rtt, rtt, sizeof(rtt));
		fprintf(f, "Host is up, received %s (%s latency).\n",
		    h->up_reason, rtt);
	} else {
		fprintf(f, "No answer from the host.\n");
	}
	for (k = 0; k < h->nb; k++)
		if (h->b[k].v == NULL && h->b[k].state != SK_PORT_OPEN &&
		    h->b[k].count > 0)
			fprintf(f, "Not shown: %llu %s %s ports (%s)\n",
			    (unsigned long long)h->b[k].count,
			    sk_port_state_str(h->b[k].state),
			    proto_str(h->b[k].proto), h->b[k].reason);
	if ((v = rows_of(h, r->o->open_only, &n)) == NULL)
		return;
	if (n > 0)
		fprintf(f, "%-11s %-13s %-15s %-30s %s\n", "PORT", "STATE",
		    "SERVICE", "REASON", "RTT");
	for (k = 0; k < n; k++) {
		snprintf(port, sizeof(port), "%u/%s", v[k].e->port,
		    proto_str(v[k].proto));
		if (v[k].e->icmp != PP_NOICMP)
			snprintf(reason, sizeof(reason), "%s (icmp%s %u/%u)",
			    v[k].reason, v6 ? "6" : "", v[k].e->icmp >> 8,
			    v[k].e->icmp & 0xff);
		else
			snprintf(reason, sizeof(reason), "%s", v[k].reason);
		rtt_str(v[k].e->rtt_us, rtt, sizeof(rtt));
		fprintf(f, "%-11s %-13s %-15s %-30s %s\n", port,
		    sk_port_state_str(v[k].state), pp_service(v[k].proto,
		    v[k].e->port), reason, rtt);
		if (v[k].e->banner != NULL)
			fprintf(f, "|_ %s\n", v[k].e->banner);
	}
	fputc('\n', f);
	free(v);
}

static void
grepable(FILE *f, const struct pp_run *r, uint64_t i, const struct hostrec *h)
{
	char a[SK_ADDRSTRLEN];
	struct sockaddr_storage ss;
	const struct sk_target *t;
	struct row *v;
	socklen_t len;
	size_t k, n;
	const char *sep = "";

	t = sk_targets_addr(r->t, i, &ss, &len);
	sk_addr_ntop((struct sockaddr *)&ss, a, sizeof(a));
	fprintf(f, "Host: %s (%s)\tPorts: ", a, t != NULL && t->name != NULL ?
	    t->name : "");
	if ((v = rows_of(h, r->o->open_only, &n)) != NULL) {
		for (k = 0; k < n; k++) {
			fprintf(f, "%s%u/%s/%s//%s///", k ? ", " : "",
			    v[k].e->port, sk_port_state_str(v[k].state),
			    proto_str(v[k].proto), pp_service(v[k].proto,
			    v[k].e->port));
		}
		free(v);
	}
	for (k = 0; k < h->nb; k++) {
		if (h->b[k].v != NULL || h->b[k].state == SK_PORT_OPEN)
			continue;
		fprintf(f, "%sIgnored State: %s (%llu)", *sep ? sep : "\t",
		    sk_port_state_str(h->b[k].state),
		    (unsigned long long)h->b[k].count);
		sep = ", ";
	}
	fputc('\n', f);
}

static void
json_host(struct pp_run *r, uint64_t i, const struct hostrec *h)
{
	static const char *const key[SK_PORT_NSTATES] = {
		"open", "closed", "filtered", "open_filtered"
	};
	struct sk_json *j = &r->j;
	char a[SK_ADDRSTRLEN];
	struct sockaddr_storage ss;
	const struct sk_target *t;
	socklen_t len;
	uint64_t total = 0;
	int k;

	t = sk_targets_addr(r->t, i, &ss, &len);
	sk_json_obj_begin(j);
	sk_json_key(j, "schema");
	sk_json_str(j, PP_SCHEMA);
	sk_json_key(j, "type");
	sk_json_str(j, "host");
	sk_json_key(j, "host");
	sk_json_str(j, sk_addr_ntop((struct sockaddr *)&ss, a, sizeof(a)));
	if (t != NULL && t->name != NULL) {
		sk_json_key(j, "name");
		sk_json_str(j, t->name);
	}
	sk_json_key(j, "up");
	sk_json_bool(j, h->up_rank > 0);
	sk_json_key(j, "reason");
	sk_json_str(j, h->up_reason);
	sk_json_key(j, "rtt_us");
	if (h->min_rtt >= 0)
		sk_json_int(j, h->min_rtt);
	else
		sk_json_null(j);
	for (k = 0; k < SK_PORT_NSTATES; k++) {
		sk_json_key(j, key[k]);
		sk_json_uint(j, h->count[k]);
		total += h->count[k];
	}
	sk_json_key(j, "ports");
	sk_json_uint(j, total);
	sk_json_obj_end(j);
	sk_json_newline(j);
}

static void
stamp(char *buf, size_t len, time_t t)
{
	struct tm tm;

	strftime(buf, len, "%a %b %e %H:%M:%S %Y", localtime_r(&t, &tm));
}

int
pp_run_finish(struct pp_run *r, const struct sk_scan_stats *st)
{
	const struct pp_opts *o = r->o;
	FILE *g = NULL;
	char when[64];
	uint64_t i, hosts = 0, silent = 0;
	int rc = 0;

	if (r->progress_shown)
		fputc('\n', stderr);
	if (o->grepable != NULL) {
		if (strcmp(o->grepable, "-") == 0)
			g = stdout;
		else if ((g = fopen(o->grepable, "w")) == NULL)
			return -1;
		stamp(when, sizeof(when), r->started);
		fprintf(g, "# portprobe %s scan initiated %s as: %s\n",
		    SK_VERSION, when, o->cmdline ? o->cmdline : "portprobe");
	}
	for (i = 0; i < r->nh; i++) {
		if (r->h[i] == NULL)
			continue;
		hosts++;
		if (o->json)
			json_host(r, i, r->h[i]);
		else if (g != stdout && r->h[i]->up_rank == 0 && r->nh > 1)
			silent++;	/* a block's empty addresses: one line */
		else if (g != stdout)
			table(stdout, r, i, r->h[i]);
		if (g != NULL)
			grepable(g, r, i, r->h[i]);
	}
	if (g != NULL) {
		stamp(when, sizeof(when), time(NULL));
		fprintf(g, "# portprobe done at %s -- %llu IP address%s "
		    "scanned in %.2f seconds\n", when, (unsigned long long)hosts,
		    hosts == 1 ? "" : "es", (double)st->elapsed_us / 1e6);
		if (g != stdout && fclose(g) == EOF)
			rc = -1;
	}
	if (silent > 0)
		printf("%llu address%s gave no answer at all (not shown)\n",
		    (unsigned long long)silent, silent == 1 ? "" : "es");
	if (!o->json && g != stdout)
		printf("portprobe done: %llu address%s, %llu ports scanned in "
		    "%.2f s\n", (unsigned long long)hosts, hosts == 1 ? "" :
		    "es", (unsigned long long)st->probes,
		    (double)st->elapsed_us / 1e6);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = -1;
	return rc;
}
