// SPDX-License-Identifier: GPL-2.0-or-later
/* Control commands on events: overview, list, show, and the operator's
 * handling (handled, ignore, delete, isolate, whitelist). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_internal.h"
#include "ctl_json.h"
#include "ctl_reply.h"
#include "ctl_lists.h"
#include "egressd/pattern.h"

#define EVENTS_LIST_DEFAULT_S (7 * 86400)
#define EVENTS_LIST_LIMIT_MAX 1000
/* Times in requests: within 10^12 s of the epoch either way, so that
 * sums and differences of them never overflow. */
#define TIME_ARG_MAX 1000000000000LL
/* Ids of one handling request. */
#define HANDLE_IDS_MAX 10000

cJSON *cmd_events_overview(struct ctl_req *r)
{
	struct store_overview ov;
	int e = store_events_overview(r->store, time(NULL), &ov);

	if (e)
		return reply_store_error(e, "the overview");
	return reply_ok_with("overview", ctl_json_overview(&ov));
}

static bool status_ok(const char *s)
{
	return !s || !strcmp(s, "pending") || !strcmp(s, "handled") ||
	       !strcmp(s, "ignored") || !strcmp(s, "whitelisted");
}

/* "last_seen" (ascending) or "-last_seen" (descending); NULL: newest
 * first. Returns 0 or -EINVAL. */
static int sort_arg(const char *s, struct event_filter *f)
{
	static const char *const names[] = {
		[EVENT_SORT_LAST_SEEN] = "last_seen",
		[EVENT_SORT_FIRST_SEEN] = "first_seen",
		[EVENT_SORT_COUNT] = "count",
		[EVENT_SORT_DOMAIN] = "domain",
		[EVENT_SORT_CONTAINER] = "container",
	};

	f->sort = EVENT_SORT_LAST_SEEN;
	f->ascending = false;
	if (!s)
		return 0;
	f->ascending = *s != '-';
	if (*s == '-')
		s++;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			f->sort = (enum event_sort)i;
			return 0;
		}
	return -EINVAL;
}

cJSON *cmd_events_list(struct ctl_req *r)
{
	int64_t now = time(NULL);
	bool bad = false;
	struct event_filter f = {
		.to = num_arg(r->req, "to", now, -TIME_ARG_MAX, TIME_ARG_MAX, &bad),
		.status = str_arg(r->req, "status"),
		.container = str_arg(r->req, "container"),
		.domain = str_arg(r->req, "domain"),
		.image = str_arg(r->req, "image"),
		.host = str_arg(r->req, "host"),
		.limit = num_arg(r->req, "limit", 100, 1, EVENTS_LIST_LIMIT_MAX, &bad),
		.offset = num_arg(r->req, "offset", 0, 0, INT32_MAX, &bad),
	};
	int64_t since = num_arg(r->req, "since", EVENTS_LIST_DEFAULT_S, 0,
				TIME_ARG_MAX, &bad);
	struct store_events l;
	int64_t total = 0;
	cJSON *rep;
	int e;

	f.from = num_arg(r->req, "from", now - since, -TIME_ARG_MAX,
			 TIME_ARG_MAX, &bad);
	if (bad)
		return reply_error("bad number: limit must be 1..1000, offset "
				   ">= 0, times and spans within 10^12 s", NULL);
	if (!status_ok(f.status))
		return reply_error("unknown status '%s' (pending, handled, "
				   "ignored, whitelisted)", f.status);
	if (sort_arg(str_arg(r->req, "sort"), &f))
		return reply_error("unknown sort '%s' (last_seen, first_seen, "
				   "count, domain, container; '-' in front: "
				   "descending)", str_arg(r->req, "sort"));
	e = store_events_list(r->store, &f, &l);
	if (!e && bool_arg(r->req, "total"))
		e = store_events_count(r->store, &f, &total);
	if (e)
		return reply_store_error(e, "the events");
	rep = reply_ok_with("events", ctl_json_events(&l));
	store_events_release(&l);
	if (rep && bool_arg(r->req, "total"))
		cJSON_AddNumberToObject(rep, "total", (double)total);
	return rep;
}

static int64_t id_arg(const struct ctl_req *r)
{
	bool bad = false;

	return num_arg(r->req, "id", 0, 1, INT64_MAX / 2, &bad);
}

/* What is known now of the event's container. */
static void add_container_now(struct ctl *c, cJSON *o, const char *cid)
{
	cJSON *now = cJSON_AddObjectToObject(o, "container_now");
	const struct container *k;
	const struct iso_entry *iso;

	pthread_mutex_lock(&c->lock);
	k = inventory_find(c->inv, cid);
	iso = isolation_find(c->iso, cid);
	cJSON_AddStringToObject(now, "state",
				k ? (k->running ? "running" : "stopped") : "gone");
	cJSON_AddStringToObject(now, "isolation",
				iso ? iso_state_name(iso->state) : "none");
	pthread_mutex_unlock(&c->lock);
}

/* Risk and remedy for the rule's category (egressctl and the console
 * show them). */
static void add_advice(cJSON *o, const char *cat)
{
	const char *risk, *remedy;

	pattern_advice(cat, &risk, &remedy);
	cJSON_AddStringToObject(o, "risk", risk);
	cJSON_AddStringToObject(o, "remedy", remedy);
}

cJSON *cmd_events_show(struct ctl_req *r)
{
	int64_t id = id_arg(r);
	struct store_event ev;
	int e = store_event_get(r->store, id, &ev);
	char buf[32];
	cJSON *o;

	if (e == -ENOENT) {
		snprintf(buf, sizeof(buf), "%lld", (long long)id);
		return reply_error("no event %s", buf);
	}
	if (e)
		return reply_store_error(e, "the event");
	o = ctl_json_event(&ev);
	if (o) {
		add_container_now(r->c, o, ev.container_id);
		add_advice(o, ev.rule_category);
	}
	store_event_release(&ev);
	return reply_ok_with("event", o);
}

static void audit_event(struct ctl_req *r, const char *action, int64_t id,
			const char *more)
{
	char what[512];

	snprintf(what, sizeof(what), "event %lld%s%s", (long long)id,
		 more ? " " : "", more ? more : "");
	store_audit(r->store, r->uid, r->actor, action, what);
}

/* isolate from an event: its container, then the event is handled. */
static int handle_isolate(struct ctl_req *r, int64_t id, cJSON *one)
{
	struct ctl_isolated done;
	struct store_event ev;
	char err[512];
	int e = store_event_get(r->store, id, &ev);

	if (e)
		return e;
	e = ctl_isolate_key(r, ev.container_id, "isolated from an event", true,
			    &done, err, sizeof(err));
	store_event_release(&ev);
	if (!e)
		return store_event_set_status(r->store, id, "handled");
	/* The reason is the isolation's: not "no such event". */
	cJSON_AddStringToObject(one, "error", err);
	return -EPERM;
}

static int handle_one(struct ctl_req *r, const char *action, int64_t id,
		      cJSON *one)
{
	if (!strcmp(action, "delete"))
		return store_event_delete(r->store, id);
	if (!strcmp(action, "isolate"))
		return handle_isolate(r, id, one);
	return store_event_set_status(r->store, id,
				      !strcmp(action, "ignore") ? "ignored"
								: "handled");
}

/* handled / ignore / delete / isolate, for every id given. */
cJSON *cmd_events_handle(struct ctl_req *r)
{
	const char *action = str_arg(r->req, "action");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(r->req, "ids"), *it;
	cJSON *rep, *res;
	int bad = 0;

	if (!action || (strcmp(action, "handled") && strcmp(action, "ignore") &&
			strcmp(action, "delete") && strcmp(action, "isolate")))
		return reply_error("action must be handled, ignore, delete or "
				   "isolate", NULL);
	if (!cJSON_IsArray(ids) || !cJSON_GetArraySize(ids))
		return reply_error("missing \"ids\"", NULL);
	if (cJSON_GetArraySize(ids) > HANDLE_IDS_MAX)
		return reply_error("too many ids in one request", NULL);
	if (!strcmp(action, "delete") && !bool_arg(r->req, "yes"))
		return reply_error("delete removes events for good: confirm "
				   "with --yes", NULL);
	rep = reply_ok();
	res = cJSON_AddArrayToObject(rep, "results");
	cJSON_ArrayForEach(it, ids)
	{
		double v = cJSON_IsNumber(it) ? it->valuedouble : 0;
		int64_t id = v >= 1 && v <= 1e15 ? (int64_t)v : 0;
		cJSON *one = cJSON_CreateObject();
		int e = id ? handle_one(r, action, id, one) : -ENOENT;
		cJSON_AddNumberToObject(one, "id", (double)id);
		if (!e)
			audit_event(r, action, id, NULL);
		cJSON_AddStringToObject(one, "result", e ? "failed" : "done");
		if (e == -ENOENT)
			cJSON_AddStringToObject(one, "error", "no such event");
		bad |= e != 0;
		cJSON_AddItemToArray(res, one);
	}
	if (bad)
		cJSON_ReplaceItemInObject(rep, "ok", cJSON_CreateFalse());
	return rep;
}

/* The pattern to whitelist: the one asked for ("domain") or the event's
 * subject, which it must cover. Returns the refusal, or NULL. */
static cJSON *whitelist_pattern(const struct ctl_req *r, const char *subject,
				char *pattern, size_t len)
{
	const char *want = str_arg(r->req, "domain");
	const char *p = want ? want : subject;
	char why[200], msg[400];

	if (!pattern_check(p, bool_arg(r->req, "force"), pattern, len, why,
			       sizeof(why)) &&
	    pattern_covers(pattern, subject))
		return NULL;
	snprintf(msg, sizeof(msg), "'%s' %s", p,
		 why[0] ? why : "does not cover the event's subject");
	return reply_error("%s", msg);
}

cJSON *cmd_events_whitelist(struct ctl_req *r)
{
	int64_t id = id_arg(r), lid;
	bool all = bool_arg(r->req, "all_pending");
	char pattern[300], more[400];
	struct store_event ev;
	const char *note;
	int e, marked = 0;
	cJSON *rep;

	if (!note_arg(r->req, &note, &rep))
		return rep;
	e = store_event_get(r->store, id, &ev);
	if (e)
		return e == -ENOENT ? reply_error("no such event", NULL)
				    : reply_store_error(e, "the event");
	rep = whitelist_pattern(r, ev.subject, pattern, sizeof(pattern));
	store_event_release(&ev);
	if (rep)
		return rep;
	lid = store_list_add(r->store, "white", pattern,
			     note ? note : "whitelisted from an event", r->uid);
	if (lid < 0 && lid != -EEXIST)
		return reply_error("cannot store the entry", NULL);
	store_event_set_status(r->store, id, "whitelisted");
	if (all)
		marked = store_events_whitelist_pending(r->store, pattern);
	snprintf(more, sizeof(more), "whitelist %s%s", pattern,
		 all ? " (all pending)" : "");
	audit_event(r, "whitelist", id, more);
	rep = reply_ok();
	cJSON_AddStringToObject(rep, "pattern", pattern);
	cJSON_AddNumberToObject(rep, "also_whitelisted", marked > 0 ? marked : 0);
	ctl_lists_applied(r->c, rep);
	return rep;
}
