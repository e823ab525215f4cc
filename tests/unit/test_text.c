// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

START_TEST(utf8_valid)
{
	static const char *const good[] = {
		"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xef\xbf\xbd", "\xf4\x8f\xbf\xbf",
	};
	static const char *const bad[] = {
		"\xff", "a\x80", "\xc0\xaf",		   /* overlong '/' */
		"\xe0\x80\xaf", "\xed\xa0\x80",		   /* surrogate */
		"\xf4\x90\x80\x80",			   /* > U+10FFFF */
		"\xc3", "\xe2\x82", "\xf0\x9f\x98", "x\xc3(",
	};

	for (size_t i = 0; i < NELEM(good); i++)
		ck_assert_msg(text_utf8_valid(good[i]), "good %zu", i);
	for (size_t i = 0; i < NELEM(bad); i++)
		ck_assert_msg(!text_utf8_valid(bad[i]), "bad %zu", i);
}
END_TEST

START_TEST(utf8_clean)
{
	char *c = text_utf8_clean("/tmp/x\xff" "y\xc3\xa9" "\xe2\x82");

	ck_assert_str_eq(c, "/tmp/x\xef\xbf\xbdy\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert(text_utf8_valid(c));
	free(c);
	c = text_utf8_clean("caf\xc3\xa9");
	ck_assert_str_eq(c, "caf\xc3\xa9");
	free(c);
	/* Any bytes at all come out valid. */
	for (int seed = 1; seed <= 2000; seed++) {
		char in[24];
		srand((unsigned)seed);
		for (size_t i = 0; i + 1 < sizeof(in); i++)
			in[i] = (char)(rand() % 255 + 1);
		in[sizeof(in) - 1] = 0;
		c = text_utf8_clean(in);
		ck_assert(text_utf8_valid(c));
		if (text_utf8_valid(in))
			ck_assert_str_eq(c, in);
		free(c);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");
	ADD(tc, utf8_valid);
	ADD(tc, utf8_clean);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
