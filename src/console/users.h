/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The console's users: /etc/egressd/console-users, one "name:hash" per
 * line, hashes from crypt(3) (yescrypt, "$y$..."); '#' starts a comment.
 * egressctl console-user writes it, egressd-console reads it. Nothing
 * here logs. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define USERS_FILE_DEFAULT "/etc/egressd/console-users"
#define USERS_MAX 256
#define USER_NAME_MAX 32
/* crypt(3)'s output is at most CRYPT_OUTPUT_SIZE (384) bytes. */
#define USER_HASH_MAX 384
/* The file, read whole. */
#define USERS_FILE_MAX (USERS_MAX * (USER_NAME_MAX + USER_HASH_MAX + 2))
/* A password: long enough for any passphrase, short enough that hashing
 * it costs what a short one does. */
#define USER_PASSWORD_MAX 1024
#define USER_PASSWORD_MIN 8

struct user {
	char name[USER_NAME_MAX + 1];
	char hash[USER_HASH_MAX + 1];
};

struct users {
	size_t n;
	struct user u[USERS_MAX];
};

/* A name: 1..32 of [a-z0-9_.-], starting with a letter or '_'. */
bool users_name_ok(const char *name);

/* Reads the file. A missing file is an empty list when missing_ok.
 * Returns 0, or a negative errno with err saying what and where
 * ("FILE:LINE: ..."). */
int users_load(const char *path, bool missing_ok, struct users *ret,
	       char *err, size_t errlen);

/* The user by name, or NULL. */
const struct user *users_find(const struct users *us, const char *name);

/* Whether name and password match a user. Costs one hash whether the
 * name exists or not, so that timing does not tell names apart. */
bool users_check(const struct users *us, const char *name,
		 const char *password);

/* A new yescrypt hash of the password into out. Returns 0 or -EIO. */
int users_hash(const char *password, char out[USER_HASH_MAX + 1]);

/* Sets (adds or replaces) or removes one user and writes the file whole
 * again, atomically (a temporary file renamed over it), keeping its
 * owner and mode; a new file is 0640 root:group (gid; -1 for root).
 * Returns 0, -ENOENT (remove: no such user), -ENOSPC (USERS_MAX), or
 * the errno of the write with err filled. */
int users_save(const char *path, const struct users *us, gid_t gid, char *err,
	       size_t errlen);
int users_set(struct users *us, const char *name, const char *hash);
int users_remove(struct users *us, const char *name);
