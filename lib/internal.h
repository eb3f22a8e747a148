/* Private declarations shared by lib/ files; not installed. */
#ifndef SOCKKIT_INTERNAL_H
#define SOCKKIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Numeric host of sa for messages ("198.18.0.2", "2001:2::2"). */
const char *sk__host_str(const struct sockaddr *sa, char *buf, size_t len);
/* The same with its port, in the one form messages use (STYLE rule 12):
 * "198.18.0.2:43", "[2001:2::2]:43", "0.0.0.0:80"; v4-mapped addresses
 * as IPv4. */
const char *sk__addr_str(const struct sockaddr *sa, char *buf, size_t len);

struct sk_err;
struct sk_icmp_reason;
struct sockaddr_un;

/* setsockopt(fd, level, opt) to the int v; -1 with e filled in anet's
 * words ("setsockopt IPV6_V6ONLY: Invalid argument", kind SK_ERR_SYSTEM:
 * a refused option is never the caller's bad input). */
/* sk_connect_finish() trusting the caller's poll(2) revents (connstart.c). */
int sk__connect_finish_polled(int fd, const struct sockaddr *sa,
    socklen_t salen, struct sk_icmp_reason *why, int revents,
    struct sk_err *e);
int sk__setsockopt_int(int fd, int level, int opt, const char *name, int v,
    struct sk_err *e);

/* Fill a UNIX socket address for path ('@' prefix: abstract namespace);
 * -1 (EINVAL) if the path is empty or does not fit. */
int sk__unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len,
    struct sk_err *e);

struct sk_namecache;

/* Host name of an AF_INET/AF_INET6 sa (not v4-mapped) through cache c
 * (NULL: none), or "" when it has none or none by deadline; tmp holds
 * the name when it is not kept in c (lib/resolve.c). */
const char *sk__name_lookup(struct sk_namecache *c, const struct sockaddr *sa,
    int64_t deadline, char *tmp, size_t tmplen);

/* lib/procmap_bpf.c: read every socket descriptor through the BPF
 * task_file iterator, calling add() for each (task order, then fd order;
 * comm is the process's).  Returns 0, or -1 with e filled: not built,
 * not privileged, load refused, read failed, or add() failed (ENOMEM). */
typedef int (*sk__owner_fn)(void *arg, uint64_t inode, int pid, int fd,
    const char *comm);
int sk__procmap_bpf(sk__owner_fn add, void *arg, struct sk_err *e);

/* lib/sockdiag.c: the idiag_ext bits that SK_SD_EXT_* ask of an inet
 * request for proto (tcp_info only where the protocol has one); the
 * dump and sk_sockdiag_lookup's exact requests share it. */
uint8_t sk__inet_ext(unsigned ext, unsigned proto);

/* lib/sockdiag.c: a NETLINK_SOCK_DIAG socket, bound; NULL with e filled. */
struct mnl_socket;
struct mnl_socket *sk__sockdiag_open(struct sk_err *e);

#endif
