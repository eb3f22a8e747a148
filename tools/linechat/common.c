/* Output helpers and the TLS switch shared by linechat's modes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"
#include "linechat/conn.h"
#include "linechat/linechat.h"
#include "linechat/tls.h"
#include "linechat/transcript.h"

void
lc_warn_net(const struct lc_opts *o, const char *what)
{
	fprintf(stderr, "linechat: %s: %s\n", what, errno == ETIMEDOUT ?
	    "timed out" : strerror(errno));
}

void
lc_show_source(const struct lc_conn *c)
{
	char buf[SK_ADDRSTRLEN];

	fprintf(stderr, "from %s:\n", sk_addr_format((const struct sockaddr *)
	    &c->from, buf, sizeof(buf)));
}

int
lc_write_out(const void *buf, size_t n)
{
	struct sk_err e;

	/* stdout may share a non-blocking file description with stdin. */
	if (sk_write_all(1, buf, n, SK_NEVER, NULL, &e) == -1) {
		if (e.code != EPIPE)
			fprintf(stderr, "linechat: stdout: %s\n", e.msg);
		return -1;
	}
	return 0;
}

int
lc_start_tls(struct lc_conn *c, const struct lc_opts *o)
{
	struct lc_tls_opts to = { .insecure = o->insecure, .ca_file = o->ca_file };
	struct sk_err e;
	char desc[1024];

	c->tls = lc_tls_client(c->fd, o->host, &to, sk_deadline_in(o->connect_ms ?
	    o->connect_ms : 10000), &e);
	if (c->tls == NULL) {
		fprintf(stderr, "linechat: %s\n", e.msg);
		return -1;
	}
	if (o->verbose && lc_tls_describe(c->tls, desc, sizeof(desc)) > 0)
		fprintf(stderr, "%s%s", desc, desc[strlen(desc) - 1] == '\n' ?
		    "" : "\n");
	if (c->log != NULL)
		lc_log_event(c->log, "TLS on");
	return 0;
}

