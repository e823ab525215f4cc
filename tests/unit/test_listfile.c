// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "egressd/listfile.h"
#include "util.h"

/* Collects entries as text: "block *.x", "allow x", "block 1.2.3.0/24". */
struct got {
	char v[32][128];
	int n;
};

static int collect(const struct list_entry *e, void *ctx)
{
	struct got *g = ctx;
	char t[IP_ADDR_TEXT];

	if (g->n == 32)
		return -E2BIG;
	if (e->type == LIST_DOMAIN) {
		snprintf(g->v[g->n++], 128, "%s %s%s", e->allow ? "allow" : "block",
			 e->kind == MATCH_WILDCARD ? "*." : "", e->name);
	} else {
		ip_addr_format(&e->net, t, sizeof(t));
		snprintf(g->v[g->n++], 128, "%s %s/%u", e->allow ? "allow" : "block",
			 t, e->plen);
	}
	return 0;
}

static struct got g;
static struct list_stats st;
static struct list_error err;

static int parse(const char *text, enum list_format f, unsigned flags)
{
	memset(&g, 0, sizeof(g));
	return list_parse(text, strlen(text), f, flags, collect, &g, &st, &err);
}

START_TEST(plain_domains_with_wildcards)
{
	ck_assert_int_eq(parse("# Number of entries: 2\n\nEvil.Test.\n"
			       "*.c2.test # inline comment\r\n",
			       LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(st.format, LIST_FMT_DOMAINS);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.v[0], "block evil.test");
	ck_assert_str_eq(g.v[1], "block *.c2.test");
}
END_TEST

START_TEST(hosts_file_exact_and_localhost_skipped)
{
	ck_assert_int_eq(parse("127.0.0.1 localhost\n::1 ip6-localhost\n"
			       "0.0.0.0\tads.test  track.test\n"
			       "0.0.0.0 *.nope.test\n",
			       LIST_FMT_AUTO, 0), -EINVAL);
	ck_assert_uint_eq(err.line, 4); /* hosts entries are exact names */
	ck_assert_int_eq(parse("127.0.0.1 localhost\n0.0.0.0\tads.test track.test\n",
			       LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(st.format, LIST_FMT_HOSTS);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.v[1], "block track.test");
	ck_assert_uint_eq(st.skipped, 1);
}
END_TEST

START_TEST(adblock_name_and_subdomains_exceptions_modifiers)
{
	ck_assert_int_eq(parse("[Adblock Plus 2.0]\n! comment\n||miner.test^\n"
			       "@@||ok.miner.test^\n||x.test^$third-party\n"
			       "||y.test/path^\nexample.com##.ad\n",
			       LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(st.format, LIST_FMT_ADBLOCK);
	ck_assert_int_eq(g.n, 4);
	ck_assert_str_eq(g.v[0], "block miner.test");
	ck_assert_str_eq(g.v[1], "block *.miner.test");
	ck_assert_str_eq(g.v[2], "allow ok.miner.test");
	ck_assert_uint_eq(st.skipped, 4);
}
END_TEST

START_TEST(rpz_zone)
{
	const char *zone = "$TTL 300\n"
			   "@ IN SOA localhost. root.localhost. (\n"
			   "   1 ; serial\n   3600 600 86400 60 )\n"
			   "  IN NS localhost.\n"
			   "evil.test CNAME .\n"
			   "*.evil.test 60 IN CNAME .\n"
			   "good.evil.test CNAME rpz-passthru.\n"
			   "drop.test.rpz.local. CNAME rpz-drop.\n"
			   "32.2.0.0.10.rpz-ip CNAME .\n"
			   "48.zz.db8.2001.rpz-ip CNAME .\n"
			   "ns.evil.test.rpz-nsdname CNAME .\n";

	ck_assert_int_eq(parse(zone, LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(st.format, LIST_FMT_RPZ);
	ck_assert_int_eq(g.n, 6);
	ck_assert_str_eq(g.v[0], "block evil.test");
	ck_assert_str_eq(g.v[1], "block *.evil.test");
	ck_assert_str_eq(g.v[2], "allow good.evil.test");
	ck_assert_str_eq(g.v[3], "block drop.test.rpz.local");
	ck_assert_str_eq(g.v[4], "block 10.0.0.2/32");
	ck_assert_str_eq(g.v[5], "block 2001:db8::/48");
	ck_assert_uint_eq(st.skipped, 1);
}
END_TEST

/* As abuse.ch, HaGeZi and malware-filter publish them: records after the
 * SOA without an owner of their own (zone-file syntax: the previous). */
START_TEST(rpz_records_without_owner)
{
	const char *zone = "$TTL 300\n"
			   "@ SOA localhost. root.localhost. 1 1h 15m 30d 2h\n"
			   " NS localhost.\n"
			   "\tNS localhost.\n"
			   "evil.test CNAME .\n"
			   " A 192.0.2.1\n";

	ck_assert_int_eq(parse(zone, LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.v[0], "block evil.test");
	ck_assert_str_eq(g.v[1], "block evil.test"); /* the A of evil.test */
}
END_TEST

/* A blacklist must not whitelist: its allow rules are counted, once per
 * rule, and never passed on. */
START_TEST(no_allow_in_a_blacklist)
{
	ck_assert_int_eq(parse("||bad.test^\n@@||ok.test^\n", LIST_FMT_ADBLOCK,
			       LIST_NO_ALLOW), 0);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.v[1], "block *.bad.test");
	ck_assert_uint_eq(st.allows_ignored, 1);
	ck_assert_int_eq(parse("bad.test CNAME .\nok.test CNAME rpz-passthru.\n",
			       LIST_FMT_RPZ, LIST_NO_ALLOW), 0);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(st.allows_ignored, 1);
	ck_assert_int_eq(parse("@@||ok.test^\n", LIST_FMT_ADBLOCK, 0), 0);
	ck_assert_int_eq(g.n, 2); /* taken as a whitelist: allows */
	ck_assert_str_eq(g.v[0], "allow ok.test");
}
END_TEST

START_TEST(rpz_origin_stripped)
{
	ck_assert_int_eq(parse("$ORIGIN rpz.local.\nbad.test.rpz.local. CNAME .\n",
			       LIST_FMT_RPZ, 0), 0);
	ck_assert_str_eq(g.v[0], "block bad.test");
}
END_TEST

START_TEST(cidr_drop_netset_json)
{
	ck_assert_int_eq(parse("; Spamhaus DROP\n192.0.2.0/24 ; SBL1\n"
			       "203.0.113.7\n2001:db8::/32\n",
			       LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(st.format, LIST_FMT_CIDR);
	ck_assert_int_eq(g.n, 3);
	ck_assert_str_eq(g.v[0], "block 192.0.2.0/24");
	ck_assert_str_eq(g.v[1], "block 203.0.113.7/32");
	ck_assert_int_eq(parse("{\"cidr\":\"198.51.100.0/24\",\"sblid\":\"SBL9\"}\n"
			       "{\"type\":\"metadata\",\"records\":1}\n",
			       LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.v[0], "block 198.51.100.0/24");
}
END_TEST

START_TEST(bogons_stripped_and_reported)
{
	ck_assert_int_eq(parse("0.0.0.0/8\n10.0.0.0/8\n8.0.0.0/6\n"
			       "192.0.2.0/24\nfe80::/10\n127.0.0.1\n",
			       LIST_FMT_CIDR, LIST_STRIP_BOGONS), 0);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.v[0], "block 192.0.2.0/24");
	ck_assert_uint_eq(st.stripped, 5);
}
END_TEST

START_TEST(invalid_line_reported_with_number)
{
	ck_assert_int_eq(parse("good.test\nalso.good.test\nbad..test\nx.test\n",
			       LIST_FMT_DOMAINS, 0), -EINVAL);
	ck_assert_uint_eq(err.line, 3);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad..test"));
	ck_assert_int_eq(parse("1.2.3.0/24\n1.2.3.4/24\n", LIST_FMT_CIDR, 0),
			 -EINVAL);
	ck_assert_uint_eq(err.line, 2);
	ck_assert_int_eq(parse("a.test b.test\n", LIST_FMT_DOMAINS, 0), -EINVAL);
	ck_assert_int_eq(parse("x.test\n\0y", LIST_FMT_DOMAINS, 0), 0);
}
END_TEST

START_TEST(binary_and_overlong_lines_refused)
{
	static const char bin[] = "a.test\nb\0c.test\n";
	char *big = malloc(LIST_LINE_MAX + 10);

	ck_assert_int_eq(list_parse(bin, sizeof(bin) - 1, LIST_FMT_DOMAINS, 0,
				    collect, &g, &st, &err), -EINVAL);
	ck_assert_uint_eq(err.line, 2);
	memset(big, 'a', LIST_LINE_MAX + 9);
	big[LIST_LINE_MAX + 9] = 0;
	ck_assert_int_eq(parse(big, LIST_FMT_DOMAINS, 0), -EINVAL);
	free(big);
}
END_TEST

START_TEST(last_line_ending_in_bare_cr)
{
	/* Found by fuzz_list: the parser never reached the end of the file. */
	ck_assert_int_eq(parse("\r", LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(parse("a.test\r\nb.test\r", LIST_FMT_DOMAINS, 0), 0);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.v[1], "block b.test");
	ck_assert_int_eq(parse("||x.test^\r", LIST_FMT_AUTO, 0), 0);
}
END_TEST

START_TEST(header_category)
{
	const char *t = "# egressd-category: mining-pool\n# more\npool.test\n";
	char out[32];

	ck_assert(list_header_value(t, strlen(t), "category", out, sizeof(out)));
	ck_assert_str_eq(out, "mining-pool");
	ck_assert(!list_header_value(t, strlen(t), "source", out, sizeof(out)));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("listfile");
	TCase *tc = tcase_create("core");
	ADD(tc, plain_domains_with_wildcards);
	ADD(tc, hosts_file_exact_and_localhost_skipped);
	ADD(tc, adblock_name_and_subdomains_exceptions_modifiers);
	ADD(tc, rpz_zone);
	ADD(tc, rpz_records_without_owner);
	ADD(tc, no_allow_in_a_blacklist);
	ADD(tc, rpz_origin_stripped);
	ADD(tc, cidr_drop_netset_json);
	ADD(tc, bogons_stripped_and_reported);
	ADD(tc, invalid_line_reported_with_number);
	ADD(tc, binary_and_overlong_lines_refused);
	ADD(tc, last_line_ending_in_bare_cr);
	ADD(tc, header_category);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
