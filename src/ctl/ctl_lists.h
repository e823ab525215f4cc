/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the list and event commands. Internal. */
#pragma once
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct ctl;

/* A list pattern: a domain, "*.domain", an address or a network, written
 * normalised to norm. One that covers too much (a network wider than /8,
 * or /16 for IPv6; "*.tld") needs force. Returns 0, -EINVAL or -EPERM
 * with why filled. */
int ctl_pattern_check(const char *p, bool force, char *norm, size_t len,
		      char *why, size_t wl);
/* After a list change: waits for the rebuilt lists (bounded) and says in
 * the reply whether they are in force ("applied"). */
void ctl_lists_applied(struct ctl *c, cJSON *rep);
