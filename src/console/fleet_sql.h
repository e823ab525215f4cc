/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The console's queries on the fleet's database (src/fleet/pgschema.h),
 * in one place so that scripts/fleet-explain.sh runs the very text the
 * console runs (tests/fleet_sql prints them). Parameters only: no text
 * from a request is ever put into a statement; the one choice made in C
 * is the ORDER BY, picked from fixed texts (fleet_sql_order).
 *
 * The event list's filter, parameters $1..$11:
 *   $1 from, $2 to (last_seen, Unix seconds),
 *   $3 first day, $4 last day (YYYY-MM-DD: the days of from and to, one
 *      more each way, since a host's day is its local one): they let the
 *      planner skip whole day partitions,
 *   $5 status, $6 container (name, or an id prefix), $7 domain (the name
 *   or a parent), $8 image (name or prefix), $9 host (host_id); '' is
 *   "any". Prefix and suffix tests by ^@ (starts with), left() and
 *   right(), not LIKE: a '%' or '_' that the operator typed must not
 *   widen the match. The container's and the domain's are written as
 *   schema step 2's indexes serve them (COLLATE "C", reverse()).
 *   $10 limit, $11 offset (the list only). */
#pragma once
#include <stddef.h>

#define FLEET_EVENT_WHERE                                                  \
	" WHERE e.last_seen >= $1::bigint AND e.last_seen <= $2::bigint"   \
	" AND e.day >= $3::date AND e.day <= $4::date"                     \
	" AND ($5::text = '' OR e.status = $5::text)"                      \
	" AND ($6::text = '' OR e.container_name = $6::text"               \
	"      OR (e.container_id COLLATE \"C\") ^@ $6::text)"              \
	" AND ($7::text = '' OR e.subject = $7::text"                      \
	"      OR (reverse(e.subject) COLLATE \"C\")"                        \
	"         ^@ reverse('.' || $7::text))"                             \
	" AND ($8::text = '' OR e.image = $8::text"                        \
	"      OR left(e.image, length($8::text)) = $8::text)"             \
	" AND ($9::text = '' OR e.host_id = $9::text)"

/* An event as the console's API shows it: egressd's own event (ctl_json.c)
 * and its host (hosts: name, addresses). */
#define FLEET_EVENT_JSON                                                   \
	"json_build_object('id', e.id, 'type', e.type, 'subject', e.subject," \
	" 'container_id', e.container_id,"                                 \
	" 'container_name', e.container_name, 'image', e.image,"           \
	" 'host', e.host, 'process_path', e.process_path,"                 \
	" 'process_user', e.process_user,"                                 \
	" 'day', to_char(e.day, 'YYYY-MM-DD'), 'first_seen', e.first_seen," \
	" 'last_seen', e.last_seen, 'count', e.count, 'status', e.status,"  \
	" 'action', e.action, 'rule_list', e.rule_list,"                   \
	" 'rule_source', e.rule_source, 'rule_pattern', e.rule_pattern,"   \
	" 'rule_category', e.rule_category, 'host_id', e.host_id,"         \
	" 'local_id', e.local_id,"                                         \
	" 'host_name', coalesce(nullif(h.name, ''), e.host),"              \
	" 'host_inner', coalesce(h.inner_addrs, '{}'),"                    \
	" 'host_outer', coalesce(h.outer_addrs, '{}'))"

/* A page of events (fleet_sql_events_page puts it together): the page's
 * rows first, then the JSON and the host of those only: built before
 * the sort, the JSON of every row of a week sorted by count took 2.5 s
 * on 1M events. HEAD, an ORDER BY, MID, the same ORDER BY. */
#define FLEET_EVENTS_LIST_HEAD                                             \
	"SELECT " FLEET_EVENT_JSON " FROM (SELECT e.* FROM events e"        \
	FLEET_EVENT_WHERE
#define FLEET_EVENTS_LIST_MID                                              \
	" LIMIT $10::bigint OFFSET $11::bigint) e"                           \
	" LEFT JOIN hosts h ON h.host_id = e.host_id"
#define FLEET_EVENTS_ORDER_DEFAULT " ORDER BY e.last_seen DESC, e.id DESC"

/* The number of events under the filter ($1..$9). */
#define FLEET_EVENTS_COUNT "SELECT count(*) FROM events e" FLEET_EVENT_WHERE

/* One event by its central id, with its detail (text, JSON inside) and
 * what the host last said of its container. */
#define FLEET_EVENT_GET                                                    \
	"SELECT " FLEET_EVENT_JSON ", e.detail,"                             \
	" CASE WHEN c.container_id IS NULL THEN 'gone'"                     \
	"  ELSE coalesce(c.info->>'state', 'running') END,"                 \
	" CASE WHEN c.isolated THEN 'isolated'"                             \
	"  ELSE coalesce(nullif(c.info#>>'{isolation,state}', 'isolated'),"  \
	"   'none') END"                                                     \
	" FROM events e LEFT JOIN hosts h ON h.host_id = e.host_id"         \
	" LEFT JOIN containers c ON c.host_id = e.host_id"                  \
	"  AND c.container_id = e.container_id"                             \
	" WHERE e.id = $1::bigint"

/* The overview ($1 the first of its days, YYYY-MM-DD): pending events,
 * containers with pending events, events and blocked ones since $1. */
#define FLEET_OVERVIEW_COUNTS                                              \
	"SELECT p.n, p.c, w.n, w.b FROM"                                    \
	" (SELECT count(*) n, count(DISTINCT (host_id, container_id)) c"     \
	"  FROM events WHERE status = 'pending') p,"                         \
	" (SELECT count(*) n, count(*) FILTER (WHERE action = 'blocked') b"  \
	"  FROM events WHERE day >= $1::date) w"
#define FLEET_OVERVIEW_DAYS                                                \
	"SELECT to_char(day, 'YYYY-MM-DD'), rule_category, count(*)"        \
	" FROM events WHERE day >= $1::date GROUP BY day, rule_category"    \
	" ORDER BY count(*) DESC"
/* $2: how many. */
#define FLEET_OVERVIEW_DOMAINS                                             \
	"SELECT subject, count(*), sum(count) FROM events"                  \
	" WHERE day >= $1::date GROUP BY subject"                           \
	" ORDER BY count(*) DESC, sum(count) DESC, subject LIMIT $2::int"
#define FLEET_OVERVIEW_CONTAINERS                                          \
	"SELECT container_id, max(container_name), count(*), host_id"       \
	" FROM events WHERE day >= $1::date GROUP BY host_id, container_id" \
	" ORDER BY count(*) DESC, container_id LIMIT $2::int"

/* ---- handling: the central row at once, and a command so that the
 * host's own row follows (its next ship carries the same status) ----
 * $1 event id, $2 the new status, $3 the command's verb, $4 the console
 * user. Answers the host's id, or no row for no such event. */
#define FLEET_EVENT_SET_STATUS                                             \
	"WITH e AS (UPDATE events SET status = $2::text"                     \
	"  WHERE id = $1::bigint RETURNING host_id, local_id, day, subject)," \
	" c AS (INSERT INTO commands (host_id, verb, args, created_by)"      \
	"  SELECT host_id, $3::text, jsonb_build_object('local_id', local_id," \
	"   'day', to_char(day, 'YYYY-MM-DD'), 'subject', subject), $4::text" \
	"  FROM e RETURNING id),"                                           \
	" a AS (INSERT INTO audit (actor, host_id, action, what)"           \
	"  SELECT $4::text, host_id, $3::text, 'event ' || $1::bigint FROM e)" \
	" SELECT e.host_id, c.id FROM e, c"

/* Deletes the central row, keeps a re-ship of it out (events_gone at its
 * rev) and tells its host; $1 event id, $2 the console user. */
#define FLEET_EVENT_DELETE                                                 \
	"WITH e AS (DELETE FROM events WHERE id = $1::bigint"                \
	"  RETURNING host_id, local_id, day, rev, subject),"                \
	" g AS (INSERT INTO events_gone AS g (host_id, local_id, day, rev)"  \
	"  SELECT host_id, local_id, day, rev FROM e"                       \
	"  ON CONFLICT (host_id, local_id, day)"                            \
	"  DO UPDATE SET rev = greatest(g.rev, EXCLUDED.rev)),"             \
	" c AS (INSERT INTO commands (host_id, verb, args, created_by)"      \
	"  SELECT host_id, 'delete', jsonb_build_object('local_id', local_id," \
	"   'day', to_char(day, 'YYYY-MM-DD'), 'subject', subject), $2::text" \
	"  FROM e RETURNING id),"                                           \
	" a AS (INSERT INTO audit (actor, host_id, action, what)"           \
	"  SELECT $2::text, host_id, 'delete', 'event ' || $1::bigint FROM e)" \
	" SELECT e.host_id, c.id FROM e, c"

/* The event an action is about: host, container and subject. */
#define FLEET_EVENT_TARGET                                                 \
	"SELECT host_id, container_id, container_name, subject, type"       \
	" FROM events WHERE id = $1::bigint"

/* A command for one host ($1 host, $2 verb, $3 args as JSON, $4 user);
 * answers its id. */
#define FLEET_COMMAND_ADD                                                  \
	"INSERT INTO commands (host_id, verb, args, created_by)"            \
	" VALUES ($1::text, $2::text, $3::jsonb, $4::text) RETURNING id"
/* The commands of $1 (ids, as a text array '{1,2}') that are not
 * pending any more. */
#define FLEET_COMMANDS_DONE                                                \
	"SELECT id, state, result FROM commands"                            \
	" WHERE id = ANY($1::bigint[]) AND state <> 'pending'"

/* Whitelisting: a central white entry ($1 pattern, $2 note, $3 user;
 * nothing if it is there already), then the central pending rows it
 * covers (each host marks its own when it applies the entry). */
#define FLEET_WHITE_ADD                                                    \
	"INSERT INTO list_entries (list, pattern, note, created_by)"        \
	" VALUES ('white', $1::text, $2::text, $3::text)"                   \
	" ON CONFLICT (list, pattern) WHERE NOT deleted DO NOTHING"          \
	" RETURNING id, version"
/* $1 event id; $2 the pattern "*.domain" as ".domain", or a name or
 * address as itself; $3 true for the former. */
#define FLEET_WHITELIST_PENDING                                            \
	"UPDATE events SET status = 'whitelisted' WHERE status = 'pending'"  \
	" AND id <> $1::bigint AND CASE WHEN $3::boolean"                    \
	"  THEN type = 'domain' AND right(subject, length($2::text)) = $2::text" \
	"  ELSE subject = $2::text END"
#define FLEET_EVENT_WHITELISTED                                            \
	"UPDATE events SET status = 'whitelisted' WHERE id = $1::bigint"

/* ---- lists, containers, hosts, audit ---- */
/* A page of one central list: $1 list, $2 after (id), $3 how many. */
#define FLEET_LIST_PAGE                                                    \
	"SELECT json_build_object('id', id, 'pattern', pattern, 'note', note," \
	" 'created', extract(epoch FROM created)::bigint, 'created_by', 0,"  \
	" 'created_by_user', created_by, 'source', 'central',"               \
	" 'version', version)"                                               \
	" FROM list_entries WHERE list = $1::text AND NOT deleted"           \
	" AND id > $2::bigint ORDER BY id LIMIT $3::bigint"
/* $1 list, $2 pattern, $3 note, $4 user: the id, or no row if there. */
#define FLEET_LIST_ADD                                                     \
	"INSERT INTO list_entries (list, pattern, note, created_by)"        \
	" VALUES ($1::text, $2::text, $3::text, $4::text)"                   \
	" ON CONFLICT (list, pattern) WHERE NOT deleted DO NOTHING"          \
	" RETURNING id"
/* A removal is a tombstone (hosts catch up by version): $1 list, $2 id. */
#define FLEET_LIST_REMOVE                                                  \
	"UPDATE list_entries SET deleted = true WHERE list = $1::text"      \
	" AND id = $2::bigint AND NOT deleted RETURNING pattern"
#define FLEET_LIST_COUNTS                                                  \
	"SELECT l.list, count(e.id), (SELECT version FROM list_head)"        \
	" FROM (VALUES ('black'), ('white')) l(list)"                        \
	" LEFT JOIN list_entries e ON e.list = l.list AND NOT e.deleted"     \
	" GROUP BY l.list ORDER BY l.list"
/* Each host's own list sources, as its heartbeat reports them. */
#define FLEET_HOST_SOURCES                                                 \
	"SELECT host_id, name, coalesce(counters->'lists', '[]')::text,"    \
	" extract(epoch FROM last_seen)::bigint FROM hosts ORDER BY name, host_id"

#define FLEET_AUDIT_ADD                                                    \
	"INSERT INTO audit (actor, host_id, action, what)"                  \
	" VALUES ($1::text, $2::text, $3::text, $4::text)"
/* $1 before (an id, 0: the newest), $2 how many. */
#define FLEET_AUDIT_PAGE                                                   \
	"SELECT json_build_object('id', id,"                                \
	" 'time', extract(epoch FROM time)::bigint, 'uid', 0, 'user', actor," \
	" 'action', action, 'what', what, 'host_id', host_id)"              \
	" FROM audit WHERE $1::bigint = 0 OR id < $1::bigint"                \
	" ORDER BY id DESC LIMIT $2::bigint"

/* The containers of every host, with the host's name and addresses. */
#define FLEET_CONTAINERS                                                   \
	"SELECT c.info::text, json_build_object('host_id', c.host_id,"      \
	" 'host_name', h.name, 'host_inner', h.inner_addrs,"                \
	" 'host_outer', h.outer_addrs, 'id', c.container_id, 'name', c.name," \
	" 'image', c.image, 'isolated', c.isolated,"                        \
	" 'updated', extract(epoch FROM c.updated)::bigint)::text"           \
	" FROM containers c JOIN hosts h ON h.host_id = c.host_id"           \
	" ORDER BY h.name, c.host_id, c.name, c.container_id"
/* A container by key on one host ($1 host, '' any) ($2: a name, an id or
 * an id prefix): host, id, name. */
#define FLEET_CONTAINER_FIND                                               \
	"SELECT host_id, container_id, name FROM containers"               \
	" WHERE ($1::text = '' OR host_id = $1::text) AND (name = $2::text"  \
	"  OR left(container_id, length($2::text)) = $2::text)"              \
	" ORDER BY host_id LIMIT 20"

/* Every host, stale or not (settings.stale_after_s). */
#define FLEET_HOSTS                                                        \
	"SELECT json_build_object('host_id', h.host_id, 'name', h.name,"    \
	" 'inner_addrs', h.inner_addrs, 'outer_addrs', h.outer_addrs,"      \
	" 'version', h.version, 'mode', h.mode, 'counters', h.counters,"    \
	" 'list_version', h.list_version, 'shipped_rev', h.shipped_rev,"    \
	" 'started', extract(epoch FROM h.started)::bigint,"                \
	" 'last_seen', extract(epoch FROM h.last_seen)::bigint,"            \
	" 'age_s', extract(epoch FROM now() - h.last_seen)::bigint,"        \
	" 'stale', h.last_seen < now() - make_interval(secs => s.stale),"   \
	" 'containers', (SELECT count(*) FROM containers c"                 \
	"  WHERE c.host_id = h.host_id))"                                   \
	" FROM hosts h, (SELECT coalesce((SELECT value::int FROM settings"   \
	"  WHERE key = 'stale_after_s'), 60) AS stale) s"                    \
	" ORDER BY h.name, h.host_id"
#define FLEET_SUMMARY                                                      \
	"SELECT json_build_object('hosts', (SELECT count(*) FROM hosts),"   \
	" 'hosts_stale', (SELECT count(*) FROM hosts WHERE last_seen < now()" \
	"  - make_interval(secs => coalesce((SELECT value::int FROM settings" \
	"  WHERE key = 'stale_after_s'), 60))),"                             \
	" 'stale_after_s', coalesce((SELECT value::int FROM settings"        \
	"  WHERE key = 'stale_after_s'), 60),"                               \
	" 'retention_days', coalesce((SELECT value::int FROM settings"       \
	"  WHERE key = 'retention_days'), 90),"                              \
	" 'list_version', (SELECT version FROM list_head),"                 \
	" 'schema', (SELECT max(version) FROM egressd_schema),"             \
	" 'containers', (SELECT count(*) FROM containers),"                 \
	" 'isolated', (SELECT count(*) FROM containers WHERE isolated),"    \
	" 'commands_pending', (SELECT count(*) FROM commands"               \
	"  WHERE state = 'pending'))::text"

/* The ORDER BY of a sort ("last_seen", "first_seen", "count", "domain",
 * "container"; a '-' in front: descending; NULL: newest first); the id breaks
 * ties so that pages never overlap. NULL for an unknown one. */
const char *fleet_sql_order(const char *sort);
/* The page's statement with order (fleet_sql_order's) into buf. Returns
 * 0, or -1 if it does not fit. */
int fleet_sql_events_page(char *buf, size_t len, const char *order);
