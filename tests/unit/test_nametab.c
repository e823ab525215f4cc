// SPDX-License-Identifier: GPL-2.0-or-later
/* The domain matcher's table (nametab.c): match_domain against a plain
 * model of what a match means, keys made to collide in their buckets and
 * fingerprints, keys too long for a bucket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/match.h"
#include "nametab.h"
#include "util.h"

/* ---- the model: the matcher's rules spelled out, no hashing ------------ */

struct mentry {
	char name[DOMAIN_TEXT_MAX + 1];
	enum match_kind kind;
	int source;
	size_t seq; /* order of adding: the first of equal entries wins */
};

struct model {
	struct mentry *e;
	size_t n;
};

static int mentry_cmp(const void *x, const void *y)
{
	const struct mentry *a = x, *b = y;
	int r = (int)a->kind - (int)b->kind;

	if (!r)
		r = strcmp(a->name, b->name);
	if (!r)
		r = a->seq < b->seq ? -1 : a->seq > b->seq;
	return r;
}

/* The first entry added with exactly this name and kind. */
static const struct mentry *model_find(const struct model *m, const char *s,
				       size_t len, enum match_kind kind)
{
	size_t lo = 0, hi = m->n;

	if (len > DOMAIN_TEXT_MAX)
		return NULL;
	while (lo < hi) { /* the first element not before (kind, s) */
		size_t mid = (lo + hi) / 2;
		const struct mentry *e = &m->e[mid];
		int r = (int)e->kind - (int)kind;
		if (!r)
			r = strncmp(e->name, s, len) ? strncmp(e->name, s, len)
						     : (e->name[len] != 0);
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->n && m->e[lo].kind == kind &&
	    strlen(m->e[lo].name) == len && !memcmp(m->e[lo].name, s, len))
		return &m->e[lo];
	return NULL;
}

/* The name itself, else "*.suffix" for the longest suffix after a dot;
 * nothing for a name with more than 128 label starts. */
static const struct mentry *model_match(const struct model *m,
					const char *name, size_t len)
{
	size_t starts[NAMETAB_LABELS_MAX], k = 0;
	const struct mentry *e;

	for (size_t i = 0; i < len; i++) {
		if (i && name[i - 1] != '.')
			continue;
		if (k == NAMETAB_LABELS_MAX)
			return NULL;
		starts[k++] = i;
	}
	if (!len)
		return NULL;
	e = model_find(m, name, len, MATCH_EXACT);
	for (size_t j = 1; !e && j < k; j++)
		e = model_find(m, name + starts[j], len - starts[j],
			       MATCH_WILDCARD);
	return e;
}

/* ---- random names with much in common -------------------------------- */

static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rng_state >> 33) % n);
}

static const char *const pool[] = {
	"a", "b", "c", "ab", "ba", "x1", "test", "bad", "evil", "co", "uk",
	"com", "_sip", "a-b", "k8s", "xn--p1ai", "cdn", "www", "mail", "0",
};

static void add_label(char *buf, size_t *n, size_t cap)
{
	char lab[64];
	unsigned r = rnd(100);

	if (r < 70) {
		snprintf(lab, sizeof(lab), "%s", pool[rnd(NELEM(pool))]);
	} else {
		size_t l = r < 97 ? 2 + rnd(14) : 50 + rnd(14);
		for (size_t i = 0; i < l; i++)
			lab[i] = "abcdefghij0123-_"[rnd(i ? 16 : 10)];
		lab[l] = 0;
	}
	*n += (size_t)snprintf(buf + *n, cap - *n, "%s%s", *n ? "." : "", lab);
	if (*n >= cap)
		*n = cap - 1;
}

static void random_name(char *buf, size_t cap, unsigned labels)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < labels; i++)
		add_label(buf, &n, cap);
}

/* ---- match_domain against the model --------------------------------- */

#define SOURCES 300 /* more than a byte's worth */

static void check_name(const struct match_set *s, const struct model *m,
		       const char *name, size_t len)
{
	const struct mentry *e = model_match(m, name, len);
	struct match_hit h;
	char want[DOMAIN_TEXT_MAX + 8];
	bool got = match_domain(s, name, len, &h);

	ck_assert_msg(got == (e != NULL), "'%.*s': matched %d, model %d",
		      (int)len, name, got, e != NULL);
	if (!e)
		return;
	snprintf(want, sizeof(want), "%s%s",
		 e->kind == MATCH_WILDCARD ? "*." : "", e->name);
	ck_assert_msg(!strcmp(h.pattern, want), "'%.*s': %s, model %s",
		      (int)len, name, h.pattern, want);
	ck_assert_ptr_eq(h.source, match_set_source(s, (size_t)e->source));
	ck_assert(match_domain(s, name, len, NULL));
}

/* More than match_domains looks up in one go (64) and its lookups ahead
 * (16), so that batches also cross those. */
#define BATCH_MOST 150

static size_t make_query(const struct model *m, char *q, size_t cap);

/* match_domains on n queries at once, against the model. */
static void check_batch(const struct match_set *s, const struct model *m,
			unsigned n)
{
	static char q[BATCH_MOST][1200];
	static struct match_hit h[BATCH_MOST];
	const char *names[BATCH_MOST];
	size_t len[BATCH_MOST];
	bool found[BATCH_MOST];
	char want[DOMAIN_TEXT_MAX + 8];

	for (unsigned i = 0; i < n; i++) {
		len[i] = make_query(m, q[i], sizeof(q[i]));
		names[i] = q[i];
	}
	match_domains(s, names, len, n, found, h);
	for (unsigned i = 0; i < n; i++) {
		const struct mentry *e = model_match(m, q[i], len[i]);
		ck_assert_msg(found[i] == (e != NULL),
			      "'%.*s' (%u of %u): matched %d, model %d",
			      (int)len[i], q[i], i, n, found[i], e != NULL);
		if (!e)
			continue;
		snprintf(want, sizeof(want), "%s%s",
			 e->kind == MATCH_WILDCARD ? "*." : "", e->name);
		ck_assert_str_eq(h[i].pattern, want);
		ck_assert_ptr_eq(h[i].source,
				 match_set_source(s, (size_t)e->source));
	}
	match_domains(s, names, len, n, found, NULL); /* ret may be NULL */
	for (unsigned i = 0; i < n; i++)
		ck_assert(found[i] == (model_match(m, q[i], len[i]) != NULL));
}

/* A query: a listed name, under more labels, cut, or odd. */
static size_t make_query(const struct model *m, char *q, size_t cap)
{
	const struct mentry *e = &m->e[rnd((unsigned)m->n)];
	unsigned r = rnd(100);
	size_t n = 0;

	q[0] = 0;
	if (r < 30) {
		n = (size_t)snprintf(q, cap, "%s", e->name);
	} else if (r < 55) {
		for (unsigned i = rnd(3) + 1; i > 0; i--)
			add_label(q, &n, cap);
		n += (size_t)snprintf(q + n, cap - n, ".%s", e->name);
	} else if (r < 65) {
		const char *dot = strchr(e->name, '.');
		n = (size_t)snprintf(q, cap, "%s", dot ? dot + 1 : e->name);
	} else if (r < 80) {
		random_name(q, cap, 1 + rnd(5));
		n = strlen(q);
	} else if (r < 84) {
		n = (size_t)snprintf(q, cap, "x.%s.", e->name); /* trailing */
	} else if (r < 88) {
		n = (size_t)snprintf(q, cap, ".%s", e->name); /* leading */
	} else if (r < 91) {
		n = (size_t)snprintf(q, cap, "a..%s", e->name);
	} else if (r < 94) {
		/* escapes, as a DNS name's text has them */
		n = (size_t)snprintf(q, cap, "\\046\\.%s", e->name);
	} else if (r < 96) {
		n = (size_t)snprintf(q, cap, "X.%s", e->name);
		q[rnd((unsigned)n)] ^= 0x20; /* case differs somewhere */
	} else if (r < 98) { /* longer than any key, parents listed */
		for (unsigned i = 0; i < 5; i++)
			n += (size_t)snprintf(q + n, cap - n, "%063d.", 7);
		n += (size_t)snprintf(q + n, cap - n, "%s", e->name);
	} else { /* 126..131 label starts */
		unsigned k = 125 + rnd(6) - (unsigned)!!strchr(e->name, '.');
		for (unsigned i = 0; i < k; i++)
			n += (size_t)snprintf(q + n, cap - n, "a.");
		n += (size_t)snprintf(q + n, cap - n, "%s", e->name);
	}
	return n < cap ? n : cap - 1;
}

START_TEST(random_sets_agree_with_the_model)
{
	for (unsigned round = 0; round < 4; round++) {
		struct match_set *s = match_set_new();
		struct model m = { calloc(4000, sizeof(struct mentry)), 0 };
		size_t dups = 0, kept[SOURCES] = { 0 };
		char q[1200];

		rng_state = 1 + round;
		for (int i = 0; i < SOURCES; i++) {
			snprintf(q, sizeof(q), "src%d", i);
			ck_assert_int_eq(
				match_set_add_source(s, q, "custom", false), i);
		}
		for (size_t i = 0; m.n < 3000 + round * 300; i++) {
			struct mentry *e = &m.e[m.n];
			/* now and then again, maybe as the other kind */
			if (m.n && rnd(20) == 0) {
				*e = m.e[rnd((unsigned)m.n)];
				if (rnd(4) == 0)
					e->kind = !e->kind;
			} else {
				random_name(e->name, sizeof(e->name),
					    1 + rnd(5));
				e->kind = rnd(3) ? MATCH_EXACT : MATCH_WILDCARD;
			}
			e->source = (int)rnd(SOURCES);
			e->seq = i;
			if (!match_set_add_domain(s, e->source, e->name,
						  e->kind))
				m.n++; /* else not a valid name: not listed */
		}
		qsort(m.e, m.n, sizeof(*m.e), mentry_cmp);
		for (size_t i = 0; i < m.n; i++) {
			if (model_find(&m, m.e[i].name, strlen(m.e[i].name),
				       m.e[i].kind) == &m.e[i])
				kept[m.e[i].source]++;
			else
				dups++;
		}
		ck_assert_int_eq(match_set_finish(s), (int)dups);
		ck_assert_uint_eq(match_set_domains(s), m.n - dups);
		for (size_t i = 0; i < SOURCES; i++)
			ck_assert_uint_eq(match_set_source(s, i)->entries,
					  kept[i]);
		for (unsigned i = 0; i < 40000; i++) {
			size_t n = make_query(&m, q, sizeof(q));
			check_name(s, &m, q, n);
		}
		for (unsigned i = 0; i < 300; i++)
			check_batch(s, &m, 1 + rnd(i % 3 ? 20 : BATCH_MOST));
		for (size_t i = 0; i < m.n; i++) {
			const struct mentry *e = &m.e[i];
			ck_assert(match_has_domain(s, e->name, e->kind));
			ck_assert_int_eq(
				match_has_domain(s, e->name,
						 e->kind == MATCH_EXACT
							 ? MATCH_WILDCARD
							 : MATCH_EXACT),
				model_find(&m, e->name, strlen(e->name),
					   e->kind == MATCH_EXACT
						   ? MATCH_WILDCARD
						   : MATCH_EXACT) != NULL);
		}
		match_set_free(s);
		free(m.e);
	}
}
END_TEST

/* ---- keys made to collide -------------------------------------------- */

#define COLLIDING 96

/* Keys "k%08x.test" (or ".k%08x.test", a wildcard's key) whose hashes
 * agree on the bits that pick bucket a (top 4), bucket b (top 4 of the
 * low half) and the fingerprint (bits 32-39): in a table of ~20 buckets
 * they crowd into a few, every probe finds several records with its tag,
 * and most records overflow into the buckets after b. */
static unsigned make_colliding(char (*keys)[24], unsigned n, unsigned *ctr,
			       bool dot)
{
	const uint64_t want = 0x5000000000000000ull | 0xa5ull << 32 |
			      0x3ull << 28;
	const uint64_t mask = 0xf000000000000000ull | 0xffull << 32 |
			      0xfull << 28;
	unsigned got = 0;

	while (got < n) {
		char *k = keys[got], *p = k;
		unsigned x = (*ctr)++;
		if (dot)
			*p++ = '.';
		*p++ = 'k';
		for (int i = 7; i >= 0; i--)
			*p++ = "0123456789abcdef"[(x >> (4 * i)) & 15];
		memcpy(p, ".test", 6);
		if ((nametab_key_hash(k, strlen(k)) & mask) == want)
			got++;
	}
	return got;
}

START_TEST(colliding_fingerprints_and_buckets)
{
	static char keys[COLLIDING][24], strangers[COLLIDING][24];
	struct nametab_builder b = { 0 };
	struct nametab t;
	size_t per_source[COLLIDING] = { 0 }, a0, b0, a, bb;
	size_t most_a = 0, near_b = 0;
	unsigned ctr = 0, fp0, fp;
	size_t off;

	make_colliding(keys, COLLIDING / 2, &ctr, false);
	make_colliding(keys + COLLIDING / 2, COLLIDING / 2, &ctr, true);
	make_colliding(strangers, COLLIDING / 2, &ctr, false);
	make_colliding(strangers + COLLIDING / 2, COLLIDING / 2, &ctr, true);
	for (unsigned i = 0; i < COLLIDING; i++)
		ck_assert_int_eq(nametab_builder_add(&b, keys[i],
						     strlen(keys[i]), i),
				 0);
	ck_assert_int_eq(nametab_builder_add(&b, keys[7], strlen(keys[7]), 3),
			 0); /* a duplicate among them: the first stays */
	ck_assert_int_eq(nametab_build(&t, &b, per_source), 1);
	ck_assert_uint_eq(t.nkeys, COLLIDING);

	/* They did collide: one fingerprint, few buckets. */
	nametab_slots(&t, nametab_key_hash(keys[0], strlen(keys[0])), &a0,
		      &b0, &fp0);
	for (unsigned i = 0; i < COLLIDING; i++) {
		nametab_slots(&t, nametab_key_hash(keys[i], strlen(keys[i])),
			      &a, &bb, &fp);
		ck_assert_uint_eq(fp, fp0);
		most_a += a == a0;
		near_b += bb + 1 >= b0 && bb <= b0 + 1;
	}
	/* A third of the keys in one bucket a, all near one b: far more than
	 * the 3 or 4 buckets hold, so most went past b. */
	ck_assert_uint_ge(most_a, COLLIDING / 3);
	ck_assert_uint_eq(near_b, COLLIDING);

	for (unsigned i = 0; i < COLLIDING; i++) {
		char name[40];
		const uint8_t *r = nametab_find(&t, keys[i], strlen(keys[i]));
		ck_assert_msg(r != NULL, "%s not found", keys[i]);
		ck_assert_uint_eq(nametab_rec_source(r), i);
		ck_assert_uint_eq(per_source[i], 1);
		ck_assert_ptr_null(nametab_find(&t, strangers[i],
						strlen(strangers[i])));
		/* a name under a wildcard's key, or the exact name */
		snprintf(name, sizeof(name), "%s%s",
			 keys[i][0] == '.' ? "w" : "", keys[i]);
		r = nametab_lookup(&t, name, strlen(name), &off);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(nametab_rec_source(r), i);
		ck_assert_uint_eq(off, keys[i][0] == '.' ? 1 : 0);
		snprintf(name, sizeof(name), "%s%s",
			 strangers[i][0] == '.' ? "w" : "", strangers[i]);
		ck_assert_ptr_null(
			nametab_lookup(&t, name, strlen(name), &off));
	}
	nametab_free(&t);
}
END_TEST

/* ---- keys too long for a bucket ---------------------------------------- */

static void long_name(char *buf, size_t len, char c)
{
	/* labels of 63, the last shorter: len characters in all */
	for (size_t i = 0; i < len; i++)
		buf[i] = (i % 64 == 63) ? '.' : c;
	if (buf[len - 1] == '.')
		buf[len - 1] = c;
	buf[len] = 0;
}

START_TEST(long_keys_are_found)
{
	static const size_t lens[] = { 100, 107, 108, 109, 110, 124, 125,
				       200, 252, 253 };
	struct match_set *s = match_set_new();
	int src = match_set_add_source(s, "long", "custom", false);
	char name[600], q[700];
	struct match_hit h;

	for (size_t i = 0; i < NELEM(lens); i++) {
		long_name(name, lens[i], (char)('a' + i));
		ck_assert_int_eq(match_set_add_domain(s, src, name,
						      MATCH_EXACT), 0);
		long_name(name, lens[i], (char)('k' + i));
		ck_assert_int_eq(match_set_add_domain(s, src, name,
						      MATCH_WILDCARD), 0);
	}
	ck_assert_int_eq(match_set_finish(s), 0);
	for (size_t i = 0; i < NELEM(lens); i++) {
		long_name(name, lens[i], (char)('a' + i));
		ck_assert(match_domain(s, name, strlen(name), &h));
		ck_assert_str_eq(h.pattern, name);
		ck_assert(!match_domain(s, name + 1, strlen(name) - 1, NULL));
		snprintf(q, sizeof(q), "x.%s", name);
		ck_assert(!match_domain(s, q, strlen(q), NULL));

		long_name(name, lens[i], (char)('k' + i));
		/* the apex */
		ck_assert(!match_domain(s, name, strlen(name), NULL));
		snprintf(q, sizeof(q), "x.%s", name);
		ck_assert(match_domain(s, q, strlen(q), &h)); /* up to 255 */
		ck_assert_str_eq(h.pattern + 2, name);
		snprintf(q, sizeof(q), "%0300d.%s", 5, name); /* escaped-long */
		ck_assert(match_domain(s, q, strlen(q), &h));
		ck_assert(match_has_domain(s, name, MATCH_WILDCARD));
		ck_assert(!match_has_domain(s, name, MATCH_EXACT));
	}
	match_set_free(s);
}
END_TEST

/* ---- a name whose keys the filter lets through more than a lookup
 * files ---------------------------------------------------------------- */

/* ".<label>.<tail>" keys whose hashes share their top ten bits with want's:
 * in a table of one key, whose filter is one word, they set its very
 * bits, so the filter lets each through and only the probe turns it
 * away. Writes the name "x.<label>...<tail>" with `levels` such labels. */
static void filter_fooling_name(char *name, size_t cap, const char *tail,
				uint64_t want, unsigned levels)
{
	char key[600];
	unsigned ctr = 0;

	snprintf(name, cap, "%s", tail);
	for (unsigned l = 0; l < levels; l++) {
		for (;;) {
			int n = snprintf(key, sizeof(key), ".l%x.%s", ctr++,
					 name);
			if (nametab_key_hash(key, (size_t)n) >> 54 == want >> 54)
				break;
		}
		snprintf(name, cap, "%s", key + 1);
	}
	snprintf(key, sizeof(key), "x.%s", name);
	snprintf(name, cap, "%s", key);
}

START_TEST(more_keys_through_the_filter_than_a_plan_holds)
{
	struct nametab_builder b = { 0 };
	struct nametab t;
	size_t per_source[1] = { 0 }, off, offs[3], lens[3];
	const uint8_t *recs[3];
	const char *names[3];
	char name[3][600];

	ck_assert_int_eq(nametab_builder_add(&b, ".t", 2, 0), 0);
	ck_assert_int_eq(nametab_build(&t, &b, per_source), 0);
	ck_assert_uint_eq(t.nbloom, 1);
	/* 7, 8 (what a lookup files) and 12 keys fooling the filter before
	 * the one listed, ".t" */
	filter_fooling_name(name[0], sizeof(name[0]), "t",
			    nametab_key_hash(".t", 2), 7);
	filter_fooling_name(name[1], sizeof(name[1]), "t",
			    nametab_key_hash(".t", 2), 8);
	filter_fooling_name(name[2], sizeof(name[2]), "t",
			    nametab_key_hash(".t", 2), 12);
	for (int i = 0; i < 3; i++) {
		names[i] = name[i];
		lens[i] = strlen(name[i]);
		ck_assert_ptr_nonnull(nametab_lookup(&t, name[i], lens[i], &off));
		ck_assert_uint_eq(off, lens[i] - 2);
	}
	nametab_lookup_many(&t, names, lens, 3, recs, offs);
	for (int i = 0; i < 3; i++) {
		ck_assert_ptr_nonnull(recs[i]);
		ck_assert_uint_eq(offs[i], lens[i] - 2);
	}
	name[2][lens[2] - 1] = 'u'; /* not under ".t": nothing */
	ck_assert_ptr_null(nametab_lookup(&t, name[2], lens[2], &off));
	nametab_free(&t);
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("nametab");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	ADD(tc, random_sets_agree_with_the_model);
	ADD(tc, colliding_fingerprints_and_buckets);
	ADD(tc, long_keys_are_found);
	ADD(tc, more_keys_through_the_filter_than_a_plan_holds);
	suite_add_tcase(su, tc);
	return su;
}
TEST_MAIN(suite)
