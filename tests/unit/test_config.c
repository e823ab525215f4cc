// SPDX-License-Identifier: GPL-2.0-or-later
/* config: a setting it cannot mean is refused, never wrapped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Marks a verdict cannot be told apart by are refused, with what is
 * wrong; the defaults pass. */
START_TEST(marks_must_be_distinct_bits_inside_the_mask)
{
	static const struct {
		uint32_t mask, allow, block, in;
		const char *why; /* NULL: accepted */
	} cases[] = {
		{ 0x00e00000, 0x00200000, 0x00400000, 0x00800000, NULL },
		{ 0x000000ff, 0x00000003, 0x0000000c, 0x00000010, NULL },
		{ 0, 0x00200000, 0x00400000, 0x00800000, "mark_mask is 0" },
		{ 0x00e00000, 0, 0x00400000, 0x00800000, "mark_allow = 0x00000000 must be non-zero" },
		{ 0x00e00000, 0x00200000, 0, 0x00800000, "mark_block = 0x00000000 must be non-zero" },
		{ 0x00e00000, 0x00200000, 0x00200000, 0x00800000, "share bits" },
		{ 0x00e00000, 0x00600000, 0x00400000, 0x00800000, "share bits" },
		{ 0x00e00000, 0x00200000, 0x00400000, 0x00400000, "mark_block = 0x00400000 and mark_in = 0x00400000 share bits" },
		{ 0x00e00000, 0x00200000, 0x00400000, 0, "mark_in = 0x00000000 must be non-zero" },
		{ 0x00600000, 0x00800000, 0x00400000, 0x00200000, "mark_allow = 0x00800000 must be non-zero and inside mark_mask" },
		{ 0x00600000, 0x00200000, 0x00c00000, 0x00400000, "mark_block = 0x00c00000 must be non-zero and inside mark_mask" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nft_marks m = { cases[i].mask, cases[i].allow, cases[i].block,
					cases[i].in };
		int r;
		err[0] = 0;
		r = config_check_marks(&m, err, sizeof(err));
		if (!cases[i].why) {
			ck_assert_msg(r == 0, "case %zu refused: %s", i, err);
			continue;
		}
		ck_assert_msg(r == -EINVAL && strstr(err, cases[i].why),
			      "case %zu: %d '%s', want '%s'", i, r, err,
			      cases[i].why);
	}
}
END_TEST

/* config_load checks the marks once the file is read: check-config and
 * run refuse a file whose marks collide. */
START_TEST(a_file_with_colliding_marks_is_refused)
{
	static struct config c;
	char path[] = "/tmp/egressd-test-config-XXXXXX", err[512] = "";
	int fd = mkstemp(path);
	static const char text[] = "mark_mask = 0x00600000\n"
				   "mark_allow = 0x00400000\n"
				   "mark_block = 0x00400000\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	config_defaults(&c);
	ck_assert_int_eq(config_load(&c, path, true, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, path) && strstr(err, "share bits"), "%s", err);
	unlink(path);
}
END_TEST

/* host_processes: ignore by default, watch or ignore, nothing else. */
START_TEST(host_processes_ignore_or_watch)
{
	static struct config c;
	char err[256];

	config_defaults(&c);
	ck_assert(!c.host_watch);
	ck_assert_int_eq(config_set(&c, "host_processes", "watch", err,
				    sizeof(err)), 0);
	ck_assert(c.host_watch);
	ck_assert_int_eq(config_set(&c, "host_processes", "yes", err,
				    sizeof(err)), -EINVAL);
	ck_assert(c.host_watch);
	ck_assert_int_eq(config_set(&c, "host_processes", "ignore", err,
				    sizeof(err)), 0);
	ck_assert(!c.host_watch);
}
END_TEST

/* The fleet's keys: a DSN that does not parse is refused with file and
 * line and never echoed (it may hold a password); empty is one host. */
START_TEST(fleet_keys_are_checked)
{
	static struct config c;
	char path[] = "/tmp/egressd-test-config-XXXXXX", err[512] = "";
	int fd = mkstemp(path);
	static const char text[] = "mode = block\n"
				   "fleet_dsn = host=db password='s3cret\n";

	config_defaults(&c);
	ck_assert_str_eq(c.fleet_dsn, "");
	ck_assert_int_eq(config_set(&c, "fleet_dsn",
				    "postgresql://u:pw@db.example/egressd",
				    err, sizeof(err)), 0);
	ck_assert_str_eq(c.fleet_dsn, "postgresql://u:pw@db.example/egressd");
	ck_assert_int_eq(config_set(&c, "fleet_dsn", "", err, sizeof(err)), 0);
	ck_assert_str_eq(c.fleet_dsn, "");
	ck_assert_int_eq(config_set(&c, "fleet_host_id", "host-a.1", err,
				    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&c, "fleet_host_id", "-a", err,
				    sizeof(err)), -EINVAL);
	ck_assert_int_eq(config_set(&c, "fleet_host_id", "a/b", err,
				    sizeof(err)), -EINVAL);
	ck_assert_str_eq(c.fleet_host_id, "host-a.1");
	ck_assert_int_eq(config_set(&c, "fleet_outer_addr",
				    "192.0.2.7, 2001:db8::7", err, sizeof(err)),
			 0);
	ck_assert_int_eq(config_set(&c, "fleet_outer_addr", "example.com",
				    err, sizeof(err)), -EINVAL);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	config_defaults(&c);
	ck_assert_int_eq(config_load(&c, path, true, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, path) && strstr(err, ":2:") &&
			      strstr(err, "fleet_dsn") && !strstr(err, "s3cret"),
		      "%s", err);
	unlink(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("settings");
	ADD(tc, a_queue_range_that_does_not_fit_is_refused);
	ADD(tc, marks_must_be_distinct_bits_inside_the_mask);
	ADD(tc, a_file_with_colliding_marks_is_refused);
	ADD(tc, host_processes_ignore_or_watch);
	ADD(tc, fleet_keys_are_checked);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
