#include <stdlib.h>
#include <errno.h>
#include "sockkit/err.h"
#include "lssock/lssock.h"

int
ls_watch_interval(const char *s, int *ms)
{
	char *end;
	double v;

	if (s == NULL) {
		*ms = 1000;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= 0.1 && v <= 3600))
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	return 0;
}

int
ls_watch(const struct ls_opts *o, struct sk_err *e)
{
	return sk_err_kset(e, SK_ERR_SYSTEM, ENOSYS, "--watch: todo");
}
