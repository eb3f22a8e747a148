#include <sys/socket.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/procmap.h"
#include "unit.h"

static char root[64];

static void
put(const char *rel, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
mk(const char *rel)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

static void
lnk(const char *target, const char *rel)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* A fake /proc: fd links are ordinary symlinks with the kernel's text. */
static void
fake_setup(void)
{
	snprintf(root, sizeof(root), "/tmp/sk-procmap.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	mk("100");
	mk("100/fd");
	put("100/comm", "sshd\n");
	lnk("socket:[4242]", "100/fd/3");
	lnk("/dev/null", "100/fd/0");
	lnk("pipe:[77]", "100/fd/1");
	mk("101");
	mk("101/fd");
	put("101/comm", "worker\n");
	lnk("socket:[4242]", "101/fd/7");
	lnk("socket:[4343]", "101/fd/8");
	mk("self");		/* not a pid: skipped */
	put("version", "fake\n");
}

static void
fake_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(procmap_finds_every_owner_of_a_shared_socket)
{
	struct sk_err e;
	struct sk_procmap *m = sk_procmap_build(root, 2, &e);
	const struct sk_owner *o;
	int seen100 = 0, seen101 = 0;

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(sk_procmap_count(m), 3);
	for (o = sk_procmap_find(m, 4242); o; o = sk_procmap_next(m, o)) {
		ck_assert_uint_eq(o->inode, 4242);
		if (o->pid == 100) {
			ck_assert_int_eq(o->fd, 3);
			ck_assert_str_eq(o->comm, "sshd");
			seen100++;
		} else {
			ck_assert_int_eq(o->pid, 101);
			ck_assert_int_eq(o->fd, 7);
			ck_assert_str_eq(o->comm, "worker");
			seen101++;
		}
	}
	ck_assert_int_eq(seen100, 1);
	ck_assert_int_eq(seen101, 1);
	o = sk_procmap_find(m, 4343);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->fd, 8);
	ck_assert_ptr_null(sk_procmap_next(m, o));
	ck_assert_ptr_null(sk_procmap_find(m, 77));	/* a pipe, not a socket */
	ck_assert_ptr_null(sk_procmap_find(m, 1));
	sk_procmap_free(m);
}
END_TEST

START_TEST(procmap_reports_unreadable_root)
{
	struct sk_err e;

	ck_assert_ptr_null(sk_procmap_build("/nonexistent/proc", 0, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/proc"));
}
END_TEST

/* The real /proc: this process's own socketpair, with one thread and
 * with several (the answer must not depend on the split). */
START_TEST(procmap_finds_own_socketpair_in_proc)
{
	struct sk_err e;
	struct sk_procmap *m;
	const struct sk_owner *o;
	struct stat st;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(fstat(sv[1], &st), 0);
	m = sk_procmap_build(NULL, (unsigned)_i, &e);
	ck_assert_ptr_nonnull(m);
	o = sk_procmap_find(m, st.st_ino);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->pid, getpid());
	ck_assert_int_eq(o->fd, sv[1]);
	sk_procmap_free(m);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

Suite *
procmap_suite(void)
{
	Suite *s = suite_create("procmap");
	TCase *tf = tcase_create("fake");
	TCase *tr = tcase_create("proc");

	tcase_add_checked_fixture(tf, fake_setup, fake_teardown);
	tcase_add_test(tf, procmap_finds_every_owner_of_a_shared_socket);
	tcase_add_test(tf, procmap_reports_unreadable_root);
	suite_add_tcase(s, tf);
	tcase_add_loop_test(tr, procmap_finds_own_socketpair_in_proc, 1, 5);
	suite_add_tcase(s, tr);
	return s;
}
