/*
 * lib/bpf/owner.h — one socket descriptor as the BPF iterator
 * (procmap.bpf.c) writes it and lib/procmap_bpf.c reads it.  Both sides
 * are built for the same machine, so the layout is native.
 */
#ifndef SK_BPF_OWNER_H
#define SK_BPF_OWNER_H

#define SK_BPF_COMM 16		/* TASK_COMM_LEN */

struct sk_bpf_owner {
	__u64 inode;		/* the socket's inode, as in "socket:[N]" */
	__u32 pid;		/* in the reader's pid namespace */
	__u32 fd;
	char comm[SK_BPF_COMM];	/* the process's (group leader's) comm */
};

#endif
