/* Shared declarations for the Check unit suites. */
#ifndef SK_UNIT_H
#define SK_UNIT_H

#include <check.h>
#include <netdb.h>

/* One Suite per lib/ (or tool-private) file: check_<name>.c defines
 * Suite *<name>_suite(void).  Each runner's list (suites.h) is generated
 * from the file names, so adding a suite is adding a file; a suite that
 * includes a tool's headers runs in that tool's runner (Makefile). */

/* Helpers for socket tests (tests/unit/util.c). */
int ut_listener(int family, int *port);		/* port-0 loopback listener */
int ut_closed_port(void);			/* a loopback port with no listener */
int ut_is_root(void);
/* Loopback port that drops SYNs (full accept queue); returns the listener,
 * *filler is the connection that fills the queue.  Close both after. */
int ut_blackhole(int *port, int *filler);
/* An addrinfo chain from "host port" strings, in the order given. */
struct addrinfo *ut_ai_list(const char *const *hostports, int n);
void ut_ai_free(struct addrinfo *ai);

#endif
