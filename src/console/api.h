/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the API's files share (api_*.c): the handlers, and the requests
 * to egressd with their arguments (api_ctl.c). Internal. */
#pragma once
#include <cjson/cJSON.h>
#include <stdbool.h>

#include "console.h"

typedef void (*api_fn)(struct http_ctx *ctx, struct http_reply *rep);

/* api.c */
/* The last segment of the path: which action a shared handler serves. */
const char *api_last_segment(const struct http_ctx *ctx);

/* api_ctl.c */
cJSON *ctl_new(const char *cmd);
/* Sends req (consumed), with the console user as "actor", and puts
 * egressd's reply in *ret (in fleet mode, the fleet database's answer
 * of the same shape). Returns 0, or fills rep with a 502 (503: the
 * fleet database is away) and returns -1. */
int ctl_call(struct http_ctx *ctx, cJSON *req, cJSON **ret,
	     struct http_reply *rep);
/* The HTTP status of egressd's answer: 200, or 400/404 for a refusal. */
unsigned ctl_reply_code(const cJSON *reply);
/* One request, its answer as the reply (200, or 400/404 for a refusal). */
void ctl_reply(struct http_ctx *ctx, cJSON *req, struct http_reply *rep);
/* A query argument, NULL if absent or empty. */
const char *query(struct http_ctx *ctx, const char *key);
bool parse_i64(const char *s, long long *ret);
/* Copies the query's numbers (keys, NULL-terminated) into req; false
 * with a 400 in rep if one is not a number. */
bool query_nums(struct http_ctx *ctx, cJSON *req, const char *const *keys,
		struct http_reply *rep);
void query_strs(struct http_ctx *ctx, cJSON *req, const char *const *keys);
const char *body_str(struct http_ctx *ctx, const char *key);
void body_copy(struct http_ctx *ctx, cJSON *req, const char *key);
/* The path's i-th '*' segment as an id > 0, else a 400 in rep. */
bool arg_id(struct http_ctx *ctx, int i, long long *id,
	    struct http_reply *rep);

/* api_session.c */
void api_login(struct http_ctx *ctx, struct http_reply *rep);
void api_logout(struct http_ctx *ctx, struct http_reply *rep);
void api_session(struct http_ctx *ctx, struct http_reply *rep);

/* api_events.c */
void api_overview(struct http_ctx *ctx, struct http_reply *rep);
void api_events(struct http_ctx *ctx, struct http_reply *rep);
void api_event(struct http_ctx *ctx, struct http_reply *rep);
void api_event_whitelist(struct http_ctx *ctx, struct http_reply *rep);
void api_event_action(struct http_ctx *ctx, struct http_reply *rep);
void api_event_delete(struct http_ctx *ctx, struct http_reply *rep);
void api_events_bulk(struct http_ctx *ctx, struct http_reply *rep);
void api_events_csv(struct http_ctx *ctx, struct http_reply *rep);
void api_events_json(struct http_ctx *ctx, struct http_reply *rep);

/* api_lists.c */
void api_list_get(struct http_ctx *ctx, struct http_reply *rep);
void api_list_add(struct http_ctx *ctx, struct http_reply *rep);
void api_list_remove(struct http_ctx *ctx, struct http_reply *rep);
void api_lists(struct http_ctx *ctx, struct http_reply *rep);
void api_containers(struct http_ctx *ctx, struct http_reply *rep);
void api_container_action(struct http_ctx *ctx, struct http_reply *rep);
void api_image(struct http_ctx *ctx, struct http_reply *rep);
void api_audit(struct http_ctx *ctx, struct http_reply *rep);
void api_status(struct http_ctx *ctx, struct http_reply *rep);
/* fleet mode only: the hosts and their heartbeats */
void api_hosts(struct http_ctx *ctx, struct http_reply *rep);
