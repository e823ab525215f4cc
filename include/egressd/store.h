/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store: SQLite in WAL mode in the state dir, schema versioned with
 * migrations. Events (aggregated), the operator's list entries and the
 * audit log. Each thread opens its own connection: the event writer
 * writes events, the control thread reads them and handles them. Never
 * used on the packet path. The one file that talks to SQLite. */
#pragma once
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Opens (creating and migrating) STATE_DIR/egressd.db. Returns 0 or a
 * negative errno with err filled. */
int store_open(const char *state_dir, struct store **ret, char *err,
	       size_t errlen);
void store_close(struct store *s);

/* One occurrence. It joins the pending event of the same container,
 * subject, process path, process user and day, or starts a new pending
 * event (also when the event of that key was handled, ignored or
 * whitelisted). detail is the occurrence's full JSON (kept, latest). */
struct store_occurrence {
	const char *type; /* "domain" or "ip" */
	const char *subject; /* the domain or the address */
	const char *container_id, *container_name;
	const char *process_path, *process_user;
	const char *action; /* "alerted" or "blocked" */
	const char *rule_list, *rule_source, *rule_pattern, *rule_category;
	int64_t time; /* seconds since the epoch */
	const cJSON *detail;
};
/* Returns the event id (> 0) and whether it is new, or a negative errno. */
int64_t store_event_record(struct store *s, const struct store_occurrence *o,
			   bool *ret_new);

struct event_filter {
	int64_t from, to; /* last_seen within [from, to] */
	const char *status, *container, *domain; /* NULL: any */
	int64_t limit, offset;
};
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
cJSON *store_list_get(struct store *s, const char *list);
int store_list_remove(struct store *s, const char *list, int64_t id);
/* The list's patterns as list-file text: domains ("x", "*.x") and
 * networks, each one per line. Caller frees. */
int store_list_text(struct store *s, const char *list, char **ret_domains,
		    char **ret_networks);

int store_audit(struct store *s, uint32_t uid, const char *action,
		const char *what);
cJSON *store_audit_get(struct store *s, int64_t limit);
/* An imported feed: its copy in the state dir and how to read it. */
struct store_import {
	const char *name, *path, *format, *category;
	int64_t entries, stripped;
	uint32_t uid;
};
/* Adds or replaces (same name) an import. Returns 0 or -EIO. */
int store_import_put(struct store *s, const struct store_import *im);
/* [{"name", "path", "format", "category", "entries", ...}] */
cJSON *store_imports_get(struct store *s);

/* Deletes events last seen before `before`. Returns how many. */
int store_prune(struct store *s, int64_t before);
