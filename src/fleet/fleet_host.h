/* SPDX-License-Identifier: GPL-2.0-or-later */
/* egressd's side of the fleet (README: Fleet): one thread, started only
 * when fleet_dsn is set, with its own store connection and its own
 * PostgreSQL connection; it never touches the packet path. It ships the
 * store's outbox (events and deletions by rev, idempotent), copies the
 * central list entries into the store and has the lists rebuilt with
 * them (source "central"), runs the commands queued for this host
 * through the control plane's own code, and keeps the host's heartbeat
 * and containers rows. PostgreSQL away: enforcement goes on with the
 * last lists, the thread retries with backoff and catches up. */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

#include "config.h"

struct ctl;
struct fleet_host;

/* Prepares the fleet of cfg (fleet_dsn set): the host id, nothing
 * started. Returns NULL with err filled (out of memory, no host id). */
struct fleet_host *fleet_host_new(const struct config *cfg, char *err, size_t errlen);
/* Starts the thread; ctl serves already. Returns 0 or a negative errno. */
int fleet_host_start(struct fleet_host *f, struct ctl *ctl);
/* Stops the thread within about a second, whatever PostgreSQL does
 * (NULL is fine). The status stays readable until fleet_host_free. */
void fleet_host_stop(struct fleet_host *f);
/* After the control plane stopped (it may show the status until then). */
void fleet_host_free(struct fleet_host *f);
/* The "fleet" object of `egressctl status` (any thread); arg is the
 * fleet. */
cJSON *fleet_host_status_json(void *arg);
