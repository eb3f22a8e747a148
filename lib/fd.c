/* Checked file descriptor flags.  See sockkit/fd.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>

#include "sockkit/err.h"
#include "sockkit/fd.h"
#include "internal.h"

/* The one O_NONBLOCK setter: the previous F_GETFL flags, or -1. */
static int
set_nonblock(int fd, int on, struct sk_err *e)
{
	int fl, nfl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return sk_err_sys(e, "fcntl F_GETFL fd %d", fd);
	nfl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (nfl != fl && fcntl(fd, F_SETFL, nfl) == -1)
		return sk_err_sys(e, "fcntl F_SETFL %sO_NONBLOCK fd %d",
		    on ? "" : "~", fd);
	return fl;
}

int
sk_fd_nonblock(int fd, int on, struct sk_err *e)
{
	int fl = set_nonblock(fd, on, e);

	return fl == -1 ? -1 : (fl & O_NONBLOCK) != 0;
}

int
sk__setsockopt_int(int fd, int level, int opt, const char *name, int v,
    struct sk_err *e)
{
	if (setsockopt(fd, level, opt, &v, sizeof(v)) == -1)
		return sk_err_kset(e, SK_ERR_SYSTEM, errno, "setsockopt %s: %s",
		    name, strerror(errno));
	return 0;
}
