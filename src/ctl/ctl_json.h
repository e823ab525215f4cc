/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store's rows as the control socket's reply JSON: the wire edge of
 * events, list entries, the audit log and imports. Keys, their order and
 * their types are what egressctl (and any other client) reads: keep them.
 * A leaf, like ctl_reply.c. Internal. */
#pragma once
#include <cjson/cJSON.h>

#include "egressd/store.h"

/* {"pending": N, "containers": N} */
cJSON *ctl_json_overview(const struct store_overview *o);
/* Every column, by name; "detail" (the occurrence's JSON, parsed; null if
 * it does not parse) only when e->detail is there (store_event_get). */
cJSON *ctl_json_event(const struct store_event *e);
/* [event, ...] as the list has them (newest first) */
cJSON *ctl_json_events(const struct store_events *l);
/* [{"id", "pattern", "note", "created", "created_by"}, ...] */
cJSON *ctl_json_list_entries(const struct store_list_page *p);
/* [{"id", "time", "uid", "action", "what"}, ...] */
cJSON *ctl_json_audit(const struct store_audit_page *p);
/* [{"name", "path", "format", "category", "entries", "stripped",
 *   "imported", "imported_by", "list"}, ...] */
cJSON *ctl_json_imports(const struct store_imports *im);
