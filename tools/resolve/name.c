/*
 * Host names in: checked as DNS can carry them, and internationalized
 * names (IDNA 2008, UTS #46 non-transitional, as libidn2 and getent do)
 * converted between U-labels ("bücher.test") and A-labels
 * ("xn--bcher-kva.test").  A bad name is one input error naming it; the
 * caller reports it and goes on with the next.
 */
#include <errno.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sockkit/err.h"
#include "resolve/resolve.h"

/*
 * A host name as DNS can carry it: labels of 1-63 bytes, 253 bytes in
 * all (a trailing dot aside), letters, digits, '-' and '_' (SRV-style
 * names and hosts files use it).  Bytes >= 0x80 are refused here: they
 * are for rs_name_ascii() to convert.  Returns 0 or -1 with an
 * SK_ERR_INPUT naming the fault.
 */
int
rs_name_check(const char *name, struct sk_err *e)
{
	size_t len = strlen(name), label = 0, i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return sk_err_kset(e, SK_ERR_INPUT, EINVAL, "name \"%s\": empty",
		    name);
	if (len > 253)
		return sk_err_kset(e, SK_ERR_INPUT, EINVAL,
		    "name %.40s...: longer than 253 bytes", name);
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (c == '.') {
			if (label == 0)
				return sk_err_kset(e, SK_ERR_INPUT, EINVAL,
				    "name \"%.64s\": empty label", name);
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return sk_err_kset(e, SK_ERR_INPUT, EINVAL,
			    "name \"%.64s\": bad character 0x%02x at %zu",
			    name, c, i);
		if (++label > 63)
			return sk_err_kset(e, SK_ERR_INPUT, EINVAL,
			    "name %.40s...: label longer than 63 bytes", name);
	}
	return 0;
}

static int
has_high(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/*
 * The name to put on the wire: name itself if it is plain ASCII, its
 * A-label form if it has U-labels and o->idn is set.  out gets it (a
 * trailing dot kept).  Returns 0, or -1 with SK_ERR_INPUT: a bad name,
 * a name IDNA refuses ("name \"a..b\": ..."), non-ASCII with --no-idn.
 */
int
rs_name_ascii(const char *name, char *out, size_t len,
    const struct rs_opts *o, struct sk_err *e)
{
	char in[SK_HOSTLEN * 4], *a = NULL;
	size_t n = strlen(name);
	int dot, rc;

	if (!has_high(name)) {
		if (rs_name_check(name, e) == -1)
			return -1;
		if (n >= len)
			return sk_err_kset(e, SK_ERR_INPUT, ENAMETOOLONG,
			    "name %.40s...: too long", name);
		memcpy(out, name, n + 1);
		return 0;
	}
	if (!o->idn)
		return sk_err_kset(e, SK_ERR_INPUT, EINVAL,
		    "name \"%.64s\": not ASCII (--no-idn)", name);
	if (n >= sizeof(in))
		return sk_err_kset(e, SK_ERR_INPUT, ENAMETOOLONG,
		    "name %.40s...: longer than 253 bytes", name);
	dot = n > 0 && name[n - 1] == '.';
	memcpy(in, name, n + 1);
	if (dot)
		in[n - 1] = '\0';
	rc = idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		return sk_err_kset(e, SK_ERR_INPUT, EINVAL,
		    "name \"%.64s\": IDNA: %s", name, idn2_strerror(rc));
	/* what goes out is checked, the dot put back included */
	n = strlen(a);
	if (n + dot >= sizeof(in)) {
		rc = sk_err_kset(e, SK_ERR_INPUT, ENAMETOOLONG,
		    "name %.40s...: longer than 253 bytes", name);
	} else {
		memcpy(in, a, n);
		memcpy(in + n, ".", dot);
		in[n + dot] = '\0';
	}
	idn2_free(a);
	if (rc != IDN2_OK || rs_name_check(in, e) == -1)
		return -1;
	if (strlen(in) >= len)
		return sk_err_kset(e, SK_ERR_INPUT, ENAMETOOLONG,
		    "name %.40s...: too long", name);
	memcpy(out, in, strlen(in) + 1);
	return 0;
}

/* The U-label form of a name with an "xn--" label into out, or "" when
 * it has none or it does not decode. */
void
rs_name_unicode(const char *ascii, char *out, size_t len)
{
	const char *p = ascii;
	char *u = NULL;
	int found = 0;

	out[0] = '\0';
	while (*p != '\0') {
		if (strncasecmp(p, "xn--", 4) == 0)
			found = 1;
		if ((p = strchr(p, '.')) == NULL)
			break;
		p++;
	}
	if (!found || idn2_to_unicode_8z8z(ascii, &u, 0) != IDN2_OK)
		return;
	snprintf(out, len, "%s", u);
	idn2_free(u);
}
