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
#include "bench.h"

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	unsigned long long total;
	ssize_t n;
	int lfd, fd;

	if (argc != 2)
		errx(2, "usage: sink PORTFILE");
	lfd = bench_listen(argv[1], 16);
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
