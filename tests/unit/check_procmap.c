#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
	lnk("socket:[4242]", "100/fd/9");	/* a dup */
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
	static const struct {
		int pid, fd;
		const char *comm;
	} want[] = {		/* ss -p's order: pid, then fd, descending */
		{ 101, 7, "worker" }, { 100, 9, "sshd" }, { 100, 3, "sshd" }
	};
	struct sk_err e;
	struct sk_procmap *m = sk_procmap_build(root, (unsigned)_i, &e);
	const struct sk_owner *o;
	size_t i = 0;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(sk_procmap_via(m), SK_PROCMAP_PROC);
	ck_assert_ptr_null(sk_procmap_fallback(m));
	ck_assert_uint_eq(sk_procmap_count(m), 4);
	for (o = sk_procmap_find(m, 4242); o; o = sk_procmap_next(m, o), i++) {
		ck_assert_msg(i < 3, "more than 3 owners of 4242");
		ck_assert_uint_eq(o->inode, 4242);
		ck_assert_msg(o->pid == want[i].pid && o->fd == want[i].fd,
		    "owner %zu: pid %d fd %d, want pid %d fd %d", i, o->pid,
		    o->fd, want[i].pid, want[i].fd);
		ck_assert_str_eq(o->comm, want[i].comm);
	}
	ck_assert_uint_eq(i, 3);
	o = sk_procmap_find(m, 4343);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->fd, 8);
	ck_assert_ptr_null(sk_procmap_next(m, o));
	ck_assert_ptr_null(sk_procmap_find(m, 77));	/* a pipe, not a socket */
	ck_assert_ptr_null(sk_procmap_find(m, 1));
	sk_procmap_free(m);
}
END_TEST

/* The iterator sees the running kernel: a fake root is the walk's. */
/* find_n answers as find does, for hits, misses and repeats, in runs
 * long enough for its look-ahead. */
START_TEST(procmap_find_n_answers_as_find)
{
	static const uint64_t some[] = { 4242, 4343, 77, 1, 0, 4242 };
	struct sk_err e;
	struct sk_procmap *m = sk_procmap_build(root, 1, &e);
	uint64_t in[100];
	const struct sk_owner *out[100];
	size_t i, n;

	ck_assert_ptr_nonnull(m);
	for (n = 0; n <= 100; n += 7) {
		for (i = 0; i < n; i++)
			in[i] = some[(i * 5) % 6];
		memset(out, 0xa5, sizeof(out));
		sk_procmap_find_n(m, in, n, out);
		for (i = 0; i < n; i++)
			ck_assert_ptr_eq(out[i], sk_procmap_find(m, in[i]));
	}
	ck_assert_ptr_nonnull(sk_procmap_find(m, 4242));
	sk_procmap_free(m);
	sk_procmap_find_n(NULL, in, 3, out);
	ck_assert_ptr_null(out[0]);
	ck_assert_ptr_null(out[2]);
}
END_TEST

START_TEST(procmap_bpf_refuses_a_proc_root)
{
	struct sk_err e;

	ck_assert_ptr_null(sk_procmap_build_via(SK_PROCMAP_BPF, root, 0, &e));
	ck_assert_int_eq(e.code, EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, root));
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
	m = sk_procmap_build_via(SK_PROCMAP_PROC, NULL, (unsigned)_i, &e);
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

/* ---- the BPF iterator against the /proc walk -------------------------------- */

/*
 * Known owners: a socketpair whose end a is held by this process at two
 * fds and by a child (named "sk-pm-child") at the same two, and whose end
 * b only this process holds.  The child waits for its pipe to close.
 */
struct fixture {
	pid_t child;
	int hold;		/* the child's pipe: close to let it go */
	int a, a2, b;
	ino_t ino_a, ino_b;
};

static void
fixture_up(struct fixture *f)
{
	struct stat st;
	int sv[2], p[2];
	char c;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(p), 0);
	f->a = sv[0];
	f->b = sv[1];
	ck_assert_int_ge(f->a2 = fcntl(f->a, F_DUPFD, 200), 200);
	ck_assert_int_eq(fstat(f->a, &st), 0);
	f->ino_a = st.st_ino;
	ck_assert_int_eq(fstat(f->b, &st), 0);
	f->ino_b = st.st_ino;
	ck_assert_int_ge(f->child = fork(), 0);
	if (f->child == 0) {
		close(f->b);
		close(p[1]);
		prctl(PR_SET_NAME, "sk-pm-child");
		(void)write(f->a, "r", 1);
		(void)read(p[0], &c, 1);	/* EOF when the test is done */
		_exit(0);
	}
	close(p[0]);
	f->hold = p[1];
	/* The child has its name once it says so. */
	ck_assert_int_eq(read(f->b, &c, 1), 1);
}

static void
fixture_down(struct fixture *f)
{
	int status;

	close(f->hold);
	ck_assert_int_eq(waitpid(f->child, &status, 0), f->child);
	close(f->a);
	close(f->a2);
	close(f->b);
}

static void
expect_owners(const struct sk_procmap *m, const struct fixture *f,
    const char *via)
{
	const struct sk_owner *o;
	int last_pid = 0, last_fd = 0, n = 0, mine = 0, childs = 0;

	for (o = sk_procmap_find(m, f->ino_a); o; o = sk_procmap_next(m, o)) {
		if (n++ > 0)
			ck_assert_msg(o->pid < last_pid ||
			    (o->pid == last_pid && o->fd < last_fd),
			    "%s: owner %d (pid %d fd %d) out of ss order", via,
			    n, o->pid, o->fd);
		last_pid = o->pid;
		last_fd = o->fd;
		ck_assert_msg(o->fd == f->a || o->fd == f->a2,
		    "%s: pid %d holds the socket at fd %d", via, o->pid, o->fd);
		if (o->pid == getpid())
			mine++;
		else if (o->pid == f->child) {
			ck_assert_str_eq(o->comm, "sk-pm-child");
			childs++;
		}
	}
	ck_assert_msg(mine == 2 && childs == 2 && n == 4,
	    "%s: %d owners of a (%d ours, %d the child's), want 2 + 2", via, n,
	    mine, childs);
	o = sk_procmap_find(m, f->ino_b);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->pid, getpid());
	ck_assert_int_eq(o->fd, f->b);
	ck_assert_ptr_null(sk_procmap_next(m, o));
}

/* Without privilege or without the iterator built in, BPF says why and
 * AUTO falls back to the walk, keeping the reason. */
START_TEST(procmap_auto_falls_back_to_proc_and_says_why)
{
	struct sk_procmap *m;
	struct sk_err e;

	if (ut_is_root() && sk_procmap_bpf_absent() == NULL) {
		fprintf(stderr, "%s: skipped: the BPF iterator loads here "
		    "(root); run as a user or with BPF=no\n", __func__);
		return;
	}
	ck_assert_ptr_null(sk_procmap_build_via(SK_PROCMAP_BPF, NULL, 0, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "BPF iterator"));
	ck_assert_ptr_nonnull(m = sk_procmap_build(NULL, 0, &e));
	ck_assert_int_eq(sk_procmap_via(m), SK_PROCMAP_PROC);
	ck_assert_ptr_nonnull(sk_procmap_fallback(m));
	ck_assert_ptr_nonnull(strstr(sk_procmap_fallback(m), "BPF iterator"));
	sk_procmap_free(m);
}
END_TEST

START_TEST(procmap_bpf_and_proc_walk_name_the_same_owners)
{
	struct sk_procmap *viabpf, *viaproc, *autom;
	const struct sk_owner *p, *q;
	struct fixture f;
	struct sk_err e;

	if (!ut_is_root() || sk_procmap_bpf_absent() != NULL) {
		fprintf(stderr, "%s: skipped: needs root and the BPF iterator "
		    "(%s)\n", __func__, sk_procmap_bpf_absent() ?
		    sk_procmap_bpf_absent() : "built");
		return;
	}
	fixture_up(&f);
	viabpf = sk_procmap_build_via(SK_PROCMAP_BPF, NULL, 0, &e);
	ck_assert_msg(viabpf != NULL, "BPF: %s", e.msg);
	viaproc = sk_procmap_build_via(SK_PROCMAP_PROC, NULL, 0, &e);
	ck_assert_ptr_nonnull(viaproc);
	autom = sk_procmap_build(NULL, 0, &e);
	ck_assert_ptr_nonnull(autom);
	fixture_down(&f);
	ck_assert_int_eq(sk_procmap_via(viabpf), SK_PROCMAP_BPF);
	ck_assert_int_eq(sk_procmap_via(viaproc), SK_PROCMAP_PROC);
	ck_assert_int_eq(sk_procmap_via(autom), SK_PROCMAP_BPF);
	ck_assert_ptr_null(sk_procmap_fallback(autom));
	expect_owners(viabpf, &f, "bpf");
	expect_owners(viaproc, &f, "proc");
	/* Owner for owner, in the same order, with the same names. */
	p = sk_procmap_find(viabpf, f.ino_a);
	q = sk_procmap_find(viaproc, f.ino_a);
	for (; p && q; p = sk_procmap_next(viabpf, p),
	    q = sk_procmap_next(viaproc, q)) {
		ck_assert_int_eq(p->pid, q->pid);
		ck_assert_int_eq(p->fd, q->fd);
		ck_assert_str_eq(p->comm, q->comm);
	}
	ck_assert_ptr_eq(p, q);		/* both NULL */
	sk_procmap_free(viabpf);
	sk_procmap_free(viaproc);
	sk_procmap_free(autom);
}
END_TEST

Suite *
procmap_suite(void)
{
	Suite *s = suite_create("procmap");
	TCase *tf = tcase_create("fake");
	TCase *tr = tcase_create("proc");
	TCase *tb = tcase_create("bpf");

	tcase_add_checked_fixture(tf, fake_setup, fake_teardown);
	tcase_add_loop_test(tf, procmap_finds_every_owner_of_a_shared_socket,
	    1, 4);
	tcase_add_test(tf, procmap_reports_unreadable_root);
	tcase_add_test(tf, procmap_find_n_answers_as_find);
	tcase_add_test(tf, procmap_bpf_refuses_a_proc_root);
	suite_add_tcase(s, tf);
	tcase_add_loop_test(tr, procmap_finds_own_socketpair_in_proc, 1, 5);
	suite_add_tcase(s, tr);
	tcase_add_test(tb, procmap_auto_falls_back_to_proc_and_says_why);
	tcase_add_test(tb, procmap_bpf_and_proc_walk_name_the_same_owners);
	tcase_set_timeout(tb, 30);
	suite_add_tcase(s, tb);
	return s;
}
