/*
 * Socket owners from a BPF task_file iterator: one record per open
 * socket descriptor, the same set /proc/<pid>/fd shows, without a path
 * lookup per descriptor.  Compiled with clang -target bpf against
 * vmlinux.h (bpftool, from the running kernel's BTF); fields are read
 * through CO-RE relocations, so the object loads on other kernels too.
 *
 * The license string lets the program call GPL-only helpers
 * (bpf_seq_write, bpf_probe_read_kernel); the code is sockkit's BSD one.
 */
/*
 * Built twice: with CO-RE, and (SK_BPF_FIXED) with the offsets of the
 * kernel it was built on, for lib/procmap_bpf.c to load without libbpf's
 * parse of the kernel's BTF when the running kernel is that one.
 */
#ifdef SK_BPF_FIXED
#define BPF_NO_PRESERVE_ACCESS_INDEX
#endif
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#ifdef SK_BPF_FIXED
#define FIELD_OFFSET(t, f)	__builtin_offsetof(t, f)
#define TYPE_SIZE(t)		sizeof(t)
#else
#define FIELD_OFFSET(t, f)	bpf_core_field_offset(t, f)
#define TYPE_SIZE(t)		bpf_core_type_size(t)
#endif

#include "owner.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("iter/task_file")
int sk_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task, *me;
	struct file *file = ctx->file;
	struct sk_bpf_owner r;
	struct pid *tp;
	unsigned int level;
	int nr = 0;

	if (task == NULL || file == NULL)
		return 0;
	/*
	 * /proc/<pid>/fd is the group leader's table; a thread with a table
	 * of its own has no /proc/<pid> entry, so it is not listed there.
	 */
	if (task->pid != task->tgid)
		return 0;
	/* What makes readlink say "socket:[N]": socket_file_ops. */
	if (bpf_sock_from_file(file) == NULL)
		return 0;
	/*
	 * The pid as the reader sees it: the iterator walks the reader's
	 * pid namespace, and task->tgid is the init namespace's number.
	 * Plain loads through the BTF pointers (the verifier turns them into
	 * fault-safe ones) cost far less than bpf_probe_read_kernel calls;
	 * only the variable index into pid->numbers[] needs the helper.
	 */
	me = bpf_get_current_task_btf();
	level = me->thread_pid->level;
	tp = task->thread_pid;
	if (level == 0)
		nr = task->tgid;
	else if (tp == NULL || level > tp->level ||
	    bpf_probe_read_kernel(&nr, sizeof(nr), (char *)tp +
	    FIELD_OFFSET(struct pid, numbers) +
	    level * TYPE_SIZE(struct upid) +
	    FIELD_OFFSET(struct upid, nr)) != 0)
		return 0;
	r.inode = file->f_inode->i_ino;
	r.pid = (__u32)nr;
	r.fd = ctx->fd;
	__builtin_memcpy(r.comm, task->comm, sizeof(r.comm));
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
