/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libpq with deadlines: every call here that waits on the network gives
 * up at its deadline, so that a PostgreSQL that accepts and never
 * answers stalls nothing but the caller's own fleet work. Connecting is
 * PQconnectStart + PQconnectPoll + poll; a statement is
 * PQsendQueryParams + poll + PQconsumeInput. On expiry the statement is
 * cancelled (PQcancel, on a detached thread: libpq 15's cancel has no
 * deadline of its own) and the connection dropped. Library code: nothing
 * is logged, errors come back as text. Shared by egressd's fleet thread
 * and whatever else talks to the fleet's database. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* A DSN redacted for a log line is at most this long (longer ones are
 * cut). */
#define PGIO_DSN_SHOWN 256

/* Checks that dsn parses (key=value words or a postgresql:// URI).
 * Returns 0, or -EINVAL with libpq's reason in err (never the DSN
 * itself: it may hold a password). */
int pgio_dsn_check(const char *dsn, char *err, size_t errlen);

/* dsn with its password replaced by "***": a "password=..." word
 * (quoted or not) or URI parameter, and the ":secret@" of a URI's user
 * info. Always NUL-terminates out; returns out. */
char *pgio_dsn_redact(const char *dsn, char *out, size_t outlen);

/* Connects within ms (wake_fd >= 0 readable: gives up at once,
 * -ECANCELED). Returns 0 with *ret set, -ETIMEDOUT, -ECANCELED, or -EIO
 * (refused, bad credentials...) with err filled. The connection is
 * non-blocking from then on. The kernel's bounds are set below the
 * DSN's own: tcp_user_timeout 10 s, keepalives after 10 s idle. */
int pgio_connect(const char *dsn, int ms, int wake_fd, PGconn **ret,
		 char *err, size_t errlen);

/* Runs one statement with text parameters (NULL entries are SQL NULL)
 * within ms. Returns 0 with the result in *ret (PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK; the caller PQclears it; ret may be NULL), -EIO for an
 * error the server sent (the connection stays usable), or -ETIMEDOUT /
 * -ECONNRESET, after which *db has been cancelled and finished and is
 * NULL. err says what. */
int pgio_exec(PGconn **db, int ms, const char *sql, int nparams,
	      const char *const *params, PGresult **ret, char *err,
	      size_t errlen);

/* Waits at most ms for the server to send something (a NOTIFY) and
 * reads it; returns 0 (something or nothing came), or -ECONNRESET after
 * finishing *db. wake_fd (>= 0) ends the wait early when readable. */
int pgio_wait(PGconn **db, int ms, int wake_fd, char *err, size_t errlen);

/* Drops the connection (NULL is fine); *db becomes NULL. */
void pgio_close(PGconn **db);
