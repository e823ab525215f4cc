// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/dnscache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/siphash.h"

#define NIL UINT32_MAX

struct dc_name {
	char *name;
	uint64_t expires;
	bool trusted; /* a trusted resolver gave it (once is enough) */
};

struct dc_entry {
	uint32_t owner;
	struct ip_addr addr;
	uint32_t chain; /* next entry in the bucket */
	uint32_t prev, next; /* LRU list, head = most recent */
	struct dc_name names[DNSCACHE_NAMES_PER_ADDR];
};

struct dnscache {
	struct dc_entry *e;
	uint32_t *bucket;
	size_t cap, nbuckets, used;
	uint32_t head, tail;
	/* Entries are taken in order, never given back (one is evicted
	 * when all are used): nothing touches the table at creation, so a
	 * new cache costs no page until it is used (the engine's is 9 MB). */
	uint32_t fresh;
	/* The addresses are what a container's own resolver answers: a
	 * secret key keeps it from choosing ones that share a bucket
	 * (siphash.h). */
	struct sip_key seed;
};

static uint32_t key_hash(const struct dnscache *c, uint32_t owner,
			 const struct ip_addr *a)
{
	uint8_t k[4 + 1 + sizeof(a->b)];

	memcpy(k, &owner, 4);
	k[4] = a->family;
	memcpy(k + 5, a->b, sizeof(a->b));
	return (uint32_t)(sip_hash(&c->seed, k, sizeof(k)) % c->nbuckets);
}

uint32_t dnscache_slot(const struct dnscache *c, uint32_t owner,
		       const struct ip_addr *a)
{
	return key_hash(c, owner, a);
}

struct dnscache *dnscache_new(size_t max)
{
	struct dnscache *c = calloc(1, sizeof(*c));

	if (!c || !max || max >= NIL)
		goto fail;
	c->cap = max;
	c->nbuckets = max + max / 2 + 1;
	sip_key_new(&c->seed);
	c->e = calloc(max, sizeof(*c->e));
	c->bucket = malloc(c->nbuckets * sizeof(*c->bucket));
	if (!c->e || !c->bucket)
		goto fail;
	memset(c->bucket, 0xff, c->nbuckets * sizeof(*c->bucket));
	c->head = c->tail = NIL;
	return c;
fail:
	dnscache_free(c);
	return NULL;
}

static void entry_clear(struct dc_entry *e)
{
	for (int i = 0; i < DNSCACHE_NAMES_PER_ADDR; i++) {
		free(e->names[i].name);
		e->names[i].name = NULL;
	}
}

void dnscache_free(struct dnscache *c)
{
	if (!c)
		return;
	if (c->e)
		for (size_t i = 0; i < c->fresh; i++)
			entry_clear(&c->e[i]);
	free(c->e);
	free(c->bucket);
	free(c);
}

static void lru_unlink(struct dnscache *c, uint32_t i)
{
	struct dc_entry *e = &c->e[i];

	if (e->prev != NIL)
		c->e[e->prev].next = e->next;
	else
		c->head = e->next;
	if (e->next != NIL)
		c->e[e->next].prev = e->prev;
	else
		c->tail = e->prev;
}

static void lru_push(struct dnscache *c, uint32_t i)
{
	c->e[i].prev = NIL;
	c->e[i].next = c->head;
	if (c->head != NIL)
		c->e[c->head].prev = i;
	c->head = i;
	if (c->tail == NIL)
		c->tail = i;
}

static uint32_t find(struct dnscache *c, uint32_t owner,
		     const struct ip_addr *a)
{
	uint32_t i = c->bucket[key_hash(c, owner, a)];

	while (i != NIL && (c->e[i].owner != owner ||
			    !ip_addr_equal(&c->e[i].addr, a)))
		i = c->e[i].chain;
	return i;
}

/* Drops the least recently used entry and returns its index. */
static uint32_t evict(struct dnscache *c)
{
	uint32_t i = c->tail, *pp;
	struct dc_entry *e = &c->e[i];

	pp = &c->bucket[key_hash(c, e->owner, &e->addr)];
	while (*pp != i)
		pp = &c->e[*pp].chain;
	*pp = e->chain;
	lru_unlink(c, i);
	entry_clear(e);
	c->used--;
	return i;
}

static uint32_t entry_new(struct dnscache *c, uint32_t owner,
			  const struct ip_addr *a)
{
	uint32_t i, *b;

	if (c->fresh < c->cap)
		i = c->fresh++;
	else
		i = evict(c);
	c->e[i].owner = owner;
	c->e[i].addr = *a;
	b = &c->bucket[key_hash(c, owner, a)];
	c->e[i].chain = *b;
	*b = i;
	lru_push(c, i);
	c->used++;
	return i;
}

/* The slot for name: its own, a free or expired one, or the one that
 * expires first. */
static struct dc_name *name_slot(struct dc_entry *e, const char *name)
{
	struct dc_name *best = &e->names[0];

	for (int k = 0; k < DNSCACHE_NAMES_PER_ADDR; k++) {
		struct dc_name *n = &e->names[k];
		if (n->name && !strcmp(n->name, name))
			return n;
		if (!n->name || n->expires < best->expires)
			best = n;
		if (!n->name)
			break;
	}
	return best;
}

int dnscache_put(struct dnscache *c, uint32_t owner, const struct ip_addr *a,
		 const char *name, uint64_t expires, bool trusted)
{
	uint32_t i = find(c, owner, a);
	struct dc_name *n;

	if (i == NIL)
		i = entry_new(c, owner, a);
	else {
		lru_unlink(c, i);
		lru_push(c, i);
	}
	n = name_slot(&c->e[i], name);
	if (!n->name || strcmp(n->name, name)) {
		char *dup = strdup(name);
		if (!dup)
			return -ENOMEM;
		free(n->name);
		n->name = dup;
		n->expires = expires;
		n->trusted = trusted;
	} else {
		if (expires > n->expires)
			n->expires = expires;
		n->trusted |= trusted;
	}
	return 0;
}

unsigned dnscache_get(struct dnscache *c, uint32_t owner,
		      const struct ip_addr *a, uint64_t now, const char **names,
		      bool *trusted, unsigned max)
{
	uint32_t i = find(c, owner, a);
	unsigned k = 0;

	if (i == NIL)
		return 0;
	for (int j = 0; j < DNSCACHE_NAMES_PER_ADDR && k < max; j++) {
		const struct dc_name *n = &c->e[i].names[j];
		if (!n->name || n->expires <= now)
			continue;
		if (trusted)
			trusted[k] = n->trusted;
		names[k++] = n->name;
	}
	return k;
}

size_t dnscache_size(const struct dnscache *c)
{
	return c->used;
}
