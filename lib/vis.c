/*
 * The one escaper for showing untrusted bytes (sockkit/vis.h).
 *
 * The input is cut into units (a byte, a UTF-8 character, a dropped CR)
 * and each unit becomes its text: itself or an escape.  Units are never
 * split, so a reader never sees half an escape or half a character.
 */
#include <string.h>

#include "sockkit/vis.h"

#define HI_ON	"\033[7m"	/* reverse video */
#define HI_OFF	"\033[0m"
#define UNIT_MAX 16		/* the widest unit: "\xNN" highlighted */

static const char hex[] = "0123456789abcdef";

int
sk_utf8_len(const void *src, size_t n)
{
	const unsigned char *s = src;
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (c == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;		/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;		/* past U+10FFFF */
	} else
		return 0;
	/* Only the second byte has a range narrower than 80..bf. */
	if (n >= 2 && (s[1] < lo || s[1] > hi))
		return 0;
	for (k = 2; k < len && k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return n < len ? -1 : (int)len;
}

/* "\xNN" (or "\udcNN" for JSON) for byte c; returns the length. */
static size_t
esc_hex(unsigned char c, const char *pre, char *u)
{
	size_t k = strlen(pre);

	memcpy(u, pre, k);
	u[k++] = hex[c >> 4];
	u[k++] = hex[c & 0xf];
	return k;
}

/* One unit of JSON string body at s[0..n): its text into u. */
static size_t
json_unit(const unsigned char *s, size_t n, char *u, size_t *ulen)
{
	static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
	const char *p;
	int len;

	if (s[0] != '\0' && (p = strchr(from, s[0])) != NULL) {
		u[0] = '\\';
		u[1] = to[p - from];
		*ulen = 2;
	} else if (s[0] < 0x20) {
		*ulen = esc_hex(s[0], "\\u00", u);
	} else if (s[0] < 0x80) {
		u[0] = (char)s[0];
		*ulen = 1;
	} else if ((len = sk_utf8_len(s, n)) > 0) {
		memcpy(u, s, (size_t)len);
		*ulen = (size_t)len;
		return (size_t)len;
	} else {
		/* Not UTF-8: the lone low surrogate that carries the byte,
		 * so no byte is lost and the input can be recovered. */
		*ulen = esc_hex(s[0], "\\udc", u);
	}
	return 1;
}

/* One unit at s[0..n) per flags: its text into u (UNIT_MAX bytes), its
 * length into *ulen; returns the input bytes it stands for (>= 1). */
static size_t
unit(const unsigned char *s, size_t n, int flags, char *u, size_t *ulen)
{
	static const char cbyte[] = { '\0', '\r', '\n', '\t' };
	static const char cname[] = { '0', 'r', 'n', 't' };
	unsigned char c = s[0];
	char e[8];
	size_t k, el;
	int len;

	if (flags & SK_VIS_JSON)
		return json_unit(s, n, u, ulen);
	*ulen = 1;
	u[0] = (char)c;
	if (c == '\\') {
		if (flags & SK_VIS_RAWBS)
			return 1;
		e[0] = e[1] = '\\';
		el = 2;
	} else if (c == '"' && (flags & SK_VIS_DQUOTE)) {
		e[0] = '\\';
		e[1] = '"';
		el = 2;
	} else if (c == ' ' && (flags & SK_VIS_SPACE)) {
		el = esc_hex(c, "\\x", e);
	} else if ((c == '\n' && (flags & SK_VIS_NL)) ||
	    (c == '\t' && (flags & SK_VIS_TAB))) {
		return 1;
	} else if (c == '\r' && (flags & SK_VIS_CRLF) && n > 1 &&
	    s[1] == '\n') {
		*ulen = 0;
		return 1;
	} else if (c >= 0x20 && c < 0x7f) {
		return 1;
	} else if (c >= 0x80 && (flags & SK_VIS_UTF8) &&
	    (len = sk_utf8_len(s, n)) > 1 && !(c == 0xc2 && s[1] < 0xa0)) {
		memcpy(u, s, (size_t)len);
		*ulen = (size_t)len;
		return (size_t)len;
	} else if ((flags & SK_VIS_C) &&
	    memchr(cbyte, c, sizeof(cbyte)) != NULL) {
		e[0] = '\\';
		e[1] = cname[(const char *)memchr(cbyte, c, sizeof(cbyte)) -
		    cbyte];
		el = 2;
	} else {
		el = esc_hex(c, "\\x", e);
	}
	k = 0;
	if (flags & SK_VIS_HILITE) {
		memcpy(u, HI_ON, sizeof(HI_ON) - 1);
		k = sizeof(HI_ON) - 1;
	}
	memcpy(u + k, e, el);
	k += el;
	if (flags & SK_VIS_HILITE) {
		memcpy(u + k, HI_OFF, sizeof(HI_OFF) - 1);
		k += sizeof(HI_OFF) - 1;
	}
	*ulen = k;
	return 1;
}

size_t
sk_vis(char *dst, size_t size, const void *src, size_t n, int flags,
    size_t *used)
{
	const unsigned char *s = src;
	size_t i = 0, o = 0, k, ulen, mark_i = 0, mark_o = 0;
	char u[UNIT_MAX];
	int cut = 0;

	if (size == 0) {
		if (used != NULL)
			*used = 0;
		return 0;
	}
	while (i < n) {
		k = unit(s + i, n - i, flags, u, &ulen);
		if (o + ulen >= size) {
			cut = 1;
			break;
		}
		memcpy(dst + o, u, ulen);
		o += ulen;
		i += k;
		/* The last place where "..." and the NUL still fit. */
		if (o + 4 <= size) {
			mark_i = i;
			mark_o = o;
		}
	}
	if ((flags & SK_VIS_MORE) ||
	    (cut && (flags & SK_VIS_ELLIPSIS))) {
		if (o + 4 > size) {
			o = mark_o;
			i = mark_i;
		}
		if (o + 4 <= size) {
			memcpy(dst + o, "...", 3);
			o += 3;
		}
	}
	dst[o] = '\0';
	if (used != NULL)
		*used = i;
	return o;
}
