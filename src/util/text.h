/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small text helpers for settings and line-based input. */
#pragma once
#include <stdbool.h>

/* s without leading and trailing white space (the end is cut in place). */
char *text_trim(char *s);
/* Whether s is valid UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
bool text_utf8_valid(const char *s);
/* A copy of s (malloc) where each byte that does not start or continue a
 * valid sequence is U+FFFD; NULL without memory. */
char *text_utf8_clean(const char *s);
