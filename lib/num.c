#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "sockkit/num.h"

long long
sk_strtonum(const char *s, long long minval, long long maxval,
    const char **errstr)
{
	long long v;
	char *end;
	int saved = errno;

	*errstr = NULL;
	if (s == NULL || *s == '\0' || minval > maxval) {
		*errstr = "invalid";
		return 0;
	}
	/* strtoll skips leading space and takes '+'; a strict parser must not. */
	if (!(*s == '-' || (*s >= '0' && *s <= '9'))) {
		*errstr = "invalid";
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0') {
		*errstr = "invalid";
		v = 0;
	} else if ((errno == ERANGE && v == LLONG_MIN) || v < minval) {
		*errstr = "too small";
		v = 0;
	} else if ((errno == ERANGE && v == LLONG_MAX) || v > maxval) {
		*errstr = "too large";
		v = 0;
	}
	errno = saved;
	return v;
}
