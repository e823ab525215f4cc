#!/usr/bin/env bash
# egressd as a new user first runs it: no config file and no
# --container-if. On a test bed whose bridge is named like a Docker user
# network (br-dflt) it must watch that bridge and block by default; with
# only interfaces that do not exist it must warn; container_if = auto must
# find a bridge with containers on it whatever its name, and a bridge
# added later. /etc/egressd is hidden (a private mount namespace) so that
# an installed config cannot stand in for the defaults. Needs root.
set -uo pipefail
export P=dfl- BR=br-dflt
. "$(dirname "$0")/lib.sh"
topo_up

# run LOG ARGS...: egressd run with no config file, in the host namespace.
run_bare() {
	local log=$1
	shift
	: >"$log"
	# As under systemd, when asked: stderr is "the journal's stream".
	[ -n "${JOURNAL:-}" ] && export JOURNAL_STREAM=$(stat -c %d:%i "$log")
	ip netns exec "$NS_HOST" unshare -m sh -c \
		'mkdir -p /etc/egressd 2>/dev/null; mount -t tmpfs none /etc/egressd && exec "$@"' \
		sh "$EGRESSD" run --state-dir "$S/state" --socket "$S/egressd.sock" "$@" >>"$log" 2>&1 &
	unset JOURNAL_STREAM
	pid=$!
	local t0=$(date +%s%N)
	wait_until 60 "egressd to start" in_file "running in" "$log" ||
		{ bad "egressd did not start"; cat "$log"; }
	echo "     (started in $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
}
# The set's elements; a listing that meets egressd's own transaction
# fails (EINTR) and is asked again.
ifs_set() {
	local out
	for _ in $(seq 20); do
		out=$(ip netns exec "$NS_HOST" nft list set inet egressd container_ifs 2>/dev/null) &&
			{ echo "$out"; return 0; }
		sleep 0.05
	done
	return 1
}
# ifs_has NAME: is it in the set? (no pipe into grep -q: with pipefail
# the writer's SIGPIPE, when grep stops early, reads as "not found")
ifs_has() {
	local s
	s=$(ifs_set) && [[ $s == *"\"$1\""* ]]
}
served() { ip netns exec "$NS_C1" curl -sk -m 3 -o /dev/null --resolve "$1:443:203.0.113.80" "https://$1/"; }
printf 'bad-sni.example\n' >"$S/black.txt"

# The shipped ruleset is nft on its own (its mark defaults as defines).
ip netns exec "$NS_HOST" nft -c -f "$ROOT/nft/egressd.nft" >"$S/nftc.txt" 2>&1 &&
	ok "nft -c -f nft/egressd.nft passes" || { bad "nft -c: $(head -3 "$S/nftc.txt")"; }

# 1. Nothing configured: the defaults watch br-dflt, in block mode.
run_bare "$S/a.log" --blacklist "$S/black.txt"
grep -q "running in block mode" "$S/a.log" && ok "no config: block mode" || { bad "mode"; cat "$S/a.log"; }
wait_for "watching 1 container interface: br-dflt (br-\*, 2 ports)" "$S/a.log" &&
	ok "no config: $(grep -o 'watching 1 .*' "$S/a.log")" || { bad "br-dflt not watched"; cat "$S/a.log"; }
served bad-sni.example && bad "a blacklisted SNI was served" || ok "no config: a blacklisted SNI is stopped"
served www.example.com && ok "no config: a good one is served" || bad "a good SNI was stopped"
"$EGRESSCTL" --socket "$S/egressd.sock" status >"$S/status.txt" 2>&1
grep -q "(the defaults: none configured)" "$S/status.txt" && grep -q "watching:     br-dflt" "$S/status.txt" &&
	ok "egressctl status says the defaults and br-dflt" || { bad "status"; cat "$S/status.txt"; }
# logrotate's way: rename, SIGHUP; the next event goes to a new file.
mv "$S/state/events.jsonl" "$S/state/events.jsonl.1"
# SIGHUP asks for the new name, then reloads the lists: once they are
# loaded again, the next event goes to the new file.
loaded=$(grep -c "lists loaded" "$S/a.log")
kill -HUP "$pid"
reloaded() { [ "$(grep -c "lists loaded" "$S/a.log")" -gt "$loaded" ]; }
wait_until 10 "the reload after SIGHUP" reloaded
served bad-sni.example
ip netns exec "$NS_C2" curl -sk -m 3 -o /dev/null --resolve bad-sni.example:443:203.0.113.80 https://bad-sni.example/
wait_for bad-sni.example "$S/state/events.jsonl" &&
	ok "events.jsonl reopened on SIGHUP: $(wc -l <"$S/state/events.jsonl") new line(s), $(wc -l <"$S/state/events.jsonl.1") in the rotated file" ||
	bad "no new events.jsonl after rename and SIGHUP"
stop_egressd

# 2. Only interfaces that do not exist: a warning, and still running.
JOURNAL=1 run_bare "$S/b.log" --container-if nosuch0 --container-if nosuch-*
wait_for "^<4>egressd: WARNING: no container interface exists (container_if: nosuch0, nosuch-\*)" "$S/b.log" &&
	ok "unknown interfaces: $(grep -o 'WARNING.*' "$S/b.log" | head -1)" || { bad "no warning"; cat "$S/b.log"; }
grep -q "^<5>egressd: running in block mode" "$S/b.log" && grep -q "^<6>egressd: ruleset loaded" "$S/b.log" &&
	ok "with JOURNAL_STREAM, lines carry their priority (<4> the warning, <5> running, <6> the ruleset line)" ||
	bad "no journald priorities: $(head -3 "$S/b.log")"
served bad-sni.example && ok "...and nothing is watched (the blacklisted SNI passes: said, not hidden)" ||
	bad "a flow was judged on an unwatched bridge"
stop_egressd

# 3. auto: a bridge of any name with a container on it, now and later.
ip -n "$NS_HOST" link set "$BR" name xbr0
run_bare "$S/c.log" --container-if auto --blacklist "$S/black.txt"
wait_for "xbr0 (auto, 2 ports)" "$S/c.log" && ok "auto: $(grep -o 'watching .*' "$S/c.log" | tail -1)" ||
	{ bad "auto did not find xbr0"; cat "$S/c.log"; }
served bad-sni.example && bad "auto: a blacklisted SNI was served" || ok "auto: a blacklisted SNI is stopped on xbr0"
ip netns add "${P}c3"
ip -n "$NS_HOST" link add xbr1 type bridge
ip -n "$NS_HOST" link set xbr1 up
ip -n "$NS_HOST" link add vethc3 master xbr1 type veth peer name eth0 netns "${P}c3"
ip -n "$NS_HOST" link set vethc3 up
wait_for "xbr1 (auto, 1 port)" "$S/c.log" 20 && ok "auto: a bridge added later is watched: $(grep -o 'watching 2 .*' "$S/c.log" | tail -1)" ||
	{ bad "xbr1 not found"; tail -3 "$S/c.log"; }
ifs_has xbr1 && ok "auto: xbr1 is in the ruleset's container_ifs" ||
	{ bad "xbr1 not in container_ifs"; ifs_set; }
ip -n "$NS_HOST" link del xbr1
xbr1_out() { ifs_has xbr0 && ! ifs_has xbr1; }
wait_until 20 "xbr1 out of container_ifs" xbr1_out
! ifs_has xbr0 || ifs_has xbr1 &&
	{ bad "xbr1 stays in container_ifs after it is gone"; tail -3 "$S/c.log"; ifs_set; } ||
	ok "auto: a bridge gone is taken out of container_ifs"
ip netns del "${P}c3"
stop_egressd
ip -n "$NS_HOST" link set xbr0 name "$BR" 2>/dev/null
exit $fail
