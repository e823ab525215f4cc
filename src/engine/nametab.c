// SPDX-License-Identifier: GPL-2.0-or-later
#include "nametab.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "egressd/grow.h"

/* The table is an array of 128-byte buckets, two cache lines. A key's hash
 * names two buckets, a and b; its record sits in one of them (or, for ~1.5%
 * of keys, both were full: in one of the buckets after b).
 *
 *   bucket: [len u8 x 8][fp u8 x 8][hdr u8][records, 111 bytes]
 *   record: [source u16 le][key, len bytes]              len 1..109
 *   stub:   [source u16 le][len u8][offset u32 le]       key in long_keys;
 *                                                        dir: len 5, fp 0
 *   hdr:    bit 7 overflow, bits 0-3 records (at most 8)
 *
 * The directory holds each record's key length and a fingerprint of its
 * hash (1..255): a probe compares all eight (length, fingerprint) tags at
 * once (a word of each), finds where the record starts from the lengths
 * before it (a prefix sum, by one multiplication), compares its key a
 * word at a time and picks the result, all without branching on what it
 * read. A lookup of a listed name then costs one trip to memory (both
 * buckets are fetched at once) that the CPU overlaps with the lookups
 * after it. A branch on the fetched bytes, mispredicted as often as not,
 * stops that: the CPU learns it went the wrong way only when the bytes
 * arrive, and each lookup then waits for its own trip in turn.
 * Overflow on bucket j means a key whose b is j or before lies after j. */
#define BUCKET 128
#define DIR_SLOTS 8
#define DIR_LENS 0
#define DIR_FPS 8
#define DIR_HDR 16
#define REC_BASE 17
#define BUCKET_ROOM (BUCKET - REC_BASE)
#define REC_SRC 2 /* the source index before the key */
#define REC_INLINE_MAX (BUCKET_ROOM - REC_SRC)
#define STUB_LEN 7
#define STUB_DIRLEN (STUB_LEN - REC_SRC) /* so that offsets add up alike */
#define HDR_OVERFLOW 0x80u
#define HDR_COUNT 0x0fu
/* The two choices are sized for 72% of their record bytes: with records
 * of ~23 bytes ~98.5% of keys then fit in one of their two buckets, and
 * the table and its filter take ~37 bytes per key (the slot table, its
 * key arena and filter took 35). */
#define FILL_PCT 72

/* A Bloom filter in front of the table: 8 bits per key (1 MB for a
 * million) stays in the CPU caches, so a probe for a name that is not
 * listed - nearly every probe - is answered without a trip to memory.
 * Three bits of one 64-bit word: ~4% false positives, which then cost
 * one probe of the table. */
#define BLOOM_BITS_PER_ENTRY 8

#define ONES 0x0101010101010101ull
#define LOW7 0x7f7f7f7f7f7f7f7full
#define HIGH 0x8080808080808080ull

struct nametab_pend {
	uint64_t h;
	uint32_t off; /* in keys; grows with the order of adding */
	uint16_t source;
	uint8_t len;
	uint8_t pad;
};

/* The buckets are read at random: on 4 KiB pages a million keys cost a
 * TLB miss per probe. Transparent huge pages (asked for with madvise, the
 * kernel default policy) remove most of them. */
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

/* ---- hashing ------------------------------------------------------------
 *
 * A key is hashed in 8-byte chunks counted from its end: the chunks are
 * folded right to left, then the leading 1..8 bytes. Any suffix of a name
 * shares the name's chunks right of it, so one right-to-left pass over a
 * name yields the hash of the name and of every ".suffix" of it, one more
 * multiplication each, without finding the labels first.
 *
 * Bits of the hash: the filter's word from bits 0-31, the fingerprint
 * from 32-39, bucket a from the top, b from bits 0-31 (rotated to the
 * top), the filter's bits from the top ten. */
#define K_SEED 0x165667b19e3779f9ull
#define K_WORD 0x9e3779b97f4a7c15ull
#define K_LEAD 0xc2b2ae3d27d4eb4full

static inline uint64_t mix(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t r = a * b;

	return r ^ r >> 31 ^ (a >> 32) * (b >> 32);
#endif
}

/* h scaled to [0, n) by its high bits. */
static inline size_t range(uint64_t h, size_t n)
{
#ifdef __SIZEOF_INT128__
	return (size_t)(((unsigned __int128)h * n) >> 64);
#else
	return (size_t)((h >> 32) * (uint64_t)n >> 32);
#endif
}

static inline uint64_t load8(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline uint64_t low_bytes(size_t n) /* 1 <= n <= 8 */
{
	return ~0ull >> (64 - 8 * n);
}

/* Chunk i of s[0..len) (i = 0 the last): bytes [len - 8i - 8, len - 8i)
 * as a little-endian word. The first chunk may be short: its bytes are
 * then the high ones, zero below. Never reads outside s[0..len). */
static inline uint64_t chunk(const char *s, size_t len, size_t i)
{
	size_t end = len - 8 * i;
	uint8_t b[8] = { 0 };

	if (end >= 8)
		return load8(s + end - 8);
	if (len >= 8)
		return load8(s) << (8 * (8 - end));
	memcpy(b + 8 - end, s, end);
	return load8(b);
}

static inline uint64_t fold_chunk(uint64_t c, uint64_t w)
{
	return mix(c ^ w, K_WORD);
}

/* The hash of a key from the fold of its whole chunks and its first
 * 1..8 bytes (as a word, zero above). */
static inline uint64_t fold_lead(uint64_t c, uint64_t lead)
{
	return mix(c ^ lead, K_LEAD);
}

uint64_t nametab_key_hash(const char *key, size_t len)
{
	uint64_t c = K_SEED;
	size_t whole = (len - 1) / 8, i;

	for (i = 0; i < whole; i++)
		c = fold_chunk(c, chunk(key, len, i));
	return fold_lead(c, chunk(key, len, i) >> (8 * (8 * (i + 1) - len)));
}

static inline size_t home_a(const struct nametab *t, uint64_t h)
{
	return range(h, t->nhome);
}

static inline size_t home_b(const struct nametab *t, uint64_t h)
{
	return range(h << 32 | h >> 32, t->nhome);
}

static inline unsigned fp_of(uint64_t h)
{
	unsigned f = (unsigned)(h >> 32) & 0xff;

	return f ? f : 1; /* 0 marks a stub */
}

void nametab_slots(const struct nametab *t, uint64_t h, size_t *a, size_t *b,
		   unsigned *fp)
{
	*a = home_a(t, h);
	*b = home_b(t, h);
	*fp = fp_of(h);
}

/* The filter's three bits come from a table of masks (cheaper than three
 * shifts by a variable count). */
static inline size_t bloom_word(uint64_t h, size_t nbloom)
{
	return (size_t)(((h & 0xffffffffu) * (uint64_t)nbloom) >> 32);
}

static inline uint64_t bloom_mask(const struct nametab *t, uint64_t h)
{
	return t->bloom_masks[h >> (64 - NAMETAB_BLOOM_MASKS_BITS)];
}

static inline bool bloom_maybe(const struct nametab *t, uint64_t h)
{
	uint64_t m = bloom_mask(t, h);

	return (t->bloom[bloom_word(h, t->nbloom)] & m) == m;
}

static void bloom_add(struct nametab *t, uint64_t h)
{
	t->bloom[bloom_word(h, t->nbloom)] |= bloom_mask(t, h);
}

/* Masks of three distinct bits, from splitmix64 of the index. */
static void bloom_masks_init(struct nametab *t)
{
	uint64_t x = 0;

	for (size_t i = 0; i < NAMETAB_BLOOM_MASKS; i++) {
		uint64_t m = 0;
		while (__builtin_popcountll(m) < 3) {
			uint64_t z = (x += 0x9e3779b97f4a7c15ull);
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			m |= 1ull << ((z ^ (z >> 31)) & 63);
		}
		t->bloom_masks[i] = m;
	}
}

/* ---- probe -------------------------------------------------------------- */

static inline const uint8_t *bucket_at(const struct nametab *t, size_t i)
{
	return t->buckets + i * BUCKET;
}

static inline unsigned bucket_count(const uint8_t *bk)
{
	return bk[DIR_HDR] & HDR_COUNT;
}

static inline const char *stub_key(const char *long_keys,
				   const uint8_t *rec)
{
	uint32_t off = (uint32_t)rec[3] | (uint32_t)rec[4] << 8 |
		       (uint32_t)rec[5] << 16 | (uint32_t)rec[6] << 24;

	return long_keys + off;
}

/* Whether rk (readable 7 bytes past the key) holds s[off..len). Reads
 * every word and branches only on the length, known before rk is. */
static inline bool key_same(const void *rk, const char *s, size_t len,
			    size_t off)
{
	const uint8_t *r = rk;
	const char *k = s + off;
	size_t n = len - off;
	uint64_t d = 0;

	if (n < 8) /* the key is the tail of s: its last chunk's high bytes */
		return !((load8(r) ^ chunk(s, len, 0) >> (8 * (8 - n))) &
			 low_bytes(n));
	for (size_t i = 0; i + 8 < n; i += 8)
		d |= load8(r + i) ^ load8(k + i);
	return !(d | (load8(r + n - 8) ^ load8(k + n - 8)));
}

/* The high bit of each directory slot of bk tagged (n, fp). */
static inline uint64_t tag_match(const uint8_t *bk, size_t n, unsigned fp)
{
	uint64_t x = (load8(bk + DIR_LENS) ^ (n * ONES)) |
		     (load8(bk + DIR_FPS) ^ (fp * ONES));

	return ~(((x & LOW7) + LOW7) | x) & HIGH;
}

/* The record of the lowest slot in m (any slot if m is 0): after the
 * records before it, whose lengths the directory has. */
static inline const uint8_t *slot_rec(const uint8_t *bk, uint64_t m)
{
	uint64_t sizes = load8(bk + DIR_LENS) + REC_SRC * ONES;
	uint64_t before = (sizes << 8) * ONES; /* byte j: sum of sizes < j */
	unsigned j = (unsigned)__builtin_ctzll(m | 1ull << 63) >> 3;

	return bk + REC_BASE + ((before >> (8 * j)) & 0xff);
}

/* The record of s[off..len) among bk's, slot by slot (long keys, more
 * than one tag matching, buckets past b). */
static const uint8_t *bucket_scan(const char *long_keys, const uint8_t *bk,
				  const char *s, size_t len, size_t off,
				  unsigned fp)
{
	const uint8_t *r = bk + REC_BASE;
	size_t n = len - off;

	for (unsigned j = 0; j < bucket_count(bk); j++) {
		unsigned l = bk[DIR_LENS + j], f = bk[DIR_FPS + j];
		if (f && l == n && f == fp &&
		    key_same(r + REC_SRC, s, len, off))
			return r;
		if (!f && r[2] == n &&
		    key_same(stub_key(long_keys, r), s, len, off))
			return r;
		r += REC_SRC + l;
	}
	return NULL;
}

static const uint8_t *find_slow(const struct nametab *t, uint64_t h,
				const char *s, size_t len, size_t off)
{
	const uint8_t *a = bucket_at(t, home_a(t, h));
	const uint8_t *b = bucket_at(t, home_b(t, h)), *r;
	unsigned fp = fp_of(h);

	r = bucket_scan(t->long_keys, a, s, len, off, fp);
	if (!r && b != a)
		r = bucket_scan(t->long_keys, b, s, len, off, fp);
	for (; !r && (b[DIR_HDR] & HDR_OVERFLOW);) {
		b += BUCKET;
		r = bucket_scan(t->long_keys, b, s, len, off, fp);
	}
	return r;
}

/* The record of the key s[off..len) (hash h), or NULL. Inlined into the
 * exact name's probe: a listed name's lookup is short enough then for the
 * CPU to have the next lookups' buckets on their way while it waits. */
static inline __attribute__((always_inline)) const uint8_t *
bucket_find_inline(const struct nametab *t, uint64_t h, const char *s,
		   size_t len, size_t off)
{
	size_t n = len - off, ia = home_a(t, h), ib = home_b(t, h);
	const uint8_t *a = bucket_at(t, ia), *b = bucket_at(t, ib), *r;
	unsigned fp = fp_of(h);
	uint64_t ma, mb, both, in_b;

	/* Non-temporal: a million keys' buckets would push the filter and
	 * the names out of the caches, and are not read again soon. */
	__builtin_prefetch(a, 0, 0);
	__builtin_prefetch(a + 64, 0, 0);
	__builtin_prefetch(b, 0, 0);
	__builtin_prefetch(b + 64, 0, 0);
	if (n > REC_INLINE_MAX)
		return find_slow(t, h, s, len, off);
	ma = tag_match(a, n, fp);
	mb = tag_match(b, n, fp) & -(uint64_t)(ia != ib);
	/* More than one tag matching: rare (~0.2%), and predicted so. The
	 * matches sit on bits 7 mod 8: b's moved to bits 6 mod 8, one word
	 * holds them all. */
	both = ma | mb >> 1;
	if (__builtin_expect((both & (both - 1)) != 0, 0))
		return find_slow(t, h, s, len, off);
	/* The bucket with the match (b if none), chosen by arithmetic: a
	 * branch here would be mispredicted as often as not. */
	in_b = -(uint64_t)(ma == 0);
	r = slot_rec((const uint8_t *)(((uintptr_t)a & ~in_b) |
				       ((uintptr_t)b & in_b)),
		     ma | mb);
	if (__builtin_expect(both != 0 && key_same(r + REC_SRC, s, len, off),
			     1))
		return r;
	if (b[DIR_HDR] & HDR_OVERFLOW)
		return find_slow(t, h, s, len, off);
	return NULL;
}

static const uint8_t *bucket_find(const struct nametab *t, uint64_t h,
				  const char *s, size_t len, size_t off)
{
	return bucket_find_inline(t, h, s, len, off);
}

/* ---- lookup ------------------------------------------------------------- */

/* The high bit of each byte of w that is a dot. */
static inline uint64_t dot_bits(uint64_t w)
{
	uint64_t x = w ^ ('.' * ONES);

	return ~(((x & LOW7) + LOW7) | x) & HIGH;
}

/* The chunks a name's keys are made of, and for each the fold of the
 * chunks right of it. */
#define NAME_CHUNKS ((NAMETAB_KEY_MAX + 1 + 7) / 8) /* a key, its dot */
struct name_chunks {
	uint64_t w[NAME_CHUNKS];
	uint64_t c[NAME_CHUNKS];
	size_t n;
};

static void name_fold(const char *name, size_t len, struct name_chunks *k)
{
	uint64_t h = K_SEED;
	size_t n = len < 8 * NAME_CHUNKS ? (len + 7) / 8 : NAME_CHUNKS, i;
	const char *p = name + len;

	for (i = 0; i + 1 < n; i++) { /* whole chunks, the first one aside */
		p -= 8;
		k->w[i] = load8(p);
		k->c[i] = h;
		h = fold_chunk(h, k->w[i]);
	}
	k->w[i] = chunk(name, len, i);
	k->c[i] = h;
	k->n = n;
}

/* Whether name has more than NAMETAB_LABELS_MAX label starts (position 0
 * and each one after a dot, but not the end). */
static bool too_many_labels(const char *name, size_t len)
{
	size_t dots = 0;

	if (len <= NAMETAB_LABELS_MAX)
		return false; /* at most len - 1 dots before the end */
	for (size_t i = 0; i + 1 < len; i++)
		dots += name[i] == '.';
	return dots >= NAMETAB_LABELS_MAX;
}

static const uint8_t *find_exact(const struct nametab *t, const char *name,
				 size_t len, const struct name_chunks *k)
{
	size_t i = k->n - 1;
	uint64_t h;

	if (len > DOMAIN_TEXT_MAX || name[0] == '.')
		return NULL; /* no listed name is that long or starts so */
	h = fold_lead(k->c[i], k->w[i] >> (8 * (8 * k->n - len)));
	return bloom_maybe(t, h) ? bucket_find_inline(t, h, name, len, 0)
				 : NULL;
}

/* The ".suffix" keys of name, longest first: the dots from the left. */
static const uint8_t *find_wildcard(const struct nametab *t, const char *name,
				    size_t len, const struct name_chunks *k,
				    size_t *key_off)
{
	for (size_t i = k->n; i-- > 0;) {
		uint64_t d = dot_bits(k->w[i]);
		if (!i)
			d &= ~(HIGH << 56); /* a trailing dot starts no label */
		if (i == NAME_CHUNKS - 1)
			d &= ~(HIGH & 0xffff); /* longer than any key */
		for (; d; d &= d - 1) {
			size_t b = (size_t)__builtin_ctzll(d) >> 3;
			size_t off = len + b - 8 * (i + 1);
			uint64_t h = fold_lead(k->c[i], k->w[i] >> (8 * b));
			const uint8_t *r;
			if (!bloom_maybe(t, h))
				continue;
			r = bucket_find(t, h, name, len, off);
			if (r) {
				*key_off = off;
				return r;
			}
		}
	}
	return NULL;
}

/* A batch's lookup in two steps, a few names apart: the keys of a name
 * that the filter lets through are kept and their buckets sent for; later
 * they are probed, most specific first, the buckets in the caches by
 * then. (Tried and no faster on this VM: keeping keys without a branch on
 * the filter's word, and a third step ahead that sends for the filter's
 * words.) */
#define PLAN_KEYS 8 /* more (only crafted names): the name looked up alone */
struct plan {
	const char *name;
	size_t len;
	unsigned n; /* keys the filter let through; in h[], off[] up to
		     * PLAN_KEYS */
	uint64_t h[PLAN_KEYS];
	uint16_t off[PLAN_KEYS]; /* where the key starts in name */
};

static inline void plan_add(const struct nametab *t, struct plan *p,
			    uint64_t h, size_t off)
{
	const uint8_t *a, *b;

	if (!bloom_maybe(t, h))
		return;
	a = bucket_at(t, home_a(t, h));
	b = bucket_at(t, home_b(t, h));
	/* Non-temporal: see bucket_find_inline. */
	__builtin_prefetch(a, 0, 0);
	__builtin_prefetch(a + 64, 0, 0);
	__builtin_prefetch(b, 0, 0);
	__builtin_prefetch(b + 64, 0, 0);
	if (p->n < PLAN_KEYS) {
		p->h[p->n] = h;
		p->off[p->n] = (uint16_t)off;
	}
	p->n++;
}

/* The same keys, in the same order, as find_exact and find_wildcard. */
static void plan_make(const struct nametab *t, const char *name, size_t len,
		      struct plan *p)
{
	struct name_chunks k;

	p->name = name;
	p->len = len;
	p->n = 0;
	if (!t->nkeys || !len || too_many_labels(name, len))
		return;
	name_fold(name, len, &k);
	if (len <= DOMAIN_TEXT_MAX && name[0] != '.')
		plan_add(t, p, fold_lead(k.c[k.n - 1],
					 k.w[k.n - 1] >> (8 * (8 * k.n - len))),
			 0);
	for (size_t i = k.n; i-- > 0;) {
		uint64_t d = dot_bits(k.w[i]);
		if (!i)
			d &= ~(HIGH << 56);
		if (i == NAME_CHUNKS - 1)
			d &= ~(HIGH & 0xffff);
		for (; d; d &= d - 1) {
			size_t b = (size_t)__builtin_ctzll(d) >> 3;
			plan_add(t, p, fold_lead(k.c[i], k.w[i] >> (8 * b)),
				 len + b - 8 * (i + 1));
		}
	}
}

static const uint8_t *plan_probe(const struct nametab *t,
				 const struct plan *p, size_t *key_off)
{
	const uint8_t *r;

	*key_off = 0;
	if (p->n > PLAN_KEYS)
		return nametab_lookup(t, p->name, p->len, key_off);
	for (unsigned i = 0; i < p->n; i++) {
		r = bucket_find_inline(t, p->h[i], p->name, p->len, p->off[i]);
		if (r) {
			*key_off = p->off[i];
			return r;
		}
	}
	return NULL;
}

/* Most specific first. The filter turns away nearly every key that is not
 * listed: a listed name costs one trip to memory, and the ".suffix"es are
 * not even hashed when the name itself is listed. (Hashing them all
 * first and fetching all their buckets at once, as a batch does, made a
 * lone lookup slower: ~5.9M hits/s against ~7.0M.) */
const uint8_t *nametab_lookup(const struct nametab *t, const char *name,
			      size_t len, size_t *key_off)
{
	struct name_chunks k;
	const uint8_t *r;

	*key_off = 0;
	if (!t->nkeys || !len || too_many_labels(name, len))
		return NULL;
	name_fold(name, len, &k);
	r = find_exact(t, name, len, &k);
	return r ? r : find_wildcard(t, name, len, &k, key_off);
}

/* How many names ahead a batch fetches buckets: enough to cover a trip
 * to memory (~200 ns) with the probes of the names before. */
#define LOOKUP_AHEAD 8

void nametab_lookup_many(const struct nametab *t, const char *const *names,
			 const size_t *lens, size_t n, const uint8_t **recs,
			 size_t *key_offs)
{
	struct plan ring[LOOKUP_AHEAD];
	size_t i;

	for (i = 0; i < n && i < LOOKUP_AHEAD; i++)
		plan_make(t, names[i], lens[i], &ring[i]);
	for (i = 0; i < n; i++) {
		struct plan *p = &ring[i % LOOKUP_AHEAD];
		recs[i] = plan_probe(t, p, &key_offs[i]);
		if (i + LOOKUP_AHEAD < n)
			plan_make(t, names[i + LOOKUP_AHEAD],
				  lens[i + LOOKUP_AHEAD], p);
	}
}

const uint8_t *nametab_find(const struct nametab *t, const char *key,
			    size_t len)
{
	uint64_t h;

	if (!t->nkeys || !len || len > NAMETAB_KEY_MAX)
		return NULL;
	h = nametab_key_hash(key, len);
	return bloom_maybe(t, h) ? bucket_find(t, h, key, len, 0) : NULL;
}

unsigned nametab_rec_source(const uint8_t *rec)
{
	return (unsigned)rec[0] | (unsigned)rec[1] << 8;
}

size_t nametab_bytes(const struct nametab *t)
{
	if (!t->buckets)
		return 0;
	return t->nbuckets * BUCKET + t->nbloom * sizeof(uint64_t) +
	       t->long_len;
}

/* ---- build -------------------------------------------------------------- */

int nametab_builder_add(struct nametab_builder *b, const char *key,
			size_t len, unsigned source)
{
	if (!len || len > NAMETAB_KEY_MAX || source > UINT16_MAX)
		return -EINVAL;
	if (b->keys_len + len > UINT32_MAX)
		return -ENOMEM;
	if (array_grow((void **)&b->keys, &b->keys_cap, b->keys_len + len, 1) ||
	    array_grow((void **)&b->pend, &b->pend_cap, b->npend + 1,
		 sizeof(*b->pend)))
		return -ENOMEM;
	memcpy(b->keys + b->keys_len, key, len);
	b->pend[b->npend++] = (struct nametab_pend){
		.h = nametab_key_hash(key, len),
		.off = (uint32_t)b->keys_len,
		.source = (uint16_t)source,
		.len = (uint8_t)len,
	};
	b->keys_len += len;
	return 0;
}

void nametab_builder_free(struct nametab_builder *b)
{
	free(b->keys);
	free(b->pend);
	memset(b, 0, sizeof(*b));
}

static size_t rec_size(size_t len)
{
	return len <= REC_INLINE_MAX ? REC_SRC + len : STUB_LEN;
}

static size_t home_buckets(const struct nametab_builder *b)
{
	size_t bytes = 0;

	for (size_t i = 0; i < b->npend; i++)
		bytes += rec_size(b->pend[i].len);
	return bytes * 100 / ((size_t)BUCKET_ROOM * FILL_PCT) + 1;
}

/* The table being filled: its final mapping, with room to spare. */
struct placer {
	uint8_t *bk;
	size_t cap; /* buckets mapped */
	uint8_t *used; /* record bytes per bucket */
	size_t last; /* highest bucket used */
	char *long_keys;
	size_t long_len, long_cap;
};

/* Makes bucket j and the two after it exist (a probe reads up to 256
 * bytes past a bucket's start). Grows only when keys overflow past the
 * end of the home buckets by more than the slack. */
static int placer_reserve(struct placer *pl, size_t j)
{
	size_t cap = pl->cap;
	uint8_t *bk, *used;

	if (j + 2 < pl->cap)
		return 0;
	while (cap <= j + 2)
		cap *= 2;
	used = realloc(pl->used, cap);
	if (!used)
		return -ENOMEM;
	pl->used = used;
	memset(used + pl->cap, 0, cap - pl->cap);
	bk = big_alloc(cap * BUCKET); /* zeroed */
	if (!bk)
		return -ENOMEM;
	memcpy(bk, pl->bk, pl->cap * BUCKET);
	big_free(pl->bk, pl->cap * BUCKET);
	pl->bk = bk;
	pl->cap = cap;
	return 0;
}

static int placer_init(struct placer *pl, size_t nhome)
{
	memset(pl, 0, sizeof(*pl));
	pl->cap = nhome + nhome / 64 + 64;
	pl->bk = big_alloc(pl->cap * BUCKET);
	pl->used = calloc(pl->cap, 1);
	pl->last = nhome - 1;
	return pl->bk && pl->used ? 0 : -ENOMEM;
}

static void placer_free(struct placer *pl)
{
	big_free(pl->bk, pl->cap * BUCKET);
	free(pl->used);
	free(pl->long_keys);
}

static bool placer_fits(const struct placer *pl, size_t j, size_t sz)
{
	const uint8_t *bk = pl->bk + j * BUCKET;

	return bucket_count(bk) < DIR_SLOTS && pl->used[j] + sz <= BUCKET_ROOM;
}

/* Whether the key is in already, in a, b or after b. */
static bool placer_has(const struct placer *pl, size_t a, size_t b,
		       const char *key, const struct nametab_pend *p)
{
	const uint8_t *ba = pl->bk + a * BUCKET, *bb = pl->bk + b * BUCKET;
	unsigned fp = fp_of(p->h);

	if (bucket_scan(pl->long_keys, ba, key, p->len, 0, fp))
		return true;
	if (b != a && bucket_scan(pl->long_keys, bb, key, p->len, 0, fp))
		return true;
	while (bb[DIR_HDR] & HDR_OVERFLOW) {
		bb += BUCKET;
		if (bucket_scan(pl->long_keys, bb, key, p->len, 0, fp))
			return true;
	}
	return false;
}

/* The bucket a record of sz bytes goes to: the emptier of a and b that
 * has room, else the first after b that has, with overflow set on the
 * buckets passed. */
static long placer_slot(struct placer *pl, size_t ia, size_t ib, size_t sz)
{
	bool fa = placer_fits(pl, ia, sz), fb = placer_fits(pl, ib, sz);
	size_t j = ib;

	if (fa && (!fb || pl->used[ia] <= pl->used[ib]))
		return (long)ia;
	if (fb)
		return (long)ib;
	for (;;) {
		pl->bk[j * BUCKET + DIR_HDR] |= HDR_OVERFLOW;
		if (placer_reserve(pl, ++j))
			return -ENOMEM;
		if (placer_fits(pl, j, sz))
			break;
	}
	if (j > pl->last)
		pl->last = j;
	return (long)j;
}

static int placer_put(struct placer *pl, size_t j, const char *key,
		      const struct nametab_pend *p)
{
	uint8_t *bk = pl->bk + j * BUCKET;
	uint8_t *r = bk + REC_BASE + pl->used[j];
	unsigned n = bucket_count(bk);

	r[0] = (uint8_t)(p->source & 0xff);
	r[1] = (uint8_t)(p->source >> 8);
	if (p->len <= REC_INLINE_MAX) {
		bk[DIR_LENS + n] = p->len;
		bk[DIR_FPS + n] = (uint8_t)fp_of(p->h);
		memcpy(r + REC_SRC, key, p->len);
	} else {
		uint32_t off = (uint32_t)pl->long_len;
		if (array_grow((void **)&pl->long_keys, &pl->long_cap,
			 pl->long_len + p->len, 1))
			return -ENOMEM;
		memcpy(pl->long_keys + off, key, p->len);
		pl->long_len += p->len;
		bk[DIR_LENS + n] = STUB_DIRLEN;
		bk[DIR_FPS + n] = 0;
		r[2] = p->len;
		for (int i = 0; i < 4; i++)
			r[3 + i] = (uint8_t)(off >> (8 * i));
	}
	bk[DIR_HDR]++;
	pl->used[j] += (uint8_t)rec_size(p->len);
	return 0;
}

/* Keys are placed in the order they were added: the first of equal keys
 * stays, and the order has nothing to do with the buckets, so that the
 * choice of the emptier bucket balances them (~1.5% of keys find both of
 * theirs full; placed bucket by bucket, ~2.9%). Fetch the buckets a few
 * keys ahead. */
#define PLACE_AHEAD 16

static void place_prefetch(const struct placer *pl, const struct nametab *t,
			   const char *keys, const struct nametab_pend *p)
{
	size_t a = home_a(t, p->h), b = home_b(t, p->h);

	__builtin_prefetch(keys + p->off);
	__builtin_prefetch(&t->bloom[bloom_word(p->h, t->nbloom)], 1);
	__builtin_prefetch(pl->bk + a * BUCKET, 1);
	__builtin_prefetch(pl->bk + b * BUCKET, 1);
	__builtin_prefetch(pl->used + a, 1);
	__builtin_prefetch(pl->used + b, 1);
}

/* Places one key unless an equal one is in already. Returns 1 for a
 * duplicate, 0 or -ENOMEM. */
static int place_key(struct placer *pl, struct nametab *t, const char *key,
		     const struct nametab_pend *p)
{
	size_t a = home_a(t, p->h), b = home_b(t, p->h);
	long j;

	if (placer_has(pl, a, b, key, p))
		return 1;
	j = placer_slot(pl, a, b, rec_size(p->len));
	if (j < 0)
		return (int)j;
	return placer_put(pl, (size_t)j, key, p);
}

/* Hands the filled buckets and long keys over to t. */
static void placer_finish(struct placer *pl, struct nametab *t)
{
	t->nbuckets = pl->last + 1 + 2; /* two of zeroes: see reserve */
	t->buckets = pl->bk;
	t->map_len = pl->cap * BUCKET;
	t->long_keys = pl->long_keys;
	t->long_len = pl->long_len;
	pl->bk = NULL;
	pl->long_keys = NULL;
}

static int place_all(struct nametab *t, const struct nametab_pend *p,
		     size_t n, const char *keys, size_t *per_source)
{
	struct placer pl;
	int dups = 0, r = placer_init(&pl, t->nhome);

	for (size_t i = 0; i < n && r >= 0; i++) {
		if (i + PLACE_AHEAD < n)
			place_prefetch(&pl, t, keys, &p[i + PLACE_AHEAD]);
		r = place_key(&pl, t, keys + p[i].off, &p[i]);
		if (r > 0) {
			dups++;
		} else if (!r) {
			bloom_add(t, p[i].h);
			per_source[p[i].source]++;
			t->nkeys++;
		}
	}
	if (r >= 0)
		placer_finish(&pl, t);
	placer_free(&pl);
	return r < 0 ? r : dups;
}

int nametab_build(struct nametab *t, struct nametab_builder *b,
		  size_t *per_source)
{
	int r = -ENOMEM;

	memset(t, 0, sizeof(*t));
	if (!b->npend) {
		nametab_builder_free(b);
		return 0;
	}
	bloom_masks_init(t);
	t->nhome = home_buckets(b);
	t->nbloom = b->npend * BLOOM_BITS_PER_ENTRY / 64 + 1;
	t->bloom = big_alloc(t->nbloom * sizeof(*t->bloom)); /* zeroed */
	if (t->bloom)
		r = place_all(t, b->pend, b->npend, b->keys, per_source);
	nametab_builder_free(b);
	if (r < 0)
		nametab_free(t);
	return r;
}

void nametab_free(struct nametab *t)
{
	big_free(t->buckets, t->map_len);
	big_free(t->bloom, t->nbloom * sizeof(*t->bloom));
	free(t->long_keys);
	memset(t, 0, sizeof(*t));
}
