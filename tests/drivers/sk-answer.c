/*
 * sk-answer — test driver: a server that answers and closes at once, as
 * redis does when it refuses a client.  Listens on 127.0.0.1 PORT; for
 * each connection reads once (whatever the first segment brought, waiting
 * at most 5 s), writes TEXT CRLF and closes without reading the rest (so
 * unread data makes the kernel reset the connection).
 *   sk-answer PORT TEXT
 * Bounded: at most 16 connections, 30 s in all.
 */
#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/listen.h"

int
main(int argc, char **argv)
{
	int64_t end = sk_deadline_in(30000);
	char buf[65536], reply[1024];
	struct sk_err e;
	int lfd, fd, i;
	ssize_t n;

	if (argc != 3)
		errx(2, "usage: sk-answer PORT TEXT");
	if ((size_t)snprintf(reply, sizeof(reply), "%s\r\n", argv[2]) >=
	    sizeof(reply))
		errx(2, "TEXT: too long");
	if ((lfd = sk_listen("127.0.0.1", argv[1], 16, &e)) == -1)
		errx(sk_err_exitcode(&e), "%s", e.msg);
	for (i = 0; i < 16; i++) {
		if (sk_wait(lfd, POLLIN, end, NULL) <= 0)
			break;
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		if (sk_wait(fd, POLLIN, sk_deadline_in(5000), NULL) > 0)
			n = read(fd, buf, sizeof(buf));
		else
			n = 0;
		(void)n;
		if (write(fd, reply, strlen(reply)) == -1)
			warn("write");
		close(fd);
	}
	return 0;
}
