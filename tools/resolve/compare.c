/*
 * --compare: what NSS answers (getaddrinfo, the hosts file and DNS as
 * nsswitch.conf says, search list applied) beside what DNS answers for
 * the name as typed (A and AAAA through lib/dns), every address marked
 * as in both or in one only, and the differences explained where the
 * usual causes can be seen: a hosts-file entry, search-domain expansion,
 * an IPv4-only hosts entry hiding DNS's AAAA, NODATA against NXDOMAIN.
 *
 * The hosts file is read here (bounded lines) to tell which answers came
 * from it; the search list is the one c-ares read from resolv.conf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sockkit/deadline.h"
#include "sockkit/dns.h"
#include "sockkit/err.h"
#include "sockkit/json.h"
#include "sockkit/loop.h"
#include "resolve/resolve.h"

#define MAXA 32
#define MAXWHY 6
#define HOSTS_LINEMAX 4096

struct aset {
	char a[MAXA][INET6_ADDRSTRLEN];
	int fam[MAXA];
	int n;
};

/* One DNS question's outcome. */
struct dres {
	enum sk_err_kind kind;
	int rcode;
	char msg[SK_ERR_MSGLEN];
	char server[64];
	int done;
	struct aset *into;
	int family;
};

struct cmp {
	const char *query;
	char ascii[SK_HOSTLEN];
	struct rs_result nss;
	struct aset nssa, dnsa, hosts, expa;
	struct dres d4, d6, e4, e6;
	char expanded[SK_DNS_NAMELEN];	/* search-list name DNS answered */
	const char *why[MAXWHY];
	char whybuf[MAXWHY][2 * SK_DNS_NAMELEN + 256];
	int nwhy;
	int same;
};

static void
aset_add(struct aset *s, int fam, const char *addr)
{
	unsigned char bin[16];
	char norm[INET6_ADDRSTRLEN];
	int i;

	if (inet_pton(fam, addr, bin) != 1)
		return;
	inet_ntop(fam, bin, norm, sizeof(norm));
	for (i = 0; i < s->n; i++)
		if (strcmp(s->a[i], norm) == 0)
			return;
	if (s->n == MAXA)
		return;
	s->fam[s->n] = fam;
	snprintf(s->a[s->n++], sizeof(s->a[0]), "%s", norm);
}

static int
aset_has(const struct aset *s, const char *a)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->a[i], a) == 0)
			return 1;
	return 0;
}

static int
aset_count(const struct aset *s, int fam)
{
	int i, n = 0;

	for (i = 0; i < s->n; i++)
		n += s->fam[i] == fam;
	return n;
}

static int
name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* The addresses hosts(5) gives name: every line naming it counts, as
 * glibc's files backend with "multi on" (Debian's default). */
static void
hosts_lookup(const char *path, const char *name, struct aset *out)
{
	char line[HOSTS_LINEMAX], *tok, *save, *addr;
	FILE *f;
	int c;

	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(f))
			while ((c = getc(f)) != EOF && c != '\n')
				;	/* an over-long line is skipped whole */
		line[strcspn(line, "#\n")] = '\0';
		if ((addr = strtok_r(line, " \t\r", &save)) == NULL)
			continue;
		while ((tok = strtok_r(NULL, " \t\r", &save)) != NULL)
			if (name_eq(tok, name)) {
				aset_add(out, strchr(addr, ':') ? AF_INET6 :
				    AF_INET, addr);
				break;
			}
	}
	fclose(f);
}

static void
on_dns(void *arg, const struct sk_dns_result *r, const struct sk_err *e)
{
	struct dres *d = arg;
	size_t i;

	d->done = 1;
	d->kind = e->kind;
	d->rcode = r->rcode;
	snprintf(d->msg, sizeof(d->msg), "%s", e->msg);
	snprintf(d->server, sizeof(d->server), "%s", r->server);
	for (i = 0; r->reply != NULL && i < r->reply->nrr; i++)
		if (r->rr[i].type == (d->family == AF_INET ? SK_DNS_A :
		    SK_DNS_AAAA))
			aset_add(d->into, d->family, r->rr[i].data);
}

/* Ask A and AAAA for name at once and wait for both. */
static void
ask_pair(struct sk_loop *l, struct sk_dns *d, const char *name,
    struct dres *d4, struct dres *d6, struct aset *into)
{
	struct sk_err e;
	struct dres *p[2] = { d4, d6 };
	int i;

	for (i = 0; i < 2; i++) {
		memset(p[i], 0, sizeof(*p[i]));
		p[i]->rcode = -1;
		p[i]->into = into;
		p[i]->family = i ? AF_INET6 : AF_INET;
		if (sk_dns_query(d, name, i ? SK_DNS_AAAA : SK_DNS_A, on_dns,
		    p[i], &e) == -1) {
			p[i]->done = 1;
			p[i]->kind = e.kind;
			snprintf(p[i]->msg, sizeof(p[i]->msg), "%s", e.msg);
		}
	}
	while (!(d4->done && d6->done))
		if (sk_loop_run_once(l, SK_NEVER, NULL) == -1)
			break;
}

static void
explain(struct cmp *c, const char *fmt, const char *a, const char *b)
{
	if (c->nwhy == MAXWHY)
		return;
	snprintf(c->whybuf[c->nwhy], sizeof(c->whybuf[0]), fmt, a, b);
	c->why[c->nwhy] = c->whybuf[c->nwhy];
	c->nwhy++;
}

static int
found(const struct dres *d4, const struct dres *d6)
{
	return d4->kind == SK_ERR_NONE || d6->kind == SK_ERR_NONE;
}

/* A DNS status for the pair: ok if either has addresses, else the
 * more telling of the two (NODATA over NXDOMAIN over the rest). */
static enum sk_err_kind
pair_kind(const struct dres *d4, const struct dres *d6)
{
	if (found(d4, d6))
		return SK_ERR_NONE;
	if (d4->kind == SK_ERR_NODATA || d6->kind == SK_ERR_NODATA)
		return SK_ERR_NODATA;
	return d4->kind;
}

static void
analyse(struct cmp *c, const char *server)
{
	const struct aset *dns = c->dnsa.n > 0 ? &c->dnsa : &c->expa;
	enum sk_err_kind nk = c->nss.err.kind, dk = pair_kind(&c->d4, &c->d6);
	int i, only_nss = 0, only_dns = 0, from_hosts = 0;

	for (i = 0; i < c->nssa.n; i++)
		if (!aset_has(dns, c->nssa.a[i]))
			only_nss++;
	for (i = 0; i < dns->n; i++)
		if (!aset_has(&c->nssa, dns->a[i]))
			only_dns++;
	for (i = 0; i < c->nssa.n; i++)
		from_hosts += aset_has(&c->hosts, c->nssa.a[i]);
	c->same = only_nss == 0 && only_dns == 0 && nk == dk &&
	    c->dnsa.n == dns->n;
	if (c->hosts.n > 0 && from_hosts > 0)
		explain(c, "hosts-file entry: NSS answered %s from %s",
		    c->query, "/etc/hosts");
	if (c->hosts.n > 0 && aset_count(&c->hosts, AF_INET6) == 0 &&
	    aset_count(&c->nssa, AF_INET6) == 0 &&
	    aset_count(dns, AF_INET6) > 0)
		explain(c, "AAAA hidden: the hosts file has only IPv4 for %s, "
		    "so NSS never asks DNS for the AAAA it has%s", c->query, "");
	else if (c->hosts.n > 0 && only_dns > 0)
		explain(c, "NSS stopped at the hosts file: DNS addresses of %s "
		    "are not used%s", c->query, "");
	if (c->dnsa.n == 0 && c->expanded[0] != '\0' && c->nssa.n > 0)
		explain(c, "search-domain expansion: DNS has no address for "
		    "%s as typed; NSS and the search list find %s", c->query,
		    c->expanded);
	if (nk != dk && (nk == SK_ERR_NODATA || nk == SK_ERR_NOTFOUND) &&
	    (dk == SK_ERR_NODATA || dk == SK_ERR_NOTFOUND))
		explain(c, "NODATA vs NXDOMAIN: NSS says %s, DNS says %s",
		    sk_err_kind_str(nk), sk_err_kind_str(dk));
	else if (nk == SK_ERR_NODATA && dk == SK_ERR_NODATA)
		explain(c, "NODATA: %s exists in DNS without address records%s",
		    c->query, "");
	if (!c->same && server != NULL)
		explain(c, "DNS was asked @%s, NSS the servers of %s", server,
		    "resolv.conf");
	if (!c->same && c->nwhy == 0)
		explain(c, "unexplained: %s%s", "NSS and DNS differ", "");
}

/* ---- output ---------------------------------------------------------------- */

static const char *
mark(const struct cmp *c, const char *a)
{
	const struct aset *dns = c->dnsa.n > 0 ? &c->dnsa : &c->expa;
	int in_n = aset_has(&c->nssa, a), in_d = aset_has(dns, a);

	return in_n && in_d ? "=" : in_n ? "<" : ">";
}

static void
text(FILE *out, const struct cmp *c, const struct rs_opts *o)
{
	const struct aset *dns = c->dnsa.n > 0 ? &c->dnsa : &c->expa;
	char rb[16];
	int i;

	fprintf(out, "%s %s\n", c->query, c->same ? "same" : "differ");
	fprintf(out, "  nss %s", sk_err_kind_str(c->nss.err.kind));
	for (i = 0; i < c->nssa.n; i++)
		fprintf(out, " %s%s", mark(c, c->nssa.a[i]), c->nssa.a[i]);
	if (c->nss.err.kind != SK_ERR_NONE)
		fprintf(out, " %s", c->nss.err.msg);
	else if (c->nss.canon[0] != '\0')
		fprintf(out, " canonical %s", c->nss.canon);
	fputc('\n', out);
	fprintf(out, "  dns %s", sk_err_kind_str(pair_kind(&c->d4, &c->d6)));
	fprintf(out, " A %s AAAA %s",
	    c->d4.rcode >= 0 ? sk_dns_rcode_str(c->d4.rcode, rb, sizeof(rb)) :
	    sk_err_kind_str(c->d4.kind),
	    c->d6.rcode >= 0 ? sk_dns_rcode_str(c->d6.rcode, rb, sizeof(rb)) :
	    sk_err_kind_str(c->d6.kind));
	for (i = 0; i < dns->n; i++)
		fprintf(out, " %s%s", mark(c, dns->a[i]), dns->a[i]);
	if (c->expanded[0] != '\0' && c->dnsa.n == 0)
		fprintf(out, " (for %s)", c->expanded);
	if (c->d4.server[0] != '\0')
		fprintf(out, " server %s", c->d4.server);
	fputc('\n', out);
	for (i = 0; i < c->nwhy; i++)
		fprintf(out, "  ! %s\n", c->why[i]);
	(void)o;
}

static void
json_addrs(struct sk_json *j, const struct cmp *c, const struct aset *s)
{
	int i;

	sk_json_arr_begin(j);
	for (i = 0; i < s->n; i++) {
		sk_json_obj_begin(j);
		sk_json_key(j, "family");
		sk_json_str(j, s->fam[i] == AF_INET6 ? "inet6" : "inet");
		sk_json_key(j, "address");
		sk_json_str(j, s->a[i]);
		sk_json_key(j, "in");
		sk_json_str(j, *mark(c, s->a[i]) == '=' ? "both" :
		    *mark(c, s->a[i]) == '<' ? "nss" : "dns");
		sk_json_obj_end(j);
	}
	sk_json_arr_end(j);
}

static void
json_rcode(struct sk_json *j, const char *key, const struct dres *d)
{
	char rb[16];

	sk_json_key(j, key);
	sk_json_str(j, d->rcode >= 0 ? sk_dns_rcode_str(d->rcode, rb,
	    sizeof(rb)) : NULL);
}

static void
json(FILE *out, const struct cmp *c)
{
	const struct aset *dns = c->dnsa.n > 0 ? &c->dnsa : &c->expa;
	struct sk_json j;
	int i;

	sk_json_init(&j, out);
	sk_json_obj_begin(&j);
	sk_json_key(&j, "schema");
	sk_json_str(&j, "sockkit.resolve/1");
	sk_json_key(&j, "query");
	sk_json_str(&j, c->query);
	sk_json_key(&j, "type");
	sk_json_str(&j, "compare");
	sk_json_key(&j, "same");
	sk_json_bool(&j, c->same);
	sk_json_key(&j, "nss");
	sk_json_obj_begin(&j);
	sk_json_key(&j, "source");
	sk_json_str(&j, "nss");
	sk_json_key(&j, "status");
	sk_json_str(&j, sk_err_kind_str(c->nss.err.kind));
	if (c->nss.err.kind != SK_ERR_NONE) {
		sk_json_key(&j, "error");
		sk_json_str(&j, c->nss.err.msg);
	}
	sk_json_key(&j, "canonical_name");
	sk_json_str(&j, c->nss.canon[0] ? c->nss.canon : NULL);
	sk_json_key(&j, "addresses");
	json_addrs(&j, c, &c->nssa);
	sk_json_obj_end(&j);
	sk_json_key(&j, "dns");
	sk_json_obj_begin(&j);
	sk_json_key(&j, "source");
	sk_json_str(&j, "dns");
	sk_json_key(&j, "status");
	sk_json_str(&j, sk_err_kind_str(pair_kind(&c->d4, &c->d6)));
	json_rcode(&j, "rcode_a", &c->d4);
	json_rcode(&j, "rcode_aaaa", &c->d6);
	sk_json_key(&j, "server");
	sk_json_str(&j, c->d4.server[0] ? c->d4.server : NULL);
	sk_json_key(&j, "answered_name");
	sk_json_str(&j, c->dnsa.n > 0 ? c->ascii : c->expanded[0] ?
	    c->expanded : NULL);
	sk_json_key(&j, "addresses");
	json_addrs(&j, c, dns);
	sk_json_obj_end(&j);
	sk_json_key(&j, "hosts_file");
	sk_json_arr_begin(&j);
	for (i = 0; i < c->hosts.n; i++)
		sk_json_str(&j, c->hosts.a[i]);
	sk_json_arr_end(&j);
	sk_json_key(&j, "differences");
	sk_json_arr_begin(&j);
	for (i = 0; i < c->nwhy; i++)
		sk_json_str(&j, c->why[i]);
	sk_json_arr_end(&j);
	sk_json_obj_end(&j);
	sk_json_newline(&j);
}

/* ---- the run ------------------------------------------------------------------ */

static int
compare_one(struct cmp *c, struct sk_loop *l, struct sk_dns *d,
    const struct rs_opts *o)
{
	char cand[8][SK_DNS_NAMELEN];
	size_t n, k;
	int i;

	rs_query(&c->nss, RS_HOST, c->query, NULL, o);
	if (c->nss.err.kind == SK_ERR_INPUT)
		return SK_EXIT_USAGE;
	for (i = 0; i < c->nss.naddr; i++)
		aset_add(&c->nssa, c->nss.addr[i].family, c->nss.addr[i].addr);
	rs_name_ascii(c->query, c->ascii, sizeof(c->ascii), o, NULL);
	hosts_lookup("/etc/hosts", c->ascii, &c->hosts);
	ask_pair(l, d, c->ascii, &c->d4, &c->d6, &c->dnsa);
	/* No address for the name as typed: which name of the search list
	 * has them, as NSS would have tried? */
	if (!found(&c->d4, &c->d6)) {
		n = sk_dns_search_list(d, c->ascii, cand, 8);
		for (k = 0; k < n; k++) {
			if (name_eq(cand[k], c->ascii))
				continue;
			ask_pair(l, d, cand[k], &c->e4, &c->e6, &c->expa);
			if (found(&c->e4, &c->e6)) {
				snprintf(c->expanded, sizeof(c->expanded), "%s",
				    cand[k]);
				break;
			}
		}
	}
	analyse(c, o->server);
	if (o->json)
		json(stdout, c);
	else
		text(stdout, c, o);
	fflush(stdout);
	if (c->d4.kind == SK_ERR_TIMEOUT || c->nss.err.kind == SK_ERR_TIMEOUT ||
	    c->nss.err.kind == SK_ERR_SYSTEM)
		return SK_EXIT_FAIL;
	return c->same ? SK_EXIT_OK : SK_EXIT_NEGATIVE;
}

/* Compare each name; the worst exit code (0 all same, 1 some differ, 2
 * a bad name, 3 a lookup failed), -1 (errno) or -2 (bad server). */
int
rs_compare(char **names, int n, const struct rs_opts *o)
{
	struct sk_dns_opts dopt;
	struct sk_loop *l;
	struct sk_dns *d;
	struct sk_err e;
	struct cmp *c;
	int i, x, worst = 0;

	memset(&dopt, 0, sizeof(dopt));
	dopt.servers = o->server;
	dopt.timeout_ms = o->timeout_ms;
	dopt.tries = o->retries + 1;
	dopt.flags = o->tcp ? SK_DNS_TCP : 0;
	if ((l = sk_loop_new(16, &e)) == NULL)
		return -1;
	if ((d = sk_dns_new(l, &dopt, &e)) == NULL) {
		fprintf(stderr, "resolve: %s\n", e.msg);
		sk_loop_free(l);
		return e.kind == SK_ERR_INPUT ? -2 : -1;
	}
	for (i = 0; i < n; i++) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			worst = -1;
			break;
		}
		c->query = names[i];
		if ((x = compare_one(c, l, d, o)) > worst)
			worst = x;
		free(c);
	}
	sk_dns_free(d);
	sk_loop_free(l);
	return worst;
}
