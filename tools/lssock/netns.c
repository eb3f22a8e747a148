/*
 * lssock's network namespaces: enter one by name (-N), or find them all
 * (--all-netns) from /run/netns and every process's /proc/PID/ns/net,
 * one entry per namespace (the same namespace is seen through many
 * processes; the nsfs inode tells them apart).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockkit/err.h"
#include "lssock/lssock.h"

int
ls_enter_netns(const char *name, struct sk_err *e)
{
	char path[4096];
	int fd, rc;

	/* A name with a slash is a path (/proc/PID/ns/net works too). */
	if (strchr(name, '/') != NULL)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		sk_err_sys(e, "network namespace %s", path);
		if (errno == ENOENT)
			e->kind = SK_ERR_INPUT;
		return -1;
	}
	rc = ls_enter_netns_fd(fd, path, e);
	close(fd);
	return rc;
}

int
ls_enter_netns_fd(int fd, const char *what, struct sk_err *e)
{
	if (setns(fd, CLONE_NEWNET) < 0)
		return sk_err_sys(e, "setns %s", what);
	return 0;
}

/* Add path's namespace under name unless it is known; a /run/netns name
 * replaces a "net:[inode]" one. */
static int
add(struct ls_netns **v, size_t *n, size_t *cap, const char *path,
    const char *name)
{
	struct ls_netns *x;
	struct stat st;
	size_t i;

	if (stat(path, &st) < 0)
		return 0;	/* gone, or not ours to see */
	for (i = 0; i < *n; i++) {
		if ((*v)[i].ino == st.st_ino && (*v)[i].dev == st.st_dev) {
			if (name != NULL && strncmp((*v)[i].name, "net:[", 5) == 0)
				snprintf((*v)[i].name, sizeof((*v)[i].name), "%s",
				    name);
			return 0;
		}
	}
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;

		if ((x = realloc(*v, c * sizeof(*x))) == NULL)
			return -1;
		*v = x;
		*cap = c;
	}
	x = &(*v)[(*n)++];
	x->ino = st.st_ino;
	x->dev = st.st_dev;
	snprintf(x->path, sizeof(x->path), "%s", path);
	if (name != NULL)
		snprintf(x->name, sizeof(x->name), "%s", name);
	else
		snprintf(x->name, sizeof(x->name), "net:[%llu]",
		    (unsigned long long)st.st_ino);
	return 0;
}

static int
by_inode(const void *a, const void *b)
{
	const struct ls_netns *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int
ls_netns_list(const char *procroot, struct ls_netns **list, size_t *count,
    struct sk_err *e)
{
	const char *root = procroot ? procroot : "/proc";
	struct ls_netns *v = NULL;
	size_t n = 0, cap = 0;
	char path[4096];
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/run/netns")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
			if (add(&v, &n, &cap, path, de->d_name) < 0)
				goto oom;
		}
		closedir(d);
	}
	if ((d = opendir(root)) == NULL) {
		free(v);
		return sk_err_sys(e, "open %s", root);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/ns/net", root, de->d_name);
		if (add(&v, &n, &cap, path, NULL) < 0) {
			closedir(d);
			goto oom;
		}
	}
	closedir(d);
	qsort(v, n, sizeof(*v), by_inode);
	*list = v;
	*count = n;
	return 0;
oom:
	free(v);
	return sk_err_sys(e, "namespace list");
}
