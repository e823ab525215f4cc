// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's users, managed by egressctl: the users file is written
 * here (root), and egressd-console only reads it. A password comes from
 * the terminal (asked twice, not echoed) or, when stdin is not a terminal,
 * as one line from stdin, so that scripts can create users. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console_user.h"
#include "users.h"

/* One line of stdin without its newline; echo off on a terminal. */
static int read_line(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty) {
		fputs(prompt, stderr);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (!fgets(buf, (int)len, stdin))
		buf[0] = 0;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	else if (n == len - 1)
		return -E2BIG;
	if (n && buf[n - 1] == '\r')
		buf[--n] = 0;
	return 0;
}

static int read_password(char out[USER_PASSWORD_MAX + 2])
{
	char again[USER_PASSWORD_MAX + 2];
	int r = read_line("password: ", out, USER_PASSWORD_MAX + 2);

	if (r || strlen(out) > USER_PASSWORD_MAX) {
		fprintf(stderr, "egressctl: a password is at most %d bytes\n",
			USER_PASSWORD_MAX);
		return -EINVAL;
	}
	if (strlen(out) < USER_PASSWORD_MIN) {
		fprintf(stderr, "egressctl: a password has at least %d "
			"characters\n", USER_PASSWORD_MIN);
		return -EINVAL;
	}
	if (isatty(STDIN_FILENO)) {
		read_line("again: ", again, sizeof(again));
		r = strcmp(out, again) ? -EINVAL : 0;
		explicit_bzero(again, sizeof(again));
		if (r)
			fprintf(stderr, "egressctl: the two differ\n");
	}
	return r;
}

/* The console's group reads the file; root alone writes it. */
static gid_t file_group(void)
{
	struct group *g = getgrnam("egressd-console");

	return g ? g->gr_gid : (gid_t)-1;
}

static int set_password(struct users *us, const char *name, bool must_exist,
			bool must_not_exist)
{
	char pw[USER_PASSWORD_MAX + 2], hash[USER_HASH_MAX + 1];
	const struct user *u = users_find(us, name);
	int r;

	if (must_exist && !u) {
		fprintf(stderr, "egressctl: no console user '%s'\n", name);
		return 1;
	}
	if (must_not_exist && u) {
		fprintf(stderr, "egressctl: console user '%s' exists (use "
			"passwd)\n", name);
		return 1;
	}
	if (read_password(pw)) {
		explicit_bzero(pw, sizeof(pw));
		return 1;
	}
	r = users_hash(pw, hash);
	explicit_bzero(pw, sizeof(pw));
	if (!r)
		r = users_set(us, name, hash);
	if (r)
		fprintf(stderr, "egressctl: %s\n",
			r == -ENOSPC ? "too many users" : "no password set");
	return r ? 1 : 0;
}

static int run(const char *action, const char *name, const char *file)
{
	struct users *us = calloc(1, sizeof(*us));
	char err[512];
	int r = 1;

	if (!us)
		return 1;
	if (users_load(file, true, us, err, sizeof(err))) {
		fprintf(stderr, "egressctl: %s\n", err);
	} else if (!strcmp(action, "remove")) {
		r = users_remove(us, name) ? 1 : 0;
		if (r)
			fprintf(stderr, "egressctl: no console user '%s'\n",
				name);
	} else {
		r = set_password(us, name, !strcmp(action, "passwd"),
				 !strcmp(action, "add"));
	}
	if (!r && users_save(file, us, file_group(), err, sizeof(err))) {
		fprintf(stderr, "egressctl: %s\n", err);
		r = 1;
	}
	if (!r)
		printf("console user %s: %s\n", name,
		       !strcmp(action, "remove") ? "removed"
		       : !strcmp(action, "add")  ? "added"
						 : "password changed");
	explicit_bzero(us, sizeof(*us));
	free(us);
	return r;
}

int console_user_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "users-file", required_argument, NULL, 'f' }, { 0 }
	};
	const char *file = USERS_FILE_DEFAULT, *action = argv[1];
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'f')
			return 2;
		file = optarg;
	}
	if (optind + 1 != argc)
		return 2;
	if (!users_name_ok(argv[optind])) {
		fprintf(stderr, "egressctl: a user name is 1..%d of a-z, 0-9, "
			"'_', '.', '-', starting with a letter or '_'\n",
			USER_NAME_MAX);
		return 2;
	}
	return run(action, argv[optind], file);
}
