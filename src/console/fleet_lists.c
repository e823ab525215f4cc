// SPDX-License-Identifier: GPL-2.0-or-later
/* Fleet mode: the central lists (entries with "source": "central"; a
 * removal is a tombstone, so that hosts catch up by version), each
 * host's own list sources, the central audit log, the fleet's status and
 * its hosts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/limits.h"
#include "egressd/pattern.h"
#include "fleet_internal.h"
#include "fleet_sql.h"

/* Patterns or ids of one request, as egressd takes them. */
#define LIST_BATCH_MAX 10000

static const char *list_arg(const cJSON *req)
{
	const char *l = fq_str(req, "list");

	return l && (!strcmp(l, "black") || !strcmp(l, "white")) ? l : NULL;
}

cJSON *fleet_list_get(struct fq *q)
{
	const char *list = list_arg(q->req);
	long long after, limit;
	char a[24], l[24];
	const char *p[] = { list, a, l };
	PGresult *r;
	cJSON *rep, *e;
	int n;

	if (!list)
		return fq_refuse("need \"list\" (black or white)");
	if (!fq_num(q->req, "after", 0, 0, 1LL << 53, &after) ||
	    !fq_num(q->req, "limit", 1000, 1, CTL_PAGE_MAX, &limit))
		return fq_refuse("bad number: after >= 0, limit 1..5000");
	fq_i64(a, sizeof(a), after);
	fq_i64(l, sizeof(l), limit + 1); /* one more: is there a next page */
	r = fq_exec(q, FLEET_LIST_PAGE, 3, p);
	if (!r)
		return NULL;
	e = fq_json_rows(r, 0);
	n = PQntuples(r);
	PQclear(r);
	if (!e)
		return NULL;
	if (n > limit)
		cJSON_DeleteItemFromArray(e, n - 1);
	rep = fq_ok();
	cJSON_AddBoolToObject(rep, "more", n > limit);
	cJSON_AddItemToObject(rep, "entries", e);
	return rep;
}

/* One pattern: checked as egressd checks it, then stored. Its result
 * into one; -1 if the database failed. */
static int add_one(struct fq *q, const char *list, const char *pat,
		   const char *note, bool force, cJSON *one)
{
	char norm[300], why[200];
	const char *p[] = { list, norm, note, q->actor };
	PGresult *r;

	cJSON_AddStringToObject(one, "pattern", pat);
	if (pattern_check(pat, force, norm, sizeof(norm), why, sizeof(why))) {
		cJSON_AddStringToObject(one, "result", "invalid");
		cJSON_AddStringToObject(one, "error", why);
		return 0;
	}
	r = fq_exec(q, FLEET_LIST_ADD, 4, p);
	if (!r)
		return -1;
	if (!PQntuples(r)) {
		cJSON_AddStringToObject(one, "result", "duplicate");
	} else {
		cJSON_AddStringToObject(one, "result", "added");
		cJSON_AddNumberToObject(one, "id",
					(double)strtoll(PQgetvalue(r, 0, 0), NULL, 10));
		char what[400];
		snprintf(what, sizeof(what), "%s%s%s (central)", norm,
			 *note ? ": " : "", note);
		fq_audit(q, "", !strcmp(list, "black") ? "blacklist add"
						       : "whitelist add", what);
	}
	PQclear(r);
	return 0;
}

/* The whole batch is one transaction: its versions commit together. */
cJSON *fleet_list_add(struct fq *q)
{
	const char *list = list_arg(q->req), *note = fq_str(q->req, "note");
	const cJSON *pats = cJSON_GetObjectItemCaseSensitive(q->req, "patterns");
	bool force = cJSON_IsTrue(cJSON_GetObjectItem(q->req, "force")), bad = false;
	const cJSON *it;
	cJSON *rep, *res;

	if (!list || !cJSON_IsArray(pats))
		return fq_refuse("need \"list\" (black or white) and \"patterns\"");
	if (cJSON_GetArraySize(pats) > LIST_BATCH_MAX)
		return fq_refuse("too many patterns in one request");
	if (note && strlen(note) > CTL_NOTE_MAX)
		return fq_refuse("note too long: %zu bytes, at most %d",
				 strlen(note), CTL_NOTE_MAX);
	if (fq_run(q, "BEGIN"))
		return NULL;
	rep = fq_ok();
	res = cJSON_AddArrayToObject(rep, "results");
	cJSON_ArrayForEach(it, pats)
	{
		cJSON *one = cJSON_CreateObject();
		cJSON_AddItemToArray(res, one);
		if (add_one(q, list, cJSON_IsString(it) ? it->valuestring : "",
			    note ? note : "", force, one)) {
			cJSON_Delete(rep);
			return NULL;
		}
		bad |= !!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(
					one, "result")), "added");
	}
	if (fq_run(q, "COMMIT")) {
		cJSON_Delete(rep);
		return NULL;
	}
	if (bad)
		cJSON_ReplaceItemInObject(rep, "ok", cJSON_CreateFalse());
	return rep;
}

cJSON *fleet_list_remove(struct fq *q)
{
	const char *list = list_arg(q->req);
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(q->req, "ids"), *it;
	cJSON *rep, *res;
	bool bad = false;

	if (!list || !cJSON_IsArray(ids))
		return fq_refuse("need \"list\" (black or white) and \"ids\"");
	if (cJSON_GetArraySize(ids) > LIST_BATCH_MAX)
		return fq_refuse("too many ids in one request");
	rep = fq_ok();
	res = cJSON_AddArrayToObject(rep, "results");
	cJSON_ArrayForEach(it, ids)
	{
		long long id = fq_item_id(it);
		char ids_[24], what[400];
		const char *p[] = { list, ids_ };
		PGresult *r;
		cJSON *one = cJSON_CreateObject();

		fq_i64(ids_, sizeof(ids_), id);
		r = fq_exec(q, FLEET_LIST_REMOVE, 2, p);
		if (!r) {
			cJSON_Delete(one);
			cJSON_Delete(rep);
			return NULL;
		}
		cJSON_AddNumberToObject(one, "id", (double)id);
		cJSON_AddStringToObject(one, "result", PQntuples(r) ? "removed"
								    : "no such entry");
		cJSON_AddItemToArray(res, one);
		bad |= !PQntuples(r);
		if (PQntuples(r)) {
			snprintf(what, sizeof(what), "entry %lld %s (central)",
				 id, PQgetvalue(r, 0, 0));
			fq_audit(q, "", !strcmp(list, "black") ? "blacklist remove"
							       : "whitelist remove",
				 what);
		}
		PQclear(r);
	}
	if (bad)
		cJSON_ReplaceItemInObject(rep, "ok", cJSON_CreateFalse());
	return rep;
}

/* ---- where entries come from ---- */

/* The central entries as two sources, as egressd lists its own. */
static bool central_sources(struct fq *q, cJSON *src, cJSON *rep)
{
	PGresult *r = fq_exec(q, FLEET_LIST_COUNTS, 0, NULL);

	if (!r)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "list", PQgetvalue(r, i, 0));
		cJSON_AddStringToObject(o, "source", "central");
		cJSON_AddStringToObject(o, "category", "");
		cJSON_AddNumberToObject(o, "entries",
					(double)strtoll(PQgetvalue(r, i, 1), NULL, 10));
		cJSON_AddStringToObject(o, "host_id", "");
		cJSON_AddStringToObject(o, "host_name", "all hosts");
		cJSON_AddItemToArray(src, o);
		if (!i)
			cJSON_AddNumberToObject(rep, "list_version",
						(double)strtoll(PQgetvalue(r, i, 2), NULL, 10));
	}
	PQclear(r);
	return true;
}

/* Each host's sources (its heartbeat's counters.lists), host beside. */
static bool host_sources(struct fq *q, cJSON *src)
{
	PGresult *r = fq_exec(q, FLEET_HOST_SOURCES, 0, NULL);

	if (!r)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		cJSON *l = cJSON_Parse(PQgetvalue(r, i, 2)), *it;
		cJSON *arr = cJSON_IsArray(l) ? l : NULL;
		cJSON_ArrayForEach(it, arr)
		{
			cJSON *o = cJSON_Duplicate(it, true);
			if (!cJSON_IsObject(o)) {
				cJSON_Delete(o);
				continue;
			}
			cJSON_DeleteItemFromObject(o, "host_id");
			cJSON_DeleteItemFromObject(o, "host_name");
			cJSON_AddStringToObject(o, "host_id", PQgetvalue(r, i, 0));
			cJSON_AddStringToObject(o, "host_name", PQgetvalue(r, i, 1));
			cJSON_AddItemToArray(src, o);
		}
		cJSON_Delete(l);
	}
	PQclear(r);
	return true;
}

cJSON *fleet_lists(struct fq *q)
{
	cJSON *rep = fq_ok(), *src = cJSON_AddArrayToObject(rep, "sources");

	cJSON_AddNumberToObject(rep, "loaded", 0);
	cJSON_AddArrayToObject(rep, "imports");
	if (central_sources(q, src, rep) && host_sources(q, src))
		return rep;
	cJSON_Delete(rep);
	return NULL;
}

/* ---- audit, status, hosts ---- */

cJSON *fleet_audit(struct fq *q)
{
	long long before, limit;
	char b[24], l[24];
	const char *p[] = { b, l };
	PGresult *r;
	cJSON *a, *rep;

	if (!fq_num(q->req, "before", 0, 1, 1LL << 53, &before) ||
	    !fq_num(q->req, "limit", 100, 1, CTL_PAGE_MAX, &limit))
		return fq_refuse("bad number: limit 1..5000, before >= 1");
	fq_i64(b, sizeof(b), before);
	fq_i64(l, sizeof(l), limit);
	r = fq_exec(q, FLEET_AUDIT_PAGE, 2, p);
	a = r ? fq_json_rows(r, 0) : NULL;
	PQclear(r);
	if (!a)
		return NULL;
	rep = fq_ok();
	cJSON_AddItemToObject(rep, "audit", a);
	return rep;
}

/* One JSON object the statement answers, merged into an ok reply. */
static cJSON *object_reply(struct fq *q, const char *sql)
{
	PGresult *r = fq_exec(q, sql, 0, NULL);
	cJSON *o = r && PQntuples(r) ? cJSON_Parse(PQgetvalue(r, 0, 0)) : NULL;
	cJSON *rep, *it;

	PQclear(r);
	if (!o)
		return NULL;
	rep = fq_ok();
	while ((it = o->child)) {
		cJSON_DetachItemViaPointer(o, it);
		cJSON_AddItemToObject(rep, it->string, it);
	}
	cJSON_Delete(o);
	return rep;
}

cJSON *fleet_status(struct fq *q)
{
	cJSON *rep = object_reply(q, FLEET_SUMMARY);

	if (!rep)
		return NULL;
	cJSON_AddTrueToObject(rep, "fleet");
	cJSON_AddStringToObject(rep, "mode", "fleet");
	return rep;
}

cJSON *fleet_hosts(struct fq *q)
{
	PGresult *r = fq_exec(q, FLEET_HOSTS, 0, NULL);
	cJSON *a = r ? fq_json_rows(r, 0) : NULL, *rep;

	PQclear(r);
	if (!a)
		return NULL;
	rep = fq_ok();
	cJSON_AddItemToObject(rep, "hosts", a);
	return rep;
}
