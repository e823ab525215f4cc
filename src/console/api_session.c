// SPDX-License-Identifier: GPL-2.0-or-later
/* Login, logout and the session. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"

static void peer_text(const struct sockaddr *a, char *out, size_t len)
{
	const void *ip = NULL;

	if (a && a->sa_family == AF_INET)
		ip = &((const struct sockaddr_in *)a)->sin_addr;
	else if (a && a->sa_family == AF_INET6)
		ip = &((const struct sockaddr_in6 *)a)->sin6_addr;
	if (!ip || !inet_ntop(a->sa_family, ip, out, (socklen_t)len))
		snprintf(out, len, "?");
}

static void session_json(struct http_ctx *ctx, const struct session *s,
			 struct http_reply *rep)
{
	rep->code = 200;
	rep->json = cJSON_CreateObject();
	cJSON_AddTrueToObject(rep->json, "ok");
	cJSON_AddStringToObject(rep->json, "user", s->user);
	cJSON_AddStringToObject(rep->json, "csrf", s->csrf);
	cJSON_AddNumberToObject(rep->json, "expires",
				(double)sessions_expiry(ctx->con->sessions, s));
	/* the UI shows hosts only then (one host's replies stay as they
	 * were) */
	if (ctx->con->fleet)
		cJSON_AddTrueToObject(rep->json, "fleet");
}

static void set_cookie(struct http_ctx *ctx, const char *token,
		       unsigned max_age, struct http_reply *rep)
{
	snprintf(rep->cookie, sizeof(rep->cookie),
		 "egressd_session=%s; HttpOnly; SameSite=Strict; Path=/; "
		 "Max-Age=%u%s",
		 token, max_age, ctx->con->tls_cert ? "; Secure" : "");
}

static void login_checked(struct http_ctx *ctx, const char *name,
			  const char *pw, struct http_reply *rep)
{
	struct users *us = malloc(sizeof(*us));
	char peer[64];
	struct session s;
	const struct user *u;
	bool ok;

	peer_text(ctx->peer, peer, sizeof(peer));
	if (!us || console_users(ctx->con, us)) {
		free(us);
		api_error(rep, 500, "the console's users file cannot be read "
			  "(see the console's log)");
		return;
	}
	ok = users_check(us, name, pw);
	u = users_find(us, name);
	if (ok)
		sessions_login_ok(ctx->con->sessions, name, ctx->peer);
	if (ok && !sessions_create(ctx->con->sessions, name, u->hash, &s)) {
		log_notice("login of %s from %s\n", name, peer);
		set_cookie(ctx, s.token, ctx->con->conf.session_max_s, rep);
		session_json(ctx, &s, rep);
	} else {
		log_notice("failed login as '%.32s' from %s\n",
			   users_name_ok(name) ? name : "?", peer);
		api_error(rep, 401, "wrong user name or password");
	}
	free(us);
}

void api_login(struct http_ctx *ctx, struct http_reply *rep)
{
	const char *type = MHD_lookup_connection_value(
		ctx->conn, MHD_HEADER_KIND, "Content-Type");
	const char *name = body_str(ctx, "username");
	const char *pw = body_str(ctx, "password");
	unsigned wait;

	/* Only a script of ours sends JSON: a form on another site cannot
	 * log a browser in as someone else. */
	if (!type || strncmp(type, "application/json", 16)) {
		api_error(rep, 400, "send the login as application/json");
		return;
	}
	if (!name || !pw) {
		api_error(rep, 400, "need \"username\" and \"password\"");
		return;
	}
	wait = sessions_login_begin(ctx->con->sessions, name, ctx->peer);
	if (wait) {
		api_error(rep, 429, "too many failed logins: try again in %u s",
			  wait);
		rep->retry_after = wait;
		return;
	}
	login_checked(ctx, name, pw, rep);
}

void api_logout(struct http_ctx *ctx, struct http_reply *rep)
{
	sessions_end(ctx->con->sessions, ctx->session.token);
	set_cookie(ctx, "", 0, rep);
	rep->code = 200;
	rep->json = cJSON_CreateObject();
	cJSON_AddTrueToObject(rep->json, "ok");
}

void api_session(struct http_ctx *ctx, struct http_reply *rep)
{
	session_json(ctx, &ctx->session, rep);
}
