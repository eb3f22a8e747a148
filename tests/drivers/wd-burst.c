/*
 * wd-burst — N queries in a row from one address, as fast as each answer
 * comes back; says how each ended.  For whoisd's refusals: a refused
 * client must read the whole "%ERROR:" line, never a reset.
 *
 *   wd-burst HOST PORT LINE N
 *
 * Prints "answers A errors E resets R other O" (an answer: the reply
 * does not start with '%ERROR:'; an error: it does and ends in a line
 * ending; a reset: ECONNRESET before EOF; other: anything else, e.g. a
 * cut error line).  Exit 0 when resets and other are both 0, 1 otherwise.
 * Bounded: each query has a 5 s deadline.
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/connect.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"
#include "sockkit/num.h"

#define QUERY_MS 5000

enum end { END_ANSWER, END_ERROR, END_RESET, END_OTHER };

static enum end
one(const char *host, const char *port, const char *line)
{
	struct sk_connect_opts o = { .deadline = sk_deadline_in(QUERY_MS) };
	struct sk_err e;
	char buf[65536];
	size_t len = 0;
	ssize_t n;
	int fd, reset = 0;

	fd = sk_tcpopen(host, port, &o, &e);
	if (fd == -1)
		errx(3, "%s", e.msg);
	if (sk_write_all(fd, line, strlen(line), o.deadline, NULL, &e) == -1 ||
	    sk_write_all(fd, "\r\n", 2, o.deadline, NULL, &e) == -1)
		reset = e.code == ECONNRESET;
	while (!reset && sk_wait(fd, POLLIN, o.deadline, NULL) > 0) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == 0)
			break;
		if (n == -1) {
			reset = errno == ECONNRESET;
			break;
		}
		len += (size_t)n;
		if (len == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	if (reset)
		return END_RESET;
	if (len == 0)
		return END_OTHER;
	if (strncmp(buf, "%ERROR:", 7) != 0)
		return END_ANSWER;
	return len > 2 && buf[len - 1] == '\n' ? END_ERROR : END_OTHER;
}

int
main(int argc, char **argv)
{
	const char *errstr;
	long long n, i;
	long count[4] = { 0 };

	if (argc != 5)
		errx(2, "usage: wd-burst HOST PORT LINE N");
	n = sk_strtonum(argv[4], 1, 100000, &errstr);
	if (errstr != NULL)
		errx(2, "N %s: %s", argv[4], errstr);
	for (i = 0; i < n; i++)
		count[one(argv[1], argv[2], argv[3])]++;
	printf("answers %ld errors %ld resets %ld other %ld\n", count[END_ANSWER],
	    count[END_ERROR], count[END_RESET], count[END_OTHER]);
	return count[END_RESET] == 0 && count[END_OTHER] == 0 ? 0 : 1;
}
