/*
 * lssock -j: one NDJSON object per socket, schema "sockkit.lssock/1",
 * written through the library's JSON writer (numbers stay numbers,
 * strings are escaped there).
 */
#include <sys/socket.h>

#include "sockkit/json.h"
#include "sockkit/procmap.h"
#include "sockkit/sockdiag.h"
#include "lssock/lssock.h"

static void
kv_uint(struct sk_json *j, const char *k, unsigned long long v)
{
	sk_json_key(j, k);
	sk_json_uint(j, v);
}

static void
kv_str(struct sk_json *j, const char *k, const char *v)
{
	sk_json_key(j, k);
	sk_json_str(j, v);
}

static void
owners(struct sk_json *j, const struct sk_sock *s, const struct sk_procmap *m)
{
	const struct sk_owner *w;

	sk_json_key(j, "owners");
	sk_json_arr_begin(j);
	for (w = s->inode ? sk_procmap_find(m, s->inode) : NULL; w != NULL;
	    w = sk_procmap_next(m, w)) {
		sk_json_obj_begin(j);
		kv_str(j, "comm", w->comm);
		kv_uint(j, "pid", (unsigned)w->pid);
		kv_uint(j, "fd", (unsigned)w->fd);
		sk_json_obj_end(j);
	}
	sk_json_arr_end(j);
}

static void
tcp_info(struct sk_json *j, const struct sk_sock *s)
{
	const struct sk_tcp_info *t = &s->tcpi;

	if (s->cong[0] != '\0')
		kv_str(j, "cong", s->cong);
	if (s->tcpi_len == 0)
		return;
	sk_json_key(j, "tcp_info");
	sk_json_obj_begin(j);
	kv_uint(j, "rtt_us", t->rtt);
	kv_uint(j, "rttvar_us", t->rttvar);
	kv_uint(j, "min_rtt_us", t->min_rtt);
	kv_uint(j, "rto_us", t->rto);
	kv_uint(j, "mss", t->snd_mss);
	kv_uint(j, "cwnd", t->snd_cwnd);
	kv_uint(j, "ssthresh", t->snd_ssthresh);
	kv_uint(j, "unacked", t->unacked);
	kv_uint(j, "lost", t->lost);
	kv_uint(j, "retrans", t->retrans);
	kv_uint(j, "total_retrans", t->total_retrans);
	kv_uint(j, "bytes_sent", t->bytes_sent);
	kv_uint(j, "bytes_acked", t->bytes_acked);
	kv_uint(j, "bytes_received", t->bytes_received);
	kv_uint(j, "delivery_rate_bps", t->delivery_rate * 8);
	kv_uint(j, "pacing_rate_bps", t->pacing_rate * 8);
	kv_uint(j, "snd_wscale", t->snd_wscale);
	kv_uint(j, "rcv_wscale", t->rcv_wscale);
	sk_json_obj_end(j);
}

static void
skmem(struct sk_json *j, const struct sk_sock_mem *m)
{
	sk_json_key(j, "skmem");
	sk_json_obj_begin(j);
	kv_uint(j, "rmem_alloc", m->rmem_alloc);
	kv_uint(j, "rcvbuf", m->rcvbuf);
	kv_uint(j, "wmem_alloc", m->wmem_alloc);
	kv_uint(j, "sndbuf", m->sndbuf);
	kv_uint(j, "fwd_alloc", m->fwd_alloc);
	kv_uint(j, "wmem_queued", m->wmem_queued);
	kv_uint(j, "optmem", m->optmem);
	kv_uint(j, "backlog", m->backlog);
	kv_uint(j, "drops", m->drops);
	sk_json_obj_end(j);
}

void
ls_json_sock(struct sk_json *j, const struct ls_opts *o, const struct sk_sock *s,
    const struct sk_procmap *m, const char *netns)
{
	char a[64];

	sk_json_obj_begin(j);
	kv_str(j, "schema", LS_SCHEMA);
	if (netns != NULL)
		kv_str(j, "netns", netns);
	kv_str(j, "netid", sk_sock_netid(s));
	kv_str(j, "family", s->family == AF_INET ? "inet" :
	    s->family == AF_INET6 ? "inet6" : "unix");
	kv_str(j, "state", sk_sock_state_str(s->state));
	kv_uint(j, "recv_q", s->rqueue);
	kv_uint(j, "send_q", s->wqueue);
	if (s->family == AF_UNIX) {
		sk_json_key(j, "local_path");
		if (s->path[0] != '\0')
			sk_json_str(j, s->path);
		else
			sk_json_null(j);
		kv_uint(j, "peer_inode", s->peer_inode);
	} else {
		ls_name_addr(s, 0, a, sizeof(a));
		kv_str(j, "local_addr", a);
		kv_uint(j, "local_port", s->sport);
		ls_name_addr(s, 1, a, sizeof(a));
		kv_str(j, "peer_addr", a);
		kv_uint(j, "peer_port", s->dport);
		if (s->v6only >= 0) {
			sk_json_key(j, "v6only");
			sk_json_bool(j, s->v6only);
		}
		if (s->proto == SK_SD_RAW)
			kv_uint(j, "protocol", (unsigned)s->protocol);
	}
	kv_uint(j, "inode", s->inode);
	if (s->have & SK_SD_EXT_UID)
		kv_uint(j, "uid", s->uid);
	if (o->extended && s->cookie != 0)
		kv_uint(j, "cookie", s->cookie);
	if (o->owners)
		owners(j, s, m);
	if (o->timers && (s->have & SK_SD_EXT_TIMER) && s->timer != SK_TIMER_OFF) {
		sk_json_key(j, "timer");
		sk_json_obj_begin(j);
		kv_str(j, "name", ls_timer_name(s->timer));
		kv_uint(j, "expires_ms", s->timer_expires);
		kv_uint(j, "retrans", s->retrans);
		sk_json_obj_end(j);
	}
	if (o->memory && (s->have & SK_SD_EXT_MEM))
		skmem(j, &s->mem);
	if (o->info && s->proto == SK_SD_TCP)
		tcp_info(j, s);
	sk_json_obj_end(j);
	sk_json_newline(j);
}
