/*
 * DNS results out: one text line per query (so a batch gives one line
 * per input line) with every answer record as dig's answer section has
 * it (owner, TTL, type, data), or one NDJSON object through lib/json.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/dns.h"
#include "sockkit/err.h"
#include "sockkit/json.h"
#include "resolve/resolve.h"

/* The other form of the name, when it is an IDN: the A-label form if
 * the query was typed in U-labels, the U-label form if in A-labels. */
static const char *
idn_other(const struct rs_dns_view *v, char *buf, size_t len)
{
	buf[0] = '\0';
	if (v->ascii[0] != '\0' && strcmp(v->query, v->ascii) != 0)
		return v->ascii;
	if (v->ascii[0] != '\0')
		rs_name_unicode(v->ascii, buf, len);
	return buf;
}

/*
 * A text line is built here and handed to stdio in one piece: a batch
 * writes tens of thousands of lines, and a dozen fprintf calls each was
 * a good part of what a line cost.  A line longer than the buffer (many
 * long records) goes out in pieces, in order.
 */
struct line {
	FILE *out;
	size_t n;
	char b[4096];
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (l->n + n > sizeof(l->b)) {
		fwrite(l->b, 1, l->n, l->out);
		l->n = 0;
		if (n > sizeof(l->b)) {
			fwrite(s, 1, n, l->out);
			return;
		}
	}
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void
puts2(struct line *l, const char *sep, const char *s)
{
	put(l, sep, strlen(sep));
	put(l, s, strlen(s));
}

static void
putu(struct line *l, const char *sep, unsigned long long v)
{
	char d[24], *p = d + sizeof(d);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(l, sep, strlen(sep));
	put(l, p, (size_t)(d + sizeof(d) - p));
}

static void
text(FILE *out, const struct rs_dns_view *v, const struct rs_opts *o)
{
	const struct sk_dns_result *r = v->res;
	char tb[16], rb[16], idn[SK_HOSTLEN * 4];
	const char *other = idn_other(v, idn, sizeof(idn));
	struct line l;
	size_t i;

	l.out = out;
	l.n = 0;
	puts2(&l, "", v->query);
	puts2(&l, " ", sk_dns_type_str(v->type, tb, sizeof(tb)));
	puts2(&l, " ", sk_err_kind_str(v->err->kind));
	if (r->rcode >= 0)
		puts2(&l, " ", sk_dns_rcode_str(r->rcode, rb, sizeof(rb)));
	if (v->err->kind == SK_ERR_NONE) {
		for (i = 0; r->reply != NULL && i < r->reply->nrr; i++) {
			puts2(&l, i ? "; " : " ", r->rr[i].name);
			putu(&l, " ", r->rr[i].ttl);
			puts2(&l, " ", sk_dns_type_str(r->rr[i].type, tb,
			    sizeof(tb)));
			puts2(&l, " ", r->rr[i].data);
		}
		if (r->reply != NULL && r->reply->dropped > 0) {
			putu(&l, "; (", r->reply->dropped);
			put(&l, " more)", 6);
		}
	} else {
		puts2(&l, " ", v->err->msg);
	}
	if (other[0] != '\0')
		puts2(&l, " idn ", other);
	for (i = 0; i < v->ntried; i++) {
		puts2(&l, i ? "," : " tried ", v->tried[i].name);
		puts2(&l, "=", v->tried[i].rcode >= 0 ?
		    sk_dns_rcode_str(v->tried[i].rcode, rb, sizeof(rb)) :
		    sk_err_kind_str(v->tried[i].kind));
	}
	if (r->server[0] != '\0')
		puts2(&l, " server ", r->server);
	if (r->timeouts > 0)
		putu(&l, " retries ", (unsigned)r->timeouts);
	if (o->timings) {
		char tm[64];
		int k = snprintf(tm, sizeof(tm), " time %.1fms", r->ms);

		put(&l, tm, k > 0 && (size_t)k < sizeof(tm) ? (size_t)k : 0);
	}
	put(&l, "\n", 1);
	fwrite(l.b, 1, l.n, out);
}

static void
json(FILE *out, const struct rs_dns_view *v)
{
	const struct sk_dns_result *r = v->res;
	char tb[16], rb[16], idn[SK_HOSTLEN * 4];
	const char *other = idn_other(v, idn, sizeof(idn));
	struct sk_json j;
	size_t i;

	sk_json_init(&j, out);
	sk_json_obj_begin(&j);
	sk_json_key(&j, "schema");
	sk_json_str(&j, "sockkit.resolve/1");
	sk_json_key(&j, "query");
	sk_json_str(&j, v->query);
	sk_json_key(&j, "type");
	sk_json_str(&j, "dns");
	sk_json_key(&j, "source");
	sk_json_str(&j, "dns");
	sk_json_key(&j, "rrtype");
	sk_json_str(&j, sk_dns_type_str(v->type, tb, sizeof(tb)));
	sk_json_key(&j, "status");
	sk_json_str(&j, sk_err_kind_str(v->err->kind));
	if (v->err->kind != SK_ERR_NONE) {
		sk_json_key(&j, "error");
		sk_json_str(&j, v->err->msg);
	}
	sk_json_key(&j, "rcode");
	sk_json_str(&j, r->rcode >= 0 ? sk_dns_rcode_str(r->rcode, rb,
	    sizeof(rb)) : NULL);
	sk_json_key(&j, "server");
	sk_json_str(&j, r->server[0] ? r->server : NULL);
	sk_json_key(&j, "time_ms");
	sk_json_double(&j, (double)(long long)(r->ms * 1000) / 1000);
	sk_json_key(&j, "retries");
	sk_json_int(&j, r->timeouts);
	if (other[0] != '\0') {
		int typed_u = strcmp(v->query, v->ascii) != 0;

		sk_json_key(&j, "idn");
		sk_json_obj_begin(&j);
		sk_json_key(&j, "u_label");
		sk_json_str(&j, typed_u ? v->query : other);
		sk_json_key(&j, "a_label");
		sk_json_str(&j, typed_u ? other : v->ascii);
		sk_json_obj_end(&j);
	}
	if (r->reply != NULL) {
		sk_json_key(&j, "flags");
		sk_json_arr_begin(&j);
		if (r->reply->aa)
			sk_json_str(&j, "aa");
		if (r->reply->tc)
			sk_json_str(&j, "tc");
		if (r->reply->rd)
			sk_json_str(&j, "rd");
		if (r->reply->ra)
			sk_json_str(&j, "ra");
		sk_json_arr_end(&j);
		if (r->reply->neg_ttl > 0) {
			sk_json_key(&j, "negative_ttl");
			sk_json_uint(&j, r->reply->neg_ttl);
		}
		sk_json_key(&j, "records");
		sk_json_arr_begin(&j);
		for (i = 0; i < r->reply->nrr; i++) {
			sk_json_obj_begin(&j);
			sk_json_key(&j, "name");
			sk_json_str(&j, r->rr[i].name);
			sk_json_key(&j, "type");
			sk_json_str(&j, sk_dns_type_str(r->rr[i].type, tb,
			    sizeof(tb)));
			sk_json_key(&j, "ttl");
			sk_json_uint(&j, r->rr[i].ttl);
			sk_json_key(&j, "data");
			sk_json_str(&j, r->rr[i].data);
			if (r->rr[i].cut) {
				sk_json_key(&j, "cut");
				sk_json_bool(&j, 1);
			}
			sk_json_obj_end(&j);
		}
		sk_json_arr_end(&j);
		if (r->reply->dropped > 0) {
			sk_json_key(&j, "records_dropped");
			sk_json_uint(&j, r->reply->dropped);
		}
		/* the same shape as NSS answers, for A and AAAA */
		if (v->type == SK_DNS_A || v->type == SK_DNS_AAAA) {
			sk_json_key(&j, "addresses");
			sk_json_arr_begin(&j);
			for (i = 0; i < r->reply->nrr; i++) {
				if (r->rr[i].type != v->type)
					continue;
				sk_json_obj_begin(&j);
				sk_json_key(&j, "family");
				sk_json_str(&j, v->type == SK_DNS_A ? "inet" :
				    "inet6");
				sk_json_key(&j, "address");
				sk_json_str(&j, r->rr[i].data);
				sk_json_obj_end(&j);
			}
			sk_json_arr_end(&j);
		}
	}
	if (v->ntried > 0) {
		sk_json_key(&j, "tried");
		sk_json_arr_begin(&j);
		for (i = 0; i < v->ntried; i++) {
			sk_json_obj_begin(&j);
			sk_json_key(&j, "name");
			sk_json_str(&j, v->tried[i].name);
			sk_json_key(&j, "rcode");
			sk_json_str(&j, v->tried[i].rcode >= 0 ?
			    sk_dns_rcode_str(v->tried[i].rcode, rb, sizeof(rb)) :
			    NULL);
			sk_json_key(&j, "status");
			sk_json_str(&j, sk_err_kind_str(v->tried[i].kind));
			sk_json_obj_end(&j);
		}
		sk_json_arr_end(&j);
	}
	sk_json_obj_end(&j);
	sk_json_newline(&j);
}

void
rs_render_dns(FILE *out, const struct rs_dns_view *v, const struct rs_opts *o)
{
	if (o->json)
		json(out, v);
	else
		text(out, v, o);
}
