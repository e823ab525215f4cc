/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What each container resolved: (owner, address) -> the names whose DNS
 * answers gave that owner that address, each until its TTL runs out.
 * Keyed per owner (container) so that a CDN address shared by a good and
 * a bad name is judged by the name this container asked for. Bounded:
 * at capacity the least recently used pair is dropped. Pure: the caller
 * passes the time (seconds, monotonic). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"
#include "egressd/limits.h"

struct dnscache;

struct dnscache *dnscache_new(size_t max_entries);
void dnscache_free(struct dnscache *c);
/* The bucket an address falls in (tests: the key is secret and per
 * cache). */
uint32_t dnscache_slot(const struct dnscache *c, uint32_t owner,
		       const struct ip_addr *a);

/* Remembers that owner resolved name to addr until `expires`; trusted:
 * the answer came from a trusted resolver (it stays so while the name is
 * kept). Returns 0 or -ENOMEM. */
int dnscache_put(struct dnscache *c, uint32_t owner, const struct ip_addr *addr,
		 const char *name, uint64_t expires, bool trusted);

/* Fills names[] (at most max, DNSCACHE_NAMES_PER_ADDR is enough) with the
 * unexpired names for (owner, addr), and trusted[] (may be NULL) with
 * whether a trusted resolver gave each; returns how many. The pointers
 * stay valid until the next put. */
unsigned dnscache_get(struct dnscache *c, uint32_t owner,
		      const struct ip_addr *addr, uint64_t now,
		      const char **names, bool *trusted, unsigned max);

size_t dnscache_size(const struct dnscache *c);
