// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* File systems whose reads wait for a server (over the network, or a
 * user-space process that may belong to a container). */
static const unsigned long remote_fs[] = {
	0x6969, /* NFS */
	0x517b, /* SMB */
	0xff534d42, /* CIFS */
	0xfe534d42, /* SMB2 */
	0x65735546, /* FUSE */
	0x01021997, /* 9P */
	0x00c36400, /* Ceph */
	0x5346414f, /* AFS */
	0x73757245, /* Coda */
	0x47504653, /* GPFS */
	0x0bd00bd0, /* Lustre */
};

static bool is_dev_null(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3);
}

int file_check_fd(int fd, size_t max)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (is_dev_null(&st))
		return 0;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -ESPIPE;
	if ((unsigned long long)st.st_size > max)
		return -EFBIG;
	return 0;
}

static int check_local(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf))
		return -errno;
	for (size_t i = 0; i < sizeof(remote_fs) / sizeof(remote_fs[0]); i++)
		if ((unsigned long)sf.f_type == remote_fs[i])
			return -EREMOTE;
	return 0;
}

int file_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	size_t len = 0, want;
	char *buf;
	ssize_t n;
	int r = file_check_fd(fd, max);

	if (r)
		return r;
	if (fstat(fd, &st))
		return -errno;
	want = S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
	buf = malloc(want + 1);
	if (!buf)
		return -ENOMEM;
	/* The size was checked; a file growing meanwhile is read up to it
	 * (pread: the caller's offset, if any, does not matter). */
	while (len < want && (n = pread(fd, buf + len, want - len, (off_t)len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			return r;
		}
		len += (size_t)n;
	}
	buf[len] = 0;
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* Resolves path to an O_PATH descriptor: nothing is opened yet (a FIFO
 * gets no reader, a device's open is never called), only found. */
static int open_path(int dirfd, const char *path, unsigned flags)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	int fd;

	if (flags & FILE_IN_ROOT)
		how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_XDEV |
			      RESOLVE_NO_MAGICLINKS;
	if (flags & FILE_NO_LINKS)
		how.resolve |= RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			       RESOLVE_NO_MAGICLINKS;
	if (!how.resolve)
		fd = openat(dirfd, path, (int)how.flags);
	else
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* Opens for reading the very file pathfd found, once it is known to be a
 * regular file (or /dev/null): through its /proc/self/fd link, which
 * reaches that inode and no other, whatever the path now holds. */
static int reopen_read(int pathfd)
{
	char proc[40];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pathfd);
	fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The type, size and file system are checked on the O_PATH descriptor,
 * before anything is opened: a container's /etc/passwd made a device
 * node (`mknod etc/passwd c ...`) must never have its driver's open run
 * by egressd, a FIFO never gets a reader, a FUSE file never an open
 * request to its server. */
int file_read_at(int dirfd, const char *path, unsigned flags, size_t max,
		 char **ret, size_t *ret_len)
{
	int pfd = open_path(dirfd, path, flags), fd, r;

	if (pfd < 0)
		return pfd;
	r = file_check_fd(pfd, max);
	if (!r && (flags & FILE_LOCAL_ONLY))
		r = check_local(pfd);
	fd = r ? r : reopen_read(pfd);
	close(pfd);
	if (fd < 0)
		return fd;
	r = file_read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

int file_read_max(const char *path, size_t max, char **ret, size_t *ret_len)
{
	return file_read_at(AT_FDCWD, path, 0, max, ret, ret_len);
}

int file_read_all(const char *path, char **ret, size_t *ret_len)
{
	return file_read_max(path, FILE_LIST_MAX, ret, ret_len);
}

const char *file_strerror(int r)
{
	switch (r) {
	case -ESPIPE:
		return "not a regular file (a FIFO, socket or device)";
	case -EISDIR:
		return "is a directory, not a file";
	case -EFBIG:
		return "larger than the limit";
	case -EREMOTE:
		return "on a network or user-space file system";
	case -ELOOP:
	case -EXDEV:
		return "a link or mount point leading out of where it may be";
	default:
		return strerror(-r);
	}
}

int file_append_whole(int fd, const void *buf, size_t len)
{
	struct stat st;
	ssize_t n;
	int r;

	if (fstat(fd, &st))
		return -errno;
	n = write(fd, buf, len);
	if (n == (ssize_t)len)
		return 0;
	r = n < 0 ? -errno : -ENOSPC;
	/* A torn record would corrupt the next one for every reader. */
	if (n > 0 && ftruncate(fd, st.st_size))
		r = -errno;
	return r;
}

int file_replace(const char *path, const void *buf, size_t len, unsigned mode)
{
	char tmp[4096];
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, buf, len) != (ssize_t)len)
		r = errno ? -errno : -ENOSPC;
	else if (fsync(fd))
		r = -errno;
	close(fd);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}
