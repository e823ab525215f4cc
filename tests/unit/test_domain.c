// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/domain.h"
#include "util.h"

START_TEST(lower_case_and_trailing_dot)
{
	char out[DOMAIN_TEXT_MAX + 1];

	ck_assert_int_eq(domain_normalize("WWW.Example.COM.", 16, out), 15);
	ck_assert_str_eq(out, "www.example.com");
	ck_assert_int_eq(domain_normalize("xn--bcher-kva.example", 21, out), 21);
	ck_assert_str_eq(out, "xn--bcher-kva.example");
	ck_assert_int_eq(domain_normalize("_dmarc.example", 14, out), 14);
}
END_TEST

START_TEST(invalid_names_refused)
{
	char out[DOMAIN_TEXT_MAX + 1], big[300];
	const char *bad[] = { "", ".", "a..b", ".a", "a b", "a/b", "b\xc3\xbc.de",
			      "*.x", "a.b.." };

	for (size_t i = 0; i < NELEM(bad); i++)
		ck_assert_int_eq(domain_normalize(bad[i], strlen(bad[i]), out),
				 -EINVAL);
	memset(big, 'a', 64);
	memcpy(big + 64, ".test", 6);
	ck_assert_int_eq(domain_normalize(big, strlen(big), out), -EINVAL);
	for (int i = 0; i < 255; i++)
		big[i] = i % 2 ? '.' : 'a';
	big[255] = 0; /* "a.a. ... .a": 255 chars */
	ck_assert_int_eq(domain_normalize(big, 255, out), -EINVAL);
	/* 253 chars and a trailing dot: the longest legal name */
	big[255] = '.';
	big[256] = 0;
	ck_assert_int_eq(domain_normalize(big + 2, 254, out), 253);
}
END_TEST

START_TEST(validity_and_labels)
{
	ck_assert(domain_is_valid("a.b.c"));
	ck_assert(!domain_is_valid("A.b.c"));
	ck_assert(!domain_is_valid("a.b.c."));
	ck_assert_uint_eq(domain_labels("a.b.c"), 3);
	ck_assert_uint_eq(domain_labels("."), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("domain");
	TCase *tc = tcase_create("core");
	ADD(tc, lower_case_and_trailing_dot);
	ADD(tc, invalid_names_refused);
	ADD(tc, validity_and_labels);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
