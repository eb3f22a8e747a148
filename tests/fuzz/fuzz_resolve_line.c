/*
 * libFuzzer target for resolve's batch line parser and name validator,
 * the two places untrusted file input goes before NSS sees it.  A line
 * either is no query, a malformed one, or a query (and service) without
 * blanks; a name the validator accepts is one DNS could carry.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/err.h"
#include "resolve/resolve.h"

static void
check_name(const char *q)
{
	struct sk_err e;
	size_t n = strlen(q), i, label = 0;

	if (rs_name_check(q, &e) == -1) {
		assert(e.kind == SK_ERR_INPUT && e.msg[0] != '\0');
		return;
	}
	if (n > 0 && q[n - 1] == '.')
		n--;
	assert(n >= 1 && n <= 253);
	for (i = 0; i < n; i++) {
		if (q[i] == '.') {
			assert(label > 0);
			label = 0;
		} else {
			assert(strchr("-_", q[i]) != NULL ||
			    (q[i] >= '0' && q[i] <= '9') ||
			    (q[i] >= 'a' && q[i] <= 'z') ||
			    (q[i] >= 'A' && q[i] <= 'Z'));
			assert(++label <= 63);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *q, *serv;
	char *line;
	int rc;

	if (size > RS_LINEMAX)
		return 0;
	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	rc = rs_line_parse(line, size, &q, &serv);
	if (rc == 1) {
		assert(q >= line && q < line + size && *q != '\0');
		assert(strpbrk(q, " \t\r\n") == NULL);
		if (serv != NULL)
			assert(*serv != '\0' && strpbrk(serv, " \t\r\n") == NULL);
		(void)rs_classify(q);
		check_name(q);
	} else {
		assert(rc == 0 || rc == -1);
	}
	free(line);
	return 0;
}
