// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/decide.h"
#include "util.h"

static struct policy p;

static void setup(void)
{
	struct ip_addr a;
	unsigned plen;
	int s;

	p.white = match_set_new();
	p.black = match_set_new();
	s = match_set_add_source(p.black, "intel", "c2", true);
	match_set_add_domain(p.black, s, "bad.test", MATCH_WILDCARD);
	match_set_add_domain(p.black, s, "cdn-bad.test", MATCH_EXACT);
	ip_cidr_parse("203.0.113.0/24", &a, &plen);
	match_set_add_cidr(p.black, s, &a, plen);
	s = match_set_add_source(p.white, "custom", "custom", false);
	match_set_add_domain(p.white, s, "ok.bad.test", MATCH_EXACT);
	match_set_add_domain(p.white, s, "good.test", MATCH_EXACT);
	match_set_finish(p.black);
	match_set_finish(p.white);
}

static void teardown(void)
{
	match_set_free(p.white);
	match_set_free(p.black);
}

START_TEST(whitelist_beats_blacklist_in_names)
{
	const char *chain[] = { "ok.bad.test", "edge.bad.test" };
	struct decision d;

	decide_names(&p, chain, 2, &d);
	ck_assert_int_eq(d.verdict, VERDICT_ALLOW);
	decide_names(&p, chain + 1, 1, &d);
	ck_assert_int_eq(d.verdict, VERDICT_BLOCK);
	ck_assert_str_eq(d.hit.pattern, "*.bad.test");
	ck_assert_str_eq(d.subject, "edge.bad.test");
}
END_TEST

START_TEST(cname_target_blacklisted_blocks)
{
	const char *chain[] = { "www.shop.test", "x.bad.test" };
	struct decision d;

	decide_names(&p, chain, 2, &d);
	ck_assert_int_eq(d.verdict, VERDICT_BLOCK);
	ck_assert_str_eq(d.subject, "x.bad.test");
}
END_TEST

START_TEST(resolved_whitelisted_name_beats_ip_blacklist)
{
	const char *res[] = { "good.test" };
	struct ip_addr a;
	struct decision d;

	ip_addr_parse("203.0.113.80", &a);
	decide_flow(&p, NULL, res, 1, &a, &d);
	ck_assert_int_eq(d.verdict, VERDICT_ALLOW);
	decide_flow(&p, NULL, NULL, 0, &a, &d);
	ck_assert_int_eq(d.verdict, VERDICT_BLOCK);
	ck_assert_str_eq(d.hit.pattern, "203.0.113.0/24");
}
END_TEST

START_TEST(claimed_bad_name_beats_whitelisted_resolution)
{
	const char *res[] = { "good.test" };
	struct ip_addr a;
	struct decision d;

	ip_addr_parse("192.0.2.9", &a);
	decide_flow(&p, "c2.bad.test", res, 1, &a, &d);
	ck_assert_int_eq(d.verdict, VERDICT_BLOCK);
	decide_flow(&p, "www.other.test", res, 1, &a, &d);
	ck_assert_int_eq(d.verdict, VERDICT_ALLOW);
	decide_flow(&p, "www.other.test", NULL, 0, &a, &d);
	ck_assert_int_eq(d.verdict, VERDICT_NONE);
}
END_TEST

START_TEST(empty_policy_decides_none)
{
	struct policy none = { 0 };
	const char *n[] = { "x.bad.test" };
	struct decision d;

	decide_names(&none, n, 1, &d);
	ck_assert_int_eq(d.verdict, VERDICT_NONE);
	ck_assert_str_eq(verdict_name(d.verdict), "none");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("decide");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	ADD(tc, whitelist_beats_blacklist_in_names);
	ADD(tc, cname_target_blacklisted_blocks);
	ADD(tc, resolved_whitelisted_name_beats_ip_blacklist);
	ADD(tc, claimed_bad_name_beats_whitelisted_resolution);
	ADD(tc, empty_policy_decides_none);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
