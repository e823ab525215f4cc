#!/usr/bin/env bash
# End to end, as an attacker and a careless operator would try it: every
# section in tests/e2e/hostile/ (in name order) on one namespace test bed.
# A section is sourced in a subshell with lib.sh's helpers (ok, bad,
# start_egressd, stop_egressd; the polls wait_until, wait_for, wait_log,
# events_taken: a section waits for a condition, not for a fixed time) and
# the test bed's variables; it uses its own state dir and socket under
# $S/<section>, and stops what it started. Whatever a section leaves
# running in the host namespace is killed before the next one. Needs root.
set -uo pipefail
export P=hst-
. "$(dirname "$0")/lib.sh"
topo_up

sections=("$HERE"/hostile/*.sh)
[ -e "${sections[0]}" ] || { bad "no sections in $HERE/hostile"; exit 1; }
for f in "${sections[@]}"; do
	name=$(basename "$f" .sh)
	# HOSTILE_ONLY: a regular expression of the sections to run.
	[ -n "${HOSTILE_ONLY:-}" ] && [[ ! $name =~ $HOSTILE_ONLY ]] && continue
	echo "-- $name"
	SEC=$S/$name
	mkdir -p "$SEC"
	t0=$(date +%s%N)
	( SEC=$SEC; pid=; fail=0; . "$f"; stop_egressd; exit $fail )
	rc=$?
	[ $rc = 0 ] || fail=1
	# Nothing a section started may outlive it.
	for p in $(ip netns pids "$NS_HOST" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	echo "-- $name: $([ $rc = 0 ] && echo passed || echo FAILED) in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
exit $fail
