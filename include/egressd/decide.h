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

/* The category of the dns-bypass list (lists/dns-bypass.txt): its hits
 * have an action of their own (engine.h), so any other blacklisted name
 * of the same flow or answer is reported before it. */
#define DECIDE_CATEGORY_DNS_BYPASS "dns-bypass"

/* Judges a set of names that all describe one thing (a DNS question and
 * its CNAME chain): any whitelisted name allows, else the first
 * blacklisted name blocks (one of the dns-bypass list only when no
 * other is listed). */
void decide_names(const struct policy *p, const char *const *names,
		  unsigned n, struct decision *ret);

/* What a flow says of itself and what the container learned of dst. */
struct flow_claims {
	const char *const *claims; /* SNI(s), Host(s), a URI's host... */
	unsigned nclaims;
	const char *const *resolved; /* names this container resolved to dst */
	const bool *trusted; /* per resolved name: from a trusted resolver */
	unsigned nresolved;
	const struct ip_addr *dst;
};

/* Judges a flow. A blacklisted claim blocks (even when the address came
 * from a whitelisted name: that is domain fronting), unless the operator
 * whitelisted that very name; a claim never allows. Then the address: a
 * whitelisted address allows; a blacklisted one blocks unless a trusted
 * resolver gave the container a whitelisted name for it; then any
 * whitelisted resolved name allows and any blacklisted one blocks. A hit
 * of the dns-bypass list is the reason given only when there is no
 * other (its action may be weaker than a block). */
void decide_flow(const struct policy *p, const struct flow_claims *fc,
		 struct decision *ret);
