// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/flowtab.h"
#include "egressd/siphash.h"
#include "util.h"

static void key(struct flow_key *k, uint16_t cport)
{
	memset(k, 0, sizeof(*k));
	ip_addr_parse("198.18.0.11", &k->client);
	ip_addr_parse("203.0.113.80", &k->server);
	k->cport = cport;
	k->sport = 443;
}

START_TEST(find_create_delete)
{
	struct flowtab *t = flowtab_new(8);
	struct flow_key k;
	struct flow *f;

	key(&k, 40000);
	ck_assert_ptr_null(flowtab_get(t, &k, 1, false));
	f = flowtab_get(t, &k, 1, true);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_eq(flowtab_get(t, &k, 2, false), f);
	ck_assert_int_eq(reasm_add(&f->up, 1, false, (const uint8_t *)"ab", 2), 0);
	flowtab_del(t, f);
	ck_assert_ptr_null(flowtab_get(t, &k, 3, false));
	ck_assert_uint_eq(flowtab_size(t), 0);
	flowtab_free(t);
}
END_TEST

START_TEST(bounded_and_idle_flows_expire)
{
	struct flowtab *t = flowtab_new(4);
	struct flow_key k;

	for (uint16_t p = 1; p <= 4; p++) {
		key(&k, p);
		ck_assert_ptr_nonnull(flowtab_get(t, &k, p, true));
	}
	key(&k, 1);
	ck_assert_ptr_nonnull(flowtab_get(t, &k, 5, false)); /* 1 is recent */
	key(&k, 5);
	ck_assert_ptr_nonnull(flowtab_get(t, &k, 6, true)); /* full: evicts */
	ck_assert_uint_eq(flowtab_evicted(t), 1);
	ck_assert_uint_eq(flowtab_size(t), 4);
	key(&k, 2);
	ck_assert_ptr_null(flowtab_get(t, &k, 7, false)); /* the oldest went */
	key(&k, 1);
	ck_assert_ptr_nonnull(flowtab_get(t, &k, 7, false));
	ck_assert_uint_eq(flowtab_expire(t, 5), 2); /* last seen 3 and 4 */
	ck_assert_uint_eq(flowtab_size(t), 2);
	flowtab_free(t);
}
END_TEST

/* The reference vectors of SipHash-2-4 (key 00..0f, message 00..len-1)
 * check the rounds; egressd uses the 1-3 variant of the same code. */
START_TEST(siphash_vectors)
{
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
		{ 0, 0x726fdb47dd0e0e31ull },
		{ 1, 0x74f839c593dc67fdull },
		{ 2, 0x0d6c8009d9a94f5aull },
		{ 15, 0xa129ca6149be45e5ull },
	};
	struct sip_key k = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	uint8_t msg[16];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < NELEM(v); i++)
		ck_assert_uint_eq(sip_hash_cd(&k, msg, v[i].len, 2, 4), v[i].want);
	ck_assert_uint_ne(sip_hash(&k, msg, 15), sip_hash_cd(&k, msg, 15, 2, 4));
}
END_TEST

/* A container picks its ports and servers: keys that share a bucket in
 * one table (found by trying, as an attacker who knew the hash would)
 * must not share one in another, whose key is its own. */
START_TEST(chosen_keys_do_not_collide_elsewhere)
{
	struct flowtab *a = flowtab_new(65536), *b = flowtab_new(65536);
	struct flow_key k, same[16];
	size_t n = 0, target, most = 0;
	static uint16_t hits[1 << 16];

	key(&k, 1);
	target = flowtab_slot(a, &k);
	for (uint32_t i = 0; n < NELEM(same) && i < (1u << 26); i++) {
		key(&k, (uint16_t)(i & 0xffff));
		k.server.b[2] = (uint8_t)(i >> 16);
		k.server.b[3] = (uint8_t)(i >> 24);
		if (flowtab_slot(a, &k) == target)
			same[n++] = k;
	}
	ck_assert_uint_eq(n, NELEM(same));
	memset(hits, 0, sizeof(hits));
	for (size_t i = 0; i < n; i++) {
		size_t s = flowtab_slot(b, &same[i]) & 0xffff;
		if (++hits[s] > most)
			most = hits[s];
	}
	ck_assert_uint_le(most, 3);
	flowtab_free(a);
	flowtab_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flowtab");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	ADD(tc, find_create_delete);
	ADD(tc, bounded_and_idle_flows_expire);
	ADD(tc, siphash_vectors);
	ADD(tc, chosen_keys_do_not_collide_elsewhere);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
