/*
 * floor_server — the floor whoisd is measured against: epoll, accept,
 * read one line, write a fixed ~300-byte answer, close.  Nothing else.
 *   floor_server PORTFILE
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/listen.h"
#include "bench.h"

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

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	char buf[1024];
	int lfd, ep, n, i, fd;
	ssize_t got;

	if (argc != 2)
		errx(2, "usage: floor_server PORTFILE");
	lfd = bench_listen(argv[1], 4096);
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
}
