/*
 * libFuzzer target for the whoisd query parser, matcher and formatter,
 * against a small fixed directory.  Input: first byte picks the line
 * ending, match cap and output cap; the rest is the query line.  No
 * answer may hold a line of WD_Q_LINE_MAX bytes or more, or pass its cap.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockkit/vis.h"
#include "whoisd/query.h"

static const char dir[] =
    "Full Name: Quinton, Reg\nDepartment: Info Tech Svcs\nRoom: NSC 214\n"
    "Phone: 679-2111x(6026)\nIndex Key: 481800\nMachine Address:\n"
    "Directory Addresses:\n.Login: reggers\n\n"
    "Full Name: Quinton, Farah\nEmail: fquinton@example.org\n"
    "Handle: FQ1\nA Very Long Attribute Name Indeed, Sixty-Four Bytes Max: "
    "a value\n\n"
    "Full Name: Barlow, Reginald \"Reg\" (acting)\nNote: "
    "wrap me wrap me wrap me wrap me wrap me wrap me wrap me wrap me\n"
    " wrap me wrap me wrap me wrap me wrap me wrap me wrap me wrap me\n"
    "Index Key: 481801\n\n"
    "Name: caf\xc3\xa9 \xc3\xbc\xc3\xbc\nHandle: re-g\n";

static struct wd_db *db;

static void
check_lines(const struct wd_q_buf *b, const char *eol)
{
	size_t el = strlen(eol);
	const char *p = b->data, *end = b->data + b->len, *nl;

	assert(b->len <= b->max);
	while (p < end) {
		nl = memmem(p, (size_t)(end - p), eol, el);
		assert(nl != NULL);		/* every line ends */
		assert((size_t)(nl + el - p) <= WD_Q_LINE_MAX);
		assert(memchr(p, '\0', (size_t)(nl - p)) == NULL);
		p = nl + el;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_q_opts o = { 0 };
	struct wd_q_result res;
	struct wd_q_query q;
	struct wd_q_buf b;
	struct sk_err e;
	char log[201];
	size_t loglen;
	int rc;

	if (db == NULL &&
	    (db = wd_db_load_mem(dir, sizeof(dir) - 1, "dir", NULL, &e)) == NULL)
		abort();
	if (size == 0)
		return 0;
	o.eol = data[0] & 1 ? "\r\n" : "\n";
	o.max_matches = (data[0] >> 1) & 3;
	wd_q_buf_init(&b, data[0] & 8 ? 4096 : 0);
	data++, size--;

	loglen = sk_vis(log, sizeof(log), data, size, SK_VIS_LOG, NULL);
	assert(loglen == strlen(log) && loglen < sizeof(log));
	rc = wd_q_parse(&q, (const char *)data, size);
	assert(q.len == strlen(q.text));
	if (rc != 0) {
		assert(wd_q_error(&b, rc, NULL, o.eol) == 0);
	} else {
		assert(wd_q_answer(db, &q, &o, &b, &res) == 0);
		assert(res.matches <= (o.max_matches ? o.max_matches : 100));
	}
	check_lines(&b, o.eol);
	wd_q_buf_free(&b);
	return 0;
}
