/*
 * libFuzzer target for the escaper (sk_vis) and the UTF-8 validator
 * (sk_utf8_len).  The first bytes choose the flags and the output size;
 * for every mode the output must fit, be NUL-terminated, never hold a
 * control byte the mode does not let through nor a byte of bad UTF-8,
 * and decode back to exactly the input bytes it claims to show.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/vis.h"

#define HI_ON	"\033[7m"
#define HI_OFF	"\033[0m"

static void
need(int ok)
{
	if (!ok)
		abort();
}

/* The reference: decode and check the code point's range. */
static int
utf8_ref(const unsigned char *s, size_t n)
{
	uint32_t cp, min;
	size_t len, k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc0 && s[0] < 0xe0)
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] < 0xf0)
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] < 0xf8)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (k = 1; k < len && k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (k < len) {
		/* Cut: a prefix of a valid sequence if some completion is;
		 * try the smallest and largest continuation bytes. */
		unsigned char t[4];
		int a, b;

		memcpy(t, s, k);
		memset(t + k, 0x80, len - k);
		a = utf8_ref(t, len);
		memset(t + k, 0xbf, len - k);
		b = utf8_ref(t, len);
		if (a > 0 || b > 0)
			return -1;
		/* 0xed 0x80..0x9f and 0xf4 0x80..0x8f: middle values. */
		memset(t + k, 0x8f, len - k);
		a = utf8_ref(t, len);
		memset(t + k, 0x9f, len - k);
		b = utf8_ref(t, len);
		return a > 0 || b > 0 ? -1 : 0;
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return (int)len;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode a non-JSON output (modes where it is unambiguous) into dec;
 * returns the decoded length. */
static size_t
decode(const unsigned char *o, size_t len, unsigned char *dec)
{
	static const char from[] = "\\\"0rnt", to[] = "\\\"\0\r\n\t";
	size_t i = 0, d = 0;
	const char *p;

	while (i < len) {
		if (o[i] != '\\') {
			dec[d++] = o[i++];
			continue;
		}
		need(i + 1 < len);
		if (o[i + 1] == 'x') {
			need(i + 3 < len && hexval(o[i + 2]) >= 0 &&
			    hexval(o[i + 3]) >= 0);
			dec[d++] = (unsigned char)(hexval(o[i + 2]) << 4 |
			    hexval(o[i + 3]));
			i += 4;
			continue;
		}
		need(o[i + 1] != '\0' && (p = strchr(from, o[i + 1])) != NULL);
		dec[d++] = (unsigned char)to[p - from];
		i += 2;
	}
	return d;
}

/* Decode a JSON body; \udcXX stands for the byte XX. */
static size_t
decode_json(const unsigned char *o, size_t len, unsigned char *dec)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t i = 0, d = 0, k;
	const char *p;
	int v, h, u;

	while (i < len) {
		if (o[i] != '\\') {
			need(o[i] >= 0x20 && o[i] != '"');
			need((u = utf8_ref(o + i, len - i)) > 0);
			memcpy(dec + d, o + i, (size_t)u);
			d += (size_t)u;
			i += (size_t)u;
			continue;
		}
		need(i + 1 < len);
		if (o[i + 1] != 'u') {
			need((p = strchr(from, o[i + 1])) != NULL);
			dec[d++] = (unsigned char)to[p - from];
			i += 2;
			continue;
		}
		need(i + 6 <= len);
		for (v = 0, k = 2; k < 6; k++) {
			need((h = hexval(o[i + k])) >= 0);
			v = v << 4 | h;
		}
		need(v < 0x20 || (v >= 0xdc80 && v <= 0xdcff));
		dec[d++] = (unsigned char)(v & 0xff);
		i += 6;
	}
	return d;
}

/* What a terminal or log may be given: no control byte but the LF and
 * TAB the mode lets through, no DEL, UTF-8 only if asked, never a C1. */
static void
check_safe(const unsigned char *o, size_t len, int flags)
{
	size_t i = 0;
	int k;

	while (i < len) {
		if ((flags & SK_VIS_HILITE) && o[i] == 0x1b) {
			need(memcmp(o + i, HI_ON, 4) == 0 ||
			    memcmp(o + i, HI_OFF, 4) == 0);
			i += 4;
			continue;
		}
		if (o[i] >= 0x80) {
			need(flags & SK_VIS_UTF8);
			need((k = utf8_ref(o + i, len - i)) > 1);
			need(!(o[i] == 0xc2 && o[i + 1] < 0xa0));
			i += (size_t)k;
			continue;
		}
		need((o[i] >= 0x20 && o[i] < 0x7f) ||
		    (o[i] == '\n' && (flags & SK_VIS_NL)) ||
		    (o[i] == '\t' && (flags & SK_VIS_TAB)));
		i++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out, *dec;
	size_t cap, n, len, used, i, dots;
	int flags, u;

	if (size < 3)
		return 0;
	flags = (data[0] | data[1] << 8) & 0x0fff;
	cap = data[2] == 0xff ? 16 * (size - 3) + 8 : data[2];
	data += 3;
	n = size - 3;

	for (i = 0; i < n; i++) {
		u = sk_utf8_len(data + i, n - i);
		need(u == utf8_ref(data + i, n - i));
	}

	need((out = malloc(cap + 1)) != NULL);
	out[cap] = 0xaa;			/* canary */
	len = sk_vis((char *)out, cap, data, n, flags, &used);
	need(out[cap] == 0xaa && used <= n);
	if (cap == 0) {
		need(len == 0 && used == 0);
		free(out);
		return 0;
	}
	need(len < cap && out[len] == '\0' && strlen((char *)out) == len);
	if (data[-1] == 0xff && !(flags & SK_VIS_MORE))
		need(used == n);		/* room for the widest form */
	dots = (flags & SK_VIS_MORE) || (used < n && (flags & SK_VIS_ELLIPSIS));
	if (dots && len >= 3 && memcmp(out + len - 3, "...", 3) == 0)
		len -= 3;
	else if (dots)
		need(len == 0 && cap < 4);
	need((dec = malloc(len + 1)) != NULL);
	if (flags & SK_VIS_JSON) {
		need(decode_json(out, len, dec) == used &&
		    memcmp(dec, data, used) == 0);
	} else {
		check_safe(out, len, flags);
		/* A raw backslash, a dropped CR or highlighting makes the
		 * text a display, not an encoding. */
		if (!(flags & (SK_VIS_RAWBS | SK_VIS_CRLF | SK_VIS_HILITE)))
			need(decode(out, len, dec) == used &&
			    memcmp(dec, data, used) == 0);
	}
	free(dec);
	free(out);
	return 0;
}
