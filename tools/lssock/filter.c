/*
 * lssock filters: ss's state words and its expression language
 * (sport/dport comparisons, src/dst address patterns, and/or/not,
 * parentheses), parsed into a small tree and evaluated per socket.
 * The filter text comes from the command line; every error quotes it
 * and points at the token, and nesting is bounded.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/addr.h"
#include "sockkit/err.h"
#include "lssock/lssock.h"

#define MAX_DEPTH 64
#define FILTER_MAX 4096		/* bytes of filter text */

/* ---- state words ---------------------------------------------------------------- */

static const struct {
	const char *word;
	uint32_t bits;
} state_words[] = {
	{ "established", SK_SS_BIT(SK_SS_ESTABLISHED) },
	{ "syn-sent", SK_SS_BIT(SK_SS_SYN_SENT) },
	{ "syn-recv", SK_SS_BIT(SK_SS_SYN_RECV) | SK_SS_BIT(SK_SS_NEW_SYN_RECV) },
	{ "fin-wait-1", SK_SS_BIT(SK_SS_FIN_WAIT1) },
	{ "fin-wait-2", SK_SS_BIT(SK_SS_FIN_WAIT2) },
	{ "time-wait", SK_SS_BIT(SK_SS_TIME_WAIT) },
	{ "closed", SK_SS_BIT(SK_SS_CLOSE) },
	{ "close-wait", SK_SS_BIT(SK_SS_CLOSE_WAIT) },
	{ "last-ack", SK_SS_BIT(SK_SS_LAST_ACK) },
	{ "listening", SK_SS_BIT(SK_SS_LISTEN) },
	{ "closing", SK_SS_BIT(SK_SS_CLOSING) },
	{ "all", SK_SS_ALL },
	/* Unlike the default listing, these two include TIME-WAIT and
	 * SYN-RECV (as ss's do). */
	{ "connected", SK_SS_ALL & ~(SK_SS_BIT(SK_SS_LISTEN) |
	    SK_SS_BIT(SK_SS_CLOSE)) },
	{ "synchronized", SK_SS_ALL & ~(SK_SS_BIT(SK_SS_LISTEN) |
	    SK_SS_BIT(SK_SS_CLOSE) | SK_SS_BIT(SK_SS_SYN_SENT)) },
	{ "bucket", SK_SS_BIT(SK_SS_SYN_RECV) | SK_SS_BIT(SK_SS_NEW_SYN_RECV) |
	    SK_SS_BIT(SK_SS_TIME_WAIT) },
	{ "big", SK_SS_ALL & ~(SK_SS_BIT(SK_SS_SYN_RECV) |
	    SK_SS_BIT(SK_SS_NEW_SYN_RECV) | SK_SS_BIT(SK_SS_TIME_WAIT)) },
	{ NULL, 0 }
};

uint32_t
ls_state_word(const char *w)
{
	int i;

	for (i = 0; state_words[i].word != NULL; i++)
		if (strcmp(w, state_words[i].word) == 0)
			return state_words[i].bits;
	return 0;
}

/* ---- tokens ------------------------------------------------------------------------ */

struct tok {
	size_t off, len;
};

enum nkind { N_AND, N_OR, N_NOT, N_PORT, N_ADDR };
enum op { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };

struct node {
	enum nkind kind;
	int a, b;		/* children (pool indices) */
	int peer;		/* dport/dst: the peer side */
	enum op op;
	int port;		/* -1: any */
	int has_range;
	struct sk_iprange range;
	const char *glob;	/* UNIX path pattern, NUL-terminated copy */
};

struct ls_filter {
	struct node *pool;
	int root;
	char *words;		/* NUL-separated copies of glob tokens */
};

struct parser {
	const char *text;
	struct tok *tok;
	int ntok, pos, depth;
	struct node *pool;
	int npool, maxpool;
	char *words;
	size_t nwords;
	char *err;
	size_t errlen;
	int failed;
};

static int
is_opchar(int c)
{
	return c == '=' || c == '<' || c == '>' || c == '!' || c == '&' ||
	    c == '|';
}

static int
tokenize(struct parser *p)
{
	const char *s = p->text;
	size_t i = 0, start;
	int bracket;

	while (s[i] != '\0') {
		if (isspace((unsigned char)s[i])) {
			i++;
			continue;
		}
		start = i;
		if (s[i] == '(' || s[i] == ')') {
			i++;
		} else if (is_opchar((unsigned char)s[i])) {
			/* "!" alone is "not"; "!=" is an operator. */
			if (s[i] == '!' && s[i + 1] != '=')
				i++;
			else
				while (is_opchar((unsigned char)s[i]))
					i++;
		} else {
			bracket = 0;
			while (s[i] != '\0' && (bracket || (!isspace((unsigned char)s[i]) &&
			    s[i] != '(' && s[i] != ')' && !is_opchar((unsigned char)s[i])))) {
				if (s[i] == '[')
					bracket = 1;
				else if (s[i] == ']')
					bracket = 0;
				if (bracket && isspace((unsigned char)s[i]))
					break;
				i++;
			}
		}
		p->tok[p->ntok].off = start;
		p->tok[p->ntok].len = i - start;
		p->ntok++;
	}
	return 0;
}

/* The error message: what, then the filter with a caret under token t
 * (or at the end when t is past the last token). */
static int
fail(struct parser *p, int t, const char *fmt, ...)
{
	char what[160];
	size_t off, len;
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (t < p->ntok) {
		off = p->tok[t].off;
		len = p->tok[t].len;
	} else {
		off = strlen(p->text);
		len = 1;
	}
	snprintf(p->err, p->errlen, "bad filter: %s\n  %s\n  %*s%.*s", what,
	    p->text, (int)off, "", (int)(len > 64 ? 64 : len),
	    "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^");
	return -1;
}

static int
tok_is(const struct parser *p, int t, const char *w)
{
	size_t n = strlen(w);

	return t < p->ntok && p->tok[t].len == n &&
	    memcmp(p->text + p->tok[t].off, w, n) == 0;
}

/* A NUL-terminated copy of token t (bounded by the filter's length). */
static char *
tok_copy(struct parser *p, int t)
{
	char *w = p->words + p->nwords;

	memcpy(w, p->text + p->tok[t].off, p->tok[t].len);
	w[p->tok[t].len] = '\0';
	p->nwords += p->tok[t].len + 1;
	return w;
}

static int
new_node(struct parser *p, enum nkind k)
{
	struct node *n;

	if (p->npool == p->maxpool)
		return fail(p, p->pos, "filter too complex");
	n = &p->pool[p->npool];
	memset(n, 0, sizeof(*n));
	n->kind = k;
	n->port = -1;
	return p->npool++;
}

/* ---- conditions ---------------------------------------------------------------------- */

static const struct {
	const char *word;
	enum op op;
} ops[] = {
	{ "=", OP_EQ }, { "==", OP_EQ }, { "eq", OP_EQ },
	{ "!=", OP_NE }, { "ne", OP_NE }, { "neq", OP_NE },
	{ "<", OP_LT }, { "lt", OP_LT }, { ">", OP_GT }, { "gt", OP_GT },
	{ "<=", OP_LE }, { "le", OP_LE }, { "leq", OP_LE },
	{ ">=", OP_GE }, { "ge", OP_GE }, { "geq", OP_GE },
	{ NULL, 0 }
};

static int
parse_op(struct parser *p, enum op *op)
{
	int i;

	for (i = 0; ops[i].word != NULL; i++)
		if (tok_is(p, p->pos, ops[i].word)) {
			*op = ops[i].op;
			p->pos++;
			return 0;
		}
	return -1;
}

/* "22", ":22", "*:22", ":ssh". */
static int
parse_port(struct parser *p, int t, const char *s, struct sk_err *e)
{
	int port;

	if (s[0] == '*' && s[1] == ':')
		s += 2;
	else if (s[0] == ':')
		s++;
	if (*s == '\0' || strcmp(s, "*") == 0)
		return -1;
	if ((port = sk_port_parse(s, "tcp", e)) < 0 &&
	    (port = sk_port_parse(s, "udp", e)) < 0)
		return fail(p, t, "not a port number or service name: \"%s\"", s);
	return port;
}

static int
cond_port(struct parser *p, int peer)
{
	struct sk_err e;
	enum op op = OP_EQ;
	int n, t;
	char *w;

	if (parse_op(p, &op) < 0)
		return fail(p, p->pos, "expected = != < > <= >= after %s",
		    peer ? "dport" : "sport");
	if (p->pos >= p->ntok)
		return fail(p, p->pos, "expected a port");
	t = p->pos++;
	w = tok_copy(p, t);
	if ((n = new_node(p, N_PORT)) < 0)
		return -1;
	p->pool[n].peer = peer;
	p->pool[n].op = op;
	if ((p->pool[n].port = parse_port(p, t, w, &e)) < 0)
		return p->failed ? -1 : fail(p, t, "expected a port, not \"%s\"", w);
	return n;
}

/* Address patterns: "198.18.0.0/15", "198.18.0.2:22", "[::1]", "[::1]:22",
 * "[2001:2::]/48", "2001:2::1", "*:22", "/path/glob*", "@abstract". */
static int
cond_addr(struct parser *p, int peer)
{
	struct sk_err e;
	enum op op = OP_EQ;
	char host[128], *w, *colon, *rb;
	int n, t;

	if (parse_op(p, &op) == 0 && op != OP_EQ && op != OP_NE)
		return fail(p, p->pos - 1, "only = and != compare addresses");
	if (p->pos >= p->ntok)
		return fail(p, p->pos, "expected an address");
	t = p->pos++;
	w = tok_copy(p, t);
	if ((n = new_node(p, N_ADDR)) < 0)
		return -1;
	p->pool[n].peer = peer;
	p->pool[n].op = op;
	if (w[0] == '/' || w[0] == '@') {
		p->pool[n].glob = w;
		return n;
	}
	host[0] = '\0';
	if (w[0] == '[') {
		if ((rb = strchr(w, ']')) == NULL || (size_t)(rb - w) >= sizeof(host))
			return fail(p, t, "unbalanced [ in \"%s\"", w);
		snprintf(host, sizeof(host), "%.*s", (int)(rb - w - 1), w + 1);
		rb++;
		if (*rb == '/') {
			colon = strchr(rb, ':');
			snprintf(host + strlen(host), sizeof(host) - strlen(host),
			    "%.*s", colon ? (int)(colon - rb) : (int)strlen(rb), rb);
			rb = colon ? colon : rb + strlen(rb);
		}
		if (*rb == ':') {
			if ((p->pool[n].port = parse_port(p, t, rb, &e)) < 0 &&
			    p->failed)
				return -1;
		} else if (*rb != '\0')
			return fail(p, t, "junk after ] in \"%s\"", w);
	} else if ((colon = strchr(w, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		if ((size_t)(colon - w) >= sizeof(host))
			return fail(p, t, "address too long");
		snprintf(host, sizeof(host), "%.*s", (int)(colon - w), w);
		if ((p->pool[n].port = parse_port(p, t, colon, &e)) < 0 && p->failed)
			return -1;
	} else {
		if (strlen(w) >= sizeof(host))
			return fail(p, t, "address too long");
		snprintf(host, sizeof(host), "%s", w);
	}
	if (host[0] != '\0' && strcmp(host, "*") != 0) {
		if (sk_iprange_parse(&p->pool[n].range, host, &e) < 0)
			return fail(p, t, "not a numeric address or prefix: \"%s\"",
			    host);
		p->pool[n].has_range = 1;
	}
	return n;
}

/* ---- grammar -------------------------------------------------------------------------- */

static int parse_or(struct parser *p);

static int
parse_factor(struct parser *p)
{
	int n, c, t = p->pos;

	if (p->pos >= p->ntok)
		return fail(p, p->pos, "expression ends too early");
	if (++p->depth > MAX_DEPTH)
		return fail(p, p->pos, "nested deeper than %d", MAX_DEPTH);
	if (tok_is(p, t, "not") || tok_is(p, t, "!")) {
		p->pos++;
		if ((c = parse_factor(p)) < 0 || (n = new_node(p, N_NOT)) < 0)
			return -1;
		p->pool[n].a = c;
	} else if (tok_is(p, t, "(")) {
		p->pos++;
		if ((n = parse_or(p)) < 0)
			return -1;
		if (!tok_is(p, p->pos, ")"))
			return fail(p, p->pos, "expected )");
		p->pos++;
	} else if (tok_is(p, t, "sport") || tok_is(p, t, "dport")) {
		p->pos++;
		n = cond_port(p, tok_is(p, t, "dport"));
	} else if (tok_is(p, t, "src") || tok_is(p, t, "dst")) {
		p->pos++;
		n = cond_addr(p, tok_is(p, t, "dst"));
	} else {
		return fail(p, t, "unexpected \"%.*s\"", (int)p->tok[t].len,
		    p->text + p->tok[t].off);
	}
	p->depth--;
	return n;
}

static int
at_term_end(struct parser *p)
{
	return p->pos >= p->ntok || tok_is(p, p->pos, ")") ||
	    tok_is(p, p->pos, "or") || tok_is(p, p->pos, "||");
}

static int
parse_and(struct parser *p)
{
	int l, r, n;

	if ((l = parse_factor(p)) < 0)
		return -1;
	while (!at_term_end(p)) {
		/* ss allows "and" to be left out. */
		if (tok_is(p, p->pos, "and") || tok_is(p, p->pos, "&&"))
			p->pos++;
		if ((r = parse_factor(p)) < 0 || (n = new_node(p, N_AND)) < 0)
			return -1;
		p->pool[n].a = l;
		p->pool[n].b = r;
		l = n;
	}
	return l;
}

static int
parse_or(struct parser *p)
{
	int l, r, n;

	if ((l = parse_and(p)) < 0)
		return -1;
	while (tok_is(p, p->pos, "or") || tok_is(p, p->pos, "||")) {
		p->pos++;
		if ((r = parse_and(p)) < 0 || (n = new_node(p, N_OR)) < 0)
			return -1;
		p->pool[n].a = l;
		p->pool[n].b = r;
		l = n;
	}
	return l;
}

/* "state W" and "exclude W" clauses before the expression. */
static int
parse_states(struct parser *p, uint32_t *states, int *have)
{
	uint32_t bits;
	char w[32];
	int t, excl;

	while (tok_is(p, p->pos, "state") || tok_is(p, p->pos, "exclude")) {
		excl = tok_is(p, p->pos, "exclude");
		t = ++p->pos;
		if (t >= p->ntok)
			return fail(p, t, "expected a state after %s",
			    excl ? "exclude" : "state");
		snprintf(w, sizeof(w), "%.*s", (int)p->tok[t].len,
		    p->text + p->tok[t].off);
		if (p->tok[t].len >= sizeof(w) || (bits = ls_state_word(w)) == 0)
			return fail(p, t, "unknown state \"%.*s\"",
			    (int)p->tok[t].len, p->text + p->tok[t].off);
		p->pos++;
		if (!*have)
			*states = excl ? SK_SS_ALL : 0;
		*have = 1;
		if (excl)
			*states &= ~bits;
		else
			*states |= bits;
	}
	return 0;
}

int
ls_filter_parse(int argc, char *const argv[], struct ls_filter **fp,
    uint32_t *states, int *have_states, char *err, size_t errlen)
{
	struct parser p;
	struct ls_filter *f = NULL;
	size_t len = 0;
	char *text;
	int i, rc = -1;

	*fp = NULL;
	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len > FILTER_MAX) {
		snprintf(err, errlen, "bad filter: longer than %d bytes",
		    FILTER_MAX);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if ((text = calloc(1, len + 1)) == NULL ||
	    (p.tok = calloc(len + 1, sizeof(*p.tok))) == NULL ||
	    (p.words = calloc(2, len + 1)) == NULL ||
	    (p.pool = calloc(2 * len + 2, sizeof(*p.pool))) == NULL) {
		snprintf(err, errlen, "filter: %s", strerror(errno));
		goto end;
	}
	p.maxpool = 2 * len + 2;
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	p.text = text;
	tokenize(&p);
	if (parse_states(&p, states, have_states) < 0)
		goto end;
	if (p.pos < p.ntok) {
		int root = parse_or(&p);

		if (root < 0)
			goto end;
		if (p.pos < p.ntok) {
			fail(&p, p.pos, "unexpected \"%.*s\"",
			    (int)p.tok[p.pos].len, text + p.tok[p.pos].off);
			goto end;
		}
		if ((f = calloc(1, sizeof(*f))) == NULL) {
			snprintf(err, errlen, "filter: %s", strerror(errno));
			goto end;
		}
		f->pool = p.pool;
		f->root = root;
		f->words = p.words;
		p.pool = NULL;
		p.words = NULL;
		*fp = f;
	}
	rc = 0;
end:
	free(p.pool);
	free(p.words);
	free(p.tok);
	free(text);
	return rc;
}

/* ---- evaluation ------------------------------------------------------------------------ */

static int
cmp(enum op op, long have, long want)
{
	switch (op) {
	case OP_EQ: return have == want;
	case OP_NE: return have != want;
	case OP_LT: return have < want;
	case OP_GT: return have > want;
	case OP_LE: return have <= want;
	case OP_GE: return have >= want;
	}
	return 0;
}

/* ss compares a UNIX socket's "ports" as its inode and its peer's. */
static long
port_of(const struct sk_sock *s, int peer)
{
	if (s->family == AF_UNIX)
		return (long)(peer ? s->peer_inode : s->inode);
	return peer ? s->dport : s->sport;
}

static int
addr_match(const struct node *n, const struct sk_sock *s)
{
	struct sockaddr_storage ss;
	const unsigned char *a = n->peer ? s->dst : s->src;

	if (n->glob != NULL) {
		const char *path = n->peer ? "" : s->path;

		return s->family == AF_UNIX && fnmatch(n->glob, path, 0) == 0;
	}
	if (s->family == AF_UNIX)
		return 0;
	if (n->port >= 0 && port_of(s, n->peer) != n->port)
		return 0;
	if (!n->has_range)
		return 1;
	memset(&ss, 0, sizeof(ss));
	if (s->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
	}
	return sk_iprange_contains(&n->range, (struct sockaddr *)&ss);
}

static int
eval(const struct node *pool, int i, const struct sk_sock *s)
{
	const struct node *n = &pool[i];
	int m;

	switch (n->kind) {
	case N_AND:
		return eval(pool, n->a, s) && eval(pool, n->b, s);
	case N_OR:
		return eval(pool, n->a, s) || eval(pool, n->b, s);
	case N_NOT:
		return !eval(pool, n->a, s);
	case N_PORT:
		return cmp(n->op, port_of(s, n->peer), n->port);
	case N_ADDR:
		m = addr_match(n, s);
		return n->op == OP_NE ? !m : m;
	}
	return 0;
}

int
ls_filter_match(const struct ls_filter *f, const struct sk_sock *s)
{
	return f == NULL || eval(f->pool, f->root, s);
}

void
ls_filter_free(struct ls_filter *f)
{
	if (f == NULL)
		return;
	free(f->pool);
	free(f->words);
	free(f);
}

/* ---- kernel bytecode ----------------------------------------------------------------- */

/*
 * The port comparisons on the top-level AND chain must all hold, so the
 * kernel may check them before it sends a socket; everything else (or,
 * not, addresses, !=) stays with ls_filter_match(), which sees every
 * socket the kernel sends anyway.  Returns the number of conditions
 * pushed, -1 when one can never hold (nothing will match).
 */
static int
push_and(const struct node *pool, int i, struct sk_sockdiag_bc *bc)
{
	static const enum sk_bc_op bcop[] = {
		[OP_EQ] = SK_BC_EQ, [OP_LT] = SK_BC_LT, [OP_GT] = SK_BC_GT,
		[OP_LE] = SK_BC_LE, [OP_GE] = SK_BC_GE
	};
	const struct node *n = &pool[i];
	int a, b, rc;

	if (n->kind == N_AND) {
		if ((a = push_and(pool, n->a, bc)) < 0 ||
		    (b = push_and(pool, n->b, bc)) < 0)
			return -1;
		return a + b;
	}
	if (n->kind != N_PORT || n->op == OP_NE)
		return 0;
	rc = sk_sockdiag_bc_port(bc, n->peer, bcop[n->op], (unsigned)n->port,
	    NULL);
	if (rc == 1)
		return -1;
	return rc == 0;		/* full: the rest stays in user space */
}

int
ls_filter_bytecode(const struct ls_filter *f, struct sk_sockdiag_bc *bc)
{
	sk_sockdiag_bc_init(bc);
	if (f == NULL)
		return 0;
	return push_and(f->pool, f->root, bc);
}
