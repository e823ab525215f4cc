// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/match.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "egressd/domain.h"

/* Domain entries live in one arena as [len u8][kind u8][source u16][name];
 * the open-addressing table holds 8-byte slots (hash tag, arena offset), so
 * a probe that misses never touches the arena. Load factor 0.85 with linear
 * probing keeps slots at ~9.4 bytes per entry. */
#define REC_HDR 4
#define LOAD_NUM 100
#define LOAD_DEN 85
#define SOURCES_MAX 65535
/* A wire name of 255 octets has at most 127 labels. */
#define MATCH_LABELS_MAX 128

struct slot {
	uint32_t tag; /* high hash bits, low bit = kind */
	uint32_t off; /* arena offset; 0 = empty */
};

struct pending {
	uint64_t hash;
	uint32_t off;
};

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

/* The slot table and the final arena are read at random: on 4 KiB pages a
 * 1M-entry list costs a TLB miss per probe. Transparent huge pages (asked
 * for with madvise, the kernel default policy) remove most of them. */
#define HUGE_PAGE (2u << 20)

static void *big_alloc(size_t n)
{
	size_t len = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static void big_free(void *p, size_t n)
{
	size_t len = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);

	if (p)
		munmap(p, len);
}

/* A one-word-per-key Bloom filter in front of the table: 8 bits per entry
 * (1 MB for a million entries) stays in the CPU caches, so a probe for a
 * name that is not listed - nearly every probe - is answered without a
 * trip to memory. Three bits of one 64-bit word: ~4% false positives,
 * which then cost one table probe. */
#define BLOOM_BITS_PER_ENTRY 8

struct match_set {
	uint64_t *bloom;
	size_t nbloom; /* words */
	uint8_t *arena; /* malloc'd while building, big_alloc'd after */
	bool arena_big;
	size_t arena_len, arena_cap;
	struct pending *pend;
	size_t npend, pend_cap;
	struct slot *slots;
	size_t nslots, ndomains;
	struct ipent *ips;
	size_t nips, ips_cap;
	struct ipgroup *groups;
	size_t ngroups;
	struct match_source *sources;
	size_t nsources;
};

/* FNV-1a over the bytes from the END of the name backwards, so that one
 * right-to-left pass yields the hash of every parent suffix; fmix64
 * (MurmurHash3's finaliser) spreads it. */
#define FNV_OFF 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

static uint64_t hash_name(const char *s, size_t n)
{
	uint64_t h = FNV_OFF;

	while (n--)
		h = (h ^ (uint8_t)s[n]) * FNV_PRIME;
	return fmix64(h);
}

static inline size_t slot_of(uint64_t h, size_t nslots)
{
	return (size_t)(((h & 0xffffffffu) * (uint64_t)nslots) >> 32);
}

static inline uint32_t tag_of(uint64_t h, enum match_kind kind)
{
	return ((uint32_t)(h >> 32) & ~1u) | (uint32_t)kind;
}

static inline uint64_t bloom_key(uint64_t h, enum match_kind kind)
{
	return (h ^ (uint64_t)kind) * 0x9e3779b97f4a7c15ull;
}

static inline size_t bloom_word(uint64_t b, size_t nbloom)
{
	return (size_t)(((b >> 32) * (uint64_t)nbloom) >> 32);
}

static inline uint64_t bloom_mask(uint64_t b)
{
	return 1ull << (b & 63) | 1ull << ((b >> 6) & 63) |
	       1ull << ((b >> 12) & 63);
}

static inline bool bloom_maybe(const struct match_set *s, uint64_t h,
			       enum match_kind kind)
{
	uint64_t b = bloom_key(h, kind), m = bloom_mask(b);

	return (s->bloom[bloom_word(b, s->nbloom)] & m) == m;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

struct match_set *match_set_new(void)
{
	struct match_set *s = calloc(1, sizeof(*s));

	if (s && grow((void **)&s->arena, &s->arena_cap, 1, 1)) {
		free(s);
		return NULL;
	}
	if (s)
		s->arena_len = 1; /* offset 0 means "empty slot" */
	return s;
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
	if (s->arena_big)
		big_free(s->arena, s->arena_cap);
	else
		free(s->arena);
	free(s->pend);
	big_free(s->slots, s->nslots * sizeof(*s->slots));
	big_free(s->bloom, s->nbloom * sizeof(*s->bloom));
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
	size_t n = strlen(name);
	uint8_t *rec;

	if (source < 0 || (size_t)source >= s->nsources ||
	    !domain_is_valid(name))
		return -EINVAL;
	if (s->arena_len + REC_HDR + n > UINT32_MAX)
		return -ENOMEM;
	if (grow((void **)&s->arena, &s->arena_cap, s->arena_len + REC_HDR + n,
		 1) ||
	    grow((void **)&s->pend, &s->pend_cap, s->npend + 1,
		 sizeof(*s->pend)))
		return -ENOMEM;
	rec = s->arena + s->arena_len;
	rec[0] = (uint8_t)n;
	rec[1] = (uint8_t)kind;
	rec[2] = (uint8_t)(source & 0xff);
	rec[3] = (uint8_t)(source >> 8);
	memcpy(rec + REC_HDR, name, n);
	s->pend[s->npend].hash = hash_name(name, n);
	s->pend[s->npend].off = (uint32_t)s->arena_len;
	s->npend++;
	s->arena_len += REC_HDR + n;
	return 0;
}

int match_set_add_cidr(struct match_set *s, int source,
		       const struct ip_addr *net, unsigned plen)
{
	struct ipent *e;

	if (source < 0 || (size_t)source >= s->nsources ||
	    plen > ip_addr_bits(net))
		return -EINVAL;
	if (grow((void **)&s->ips, &s->ips_cap, s->nips + 1, sizeof(*s->ips)))
		return -ENOMEM;
	e = &s->ips[s->nips];
	memcpy(e->b, net->b, 16);
	e->family = net->family;
	e->plen = (uint8_t)plen;
	e->source = (uint16_t)source;
	e->seq = (uint32_t)s->nips++;
	return 0;
}

static const uint8_t *rec_at(const struct match_set *s, uint32_t off)
{
	return s->arena + off;
}

static bool rec_is(const uint8_t *rec, const char *name, size_t n)
{
	return rec[0] == n && !memcmp(rec + REC_HDR, name, n);
}

/* Inserts one pending entry; returns 1 if it was a duplicate. */
static int table_insert(struct match_set *s, const struct pending *p)
{
	const uint8_t *rec = rec_at(s, p->off);
	uint32_t tag = tag_of(p->hash, (enum match_kind)rec[1]);
	size_t i = slot_of(p->hash, s->nslots);

	while (s->slots[i].off) {
		if (s->slots[i].tag == tag &&
		    rec_is(rec_at(s, s->slots[i].off),
			   (const char *)rec + REC_HDR, rec[0]))
			return 1;
		if (++i == s->nslots)
			i = 0;
	}
	s->slots[i].tag = tag;
	s->slots[i].off = p->off;
	uint64_t b = bloom_key(p->hash, (enum match_kind)rec[1]);
	s->bloom[bloom_word(b, s->nbloom)] |= bloom_mask(b);
	s->sources[rec[2] | rec[3] << 8].entries++;
	s->ndomains++;
	return 0;
}

static int build_domains(struct match_set *s)
{
	int dups = 0;

	s->nslots = s->npend * LOAD_NUM / LOAD_DEN + 1;
	s->slots = big_alloc(s->nslots * sizeof(*s->slots)); /* zeroed */
	s->nbloom = s->npend * BLOOM_BITS_PER_ENTRY / 64 + 1;
	s->bloom = big_alloc(s->nbloom * sizeof(*s->bloom));
	if (!s->slots || !s->bloom)
		return -ENOMEM;
	for (size_t i = 0; i < s->npend; i++)
		dups += table_insert(s, &s->pend[i]);
	free(s->pend);
	s->pend = NULL;
	s->npend = s->pend_cap = 0;
	/* Move the arena to huge pages, giving back its growth slack. */
	uint8_t *a = big_alloc(s->arena_len);
	if (a) {
		memcpy(a, s->arena, s->arena_len);
		free(s->arena);
		s->arena = a;
		s->arena_cap = s->arena_len;
		s->arena_big = true;
	}
	return dups;
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
		     struct match_hit *ret)
{
	if (!ret)
		return;
	ret->source = &s->sources[rec[2] | rec[3] << 8];
	snprintf(ret->pattern, sizeof(ret->pattern), "%s%.*s",
		 rec[1] == MATCH_WILDCARD ? "*." : "", rec[0],
		 (const char *)rec + REC_HDR);
}

static const uint8_t *probe(const struct match_set *s, uint64_t h,
			    enum match_kind kind, const char *name, size_t n)
{
	uint32_t tag = tag_of(h, kind);
	size_t i = slot_of(h, s->nslots);

	if (!bloom_maybe(s, h, kind))
		return NULL;
	for (;;) {
		const struct slot *sl = &s->slots[i];
		if (!sl->off)
			return NULL;
		if (sl->tag == tag && rec_is(rec_at(s, sl->off), name, n))
			return rec_at(s, sl->off);
		if (++i == s->nslots)
			i = 0;
	}
}

bool match_domain(const struct match_set *s, const char *name, size_t len,
		  struct match_hit *ret)
{
	/* Suffix starts and hashes, shortest suffix (the TLD) first. Names
	 * from DNS may be longer than 253 characters when escaped (\DDD), but
	 * never have more than 127 labels; their parent suffixes must still
	 * match wildcards. */
	uint64_t hs[MATCH_LABELS_MAX], h = FNV_OFF;
	size_t st[MATCH_LABELS_MAX], k = 0;
	const uint8_t *rec;

	if (!s->nslots || !len)
		return false;
	for (size_t i = len; i-- > 0;) {
		h = (h ^ (uint8_t)name[i]) * FNV_PRIME;
		if (i && name[i - 1] != '.')
			continue;
		if (k == MATCH_LABELS_MAX)
			return false;
		hs[k] = fmix64(h);
		st[k] = i;
		k++;
	}
	/* Start the table loads of every probe the filter lets through now:
	 * they then overlap their cache misses instead of paying them in
	 * turn. */
	for (size_t j = 0; j < k; j++) {
		enum match_kind kind = j == k - 1 ? MATCH_EXACT : MATCH_WILDCARD;
		if (bloom_maybe(s, hs[j], kind))
			__builtin_prefetch(&s->slots[slot_of(hs[j], s->nslots)]);
	}
	rec = probe(s, hs[k - 1], MATCH_EXACT, name, len);
	for (size_t j = k - 1; !rec && j-- > 0;)
		rec = probe(s, hs[j], MATCH_WILDCARD, name + st[j], len - st[j]);
	if (rec)
		hit_fill(s, rec, ret);
	return rec != NULL;
}

bool match_has_domain(const struct match_set *s, const char *name,
		      enum match_kind kind)
{
	size_t n = strlen(name);

	return s->nslots && n &&
	       probe(s, hash_name(name, n), kind, name, n) != NULL;
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
	return s->ndomains;
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
	return s->arena_cap + s->nslots * sizeof(struct slot) +
	       s->nbloom * sizeof(uint64_t);
}
