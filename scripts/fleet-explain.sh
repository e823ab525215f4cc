#!/usr/bin/env bash
# The plans of egressd-console's fleet queries on 1,000,000 events: a
# throw-away PostgreSQL 15 (tests/lib/pg.sh), the schema as the console
# makes it, 1M events over 30 days from 100 hosts made in SQL with
# generate_series, ANALYZE, then EXPLAIN (ANALYZE, BUFFERS) of each query
# the console runs for its lists (the very text: build/tests/fleet_sql
# print), with parameters as the UI sends them. Prints each plan's key
# lines and time; the whole plans go to $OUT (default /tmp/fleet-explain).
#   scripts/fleet-explain.sh [EVENTS]
# Env: PG_EXPLAIN_DIR (the cluster, default /tmp/fleet-explain-pg),
# PG_EXPLAIN_PORT (55440), BUILD (build). Needs root (the cluster runs as
# postgres). Removes the cluster when done, unless KEEP=1 (a second run
# with KEEP=1 then reuses its data).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib/pg.sh"
N=${1:-1000000}
B=${BUILD:-$ROOT/build}
OUT=${OUT:-/tmp/fleet-explain}
FLEET_SQL=$B/tests/fleet_sql
[ -x "$FLEET_SQL" ] || { echo "build first: ninja -C $B" >&2; exit 1; }
[ "${KEEP:-}" = 1 ] || trap pg_remove EXIT
mkdir -p "$OUT"
# The planner needs memory to sort and hash like a real server's.
export PG_EXTRA_OPTS="-c shared_buffers=256MB -c work_mem=16MB -c maintenance_work_mem=256MB -c max_wal_size=4GB -c synchronous_commit=off"
PG_DIR=${PG_EXPLAIN_DIR:-/tmp/fleet-explain-pg} PG_PORT=${PG_EXPLAIN_PORT:-55440}
if [ -d "$PG_DIR/data" ]; then
	pg_start_server 2>/dev/null || true
	PG_DSN="host=$PG_DIR/sock port=$PG_PORT dbname=egressd user=egressd"
	export PG_DIR PG_PORT PG_DSN
else
	pg_start "$PG_DIR" "$PG_PORT"
fi
"$FLEET_SQL" migrate "$PG_DSN"

# 100 hosts; N events over the last 30 days, newest first by id; 50,000
# domains under evil.test and one pool domain; 20 containers a host; 2 %
# pending, the rest mostly handled; a 200-byte detail.
gen_data() {
psql -X -q -v ON_ERROR_STOP=1 "$PG_DSN" >/dev/null <<SQL
TRUNCATE events, hosts;
SELECT egressd_day_partition(d::date)
  FROM generate_series(current_date - 31, current_date + 1, '1 day') d;
INSERT INTO hosts (host_id, name, inner_addrs, outer_addrs, version, mode,
                   counters, last_seen)
SELECT 'host-' || h, 'host-' || h || '.example', ARRAY['192.0.2.' || h],
       ARRAY['203.0.113.' || h], '0.1.0', 'block', '{"events": 10000}',
       now() - (h % 3) * interval '1 minute'
  FROM generate_series(0, 99) h;
INSERT INTO events (host_id, local_id, day, rev, type, subject, container_id,
                    container_name, image, host, first_seen, last_seen, count,
                    status, action, rule_list, rule_source, rule_pattern,
                    rule_category, detail)
SELECT 'host-' || (g % 100), g, (to_timestamp(t) AT TIME ZONE 'UTC')::date,
       g, 'domain',
       CASE WHEN g % 97 = 0 THEN 'x.pool.test'
            ELSE 'd' || (g::bigint * 7919 % 50000) || '.evil.test' END,
       md5('c' || (g % 100) || '-' || (g / 100 % 20)),
       'c' || (g % 100) || '-' || (g / 100 % 20), 'img:' || (g % 13),
       'host-' || (g % 100) || '.example', t - 30, t, 1 + g % 9,
       CASE WHEN g % 50 = 0 THEN 'pending' WHEN g % 7 = 0 THEN 'ignored'
            ELSE 'handled' END,
       CASE WHEN g % 3 = 0 THEN 'alerted' ELSE 'blocked' END, 'black',
       'system', '*.evil.test',
       (ARRAY['c2', 'mining-pool', 'malware-download', 'phishing', ''])[1 + g % 5],
       '{"kind": "dns", "name": "d' || g || '.evil.test", "process": [{"pid": '
         || g || ', "exe": "/usr/bin/curl", "cmdline": "curl -s http://d' || g
         || '.evil.test/x"}]}'
  FROM generate_series(1, $N) g,
       LATERAL (SELECT extract(epoch FROM now())::bigint
                       - (($N - g)::bigint * 30 * 86400 / $N) AS t) x;
SQL
}
t0=$(date +%s)
have=$(psql -X -t -A "$PG_DSN" -c "SELECT count(*) FROM events")
[ "$have" = "$N" ] || gen_data
# As autovacuum leaves a settled database: statistics of the expression
# indexes too, and the visibility map that lets counts read indexes only.
psql -X -q -v ON_ERROR_STOP=1 "$PG_DSN" -c "VACUUM ANALYZE events" -c "ANALYZE hosts"
echo "data: $N events, 100 hosts, 30 days, in $(($(date +%s) - t0)) s;" \
	"events take $(psql -X -t -A "$PG_DSN" -c "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass")"

now=$(date +%s)
wk=$((now - 7 * 86400))
d_wk=$(date -u -d "@$((wk - 86400))" +%F)
d_all=$(date -u -d "@$((now - 31 * 86400))" +%F)
d_to=$(date -u -d "@$((now + 86400))" +%F)
d_ov=$(date -d "@$((now - 6 * 86400))" +%F)
mid=$(psql -X -t -A "$PG_DSN" -c "SELECT id FROM events WHERE local_id = $((N / 2))")
# name | statement | parameters (the UI's: the last 7 days, a page of 50)
runs=(
	"newest page (7 days)|events_list|$wk,$now,'$d_wk','$d_to','','','','','',50,0"
	"newest page, all 30 days|events_list|0,$now,'1969-12-31','$d_to','','','','','',50,0"
	"page 100 of the newest (offset 4950)|events_list|$wk,$now,'$d_wk','$d_to','','','','','',50,4950"
	"by status pending|events_list|$wk,$now,'$d_wk','$d_to','pending','','','','',50,0"
	"by host|events_list|$wk,$now,'$d_wk','$d_to','','','','','host-42',50,0"
	"by container (name)|events_list|$wk,$now,'$d_wk','$d_to','','c42-7','','','',50,0"
	"by domain (a name and its subdomains)|events_list|$wk,$now,'$d_wk','$d_to','','','d4242.evil.test','','',50,0"
	"by domain (a parent: most events)|events_list|$wk,$now,'$d_wk','$d_to','','','evil.test','','',50,0"
	"sorted by count|events_list_by_count|$wk,$now,'$d_wk','$d_to','','','','','',50,0"
	"total (7 days)|events_count|$wk,$now,'$d_wk','$d_to','','','','',''"
	"total by host (7 days)|events_count|$wk,$now,'$d_wk','$d_to','','','','','host-42'"
	"total by status pending (7 days)|events_count|$wk,$now,'$d_wk','$d_to','pending','','','',''"
	"one event by id|event_get|$mid"
	"overview: counts (7 days)|overview_counts|'$d_ov'"
	"overview: per day and category|overview_days|'$d_ov'"
	"overview: top domains|overview_domains|'$d_ov',10"
	"overview: top containers|overview_containers|'$d_ov',10"
	"hosts|hosts|"
)
"$FLEET_SQL" print >"$OUT/statements.tsv"
: >"$OUT/summary.txt"
for r in "${runs[@]}"; do
	IFS='|' read -r name stmt params <<<"$r"
	sql=$(awk -F'\t' -v n="$stmt" '$1 == n { print $2 }' "$OUT/statements.tsv")
	f="$OUT/$(echo "$name" | tr -c 'a-z0-9\n' '-' | tr -s '-').txt"
	{
		echo "PREPARE q AS $sql;"
		# once to warm the cache as a console that runs would have
		echo "EXECUTE q${params:+($params)};"
		echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q${params:+($params)};"
	} | psql -X -q -v ON_ERROR_STOP=1 "$PG_DSN" -o /dev/null -c "SET client_min_messages = warning" -f - >/dev/null
	{
		echo "PREPARE q AS $sql;"
		echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q${params:+($params)};"
	} | psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_DSN" -f - >"$f"
	t=$(grep -o 'Execution Time: [0-9.]* ms' "$f" | grep -o '[0-9.]*')
	printf '%-40s %9s ms   %s\n' "$name" "$t" "$(basename "$f")" | tee -a "$OUT/summary.txt"
	# the key lines: each node with what it read (index or scan) and rows
	grep -E 'Index|Seq Scan|Bitmap|Sort|Limit|Aggregate|Append|Partitions|Subplans|Buffers: shared' "$f" |
		sed -n 1,12p | sed 's/^/      /' >>"$OUT/summary.txt"
done
echo "plans in $OUT; key lines in $OUT/summary.txt"
