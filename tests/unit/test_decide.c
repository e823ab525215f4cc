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
	s = match_set_add_source(p.black, "dns-bypass", "dns-bypass", true);
	match_set_add_domain(p.black, s, "dns.google", MATCH_EXACT);
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

/* decide_flow with claims, resolved names (trusted or not) and dst. */
static enum verdict flow(const char *claim, const char *res, bool trusted,
			 const char *dst, struct decision *d)
{
	const char *claims[] = { claim }, *resolved[] = { res };
	bool tr[] = { trusted };
	struct ip_addr a;
	struct flow_claims fc = { claims, claim != NULL, resolved, tr,
				  res != NULL, &a };

	ip_addr_parse(dst, &a);
	decide_flow(&p, &fc, d);
	return d->verdict;
}

START_TEST(only_a_trusted_resolver_unlocks_a_listed_address)
{
	struct decision d;

	ck_assert_int_eq(flow(NULL, "good.test", true, "203.0.113.80", &d),
			 VERDICT_ALLOW);
	/* Any resolver the container chose could map a good name there. */
	ck_assert_int_eq(flow(NULL, "good.test", false, "203.0.113.80", &d),
			 VERDICT_BLOCK);
	ck_assert_str_eq(d.hit.pattern, "203.0.113.0/24");
	ck_assert_int_eq(flow(NULL, NULL, false, "203.0.113.80", &d),
			 VERDICT_BLOCK);
	/* An unlisted address: any resolver's whitelisted name allows. */
	ck_assert_int_eq(flow(NULL, "good.test", false, "192.0.2.9", &d),
			 VERDICT_ALLOW);
}
END_TEST

START_TEST(a_claim_only_adds_a_reason_to_block)
{
	struct decision d;

	ck_assert_int_eq(flow("c2.bad.test", "good.test", true, "192.0.2.9", &d),
			 VERDICT_BLOCK);
	ck_assert_str_eq(d.subject, "c2.bad.test");
	/* A whitelisted claim allows nothing: the address decides. */
	ck_assert_int_eq(flow("good.test", NULL, false, "203.0.113.80", &d),
			 VERDICT_BLOCK);
	ck_assert_int_eq(flow("good.test", "x.bad.test", false, "192.0.2.9", &d),
			 VERDICT_BLOCK);
	ck_assert_int_eq(flow("www.other.test", "good.test", false, "192.0.2.9",
			      &d), VERDICT_ALLOW);
	ck_assert_int_eq(flow("www.other.test", NULL, false, "192.0.2.9", &d),
			 VERDICT_NONE);
	/* The operator whitelisted that very name: no reason from it. */
	ck_assert_int_eq(flow("ok.bad.test", NULL, false, "192.0.2.9", &d),
			 VERDICT_NONE);
}
END_TEST

START_TEST(any_of_several_claims_blocks)
{
	const char *claims[] = { "www.other.test", "c2.bad.test" };
	struct ip_addr a;
	struct flow_claims fc = { claims, 2, NULL, NULL, 0, &a };
	struct decision d;

	ip_addr_parse("192.0.2.9", &a);
	decide_flow(&p, &fc, &d);
	ck_assert_int_eq(d.verdict, VERDICT_BLOCK);
	ck_assert_str_eq(d.subject, "c2.bad.test");
}
END_TEST

/* A name of the dns-bypass list has an action of its own (alert by
 * default): claimed or resolved first, it hid a C2 name after it, and a
 * hello claiming "dns.google" and "c2.bad.test" passed in block mode
 * (found by fuzz_engine). Any other hit is the reason given. */
START_TEST(a_dns_bypass_hit_never_hides_another)
{
	const char *claims[] = { "dns.google", "c2.bad.test" };
	const char *chain[] = { "dns.google", "x.bad.test" };
	struct ip_addr a;
	struct flow_claims fc = { claims, 2, NULL, NULL, 0, &a };
	struct decision d;

	ip_addr_parse("192.0.2.9", &a);
	decide_flow(&p, &fc, &d);
	ck_assert_int_eq(d.verdict, VERDICT_BLOCK);
	ck_assert_str_eq(d.hit.source->category, "c2");
	ck_assert_str_eq(d.subject, "c2.bad.test");
	/* resolved names */
	fc = (struct flow_claims){ NULL, 0, chain, NULL, 2, &a };
	decide_flow(&p, &fc, &d);
	ck_assert_str_eq(d.hit.source->category, "c2");
	/* a CNAME chain */
	decide_names(&p, chain, 2, &d);
	ck_assert_str_eq(d.hit.source->category, "c2");
	/* a listed address outranks a dns-bypass claim */
	ip_addr_parse("203.0.113.80", &a);
	fc = (struct flow_claims){ claims, 1, NULL, NULL, 0, &a };
	decide_flow(&p, &fc, &d);
	ck_assert_int_eq(d.verdict, VERDICT_BLOCK);
	ck_assert_str_eq(d.hit.source->category, "c2");
	ck_assert_str_eq(d.subject, "203.0.113.80");
	/* alone, the dns-bypass hit is the reason */
	ip_addr_parse("192.0.2.9", &a);
	decide_flow(&p, &fc, &d);
	ck_assert_int_eq(d.verdict, VERDICT_BLOCK);
	ck_assert_str_eq(d.hit.source->category, "dns-bypass");
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
	ADD(tc, only_a_trusted_resolver_unlocks_a_listed_address);
	ADD(tc, a_claim_only_adds_a_reason_to_block);
	ADD(tc, any_of_several_claims_blocks);
	ADD(tc, a_dns_bypass_hit_never_hides_another);
	ADD(tc, empty_policy_decides_none);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
