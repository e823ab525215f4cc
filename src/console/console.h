/* SPDX-License-Identifier: GPL-2.0-or-later */
/* egressd-console: the server's state and what its files share.
 *
 * http.c   libmicrohttpd: requests in, bodies, static files, replies out
 *          with the security headers, sessions and CSRF checked;
 * api.c    the routes of docs/api.md, each one request to egressd;
 * fleet*.c in fleet mode, the same requests answered from PostgreSQL;
 * conf.c   settings; users.c the users file; session.c sessions and the
 *          login rate limit. */
#pragma once
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "conf.h"
#include "session.h"
#include "users.h"

/* A request body (JSON): larger ones are refused with 413. */
#define CONSOLE_BODY_MAX (1u << 20)
/* Static files of the UI. */
#define CONSOLE_STATIC_MAX (4u << 20)
/* Connections at once, from one address, and how long one may idle. */
#define CONSOLE_CONNS_MAX 64
#define CONSOLE_CONNS_PER_ADDR 16
#define CONSOLE_CONN_TIMEOUT_S 30
/* Rows of one export (events.csv / events.json). */
#define CONSOLE_EXPORT_MAX 100000
/* Exports built at once: one holds its rows in memory (100,000 rows of
 * 200-byte names took 150 MB), and every connection may ask for one. */
#define CONSOLE_EXPORTS_AT_ONCE 2
/* A reply from egressd: a page of events is well under this. */
#define CONSOLE_CTL_REPLY_MAX (64u << 20)

struct console {
	struct console_conf conf;
	struct sessions *sessions;
	/* the users file, read again when it changes */
	pthread_mutex_t users_lock;
	struct users *users;
	struct stat users_st;
	bool users_known;
	char *tls_cert, *tls_key; /* PEM, read before serving */
	struct MHD_Daemon *mhd;
	int lfd;
	unsigned exports; /* running now (atomic) */
	struct fleet *fleet; /* fleet mode (fleet.h), else NULL */
};

/* One request, as a route handler sees it. */
struct http_ctx {
	struct console *con;
	struct MHD_Connection *conn;
	const char *method, *path;
	const char *arg[4]; /* the path's '*' segments, in order */
	char argbuf[4][256];
	cJSON *body; /* the JSON body, or NULL if none */
	struct session session; /* when the route needs one */
	const struct sockaddr *peer;
};

/* What a handler answers: JSON (json) or raw bytes (raw, type). */
struct http_reply {
	unsigned code;
	cJSON *json;
	char *raw;
	size_t raw_len;
	const char *type, *filename;
	char cookie[200];
	unsigned retry_after;
};

/* api.c */
/* The route of method and path, its '*' segments into ctx->arg. Returns
 * the route's flags (ROUTE_*), or -404 / -405. */
#define ROUTE_PUBLIC 1u /* no session needed */
#define ROUTE_NO_CSRF 2u /* a state change without the token: login */
int api_route(struct http_ctx *ctx, const void **ret_route);
void api_call(const void *route, struct http_ctx *ctx, struct http_reply *rep);
/* {"ok":false,"error":msg} with code. */
void api_error(struct http_reply *rep, unsigned code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* http.c */
int http_start(struct console *con, char *err, size_t errlen);
void http_stop(struct console *con);
/* The users, read again if the file changed; a copy into *ret. Returns 0
 * or a negative errno (logged once per change). */
int console_users(struct console *con, struct users *ret);
