/*
 * floor_server — the floor whoisd is measured against: epoll, accept,
 * read one line, write a fixed ~300-byte answer, close.  Nothing else.
 * With THREADS > 1, one such loop per thread, each on its own
 * SO_REUSEPORT listener on the same port: what the load generator can
 * drive on this machine when the server side uses every core.
 *   floor_server PORTFILE [THREADS]
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/listen.h"
#include "sockkit/num.h"
#include "bench.h"

#define MAX_THREADS 64

static const char answer[] =
    "There were 1 matches on your request.\r\n\r\n"
    "           Full Name: Quinton, Reg\r\n"
    "          Department: Info Tech Svcs\r\n"
    "                Room: NSC 214\r\n"
    "               Phone: 679-2111x(6026)\r\n"
    "           Index Key: 481800\r\n"
    "     Machine Address:\r\n"
    " Directory Addresses:\r\n\r\n"
    "For more information try 'whois help'.\r\n";

static void *
serve(void *arg)
{
	struct epoll_event ev, evs[256];
	char buf[1024];
	int lfd = (int)(intptr_t)arg, ep, n, i, fd;
	ssize_t got;

	fcntl(lfd, F_SETFL, O_NONBLOCK);
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			fd = evs[i].data.fd;
			got = read(fd, buf, sizeof(buf));
			if (got > 0 && memchr(buf, '\n', (size_t)got))
				(void)!write(fd, answer, sizeof(answer) - 1);
			close(fd);
		}
	}
	return NULL;
}

/* One more listener on 127.0.0.1 port, in the SO_REUSEPORT group. */
static int
listen_port(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, on = 1;

	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 4096) == -1)
		err(3, "listen 127.0.0.1:%d", port);
	return fd;
}

int
main(int argc, char **argv)
{
	pthread_t t;
	const char *errstr;
	int fds[MAX_THREADS], nthreads = 1, port, i;
	FILE *f;

	if (argc != 2 && argc != 3)
		errx(2, "usage: floor_server PORTFILE [THREADS]");
	if (argc == 3) {
		nthreads = (int)sk_strtonum(argv[2], 1, MAX_THREADS, &errstr);
		if (errstr)
			errx(2, "threads %s: %s", argv[2], errstr);
	}
	if (nthreads == 1)
		serve((void *)(intptr_t)bench_listen(argv[1], 4096));
	/* The first listener picks the port, the others join it. */
	fds[0] = listen_port(0);
	port = sk_local_port(fds[0], NULL);
	for (i = 1; i < nthreads; i++)
		fds[i] = listen_port(port);
	if ((f = fopen(argv[1], "w")) == NULL)
		err(3, "%s", argv[1]);
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0)
		err(3, "%s", argv[1]);
	for (i = 1; i < nthreads; i++)
		if ((errno = pthread_create(&t, NULL, serve,
		    (void *)(intptr_t)fds[i])) != 0)
			err(3, "thread");
	serve((void *)(intptr_t)fds[0]);
	return 0;
}
