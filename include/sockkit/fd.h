/*
 * sockkit/fd.h — checked changes to a file descriptor's flags.
 */
#ifndef SOCKKIT_FD_H
#define SOCKKIT_FD_H

struct sk_err;

/*
 * Set (on != 0) or clear O_NONBLOCK on fd.  Returns the previous state, 1
 * if fd was non-blocking and 0 if it was blocking, so the caller can put
 * it back; -1 with e filled ("fcntl F_SETFL O_NONBLOCK fd 3: ...").
 */
int sk_fd_nonblock(int fd, int on, struct sk_err *e);

#endif
