// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/decide.h"

#include <stdio.h>
#include <string.h>

const char *verdict_name(enum verdict v)
{
	return v == VERDICT_BLOCK ? "block" : v == VERDICT_ALLOW ? "allow" : "none";
}

static bool try_name(const struct match_set *s, const char *name,
		     enum verdict v, struct decision *d)
{
	if (!s || !match_domain(s, name, strlen(name), &d->hit))
		return false;
	d->verdict = v;
	snprintf(d->subject, sizeof(d->subject), "%s", name);
	return true;
}

static bool try_ip(const struct match_set *s, const struct ip_addr *a,
		   enum verdict v, struct decision *d)
{
	if (!s || !a || !match_ip(s, a, &d->hit))
		return false;
	d->verdict = v;
	ip_addr_format(a, d->subject, sizeof(d->subject));
	return true;
}

static bool any_name(const struct match_set *s, const char *const *names,
		     unsigned n, enum verdict v, struct decision *d)
{
	for (unsigned i = 0; i < n; i++)
		if (try_name(s, names[i], v, d))
			return true;
	return false;
}

void decide_names(const struct policy *p, const char *const *names,
		  unsigned n, struct decision *d)
{
	d->verdict = VERDICT_NONE;
	if (any_name(p->white, names, n, VERDICT_ALLOW, d) ||
	    any_name(p->black, names, n, VERDICT_BLOCK, d))
		return;
	d->verdict = VERDICT_NONE;
}

/* A claim adds a reason to block unless the operator whitelisted that very
 * name; it never allows anything else (the client chose it freely). */
static bool claim_blocks(const struct policy *p, const char *const *claims,
			 unsigned n, struct decision *d)
{
	struct decision w;

	for (unsigned i = 0; i < n; i++)
		if (!try_name(p->white, claims[i], VERDICT_ALLOW, &w) &&
		    try_name(p->black, claims[i], VERDICT_BLOCK, d))
			return true;
	return false;
}

/* A resolved name that is whitelisted; with only_trusted, one that a
 * trusted resolver gave. */
static bool white_name(const struct policy *p, const char *const *names,
		       const bool *trusted, unsigned n, bool only_trusted,
		       struct decision *d)
{
	for (unsigned i = 0; i < n; i++)
		if ((!only_trusted || (trusted && trusted[i])) &&
		    try_name(p->white, names[i], VERDICT_ALLOW, d))
			return true;
	return false;
}

void decide_flow(const struct policy *p, const struct flow_claims *fc,
		 struct decision *d)
{
	const struct ip_addr *dst = fc->dst;

	d->verdict = VERDICT_NONE;
	if (claim_blocks(p, fc->claims, fc->nclaims, d))
		return;
	if (try_ip(p->white, dst, VERDICT_ALLOW, d))
		return;
	/* A listed address: only a trusted resolver's name unlocks it (any
	 * resolver the container picks could map a good name to it). */
	if (dst && p->black && match_ip(p->black, dst, NULL)) {
		if (white_name(p, fc->resolved, fc->trusted, fc->nresolved,
			       true, d))
			return;
		try_ip(p->black, dst, VERDICT_BLOCK, d);
		return;
	}
	if (white_name(p, fc->resolved, fc->trusted, fc->nresolved, false, d) ||
	    any_name(p->black, fc->resolved, fc->nresolved, VERDICT_BLOCK, d))
		return;
	d->verdict = VERDICT_NONE;
}
