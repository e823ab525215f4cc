// SPDX-License-Identifier: GPL-2.0-or-later
/* The fleet's three exchanges with PostgreSQL: the outbox shipped, the
 * central lists copied and applied, the commands run. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "egressd/pattern.h"
#include "egressd/clock.h"
#include "egressd/domain.h"
#include "fleet_host_internal.h"
#include "log.h"
#include "pgschema.h"

/* ---- the outbox ---- */

/* The central rev: the store's creation time above the local counter,
 * so that a store made again (wiped, set aside) ships revs that win
 * over those of the store before it. */
static int64_t central_rev(const struct fleet_host *f, int64_t rev)
{
	return (int64_t)((uint64_t)f->created << 32 | (uint64_t)rev);
}

static int rollback(struct fleet_host *f, int r)
{
	char err[64];

	if (f->db)
		fleet_host_exec(f, "ROLLBACK", 0, NULL, NULL, err, sizeof(err));
	return r;
}

/* The day partitions of the batch, each distinct day once (a batch may
 * hold an old event's update beside today's: never the range between). */
static int ship_partitions(struct fleet_host *f, const struct store_changes *c,
			   char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n; i++) {
		const char *d = c->v[i].e.day;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(c->v[k].e.day, d);
		if (!seen && pgschema_partitions(f->db, d, d, err, errlen))
			return PQstatus(f->db) == CONNECTION_BAD ? -ECONNRESET
								  : -EIO;
	}
	return 0;
}

static int ship_gone(struct fleet_host *f, const struct store_change *c,
		     char *err, size_t errlen)
{
	char id[24], rev[24];
	const char *p[] = { f->host_id, id, c->e.day, rev };

	snprintf(id, sizeof(id), "%" PRId64, c->e.id);
	snprintf(rev, sizeof(rev), "%" PRId64, central_rev(f, c->rev));
	return fleet_host_exec(f, PGSCHEMA_EVENT_GONE, 4, p, NULL, err, errlen);
}

static int ship_event(struct fleet_host *f, const struct store_change *c,
		      char *err, size_t errlen)
{
	const struct store_event *e = &c->e;
	char id[24], rev[24], first[24], last[24], count[24];
	const char *p[PGSCHEMA_EVENT_UPSERT_NPARAMS] = {
		f->host_id, id, e->day, rev, e->type, e->subject,
		e->container_id, e->container_name, e->image, e->host,
		e->process_path, e->process_user, first, last, count,
		e->status, e->action, e->rule_list, e->rule_source,
		e->rule_pattern, e->rule_category, e->detail ? e->detail : "",
	};

	snprintf(id, sizeof(id), "%" PRId64, e->id);
	snprintf(rev, sizeof(rev), "%" PRId64, central_rev(f, c->rev));
	snprintf(first, sizeof(first), "%" PRId64, e->first_seen);
	snprintf(last, sizeof(last), "%" PRId64, e->last_seen);
	snprintf(count, sizeof(count), "%" PRId64, e->count);
	return fleet_host_exec(f, PGSCHEMA_EVENT_UPSERT,
			  PGSCHEMA_EVENT_UPSERT_NPARAMS, p, NULL, err, errlen);
}

/* One transaction: the rows, then hosts.shipped_rev; the local mark
 * only once it committed (a crash between the two ships the batch
 * again, which changes nothing). */
static int ship_batch(struct fleet_host *f, const struct store_changes *c,
		      char *err, size_t errlen)
{
	int64_t last = c->v[c->n - 1].rev;
	char rev[24];
	const char *p[] = { f->host_id, rev };
	int r = ship_partitions(f, c, err, errlen);

	if (!r)
		r = fleet_host_exec(f, "BEGIN", 0, NULL, NULL, err, errlen);
	for (size_t i = 0; !r && i < c->n; i++)
		r = c->v[i].gone ? ship_gone(f, &c->v[i], err, errlen)
				 : ship_event(f, &c->v[i], err, errlen);
	snprintf(rev, sizeof(rev), "%" PRId64, central_rev(f, last));
	if (!r)
		r = fleet_host_exec(f, "UPDATE hosts SET shipped_rev = $2"
				  " WHERE host_id = $1", 2, p, NULL, err, errlen);
	if (!r)
		r = fleet_host_exec(f, "COMMIT", 0, NULL, NULL, err, errlen);
	if (r)
		return rollback(f, r);
	r = store_fleet_shipped(f->st, last);
	if (r) {
		snprintf(err, errlen, "shipped, but the store cannot mark it "
			 "(%s): it ships again, which changes nothing",
			 strerror(-r));
		return r;
	}
	f->shipped = last;
	f->shipped_since += (int64_t)c->n;
	return 0;
}

int fleet_host_ship(struct fleet_host *f, char *err, size_t errlen)
{
	for (int b = 0; b < FLEET_BATCHES_PER_ROUND; b++) {
		struct store_changes c;
		int r = store_fleet_changes(f->st, f->shipped, FLEET_BATCH, &c);

		if (r) {
			snprintf(err, errlen, "reading the outbox: %s",
				 strerror(-r));
			return r;
		}
		if (c.n)
			r = ship_batch(f, &c, err, errlen);
		store_fleet_changes_release(&c);
		if (r || c.n < FLEET_BATCH)
			return r;
	}
	return 0;
}

/* ---- the central lists ---- */

/* A central pattern as the lists load it (normalised); one this build
 * cannot load is left out (logged, copied as removed), never a reason
 * for the lists to be refused on every host. */
static void pattern_take(struct store_fleet_entry *e, char *norm, size_t len)
{
	char why[200];

	if (e->deleted || !pattern_check(e->pattern, true, norm, len, why,
					     sizeof(why))) {
		if (!e->deleted)
			e->pattern = norm;
		return;
	}
	log_warn("fleet: central %s entry %" PRId64 " '%.80s' %s: left out\n",
		 e->list, e->id, e->pattern, why);
	e->deleted = true;
}

/* Copies one page of changes; *ret_n: how many. */
static int lists_page(struct fleet_host *f, PGresult *res, int *ret_n)
{
	int n = PQntuples(res), r;
	struct store_fleet_entry *v = calloc(n ? (size_t)n : 1, sizeof(*v));
	char (*norm)[DOMAIN_TEXT_MAX + 64] = calloc(n ? (size_t)n : 1,
						    sizeof(*norm));
	int64_t top = f->lists_at;

	if (!v || !norm) {
		free(v);
		free(norm);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		v[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		v[i].list = PQgetvalue(res, i, 1);
		v[i].pattern = PQgetvalue(res, i, 2);
		v[i].version = strtoll(PQgetvalue(res, i, 3), NULL, 10);
		v[i].deleted = PQgetvalue(res, i, 4)[0] == 't';
		pattern_take(&v[i], norm[i], sizeof(norm[i]));
		if (v[i].version > top)
			top = v[i].version;
	}
	r = store_fleet_lists_put(f->st, v, (size_t)n, top);
	for (int i = 0; !r && i < n; i++)
		if (!v[i].deleted && !strcmp(v[i].list, "white"))
			f->white_added = true;
	free(v);
	free(norm);
	if (!r) {
		f->lists_at = top;
		*ret_n = n;
	}
	return r;
}

/* New central white entries mark this host's pending events they cover
 * whitelisted, as a local whitelist entry does: once the lists that
 * allow them are in force (before, a lookup blocked by the old lists
 * would start a new pending event), and once more when the occurrences
 * blocked just before the swap are written (the event writer may hold
 * one for its process lookup and a rescan). */
static void white_applied(struct fleet_host *f)
{
	char err[256];
	int n;

	f->white_added = false;
	if (ctl_lists_apply(f->ctl, FLEET_APPLY_WAIT_MS, err, sizeof(err)))
		log_warn("fleet: the central white entries are not in force "
			 "yet: %s\n", err);
	n = fleet_host_white_sweep(f);
	if (n > 0)
		log_info("fleet: %d pending event(s) whitelisted by central "
			 "entries\n", n);
	f->white_sweep_at = clock_mono_ms() + FLEET_WHITE_SWEEP_MS;
}

int fleet_host_lists_catch_up(struct fleet_host *f, char *err, size_t errlen)
{
	int n = FLEET_LIST_PAGE, changed = 0, r = 0;

	while (!r && n == FLEET_LIST_PAGE) {
		char after[24], limit[16];
		const char *p[] = { after, limit };
		PGresult *res;
		snprintf(after, sizeof(after), "%" PRId64, f->lists_at);
		snprintf(limit, sizeof(limit), "%d", FLEET_LIST_PAGE);
		r = fleet_host_exec(f, "SELECT id, list, pattern, version, deleted"
				  " FROM list_entries WHERE version > $1"
				  " ORDER BY version LIMIT $2",
			       2, p, &res, err, errlen);
		if (r)
			break;
		r = lists_page(f, res, &n);
		PQclear(res);
		if (r)
			snprintf(err, errlen, "copying the central lists: %s",
				 strerror(-r));
		changed += r ? 0 : n;
	}
	if (changed)
		log_info("fleet: %d central list change(s), version %" PRId64
			 ": lists rebuilt\n", changed, f->lists_at);
	if (f->white_added)
		white_applied(f); /* rebuilds, and waits for it */
	else if (changed)
		ctl_request_reload(f->ctl);
	return r;
}

int fleet_host_white_sweep(struct fleet_host *f)
{
	char *text[2] = { NULL, NULL };
	int n = 0, r = store_fleet_list_text(f->st, "white", &text[0], &text[1]);

	for (int k = 0; !r && k < 2; k++)
		for (char *save = NULL, *p = strtok_r(text[k], "\n", &save); p;
		     p = strtok_r(NULL, "\n", &save)) {
			int m = store_events_whitelist_pending(f->st, p);
			n += m > 0 ? m : 0;
		}
	free(text[0]);
	free(text[1]);
	return r ? r : n;
}

/* ---- commands ---- */

/* A handling command names the event by its local id and day, and its
 * subject when the console gave it: they must match, since a local id
 * may be reused after a delete (a delete run twice, its outcome lost the
 * first time, must not take the next event of that id). */
static cJSON *handle_request(struct fleet_host *f, const char *verb,
			     const cJSON *args, char *why, size_t whylen)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(args, "local_id");
	const cJSON *day = cJSON_GetObjectItemCaseSensitive(args, "day");
	const cJSON *subj = cJSON_GetObjectItemCaseSensitive(args, "subject");
	struct store_event e;
	cJSON *req, *ids;
	bool same;

	if (!cJSON_IsNumber(id) || !cJSON_IsString(day) ||
	    store_event_get(f->st, (int64_t)id->valuedouble, &e)) {
		snprintf(why, whylen, "no such event");
		return NULL;
	}
	same = !strcmp(e.day, day->valuestring) &&
	       (!cJSON_IsString(subj) || !strcmp(e.subject, subj->valuestring));
	store_event_release(&e);
	if (!same) {
		snprintf(why, whylen, "no such event");
		return NULL;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "events_handle");
	cJSON_AddStringToObject(req, "action", verb);
	ids = cJSON_AddArrayToObject(req, "ids");
	cJSON_AddItemToArray(ids, cJSON_CreateNumber(id->valuedouble));
	cJSON_AddBoolToObject(req, "yes", true);
	return req;
}

static cJSON *command_request(struct fleet_host *f, const char *verb,
			      const cJSON *args, char *why, size_t whylen)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(args, "container");
	cJSON *req;

	if (strcmp(verb, "isolate") && strcmp(verb, "unisolate"))
		return handle_request(f, verb, args, why, whylen);
	if (!cJSON_IsString(k)) {
		snprintf(why, whylen, "missing \"container\"");
		return NULL;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", verb);
	cJSON_AddStringToObject(req, "container", k->valuestring);
	return req;
}

/* The reply's error sentence, "" when it succeeded. */
static bool reply_outcome(const cJSON *rep, char *why, size_t whylen)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(rep, "error");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(rep, "results");
	const cJSON *one = cJSON_GetArrayItem(res, 0);

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok"))) {
		why[0] = 0;
		return true;
	}
	if (!cJSON_IsString(e))
		e = cJSON_GetObjectItemCaseSensitive(one, "error");
	snprintf(why, whylen, "%s", cJSON_IsString(e) ? e->valuestring
						      : "failed");
	return false;
}

/* "fleet:" and the console user, kept to the audit's characters. */
static void command_actor(const char *by, char *out, size_t len)
{
	size_t n = snprintf(out, len, "fleet:");

	for (; *by && n + 1 < len && n < 6 + 32; by++)
		if ((*by >= 'a' && *by <= 'z') || (*by >= '0' && *by <= '9') ||
		    strchr("_.-", *by))
			out[n++] = *by;
	out[n] = 0;
}

static bool command_run(struct fleet_host *f, const char *verb, const char *args,
			const char *by, char *why, size_t whylen)
{
	cJSON *a = cJSON_Parse(args), *req, *rep;
	char actor[48];
	bool ok = false;

	req = command_request(f, verb, a, why, whylen);
	cJSON_Delete(a);
	if (!req)
		return false;
	command_actor(by, actor, sizeof(actor));
	rep = ctl_execute(f->ctl, req, actor, f->st);
	ok = rep && reply_outcome(rep, why, whylen);
	if (!rep)
		snprintf(why, whylen, "out of memory");
	log_info("fleet: command %s %s by %s: %s%s\n", verb, args, actor,
		 ok ? "done" : "failed: ", ok ? "" : why);
	cJSON_Delete(req);
	cJSON_Delete(rep);
	return ok;
}

/* Takes this host's pending commands (rows locked, skipping those
 * another session holds), runs each, writes its outcome; one
 * transaction. A command run whose outcome could not be committed (the
 * connection lost) runs again later: isolate and handling are
 * idempotent in effect, a second delete says "no such event". */
int fleet_host_commands_run(struct fleet_host *f, char *err, size_t errlen)
{
	char limit[16];
	const char *p[] = { f->host_id, limit };
	PGresult *res;
	int r;

	snprintf(limit, sizeof(limit), "%d", FLEET_COMMANDS_PAGE);
	r = fleet_host_exec(f, "BEGIN", 0, NULL, NULL, err, errlen);
	if (!r)
		/* (bounded: a command's arguments are a few keys; longer
		 * ones arrive cut, fail to parse and fail the command) */
		r = fleet_host_exec(f, "SELECT id, verb, left(args::text, 4096),"
				  " left(created_by, 64) FROM commands WHERE host_id = $1 AND"
				  " state = 'pending' ORDER BY id LIMIT $2"
				  " FOR UPDATE SKIP LOCKED",
			       2, p, &res, err, errlen);
	if (r)
		return rollback(f, r);
	for (int i = 0; !r && i < PQntuples(res); i++) {
		char why[300];
		bool ok = command_run(f, PQgetvalue(res, i, 1),
				      PQgetvalue(res, i, 2),
				      PQgetvalue(res, i, 3), why, sizeof(why));
		const char *q[] = { PQgetvalue(res, i, 0),
				    ok ? "done" : "failed", why };
		r = fleet_host_exec(f, "UPDATE commands SET state = $2, result = $3,"
				  " done = now() WHERE id = $1",
			       3, q, NULL, err, errlen);
	}
	PQclear(res);
	if (!r)
		r = fleet_host_exec(f, "COMMIT", 0, NULL, NULL, err, errlen);
	return r ? rollback(f, r) : 0;
}
