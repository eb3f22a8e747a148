/* Daemon logging: syslog or stderr.  See sockkit/log.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockkit/addr.h"
#include "sockkit/log.h"
#include "internal.h"

void
sk_log_open(struct sk_log *lg, const char *ident, int to_stderr)
{
	memset(lg, 0, sizeof(*lg));
	lg->to_stderr = to_stderr;
	lg->max_prio = LOG_INFO;
	lg->out = stderr;
	snprintf(lg->ident, sizeof(lg->ident), "%s", ident);
	if (!to_stderr)
		openlog(lg->ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
sk_log_close(struct sk_log *lg)
{
	if (!lg->to_stderr)
		closelog();
}

void
sk_vlog(struct sk_log *lg, int prio, const char *fmt, va_list ap)
{
	char line[2048];

	if (prio > lg->max_prio)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (lg->to_stderr)
		fprintf(lg->out, "%s[%ld]: %s\n", lg->ident, (long)getpid(), line);
	else
		syslog(prio, "%s", line);
}

void
sk_log(struct sk_log *lg, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sk_vlog(lg, prio, fmt, ap);
	va_end(ap);
}

char *
sk_log_peer(const struct sockaddr *sa, char *buf, size_t len)
{
	if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;

		snprintf(buf, len, "unix:%s", sun->sun_path[0] ? sun->sun_path :
		    "(unnamed)");
	} else if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
		/* The suite's one form (STYLE rule 12), as in messages. */
		sk__addr_str(sa, buf, len);
	} else {
		snprintf(buf, len, "family %d", sa->sa_family);
	}
	return buf;
}
