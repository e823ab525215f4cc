// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/addr.h"
#include "util.h"

START_TEST(parses_and_formats_both_families)
{
	struct ip_addr a;
	char t[IP_ADDR_TEXT];

	ck_assert_int_eq(ip_addr_parse("203.0.113.80", &a), 0);
	ck_assert_int_eq(a.family, AF_INET);
	ip_port_format(&a, 443, t, sizeof(t));
	ck_assert_str_eq(t, "203.0.113.80:443");
	ck_assert_int_eq(ip_addr_parse("2001:DB8::80", &a), 0);
	ip_port_format(&a, 80, t, sizeof(t));
	ck_assert_str_eq(t, "[2001:db8::80]:80");
	ck_assert_int_eq(ip_addr_parse("203.0.113", &a), -EINVAL);
	ck_assert_int_eq(ip_addr_parse("", &a), -EINVAL);
}
END_TEST

START_TEST(cidr_refuses_host_bits_and_bad_lengths)
{
	struct ip_addr a;
	unsigned plen;

	ck_assert_int_eq(ip_cidr_parse("198.18.0.0/15", &a, &plen), 0);
	ck_assert_uint_eq(plen, 15);
	ck_assert_int_eq(ip_cidr_parse("198.19.0.0/15", &a, &plen), -EINVAL);
	ck_assert_int_eq(ip_cidr_parse("192.0.2.1", &a, &plen), 0);
	ck_assert_uint_eq(plen, 32);
	ck_assert_int_eq(ip_cidr_parse("192.0.2.0/33", &a, &plen), -EINVAL);
	ck_assert_int_eq(ip_cidr_parse("192.0.2.0/", &a, &plen), -EINVAL);
	ck_assert_int_eq(ip_cidr_parse("192.0.2.0/-1", &a, &plen), -EINVAL);
	ck_assert_int_eq(ip_cidr_parse("2001:db8::/32", &a, &plen), 0);
	ck_assert_int_eq(ip_cidr_parse("2001:db8::/129", &a, &plen), -EINVAL);
	ck_assert_int_eq(ip_cidr_parse("0.0.0.0/0", &a, &plen), 0);
	ck_assert_uint_eq(plen, 0);
}
END_TEST

START_TEST(mask_clears_host_bits)
{
	struct ip_addr a, b;

	ip_addr_parse("203.0.113.255", &a);
	ip_addr_mask(&a, 25);
	ip_addr_parse("203.0.113.128", &b);
	ck_assert(ip_addr_equal(&a, &b));
	ip_addr_parse("2001:db8:ffff::1", &a);
	ip_addr_mask(&a, 36);
	ip_addr_parse("2001:db8:f000::", &b);
	ck_assert(ip_addr_equal(&a, &b));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");
	ADD(tc, parses_and_formats_both_families);
	ADD(tc, cidr_refuses_host_bits_and_bad_lengths);
	ADD(tc, mask_clears_host_bits);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
