// SPDX-License-Identifier: GPL-2.0-or-later
/* Events: the overview, the list with its filters, one event, handling,
 * and the exports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"

static const char *const filter_nums[] = { "from", "to", "limit", "offset",
					   NULL };
static const char *const filter_strs[] = { "status", "container", "image",
					   "host", "domain", "sort", NULL };

void api_overview(struct http_ctx *ctx, struct http_reply *rep)
{
	ctl_reply(ctx, ctl_new("events_overview"), rep);
}

/* The filters of GET /api/events into req; false with a 400 if bad. */
static bool event_filters(struct http_ctx *ctx, cJSON *req,
			  struct http_reply *rep)
{
	query_strs(ctx, req, filter_strs);
	return query_nums(ctx, req, filter_nums, rep);
}

void api_events(struct http_ctx *ctx, struct http_reply *rep)
{
	cJSON *req = ctl_new("events_list");

	cJSON_AddTrueToObject(req, "total");
	if (!query(ctx, "limit"))
		cJSON_AddNumberToObject(req, "limit", 50);
	if (!event_filters(ctx, req, rep)) {
		cJSON_Delete(req);
		return;
	}
	ctl_reply(ctx, req, rep);
}

void api_event(struct http_ctx *ctx, struct http_reply *rep)
{
	long long id;
	cJSON *req;

	if (!arg_id(ctx, 0, &id, rep))
		return;
	req = ctl_new("events_show");
	cJSON_AddNumberToObject(req, "id", (double)id);
	ctl_reply(ctx, req, rep);
}

void api_event_whitelist(struct http_ctx *ctx, struct http_reply *rep)
{
	long long id;
	cJSON *req;

	if (!arg_id(ctx, 0, &id, rep))
		return;
	req = ctl_new("events_whitelist");
	cJSON_AddNumberToObject(req, "id", (double)id);
	body_copy(ctx, req, "domain");
	body_copy(ctx, req, "all_pending");
	body_copy(ctx, req, "note");
	ctl_reply(ctx, req, rep);
}

static void handle(struct http_ctx *ctx, const char *action, cJSON *ids,
		   struct http_reply *rep)
{
	cJSON *req = ctl_new("events_handle");

	cJSON_AddStringToObject(req, "action", action);
	cJSON_AddItemToObject(req, "ids", ids);
	/* the browser asked for confirmation before sending a delete */
	if (!strcmp(action, "delete"))
		cJSON_AddTrueToObject(req, "yes");
	body_copy(ctx, req, "note");
	ctl_reply(ctx, req, rep);
}

static void handle_one(struct http_ctx *ctx, const char *action,
		       struct http_reply *rep)
{
	long long id;
	cJSON *ids;

	if (!arg_id(ctx, 0, &id, rep))
		return;
	ids = cJSON_CreateArray();
	cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id));
	handle(ctx, action, ids, rep);
}

void api_event_action(struct http_ctx *ctx, struct http_reply *rep)
{
	handle_one(ctx, api_last_segment(ctx), rep);
}

void api_event_delete(struct http_ctx *ctx, struct http_reply *rep)
{
	handle_one(ctx, "delete", rep);
}

void api_events_bulk(struct http_ctx *ctx, struct http_reply *rep)
{
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(ctx->body, "ids");

	if (!cJSON_IsArray(ids) || !cJSON_GetArraySize(ids)) {
		api_error(rep, 400, "need \"ids\": a list of event ids");
		return;
	}
	handle(ctx, api_last_segment(ctx), cJSON_Duplicate(ids, true), rep);
}

/* ---- exports ---- */

#define EXPORT_PAGE 1000

static const char *const export_nums[] = { "from", "to", NULL };

/* One page of the export, or NULL with rep filled. */
static cJSON *export_page(struct http_ctx *ctx, int offset,
			  struct http_reply *rep)
{
	cJSON *req = ctl_new("events_list"), *reply, *page;

	cJSON_AddNumberToObject(req, "offset", offset);
	cJSON_AddNumberToObject(req, "limit", EXPORT_PAGE);
	query_strs(ctx, req, filter_strs);
	if (!query_nums(ctx, req, export_nums, rep)) {
		cJSON_Delete(req);
		return NULL;
	}
	if (ctl_call(ctx, req, &reply, rep))
		return NULL;
	page = cJSON_DetachItemFromObjectCaseSensitive(reply, "events");
	if (!cJSON_IsArray(page)) {
		cJSON_Delete(page);
		rep->code = ctl_reply_code(reply);
		rep->json = reply;
		return NULL;
	}
	cJSON_Delete(reply);
	return page;
}

/* Every event under the filters, newest first, at most
 * CONSOLE_EXPORT_MAX. Returns the array, or NULL with rep filled. The
 * rows are counted here: cJSON_GetArraySize walks the list, and asked
 * once a row it made an export of 100,000 rows take a minute of CPU. */
static cJSON *export_rows(struct http_ctx *ctx, struct http_reply *rep)
{
	cJSON *all = cJSON_CreateArray(), *page, *it;
	int got, n = 0;

	do {
		page = export_page(ctx, n, rep);
		if (!page) {
			cJSON_Delete(all);
			return NULL;
		}
		got = 0;
		while ((it = cJSON_DetachItemFromArray(page, 0))) {
			got++;
			if (n < CONSOLE_EXPORT_MAX) {
				cJSON_AddItemToArray(all, it);
				n++;
			} else {
				cJSON_Delete(it);
			}
		}
		cJSON_Delete(page);
	} while (got == EXPORT_PAGE && n < CONSOLE_EXPORT_MAX);
	return all;
}

/* A place among the exports running now; false with a 503 in rep. */
static bool export_enter(struct http_ctx *ctx, struct http_reply *rep)
{
	unsigned *n = &ctx->con->exports;

	if (__atomic_add_fetch(n, 1, __ATOMIC_ACQ_REL) <=
	    CONSOLE_EXPORTS_AT_ONCE)
		return true;
	__atomic_sub_fetch(n, 1, __ATOMIC_ACQ_REL);
	api_error(rep, 503, "%u exports are running: try again when one "
		  "is done", CONSOLE_EXPORTS_AT_ONCE);
	rep->retry_after = 5;
	return false;
}

static void export_leave(struct http_ctx *ctx)
{
	__atomic_sub_fetch(&ctx->con->exports, 1, __ATOMIC_ACQ_REL);
}

static void export_json(struct http_ctx *ctx, struct http_reply *rep)
{
	cJSON *rows = export_rows(ctx, rep);

	if (!rows)
		return;
	rep->raw = cJSON_PrintUnformatted(rows);
	rep->raw_len = rep->raw ? strlen(rep->raw) : 0;
	cJSON_Delete(rows);
	rep->code = rep->raw ? 200 : 500;
	rep->type = "application/json";
	rep->filename = "egressd-events.json";
}

static const char *const csv_columns[] = {
	"id", "last_seen", "first_seen", "status", "container_name",
	"container_id", "image", "host", "subject", "rule_category", "action",
	"process_path", "process_user", "count", "rule_list", "rule_source",
	"rule_pattern", NULL
};

/* One CSV field (RFC 4180). A text starting with = + - @ or a control
 * character gets a ' in front: a spreadsheet must not run a formula a
 * container chose (a process path, a name). */
static void csv_field(FILE *f, const cJSON *v)
{
	const char *s;

	if (cJSON_IsNumber(v)) {
		fprintf(f, "%.0f", v->valuedouble);
		return;
	}
	s = cJSON_IsString(v) ? v->valuestring : "";
	fputc('"', f);
	if (strchr("=+-@\t\r", *s) && *s)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_row(FILE *f, const cJSON *e)
{
	for (size_t i = 0; csv_columns[i]; i++) {
		if (i)
			fputc(',', f);
		csv_field(f, cJSON_GetObjectItemCaseSensitive(e,
							     csv_columns[i]));
	}
	fputs("\r\n", f);
}

static void export_csv(struct http_ctx *ctx, struct http_reply *rep)
{
	cJSON *rows = export_rows(ctx, rep), *e;
	FILE *f;

	if (!rows)
		return;
	f = open_memstream(&rep->raw, &rep->raw_len);
	if (!f) {
		cJSON_Delete(rows);
		api_error(rep, 500, "out of memory");
		return;
	}
	for (size_t i = 0; csv_columns[i]; i++)
		fprintf(f, "%s%s", i ? "," : "", csv_columns[i]);
	fputs("\r\n", f);
	cJSON_ArrayForEach(e, rows)
		csv_row(f, e);
	fclose(f);
	cJSON_Delete(rows);
	rep->code = 200;
	rep->type = "text/csv; charset=utf-8";
	rep->filename = "egressd-events.csv";
}

/* The rows and the file made of them are in memory until sent: a place
 * among the exports at once is held while both are built. */
void api_events_json(struct http_ctx *ctx, struct http_reply *rep)
{
	if (!export_enter(ctx, rep))
		return;
	export_json(ctx, rep);
	export_leave(ctx);
}

void api_events_csv(struct http_ctx *ctx, struct http_reply *rep)
{
	if (!export_enter(ctx, rep))
		return;
	export_csv(ctx, rep);
	export_leave(ctx);
}
