/* Process plumbing for whoisd: privileges, daemon mode, fd limits. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "whoisd.h"

int
wd_sys_drop_privileges(const char *user, struct sk_err *e)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL)
		return sk_err_set(e, errno ? errno : ENOENT, "user %s: %s", user,
		    errno ? strerror(errno) : "no such user");
	if (pw->pw_uid == 0)
		return sk_err_set(e, EINVAL, "user %s: refusing to serve as root",
		    user);
	if (setgroups(1, &pw->pw_gid) == -1)
		return sk_err_sys(e, "setgroups %s", user);
	if (setgid(pw->pw_gid) == -1)
		return sk_err_sys(e, "setgid %s", user);
	if (setuid(pw->pw_uid) == -1)
		return sk_err_sys(e, "setuid %s", user);
	/* Verify: a process that can get root back has not dropped it. */
	if (setuid(0) != -1 || geteuid() == 0 || getuid() == 0)
		return sk_err_set(e, EPERM, "user %s: root privileges survived "
		    "setuid", user);
	return 0;
}

int
wd_sys_pidfile_lock(const char *path, struct sk_err *e)
{
	char pid[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return sk_err_sys(e, "pidfile %s", path);
	/* The lock lives with the open file, so it survives the daemon's
	 * forks and goes away with the last process, however it ends. */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int saved = errno;

		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		if (saved == EWOULDBLOCK)
			return sk_err_set(e, saved, "pidfile %s: locked by pid %s: "
			    "another whoisd is running", path, *pid ? pid : "?");
		errno = saved;
		return sk_err_sys(e, "pidfile %s: lock", path);
	}
	return fd;
}

void
wd_sys_pidfile_remove(const char *path, int fd)
{
	/* After dropping root the directory may not let us unlink: then at
	 * least leave no stale pid in it. */
	if (unlink(path) == -1 && ftruncate(fd, 0) == -1)
		return;
	close(fd);
}

int
wd_sys_daemonize(const char *pidfile, int pidfd, int detach, struct sk_err *e)
{
	char buf[32];
	int fd, n;
	pid_t pid;

	if (detach) {
		/* Fork twice with setsid between: no controlling tty, not a
		 * session leader, so no tty can ever be acquired again. */
		pid = fork();
		if (pid == -1)
			return sk_err_sys(e, "fork");
		if (pid > 0)
			_exit(0);
		if (setsid() == -1)
			return sk_err_sys(e, "setsid");
		signal(SIGHUP, SIG_IGN);
		pid = fork();
		if (pid == -1)
			return sk_err_sys(e, "fork");
		if (pid > 0)
			_exit(0);
		signal(SIGHUP, SIG_DFL);
		if (chdir("/") == -1)
			return sk_err_sys(e, "chdir /");
		umask(022);
		fd = open("/dev/null", O_RDWR);
		if (fd == -1)
			return sk_err_sys(e, "/dev/null");
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (pidfd >= 0) {
		n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		if (ftruncate(pidfd, 0) == -1 || pwrite(pidfd, buf, (size_t)n, 0) != n)
			return sk_err_sys(e, "pidfile %s", pidfile);
	}
	return 0;
}

void
wd_sys_raise_nofile(void)
{
	struct rlimit rl;

	/* Idle clients cost one fd each; take all the kernel allows us. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
wd_sys_hold_signals(int hold, struct sk_err *e)
{
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Threads made later (the pool, the loader) inherit this mask, so
	 * only worker 0's signalfd ever sees these signals. */
	rc = pthread_sigmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
	if (rc != 0) {
		errno = rc;
		return sk_err_sys(e, "%s SIGHUP, SIGTERM, SIGINT",
		    hold ? "block" : "unblock");
	}
	return 0;
}
