# Shared by scripts/bench-*.sh (sourced after lib.sh, with P, NAME set):
# the test bed, its clean-up, the pid of what a bench started, and the
# package's egressd.conf with the bed's paths.
# shellcheck shell=bash

TD=/tmp/egressd-testbed-${P%-}
S=
pid=
BENCH_CLEANUP_EXTRA=:

# bench_bed_check : refuses to run over a bed of the same prefix.
bench_bed_check() {
	local n
	for n in host c1 c2 inet; do
		if [ -e "/run/netns/${P}$n" ]; then
			echo "$NAME: namespace ${P}$n exists (another run, or a killed one:" \
				"P=$P bash tests/e2e/topo.sh down)" >&2
			exit 1
		fi
	done
}

# stop_pid : stops what $pid is (SIGTERM, then SIGKILL after 5 s).
stop_pid() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	pid=
}

bench_cleanup() {
	trap - EXIT INT TERM
	$BENCH_CLEANUP_EXTRA
	stop_pid
	bash "$ROOT/tests/e2e/topo.sh" down >/dev/null 2>&1
	rm -rf "$S"
}

# bench_bed_up : a temp dir $S, clean-up on exit, the bed up, its env read.
bench_bed_up() {
	S=$(mktemp -d "/tmp/$NAME.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	bash "$ROOT/tests/e2e/topo.sh" up >"$S/topo.log" 2>&1 || { cat "$S/topo.log"; exit 1; }
	# shellcheck disable=SC1091
	. "$TD/run/topo.env"
}

# bench_conf [EXTRA_FILE] : the package's egressd.conf with the bed's
# paths and block mode into $S/egressd.conf (EXTRA_FILE appended).
bench_conf() {
	{
		grep -vE '^(mode|container_if|state_dir|socket|host_processes) *=' "$ROOT/etc/egressd.conf"
		echo "mode = block"
		echo "host_processes = ${BENCH_HOST_PROCESSES:-ignore}"
		echo "container_if = $BRIDGE"
		echo "state_dir = $S/state"
		echo "socket = $S/ctl.sock"
		echo "system_lists = $ROOT/lists"
		echo "ruleset = $ROOT/nft/egressd.nft"
		[ -z "${1:-}" ] || cat "$1"
	} >"$S/egressd.conf"
}

# cputicks: "utime stime" of $pid and its children (egressd's watchdog), in
# ticks. stime includes what the kernel does for a packet inside the verdict
# call: its reinjection runs the rest of the forward path there, and the
# softirq that delivers it to the server's namespace (veth) usually too.
cputicks() {
	local p u=0 s=0 f
	[ -n "$pid" ] || { echo - -; return; }
	for p in "$pid" $(pgrep -P "$pid"); do
		# Fields after the ")" of comm: utime and stime are the 12th and 13th.
		f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		read -r u s <<<"$(awk -v u="$u" -v s="$s" '{ print u + $12, s + $13 }' <<<"$f")"
	done
	echo "$u $s"
}

# bench_rounds WAY... : $ROUNDS rounds, each running way_WAY ROUND for every
# WAY in an order rotated by one a round, so that a burst of other load
# hits them alike.
bench_rounds() {
	local ways=("$@") order r i w
	for ((r = 1; r <= ROUNDS; r++)); do
		order=()
		for ((i = 0; i < ${#ways[@]}; i++)); do
			order+=("${ways[(i + r - 1) % ${#ways[@]}]}")
		done
		echo "$NAME: round $r/$ROUNDS, order ${order[*]}"
		for w in "${order[@]}"; do "way_$w" "$r"; done
	done
}
