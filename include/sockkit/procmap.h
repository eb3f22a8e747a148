/*
 * sockkit/procmap.h — who owns a socket: inode → (pid, comm, fd).
 *
 * Built once, then queried per socket with no further syscalls.  Two ways
 * to build it, with the same answer: a BPF task_file iterator (root or
 * CAP_BPF + CAP_PERFMON, kernel BTF; compiled in only where clang,
 * bpftool, libbpf and BTF were there at build time), and one pass over
 * /proc/<pid>/fd (two threads share a queue of directory chunks, so one
 * process holding most of the fds is split, not serialised).
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

/* How a map is (to be) built. */
enum sk_procmap_via {
	SK_PROCMAP_AUTO = 0,	/* the BPF iterator if it loads, else /proc */
	SK_PROCMAP_PROC,	/* the /proc walk */
	SK_PROCMAP_BPF		/* the BPF iterator, or fail */
};

/*
 * Map every socket fd of every process: sk_procmap_build_via(AUTO, ...)
 * when procroot is NULL, else the /proc walk of procroot (tests).
 * The walk uses nthreads threads (0: the default, 2).  Processes that
 * vanish or deny access mid-walk are skipped (ss -p shows them so too).
 * Returns the map (free with sk_procmap_free()) or NULL with e filled
 * (procroot unreadable, out of memory, thread creation failed).
 */
struct sk_procmap *sk_procmap_build(const char *procroot, unsigned nthreads,
    struct sk_err *e);

/* The same, built the way via says.  AUTO tries the BPF iterator (only
 * for procroot NULL) and falls back to the walk; BPF fails with e filled
 * when the iterator is not built, not permitted or refused, or when a
 * procroot is given.  sk_procmap_fallback() tells why AUTO fell back. */
struct sk_procmap *sk_procmap_build_via(enum sk_procmap_via via,
    const char *procroot, unsigned nthreads, struct sk_err *e);

/* How m was built: SK_PROCMAP_PROC or SK_PROCMAP_BPF. */
enum sk_procmap_via sk_procmap_via(const struct sk_procmap *m);

/* Why an AUTO build did not use the BPF iterator ("BPF iterator: load:
 * Operation not permitted"), or NULL when it did or was not asked. */
const char *sk_procmap_fallback(const struct sk_procmap *m);

/* NULL when this library has the BPF iterator built in, else why not
 * ("not built: no bpftool"). */
const char *sk_procmap_bpf_absent(void);

/* First owner of the socket with inode, or NULL if none was found; the
 * next ones follow through sk_procmap_next(), by descending pid, then
 * descending fd (the order ss -p prints).  Pointers live as long as the
 * map. */
const struct sk_owner *sk_procmap_find(const struct sk_procmap *m,
    uint64_t inode);
const struct sk_owner *sk_procmap_next(const struct sk_procmap *m,
    const struct sk_owner *o);

/* sk_procmap_find of inodes[0..n) into out[0..n), faster than one call
 * each for many (their memory accesses overlap). */
void sk_procmap_find_n(const struct sk_procmap *m, const uint64_t *inodes,
    size_t n, const struct sk_owner **out);

/* Number of socket fds in the map. */
size_t sk_procmap_count(const struct sk_procmap *m);

void sk_procmap_free(struct sk_procmap *m);

#endif
