/*
 * sockkit/procmap.h — who owns a socket: inode → (pid, comm, fd).
 *
 * Built once from one pass over /proc/<pid>/fd (two threads share a queue
 * of directory chunks, so one process holding most of the fds is split,
 * not serialised), then queried per socket with no further syscalls.
 * A BPF task_file iterator would be faster; it is not built yet.
 */
#ifndef SOCKKIT_PROCMAP_H
#define SOCKKIT_PROCMAP_H

#include <stddef.h>
#include <stdint.h>

struct sk_err;
struct sk_procmap;		/* opaque */

/* One open file descriptor that refers to a socket. */
struct sk_owner {
	uint64_t inode;
	int pid;
	int fd;
	const char *comm;	/* the process's comm; owned by the map */
	uint32_t next;		/* private: chain to the next owner */
};

/*
 * Walk procroot ("/proc" when NULL) with nthreads threads (0: the
 * default, 2) and map every socket fd found.  Processes that vanish or
 * deny access mid-walk are skipped (that is what ss -p shows too).
 * Returns the map (free with sk_procmap_free()) or NULL with e filled
 * (procroot unreadable, out of memory, thread creation failed).
 */
struct sk_procmap *sk_procmap_build(const char *procroot, unsigned nthreads,
    struct sk_err *e);

/* First owner of the socket with inode, or NULL if none was found; the
 * next ones follow through sk_procmap_next().  Pointers live as long as
 * the map. */
const struct sk_owner *sk_procmap_find(const struct sk_procmap *m,
    uint64_t inode);
const struct sk_owner *sk_procmap_next(const struct sk_procmap *m,
    const struct sk_owner *o);

/* Number of socket fds in the map. */
size_t sk_procmap_count(const struct sk_procmap *m);

void sk_procmap_free(struct sk_procmap *m);

#endif
