/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <check.h>
#include <errno.h>
#include <stdlib.h>

/* Every test file defines its suite with this and gets a main. */
#define TEST_MAIN(suite_fn)                                                  \
	int main(void)                                                       \
	{                                                                    \
		SRunner *sr = srunner_create(suite_fn());                    \
		srunner_run_all(sr, CK_NORMAL);                              \
		int failed = srunner_ntests_failed(sr);                      \
		srunner_free(sr);                                            \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                 \
	}

#define ADD(tc, fn) tcase_add_test(tc, fn)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
