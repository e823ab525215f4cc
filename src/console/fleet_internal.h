/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the fleet backend's files share (fleet*.c). Internal. */
#pragma once
#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "fleet.h"

/* One request's use of the database. */
struct fq {
	struct fleet *f;
	PGconn *db;
	const cJSON *req;
	const char *actor; /* the console user, "" if none */
	bool broken; /* the connection is not to be used again */
	bool failed; /* err holds why the database failed the request */
	char err[300];
};

/* fleet_db.c */
/* An idle connection or a new one (the schema brought up to date on the
 * first); NULL with err filled. */
PGconn *fleet_db_get(struct fleet *f, char *err, size_t errlen);
/* Back to the pool if still good, else closed. */
void fleet_db_put(struct fleet *f, PGconn *db, bool broken);
/* Runs sql with n text parameters (NULL: SQL NULL) within the fleet's
 * deadline. The result (commands or rows), or NULL with q->err filled,
 * q->failed set, and q->broken when the connection is lost or late. */
PGresult *fq_exec(struct fq *q, const char *sql, int n,
		  const char *const *params);
/* BEGIN, COMMIT, ROLLBACK: 0 or -1 (q->err). */
int fq_run(struct fq *q, const char *sql);
void fq_sleep_ms(unsigned ms);

/* fleet.c */
/* {"ok":false,"error":...}: a refusal, as egressd words its own (the
 * API maps "no such" to 404, the rest to 400). */
cJSON *fq_refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
cJSON *fq_ok(void);
const char *fq_str(const cJSON *req, const char *key);
/* A number of req within lo..hi, dflt if absent; false if not. */
bool fq_num(const cJSON *req, const char *key, long long dflt, long long lo,
	    long long hi, long long *ret);
/* Each row's first column (JSON text) into an array; NULL if one does
 * not parse. */
cJSON *fq_json_rows(PGresult *r, int col);
/* An id of a request's list: > 0, or 0 if it is none. */
long long fq_item_id(const cJSON *it);
/* A row count into a string for a parameter. */
void fq_i64(char *buf, size_t len, long long v);
/* Writes the audit row of a console action (best effort: the action
 * is done). */
void fq_audit(struct fq *q, const char *host, const char *action,
	      const char *what);

/* fleet_events.c */
cJSON *fleet_events_overview(struct fq *q);
cJSON *fleet_events_list(struct fq *q);
cJSON *fleet_events_show(struct fq *q);
cJSON *fleet_events_handle(struct fq *q);
cJSON *fleet_events_whitelist(struct fq *q);
/* fleet_commands.c */
/* Isolates the containers of the events ids (at most FLEET_ISOLATE_MAX),
 * each by a command to its host, then marks them handled. */
cJSON *fleet_events_isolate(struct fq *q, const cJSON *ids);
cJSON *fleet_isolate(struct fq *q);
cJSON *fleet_unisolate(struct fq *q);
cJSON *fleet_containers(struct fq *q);
/* fleet_lists.c */
cJSON *fleet_list_get(struct fq *q);
cJSON *fleet_list_add(struct fq *q);
cJSON *fleet_list_remove(struct fq *q);
cJSON *fleet_lists(struct fq *q);
cJSON *fleet_audit(struct fq *q);
cJSON *fleet_status(struct fq *q);
cJSON *fleet_hosts(struct fq *q);
