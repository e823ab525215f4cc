/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builds a policy (white and black sets) from list files. This is an edge
 * module: it reads files. All or nothing: one bad line in any file and
 * nothing is built. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "egressd/decide.h"
#include "egressd/listfile.h"

struct list_spec {
	const char *path; /* the file, or the source's name when text is set */
	const char *text; /* in-memory list (the store's entries), or NULL */
	enum list_format format; /* LIST_FMT_AUTO detects */
	bool white; /* a whitelist file: every entry allows */
	bool system; /* shipped or imported threat intel */
	const char *category; /* NULL: the file's "# egressd-category:" or
				 "custom" */
	unsigned flags; /* LIST_STRIP_BOGONS... */
};

struct list_report {
	char path[256];
	char category[64];
	struct list_stats stats;
};

/* Builds *ret from the files. On error returns a negative errno and writes
 * "FILE:LINE: what" to err; *ret is untouched. reports (may be NULL) gets
 * one entry per spec. */
int policy_build(const struct list_spec *specs, size_t n, struct policy *ret,
		 struct list_report *reports, char *err, size_t errlen);
void policy_free(struct policy *p);
