/*
 * lineio_count — count the lines on stdin with sk_line_read (64 KiB
 * buffer, lines up to 1024 bytes), like `wc -l` for bench/lineio.sh.
 * Prints the number of lines; exits 1 on a read error or a too-long line.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"

int
main(void)
{
	static char buf[64 * 1024];
	struct sk_line_reader r;
	struct sk_line line;
	struct sk_err e;
	enum sk_line_status st;
	unsigned long long lines = 0, toolong = 0;

	if (sk_line_init(&r, 0, buf, sizeof(buf), 1024, &e) < 0)
		errx(2, "%s", e.msg);
	while ((st = sk_line_read(&r, &line, SK_NEVER, &e)) != SK_LINE_EOF) {
		if (st == SK_LINE_OK)
			lines++;
		else if (st == SK_LINE_TOO_LONG)
			toolong++;
		else
			errx(1, "%s", st == SK_LINE_ERROR ? e.msg :
			    sk_line_status_str(st));
	}
	printf("%llu\n", lines);
	if (toolong > 0)
		errx(1, "%llu lines too long", toolong);
	return 0;
}
