// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/flowtab.h"

#include <stdlib.h>
#include <string.h>

struct flowtab {
	struct flow **b;
	size_t nb, n, max;
};

static size_t key_hash(const struct flow_key *k, size_t nb)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *p = (const uint8_t *)k;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return (size_t)(h % nb);
}

struct flowtab *flowtab_new(size_t max)
{
	struct flowtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max;
	t->nb = max / 2 + 1;
	t->b = calloc(t->nb, sizeof(*t->b));
	if (!t->b) {
		free(t);
		return NULL;
	}
	return t;
}

static void flow_free(struct flow *f)
{
	reasm_free(&f->up);
	reasm_free(&f->down);
	free(f);
}

void flowtab_free(struct flowtab *t)
{
	if (!t)
		return;
	flowtab_expire(t, UINT64_MAX);
	free(t->b);
	free(t);
}

struct flow *flowtab_get(struct flowtab *t, const struct flow_key *k,
			 uint64_t now, bool create)
{
	size_t h = key_hash(k, t->nb);
	struct flow *f;

	for (f = t->b[h]; f; f = f->next)
		if (!memcmp(&f->key, k, sizeof(*k))) {
			f->last_seen = now;
			return f;
		}
	if (!create || t->n == t->max || !(f = calloc(1, sizeof(*f))))
		return NULL;
	f->key = *k;
	f->last_seen = now;
	f->next = t->b[h];
	t->b[h] = f;
	t->n++;
	return f;
}

void flowtab_del(struct flowtab *t, struct flow *f)
{
	struct flow **pp = &t->b[key_hash(&f->key, t->nb)];

	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = f->next;
		t->n--;
		flow_free(f);
	}
}

size_t flowtab_expire(struct flowtab *t, uint64_t before)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nb; i++)
		for (struct flow **pp = &t->b[i]; *pp;) {
			struct flow *f = *pp;
			if (f->last_seen >= before) {
				pp = &f->next;
				continue;
			}
			*pp = f->next;
			flow_free(f);
			t->n--;
			n++;
		}
	return n;
}

size_t flowtab_size(const struct flowtab *t)
{
	return t->n;
}
