// SPDX-License-Identifier: GPL-2.0-or-later
/* Fleet mode: egressd's requests answered from PostgreSQL, verb by verb
 * (fleet_events.c, fleet_commands.c, fleet_lists.c), with the replies
 * egressd gives (src/ctl/ctl_json.c), so that api*.c and the UI serve
 * both modes alike. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fleet_internal.h"

typedef cJSON *(*fleet_fn)(struct fq *q);

static const struct {
	const char *cmd;
	fleet_fn fn;
} verbs[] = {
	{ "events_overview", fleet_events_overview },
	{ "events_list", fleet_events_list },
	{ "events_show", fleet_events_show },
	{ "events_handle", fleet_events_handle },
	{ "events_whitelist", fleet_events_whitelist },
	{ "list_get", fleet_list_get },
	{ "list_add", fleet_list_add },
	{ "list_remove", fleet_list_remove },
	{ "lists", fleet_lists },
	{ "containers", fleet_containers },
	{ "isolate", fleet_isolate },
	{ "unisolate", fleet_unisolate },
	{ "audit", fleet_audit },
	{ "status", fleet_status },
	{ "hosts", fleet_hosts },
};

cJSON *fq_refuse(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	cJSON *o = cJSON_CreateObject();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddFalseToObject(o, "ok");
	cJSON_AddStringToObject(o, "error", msg);
	return o;
}

cJSON *fq_ok(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddTrueToObject(o, "ok");
	return o;
}

const char *fq_str(const cJSON *req, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool fq_num(const cJSON *req, const char *key, long long dflt, long long lo,
	    long long hi, long long *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	*ret = dflt;
	if (!v)
		return true;
	/* as doubles first: 1e300 must not reach an integer */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo) ||
	    !(v->valuedouble <= (double)hi))
		return false;
	*ret = (long long)v->valuedouble;
	return true;
}

long long fq_item_id(const cJSON *it)
{
	double v = cJSON_IsNumber(it) ? it->valuedouble : 0;

	return v >= 1 && v <= 1e15 ? (long long)v : 0;
}

void fq_i64(char *buf, size_t len, long long v)
{
	snprintf(buf, len, "%lld", v);
}

cJSON *fq_json_rows(PGresult *r, int col)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; a && i < PQntuples(r); i++) {
		cJSON *o = cJSON_Parse(PQgetvalue(r, i, col));
		if (!o || !cJSON_AddItemToArray(a, o)) {
			cJSON_Delete(o);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

void fq_audit(struct fq *q, const char *host, const char *action,
	      const char *what)
{
	const char *p[] = { q->actor, host ? host : "", action, what };

	PQclear(fq_exec(q, "INSERT INTO audit (actor, host_id, action, what)"
			" VALUES ($1, $2, $3, $4)", 4, p));
}

static fleet_fn verb_of(const char *cmd)
{
	for (size_t i = 0; cmd && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(cmd, verbs[i].cmd))
			return verbs[i].fn;
	return NULL;
}

/* A database that is away is 503 (try again); one that failed the
 * request is 502, as egressd that answered nothing valid. */
static void db_error(struct http_reply *rep, unsigned code, const char *err)
{
	api_error(rep, code, "the fleet database: %s", err);
	if (code == 503)
		rep->retry_after = 5;
}

int fleet_call(struct http_ctx *ctx, cJSON *req, cJSON **ret,
	       struct http_reply *rep)
{
	struct fq q = { .f = ctx->con->fleet, .req = req,
			.actor = ctx->session.user };
	fleet_fn fn = verb_of(fq_str(req, "cmd"));
	cJSON *reply;

	*ret = NULL;
	if (!fn) {
		cJSON_Delete(req);
		api_error(rep, 404, "not in fleet mode: this needs egressd on "
			  "its host");
		return -1;
	}
	q.db = fleet_db_get(q.f, q.err, sizeof(q.err));
	if (!q.db) {
		cJSON_Delete(req);
		db_error(rep, 503, q.err);
		return -1;
	}
	/* A handler answers NULL when the database failed it (q.err); a
	 * transaction left open is closed with its connection. */
	reply = fn(&q);
	fleet_db_put(q.f, q.db, q.broken);
	cJSON_Delete(req);
	if (reply) {
		*ret = reply;
		return 0;
	}
	db_error(rep, q.broken ? 503 : 502, q.failed ? q.err : "out of memory");
	return -1;
}
