// SPDX-License-Identifier: GPL-2.0-or-later
/* config: a setting it cannot mean is refused, never wrapped. */
#include <errno.h>

#include "config.h"
#include "util.h"

START_TEST(a_queue_range_that_does_not_fit_is_refused)
{
	static struct config c;
	char err[256];

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "queue", "4-7", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.queue_first, 4);
	ck_assert_uint_eq(c.queue_count, 4);
	/* 65,536 queues in a 16-bit count was 0: egressd run then probed a
	 * queue it never opened (a NULL pointer, SIGSEGV at start). */
	ck_assert_int_eq(config_set(&c, "queue", "0-65535", err, sizeof(err)),
			 -EINVAL);
	ck_assert_uint_eq(c.queue_count, 4);
	ck_assert_int_eq(config_set(&c, "queue", "1-65535", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.queue_count, 65535);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("settings");
	ADD(tc, a_queue_range_that_does_not_fit_is_refused);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
