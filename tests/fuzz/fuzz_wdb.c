/*
 * libFuzzer target for the whoisd directory loader.  Input: first byte
 * picks the indexed attributes (defaults or a --index list) and a read
 * size, the rest is the database text.  A loaded database must agree with
 * itself: every word of every indexed value is found, by word and by
 * prefix, for its record.  Read from a file in small pieces, the text
 * must give the same result as from memory: the same error, or the same
 * records.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "whoisd/db.h"
#include "whoisd/db_internal.h"

/* Load data through a memfd with reads of maxread bytes and check that
 * the outcome matches the memory load m (NULL: failed with msg). */
static void
same_as_stream(const struct wd_db *m, const char *msg, const uint8_t *data,
    size_t size, size_t maxread, const struct wd_db_opts *o)
{
	struct wd_db_iter im, id;
	struct wd_db_field fm, ff;
	struct sk_err e;
	struct wd_db *d;
	size_t rec;
	int fd = memfd_create("fuzz_wdb", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return;
	}
	d = wd_db__load_fd(fd, maxread, 1, "f.db", o, &e);
	close(fd);
	if (m == NULL) {
		assert(d == NULL);
		assert(strcmp(msg, e.msg) == 0);
		return;
	}
	assert(d != NULL);
	assert(wd_db_count(d) == wd_db_count(m));
	for (rec = 0; rec < wd_db_count(m); rec++) {
		wd_db_fields(m, rec, &im);
		wd_db_fields(d, rec, &id);
		while (wd_db_next(&im, &fm)) {
			assert(wd_db_next(&id, &ff));
			assert(strcmp(fm.name, ff.name) == 0);
			assert(fm.len == ff.len);
			assert(memcmp(fm.value, ff.value, fm.len) == 0);
		}
		assert(!wd_db_next(&id, &ff));
	}
	wd_db_free(d);
}

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
	struct wd_db_opts o;
	struct wd_db_iter it;
	struct wd_db_field f;
	struct sk_err e;
	struct wd_db *db;
	const uint32_t *recs;
	const char *p, *w;
	char fw[WD_DB_VALUE_MAX];
	size_t rec, n, wl, i, checks = 0;
	struct seek s;

	if (size == 0)
		return 0;
	o.index = lists[data[0] % 4];
	sk_err_clear(&e);
	db = wd_db_load_mem((const char *)data + 1, size - 1, "f.db", &o, &e);
	same_as_stream(db, e.msg, data + 1, size - 1, 16 + data[0] / 4 * 67u,
	    &o);
	if (db == NULL) {
		assert(e.msg[0] != '\0');
		assert(strncmp(e.msg, "f.db:", 5) == 0);
		return 0;
	}
	for (rec = 0; rec < wd_db_count(db); rec++) {
		for (wd_db_fields(db, rec, &it); wd_db_next(&it, &f);) {
			assert(f.namelen > 0 && f.namelen <= WD_DB_NAME_MAX);
			assert(strlen(f.name) == f.namelen);
			assert(memchr(f.value, '\n', f.len) == NULL);
			assert(f.len == 0 || (f.value[0] != ' ' &&
			    f.value[f.len - 1] != ' '));
			if (!f.indexed || checks > 2000)
				continue;
			p = f.value;
			while ((w = wd_db_token(&p, f.value + f.len, &wl)) != NULL) {
				for (i = 0; i < wl; i++)
					fw[i] = (char)wd_db_fold((unsigned char)w[i]);
				n = wd_db_word(db, fw, wl, &recs);
				s.rec = (uint32_t)rec;
				s.found = 0;
				seek(&s, recs, n);
				assert(s.found);
				if (wl >= 2) {
					s.found = 0;
					wd_db_prefix(db, fw, wl < 5 ? wl : 5, seek,
					    &s);
					assert(s.found);
				}
				checks++;
			}
		}
	}
	wd_db_free(db);
	return 0;
}
