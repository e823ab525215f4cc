// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "egressd/dnscache.h"
#include "util.h"

START_TEST(per_owner_and_ttl)
{
	struct dnscache *c = dnscache_new(16);
	struct ip_addr cdn;
	const char *n[4];

	ip_addr_parse("203.0.113.80", &cdn);
	dnscache_put(c, 1, &cdn, "good.test", 100, false);
	dnscache_put(c, 2, &cdn, "c2.bad.test", 100, false);
	ck_assert_uint_eq(dnscache_get(c, 1, &cdn, 50, n, NULL, 4), 1);
	ck_assert_str_eq(n[0], "good.test");
	ck_assert_uint_eq(dnscache_get(c, 2, &cdn, 50, n, NULL, 4), 1);
	ck_assert_str_eq(n[0], "c2.bad.test");
	ck_assert_uint_eq(dnscache_get(c, 1, &cdn, 100, n, NULL, 4), 0); /* expired */
	dnscache_put(c, 1, &cdn, "good.test", 200, false); /* refreshed */
	ck_assert_uint_eq(dnscache_get(c, 1, &cdn, 150, n, NULL, 4), 1);
	dnscache_free(c);
}
END_TEST

START_TEST(names_per_address_bounded)
{
	struct dnscache *c = dnscache_new(4);
	struct ip_addr a;
	const char *n[8];
	char name[32];

	ip_addr_parse("2001:db8::1", &a);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		dnscache_put(c, 1, &a, name, 100 + (uint64_t)i, false);
	}
	ck_assert_uint_eq(dnscache_get(c, 1, &a, 0, n, NULL, 8), DNSCACHE_NAMES_PER_ADDR);
	dnscache_free(c);
}
END_TEST

START_TEST(lru_eviction_at_capacity)
{
	struct dnscache *c = dnscache_new(8);
	struct ip_addr a;
	const char *n[4];

	for (int i = 0; i < 20; i++) {
		a.family = AF_INET;
		memset(a.b, 0, 16);
		a.b[3] = (uint8_t)i;
		dnscache_put(c, 7, &a, "x.test", 1000, false);
		if (i >= 1) { /* keep address 0 recently used */
			a.b[3] = 0;
			ck_assert_uint_eq(dnscache_get(c, 7, &a, 0, n, NULL, 4), 1);
			dnscache_put(c, 7, &a, "x.test", 1000, false);
		}
	}
	ck_assert_uint_eq(dnscache_size(c), 8);
	a.b[3] = 1;
	ck_assert_uint_eq(dnscache_get(c, 7, &a, 0, n, NULL, 4), 0); /* evicted */
	a.b[3] = 19;
	ck_assert_uint_eq(dnscache_get(c, 7, &a, 0, n, NULL, 4), 1);
	dnscache_free(c);
}
END_TEST

/* A container's own resolver picks the addresses: ones that share a
 * bucket in one cache must not share one in another. */
START_TEST(chosen_addresses_do_not_collide_elsewhere)
{
	struct dnscache *a = dnscache_new(4096), *b = dnscache_new(4096);
	struct ip_addr x, same[16];
	uint32_t target;
	size_t n = 0, most = 0;
	static uint16_t hits[8192];

	ip_addr_parse("203.0.113.1", &x);
	target = dnscache_slot(a, 7, &x);
	for (uint32_t i = 0; n < NELEM(same) && i < (1u << 24); i++) {
		x.b[1] = (uint8_t)i;
		x.b[2] = (uint8_t)(i >> 8);
		x.b[3] = (uint8_t)(i >> 16);
		if (dnscache_slot(a, 7, &x) == target)
			same[n++] = x;
	}
	ck_assert_uint_eq(n, NELEM(same));
	memset(hits, 0, sizeof(hits));
	for (size_t i = 0; i < n; i++) {
		uint32_t s = dnscache_slot(b, 7, &same[i]);
		if (++hits[s] > most)
			most = hits[s];
	}
	ck_assert_uint_le(most, 3);
	dnscache_free(a);
	dnscache_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dnscache");
	TCase *tc = tcase_create("core");
	ADD(tc, chosen_addresses_do_not_collide_elsewhere);
	ADD(tc, per_owner_and_ttl);
	ADD(tc, names_per_address_bounded);
	ADD(tc, lru_eviction_at_capacity);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
