/*
 * The BPF fast path of lib/procmap.c: load the task_file iterator of
 * lib/bpf/procmap.bpf.c (embedded as a libbpf skeleton at build time)
 * and read its records.  Without the skeleton (no clang, bpftool, BTF or
 * libbpf at build time) this file only says why the path is absent.
 *
 * libbpf's load reads and parses the kernel's BTF (5 MB here) for the
 * CO-RE relocations and the attach point: about 60% of a 100k-socket
 * map.  On the kernel the library was built on (same notes, so same
 * build ID) the program built with that kernel's offsets and attach BTF
 * id is loaded directly instead; anywhere else, or if that fails, the
 * CO-RE program through libbpf as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "sockkit/procmap.h"
#include "internal.h"

#ifdef SK_HAVE_BPF

#include <linux/capability.h>
#include <linux/types.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/owner.h"
#include "procmap.skel.h"
#include "procmap_fixed.skel.h"
#include "procmap_kernel.h"	/* SK_BPF_ITER_BTF_ID, sk_bpf_notes */

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

const char *
sk_procmap_bpf_absent(void)
{
	return NULL;
}

/* libbpf prints its warnings to stderr by default; a library must not. */
static int
quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int
has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* Loading a tracing program takes CAP_BPF and CAP_PERFMON (or
 * CAP_SYS_ADMIN); asking first spares the unprivileged a BTF parse. */
static int
may_load(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return has_cap(d, CAP_SYS_ADMIN) ||
	    (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON));
}

/* Records arrive in reads of whole seq_file buffers; a short read could
 * still end inside one, so a partial record waits for the next read. */
static int
read_owners(int fd, sk__owner_fn add, void *arg, struct sk_err *e)
{
	enum { BUFSZ = 64 * 1024 };
	struct sk_bpf_owner r;
	char *buf, comm[SK_BPF_COMM + 1];
	size_t have = 0, off;
	ssize_t n;
	int rc = -1;

	if ((buf = malloc(BUFSZ)) == NULL)
		return sk_err_sys(e, "procmap");
	for (;;) {
		n = read(fd, buf + have, BUFSZ - have);
		/* EAGAIN: one read visited its maximum of objects (a million
		 * descriptors) without writing a record; the next goes on. */
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			sk_err_sys(e, "BPF iterator read");
			goto end;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		for (off = 0; have - off >= sizeof(r); off += sizeof(r)) {
			memcpy(&r, buf + off, sizeof(r));
			memcpy(comm, r.comm, SK_BPF_COMM);
			comm[SK_BPF_COMM] = '\0';
			if (add(arg, r.inode, (int)r.pid, (int)r.fd, comm) < 0) {
				errno = ENOMEM;
				sk_err_sys(e, "procmap");
				goto end;
			}
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	if (have != 0) {
		sk_err_set(e, EPROTO, "BPF iterator: %zu stray bytes", have);
		goto end;
	}
	rc = 0;
end:
	free(buf);
	return rc;
}

/* The running kernel is the one built on: its /sys/kernel/notes (the
 * build ID among them) are the bytes recorded at build time. */
static int
same_kernel(void)
{
	size_t len = sizeof(sk_bpf_notes) - 1;	/* less the closing 0 */
	unsigned char buf[sizeof(sk_bpf_notes) + 1];
	ssize_t n;
	int fd;

	if (len == 0 ||
	    (fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)len && memcmp(buf, sk_bpf_notes, len) == 0;
}

/* An iterator from the fixed-offset program, or -1.  Opening the
 * skeleton only parses its own small object; the instructions need no
 * relocation (no maps, no CO-RE), so they go to the kernel as they are. */
static int
fixed_iter(void)
{
	LIBBPF_OPTS(bpf_prog_load_opts, po,
	    .expected_attach_type = BPF_TRACE_ITER,
	    .attach_btf_id = SK_BPF_ITER_BTF_ID);
	struct procmap_fixed_bpf *skel;
	const struct bpf_program *p;
	int prog, link, fd;

	if (!same_kernel() || (skel = procmap_fixed_bpf__open()) == NULL)
		return -1;
	p = skel->progs.sk_owners;
	/* The license is procmap.bpf.c's LICENSE. */
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "sk_owners",
	    "Dual BSD/GPL", bpf_program__insns(p), bpf_program__insn_cnt(p),
	    &po);
	procmap_fixed_bpf__destroy(skel);
	if (prog < 0)
		return -1;
	/* The link holds the program, the iterator the link. */
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	close(prog);
	if (link < 0)
		return -1;
	fd = bpf_iter_create(link);
	close(link);
	return fd;
}

int
sk__procmap_bpf(sk__owner_fn add, void *arg, struct sk_err *e)
{
	struct procmap_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	libbpf_print_fn_t old;
	int fd = -1, rc = -1;

	if (!may_load())
		return sk_err_set(e, EPERM,
		    "BPF iterator: needs CAP_BPF and CAP_PERFMON (or root)");
	old = libbpf_set_print(quiet);
	if ((fd = fixed_iter()) >= 0) {
		rc = read_owners(fd, add, arg, e);
		goto end;
	}
	if ((skel = procmap_bpf__open_and_load()) == NULL) {
		sk_err_sys(e, "BPF iterator: load");
		goto end;
	}
	if ((link = bpf_program__attach_iter(skel->progs.sk_owners,
	    NULL)) == NULL) {
		sk_err_sys(e, "BPF iterator: attach iter/task_file");
		goto end;
	}
	if ((fd = bpf_iter_create(bpf_link__fd(link))) < 0) {
		sk_err_sys(e, "BPF iterator: create");
		goto end;
	}
	rc = read_owners(fd, add, arg, e);
end:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	procmap_bpf__destroy(skel);
	libbpf_set_print(old);
	return rc;
}

#else /* !SK_HAVE_BPF */

#ifndef SK_BPF_ABSENT
#define SK_BPF_ABSENT "not built"
#endif

const char *
sk_procmap_bpf_absent(void)
{
	return SK_BPF_ABSENT;
}

int
sk__procmap_bpf(sk__owner_fn add, void *arg, struct sk_err *e)
{
	return sk_err_set(e, ENOSYS, "BPF iterator: %s", SK_BPF_ABSENT);
}

#endif
