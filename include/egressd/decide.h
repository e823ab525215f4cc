/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verdict for one observation from the lists. Pure. The whitelist
 * always beats the blacklist; "block" here means "blacklisted": whether
 * traffic is stopped or only reported is the daemon's mode. */
#pragma once
#include <stdbool.h>

#include "egressd/addr.h"
#include "egressd/match.h"

enum verdict { VERDICT_NONE = 0, VERDICT_ALLOW, VERDICT_BLOCK };

struct policy {
	struct match_set *white; /* may be NULL */
	struct match_set *black; /* may be NULL */
};

struct decision {
	enum verdict verdict;
	struct match_hit hit; /* the rule, unless VERDICT_NONE */
	char subject[DNS_NAME_BUF]; /* the name or address that matched */
};

const char *verdict_name(enum verdict v);

/* Judges a set of names that all describe one thing (a DNS question and
 * its CNAME chain): any whitelisted name allows, else the first
 * blacklisted name blocks. */
void decide_names(const struct policy *p, const char *const *names,
		  unsigned n, struct decision *ret);

/* Judges a flow to dst. `claimed` is the SNI or Host the client sent (NULL
 * if none yet); `resolved` are the names this container resolved to dst.
 * Order: a claimed name decides first (white allows; black blocks even when
 * the address came from a whitelisted name: that is domain fronting);
 * then a whitelisted resolved name or address allows; then a blacklisted
 * resolved name or address blocks. */
void decide_flow(const struct policy *p, const char *claimed,
		 const char *const *resolved, unsigned nresolved,
		 const struct ip_addr *dst, struct decision *ret);
