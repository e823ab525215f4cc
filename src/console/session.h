/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The console's sessions and its login rate limit, in memory (a restart
 * logs everyone out). Thread-safe. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "users.h"

/* Sessions at once: a few operators, each with a few browsers. The
 * oldest is dropped for a new one beyond this. */
#define SESSIONS_MAX 256
/* 32 random bytes, hex. */
#define SESSION_TOKEN_LEN 64
/* Failed logins counted per name and per address over this window. */
#define LOGIN_WINDOW_S 300
#define LOGIN_FAILS_PER_NAME 5
#define LOGIN_FAILS_PER_ADDR 20
#define LOGIN_TRACKED_MAX 1024

struct session {
	char token[SESSION_TOKEN_LEN + 1];
	char csrf[SESSION_TOKEN_LEN + 1];
	char user[USER_NAME_MAX + 1];
	/* the user's hash at login: a changed password or a removed user
	 * ends the session */
	char hash[USER_HASH_MAX + 1];
	int64_t created, used; /* monotonic seconds */
};

struct sessions;

struct sessions *sessions_new(unsigned idle_s, unsigned max_s);
void sessions_free(struct sessions *ss);

/* A new session for user (hash: the user's at login) into *ret (a copy).
 * Returns 0 or -EIO (no randomness). */
int sessions_create(struct sessions *ss, const char *user, const char *hash,
		    struct session *ret);
/* The live session of a token into *ret (a copy), and marks it used.
 * Returns false if there is none, or it expired. */
bool sessions_get(struct sessions *ss, const char *token, struct session *ret);
void sessions_end(struct sessions *ss, const char *token);
/* Ends the sessions whose user is gone or has another hash now. */
void sessions_prune_users(struct sessions *ss, const struct users *us);
/* When the session expires, wall clock, for the client. */
int64_t sessions_expiry(const struct sessions *ss, const struct session *s);

/* Login rate limit. Returns 0 if a login of name from addr may be tried,
 * else the seconds to wait. Read only: sessions_login_begin counts. */
unsigned sessions_login_wait(struct sessions *ss, const char *name,
			     const struct sockaddr *addr);
/* Like sessions_login_wait, and when it returns 0 the try is counted
 * as failed at once, in the same step as the check: the password is
 * checked after, and parallel tries must not all pass a check that none
 * of them has counted yet. */
unsigned sessions_login_begin(struct sessions *ss, const char *name,
			      const struct sockaddr *addr);
/* The try of sessions_login_begin succeeded: forgets the name's
 * failures and takes the try back from the address's count. */
void sessions_login_ok(struct sessions *ss, const char *name,
		       const struct sockaddr *addr);
