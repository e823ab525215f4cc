// SPDX-License-Identifier: GPL-2.0-or-later
/* A list file in every format; accepted entries go into a set that is then
 * built and queried. */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "egressd/listfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int add(const struct list_entry *e, void *ctx)
{
	struct match_set *s = ctx;

	if (e->type == LIST_DOMAIN)
		return match_set_add_domain(s, 0, e->name, e->kind) == -ENOMEM
			       ? -ENOMEM
			       : 0;
	return match_set_add_cidr(s, 0, &e->net, e->plen) == -ENOMEM ? -ENOMEM
								     : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct list_stats st;
	struct list_error err;
	char out[64];

	list_header_value((const char *)data, size, "category", out,
			  sizeof(out));
	for (int f = LIST_FMT_AUTO; f <= LIST_FMT_CIDR; f++) {
		struct match_set *s = match_set_new();
		if (!s)
			return 0;
		match_set_add_source(s, "fuzz", "custom", false);
		if (!list_parse((const char *)data, size, (enum list_format)f,
				LIST_STRIP_BOGONS, add, s, &st, &err) &&
		    match_set_finish(s) >= 0) {
			struct ip_addr a = { .family = AF_INET };
			match_domain(s, "a.b.example.com", 15, NULL);
			match_ip(s, &a, NULL);
		}
		match_set_free(s);
	}
	return 0;
}
