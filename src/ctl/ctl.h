/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket: JSON requests from egressctl, one per connection,
 * served concurrently off the packet thread, each within deadlines (see
 * ctl_internal.h for its threads). It also owns the container inventory,
 * isolation and the rebuilding of the lists. */
#pragma once
#include <stddef.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "egressd/ct.h"
#include "egressd/isolation.h"
#include "egressd/policy.h"

struct ctl;

/* Checks the socket path before anything is touched: a live egressd
 * answering there, or something that is not a socket, is an error (never
 * removed); a stale socket of an earlier run is fine. Returns 0 or a
 * negative errno with err filled. */
int ctl_socket_check(const char *path, char *err, size_t errlen);
/* Binds cfg->socket (owner root, group "egressd" if it exists, mode 0660).
 * No thread starts yet: this runs while egressd is still fully privileged. */
struct ctl *ctl_bind(const struct config *cfg, char *err, size_t errlen);
/* Starts serving. iso is loaded already; ctl owns it from now on. initial
 * is the policy the daemon started with (for `egressctl lists`). */
int ctl_start(struct ctl *c, struct isolation *iso,
	      const struct policy *initial, char *err, size_t errlen);
void ctl_stop(struct ctl *c);
/* A new policy, and the connections accepted so far (collected from
 * conntrack by the control plane, NULL if that failed): the packet
 * thread swaps the policy in and cuts those the new one forbids. */
struct policy_update {
	struct policy policy;
	struct ct_list *accepted;
};

/* The main loop polls this: each readable struct policy_update * is an
 * update (heap; the reader takes it over and frees it). */
int ctl_policy_fd(const struct ctl *c);
/* What `status` reports of the packet thread: its published counters
 * (status.h) and how its queue rule was added ("native", "compat").
 * Before ctl_start; the pointers outlive ctl. */
struct status_board;
struct status_cats;
void ctl_set_status(struct ctl *c, const struct status_board *b,
		    const struct status_cats *cats, const char *queue_kind);
/* The host-network selection (hostnet.h), kept in step after each scan
 * and isolation change. Before ctl_start; it outlives ctl. NULL: none. */
struct hostnet;
void ctl_set_hostnet(struct ctl *c, struct hostnet *h);
/* The status (what `egressctl status` shows): {"ok":true, "version",
 * "mode", "interfaces", "lists", "counters", ...}. Any thread, while ctl
 * runs. */
cJSON *ctl_status(struct ctl *c);
/* Runs one request ({"cmd": ...}, as egressctl sends it) in the caller's
 * thread, as uid 0 on behalf of actor (written to the audit as is: the
 * caller vouches for it), with the caller's store connection (NULL: the
 * verbs that need one refuse). For the fleet thread's commands. Returns
 * the reply (the caller frees it). */
struct store;
cJSON *ctl_execute(struct ctl *c, const cJSON *req, const char *actor,
		   struct store *st);
/* The containers as `egressctl containers` lists them, from the last
 * scan (no wait for a fresh one). NULL: out of memory. */
cJSON *ctl_containers(struct ctl *c);
/* What `status` shows of the fleet (fleet_host.h), set before ctl_start;
 * fn(arg) returns the "fleet" object or NULL. */
void ctl_set_fleet(struct ctl *c, cJSON *(*fn)(void *arg), void *arg);
/* Asks for the lists to be rebuilt and waits (at most ms) until a build
 * that covers the caller's change is handed to the packet thread.
 * Returns 0, -ETIMEDOUT, or the build's error with err filled. */
int ctl_lists_apply(struct ctl *c, unsigned ms, char *err, size_t errlen);
/* Asks for the lists to be rebuilt (SIGHUP); never waits. */
void ctl_request_reload(struct ctl *c);
/* Asks for a container rescan now (an event from an unknown source);
 * never waits. */
void ctl_request_rescan(struct ctl *c);
