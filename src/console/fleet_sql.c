// SPDX-License-Identifier: GPL-2.0-or-later
/* The event list's orders (fleet_sql.h): fixed texts, picked by name;
 * the page's statement put together. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fleet_sql.h"

const char *fleet_sql_order(const char *sort)
{
	static const struct {
		const char *name, *desc, *asc;
	} o[] = {
		{ "last_seen", FLEET_EVENTS_ORDER_DEFAULT,
		  " ORDER BY e.last_seen ASC, e.id ASC" },
		{ "first_seen", " ORDER BY e.first_seen DESC, e.id DESC",
		  " ORDER BY e.first_seen ASC, e.id ASC" },
		{ "count", " ORDER BY e.count DESC, e.id DESC",
		  " ORDER BY e.count ASC, e.id ASC" },
		{ "domain", " ORDER BY e.subject DESC, e.id DESC",
		  " ORDER BY e.subject ASC, e.id ASC" },
		{ "container", " ORDER BY e.container_name DESC, e.id DESC",
		  " ORDER BY e.container_name ASC, e.id ASC" },
	};

	if (!sort)
		return FLEET_EVENTS_ORDER_DEFAULT;
	/* "-name": descending; "name": ascending, as egressd's sort */
	bool ascending = *sort != '-';

	sort += !ascending;
	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		if (!strcmp(sort, o[i].name))
			return ascending ? o[i].asc : o[i].desc;
	return NULL;
}

int fleet_sql_events_page(char *buf, size_t len, const char *order)
{
	int n = snprintf(buf, len, "%s%s%s%s", FLEET_EVENTS_LIST_HEAD, order,
			 FLEET_EVENTS_LIST_MID, order);

	return n > 0 && (size_t)n < len ? 0 : -1;
}
