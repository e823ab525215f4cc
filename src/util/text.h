/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small text helpers for settings and line-based input. */
#pragma once

/* s without leading and trailing white space (the end is cut in place). */
char *text_trim(char *s);
