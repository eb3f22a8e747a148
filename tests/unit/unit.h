/* Shared declarations for the Check unit suites. */
#ifndef SK_UNIT_H
#define SK_UNIT_H

#include <check.h>

/* One Suite per lib/ (or tool-private) file: check_<name>.c defines
 * Suite *<name>_suite(void).  The runner's list is generated from the
 * file names, so adding a suite is adding a file. */
#define SUITE(name) Suite *name##_suite(void);
#include "suites.h"
#undef SUITE

/* Helpers for socket tests (tests/unit/util.c). */
int ut_listener(int family, int *port);		/* port-0 loopback listener */
int ut_closed_port(void);			/* a loopback port with no listener */
int ut_is_root(void);

#endif
