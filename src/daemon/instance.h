/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One egressd per network namespace and per state dir, and a state dir
 * that nobody else can read. Checked before anything is touched: a second
 * instance must never replace the first one's ruleset or socket. */
#pragma once
#include <stddef.h>

struct instance {
	int dir_lock; /* flock on STATE_DIR/egressd.lock */
	int ns_lock; /* an abstract unix socket, unique per network namespace */
};

/* Makes the state dir (0750, root) if needed, corrects its mode and its
 * files' (0640 or stricter, whatever existed before), refuses one that is
 * a symlink or not a directory, then takes both locks. Returns 0 or a
 * negative errno with err filled ("another egressd (pid N) ..."). */
int instance_claim(struct instance *in, const char *state_dir, char *err,
		   size_t errlen);
void instance_release(struct instance *in);
