/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store: SQLite in WAL mode in the state dir, schema versioned with
 * migrations. Events (aggregated), the operator's list entries and the
 * audit log. Each thread opens its own connection: the event writer
 * writes events, the control thread reads them and handles them. Never
 * used on the packet path. The one file that talks to SQLite. */
#pragma once
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Errors of every function below that returns a negative errno:
 * -ENOSPC the disk (or the state dir's file system) is full,
 * -EBADMSG the store is damaged (SQLite said corrupt or not a database),
 * -EBUSY another connection held the lock longer than the busy timeout,
 * -EROFS the store is read-only, -ENOMEM, -EIO anything else; opening
 * also -EPROTO: the schema is newer than this egressd. */

/* What store_open_checked found and did. */
struct store_open_report {
	bool damaged; /* the store was set aside and a fresh one made */
	char why[256]; /* quick_check's first line, or SQLite's error */
	/* the damaged store's new path (its -wal and -shm, if any, are this
	 * path + "-wal"/"-shm") */
	char set_aside[PATH_MAX];
	struct {
		int64_t lists, imports, audit, events;
		/* rows that could not be read (a damaged region counts 1) or
		 * that the fresh store refused */
		int64_t errors;
	} salvaged;
	int salvage_error; /* 0, or why the salvage could not be kept */
	bool vacuumed; /* an old store got incremental auto-vacuum (one
			* VACUUM, which needs free space of its size) */
};

/* Opens STATE_DIR/egressd.db, creating and migrating it, after checking
 * it: the daemon's first opening at start-up. egressd.db, -wal or -shm
 * that is not a regular file (a directory, FIFO, symlink...) is refused
 * (-EINVAL), never followed, opened or removed. A damaged store (PRAGMA
 * quick_check not "ok", SQLite saying corrupt or not a database, or an
 * egressd.db of 0 bytes) is renamed egressd.db.damaged-YYYYMMDDTHHMMSSZ
 * (UTC; ".N" added rather than overwrite one), a fresh store is made and
 * what can still be read of the lists, imports, audit and events tables
 * is copied into it; rep says so. Nothing is logged: the caller logs rep.
 * Must run before any other connection to the store is open. Returns 0
 * or a negative errno with err filled. */
int store_open_checked(const char *state_dir, struct store **ret,
		       struct store_open_report *rep, char *err, size_t errlen);
/* The same without quick_check or setting aside: for the connections
 * opened after store_open_checked. A non-regular file is refused
 * (-EINVAL), an empty or damaged egressd.db is -EBADMSG. */
int store_open(const char *state_dir, struct store **ret, char *err,
	       size_t errlen);
void store_close(struct store *s);

/* One occurrence, or `count` of them coalesced by the caller between
 * first_time and time. It joins the pending event of the same container,
 * subject, process path, process user and day (of `time`), or starts a
 * new pending event (also when the event of that key was handled, ignored
 * or whitelisted): count is added, the earliest first_seen and the latest
 * last_seen are kept. detail is the occurrence's full JSON (kept,
 * latest). */
struct store_occurrence {
	const char *type; /* "domain" or "ip" */
	const char *subject; /* the domain or the address */
	const char *container_id, *container_name;
	const char *process_path, *process_user;
	const char *action; /* "alerted" or "blocked" */
	const char *rule_list, *rule_source, *rule_pattern, *rule_category;
	int64_t time; /* seconds since the epoch (the latest occurrence) */
	int64_t count; /* occurrences; 0 means 1 */
	int64_t first_time; /* the earliest; 0 means time */
	const cJSON *detail;
};
/* Returns the event id (> 0) and whether it is new, or a negative errno
 * (-EINVAL for a negative count or a first_time after time). */
int64_t store_event_record(struct store *s, const struct store_occurrence *o,
			   bool *ret_new);

struct event_filter {
	int64_t from, to; /* last_seen within [from, to] */
	const char *status, *container, *domain; /* NULL: any */
	int64_t limit, offset;
};
/* The functions below that return cJSON return NULL when the store could
 * not be read whole (never a shorter result); store_error then says why. */
/* The last failure on this connection as a negative errno (above). */
int store_error(const struct store *s);
/* {"pending": N, "containers": N} */
cJSON *store_events_overview(struct store *s);
/* [event, ...] newest first */
cJSON *store_events_list(struct store *s, const struct event_filter *f);
/* The event with every field, or NULL if there is none. */
cJSON *store_event_get(struct store *s, int64_t id);
/* Returns 0, -ENOENT (no such event) or -EIO. */
int store_event_set_status(struct store *s, int64_t id, const char *status);
int store_event_delete(struct store *s, int64_t id);
/* Marks every pending event whose subject the pattern covers whitelisted;
 * returns how many. */
int store_events_whitelist_pending(struct store *s, const char *pattern);

/* List entries ("black" or "white"). Returns the new id, -EEXIST for a
 * duplicate, or -EIO. */
int64_t store_list_add(struct store *s, const char *list, const char *pattern,
		       const char *note, uint32_t uid);
/* The entries with id > after, by id: at most limit, and past the first
 * one at most max_bytes of their text (a page's memory stays bounded
 * whatever the notes hold); *ret_more says whether more follow. */
cJSON *store_list_get(struct store *s, const char *list, int64_t after,
		      int64_t limit, size_t max_bytes, bool *ret_more);
int store_list_remove(struct store *s, const char *list, int64_t id);
/* The list's patterns as list-file text: domains ("x", "*.x") and
 * networks, each one per line. Caller frees. Returns 0, or a negative
 * errno when the list could not be read whole (nothing returned). */
int store_list_text(struct store *s, const char *list, char **ret_domains,
		    char **ret_networks);

int store_audit(struct store *s, uint32_t uid, const char *action,
		const char *what);
/* The lines with id < before, newest first, at most limit. */
cJSON *store_audit_get(struct store *s, int64_t before, int64_t limit);
/* An imported feed: its copy in the state dir and how to read it. */
struct store_import {
	const char *name, *path, *format, *category;
	int64_t entries, stripped;
	uint32_t uid;
	bool white; /* imported as a whitelist: its entries allow */
};
/* Adds or replaces (same name) an import. Returns 0 or -EIO. */
int store_import_put(struct store *s, const struct store_import *im);
/* [{"name", "path", "format", "category", "entries", ...}] */
cJSON *store_imports_get(struct store *s);

/* Deletes events last seen before `before`. Returns how many. */
int store_prune(struct store *s, int64_t before);

/* ---- space ---- */

/* Bytes allocated (st_blocks, as du counts) to the regular files directly
 * in STATE_DIR and in STATE_DIR/imported, by share. Symlinks are not
 * followed. */
struct store_usage {
	uint64_t store; /* egressd.db, -wal, -shm */
	uint64_t export; /* events.jsonl, events.jsonl.1 */
	/* What egressd cannot delete: */
	uint64_t feeds; /* imported/: the imported feeds */
	uint64_t other; /* the rest: set-aside damaged stores,
			 * isolation.json, the lock */
};
/* Returns 0 or a negative errno. */
int store_state_usage_split(const char *state_dir, struct store_usage *ret);
uint64_t store_usage_total(const struct store_usage *u);
/* The total of the above. Returns 0 or a negative errno. */
int store_state_usage(const char *state_dir, uint64_t *ret_bytes);

struct store_budget_report {
	uint64_t bytes_before, bytes_after; /* store_state_usage() */
	uint64_t feeds, other; /* of bytes_after: what egressd cannot delete */
	/* events deleted, by status; "other" is a status egressd never
	 * writes (deleted with the handled ones) */
	int64_t deleted_handled, deleted_ignored, deleted_whitelisted;
	int64_t deleted_other, deleted_pending;
	bool exhausted; /* no event was left to delete above the target */
	/* still over the target because of feeds and other files egressd
	 * cannot delete: pending events were left alone */
	bool pending_spared;
};
/* When STATE_DIR uses more than max_bytes, deletes events in batches:
 * the oldest last_seen first among those handled, ignored or
 * whitelisted; the oldest pending only when none of those is left AND
 * the store and the export alone are over the target: pending events are
 * never deleted to make room for what egressd cannot delete (feeds,
 * set-aside stores); pending_spared says so. After each batch the freed
 * pages go back to the file system (incremental_vacuum, then a TRUNCATE
 * checkpoint of the WAL) and the usage is measured again; stops at 90% of
 * max_bytes or when nothing more may go (the export's current file stays).
 * List entries, imports and the audit log are never touched. Runs on
 * the caller's connection (the event writer's): another connection's
 * reader can hold the checkpoint up to the busy timeout (5 s), and if
 * longer, it stops with -EBUSY rather than delete on while the WAL still
 * counts; call again later. On a disk already full the deletes may fail
 * with -ENOSPC (they need WAL space): enforce before it fills. rep is
 * filled also on error. Returns 0 or a negative errno. */
int store_budget_enforce(struct store *s, const char *state_dir,
			 uint64_t max_bytes, struct store_budget_report *rep);
