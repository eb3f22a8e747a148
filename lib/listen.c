/*
 * Server-side sockets: listening, systemd socket activation, and telling
 * what an inetd-style stdin is.  See sockkit/listen.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/listen.h"
#include "sockkit/num.h"
#include "internal.h"

static int
is_wildcard(const char *host)
{
	return host == NULL || *host == '\0' || strcmp(host, "*") == 0 ||
	    strcmp(host, "::") == 0;
}

static int
listen_ai(const struct addrinfo *ai, int backlog, int dualstack,
    int reuseport, struct sk_err *e)
{
	char host[SK_ADDRSTRLEN];
	int fd;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1)
		return sk_err_sys(e, "socket");
	if (sk__setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1,
	    e) == -1)
		goto error;
	if (reuseport && sk__setsockopt_int(fd, SOL_SOCKET, SO_REUSEPORT,
	    "SO_REUSEPORT", 1, e) == -1)
		goto error;
	/* A listener that should be dual-stack but stays v6-only would
	 * refuse every IPv4 client in silence: fail instead. */
	if (ai->ai_family == AF_INET6 && sk__setsockopt_int(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, "IPV6_V6ONLY", !dualstack, e) == -1)
		goto error;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		sk_err_sys(e, "bind %s",
		    sk__addr_str(ai->ai_addr, host, sizeof(host)));
		goto error;
	}
	if (ai->ai_socktype == SOCK_STREAM && listen(fd, backlog) == -1) {
		sk_err_sys(e, "listen");
		goto error;
	}
	return fd;
error:
	close(fd);
	return -1;
}

/*
 * The one listener behind sk_listen(), sk_listen_af(), sk_listen_reuseport()
 * and sk_listen_udp().
 * The wildcard under AF_UNSPEC is one dual-stack [::] socket, falling back
 * to 0.0.0.0 on kernels booted without IPv6; under one family it is that
 * family's wildcard only.
 */
static int
listen_generic(const char *host, const char *service, int family,
    int socktype, int backlog, int reuseport, struct sk_err *e)
{
	struct addrinfo *res, *ai;
	struct sk_err local;
	int fd = -1;

	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return sk_err_set(e, EAFNOSUPPORT, "listen: address family %d",
		    family);
	/* The fallback below looks at the error code even for NULL e. */
	if (e == NULL)
		e = &local;
	if (is_wildcard(host)) {
		if (family != AF_INET) {
			if (sk_addr_resolve("::", service, AF_INET6, socktype,
			    AI_PASSIVE | AI_NUMERICHOST, &res, SK_NEVER, e) == 0) {
				fd = listen_ai(res, backlog,
				    family == AF_UNSPEC, reuseport, e);
				freeaddrinfo(res);
				if (fd != -1 || e->code != EAFNOSUPPORT ||
				    family == AF_INET6)
					return fd;
			} else if (family == AF_INET6) {
				return -1;
			}
		}
		if (sk_addr_resolve("0.0.0.0", service, AF_INET, socktype,
		    AI_PASSIVE | AI_NUMERICHOST, &res, SK_NEVER, e) == -1)
			return -1;
		fd = listen_ai(res, backlog, 0, reuseport, e);
		freeaddrinfo(res);
		return fd;
	}
	/* A listener's host names this machine (/etc/hosts or a literal),
	 * and sk_listen() has no deadline to pass on. */
	if (sk_addr_resolve(host, service, family, socktype, AI_PASSIVE,
	    &res, SK_NEVER, e) == -1)
		return -1;
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = listen_ai(ai, backlog, 0, reuseport, e);
	freeaddrinfo(res);
	return fd;
}

int
sk_listen(const char *host, const char *service, int backlog,
    struct sk_err *e)
{
	return listen_generic(host, service, AF_UNSPEC, SOCK_STREAM, backlog, 0,
	    e);
}

int
sk_listen_af(const char *host, const char *service, int family, int backlog,
    struct sk_err *e)
{
	return listen_generic(host, service, family, SOCK_STREAM, backlog, 0,
	    e);
}

int
sk_listen_reuseport(const char *host, const char *service, int family,
    int backlog, struct sk_err *e)
{
	return listen_generic(host, service, family, SOCK_STREAM, backlog, 1,
	    e);
}

int
sk_listen_udp(const char *host, const char *service, int family,
    struct sk_err *e)
{
	return listen_generic(host, service, family, SOCK_DGRAM, 0, 0, e);
}

int
sk__unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len,
    struct sk_err *e)
{
	size_t plen = strlen(path);

	if (plen == 0 || plen >= sizeof(sun->sun_path))
		return sk_err_set(e, EINVAL, "unix socket %s: path empty or too "
		    "long", path);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, plen);
	*len = offsetof(struct sockaddr_un, sun_path) + plen;
	if (path[0] == '@')
		sun->sun_path[0] = '\0';	/* abstract namespace */
	else
		(*len)++;		/* the NUL is part of a path address */
	return 0;
}

int
sk_listen_unix(const char *path, int backlog, struct sk_err *e)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd, probe;

	if (sk__unix_addr(path, &sun, &len, e) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return sk_err_sys(e, "socket");
	if (bind(fd, (struct sockaddr *)&sun, len) == -1) {
		/* A stale socket file left by a dead server may be replaced; a
		 * live one may not. */
		struct stat st;

		if (errno != EADDRINUSE || path[0] == '@')
			goto error;
		if (lstat(path, &st) == -1 || !S_ISSOCK(st.st_mode)) {
			errno = EADDRINUSE;
			goto error;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe == -1)
			goto error;
		if (connect(probe, (struct sockaddr *)&sun, len) == 0 ||
		    errno != ECONNREFUSED) {
			close(probe);
			errno = EADDRINUSE;
			goto error;
		}
		close(probe);
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sun, len) == -1)
			goto error;
	}
	if (listen(fd, backlog) == -1)
		goto error;
	return fd;
error:
	sk_err_sys(e, "bind unix socket %s", path);
	close(fd);
	return -1;
}

int
sk_local_port(int fd, struct sk_err *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return sk_err_sys(e, "getsockname");
	return sk_addr_port((struct sockaddr *)&ss);
}

int
sk_listen_fds(int unset_env, struct sk_listen_fd *out, int max,
    struct sk_err *e)
{
	const char *spid = getenv("LISTEN_PID"), *sfds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES"), *errstr, *p;
	long long pid, n;
	int i, fd, rc = 0;
	size_t len;

	if (spid == NULL || sfds == NULL)
		goto end;
	pid = sk_strtonum(spid, 1, INT32_MAX, &errstr);
	if (errstr != NULL) {
		rc = sk_err_set(e, EINVAL, "LISTEN_PID %s: %s", spid, errstr);
		goto end;
	}
	/* The variables were meant for another process (a parent that did
	 * not unset them before forking us). */
	if ((pid_t)pid != getpid())
		goto end;
	n = sk_strtonum(sfds, 0, 1024, &errstr);
	if (errstr != NULL) {
		rc = sk_err_set(e, EINVAL, "LISTEN_FDS %s: %s", sfds, errstr);
		goto end;
	}
	p = names;
	for (i = 0; i < n; i++) {
		fd = SK_LISTEN_FDS_START + i;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			rc = sk_err_sys(e, "LISTEN_FDS fd %d", fd);
			goto end;
		}
		if (i >= max)
			continue;
		out[i].fd = fd;
		out[i].name[0] = '\0';
		if (p != NULL && *p != '\0') {
			len = strcspn(p, ":");
			if (len >= sizeof(out[i].name))
				len = sizeof(out[i].name) - 1;
			memcpy(out[i].name, p, len);
			out[i].name[len] = '\0';
			p += strcspn(p, ":");
			if (*p == ':')
				p++;
		}
	}
	rc = (int)n;
end:
	if (unset_env) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
	}
	return rc;
}

const char *
sk_peer_kind_str(enum sk_peer_kind k)
{
	static const char *const names[] = {
		[SK_PEER_INET] = "inet", [SK_PEER_UNIX] = "unix",
		[SK_PEER_SOCKET] = "socket", [SK_PEER_PIPE] = "pipe",
		[SK_PEER_TTY] = "tty", [SK_PEER_FILE] = "file",
		[SK_PEER_OTHER] = "other",
	};

	return (unsigned)k < SK_ARRAY_LEN(names) ? names[k] : "other";
}

int
sk_peer(int fd, struct sk_peer *p, struct sk_err *e)
{
	struct stat st;
	socklen_t len;
	int v;

	memset(p, 0, sizeof(*p));
	p->port = -1;
	if (fstat(fd, &st) == -1)
		return sk_err_sys(e, "fd %d", fd);
	if (S_ISFIFO(st.st_mode)) {
		p->kind = SK_PEER_PIPE;
		return 0;
	}
	if (!S_ISSOCK(st.st_mode)) {
		p->kind = isatty(fd) ? SK_PEER_TTY : (S_ISREG(st.st_mode) ||
		    S_ISCHR(st.st_mode)) ? SK_PEER_FILE : SK_PEER_OTHER;
		return 0;
	}
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0)
		p->family = v;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0)
		p->socktype = v;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0)
		p->listening = v;
	p->kind = p->family == AF_INET || p->family == AF_INET6 ? SK_PEER_INET :
	    p->family == AF_UNIX ? SK_PEER_UNIX : SK_PEER_SOCKET;
	p->sslen = sizeof(p->ss);
	if (getpeername(fd, (struct sockaddr *)&p->ss, &p->sslen) == -1) {
		/* Unconnected (listening, or UDP): no peer, still a socket. */
		p->sslen = 0;
		return 0;
	}
	if (p->kind == SK_PEER_INET) {
		sk__host_str((struct sockaddr *)&p->ss, p->addr, sizeof(p->addr));
		p->port = sk_addr_port((struct sockaddr *)&p->ss);
	}
	return 0;
}
