/* Private declarations shared by lib/ files; not installed. */
#ifndef SOCKKIT_INTERNAL_H
#define SOCKKIT_INTERNAL_H

#include <stddef.h>
#include <sys/socket.h>

#define SK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Set/clear O_NONBLOCK; return the previous flags or -1. */
int sk__set_nonblock(int fd, int on);

/* Numeric host of sa for messages ("198.18.0.2", "2001:2::2"). */
const char *sk__host_str(const struct sockaddr *sa, char *buf, size_t len);

struct sk_err;
struct sockaddr_un;

/* Fill a UNIX socket address for path ('@' prefix: abstract namespace);
 * -1 (EINVAL) if the path is empty or does not fit. */
int sk__unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len,
    struct sk_err *e);

#endif
