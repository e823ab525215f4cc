#!/usr/bin/env bash
# End to end: the fleet, egressd's side (README: Fleet). A throw-away
# PostgreSQL 15 (tests/lib/pg.sh) and two namespace test beds, each with an
# egressd in its host namespace in fleet mode (host-a, host-b, block mode,
# *.bad.test and other.example.net blacklisted locally). Checks: the events
# of both hosts arrive centrally with their host ids, exactly once (counts
# compared with each host's own); a central black entry inserted with psql
# blocks a lookup from c1 on both hosts within 2 s (measured), and its
# removal (a tombstone) unblocks; a central white entry allows and marks the
# pending events it covers whitelisted, locally and centrally; an isolate
# command row for host B's c1 is done and cuts c1, unisolate restores it;
# PostgreSQL stopped for 30 s while c1 on both beds makes 40 distinct
# events (some repeated): afterwards every event is there exactly once
# (rows and summed counts per host equal the hosts' own); egressd on host A
# restarted while PostgreSQL is down still enforces the central entries.
# And one egressd-console --fleet-dsn for both: their events with their
# hosts, the host filter and the hosts page; a black entry added in the
# console blocks on both within 2 s and whitelisting an event of it there
# allows it on both within 2 s; host B's c1 isolated from the console and
# restored; the central audit names the console user.
# Needs root. Prefixes: P (bed A, default fla-) and PB (bed B, default
# flb-); PostgreSQL in PG_TEST_DIR (/tmp/f1-pg) on PG_TEST_PORT (55433).
set -uo pipefail
export P=${P:-fla-}
PB=${PB:-flb-}
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/pg.sh"
PG_TEST_DIR=${PG_TEST_DIR:-/tmp/f1-pg}
PG_TEST_PORT=${PG_TEST_PORT:-55433}

pid_a= pid_b= cons_pid=
fleet_cleanup() {
	for p in $pid_a $pid_b $cons_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	ip netns del "${P}con" 2>/dev/null
	P=$PB bash "$HERE/topo.sh" down >/dev/null 2>&1
	pg_remove
}
CLEANUP_EXTRA=fleet_cleanup

# ---- the database and the beds ----
[ -e "$PG_TEST_DIR" ] && { echo "$PG_TEST_DIR exists: a cluster left over?" >&2; exit 1; }
pg_start "$PG_TEST_DIR" "$PG_TEST_PORT" || { echo "cannot start PostgreSQL"; exit 1; }
topo_up
A_HOST=$NS_HOST A_C1=$NS_C1 A_BR=$BRIDGE
P=$PB bash "$HERE/topo.sh" up >"$S/topo-b.log" 2>&1 || { cat "$S/topo-b.log"; exit 1; }
TD_B=/tmp/egressd-testbed-${PB%-}
B_HOST=$(sed -n 's/^NS_HOST=//p' "$TD_B/run/topo.env")
B_C1=$(sed -n 's/^NS_C1=//p' "$TD_B/run/topo.env")
B_BR=$(sed -n 's/^BRIDGE=//p' "$TD_B/run/topo.env")

cat >"$S/black.txt" <<'L'
# egressd-category: c2
*.bad.test
other.example.net
L
# Host A uses the schema's owner (it makes the schema); host B a role of
# its own, named as its host id, which the schema confines to its rows.
PG_DSN_B="host=$PG_DIR/sock port=$PG_PORT dbname=egressd user=host-b"
for h in a b; do
	mkdir -p "$S/$h"
	dsn=$PG_DSN
	[ "$h" = b ] && dsn=$PG_DSN_B
	printf 'mode = block\nfleet_dsn = %s\nfleet_host_id = host-%s\nlog_level = info\n' \
		"$dsn" "$h" >"$S/$h/egressd.conf"
done

# start_host a|b : egressd of that bed, in its host namespace.
start_host() {
	local h=$1 ns br log
	[ "$h" = a ] && ns=$A_HOST br=$A_BR || { ns=$B_HOST br=$B_BR; }
	log=$S/$h/egressd.log
	ip netns exec "$ns" "$EGRESSD" run --config "$S/$h/egressd.conf" \
		--state-dir "$S/$h/state" --socket "$S/$h/ctl.sock" \
		--container-if "$br" --ruleset "$ROOT/nft/egressd.nft" \
		--blacklist "$S/black.txt" >>"$log" 2>&1 &
	if [ "$h" = a ]; then pid_a=$!; else pid_b=$!; fi
	wait_until 30 "egressd $h to start" test -S "$S/$h/ctl.sock" ||
		{ echo "egressd $h did not start:"; cat "$log"; exit 1; }
}
stop_host() {
	local p
	[ "$1" = a ] && p=$pid_a || p=$pid_b
	kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	rm -f "$S/$1/ctl.sock"
}
ctl() { local h=$1; shift; "$EGRESSCTL" --socket "$S/$h/ctl.sock" "$@"; }
fleet_field() { # fleet_field HOST KEY : from egressctl --json status
	ctl "$1" --json status 2>/dev/null | /usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin).get("fleet", {}).get(sys.argv[1], ""))' "$2"
}
connected() { [ "$(fleet_field "$1" connected)" = True ]; }
c1_of() { [ "$1" = a ] && echo "$A_C1" || echo "$B_C1"; }
lookup() { # lookup HOST NAME : prints the answer's status (NOERROR, NXDOMAIN...)
	ip netns exec "$(c1_of "$1")" dig +time=1 +tries=1 "$2" 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
resolves() { ip netns exec "$(c1_of "$1")" dig +short +time=1 +tries=1 "$2" | grep -q '^[0-9]'; }
blocked() { [ "$(lookup "$1" "$2")" = NXDOMAIN ]; }
web() { ip netns exec "$(c1_of "$1")" curl -sf -m 1 -o /dev/null http://203.0.113.80/; }
# local_sums HOST : "rows sum(count)" of the host's own events
local_sums() {
	ctl "$1" --json events --limit 1000 | /usr/bin/python3 -c '
import json, sys
e = json.load(sys.stdin)["events"]
print(len(e), sum(x["count"] for x in e))'
}
central_sums() { # central_sums HOST_ID
	pg_psql "SELECT count(*) || ' ' || coalesce(sum(count), 0) FROM events WHERE host_id = '$1'"
}
same_sums() { [ "$(local_sums "$1")" = "$(central_sums "host-$1")" ]; }
outbox_empty() { [ "$(fleet_field "$1" outbox_pending)" = 0 ]; }

start_host a
wait_until 15 "host A connected (it makes the schema)" connected a
pg_psql_super 'CREATE ROLE "host-b" LOGIN' || bad "cannot make host B's role"
start_host b
wait_until 15 "both hosts connected" eval 'connected a && connected b' &&
	ok "both hosts connected to PostgreSQL" ||
	{ bad "not connected"; ctl a status | grep -A1 fleet; ctl b status | grep -A1 fleet; }
ctl a status | grep -A1 '^fleet:' | sed 's/^/     /'
grep -q "sandbox: kept" "$S/a/egressd.log" && ok "the sandbox is in force in fleet mode" ||
	bad "no sandbox line in A's log"
ctl a --json status | grep -q 'password' && bad "status shows a password" || true
wait_until 10 "both hosts' heartbeat rows" eval \
	'[ "$(pg_psql "SELECT count(*) FROM hosts WHERE host_id IN ('"'host-a','host-b'"') AND now() - last_seen < interval '"'30 s'"'")" = 2 ]' &&
	ok "hosts: host-a and host-b have heartbeat rows" || bad "no heartbeat rows"
pg_psql "SELECT host_id, name, mode, inner_addrs, version, counters->'lists' IS NOT NULL FROM hosts ORDER BY 1" |
	sed 's/^/     /'

# ---- events of both hosts, each once ----
for h in a b; do
	for i in 1 2 3 4 5; do lookup "$h" "e$i-$h.bad.test" >/dev/null; done
	lookup "$h" "e1-$h.bad.test" >/dev/null # a repeat: count 2
done
wait_until 10 "the events of both hosts centrally" eval 'same_sums a && same_sums b' &&
	ok "events of both hosts arrive with their host ids: a $(central_sums host-a), b $(central_sums host-b) (rows, sum of counts)" ||
	bad "central events differ: a local $(local_sums a) central $(central_sums host-a), b local $(local_sums b) central $(central_sums host-b)"
n=$(pg_psql "SELECT count(*) FROM events WHERE subject LIKE 'e%-a.bad.test' AND host_id <> 'host-a'")
[ "$n" = 0 ] && ok "host A's events carry host-a only" || bad "$n of A's events under another host"
# (one event per container, name, process and day: a lookup whose process
# was not found is an event of its own, hence the sum)
n=$(pg_psql "SELECT sum(count) FROM events WHERE host_id = 'host-b' AND subject = 'e1-b.bad.test'")
[ "$n" = 2 ] && ok "a repeated lookup counts 2 centrally" || bad "e1-b count '$n'"

# ---- a process path that is not UTF-8 (a container's bytes are its own) ----
# PostgreSQL refuses such text; shipped as it is, the row (and every row
# behind it) would never ship. It goes with U+FFFD for the bad bytes.
BADEXE=$S/curl-$'\xff\xfe'
cp "$(command -v curl)" "$BADEXE"
ip netns exec "$A_C1" "$BADEXE" -s -m 2 -o /dev/null -H 'Host: utf8.bad.test' http://203.0.113.80/
lookup a after-utf8.bad.test >/dev/null
wait_until 10 "host A's events after it, centrally" eval \
	'same_sums a && [ "$(pg_psql "SELECT count(*) FROM events WHERE host_id = '"'host-a'"' AND subject = '"'after-utf8.bad.test'"'")" = 1 ]' &&
	ok "an event whose process path is not UTF-8 ships, and so do those after it ($(central_sums host-a))" ||
	bad "shipping stuck after a non-UTF-8 path: local $(local_sums a), central $(central_sums host-a)"
path=$(pg_psql "SELECT process_path FROM events WHERE host_id = 'host-a' AND subject = 'utf8.bad.test'")
[[ $path == */curl-$'\xef\xbf\xbd\xef\xbf\xbd' ]] && ok "its path arrives with U+FFFD for the bad bytes: $path" ||
	bad "its central path: '$path'"

# ---- host B's own role: its own rows, nothing of the others' ----
hb() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_DSN_B" -c "$1" 2>&1; }
refused() { # refused WHAT SQL PATTERN : as host B, SQL fails with PATTERN
	local out
	out=$(hb "$2")
	grep -q "$3" <<<"$out" && ok "host B's role cannot $1: ${out#ERROR:  }" ||
		bad "host B's role could $1: $out"
}
refused "add a central list entry" \
	"INSERT INTO list_entries (list, pattern) VALUES ('white', 'e1-a.bad.test')" "permission denied"
refused "give host A a command" \
	"INSERT INTO commands (host_id, verb, args) VALUES ('host-a', 'isolate', '{}')" "permission denied"
refused "write an event as host A" \
	"INSERT INTO events (host_id, local_id, day, rev, type, subject, first_seen, last_seen, count, status) VALUES ('host-a', 99999, current_date, 1, 'domain', 'x.test', 0, 0, 1, 'pending')" \
	"row-level security"
refused "read the audit" "SELECT count(*) FROM audit" "permission denied"
refused "read a day partition directly" \
	"SELECT count(*) FROM events_$(date +%Y%m%d)" "permission denied"
n=$(hb "WITH u AS (UPDATE events SET status = 'handled' WHERE host_id = 'host-a' RETURNING 1) SELECT count(*) FROM u")
m=$(hb "SELECT count(*) FROM events WHERE host_id = 'host-a'")
[ "$n $m" = "0 0" ] && [ "$(pg_psql "SELECT count(*) FROM events WHERE host_id = 'host-a' AND status = 'handled'")" = 0 ] &&
	ok "host B's role sees and changes none of host A's events" || bad "host B's role: changed $n, saw $m of A's"

# ---- a central black entry, then its tombstone ----
for h in a b; do resolves "$h" api.example.com || bad "api.example.com does not resolve on $h before"; done
# applied_ms WHAT HOST... : ms from t0 until WHAT holds on each HOST in
# turn (its own clock: the first host's wait does not hide the second's)
applied() { # applied WHAT HOST NAME : WHAT is blocked or resolves
	local what=$1 h=$2 name=$3 t
	wait_until 5 "$name $what on $h" "$what" "$h" "$name" || { echo 99999; return; }
	t=$(now_us)
	echo $(((t - t0) / 1000))
}
t0=$(now_us)
pg_psql "INSERT INTO list_entries (list, pattern, created_by) VALUES ('black', 'api.example.com', 'alice')"
ma=$(applied blocked a api.example.com) mb=$(applied blocked b api.example.com)
[ "$ma" -le 2000 ] && [ "$mb" -le 2000 ] &&
	ok "a central black entry blocks on both hosts within 2 s (host-a ${ma} ms, host-b ${mb} ms after the INSERT began)" ||
	bad "central black entry: blocked after ${ma} ms (a), ${mb} ms (b), want <= 2000"
t0=$(now_us)
pg_psql "UPDATE list_entries SET deleted = true WHERE pattern = 'api.example.com' AND NOT deleted"
ma=$(applied resolves a api.example.com) mb=$(applied resolves b api.example.com)
[ "$ma" -le 2000 ] && [ "$mb" -le 2000 ] &&
	ok "its removal (a tombstone) unblocks on both within 2 s (host-a ${ma} ms, host-b ${mb} ms)" ||
	bad "tombstone: unblocked after ${ma} ms (a), ${mb} ms (b)"

# ---- a central white entry: allows, and marks pending events ----
for h in a b; do blocked "$h" other.example.net || bad "other.example.net not blocked on $h"; done
pending_other() { # pending_other HOST : its pending events of other.example.net
	ctl "$1" --json events --domain other.example.net --status pending | /usr/bin/python3 -c '
import json, sys; print(len(json.load(sys.stdin)["events"]))'
}
wait_until 10 "pending other.example.net events on both" eval \
	'[ "$(pending_other a)" -ge 1 ] && [ "$(pending_other b)" -ge 1 ]'
t0=$(now_us)
pg_psql "INSERT INTO list_entries (list, pattern, created_by) VALUES ('white', 'other.example.net', 'alice')"
ma=$(applied resolves a other.example.net) mb=$(applied resolves b other.example.net)
[ "$ma" -le 2000 ] && [ "$mb" -le 2000 ] &&
	ok "a central white entry allows on both within 2 s (host-a ${ma} ms, host-b ${mb} ms)" ||
	bad "white entry: resolves after ${ma} ms (a), ${mb} ms (b)"
ctl a lists | grep -q '^white  *central  *central  *1$' && ok "egressctl lists shows the central source" ||
	{ bad "no central source with 1 entry in egressctl lists"; ctl a lists; }
# (at once, and once more 4 s later for occurrences written late)
wait_until 8 "no pending other.example.net events" eval \
	'[ "$(pending_other a)" = 0 ] && [ "$(pending_other b)" = 0 ]' &&
	ok "it marked the hosts' pending events whitelisted" ||
	bad "pending events left: a $(pending_other a), b $(pending_other b)"
wait_until 10 "whitelisted centrally" eval \
	'[ "$(pg_psql "SELECT count(*) FROM events WHERE subject = '"'other.example.net'"' AND status <> '"'whitelisted'"'")" = 0 ]' &&
	ok "and the central rows follow (status whitelisted on both hosts)" ||
	bad "central rows of other.example.net not whitelisted"

# ---- an isolate command for host B's c1, then unisolate ----
web b && web a || bad "c1 egress does not work before isolation"
cmd_state() { pg_psql "SELECT state || ':' || result FROM commands WHERE id = $1"; }
id=$(pg_psql "INSERT INTO commands (host_id, verb, args, created_by) VALUES ('host-b', 'isolate', '{\"container\": \"$B_C1\"}', 'alice') RETURNING id")
wait_until 5 "the isolate command done" eval '[ "$(cmd_state "$id")" = "done:" ]' &&
	ok "isolate command for host B's $B_C1: done" || bad "isolate command: $(cmd_state "$id")"
web b && bad "host B's c1 still reaches the web when isolated" || ok "host B's c1 is cut off"
web a && ok "host A's c1 is not" || bad "host A's c1 lost its egress"
ctl b audit --limit 5 | grep -q "fleet:alice" && ok "host B's audit names fleet:alice" ||
	{ bad "no fleet:alice in B's audit"; ctl b audit --limit 5; }
wait_until 10 "containers row isolated" eval \
	'[ "$(pg_psql "SELECT isolated FROM containers WHERE host_id = '"'host-b'"' AND name = '"'$B_C1'"'")" = t ]' &&
	ok "the containers row of host B says isolated" || bad "containers row not isolated"
id=$(pg_psql "INSERT INTO commands (host_id, verb, args, created_by) VALUES ('host-b', 'unisolate', '{\"container\": \"$B_C1\"}', 'alice') RETURNING id")
wait_until 5 "the unisolate command done" eval '[ "$(cmd_state "$id")" = "done:" ]' &&
	ok "unisolate command: done" || bad "unisolate command: $(cmd_state "$id")"
wait_until 5 "host B's c1 egress back" web b && ok "host B's c1 works again" || bad "host B's c1 still cut"
id=$(pg_psql "INSERT INTO commands (host_id, verb, args) VALUES ('host-b', 'isolate', '{\"container\": \"no-such\"}') RETURNING id")
wait_until 5 "the bad command failed" eval '[ "$(cmd_state "$id" | cut -d: -f1)" = failed ]' &&
	ok "a command for no such container fails with its reason: $(cmd_state "$id" | cut -d: -f2-)" ||
	bad "bad command: $(cmd_state "$id")"

# ---- handled and delete commands: the host's row, then the central one ----
row_of() { # row_of SUBJECT : "local_id day" of host A's event centrally
	pg_psql "SELECT local_id || ' ' || day FROM events WHERE host_id = 'host-a' AND subject = '$1' ORDER BY local_id LIMIT 1"
}
read -r lid day <<<"$(row_of e2-a.bad.test)"
id=$(pg_psql "INSERT INTO commands (host_id, verb, args, created_by) VALUES ('host-a', 'handled', '{\"local_id\": $lid, \"day\": \"$day\"}', 'alice') RETURNING id")
wait_until 5 "the handled command done" eval '[ "$(cmd_state "$id")" = "done:" ]' &&
	ok "handled command for host A's event $lid: done" || bad "handled command: $(cmd_state "$id")"
[ "$(ctl a --json events show "$lid" | /usr/bin/python3 -c '
import json, sys; print(json.load(sys.stdin)["event"]["status"])')" = handled ] && ok "the host's own event is handled" ||
	bad "host A's event $lid not handled"
wait_until 5 "central row handled" eval \
	'[ "$(pg_psql "SELECT status FROM events WHERE host_id = '"'host-a'"' AND local_id = $lid")" = handled ]' &&
	ok "its next ship carries the status centrally" || bad "central row of $lid not handled"
read -r lid day <<<"$(row_of e3-a.bad.test)"
id=$(pg_psql "INSERT INTO commands (host_id, verb, args) VALUES ('host-a', 'delete', '{\"local_id\": $lid, \"day\": \"$day\"}') RETURNING id")
wait_until 5 "the delete command done" eval '[ "$(cmd_state "$id")" = "done:" ]' &&
	ok "delete command: done" || bad "delete command: $(cmd_state "$id")"
wait_until 5 "central row deleted" eval \
	'[ "$(pg_psql "SELECT count(*) FROM events WHERE host_id = '"'host-a'"' AND local_id = $lid")" = 0 ]' &&
	ok "the deletion ships: the central row is gone" || bad "central row $lid still there"
id=$(pg_psql "INSERT INTO commands (host_id, verb, args) VALUES ('host-a', 'ignore', '{\"local_id\": $lid, \"day\": \"$day\"}') RETURNING id")
wait_until 5 "the command on a deleted event failed" eval '[ "$(cmd_state "$id")" = "failed:no such event" ]' &&
	ok "a command on a deleted event fails: no such event" || bad "ignore on deleted: $(cmd_state "$id")"

# ---- one console for both hosts (egressd-console --fleet-dsn) ----
# As an operator runs it: as nobody, in a namespace with loopback only,
# reaching PostgreSQL by its unix socket and no egressd at all.
NS_CON=${P}con
ip netns add "$NS_CON" && ip netns exec "$NS_CON" ip link set lo up
chmod 0711 "$S"
console_user_new
: >"$S/console.conf" && chmod 0644 "$S/console.conf"
ip netns exec "$NS_CON" setpriv --reuid=65534 --regid=65534 --clear-groups \
	--no-new-privs --inh-caps=-all --bounding-set=-all "$ROOT/build/egressd-console" \
	--config "$S/console.conf" --users-file "$S/users" --www "$ROOT/www/console" \
	--fleet-dsn "$PG_DSN" >"$S/console.log" 2>&1 &
cons_pid=$!
URL=http://127.0.0.1:8743
wait_until 10 "the console to listen" grep -q "listening on" "$S/console.log" ||
	bad "console: $(cat "$S/console.log")"
api() { ip netns exec "$NS_CON" curl -s -m 20 -o "$S/body" -w '%{http_code}' -b "$S/jar" "$@"; }
post() { local p=$1; shift; api -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' "$@" "$URL$p"; }
jq_() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <"$S/body"; }
code=$(api -c "$S/jar" -H 'Content-Type: application/json' \
	-d "{\"username\":\"op\",\"password\":\"$PASS\"}" "$URL/api/login")
csrf=$(jq_ 'd.get("csrf", "")')
[ "$code" = 200 ] && [ "$(jq_ 'd.get("fleet")')" = True ] && ok "console login, fleet mode" ||
	bad "console login: $code $(cat "$S/body")"

n_central=$(pg_psql "SELECT count(*) FROM events")
code=$(api "$URL/api/events?from=0&limit=1000")
got=$(jq_ '"%d %s" % (d["total"], ",".join(sorted({e["host_id"] for e in d["events"]})))')
[ "$code $got" = "200 $n_central host-a,host-b" ] &&
	ok "the console lists the events of both hosts ($got)" || bad "console events: $code $got, central $n_central"
got=$(jq_ 'all(e["host_name"] and e["host_inner"] for e in d["events"])')
[ "$got" = True ] && ok "each with its host's name and inner addresses" || bad "events without host name or addresses"
code=$(api "$URL/api/events?from=0&limit=1000&host=host-b")
got=$(jq_ '",".join(sorted({e["host_id"] for e in d["events"]}))')
[ "$code $got" = "200 host-b" ] && ok "the host filter: host-b's events only" || bad "host filter: $code $got"
code=$(api "$URL/api/hosts")
got=$(jq_ '" ".join("%s:%s" % (h["host_id"], h["stale"]) for h in sorted(d["hosts"], key=lambda h: h["host_id"]))')
[ "$code $got" = "200 host-a:False host-b:False" ] && ok "the hosts page: $got" || bad "hosts: $code $got"

# A black entry added in the console blocks on both hosts; whitelisting an
# event of it in the console allows it again on both, each within 2 s.
for h in a b; do resolves "$h" v4only.example.com || bad "v4only.example.com does not resolve on $h before"; done
t0=$(now_us)
code=$(post /api/blacklist -d '{"patterns":["v4only.example.com"],"note":"from the console"}')
[ "$code $(jq_ 'd["results"][0]["result"]')" = "200 added" ] || bad "console black entry: $code $(cat "$S/body")"
ma=$(applied blocked a v4only.example.com) mb=$(applied blocked b v4only.example.com)
[ "$ma" -le 2000 ] && [ "$mb" -le 2000 ] &&
	ok "a black entry added in the console blocks on both hosts within 2 s (host-a ${ma} ms, host-b ${mb} ms)" ||
	bad "console black entry: blocked after ${ma} ms (a), ${mb} ms (b)"
v4_event() { # v4_event HOST_ID : the central id of its pending v4only event
	pg_psql "SELECT id FROM events WHERE host_id = '$1' AND subject = 'v4only.example.com' AND status = 'pending' LIMIT 1"
}
wait_until 10 "host-b's v4only event centrally" eval '[ -n "$(v4_event host-b)" ] && [ -n "$(v4_event host-a)" ]' ||
	bad "no central v4only events"
eid=$(v4_event host-b)
t0=$(now_us)
code=$(post "/api/events/$eid/whitelist" -d '{}')
[ "$code" = 200 ] || bad "console whitelist: $code $(cat "$S/body")"
ma=$(applied resolves a v4only.example.com) mb=$(applied resolves b v4only.example.com)
[ "$ma" -le 2000 ] && [ "$mb" -le 2000 ] &&
	ok "whitelisting host-b's event in the console allows the name on both hosts within 2 s (host-a ${ma} ms, host-b ${mb} ms)" ||
	bad "console whitelist: resolves after ${ma} ms (a), ${mb} ms (b)"
wait_until 10 "host A's v4only events whitelisted too" eval '[ -z "$(v4_event host-a)" ]' &&
	ok "host A's pending event of that name is whitelisted too" || bad "host A's v4only event still pending"

# Isolating host B's c1 from the console: the command runs on host B.
web b || bad "host B's c1 has no egress before"
code=$(post "/api/containers/host-b:$B_C1/isolate" -d '{"note":"from the console"}')
got=$(jq_ '"%s %s" % (d.get("state"), d.get("command_state"))')
[ "$code $got" = "200 isolated done" ] && ok "console: isolate host-b:$B_C1 -> $got" ||
	bad "console isolate: $code $(cat "$S/body")"
web b && bad "host B's c1 still reaches the web after the console isolated it" ||
	ok "host B's c1 is cut off"
web a && ok "host A's c1 still reaches the web" || bad "host A's c1 was cut"
code=$(post "/api/containers/host-b:$B_C1/unisolate" -d '{}')
got=$(jq_ '"%s %s" % (d.get("state"), d.get("command_state"))')
[ "$code $got" = "200 restored done" ] && ok "console: unisolate -> $got" ||
	bad "console unisolate: $code $(cat "$S/body")"
wait_until 5 "host B's c1 egress back" web b && ok "host B's c1 reaches the web again" ||
	bad "host B's c1 still cut after unisolate"
code=$(api "$URL/api/audit")
got=$(jq_ 'sum(1 for a in d["audit"] if a.get("user") == "op")')
[ "$code" = 200 ] && [ "$got" -ge 3 ] && ok "the central audit names the console user for $got actions" ||
	bad "central audit: $code $got"
kill "$cons_pid" 2>/dev/null; wait "$cons_pid" 2>/dev/null; cons_pid=
ip netns del "$NS_CON"

# ---- PostgreSQL away for 30 s during traffic; host A restarted meanwhile ----
pg_psql "INSERT INTO list_entries (list, pattern, created_by) VALUES ('black', 'www.example.com', 'alice')"
wait_until 5 "www.example.com blocked on A" blocked a www.example.com &&
	ok "central black www.example.com in force on A" || bad "www.example.com not blocked on A"
wait_until 10 "outboxes empty" eval 'outbox_empty a && outbox_empty b'
before_a=$(local_sums a) before_b=$(local_sums b)
pg_stop_server
t_down=$(now_us)
N=40
for h in a b; do
	for i in $(seq 1 $N); do
		lookup "$h" "out$i.bad.test" >/dev/null
		# every fourth name thrice: counts matter, not rows alone
		[ $((i % 4)) = 0 ] && lookup "$h" "out$i.bad.test" >/dev/null &&
			lookup "$h" "out$i.bad.test" >/dev/null
	done
done
wait_until 10 "A sees PostgreSQL gone" eval '! connected a' && ok "host A notices the outage" ||
	bad "host A still says connected"
grep -q "fleet: PostgreSQL .* not available" "$S/a/egressd.log" && ok "the outage is logged" || bad "outage not logged"
stop_host a
start_host a
blocked a www.example.com && ok "host A restarted while PostgreSQL is down still blocks the central entry" ||
	bad "host A restarted without PostgreSQL lost the central entry"
blocked a out1.bad.test && ok "and its local lists" || bad "host A lost its local lists"
lookup a out1.bad.test >/dev/null # one more after the restart
# The outage lasts 30 s (the time itself is what is tested).
left=$((30000000 - ($(now_us) - t_down)))
[ "$left" -gt 0 ] && sleep "$((left / 1000000)).$(printf %06d $((left % 1000000)))"
echo "     local while PostgreSQL was down: a $(local_sums a) (before $before_a), b $(local_sums b) (before $before_b)"
pg_start_server
t_up=$(now_us)
wait_until 60 "both hosts caught up" eval 'same_sums a && same_sums b'
ms=$((($(now_us) - t_up) / 1000))
la=$(local_sums a) lb=$(local_sums b) ca=$(central_sums host-a) cb=$(central_sums host-b)
echo "     after PostgreSQL came back (${ms} ms): host-a local $la central $ca; host-b local $lb central $cb (rows, sum of counts)"
[ "$la" = "$ca" ] && [ "$lb" = "$cb" ] &&
	ok "after the outage every event is there exactly once (a: $ca, b: $cb), caught up in ${ms} ms" ||
	bad "after the outage: a local $la central $ca, b local $lb central $cb"
for h in a b; do
	n=$(pg_psql "SELECT count(DISTINCT subject) || ' ' || sum(count) FROM events WHERE host_id = 'host-$h' AND subject ~ '^out[0-9]+\.bad\.test$'")
	want=$((N + N / 4 * 2))
	[ "$h" = a ] && want=$((want + 2)) # the two lookups after the restart
	[ "$n" = "$N $want" ] && ok "host $h: the $N outage names all there, counts summing to $want" ||
		bad "host $h outage events: '$n', want '$N $want'"
done
grep -q "fleet: caught up after the outage" "$S/b/egressd.log" && ok "the return is logged with what was caught up: $(grep -o 'caught up after the outage.*' "$S/b/egressd.log" | tail -1)" ||
	bad "no catch-up line in B's log"
n=$(grep -c "fleet: PostgreSQL .* not available" "$S/b/egressd.log")
[ "$n" = 1 ] && ok "host B logged the outage once" || bad "host B logged the outage $n times"

# ---- another egressd claiming host A's id ----
# Played in SQL: host A's row says another store holds the id and was
# seen just now (what a cloned machine's heartbeat would leave). Host A
# then ships nothing and runs no command until that one is stale.
pg_psql "UPDATE hosts SET instance = 1, last_seen = now() + interval '1 hour' WHERE host_id = 'host-a'" >/dev/null
wait_until 12 "host A to see its id held" eval \
	'[[ "$(fleet_field a last_error)" == *"held by another egressd"* ]]' &&
	ok "host A sees its id held by another egressd: $(fleet_field a last_error)" ||
	bad "no clash seen: last_error '$(fleet_field a last_error)'"
lookup a clash1.bad.test >/dev/null
clash_rows() { pg_psql "SELECT count(*) FROM events WHERE host_id = 'host-a' AND subject = 'clash1.bad.test'"; }
sleep 3 # what must not happen: the event shipping within 3 s (it ships within 1 s otherwise)
[ "$(clash_rows)" = 0 ] && [ "$(fleet_field a outbox_pending)" -gt 0 ] &&
	ok "meanwhile host A's new event stays in its outbox ($(fleet_field a outbox_pending) pending)" ||
	bad "host A shipped over the other holder's rows: $(clash_rows) central, $(fleet_field a outbox_pending) pending"
grep -q "host id host-a is held by another egressd" "$S/a/egressd.log" && ok "and says so in its log" ||
	bad "no clash line in A's log"
pg_psql "UPDATE hosts SET last_seen = now() - interval '10 minutes' WHERE host_id = 'host-a'" >/dev/null
wait_until 15 "host A's event shipped once the other is stale" eval '[ "$(clash_rows)" = 1 ]' &&
	ok "once the other holder is stale, host A takes its id back and ships" ||
	bad "host A did not ship after the other went stale"
grep -q "host id host-a is this egressd's again" "$S/a/egressd.log" && ok "and logs it" ||
	bad "no take-back line in A's log"

# ---- a database that accepts and never answers (TCP, in the sandbox) ----
# Host B again, its fleet_dsn now a listener in its host namespace (by
# name: localhost, resolved in the sandbox) that
# takes connections and never says a word: egressd starts, enforces,
# answers status at once, and stops at once.
ip netns exec "$B_HOST" /usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 55499)); s.listen(64)
time.sleep(600)' &
mute=$!
stop_host b
printf 'mode = block\nfleet_dsn = host=localhost port=55499 dbname=x user=x sslmode=disable\nfleet_host_id = host-b\n' \
	>"$S/b/egressd.conf"
start_host b
blocked b out2.bad.test && ok "with a mute database host B enforces its last lists (local and central)" ||
	bad "host B with a mute database does not block"
blocked b www.example.com && ok "the central entry too" || bad "host B lost the central entry"
wait_until 15 "B's status names the mute database" eval \
	'fleet_field b last_error | grep -q "no answer"' &&
	ok "status says: $(fleet_field b last_error), connected $(fleet_field b connected)" ||
	bad "status of B: '$(fleet_field b last_error)'"
t0=$(now_us)
ctl b status >/dev/null && ms=$((($(now_us) - t0) / 1000)) &&
	[ "$ms" -lt 1000 ] && ok "egressctl status answers in ${ms} ms" || bad "status slow or failed (${ms:-?} ms)"
t0=$(now_us)
stop_host b
ms=$((($(now_us) - t0) / 1000))
[ "$ms" -lt 3000 ] && ok "egressd stops in ${ms} ms while the database is mute" ||
	bad "egressd took ${ms} ms to stop"
kill "$mute" 2>/dev/null
wait "$mute" 2>/dev/null

grep -h "password\|AddressSanitizer\|runtime error" "$S/a/egressd.log" "$S/b/egressd.log" | head -5 | grep . &&
	bad "a password or a sanitizer report in the logs" || true
exit $fail
