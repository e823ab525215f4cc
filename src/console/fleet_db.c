// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's connections to the fleet's PostgreSQL: a small pool, and
 * every wait on the network bounded (connecting by PQconnectPoll, each
 * statement by poll() on its socket, and a new connection if it runs
 * late), so that a database that accepts and never answers
 * holds up one request for the deadline, never the console. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet_internal.h"
#include "pgio.h"
#include "pgschema.h"

struct fleet {
	char *dsn;
	unsigned timeout_ms;
	pthread_mutex_t lock;
	PGconn *idle[FLEET_POOL_IDLE];
	size_t nidle;
	bool migrated;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fq_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Waits until fd is ready for ev or the deadline; 1 ready, 0 late, -1. */
static int wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left;
	int r;

	do {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
	} while (r < 0 && errno == EINTR);
	return r;
}

/* libpq's message, its first line. */
static void pq_err(char *err, size_t len, const char *what, const char *m)
{
	if (!m || !*m)
		m = "no reason given";
	snprintf(err, len, "%s: %.*s", what, (int)strcspn(m, "\n"), m);
}

int fleet_dsn_check(const char *dsn, char *why, size_t whylen)
{
	char msg[256];

	if (!pgio_dsn_check(dsn, msg, sizeof(msg)))
		return 0;
	/* (pgio's message never quotes what libpq could not read) */
	pq_err(why, whylen, "not a PostgreSQL connection string or URI", msg);
	return -EINVAL;
}

/* Our deadlines first, so that the operator's DSN may set its own
 * (it is expanded after them): a connect_timeout, a statement_timeout
 * the server enforces, and TCP keepalives and a user timeout so that a
 * peer that went away is noticed. */
static PGconn *connect_start(const struct fleet *f)
{
	char opt[64];
	const char *keys[] = { "connect_timeout", "keepalives",
			       "keepalives_idle", "keepalives_interval",
			       "keepalives_count", "tcp_user_timeout",
			       "application_name", "options", "dbname", NULL };
	const char *vals[] = { "5", "1", "10", "5", "3", "15000",
			       "egressd-console", opt, f->dsn, NULL };

	snprintf(opt, sizeof(opt), "-c statement_timeout=%u", f->timeout_ms);
	return PQconnectStartParams(keys, vals, 1);
}

static PGconn *connect_db(const struct fleet *f, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + FLEET_CONNECT_MS;
	PGconn *db = connect_start(f);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	if (!db) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (PQstatus(db) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	       st != PGRES_POLLING_FAILED) {
		int r = wait_fd(PQsocket(db), st == PGRES_POLLING_READING
						      ? POLLIN : POLLOUT,
				deadline);
		if (r <= 0) {
			snprintf(err, errlen, "no connection within %d s",
				 FLEET_CONNECT_MS / 1000);
			PQfinish(db);
			return NULL;
		}
		st = PQconnectPoll(db);
	}
	if (PQstatus(db) == CONNECTION_OK)
		return db;
	pq_err(err, errlen, "cannot connect", PQerrorMessage(db));
	PQfinish(db);
	return NULL;
}

struct fleet *fleet_new(const char *dsn, unsigned timeout_ms)
{
	struct fleet *f = calloc(1, sizeof(*f));

	if (!f || !(f->dsn = strdup(dsn))) {
		free(f);
		return NULL;
	}
	f->timeout_ms = timeout_ms;
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

void fleet_free(struct fleet *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nidle; i++)
		PQfinish(f->idle[i]);
	pthread_mutex_destroy(&f->lock);
	free(f->dsn);
	free(f);
}

/* The schema, once per console: pgschema_migrate takes its advisory
 * lock, so consoles and hosts starting together are fine. */
static int migrate_once(struct fleet *f, PGconn *db, char *err,
			size_t errlen)
{
	bool done;

	pthread_mutex_lock(&f->lock);
	done = f->migrated;
	pthread_mutex_unlock(&f->lock);
	if (done)
		return 0;
	if (pgschema_migrate(db, err, errlen))
		return -1;
	pthread_mutex_lock(&f->lock);
	f->migrated = true;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

/* An idle connection has nothing to read unless its server said goodbye
 * (a restart, an administrator's kill; this console LISTENs to nothing):
 * then it is of no more use. */
static bool idle_alive(PGconn *db)
{
	struct pollfd p = { .fd = PQsocket(db), .events = POLLIN };

	return poll(&p, 1, 0) == 0 && PQstatus(db) == CONNECTION_OK;
}

static PGconn *idle_take(struct fleet *f)
{
	PGconn *db = NULL;

	for (;;) {
		pthread_mutex_lock(&f->lock);
		db = f->nidle ? f->idle[--f->nidle] : NULL;
		pthread_mutex_unlock(&f->lock);
		if (!db || idle_alive(db))
			return db;
		PQfinish(db);
	}
}

PGconn *fleet_db_get(struct fleet *f, char *err, size_t errlen)
{
	PGconn *db = idle_take(f);

	if (db)
		return db;
	db = connect_db(f, err, errlen);
	if (db && migrate_once(f, db, err, errlen)) {
		PQfinish(db);
		return NULL;
	}
	return db;
}

void fleet_db_put(struct fleet *f, PGconn *db, bool broken)
{
	if (!db)
		return;
	if (!broken && PQstatus(db) == CONNECTION_OK &&
	    PQtransactionStatus(db) == PQTRANS_IDLE) {
		pthread_mutex_lock(&f->lock);
		if (f->nidle < FLEET_POOL_IDLE) {
			f->idle[f->nidle++] = db;
			db = NULL;
		}
		pthread_mutex_unlock(&f->lock);
	}
	PQfinish(db);
}

int fleet_start(struct fleet *f, char *err, size_t errlen)
{
	PGconn *db = fleet_db_get(f, err, errlen);

	fleet_db_put(f, db, false);
	return db ? 0 : -1;
}

/* A statement that runs late: its connection is dropped. No PQcancel:
 * it waits for the server without a deadline (PostgreSQL 15's libpq),
 * and a server that does not answer would hold the request for good;
 * the statement_timeout given at connect ends the statement there. */
static void late(struct fq *q)
{
	snprintf(q->err, sizeof(q->err), "no answer within %u ms",
		 q->f->timeout_ms);
	q->broken = true;
}

/* Reads until the statement's result is complete or the deadline. */
static bool await_result(struct fq *q, int64_t deadline)
{
	while (PQisBusy(q->db)) {
		int r = wait_fd(PQsocket(q->db), POLLIN, deadline);
		if (r == 0) {
			late(q);
			return false;
		}
		if (r < 0 || !PQconsumeInput(q->db)) {
			pq_err(q->err, sizeof(q->err), "connection lost",
			       PQerrorMessage(q->db));
			q->broken = true;
			return false;
		}
	}
	return true;
}

/* The one result of the statement (libpq hands out NULL after it). */
static PGresult *take_result(struct fq *q, int64_t deadline)
{
	PGresult *res = NULL, *r;

	while (await_result(q, deadline) && (r = PQgetResult(q->db))) {
		PQclear(res);
		res = r;
	}
	if (q->broken) {
		PQclear(res);
		return NULL;
	}
	return res;
}

PGresult *fq_exec(struct fq *q, const char *sql, int n,
		  const char *const *params)
{
	int64_t deadline = now_ms() + q->f->timeout_ms;
	ExecStatusType st;
	PGresult *r;

	q->failed = true;
	if (q->broken)
		return NULL;
	if (!PQsendQueryParams(q->db, sql, n, NULL, params, NULL, NULL, 0)) {
		pq_err(q->err, sizeof(q->err), "cannot send",
		       PQerrorMessage(q->db));
		q->broken = true;
		return NULL;
	}
	r = take_result(q, deadline);
	if (!r) {
		if (!q->broken)
			snprintf(q->err, sizeof(q->err), "no result");
		return NULL;
	}
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pq_err(q->err, sizeof(q->err), "the database refused",
		       PQresultErrorMessage(r));
		PQclear(r);
		q->broken |= PQstatus(q->db) != CONNECTION_OK;
		return NULL;
	}
	q->failed = false;
	return r;
}

int fq_run(struct fq *q, const char *sql)
{
	PGresult *r = fq_exec(q, sql, 0, NULL);

	PQclear(r);
	return r ? 0 : -1;
}
