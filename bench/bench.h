/* Shared by the bench/ servers: how they tell their scripts the port. */
#ifndef SK_BENCH_H
#define SK_BENCH_H

#include <err.h>
#include <stdio.h>

#include "sockkit/err.h"
#include "sockkit/listen.h"

/* Listen on 127.0.0.1 port 0 and write the port chosen to portfile, so
 * the script never races another program for a fixed port.  Exits with
 * a message on failure. */
static inline int
bench_listen(const char *portfile, int backlog)
{
	struct sk_err e;
	FILE *f;
	int lfd = sk_listen("127.0.0.1", "0", backlog, &e);

	if (lfd == -1)
		errx(3, "%s", e.msg);
	if ((f = fopen(portfile, "w")) == NULL)
		err(3, "%s", portfile);
	fprintf(f, "%d\n", sk_local_port(lfd, &e));
	if (fclose(f) != 0)
		err(3, "%s", portfile);
	return lfd;
}

#endif
