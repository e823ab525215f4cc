# Shared by tests/e2e/test_*.sh (sourced). Set P (namespace prefix) first.
# Gives: HERE ROOT EGRESSD EGRESSCTL S (a temp dir) fail pid, ok/bad,
# wait_for, topo_up (the namespace test bed, torn down on exit with
# everything else), start_egressd/stop_egressd (egressd run in the host
# namespace, logging to $S/egressd.log).
# shellcheck shell=bash
HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EGRESSD=${EGRESSD:-$ROOT/build/egressd}
EGRESSCTL=${EGRESSCTL:-$ROOT/build/egressctl}
TD=/tmp/egressd-testbed-${P%-}
S=$(mktemp -d)
fail=0 pid=
CLEANUP_EXTRA=:

ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# wait_for PATTERN FILE : the event writer adds container and process
# before it writes, so give it a moment (bounded).
wait_for() {
	for _ in $(seq 30); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
	return 1
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
	local before sock=
	before=$(grep -c "running in" "$S/egressd.log" 2>/dev/null)
	for a in "$@"; do [ "${prev:-}" = --socket ] && sock=$a; prev=$a; done
	# alert unless the test says otherwise (egressd's default is block).
	ip netns exec "$NS_HOST" "$EGRESSD" run --config /dev/null --mode alert \
		--state-dir "$S/state" --socket "$S/egressd.sock" --container-if "$BRIDGE" \
		--ruleset "$ROOT/nft/egressd.nft" "$@" >>"$S/egressd.log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		[ "$(grep -c "running in" "$S/egressd.log")" -gt "${before:-0}" ] &&
			{ [ -z "$sock" ] || [ -S "$sock" ]; } && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "egressd did not start:"
	cat "$S/egressd.log"
	exit 1
}
