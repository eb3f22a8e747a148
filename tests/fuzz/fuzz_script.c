/*
 * libFuzzer target for linechat's chat(8) scripts.  Byte 0 picks the
 * window, line ending, ECHO/verbose and the peer's read size and pauses;
 * the rest up to the first NUL is the script, and after it what the peer
 * says.  The whole input is also parsed as a script (NUL bytes included).
 * A parse error must read "f:LINE:COL: ..."; a run must end with a
 * documented exit code, without sleeping, and never ask the peer for
 * more than the window holds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/err.h"
#include "linechat/script.h"

struct peer {
	const uint8_t *data;
	size_t n, off, chunk, window;
	unsigned every, reads;	/* a silence every `every` reads (0: none) */
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

static ssize_t
peer_read(void *arg, void *buf, size_t n, int64_t deadline)
{
	struct peer *p = arg;
	size_t k;

	check(n > 0 && n <= p->window);
	if (p->every != 0 && ++p->reads % p->every == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (p->off == p->n)
		return 0;
	k = p->n - p->off;
	if (k > n)
		k = n;
	if (k > p->chunk)
		k = p->chunk;
	memcpy(buf, p->data + p->off, k);
	p->off += k;
	return (ssize_t)k;
}

static int
peer_write(void *arg, const void *buf, size_t n, int64_t deadline)
{
	check(n > 0);
	return 0;
}

static void
peer_echo(void *arg, const void *buf, size_t n)
{
	check(buf != NULL && n > 0);
}

static void
peer_say(void *arg, const char *msg, size_t n)
{
	check(msg != NULL && n > 0);
}

static void
check_error(const struct sk_err *e)
{
	unsigned line, col;
	int used = 0;

	if (e->code != EINVAL)
		return;
	check(sscanf(e->msg, "f:%u:%u: %n", &line, &col, &used) == 2 &&
	    used > 0 && line >= 1 && col >= 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t windows[] = { 4096, 5000, 65536, 0 };
	static const char *const eols[] = { NULL, "\n", "", "\r\n" };
	struct lc_script_opts o;
	struct lc_script *s;
	struct sk_err e;
	struct peer p;
	struct lc_io io = { &p, peer_read, peer_write, peer_echo, peer_say };
	const uint8_t *nul;
	size_t slen;
	int rc;

	if (size < 1)
		return 0;
	if ((s = lc_script_parse((const char *)data + 1, size - 1, "f", &e)))
		lc_script_free(s);
	else
		check_error(&e);
	nul = memchr(data + 1, 0, size - 1);
	slen = nul != NULL ? (size_t)(nul - (data + 1)) : size - 1;
	if ((s = lc_script_parse((const char *)data + 1, slen, "f", &e)) == NULL) {
		check_error(&e);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.window = windows[data[0] & 3];
	o.eol = eols[(data[0] >> 2) & 3];
	o.echo = data[0] & 0x10;
	o.verbose = data[0] & 0x20;
	o.no_delay = 1;
	memset(&p, 0, sizeof(p));
	p.data = nul != NULL ? nul + 1 : data + size;
	p.n = nul != NULL ? size - 1 - slen - 1 : 0;
	p.chunk = (data[0] & 0x40) ? 3 : 100000;
	p.every = (data[0] & 0x80) ? 2 : 0;
	p.window = o.window ? o.window : LC_SCRIPT_WINDOW;
	rc = lc_script_run(s, &io, &o);
	check(rc == LC_EXIT_OK || rc == LC_EXIT_NET ||
	    (rc >= LC_EXIT_ABORT && rc < LC_EXIT_ABORT + LC_SCRIPT_MAXABORT));
	lc_script_free(s);
	return 0;
}
