// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's requests to egressd, and the arguments they carry. */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "ctlclient.h"
#include "fleet.h"

/* ---- talking to egressd ---- */

cJSON *ctl_new(const char *cmd)
{
	cJSON *req = cJSON_CreateObject();

	cJSON_AddStringToObject(req, "cmd", cmd);
	return req;
}

/* The HTTP status of egressd's answer: a batch answers 200 with its
 * results; a refusal is 404 when it names something missing. */
unsigned ctl_reply_code(const cJSON *reply)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(reply, "error");

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok")) ||
	    cJSON_GetObjectItemCaseSensitive(reply, "results"))
		return 200;
	if (cJSON_IsString(err) && (strstr(err->valuestring, "no such") ||
				    strstr(err->valuestring, "not found") ||
				    !strncmp(err->valuestring, "no event ", 9) ||
				    !strncmp(err->valuestring, "no container", 12)))
		return 404;
	return 400;
}

/* Sends req (consumed) and puts egressd's reply in *ret. Returns 0, or
 * fills rep with a 502 and returns -1. */
int ctl_call(struct http_ctx *ctx, cJSON *req, cJSON **ret,
		    struct http_reply *rep)
{
	struct ctlclient_call call = {
		.socket = ctx->con->conf.socket,
		.pass_fd = -1,
		.timeout_ms = (long)ctx->con->conf.ctl_timeout_s * 1000,
		.reply_max = CONSOLE_CTL_REPLY_MAX,
	};
	int e;

	if (ctx->con->fleet)
		return fleet_call(ctx, req, ret, rep);
	if (ctx->session.user[0])
		cJSON_AddStringToObject(req, "actor", ctx->session.user);
	e = ctlclient_request(&call, req, ret);
	cJSON_Delete(req);
	if (!e && cJSON_IsObject(*ret))
		return 0;
	cJSON_Delete(*ret);
	*ret = NULL;
	api_error(rep, 502, "%s %s: %s", call.failed, call.socket,
		  e == -ETIMEDOUT ? "no answer in time"
		  : e ? strerror(-e) : "not a JSON object");
	return -1;
}

/* One request, its answer as the reply. */
void ctl_reply(struct http_ctx *ctx, cJSON *req, struct http_reply *rep)
{
	cJSON *reply;

	if (ctl_call(ctx, req, &reply, rep))
		return;
	rep->code = ctl_reply_code(reply);
	rep->json = reply;
}

/* ---- arguments ---- */

const char *query(struct http_ctx *ctx, const char *key)
{
	const char *v = MHD_lookup_connection_value(
		ctx->conn, MHD_GET_ARGUMENT_KIND, key);

	return v && *v ? v : NULL;
}

bool parse_i64(const char *s, long long *ret)
{
	char *end;

	if (!s || !*s || strlen(s) > 20)
		return false;
	errno = 0;
	*ret = strtoll(s, &end, 10);
	return !errno && !*end;
}

/* Query numbers go to egressd as numbers: it checks their ranges. */
bool query_nums(struct http_ctx *ctx, cJSON *req,
		       const char *const *keys, struct http_reply *rep)
{
	for (; *keys; keys++) {
		const char *v = query(ctx, *keys);
		long long x;
		if (!v)
			continue;
		if (!parse_i64(v, &x)) {
			api_error(rep, 400, "%s: expected a whole number, got "
				  "'%.40s'", *keys, v);
			return false;
		}
		cJSON_AddNumberToObject(req, *keys, (double)x);
	}
	return true;
}

void query_strs(struct http_ctx *ctx, cJSON *req,
		       const char *const *keys)
{
	for (; *keys; keys++) {
		const char *v = query(ctx, *keys);
		if (v)
			cJSON_AddStringToObject(req, *keys, v);
	}
}

const char *body_str(struct http_ctx *ctx, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctx->body, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Copies the body's key (of any type) into req. */
void body_copy(struct http_ctx *ctx, cJSON *req, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctx->body, key);

	if (v)
		cJSON_AddItemToObject(req, key, cJSON_Duplicate(v, true));
}

bool arg_id(struct http_ctx *ctx, int i, long long *id,
		   struct http_reply *rep)
{
	if (parse_i64(ctx->arg[i], id) && *id > 0)
		return true;
	api_error(rep, 400, "expected an id, got '%.40s'", ctx->arg[i]);
	return false;
}
