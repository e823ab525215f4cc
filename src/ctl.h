/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket: JSON requests from egressctl, one per connection,
 * served by a thread of their own (never the packet thread). That thread
 * also owns the container inventory and isolation. */
#pragma once
#include <stddef.h>

#include "config.h"
#include "egressd/ct.h"
#include "egressd/isolation.h"
#include "egressd/policy.h"

struct ctl;

/* Binds cfg->socket (owner root, group "egressd" if it exists, mode 0660)
 * and starts serving. iso is loaded already; ctl owns it from now on. */
struct ctl *ctl_start(const struct config *cfg, struct isolation *iso,
		      char *err, size_t errlen);
void ctl_stop(struct ctl *c);
/* A new policy, and the connections accepted so far (collected from
 * conntrack by the control thread, NULL if that failed): the packet
 * thread swaps the policy in and cuts those the new one forbids. */
struct policy_update {
	struct policy policy;
	struct ct_list *accepted;
};

/* The main loop polls this: each readable struct policy_update * is an
 * update (heap; the reader takes it over and frees it). */
int ctl_policy_fd(const struct ctl *c);
/* Asks the control thread to rebuild the policy (SIGHUP): file reading
 * stays off the packet thread. */
void ctl_request_reload(struct ctl *c);
