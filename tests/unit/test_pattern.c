// SPDX-License-Identifier: GPL-2.0-or-later
/* List patterns: the check before storing one (egressd's lists and the
 * console's central entries), coverage of a subject, a category's
 * advice. */
#include <string.h>

#include "egressd/pattern.h"
#include "util.h"

START_TEST(check)
{
	char n[300], why[200];

	ck_assert_int_eq(pattern_check("Example.COM.", false, n, sizeof(n), why,
				       sizeof(why)), 0);
	ck_assert_str_eq(n, "example.com");
	ck_assert_int_eq(pattern_check("*.Pool.Test", false, n, sizeof(n), why,
				       sizeof(why)), 0);
	ck_assert_str_eq(n, "*.pool.test");
	ck_assert_int_eq(pattern_check("192.0.2.0/24", false, n, sizeof(n), why,
				       sizeof(why)), 0);
	ck_assert_str_eq(n, "192.0.2.0/24");
	/* too wide without force */
	ck_assert_int_eq(pattern_check("*.com", false, n, sizeof(n), why,
				       sizeof(why)), -EPERM);
	ck_assert(strstr(why, "top-level"));
	ck_assert_int_eq(pattern_check("*.com", true, n, sizeof(n), why,
				       sizeof(why)), 0);
	ck_assert_int_eq(pattern_check("0.0.0.0/4", false, n, sizeof(n), why,
				       sizeof(why)), -EPERM);
	ck_assert_int_eq(pattern_check("2000::/12", false, n, sizeof(n),
				       why, sizeof(why)), -EPERM);
	/* not a pattern at all */
	ck_assert_int_eq(pattern_check("not a pattern!", false, n, sizeof(n),
				       why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(pattern_check("10.0.0", false, n, sizeof(n), why,
				       sizeof(why)), -EINVAL);
	ck_assert_int_eq(pattern_check("", false, n, sizeof(n), why,
				       sizeof(why)), -EINVAL);
}
END_TEST

START_TEST(covers)
{
	ck_assert(pattern_covers("x.pool.test", "x.pool.test"));
	ck_assert(pattern_covers("*.pool.test", "x.pool.test"));
	ck_assert(pattern_covers("*.pool.test", "a.b.pool.test"));
	ck_assert(!pattern_covers("*.pool.test", "pool.test"));
	ck_assert(!pattern_covers("*.pool.test", "xpool.test"));
	ck_assert(pattern_covers("192.0.2.0/24", "192.0.2.77"));
	ck_assert(!pattern_covers("192.0.2.0/24", "192.0.3.1"));
	ck_assert(!pattern_covers("192.0.2.0/24", "2001:db8::1"));
	ck_assert(pattern_covers("2001:db8::/32", "2001:db8::1"));
}
END_TEST

START_TEST(advice)
{
	const char *risk, *remedy, *r2, *m2;

	pattern_advice("c2", &risk, &remedy);
	ck_assert(strstr(risk, "command-and-control"));
	pattern_advice("no-such-category", &r2, &m2);
	ck_assert(strstr(r2, "blacklist") && r2 != risk);
	pattern_advice(NULL, &risk, &remedy);
	ck_assert_ptr_eq(risk, r2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pattern");
	TCase *tc = tcase_create("all");

	ADD(tc, check);
	ADD(tc, covers);
	ADD(tc, advice);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(suite)
