/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The domain side of a match set (match.c): a read-only hash table of
 * keys, each with the index of the source that listed it. A key is an
 * exact name ("foo.test") or a wildcard's suffix with its dot
 * (".foo.test" for "*.foo.test"), so the kind is part of the key. Pure:
 * no I/O. Internal to the matcher and its tests. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/limits.h"

/* ".": a wildcard's suffix (at most DOMAIN_TEXT_MAX) and its dot. */
#define NAMETAB_KEY_MAX (DOMAIN_TEXT_MAX + 1)
/* A wire name of 255 octets has at most 127 labels: a name with more
 * label starts than this matches nothing. */
#define NAMETAB_LABELS_MAX 128

struct nametab_pend;

/* Keys added, not yet a table. */
struct nametab_builder {
	char *keys;
	size_t keys_len, keys_cap;
	struct nametab_pend *pend;
	size_t npend, pend_cap;
};

#define NAMETAB_BLOOM_MASKS_BITS 10
#define NAMETAB_BLOOM_MASKS (1u << NAMETAB_BLOOM_MASKS_BITS)

struct nametab {
	uint8_t *buckets; /* nbuckets of 128 bytes, the last two zero */
	size_t map_len; /* bytes mapped for them */
	size_t nhome; /* buckets a hash can start in; the rest is overflow */
	size_t nbuckets;
	uint64_t *bloom;
	size_t nbloom; /* words */
	uint64_t bloom_masks[NAMETAB_BLOOM_MASKS]; /* the bits a hash sets */
	char *long_keys; /* keys too long to sit in a bucket (> 109) */
	size_t long_len;
	size_t nkeys;
};

/* Copies a key (1..NAMETAB_KEY_MAX bytes). Returns 0, -EINVAL or -ENOMEM. */
int nametab_builder_add(struct nametab_builder *b, const char *key,
			size_t len, unsigned source);
void nametab_builder_free(struct nametab_builder *b);
/* Builds t from b (which is emptied) and counts the keys kept per source
 * in per_source[]. Of equal keys the first added is kept. Returns the
 * number of keys dropped as duplicates, or -ENOMEM (b is then freed). */
int nametab_build(struct nametab *t, struct nametab_builder *b,
		  size_t *per_source);
void nametab_free(struct nametab *t);

/* The record of the most specific key matching name[0..len): the name
 * itself, else the longest ".suffix" of it, or NULL. *key_off is set to
 * where that key starts in name (it ends at len). */
const uint8_t *nametab_lookup(const struct nametab *t, const char *name,
			      size_t len, size_t *key_off);
/* nametab_lookup of names[i] (lens[i] bytes) into recs[i] and key_offs[i]
 * for each i < n, the same results, faster: the buckets of the names
 * ahead are fetched while one is probed. */
void nametab_lookup_many(const struct nametab *t, const char *const *names,
			 const size_t *lens, size_t n, const uint8_t **recs,
			 size_t *key_offs);
/* The record of exactly this key, or NULL. */
const uint8_t *nametab_find(const struct nametab *t, const char *key,
			    size_t len);
unsigned nametab_rec_source(const uint8_t *rec);
size_t nametab_bytes(const struct nametab *t);

/* For tests that make keys collide: the hash a key is filed under, and
 * what it picks. Bucket a comes from the top bits of the hash, bucket b
 * from the top bits of its low half, the fingerprint from bits 32-39. */
uint64_t nametab_key_hash(const char *key, size_t len);
void nametab_slots(const struct nametab *t, uint64_t h, size_t *a, size_t *b,
		   unsigned *fp);
