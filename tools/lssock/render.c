/*
 * lssock rendering: the ss table (columns described by a table and laid
 * out here, one row per socket, no buffering of the dump) and the BSD
 * netstat look.  JSON is in render_json.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/json.h"
#include "sockkit/procmap.h"
#include "sockkit/sockdiag.h"
#include "lssock/lssock.h"

enum col_id { C_NETNS, C_NETID, C_STATE, C_RECVQ, C_SENDQ, C_LOCAL, C_PEER, C_PROC,
    C_N };

/* Widths are fixed so rows stream out; a longer value pushes the rest
 * of its row right by what it overflows. */
static const struct col {
	enum col_id id;
	const char *head;
	int width;
	int right;		/* right-aligned */
} ss_cols[] = {
	{ C_NETNS, "Netns", 16, 0 },
	{ C_NETID, "Netid", 5, 0 },
	{ C_STATE, "State", 10, 0 },
	{ C_RECVQ, "Recv-Q", 6, 0 },
	{ C_SENDQ, "Send-Q", 6, 0 },
	{ C_LOCAL, "Local Address:Port", 28, 0 },
	{ C_PEER, "Peer Address:Port", 28, 0 },
	{ C_PROC, "Process", 0, 0 },
	{ C_N, NULL, 0, 0 }
};

/* The source text's netstat -a: "Proto R-Q S-Q  Local Address ...". */
static const struct col ns_cols[] = {
	{ C_NETID, "Proto", 5, 0 },
	{ C_RECVQ, "R-Q", 3, 1 },
	{ C_SENDQ, "S-Q", 4, 1 },
	{ C_LOCAL, "Local Address", 22, 0 },
	{ C_PEER, "Foreign Address", 22, 0 },
	{ C_STATE, "(state)", 0, 0 },
	{ C_N, NULL, 0, 0 }
};

struct ls_render {
	const struct ls_opts *o;
	const struct sk_procmap *owners;
	struct ls_names *names;
	struct ls_out out;
	struct sk_json json;
	int show[C_N];
	const char *netns;	/* --all-netns: where the rows come from */
	FILE *f;
	char jbuf[1 << 16];	/* -j: the writer's buffer, write(2) when full */
	/* ls_render_defer: where each row's owners go, and whose they are. */
	int defer;
	size_t *mark_at;
	uint64_t *mark_inode;
	size_t nmark, capmark;
};

static int
popcount(unsigned v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

struct ls_render *
ls_render_new(const struct ls_opts *o, FILE *out, const struct sk_procmap *owners)
{
	struct ls_render *r = calloc(1, sizeof(*r));
	int i;

	if (r == NULL || (r->names = ls_names_new(o->numeric, o->resolve)) == NULL) {
		free(r);
		return NULL;
	}
	r->o = o;
	r->f = out;
	r->owners = owners;
	ls_out_init(&r->out, out);
	/* JSON rows skip stdio: built in jbuf, written straight to the
	 * descriptor (nothing else is written to out meanwhile). */
	if (o->style == LS_JSON && fflush(out) == 0 && fileno(out) >= 0)
		sk_json_init_fd(&r->json, fileno(out), r->jbuf, sizeof(r->jbuf));
	else
		sk_json_init(&r->json, out);
	for (i = 0; i < C_N; i++)
		r->show[i] = 1;
	/* As ss: Netid only when several kinds can appear, State only when
	 * more than one state can. */
	if (o->style == LS_SS) {
		r->show[C_NETID] = popcount(o->protos) > 1 ||
		    (o->protos & SK_SD_UNIX);
		r->show[C_STATE] = popcount(o->states) > 1;
	}
	r->show[C_NETNS] = o->all_netns;
	r->netns = "";
	return r;
}

void
ls_render_free(struct ls_render *r)
{
	if (r == NULL)
		return;
	ls_names_free(r->names);
	ls_out_drop(&r->out);
	free(r->mark_at);
	free(r->mark_inode);
	free(r);
}

/* Digits of v at the end of buf; returns their count.  snprintf here
 * costs a visible share of a 100k-row listing. */
static size_t
utoa(char *buf, size_t len, unsigned v)
{
	size_t n = 0;

	do {
		buf[len - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < len);
	return n;
}

static void
cell(struct ls_render *r, const struct col *c, const char *v, size_t n, int last)
{
	size_t pad = c->width > 0 && n < (size_t)c->width ? c->width - n : 0;

	if (c->right)
		ls_out_pad(&r->out, pad);
	ls_out_mem(&r->out, v, n);
	if (last)
		return;
	if (!c->right)
		ls_out_pad(&r->out, pad);
	ls_out_char(&r->out, ' ');
}

void
ls_render_set_netns(struct ls_render *r, const char *name)
{
	r->netns = name;
}

void
ls_render_header(struct ls_render *r)
{
	const struct col *c = r->o->style == LS_NETSTAT ? ns_cols : ss_cols;

	if (r->o->noheader || r->o->style == LS_JSON)
		return;
	if (r->o->style == LS_NETSTAT)
		ls_out_str(&r->out, r->o->states & SK_SS_BIT(SK_SS_LISTEN) ?
		    "Active Internet connections (including servers)\n" :
		    "Active Internet connections\n");
	for (; c->head != NULL; c++)
		if (r->show[c->id])
			cell(r, c, c->head, strlen(c->head), c[1].head == NULL);
	ls_out_char(&r->out, '\n');
}

/* ---- extras after the columns (-p -o -e -m -i) ----------------------------------------- */

static void
owner_text(struct ls_out *o, const struct sk_procmap *m,
    const struct sk_owner *w)
{
	int first = 1;

	if (w == NULL)
		return;
	ls_out_str(o, "users:(");
	for (; w != NULL; w = sk_procmap_next(m, w)) {
		ls_out_str(o, first ? "(\"" : ",(\"");
		first = 0;
		ls_out_str(o, w->comm);
		ls_out_str(o, "\",pid=");
		ls_out_uint(o, (unsigned)w->pid);
		ls_out_str(o, ",fd=");
		ls_out_uint(o, (unsigned)w->fd);
		ls_out_char(o, ')');
	}
	ls_out_char(o, ')');
}

static void
put_owners(struct ls_render *r, const struct sk_sock *s)
{
	size_t cap;
	void *p;

	if (!r->defer) {
		owner_text(&r->out, r->owners, s->inode == 0 ? NULL :
		    sk_procmap_find(r->owners, s->inode));
		return;
	}
	if (s->inode == 0)
		return;
	if (r->nmark == r->capmark) {
		cap = r->capmark ? 2 * r->capmark : 4096;
		if ((p = realloc(r->mark_at, cap * sizeof(*r->mark_at))) == NULL) {
			r->out.err = 1;
			return;
		}
		r->mark_at = p;
		if ((p = realloc(r->mark_inode,
		    cap * sizeof(*r->mark_inode))) == NULL) {
			r->out.err = 1;
			return;
		}
		r->mark_inode = p;
		r->capmark = cap;
	}
	r->mark_at[r->nmark] = ls_out_pos(&r->out);
	r->mark_inode[r->nmark++] = s->inode;
}

void
ls_render_defer(struct ls_render *r)
{
	r->defer = 1;
	ls_out_hold(&r->out);
}

struct owners_arg {
	const struct sk_procmap *m;
	const uint64_t *inode;
	const struct sk_owner **w;	/* each mark's first owner, or NULL */
};

static void
owners_at(struct ls_out *o, size_t i, void *arg)
{
	struct owners_arg *a = arg;

	owner_text(o, a->m, a->w != NULL ? a->w[i] :
	    sk_procmap_find(a->m, a->inode[i]));
}

void
ls_render_owners(struct ls_render *r, const struct sk_procmap *m)
{
	struct owners_arg a = { m, r->mark_inode, NULL };

	r->owners = m;
	r->defer = 0;
	/* All lookups in one go, overlapped (one at a time when there is
	 * no room for the answers). */
	if (r->nmark > 0 && (a.w = malloc(r->nmark * sizeof(*a.w))) != NULL)
		sk_procmap_find_n(m, r->mark_inode, r->nmark, a.w);
	ls_out_release(&r->out, r->mark_at, r->nmark, owners_at, &a);
	free(a.w);
	r->nmark = 0;
}

static const char *const timer_names[] = {
	"off", "on", "keepalive", "timewait", "persist", "unknown"
};

const char *
ls_timer_name(int t)
{
	return t >= 0 && t <= SK_TIMER_UNKNOWN ? timer_names[t] : "unknown";
}

static void
put_ms(struct ls_render *r, unsigned ms)
{
	char b[32];

	if (ms >= 60000)
		snprintf(b, sizeof(b), "%umin", ms / 60000);
	else if (ms >= 1000)
		snprintf(b, sizeof(b), "%.3gsec", ms / 1000.0);
	else
		snprintf(b, sizeof(b), "%ums", ms);
	ls_out_str(&r->out, b);
}

static void
put_info(struct ls_render *r, const struct sk_sock *s)
{
	const struct sk_tcp_info *t = &s->tcpi;
	char b[512];
	int n;

	if (s->cong[0] != '\0') {
		ls_out_str(&r->out, " ");
		ls_out_str(&r->out, s->cong);
	}
	if (s->tcpi_len == 0)
		return;
	n = snprintf(b, sizeof(b),
	    " wscale:%u,%u rto:%g rtt:%g/%g mss:%u cwnd:%u",
	    t->snd_wscale, t->rcv_wscale, t->rto / 1000.0,
	    t->rtt / 1000.0, t->rttvar / 1000.0, t->snd_mss,
	    t->snd_cwnd);
	if (t->snd_ssthresh < 0xffff)
		n += snprintf(b + n, sizeof(b) - n, " ssthresh:%u",
		    t->snd_ssthresh);
	n += snprintf(b + n, sizeof(b) - n,
	    " bytes_sent:%llu bytes_acked:%llu bytes_received:%llu"
	    " retrans:%u/%u delivery_rate:%llubps pacing_rate:%llubps",
	    (unsigned long long)t->bytes_sent,
	    (unsigned long long)t->bytes_acked,
	    (unsigned long long)t->bytes_received, t->retrans,
	    t->total_retrans,
	    (unsigned long long)t->delivery_rate * 8,
	    (unsigned long long)t->pacing_rate * 8);
	ls_out_mem(&r->out, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

static void
put_extras(struct ls_render *r, const struct sk_sock *s)
{
	const struct ls_opts *o = r->o;
	char b[256];

	if (o->owners)
		put_owners(r, s);
	if (o->timers && s->timer != SK_TIMER_OFF) {
		ls_out_str(&r->out, " timer:(");
		ls_out_str(&r->out, ls_timer_name(s->timer));
		ls_out_char(&r->out, ',');
		put_ms(r, s->timer_expires);
		ls_out_char(&r->out, ',');
		ls_out_uint(&r->out, s->retrans);
		ls_out_char(&r->out, ')');
	}
	if (o->extended) {
		snprintf(b, sizeof(b), " uid:%u ino:%llu sk:%llx", s->uid,
		    (unsigned long long)s->inode, (unsigned long long)s->cookie);
		ls_out_str(&r->out, b);
	}
	if (o->memory && (s->have & SK_SD_EXT_MEM)) {
		const struct sk_sock_mem *m = &s->mem;

		snprintf(b, sizeof(b),
		    " skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u,bl%u,d%u)",
		    m->rmem_alloc, m->rcvbuf, m->wmem_alloc, m->sndbuf,
		    m->fwd_alloc, m->wmem_queued, m->optmem, m->backlog,
		    m->drops);
		ls_out_str(&r->out, b);
	}
	if (o->info && s->proto == SK_SD_TCP)
		put_info(r, s);
}

/* ---- rows ----------------------------------------------------------------------------- */

static void
row_ss(struct ls_render *r, const struct sk_sock *s)
{
	char local[SK_HOSTLEN + SK_SOCK_PATHMAX + 32], peer[sizeof(local)];
	char q[24];
	const struct col *c;
	const char *v;
	size_t n, ln, pn;

	ln = ls_name_endpoint(r->names, s, 0, local, sizeof(local));
	pn = ls_name_endpoint(r->names, s, 1, peer, sizeof(peer));
	for (c = ss_cols; c->head != NULL; c++) {
		if (!r->show[c->id])
			continue;
		switch (c->id) {
		case C_NETNS:
			v = r->netns;
			n = strlen(v);
			break;
		case C_NETID:
			v = sk_sock_netid(s);
			n = strlen(v);
			break;
		case C_STATE:
			v = sk_sock_state_str(s->state);
			n = strlen(v);
			break;
		case C_RECVQ:
		case C_SENDQ:
			n = utoa(q, sizeof(q),
			    c->id == C_RECVQ ? s->rqueue : s->wqueue);
			v = q + sizeof(q) - n;
			break;
		case C_LOCAL:
			v = local;
			n = ln;
			break;
		case C_PEER:
			v = peer;
			n = pn;
			break;
		default:
			put_extras(r, s);
			continue;
		}
		cell(r, c, v, n, 0);
	}
	ls_out_char(&r->out, '\n');
}

/* netstat's state words; UDP and RAW have none. */
static const char *
netstat_state(const struct sk_sock *s)
{
	static const char *const w[SK_SS_MAX] = {
		"", "ESTABLISHED", "SYN_SENT", "SYN_RCVD", "FIN_WAIT_1",
		"FIN_WAIT_2", "TIME_WAIT", "CLOSED", "CLOSE_WAIT", "LAST_ACK",
		"LISTEN", "CLOSING", "SYN_RCVD"
	};

	if (s->proto == SK_SD_UDP || s->proto == SK_SD_RAW)
		return s->state == SK_SS_ESTABLISHED ? "ESTABLISHED" : "";
	if (s->proto == SK_SD_UNIX && s->state == SK_SS_CLOSE)
		return "";
	return (unsigned)s->state < SK_SS_MAX ? w[s->state] : "";
}

static void
row_netstat(struct ls_render *r, const struct sk_sock *s)
{
	char local[SK_HOSTLEN + SK_SERVLEN + 8], peer[sizeof(local)], q[24];
	const struct col *c;
	const char *v;
	size_t n;

	ls_name_netstat(r->names, s, 0, local, sizeof(local));
	ls_name_netstat(r->names, s, 1, peer, sizeof(peer));
	for (c = ns_cols; c->head != NULL; c++) {
		switch (c->id) {
		case C_NETID:
			if (s->family == AF_UNIX)
				v = "unix";
			else
				v = s->proto == SK_SD_TCP ?
				    (s->family == AF_INET ? "tcp" : "tcp6") :
				    s->proto == SK_SD_UDP ?
				    (s->family == AF_INET ? "udp" : "udp6") :
				    (s->family == AF_INET ? "raw" : "raw6");
			break;
		case C_RECVQ:
		case C_SENDQ:
			snprintf(q, sizeof(q), "%u",
			    c->id == C_RECVQ ? s->rqueue : s->wqueue);
			v = q;
			break;
		case C_LOCAL:
			v = local;
			break;
		case C_PEER:
			v = s->family == AF_UNIX ? "" : peer;
			break;
		default:
			v = netstat_state(s);
			break;
		}
		n = strlen(v);
		cell(r, c, v, n, c[1].head == NULL);
	}
	if (r->o->owners) {
		ls_out_char(&r->out, ' ');
		put_owners(r, s);
	}
	ls_out_char(&r->out, '\n');
}

void
ls_render_sock(struct ls_render *r, const struct sk_sock *s)
{
	switch (r->o->style) {
	case LS_JSON:
		ls_json_sock(&r->json, r->o, s, r->owners,
		    r->o->all_netns ? r->netns : NULL);
		break;
	case LS_NETSTAT:
		row_netstat(r, s);
		break;
	default:
		row_ss(r, s);
		break;
	}
}

int
ls_render_end(struct ls_render *r)
{
	int rc = ls_out_flush(&r->out);

	if (r->o->style == LS_JSON && (sk_json_flush(&r->json) < 0 ||
	    sk_json_error(&r->json)))
		rc = -1;
	return rc;
}
