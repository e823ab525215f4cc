# Waiting in the end-to-end tests (sourced by lib.sh, test_docker.sh and
# dockerbed.sh). A test waits for the condition it needs, polled, never for
# a fixed time: a sleep long enough for the ASan build on a loaded 2-core
# machine wastes seconds on an idle one, and one made for an idle machine
# fails on the loaded one. A poll returns as soon as its condition holds and
# gives up after a bound made for the slow case. A fixed sleep is left only
# where the time itself is what is tested (nothing may happen within it, a
# process is held stopped for it, a flood is paced), with a comment saying so.
# shellcheck shell=bash

# now_us : microseconds of the wall clock (bash 5: no fork; the decimal
# point of EPOCHREALTIME is the locale's, hence every non-digit is dropped).
now_us() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		echo "${EPOCHREALTIME//[!0-9]/}"
	else
		date +%s%6N
	fi
}

# secs_us SECONDS : SECONDS (e.g. 10 or 0.5) in microseconds.
secs_us() {
	local i=${1%%.*} f=
	[[ $1 == *.* ]] && f=${1#*.}
	f=${f}000000
	echo $((10#${i:-0} * 1000000 + 10#${f:0:6}))
}

# wait_until SECONDS WHAT COMMAND... : runs COMMAND until it succeeds
# (returns 0), every 0.1 s, for at most SECONDS (the last try is at the
# deadline). When the time is up it says on stderr what it waited for and
# returns 1; the caller's own check then fails the test. COMMAND runs in
# this shell: a function may set variables for the caller. WAIT_TRACE=1
# says on stderr how long each wait took.
wait_until() {
	# Names of its own: COMMAND sees (and may set) the caller's variables.
	local _wu_secs=$1 _wu_what=$2 _wu_end _wu_left _wu_t0
	shift 2
	_wu_t0=$(now_us)
	_wu_end=$((_wu_t0 + $(secs_us "$_wu_secs")))
	until "$@"; do
		_wu_left=$((_wu_end - $(now_us)))
		if [ "$_wu_left" -le 0 ]; then
			echo "     (gave up after ${_wu_secs} s waiting for $_wu_what)" >&2
			return 1
		fi
		[ "$_wu_left" -gt 100000 ] && _wu_left=100000
		sleep "$((_wu_left / 1000000)).$(printf '%06d' $((_wu_left % 1000000)))"
	done
	[ -z "${WAIT_TRACE:-}" ] ||
		echo "     (waited $((($(now_us) - _wu_t0) / 1000)) ms for $_wu_what)" >&2
	return 0
}

# in_file PATTERN FILE : FILE has a line matching PATTERN (grep on the
# file itself: no pipe, so no SIGPIPE to misread under pipefail).
in_file() { grep -q -- "$1" "$2" 2>/dev/null; }

# wait_for PATTERN FILE [SECONDS] : a line matching PATTERN is in FILE
# within SECONDS (10 by default: the event writer adds container and
# process before it writes, slowly under ASan on a loaded machine).
wait_for() {
	wait_until "${3:-10}" "'$1' in $2" in_file "$1" "$2"
}
