// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/flowtab.h"

#include <stdlib.h>
#include <string.h>

#include "egressd/siphash.h"

struct flowtab {
	struct flow **b;
	size_t nb, n, max; /* nb: a power of two */
	/* The flows' ports and server addresses are the container's to
	 * choose: a secret key keeps it from knowing which share a bucket
	 * (siphash.h). */
	struct sip_key seed;
	/* Least recently seen last: the one evicted when the table is full,
	 * and where expiry starts. */
	struct flow *lru_head, *lru_tail;
	unsigned long evicted;
};

/* Keys are whole structs, padding zeroed by their makers (flowtab_get
 * compares them with memcmp too). */
static size_t key_hash(const struct flowtab *t, const struct flow_key *k)
{
	return (size_t)sip_hash(&t->seed, k, sizeof(*k)) & (t->nb - 1);
}

size_t flowtab_slot(const struct flowtab *t, const struct flow_key *k)
{
	return key_hash(t, k);
}

struct flowtab *flowtab_new(size_t max)
{
	struct flowtab *t = calloc(1, sizeof(*t));

	if (!t || !max) {
		free(t);
		return NULL;
	}
	t->max = max;
	for (t->nb = 1; t->nb < max / 2 + 1; t->nb <<= 1)
		;
	sip_key_new(&t->seed);
	t->b = calloc(t->nb, sizeof(*t->b));
	if (!t->b) {
		free(t);
		return NULL;
	}
	return t;
}

static void lru_unlink(struct flowtab *t, struct flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		t->lru_head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		t->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_push(struct flowtab *t, struct flow *f)
{
	f->lru_prev = NULL;
	f->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = f;
	t->lru_head = f;
	if (!t->lru_tail)
		t->lru_tail = f;
}

void flowtab_del(struct flowtab *t, struct flow *f)
{
	struct flow **pp = &t->b[key_hash(t, &f->key)];

	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = f->next;
	lru_unlink(t, f);
	t->n--;
	reasm_free(&f->up);
	reasm_free(&f->down);
	if (f->app && f->app_free)
		f->app_free(f->app);
	free(f);
}

void flowtab_free(struct flowtab *t)
{
	if (!t)
		return;
	while (t->lru_head)
		flowtab_del(t, t->lru_head);
	free(t->b);
	free(t);
}

struct flow *flowtab_get(struct flowtab *t, const struct flow_key *k,
			 uint64_t now, bool create)
{
	size_t h = key_hash(t, k);
	struct flow *f;

	for (f = t->b[h]; f; f = f->next)
		if (!memcmp(&f->key, k, sizeof(*k))) {
			f->last_seen = now;
			lru_unlink(t, f);
			lru_push(t, f);
			return f;
		}
	if (!create)
		return NULL;
	/* Full: the flow seen least recently goes. A flood of new flows can
	 * only push out flows that stopped talking, never stop the reading
	 * of new ones (that would leave every flow's claim unread). */
	if (t->n == t->max) {
		if (!t->lru_tail->decided)
			t->evicted++;
		flowtab_del(t, t->lru_tail);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->key = *k;
	f->last_seen = now;
	f->next = t->b[h];
	t->b[h] = f;
	lru_push(t, f);
	t->n++;
	return f;
}

size_t flowtab_expire(struct flowtab *t, uint64_t before)
{
	size_t n = 0;

	while (t->lru_tail && t->lru_tail->last_seen < before) {
		flowtab_del(t, t->lru_tail);
		n++;
	}
	return n;
}

size_t flowtab_size(const struct flowtab *t)
{
	return t->n;
}

unsigned long flowtab_evicted(const struct flowtab *t)
{
	return t->evicted;
}

void flowtab_foreach(struct flowtab *t, void (*fn)(struct flow *f, void *ctx),
		     void *ctx)
{
	for (struct flow *f = t->lru_head; f; f = f->lru_next)
		fn(f, ctx);
}
