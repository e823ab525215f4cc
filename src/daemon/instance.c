// SPDX-License-Identifier: GPL-2.0-or-later
#include "instance.h"

#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* The abstract socket names live in the network namespace: one per
 * namespace, like the nftables tables egressd owns there. The kernel
 * frees the name when its holder dies, however it dies. */
#define NS_LOCK_NAME "egressd/instance"

/* A file in the state dir: owned by root, nobody else may write it, and
 * only root and the group may read it. */
static int fix_file(int dfd, const char *name, char *err, size_t errlen,
		    const char *dir)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return 0; /* gone meanwhile */
	if (S_ISLNK(st.st_mode)) {
		/* egressd never makes links here: one would redirect its
		 * writes (events.jsonl -> /etc/shadow). */
		snprintf(err, errlen, "state dir %s holds a symbolic link '%s': "
			 "remove it", dir, name);
		return -ELOOP;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return 0;
	if (st.st_uid != 0 && fchownat(dfd, name, 0, st.st_gid,
				       AT_SYMLINK_NOFOLLOW))
		return -errno;
	if ((st.st_mode & 07777) & ~(S_ISDIR(st.st_mode) ? 0750u : 0640u) &&
	    fchmodat(dfd, name, st.st_mode & (S_ISDIR(st.st_mode) ? 0750 : 0640),
		     0))
		return -errno;
	return 0;
}

static int fix_dir(int dfd, const char *dir, char *err, size_t errlen,
		   int depth)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while (!r && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = fix_file(dfd, de->d_name, err, errlen, dir);
		/* imported/ holds the feeds: one level down, no further. */
		if (!r && depth == 0 && de->d_type == DT_DIR) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
					 O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				r = fix_dir(sub, dir, err, errlen, 1);
				close(sub);
			}
		}
	}
	closedir(d);
	return r;
}

static int state_dir_prepare(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int dfd, r;

	if (mkdir(dir, 0750) && errno != EEXIST) {
		snprintf(err, errlen, "state dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st)) {
		snprintf(err, errlen, "state dir %s: %s", dir,
			 errno == ELOOP ? "a symbolic link, not a directory"
					: strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -ENOTDIR;
	}
	r = (st.st_uid && fchown(dfd, 0, st.st_gid)) ||
			    ((st.st_mode & 07777) != 0750 && fchmod(dfd, 0750))
		    ? -errno
		    : 0;
	if (!r)
		r = fix_dir(dfd, dir, err, errlen, 0);
	if (r && !err[0])
		snprintf(err, errlen, "state dir %s: cannot make it private: %s",
			 dir, strerror(-r));
	close(dfd);
	return r;
}

static int dir_lock(struct instance *in, const char *dir, char *err,
		    size_t errlen)
{
	char path[4096], pid[32] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "%s/egressd.lock", dir);
	in->dir_lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			    0640);
	if (in->dir_lock < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(in->dir_lock, LOCK_EX | LOCK_NB)) {
		n = pread(in->dir_lock, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		snprintf(err, errlen, "another egressd%s%s%s uses the state dir "
			 "%s: stop it first", pid[0] ? " (pid " : "", pid,
			 pid[0] ? ")" : "", dir);
		return -EBUSY;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	/* The pid is only for the message above: a failure is no error. */
	if (!ftruncate(in->dir_lock, 0))
		(void)!pwrite(in->dir_lock, pid, (size_t)n, 0);
	return 0;
}

static int ns_lock(struct instance *in, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				    strlen(NS_LOCK_NAME));

	memcpy(sa.sun_path + 1, NS_LOCK_NAME, strlen(NS_LOCK_NAME));
	in->ns_lock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (in->ns_lock < 0 || bind(in->ns_lock, (struct sockaddr *)&sa, len)) {
		int e = errno;
		if (e == EADDRINUSE)
			snprintf(err, errlen, "another egressd runs in this "
				 "network namespace (it owns the nftables tables "
				 "inet and bridge egressd): stop it first");
		else
			snprintf(err, errlen, "instance lock: %s", strerror(e));
		return -e;
	}
	return 0;
}

int instance_claim(struct instance *in, const char *state_dir, char *err,
		   size_t errlen)
{
	int r;

	in->dir_lock = in->ns_lock = -1;
	err[0] = 0;
	r = ns_lock(in, err, errlen);
	if (!r && mkdir(state_dir, 0750) && errno != EEXIST) {
		snprintf(err, errlen, "state dir %s: %s", state_dir,
			 strerror(errno));
		r = -errno;
	}
	if (!r)
		r = dir_lock(in, state_dir, err, errlen);
	/* Only the lock holder may touch the files: after the lock. */
	if (!r)
		r = state_dir_prepare(state_dir, err, errlen);
	if (r)
		instance_release(in);
	return r;
}

void instance_release(struct instance *in)
{
	if (in->dir_lock >= 0)
		close(in->dir_lock);
	if (in->ns_lock >= 0)
		close(in->ns_lock);
	in->dir_lock = in->ns_lock = -1;
}
