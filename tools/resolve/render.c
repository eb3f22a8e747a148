/*
 * Results out: one text line per query (so a batch gives one line per
 * input line), or one NDJSON object per query through lib/json.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/err.h"
#include "sockkit/json.h"
#include "resolve/resolve.h"

static const char *const type_str[] = {
	[RS_HOST] = "host", [RS_ADDR] = "addr", [RS_SERV] = "service",
	[RS_PROTO] = "protocol", [RS_PLAN] = "plan"
};

static const char *
fam_str(int family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

static void
print_ep(FILE *out, const struct rs_addr *a)
{
	if (a->family == AF_INET6)
		fprintf(out, "[%s]:%d", a->addr, a->port);
	else
		fprintf(out, "%s:%d", a->addr, a->port);
}

/* An IDN query's other form: its A-labels if typed in U-labels, its
 * U-labels if typed in A-labels; 0 if it is no IDN. */
static int
idn_other(const struct rs_result *r, char *buf, size_t len)
{
	if (r->alabel[0] != '\0')
		snprintf(buf, len, "%s", r->alabel);
	else
		rs_name_unicode(r->query, buf, len);
	return buf[0] != '\0';
}

/* --probe: "(connected 0.2ms)" or "(refused 0.1ms: ...)" */
static void
print_probe(FILE *out, const struct rs_addr *a)
{
	if (a->pkind == SK_ERR_NONE)
		fprintf(out, " (connected %.1fms)", a->connect_ms);
	else
		fprintf(out, " (%s %.1fms%s%s)", sk_err_kind_str(a->pkind),
		    a->connect_ms, a->reason[0] ? " " : "", a->reason);
}

static void
render_text(FILE *out, const struct rs_result *r, const struct rs_opts *o)
{
	char idn[SK_HOSTLEN * 4];
	int i;

	if (r->err.kind != SK_ERR_NONE && r->type == RS_PLAN && r->naddr > 0) {
		/* --probe found nothing to connect to: show every attempt */
		fprintf(out, "%s %s", r->query, sk_err_kind_str(r->err.kind));
		for (i = 0; i < r->naddr; i++) {
			fprintf(out, " +%lldms ", (long long)r->addr[i].start_ms);
			print_ep(out, &r->addr[i]);
			print_probe(out, &r->addr[i]);
		}
	} else if (r->err.kind != SK_ERR_NONE) {
		fprintf(out, "%s %s %s", r->query,
		    sk_err_kind_str(r->err.kind), r->err.msg);
	} else if (r->type == RS_SERV || r->type == RS_PROTO) {
		/* getent's own layout, so the two compare line for line */
		if (r->type == RS_SERV)
			fprintf(out, "%-21s %d/%s", r->name, r->number, r->proto);
		else
			fprintf(out, "%-21s %d", r->name, r->number);
		for (i = 0; i < r->nalias; i++)
			fprintf(out, " %s", r->alias[i]);
	} else {
		fprintf(out, "%s ok", r->query);
		if (r->type == RS_ADDR)
			fprintf(out, " %s FCrDNS %s", r->name,
			    r->fcrdns == 1 ? "ok" : "mismatch");
		for (i = 0; i < r->naddr; i++) {
			if (r->type == RS_PLAN) {
				fprintf(out, " +%lldms ",
				    (long long)r->addr[i].start_ms);
				print_ep(out, &r->addr[i]);
				if (r->addr[i].probed)
					print_probe(out, &r->addr[i]);
			} else {
				fprintf(out, " %s", r->addr[i].addr);
			}
		}
		if (r->type == RS_HOST && r->canon[0] != '\0')
			fprintf(out, " canonical %s", r->canon);
		if (r->type == RS_HOST && idn_other(r, idn, sizeof(idn)))
			fprintf(out, " idn %s", idn);
	}
	if (o->timings)
		fprintf(out, " time %.1fms", r->ms);
	fputc('\n', out);
}

static void
json_probe(struct sk_json *j, const struct rs_addr *a)
{
	char msg[128];

	sk_json_key(j, "probe");
	sk_json_obj_begin(j);
	sk_json_key(j, "status");
	sk_json_str(j, a->pkind == SK_ERR_NONE ? "connected" :
	    sk_err_kind_str(a->pkind));
	sk_json_key(j, "time_ms");
	sk_json_double(j, (double)(long long)(a->connect_ms * 1000) / 1000);
	if (a->pkind != SK_ERR_NONE) {
		rs_probe_msg(a, msg, sizeof(msg));
		sk_json_key(j, "error");
		sk_json_str(j, msg);
	}
	if (a->reason[0] != '\0') {
		sk_json_key(j, "reason");
		sk_json_str(j, a->reason);
	}
	sk_json_obj_end(j);
}

static void
render_json(FILE *out, const struct rs_result *r)
{
	char idn[SK_HOSTLEN * 4];
	struct sk_json j;
	int i;

	sk_json_init(&j, out);
	sk_json_obj_begin(&j);
	sk_json_key(&j, "schema");
	sk_json_str(&j, "sockkit.resolve/1");
	sk_json_key(&j, "query");
	sk_json_str(&j, r->query);
	sk_json_key(&j, "type");
	sk_json_str(&j, type_str[r->type]);
	sk_json_key(&j, "source");
	sk_json_str(&j, "nss");
	sk_json_key(&j, "status");
	sk_json_str(&j, sk_err_kind_str(r->err.kind));
	if (r->err.kind != SK_ERR_NONE) {
		sk_json_key(&j, "error");
		sk_json_str(&j, r->err.msg);
	}
	sk_json_key(&j, "time_ms");
	sk_json_double(&j, (double)(long long)(r->ms * 1000) / 1000);
	if (r->err.kind == SK_ERR_NONE || (r->type == RS_PLAN && r->naddr > 0)) {
		switch (r->type) {
		case RS_HOST:
			sk_json_key(&j, "canonical_name");
			sk_json_str(&j, r->canon[0] ? r->canon : NULL);
			if (idn_other(r, idn, sizeof(idn))) {
				sk_json_key(&j, "idn");
				sk_json_obj_begin(&j);
				sk_json_key(&j, "u_label");
				sk_json_str(&j, r->alabel[0] ? r->query : idn);
				sk_json_key(&j, "a_label");
				sk_json_str(&j, r->alabel[0] ? idn : r->query);
				sk_json_obj_end(&j);
			}
			break;
		case RS_ADDR:
			sk_json_key(&j, "name");
			sk_json_str(&j, r->name);
			sk_json_key(&j, "fcrdns");
			sk_json_str(&j, r->fcrdns == 1 ? "ok" : "mismatch");
			break;
		case RS_SERV:
		case RS_PROTO:
			sk_json_key(&j, "name");
			sk_json_str(&j, r->name);
			sk_json_key(&j, r->type == RS_SERV ? "port" : "number");
			sk_json_int(&j, r->number);
			if (r->type == RS_SERV) {
				sk_json_key(&j, "protocol");
				sk_json_str(&j, r->proto);
			}
			sk_json_key(&j, "aliases");
			sk_json_arr_begin(&j);
			for (i = 0; i < r->nalias; i++)
				sk_json_str(&j, r->alias[i]);
			sk_json_arr_end(&j);
			break;
		case RS_PLAN:
			break;
		}
		if (r->type == RS_HOST || r->type == RS_PLAN) {
			sk_json_key(&j, r->type == RS_HOST ? "addresses" :
			    "attempts");
			sk_json_arr_begin(&j);
			for (i = 0; i < r->naddr; i++) {
				sk_json_obj_begin(&j);
				sk_json_key(&j, "family");
				sk_json_str(&j, fam_str(r->addr[i].family));
				sk_json_key(&j, "address");
				sk_json_str(&j, r->addr[i].addr);
				if (r->type == RS_PLAN) {
					sk_json_key(&j, "port");
					sk_json_int(&j, r->addr[i].port);
					sk_json_key(&j, "start_ms");
					sk_json_int(&j, r->addr[i].start_ms);
				}
				if (r->addr[i].probed)
					json_probe(&j, &r->addr[i]);
				sk_json_obj_end(&j);
			}
			sk_json_arr_end(&j);
		}
	}
	sk_json_obj_end(&j);
	sk_json_newline(&j);
}

void
rs_render(FILE *out, const struct rs_result *r, const struct rs_opts *o)
{
	if (o->json)
		render_json(out, r);
	else
		render_text(out, r, o);
}
