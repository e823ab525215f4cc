/* SPDX-License-Identifier: GPL-2.0-or-later */
/* egressd-console in fleet mode (--fleet-dsn): every request is answered
 * from the fleet's PostgreSQL (src/fleet/pgschema.h) instead of egressd's
 * control socket, with the same replies (the API's handlers and the UI
 * do not change), plus the hosts. */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

struct console;
struct http_ctx;
struct http_reply;

/* Idle connections kept for the next requests: each request takes one,
 * and makes a new one if none is idle (a thread per HTTP connection,
 * CONSOLE_CONNS_MAX at most). */
#define FLEET_POOL_IDLE 8
/* Connecting, in all: a database that is away answers 503 within this. */
#define FLEET_CONNECT_MS 5000
/* An isolation from the console waits this long for its host's outcome
 * before it answers "pending" (the host runs it when it comes back). */
#define FLEET_COMMAND_WAIT_MS 5000
#define FLEET_COMMAND_POLL_MS 200
/* Events isolated in one request (each a command and its wait). */
#define FLEET_ISOLATE_MAX 100
/* A DSN, as the config file or --fleet-dsn gives it. */
#define FLEET_DSN_MAX 1024

struct fleet;

/* A pool of connections to dsn; statements wait timeout_ms at most.
 * NULL when out of memory. */
struct fleet *fleet_new(const char *dsn, unsigned timeout_ms);
void fleet_free(struct fleet *f);
/* Connects once and brings the schema up to date. Returns 0, or -1 with
 * err filled: not fatal (each request tries again). */
int fleet_start(struct fleet *f, char *err, size_t errlen);
/* Whether dsn parses as a libpq connection string or URI; why filled
 * if not (without the DSN itself: it may hold a password). */
int fleet_dsn_check(const char *dsn, char *why, size_t whylen);

/* The fleet's answer to one of egressd's requests (req, consumed; "cmd"
 * names it, "actor" the console user), in *ret: as ctl_call. Returns 0,
 * or fills rep (502/503 with the reason) and returns -1. */
int fleet_call(struct http_ctx *ctx, cJSON *req, cJSON **ret,
	       struct http_reply *rep);
