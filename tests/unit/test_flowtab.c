// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/flowtab.h"
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

static Suite *suite(void)
{
	Suite *s = suite_create("flowtab");
	TCase *tc = tcase_create("core");
	ADD(tc, find_create_delete);
	ADD(tc, bounded_and_idle_flows_expire);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
