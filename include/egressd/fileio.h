/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading files that someone else may control: lists, feeds, the config,
 * the state dir, and files inside a container's root. A path is first
 * found without opening it (O_PATH) and opened only once it is known to
 * be a regular file: a FIFO never gets a reader, a device node's driver
 * never sees an open. A read here never blocks (O_NONBLOCK), never
 * reads more than its bound (checked before the read: no buffer grows to
 * the size of /dev/zero), and, inside a container's root, never follows a
 * link out of it nor enters a network or user-space file system whose
 * server could hang the reader. An edge module: it does file I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Lists and feeds: the largest file read whole. */
#define FILE_LIST_MAX (512ull << 20)

enum {
	/* Resolve the path as if dirfd were "/": ".." and absolute symlinks
	 * stay inside (openat2 RESOLVE_IN_ROOT), never cross a mount point
	 * (RESOLVE_NO_XDEV: a mount there may be the container's FUSE
	 * server) and never follow /proc magic links. */
	FILE_IN_ROOT = 1 << 0,
	/* Follow no symlink at all (RESOLVE_NO_SYMLINKS), and stay beneath
	 * dirfd: files the runtime writes in a bundle are never links. */
	FILE_NO_LINKS = 1 << 1,
	/* Refuse files on network and user-space file systems (NFS, CIFS,
	 * FUSE, 9p, Ceph...): a read there waits for a server. */
	FILE_LOCAL_ONLY = 1 << 2,
};

/* Reads the whole regular file at path (or /dev/null: nothing) into a
 * NUL-terminated buffer the caller frees. Returns 0, or a negative errno:
 * -EISDIR, -ESPIPE (a FIFO, socket or device: not a regular file),
 * -EFBIG (larger than max), -EREMOTE (FILE_LOCAL_ONLY), or open/read
 * errors. */
int file_read_max(const char *path, size_t max, char **ret, size_t *ret_len);
/* file_read_max with FILE_LIST_MAX. */
int file_read_all(const char *path, char **ret, size_t *ret_len);
/* The same for path relative to dirfd, with FILE_* flags. */
int file_read_at(int dirfd, const char *path, unsigned flags, size_t max,
		 char **ret, size_t *ret_len);
/* The same for a file already open (a descriptor a client passed). */
int file_read_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* Checks that fd is a regular file (or /dev/null) of at most max bytes.
 * Returns 0 or -EISDIR, -ESPIPE, -EFBIG. */
int file_check_fd(int fd, size_t max);

/* A message for the errors above ("not a regular file (a FIFO, socket or
 * device)", "is a directory", "larger than the limit"...), strerror for
 * the rest. */
const char *file_strerror(int r);

/* Writes len bytes at the end of fd (O_APPEND) in one write; on a short
 * write (a full disk) the file is cut back to its old size, so that a
 * reader never sees a torn record. Returns 0 or a negative errno. */
int file_append_whole(int fd, const void *buf, size_t len);
/* Replaces path with buf atomically: a temporary file beside it, fsync,
 * rename; the temporary file never stays behind. mode for a new file. */
int file_replace(const char *path, const void *buf, size_t len,
		 unsigned mode);
