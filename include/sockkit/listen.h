/*
 * sockkit/listen.h — the server side: listening sockets, systemd socket
 * activation and inetd-style peers on stdin.
 */
#ifndef SOCKKIT_LISTEN_H
#define SOCKKIT_LISTEN_H

#include <sys/socket.h>
#include <netinet/in.h>

struct sk_err;

/*
 * Listen on host/service (TCP) with SO_REUSEADDR and close-on-exec.
 * host NULL, "", "*" or "::" is the wildcard: one dual-stack IPv6 socket
 * (IPV6_V6ONLY off) where the kernel has IPv6, else 0.0.0.0.  A specific
 * host binds its first address that works.  Returns the fd (blocking), or
 * -1: "bind 127.0.0.1 port 43: Address already in use".
 */
int sk_listen(const char *host, const char *service, int backlog,
    struct sk_err *e);

/* Same, for one address family: AF_INET or AF_INET6 listens on that
 * family only (the wildcard is 0.0.0.0, or :: with IPV6_V6ONLY on);
 * AF_UNSPEC is sk_listen().  Another family fails with EAFNOSUPPORT. */
int sk_listen_af(const char *host, const char *service, int family,
    int backlog, struct sk_err *e);

/* Same as sk_listen_af(), with SO_REUSEPORT set before bind: several such
 * sockets of one user share an address and the kernel spreads incoming
 * connections over them (one listener per serving thread).  Nothing
 * stops another process of the same user from joining the group. */
int sk_listen_reuseport(const char *host, const char *service, int family,
    int backlog, struct sk_err *e);

/* A UDP socket bound to host/service (family as sk_listen_af(); the
 * AF_UNSPEC wildcard is dual-stack), for a server that receives
 * datagrams.  Returns the fd (blocking) or -1, errors as sk_listen(). */
int sk_listen_udp(const char *host, const char *service, int family,
    struct sk_err *e);

/* Same, for a UNIX stream socket at path (an existing socket file is
 * replaced only if nothing accepts on it). */
int sk_listen_unix(const char *path, int backlog, struct sk_err *e);

/* Local port of fd in host order (after binding to port 0, say), or -1. */
int sk_local_port(int fd, struct sk_err *e);

#define SK_LISTEN_FDS_START 3
#define SK_LISTEN_NAMELEN 256

struct sk_listen_fd {
	int fd;
	char name[SK_LISTEN_NAMELEN];	/* from LISTEN_FDNAMES, or "" */
};

/*
 * systemd socket activation (sd_listen_fds(3) without libsystemd): if
 * LISTEN_PID is this process, return LISTEN_FDS (0 if not activated) and
 * fill up to max entries of out with the fds (3, 4, ...) and their names,
 * setting close-on-exec.  With unset_env the three variables are removed.
 * Returns -1 (EINVAL) if the variables are malformed.
 */
int sk_listen_fds(int unset_env, struct sk_listen_fd *out, int max,
    struct sk_err *e);

enum sk_peer_kind {
	SK_PEER_INET,		/* AF_INET or AF_INET6 stream/dgram socket */
	SK_PEER_UNIX,		/* AF_UNIX socket */
	SK_PEER_SOCKET,		/* another socket family */
	SK_PEER_PIPE,
	SK_PEER_TTY,
	SK_PEER_FILE,		/* regular file or /dev/null-like device */
	SK_PEER_OTHER
};

struct sk_peer {
	enum sk_peer_kind kind;
	int family;		/* for sockets */
	int socktype;		/* for sockets */
	int listening;		/* SO_ACCEPTCONN */
	struct sockaddr_storage ss;	/* peer address (inet, unix) */
	socklen_t sslen;
	char addr[INET6_ADDRSTRLEN];	/* numeric, v4-mapped shown as v4 */
	int port;		/* -1 if none */
};

/*
 * Describe what fd is connected to: for an inetd-started server, fd 0 is
 * the client's socket and this gives its address; a pipe or terminal
 * shows up as such.  Returns 0, or -1 if fd is not open.
 */
int sk_peer(int fd, struct sk_peer *p, struct sk_err *e);

/* Short name of a peer kind ("inet", "unix", "pipe", "tty", ...). */
const char *sk_peer_kind_str(enum sk_peer_kind k);

#endif
