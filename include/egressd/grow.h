/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growing array: capacity doubled (from 16) until it holds need. */
#pragma once
#include <errno.h>
#include <stdlib.h>

/* Makes *p hold at least need elements of elem bytes; *cap is updated.
 * Returns 0 or -ENOMEM (*p unchanged). */
static inline int array_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = reallocarray(*p, n, elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}
