/*
 * SYN probes per second on loopback, inside a private network namespace
 * (nothing else on its loopback; nothing of ours on the host's).
 *
 *   syn_rate engine N   sk_syn_send N probes to closed 127.0.0.1 ports
 *                       with at most WINDOW unanswered, collecting the
 *                       RSTs with sk_syn_recv; prints
 *                       "<answered/s> <sent> <answered> <pcap_drop>"
 *   syn_rate plain N    the floor: the same SYNs from a bare raw socket,
 *                       nothing captured; prints "<sent/s>"
 *
 * Each run stops after N probes or 30 s.  Needs root.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/synprobe.h"

#define WINDOW	4096
#define BATCH	256
#define LIMIT_US (30 * 1000000LL)

static void
netns_lo(void)
{
	struct ifreq ifr;
	int fd;

	if (unshare(CLONE_NEWNET) == -1)
		err(3, "unshare");
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(3, "socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		err(3, "SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		err(3, "SIOCSIFFLAGS");
	close(fd);
}

static void
target(struct sockaddr_in *sin, long i)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(1 + i % 65535);
}

static void
engine(long n)
{
	struct sk_syn_reply r[BATCH];
	struct sk_syn_stats st;
	struct sockaddr_in sin;
	struct pollfd pfd;
	struct sk_syn *s;
	struct sk_err e;
	long sent = 0, got = 0;
	int64_t t0, t1, now;
	int i, k;

	if ((s = sk_syn_open(AF_INET, (uint64_t)getpid() << 20 | 12345, &e)) == NULL)
		errx(sk_err_exitcode(&e), "%s", e.msg);
	pfd.fd = sk_syn_fd(s);
	pfd.events = POLLIN;
	t0 = t1 = sk_syn_now_us();
	while (got < n && (now = sk_syn_now_us()) - t0 < LIMIT_US) {
		for (i = 0; i < BATCH && sent < n && sent - got < WINDOW; i++) {
			target(&sin, sent);
			if (sk_syn_send(s, (struct sockaddr *)&sin, sizeof(sin),
			    (uint8_t)(sent / 65535), &e) == -1) {
				if (e.kind != SK_ERR_TEMPFAIL)
					errx(3, "%s", e.msg);
				break;
			}
			sent++;
		}
		if ((k = sk_syn_recv(s, r, BATCH, &e)) == -1)
			errx(3, "%s", e.msg);
		if (k > 0) {
			got += k;
			t1 = r[k - 1].when_us;
		} else if (sent == n || sent - got >= WINDOW) {
			/* Everything sent or the window full: what is
			 * missing now is lost, unless it comes soon. */
			if (poll(&pfd, 1, 200) == 0)
				break;
		}
	}
	sk_syn_stats(s, &st);
	printf("%.0f %ld %ld %llu\n", got / ((t1 - t0) / 1e6), sent, got,
	    (unsigned long long)st.pcap_drop);
	sk_syn_close(s);
}

static void
plain(long n)
{
	struct sockaddr_in sin, src;
	struct sk_syn_match m;
	unsigned char tcp[SK_SYN_TCPLEN];
	int64_t t0;
	long i;
	int fd;

	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP)) == -1)
		err(3, "socket");
	sk_syn_match_init(&m, AF_INET, 12345, 61000);
	target(&src, 0);
	t0 = sk_syn_now_us();
	for (i = 0; i < n && sk_syn_now_us() - t0 < LIMIT_US; i++) {
		target(&sin, i);
		sk_syn_build(&m, (struct sockaddr *)&src, (struct sockaddr *)&sin,
		    0, tcp);
		sin.sin_port = 0;
		while (sendto(fd, tcp, sizeof(tcp), 0, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1)
			if (errno != ENOBUFS)
				err(3, "sendto");
	}
	printf("%.0f\n", i / ((sk_syn_now_us() - t0) / 1e6));
	close(fd);
}

int
main(int argc, char **argv)
{
	long n;

	if (argc != 3 || (n = atol(argv[2])) <= 0)
		errx(2, "usage: syn_rate engine|plain N");
	netns_lo();
	if (strcmp(argv[1], "engine") == 0)
		engine(n);
	else if (strcmp(argv[1], "plain") == 0)
		plain(n);
	else
		errx(2, "usage: syn_rate engine|plain N");
	return 0;
}
