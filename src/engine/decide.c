// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/decide.h"

#include <stdio.h>
#include <string.h>

const char *verdict_name(enum verdict v)
{
	return v == VERDICT_BLOCK ? "block" : v == VERDICT_ALLOW ? "allow" : "none";
}

/* Names looked up in one match_domains call: a DNS answer's question and
 * its CNAME chain at once, the table's loads for all of them under way
 * together. Longer arrays go in runs of this many. */
#define NAMES_AT_ONCE DNS_CHAIN_MAX

/* Whether s lists each of a run of names, and by which rule. */
struct lookups {
	bool listed[NAMES_AT_ONCE];
	struct match_hit hit[NAMES_AT_ONCE];
};

/* Looks up names[i..], a run of them, when i starts one; returns i's
 * place in the run. */
static unsigned look_up(const struct match_set *s, const char *const *names,
			unsigned i, unsigned n, struct lookups *l)
{
	unsigned j = i % NAMES_AT_ONCE, m = n - i;
	size_t len[NAMES_AT_ONCE];

	if (j)
		return j;
	if (m > NAMES_AT_ONCE)
		m = NAMES_AT_ONCE;
	if (!s) {
		memset(l->listed, 0, sizeof(l->listed));
		return 0;
	}
	for (unsigned k = 0; k < m; k++)
		len[k] = strlen(names[i + k]);
	match_domains(s, names + i, len, m, l->listed, l->hit);
	return 0;
}

static void name_decision(struct decision *d, enum verdict v,
			  const char *name, const struct match_hit *hit)
{
	d->verdict = v;
	d->hit = *hit;
	snprintf(d->subject, sizeof(d->subject), "%s", name);
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

/* The dns-bypass list's hits have an action of their own (engine.h's
 * dns_bypass), which may be weaker than a block. */
static bool weak_hit(const struct decision *d)
{
	return !strcmp(d->hit.source->category, DECIDE_CATEGORY_DNS_BYPASS);
}

/* Of two blacklist hits on one flow or one answer, the stronger one:
 * the first, unless a later one outranks a dns-bypass hit (a resolver's
 * name claimed or resolved first must not hide a C2's after it). */
static bool keep_stronger(struct decision *d, const struct decision *c,
			  bool found)
{
	if (!found || (weak_hit(d) && !weak_hit(c)))
		*d = *c;
	return true;
}

static bool any_name(const struct match_set *s, const char *const *names,
		     unsigned n, enum verdict v, struct decision *d)
{
	struct lookups l;
	struct decision c;
	bool found = false;

	for (unsigned i = 0; i < n; i++) {
		unsigned j = look_up(s, names, i, n, &l);
		if (!l.listed[j])
			continue;
		name_decision(&c, v, names[i], &l.hit[j]);
		if (v != VERDICT_BLOCK) {
			*d = c;
			return true;
		}
		found = keep_stronger(d, &c, found);
	}
	return found;
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
	struct lookups w, b;
	struct decision c;
	bool found = false;

	for (unsigned i = 0; i < n; i++) {
		unsigned j = look_up(p->white, claims, i, n, &w);
		look_up(p->black, claims, i, n, &b);
		if (w.listed[j] || !b.listed[j])
			continue;
		name_decision(&c, VERDICT_BLOCK, claims[i], &b.hit[j]);
		found = keep_stronger(d, &c, found);
	}
	return found;
}

/* A resolved name that is whitelisted; with only_trusted, one that a
 * trusted resolver gave. */
static bool white_name(const struct policy *p, const char *const *names,
		       const bool *trusted, unsigned n, bool only_trusted,
		       struct decision *d)
{
	struct lookups l;

	for (unsigned i = 0; i < n; i++) {
		unsigned j = look_up(p->white, names, i, n, &l);
		if ((!only_trusted || (trusted && trusted[i])) &&
		    l.listed[j]) {
			name_decision(d, VERDICT_ALLOW, names[i], &l.hit[j]);
			return true;
		}
	}
	return false;
}

/* The address and the names the container resolved for it. */
static void decide_address(const struct policy *p,
			   const struct flow_claims *fc, struct decision *d)
{
	const struct ip_addr *dst = fc->dst;

	d->verdict = VERDICT_NONE;
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

void decide_flow(const struct policy *p, const struct flow_claims *fc,
		 struct decision *d)
{
	struct decision c;

	if (!claim_blocks(p, fc->claims, fc->nclaims, &c)) {
		decide_address(p, fc, d);
		return;
	}
	if (weak_hit(&c)) {
		/* A listed address outranks a dns-bypass claim. */
		decide_address(p, fc, d);
		if (d->verdict == VERDICT_BLOCK && !weak_hit(d))
			return;
	}
	*d = c;
}
