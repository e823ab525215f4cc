// SPDX-License-Identifier: GPL-2.0-or-later
#include "policyload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The store's entries as four in-memory lists: custom black and white,
 * domains and networks (the list formats keep them apart). */
int policy_load(const struct config *cfg, struct store *st, struct policy *ret,
		char *err, size_t errlen)
{
	struct list_spec specs[CONFIG_LISTS_MAX + 4];
	char *text[4] = { 0 };
	size_t n = cfg->nlists;
	int r = 0;

	memcpy(specs, cfg->lists, n * sizeof(specs[0]));
	if (st && (store_list_text(st, "black", &text[0], &text[1]) ||
		   store_list_text(st, "white", &text[2], &text[3]))) {
		snprintf(err, errlen, "cannot read the list entries from the store");
		r = -EIO;
		goto out;
	}
	for (int i = 0; st && i < 4; i++)
		specs[n++] = (struct list_spec){
			.path = "custom",
			.text = text[i],
			.format = i % 2 ? LIST_FMT_CIDR : LIST_FMT_DOMAINS,
			.white = i >= 2,
			.category = "custom",
		};
	r = policy_build(specs, n, ret, NULL, err, errlen);
out:
	for (int i = 0; i < 4; i++)
		free(text[i]);
	return r;
}
