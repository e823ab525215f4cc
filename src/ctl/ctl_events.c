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
#include "ctl_reply.h"
#include "ctl_lists.h"
#include "jsonout.h"

#define EVENTS_LIST_DEFAULT_S (7 * 86400)
#define EVENTS_LIST_LIMIT_MAX 1000
/* Times in requests: within 10^12 s of the epoch either way, so that
 * sums and differences of them never overflow. */
#define TIME_ARG_MAX 1000000000000LL
/* Ids of one handling request. */
#define HANDLE_IDS_MAX 10000

cJSON *cmd_events_overview(struct ctl_req *r)
{
	cJSON *o = store_events_overview(r->store), *rep;

	if (!o)
		return reply_store_error(store_error(r->store), "the overview");
	rep = reply_ok();
	cJSON_AddItemToObject(rep, "overview", o);
	return rep;
}

static bool status_ok(const char *s)
{
	return !s || !strcmp(s, "pending") || !strcmp(s, "handled") ||
	       !strcmp(s, "ignored") || !strcmp(s, "whitelisted");
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
		.limit = num_arg(r->req, "limit", 100, 1, EVENTS_LIST_LIMIT_MAX, &bad),
		.offset = num_arg(r->req, "offset", 0, 0, INT32_MAX, &bad),
	};
	int64_t since = num_arg(r->req, "since", EVENTS_LIST_DEFAULT_S, 0,
				TIME_ARG_MAX, &bad);
	cJSON *rep, *events;

	f.from = num_arg(r->req, "from", now - since, -TIME_ARG_MAX,
			 TIME_ARG_MAX, &bad);
	if (bad)
		return reply_error("bad number: limit must be 1..1000, offset "
				   ">= 0, times and spans within 10^12 s", NULL);
	if (!status_ok(f.status))
		return reply_error("unknown status '%s' (pending, handled, "
				   "ignored, whitelisted)", f.status);
	events = store_events_list(r->store, &f);
	if (!events)
		return reply_store_error(store_error(r->store), "the events");
	rep = reply_ok();
	cJSON_AddItemToObject(rep, "events", events);
	return rep;
}

static int64_t id_arg(const struct ctl_req *r)
{
	bool bad = false;

	return num_arg(r->req, "id", 0, 1, INT64_MAX / 2, &bad);
}

/* The event with what is known now of its container. */
cJSON *cmd_events_show(struct ctl_req *r)
{
	int64_t id = id_arg(r);
	cJSON *e = store_event_get(r->store, id), *rep, *now;
	const struct container *k;
	const struct iso_entry *iso;
	char buf[32];

	if (!e) {
		snprintf(buf, sizeof(buf), "%lld", (long long)id);
		return reply_error("no event %s", buf);
	}
	const char *cid = json_str(e, "container_id", "");
	now = cJSON_AddObjectToObject(e, "container_now");
	pthread_mutex_lock(&r->c->lock);
	k = inventory_find(r->c->inv, cid);
	iso = isolation_find(r->c->iso, cid);
	cJSON_AddStringToObject(now, "state",
				k ? (k->running ? "running" : "stopped") : "gone");
	cJSON_AddStringToObject(now, "isolation",
				iso ? iso_state_name(iso->state) : "none");
	pthread_mutex_unlock(&r->c->lock);
	rep = reply_ok();
	cJSON_AddItemToObject(rep, "event", e);
	return rep;
}

static void audit_event(struct ctl_req *r, const char *action, int64_t id,
			const char *more)
{
	char what[512];

	snprintf(what, sizeof(what), "event %lld%s%s", (long long)id,
		 more ? " " : "", more ? more : "");
	store_audit(r->store, r->uid, action, what);
}

/* isolate from an event: its container, then the event is handled. */
static int handle_isolate(struct ctl_req *r, int64_t id, cJSON *one)
{
	cJSON *ev = store_event_get(r->store, id), *x;
	int e;

	if (!ev)
		return -ENOENT;
	x = ctl_isolate_key(r, json_str(ev, "container_id", ""),
			    "isolated from an event", true);
	e = cJSON_IsTrue(cJSON_GetObjectItem(x, "ok"))
		    ? store_event_set_status(r->store, id, "handled")
		    : -EPERM;
	if (e == -EPERM)
		cJSON_AddStringToObject(one, "error", json_str(x, "error", ""));
	cJSON_Delete(x);
	cJSON_Delete(ev);
	return e;
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

/* A pattern covers a subject: the same name or address, a parent
 * "*.domain", or a network containing the address. */
static bool covers(const char *pattern, const char *subject)
{
	struct ip_addr net, a;
	unsigned plen;
	size_t pl, sl = strlen(subject);

	if (!strcmp(pattern, subject))
		return true;
	if (!ip_cidr_parse(pattern, &net, &plen) && !ip_addr_parse(subject, &a)) {
		if (a.family != net.family)
			return false;
		ip_addr_mask(&a, plen);
		return ip_addr_equal(&a, &net);
	}
	if (strncmp(pattern, "*.", 2))
		return false;
	pl = strlen(pattern + 1); /* ".domain" */
	return sl > pl && !strcmp(subject + sl - pl, pattern + 1);
}

cJSON *cmd_events_whitelist(struct ctl_req *r)
{
	int64_t id = id_arg(r);
	const char *want = str_arg(r->req, "domain"), *note;
	char pattern[300], why[200], more[400];
	cJSON *ev, *rep;
	const char *subject;
	int64_t lid;
	int marked = 0;

	if (!note_arg(r->req, &note, &rep))
		return rep;
	ev = store_event_get(r->store, id);
	if (!ev)
		return reply_error("no such event", NULL);
	subject = json_str(ev, "subject", "");
	if (ctl_pattern_check(want ? want : subject, bool_arg(r->req, "force"),
			      pattern, sizeof(pattern), why, sizeof(why)) ||
	    !covers(pattern, subject)) {
		snprintf(more, sizeof(more), "'%s' %s", want ? want : subject,
			 why[0] ? why : "does not cover the event's subject");
		cJSON_Delete(ev);
		return reply_error("%s", more);
	}
	lid = store_list_add(r->store, "white", pattern,
			     note ? note : "whitelisted from an event", r->uid);
	if (lid < 0 && lid != -EEXIST) {
		cJSON_Delete(ev);
		return reply_error("cannot store the entry", NULL);
	}
	store_event_set_status(r->store, id, "whitelisted");
	if (bool_arg(r->req, "all_pending"))
		marked = store_events_whitelist_pending(r->store, pattern);
	snprintf(more, sizeof(more), "whitelist %s%s", pattern,
		 bool_arg(r->req, "all_pending") ? " (all pending)" : "");
	audit_event(r, "whitelist", id, more);
	rep = reply_ok();
	cJSON_AddStringToObject(rep, "pattern", pattern);
	cJSON_AddNumberToObject(rep, "also_whitelisted", marked > 0 ? marked : 0);
	ctl_lists_applied(r->c, rep);
	cJSON_Delete(ev);
	return rep;
}
