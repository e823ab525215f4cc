#!/usr/bin/env bash
# End to end: the operator's workflow over the control socket. Repeated
# connections aggregate into one event; handling (handled, ignore,
# whitelist with a parent domain and --all-pending, delete, isolate) and
# its effect on traffic; list changes without a restart; a restart keeps
# events, lists and isolation; the audit log says who did what. Needs root.
set -uo pipefail
export P=evt-
. "$(dirname "$0")/lib.sh"
SOCK=$S/ctl.sock
topo_up
C1="ip netns exec $NS_C1" C2="ip netns exec $NS_C2"
ctl() { "$EGRESSCTL" --socket "$SOCK" "$@"; }
# Debian's python3: pyenv's (first on PATH) takes ~0.5 s a start on a
# loaded machine, too slow for a poll.
jq_() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
https() { # https NS NAME IP
	ip netns exec "$1" curl -sf -m 3 --cacert "$CA" --resolve "$2:443:$3" "https://$2/"
}
check() { # check NAME COMMAND... (must succeed)
	local name=$1
	shift
	if "$@" >"$S/out" 2>&1; then ok "$name"; else bad "$name: $(head -5 "$S/out")"; fi
}
expect_eq() { [ "$2" = "$3" ] && ok "$1 ($2)" || bad "$1: got '$2', want '$3'"; }
# counted N : the events' counts add up to N or more (all written).
counted() {
	[ "$(ctl --json events 2>/dev/null | jq_ 'sum(int(e["count"]) for e in d["events"])' 2>/dev/null)" -ge "$1" ] 2>/dev/null
}
# newest_pending : the id of the newest pending event (empty if none).
newest_pending() { ctl --json events --status pending 2>/dev/null | jq_ 'd["events"][0]["id"]' 2>/dev/null; }
# pending_new OLD : the newest pending event is another than OLD (the
# newest before the act).
pending_new() {
	local n
	n=$(newest_pending)
	[ -n "$n" ] && [ "$n" != "$1" ]
}
nx() { ip netns exec "$1" dig +time=1 +tries=1 "$2" | grep >/dev/null NXDOMAIN; }

printf '# egressd-category: c2\nother.example.net\n' >"$S/black.txt"
start_egressd --mode block --socket "$SOCK" --blacklist "$S/black.txt"

for i in 1 2 3; do https "$NS_C1" other.example.net 203.0.113.81 >/dev/null 2>&1; done
wait_until 10 "the three connections' events" counted 3
ids=$(ctl --json events | jq_ '" ".join(str(e["id"]) for e in d["events"])')
expect_eq "three connections aggregate into one event" "$(echo $ids | wc -w)" 1
ID=$ids
expect_eq "its count" "$(ctl --json events show $ID | jq_ 'int(d["event"]["count"])')" 3
expect_eq "overview: pending" "$(ctl --json events overview | jq_ 'int(d["overview"]["pending"])')" 1
check "events show names container, rule, process" sh -c \
	"'$EGRESSCTL' --socket '$SOCK' events show $ID | grep >/dev/null 'container:   $NS_C1' &&
	 '$EGRESSCTL' --socket '$SOCK' events show $ID | grep >/dev/null 'other.example.net (source black.txt, category c2)' &&
	 '$EGRESSCTL' --socket '$SOCK' events show $ID | grep >/dev/null 'process .*curl' &&
	 '$EGRESSCTL' --socket '$SOCK' events show $ID | grep >/dev/null 'remedy:'"
expect_eq "filter by domain (parent)" "$(ctl --json events --domain example.net | jq_ 'len(d["events"])')" 1
expect_eq "filter by status" "$(ctl --json events --status handled | jq_ 'len(d["events"])')" 0
expect_eq "a time range before it" "$(ctl --json events --from 2020-01-01 --to 2020-01-02 | jq_ 'len(d["events"])')" 0

check "mark handled" ctl events handled "$ID"
p0=$(newest_pending)
https "$NS_C1" other.example.net 203.0.113.81 >/dev/null 2>&1
wait_until 10 "a new pending event" pending_new "$p0"
ID2=$(ctl --json events --status pending | jq_ 'd["events"][0]["id"]')
[ -n "$ID2" ] && [ "$ID2" != "$ID" ] && ok "after handled, the next occurrence is a new event ($ID2)" ||
	bad "no new event after handled"
check "ignore" ctl events ignore "$ID2"
p0=$(newest_pending)
https "$NS_C1" other.example.net 203.0.113.81 >/dev/null 2>&1
wait_until 10 "a new pending event" pending_new "$p0"
ID3=$(ctl --json events --status pending | jq_ 'd["events"][0]["id"]')
[ -n "$ID3" ] && [ "$ID3" != "$ID2" ] && ok "ignore is for this event only: a new one ($ID3)" ||
	bad "no new event after ignore"

ctl events whitelist "$ID3" --domain '*.example.com' >/dev/null 2>"$S/err"; rc=$?
[ $rc = 1 ] && grep -q "does not cover" "$S/err" && ok "a parent that does not cover the domain is refused" ||
	bad "whitelist with a wrong parent: exit $rc $(cat "$S/err")"
check "whitelist with a parent domain and --all-pending" ctl events whitelist "$ID3" \
	--domain '*.example.net' --all-pending --note "our partner"
https "$NS_C1" other.example.net 203.0.113.81 >/dev/null && ok "the whitelist applies at once to new traffic" ||
	bad "still blocked after the whitelist"
expect_eq "event status" "$(ctl --json events show $ID3 | jq_ 'd["event"]["status"]')" whitelisted

ctl blacklist add www.example.com bad..name 203.0.113.82 --note "from intel" >"$S/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "www.example.com: added" "$S/out" && grep -q "bad..name: invalid" "$S/out" &&
	grep -q "203.0.113.82: added" "$S/out" && ok "blacklist add: valid ones kept, the invalid one reported" ||
	bad "blacklist add: exit $rc $(cat "$S/out")"
ctl blacklist add www.example.com >"$S/out" 2>&1
grep -q "duplicate" "$S/out" && ok "a duplicate is reported" || bad "duplicate: $(cat "$S/out")"
$C1 dig +time=1 +tries=1 www.example.com | grep >/dev/null NXDOMAIN && ok "the new entry applies without a restart" ||
	bad "www.example.com still resolves"
BID=$(ctl --json blacklist list | jq_ '[e["id"] for e in d["entries"] if e["pattern"]=="www.example.com"][0]')
check "blacklist remove" ctl blacklist remove "$BID"
$C1 dig +short +time=1 +tries=1 www.example.com | grep >/dev/null 203.0.113.80 && ok "removed: resolves again" ||
	bad "still blocked after remove"

ctl events delete "$ID" >/dev/null 2>&1 && bad "delete without --yes was done" ||
	ok "delete asks for --yes"
check "delete --yes" ctl events delete "$ID" --yes
ctl --json events show "$ID" >/dev/null 2>&1 && bad "deleted event still there" || ok "a deleted event is gone"

p0=$(newest_pending)
https "$NS_C1" x.cdn.test 203.0.113.82 >/dev/null 2>&1
wait_until 10 "a new pending event" pending_new "$p0"
ID4=$(ctl --json events --status pending | jq_ 'd["events"][0]["id"]')
check "events isolate" ctl events isolate "$ID4"
expect_eq "...the event is handled" "$(ctl --json events show $ID4 | jq_ 'd["event"]["status"]')" handled
$C1 curl -sf -m 1 http://203.0.113.80/ >/dev/null && bad "container not isolated" || ok "...the container is isolated"

# Threat-intel feeds: the shipped starter list, and imports.
ctl lists | grep >/dev/null "black  mining-pools.txt .*mining-pool .*60" &&
	ok "the shipped mining-pool list is loaded (60 entries)" || { bad "system list"; ctl lists; }
printf '# feed\n0.0.0.0 api.example.com\n0.0.0.0 x..bad\n' >"$S/feed-bad.txt"
ctl lists import "$S/feed-bad.txt" --format hosts --category malware-download >/dev/null 2>"$S/err"; rc=$?
[ $rc = 1 ] && grep -q "feed-bad.txt:3: 'x..bad'" "$S/err" && grep -q "nothing loaded" "$S/err" &&
	ok "a feed with too many bad lines (1 of 2) is refused whole: $(cat "$S/err")" || bad "bad feed: exit $rc $(cat "$S/err")"
$C2 dig +short +time=1 +tries=1 api.example.com | grep >/dev/null 203.0.113.80 && ok "...and nothing of it applies" ||
	bad "the refused feed applied"
{ for i in $(seq 1 11); do echo "0.0.0.0 n$i.feed.test"; done; echo "0.0.0.0 n..typo.test"; } >"$S/feed-typo.txt"
ctl lists import "$S/feed-typo.txt" --format hosts --category malware-download --name typo-feed >"$S/out" 2>&1 &&
	grep -q "11 entries" "$S/out" && grep -q "1 invalid lines skipped" "$S/out" && grep -q "skipped line 12: 'n..typo.test'" "$S/out" &&
	ok "a feed with one typo in 12 lines loads, the typo skipped and said: $(head -1 "$S/out" | cut -c1-90)..." ||
	{ bad "a feed with one typo"; cat "$S/out"; }
printf '127.0.0.1 localhost\n0.0.0.0 api.example.com\n' >"$S/feed.txt"
check "lists import (hosts, malware-download)" ctl lists import "$S/feed.txt" --format hosts \
	--category malware-download --name test-feed
$C2 dig +time=1 +tries=1 api.example.com | grep >/dev/null NXDOMAIN && ok "the imported feed applies at once" ||
	bad "imported feed not applied"
printf '10.0.0.0/8\n203.0.113.200/32\n' >"$S/drop.txt"
ctl lists import "$S/drop.txt" --format cidr --category c2 >"$S/out" 2>&1
grep -q "1 entries, 0 skipped, 1 stripped" "$S/out" && ok "bogons stripped from an IP feed: $(cat "$S/out")" ||
	bad "strip: $(cat "$S/out")"

stop_egressd
start_egressd --mode block --socket "$SOCK" --blacklist "$S/black.txt"
wait_until 10 "api.example.com refused after the restart" nx "$NS_C2" api.example.com &&
	ok "restart keeps the imported feeds" ||
	bad "imported feed lost on restart"
expect_eq "restart keeps the events (4 + the imported feed's DNS block)" "$(ctl --json events --since 1h | jq_ 'len(d["events"])')" 5
https "$NS_C1" other.example.net 203.0.113.81 >/dev/null 2>&1 || true
ctl --json whitelist list | grep >/dev/null '"\*.example.net"' && ok "restart keeps the lists" || bad "lists lost"
$C1 curl -sf -m 1 http://203.0.113.80/ >/dev/null && bad "isolation lost on restart" || ok "restart keeps the isolation"
ctl unisolate "$NS_C1" >/dev/null
ctl audit >"$S/audit"
grep -q "uid 0 .*whitelist .*\*.example.net" "$S/audit" && grep -q "blacklist add" "$S/audit" &&
	grep -q "isolate" "$S/audit" && ok "the audit log has who, when and what" || { bad "audit"; cat "$S/audit"; }
ctl lists | grep >/dev/null "black  black.txt .* 1" && ok "lists shows each source and its entries" ||
	{ bad "lists"; ctl lists; }
exit $fail
