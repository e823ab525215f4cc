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
	ck_assert_int_eq(reasm_add(&r, 5, false, (const uint8_t *)"zz", 2), -EAGAIN);
	/* overlaps 1 old byte: "cX" -> only X is new, the first copy wins */
	ck_assert_int_eq(reasm_add(&r, 1, false, (const uint8_t *)"Qde", 3), 0);
	ck_assert_uint_eq(r.len, 5);
	ck_assert(!memcmp(r.buf, "abcde", 5));
	reasm_consume(&r, 2);
	ck_assert(!memcmp(r.buf, "cde", 3));
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
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
