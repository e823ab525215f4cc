// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "egressd/listfile.h"
#include "egressd/policy.h"
#include "util.h"

/* Collects entries as text: "block *.x", "allow x", "block 1.2.3.0/24",
 * with their line numbers. */
struct got {
	char v[64][128];
	unsigned line[64];
	int n;
};

static int collect(const struct list_entry *e, void *ctx)
{
	struct got *g = ctx;
	char t[IP_ADDR_TEXT];

	if (g->n == 64)
		return -E2BIG;
	g->line[g->n] = e->line;
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

/* A fixture of tests/data/lists (the tests run in tests/). */
static int parse_file(const char *name, enum list_format f, unsigned flags)
{
	static char buf[65536];
	char path[256];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "data/lists/%s", name);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	ck_assert_uint_lt(n, sizeof(buf));
	memset(&g, 0, sizeof(g));
	return list_parse(buf, n, f, flags, collect, &g, &st, &err);
}

static bool has(const char *entry)
{
	for (int i = 0; i < g.n; i++)
		if (!strcmp(g.v[i], entry))
			return true;
	return false;
}

/* As a third-party blacklist feed is read. */
#define FEED (LIST_LENIENT | LIST_STRIP_BOGONS | LIST_NO_ALLOW)

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
	/* $third-party, the path, the element hiding rule; not the header */
	ck_assert_uint_eq(st.skipped, 3);
	ck_assert_uint_eq(st.modifiers, 1);
	ck_assert_uint_eq(st.paths, 1);
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

/* ---- real-world-shaped fixtures (tests/data/lists) ---- */

/* URLhaus' domain list is mostly IPv4 addresses: they go to the IP table,
 * and a list that starts with one is still a domains list. */
START_TEST(fixture_urlhaus_domains_hold_addresses)
{
	ck_assert_int_eq(parse_file("urlhaus-domains.txt", LIST_FMT_AUTO, FEED), 0);
	ck_assert_int_eq(st.format, LIST_FMT_DOMAINS);
	ck_assert_uint_eq(st.entries, 18);
	ck_assert_uint_eq(st.networks, 16);
	ck_assert_uint_eq(st.domains, 2);
	ck_assert_uint_eq(st.stripped, 1); /* 127.0.0.1 */
	ck_assert(has("block 192.0.2.14/32"));
	ck_assert(has("block 2001:db8:5::17/128"));
	ck_assert(has("block payload.bad.test"));
	ck_assert(!has("block 192.0.2.14"));
	ck_assert_uint_eq(st.invalid, 1);
	ck_assert_uint_eq(st.first_invalid[0].line, 25);
	ck_assert_ptr_nonnull(strstr(st.first_invalid[0].msg, "198.51.100.7:8080"));
	/* As the operator's own list: refused at that line. */
	ck_assert_int_eq(parse_file("urlhaus-domains.txt", LIST_FMT_AUTO,
				    LIST_STRIP_BOGONS), -EINVAL);
	ck_assert_uint_eq(err.line, 25);
}
END_TEST

START_TEST(mixed_list_starting_with_an_address)
{
	ck_assert_int_eq(parse("# feed\n203.0.113.7\n192.0.2.0/24\nbad.test\n"
			       "2001:db8::1\n", LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(st.format, LIST_FMT_DOMAINS);
	ck_assert_int_eq(g.n, 4);
	ck_assert_str_eq(g.v[0], "block 203.0.113.7/32");
	ck_assert_str_eq(g.v[1], "block 192.0.2.0/24");
	ck_assert_str_eq(g.v[2], "block bad.test");
	/* Addresses only: an IP list, which refuses names. */
	ck_assert_int_eq(parse("203.0.113.7\n192.0.2.0/24 ; SBL1\n",
			       LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(st.format, LIST_FMT_CIDR);
	ck_assert_int_eq(parse("203.0.113.7\nbad.test\n", LIST_FMT_CIDR, 0),
			 -EINVAL);
	ck_assert_uint_eq(err.line, 2);
}
END_TEST

/* AdGuard DNS filter: "!" header, "#" comment lines of many words,
 * $important, AdGuard-only modifiers, a regex rule, an exception. */
START_TEST(fixture_adguard_dns_filter)
{
	ck_assert_int_eq(parse_file("adguard-dns.txt", LIST_FMT_AUTO, FEED), 0);
	ck_assert_int_eq(st.format, LIST_FMT_ADBLOCK);
	ck_assert_uint_eq(st.entries, 9);
	ck_assert_uint_eq(st.domains, 8);
	ck_assert_uint_eq(st.networks, 1);
	ck_assert(has("block ads.tracker.test"));
	ck_assert(has("block *.ads.tracker.test"));
	ck_assert(has("block 203.0.113.50/32"));
	ck_assert(has("block beacon.example")); /* $important */
	ck_assert(!has("block pixel.example")); /* $third-party */
	ck_assert(!has("block telemetry.example")); /* $dnstype */
	ck_assert_uint_eq(st.modifiers, 2);
	ck_assert_uint_eq(st.skipped, 3); /* and the regex */
	ck_assert_uint_eq(st.allows_ignored, 1);
	ck_assert_uint_eq(st.invalid, 0);
	ck_assert_uint_eq(st.rules, 9); /* comments and headers are not */
	/* Read as a whitelist, the exception allows x and below. */
	ck_assert_int_eq(parse_file("adguard-dns.txt", LIST_FMT_AUTO, 0), 0);
	ck_assert_uint_eq(st.entries, 11);
	ck_assert(has("allow *.cdn.tracker.test"));
}
END_TEST

/* HaGeZi's wildcard edition: "*.x" is x and every subdomain, detected
 * from its "# Syntax:" header. */
START_TEST(fixture_hagezi_wildcard)
{
	ck_assert_int_eq(parse_file("hagezi-wildcard.txt", LIST_FMT_AUTO, FEED), 0);
	ck_assert_int_eq(st.format, LIST_FMT_WILDCARD);
	ck_assert_uint_eq(st.rules, 5);
	ck_assert_uint_eq(st.entries, 10);
	ck_assert_str_eq(g.v[0], "block c2.bad.test");
	ck_assert_str_eq(g.v[1], "block *.c2.bad.test");
	ck_assert_uint_eq(g.line[1], 12);
	/* Read as plain domains, "*.x" leaves x out. */
	ck_assert_int_eq(parse_file("hagezi-wildcard.txt", LIST_FMT_DOMAINS, 0), 0);
	ck_assert_uint_eq(st.entries, 5);
	ck_assert_str_eq(g.v[0], "block *.c2.bad.test");
}
END_TEST

START_TEST(wildcard_format_meaning)
{
	ck_assert_int_eq(parse("# no header\n*.a.test\nb.test\n=c.test\n"
			       "ads.*\n*sex*\nd.test @work\n198.51.100.9\n",
			       LIST_FMT_WILDCARD, 0), 0);
	ck_assert_int_eq(g.n, 6);
	ck_assert_str_eq(g.v[0], "block a.test");
	ck_assert_str_eq(g.v[1], "block *.a.test");
	ck_assert_str_eq(g.v[2], "block b.test");
	ck_assert_str_eq(g.v[3], "block *.b.test");
	ck_assert_str_eq(g.v[4], "block c.test");
	ck_assert_str_eq(g.v[5], "block 198.51.100.9/32");
	ck_assert_uint_eq(st.skipped, 3); /* two globs, a timed rule */
	ck_assert_int_eq(list_format_parse("wildcard", &st.format), 0);
	ck_assert_int_eq(st.format, LIST_FMT_WILDCARD);
	/* Without the header, "*.x" keeps the domains meaning. */
	ck_assert_int_eq(parse("*.a.test\n", LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(st.format, LIST_FMT_DOMAINS);
	ck_assert_int_eq(g.n, 1);
}
END_TEST

/* StevenBlack's header: scoped, multicast and broadcast lines load as
 * skipped localhost lines, not errors. */
START_TEST(fixture_stevenblack_hosts_header)
{
	ck_assert_int_eq(parse_file("stevenblack-hosts.txt", LIST_FMT_AUTO, 0), 0);
	ck_assert_int_eq(st.format, LIST_FMT_HOSTS);
	ck_assert_uint_eq(st.entries, 4);
	ck_assert_uint_eq(st.skipped, 14);
	ck_assert_str_eq(g.v[0], "block ad.tracker.test");
	ck_assert_uint_eq(g.line[0], 38);
	ck_assert_str_eq(g.v[3], "block popup.example");
}
END_TEST

/* CoinBlocker's "de2.node..aeon-pool.com": one bad line among many is
 * skipped and reported in a feed, refuses the operator's own list. */
START_TEST(fixture_coinblocker_typo)
{
	ck_assert_int_eq(parse_file("coinblocker.txt", LIST_FMT_AUTO, FEED), 0);
	ck_assert_uint_eq(st.entries, 13);
	ck_assert_uint_eq(st.rules, 14);
	ck_assert_uint_eq(st.invalid, 1);
	ck_assert_uint_eq(st.first_invalid[0].line, 6);
	ck_assert_ptr_nonnull(strstr(st.first_invalid[0].msg,
				     "de2.node..aeon-pool.com"));
	ck_assert(has("block stratum.coin.test"));
	ck_assert_int_eq(parse_file("coinblocker.txt", LIST_FMT_AUTO, 0), -EINVAL);
	ck_assert_uint_eq(err.line, 6);
}
END_TEST

/* uBlock-style: bare host names, URL rules with paths, modifiers,
 * $badfilter, "||*.x^" and ".x^". */
START_TEST(fixture_ublock_urls_and_modifiers)
{
	ck_assert_int_eq(parse_file("ublock-urls.txt", LIST_FMT_AUTO, FEED), 0);
	ck_assert_int_eq(st.format, LIST_FMT_ADBLOCK);
	ck_assert_uint_eq(st.entries, 10);
	ck_assert_uint_eq(st.networks, 1);
	ck_assert(has("block dropper.bad.test")); /* a bare name: that name */
	ck_assert(!has("block *.dropper.bad.test"));
	ck_assert(has("block 203.0.113.44/32"));
	ck_assert(has("block cdn.bad.test")); /* $doc */
	ck_assert(has("block *.kit.bad.test")); /* $all */
	ck_assert(has("block evil.example")); /* $important */
	ck_assert(has("block *.sub.bad.test")); /* ||*.x^: below only */
	ck_assert(!has("block sub.bad.test"));
	ck_assert(has("block *.dot.bad.test")); /* .x^: below only */
	ck_assert(!has("block dot.bad.test"));
	ck_assert(!has("block wrong.example")); /* $badfilter */
	ck_assert(!has("block *.wrong.example"));
	ck_assert(!has("block 198.51.100.60/32")); /* a path on an address */
	ck_assert_uint_eq(st.paths, 3);
	ck_assert_uint_eq(st.modifiers, 2);
	ck_assert_uint_eq(st.cancelled, 1);
	ck_assert_uint_eq(st.allows_ignored, 1);
	ck_assert_uint_eq(st.skipped, 7);
	ck_assert_uint_eq(st.invalid, 0);
}
END_TEST

/* A list of URL rules only must not load as an empty success. */
START_TEST(fixture_ublock_paths_only_refused)
{
	for (int lenient = 0; lenient < 2; lenient++) {
		ck_assert_int_eq(parse_file("ublock-paths-only.txt", LIST_FMT_AUTO,
					    lenient ? FEED : 0), -EINVAL);
		ck_assert_int_eq(g.n, 0);
		ck_assert_uint_eq(err.line, 0);
		ck_assert_ptr_nonnull(strstr(err.msg, "no entries in"));
		ck_assert_ptr_nonnull(strstr(err.msg, "3 with a path"));
		ck_assert_uint_eq(st.paths, 3);
	}
}
END_TEST

/* abuse.ch's RPZ: owner-less NS under the SOA, comments with
 * parentheses, an address as a trigger, rpz-ip. */
START_TEST(fixture_urlhaus_rpz)
{
	ck_assert_int_eq(parse_file("urlhaus-rpz.zone", LIST_FMT_AUTO, FEED), 0);
	ck_assert_int_eq(st.format, LIST_FMT_RPZ);
	ck_assert_int_eq(g.n, 5);
	ck_assert_str_eq(g.v[0], "block evil.example");
	ck_assert_uint_eq(g.line[0], 11);
	ck_assert_str_eq(g.v[2], "block *.drop.bad.test"); /* below only */
	ck_assert_str_eq(g.v[3], "block 203.0.113.80/32");
	ck_assert_str_eq(g.v[4], "block 203.0.113.81/32");
	ck_assert_uint_eq(st.allows_ignored, 1);
	ck_assert_uint_eq(st.invalid, 0);
}
END_TEST

START_TEST(fixture_spamhaus_drop_json)
{
	ck_assert_int_eq(parse_file("spamhaus-drop.json", LIST_FMT_AUTO, FEED), 0);
	ck_assert_int_eq(st.format, LIST_FMT_CIDR);
	ck_assert_uint_eq(st.networks, 4);
	ck_assert_uint_eq(st.stripped, 1); /* 10.0.0.0/8 */
	ck_assert_uint_eq(st.skipped, 1); /* the metadata line */
	ck_assert_str_eq(g.v[3], "block 2001:db8:dead::/48");
}
END_TEST

/* ---- lenient parsing ---- */

/* A third of the lines bad: not a list, even as a feed. */
START_TEST(lenient_refuses_too_many_bad_lines)
{
	ck_assert_int_eq(parse_file("bad-line.txt", LIST_FMT_AUTO, FEED), -EINVAL);
	ck_assert_uint_eq(err.line, 3);
	ck_assert_ptr_nonnull(strstr(err.msg, "'bad..test' is neither"));
	ck_assert_ptr_nonnull(strstr(err.msg, "1 of 3 rules invalid"));
	/* A hosts file read as domains: every line bad. */
	ck_assert_int_eq(parse("0.0.0.0 a.test\n0.0.0.0 b.test\n",
			       LIST_FMT_DOMAINS, FEED), -EINVAL);
	ck_assert_uint_eq(st.invalid, 2);
	/* Nothing in it at all. */
	ck_assert_int_eq(parse("# only comments\n\n", LIST_FMT_AUTO, FEED),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "no entries in"));
	ck_assert_int_eq(parse("# only comments\n\n", LIST_FMT_AUTO, 0), 0);
}
END_TEST

/* Counted all, the first LIST_INVALID_KEPT kept in order; an invalid
 * line passes nothing on, even its valid names. */
START_TEST(lenient_keeps_first_invalid_lines)
{
	char text[4096] = "";
	size_t o = 0;

	for (int i = 1; i <= 70; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\n",
				      i % 10 == 0 ? "0.0.0.0 ok.test bad..test"
						  : "0.0.0.0 fine.test");
	ck_assert_int_eq(parse(text, LIST_FMT_HOSTS, LIST_LENIENT), 0);
	ck_assert_uint_eq(st.invalid, 7);
	ck_assert_uint_eq(st.entries, 63);
	ck_assert(!has("block ok.test"));
	for (int i = 0; i < LIST_INVALID_KEPT; i++)
		ck_assert_uint_eq(st.first_invalid[i].line, 10u * (i + 1));
	ck_assert_int_eq(err.line, 0);
	/* Strict: the first refuses. */
	ck_assert_int_eq(parse(text, LIST_FMT_HOSTS, 0), -EINVAL);
	ck_assert_uint_eq(err.line, 10);
}
END_TEST

START_TEST(lenient_still_refuses_binary)
{
	static const char bin[] = "a.test\nb\0c.test\nd.test\n";

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(list_parse(bin, sizeof(bin) - 1, LIST_FMT_DOMAINS,
				    LIST_LENIENT, collect, &g, &st, &err),
			 -EINVAL);
	ck_assert_uint_eq(err.line, 2);
}
END_TEST

/* ---- AdBlock details ---- */

START_TEST(adblock_badfilter_before_and_after)
{
	ck_assert_int_eq(parse("||a.test^$badfilter\n||a.test^\n||b.test^$important\n"
			       "||b.test^$badfilter,important\n||c.test^\n",
			       LIST_FMT_ADBLOCK, 0), 0);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.v[0], "block c.test");
	ck_assert_uint_eq(st.cancelled, 2);
	/* Not the same text: not cancelled. */
	ck_assert_int_eq(parse("||a.test^$important\n||a.test^$badfilter\n",
			       LIST_FMT_ADBLOCK, 0), 0);
	ck_assert_int_eq(g.n, 2);
	ck_assert_uint_eq(st.cancelled, 0);
}
END_TEST

START_TEST(adblock_modifiers)
{
	ck_assert_int_eq(parse("||a.test^$important\n@@||b.test^$important\n"
			       "||c.test^$all\n||d.test^$document\n||e.test^$doc\n"
			       "||f.test^$third-party\n||g.test^$3p\n"
			       "||h.test^$script,important\n||i.test^$domain=x.test\n"
			       "||j.test^$~third-party\n||k.test^$client=10.0.0.1\n",
			       LIST_FMT_ADBLOCK, 0), 0);
	ck_assert(has("block a.test"));
	ck_assert(has("allow b.test"));
	ck_assert(has("block *.c.test"));
	ck_assert(has("block d.test"));
	ck_assert(has("block e.test"));
	ck_assert_int_eq(g.n, 10);
	ck_assert_uint_eq(st.modifiers, 6);
}
END_TEST

START_TEST(adblock_shapes)
{
	ck_assert_int_eq(parse("! x\n||a.test\n||b.test^|\n||203.0.113.7^\n"
			       "||192.0.2.0/24^\n||c.test:8080^\n||ads*.d.test^\n"
			       "-ad-banner.\n_ads_\n/banner/ads\n|https://e.test^\n"
			       "0.0.0.0 f.test\n||g.test^ ! trailing comment\n",
			       LIST_FMT_ADBLOCK, 0), 0);
	ck_assert(has("block a.test"));
	ck_assert(has("block *.b.test"));
	ck_assert(has("block 203.0.113.7/32"));
	ck_assert(has("block 192.0.2.0/24"));
	ck_assert(has("block f.test")); /* a hosts line: exact */
	ck_assert(!has("block *.f.test"));
	ck_assert(has("block *.g.test"));
	ck_assert_int_eq(g.n, 9);
	ck_assert_uint_eq(st.skipped, 6);
	/* Broken ones. */
	ck_assert_int_eq(parse("||^\n", LIST_FMT_ADBLOCK, 0), -EINVAL);
	ck_assert_int_eq(parse("||a..test^\n", LIST_FMT_ADBLOCK, 0), -EINVAL);
	ck_assert_int_eq(parse("||*.203.0.113.7^\n", LIST_FMT_ADBLOCK, 0), -EINVAL);
	ck_assert_int_eq(parse("||a.test^ b\n", LIST_FMT_ADBLOCK, 0), -EINVAL);
}
END_TEST

/* ---- every format holds addresses ---- */

START_TEST(addresses_in_every_format)
{
	ck_assert_int_eq(parse("127.0.0.1\t203.0.113.5 x.test\n", LIST_FMT_HOSTS, 0), 0);
	ck_assert_str_eq(g.v[0], "block 203.0.113.5/32");
	ck_assert_str_eq(g.v[1], "block x.test");
	ck_assert_int_eq(parse("203.0.113.5 CNAME .\n", LIST_FMT_RPZ, 0), 0);
	ck_assert_str_eq(g.v[0], "block 203.0.113.5/32");
	ck_assert_int_eq(parse("2001:db8::/48\n", LIST_FMT_DOMAINS, 0), 0);
	ck_assert_str_eq(g.v[0], "block 2001:db8::/48");
	/* A broken address is not a name. */
	ck_assert_int_eq(parse("10.0.0\n", LIST_FMT_DOMAINS, 0), -EINVAL);
	ck_assert_int_eq(parse("1.2.3.4.5\n", LIST_FMT_DOMAINS, 0), -EINVAL);
	ck_assert_int_eq(parse("*.203.0.113.5\n", LIST_FMT_DOMAINS, 0), -EINVAL);
}
END_TEST

START_TEST(rpz_passthru_ip_trigger_allows)
{
	ck_assert_int_eq(parse("32.7.113.0.203.rpz-ip CNAME rpz-passthru.\n",
			       LIST_FMT_RPZ, 0), 0);
	ck_assert_str_eq(g.v[0], "allow 203.0.113.7/32");
	ck_assert_int_eq(parse("32.7.113.0.203.rpz-ip CNAME rpz-passthru.\nx.test CNAME .\n",
			       LIST_FMT_RPZ, LIST_NO_ALLOW), 0);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(st.allows_ignored, 1);
}
END_TEST

/* ---- policy: the operator's own list stays all or nothing ---- */

START_TEST(policy_own_list_strict_feed_lenient)
{
	struct list_spec own = { .path = "data/lists/coinblocker.txt" };
	struct list_spec feed = own;
	struct list_report rep;
	struct policy p;
	char e[512];

	ck_assert_int_eq(policy_build(&own, 1, &p, &rep, e, sizeof(e)), -EINVAL);
	ck_assert_str_eq(e, "data/lists/coinblocker.txt:6: 'de2.node..aeon-pool.com' "
			    "is neither a domain name nor an IP address or network");
	own.path = "data/lists/bad-line.txt";
	ck_assert_int_eq(policy_build(&own, 1, &p, &rep, e, sizeof(e)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e, "bad-line.txt:3: 'bad..test'"));

	feed.system = true;
	ck_assert_int_eq(policy_build(&feed, 1, &p, &rep, e, sizeof(e)), 0);
	ck_assert_uint_eq(rep.stats.entries, 13);
	ck_assert_uint_eq(rep.stats.invalid, 1);
	ck_assert_uint_eq(rep.stats.first_invalid[0].line, 6);
	ck_assert_uint_eq(match_set_domains(p.black), 13);
	policy_free(&p);

	/* A feed that is not a list is left out, said; the others load. */
	{
		struct list_spec two[2] = { feed, feed };
		struct list_report reps[2];
		two[0].path = "data/lists/ublock-paths-only.txt";
		ck_assert_int_eq(policy_build(two, 2, &p, reps, e, sizeof(e)), 0);
		ck_assert(reps[0].refused);
		ck_assert_ptr_nonnull(strstr(reps[0].error,
					     "ublock-paths-only.txt: no entries in"));
		ck_assert(!reps[1].refused);
		ck_assert_uint_eq(match_set_domains(p.black), 13);
		policy_free(&p);
	}
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

	tc = tcase_create("feeds");
	ADD(tc, fixture_urlhaus_domains_hold_addresses);
	ADD(tc, mixed_list_starting_with_an_address);
	ADD(tc, fixture_adguard_dns_filter);
	ADD(tc, fixture_hagezi_wildcard);
	ADD(tc, wildcard_format_meaning);
	ADD(tc, fixture_stevenblack_hosts_header);
	ADD(tc, fixture_coinblocker_typo);
	ADD(tc, fixture_ublock_urls_and_modifiers);
	ADD(tc, fixture_ublock_paths_only_refused);
	ADD(tc, fixture_urlhaus_rpz);
	ADD(tc, fixture_spamhaus_drop_json);
	ADD(tc, lenient_refuses_too_many_bad_lines);
	ADD(tc, lenient_keeps_first_invalid_lines);
	ADD(tc, lenient_still_refuses_binary);
	ADD(tc, adblock_badfilter_before_and_after);
	ADD(tc, adblock_modifiers);
	ADD(tc, adblock_shapes);
	ADD(tc, addresses_in_every_format);
	ADD(tc, rpz_passthru_ip_trigger_allows);
	ADD(tc, policy_own_list_strict_feed_lenient);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
