// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's fleet statements for scripts/fleet-explain.sh:
 *   fleet_sql print        one "NAME<TAB>SQL" line per list query, the
 *                          very text egressd-console runs (fleet_sql.h);
 *   fleet_sql migrate DSN  brings the database's schema up to date, as
 *                          the console does at start. */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "fleet_sql.h"
#include "pgschema.h"

static void print_list(const char *name, const char *order)
{
	char sql[8192];

	if (!fleet_sql_events_page(sql, sizeof(sql), order))
		printf("%s\t%s\n", name, sql);
}

static int print_all(void)
{
	print_list("events_list", fleet_sql_order(NULL));
	print_list("events_list_by_count", fleet_sql_order("-count"));
	printf("events_count\t%s\n", FLEET_EVENTS_COUNT);
	printf("event_get\t%s\n", FLEET_EVENT_GET);
	printf("overview_counts\t%s\n", FLEET_OVERVIEW_COUNTS);
	printf("overview_days\t%s\n", FLEET_OVERVIEW_DAYS);
	printf("overview_domains\t%s\n", FLEET_OVERVIEW_DOMAINS);
	printf("overview_containers\t%s\n", FLEET_OVERVIEW_CONTAINERS);
	printf("hosts\t%s\n", FLEET_HOSTS);
	printf("whitelist_pending\t%s\n", FLEET_WHITELIST_PENDING);
	return 0;
}

static int migrate(const char *dsn)
{
	char err[512];
	PGconn *db = PQconnectdb(dsn);
	int r = PQstatus(db) == CONNECTION_OK ? pgschema_migrate(db, err, sizeof(err)) : -1;

	if (PQstatus(db) != CONNECTION_OK)
		snprintf(err, sizeof(err), "%s", PQerrorMessage(db));
	if (r)
		fprintf(stderr, "fleet_sql: %s\n", err);
	PQfinish(db);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "print"))
		return print_all();
	if (argc == 3 && !strcmp(argv[1], "migrate"))
		return migrate(argv[2]);
	fprintf(stderr, "usage: fleet_sql print | fleet_sql migrate DSN\n");
	return 2;
}
