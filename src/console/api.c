// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's API (docs/api.md): the route table. Each route is one
 * request to egressd over its control socket, as egressctl makes it,
 * with the console user's name for the audit log (in fleet mode, the
 * same request answered from PostgreSQL: fleet.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api.h"

struct route {
	const char *method, *pattern; /* '*' matches one path segment */
	api_fn fn;
	unsigned flags;
};

/* The first match wins: fixed paths before patterns. */
static const struct route routes[] = {
	{ "POST", "/api/login", api_login, ROUTE_PUBLIC | ROUTE_NO_CSRF },
	{ "POST", "/api/logout", api_logout, 0 },
	{ "GET", "/api/session", api_session, 0 },
	{ "GET", "/api/overview", api_overview, 0 },
	{ "GET", "/api/events", api_events, 0 },
	{ "GET", "/api/events.csv", api_events_csv, 0 },
	{ "GET", "/api/events.json", api_events_json, 0 },
	{ "POST", "/api/events/handled", api_events_bulk, 0 },
	{ "POST", "/api/events/ignore", api_events_bulk, 0 },
	{ "POST", "/api/events/isolate", api_events_bulk, 0 },
	{ "POST", "/api/events/delete", api_events_bulk, 0 },
	{ "GET", "/api/events/*", api_event, 0 },
	{ "DELETE", "/api/events/*", api_event_delete, 0 },
	{ "POST", "/api/events/*/whitelist", api_event_whitelist, 0 },
	{ "POST", "/api/events/*/handled", api_event_action, 0 },
	{ "POST", "/api/events/*/ignore", api_event_action, 0 },
	{ "POST", "/api/events/*/isolate", api_event_action, 0 },
	{ "GET", "/api/blacklist", api_list_get, 0 },
	{ "GET", "/api/whitelist", api_list_get, 0 },
	{ "POST", "/api/blacklist", api_list_add, 0 },
	{ "POST", "/api/whitelist", api_list_add, 0 },
	{ "DELETE", "/api/blacklist/*", api_list_remove, 0 },
	{ "DELETE", "/api/whitelist/*", api_list_remove, 0 },
	{ "GET", "/api/lists", api_lists, 0 },
	{ "GET", "/api/containers", api_containers, 0 },
	{ "POST", "/api/containers/*/isolate", api_container_action, 0 },
	{ "POST", "/api/containers/*/unisolate", api_container_action, 0 },
	/* an image name has '/' in it: the rest of the path */
	{ "GET", "/api/images/**", api_image, 0 },
	{ "GET", "/api/audit", api_audit, 0 },
	{ "GET", "/api/status", api_status, 0 },
	{ "GET", "/api/hosts", api_hosts, 0 },
};

void api_error(struct http_reply *rep, unsigned code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_Delete(rep->json);
	rep->json = cJSON_CreateObject();
	cJSON_AddFalseToObject(rep->json, "ok");
	cJSON_AddStringToObject(rep->json, "error", msg);
	rep->code = code;
}

/* Whether path matches pattern segment by segment; the '*' segments
 * (1..255 bytes, no '/') and a last "**" (the rest, '/' and all) go to
 * ctx->arg. */
static bool match(const char *pattern, const char *path, struct http_ctx *ctx)
{
	int n = 0;

	while (*pattern && *path) {
		if (*pattern == '*') {
			bool rest = pattern[1] == '*';
			size_t len = rest ? strlen(path) : strcspn(path, "/");
			pattern += rest;
			if (!len || len >= sizeof(ctx->argbuf[0]) || n == 4)
				return false;
			memcpy(ctx->argbuf[n], path, len);
			ctx->argbuf[n][len] = 0;
			ctx->arg[n] = ctx->argbuf[n];
			n++;
			pattern++;
			path += len;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return !*pattern && !*path;
}

int api_route(struct http_ctx *ctx, const void **ret_route)
{
	bool other_method = false;
	const char *m = !strcmp(ctx->method, "HEAD") ? "GET" : ctx->method;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!match(routes[i].pattern, ctx->path, ctx))
			continue;
		if (strcmp(routes[i].method, m)) {
			other_method = true;
			continue;
		}
		*ret_route = &routes[i];
		return (int)routes[i].flags;
	}
	return other_method ? -405 : -404;
}

void api_call(const void *route, struct http_ctx *ctx, struct http_reply *rep)
{
	((const struct route *)route)->fn(ctx, rep);
}

/* The last segment of the path: which action a shared handler serves. */
const char *api_last_segment(const struct http_ctx *ctx)
{
	const char *s = strrchr(ctx->path, '/');

	return s ? s + 1 : ctx->path;
}
