/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Secrets (session tokens, password hashes) compared in a time that does
 * not depend on where they first differ. */
#pragma once
#include <stdbool.h>
#include <string.h>

static inline bool str_equal_ct(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	unsigned char d = na != nb;

	for (size_t i = 0; i < na && i < nb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}
