// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/limits.h"
#include "egressd/reasm.h"
#include "util.h"

START_TEST(in_order_retransmit_and_gap)
{
	struct reasm r = { 0 };

	reasm_add(&r, 0xfffffffe, true, NULL, 0); /* ISN wraps */
	ck_assert_int_eq(reasm_add(&r, 0xffffffff, false, (const uint8_t *)"abc", 3), 0);
	ck_assert_int_eq(reasm_add(&r, 0xffffffff, false, (const uint8_t *)"XYZ", 3), 0);
	/* past a gap: held, not in order yet */
	ck_assert_int_eq(reasm_add(&r, 5, false, (const uint8_t *)"zz", 2), 0);
	ck_assert_uint_eq(r.len, 3);
	ck_assert(reasm_has_gap(&r));
	/* overlaps 1 old byte: "cX" -> only X is new, the first copy wins */
	ck_assert_int_eq(reasm_add(&r, 1, false, (const uint8_t *)"Qde", 3), 0);
	ck_assert_uint_eq(r.len, 5);
	ck_assert(reasm_has_gap(&r));
	ck_assert_int_eq(reasm_add(&r, 4, false, (const uint8_t *)"y", 1), 0);
	ck_assert_uint_eq(r.len, 8);
	ck_assert(!reasm_has_gap(&r));
	ck_assert(!memcmp(r.buf, "abcdeyzz", 8));
	reasm_consume(&r, 2);
	ck_assert(!memcmp(r.buf, "cdeyzz", 6));
	reasm_free(&r);
}
END_TEST

/* A hello sent last segment first: read whole, in order. */
START_TEST(reversed_segments_with_a_known_start)
{
	struct reasm r = { 0 };

	reasm_start(&r, 1001);
	ck_assert_int_eq(reasm_add(&r, 1007, false, (const uint8_t *)"world", 5), 0);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_eq(reasm_add(&r, 1004, false, (const uint8_t *)"lo ", 3), 0);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_eq(reasm_add(&r, 1001, false, (const uint8_t *)"hel", 3), 0);
	ck_assert_uint_eq(r.len, 11);
	ck_assert(!memcmp(r.buf, "hello world", 11));
	reasm_free(&r);
}
END_TEST

/* A stale byte before the start cannot become the stream's first. */
START_TEST(a_stale_byte_before_a_known_start_is_ignored)
{
	struct reasm r = { 0 };

	reasm_start(&r, 1001);
	ck_assert_int_eq(reasm_add(&r, 1000, false, (const uint8_t *)"X", 1), 0);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_eq(reasm_add(&r, 1001, false, (const uint8_t *)"GET", 3), 0);
	ck_assert(!memcmp(r.buf, "GET", 3));
	reasm_free(&r);
}
END_TEST

/* Without the SYN, an earlier segment moves the start back. */
START_TEST(an_unknown_start_moves_back)
{
	struct reasm r = { 0 };

	ck_assert_int_eq(reasm_add(&r, 2004, false, (const uint8_t *)"def", 3), 0);
	ck_assert_uint_eq(r.len, 3);
	ck_assert_int_eq(reasm_add(&r, 2000, false, (const uint8_t *)"ab", 2), 0);
	ck_assert_uint_eq(r.len, 2);
	ck_assert(reasm_has_gap(&r));
	ck_assert_int_eq(reasm_add(&r, 2002, false, (const uint8_t *)"cZ", 2), 0);
	ck_assert_uint_eq(r.len, 7);
	ck_assert(!memcmp(r.buf, "abcZdef", 7));
	reasm_free(&r);
}
END_TEST

/* Gaps are bounded. */
START_TEST(too_many_gaps)
{
	struct reasm r = { 0 };
	int e = 0;

	reasm_start(&r, 0);
	for (uint32_t i = 0; i <= REASM_RANGES && !e; i++)
		e = reasm_add(&r, 10 + i * 10, false, (const uint8_t *)"x", 1);
	ck_assert_int_eq(e, -ENOSPC);
	reasm_free(&r);
}
END_TEST

START_TEST(bounded)
{
	struct reasm r = { 0 };
	static uint8_t chunk[4096];
	uint32_t seq = 1;
	int e = 0;

	for (int i = 0; i < 10 && e == 0; i++, seq += sizeof(chunk))
		e = reasm_add(&r, seq, false, chunk, sizeof(chunk));
	ck_assert_int_eq(e, -E2BIG);
	ck_assert_uint_eq(r.len, REASM_MAX);
	reasm_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reasm");
	TCase *tc = tcase_create("core");
	ADD(tc, in_order_retransmit_and_gap);
	ADD(tc, bounded);
	ADD(tc, reversed_segments_with_a_known_start);
	ADD(tc, a_stale_byte_before_a_known_start_is_ignored);
	ADD(tc, an_unknown_start_moves_back);
	ADD(tc, too_many_gaps);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
