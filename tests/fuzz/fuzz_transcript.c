/*
 * libFuzzer target for linechat transcripts.  Byte 0 picks the test:
 *
 *   even: the input is a transcript.  The reader either rejects it with
 *	"fz:LINE: ..." (EINVAL) or returns events that hold the format's
 *	promises; those events, written back canonically, must parse to the
 *	same events; and a replay against a peer that sends the recorded
 *	data (or a truncated, altered or extended copy, chosen by the
 *	transcript's length) must say 0 exactly when the data is identical;
 *	with --ignore patterns (chosen by the length too) a changed byte may
 *	pass, but nothing else changes.
 *   odd:  the rest is a list of chunks (a control byte: direction, event
 *	or data, length) written with the --log writer to a memstream; the
 *	file must be printable ASCII, parse, split data only after LF, and
 *	give back every byte in order.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "linechat/transcript.h"

#define HDR "# linechat transcript v1\n"

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* --- a peer that plays back a buffer, never waiting ----------------------- */

struct peer {
	const unsigned char *data;
	size_t n, pos, chunk;
};

static ssize_t
peer_read(void *arg, void *buf, size_t n, int64_t deadline)
{
	struct peer *p = arg;

	/* Fast mode with finite timeouts never waits forever. */
	check(deadline != SK_NEVER);
	if (p->pos == p->n)
		return 0;
	if (n > p->chunk)
		n = p->chunk;
	if (n > p->n - p->pos)
		n = p->n - p->pos;
	memcpy(buf, p->data + p->pos, n);
	p->pos += n;
	return (ssize_t)n;
}

static int
peer_write(void *arg, const void *buf, size_t n, int64_t deadline)
{
	return 0;
}

static void
replay(const struct lc_transcript *t, size_t salt)
{
	struct lc_io io = { NULL, peer_read, peer_write, NULL, NULL };
	const struct lc_event *ev;
	struct lc_replay_opts o;
	struct peer p;
	unsigned char *want;
	size_t i, n = 0, cut;
	char *msg = NULL;
	size_t msglen;
	FILE *rep;
	int rc, mode = salt % 4, ign = salt / 7 % 3;
	static regex_t rx[2];
	static int compiled;
	struct sk_err e;

	for (i = 0; i < lc_transcript_count(t); i++)
		if ((ev = lc_transcript_event(t, i))->dir == '<')
			n += ev->len;
	if ((want = malloc(n + 1)) == NULL)
		abort();
	for (n = 0, i = 0; i < lc_transcript_count(t); i++)
		if ((ev = lc_transcript_event(t, i))->dir == '<') {
			memcpy(want + n, ev->data, ev->len);
			n += ev->len;
		}
	p.data = want;
	p.n = n;
	p.pos = 0;
	p.chunk = 1 + salt / 4 % 97;
	cut = n > 0 ? salt / 400 % n : 0;
	if (mode == 1 && n > 0)		/* peer stops short */
		p.n = cut;
	else if (mode == 2 && n > 0)	/* one byte differs */
		want[cut] ^= 1 + salt % 255;
	else if (mode == 3)		/* one byte too many */
		p.n = n + 1;
	else
		mode = 0;
	want[n] = '+';
	lc_replay_opts_init(&o);
	o.fast = 1;
	o.idle_ms = 0;
	o.tail_ms = 0;
	if (!compiled) {
		check(lc_ignore_compile("[0-9]+", &rx[0], &e) == 0);
		check(lc_ignore_compile("^[A-Z]+: .*", &rx[1], &e) == 0);
		compiled = 1;
	}
	if (ign > 0) {
		o.ignore = rx;
		o.nignore = (size_t)ign;
	}
	io.arg = &p;
	if ((rep = open_memstream(&msg, &msglen)) == NULL)
		abort();
	rc = lc_replay_run(t, &io, &o, rep);
	fclose(rep);
	check(rc == (mode == 0 ? LC_EXIT_OK : LC_EXIT_NOREPLY) ||
	    (ign > 0 && mode == 2 && rc == LC_EXIT_OK));
	/* Silent on success, one "replay: " line on a difference. */
	check(rc == 0 ? msglen == 0 : (strncmp(msg, "replay: ", 8) == 0 &&
	    strchr(msg, '\n') == msg + msglen - 1));
	free(msg);
	free(want);
}

/* --- reader --------------------------------------------------------------- */

static void
fuzz_reader(const uint8_t *data, size_t size)
{
	const struct lc_event *ev, *ev2;
	struct lc_transcript *t, *t2;
	struct sk_err e;
	char *text = NULL;
	size_t len, i, total = 0, lines = 1;
	FILE *fp;

	sk_err_clear(&e);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if ((t = lc_transcript_parse("fz", data, size, &e)) == NULL) {
		unsigned long line;

		check(e.code == EINVAL || e.code == ENOMEM);
		check(e.code != EINVAL || size > LC_TRANSCRIPT_MAX ||
		    (sscanf(e.msg, "fz:%lu: ", &line) == 1 && line >= 1 &&
		    line <= lines));
		return;
	}
	if ((fp = open_memstream(&text, &len)) == NULL)
		abort();
	fputs(HDR, fp);
	for (i = 0; i < lc_transcript_count(t); i++) {
		char *esc;

		ev = lc_transcript_event(t, i);
		check(ev->dir == '>' || ev->dir == '<' || ev->dir == '*');
		check(ev->len > 0 && ev->ms >= 0 &&
		    ev->ms <= LC_TRANSCRIPT_MS_MAX);
		check(i == 0 || (ev->ms >= (ev - 1)->ms &&
		    ev->line > (ev - 1)->line));
		check(ev->line >= 2 && ev->line <= lines);
		check(ev->rxoff == total);
		if (ev->dir == '<')
			total += ev->len;
		if ((esc = malloc(LC_ESCAPE_SIZE(ev->len))) == NULL)
			abort();
		check(lc_escape(esc, ev->data, ev->len) == strlen(esc));
		fprintf(fp, "%lld %c %s\n", (long long)ev->ms, ev->dir, esc);
		free(esc);
	}
	fclose(fp);
	/* Canonical escapes are never longer than what they came from, so
	 * the rewritten file is within every bound the original met. */
	t2 = lc_transcript_parse("fz2", text, len, &e);
	check(t2 != NULL);
	check(lc_transcript_count(t2) == lc_transcript_count(t));
	for (i = 0; i < lc_transcript_count(t); i++) {
		ev = lc_transcript_event(t, i);
		ev2 = lc_transcript_event(t2, i);
		check(ev->ms == ev2->ms && ev->dir == ev2->dir &&
		    ev->len == ev2->len && ev->rxoff == ev2->rxoff &&
		    memcmp(ev->data, ev2->data, ev->len) == 0);
	}
	lc_transcript_free(t2);
	free(text);
	replay(t, size);
	lc_transcript_free(t);
}

/* --- writer round trip ---------------------------------------------------- */

static void
fuzz_writer(const uint8_t *data, size_t size)
{
	unsigned char *got[2], *sent[2];
	size_t ngot[2] = { 0, 0 }, nput[2] = { 0, 0 }, i, k, n;
	const struct lc_event *ev;
	struct lc_transcript *t;
	struct lc_log *lg;
	struct sk_err e;
	char *text = NULL;
	size_t len;
	FILE *fp;
	int d;

	/* What each direction was sent, and what the transcript gives back. */
	for (d = 0; d < 2; d++)
		if ((got[d] = malloc(size + 1)) == NULL ||
		    (sent[d] = malloc(size + 1)) == NULL)
			abort();
	if ((fp = open_memstream(&text, &len)) == NULL)
		abort();
	if ((lg = lc_log_fopen(fp, "fz", "h o\\st", "s\n", &e)) == NULL)
		abort();
	lc_log_start(lg);
	for (i = 0; i < size; i += 1 + n) {
		n = data[i] & 0x3f;
		if (n == 0x3f)			/* the rest: long lines */
			n = size - i - 1;
		if (n > size - i - 1)
			n = size - i - 1;
		if (data[i] & 0x40) {
			check(lc_log_event(lg, "%.*s", (int)n,
			    (const char *)data + i + 1) == 0);
			continue;
		}
		d = data[i] >> 7;
		check(lc_log_data(lg, d ? '>' : '<', data + i + 1, n) == 0);
		memcpy(sent[d] + nput[d], data + i + 1, n);
		nput[d] += n;
	}
	check(lc_log_close(lg, &e) == 0);
	for (i = 0; i < len; i++)
		check(text[i] == '\n' || (text[i] >= ' ' && text[i] < 0x7f));
	t = lc_transcript_parse("fz", text, len, &e);
	check(t != NULL);
	for (i = 0; i < lc_transcript_count(t); i++) {
		ev = lc_transcript_event(t, i);
		if (ev->dir == '*')
			continue;
		check(ev->len <= LC_LOG_LINE_BYTES);
		for (k = 0; k + 1 < ev->len; k++)	/* LF only at the end */
			check(ev->data[k] != '\n');
		d = ev->dir == '>';
		memcpy(got[d] + ngot[d], ev->data, ev->len);
		ngot[d] += ev->len;
	}
	for (d = 0; d < 2; d++)
		check(ngot[d] == nput[d] &&
		    memcmp(got[d], sent[d], ngot[d]) == 0);
	lc_transcript_free(t);
	free(text);
	for (d = 0; d < 2; d++) {
		free(got[d]);
		free(sent[d]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_writer(data + 1, size - 1);
	else
		fuzz_reader(data + 1, size - 1);
	return 0;
}
