/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builds a policy (white and black sets) from list files. This is an edge
 * module: it reads files. All or nothing: a file refused and nothing is
 * built. The operator's own files are strict (one bad line refuses the
 * file, with file:line); third-party feeds (system true, or LIST_LENIENT
 * in flags) are lenient: bad lines are skipped and counted in the report,
 * and a feed is refused only when it is not a list (see listfile.h). */
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
	bool system; /* shipped or imported threat intel: read leniently */
	const char *category; /* NULL: the file's "# egressd-category:" or
				 "custom" */
	unsigned flags; /* LIST_STRIP_BOGONS, LIST_LENIENT (LIST_NO_ALLOW is
			   added for blacklists) */
};

struct list_report {
	char path[256];
	char category[64];
	/* Counts, and the first invalid lines a lenient parse skipped
	 * (stats.first_invalid); filled for a refused file too. */
	struct list_stats stats;
	/* A third-party feed (spec->system) that is not a list: left out,
	 * the others load; error says why. */
	bool refused;
	char error[300];
};

/* Builds *ret from the files. On error returns a negative errno and writes
 * "FILE:LINE: what" (or "FILE: what" for a file refused as a whole) to
 * err; *ret is untouched. reports (may be NULL) gets one entry per spec,
 * up to and including the refused one. */
int policy_build(const struct list_spec *specs, size_t n, struct policy *ret,
		 struct list_report *reports, char *err, size_t errlen);
/* (policy_build: a third-party feed, spec->system, refused whole, i.e.
 * unreadable, not a list, too many bad lines, is left out with its report
 * saying why, and the rest loads: one broken download must not take every
 * list down. The operator's own files stay all or nothing.) */
void policy_free(struct policy *p);
