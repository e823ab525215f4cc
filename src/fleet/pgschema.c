// SPDX-License-Identifier: GPL-2.0-or-later
/* The fleet's schema in PostgreSQL: migrations, day partitions, retention
 * (pgschema.h says what each table is for). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgschema.h"

/* Any number, the same for every egressd: the migrations' lock. */
#define LOCK_MIGRATE "7245110101"
#define LOCK_PARTITION "7245110102"
#define LOCK_PRUNE "7245110103"

/* Step N brings the schema from version N-1 to N. */
static const char *const steps[] = {
	/* 1 */
	"CREATE TABLE settings("
	" key text PRIMARY KEY,"
	" value text NOT NULL);"
	"INSERT INTO settings VALUES ('retention_days', '90'),"
	" ('stale_after_s', '60');"

	"CREATE TABLE hosts("
	" host_id text PRIMARY KEY"
	"  CHECK (host_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),"
	" name text NOT NULL DEFAULT '',"
	" inner_addrs text[] NOT NULL DEFAULT '{}',"
	" outer_addrs text[] NOT NULL DEFAULT '{}',"
	" version text NOT NULL DEFAULT '',"
	" mode text NOT NULL DEFAULT '',"
	" counters jsonb NOT NULL DEFAULT '{}',"
	" list_version bigint NOT NULL DEFAULT 0,"
	" shipped_rev bigint NOT NULL DEFAULT 0,"
	" started timestamptz,"
	" last_seen timestamptz NOT NULL DEFAULT now());"

	/* Times are seconds since the epoch, as in each host's store; day
	 * is the host's local day of the aggregation. */
	"CREATE SEQUENCE events_id_seq;"
	"CREATE TABLE events("
	" id bigint NOT NULL DEFAULT nextval('events_id_seq'),"
	" host_id text NOT NULL,"
	" local_id bigint NOT NULL,"
	" day date NOT NULL,"
	" rev bigint NOT NULL,"
	" type text NOT NULL,"
	" subject text NOT NULL,"
	" container_id text NOT NULL DEFAULT '',"
	" container_name text NOT NULL DEFAULT '',"
	" image text NOT NULL DEFAULT '',"
	" host text NOT NULL DEFAULT '',"
	" process_path text NOT NULL DEFAULT '',"
	" process_user text NOT NULL DEFAULT '',"
	" first_seen bigint NOT NULL,"
	" last_seen bigint NOT NULL,"
	" count bigint NOT NULL,"
	" status text NOT NULL,"
	" action text NOT NULL DEFAULT '',"
	" rule_list text NOT NULL DEFAULT '',"
	" rule_source text NOT NULL DEFAULT '',"
	" rule_pattern text NOT NULL DEFAULT '',"
	" rule_category text NOT NULL DEFAULT '',"
	" detail text NOT NULL DEFAULT '',"
	" shipped timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (host_id, local_id, day)"
	") PARTITION BY RANGE (day);"
	/* The list's orders and filters (README: Fleet, the plans) */
	"CREATE INDEX events_last_seen ON events (last_seen DESC);"
	"CREATE INDEX events_status_last ON events (status, last_seen DESC);"
	"CREATE INDEX events_host_last ON events (host_id, last_seen DESC);"
	"CREATE INDEX events_container_last ON events"
	" (container_name, last_seen DESC);"
	"CREATE INDEX events_subject ON events (subject);"
	"CREATE INDEX events_id ON events (id);"

	/* A day's partition, made once: the lock keeps two hosts that
	 * ship the first event of a day from racing on the catalog, and
	 * one that waited for it still sees the catalog as before its
	 * wait (an advisory lock does not refresh it): the other's table
	 * is then "duplicate_table", which is success too. */
	"CREATE FUNCTION egressd_day_partition(d date) RETURNS boolean"
	" LANGUAGE plpgsql AS $$ DECLARE"
	"  n text := 'events_' || to_char(d, 'YYYYMMDD');"
	" BEGIN"
	"  IF to_regclass(n) IS NOT NULL THEN RETURN false; END IF;"
	"  PERFORM pg_advisory_xact_lock(" LOCK_PARTITION ");"
	"  IF to_regclass(n) IS NOT NULL THEN RETURN false; END IF;"
	"  BEGIN"
	"   EXECUTE format('CREATE TABLE %I PARTITION OF events"
	"    FOR VALUES FROM (%L) TO (%L)', n, d, d + 1);"
	"  EXCEPTION WHEN duplicate_table THEN RETURN false;"
	"  END;"
	"  RETURN true;"
	" END $$;"
	/* Retention: whole days go, by dropping their partitions (no
	 * vacuum of deleted rows); one pruner at a time. */
	"CREATE FUNCTION egressd_prune() RETURNS integer"
	" LANGUAGE plpgsql AS $$ DECLARE"
	"  keep integer; cutoff date; p record; n integer := 0;"
	" BEGIN"
	"  IF NOT pg_try_advisory_xact_lock(" LOCK_PRUNE ") THEN"
	"   RETURN 0; END IF;"
	"  SELECT value::integer INTO keep FROM settings"
	"   WHERE key = 'retention_days';"
	"  IF keep IS NULL OR keep < 1 THEN RETURN 0; END IF;"
	"  cutoff := current_date - keep;"
	"  FOR p IN SELECT c.relname FROM pg_inherits i"
	"   JOIN pg_class c ON c.oid = i.inhrelid"
	"   WHERE i.inhparent = 'events'::regclass"
	"   AND c.relname ~ '^events_[0-9]{8}$'"
	"   AND to_date(substr(c.relname, 8), 'YYYYMMDD') < cutoff LOOP"
	"   EXECUTE format('DROP TABLE %I', p.relname);"
	"   n := n + 1;"
	"  END LOOP;"
	"  DELETE FROM events_gone WHERE day < cutoff;"
	"  DELETE FROM commands WHERE state <> 'pending'"
	"   AND done < now() - make_interval(days => keep);"
	"  DELETE FROM audit WHERE time < now() - make_interval(days => keep);"
	"  RETURN n;"
	" END $$;"

	"CREATE TABLE events_gone("
	" host_id text NOT NULL,"
	" local_id bigint NOT NULL,"
	" day date NOT NULL,"
	" rev bigint NOT NULL,"
	" PRIMARY KEY (host_id, local_id, day));"

	/* One row: its lock makes list versions commit in order, so that a
	 * host reading "version > mine" never skips one committed later. */
	"CREATE TABLE list_head(version bigint NOT NULL);"
	"INSERT INTO list_head VALUES (0);"
	"CREATE TABLE list_entries("
	" id bigserial PRIMARY KEY,"
	" list text NOT NULL CHECK (list IN ('black', 'white')),"
	" pattern text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 300),"
	" note text NOT NULL DEFAULT '',"
	" created timestamptz NOT NULL DEFAULT now(),"
	" created_by text NOT NULL DEFAULT '',"
	" version bigint NOT NULL DEFAULT 0,"
	" deleted boolean NOT NULL DEFAULT false);"
	"CREATE UNIQUE INDEX list_entries_live ON list_entries (list, pattern)"
	" WHERE NOT deleted;"
	"CREATE INDEX list_entries_version ON list_entries (version);"
	"CREATE FUNCTION egressd_list_version() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE list_head SET version = version + 1"
	"   RETURNING version INTO NEW.version;"
	"  PERFORM pg_notify('" PGSCHEMA_CHAN_LISTS "', NEW.version::text);"
	"  RETURN NEW;"
	" END $$;"
	"CREATE TRIGGER list_entries_version BEFORE INSERT OR UPDATE"
	" ON list_entries FOR EACH ROW EXECUTE FUNCTION egressd_list_version();"

	"CREATE TABLE commands("
	" id bigserial PRIMARY KEY,"
	" host_id text NOT NULL,"
	" verb text NOT NULL CHECK (verb IN ('isolate', 'unisolate',"
	"  'handled', 'ignore', 'delete')),"
	" args jsonb NOT NULL DEFAULT '{}',"
	" created timestamptz NOT NULL DEFAULT now(),"
	" created_by text NOT NULL DEFAULT '',"
	" state text NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'done', 'failed')),"
	" result text NOT NULL DEFAULT '',"
	" done timestamptz);"
	"CREATE INDEX commands_pending ON commands (host_id, id)"
	" WHERE state = 'pending';"
	"CREATE FUNCTION egressd_command_notify() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	"  PERFORM pg_notify('" PGSCHEMA_CHAN_COMMANDS "', NEW.host_id);"
	"  RETURN NEW;"
	" END $$;"
	"CREATE TRIGGER commands_notify AFTER INSERT ON commands"
	" FOR EACH ROW EXECUTE FUNCTION egressd_command_notify();"

	"CREATE TABLE containers("
	" host_id text NOT NULL,"
	" container_id text NOT NULL,"
	" name text NOT NULL DEFAULT '',"
	" image text NOT NULL DEFAULT '',"
	" isolated boolean NOT NULL DEFAULT false,"
	" info jsonb NOT NULL DEFAULT '{}',"
	" updated timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (host_id, container_id));"

	"CREATE TABLE audit("
	" id bigserial PRIMARY KEY,"
	" time timestamptz NOT NULL DEFAULT now(),"
	" actor text NOT NULL DEFAULT '',"
	" host_id text NOT NULL DEFAULT '',"
	" action text NOT NULL,"
	" what text NOT NULL DEFAULT '');",

	/* 2: the console's filters by container and by domain (README:
	 * Fleet, the plans). Each is "the name, or an id prefix" and "the
	 * name, or a parent", an OR that no index of step 1 serves: on 1M
	 * events the planner walked the week's events by last_seen (436 ms
	 * and 630 ms); with these, a BitmapOr of two index scans a day
	 * (27 ms and 1.5 ms). C collation: a prefix (^@) is then a range of
	 * the index. */
	"CREATE INDEX events_container_id_last ON events"
	" ((container_id COLLATE \"C\"), last_seen DESC);"
	"CREATE INDEX events_subject_rev ON events"
	" ((reverse(subject) COLLATE \"C\"));"
	/* The overview's pending events and their containers, read from
	 * this small index alone (the operator's working set): 20,000
	 * pending of 1M took 0.7 s from the tables. */
	"CREATE INDEX events_pending ON events (host_id, container_id)"
	" WHERE status = 'pending';",

	/* 3: a host confined to its own rows. Every host holds its
	 * credentials on a machine an attacker may own: with the owner's
	 * role it could whitelist a name for the whole fleet, isolate
	 * another host's containers or rewrite its events. A role other
	 * than the schema's owner (README: Fleet, roles) may write only
	 * rows whose host_id is its own name, read the central lists and
	 * its own commands, and nothing of the audit; the owner (the
	 * console, the one that migrates) is not bound (row security does
	 * not apply to a table's owner). Day partitions are made and
	 * dropped by their functions, as the owner; a partition itself
	 * grants nothing, so no policy is bypassed through it. */
	"ALTER TABLE events ENABLE ROW LEVEL SECURITY;"
	"CREATE POLICY own_rows ON events USING (host_id = current_user)"
	" WITH CHECK (host_id = current_user);"
	"ALTER TABLE events_gone ENABLE ROW LEVEL SECURITY;"
	"CREATE POLICY own_rows ON events_gone USING (host_id = current_user)"
	" WITH CHECK (host_id = current_user);"
	"ALTER TABLE hosts ENABLE ROW LEVEL SECURITY;"
	"CREATE POLICY own_rows ON hosts USING (host_id = current_user)"
	" WITH CHECK (host_id = current_user);"
	"ALTER TABLE containers ENABLE ROW LEVEL SECURITY;"
	"CREATE POLICY own_rows ON containers USING (host_id = current_user)"
	" WITH CHECK (host_id = current_user);"
	"ALTER TABLE commands ENABLE ROW LEVEL SECURITY;"
	"CREATE POLICY own_read ON commands FOR SELECT"
	" USING (host_id = current_user);"
	"CREATE POLICY own_outcome ON commands FOR UPDATE"
	" USING (host_id = current_user) WITH CHECK (host_id = current_user);"
	"ALTER TABLE list_entries ENABLE ROW LEVEL SECURITY;"
	"CREATE POLICY read_all ON list_entries FOR SELECT USING (true);"
	"ALTER TABLE audit ENABLE ROW LEVEL SECURITY;"
	"GRANT SELECT, INSERT, UPDATE, DELETE ON events, events_gone, hosts,"
	" containers TO PUBLIC;"
	"GRANT SELECT, UPDATE ON commands TO PUBLIC;"
	"GRANT SELECT ON list_entries, settings, egressd_schema TO PUBLIC;"
	"GRANT USAGE ON SEQUENCE events_id_seq TO PUBLIC;"
	"ALTER FUNCTION egressd_day_partition(date) SECURITY DEFINER"
	" SET search_path = public, pg_temp;"
	"ALTER FUNCTION egressd_prune() SECURITY DEFINER"
	" SET search_path = public, pg_temp;",

	/* 4: which egressd holds a host id (its store's creation time): a
	 * second machine given the same id (a cloned image, the same host
	 * name) must not take the first one's rows and commands while the
	 * first is alive. */
	"ALTER TABLE hosts ADD COLUMN instance bigint NOT NULL DEFAULT 0;",
};

#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

_Static_assert(NSTEPS == PGSCHEMA_VERSION, "a step per version");

static int fail(PGresult *r, const char *what, PGconn *db, char *err,
		size_t errlen)
{
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(db);

	snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(m, "\n"), m);
	PQclear(r);
	return -1;
}

/* Runs sql (one or more statements); true if it succeeded. */
static int run(PGconn *db, const char *sql, const char *what, char *err,
	       size_t errlen)
{
	PGresult *r = PQexec(db, sql);
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return fail(r, what, db, err, errlen);
	PQclear(r);
	return 0;
}

/* The version recorded (0 for a new database), or -1. */
static int version_get(PGconn *db, char *err, size_t errlen)
{
	PGresult *r;
	int v;

	/* Made only where missing: a confined host's role may read it,
	 * not create tables. */
	r = PQexec(db, "SELECT to_regclass('egressd_schema') IS NULL");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return fail(r, "looking for the schema", db, err, errlen);
	v = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (v && run(db, "CREATE TABLE IF NOT EXISTS egressd_schema("
			 " version integer NOT NULL);",
		     "creating egressd_schema", err, errlen))
		return -1;
	r = PQexec(db, "SELECT coalesce(max(version), 0) FROM egressd_schema");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return fail(r, "reading the schema version", db, err, errlen);
	v = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static int migrate_locked(PGconn *db, char *err, size_t errlen)
{
	char sql[96];
	int v = version_get(db, err, errlen);

	if (v < 0)
		return -1;
	if (v > PGSCHEMA_VERSION) {
		snprintf(err, errlen, "the database's schema is version %d, "
			 "newer than this egressd's %d: upgrade egressd",
			 v, PGSCHEMA_VERSION);
		return -1;
	}
	for (; v < PGSCHEMA_VERSION; v++) {
		snprintf(sql, sizeof(sql), "schema step %d", v + 1);
		if (run(db, steps[v], sql, err, errlen))
			return -1;
		snprintf(sql, sizeof(sql), "DELETE FROM egressd_schema;"
			 "INSERT INTO egressd_schema VALUES (%d);", v + 1);
		if (run(db, sql, "recording the schema version", err, errlen))
			return -1;
	}
	return 0;
}

int pgschema_migrate(PGconn *db, char *err, size_t errlen)
{
	/* The whole migration is one transaction: all of it or none. */
	if (run(db, "BEGIN; SET LOCAL client_min_messages = warning;"
		"SELECT pg_advisory_xact_lock(" LOCK_MIGRATE ");",
		"locking the schema", err, errlen))
		return -1;
	if (migrate_locked(db, err, errlen)) {
		PQclear(PQexec(db, "ROLLBACK"));
		return -1;
	}
	return run(db, "COMMIT", "committing the schema", err, errlen);
}

int pgschema_partitions(PGconn *db, const char *from, const char *to,
			char *err, size_t errlen)
{
	const char *params[] = { from, to };
	PGresult *r = PQexecParams(
		db,
		"SELECT count(*) FILTER (WHERE egressd_day_partition(d::date))"
		" FROM generate_series($1::date, $2::date, '1 day') d",
		2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(r, "creating day partitions", db, err, errlen);
	PQclear(r);
	return 0;
}

int pgschema_prune(PGconn *db, char *err, size_t errlen)
{
	PGresult *r = PQexec(db, "SELECT egressd_prune()");
	int n;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return fail(r, "dropping old day partitions", db, err, errlen);
	n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}
