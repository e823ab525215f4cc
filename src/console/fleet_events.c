// SPDX-License-Identifier: GPL-2.0-or-later
/* Fleet mode: the events of every host (overview, list, one event) and
 * their handling (handled, ignore, delete, isolate, whitelist), with the
 * replies of egressd's events_* commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egressd/limits.h"
#include "egressd/pattern.h"
#include "egressd/event.h"
#include "egressd/store.h"
#include "fleet_internal.h"
#include "fleet_sql.h"

/* As egressd's events_list: a week by default, pages of 1..1000, times
 * within 10^12 s of the epoch; ids per handling request. */
#define LIST_SPAN_DEFAULT (7 * 86400LL)
#define LIST_LIMIT_MAX 1000
#define TIME_MAX 1000000000000LL
#define HANDLE_IDS_MAX 10000
/* The last day a date column holds in four digits: 9999-12-31. */
#define DAY_LAST_S 253402214400LL

/* ---- the overview ---- */

/* The console's local days of the window, oldest first (mktime walks
 * back over DST), as egressd's overview counts them. */
static void overview_days(time_t now, char days[OVERVIEW_DAYS][11])
{
	struct tm tm;

	for (int i = 0; i < OVERVIEW_DAYS; i++) {
		localtime_r(&now, &tm);
		tm.tm_mday -= OVERVIEW_DAYS - 1 - i;
		tm.tm_hour = 12;
		tm.tm_isdst = -1;
		time_t d = mktime(&tm);
		localtime_r(&d, &tm);
		strftime(days[i], 11, "%Y-%m-%d", &tm);
	}
}

static long long cell_i64(PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* Rows (day, category, events) into the days' totals and categories;
 * past OVERVIEW_CATS - 1 categories a day's rest is "other". */
static void overview_fill_days(cJSON *days, PGresult *r)
{
	for (int i = 0; i < PQntuples(r); i++) {
		const char *cat = PQgetvalue(r, i, 1);
		long long n = cell_i64(r, i, 2);
		cJSON *d, *cats, *c;

		cJSON_ArrayForEach(d, days)
			if (!strcmp(cJSON_GetStringValue(
					    cJSON_GetObjectItem(d, "day")),
				    PQgetvalue(r, i, 0)))
				break;
		if (!d)
			continue;
		cJSON_SetNumberValue(cJSON_GetObjectItem(d, "total"),
				     cJSON_GetObjectItem(d, "total")->valuedouble + n);
		cats = cJSON_GetObjectItem(d, "categories");
		if (!*cat || (!cJSON_GetObjectItem(cats, cat) &&
			      cJSON_GetArraySize(cats) >= OVERVIEW_CATS - 1))
			cat = "other";
		c = cJSON_GetObjectItem(cats, cat);
		if (c)
			cJSON_SetNumberValue(c, c->valuedouble + n);
		else
			cJSON_AddNumberToObject(cats, cat, (double)n);
	}
}

static cJSON *overview_tops(struct fq *q, const char *sql, const char *from,
			    bool domains)
{
	char top[16];
	const char *p[] = { from, top };
	PGresult *r;
	cJSON *a;

	fq_i64(top, sizeof(top), OVERVIEW_TOP);
	r = fq_exec(q, sql, 2, p);
	if (!r)
		return NULL;
	a = cJSON_CreateArray();
	for (int i = 0; i < PQntuples(r); i++) {
		cJSON *x = cJSON_CreateObject();
		if (domains) {
			cJSON_AddStringToObject(x, "domain", PQgetvalue(r, i, 0));
			cJSON_AddNumberToObject(x, "hits", cell_i64(r, i, 2));
		} else {
			cJSON_AddStringToObject(x, "container_id", PQgetvalue(r, i, 0));
			cJSON_AddStringToObject(x, "container_name", PQgetvalue(r, i, 1));
			cJSON_AddStringToObject(x, "host_id", PQgetvalue(r, i, 3));
		}
		cJSON_AddNumberToObject(x, "count", cell_i64(r, i, domains ? 1 : 2));
		cJSON_AddItemToArray(a, x);
	}
	PQclear(r);
	return a;
}

static bool overview_counts(struct fq *q, cJSON *o, const char *from)
{
	static const char *const keys[] = { "pending", "containers",
					    "events_7d", "blocked_7d" };
	PGresult *r = fq_exec(q, FLEET_OVERVIEW_COUNTS, 1, &from);

	if (!r)
		return false;
	for (int k = 0; k < 4; k++)
		cJSON_AddNumberToObject(o, keys[k], cell_i64(r, 0, k));
	PQclear(r);
	return true;
}

cJSON *fleet_events_overview(struct fq *q)
{
	char days[OVERVIEW_DAYS][11];
	const char *from = days[0];
	cJSON *o = cJSON_CreateObject(), *d, *doms = NULL, *conts = NULL;
	PGresult *r = NULL;

	overview_days(time(NULL), days);
	d = cJSON_AddArrayToObject(o, "days");
	for (int i = 0; i < OVERVIEW_DAYS; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "day", days[i]);
		cJSON_AddNumberToObject(x, "total", 0);
		cJSON_AddObjectToObject(x, "categories");
		cJSON_AddItemToArray(d, x);
	}
	if (overview_counts(q, o, from) &&
	    (r = fq_exec(q, FLEET_OVERVIEW_DAYS, 1, &from)))
		overview_fill_days(d, r);
	PQclear(r);
	if (r)
		doms = overview_tops(q, FLEET_OVERVIEW_DOMAINS, from, true);
	if (doms)
		conts = overview_tops(q, FLEET_OVERVIEW_CONTAINERS, from, false);
	if (!conts) {
		cJSON_Delete(doms);
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddItemToObject(o, "top_domains", doms);
	cJSON_AddItemToObject(o, "top_containers", conts);
	d = fq_ok();
	cJSON_AddItemToObject(d, "overview", o);
	return d;
}

/* ---- the list ---- */

struct list_args {
	long long from, to, limit, offset;
	char num[4][24], dfrom[16], dto[16];
	const char *order;
	const char *p[11];
};

/* The UTC day of t, clamped to what a date column holds. */
static void day_of(long long t, char *out, size_t len)
{
	time_t x = (time_t)(t < 0 ? 0 : t > DAY_LAST_S ? DAY_LAST_S : t);
	struct tm tm;

	gmtime_r(&x, &tm);
	strftime(out, len, "%Y-%m-%d", &tm);
}

static bool status_known(const char *s)
{
	return !s || !strcmp(s, "pending") || !strcmp(s, "handled") ||
	       !strcmp(s, "ignored") || !strcmp(s, "whitelisted");
}

/* The request's filters as parameters; a refusal, or NULL. */
static cJSON *list_args_read(const cJSON *req, struct list_args *a)
{
	long long now = time(NULL), span;
	bool ok = fq_num(req, "to", now, -TIME_MAX, TIME_MAX, &a->to) &
		  fq_num(req, "since", LIST_SPAN_DEFAULT, 0, TIME_MAX, &span) &
		  fq_num(req, "limit", 100, 1, LIST_LIMIT_MAX, &a->limit) &
		  fq_num(req, "offset", 0, 0, 0x7fffffff, &a->offset);
	static const char *const strs[] = { "status", "container", "domain",
					    "image", "host" };

	ok &= fq_num(req, "from", now - span, -TIME_MAX, TIME_MAX, &a->from);
	if (!ok)
		return fq_refuse("bad number: limit must be 1..1000, offset >= "
				 "0, times and spans within 10^12 s");
	if (!status_known(fq_str(req, "status")))
		return fq_refuse("unknown status '%s' (pending, handled, "
				 "ignored, whitelisted)", fq_str(req, "status"));
	a->order = fleet_sql_order(fq_str(req, "sort"));
	if (!a->order)
		return fq_refuse("unknown sort '%s' (last_seen, first_seen, "
				 "count, domain, container; '-' in front: "
				 "descending)", fq_str(req, "sort"));
	/* a host's day is its local one: a day more each way */
	day_of(a->from - 86400, a->dfrom, sizeof(a->dfrom));
	day_of(a->to + 86400, a->dto, sizeof(a->dto));
	fq_i64(a->num[0], sizeof(a->num[0]), a->from);
	fq_i64(a->num[1], sizeof(a->num[1]), a->to);
	fq_i64(a->num[2], sizeof(a->num[2]), a->limit);
	fq_i64(a->num[3], sizeof(a->num[3]), a->offset);
	a->p[0] = a->num[0];
	a->p[1] = a->num[1];
	a->p[2] = a->dfrom;
	a->p[3] = a->dto;
	for (int i = 0; i < 5; i++)
		a->p[4 + i] = fq_str(req, strs[i]) ? fq_str(req, strs[i]) : "";
	a->p[9] = a->num[2];
	a->p[10] = a->num[3];
	return NULL;
}

static bool list_total(struct fq *q, const struct list_args *a, cJSON *rep)
{
	PGresult *r = fq_exec(q, FLEET_EVENTS_COUNT, 9, a->p);

	if (!r)
		return false;
	cJSON_AddNumberToObject(rep, "total", (double)cell_i64(r, 0, 0));
	PQclear(r);
	return true;
}

cJSON *fleet_events_list(struct fq *q)
{
	struct list_args a;
	char sql[4096];
	cJSON *rep = list_args_read(q->req, &a), *ev;
	PGresult *r;

	if (rep)
		return rep;
	if (fleet_sql_events_page(sql, sizeof(sql), a.order))
		return fq_refuse("out of memory");
	r = fq_exec(q, sql, 11, a.p);
	if (!r)
		return NULL;
	ev = fq_json_rows(r, 0);
	PQclear(r);
	if (!ev)
		return NULL;
	rep = fq_ok();
	cJSON_AddItemToObject(rep, "events", ev);
	if (cJSON_IsTrue(cJSON_GetObjectItem(q->req, "total")) &&
	    !list_total(q, &a, rep)) {
		cJSON_Delete(rep);
		return NULL;
	}
	return rep;
}

/* ---- one event ---- */

static long long id_of(const cJSON *req)
{
	long long id;

	return fq_num(req, "id", 0, 1, (1LL << 53), &id) ? id : 0;
}

/* The event's detail, what is known of its container and the advice. */
static void show_more(cJSON *o, PGresult *r)
{
	const char *detail = PQgetvalue(r, 0, 1), *risk, *remedy;
	cJSON *now;

	if (*detail) {
		cJSON *d = cJSON_Parse(detail);
		cJSON_AddItemToObject(o, "detail", d ? d : cJSON_CreateNull());
	}
	now = cJSON_AddObjectToObject(o, "container_now");
	cJSON_AddStringToObject(now, "state", PQgetvalue(r, 0, 2));
	cJSON_AddStringToObject(now, "isolation", PQgetvalue(r, 0, 3));
	pattern_advice(cJSON_GetStringValue(cJSON_GetObjectItem(o, "rule_category")),
		       &risk, &remedy);
	cJSON_AddStringToObject(o, "risk", risk);
	cJSON_AddStringToObject(o, "remedy", remedy);
}

cJSON *fleet_events_show(struct fq *q)
{
	long long id = id_of(q->req);
	char ids[24];
	const char *p[] = { ids };
	PGresult *r;
	cJSON *o, *rep;

	fq_i64(ids, sizeof(ids), id);
	r = fq_exec(q, FLEET_EVENT_GET, 1, p);
	if (!r)
		return NULL;
	if (!PQntuples(r)) {
		PQclear(r);
		return fq_refuse("no event %lld", id);
	}
	o = cJSON_Parse(PQgetvalue(r, 0, 0));
	if (o)
		show_more(o, r);
	PQclear(r);
	if (!o)
		return NULL;
	rep = fq_ok();
	cJSON_AddItemToObject(rep, "event", o);
	return rep;
}

/* ---- handling ---- */

/* handled, ignore or delete of one event: its central row now, and a
 * command for its host. 0, -ENOENT, or -EIO (q->err). */
static int handle_one(struct fq *q, const char *action, long long id)
{
	char ids[24];
	const char *st = !strcmp(action, "ignore") ? "ignored" : "handled";
	const char *p[] = { ids, st, action, q->actor };
	const char *pd[] = { ids, q->actor };
	bool del = !strcmp(action, "delete");
	PGresult *r;
	int n;

	fq_i64(ids, sizeof(ids), id);
	r = del ? fq_exec(q, FLEET_EVENT_DELETE, 2, pd)
		: fq_exec(q, FLEET_EVENT_SET_STATUS, 4, p);
	if (!r)
		return -EIO;
	n = PQntuples(r);
	PQclear(r);
	return n ? 0 : -ENOENT;
}

static bool action_known(const char *a)
{
	return a && (!strcmp(a, "handled") || !strcmp(a, "ignore") ||
		     !strcmp(a, "delete") || !strcmp(a, "isolate"));
}

/* One result of a batch, as egressd's events_handle words it. */
static void result_add(cJSON *res, long long id, const char *result,
		       const char *error)
{
	cJSON *one = cJSON_CreateObject();

	cJSON_AddNumberToObject(one, "id", (double)id);
	cJSON_AddStringToObject(one, "result", result);
	if (error)
		cJSON_AddStringToObject(one, "error", error);
	cJSON_AddItemToArray(res, one);
}

/* handled, ignore, delete: one by one. NULL if the database failed. */
static cJSON *handle_each(struct fq *q, const char *action, const cJSON *ids)
{
	cJSON *rep = fq_ok(), *res = cJSON_AddArrayToObject(rep, "results");
	const cJSON *it;
	bool bad = false;

	cJSON_ArrayForEach(it, ids)
	{
		long long id = fq_item_id(it);
		int e = id ? handle_one(q, action, id) : -ENOENT;
		if (e == -EIO) {
			cJSON_Delete(rep);
			return NULL;
		}
		result_add(res, id, e ? "failed" : "done",
			   e ? "no such event" : NULL);
		bad |= e != 0;
	}
	if (bad)
		cJSON_ReplaceItemInObject(rep, "ok", cJSON_CreateFalse());
	return rep;
}

cJSON *fleet_events_handle(struct fq *q)
{
	const char *action = fq_str(q->req, "action");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(q->req, "ids");
	int n = cJSON_GetArraySize(ids);

	if (!action_known(action))
		return fq_refuse("action must be handled, ignore, delete or "
				 "isolate");
	if (!cJSON_IsArray(ids) || !n)
		return fq_refuse("missing \"ids\"");
	if (n > HANDLE_IDS_MAX)
		return fq_refuse("too many ids in one request");
	if (!strcmp(action, "delete") &&
	    !cJSON_IsTrue(cJSON_GetObjectItem(q->req, "yes")))
		return fq_refuse("delete removes events for good: confirm "
				 "with --yes");
	if (strcmp(action, "isolate"))
		return handle_each(q, action, ids);
	if (n > FLEET_ISOLATE_MAX)
		return fq_refuse("at most %d events to isolate in one request",
				 FLEET_ISOLATE_MAX);
	return fleet_events_isolate(q, ids);
}

/* ---- whitelisting ---- */

struct wl_target {
	char host[80], subject[EVENT_TEXT_MAX + 1];
};

/* The event's host and subject: 0, -ENOENT or -EIO. */
static int wl_target_get(struct fq *q, const char *ids, struct wl_target *t)
{
	PGresult *r = fq_exec(q, FLEET_EVENT_TARGET, 1, &ids);
	int n;

	if (!r)
		return -EIO;
	n = PQntuples(r);
	if (n) {
		snprintf(t->host, sizeof(t->host), "%s", PQgetvalue(r, 0, 0));
		snprintf(t->subject, sizeof(t->subject), "%s",
			 PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return n ? 0 : -ENOENT;
}

/* The entry, the event, the pending rows it covers: one transaction.
 * Answers how many more were marked, or -1 (q->err). */
static long long wl_store(struct fq *q, const char *ids, const char *pattern,
			  const char *note, cJSON *rep)
{
	bool wild = !strncmp(pattern, "*.", 2);
	const char *pa[] = { pattern, note, q->actor };
	const char *pp[] = { ids, wild ? pattern + 1 : pattern,
			     wild ? "true" : "false" };
	PGresult *r;
	long long n;

	if (fq_run(q, "BEGIN") || !(r = fq_exec(q, FLEET_WHITE_ADD, 3, pa)))
		return -1;
	if (PQntuples(r)) {
		cJSON_AddNumberToObject(rep, "entry", (double)cell_i64(r, 0, 0));
		cJSON_AddNumberToObject(rep, "list_version",
					(double)cell_i64(r, 0, 1));
	}
	PQclear(r);
	r = fq_exec(q, FLEET_EVENT_WHITELISTED, 1, &ids);
	if (!r)
		return -1;
	PQclear(r);
	r = fq_exec(q, FLEET_WHITELIST_PENDING, 3, pp);
	if (!r)
		return -1;
	n = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return fq_run(q, "COMMIT") ? -1 : n;
}

cJSON *fleet_events_whitelist(struct fq *q)
{
	const char *want = fq_str(q->req, "domain"), *note = fq_str(q->req, "note");
	char ids[24], pattern[300], why[200], what[400];
	struct wl_target t;
	long long marked;
	int e;
	cJSON *rep;

	if (note && strlen(note) > CTL_NOTE_MAX)
		return fq_refuse("note too long: %zu bytes, at most %d",
				 strlen(note), CTL_NOTE_MAX);
	fq_i64(ids, sizeof(ids), id_of(q->req));
	e = wl_target_get(q, ids, &t);
	if (e)
		return e == -ENOENT ? fq_refuse("no such event") : NULL;
	if (!want)
		want = t.subject;
	if (pattern_check(want, cJSON_IsTrue(cJSON_GetObjectItem(q->req, "force")),
			  pattern, sizeof(pattern), why, sizeof(why)) ||
	    !pattern_covers(pattern, t.subject))
		return fq_refuse("'%s' %s", want,
				 why[0] ? why : "does not cover the event's subject");
	rep = fq_ok();
	marked = wl_store(q, ids, pattern, note ? note : "whitelisted from an event",
			  rep);
	if (marked < 0) {
		cJSON_Delete(rep);
		return NULL;
	}
	snprintf(what, sizeof(what), "event %s whitelist %s (central)", ids,
		 pattern);
	fq_audit(q, t.host, "whitelist", what);
	cJSON_AddStringToObject(rep, "pattern", pattern);
	cJSON_AddNumberToObject(rep, "also_whitelisted", (double)marked);
	return rep;
}
