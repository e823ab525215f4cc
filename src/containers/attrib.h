/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Process attribution with a time bound. A lookup reads /proc and files a
 * container controls; a hostile container can make such a read wait (a
 * process stuck in a page fault holds what /proc/PID/cmdline needs). Each
 * lookup runs on a thread of its own; the event writer waits for it at
 * most a given time, then goes on without it. A lookup that never ends
 * keeps only its own thread; past ATTRIB_STUCK_MAX of those, attribution
 * is skipped (and says so) until they end. */
#pragma once
#include <stdint.h>

#include "egressd/event.h"
#include "egressd/procinfo.h"

#define ATTRIB_STUCK_MAX 8

/* Attributes flow in the network namespace netns_path within ms. Returns
 * 0, -ETIMEDOUT or procinfo_attribute's error, with ret->reason filled
 * when not 0. rules (redaction of command lines) must outlive the daemon's
 * threads: a lookup that hangs may use them later. */
int attrib_lookup(const char *netns_path, const struct event_flow *flow,
		  const struct redact_rules *rules, unsigned ms,
		  struct proc_attr *ret);
