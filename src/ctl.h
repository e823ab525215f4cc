/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket: JSON requests from egressctl, one per connection,
 * served by a thread of their own (never the packet thread). That thread
 * also owns the container inventory and isolation. */
#pragma once
#include <stddef.h>

#include "config.h"
#include "egressd/isolation.h"

struct ctl;

/* Binds cfg->socket (owner root, group "egressd" if it exists, mode 0660)
 * and starts serving. iso is loaded already; ctl owns it from now on. */
struct ctl *ctl_start(const struct config *cfg, struct isolation *iso,
		      char *err, size_t errlen);
void ctl_stop(struct ctl *c);
