/*
 * libFuzzer target for JSON string escaping.  Any bytes given to
 * sk_json_strn must come out as one JSON string literal made only of
 * printable ASCII, valid UTF-8 and escapes, and must decode back (with
 * \udcXX meaning the raw byte XX) to exactly the input.  The buffered
 * writer (sk_json_init_fd, a buffer of a size the input picks) must
 * write the same bytes as the FILE one.
 */
#include <sys/mman.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/json.h"

static void
need(int ok)
{
	if (!ok)
		abort();
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;		/* the writer uses lowercase only */
}

/* Length of the UTF-8 sequence at s if it decodes to a scalar value
 * written in its shortest form, else 0. */
static size_t
utf8_ok(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, k;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
same_through_fd(const uint8_t *data, size_t size, const char *want,
    size_t wlen)
{
	struct sk_json j;
	char buf[300], *got;
	int fd = memfd_create("fuzz_json", 0);

	need(fd >= 0);
	sk_json_init_fd(&j, fd, buf, size > 0 ? data[0] % sizeof(buf) : 0);
	sk_json_strn(&j, (const char *)data, size);
	need(sk_json_flush(&j) == 0 && sk_json_error(&j) == 0);
	need(lseek(fd, 0, SEEK_END) == (off_t)wlen);
	need((got = malloc(wlen)) != NULL);
	need(pread(fd, got, wlen, 0) == (ssize_t)wlen);
	need(memcmp(got, want, wlen) == 0);
	free(got);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_json j;
	char *out = NULL, *dec;
	const unsigned char *o;
	size_t olen = 0, i, k, d = 0, len;
	FILE *f = open_memstream(&out, &olen);
	int h, v;

	need(f != NULL);
	sk_json_init(&j, f);
	sk_json_strn(&j, (const char *)data, size);
	need(sk_json_error(&j) == 0);
	fclose(f);
	o = (const unsigned char *)out;
	need(olen >= 2 && o[0] == '"' && o[olen - 1] == '"');
	need((dec = malloc(size + 1)) != NULL);
	for (i = 1; i < olen - 1; ) {
		if (o[i] == '\\') {
			need(i + 1 < olen - 1);
			switch (o[i + 1]) {
			case '"': case '\\': case '/':
				dec[d++] = (char)o[i + 1]; i += 2; continue;
			case 'b': dec[d++] = '\b'; i += 2; continue;
			case 'f': dec[d++] = '\f'; i += 2; continue;
			case 'n': dec[d++] = '\n'; i += 2; continue;
			case 'r': dec[d++] = '\r'; i += 2; continue;
			case 't': dec[d++] = '\t'; i += 2; continue;
			case 'u':
				break;
			default:
				need(0);
			}
			need(i + 6 <= olen - 1);
			for (v = 0, k = 2; k < 6; k++) {
				need((h = hexval((char)o[i + k])) >= 0);
				v = v << 4 | h;
			}
			/* Control characters, or a byte that was not UTF-8. */
			need(v < 0x20 || (v >= 0xdc80 && v <= 0xdcff));
			need(d < size);
			dec[d++] = (char)(v & 0xff);
			i += 6;
			continue;
		}
		need(o[i] != '"' && o[i] >= 0x20);
		need((len = utf8_ok(o + i, olen - 1 - i)) > 0);
		need(d + len <= size);
		memcpy(dec + d, o + i, len);
		d += len;
		i += len;
	}
	need(d == size && memcmp(dec, data, size) == 0);
	free(dec);
	same_through_fd(data, size, out, olen);
	free(out);
	return 0;
}
