// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl_json.h"

#define NUM(o, key, v) cJSON_AddNumberToObject(o, key, (double)(v))
#define STR(o, key, v) cJSON_AddStringToObject(o, key, v)

/* Adds o to the array a. Out of memory, the array goes whole (never a
 * shorter list): returns NULL. */
static cJSON *push(cJSON *a, cJSON *o)
{
	if (a && o && cJSON_AddItemToArray(a, o))
		return a;
	cJSON_Delete(o);
	cJSON_Delete(a);
	return NULL;
}

/* The trend: per day, oldest first, events by category. */
static cJSON *overview_days(cJSON *o, const struct store_overview *ov)
{
	cJSON *days = cJSON_AddArrayToObject(o, "days");

	for (size_t i = 0; days && i < OVERVIEW_DAYS; i++) {
		const struct store_overview_day *d = &ov->days[i];
		cJSON *x = cJSON_CreateObject(), *cats;
		STR(x, "day", d->day);
		NUM(x, "total", d->total);
		cats = cJSON_AddObjectToObject(x, "categories");
		for (size_t k = 0; cats && k < d->ncats; k++)
			NUM(cats, d->cats[k].name, d->cats[k].n);
		days = push(days, x);
	}
	if (days)
		return o;
	cJSON_Delete(o);
	return NULL;
}

static cJSON *overview_tops(cJSON *o, const struct store_overview *ov)
{
	cJSON *dom = o ? cJSON_AddArrayToObject(o, "top_domains") : NULL;
	cJSON *con = o ? cJSON_AddArrayToObject(o, "top_containers") : NULL;

	for (size_t i = 0; dom && i < ov->ndomains; i++) {
		cJSON *x = cJSON_CreateObject();
		STR(x, "domain", ov->domains[i].name);
		NUM(x, "count", ov->domains[i].events);
		NUM(x, "hits", ov->domains[i].hits);
		dom = push(dom, x);
	}
	for (size_t i = 0; con && i < ov->ncontainers; i++) {
		cJSON *x = cJSON_CreateObject();
		STR(x, "container_id", ov->containers_top[i].id);
		STR(x, "container_name", ov->containers_top[i].name);
		NUM(x, "count", ov->containers_top[i].events);
		con = push(con, x);
	}
	if (dom && con)
		return o;
	cJSON_Delete(o);
	return NULL;
}

cJSON *ctl_json_overview(const struct store_overview *ov)
{
	cJSON *o = cJSON_CreateObject();

	NUM(o, "pending", ov->pending);
	NUM(o, "containers", ov->containers);
	NUM(o, "events_7d", ov->events_window);
	NUM(o, "blocked_7d", ov->blocked_window);
	o = overview_days(o, ov);
	o = overview_tops(o, ov);
	return o;
}

cJSON *ctl_json_event(const struct store_event *e)
{
	cJSON *o = cJSON_CreateObject(), *d;

	NUM(o, "id", e->id);
	STR(o, "type", e->type);
	STR(o, "subject", e->subject);
	STR(o, "container_id", e->container_id);
	STR(o, "container_name", e->container_name);
	STR(o, "image", e->image);
	STR(o, "host", e->host);
	STR(o, "process_path", e->process_path);
	STR(o, "process_user", e->process_user);
	STR(o, "day", e->day);
	NUM(o, "first_seen", e->first_seen);
	NUM(o, "last_seen", e->last_seen);
	NUM(o, "count", e->count);
	STR(o, "status", e->status);
	STR(o, "action", e->action);
	STR(o, "rule_list", e->rule_list);
	STR(o, "rule_source", e->rule_source);
	STR(o, "rule_pattern", e->rule_pattern);
	STR(o, "rule_category", e->rule_category);
	if (e->detail) {
		d = cJSON_Parse(e->detail);
		cJSON_AddItemToObject(o, "detail", d ? d : cJSON_CreateNull());
	}
	return o;
}

cJSON *ctl_json_events(const struct store_events *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < l->n; i++)
		a = push(a, ctl_json_event(&l->v[i]));
	return a;
}

cJSON *ctl_json_list_entries(const struct store_list_page *p)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < p->n; i++) {
		const struct store_list_entry *l = &p->v[i];
		cJSON *o = cJSON_CreateObject();

		NUM(o, "id", l->id);
		STR(o, "pattern", l->pattern);
		STR(o, "note", l->note);
		NUM(o, "created", l->created);
		NUM(o, "created_by", l->created_by);
		a = push(a, o);
	}
	return a;
}

cJSON *ctl_json_audit(const struct store_audit_page *p)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < p->n; i++) {
		const struct store_audit_line *l = &p->v[i];
		cJSON *o = cJSON_CreateObject();

		NUM(o, "id", l->id);
		NUM(o, "time", l->time);
		NUM(o, "uid", l->uid);
		STR(o, "user", l->actor);
		STR(o, "action", l->action);
		STR(o, "what", l->what);
		a = push(a, o);
	}
	return a;
}

cJSON *ctl_json_imports(const struct store_imports *im)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < im->n; i++) {
		const struct store_import *f = &im->v[i];
		cJSON *o = cJSON_CreateObject();

		STR(o, "name", f->name);
		STR(o, "path", f->path);
		STR(o, "format", f->format);
		STR(o, "category", f->category);
		NUM(o, "entries", f->entries);
		NUM(o, "stripped", f->stripped);
		NUM(o, "imported", f->imported);
		NUM(o, "imported_by", f->uid);
		STR(o, "list", f->white ? "white" : "black");
		a = push(a, o);
	}
	return a;
}
