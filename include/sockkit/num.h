/*
 * sockkit/num.h — range-checked number parsing (OpenBSD strtonum(3)).
 */
#ifndef SOCKKIT_NUM_H
#define SOCKKIT_NUM_H

/*
 * Parse the whole of s as a base-10 integer in [minval, maxval].  On error
 * returns 0 and sets *errstr to "invalid", "too small" or "too large";
 * on success *errstr is NULL.  Leading/trailing junk and empty strings are
 * "invalid".  Never touches global state other than errno.
 */
long long sk_strtonum(const char *s, long long minval, long long maxval,
    const char **errstr);

#endif
