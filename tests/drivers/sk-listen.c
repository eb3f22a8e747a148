/*
 * sk-listen — test driver: listen with sk_listen() on [::]:PORT (or
 * HOST PORT), accept and close connections until killed.
 *   sk-listen PORT | sk-listen HOST PORT
 */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/listen.h"

int
main(int argc, char **argv)
{
	struct sk_err e;
	int fd, c;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: sk-listen [host] port\n");
		return 2;
	}
	fd = argc == 3 ? sk_listen(argv[1], argv[2], 64, &e) :
	    sk_listen(NULL, argv[1], 64, &e);
	if (fd == -1) {
		fprintf(stderr, "sk-listen: %s\n", e.msg);
		return sk_err_exitcode(&e);
	}
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}
