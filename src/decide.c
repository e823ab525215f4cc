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

void decide_flow(const struct policy *p, const char *claimed,
		 const char *const *resolved, unsigned nresolved,
		 const struct ip_addr *dst, struct decision *d)
{
	d->verdict = VERDICT_NONE;
	if (claimed && (try_name(p->white, claimed, VERDICT_ALLOW, d) ||
			try_name(p->black, claimed, VERDICT_BLOCK, d)))
		return;
	if (any_name(p->white, resolved, nresolved, VERDICT_ALLOW, d) ||
	    try_ip(p->white, dst, VERDICT_ALLOW, d) ||
	    any_name(p->black, resolved, nresolved, VERDICT_BLOCK, d) ||
	    try_ip(p->black, dst, VERDICT_BLOCK, d))
		return;
	d->verdict = VERDICT_NONE;
}
