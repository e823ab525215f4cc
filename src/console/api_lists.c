// SPDX-License-Identifier: GPL-2.0-or-later
/* The operator's lists, the system lists, containers and their images,
 * the audit log and egressd's status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "text.h"

/* "black" or "white", from /api/blacklist or /api/whitelist. */
static const char *list_of(const struct http_ctx *ctx)
{
	return !strncmp(ctx->path, "/api/white", 10) ? "white" : "black";
}

void api_list_get(struct http_ctx *ctx, struct http_reply *rep)
{
	static const char *const nums[] = { "after", "limit", NULL };
	cJSON *req = ctl_new("list_get");

	cJSON_AddStringToObject(req, "list", list_of(ctx));
	if (!query_nums(ctx, req, nums, rep)) {
		cJSON_Delete(req);
		return;
	}
	ctl_reply(ctx, req, rep);
}

/* {"text": lines} into patterns, and the line of each: blank lines and
 * '#' comments are skipped. Returns the number of patterns. */
static int text_patterns(const char *text, cJSON *pats, cJSON *lines)
{
	char *copy = strdup(text), *s, *nl;
	int line = 0, n = 0;

	for (s = copy; s && *s; s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = 0;
		line++;
		s = text_trim(s);
		if (!*s || *s == '#')
			continue;
		cJSON_AddItemToArray(pats, cJSON_CreateString(s));
		cJSON_AddItemToArray(lines, cJSON_CreateNumber(line));
		n++;
	}
	free(copy);
	return n;
}

/* Puts each result's line of the text beside it. */
static void add_lines(cJSON *reply, const cJSON *lines)
{
	cJSON *res = cJSON_GetObjectItemCaseSensitive(reply, "results"), *r;
	const cJSON *l = lines ? lines->child : NULL;

	/* side by side (GetArrayItem would walk the list for each) */
	cJSON_ArrayForEach(r, res)
	{
		if (!l)
			break;
		if (cJSON_IsObject(r))
			cJSON_AddNumberToObject(r, "line", l->valuedouble);
		l = l->next;
	}
}

void api_list_add(struct http_ctx *ctx, struct http_reply *rep)
{
	const char *text = body_str(ctx, "text");
	cJSON *req = ctl_new("list_add"), *lines = NULL, *reply;

	cJSON_AddStringToObject(req, "list", list_of(ctx));
	body_copy(ctx, req, "note");
	if (text) {
		cJSON *pats = cJSON_AddArrayToObject(req, "patterns");
		lines = cJSON_CreateArray();
		if (!text_patterns(text, pats, lines)) {
			cJSON_Delete(req);
			cJSON_Delete(lines);
			api_error(rep, 400, "no pattern in the text");
			return;
		}
	} else {
		body_copy(ctx, req, "patterns");
	}
	if (ctl_call(ctx, req, &reply, rep)) {
		cJSON_Delete(lines);
		return;
	}
	if (lines)
		add_lines(reply, lines);
	cJSON_Delete(lines);
	rep->code = ctl_reply_code(reply);
	rep->json = reply;
}

void api_list_remove(struct http_ctx *ctx, struct http_reply *rep)
{
	long long id;
	cJSON *req;

	if (!arg_id(ctx, 0, &id, rep))
		return;
	req = ctl_new("list_remove");
	cJSON_AddStringToObject(req, "list", list_of(ctx));
	cJSON_AddItemToObject(req, "ids", cJSON_CreateArray());
	cJSON_AddItemToArray(cJSON_GetObjectItem(req, "ids"),
			     cJSON_CreateNumber((double)id));
	ctl_reply(ctx, req, rep);
}

void api_lists(struct http_ctx *ctx, struct http_reply *rep)
{
	ctl_reply(ctx, ctl_new("lists"), rep);
}

void api_containers(struct http_ctx *ctx, struct http_reply *rep)
{
	ctl_reply(ctx, ctl_new("containers"), rep);
}

void api_container_action(struct http_ctx *ctx, struct http_reply *rep)
{
	cJSON *req = ctl_new(api_last_segment(ctx));

	cJSON_AddStringToObject(req, "container", ctx->arg[0]);
	body_copy(ctx, req, "note");
	ctl_reply(ctx, req, rep);
}

void api_image(struct http_ctx *ctx, struct http_reply *rep)
{
	cJSON *req = ctl_new("image");

	cJSON_AddStringToObject(req, "id", ctx->arg[0]);
	ctl_reply(ctx, req, rep);
}

void api_audit(struct http_ctx *ctx, struct http_reply *rep)
{
	static const char *const nums[] = { "before", "limit", NULL };
	cJSON *req = ctl_new("audit");

	if (!query_nums(ctx, req, nums, rep)) {
		cJSON_Delete(req);
		return;
	}
	ctl_reply(ctx, req, rep);
}

void api_status(struct http_ctx *ctx, struct http_reply *rep)
{
	ctl_reply(ctx, ctl_new("status"), rep);
}

void api_hosts(struct http_ctx *ctx, struct http_reply *rep)
{
	if (!ctx->con->fleet) {
		api_error(rep, 404, "no hosts: this console serves one host "
			  "(fleet mode is --fleet-dsn)");
		return;
	}
	ctl_reply(ctx, ctl_new("hosts"), rep);
}
