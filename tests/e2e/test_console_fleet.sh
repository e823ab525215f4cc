#!/usr/bin/env bash
# End to end: egressd-console in fleet mode (--fleet-dsn). A throw-away
# PostgreSQL 15 (tests/lib/pg.sh), the rows of two simulated hosts and a
# stale third (tests/e2e/fleet/console_rows.sql, inserted with psql as
# their egressd would ship them), the console as nobody in a namespace
# with loopback only (it reaches the database by its unix socket), then
# curl checks of what the API answers and writes, and the browser test
# (tests/browser/console_fleet_test.py). No egressd runs: a command row
# stays pending unless this script plays the host. Needs root.
set -uo pipefail
export P=${P:-fc-}
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/pg.sh"
CONSOLE=${CONSOLE:-$ROOT/build/egressd-console}
NS_BR=${P}br
URL=http://127.0.0.1:8743
PGD=${FC_PG_DIR:-$S/pg}
cpid= hpid= beatpid=
fleet_cleanup() {
	[ -n "$hpid" ] && kill "$hpid" 2>/dev/null
	[ -n "$beatpid" ] && kill "$beatpid" 2>/dev/null
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS_BR" 2>/dev/null
	rm -rf "/etc/netns/$NS_BR"
	pg_remove
}
CLEANUP_EXTRA=fleet_cleanup
BR="ip netns exec $NS_BR"
jq_() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
expect_eq() { [ "$2" = "$3" ] && ok "$1 ($2)" || bad "$1: got '$2', want '$3'"; }
sql() { pg_psql "$@"; }

chmod 0711 "$S"
pg_start "$PGD" "${FC_PG_PORT:-55434}" || { echo "FAIL PostgreSQL did not start"; exit 1; }

ip netns add "$NS_BR"
$BR ip link set lo up
mkdir -p "/etc/netns/$NS_BR"
echo "nameserver 192.0.2.53" >"/etc/netns/$NS_BR/resolv.conf"

console_user_new

# A DSN that does not parse is refused at start, naming the file and line.
printf 'listen = 127.0.0.1:8743\nfleet_dsn = host=x port\n' >"$S/bad.conf"
"$CONSOLE" --config "$S/bad.conf" >"$S/bad.log" 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "bad.conf:2:" "$S/bad.log" &&
	ok "an unparsable fleet_dsn is refused: $(cat "$S/bad.log")" ||
	bad "bad fleet_dsn: rc $rc $(cat "$S/bad.log")"

# Statements wait 8 s at most (the stalled database below).
printf 'ctl_timeout_s = 8\n' >"$S/console.conf"
chmod 0644 "$S/console.conf"
$BR setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
	--inh-caps=-all --bounding-set=-all "$CONSOLE" --config "$S/console.conf" \
	--users-file "$S/users" --www "$ROOT/www/console" \
	--fleet-dsn "$PG_DSN" >"$S/console.log" 2>&1 &
cpid=$!
wait_until 10 "the console to listen" grep -q "listening on" "$S/console.log" &&
	ok "console listens on $URL in fleet mode" || bad "console: $(cat "$S/console.log")"
grep -q "schema is ready" "$S/console.log" && ok "the console made the schema" ||
	bad "no schema: $(cat "$S/console.log")"
expect_eq "schema version" "$(sql 'SELECT max(version) FROM egressd_schema')" 4
psql -X -q -v ON_ERROR_STOP=1 "$PG_DSN" -f "$ROOT/tests/e2e/fleet/console_rows.sql" >/dev/null ||
	bad "the hosts' rows"
# alpha's and beta's heartbeats (every 2 s; gamma is silent: stale)
( while sleep 2; do sql "UPDATE hosts SET last_seen = now() WHERE host_id <> 'h-gamma'" >/dev/null 2>&1; done ) &
beatpid=$!

api() { $BR curl -s -m 20 -o "$S/body" -w '%{http_code}' -b "$S/jar" "$@"; }
post() { local p=$1; shift; api -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' "$@" "$URL$p"; }
code=$(api -c "$S/jar" -H 'Content-Type: application/json' \
	-d "{\"username\":\"op\",\"password\":\"$PASS\"}" "$URL/api/login")
expect_eq "login" "$code" 200
csrf=$(jq_ 'd["csrf"]' <"$S/body")
expect_eq "the session says fleet mode" "$(jq_ 'd.get("fleet")' <"$S/body")" True

# ---- events of both hosts ----
n_all=$(sql "SELECT count(*) FROM events")
code=$(api "$URL/api/events?from=0&limit=1000")
got=$(jq_ '"%d %d %s" % (len(d["events"]), d["total"], " ".join(sorted({e["host_name"] for e in d["events"]})))' <"$S/body")
expect_eq "every event of both hosts, with host names" "$code $got" "200 $n_all $n_all alpha.test beta.test"
got=$(jq_ 'all(e["host_inner"] and e["host_outer"] and e["host_id"] for e in d["events"])' <"$S/body")
expect_eq "each event carries its host's inner and outer addresses" "$got" True
days=$(sql "SELECT count(DISTINCT day) FROM events")
[ "$days" -ge 2 ] && ok "the events are in $days days" || bad "events in $days days"
n_beta=$(sql "SELECT count(*) FROM events WHERE host_id = 'h-beta'")
code=$(api "$URL/api/events?from=0&limit=1000&host=h-beta")
got=$(jq_ '"%d %d %s" % (len(d["events"]), d["total"], ",".join(sorted({e["host_id"] for e in d["events"]})))' <"$S/body")
expect_eq "the host filter" "$code $got" "200 $n_beta $n_beta h-beta"
# Pages: the same total on each, no event twice, together all of them.
ids=
for off in 0 20 40 60; do
	api "$URL/api/events?from=0&limit=20&offset=$off" >/dev/null
	ids="$ids $(jq_ '" ".join(str(e["id"]) for e in d["events"]) + " total=" + str(d["total"])' <"$S/body")"
done
tot=$(echo "$ids" | tr ' ' '\n' | grep -c "^total=$n_all$")
uniq=$(echo "$ids" | tr ' ' '\n' | grep -v total= | grep . | sort -u | wc -l)
all=$(echo "$ids" | tr ' ' '\n' | grep -v total= | grep -c .)
expect_eq "4 pages of 20: the total on each, every event once" "$tot $uniq $all" "4 $n_all $n_all"
code=$(api "$URL/api/events?from=0&limit=1000&sort=-count&status=pending&domain=evil.test&container=web-a")
got=$(jq_ '"%d %s" % (d["total"], d["events"][0]["subject"])' <"$S/body")
expect_eq "filters and sort: web-a's evil.test events by count" "$code $got" "200 30 a30.evil.test"
code=$(api "$URL/api/events?sort=sideways")
expect_eq "an unknown sort is refused" "$code" 400
code=$(api "$URL/api/events.csv?from=0&host=h-alpha")
rows=$(($(wc -l <"$S/body") - 1))
expect_eq "CSV export of one host" "$code $rows" "200 $(sql "SELECT count(*) FROM events WHERE host_id = 'h-alpha'")"

# ---- handling: the central row at once, and a command for its host ----
eid=$(sql "SELECT id FROM events WHERE host_id = 'h-beta' AND local_id = 3")
day=$(sql "SELECT day FROM events WHERE id = $eid")
code=$(post "/api/events/$eid/handled" -d '{}')
expect_eq "handled: the reply" "$code $(jq_ 'd["results"][0]["result"]' <"$S/body")" "200 done"
expect_eq "handled: the central row" "$(sql "SELECT status FROM events WHERE id = $eid")" handled
got=$(sql "SELECT host_id || ' ' || verb || ' ' || (args->>'local_id') || ' ' || (args->>'day') || ' ' || state || ' ' || created_by FROM commands WHERE verb = 'handled'")
expect_eq "handled: one command for the event's host" "$got" "h-beta handled 3 $day pending op"
eid2=$(sql "SELECT id FROM events WHERE host_id = 'h-alpha' AND local_id = 4")
code=$(post /api/events/ignore -d "{\"ids\":[$eid2, 999999]}")
got=$(jq_ '"%s %s %s" % (d["ok"], d["results"][0]["result"], d["results"][1]["result"])' <"$S/body")
expect_eq "bulk ignore: one done, one no such event" "$code $got" "200 False done failed"
expect_eq "ignore: the central row, and alpha's command" \
	"$(sql "SELECT status FROM events WHERE id = $eid2") $(sql "SELECT host_id FROM commands WHERE verb = 'ignore'")" "ignored h-alpha"
eid3=$(sql "SELECT id FROM events WHERE host_id = 'h-alpha' AND local_id = 5")
code=$(api -X DELETE -H "X-CSRF-Token: $csrf" "$URL/api/events/$eid3")
got=$(sql "SELECT count(*) FROM events WHERE id = $eid3")/$(sql "SELECT count(*) FROM events_gone WHERE host_id = 'h-alpha' AND local_id = 5")/$(sql "SELECT host_id FROM commands WHERE verb = 'delete'")
expect_eq "delete: the row gone, its re-ship kept out, a command for alpha" "$code $got" "200 0/1/h-alpha"

# ---- whitelist from an event ----
wid=$(sql "SELECT id FROM events WHERE host_id = 'h-alpha' AND subject = 'x.pool.test'")
before=$(sql "SELECT count(*) FROM events WHERE status = 'pending' AND subject LIKE '%.pool.test' AND id <> $wid")
code=$(post "/api/events/$wid/whitelist" -d '{"domain":"*.pool.test","note":"<b>ok</b>"}')
got=$(jq_ '"%s %s %d" % (d["ok"], d["pattern"], d["also_whitelisted"])' <"$S/body")
expect_eq "whitelist: the reply" "$code $got" "200 True *.pool.test $before"
got=$(sql "SELECT list || ' ' || pattern || ' ' || note || ' ' || created_by || ' ' || (version > 0) FROM list_entries WHERE NOT deleted AND pattern = '*.pool.test'")
expect_eq "whitelist: a central white entry with a version" "$got" "white *.pool.test <b>ok</b> op true"
got=$(sql "SELECT string_agg(host_id || ':' || subject || ':' || status, ' ' ORDER BY host_id, subject) FROM events WHERE subject LIKE '%.pool.test'")
expect_eq "whitelist: the covered pending rows of both hosts" "$got" \
	"h-alpha:x.pool.test:whitelisted h-beta:x.pool.test:whitelisted h-beta:y.pool.test:whitelisted"
code=$(post "/api/events/$wid/whitelist" -d '{"domain":"*.other.test"}')
expect_eq "a pattern that does not cover the event is refused" "$code" 400

# ---- isolation: a command row; no host runs it here ----
iid=$(sql "SELECT id FROM events WHERE host_id = 'h-beta' AND local_id = 7")
t0=$(date +%s%N)
code=$(post "/api/events/$iid/isolate" -d '{}')
ms=$((($(date +%s%N) - t0) / 1000000))
got=$(jq_ '"%s %s" % (d["results"][0]["result"], d["results"][0]["host_id"])' <"$S/body")
expect_eq "isolate an event's container: pending after its wait" "$code $got" "200 pending h-beta"
[ "$ms" -ge 4500 ] && [ "$ms" -lt 15000 ] && ok "it waited for the host ($ms ms)" || bad "isolate answered in $ms ms"
got=$(sql "SELECT host_id || ' ' || (args->>'container') || ' ' || state FROM commands WHERE verb = 'isolate'")
expect_eq "isolate: a command for beta's container" "$got" "h-beta bbbb2222bbbb2222bbbb2222 pending"
expect_eq "isolate pending: the event stays as it was" "$(sql "SELECT status FROM events WHERE id = $iid")" pending
# Now play the host: mark each new isolate or unisolate command done (or
# failed, for beta's container cccc...) as egressd would.
maxc=$(sql "SELECT max(id) FROM commands")
(
	while sleep 0.2; do
		sql "UPDATE commands SET state = CASE WHEN args->>'container' LIKE 'cccc%' THEN 'failed' ELSE 'done' END,
			result = CASE WHEN args->>'container' LIKE 'cccc%' THEN 'cannot cut its port' ELSE '' END,
			done = now() WHERE state = 'pending' AND verb IN ('isolate', 'unisolate') AND id > $maxc" >/dev/null 2>&1
	done
) &
hpid=$!
code=$(post "/api/containers/h-beta:web-b/isolate" -d '{"note":"from the test"}')
got=$(jq_ '"%s %s %s" % (d["state"], d["command_state"], d["host_id"])' <"$S/body")
expect_eq "isolate a container of beta, its host done" "$code $got" "200 isolated done h-beta"
code=$(post "/api/containers/h-beta:cccc/isolate" -d '{}')
expect_eq "a host's failure is the reply's error" "$code $(jq_ 'd["error"]' <"$S/body")" "400 host h-beta: cannot cut its port"
code=$(post "/api/containers/web-a/isolate" -d '{}')
expect_eq "a name on two hosts is refused" "$code" 400
code=$(post "/api/containers/h-gamma:web-z/isolate" -d '{}')
expect_eq "no such container" "$code" 404
code=$(post "/api/events/$iid/isolate" -d '{}')
got=$(jq_ 'd["results"][0]["result"]' <"$S/body")
expect_eq "isolate from an event, its host done: handled" "$code $got $(sql "SELECT status FROM events WHERE id = $iid")" "200 done handled"
kill "$hpid" 2>/dev/null
wait "$hpid" 2>/dev/null
hpid=

# ---- hosts, lists, containers, audit, status ----
code=$(api "$URL/api/hosts")
got=$(jq_ '" ".join("%s:%s" % (h["host_id"], h["stale"]) for h in d["hosts"])' <"$S/body")
expect_eq "hosts, the stale one marked" "$code $got" "200 h-alpha:False h-beta:False h-gamma:True"
code=$(post /api/blacklist -d '{"text":"central-1.example\n*.central-2.example\nnot a pattern!\ncentral-1.example","note":"n"}')
got=$(jq_ '" ".join("%s:%s" % (r["line"], r["result"]) for r in d["results"])' <"$S/body")
expect_eq "central blacklist: batch add" "$code $got" "200 1:added 2:added 3:invalid 4:duplicate"
code=$(api "$URL/api/blacklist")
got=$(jq_ '" ".join(sorted(e["pattern"] + ":" + e["source"] for e in d["entries"]))' <"$S/body")
expect_eq "central blacklist: the entries, source central" "$code $got" "200 *.central-2.example:central central-1.example:central"
bid=$(sql "SELECT id FROM list_entries WHERE pattern = 'central-1.example'")
v0=$(sql "SELECT version FROM list_head")
code=$(api -X DELETE -H "X-CSRF-Token: $csrf" "$URL/api/blacklist/$bid")
got=$(sql "SELECT deleted FROM list_entries WHERE id = $bid")/$(sql "SELECT version > $v0 FROM list_head")
expect_eq "remove: a tombstone with a new version" "$code $got" "200 t/t"
code=$(api "$URL/api/lists")
got=$(jq_ '" ".join(sorted("%s/%s/%s" % (s["host_name"], s["source"], s["entries"]) for s in d["sources"]))' <"$S/body")
expect_eq "list sources: central, and each host's own" "$code $got" \
	"200 all hosts/central/1 all hosts/central/1 alpha.test/feed-alpha/7 alpha.test/system-c2/120 beta.test/system-c2/120"
code=$(api "$URL/api/containers")
got=$(jq_ '" ".join(sorted("%s/%s/%s" % (k["host_name"], k["name"], k["isolation"]["state"]) for k in d["containers"]))' <"$S/body")
expect_eq "containers with their hosts" "$code $got" "200 alpha.test/web-a/none beta.test/web-a/none beta.test/web-b/none"
code=$(api "$URL/api/audit?limit=100")
got=$(jq_ '" ".join(sorted({a["user"] + ":" + a["action"] for a in d["audit"]}))' <"$S/body")
missing=
for a in handled ignore delete whitelist isolate "blacklist add" "blacklist remove"; do
	[[ "$got" == *"op:$a"* ]] || missing="$missing '$a'"
done
[ -z "$missing" ] && ok "audit: each action by the console user ($got)" ||
	bad "audit lacks$missing by op: $got"
code=$(api "$URL/api/status")
got=$(jq_ '"%s %d %d" % (d["fleet"], d["hosts"], d["hosts_stale"])' <"$S/body")
expect_eq "status: the fleet's summary" "$code $got" "200 True 3 1"
code=$(api "$URL/api/events/$eid")
got=$(jq_ '"%s %s %s" % (d["event"]["host_name"], d["event"]["container_now"]["state"], bool(d["event"]["risk"]))' <"$S/body")
expect_eq "one event: its host, its container now, the advice" "$code $got" "200 beta.test running True"
code=$(api "$URL/api/events/987654")
expect_eq "no such event" "$code" 404

# ---- what a browser does ----
shots=${CONSOLE_SCREENSHOTS_DIR:-$S/shots}
mkdir -p "$shots"
if $BR /usr/bin/python3 "$ROOT/tests/browser/console_fleet_test.py" --url "$URL/" --user op \
	--password-file "$S/pass" --screenshots "$shots" --stale-host h-gamma \
	--hosts h-alpha,h-beta,h-gamma >"$S/browser.log" 2>&1; then
	ok "browser: $(grep -c '^ok - ' "$S/browser.log") checks passed"
else
	bad "browser: $(grep -c '^not ok - ' "$S/browser.log") checks failed:"
	grep -E "^not ok|Traceback|Error" "$S/browser.log" | head -20
fi
grep -E "^(ok|not ok|# skip) " "$S/browser.log" | sed 's/^/    /'
grep -q "^# skip" "$S/browser.log" && bad "a browser check was skipped"

# ---- the database away: a clear answer, not a hang; back: served ----
kill "$beatpid" 2>/dev/null
wait "$beatpid" 2>/dev/null
beatpid=
pg_stop_server
t0=$(date +%s%N)
code=$(api "$URL/api/events")
ms=$((($(date +%s%N) - t0) / 1000000))
err=$(jq_ 'd["error"]' <"$S/body" 2>/dev/null)
expect_eq "database stopped: 503 with a reason ($err, $ms ms)" "$code" 503
pg_start_server
code=$(api "$URL/api/events?host=h-alpha")
expect_eq "database back: served again ($(head -c 200 "$S/body"))" "$code" 200
# A database that accepts and never answers (this cluster's server and
# its backends stopped): the statement's deadline, then 503.
pm=$(head -1 "$PGD/data/postmaster.pid")
stopped="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
kill -STOP $stopped
t0=$(date +%s%N)
code=$(api -m 60 "$URL/api/hosts")
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT $stopped
[ "$code" -ge 502 ] && [ "$code" -le 503 ] && [ "$ms" -lt 40000 ] &&
	ok "a database that does not answer: $code within $ms ms" || bad "stalled database: $code after $ms ms"
exit $fail
