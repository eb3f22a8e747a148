/*
 * lssock --diff SNAPSHOT: the sockets of a saved `lssock -j` listing
 * against the sockets now, both through the same selection (protocols,
 * families, states, filter), matched by identity:
 *
 *   inet: netns, netid, family, local address and port, peer address
 *         and port (raw: and the IP protocol);
 *   UNIX: netns, netid, path, inode and peer inode.
 *
 * A socket in both with another state is "changed"; only now is
 * "appeared", only in the snapshot is "gone".  Identities that repeat
 * (SO_REUSEPORT listeners, unconnected UDP sockets on one port) are
 * paired in order, the rest of either side appearing or gone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/err.h"
#include "sockkit/json.h"
#include "lssock/arena.h"
#include "lssock/lssock.h"

#define SNAP_MAX_SOCKS 4000000	/* a bound on what one snapshot may hold */

/* One socket, kept small: 100k of them per side. */
struct drec {
	const char *netns;	/* arena; "" outside --all-netns */
	const char *path;	/* arena; UNIX, "" when unnamed */
	uint64_t inode, peer_inode;
	unsigned char src[16], dst[16];
	uint16_t sport, dport;
	uint8_t proto, state, type, protocol;
	uint8_t family;
	int8_t v6only;
};

struct dset {
	struct drec *v;
	size_t n, cap;
	struct ls_chunk *arena;
	const char *lastns;	/* namespaces repeat: store each run once */
	int nomem;
};

static int
dset_add(struct dset *d, const struct sk_sock *s, const char *netns)
{
	struct drec *r;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		struct drec *v = reallocarray(d->v, cap, sizeof(*v));

		if (v == NULL)
			return -1;
		d->v = v;
		d->cap = cap;
	}
	r = &d->v[d->n];
	memset(r, 0, sizeof(*r));
	if (netns == NULL || netns[0] == '\0')
		r->netns = "";
	else if (d->lastns != NULL && strcmp(d->lastns, netns) == 0)
		r->netns = d->lastns;
	else if ((r->netns = d->lastns = ls_intern(&d->arena, netns)) == NULL)
		return -1;
	r->proto = (uint8_t)s->proto;
	r->family = (uint8_t)s->family;
	r->state = (uint8_t)s->state;
	if (s->family == AF_UNIX) {
		r->type = (uint8_t)s->type;
		if ((r->path = ls_intern(&d->arena, s->path)) == NULL)
			return -1;
		r->inode = s->inode;
		r->peer_inode = s->peer_inode;
	} else {
		r->path = "";
		memcpy(r->src, s->src, 16);
		memcpy(r->dst, s->dst, 16);
		r->sport = s->sport;
		r->dport = s->dport;
		r->protocol = (uint8_t)s->protocol;
		r->v6only = (int8_t)s->v6only;
		r->inode = s->inode;
	}
	d->n++;
	return 0;
}

static void
dset_free(struct dset *d)
{
	ls_arena_free(&d->arena);
	free(d->v);
}

/* Identity order; state last, so equal identities pair up by state. */
static int
id_cmp(const struct drec *a, const struct drec *b)
{
	int c;

	if ((c = strcmp(a->netns, b->netns)) != 0)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->family == AF_UNIX) {
		if (a->type != b->type)
			return a->type < b->type ? -1 : 1;
		if ((c = strcmp(a->path, b->path)) != 0)
			return c;
		if (a->inode != b->inode)
			return a->inode < b->inode ? -1 : 1;
		if (a->peer_inode != b->peer_inode)
			return a->peer_inode < b->peer_inode ? -1 : 1;
		return 0;
	}
	if ((c = memcmp(a->src, b->src, 16)) != 0)
		return c;
	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	if ((c = memcmp(a->dst, b->dst, 16)) != 0)
		return c;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	if (a->protocol != b->protocol)
		return a->protocol < b->protocol ? -1 : 1;
	return 0;
}

static int
sort_cmp(const void *x, const void *y)
{
	const struct drec *a = x, *b = y;
	int c = id_cmp(a, b);

	if (c != 0)
		return c;
	return a->state < b->state ? -1 : a->state > b->state;
}

/* What the options select, for a socket from either side. */
static int
selected(const struct ls_opts *o, const struct sk_sock *s)
{
	unsigned protos = o->protos ? o->protos : SK_SD_ALL;

	if (!(protos & s->proto))
		return 0;
	if (o->family != AF_UNSPEC && s->family != o->family)
		return 0;
	if (!(o->states & SK_SS_BIT(s->state)))
		return 0;
	return ls_filter_match(o->filter, s);
}

/* ---- the snapshot -------------------------------------------------------------------- */

static int
load(const struct ls_opts *o, const char *path, struct dset *d,
    struct sk_err *e)
{
	char *line, netns[64], msg[256];
	struct sk_sock s;
	unsigned long lineno = 0;
	size_t n;
	int c = 0, rc = -1;
	FILE *f;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL)
		return sk_err_sys(e, "%s", path);
	if ((line = malloc(LS_SNAP_LINEMAX + 1)) == NULL) {
		sk_err_sys(e, "%s", path);
		goto end;
	}
	while (c != EOF) {
		lineno++;
		for (n = 0; (c = getc_unlocked(f)) != EOF && c != '\n'; ) {
			if (c == '\0')
				goto bad_nul;
			if (n == LS_SNAP_LINEMAX) {
				sk_err_kset(e, SK_ERR_INPUT, EMSGSIZE,
				    "%s:%lu: line longer than %d bytes", path,
				    lineno, LS_SNAP_LINEMAX);
				goto end;
			}
			line[n++] = (char)c;
		}
		if (ferror(f)) {
			sk_err_sys(e, "%s", path);
			goto end;
		}
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' ||
		    line[n - 1] == '\t'))
			n--;
		if (n == 0)
			continue;	/* a blank line, the end */
		if (ls_snap_parse(line, n, &s, netns, sizeof(netns), msg,
		    sizeof(msg)) < 0) {
			sk_err_kset(e, SK_ERR_INPUT, EBADMSG, "%s:%lu: %s", path,
			    lineno, msg);
			goto end;
		}
		if ((netns[0] != '\0') != (o->all_netns != 0)) {
			sk_err_kset(e, SK_ERR_INPUT, EINVAL, "%s:%lu: %s", path,
			    lineno, o->all_netns ? "no \"netns\" field: not "
			    "an --all-netns snapshot" : "a \"netns\" field: an "
			    "--all-netns snapshot needs --all-netns");
			goto end;
		}
		if (!selected(o, &s))
			continue;
		if (d->n >= SNAP_MAX_SOCKS) {
			sk_err_kset(e, SK_ERR_INPUT, E2BIG, "%s:%lu: more than "
			    "%d sockets", path, lineno, SNAP_MAX_SOCKS);
			goto end;
		}
		if (dset_add(d, &s, netns) < 0) {
			sk_err_sys(e, "%s", path);
			goto end;
		}
	}
	rc = 0;
	goto end;
bad_nul:
	sk_err_kset(e, SK_ERR_INPUT, EBADMSG, "%s:%lu: NUL byte", path, lineno);
end:
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* ---- now ------------------------------------------------------------------------------- */

struct now {
	const struct ls_opts *o;
	struct dset *d;
};

static int
on_now(const struct sk_sock *s, const char *netns, void *arg)
{
	struct now *nw = arg;

	if (!selected(nw->o, s))
		return 0;
	if (dset_add(nw->d, s, netns) < 0) {
		nw->d->nomem = 1;
		return 1;
	}
	return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

enum change { APPEARED, GONE, CHANGED };

struct dout {
	const struct ls_opts *o;
	struct ls_names *names;
	struct ls_out out;
	struct sk_json json;
	struct sk_sock tmp;
	int started;		/* the text header is out */
};

static const struct sk_sock *
as_sock(struct dout *w, const struct drec *r)
{
	struct sk_sock *s = &w->tmp;

	s->proto = r->proto;
	s->family = r->family;
	s->type = r->type;
	s->state = r->state;
	memcpy(s->src, r->src, 16);
	memcpy(s->dst, r->dst, 16);
	s->sport = r->sport;
	s->dport = r->dport;
	s->protocol = r->protocol;
	s->v6only = r->v6only;
	snprintf(s->path, sizeof(s->path), "%s", r->path);
	s->inode = r->inode;
	s->peer_inode = r->peer_inode;
	return s;
}

static void
cell(struct ls_out *o, const char *v, size_t width)
{
	size_t n = strlen(v);

	ls_out_mem(o, v, n);
	ls_out_pad(o, n < width ? width - n : 0);
	ls_out_char(o, ' ');
}

/* Before the first row only: no differences, no output, as diff(1). */
static void
text_header(struct dout *w)
{
	if (w->started++ || w->o->noheader)
		return;
	if (w->o->all_netns)
		cell(&w->out, "Netns", 16);
	ls_out_str(&w->out, "  Netid State                Local Address:Port"
	    "           Peer Address:Port\n");
}

static void
text_row(struct dout *w, enum change c, const struct drec *old,
    const struct drec *r)
{
	char local[SK_HOSTLEN + SK_SOCK_PATHMAX + 32], peer[sizeof(local)];
	char st[48];
	const struct sk_sock *s = as_sock(w, r);

	text_header(w);
	if (w->o->all_netns)
		cell(&w->out, r->netns, 16);
	ls_out_str(&w->out, c == APPEARED ? "+ " : c == GONE ? "- " : "~ ");
	cell(&w->out, sk_sock_netid(s), 5);
	if (c == CHANGED)
		snprintf(st, sizeof(st), "%s->%s", sk_sock_state_str(old->state),
		    sk_sock_state_str(r->state));
	else
		snprintf(st, sizeof(st), "%s", sk_sock_state_str(r->state));
	cell(&w->out, st, 20);
	ls_name_endpoint(w->names, s, 0, local, sizeof(local));
	ls_name_endpoint(w->names, s, 1, peer, sizeof(peer));
	cell(&w->out, local, 28);
	ls_out_str(&w->out, peer);
	ls_out_char(&w->out, '\n');
}

static void
json_row(struct dout *w, enum change c, const struct drec *old,
    const struct drec *r)
{
	static const char *const words[] = { "appeared", "gone", "changed" };
	struct sk_json *j = &w->json;
	const struct sk_sock *s = as_sock(w, r);
	char a[64];

	sk_json_obj_begin(j);
	sk_json_key(j, "schema");
	sk_json_str(j, LS_DIFF_SCHEMA);
	sk_json_key(j, "change");
	sk_json_str(j, words[c]);
	if (r->netns[0] != '\0') {
		sk_json_key(j, "netns");
		sk_json_str(j, r->netns);
	}
	sk_json_key(j, "netid");
	sk_json_str(j, sk_sock_netid(s));
	sk_json_key(j, "family");
	sk_json_str(j, s->family == AF_INET ? "inet" :
	    s->family == AF_INET6 ? "inet6" : "unix");
	sk_json_key(j, "state");
	sk_json_str(j, sk_sock_state_str(r->state));
	if (c == CHANGED) {
		sk_json_key(j, "old_state");
		sk_json_str(j, sk_sock_state_str(old->state));
	}
	if (s->family == AF_UNIX) {
		sk_json_key(j, "local_path");
		if (s->path[0] != '\0')
			sk_json_str(j, s->path);
		else
			sk_json_null(j);
		sk_json_key(j, "peer_inode");
		sk_json_uint(j, s->peer_inode);
	} else {
		ls_name_addr(s, 0, a, sizeof(a));
		sk_json_key(j, "local_addr");
		sk_json_str(j, a);
		sk_json_key(j, "local_port");
		sk_json_uint(j, s->sport);
		ls_name_addr(s, 1, a, sizeof(a));
		sk_json_key(j, "peer_addr");
		sk_json_str(j, a);
		sk_json_key(j, "peer_port");
		sk_json_uint(j, s->dport);
		if (s->proto == SK_SD_RAW) {
			sk_json_key(j, "protocol");
			sk_json_uint(j, (unsigned)s->protocol);
		}
	}
	sk_json_key(j, "inode");
	sk_json_uint(j, s->inode);
	sk_json_obj_end(j);
	sk_json_newline(j);
}

static void
emit(struct dout *w, enum change c, const struct drec *old,
    const struct drec *r)
{
	if (w->o->style == LS_JSON)
		json_row(w, c, old, r);
	else
		text_row(w, c, old, r);
}

/* Walk both sorted sets once; returns the number of differences. */
static unsigned long
merge(struct dout *w, const struct dset *then, const struct dset *now)
{
	size_t i = 0, k = 0;
	unsigned long ndiff = 0;
	int c;

	while (i < then->n || k < now->n) {
		if (i == then->n)
			c = 1;
		else if (k == now->n)
			c = -1;
		else
			c = id_cmp(&then->v[i], &now->v[k]);
		if (c < 0) {
			emit(w, GONE, NULL, &then->v[i++]);
			ndiff++;
		} else if (c > 0) {
			emit(w, APPEARED, NULL, &now->v[k++]);
			ndiff++;
		} else {
			if (then->v[i].state != now->v[k].state) {
				emit(w, CHANGED, &then->v[i], &now->v[k]);
				ndiff++;
			}
			i++;
			k++;
		}
	}
	return ndiff;
}

int
ls_diff(const struct ls_opts *o, FILE *out, struct sk_err *e)
{
	struct dset then, now;
	struct now nw;
	struct dout *w = NULL;
	unsigned long ndiff;
	int rc = -1;

	memset(&then, 0, sizeof(then));
	memset(&now, 0, sizeof(now));
	if (load(o, o->diff, &then, e) < 0)
		goto end;
	nw.o = o;
	nw.d = &now;
	if (ls_collect_each(o, 0, on_now, &nw, e) < 0)
		goto end;
	if (now.nomem) {
		sk_err_kset(e, SK_ERR_SYSTEM, ENOMEM, "lssock: out of memory");
		goto end;
	}
	qsort(then.v, then.n, sizeof(*then.v), sort_cmp);
	qsort(now.v, now.n, sizeof(*now.v), sort_cmp);
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->names = ls_names_new(o->numeric, o->resolve)) == NULL) {
		sk_err_sys(e, "lssock");
		goto end;
	}
	w->o = o;
	ls_out_init(&w->out, out);
	sk_json_init(&w->json, out);
	ndiff = merge(w, &then, &now);
	if (ls_out_flush(&w->out) < 0 || sk_json_error(&w->json)) {
		sk_err_sys(e, "write");
		goto end;
	}
	rc = ndiff > 0;
end:
	if (w != NULL) {
		ls_names_free(w->names);
		free(w);
	}
	dset_free(&then);
	dset_free(&now);
	return rc;
}
