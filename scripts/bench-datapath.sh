#!/usr/bin/env bash
# bench-datapath.sh [--clients 1,8,64] [--time S] [--rounds R] [--list-n N] [--quick]
#
# The cost of egressd on the datapath, three setups side by side in one run
# on the namespace test bed (tests/e2e/topo.sh, prefix $P, bn- unless set; nothing is
# attached to the root namespace):
#   kernel   no egressd ruleset at all
#   floor    egressd's ruleset as egressd leaves it (egressd run with the
#            same configuration and lists, then SIGTERM: fail-open, the queue
#            rule, the listed4/listed6 sets and the SYN-keeping rule stay),
#            the queue read by tests/bench/nfq_accept: every packet accepted
#            at once and its flow marked "allow" as egressd marks it, so the
#            same rules queue the same packets as with egressd
#   egressd  egressd run as the package runs it (etc/egressd.conf), in
#            block mode, with the shipped lists (system_lists) and a
#            --list-n-entry generated blacklist (scripts/gen-domains.py;
#            the test name is not in it)
# From container c1 (scripts/bench-datapath-client.py), for each number of
# parallel clients (--clients), each time-limited (--time seconds per cell,
# split over the rounds):
#   http, tls          new connections to nginx at 203.0.113.80 (:80, :443
#                      with a full TLS handshake), no lookup before; these
#                      run first on a fresh egressd, which has therefore
#                      never seen the name resolved
#   http-dns, tls-dns  a lookup of www.example.com before each connection
#                      (what curl does)
#   dns                lookups alone (a new UDP socket each)
# and around each cell: queue 0's counters in the host namespace
# (/proc/net/netfilter/nfnetlink_queue: id_sequence counts the packets sent
# to the reader; queue_dropped and user_dropped), and the reader's CPU time
# (utime and stime of /proc/PID/stat, egressd's watchdog process included).
# Latency: connect() to the first byte of the response (TLS: handshake
# included); dns: query to answer.
#
# The rounds (--rounds) run the three setups in a rotated order each, on a
# new egressd each, and pool their samples: a burst of other load hits the
# three alike. Ratios within one run are what count on a noisy machine.
# Defaults: --clients 1,8,64 --time 4 --rounds 2 --list-n 1000000 (~6 min);
# --quick: --clients 1,8 --time 1.5 --rounds 1 --list-n 100000 (~1 min).
# Needs root; installs the missing packages and builds egressd (meson,
# build/ of this tree, as the other scripts do).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"

CLIENTS=1,8,64 TIME=4 ROUNDS=2 LIST_N=1000000
usage() {
	echo "usage: $0 [--clients 1,8,64] [--time S] [--rounds R] [--list-n N] [--quick]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--clients) CLIENTS=${2-}; shift ;;
	--time) TIME=${2-}; shift ;;
	--rounds) ROUNDS=${2-}; shift ;;
	--list-n) LIST_N=${2-}; shift ;;
	--quick) CLIENTS=1,8 TIME=1.5 ROUNDS=1 LIST_N=100000 ;;
	*) usage ;;
	esac
	shift
done
[[ $CLIENTS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || usage
[[ $TIME =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $LIST_N =~ ^[0-9]+$ ]] || usage
IFS=, read -ra LEVELS <<<"$CLIENTS"
CELL_S=$(awk -v t="$TIME" -v r="$ROUNDS" 'BEGIN { print t / r }') # per client run
# Debian's python3 (in BUILD_PKGS): the standard library is enough, and a
# pyenv shim on PATH costs ~0.5 s a start.
PY=${BENCH_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
# egressd's default connmark bits (etc/egressd.conf): the floor marks as it does.
MARK_MASK=0x00e00000 ALLOW_MARK=0x00200000
# The order on one egressd: every level's no-lookup kinds first (nothing
# known about the name), then the ones after a lookup.
MODES1=(http tls) MODES2=(http-dns tls-dns dns)

[ "$(id -u)" = 0 ] || { echo "bench-datapath: needs root" >&2; exit 1; }
ensure_packages "${BUILD_PKGS[@]}" "${TESTBED_PKGS[@]}" || exit 1
meson_build "$ROOT/build" || exit 1
EGRESSD=$ROOT/build/egressd NFQ=$ROOT/build/tests/nfq_accept
CLIENT=$ROOT/scripts/bench-datapath-client.py
for f in "$EGRESSD" "$NFQ"; do [ -x "$f" ] || { echo "bench-datapath: no $f" >&2; exit 1; }; done

export P=${P:-bn-}
NAME=bench-datapath
. "$ROOT/scripts/bench-lib.sh"
bench_bed_check
t_start=$(date +%s)

echo "bench-datapath: clients $CLIENTS, $TIME s per cell in $ROUNDS round(s), topology up (P=$P)"
bench_bed_up
H() { ip netns exec "$NS_HOST" "$@"; }

echo "bench-datapath: generating the $LIST_N-entry blacklist"
mkdir -p "$S/list"
if [ "$LIST_N" -gt 0 ]; then
	"$PY" "$ROOT/scripts/gen-domains.py" "$S/list" "$LIST_N" 1 0 2>"$S/gen.log" ||
		{ cat "$S/gen.log"; exit 1; }
	if grep -qxE '(\*\.)?(www\.)?example\.com' "$S/list/list.txt"; then
		echo "bench-datapath: the generated list holds the test name" >&2
		exit 1
	fi
	echo "blacklist = $S/list/list.txt" >"$S/list.conf"
else
	: >"$S/list.conf"
fi
# The package's configuration, with the test bed's paths and block mode.
bench_conf "$S/list.conf"

# start_bg NAME LOG READY_PATTERN TIMEOUT_S CMD... : starts CMD in the host
# namespace and waits for READY_PATTERN in its log; sets $pid and $ready_s.
start_bg() {
	local name=$1 log=$2 ready=$3 tmo=$4 t0
	shift 4
	t0=${EPOCHREALTIME/./}
	# Not through a shell function: "ip netns exec" execs CMD, so $! is
	# CMD's own pid, the one stop_pid signals.
	ip netns exec "$NS_HOST" "$@" >"$log" 2>&1 &
	pid=$!
	for _ in $(seq $((tmo * 10))); do
		if grep -q "$ready" "$log"; then
			t0=$(((${EPOCHREALTIME/./} - t0) / 10000))
			ready_s=$(printf '%d.%02d' $((t0 / 100)) $((t0 % 100)))
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-datapath: $name did not start:" >&2
	cat "$log" >&2
	exit 1
}
egressd_run() { # egressd_run LOG
	rm -rf "$S/state"
	start_bg egressd "$1" "running in" 300 "$EGRESSD" run --config "$S/egressd.conf"
	if grep -q "lists not loaded" "$1"; then
		cat "$1" >&2
		exit 1
	fi
}
queued() { # packets that reached the queue rule so far (its nft counter)
	H nft list chain inet egressd to_queue 2>/dev/null |
		sed -n '0,/.*counter packets \([0-9]*\).*/s//\1/p'
}
qstats() { # queue 0 of the host namespace: "portid queue_dropped user_dropped id_sequence"
	H cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk '$1 == 0 { print $2, $6, $7, $8; f = 1 } END { if (!f) print "- - - -" }'
}
cell() { # cell WAY ROUND MODE CLIENTS
	local way=$1 r=$2 mode=$3 c=$4 f
	f=$S/$way.$r.$mode.$c
	qstats >"$f.q0"
	cputicks >"$f.cpu0"
	BENCH_CA=$CA BENCH_SAMPLES=$f.samples ip netns exec "$NS_C1" "$PY" "$CLIENT" "$mode" "$c" "$CELL_S" \
		>"$f.json" 2>"$f.err" ||
		{ echo "bench-datapath: $way $mode x$c client failed:" >&2; cat "$f.err" >&2; exit 1; }
	cputicks >"$f.cpu1"
	qstats >"$f.q1"
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1]))
q0, q1 = open(sys.argv[2]).read().split(), open(sys.argv[3]).read().split()
qd = "-" if q1[0] == "-" or q0[0] != q1[0] else "%.2f" % ((int(q1[3]) - int(q0[3])) / j["attempts"])
print("  round %s %-7s %-8s x%-3s %7.0f/s p50 %6.0f p99 %7.0f us, %d err, queued/op %s"
      % (sys.argv[4], sys.argv[5], j["mode"], j["parallel"], j["rate"], j["p50_us"] or -1,
         j["p99_us"] or -1, j["errors"], qd))' "$f.json" "$f.q0" "$f.q1" "$r" "$way"
}
measure() { # measure WAY ROUND
	local way=$1 r=$2 m c
	# The reader's CPU time with no traffic (egressd's inventory rescans,
	# its watchdog), to weigh the per-operation figures against.
	cputicks >"$S/$way.$r.idle0"
	sleep 2
	cputicks >"$S/$way.$r.idle1"
	queued >"$S/$way.$r.queued0"
	for c in "${LEVELS[@]}"; do for m in "${MODES1[@]}"; do cell "$way" "$r" "$m" "$c"; done; done
	for c in "${LEVELS[@]}"; do for m in "${MODES2[@]}"; do cell "$way" "$r" "$m" "$c"; done; done
	queued >"$S/$way.$r.queued"
}

way_kernel() { # ROUND
	H nft delete table inet egressd 2>/dev/null
	H nft delete table bridge egressd 2>/dev/null
	if H nft list table inet egressd >/dev/null 2>&1; then
		echo "bench-datapath: cannot remove table inet egressd" >&2
		exit 1
	fi
	measure kernel "$@"
}
way_floor() { # ROUND
	egressd_run "$S/egressd-setup.log"
	stop_pid
	if ! grep -q "ruleset left in place (bypass" "$S/egressd-setup.log"; then
		echo "bench-datapath: egressd did not stop cleanly, fail-open:" >&2
		cat "$S/egressd-setup.log" >&2
		exit 1
	fi
	# (Not "nft ... | grep -q": under pipefail, nft's SIGPIPE would fail the test.)
	if [[ $(H nft list chain inet egressd to_queue 2>/dev/null) != *counter* ]]; then
		echo "bench-datapath: the queue rule is gone after egressd stopped" >&2
		exit 1
	fi
	start_bg nfq_accept "$S/nfq_accept.log" "reading queue" 10 "$NFQ" \
		--mark-allow "$ALLOW_MARK" --mark-mask "$MARK_MASK"
	measure floor "$@"
	stop_pid
	grep -h "packets" "$S/nfq_accept.log" | sed 's/^/    /'
}
way_egressd() { # ROUND
	egressd_run "$S/egressd.log"
	echo "$ready_s" >>"$S/egressd.ready"
	measure egressd "$@"
	awk '/^VmRSS/ { print $2, $3 }' "/proc/$pid/status" >"$S/egressd.rss" 2>/dev/null
	H nft list set inet egressd watchdog_pass 2>/dev/null | grep -o 'counter packets [0-9]*' |
		awk '{ s += $3 } END { print s + 0 }' >>"$S/egressd.watchdog"
	stop_pid
	grep -h "stopping:" "$S/egressd.log" | sed 's/^egressd: /    egressd /'
	cat "$S/egressd.log" >>"$S/egressd.all.log"
}

bench_rounds kernel floor egressd
t_end=$(date +%s)
grep -h "ruleset loaded\|lists:" "$S/egressd.all.log" | head -3 | sed 's/^egressd: /  egressd: /'
echo "  egressd with the $LIST_N-entry list: running after $(paste -sd/ "$S/egressd.ready") s;" \
	"RSS at the end of the last round: $(cat "$S/egressd.rss" 2>/dev/null);" \
	"watchdog passes: $(paste -sd/ "$S/egressd.watchdog")"
err_lines=$(grep -hE "verdict errors|ENOBUFS|lost|evict" "$S/egressd.all.log" |
	grep -vE "(stats|stopping): [0-9]+ packets, 0 ENOBUFS, 0 verdict errors")
[ -z "$err_lines" ] || { echo "  egressd reported:"; echo "$err_lines" | sed 's/^/    /'; }

"$PY" "$ROOT/scripts/bench-datapath-report.py" "$S" "$ROUNDS" "$CLIENTS" "$LIST_N" \
	"$((t_end - t_start))" "$(getconf CLK_TCK)" \
	"bench-datapath.sh --clients $CLIENTS --time $TIME --rounds $ROUNDS --list-n $LIST_N"
