/* whoisd's directory loader and word index (tools/whoisd/db.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "whoisd/db.h"
#include "whoisd/db_internal.h"
#include "unit.h"

static struct wd_db *
mem(const char *text, const char *index, struct sk_err *e)
{
	struct wd_db_opts o = { .index = index };

	return wd_db_load_mem(text, strlen(text), "t.db", &o, e);
}

/* Field i of record rec as "Name=value". */
static const char *
field(const struct wd_db *db, size_t rec, size_t i, char *buf, size_t size)
{
	struct wd_db_iter it;
	struct wd_db_field f;

	wd_db_fields(db, rec, &it);
	do {
		if (!wd_db_next(&it, &f))
			return "(none)";
	} while (i-- > 0);
	snprintf(buf, size, "%s=%.*s", f.name, (int)f.len, f.value);
	return buf;
}

static size_t
nfields(const struct wd_db *db, size_t rec)
{
	struct wd_db_iter it;
	struct wd_db_field f;
	size_t n = 0;

	for (wd_db_fields(db, rec, &it); wd_db_next(&it, &f);)
		n++;
	return n;
}

/* Records holding word w, as "0,2,5". */
static const char *
word(const struct wd_db *db, const char *w, char *buf, size_t size)
{
	const uint32_t *r;
	size_t n = wd_db_word(db, w, strlen(w), &r), i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u",
		    i ? "," : "", r[i]);
	return buf;
}

/* ---- rejected files: every message names file and line ------------------- */

static const struct {
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *msg;
} bad[] = {
	{ "Full Name value\n", 0, "t.db:1: missing ':' after the attribute name" },
	{ "A: b\n: value\n", 0, "t.db:2: empty attribute name" },
	{ "A: b\n   : value\n", 0, NULL },	/* continuation: fine */
	{ "# c\n  cont\n", 0, "t.db:2: continuation line without an "
	    "attribute line before it" },
	{ "A: b\n\n  cont\n", 0, "t.db:3: continuation line without an "
	    "attribute line before it" },
	{ "A: b\0c\n", 7, "t.db:1: NUL byte" },
	{ "A: b\n# x\0y\n", 11, "t.db:2: NUL byte" },
	{ "A: b\x01\n", 0, "t.db:1: control character 0x01" },
	{ "A: b\x7f\n", 0, "t.db:1: control character 0x7f" },
	{ "A\tB: c\n", 0, "t.db:1: control character 0x09" },
	{ "A: b\rc\n", 0, "t.db:1: control character 0x0d" },
	{ "A: b\n\nC: d\n  e\x02\n", 0, "t.db:4: control character 0x02" },
	/* control bytes in the upper half of an 8-byte block */
	{ "abcdefg\x01: x\n", 0, "t.db:1: control character 0x01" },
	{ "\xcc\xcc\xff\xff`\x90\0\x1a: x\n", 12, "t.db:1: NUL byte" },
	{ "A: 12345678abcdef\x1fgh\n", 0, "t.db:1: control character 0x1f" },
};

START_TEST(wd_db_rejects_broken_file_with_file_and_line)
{
	struct sk_err e;
	size_t len = bad[_i].len ? bad[_i].len : strlen(bad[_i].text);
	struct wd_db *db = wd_db_load_mem(bad[_i].text, len, "t.db", NULL, &e);

	if (bad[_i].msg == NULL) {
		ck_assert_msg(db != NULL, "case %d: %s", _i, e.msg);
		wd_db_free(db);
		return;
	}
	ck_assert_msg(db == NULL, "case %d: loaded", _i);
	ck_assert_msg(strcmp(e.msg, bad[_i].msg) == 0, "case %d: got \"%s\"",
	    _i, e.msg);
	ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

/* Text of n lines "A: x" (or a record with n attributes). */
static char *
repeat(const char *line, size_t n, const char *tail)
{
	size_t l = strlen(line), t = strlen(tail), i;
	char *s = malloc(l * n + t + 1);

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * l, line, l);
	memcpy(s + n * l, tail, t + 1);
	return s;
}

START_TEST(wd_db_enforces_line_field_name_and_value_bounds)
{
	struct sk_err e;
	struct wd_db *db;
	char line[WD_DB_LINE_MAX + 8], name[80];
	char *s;

	/* A line of exactly 4096 bytes loads; 4097 does not. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "A: ", 3);
	line[WD_DB_LINE_MAX] = '\0';
	db = mem(line, NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	wd_db_free(db);
	line[WD_DB_LINE_MAX] = 'x';
	line[WD_DB_LINE_MAX + 1] = '\n';
	line[WD_DB_LINE_MAX + 2] = '\0';
	s = repeat("B: c\n", 1, line);
	ck_assert_ptr_null(mem(s, NULL, &e));
	ck_assert_str_eq(e.msg, "t.db:2: line longer than 4096 bytes");
	free(s);

	s = repeat("A: x\n", WD_DB_FIELDS_MAX, "");
	db = mem(s, NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_uint_eq(nfields(db, 0), WD_DB_FIELDS_MAX);
	wd_db_free(db);
	free(s);
	s = repeat("A: x\n", WD_DB_FIELDS_MAX + 1, "");
	ck_assert_ptr_null(mem(s, NULL, &e));
	ck_assert_str_eq(e.msg, "t.db:257: more than 256 attributes in one "
	    "record");
	free(s);

	memset(name, 'n', 65);
	strcpy(name + 65, ": v\n");
	ck_assert_ptr_null(mem(name, NULL, &e));
	ck_assert_str_eq(e.msg, "t.db:1: attribute name longer than 64 bytes");

	/* 17 continuation lines of 4000 bytes pass the 65535-byte value. */
	memset(line, 'y', 4000);
	line[0] = ' ';
	strcpy(line + 4000, "\n");
	s = repeat(line, 17, "");
	{
		char *t = malloc(strlen(s) + 8);
		sprintf(t, "A: z\n%s", s);
		ck_assert_ptr_null(mem(t, NULL, &e));
		ck_assert_str_eq(e.msg, "t.db:18: value longer than 65535 bytes");
		free(t);
	}
	free(s);
}
END_TEST

START_TEST(wd_db_load_reports_missing_file_and_path)
{
	struct sk_err e;

	ck_assert_ptr_null(wd_db_load("/nonexistent/whoisd.db", NULL, &e));
	ck_assert_str_eq(e.msg, "/nonexistent/whoisd.db: No such file or "
	    "directory");
	ck_assert_int_eq(e.code, ENOENT);
}
END_TEST

START_TEST(wd_db_load_reads_file_and_names_it_in_errors)
{
	char path[] = "/tmp/check_wdb.XXXXXX", want[128], buf[128];
	const char text[] = "Full Name: Quinton, Reg\nRoom: NSC 214\n\n"
	    "Full Name: Ashford, Miriam\nbroken line\n";
	struct sk_err e;
	struct wd_db *db;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, 38), 38);
	db = wd_db_load(path, NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_uint_eq(wd_db_count(db), 1);
	ck_assert_str_eq(field(db, 0, 1, buf, sizeof(buf)), "Room=NSC 214");
	wd_db_free(db);
	ck_assert_int_eq(write(fd, text + 38, sizeof(text) - 39),
	    (ssize_t)sizeof(text) - 39);
	close(fd);
	ck_assert_ptr_null(wd_db_load(path, NULL, &e));
	snprintf(want, sizeof(want), "%s:5: missing ':' after the attribute "
	    "name", path);
	ck_assert_str_eq(e.msg, want);
	unlink(path);
}
END_TEST

/* ---- the same directory however it arrives ------------------------------ */

/* A directory with every construct the parser knows, n records long, so
 * that reads of any size split lines, CRLFs and continuations. */
static char *
mixed(size_t n, size_t *len)
{
	size_t cap = n * 200 + 8192, l = 0, i;
	char *s = malloc(cap);

	ck_assert_ptr_nonnull(s);
	l += (size_t)sprintf(s, "# generated\n%% also a comment\n\n");
	for (i = 0; i < n; i++) {
		l += (size_t)sprintf(s + l, "Full Name: Smith%zu, W%zu\r\n"
		    "Handle:\tH%zu\n", i % 97, i % 13, i);
		if (i % 3 == 0)
			l += (size_t)sprintf(s + l, "# inside\nEmail: "
			    "e%zu@example.org,\n   more%zu  \n", i, i % 5);
		if (i % 7 == 0)
			l += (size_t)sprintf(s + l, ".Login: login%zu\n", i);
		/* Attribute names that only the last third uses: a split
		 * load must intern them after the first half's. */
		if (i >= n / 3 * 2)
			l += (size_t)sprintf(s + l, "Late%zu Name: l%zu\n",
			    i % 5, i);
		l += (size_t)sprintf(s + l, "Room: NSC %zu\n%s", i,
		    i % 11 == 0 ? " \t \n" : "\n");
	}
	/* One line of the longest length allowed, ending in CRLF. */
	l += (size_t)sprintf(s + l, "Full Name: ");
	memset(s + l, 'q', WD_DB_LINE_MAX - 11);
	l += WD_DB_LINE_MAX - 11;
	l += (size_t)sprintf(s + l, "\r\nLast: no newline");
	*len = l;
	return s;
}

/* Check marks every assertion with a write(2): in loops over millions of
 * fields, test first and assert only on failure. */
#define expect(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

/* Both directories hold the same records, fields and word lists. */
static void
same_db(const struct wd_db *a, const struct wd_db *b, const char *how)
{
	struct wd_db_iter ia, ib;
	struct wd_db_field fa, fb;
	const uint32_t *ra, *rb;
	const char *p, *w;
	char fw[WD_DB_LINE_MAX];
	size_t rec, na, nb, wl, i;

	expect(wd_db_count(a) == wd_db_count(b), "%s: %zu records, not %zu",
	    how, wd_db_count(b), wd_db_count(a));
	for (rec = 0; rec < wd_db_count(a); rec++) {
		wd_db_fields(a, rec, &ia);
		wd_db_fields(b, rec, &ib);
		while (wd_db_next(&ia, &fa)) {
			expect(wd_db_next(&ib, &fb), "%s: record %zu "
			    "short", how, rec);
			expect(strcmp(fa.name, fb.name) == 0 &&
			    fa.len == fb.len && memcmp(fa.value, fb.value,
			    fa.len) == 0 && fa.hidden == fb.hidden &&
			    fa.indexed == fb.indexed, "%s: record %zu: %s=%.*s "
			    "vs %s=%.*s", how, rec, fa.name, (int)fa.len,
			    fa.value, fb.name, (int)fb.len, fb.value);
			if (!fa.indexed)
				continue;
			p = fa.value;
			while ((w = wd_db_token(&p, fa.value + fa.len, &wl))) {
				for (i = 0; i < wl; i++)
					fw[i] = (char)wd_db_fold((unsigned char)w[i]);
				na = wd_db_word(a, fw, wl, &ra);
				nb = wd_db_word(b, fw, wl, &rb);
				expect(na > 0 && na == nb && memcmp(ra,
				    rb, na * sizeof(*ra)) == 0, "%s: word %.*s",
				    how, (int)wl, w);
			}
		}
		expect(!wd_db_next(&ib, &fb), "%s: record %zu long", how,
		    rec);
	}
}

/* A regular file holding text; unlinked, so only the descriptor is left. */
static int
file_with(const char *text, size_t len)
{
	char path[] = "/tmp/check_wdb.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

struct feed {
	int fd;
	const char *text;
	size_t len;
};

static void *
feed(void *arg)
{
	struct feed *f = arg;
	size_t off = 0;
	ssize_t n;

	/* Odd-sized writes: the reader sees short reads at odd places. */
	while (off < f->len) {
		n = write(f->fd, f->text + off, f->len - off < 4093 ?
		    f->len - off : 4093);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(f->fd);
	return NULL;
}

/* Load text through a pipe, as from a FIFO or standard input. */
static struct wd_db *
load_pipe(const char *text, size_t len, struct sk_err *e)
{
	struct feed f = { .text = text, .len = len };
	struct wd_db *db;
	pthread_t t;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	f.fd = p[1];
	ck_assert_int_eq(pthread_create(&t, NULL, feed, &f), 0);
	db = wd_db__load_fd(p[0], 0, 0, "t.db", NULL, e);
	/* A failed load stops reading: unblock the writer. */
	close(p[0]);
	pthread_join(t, NULL);
	return db;
}

static const size_t reads[] = { 1, 2, 3, 7, 4095, 4096, 4097, 4099, 65536, 0 };

/* Whole (no file is this large), or in two halves on two threads
 * wherever the file has a blank line past its middle. */
static const uint64_t splits[] = { UINT64_MAX, 1 };
#define NSPLITS (sizeof(splits) / sizeof(splits[0]))

START_TEST(wd_db_file_pipe_and_memory_loads_agree)
{
	size_t len, n = _i == 0 ? 300 : 60000;
	char *text = mixed(n, &len), how[64];
	struct wd_db *m, *d;
	struct sk_err e;
	size_t i;
	int fd;

	/* 60,000 records: arrays past a megabyte, two index threads. */
	m = wd_db_load_mem(text, len, "t.db", NULL, &e);
	ck_assert_msg(m != NULL, "%s", e.msg);
	ck_assert_uint_eq(wd_db_count(m), n + 1);
	d = load_pipe(text, len, &e);
	ck_assert_msg(d != NULL, "pipe: %s", e.msg);
	same_db(m, d, "pipe");
	wd_db_free(d);
	fd = file_with(text, len);
	for (i = 0; i < sizeof(reads) / sizeof(reads[0]) * NSPLITS; i++) {
		if (n > 1000 && reads[i / NSPLITS] < 4095)
			continue;	/* byte-sized reads of 8 MB: slow */
		ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
		snprintf(how, sizeof(how), "file, reads of %zu%s",
		    reads[i / NSPLITS], i % NSPLITS ? ", split" : "");
		d = wd_db__load_fd(fd, reads[i / NSPLITS], splits[i % NSPLITS],
		    "t.db", NULL, &e);
		ck_assert_msg(d != NULL, "%s: %s", how, e.msg);
		same_db(m, d, how);
		wd_db_free(d);
	}
	close(fd);
	wd_db_free(m);
	free(text);
}
END_TEST

/* A broken file gives the same message at the same line whichever way it
 * is read, including lines that straddle reads. */
START_TEST(wd_db_stream_reports_errors_like_memory_load)
{
	size_t len = bad[_i].len ? bad[_i].len : strlen(bad[_i].text), i;
	struct sk_err em, ef;
	struct wd_db *m, *d;
	int fd = file_with(bad[_i].text, len);

	m = wd_db_load_mem(bad[_i].text, len, "t.db", NULL, &em);
	for (i = 0; i < sizeof(reads) / sizeof(reads[0]) * NSPLITS; i++) {
		ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
		d = wd_db__load_fd(fd, reads[i / NSPLITS], splits[i % NSPLITS],
		    "t.db", NULL, &ef);
		ck_assert_msg((m == NULL) == (d == NULL), "case %d, reads of "
		    "%zu, split %d", _i, reads[i / NSPLITS], (int)(i % NSPLITS));
		if (m == NULL)
			ck_assert_msg(strcmp(em.msg, ef.msg) == 0, "case %d, "
			    "reads of %zu, split %d: %s", _i, reads[i / NSPLITS],
			    (int)(i % NSPLITS), ef.msg);
		wd_db_free(d);
	}
	wd_db_free(m);
	close(fd);
}
END_TEST

/* Split in two halves, a load still reports the file's first error, with
 * its line counted from the top, whichever half it is in. */
START_TEST(wd_db_split_load_reports_first_error_with_its_line)
{
	static const struct {
		size_t bad1, bad2;	/* records before each bad line */
		const char *msg;
	} cases[] = {
		{ 900, 0, "t.db:3601: missing ':' after the attribute name" },
		{ 100, 900, "t.db:401: missing ':' after the attribute name" },
		{ 999, 0, "t.db:3997: missing ':' after the attribute name" },
	};
	const char *rec = "A: b\nC: d\nE: f\n\n";
	char *s = malloc(1000 * strlen(rec) + 64);
	struct sk_err e;
	struct wd_db *d;
	size_t len, i, c;
	int fd;

	ck_assert_ptr_nonnull(s);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (i = len = 0; i < 1000; i++) {
			if (i == cases[c].bad1 || (cases[c].bad2 > 0 &&
			    i == cases[c].bad2))
				len += (size_t)sprintf(s + len, "oops\n");
			len += (size_t)sprintf(s + len, "%s", rec);
		}
		fd = file_with(s, len);
		d = wd_db__load_fd(fd, 0, 1, "t.db", NULL, &e);
		ck_assert_msg(d == NULL, "case %zu: loaded", c);
		ck_assert_str_eq(e.msg, cases[c].msg);
		close(fd);
	}
	free(s);
}
END_TEST

START_TEST(wd_db_stream_finds_overlong_line_at_any_read_size)
{
	static const struct {
		size_t x;		/* bytes of 'x' on line 2 */
		const char *end;
		const char *msg;	/* NULL: loads */
	} lines[] = {
		{ WD_DB_LINE_MAX - 3, "\n", NULL },
		{ WD_DB_LINE_MAX - 3, "\r\n", NULL },
		{ WD_DB_LINE_MAX - 3, "\r", NULL },	/* at EOF, CR dropped */
		{ WD_DB_LINE_MAX - 3, "", NULL },
		{ WD_DB_LINE_MAX - 2, "\n", "t.db:2: line longer than 4096 bytes" },
		{ WD_DB_LINE_MAX - 2, "", "t.db:2: line longer than 4096 bytes" },
		{ WD_DB_LINE_MAX - 2, "\r\n", "t.db:2: line longer than 4096 "
		    "bytes" },
		{ 100000, "\n", "t.db:2: line longer than 4096 bytes" },
	};
	char *s = malloc(100000 + 64);
	struct sk_err e;
	struct wd_db *d;
	size_t len, i, c;
	int fd;

	ck_assert_ptr_nonnull(s);
	for (c = 0; c < sizeof(lines) / sizeof(lines[0]); c++) {
		len = (size_t)sprintf(s, "A: b\nC: ");
		memset(s + len, 'x', lines[c].x);
		len += lines[c].x;
		len += (size_t)sprintf(s + len, "%s", lines[c].end);
		fd = file_with(s, len);
		for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
			ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
			d = wd_db__load_fd(fd, reads[i], i % NSPLITS ? 1 :
			    UINT64_MAX, "t.db", NULL, &e);
			if (lines[c].msg == NULL) {
				ck_assert_msg(d != NULL, "case %zu, reads of "
				    "%zu: %s", c, reads[i], e.msg);
				ck_assert_uint_eq(wd_db_count(d), 1);
			} else {
				ck_assert_msg(d == NULL, "case %zu, reads of "
				    "%zu: loaded", c, reads[i]);
				ck_assert_str_eq(e.msg, lines[c].msg);
			}
			wd_db_free(d);
		}
		close(fd);
	}
	free(s);
}
END_TEST

/* whoisd keeps answering from a loaded directory while the admin
 * rewrites the file in place: nothing of it is mapped, so a shorter file
 * can neither change answers nor raise SIGBUS. */
START_TEST(wd_db_answers_survive_file_truncated_after_load)
{
	char path[] = "/tmp/check_wdb.XXXXXX", b[64];
	size_t len;
	char *text = mixed(60000, &len);
	struct sk_err e;
	struct wd_db *db;
	const uint32_t *r;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	db = wd_db_load(path, NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(pwrite(fd, "X: y\n", 5, 0), 5);
	close(fd);
	unlink(path);
	ck_assert_uint_eq(wd_db_count(db), 60001);
	ck_assert_uint_eq(wd_db_word(db, "h59999", 6, &r), 1);
	ck_assert_uint_eq(r[0], 59999);
	ck_assert_str_eq(field(db, 59999, 1, b, sizeof(b)), "Handle=H59999");
	wd_db_free(db);
	free(text);
}
END_TEST

START_TEST(wd_db_load_refuses_directory_as_bad_input)
{
	struct sk_err e;

	ck_assert_ptr_null(wd_db_load("/tmp", NULL, &e));
	ck_assert_str_eq(e.msg, "/tmp: Is a directory");
	ck_assert_int_eq(e.kind, SK_ERR_INPUT);
}
END_TEST

/* ---- accepted syntax ------------------------------------------------------------ */

START_TEST(wd_db_parses_comments_continuations_and_blank_lines)
{
	const char *text =
	    "# a comment\n"
	    "% another\n"
	    "\n\n"
	    "Full Name:   Quinton, Reg  \n"
	    "% a comment inside a record does not end it\n"
	    "Machine Address:\n"
	    "Directory Addresses: a@example.org,\n"
	    "\t  b@example.org \n"
	    "  c@example.org\n"
	    "Empty:\n"
	    "  continued\n"
	    "Tabs:\ta\tb\r\n"
	    " \t \n"		/* blank: only spaces and tabs */
	    "full name : Second\n"
	    "\n"
	    "Last: no newline at end";
	struct sk_err e;
	struct wd_db *db = mem(text, NULL, &e);
	char b[256];

	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_uint_eq(wd_db_count(db), 3);
	ck_assert_uint_eq(nfields(db, 0), 5);
	ck_assert_str_eq(field(db, 0, 0, b, sizeof(b)), "Full Name=Quinton, Reg");
	ck_assert_str_eq(field(db, 0, 1, b, sizeof(b)), "Machine Address=");
	ck_assert_str_eq(field(db, 0, 2, b, sizeof(b)), "Directory Addresses="
	    "a@example.org, b@example.org c@example.org");
	ck_assert_str_eq(field(db, 0, 3, b, sizeof(b)), "Empty=continued");
	ck_assert_str_eq(field(db, 0, 4, b, sizeof(b)), "Tabs=a b");
	ck_assert_str_eq(field(db, 1, 0, b, sizeof(b)), "full name=Second");
	ck_assert_str_eq(field(db, 2, 0, b, sizeof(b)), "Last=no newline at end");
	wd_db_free(db);
}
END_TEST

START_TEST(wd_db_accepts_empty_and_comment_only_files)
{
	struct sk_err e;
	struct wd_db *db = mem("", NULL, &e);
	const uint32_t *r;

	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(wd_db_count(db), 0);
	ck_assert_uint_eq(wd_db_word(db, "x", 1, &r), 0);
	wd_db_free(db);
	db = mem("# nothing\n\n%\n", NULL, &e);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(wd_db_count(db), 0);
	wd_db_free(db);
}
END_TEST

/* ---- the index ------------------------------------------------------------------ */

static const char people[] =
    "Full Name: Quinton, Reg\n"			/* 0 */
    "Department: Info Tech Svcs\n"
    "Index Key: 481800\n"
    ".Login: reggers\n"
    "\n"
    "Full Name: Ashford, Miriam\n"		/* 1 */
    "Department: Reg Office\n"			/* not indexed */
    "E-mail: mashford@example.org\n"
    "Handle: MA12\n"
    "\n"
    "Full Name: Quinton, Farah Quinton\n"	/* 2: word twice */
    "Nickname: Reg\n"
    "Index Key: 488415\n";

static const struct {
	const char *word, *want;
} words[] = {
	{ "quinton", "0,2" },
	{ "reg", "0,2" },
	{ "reggers", "0" },
	{ "481800", "0" },
	{ "mashford@example.org", "1" },
	{ "ma12", "1" },
	{ "info", "" },		/* Department is not indexed */
	{ "office", "" },
	{ "quinton,", "" },	/* separators are not part of words */
	{ "quin", "" },
	{ "", "" },
};

START_TEST(wd_db_word_finds_indexed_words_only)
{
	struct sk_err e;
	struct wd_db *db = mem(people, NULL, &e);
	char b[64];

	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_msg(strcmp(word(db, words[_i].word, b, sizeof(b)),
	    words[_i].want) == 0, "case %d (%s): got \"%s\"", _i,
	    words[_i].word, b);
	wd_db_free(db);
}
END_TEST

START_TEST(wd_db_marks_hidden_and_indexed_fields)
{
	struct sk_err e;
	struct wd_db *db = mem(people, NULL, &e);
	struct wd_db_iter it;
	struct wd_db_field f;
	int i = 0;
	static const int hidden[] = { 0, 0, 0, 1 }, indexed[] = { 1, 0, 1, 1 };

	ck_assert_ptr_nonnull(db);
	for (wd_db_fields(db, 0, &it); wd_db_next(&it, &f); i++) {
		ck_assert_int_eq(f.hidden, hidden[i]);
		ck_assert_int_eq(f.indexed, indexed[i]);
		ck_assert_uint_eq(f.namelen, strlen(f.name));
	}
	ck_assert_int_eq(i, 4);
	wd_db_free(db);
}
END_TEST

START_TEST(wd_db_index_option_replaces_default_attributes)
{
	struct sk_err e;
	struct wd_db *db = mem(people, " department , handle", &e);
	char b[64];

	ck_assert_ptr_nonnull(db);
	ck_assert_str_eq(word(db, "info", b, sizeof(b)), "0");
	ck_assert_str_eq(word(db, "reg", b, sizeof(b)), "1");	/* Reg Office */
	ck_assert_str_eq(word(db, "ma12", b, sizeof(b)), "1");
	ck_assert_str_eq(word(db, "quinton", b, sizeof(b)), "");
	ck_assert_str_eq(word(db, "reggers", b, sizeof(b)), "0"); /* hidden */
	wd_db_free(db);
}
END_TEST

struct collect {
	char s[256];
};

static int
collect(void *arg, const uint32_t *r, size_t n)
{
	struct collect *c = arg;
	size_t i, l = strlen(c->s);

	for (i = 0; i < n; i++)
		l += (size_t)snprintf(c->s + l, sizeof(c->s) - l, "%u ", r[i]);
	return 0;
}

START_TEST(wd_db_prefix_visits_every_word_with_the_prefix)
{
	struct sk_err e;
	struct wd_db *db = mem(people, NULL, &e);
	struct collect c = { "" };

	ck_assert_ptr_nonnull(db);
	/* "re": reg (0 2) and reggers (0), in either order */
	ck_assert_int_eq(wd_db_prefix(db, "re", 2, collect, &c), 0);
	ck_assert_msg(strcmp(c.s, "0 2 0 ") == 0 || strcmp(c.s, "0 0 2 ") == 0,
	    "got %s", c.s);
	c.s[0] = '\0';
	wd_db_prefix(db, "QUIN", 4, collect, &c);		/* any case */
	ck_assert_str_eq(c.s, "0 2 ");
	c.s[0] = '\0';
	wd_db_prefix(db, "regg", 4, collect, &c);
	ck_assert_str_eq(c.s, "0 ");
	c.s[0] = '\0';
	wd_db_prefix(db, "zz", 2, collect, &c);
	ck_assert_str_eq(c.s, "");
	wd_db_free(db);
}
END_TEST

START_TEST(wd_db_folds_case_and_keeps_display_case)
{
	struct sk_err e;
	struct wd_db *db = mem("FULL NAME: McAllister, ADA\n", NULL, &e);
	char b[64];

	ck_assert_ptr_nonnull(db);
	ck_assert_str_eq(word(db, "mcallister", b, sizeof(b)), "0");
	ck_assert_str_eq(word(db, "ada", b, sizeof(b)), "0");
	ck_assert_str_eq(field(db, 0, 0, b, sizeof(b)),
	    "FULL NAME=McAllister, ADA");
	wd_db_free(db);
}
END_TEST

static int
count(void *arg, const uint32_t *r, size_t n)
{
	*(size_t *)arg += n;
	return 0;
}

START_TEST(wd_db_indexes_many_records_in_file_order)
{
	size_t n = 20000, i, len = 0, total = 0;
	char *s = malloc(n * 64), b[32];
	const uint32_t *r;
	struct sk_err e;
	struct wd_db *db;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "Name: Smith W%zu\nHandle: "
		    "h%zu\n\n", i % 100, i);
	db = wd_db_load_mem(s, len, "t.db", NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_uint_eq(wd_db_count(db), n);
	ck_assert_uint_eq(wd_db_word(db, "smith", 5, &r), n);
	for (i = 1; i < n; i++)
		ck_assert_uint_lt(r[i - 1], r[i]);
	ck_assert_uint_eq(wd_db_word(db, "w7", 2, &r), n / 100);
	ck_assert_uint_eq(r[0], 7);
	ck_assert_uint_eq(r[1], 107);
	snprintf(b, sizeof(b), "h%zu", n - 1);
	ck_assert_uint_eq(wd_db_word(db, b, strlen(b), &r), 1);
	ck_assert_uint_eq(r[0], n - 1);
	/* w7 and w70..w79, each in every hundredth record */
	ck_assert_int_eq(wd_db_prefix(db, "w7", 2, count, &total), 0);
	ck_assert_uint_eq(total, 11 * n / 100);
	total = 0;
	wd_db_prefix(db, "h1999", 5, count, &total);	/* h1999, h19990.. */
	ck_assert_uint_eq(total, 11);
	wd_db_free(db);
	free(s);
}
END_TEST

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Up to max pairs of different words of one length and first two bytes
 * whose hashes are equal; the index must still tell them apart. */
static size_t
colliding(char (*pairs)[2][16], size_t max)
{
	size_t n = 1u << 20, i, np = 0;
	uint64_t *h = malloc(n * sizeof(*h));
	char w[16];

	ck_assert_ptr_nonnull(h);
	for (i = 0; i < n; i++) {
		snprintf(w, sizeof(w), "zz%07zu", i);
		h[i] = (uint64_t)wd_db__hash(w, 9) << 32 | i;
	}
	qsort(h, n, sizeof(*h), cmp_u64);
	for (i = 1; i < n && np < max; i++) {
		if (h[i] >> 32 != h[i - 1] >> 32)
			continue;
		snprintf(pairs[np][0], 16, "zz%07u", (unsigned)(uint32_t)h[i - 1]);
		snprintf(pairs[np][1], 16, "zz%07u", (unsigned)(uint32_t)h[i]);
		np++;
	}
	free(h);
	return np;
}

/* Pairs of words with one hash, in records on both sides of the middle
 * (where the build splits the records between threads), repeated within
 * a record, in two attributes, in another case; with no filler the
 * index is built on one thread in small arrays, with 300,000 filler
 * records on two in mapped ones. */
START_TEST(wd_db_tells_apart_words_that_share_a_hash)
{
	size_t fill = _i ? 300000 : 0, np, i, len = 0, base;
	char pairs[4][2][16], got[64], want[64];
	char *s = malloc(fill * 24 + 4096), up[16];
	const uint32_t *r;
	struct sk_err e;
	struct wd_db *db;
	size_t total = 0;

	ck_assert_ptr_nonnull(s);
	np = colliding(pairs, 4);
	ck_assert_uint_ge(np, 1);
	for (i = 0; i < np; i++) {
		snprintf(up, sizeof(up), "ZZ%s", pairs[i][0] + 2);
		len += (size_t)sprintf(s + len, "Handle: %s\n\nHandle: %s %s\n\n",
		    pairs[i][0], pairs[i][1], up);
	}
	for (i = 0; i < fill / 2; i++)
		len += (size_t)sprintf(s + len, "Handle: f%zu\n\n", i);
	base = 2 * np + fill / 2;
	for (i = 0; i < np; i++)
		len += (size_t)sprintf(s + len, "Handle: %s, %s\n\nName: %s\n"
		    "Email: %s\n\n", pairs[i][1], pairs[i][1], pairs[i][0],
		    pairs[i][0]);
	for (i = fill / 2; i < fill; i++)
		len += (size_t)sprintf(s + len, "Handle: f%zu\n\n", i);
	db = wd_db_load_mem(s, len, "t.db", NULL, &e);
	ck_assert_msg(db != NULL, "%s", e.msg);
	ck_assert_uint_eq(wd_db_count(db), fill + 4 * np);
	for (i = 0; i < np; i++) {
		snprintf(want, sizeof(want), "%zu,%zu,%zu", 2 * i, 2 * i + 1,
		    base + 2 * i + 1);
		ck_assert_str_eq(word(db, pairs[i][0], got, sizeof(got)), want);
		snprintf(want, sizeof(want), "%zu,%zu", 2 * i + 1, base + 2 * i);
		ck_assert_str_eq(word(db, pairs[i][1], got, sizeof(got)), want);
	}
	ck_assert_int_eq(wd_db_prefix(db, "zz", 2, count, &total), 0);
	ck_assert_uint_eq(total, 5 * np);
	if (fill > 0) {
		ck_assert_uint_eq(wd_db_word(db, "f0", 2, &r), 1);
		ck_assert_uint_eq(r[0], 2 * np);
		snprintf(up, sizeof(up), "f%zu", fill - 1);
		ck_assert_uint_eq(wd_db_word(db, up, strlen(up), &r), 1);
		ck_assert_uint_eq(r[0], fill + 4 * np - 1);
		snprintf(up, sizeof(up), "f%zu", fill / 2);
		ck_assert_uint_eq(wd_db_word(db, up, strlen(up), &r), 1);
		ck_assert_uint_eq(r[0], base + 2 * np);
	}
	ck_assert_uint_eq(wd_db_word(db, "zz", 2, &r), 0);
	wd_db_free(db);
	free(s);
}
END_TEST

static const struct {
	const char *in;
	const char *words;
} toks[] = {
	{ "Quinton, Reg", "Quinton|Reg|" },
	{ "  (a)b;c:d[e]f<g>h\"i\"  ", "a|b|c|d|e|f|g|h|i|" },
	{ "a@b.example.org O'Brien-Smith", "a@b.example.org|O'Brien-Smith|" },
	{ ",,, ", "" },
};

START_TEST(wd_db_token_splits_on_separators_only)
{
	const char *p = toks[_i].in, *end = p + strlen(p), *w;
	char got[128] = "";
	size_t len;

	while ((w = wd_db_token(&p, end, &len)) != NULL)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%.*s|",
		    (int)len, w);
	ck_assert_msg(strcmp(got, toks[_i].words) == 0, "case %d: got %s", _i,
	    got);
}
END_TEST

Suite *
wdb_suite(void)
{
	Suite *s = suite_create("wdb");
	TCase *tc = tcase_create("load");

	tcase_add_loop_test(tc, wd_db_rejects_broken_file_with_file_and_line, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, wd_db_enforces_line_field_name_and_value_bounds);
	tcase_add_test(tc, wd_db_load_reports_missing_file_and_path);
	tcase_add_test(tc, wd_db_load_reads_file_and_names_it_in_errors);
	tcase_add_test(tc, wd_db_parses_comments_continuations_and_blank_lines);
	tcase_add_test(tc, wd_db_accepts_empty_and_comment_only_files);
	suite_add_tcase(s, tc);
	tc = tcase_create("stream");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, wd_db_file_pipe_and_memory_loads_agree, 0, 2);
	tcase_add_loop_test(tc, wd_db_stream_reports_errors_like_memory_load, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, wd_db_split_load_reports_first_error_with_its_line);
	tcase_add_test(tc, wd_db_stream_finds_overlong_line_at_any_read_size);
	tcase_add_test(tc, wd_db_answers_survive_file_truncated_after_load);
	tcase_add_test(tc, wd_db_load_refuses_directory_as_bad_input);
	suite_add_tcase(s, tc);
	tc = tcase_create("index");
	tcase_add_loop_test(tc, wd_db_word_finds_indexed_words_only, 0,
	    sizeof(words) / sizeof(words[0]));
	tcase_add_test(tc, wd_db_marks_hidden_and_indexed_fields);
	tcase_add_test(tc, wd_db_index_option_replaces_default_attributes);
	tcase_add_test(tc, wd_db_prefix_visits_every_word_with_the_prefix);
	tcase_add_test(tc, wd_db_folds_case_and_keeps_display_case);
	tcase_add_test(tc, wd_db_indexes_many_records_in_file_order);
	tcase_add_loop_test(tc, wd_db_tells_apart_words_that_share_a_hash, 0, 2);
	tcase_add_loop_test(tc, wd_db_token_splits_on_separators_only, 0,
	    sizeof(toks) / sizeof(toks[0]));
	suite_add_tcase(s, tc);
	return s;
}
