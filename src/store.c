// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "egressd/addr.h"
#include "egressd/domain.h"

/* How long a connection waits for the other's write lock. */
#define STORE_BUSY_MS 5000

struct store {
	sqlite3 *db;
};

/* Migrations: migrations[i] takes the schema from version i to i+1. */
static const char *const migrations[] = {
	"CREATE TABLE events("
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
	" what TEXT NOT NULL);",
	/* 2: imported threat-intel feeds (the copies live in the state dir) */
	"CREATE TABLE imports("
	" name TEXT PRIMARY KEY,"
	" path TEXT NOT NULL,"
	" format TEXT NOT NULL,"
	" category TEXT NOT NULL,"
	" entries INTEGER NOT NULL,"
	" stripped INTEGER NOT NULL,"
	" imported INTEGER NOT NULL,"
	" imported_by INTEGER NOT NULL);",
};

static int exec(struct store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int migrate(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;
	size_t want = sizeof(migrations) / sizeof(migrations[0]);

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > (int)want) {
		snprintf(err, errlen, "the store's schema %d is newer than this "
			 "egressd's (%zu)", version, want);
		return -EPROTO;
	}
	for (size_t v = (size_t)version; v < want; v++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%zu", v + 1);
		/* Each step in one transaction: all of it, or none. */
		if (exec(s, "BEGIN IMMEDIATE") || exec(s, migrations[v]) ||
		    exec(s, sql) || exec(s, "COMMIT")) {
			snprintf(err, errlen, "migrating the store to %zu: %s",
				 v + 1, sqlite3_errmsg(s->db));
			exec(s, "ROLLBACK");
			return -EIO;
		}
	}
	return 0;
}

int store_open(const char *dir, struct store **ret, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	char path[512];

	if (!s)
		return -ENOMEM;
	mkdir(dir, 0750);
	snprintf(path, sizeof(path), "%s/egressd.db", dir);
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "cannot open");
		store_close(s);
		return -EIO;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	/* WAL: readers never block the writer. synchronous=NORMAL: a commit
	 * survives a crash of egressd (SIGKILL), the host's power loss may
	 * cost the last ones. */
	if (exec(s, "PRAGMA journal_mode=WAL") ||
	    exec(s, "PRAGMA synchronous=NORMAL") || migrate(s, err, errlen)) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		store_close(s);
		return -EIO;
	}
	*ret = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
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

/* Runs a statement that returns no rows; returns the changes or -EIO. */
static int run(struct store *s, sqlite3_stmt *st)
{
	int r = st && sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(s->db)
						      : -EIO;
	sqlite3_finalize(st);
	return r;
}

/* One row as a JSON object, named by the columns; "detail" and other
 * JSON text columns are parsed in place. */
static cJSON *row_json(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();

	for (int c = 0; c < sqlite3_column_count(st); c++) {
		const char *name = sqlite3_column_name(st, c);
		if (sqlite3_column_type(st, c) == SQLITE_INTEGER) {
			cJSON_AddNumberToObject(o, name,
						(double)sqlite3_column_int64(st, c));
		} else if (!strcmp(name, "detail")) {
			cJSON *d = cJSON_Parse((const char *)sqlite3_column_text(st, c));
			cJSON_AddItemToObject(o, name, d ? d : cJSON_CreateNull());
		} else {
			const unsigned char *t = sqlite3_column_text(st, c);
			cJSON_AddStringToObject(o, name, t ? (const char *)t : "");
		}
	}
	return o;
}

static cJSON *rows_json(sqlite3_stmt *st)
{
	cJSON *a = cJSON_CreateArray();

	while (st && sqlite3_step(st) == SQLITE_ROW)
		cJSON_AddItemToArray(a, row_json(st));
	sqlite3_finalize(st);
	return a;
}

/* ---- events ---- */

static void local_day(int64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

int64_t store_event_record(struct store *s, const struct store_occurrence *o,
			   bool *ret_new)
{
	char day[11], *detail = cJSON_PrintUnformatted(o->detail);
	sqlite3_stmt *st;
	int64_t id = 0;
	int r;

	local_day(o->time, day);
	st = prep(s,
		  "UPDATE events SET last_seen=?, count=count+1, action=?,"
		  " detail=? WHERE id=(SELECT id FROM events WHERE"
		  " container_id=? AND subject=? AND process_path=? AND"
		  " process_user=? AND day=? AND status='pending' LIMIT 1)"
		  " RETURNING id",
		  "ittttttt", o->time, o->action, detail, o->container_id,
		  o->subject, o->process_path, o->process_user, day);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	*ret_new = !id;
	if (!id) {
		st = prep(s,
			  "INSERT INTO events(type, subject, container_id,"
			  " container_name, process_path, process_user, day,"
			  " first_seen, last_seen, action, rule_list, rule_source,"
			  " rule_pattern, rule_category, detail) VALUES"
			  " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			  "tttttttiitttttt", o->type, o->subject, o->container_id,
			  o->container_name, o->process_path, o->process_user, day,
			  o->time, o->time, o->action, o->rule_list,
			  o->rule_source, o->rule_pattern, o->rule_category,
			  detail);
		r = run(s, st);
		id = r > 0 ? sqlite3_last_insert_rowid(s->db) : -EIO;
	}
	cJSON_free(detail);
	return id;
}

cJSON *store_events_overview(struct store *s)
{
	sqlite3_stmt *st = prep(s,
				"SELECT count(*) AS pending, count(DISTINCT"
				" container_id) AS containers FROM events"
				" WHERE status='pending'",
				"");
	cJSON *o = NULL;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		o = row_json(st);
	sqlite3_finalize(st);
	return o;
}

#define EVENT_COLUMNS                                                       \
	"id, type, subject, container_id, container_name, process_path,"    \
	" process_user, day, first_seen, last_seen, count, status, action," \
	" rule_list, rule_source, rule_pattern, rule_category"

/* Suffix and prefix tests by substr(), not LIKE: a '%' or '_' in what the
 * operator typed must not widen the match. */
cJSON *store_events_list(struct store *s, const struct event_filter *f)
{
	sqlite3_stmt *st = prep(
		s,
		"SELECT " EVENT_COLUMNS " FROM events"
		" WHERE last_seen >= ?1 AND last_seen <= ?2"
		" AND (?3 = '' OR status = ?3)"
		" AND (?4 = '' OR container_name = ?4"
		"      OR substr(container_id, 1, length(?4)) = ?4)"
		" AND (?5 = '' OR subject = ?5"
		"      OR substr(subject, -length(?5) - 1) = '.' || ?5)"
		" ORDER BY last_seen DESC, id DESC LIMIT ?6 OFFSET ?7",
		"iitttii", f->from, f->to, f->status, f->container, f->domain,
		f->limit, f->offset);

	return rows_json(st);
}

cJSON *store_event_get(struct store *s, int64_t id)
{
	sqlite3_stmt *st = prep(s, "SELECT " EVENT_COLUMNS ", detail FROM"
				   " events WHERE id = ?",
				"i", id);
	cJSON *o = NULL;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		o = row_json(st);
	sqlite3_finalize(st);
	return o;
}

int store_event_set_status(struct store *s, int64_t id, const char *status)
{
	int r = run(s, prep(s, "UPDATE events SET status=? WHERE id=?", "ti",
			    status, id));

	return r < 0 ? r : r ? 0 : -ENOENT;
}

int store_event_delete(struct store *s, int64_t id)
{
	int r = run(s, prep(s, "DELETE FROM events WHERE id=?", "i", id));

	return r < 0 ? r : r ? 0 : -ENOENT;
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

int store_prune(struct store *s, int64_t before)
{
	return run(s, prep(s, "DELETE FROM events WHERE last_seen < ?", "i",
			   before));
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
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	return rc == SQLITE_DONE ? sqlite3_last_insert_rowid(s->db) : -EIO;
}

cJSON *store_list_get(struct store *s, const char *list)
{
	return rows_json(prep(s,
			      "SELECT id, pattern, note, created, created_by"
			      " FROM lists WHERE list = ? ORDER BY id",
			      "t", list));
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

int store_list_text(struct store *s, const char *list, char **ret_domains,
		    char **ret_networks)
{
	sqlite3_stmt *st = prep(s, "SELECT pattern FROM lists WHERE list = ?",
				"t", list);
	char *dom = calloc(1, 1), *net = calloc(1, 1);
	size_t dl = 0, nl = 0;
	int r = st && dom && net ? 0 : -ENOMEM;

	while (!r && sqlite3_step(st) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		struct ip_addr a;
		unsigned plen;
		r = ip_cidr_parse(p, &a, &plen) ? append(&dom, &dl, p)
						: append(&net, &nl, p);
	}
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

/* ---- audit ---- */

int store_audit(struct store *s, uint32_t uid, const char *action,
		const char *what)
{
	int r = run(s, prep(s,
			    "INSERT INTO audit(time, uid, action, what)"
			    " VALUES (?,?,?,?)",
			    "iitt", (int64_t)time(NULL), (int64_t)uid, action,
			    what));

	return r < 0 ? r : 0;
}

cJSON *store_audit_get(struct store *s, int64_t limit)
{
	return rows_json(prep(s,
			      "SELECT id, time, uid, action, what FROM audit"
			      " ORDER BY id DESC LIMIT ?",
			      "i", limit));
}

/* ---- imported feeds ---- */

int store_import_put(struct store *s, const struct store_import *im)
{
	int r = run(s, prep(s,
			    "INSERT OR REPLACE INTO imports(name, path, format,"
			    " category, entries, stripped, imported, imported_by)"
			    " VALUES (?,?,?,?,?,?,?,?)",
			    "ttttiiii", im->name, im->path, im->format,
			    im->category, im->entries, im->stripped,
			    (int64_t)time(NULL), (int64_t)im->uid));

	return r < 0 ? r : 0;
}

cJSON *store_imports_get(struct store *s)
{
	return rows_json(prep(s,
			      "SELECT name, path, format, category, entries,"
			      " stripped, imported, imported_by FROM imports"
			      " ORDER BY name",
			      ""));
}
