#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/log.h"
#include "unit.h"

START_TEST(log_peer_formats_inet_addresses)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	char buf[96];

	sin.sin_port = htons(55049);
	inet_pton(AF_INET, "198.18.0.2", &sin.sin_addr);
	ck_assert_str_eq(sk_log_peer((struct sockaddr *)&sin, buf, sizeof(buf)),
	    "198.18.0.2:55049");
	s6.sin6_port = htons(43);
	inet_pton(AF_INET6, "2001:2::2", &s6.sin6_addr);
	ck_assert_str_eq(sk_log_peer((struct sockaddr *)&s6, buf, sizeof(buf)),
	    "[2001:2::2]:43");
}
END_TEST

START_TEST(log_to_stderr_prefixes_ident_and_pid)
{
	struct sk_log lg;
	char *mem = NULL, want[64];
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	sk_log_open(&lg, "whoisd", 1);
	lg.out = f;
	sk_log(&lg, LOG_INFO, "query %s", "reggers");
	sk_log(&lg, LOG_DEBUG, "not shown");
	fclose(f);
	snprintf(want, sizeof(want), "whoisd[%d]: query reggers\n", (int)getpid());
	ck_assert_str_eq(mem, want);
	free(mem);
	sk_log_close(&lg);
}
END_TEST

Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, log_peer_formats_inet_addresses);
	tcase_add_test(tc, log_to_stderr_prefixes_ident_and_pid);
	suite_add_tcase(s, tc);
	return s;
}
