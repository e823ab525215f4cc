/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the list and event commands. Internal. */
#pragma once
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct ctl;

/* After a list change: waits for the rebuilt lists (bounded) and says in
 * the reply whether they are in force ("applied"). */
void ctl_lists_applied(struct ctl *c, cJSON *rep);
