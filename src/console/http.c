// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's HTTP side (libmicrohttpd, a thread per connection: a
 * request waits on egressd, at most ctl_timeout_s, without holding up
 * the others). */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console.h"
#include "egressd/fileio.h"
#include "ctcmp.h"
#include "log.h"

/* The UI is plain files from the console's own origin: no inline script,
 * no inline style, nothing from elsewhere, never in a frame. */
#define CSP                                                                \
	"default-src 'none'; script-src 'self'; style-src 'self'; "        \
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; "   \
	"frame-ancestors 'none'; base-uri 'none'"

struct conn_state {
	char *body;
	size_t len, cap;
	bool too_big;
};

static void add_headers(struct console *con, struct MHD_Response *r,
			bool api)
{
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control",
				api ? "no-store" : "no-cache");
	if (con->tls_cert)
		MHD_add_response_header(r, "Strict-Transport-Security",
					"max-age=31536000");
}

static enum MHD_Result send_reply(struct console *con,
				  struct MHD_Connection *conn,
				  struct http_reply *rep, bool api)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = rep->raw;
	size_t len = rep->raw_len;
	char v[300];

	if (!text) {
		text = rep->json ? cJSON_PrintUnformatted(rep->json) : NULL;
		len = text ? strlen(text) : 0;
		rep->type = "application/json";
	}
	cJSON_Delete(rep->json);
	r = MHD_create_response_from_buffer(len, text ? text : (char *)"",
					    text ? MHD_RESPMEM_MUST_FREE
						 : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	add_headers(con, r, api);
	MHD_add_response_header(r, "Content-Type", rep->type);
	if (rep->cookie[0])
		MHD_add_response_header(r, "Set-Cookie", rep->cookie);
	if (rep->retry_after) {
		snprintf(v, sizeof(v), "%u", rep->retry_after);
		MHD_add_response_header(r, "Retry-After", v);
	}
	if (rep->filename) {
		snprintf(v, sizeof(v), "attachment; filename=\"%s\"",
			 rep->filename);
		MHD_add_response_header(r, "Content-Disposition", v);
	}
	ret = MHD_queue_response(conn, rep->code, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- static files ---- */

static const char *type_of(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return NULL;
}

/* A file name of the UI's folder: no '/', no leading dot, a known type. */
static bool static_name_ok(const char *n)
{
	if (!*n || *n == '.' || strlen(n) > 64 || !type_of(n))
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '.' || *n == '_' ||
		      *n == '-'))
			return false;
	return true;
}

static void serve_static(struct console *con, const char *path,
			 struct http_reply *rep)
{
	const char *name = !strcmp(path, "/") || !strcmp(path, "/index.html")
				   ? "index.html"
			   : !strncmp(path, "/static/", 8) ? path + 8
							    : NULL;
	char file[512];
	int r;

	if (!name || !static_name_ok(name)) {
		api_error(rep, 404, "no such page");
		return;
	}
	snprintf(file, sizeof(file), "%s/%s", con->conf.www_dir, name);
	r = file_read_max(file, CONSOLE_STATIC_MAX, &rep->raw, &rep->raw_len);
	if (r) {
		if (r != -ENOENT)
			log_warn("%s: %s\n", file, strerror(-r));
		api_error(rep, 404, "no such page");
		return;
	}
	rep->code = 200;
	rep->type = type_of(name);
}

/* ---- requests ---- */

static void take_session(struct http_ctx *ctx, struct http_reply *rep,
			 bool *ok)
{
	const char *tok = MHD_lookup_connection_value(
		ctx->conn, MHD_COOKIE_KIND, "egressd_session");
	struct users us;

	*ok = false;
	if (!tok || !sessions_get(ctx->con->sessions, tok, &ctx->session)) {
		api_error(rep, 401, "not logged in, or the session expired");
		return;
	}
	/* a removed user or a changed password ends the session */
	if (console_users(ctx->con, &us) ||
	    !users_find(&us, ctx->session.user)) {
		sessions_end(ctx->con->sessions, tok);
		api_error(rep, 401, "not logged in, or the session expired");
		return;
	}
	*ok = true;
}

/* A browser names the page a state change comes from: another origin
 * than ours is refused even with a token (a second lock beside it). */
static bool origin_ok(struct http_ctx *ctx)
{
	const char *o = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND,
						    "Origin");
	const char *h = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND,
						    "Host");
	const char *rest;

	if (!o)
		return true;
	if (!h)
		return false;
	rest = !strncmp(o, "http://", 7)    ? o + 7
	       : !strncmp(o, "https://", 8) ? o + 8
					    : NULL;
	return rest && !strcmp(rest, h);
}

/* DNS rebinding: a page of evil.example whose name then resolves to
 * 127.0.0.1 reaches the console from the operator's own browser, with
 * Host: evil.example. Without TLS (whose certificate names the console)
 * only an address or localhost is accepted as Host. */
static bool host_ok(struct console *con, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    "Host");
	char name[300];
	const char *colon;
	size_t n;
	struct in6_addr a6;
	struct in_addr a4;

	if (con->tls_cert)
		return true;
	if (!h || !*h || strlen(h) >= sizeof(name))
		return false;
	if (h[0] == '[') { /* [v6]:port */
		const char *end = strchr(h, ']');
		n = end ? (size_t)(end - h - 1) : 0;
		memcpy(name, h + 1, n);
		name[n] = 0;
		return end && inet_pton(AF_INET6, name, &a6) == 1 &&
		       (!end[1] || end[1] == ':');
	}
	colon = strchr(h, ':');
	n = colon ? (size_t)(colon - h) : strlen(h);
	memcpy(name, h, n);
	name[n] = 0;
	return !strcmp(name, "localhost") || inet_pton(AF_INET, name, &a4) == 1;
}

static bool csrf_ok(struct http_ctx *ctx)
{
	const char *t = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND,
						    "X-CSRF-Token");

	return t && str_equal_ct(t, ctx->session.csrf) && origin_ok(ctx);
}

static bool changes_state(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

static void parse_body(struct http_ctx *ctx, struct conn_state *cs,
		       struct http_reply *rep, bool *ok)
{
	*ok = true;
	if (!cs->len)
		return;
	ctx->body = cJSON_ParseWithLength(cs->body, cs->len);
	if (!cJSON_IsObject(ctx->body)) {
		cJSON_Delete(ctx->body);
		ctx->body = NULL;
		api_error(rep, 400, "the body must be one JSON object");
		*ok = false;
	}
}

static void handle_api(struct http_ctx *ctx, struct conn_state *cs,
		       struct http_reply *rep)
{
	const void *route;
	int flags = api_route(ctx, &route);
	bool ok = true;

	if (flags == -404 || flags == -405) {
		api_error(rep, -flags, flags == -404 ? "no such API route"
						     : "method not allowed here");
		return;
	}
	if (!(flags & ROUTE_PUBLIC))
		take_session(ctx, rep, &ok);
	if (ok && changes_state(ctx->method) && !(flags & ROUTE_NO_CSRF) &&
	    !csrf_ok(ctx)) {
		api_error(rep, 403, "missing or wrong X-CSRF-Token");
		ok = false;
	}
	if (ok)
		parse_body(ctx, cs, rep, &ok);
	if (ok)
		api_call(route, ctx, rep);
	cJSON_Delete(ctx->body);
}

static int body_add(struct conn_state *cs, const char *p, size_t n)
{
	char *nb;

	if (cs->too_big || cs->len + n > CONSOLE_BODY_MAX) {
		cs->too_big = true;
		return 0;
	}
	if (cs->len + n + 1 > cs->cap) {
		size_t cap = cs->cap ? cs->cap : 4096;
		while (cap < cs->len + n + 1)
			cap *= 2;
		nb = realloc(cs->body, cap);
		if (!nb)
			return -ENOMEM;
		cs->body = nb;
		cs->cap = cap;
	}
	memcpy(cs->body + cs->len, p, n);
	cs->len += n;
	cs->body[cs->len] = 0;
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	struct console *con = cls;
	struct conn_state *cs = *state;
	struct http_reply rep = { .code = 500 };
	struct http_ctx ctx = { .con = con, .conn = conn, .method = method,
				.path = url };
	const union MHD_ConnectionInfo *ci;

	if (!cs) {
		*state = cs = calloc(1, sizeof(*cs));
		return cs ? MHD_YES : MHD_NO;
	}
	if (*upload_len) {
		if (body_add(cs, upload, *upload_len))
			return MHD_NO;
		*upload_len = 0;
		return MHD_YES;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	ctx.peer = ci ? ci->client_addr : NULL;
	if (!host_ok(con, conn))
		api_error(&rep, 421, "this console is reached by its address "
			  "(or localhost), not by a name");
	else if (cs->too_big)
		api_error(&rep, 413, "the body is larger than %u bytes",
			  CONSOLE_BODY_MAX);
	else if (!strncmp(url, "/api/", 5))
		handle_api(&ctx, cs, &rep);
	else if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		api_error(&rep, 405, "method not allowed here");
	else
		serve_static(con, url, &rep);
	return send_reply(con, conn, &rep, !strncmp(url, "/api/", 5));
}

static void on_done(void *cls, struct MHD_Connection *conn, void **state,
		    enum MHD_RequestTerminationCode why)
{
	struct conn_state *cs = *state;

	if (cs) {
		free(cs->body);
		free(cs);
		*state = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	log_debug("http: %s%s", line,
		  line[0] && line[strlen(line) - 1] == '\n' ? "" : "\n");
}

int http_start(struct console *con, char *err, size_t errlen)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;

	if (con->tls_cert)
		flags |= MHD_USE_TLS;
	con->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, con,
		MHD_OPTION_LISTEN_SOCKET, con->lfd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONSOLE_CONNS_MAX,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)CONSOLE_CONNS_PER_ADDR,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONSOLE_CONN_TIMEOUT_S,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, con,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, con,
		con->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		con->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, con->tls_key,
		MHD_OPTION_END);
	if (!con->mhd) {
		snprintf(err, errlen, "cannot start the HTTP server on %s%s",
			 con->conf.listen,
			 con->tls_cert ? " (is the certificate and key PEM?)"
				       : "");
		return -EIO;
	}
	return 0;
}

void http_stop(struct console *con)
{
	if (con->mhd)
		MHD_stop_daemon(con->mhd);
	con->mhd = NULL;
}
