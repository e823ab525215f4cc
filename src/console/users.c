// SPDX-License-Identifier: GPL-2.0-or-later
#include "users.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctcmp.h"
#include "egressd/fileio.h"

bool users_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > USER_NAME_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* A hash crypt(3) can check: "$id$..." of printable characters without
 * ':' (the separator). "*" or "!" in front locks an account. */
static bool hash_ok(const char *h)
{
	size_t n = strlen(h);

	if (n < 3 || n > USER_HASH_MAX || (h[0] != '$' && h[0] != '!' &&
					    h[0] != '*'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (h[i] <= ' ' || h[i] > '~' || h[i] == ':')
			return false;
	return true;
}

static int load_line(struct users *us, char *s, char *why, size_t whylen)
{
	char *colon = strchr(s, ':');

	if (!colon) {
		snprintf(why, whylen, "expected NAME:HASH");
		return -EINVAL;
	}
	*colon = 0;
	if (!users_name_ok(s)) {
		snprintf(why, whylen, "bad user name '%.40s'", s);
		return -EINVAL;
	}
	if (!hash_ok(colon + 1)) {
		snprintf(why, whylen, "bad password hash for '%s'", s);
		return -EINVAL;
	}
	if (users_find(us, s)) {
		snprintf(why, whylen, "user '%s' given twice", s);
		return -EINVAL;
	}
	if (us->n == USERS_MAX) {
		snprintf(why, whylen, "more than %d users", USERS_MAX);
		return -ENOSPC;
	}
	memcpy(us->u[us->n].name, s, strlen(s) + 1);
	memcpy(us->u[us->n].hash, colon + 1, strlen(colon + 1) + 1);
	us->n++;
	return 0;
}

static int load_text(const char *path, char *text, struct users *us,
		     char *err, size_t errlen)
{
	char why[128];
	unsigned line = 0;

	for (char *s = text, *nl; s && *s; s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = 0;
		line++;
		if (*s == '#' || !*s)
			continue;
		int r = load_line(us, s, why, sizeof(why));
		if (r) {
			snprintf(err, errlen, "%s:%u: %s", path, line, why);
			return r;
		}
	}
	return 0;
}

int users_load(const char *path, bool missing_ok, struct users *ret,
	       char *err, size_t errlen)
{
	char *text = NULL;
	size_t len;
	int r = file_read_max(path, USERS_FILE_MAX, &text, &len);

	ret->n = 0;
	if (r == -ENOENT && missing_ok)
		return 0;
	if (r) {
		snprintf(err, errlen, "%s: %s", path,
			 r == -EFBIG ? "too large" : strerror(-r));
		return r;
	}
	if (memchr(text, 0, len)) {
		snprintf(err, errlen, "%s: a NUL byte", path);
		r = -EINVAL;
	} else {
		r = load_text(path, text, ret, err, errlen);
	}
	free(text);
	if (r)
		ret->n = 0;
	return r;
}

const struct user *users_find(const struct users *us, const char *name)
{
	for (size_t i = 0; i < us->n; i++)
		if (!strcmp(us->u[i].name, name))
			return &us->u[i];
	return NULL;
}

/* Checked against when the name is unknown or locked: the same
 * yescrypt cost, so that timing does not tell names apart. */
static char dummy_hash[USER_HASH_MAX + 1];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
	char rnd[33];

	snprintf(rnd, sizeof(rnd), "%lx%lx", (long)getpid(), (long)time(NULL));
	if (users_hash(rnd, dummy_hash))
		snprintf(dummy_hash, sizeof(dummy_hash), "$y$");
}

bool users_check(const struct users *us, const char *name,
		 const char *password)
{
	const struct user *u = users_find(us, name);
	const char *h;
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	bool ok;

	pthread_once(&dummy_once, dummy_make);
	h = u && u->hash[0] == '$' ? u->hash : dummy_hash;
	if (!cd)
		return false;
	out = strlen(password) <= USER_PASSWORD_MAX
		      ? crypt_r(password, h, cd)
		      : NULL;
	ok = out && out[0] == '$' && str_equal_ct(out, h) && h != dummy_hash;
	free(cd);
	return ok;
}

int users_hash(const char *password, char out[USER_HASH_MAX + 1])
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *h = NULL;
	int r = -EIO;

	if (!cd)
		return -ENOMEM;
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)))
		h = crypt_r(password, salt, cd);
	if (h && h[0] == '$' && strlen(h) <= USER_HASH_MAX) {
		memcpy(out, h, strlen(h) + 1);
		r = 0;
	}
	free(cd);
	return r;
}

int users_set(struct users *us, const char *name, const char *hash)
{
	struct user *u = (struct user *)users_find(us, name);

	if (!users_name_ok(name) || !hash_ok(hash))
		return -EINVAL;
	if (!u) {
		if (us->n == USERS_MAX)
			return -ENOSPC;
		u = &us->u[us->n++];
		memcpy(u->name, name, strlen(name) + 1);
	}
	memcpy(u->hash, hash, strlen(hash) + 1);
	return 0;
}

int users_remove(struct users *us, const char *name)
{
	const struct user *u = users_find(us, name);
	size_t i;

	if (!u)
		return -ENOENT;
	i = (size_t)(u - us->u);
	memmove(&us->u[i], &us->u[i + 1], (us->n - i - 1) * sizeof(us->u[0]));
	us->n--;
	return 0;
}

static int write_users(int fd, const struct users *us)
{
	FILE *f = fdopen(fd, "w");
	int r = 0;

	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	fputs("# egressd-console users: NAME:HASH (crypt(3)); written by "
	      "egressctl console-user\n", f);
	for (size_t i = 0; i < us->n; i++)
		fprintf(f, "%s:%s\n", us->u[i].name, us->u[i].hash);
	if (fflush(f) || fsync(fileno(f)))
		r = -errno;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

int users_save(const char *path, const struct users *us, gid_t gid, char *err,
	       size_t errlen)
{
	char tmp[4096];
	struct stat st;
	uid_t uid = 0;
	mode_t mode = 0640;
	int fd, r;

	if (!stat(path, &st)) {
		uid = st.st_uid;
		gid = st.st_gid;
		mode = st.st_mode & 07777;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* A crash may have left one: it is ours (the directory is root's),
	 * and O_EXCL below never follows what replaces it. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(-r));
		return r;
	}
	r = fchown(fd, uid, gid) || fchmod(fd, mode) ? -errno : 0;
	r = r ? (close(fd), r) : write_users(fd, us);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		unlink(tmp);
	}
	return r;
}
