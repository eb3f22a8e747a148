/*
 * One-shot mode (-c LINE ...): send the lines, print the reply until the
 * peer closes or stays silent for -i seconds.  `linechat -c reggers HOST
 * whois` is the source text's whois client.
 */
#include <errno.h>
#include <string.h>

#include "sockkit/deadline.h"
#include "linechat/conn.h"
#include "linechat/linechat.h"

int
lc_oneshot(struct lc_conn *c, const struct lc_opts *o)
{
	static char buf[64 * 1024];
	const char *eol = o->raw ? "" : o->lf ? "\n" : "\r\n";
	int64_t deadline = sk_deadline_in(o->idle_ms);
	int i, got = 0;
	ssize_t n;

	for (i = 0; i < o->nlines; i++) {
		if (lc_conn_write_all(c, o->lines[i], strlen(o->lines[i]),
		    deadline) == -1 || lc_conn_write_all(c, eol, strlen(eol),
		    deadline) == -1) {
			lc_warn_net(o, "send");
			return LC_EXIT_NET;
		}
	}
	for (;;) {
		n = lc_conn_read_wait(c, buf, sizeof(buf), deadline);
		if (n > 0) {
			got = 1;
			if (c->dgram && o->verbose)
				lc_show_source(c);
			if (lc_write_out(buf, (size_t)n) == -1)
				return LC_EXIT_NET;
			/* -i is idle time: every reply restarts it. */
			deadline = sk_deadline_in(o->idle_ms);
			continue;
		}
		if (n == 0 || errno == ETIMEDOUT)
			break;
		lc_warn_net(o, "receive");
		return LC_EXIT_NET;
	}
	return got ? LC_EXIT_OK : LC_EXIT_NOREPLY;
}
