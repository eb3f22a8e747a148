/*
 * libFuzzer target for sk_line_read.  Byte 0 picks maxline (1..64), byte 1
 * the spare buffer room, byte 2 the write chunk size and socketpair or
 * pipe; the rest is the peer's data, written a chunk at a time with the
 * reader drained (deadline already passed) in between, so chunk edges are
 * read edges.  Every returned line is checked against the input: nothing
 * past the bound, nothing lost, nothing invented, and no hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"

#define MAXDATA 60000		/* below a pipe's capacity: writes never block */

struct model {
	const uint8_t *in;
	size_t n, pos;
};

static int
is_eol(uint8_t c)
{
	return c == '\n' || c == '\r';
}

/* Past the terminator at in[pos] (CR, LF or CRLF). */
static void
skip_eol(struct model *m)
{
	if (m->in[m->pos] == '\r' && m->pos + 1 < m->n && m->in[m->pos + 1] == '\n')
		m->pos++;
	m->pos++;
}

static void
check(const struct model *m, int ok)
{
	if (!ok)
		abort();
}

static void
check_line(struct model *m, enum sk_line_status st, const struct sk_line *l,
    const char *buf, size_t cap, size_t maxline)
{
	size_t k;

	check(m, l->len <= maxline);
	if (l->len > 0)
		check(m, (const char *)l->data >= buf &&
		    l->data + l->len <= buf + cap);
	check(m, m->pos + l->len <= m->n);
	check(m, l->len == 0 || memcmp(l->data, m->in + m->pos, l->len) == 0);
	check(m, !!l->has_nul == (l->len > 0 && memchr(l->data, 0, l->len) != NULL));
	for (k = 0; k < l->len; k++)
		check(m, !is_eol((uint8_t)l->data[k]));
	m->pos += l->len;
	switch (st) {
	case SK_LINE_OK:
		check(m, m->pos < m->n && is_eol(m->in[m->pos]));
		switch (l->eol) {
		case SK_EOL_LF:
			check(m, m->in[m->pos] == '\n');
			break;
		case SK_EOL_CRLF:
			check(m, m->in[m->pos] == '\r' && m->pos + 1 < m->n &&
			    m->in[m->pos + 1] == '\n');
			break;
		case SK_EOL_CR:
			/* A following LF is swallowed, now or by the next call. */
			check(m, m->in[m->pos] == '\r');
			break;
		default:
			check(m, 0);
		}
		skip_eol(m);
		break;
	case SK_LINE_TOO_LONG:
		check(m, l->len == maxline && l->eol == SK_EOL_NONE);
		check(m, m->pos < m->n && !is_eol(m->in[m->pos]));
		while (m->pos < m->n && !is_eol(m->in[m->pos]))
			m->pos++;
		if (m->pos < m->n)
			skip_eol(m);
		break;
	case SK_LINE_EOF:
		check(m, m->pos == m->n && l->eol == SK_EOL_NONE);
		break;
	default:
		check(m, 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_line_reader r;
	struct sk_line l;
	struct sk_err e;
	struct model m;
	enum sk_line_status st;
	size_t maxline, cap, chunk, off, calls = 0, w;
	char *buf;
	int fd[2], use_pipe;

	if (size < 3)
		return 0;
	maxline = 1 + data[0] % 64;
	cap = maxline + 1 + data[1] % 64;
	chunk = 1 + (data[2] & 0x7f) % 48;
	use_pipe = data[2] & 0x80;
	m.in = data + 3;
	m.n = size - 3 > MAXDATA ? MAXDATA : size - 3;
	m.pos = 0;
	if ((use_pipe ? pipe(fd) : socketpair(AF_UNIX, SOCK_STREAM, 0, fd)) < 0)
		abort();
	if (!use_pipe) {
		int sz = 1 << 20;

		setsockopt(fd[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	buf = malloc(cap);		/* exact size: ASan sees any overrun */
	if (buf == NULL || sk_line_init(&r, fd[0], buf, cap, maxline, &e) < 0)
		abort();
	for (off = 0; off < m.n; off += w) {
		w = m.n - off < chunk ? m.n - off : chunk;
		if (write(fd[1], m.in + off, w) != (ssize_t)w)
			abort();
		/* Drain what is there without waiting. */
		while ((st = sk_line_read(&r, &l, SK_NOW, &e)) != SK_LINE_TIMEOUT) {
			check_line(&m, st, &l, buf, cap, maxline);
			if (++calls > 2 * m.n + 16)
				abort();
		}
		check(&m, sk_line_pending(&r) <= cap);
	}
	close(fd[1]);
	do {
		st = sk_line_read(&r, &l, sk_deadline_in(5000), &e);
		check(&m, st != SK_LINE_TIMEOUT && st != SK_LINE_ERROR);
		check_line(&m, st, &l, buf, cap, maxline);
		if (++calls > 2 * m.n + 16)
			abort();
	} while (st != SK_LINE_EOF);
	check(&m, m.pos == m.n);
	check(&m, sk_line_read(&r, &l, SK_NOW, &e) == SK_LINE_EOF && l.len == 0);
	close(fd[0]);
	free(buf);
	return 0;
}
