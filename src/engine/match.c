// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/match.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/domain.h"
#include "egressd/grow.h"
#include "nametab.h"

#define SOURCES_MAX 65535

struct ipent {
	uint8_t b[16];
	uint8_t family;
	uint8_t plen;
	uint16_t source;
	uint32_t seq; /* insertion order: the first source keeps a duplicate */
};

/* Entries of one family and prefix length: a sorted run of ips[]. */
struct ipgroup {
	uint8_t family, plen;
	size_t start, n;
};

/* Domains live in a name table (nametab.c): exact names under their own
 * key, "*.suffix" under ".suffix". */
struct match_set {
	struct nametab_builder names_in; /* until finish */
	struct nametab names;
	struct ipent *ips;
	size_t nips, ips_cap;
	struct ipgroup *groups;
	size_t ngroups;
	struct match_source *sources;
	size_t nsources;
};

struct match_set *match_set_new(void)
{
	return calloc(1, sizeof(struct match_set));
}

void match_set_free(struct match_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nsources; i++) {
		free(s->sources[i].name);
		free(s->sources[i].category);
	}
	free(s->sources);
	nametab_builder_free(&s->names_in);
	nametab_free(&s->names);
	free(s->ips);
	free(s->groups);
	free(s);
}

int match_set_add_source(struct match_set *s, const char *name,
			 const char *category, bool system)
{
	struct match_source *src;
	size_t cap = s->nsources;

	if (s->nsources == SOURCES_MAX)
		return -E2BIG;
	src = realloc(s->sources, (cap + 1) * sizeof(*src));
	if (!src)
		return -ENOMEM;
	s->sources = src;
	src = &s->sources[s->nsources];
	src->name = strdup(name);
	src->category = strdup(category);
	src->system = system;
	src->entries = 0;
	if (!src->name || !src->category) {
		free(src->name);
		free(src->category);
		return -ENOMEM;
	}
	return (int)s->nsources++;
}

int match_set_add_domain(struct match_set *s, int source, const char *name,
			 enum match_kind kind)
{
	char key[NAMETAB_KEY_MAX];
	size_t n = strlen(name);

	if (source < 0 || (size_t)source >= s->nsources ||
	    !domain_is_valid(name))
		return -EINVAL;
	if (kind != MATCH_WILDCARD)
		return nametab_builder_add(&s->names_in, name, n,
					   (unsigned)source);
	key[0] = '.';
	memcpy(key + 1, name, n);
	return nametab_builder_add(&s->names_in, key, n + 1, (unsigned)source);
}

int match_set_add_cidr(struct match_set *s, int source,
		       const struct ip_addr *net, unsigned plen)
{
	struct ipent *e;

	if (source < 0 || (size_t)source >= s->nsources ||
	    plen > ip_addr_bits(net))
		return -EINVAL;
	if (array_grow((void **)&s->ips, &s->ips_cap, s->nips + 1, sizeof(*s->ips)))
		return -ENOMEM;
	e = &s->ips[s->nips];
	memcpy(e->b, net->b, 16);
	e->family = net->family;
	e->plen = (uint8_t)plen;
	e->source = (uint16_t)source;
	e->seq = (uint32_t)s->nips++;
	return 0;
}

static int build_domains(struct match_set *s)
{
	size_t *kept = calloc(s->nsources + 1, sizeof(*kept));
	int r;

	if (!kept) {
		nametab_builder_free(&s->names_in);
		return -ENOMEM;
	}
	r = nametab_build(&s->names, &s->names_in, kept);
	for (size_t i = 0; r >= 0 && i < s->nsources; i++)
		s->sources[i].entries += kept[i];
	free(kept);
	return r;
}

static int ipent_cmp(const void *x, const void *y)
{
	const struct ipent *a = x, *b = y;
	int r;

	if (a->family != b->family)
		return a->family - b->family;
	if (a->plen != b->plen)
		return b->plen - a->plen; /* longest prefix first */
	r = memcmp(a->b, b->b, 16);
	if (r)
		return r;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int build_ips(struct match_set *s)
{
	size_t w = 0;
	int dups = 0;

	if (s->nips)
		qsort(s->ips, s->nips, sizeof(*s->ips), ipent_cmp);
	for (size_t r = 0; r < s->nips; r++) {
		struct ipent *e = &s->ips[r];
		if (w && s->ips[w - 1].family == e->family &&
		    s->ips[w - 1].plen == e->plen &&
		    !memcmp(s->ips[w - 1].b, e->b, 16)) {
			dups++;
			continue;
		}
		s->sources[e->source].entries++;
		s->ips[w++] = *e;
	}
	s->nips = w;
	for (size_t i = 0; i < s->nips; i++) {
		struct ipgroup *g = s->ngroups ? &s->groups[s->ngroups - 1] : NULL;
		if (g && g->family == s->ips[i].family &&
		    g->plen == s->ips[i].plen) {
			g->n++;
			continue;
		}
		g = realloc(s->groups, (s->ngroups + 1) * sizeof(*g));
		if (!g)
			return -ENOMEM;
		s->groups = g;
		s->groups[s->ngroups++] = (struct ipgroup){
			s->ips[i].family, s->ips[i].plen, i, 1
		};
	}
	return dups;
}

int match_set_finish(struct match_set *s)
{
	int d1, d2;

	d1 = build_domains(s);
	if (d1 < 0)
		return d1;
	d2 = build_ips(s);
	if (d2 < 0)
		return d2;
	return d1 + d2;
}

static void hit_fill(const struct match_set *s, const uint8_t *rec,
		     const char *key, size_t n, struct match_hit *ret)
{
	ret->source = &s->sources[nametab_rec_source(rec)];
	/* a wildcard's key is its suffix with the dot: ".bad.test" */
	snprintf(ret->pattern, sizeof(ret->pattern), "%s%.*s",
		 key[0] == '.' ? "*" : "", (int)n, key);
}

bool match_domain(const struct match_set *s, const char *name, size_t len,
		  struct match_hit *ret)
{
	size_t off;
	const uint8_t *rec = nametab_lookup(&s->names, name, len, &off);

	/* ret first: the benchmark's lookups then do not branch on rec */
	if (ret && rec)
		hit_fill(s, rec, name + off, len - off, ret);
	return rec != NULL;
}

/* The names a batch looks up at once: its records fit on the stack. */
#define MATCH_BATCH 64

void match_domains(const struct match_set *s, const char *const *names,
		   const size_t *lens, size_t n, bool *found,
		   struct match_hit *ret)
{
	const uint8_t *rec[MATCH_BATCH];
	size_t off[MATCH_BATCH];

	for (size_t i = 0; i < n; i += MATCH_BATCH) {
		size_t m = n - i < MATCH_BATCH ? n - i : MATCH_BATCH;
		nametab_lookup_many(&s->names, names + i, lens + i, m, rec,
				    off);
		for (size_t j = 0; j < m; j++) {
			found[i + j] = rec[j] != NULL;
			if (ret && rec[j])
				hit_fill(s, rec[j], names[i + j] + off[j],
					 lens[i + j] - off[j], &ret[i + j]);
		}
	}
}

bool match_has_domain(const struct match_set *s, const char *name,
		      enum match_kind kind)
{
	char key[NAMETAB_KEY_MAX];
	size_t n = strlen(name);

	if (kind != MATCH_WILDCARD)
		return nametab_find(&s->names, name, n) != NULL;
	if (!n || n >= NAMETAB_KEY_MAX)
		return false;
	key[0] = '.';
	memcpy(key + 1, name, n);
	return nametab_find(&s->names, key, n + 1) != NULL;
}

static int ipent_key_cmp(const void *key, const void *elem)
{
	return memcmp(key, ((const struct ipent *)elem)->b, 16);
}

bool match_ip(const struct match_set *s, const struct ip_addr *a,
	      struct match_hit *ret)
{
	char t[IP_ADDR_TEXT];

	for (size_t g = 0; g < s->ngroups; g++) {
		const struct ipgroup *gr = &s->groups[g];
		struct ip_addr m = *a;
		const struct ipent *e;

		if (gr->family != a->family)
			continue;
		ip_addr_mask(&m, gr->plen);
		e = bsearch(m.b, s->ips + gr->start, gr->n, sizeof(*e),
			    ipent_key_cmp);
		if (!e)
			continue;
		if (ret) {
			ret->source = &s->sources[e->source];
			ip_addr_format(&m, t, sizeof(t));
			if (gr->plen == ip_addr_bits(a))
				snprintf(ret->pattern, sizeof(ret->pattern),
					 "%s", t);
			else
				snprintf(ret->pattern, sizeof(ret->pattern),
					 "%s/%u", t, gr->plen);
		}
		return true;
	}
	return false;
}

size_t match_set_domains(const struct match_set *s)
{
	return s->names.nkeys;
}

int match_set_network(const struct match_set *s, size_t i,
		      struct ip_addr *ret, unsigned *ret_plen)
{
	if (i >= s->nips)
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	ret->family = s->ips[i].family;
	memcpy(ret->b, s->ips[i].b, 16);
	*ret_plen = s->ips[i].plen;
	return 0;
}

size_t match_set_networks(const struct match_set *s)
{
	return s->nips;
}

size_t match_set_nsources(const struct match_set *s)
{
	return s->nsources;
}

const struct match_source *match_set_source(const struct match_set *s,
					    size_t i)
{
	return i < s->nsources ? &s->sources[i] : NULL;
}

size_t match_set_domain_bytes(const struct match_set *s)
{
	return nametab_bytes(&s->names);
}
