/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fleet's schema in PostgreSQL (README: Fleet), shared by egressd's
 * fleet thread, egressd-console --fleet-dsn and the fleet benchmark.
 *
 * What lives there:
 *   hosts         one heartbeat row per egressd (name, addresses, version,
 *                 mode, counters, the lists' version it applies, last seen);
 *   events        every host's events, keyed by (host_id, local_id, day),
 *                 partitioned by day; rev is the host's change counter, so
 *                 a row is only ever replaced by a later state of itself;
 *   events_gone   events a host deleted (its local id), so that shipping a
 *                 deletion is idempotent too;
 *   list_entries  the operator's central black and white entries, each
 *                 change (a removal is a tombstone) with a new version from
 *                 list_head, whose row lock orders the versions as they
 *                 commit; NOTIFY egressd_lists carries the version;
 *   commands      actions for one host (isolate, unisolate, handled,
 *                 ignore, delete), NOTIFY egressd_commands carries the
 *                 host id; the host writes the outcome back;
 *   containers    each host's containers as its last scan saw them;
 *   audit         what the console did, by whom;
 *   settings      retention_days (default 90), stale_after_s (default 60).
 *
 * Roles (step 3): the schema's owner (the console, and whoever migrates)
 * sees and does everything; any other role is a host confined by row
 * security to rows whose host_id is its own role name: it ships its own
 * events, deletions, heartbeat and containers, reads the central lists
 * and its own commands and writes their outcome, and nothing else.
 */
#pragma once
#include <stddef.h>

#include <libpq-fe.h>

/* The schema version this build writes and reads. */
#define PGSCHEMA_VERSION 4

/* The channels hosts LISTEN on. */
#define PGSCHEMA_CHAN_LISTS "egressd_lists"
#define PGSCHEMA_CHAN_COMMANDS "egressd_commands"

/* Ships one event, the host's row as it is now:
 *   $1 host_id, $2 local_id, $3 day (YYYY-MM-DD), $4 rev, $5 type,
 *   $6 subject, $7 container_id, $8 container_name, $9 image, $10 host,
 *   $11 process_path, $12 process_user, $13 first_seen, $14 last_seen,
 *   $15 count, $16 status, $17 action, $18 rule_list, $19 rule_source,
 *   $20 rule_pattern, $21 rule_category, $22 detail.
 * Idempotent: a later rev replaces the row, the same or an earlier one (a
 * retry, a reordering) changes nothing, and a deletion shipped with a rev
 * at least this one's keeps it out. Its day's partition must exist
 * (pgschema_partitions). */
#define PGSCHEMA_EVENT_UPSERT                                               \
	"INSERT INTO events AS e (host_id, local_id, day, rev, type, subject," \
	" container_id, container_name, image, host, process_path,"          \
	" process_user, first_seen, last_seen, count, status, action,"       \
	" rule_list, rule_source, rule_pattern, rule_category, detail)"      \
	" SELECT $1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11, $12,"    \
	" $13, $14, $15, $16, $17, $18, $19, $20, $21, $22"                   \
	" WHERE NOT EXISTS (SELECT 1 FROM events_gone g WHERE"                \
	"  g.host_id = $1 AND g.local_id = $2 AND g.day = $3::date"           \
	"  AND g.rev >= $4)"                                                  \
	" ON CONFLICT (host_id, local_id, day) DO UPDATE SET"                 \
	" rev = EXCLUDED.rev, type = EXCLUDED.type,"                          \
	" subject = EXCLUDED.subject, container_id = EXCLUDED.container_id,"  \
	" container_name = EXCLUDED.container_name, image = EXCLUDED.image,"  \
	" host = EXCLUDED.host, process_path = EXCLUDED.process_path,"        \
	" process_user = EXCLUDED.process_user,"                              \
	" first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,"  \
	" count = EXCLUDED.count, status = EXCLUDED.status,"                  \
	" action = EXCLUDED.action, rule_list = EXCLUDED.rule_list,"          \
	" rule_source = EXCLUDED.rule_source,"                                \
	" rule_pattern = EXCLUDED.rule_pattern,"                              \
	" rule_category = EXCLUDED.rule_category, detail = EXCLUDED.detail,"  \
	" shipped = now() WHERE e.rev < EXCLUDED.rev"
#define PGSCHEMA_EVENT_UPSERT_NPARAMS 22

/* Ships one deletion: $1 host_id, $2 local_id, $3 day, $4 the rev of the
 * deletion. Idempotent, like the upsert. */
#define PGSCHEMA_EVENT_GONE                                                 \
	"WITH d AS (DELETE FROM events WHERE host_id = $1 AND local_id = $2"  \
	" AND day = $3::date AND rev < $4)"                                   \
	" INSERT INTO events_gone AS g (host_id, local_id, day, rev)"         \
	" VALUES ($1, $2, $3::date, $4) ON CONFLICT (host_id, local_id, day)" \
	" DO UPDATE SET rev = greatest(g.rev, EXCLUDED.rev)"

/* Brings the database to PGSCHEMA_VERSION, each step in one transaction
 * under an advisory lock (several hosts may start at once). Refuses a
 * database newer than this build. Blocking: call it off any path that
 * must not wait. Returns 0 or -1 with err filled. */
int pgschema_migrate(PGconn *db, char *err, size_t errlen);

/* Creates the day partitions of events from `from` to `to` (YYYY-MM-DD,
 * inclusive) that do not exist yet. Returns 0 or -1 with err filled. */
int pgschema_partitions(PGconn *db, const char *from, const char *to,
			char *err, size_t errlen);

/* Drops the day partitions older than settings.retention_days; one
 * caller at a time (advisory lock; the others return at once). Returns
 * the number dropped, or -1 with err filled. */
int pgschema_prune(PGconn *db, char *err, size_t errlen);
