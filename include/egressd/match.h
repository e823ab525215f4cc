/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One list colour (black or white): domain entries (exact names and
 * "*.suffix" wildcards, which match every subdomain at any depth but not
 * the apex) and IP / CIDR entries, each tagged with the source it came
 * from. Pure: no I/O.
 *
 * A set is built once (add..., then finish) and is read-only after that,
 * so readers need no lock; a reload builds a new set and swaps a pointer.
 * A domain lookup costs one hash probe per label (O(labels), not
 * O(entries)); an IP lookup one binary search per distinct prefix length. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"
#include "egressd/limits.h"

enum match_kind {
	MATCH_EXACT = 0,
	MATCH_WILDCARD = 1, /* "*.suffix": subdomains of suffix, not suffix */
};

struct match_source {
	char *name; /* "system:mining-pools", a file name, "custom" */
	char *category; /* "mining-pool", "c2", "malware-download", "custom" */
	bool system; /* shipped or imported threat intel, vs the operator's */
	size_t entries; /* entries this source added (after de-duplication) */
};

struct match_hit {
	const struct match_source *source;
	char pattern[DOMAIN_TEXT_MAX + 8]; /* "*.bad.test", "203.0.113.0/24" */
};

struct match_set;

struct match_set *match_set_new(void);
void match_set_free(struct match_set *s);

/* Registers a source; returns its index (>= 0) or -ENOMEM / -E2BIG. */
int match_set_add_source(struct match_set *s, const char *name,
			 const char *category, bool system);
/* Adds a normalised domain (see domain_normalize). Returns 0, -EINVAL
 * (not a valid name) or -ENOMEM. Duplicates are dropped by finish. */
int match_set_add_domain(struct match_set *s, int source, const char *name,
			 enum match_kind kind);
/* Adds a network (host bits clear) or, with the full length, an address. */
int match_set_add_cidr(struct match_set *s, int source,
		       const struct ip_addr *net, unsigned plen);
/* Builds the lookup tables. Returns the number of duplicate entries dropped
 * (the first source to list an entry keeps it) or -ENOMEM. */
int match_set_finish(struct match_set *s);

/* Looks a normalised name up: the exact name, then each parent suffix for
 * wildcards. The most specific entry wins. ret may be NULL. */
bool match_domain(const struct match_set *s, const char *name, size_t len,
		  struct match_hit *ret);
/* match_domain of names[i] (lens[i] bytes) for each i < n: found[i] is its
 * result and, if ret is not NULL, ret[i] is filled where found[i]. The
 * same answers, faster than one call a name: the table's loads for the
 * names ahead are under way while one is looked up. */
void match_domains(const struct match_set *s, const char *const *names,
		   const size_t *lens, size_t n, bool *found,
		   struct match_hit *ret);
/* Longest-prefix match of an address. ret may be NULL. */
bool match_ip(const struct match_set *s, const struct ip_addr *a,
	      struct match_hit *ret);

/* True if an entry with this exact pattern exists (for duplicate reports). */
bool match_has_domain(const struct match_set *s, const char *name,
		      enum match_kind kind);

size_t match_set_domains(const struct match_set *s);
size_t match_set_networks(const struct match_set *s);
/* The i-th network (0 <= i < match_set_networks). Returns 0 or -ENOENT. */
int match_set_network(const struct match_set *s, size_t i,
		      struct ip_addr *ret, unsigned *ret_plen);
size_t match_set_nsources(const struct match_set *s);
const struct match_source *match_set_source(const struct match_set *s,
					    size_t i);
/* Bytes held by the domain table (buckets, filter, long keys), for the
 * benchmark. */
size_t match_set_domain_bytes(const struct match_set *s);
