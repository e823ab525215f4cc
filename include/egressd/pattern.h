/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The operator's list patterns: checking one before it is stored, and
 * whether one covers an event's subject. Shared by egressd's control
 * commands and egressd-console in fleet mode, which stores central
 * entries without egressd. Pure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* A list pattern: a domain, "*.domain", an address or a network, written
 * normalised to norm. One that covers too much (a network wider than /8,
 * or /16 for IPv6; "*.tld") needs force. Returns 0, -EINVAL or -EPERM
 * with why filled. */
int pattern_check(const char *p, bool force, char *norm, size_t len,
		  char *why, size_t wl);

/* Whether pattern covers subject: the same name or address, a parent
 * "*.domain", or a network containing the address. */
bool pattern_covers(const char *pattern, const char *subject);

/* Risk and remedy for a rule's category: what an event means and what to
 * do (egressctl and the console show them). Never NULL. */
void pattern_advice(const char *category, const char **ret_risk,
		    const char **ret_remedy);
