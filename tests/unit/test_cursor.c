// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/cursor.h"
#include "util.h"

START_TEST(reads_big_endian_and_stops_at_end)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	struct cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	cursor_init(&c, b, sizeof(b));
	ck_assert_int_eq(cursor_u8(&c, &u8), 0);
	ck_assert_uint_eq(u8, 1);
	ck_assert_int_eq(cursor_u16(&c, &u16), 0);
	ck_assert_uint_eq(u16, 0x0203);
	ck_assert_int_eq(cursor_u32(&c, &u32), 0);
	ck_assert_uint_eq(u32, 0x04050607);
	ck_assert_int_eq(cursor_u8(&c, &u8), -EMSGSIZE);
	ck_assert_uint_eq(u8, 1); /* untouched on failure */
}
END_TEST

START_TEST(sub_cursor_cannot_leave_its_block)
{
	/* len=2 | 0xaa 0xbb | 0xcc */
	static const uint8_t b[] = { 0x00, 0x02, 0xaa, 0xbb, 0xcc };
	struct cursor c, s;
	uint16_t v;
	uint8_t x;

	cursor_init(&c, b, sizeof(b));
	ck_assert_int_eq(cursor_sub16(&c, &s), 0);
	ck_assert_int_eq(cursor_u16(&s, &v), 0);
	ck_assert_uint_eq(v, 0xaabb);
	ck_assert_int_eq(cursor_u8(&s, &x), -EMSGSIZE);
	ck_assert_int_eq(cursor_u8(&c, &x), 0);
	ck_assert_uint_eq(x, 0xcc);
}
END_TEST

START_TEST(sub_cursor_longer_than_data_fails_and_rewinds)
{
	static const uint8_t b[] = { 0x00, 0x09, 0xaa };
	struct cursor c, s;

	cursor_init(&c, b, sizeof(b));
	ck_assert_int_eq(cursor_sub16(&c, &s), -EMSGSIZE);
	ck_assert_uint_eq(c.pos, 0);
	ck_assert_int_eq(cursor_sub8(&c, &s), 0); /* len 0: empty block */
	ck_assert_uint_eq(cursor_left(&s), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cursor");
	TCase *tc = tcase_create("core");
	ADD(tc, reads_big_endian_and_stops_at_end);
	ADD(tc, sub_cursor_cannot_leave_its_block);
	ADD(tc, sub_cursor_longer_than_data_fails_and_rewinds);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
