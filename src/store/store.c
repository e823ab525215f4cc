// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "egressd/addr.h"
#include "egressd/domain.h"

/* How long a connection waits for the other's write lock. */
#define STORE_BUSY_MS 5000
/* Names tried for a damaged store set aside within the same second
 * (".1" .. ".N" added) before giving up: more than that in one second is
 * a loop, not a damaged disk. */
#define STORE_ASIDE_TRIES 100
/* Seeks past a damaged region tried per table during a salvage. Each
 * doubles the distance (rowids are 64-bit: 63 reach past any region);
 * the cap bounds the work on a store damaged in many places. */
#define STORE_SALVAGE_PROBES_MAX 1024

struct store {
	sqlite3 *db;
};

/* SQLite's result codes as negative errnos, so that the caller can say
 * "disk full" or "store damaged" rather than "I/O error". */
static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CONSTRAINT:
		return rc == SQLITE_CONSTRAINT_UNIQUE ||
				       rc == SQLITE_CONSTRAINT_PRIMARYKEY
			       ? -EEXIST
			       : -EINVAL;
	default:
		return -EIO;
	}
}

static int exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_errno(rc);
}

/* Incremental auto-vacuum for a store made before it: set it, then one
 * VACUUM rebuilds the file with it (a new store gets it at creation,
 * before its first table, and skips this). VACUUM cannot run inside the
 * migration's transaction; done twice it is only slower. */
static int migrate_auto_vacuum(struct store *s, bool *ret_vacuumed)
{
	sqlite3_stmt *st;
	int mode = -1, r;

	if (sqlite3_prepare_v2(s->db, "PRAGMA auto_vacuum", -1, &st, NULL))
		return sql_errno(sqlite3_extended_errcode(s->db));
	if (sqlite3_step(st) == SQLITE_ROW)
		mode = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (mode == 2) /* INCREMENTAL */
		return 0;
	r = exec(s, "PRAGMA auto_vacuum=INCREMENTAL");
	if (!r)
		r = exec(s, "VACUUM");
	if (!r)
		*ret_vacuumed = true;
	return r;
}

/* Migrations: migrations[i] takes the schema from version i to i+1, by
 * its SQL in one transaction, or by its function (outside one). */
/* Image and host of events recorded before they had columns, from the
 * detail they kept (also after a salvage, which copies the old columns). */
#define EVENTS_BACKFILL                                                     \
	"UPDATE events SET"                                                 \
	" image = coalesce(json_extract(detail, '$.container.image'), ''),"  \
	" host = coalesce(json_extract(detail, '$.host.name'), '')"          \
	" WHERE image = '' AND host = '' AND json_valid(detail);"

/* The fleet's outbox (README: Fleet): every insert and every change of a
 * shipped column gives the event the store's next change number (rev);
 * what has a rev above fleet_state.shipped_rev is still to ship. The
 * trigger's own UPDATE touches rev alone, which is not in its OF list:
 * it never fires itself. */
#define EVENTS_REV_BUMP                                                     \
	" BEGIN UPDATE fleet_state SET rev = rev + 1;"                      \
	" UPDATE events SET rev = (SELECT rev FROM fleet_state)"            \
	"  WHERE id = NEW.id; END;"

static const struct migration {
	const char *sql;
	int (*fn)(struct store *s, bool *ret_vacuumed);
} migrations[] = {
	{ .sql = "CREATE TABLE events("
	  " id INTEGER PRIMARY KEY,"
	  " type TEXT NOT NULL,"
	  " subject TEXT NOT NULL,"
	  " container_id TEXT NOT NULL DEFAULT '',"
	  " container_name TEXT NOT NULL DEFAULT '',"
	  " process_path TEXT NOT NULL DEFAULT '',"
	  " process_user TEXT NOT NULL DEFAULT '',"
	  " day TEXT NOT NULL,"
	  " first_seen INTEGER NOT NULL,"
	  " last_seen INTEGER NOT NULL,"
	  " count INTEGER NOT NULL DEFAULT 1,"
	  " status TEXT NOT NULL DEFAULT 'pending',"
	  " action TEXT NOT NULL,"
	  " rule_list TEXT, rule_source TEXT, rule_pattern TEXT,"
	  " rule_category TEXT,"
	  " detail TEXT);"
	  "CREATE INDEX events_key ON events(container_id, subject,"
	  " process_path, process_user, day, status);"
	  "CREATE INDEX events_last ON events(last_seen);"
	  "CREATE TABLE lists("
	  " id INTEGER PRIMARY KEY,"
	  " list TEXT NOT NULL CHECK(list IN ('black', 'white')),"
	  " pattern TEXT NOT NULL,"
	  " note TEXT NOT NULL DEFAULT '',"
	  " created INTEGER NOT NULL,"
	  " created_by INTEGER NOT NULL,"
	  " UNIQUE(list, pattern));"
	  "CREATE TABLE audit("
	  " id INTEGER PRIMARY KEY,"
	  " time INTEGER NOT NULL,"
	  " uid INTEGER NOT NULL,"
	  " action TEXT NOT NULL,"
	  " what TEXT NOT NULL);" },
	/* 2: imported threat-intel feeds (the copies live in the state dir) */
	{ .sql = "CREATE TABLE imports("
	  " name TEXT PRIMARY KEY,"
	  " path TEXT NOT NULL,"
	  " format TEXT NOT NULL,"
	  " category TEXT NOT NULL,"
	  " entries INTEGER NOT NULL,"
	  " stripped INTEGER NOT NULL,"
	  " imported INTEGER NOT NULL,"
	  " imported_by INTEGER NOT NULL);" },
	/* 3: freed pages can go back to the file system (the disk budget) */
	{ .fn = migrate_auto_vacuum },
	/* 4: a feed imported as a whitelist may allow; any other may not */
	{ .sql = "ALTER TABLE imports ADD COLUMN list TEXT NOT NULL DEFAULT"
	  " 'black' CHECK(list IN ('black', 'white'));" },
	/* 5: the console filters events by image and host, names the
	 * console user in the audit, and counts events per day */
	{ .sql = "ALTER TABLE events ADD COLUMN image TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE events ADD COLUMN host TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT '';"
	  "CREATE INDEX events_day ON events(day);" EVENTS_BACKFILL },
	/* 6: the fleet: the change counter and the outbox (events by rev,
	 * the deletions to ship), what was shipped and applied, and the
	 * local copy of the central list entries. An older store's events
	 * take their ids as revs, so that they ship too. */
	{ .sql = "ALTER TABLE events ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;"
	  "UPDATE events SET rev = id;"
	  "CREATE INDEX events_rev ON events(rev);"
	  "CREATE TABLE fleet_state("
	  " id INTEGER PRIMARY KEY CHECK(id = 1),"
	  " rev INTEGER NOT NULL,"
	  " shipped_rev INTEGER NOT NULL DEFAULT 0,"
	  " list_version INTEGER NOT NULL DEFAULT 0,"
	  " created INTEGER NOT NULL);"
	  "INSERT INTO fleet_state(id, rev, created) VALUES (1,"
	  " (SELECT coalesce(max(id), 0) FROM events),"
	  " CAST(strftime('%s', 'now') AS INTEGER));"
	  "CREATE TABLE fleet_gone("
	  " local_id INTEGER NOT NULL,"
	  " day TEXT NOT NULL,"
	  " rev INTEGER NOT NULL,"
	  " PRIMARY KEY(local_id, day));"
	  "CREATE TABLE fleet_lists("
	  " id INTEGER PRIMARY KEY,"
	  " list TEXT NOT NULL CHECK(list IN ('black', 'white')),"
	  " pattern TEXT NOT NULL,"
	  " version INTEGER NOT NULL);"
	  "CREATE TRIGGER events_rev_insert AFTER INSERT ON events"
	  EVENTS_REV_BUMP
	  "CREATE TRIGGER events_rev_update AFTER UPDATE OF type, subject,"
	  " container_id, container_name, process_path, process_user, day,"
	  " first_seen, last_seen, count, status, action, rule_list,"
	  " rule_source, rule_pattern, rule_category, detail, image, host"
	  " ON events" EVENTS_REV_BUMP },
};

static int migrate_step(struct store *s, const struct migration *m,
			size_t to, bool *ret_vacuumed)
{
	char sql[64];
	int r;

	snprintf(sql, sizeof(sql), "PRAGMA user_version=%zu", to);
	if (m->fn) {
		r = m->fn(s, ret_vacuumed);
		return r ? r : exec(s, sql);
	}
	/* All of it, or none. */
	r = exec(s, "BEGIN IMMEDIATE");
	if (!r)
		r = exec(s, m->sql);
	if (!r)
		r = exec(s, sql);
	if (!r)
		r = exec(s, "COMMIT");
	if (r)
		exec(s, "ROLLBACK");
	return r;
}

static int migrate(struct store *s, bool *ret_vacuumed, char *err,
		   size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0, r;
	size_t want = sizeof(migrations) / sizeof(migrations[0]);

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
		return sql_errno(sqlite3_extended_errcode(s->db));
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > (int)want) {
		snprintf(err, errlen, "the store's schema %d is newer than this "
			 "egressd's (%zu)", version, want);
		return -EPROTO;
	}
	for (size_t v = (size_t)version; v < want; v++) {
		r = migrate_step(s, &migrations[v], v + 1, ret_vacuumed);
		if (r) {
			snprintf(err, errlen, "migrating the store to %zu: %s%s",
				 v + 1, sqlite3_errmsg(s->db),
				 r == -ENOSPC ? " (disk full)" : "");
			return r;
		}
	}
	return 0;
}

/* ---- opening ---- */

static const char *const store_suffixes[] = { "", "-wal", "-shm" };

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)   ? "a directory"
	       : S_ISLNK(m) ? "a symbolic link"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
			     : "a device";
}

/* Refuses a store file that is not a regular file: egressd follows no
 * symlink there (it would write where the link points), opens no FIFO
 * (that blocks the start) and removes nothing it did not make. lstat()
 * opens nothing. *ret_size is -1 when the file does not exist. */
static int store_file_check(const char *path, off_t *ret_size, char *err,
			    size_t errlen)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT) {
			*ret_size = -1;
			return 0;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is %s, not a regular file: egressd "
			 "neither follows nor removes it; move it away",
			 path, file_kind(st.st_mode));
		return -EINVAL;
	}
	*ret_size = st.st_size;
	return 0;
}

/* Checks the store's three files; returns egressd.db's size in *ret_size
 * (-1: none). */
static int store_files_check(const char *db, off_t *ret_size, char *err,
			     size_t errlen)
{
	char path[PATH_MAX];
	off_t size;
	int r;

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", db, store_suffixes[i]);
		r = store_file_check(path, &size, err, errlen);
		if (r)
			return r;
		if (!i)
			*ret_size = size;
	}
	return 0;
}

static int store_connect(struct store *s, const char *path, int flags,
			 char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(path, &s->db,
				 flags | SQLITE_OPEN_FULLMUTEX |
					 SQLITE_OPEN_NOFOLLOW,
				 NULL);

	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "cannot open");
		return sql_errno(rc);
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	return 0;
}

/* auto_vacuum first: it only takes effect before the first table. WAL:
 * readers never block the writer. synchronous=NORMAL: a commit survives
 * a crash of egressd (SIGKILL), the host's power loss may cost the last
 * ones. */
static int store_configure(struct store *s, const char *path, bool *vacuumed,
			   char *err, size_t errlen)
{
	int r = exec(s, "PRAGMA auto_vacuum=INCREMENTAL");

	if (!r)
		r = exec(s, "PRAGMA journal_mode=WAL");
	if (!r)
		r = exec(s, "PRAGMA synchronous=NORMAL");
	/* Sorts and temporary b-trees in memory: a temporary file needs a
	 * temp dir found with access(), which the sandbox refuses. */
	if (!r)
		r = exec(s, "PRAGMA temp_store=MEMORY");
	if (r) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		return r;
	}
	return migrate(s, vacuumed, err, errlen);
}

/* Returns 0 (ok), 1 (damaged: why says how) or a negative errno. Only
 * the first problem: quick_check lists up to 100, the first one after a
 * "*** in database main ***" line. */
static int store_quick_check(struct store *s, char *why, size_t whylen)
{
	static const char head[] = "*** in database ";
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
	int r = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (!t || strcmp(t, "ok")) {
			if (t && !strncmp(t, head, sizeof(head) - 1) &&
			    strchr(t, '\n'))
				t = strchr(t, '\n') + 1;
			snprintf(why, whylen, "%s", t ? t : "quick_check failed");
			why[strcspn(why, "\n")] = 0;
			r = 1;
		}
	} else if (sql_errno(rc) == -EBADMSG) {
		snprintf(why, whylen, "%s", sqlite3_errmsg(s->db));
		r = 1;
	} else {
		snprintf(why, whylen, "%s", sqlite3_errmsg(s->db));
		r = sql_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

static void store_free(struct store *s)
{
	if (s)
		sqlite3_close(s->db);
	free(s);
}

/* Closing the last connection checkpoints the -wal into the file and
 * deletes it. A damaged store's -wal with commits goes aside as found
 * instead; an empty one (SQLite made it at the open) goes as usual. */
static void store_keep_wal(struct store *s, const char *path)
{
	char wal[PATH_MAX + 8];
	off_t size;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (!store_file_check(wal, &size, NULL, 0) && size > 0)
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
				  NULL);
}

/* Opens and migrates; with rep, checks first. Returns 0, 1 (damaged:
 * rep->why says how) or a negative errno with err filled. */
static int store_try(const char *path, struct store **ret,
		     struct store_open_report *rep, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	bool vacuumed = false;
	int r;

	if (!s)
		return -ENOMEM;
	r = store_connect(s, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			  err, errlen);
	if (!r && rep) {
		r = store_quick_check(s, rep->why, sizeof(rep->why));
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, rep->why);
			rep->why[0] = 0; /* not damaged: could not check */
		}
	}
	if (!r)
		r = store_configure(s, path, &vacuumed, err, errlen);
	if (r == -EBADMSG && rep) {
		snprintf(rep->why, sizeof(rep->why), "%s", sqlite3_errmsg(s->db));
		r = 1;
	}
	if (r == 1)
		store_keep_wal(s, path);
	if (r) {
		store_free(s);
		return r;
	}
	if (rep)
		rep->vacuumed = vacuumed;
	*ret = s;
	return 0;
}

/* STATE_DIR/egressd.db into path (PATH_MAX, with room for a suffix of
 * reserve bytes), the dir made if needed, the files checked. */
static int db_path(const char *dir, char *path, size_t reserve, off_t *size,
		   char *err, size_t errlen)
{
	mkdir(dir, 0750);
	if (snprintf(path, PATH_MAX, "%s/egressd.db", dir) >=
	    (int)(PATH_MAX - reserve)) {
		snprintf(err, errlen, "%s: state dir path too long", dir);
		return -ENAMETOOLONG;
	}
	return store_files_check(path, size, err, errlen);
}

int store_open(const char *dir, struct store **ret, char *err, size_t errlen)
{
	char path[PATH_MAX];
	off_t size;
	int r;

	r = db_path(dir, path, 4, &size, err, errlen);
	if (r)
		return r;
	if (size == 0) {
		snprintf(err, errlen, "%s is empty (0 bytes): damaged; egressd "
			 "sets it aside at its start", path);
		return -EBADMSG;
	}
	return store_try(path, ret, NULL, err, errlen);
}

/* ---- a damaged store: set aside, salvaged ---- */

/* rename() that never replaces: renameat2(RENAME_NOREPLACE), or where the
 * file system lacks it, link() (which fails on an existing name) and
 * unlink(). */
static int rename_noreplace(const char *from, const char *to)
{
	if (!renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (link(from, to))
		return -errno;
	return unlink(from) ? -errno : 0;
}

/* A name for the set-aside store none of whose three files exists. */
static int aside_name(const char *db, char *out, size_t len)
{
	struct tm tm;
	time_t now = time(NULL);
	char stamp[32], path[PATH_MAX + 8];
	off_t size;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; i < STORE_ASIDE_TRIES; i++) {
		int n = i ? snprintf(out, len, "%s.damaged-%s.%d", db, stamp, i)
			  : snprintf(out, len, "%s.damaged-%s", db, stamp);
		bool free_name = true;
		if (n < 0 || (size_t)n + 5 > len)
			return -ENAMETOOLONG;
		for (size_t j = 0; j < 3 && free_name; j++) {
			snprintf(path, sizeof(path), "%s%s", out, store_suffixes[j]);
			free_name = !store_file_check(path, &size, NULL, 0) &&
				    size < 0;
		}
		if (free_name)
			return 0;
	}
	return -EEXIST;
}

/* Moves egressd.db and its -wal and -shm aside, together: a stale -wal
 * left behind would be replayed into the fresh store. */
static int store_set_aside(const char *db, char *aside, size_t len,
			   char *err, size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX + 8];
	int r = aside_name(db, aside, len);

	if (r) {
		snprintf(err, errlen, "setting the damaged store %s aside: %s",
			 db, r == -EEXIST ? "no free name" : "path too long");
		return r;
	}
	for (size_t i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s%s", db, store_suffixes[i]);
		snprintf(to, sizeof(to), "%s%s", aside, store_suffixes[i]);
		r = rename_noreplace(from, to);
		if (r && !(r == -ENOENT && i)) {
			snprintf(err, errlen, "setting the damaged store aside: "
				 "%s -> %s: %s", from, to, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* The tables salvaged, in this order, each by rowid. */
static const struct salvage_table {
	const char *name, *cols;
	int ncols;
} salvage_tables[] = {
	{ "lists", "list, pattern, note, created, created_by", 5 },
	{ "imports", "name, path, format, category, entries, stripped,"
		     " imported, imported_by", 8 },
	{ "audit", "time, uid, action, what", 4 },
	{ "events", "type, subject, container_id, container_name,"
		    " process_path, process_user, day, first_seen, last_seen,"
		    " count, status, action, rule_list, rule_source,"
		    " rule_pattern, rule_category, detail", 17 },
};

struct salvage {
	sqlite3_stmt *up, *down, *ins;
	int64_t rows, errors;
	int probes;
};

/* Copies the current row of sel into the fresh store. A row the fresh
 * store refuses (a constraint: a damaged row) is counted, not fatal. */
static void salvage_row(struct salvage *sv, sqlite3_stmt *sel)
{
	for (int c = 0; c < sqlite3_column_count(sel); c++)
		sqlite3_bind_value(sv->ins, c + 1, sqlite3_column_value(sel, c));
	if (sqlite3_step(sv->ins) == SQLITE_DONE &&
	    sqlite3_changes(sqlite3_db_handle(sv->ins)) > 0)
		sv->rows++;
	else
		sv->errors++;
	sqlite3_reset(sv->ins);
}

/* Reads rows upward from rowid > *last (or, down, from rowid < from down
 * to > *last) and copies them. Returns SQLITE_DONE or the read error. */
static int salvage_scan(struct salvage *sv, bool down, int64_t from,
			int64_t *last)
{
	sqlite3_stmt *sel = down ? sv->down : sv->up;
	int rc;

	sqlite3_reset(sel);
	sqlite3_bind_int64(sel, 1, down ? from : *last);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(sel, 0);
		if (down && id <= *last)
			return SQLITE_DONE;
		salvage_row(sv, sel);
		if (!down)
			*last = id;
	}
	return rc;
}

/* The first readable rowid past a damaged region after `last`, sought at
 * doubling distances; 0 when there is none (or none is found). */
static int64_t salvage_probe(struct salvage *sv, int64_t last)
{
	for (int i = 0; i < 63 && sv->probes < STORE_SALVAGE_PROBES_MAX;
	     i++, sv->probes++) {
		int64_t gap = (int64_t)1 << i;
		int rc;
		if (gap > INT64_MAX - last)
			break;
		sqlite3_reset(sv->up);
		sqlite3_bind_int64(sv->up, 1, last + gap);
		rc = sqlite3_step(sv->up);
		if (rc == SQLITE_ROW)
			return sqlite3_column_int64(sv->up, 0);
		if (rc == SQLITE_DONE)
			return 0;
	}
	return 0;
}

/* Reads a table by rowid as far as it can: upward until an error, then
 * past the damaged region, back down to it, and on upward. */
static void salvage_walk(struct salvage *sv)
{
	int64_t last = 0, next; /* egressd's rowids start at 1 */

	while (salvage_scan(sv, false, 0, &last) != SQLITE_DONE) {
		sv->errors++;
		next = salvage_probe(sv, last);
		if (!next)
			break;
		salvage_scan(sv, true, next, &last);
		last = next - 1;
	}
}

static int64_t salvage_table(sqlite3 *src, sqlite3 *dst,
			     const struct salvage_table *t, int64_t *errors)
{
	struct salvage sv = { 0 };
	char sql[1024], marks[128] = "?";
	int n;

	for (int i = 0; i < t->ncols; i++)
		strcat(marks, ",?");
	snprintf(sql, sizeof(sql), "SELECT rowid, %s FROM %s WHERE rowid > ?"
		 " ORDER BY rowid", t->cols, t->name);
	n = sqlite3_prepare_v2(src, sql, -1, &sv.up, NULL);
	snprintf(sql, sizeof(sql), "SELECT rowid, %s FROM %s WHERE rowid < ?"
		 " ORDER BY rowid DESC", t->cols, t->name);
	if (n == SQLITE_OK)
		n = sqlite3_prepare_v2(src, sql, -1, &sv.down, NULL);
	snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO %s(rowid, %s)"
		 " VALUES (%s)", t->name, t->cols, marks);
	if (n == SQLITE_OK && sqlite3_prepare_v2(dst, sql, -1, &sv.ins, NULL))
		n = SQLITE_INTERNAL;
	if (n == SQLITE_OK)
		salvage_walk(&sv);
	else if (n != SQLITE_ERROR) /* ERROR: an old schema without it */
		sv.errors++;
	sqlite3_finalize(sv.up);
	sqlite3_finalize(sv.down);
	sqlite3_finalize(sv.ins);
	*errors += sv.errors;
	return sv.rows;
}

/* Opens the set-aside store read-only and changes nothing next to it:
 * immutable (SQLite makes no -shm or -wal), unless it came with a
 * non-empty -wal, whose commits are part of it; then it is read through
 * the -wal and never checkpointed. */
static int salvage_open(struct store *src, const char *aside)
{
	char uri[3 * PATH_MAX + 32] = "file:", wal[PATH_MAX + 8];
	size_t n = strlen(uri);
	off_t size;

	snprintf(wal, sizeof(wal), "%s-wal", aside);
	if (!store_file_check(wal, &size, NULL, 0) && size > 0)
		return store_connect(src, aside, SQLITE_OPEN_READONLY, NULL, 0);
	/* A URI: every byte of the path but the unreserved ones escaped. */
	for (const unsigned char *p = (const unsigned char *)aside;
	     *p && n + 4 < sizeof(uri); p++)
		n += (size_t)snprintf(uri + n, sizeof(uri) - n,
				      isalnum(*p) || strchr("/-._~", *p) ? "%c"
									  : "%%%02X",
				      *p);
	snprintf(uri + n, sizeof(uri) - n, "?immutable=1");
	return store_connect(src, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
			     NULL, 0);
}

/* Copies what can be read of the set-aside store into the fresh one, in
 * one transaction. */
static int store_salvage(struct store *s, const char *aside,
			 struct store_open_report *rep)
{
	struct store src = { 0 };
	int64_t *counts[] = { &rep->salvaged.lists, &rep->salvaged.imports,
			      &rep->salvaged.audit, &rep->salvaged.events };
	int r = salvage_open(&src, aside);

	if (!r) {
		sqlite3_db_config(src.db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
				  NULL);
		/* Damaged cells are refused, not read past their page. */
		exec(&src, "PRAGMA cell_size_check=ON");
		r = exec(s, "BEGIN IMMEDIATE");
	}
	for (size_t i = 0; !r && i < 4; i++)
		*counts[i] = salvage_table(src.db, s->db, &salvage_tables[i],
					   &rep->salvaged.errors);
	if (!r)
		r = exec(s, EVENTS_BACKFILL);
	if (!r)
		r = exec(s, "COMMIT");
	if (r) {
		exec(s, "ROLLBACK");
		for (size_t i = 0; i < 4; i++)
			*counts[i] = 0;
	}
	sqlite3_close(src.db);
	return r;
}

/* The damaged store goes aside and a fresh one takes its place with what
 * could be salvaged. */
static int store_replace(const char *db, struct store **ret,
			 struct store_open_report *rep, char *err,
			 size_t errlen)
{
	struct store_open_report fresh = { 0 };
	int r = store_set_aside(db, rep->set_aside, sizeof(rep->set_aside),
				err, errlen);

	if (r)
		return r;
	rep->damaged = true;
	r = store_try(db, ret, &fresh, err, errlen);
	if (r == 1) { /* the fresh store already damaged: a failing disk */
		snprintf(err, errlen, "%s: new store damaged at once: %s", db,
			 fresh.why);
		return -EIO;
	}
	if (!r)
		rep->salvage_error = store_salvage(*ret, rep->set_aside, rep);
	return r;
}

int store_open_checked(const char *dir, struct store **ret,
		       struct store_open_report *rep, char *err, size_t errlen)
{
	char path[PATH_MAX];
	off_t size;
	int r;

	if (!rep)
		return store_open(dir, ret, err, errlen);
	memset(rep, 0, sizeof(*rep));
	r = db_path(dir, path, 40, &size, err, errlen);
	if (r)
		return r;
	/* egressd never leaves an empty one: the migration writes at once. */
	if (size == 0) {
		snprintf(rep->why, sizeof(rep->why), "egressd.db is empty (0 bytes)");
		r = 1;
	} else {
		r = store_try(path, ret, rep, err, errlen);
	}
	return r == 1 ? store_replace(path, ret, rep, err, errlen) : r;
}

void store_close(struct store *s)
{
	store_free(s);
}

/* ---- statements ---- */

/* Prepares sql and binds the arguments described by fmt: 't' text
 * (NULL binds ''), 'i' int64. */
static sqlite3_stmt *prep(struct store *s, const char *sql, const char *fmt,
			  ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i = 1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	/* A format that does not bind every parameter is a bug: refuse the
	 * statement rather than store NULLs. */
	if (sqlite3_bind_parameter_count(st) != (int)strlen(fmt)) {
		sqlite3_finalize(st);
		return NULL;
	}
	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++, i++) {
		if (*f == 't') {
			const char *v = va_arg(ap, const char *);
			sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
		} else {
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
		}
	}
	va_end(ap);
	return st;
}

/* Runs a statement that returns no rows; returns the changes or a
 * negative errno (a statement prep() refused: -EIO). */
static int run(struct store *s, sqlite3_stmt *st)
{
	int rc = st ? sqlite3_step(st) : sqlite3_extended_errcode(s->db);
	int r = rc == SQLITE_DONE ? sqlite3_changes(s->db) : sql_errno(rc);

	sqlite3_finalize(st);
	return r;
}

/* What a row weighs as text: its columns' bytes (a page's bound). */
static size_t row_bytes(sqlite3_stmt *st)
{
	size_t n = 0;

	for (int c = 0; c < sqlite3_column_count(st); c++)
		n += (size_t)sqlite3_column_bytes(st, c) + 16;
	return n;
}

/* A statement prep() returned NULL for: SQLite's error, or a bug (a
 * format that does not bind every parameter) as -EIO. */
static int prep_errno(struct store *s)
{
	int rc = sqlite3_extended_errcode(s->db);

	return rc == SQLITE_OK ? -EIO : sql_errno(rc);
}

/* The one integer st answers (finalized here). Returns 0 or a negative
 * errno (-EBADMSG: no row). */
static int scalar(struct store *s, sqlite3_stmt *st, int64_t *ret)
{
	int rc = st ? sqlite3_step(st) : SQLITE_OK;

	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW	 ? 0
	       : !st		 ? prep_errno(s)
	       : rc == SQLITE_DONE ? -EBADMSG
				 : sql_errno(rc);
}

/* ---- rows into structs ---- */

/* How a kind of row is read: into a struct of `size` bytes whose one
 * allocation, the block of its strings, is the char * at buf_off. */
struct row_kind {
	size_t size, buf_off;
	int (*fill)(sqlite3_stmt *st, void *row); /* 0 or -ENOMEM */
};

struct rows {
	void *v;
	size_t n, cap;
};

/* Copies the text of the columns cols[0..n) of the current row into one
 * block, each NUL-terminated, and points *out[i] at each ("" for NULL).
 * Returns the block, or NULL when out of memory. */
static char *row_strings(sqlite3_stmt *st, const int *cols,
			 const char **const *out, size_t n)
{
	size_t total = 0, len;
	char *buf, *p;

	for (size_t i = 0; i < n; i++) {
		/* text first, then bytes: the length of the text form */
		if (!sqlite3_column_text(st, cols[i]) &&
		    sqlite3_column_type(st, cols[i]) != SQLITE_NULL)
			return NULL; /* the conversion ran out of memory */
		total += (size_t)sqlite3_column_bytes(st, cols[i]) + 1;
	}
	p = buf = malloc(total);
	if (!buf)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *t = sqlite3_column_text(st, cols[i]);
		len = (size_t)sqlite3_column_bytes(st, cols[i]);
		if (len)
			memcpy(p, t, len);
		p[len] = 0;
		*out[i] = p;
		p += len + 1;
	}
	return buf;
}

static void rows_free(void *v, size_t n, const struct row_kind *k)
{
	for (size_t i = 0; i < n; i++)
		free(*(char **)((char *)v + i * k->size + k->buf_off));
	free(v);
}

static int rows_push(struct rows *r, const struct row_kind *k,
		     sqlite3_stmt *st)
{
	void *row;
	int e;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		void *v = reallocarray(r->v, cap, k->size);
		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	row = (char *)r->v + r->n * k->size;
	memset(row, 0, k->size);
	e = k->fill(st, row);
	if (!e)
		r->n++;
	return e;
}

/* The rows of st (finalized here): at most limit, and past the first at
 * most max_bytes of text (SIZE_MAX: no bound); *ret_more, if asked,
 * says whether rows were left. Every row or none: a step that fails
 * part-way must never pass for a shorter result. */
static int rows_read(struct store *s, sqlite3_stmt *st,
		     const struct row_kind *k, size_t limit, size_t max_bytes,
		     struct rows *ret, bool *ret_more)
{
	struct rows r = { 0 };
	size_t bytes = 0, b = 0;
	bool more = false;
	int rc = SQLITE_DONE, e = 0;

	if (!st)
		return prep_errno(s);
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (max_bytes != SIZE_MAX)
			b = row_bytes(st);
		/* The first row always: a page never comes back empty. */
		if (r.n == limit || (r.n && bytes + b > max_bytes)) {
			more = true;
			rc = SQLITE_DONE;
			break;
		}
		e = rows_push(&r, k, st);
		bytes += b;
	}
	sqlite3_finalize(st);
	if (!e && rc != SQLITE_DONE)
		e = sql_errno(rc);
	if (e) {
		rows_free(r.v, r.n, k);
		return e;
	}
	*ret = r;
	if (ret_more)
		*ret_more = more;
	return 0;
}

/* ---- events ---- */

static void local_day(int64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* A coalesced flood joins the event: its count added, the earliest first
 * and the latest last seen kept (a batch may arrive after a later one). */
static int64_t event_join(struct store *s, const struct store_occurrence *o,
			  int64_t count, int64_t first, const char *day,
			  const char *detail)
{
	sqlite3_stmt *st = prep(
		s,
		"UPDATE events SET last_seen=max(last_seen, ?),"
		" first_seen=min(first_seen, ?), count=count+?, action=?,"
		" detail=? WHERE id=(SELECT id FROM events WHERE"
		" container_id=? AND subject=? AND process_path=? AND"
		" process_user=? AND day=? AND status='pending' LIMIT 1)"
		" RETURNING id",
		"iiittttttt", o->time, first, count, o->action, detail,
		o->container_id, o->subject, o->process_path, o->process_user,
		day);
	int rc = st ? sqlite3_step(st) : sqlite3_extended_errcode(s->db);
	int64_t id = rc == SQLITE_ROW	 ? sqlite3_column_int64(st, 0)
		     : rc == SQLITE_DONE ? 0
					 : sql_errno(rc);

	sqlite3_finalize(st);
	return id;
}

static int64_t event_insert(struct store *s, const struct store_occurrence *o,
			    int64_t count, int64_t first, const char *day,
			    const char *detail)
{
	int r = run(s, prep(s,
			    "INSERT INTO events(type, subject, container_id,"
			    " container_name, process_path, process_user, day,"
			    " first_seen, last_seen, count, action, rule_list,"
			    " rule_source, rule_pattern, rule_category, detail,"
			    " image, host)"
			    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			    "tttttttiiitttttttt", o->type, o->subject,
			    o->container_id, o->container_name,
			    o->process_path, o->process_user, day, first,
			    o->time, count, o->action, o->rule_list,
			    o->rule_source, o->rule_pattern, o->rule_category,
			    detail, o->image, o->host));

	return r > 0 ? sqlite3_last_insert_rowid(s->db) : r < 0 ? r : -EIO;
}

int64_t store_event_record(struct store *s, const struct store_occurrence *o,
			   bool *ret_new)
{
	int64_t count = o->count ? o->count : 1;
	int64_t first = o->first_time ? o->first_time : o->time;
	char day[11];
	bool fresh;
	int64_t id;

	if (count < 0 || first > o->time)
		return -EINVAL;
	local_day(o->time, day);
	id = event_join(s, o, count, first, day, o->detail);
	fresh = !id;
	if (fresh)
		id = event_insert(s, o, count, first, day, o->detail);
	if (id > 0)
		*ret_new = fresh;
	return id;
}

/* Runs st (finalized here), calling fn for each row. Returns 0 or a
 * negative errno: every row or an error. */
static int each_row(struct store *s, sqlite3_stmt *st,
		    void (*fn)(sqlite3_stmt *st, struct store_overview *o),
		    struct store_overview *o)
{
	int rc;

	if (!st)
		return prep_errno(s);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(st, o);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

static const char *col_text(sqlite3_stmt *st, int c)
{
	const unsigned char *t = sqlite3_column_text(st, c);

	return t ? (const char *)t : "";
}

static void ov_counts(sqlite3_stmt *st, struct store_overview *o)
{
	o->pending = sqlite3_column_int64(st, 0);
	o->containers = sqlite3_column_int64(st, 1);
	o->events_window = sqlite3_column_int64(st, 2);
	o->blocked_window = sqlite3_column_int64(st, 3);
}

/* A (day, category, events) row into its day; past OVERVIEW_CATS - 1
 * categories, the rest add up in "other". */
static void ov_day(sqlite3_stmt *st, struct store_overview *o)
{
	const char *day = col_text(st, 0), *cat = col_text(st, 1);
	int64_t n = sqlite3_column_int64(st, 2);
	struct store_overview_day *d = NULL;
	size_t i;

	for (i = 0; i < OVERVIEW_DAYS && !d; i++)
		if (!strcmp(o->days[i].day, day))
			d = &o->days[i];
	if (!d)
		return;
	d->total += n;
	if (!*cat)
		cat = "other";
	for (i = 0; i < d->ncats; i++)
		if (!strcmp(d->cats[i].name, cat))
			break;
	if (i == d->ncats && d->ncats == OVERVIEW_CATS - 1)
		cat = "other";
	for (i = 0; i < d->ncats; i++)
		if (!strcmp(d->cats[i].name, cat))
			break;
	if (i == d->ncats) {
		snprintf(d->cats[i].name, sizeof(d->cats[i].name), "%s", cat);
		d->ncats++;
	}
	d->cats[i].n += n;
}

static void ov_domain(sqlite3_stmt *st, struct store_overview *o)
{
	size_t i = o->ndomains++;

	snprintf(o->domains[i].name, sizeof(o->domains[i].name), "%s",
		 col_text(st, 0));
	o->domains[i].events = sqlite3_column_int64(st, 1);
	o->domains[i].hits = sqlite3_column_int64(st, 2);
}

static void ov_container(sqlite3_stmt *st, struct store_overview *o)
{
	size_t i = o->ncontainers++;

	snprintf(o->containers_top[i].id, sizeof(o->containers_top[i].id), "%s",
		 col_text(st, 0));
	snprintf(o->containers_top[i].name, sizeof(o->containers_top[i].name),
		 "%s", col_text(st, 1));
	o->containers_top[i].events = sqlite3_column_int64(st, 2);
}

/* The window's local days, oldest first (mktime walks back over DST). */
static void ov_days(int64_t now, struct store_overview *o)
{
	time_t t = (time_t)now;
	struct tm tm;

	for (int i = 0; i < OVERVIEW_DAYS; i++) {
		localtime_r(&t, &tm);
		tm.tm_mday -= OVERVIEW_DAYS - 1 - i;
		tm.tm_hour = 12;
		tm.tm_isdst = -1;
		time_t d = mktime(&tm);
		local_day((int64_t)d, o->days[i].day);
	}
}

int store_events_overview(struct store *s, int64_t now,
			  struct store_overview *ret)
{
	struct store_overview o = { 0 };
	const char *from;
	int e;

	ov_days(now, &o);
	from = o.days[0].day;
	e = each_row(s, prep(s, "SELECT"
			" (SELECT count(*) FROM events WHERE status='pending'),"
			" (SELECT count(DISTINCT container_id) FROM events"
			"  WHERE status='pending'),"
			" (SELECT count(*) FROM events WHERE day >= ?1),"
			" (SELECT count(*) FROM events WHERE day >= ?1"
			"  AND action='blocked')", "t", from),
		     ov_counts, &o);
	if (!e)
		e = each_row(s, prep(s, "SELECT day, rule_category, count(*)"
				" FROM events WHERE day >= ? GROUP BY day,"
				" rule_category ORDER BY count(*) DESC", "t",
				from), ov_day, &o);
	if (!e)
		e = each_row(s, prep(s, "SELECT subject, count(*), sum(count)"
				" FROM events WHERE day >= ? GROUP BY subject"
				" ORDER BY count(*) DESC, sum(count) DESC,"
				" subject LIMIT ?", "ti", from,
				(int64_t)OVERVIEW_TOP), ov_domain, &o);
	if (!e)
		e = each_row(s, prep(s, "SELECT container_id,"
				" max(container_name), count(*) FROM events"
				" WHERE day >= ? GROUP BY container_id ORDER BY"
				" count(*) DESC, container_id LIMIT ?", "ti",
				from, (int64_t)OVERVIEW_TOP), ov_container, &o);
	if (!e)
		*ret = o;
	return e;
}

/* The events' columns as read, in the order of enum event_col. */
#define EVENT_COLUMNS                                                       \
	"id, type, subject, container_id, container_name, process_path,"    \
	" process_user, day, first_seen, last_seen, count, status, action," \
	" rule_list, rule_source, rule_pattern, rule_category, image, host"

enum event_col {
	EV_ID, EV_TYPE, EV_SUBJECT, EV_CONTAINER_ID, EV_CONTAINER_NAME,
	EV_PROCESS_PATH, EV_PROCESS_USER, EV_DAY, EV_FIRST_SEEN, EV_LAST_SEEN,
	EV_COUNT, EV_STATUS, EV_ACTION, EV_RULE_LIST, EV_RULE_SOURCE,
	EV_RULE_PATTERN, EV_RULE_CATEGORY, EV_IMAGE, EV_HOST,
	EV_DETAIL, /* store_event_get only */
};

static int event_fill(sqlite3_stmt *st, void *row)
{
	static const int cols[] = {
		EV_TYPE, EV_SUBJECT, EV_CONTAINER_ID, EV_CONTAINER_NAME,
		EV_PROCESS_PATH, EV_PROCESS_USER, EV_DAY, EV_STATUS, EV_ACTION,
		EV_RULE_LIST, EV_RULE_SOURCE, EV_RULE_PATTERN, EV_RULE_CATEGORY,
		EV_IMAGE, EV_HOST, EV_DETAIL,
	};
	struct store_event *e = row;
	const char **const out[] = {
		&e->type, &e->subject, &e->container_id, &e->container_name,
		&e->process_path, &e->process_user, &e->day, &e->status,
		&e->action, &e->rule_list, &e->rule_source, &e->rule_pattern,
		&e->rule_category, &e->image, &e->host, &e->detail,
	};
	size_t n = sizeof(cols) / sizeof(cols[0]);

	if (sqlite3_column_count(st) <= EV_DETAIL)
		n--; /* a list: no detail, which stays NULL */
	e->id = sqlite3_column_int64(st, EV_ID);
	e->first_seen = sqlite3_column_int64(st, EV_FIRST_SEEN);
	e->last_seen = sqlite3_column_int64(st, EV_LAST_SEEN);
	e->count = sqlite3_column_int64(st, EV_COUNT);
	e->buf = row_strings(st, cols, out, n);
	return e->buf ? 0 : -ENOMEM;
}

static const struct row_kind event_kind = {
	sizeof(struct store_event), offsetof(struct store_event, buf),
	event_fill,
};

void store_event_release(struct store_event *e)
{
	if (!e)
		return;
	free(e->buf);
	e->buf = NULL;
}

/* The filter's conditions, parameters ?1..?7. Suffix and prefix tests by
 * substr(), not LIKE: a '%' or '_' in what the operator typed must not
 * widen the match. */
#define EVENT_WHERE                                                        \
	" WHERE last_seen >= ?1 AND last_seen <= ?2"                       \
	" AND (?3 = '' OR status = ?3)"                                    \
	" AND (?4 = '' OR container_name = ?4"                             \
	"      OR substr(container_id, 1, length(?4)) = ?4)"               \
	" AND (?5 = '' OR subject = ?5"                                    \
	"      OR substr(subject, -length(?5) - 1) = '.' || ?5)"           \
	" AND (?6 = '' OR image = ?6 OR substr(image, 1, length(?6)) = ?6)" \
	" AND (?7 = '' OR host = ?7)"

/* ORDER BY of each enum event_sort, newest or largest first; the id
 * breaks ties so that pages never overlap. */
static const char *const event_orders[][2] = {
	[EVENT_SORT_LAST_SEEN] = { "last_seen", "id" },
	[EVENT_SORT_FIRST_SEEN] = { "first_seen", "id" },
	[EVENT_SORT_COUNT] = { "count", "id" },
	[EVENT_SORT_DOMAIN] = { "subject", "id" },
	[EVENT_SORT_CONTAINER] = { "container_name", "id" },
};

int store_events_list(struct store *s, const struct event_filter *f,
		      struct store_events *ret)
{
	const char *dir = f->ascending ? "ASC" : "DESC";
	unsigned k = (unsigned)f->sort < 5 ? (unsigned)f->sort : 0;
	char sql[1024];
	struct rows r;
	int e;

	snprintf(sql, sizeof(sql),
		 "SELECT " EVENT_COLUMNS " FROM events" EVENT_WHERE
		 " ORDER BY %s %s, %s %s LIMIT ?8 OFFSET ?9",
		 event_orders[k][0], dir, event_orders[k][1], dir);
	e = rows_read(s,
		      prep(s, sql, "iitttttii", f->from, f->to, f->status,
			   f->container, f->domain, f->image, f->host,
			   f->limit, f->offset),
		      &event_kind, SIZE_MAX, SIZE_MAX, &r, NULL);
	if (!e)
		*ret = (struct store_events){ r.v, r.n };
	return e;
}

int store_events_count(struct store *s, const struct event_filter *f,
		       int64_t *ret)
{
	return scalar(s,
		      prep(s, "SELECT count(*) FROM events" EVENT_WHERE,
			   "iittttt", f->from, f->to, f->status, f->container,
			   f->domain, f->image, f->host),
		      ret);
}

void store_events_release(struct store_events *l)
{
	if (!l)
		return;
	rows_free(l->v, l->n, &event_kind);
	l->v = NULL;
	l->n = 0;
}

int store_event_get(struct store *s, int64_t id, struct store_event *ret)
{
	sqlite3_stmt *st = prep(s, "SELECT " EVENT_COLUMNS ", detail FROM"
				   " events WHERE id = ?",
				"i", id);
	struct rows r;
	int e = rows_read(s, st, &event_kind, 1, SIZE_MAX, &r, NULL);

	if (e)
		return e;
	if (r.n)
		*ret = *(struct store_event *)r.v;
	free(r.v);
	return r.n ? 0 : -ENOENT;
}

int store_event_set_status(struct store *s, int64_t id, const char *status)
{
	int r = run(s, prep(s, "UPDATE events SET status=? WHERE id=?", "ti",
			    status, id));

	return r < 0 ? r : r ? 0 : -ENOENT;
}

/* The deletion is an outbox row too (fleet_gone, with the next rev);
 * retention and the disk budget delete without one: the fleet keeps
 * those events by its own retention. */
int store_event_delete(struct store *s, int64_t id)
{
	int r = exec(s, "BEGIN IMMEDIATE");

	if (!r)
		r = run(s, prep(s, "UPDATE fleet_state SET rev = rev + 1", ""));
	if (r >= 0)
		r = run(s, prep(s,
				"INSERT OR REPLACE INTO fleet_gone(local_id, day,"
				" rev) SELECT id, day, (SELECT rev FROM"
				" fleet_state) FROM events WHERE id = ?",
				"i", id));
	if (r > 0)
		r = run(s, prep(s, "DELETE FROM events WHERE id=?", "i", id));
	if (r > 0)
		return exec(s, "COMMIT");
	exec(s, "ROLLBACK");
	return r < 0 ? r : -ENOENT;
}

int store_events_whitelist_pending(struct store *s, const char *pattern)
{
	if (!strncmp(pattern, "*.", 2))
		return run(s, prep(s,
				   "UPDATE events SET status='whitelisted'"
				   " WHERE status='pending' AND type='domain'"
				   " AND substr(subject, -length(?1) - 1) = '.' || ?1",
				   "t", pattern + 2));
	return run(s, prep(s,
			   "UPDATE events SET status='whitelisted' WHERE"
			   " status='pending' AND subject = ?",
			   "t", pattern));
}

/* The deletions to ship of days before the cutoff go too: without a
 * fleet nothing ships them, and an event that old is past retention
 * anyway. */
int store_prune(struct store *s, int64_t before)
{
	char day[11];
	int r = run(s, prep(s, "DELETE FROM events WHERE last_seen < ?", "i",
			    before));

	local_day(before, day);
	if (r >= 0) {
		int g = run(s, prep(s, "DELETE FROM fleet_gone WHERE day < ?",
				    "t", day));
		if (g < 0)
			return g;
	}
	return r;
}

/* ---- lists ---- */

int64_t store_list_add(struct store *s, const char *list, const char *pattern,
		       const char *note, uint32_t uid)
{
	sqlite3_stmt *st = prep(s,
				"INSERT INTO lists(list, pattern, note, created,"
				" created_by) VALUES (?,?,?,?,?)",
				"tttii", list, pattern, note,
				(int64_t)time(NULL), (int64_t)uid);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;

	sqlite3_finalize(st);
	/* A duplicate is -EEXIST (UNIQUE(list, pattern)). */
	return rc == SQLITE_DONE ? sqlite3_last_insert_rowid(s->db)
				 : sql_errno(rc);
}

static int list_entry_fill(sqlite3_stmt *st, void *row)
{
	static const int cols[] = { 1, 2 };
	struct store_list_entry *l = row;
	const char **const out[] = { &l->pattern, &l->note };

	l->id = sqlite3_column_int64(st, 0);
	l->created = sqlite3_column_int64(st, 3);
	l->created_by = (uint32_t)sqlite3_column_int64(st, 4);
	l->buf = row_strings(st, cols, out, 2);
	return l->buf ? 0 : -ENOMEM;
}

static const struct row_kind list_entry_kind = {
	sizeof(struct store_list_entry), offsetof(struct store_list_entry, buf),
	list_entry_fill,
};

int store_list_get(struct store *s, const char *list, int64_t after,
		   int64_t limit, size_t max_bytes, struct store_list_page *ret)
{
	struct rows r;
	bool more;
	int e;

	if (limit < 1 || limit == INT64_MAX)
		return -EINVAL;
	/* One row past the limit: whether more follow. */
	e = rows_read(s, prep(s, "SELECT id, pattern, note, created, created_by"
				 " FROM lists WHERE list = ? AND id > ? ORDER"
				 " BY id LIMIT ?",
			      "tii", list, after, limit + 1),
		      &list_entry_kind, (size_t)limit, max_bytes, &r, &more);
	if (!e)
		*ret = (struct store_list_page){ r.v, r.n, more };
	return e;
}

void store_list_page_release(struct store_list_page *p)
{
	if (!p)
		return;
	rows_free(p->v, p->n, &list_entry_kind);
	p->v = NULL;
	p->n = 0;
}

int store_list_remove(struct store *s, const char *list, int64_t id)
{
	int r = run(s, prep(s, "DELETE FROM lists WHERE list = ? AND id = ?",
			    "ti", list, id));

	return r < 0 ? r : r ? 0 : -ENOENT;
}

static int append(char **buf, size_t *len, const char *line)
{
	size_t n = strlen(line);
	char *p = realloc(*buf, *len + n + 2);

	if (!p)
		return -ENOMEM;
	memcpy(p + *len, line, n);
	p[*len + n] = '\n';
	*len += n + 1;
	p[*len] = 0;
	*buf = p;
	return 0;
}

/* The patterns of st's first column as list-file text (st finalized). */
static int list_text(struct store *s, sqlite3_stmt *st, char **ret_domains,
		     char **ret_networks)
{
	char *dom = calloc(1, 1), *net = calloc(1, 1);
	size_t dl = 0, nl = 0;
	int r = st && dom && net ? 0 : -ENOMEM, rc = SQLITE_DONE;

	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		struct ip_addr a;
		unsigned plen;
		if (!p) /* NOT NULL: the text conversion ran out of memory */
			r = -ENOMEM;
		else
			r = ip_cidr_parse(p, &a, &plen) ? append(&dom, &dl, p)
							: append(&net, &nl, p);
	}
	/* A step that failed part-way is an error: a partial list of the
	 * operator's entries must never go into the policy. */
	if (!r && rc != SQLITE_DONE)
		r = sql_errno(rc);
	sqlite3_finalize(st);
	if (r) {
		free(dom);
		free(net);
		return r;
	}
	*ret_domains = dom;
	*ret_networks = net;
	return 0;
}

int store_list_text(struct store *s, const char *list, char **ret_domains,
		    char **ret_networks)
{
	return list_text(s, prep(s, "SELECT pattern FROM lists WHERE list = ?",
				 "t", list),
			 ret_domains, ret_networks);
}

/* ---- audit ---- */

int store_audit(struct store *s, uint32_t uid, const char *actor,
		const char *action, const char *what)
{
	int r = run(s, prep(s,
			    "INSERT INTO audit(time, uid, actor, action, what)"
			    " VALUES (?,?,?,?,?)",
			    "iittt", (int64_t)time(NULL), (int64_t)uid, actor,
			    action, what));

	return r < 0 ? r : 0;
}

static int audit_line_fill(sqlite3_stmt *st, void *row)
{
	static const int cols[] = { 3, 4, 5 };
	struct store_audit_line *a = row;
	const char **const out[] = { &a->action, &a->what, &a->actor };

	a->id = sqlite3_column_int64(st, 0);
	a->time = sqlite3_column_int64(st, 1);
	a->uid = (uint32_t)sqlite3_column_int64(st, 2);
	a->buf = row_strings(st, cols, out, 3);
	return a->buf ? 0 : -ENOMEM;
}

static const struct row_kind audit_line_kind = {
	sizeof(struct store_audit_line), offsetof(struct store_audit_line, buf),
	audit_line_fill,
};

int store_audit_get(struct store *s, int64_t before, int64_t limit,
		    struct store_audit_page *ret)
{
	struct rows r;
	int e = rows_read(s, prep(s, "SELECT id, time, uid, action, what,"
				     " actor FROM audit WHERE id < ? ORDER BY id"
				     " DESC LIMIT ?",
				  "ii", before, limit),
			  &audit_line_kind, SIZE_MAX, SIZE_MAX, &r, NULL);

	if (!e)
		*ret = (struct store_audit_page){ r.v, r.n };
	return e;
}

void store_audit_page_release(struct store_audit_page *p)
{
	if (!p)
		return;
	rows_free(p->v, p->n, &audit_line_kind);
	p->v = NULL;
	p->n = 0;
}

/* ---- imported feeds ---- */

int store_import_put(struct store *s, const struct store_import *im)
{
	int r = run(s, prep(s,
			    "INSERT OR REPLACE INTO imports(name, path, format,"
			    " category, entries, stripped, imported, imported_by,"
			    " list) VALUES (?,?,?,?,?,?,?,?,?)",
			    "ttttiiiit", im->name, im->path, im->format,
			    im->category, im->entries, im->stripped,
			    (int64_t)time(NULL), (int64_t)im->uid,
			    im->white ? "white" : "black"));

	return r < 0 ? r : 0;
}

static int import_fill(sqlite3_stmt *st, void *row)
{
	static const int cols[] = { 0, 1, 2, 3, 8 };
	struct store_import *im = row;
	const char *list;
	const char **const out[] = { &im->name, &im->path, &im->format,
				     &im->category, &list };

	im->entries = sqlite3_column_int64(st, 4);
	im->stripped = sqlite3_column_int64(st, 5);
	im->imported = sqlite3_column_int64(st, 6);
	im->uid = (uint32_t)sqlite3_column_int64(st, 7);
	im->buf = row_strings(st, cols, out, 5);
	if (!im->buf)
		return -ENOMEM;
	im->white = !strcmp(list, "white");
	return 0;
}

static const struct row_kind import_kind = {
	sizeof(struct store_import), offsetof(struct store_import, buf),
	import_fill,
};

int store_imports_get(struct store *s, struct store_imports *ret)
{
	struct rows r;
	int e = rows_read(s, prep(s, "SELECT name, path, format, category,"
				     " entries, stripped, imported, imported_by,"
				     " list FROM imports ORDER BY name",
				  ""),
			  &import_kind, SIZE_MAX, SIZE_MAX, &r, NULL);

	if (!e)
		*ret = (struct store_imports){ r.v, r.n };
	return e;
}

void store_imports_release(struct store_imports *im)
{
	if (!im)
		return;
	rows_free(im->v, im->n, &import_kind);
	im->v = NULL;
	im->n = 0;
}

/* ---- space ---- */

/* Events deleted per batch when the state dir is over its budget: at
 * ~1.9 KB per event across store, WAL and JSONL, 500 is ~1 MB, so the
 * usage is measured again often enough not to delete far past the
 * target, and a batch's WAL stays small on a nearly full disk. */
#define STORE_BUDGET_BATCH 500

/* Which share of the state dir a file of it is: the store's three files,
 * the export and its rotation (egressd can shrink or remove those), or
 * anything else (set-aside damaged stores, isolation.json, the lock). */
static uint64_t *usage_slot(struct store_usage *u, const char *name)
{
	if (!strcmp(name, "egressd.db") || !strcmp(name, "egressd.db-wal") ||
	    !strcmp(name, "egressd.db-shm"))
		return &u->store;
	if (!strcmp(name, "events.jsonl") || !strcmp(name, "events.jsonl.1"))
		return &u->export;
	return &u->other;
}

/* Adds the blocks of the regular files in the directory dfd; all of them
 * to *all when given, else each to its share. */
static int dir_usage(int dfd, struct store_usage *u, uint64_t *all)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d); /* the dup shares dfd's offset */
	while ((de = readdir(d)))
		if (!fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode))
			*(all ? all : usage_slot(u, de->d_name)) +=
				(uint64_t)st.st_blocks * 512;
	closedir(d);
	return 0;
}

int store_state_usage_split(const char *dir, struct store_usage *ret)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), sub;
	struct store_usage u = { 0 };
	int r;

	if (dfd < 0)
		return -errno;
	r = dir_usage(dfd, &u, NULL);
	/* imported/ is egressd's; a symlink there is not followed. */
	sub = openat(dfd, "imported",
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (!r && sub >= 0)
		r = dir_usage(sub, &u, &u.feeds);
	else if (!r && errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
		r = -errno;
	if (sub >= 0)
		close(sub);
	close(dfd);
	if (!r)
		*ret = u;
	return r;
}

uint64_t store_usage_total(const struct store_usage *u)
{
	return u->store + u->export + u->feeds + u->other;
}

int store_state_usage(const char *dir, uint64_t *ret_bytes)
{
	struct store_usage u;
	int r = store_state_usage_split(dir, &u);

	if (!r)
		*ret_bytes = store_usage_total(&u);
	return r;
}

static void budget_count(struct store_budget_report *rep, const char *status)
{
	if (!strcmp(status, "pending"))
		rep->deleted_pending++;
	else if (!strcmp(status, "handled"))
		rep->deleted_handled++;
	else if (!strcmp(status, "ignored"))
		rep->deleted_ignored++;
	else if (!strcmp(status, "whitelisted"))
		rep->deleted_whitelisted++;
	else
		rep->deleted_other++;
}

/* Deletes the oldest batch of settled events, or when there is none and
 * pending may go, of pending ones. Returns how many, or a negative errno. */
static int budget_delete_batch(struct store *s, bool pending,
			       struct store_budget_report *rep)
{
	static const char *const classes[] = { "status <> 'pending'",
					       "status = 'pending'" };
	char sql[256];
	int n = 0, rc = SQLITE_DONE;

	for (size_t c = 0; c < (pending ? 2u : 1u) && !n; c++) {
		snprintf(sql, sizeof(sql),
			 "DELETE FROM events WHERE id IN (SELECT id FROM events"
			 " WHERE %s ORDER BY last_seen, id LIMIT ?)"
			 " RETURNING status", classes[c]);
		sqlite3_stmt *st = prep(s, sql, "i", (int64_t)STORE_BUDGET_BATCH);
		if (!st)
			return sql_errno(sqlite3_extended_errcode(s->db));
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			budget_count(rep, (const char *)sqlite3_column_text(st, 0));
			n++;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sql_errno(rc);
	}
	return n;
}

/* Gives the freed pages back to the file system: incremental_vacuum
 * moves them to the end and truncates (in the WAL), the TRUNCATE
 * checkpoint writes that to the file and empties the WAL. A reader in
 * another connection longer than the busy timeout makes it -EBUSY: the
 * WAL would still count, and deleting on would delete for nothing. */
static int budget_release(struct store *s)
{
	int r = exec(s, "PRAGMA incremental_vacuum");

	if (r)
		return r;
	r = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
				      NULL, NULL);
	return r == SQLITE_OK ? 0 : sql_errno(r);
}

/* The usage into the report: its total, and what egressd cannot delete. */
static int budget_measure(const char *dir, struct store_usage *u,
			  struct store_budget_report *rep)
{
	int r = store_state_usage_split(dir, u);

	if (r)
		return r;
	rep->bytes_after = store_usage_total(u);
	rep->feeds = u->feeds;
	rep->other = u->other;
	return 0;
}

int store_budget_enforce(struct store *s, const char *dir, uint64_t max_bytes,
			 struct store_budget_report *rep)
{
	uint64_t target = max_bytes / 10 * 9 + max_bytes % 10 * 9 / 10;
	struct store_usage u;
	int r, n;

	memset(rep, 0, sizeof(*rep));
	r = budget_measure(dir, &u, rep);
	rep->bytes_before = rep->bytes_after;
	if (r || rep->bytes_before <= max_bytes)
		return r;
	while (rep->bytes_after > target) {
		/* Settled events make room for anything; pending ones only
		 * while the events' own files are over the target: never for
		 * feeds or set-aside stores, which no deletion here shrinks. */
		bool pending = u.store + u.export > target;
		n = budget_delete_batch(s, pending, rep);
		if (n < 0)
			return n;
		if (!n) {
			rep->exhausted = pending;
			rep->pending_spared = !pending;
			break;
		}
		r = budget_release(s);
		budget_measure(dir, &u, rep);
		if (r)
			return r;
	}
	return 0;
}

/* ---- the fleet's outbox and lists ---- */

int store_fleet_state_get(struct store *s, struct store_fleet_state *ret)
{
	sqlite3_stmt *st = prep(s, "SELECT rev, shipped_rev, list_version,"
				   " created FROM fleet_state WHERE id = 1",
				"");
	int rc = st ? sqlite3_step(st) : SQLITE_OK;

	if (rc == SQLITE_ROW)
		*ret = (struct store_fleet_state){
			sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
		};
	sqlite3_finalize(st);
	return rc == SQLITE_ROW	 ? 0
	       : rc == SQLITE_DONE ? -EBADMSG
	       : st		 ? sql_errno(rc)
				 : prep_errno(s);
}

static int change_fill(sqlite3_stmt *st, void *row)
{
	struct store_change *c = row;

	c->rev = sqlite3_column_int64(st, EV_DETAIL + 1);
	c->gone = sqlite3_column_int64(st, EV_DETAIL + 2) != 0;
	return event_fill(st, &c->e);
}

static const struct row_kind change_kind = {
	sizeof(struct store_change), offsetof(struct store_change, e.buf),
	change_fill,
};

int store_fleet_changes(struct store *s, int64_t after, int64_t limit,
			struct store_changes *ret)
{
	struct rows r;
	int e;

	if (limit < 1)
		return -EINVAL;
	/* A deletion reads as an event with its id and day alone. */
	e = rows_read(s,
		      prep(s,
			   "SELECT " EVENT_COLUMNS ", detail, rev, 0 FROM events"
			   " WHERE rev > ?1 UNION ALL SELECT local_id, '', '',"
			   " '', '', '', '', day, 0, 0, 0, '', '', '', '', '',"
			   " '', '', '', '', rev, 1 FROM fleet_gone"
			   " WHERE rev > ?1 ORDER BY 21 LIMIT ?2",
			   "ii", after, limit),
		      &change_kind, (size_t)limit, SIZE_MAX, &r, NULL);
	if (!e)
		*ret = (struct store_changes){ r.v, r.n };
	return e;
}

void store_fleet_changes_release(struct store_changes *c)
{
	if (!c)
		return;
	rows_free(c->v, c->n, &change_kind);
	c->v = NULL;
	c->n = 0;
}

int store_fleet_shipped(struct store *s, int64_t rev)
{
	int r = exec(s, "BEGIN IMMEDIATE");

	if (!r)
		r = run(s, prep(s, "UPDATE fleet_state SET shipped_rev ="
				   " max(shipped_rev, ?)", "i", rev));
	if (r >= 0)
		r = run(s, prep(s, "DELETE FROM fleet_gone WHERE rev <= ?", "i",
				rev));
	if (r >= 0)
		r = exec(s, "COMMIT");
	else
		exec(s, "ROLLBACK");
	return r < 0 ? r : 0;
}

int store_fleet_pending(struct store *s, int64_t *ret)
{
	return scalar(s,
		      prep(s,
			   "SELECT (SELECT count(*) FROM events WHERE rev >"
			   " f.shipped_rev) + (SELECT count(*) FROM fleet_gone"
			   " WHERE rev > f.shipped_rev) FROM fleet_state f",
			   ""),
		      ret);
}

static int fleet_entry_put(struct store *s, const struct store_fleet_entry *e)
{
	if (e->deleted)
		return run(s, prep(s, "DELETE FROM fleet_lists WHERE id = ?", "i",
				   e->id));
	return run(s, prep(s, "INSERT OR REPLACE INTO fleet_lists(id, list,"
			      " pattern, version) VALUES (?,?,?,?)",
			   "itti", e->id, e->list,
			   e->pattern, e->version));
}

int store_fleet_lists_put(struct store *s, const struct store_fleet_entry *v,
			  size_t n, int64_t version)
{
	int r = exec(s, "BEGIN IMMEDIATE");

	for (size_t i = 0; r >= 0 && i < n; i++)
		r = fleet_entry_put(s, &v[i]);
	if (r >= 0)
		r = run(s, prep(s, "UPDATE fleet_state SET list_version ="
				   " max(list_version, ?)", "i", version));
	if (r >= 0)
		r = exec(s, "COMMIT");
	else
		exec(s, "ROLLBACK");
	return r < 0 ? r : 0;
}

int store_fleet_list_text(struct store *s, const char *list,
			  char **ret_domains, char **ret_networks)
{
	return list_text(s, prep(s, "SELECT pattern FROM fleet_lists WHERE"
				    " list = ?", "t", list),
			 ret_domains, ret_networks);
}

int store_fleet_list_count(struct store *s, const char *list, int64_t *ret)
{
	return scalar(s,
		      prep(s, "SELECT count(*) FROM fleet_lists WHERE list = ?",
			   "t", list),
		      ret);
}
