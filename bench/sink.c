/*
 * sink — accept connections one after another and read each to EOF as
 * fast as possible; print the bytes of each on its own line.
 *   sink PORTFILE
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/listen.h"

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	struct sk_err e;
	unsigned long long total;
	ssize_t n;
	FILE *f;
	int lfd, fd;

	if (argc != 2)
		errx(2, "usage: sink PORTFILE");
	lfd = sk_listen("127.0.0.1", "0", 16, &e);
	if (lfd == -1)
		errx(3, "%s", e.msg);
	f = fopen(argv[1], "w");
	fprintf(f, "%d\n", sk_local_port(lfd, &e));
	fclose(f);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		total = 0;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += (unsigned long long)n;
		close(fd);
		printf("%llu\n", total);
		fflush(stdout);
	}
}
