/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fleet thread's state, shared by fleet_host.c (the thread, the
 * connection, the heartbeat, the status) and fleet_host_sync.c (shipping, the
 * central lists, the commands). Internal. */
#pragma once
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "config.h"
#include "egressd/store.h"
#include "pgio.h"

/* Deadlines: a connection, and one statement (a batch of 500 upserts is
 * 500 statements, each with its own). */
#define FLEET_CONNECT_MS 5000
#define FLEET_STATEMENT_MS 10000
/* The server's own bound on a statement (the pgschema calls that run
 * without a client deadline: migrate, partitions, prune). */
#define FLEET_SERVER_TIMEOUT "10s"
/* Rows of the outbox per transaction, and transactions per round (the
 * central lists and commands are looked at between rounds, so that a
 * long catch-up never delays a list change by more than one round). */
#define FLEET_BATCH 500
#define FLEET_BATCHES_PER_ROUND 4
/* Central list changes read per query. */
#define FLEET_LIST_PAGE 1000
/* Commands taken per look. */
#define FLEET_COMMANDS_PAGE 20
/* Seconds: heartbeat, commands looked for without a NOTIFY (one may be
 * missed while disconnected), prune, backoff bounds. */
#define FLEET_HEARTBEAT_S 5
#define FLEET_COMMANDS_S 3
#define FLEET_LISTS_S 30
#define FLEET_PRUNE_S 3600
#define FLEET_BACKOFF_MIN_S 1
#define FLEET_BACKOFF_MAX_S 30
/* A new central white entry: how long to wait for the lists that allow
 * it to be in force, and when to whitelist the pending events it covers
 * once more (the event writer's process lookup, 1 s, and its wait for a
 * rescan, 2.5 s, may write a blocked occurrence after the swap). */
#define FLEET_APPLY_WAIT_MS 2000
#define FLEET_WHITE_SWEEP_MS 4000
/* The longest wait of the loop: the outbox ships at least this often. */
#define FLEET_TICK_MS 500

struct ctl;

struct fleet_host {
	const struct config *cfg;
	struct ctl *ctl;
	char host_id[CONFIG_HOST_ID_MAX + 1];
	char name[256]; /* gethostname() */
	char dsn_shown[PGIO_DSN_SHOWN]; /* redacted */
	int64_t started; /* wall clock, for the heartbeat */
	pthread_t thread;
	bool running;
	int wake; /* eventfd: stop */
	atomic_bool stopping;

	/* Under lock: what `status` shows, and the socket fleet_host_stop shuts
	 * down to end a blocking libpq call at once. */
	pthread_mutex_t lock;
	bool connected;
	char last_error[256];
	int64_t pending, shipped_rev, list_version, last_ship;
	int sock;

	/* The thread's own. */
	PGconn *db;
	struct store *st;
	int64_t created; /* the store's counter began (central rev's high part) */
	int64_t shipped; /* local rev shipped */
	int64_t lists_at; /* central version copied */
	char *containers_sent; /* the containers' JSON last sent */
	bool want_lists, want_commands;
	bool clash; /* another egressd holds the host id (heartbeat) */
	bool white_added; /* a central white entry came in this catch-up */
	int64_t white_sweep_at; /* ms, monotonic; 0: none due */
	int64_t shipped_since; /* rows shipped since the database came back */
};

/* fleet_host_sync.c: each returns 0 or a negative errno; -ECONNRESET and
 * -ETIMEDOUT mean the connection is gone (f->db NULL). err says what. */
int fleet_host_ship(struct fleet_host *f, char *err, size_t errlen);
int fleet_host_lists_catch_up(struct fleet_host *f, char *err, size_t errlen);
int fleet_host_commands_run(struct fleet_host *f, char *err, size_t errlen);
/* Marks the pending events the central white entries cover whitelisted;
 * returns how many, or a negative errno. Local: no connection needed. */
int fleet_host_white_sweep(struct fleet_host *f);

/* fleet_host.c: the status fields, under lock. */
void fleet_host_note_error(struct fleet_host *f, const char *err);
void fleet_host_publish(struct fleet_host *f);
/* A statement with the fleet's deadline. */
int fleet_host_exec(struct fleet_host *f, const char *sql, int n,
	       const char *const *params, PGresult **ret, char *err,
	       size_t errlen);
