/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's policy: the configured list files plus the operator's own
 * entries from the store, built in one go (all or nothing). */
#pragma once
#include <stddef.h>

#include "config.h"
#include "egressd/policy.h"
#include "egressd/store.h"

/* Returns 0 or a negative errno with "FILE:LINE: what" in err. */
int policy_load(const struct config *cfg, struct store *st, struct policy *ret,
		char *err, size_t errlen);
/* The blacklist's networks into the ruleset's listed4/listed6 sets. */
int policy_listed_sync(const struct policy *p, char *err, size_t errlen);
