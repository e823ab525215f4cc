/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Domain name text normalisation. Pure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "egressd/limits.h"

/* Normalises a host name from a list, an SNI or a Host header: ASCII lower
 * case, one trailing dot removed, labels of 1..63 characters from
 * [a-z0-9_-] (IDNs stay in their xn-- form; raw UTF-8 is refused), at most
 * 253 characters. out holds DOMAIN_TEXT_MAX + 1 bytes and may be in.
 * Returns the length, or -EINVAL. */
int domain_normalize(const char *in, size_t len, char *out);

/* True if name is a syntactically valid normalised name. */
bool domain_is_valid(const char *name);

/* Counts labels; "" and "." have none. */
unsigned domain_labels(const char *name);
