// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "egressd/match.h"
#include "util.h"

static struct match_set *s;
static int sys, cus;

static bool m(const char *name, struct match_hit *h)
{
	return match_domain(s, name, strlen(name), h);
}

static void setup(void)
{
	struct ip_addr a;
	unsigned plen;

	s = match_set_new();
	sys = match_set_add_source(s, "coinpools.txt", "mining-pool", true);
	cus = match_set_add_source(s, "custom", "custom", false);
	ck_assert_int_eq(match_set_add_domain(s, sys, "pool.mine.test", MATCH_EXACT), 0);
	ck_assert_int_eq(match_set_add_domain(s, sys, "bad.test", MATCH_WILDCARD), 0);
	ck_assert_int_eq(match_set_add_domain(s, cus, "x.y.bad.test", MATCH_EXACT), 0);
	ck_assert_int_eq(match_set_add_domain(s, cus, "pool.mine.test", MATCH_EXACT), 0);
	ip_cidr_parse("203.0.113.0/24", &a, &plen);
	match_set_add_cidr(s, sys, &a, plen);
	ip_cidr_parse("203.0.113.66", &a, &plen);
	match_set_add_cidr(s, cus, &a, plen);
	ip_cidr_parse("2001:db8:bad::/48", &a, &plen);
	match_set_add_cidr(s, cus, &a, plen);
	ck_assert_int_eq(match_set_finish(s), 1); /* pool.mine.test twice */
}

static void teardown(void)
{
	match_set_free(s);
}

START_TEST(exact_matches_only_itself)
{
	struct match_hit h;

	ck_assert(m("pool.mine.test", &h));
	ck_assert_str_eq(h.pattern, "pool.mine.test");
	ck_assert_str_eq(h.source->name, "coinpools.txt"); /* first source */
	ck_assert_str_eq(h.source->category, "mining-pool");
	ck_assert(!m("a.pool.mine.test", NULL));
	ck_assert(!m("mine.test", NULL));
	ck_assert(!m("ool.mine.test", NULL));
}
END_TEST

START_TEST(wildcard_matches_subdomains_not_apex)
{
	struct match_hit h;

	ck_assert(m("c2.bad.test", &h));
	ck_assert_str_eq(h.pattern, "*.bad.test");
	ck_assert(m("a.b.c.d.bad.test", NULL));
	ck_assert(!m("bad.test", NULL));
	ck_assert(!m("notbad.test", NULL));
	ck_assert(!m("bad.test.evil", NULL));
}
END_TEST

START_TEST(most_specific_entry_reported)
{
	struct match_hit h;

	ck_assert(m("x.y.bad.test", &h));
	ck_assert_str_eq(h.pattern, "x.y.bad.test");
	ck_assert_str_eq(h.source->name, "custom");
}
END_TEST

START_TEST(escaped_dns_names_still_match_parents)
{
	/* a first label full of odd bytes, longer than 253 chars escaped */
	char name[600];
	size_t n = 0;

	for (int i = 0; i < 60; i++)
		n += (size_t)sprintf(name + n, "\\%03d", 1);
	strcpy(name + n, ".bad.test");
	ck_assert(m(name, NULL));
}
END_TEST

START_TEST(ip_longest_prefix)
{
	struct ip_addr a;
	struct match_hit h;

	ip_addr_parse("203.0.113.66", &a);
	ck_assert(match_ip(s, &a, &h));
	ck_assert_str_eq(h.pattern, "203.0.113.66");
	ip_addr_parse("203.0.113.7", &a);
	ck_assert(match_ip(s, &a, &h));
	ck_assert_str_eq(h.pattern, "203.0.113.0/24");
	ip_addr_parse("203.0.114.7", &a);
	ck_assert(!match_ip(s, &a, NULL));
	ip_addr_parse("2001:db8:bad:1::5", &a);
	ck_assert(match_ip(s, &a, &h));
	ck_assert_str_eq(h.pattern, "2001:db8:bad::/48");
	ip_addr_parse("2001:db8:bae::5", &a);
	ck_assert(!match_ip(s, &a, NULL));
}
END_TEST

START_TEST(counts_and_duplicates)
{
	ck_assert_uint_eq(match_set_domains(s), 3);
	ck_assert_uint_eq(match_set_networks(s), 3);
	ck_assert_uint_eq(match_set_source(s, (size_t)sys)->entries, 3);
	ck_assert_uint_eq(match_set_source(s, (size_t)cus)->entries, 3);
	ck_assert(match_has_domain(s, "bad.test", MATCH_WILDCARD));
	ck_assert(!match_has_domain(s, "bad.test", MATCH_EXACT));
}
END_TEST

START_TEST(many_entries_all_found)
{
	struct match_set *big = match_set_new();
	int src = match_set_add_source(big, "gen", "c2", true);
	char name[64];

	for (int i = 0; i < 50000; i++) {
		snprintf(name, sizeof(name), "h%d.d%d.test", i, i % 97);
		ck_assert_int_eq(match_set_add_domain(big, src, name,
						      i % 3 ? MATCH_EXACT
							    : MATCH_WILDCARD), 0);
	}
	ck_assert_int_eq(match_set_finish(big), 0);
	for (int i = 0; i < 50000; i++) {
		if (i % 3)
			snprintf(name, sizeof(name), "h%d.d%d.test", i, i % 97);
		else
			snprintf(name, sizeof(name), "w.h%d.d%d.test", i, i % 97);
		ck_assert(match_domain(big, name, strlen(name), NULL));
		snprintf(name, sizeof(name), "h%d.d%d.test", i, i % 97 + 1);
		ck_assert(!match_domain(big, name, strlen(name), NULL));
	}
	match_set_free(big);
}
END_TEST

START_TEST(empty_set_matches_nothing)
{
	struct match_set *e = match_set_new();
	struct ip_addr a;

	ck_assert_int_eq(match_set_finish(e), 0);
	ck_assert(!match_domain(e, "a.test", 6, NULL));
	ip_addr_parse("192.0.2.1", &a);
	ck_assert(!match_ip(e, &a, NULL));
	ck_assert_int_eq(match_set_add_domain(e, 5, "a.test", MATCH_EXACT),
			 -EINVAL);
	match_set_free(e);
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("match");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	ADD(tc, exact_matches_only_itself);
	ADD(tc, wildcard_matches_subdomains_not_apex);
	ADD(tc, most_specific_entry_reported);
	ADD(tc, escaped_dns_names_still_match_parents);
	ADD(tc, ip_longest_prefix);
	ADD(tc, counts_and_duplicates);
	ADD(tc, many_entries_all_found);
	ADD(tc, empty_set_matches_nothing);
	suite_add_tcase(su, tc);
	return su;
}
TEST_MAIN(suite)
