# Shared by tests/e2e/test_*.sh (sourced). Set P (namespace prefix) first.
# Gives: HERE ROOT EGRESSD EGRESSCTL S (a temp dir) fail pid, ok/bad,
# wait_until, wait_for, wait_log (polls: wait.sh), topo_up (the namespace
# test bed, torn down on exit with everything else),
# start_egressd/stop_egressd (egressd run in the host namespace, logging
# to $S/egressd.log).
# shellcheck shell=bash
HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EGRESSD=${EGRESSD:-$ROOT/build/egressd}
EGRESSCTL=${EGRESSCTL:-$ROOT/build/egressctl}
TD=/tmp/egressd-testbed-${P%-}
S=$(mktemp -d)
fail=0 pid=
CLEANUP_EXTRA=:

# console_user_new : a console user "op" in $S/users with a random
# password, in $PASS and $S/pass, both readable by the console's user.
console_user_new() {
	PASS=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
	echo "$PASS" >"$S/pass"
	chmod 0644 "$S/pass"
	echo "$PASS" | "$EGRESSCTL" console-user add op --users-file "$S/users" >/dev/null ||
		bad "console-user add"
	chmod 0644 "$S/users"
}
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# wait_until SECONDS WHAT COMMAND..., wait_for PATTERN FILE [SECONDS],
# in_file PATTERN FILE, now_us: polls, never fixed sleeps (see wait.sh).
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

# log_lines PATTERN : how many lines of egressd.log match PATTERN.
log_lines() {
	local n
	n=$(grep -c -- "$1" "$S/egressd.log" 2>/dev/null)
	echo "${n:-0}"
}
log_more() { [ "$(log_lines "$1")" -gt "$2" ]; }
# wait_log PATTERN N [SECONDS] : egressd.log has more than N lines matching
# PATTERN (N: log_lines before the act) within SECONDS (10 by default).
wait_log() {
	wait_until "${3:-10}" "a new line '$1' in egressd.log" log_more "$1" "$2"
}

# events_taken SOCKET N : egressd has taken N events or more since it
# started (queued, counted into others or dropped) and written every one it
# queued. Its counters are published once a second: N is what makes a
# stale copy (all written, from before the last ones came) no answer.
events_taken() {
	"$EGRESSCTL" --socket "$1" --json status 2>/dev/null | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
taken = c["events_queued"] + c["events_coalesced"] + c["events_dropped"]
sys.exit(0 if taken >= int(sys.argv[1]) and c["events_written"] >= c["events_queued"] else 1)' "$2" 2>/dev/null
}

stop_egressd() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=
}

e2e_cleanup() {
	stop_egressd
	$CLEANUP_EXTRA
	bash "$HERE/topo.sh" down >/dev/null 2>&1
	rm -rf "$S"
}
trap e2e_cleanup EXIT

topo_up() {
	bash "$HERE/topo.sh" up >"$S/topo.log" 2>&1 || { cat "$S/topo.log"; exit 1; }
	. "$TD/run/topo.env"
}

# start_egressd [egressd run flags...] : in the host namespace, waits until
# it runs (and its control socket exists when --socket is given).
start_egressd() {
	local before sock='' prev=''
	before=$(log_lines "running in")
	for a in "$@"; do [ "$prev" = --socket ] && sock=$a; prev=$a; done
	# alert unless the test says otherwise (egressd's default is block).
	ip netns exec "$NS_HOST" "$EGRESSD" run --config /dev/null --mode alert \
		--state-dir "$S/state" --socket "$S/egressd.sock" --container-if "$BRIDGE" \
		--ruleset "$ROOT/nft/egressd.nft" "$@" >>"$S/egressd.log" 2>&1 &
	pid=$!
	# 30 s: the ASan build on a loaded machine; a daemon that exits ends
	# the wait at once.
	wait_until 30 "egressd to start" egressd_started "$before" "$sock" &&
		kill -0 "$pid" 2>/dev/null && return 0
	echo "egressd did not start:"
	cat "$S/egressd.log"
	exit 1
}
# egressd_started N SOCKET : a new "running in" line (and the control
# socket, when given), or egressd is gone (no use waiting).
egressd_started() {
	! kill -0 "$pid" 2>/dev/null && return 0
	log_more "running in" "$1" && { [ -z "$2" ] || [ -S "$2" ]; }
}
