/*
 * libFuzzer target for the whoisd directory loader.  Input: first byte
 * picks the indexed attributes (defaults or a --index list), the rest is
 * the database text.  A loaded database must agree with itself: every
 * word of every indexed value is found, by word and by prefix, for its
 * record.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "whoisd/db.h"

struct seek {
	uint32_t rec;
	int found;
};

static int
seek(void *arg, const uint32_t *recs, size_t n)
{
	struct seek *s = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		assert(i == 0 || recs[i - 1] < recs[i]);
		if (recs[i] == s->rec)
			s->found = 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const lists[] = { NULL, "", "a,b", "Full Name, x" };
	struct wdb_opts o;
	struct wdb_iter it;
	struct wdb_field f;
	struct sk_err e;
	struct wdb *db;
	const uint32_t *recs;
	const char *p, *w;
	char fw[WDB_VALUE_MAX];
	size_t rec, n, wl, i, checks = 0;
	struct seek s;

	if (size == 0)
		return 0;
	o.index = lists[data[0] % 4];
	sk_err_clear(&e);
	db = wdb_load_mem((const char *)data + 1, size - 1, "f.db", &o, &e);
	if (db == NULL) {
		assert(e.msg[0] != '\0');
		assert(strncmp(e.msg, "f.db:", 5) == 0);
		return 0;
	}
	for (rec = 0; rec < wdb_count(db); rec++) {
		for (wdb_fields(db, rec, &it); wdb_next(&it, &f);) {
			assert(f.namelen > 0 && f.namelen <= WDB_NAME_MAX);
			assert(strlen(f.name) == f.namelen);
			assert(memchr(f.value, '\n', f.len) == NULL);
			assert(f.len == 0 || (f.value[0] != ' ' &&
			    f.value[f.len - 1] != ' '));
			if (!f.indexed || checks > 2000)
				continue;
			p = f.value;
			while ((w = wdb_token(&p, f.value + f.len, &wl)) != NULL) {
				for (i = 0; i < wl; i++)
					fw[i] = (char)wdb_fold((unsigned char)w[i]);
				n = wdb_word(db, fw, wl, &recs);
				s.rec = (uint32_t)rec;
				s.found = 0;
				seek(&s, recs, n);
				assert(s.found);
				if (wl >= 2) {
					s.found = 0;
					wdb_prefix(db, fw, wl < 5 ? wl : 5, seek,
					    &s);
					assert(s.found);
				}
				checks++;
			}
		}
	}
	wdb_free(db);
	return 0;
}
