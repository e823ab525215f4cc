/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store: SQLite in WAL mode in the state dir, schema versioned with
 * migrations. Events (aggregated), the operator's list entries, the
 * imported feeds and the audit log. Each thread opens its own connection:
 * the event writer writes events, each control worker reads and handles
 * them, the policy thread reads the lists. Rows come out as structs; what
 * turns them into JSON is the caller's wire edge. Never used on the
 * packet path. The one file that talks to SQLite. */
#pragma once
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
 * last_seen are kept. detail is the occurrence's full JSON text (kept,
 * latest; NULL: none). */
struct store_occurrence {
	const char *type; /* "domain" or "ip" */
	const char *subject; /* the domain or the address */
	const char *container_id, *container_name;
	const char *process_path, *process_user;
	const char *action; /* "alerted" or "blocked" */
	const char *rule_list, *rule_source, *rule_pattern, *rule_category;
	const char *image, *host; /* the container's image, our host name */
	int64_t time; /* seconds since the epoch (the latest occurrence) */
	int64_t count; /* occurrences; 0 means 1 */
	int64_t first_time; /* the earliest; 0 means time */
	const char *detail;
};
/* Returns the event id (> 0) and whether it is new, or a negative errno
 * (-EINVAL for a negative count or a first_time after time). */
int64_t store_event_record(struct store *s, const struct store_occurrence *o,
			   bool *ret_new);

/* ---- reading ----
 * The functions that read rows return 0 or a negative errno, and fill
 * *ret only on success: a read that fails part-way (a damaged page, a
 * lock held past the busy timeout, memory) is an error, never a shorter
 * result. A row's strings are never NULL (SQL NULL reads as "") and are
 * owned by the row: its page's _release frees them. */

/* The overview's window: today and the 6 days before (local days), its
 * categories per day (more go to "other") and its tops. */
#define OVERVIEW_DAYS 7
#define OVERVIEW_CATS 12
#define OVERVIEW_TOP 10
struct store_overview {
	int64_t pending; /* events pending */
	int64_t containers; /* distinct containers with a pending event */
	/* Events (one per container, subject, process, user and day) of
	 * the window, whatever their status, and those last blocked. */
	int64_t events_window, blocked_window;
	struct store_overview_day {
		char day[11]; /* YYYY-MM-DD, oldest first */
		int64_t total;
		size_t ncats;
		struct {
			char name[64];
			int64_t n;
		} cats[OVERVIEW_CATS];
	} days[OVERVIEW_DAYS];
	/* the window's subjects and containers with the most events */
	size_t ndomains, ncontainers;
	struct {
		char name[256];
		int64_t events, hits; /* hits: occurrences */
	} domains[OVERVIEW_TOP];
	struct {
		char id[80], name[128];
		int64_t events;
	} containers_top[OVERVIEW_TOP];
};
/* The overview as of now (seconds since the epoch). */
int store_events_overview(struct store *s, int64_t now,
			  struct store_overview *ret);

/* An event: every column of its row. */
struct store_event {
	int64_t id;
	const char *type; /* "domain" or "ip" */
	const char *subject, *container_id, *container_name;
	const char *process_path, *process_user;
	const char *day; /* YYYY-MM-DD, local: the aggregation's day */
	int64_t first_seen, last_seen, count;
	const char *status; /* pending, handled, ignored or whitelisted */
	const char *action; /* the latest: alerted or blocked */
	const char *rule_list, *rule_source, *rule_pattern, *rule_category;
	const char *image, *host;
	/* the latest occurrence's JSON text as recorded ("" if none); NULL
	 * in a list (store_events_list does not read it) */
	const char *detail;
	char *buf; /* owns the strings */
};
/* Frees what e holds (not e). */
void store_event_release(struct store_event *e);
/* Returns 0, -ENOENT (no such event) or another negative errno. */
int store_event_get(struct store *s, int64_t id, struct store_event *ret);

enum event_sort {
	EVENT_SORT_LAST_SEEN, /* the default */
	EVENT_SORT_FIRST_SEEN,
	EVENT_SORT_COUNT,
	EVENT_SORT_DOMAIN,
	EVENT_SORT_CONTAINER,
};
struct event_filter {
	int64_t from, to; /* last_seen within [from, to] */
	/* NULL: any. container: its name or an id prefix; domain: the name
	 * or a parent; image: the name or a prefix of it; host: exact */
	const char *status, *container, *domain, *image, *host;
	enum event_sort sort;
	bool ascending; /* else newest, largest or last first */
	int64_t limit, offset;
};
struct store_events {
	struct store_event *v; /* newest first */
	size_t n;
};
int store_events_list(struct store *s, const struct event_filter *f,
		      struct store_events *ret);
void store_events_release(struct store_events *l);
/* How many events the filter selects (limit and offset aside). */
int store_events_count(struct store *s, const struct event_filter *f,
		       int64_t *ret);

/* Returns 0, -ENOENT (no such event) or another negative errno. */
int store_event_set_status(struct store *s, int64_t id, const char *status);
int store_event_delete(struct store *s, int64_t id);
/* Marks every pending event whose subject the pattern covers whitelisted;
 * returns how many, or a negative errno. */
int store_events_whitelist_pending(struct store *s, const char *pattern);

/* List entries ("black" or "white"). Returns the new id, -EEXIST for a
 * duplicate, or another negative errno. */
int64_t store_list_add(struct store *s, const char *list, const char *pattern,
		       const char *note, uint32_t uid);
struct store_list_entry {
	int64_t id;
	const char *pattern, *note;
	int64_t created; /* seconds since the epoch */
	uint32_t created_by; /* uid */
	char *buf; /* owns the strings */
};
struct store_list_page {
	struct store_list_entry *v; /* by id */
	size_t n;
	bool more; /* entries follow this page */
};
/* The entries with id > after, by id: at most limit, and past the first
 * one at most max_bytes of their text (a page's memory stays bounded
 * whatever the notes hold; the first always comes, so a page is never
 * empty while entries follow). */
int store_list_get(struct store *s, const char *list, int64_t after,
		   int64_t limit, size_t max_bytes, struct store_list_page *ret);
void store_list_page_release(struct store_list_page *p);
/* Returns 0, -ENOENT (no such entry in that list) or another negative
 * errno. */
int store_list_remove(struct store *s, const char *list, int64_t id);
/* The list's patterns as list-file text: domains ("x", "*.x") and
 * networks, each one per line. Caller frees. Returns 0, or a negative
 * errno when the list could not be read whole (nothing returned). */
int store_list_text(struct store *s, const char *list, char **ret_domains,
		    char **ret_networks);

/* One line of who did what, stamped now: the peer's uid and, for a
 * request of the console, the console user (actor; "" or NULL: none).
 * Returns 0 or a negative errno. */
int store_audit(struct store *s, uint32_t uid, const char *actor,
		const char *action, const char *what);
struct store_audit_line {
	int64_t id;
	int64_t time; /* seconds since the epoch */
	uint32_t uid;
	const char *action, *what;
	const char *actor; /* the console user, "" if none */
	char *buf; /* owns the strings */
};
struct store_audit_page {
	struct store_audit_line *v; /* newest first */
	size_t n;
};
/* The lines with id < before, newest first, at most limit. */
int store_audit_get(struct store *s, int64_t before, int64_t limit,
		    struct store_audit_page *ret);
void store_audit_page_release(struct store_audit_page *p);

/* An imported feed: its copy in the state dir and how to read it. */
struct store_import {
	const char *name, *path, *format, *category;
	int64_t entries, stripped;
	uint32_t uid; /* who imported it */
	bool white; /* imported as a whitelist: its entries allow */
	/* When (seconds since the epoch), and the owner of the strings:
	 * filled by store_imports_get; store_import_put stamps now. */
	int64_t imported;
	char *buf;
};
/* Adds or replaces (same name) an import. Returns 0 or a negative errno. */
int store_import_put(struct store *s, const struct store_import *im);
struct store_imports {
	struct store_import *v; /* by name */
	size_t n;
};
int store_imports_get(struct store *s, struct store_imports *ret);
void store_imports_release(struct store_imports *im);

/* Deletes events last seen before `before`. Returns how many, or a
 * negative errno. */
int store_prune(struct store *s, int64_t before);

/* ---- the fleet (README: Fleet) ----
 * Every insert of an event and every change of a column the fleet ships
 * gives it the store's next change number, rev; store_event_delete
 * records a deletion to ship with its own rev (retention and the budget
 * do not: the fleet keeps its own retention). What has a rev above
 * shipped_rev is the outbox. */
struct store_fleet_state {
	int64_t rev; /* the last change number given */
	int64_t shipped_rev; /* every change up to it is in the fleet */
	int64_t list_version; /* the central lists' version copied */
	int64_t created; /* when the counter began (seconds since the epoch) */
};
int store_fleet_state_get(struct store *s, struct store_fleet_state *ret);
/* One row of the outbox: an event as it is now, or a deletion (gone:
 * e.id and e.day alone are set, the other strings are ""). */
struct store_change {
	struct store_event e;
	int64_t rev;
	bool gone;
};
struct store_changes {
	struct store_change *v; /* by rev */
	size_t n;
};
/* The changes with rev > after, oldest first, at most limit. */
int store_fleet_changes(struct store *s, int64_t after, int64_t limit,
			struct store_changes *ret);
void store_fleet_changes_release(struct store_changes *c);
/* Everything up to rev is in the fleet: shipped_rev goes up to it (never
 * down) and the deletions up to it are forgotten. */
int store_fleet_shipped(struct store *s, int64_t rev);
/* How many rows of the outbox wait. */
int store_fleet_pending(struct store *s, int64_t *ret);
/* A central entry as copied; deleted: a tombstone (the copy is removed). */
struct store_fleet_entry {
	int64_t id; /* the central id */
	const char *list; /* "black" or "white" */
	const char *pattern;
	int64_t version;
	bool deleted;
};
/* Applies n central changes and records version as copied, in one
 * transaction. */
int store_fleet_lists_put(struct store *s, const struct store_fleet_entry *v,
			  size_t n, int64_t version);
/* The copy of the central entries of a list, as store_list_text. */
int store_fleet_list_text(struct store *s, const char *list,
			  char **ret_domains, char **ret_networks);
int store_fleet_list_count(struct store *s, const char *list, int64_t *ret);

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
