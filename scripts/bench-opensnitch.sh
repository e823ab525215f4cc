#!/usr/bin/env bash
# bench-opensnitch.sh [--clients 1,64] [--time S] [--rounds R] [--in-container]
#
# egressd side by side with OpenSnitch (Debian's opensnitch package, its
# daemon opensnitchd alone, no UI) on the same work, in one run, on the
# namespace test bed (tests/e2e/topo.sh, prefix $P, bq- unless set;
# nothing is attached to the root namespace):
#   kernel      no daemon, no rules
# The client is a host process (the default: in the bed's host namespace,
# where both daemons run and watch the host's own sockets) or, with
# --in-container, a process of container c1 (opensnitchd then runs in
# c1's namespace, where that process is local to it, and egressd watches
# c1 on the bridge's forward path as for any container).
#   opensnitch  opensnitchd run in the client's namespace, with
#               "DefaultAction": "allow", the proc process monitor (what
#               the package runs anyway: its configuration asks for ebpf,
#               but Debian's 1.5.8.1 ships no eBPF object and opensnitchd
#               falls back to proc; audit would attach to the whole host), its
#               rules directory empty, its UI address a unix socket in this
#               run's temp dir that nobody listens on (it never reaches
#               anything outside). Its configuration file is read from a
#               fixed path: a copy is bind-mounted over
#               /etc/opensnitchd/default-config.json in a mount namespace of
#               its own, so /etc is not changed. Its iptables rules (mangle
#               OUTPUT: new connections to NFQUEUE 0 with bypass; INPUT: DNS
#               answers) land in that namespace only.
#   egressd     egressd in the host namespace as the package runs it
#               (etc/egressd.conf, block mode, the shipped lists), with
#               host_processes = watch for a host-process client (a host
#               process in no container is judged only then).
# Workload (scripts/bench-datapath-client.py http): new TCP
# connections to nginx at 203.0.113.80:80 with one GET each, --clients
# parallel clients, --time seconds per cell split over the rounds. Measured
# per cell: connections/s, p50 and p99 connect latency (connect() to the
# first byte of the answer), and the daemon's CPU (utime+stime of
# /proc/PID/stat, its children included) per connection. The rounds run the
# three setups in a rotated order each, with a new daemon each.
#
# Caveats, said plainly:
# - What each does per connection differs. OpenSnitch queues a new
#   connection's SYN and, to name the process, looks the socket up in
#   /proc/net/tcp and scans /proc/*/fd (the proc monitor); its verdict is
#   the default (allow) since no rule and no UI exist. egressd queues the
#   first payload (the GET) and judges its Host name against its lists;
#   the SYN passes by the ruleset. Neither runs its full interactive setup.
# - opensnitchd's CPU includes its Go runtime's idle work (its stats, the
#   UI reconnect loop); egressd's includes its inventory rescans. Each
#   cell's CPU is divided by the connections tried in it.
# Needs root; installs opensnitch and the test bed's packages, builds
# egressd (build/ of this tree).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"

CLIENTS=1,64 TIME=4 ROUNDS=2 WHERE=host
usage() {
	echo "usage: $0 [--clients 1,64] [--time S] [--rounds R] [--in-container]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--clients) CLIENTS=${2-}; shift ;;
	--time) TIME=${2-}; shift ;;
	--rounds) ROUNDS=${2-}; shift ;;
	--in-container) WHERE=container ;;
	*) usage ;;
	esac
	shift
done
[[ $CLIENTS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || usage
[[ $TIME =~ ^[0-9]+(\.[0-9]+)?$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || usage
IFS=, read -ra LEVELS <<<"$CLIENTS"
CELL_S=$(awk -v t="$TIME" -v r="$ROUNDS" 'BEGIN { print t / r }')
PY=${BENCH_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3

[ "$(id -u)" = 0 ] || { echo "bench-opensnitch: needs root" >&2; exit 1; }
ensure_packages "${BUILD_PKGS[@]}" "${TESTBED_PKGS[@]}" opensnitch iptables || exit 1
meson_build "$ROOT/build" || exit 1
EGRESSD=$ROOT/build/egressd OSD=$(command -v opensnitchd)
CLIENT=$ROOT/scripts/bench-datapath-client.py
[ -x "$EGRESSD" ] && [ -n "$OSD" ] || { echo "bench-opensnitch: no egressd or opensnitchd" >&2; exit 1; }

export P=${P:-bq-}
NAME=bench-opensnitch
. "$ROOT/scripts/bench-lib.sh"
bench_bed_check

echo "bench-opensnitch: clients $CLIENTS, $TIME s per cell in $ROUNDS round(s), a $WHERE process, topology up (P=$P)"
echo "bench-opensnitch: $("$OSD" -version 2>&1 | tail -1), egressd $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
bench_bed_up
# Where the client and opensnitchd run.
if [ "$WHERE" = host ]; then CNS=$NS_HOST; else CNS=$NS_C1; fi

[ "$WHERE" = host ] && BENCH_HOST_PROCESSES=watch
bench_conf
mkdir -p "$S/osd-rules"
"$PY" - "/etc/opensnitchd/default-config.json" "$S/osd-config.json" "$S/osui.sock" "$S/osd.log" <<'EOF'
import json, sys
try:
    c = json.load(open(sys.argv[1]))
except OSError:
    c = {}
c.setdefault("Server", {})
c["Server"]["Address"] = "unix://" + sys.argv[3]
c["Server"].pop("LogFile", None)  # its log to stdout, our file
c.update({"DefaultAction": "allow", "DefaultDuration": "once",
          "InterceptUnknown": False, "ProcMonitorMethod": "proc",
          "LogLevel": 2, "Firewall": "iptables"})
json.dump(c, open(sys.argv[2], "w"), indent=1)
EOF

# start_bg NAME LOG READY_PATTERN TIMEOUT_S NS CMD...: sets $pid.
start_bg() {
	local name=$1 log=$2 ready=$3 tmo=$4 ns=$5
	shift 5
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	pid=$!
	for _ in $(seq $((tmo * 10))); do
		grep -q "$ready" "$log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-opensnitch: $name did not start:" >&2
	cat "$log" >&2
	exit 1
}
cell() { # cell WAY ROUND CLIENTS
	local f=$S/$1.$2.$3
	cputicks >"$f.cpu0"
	BENCH_SAMPLES=$f.samples ip netns exec "$CNS" "$PY" "$CLIENT" http "$3" "$CELL_S" \
		>"$f.json" 2>"$f.err" ||
		{ echo "bench-opensnitch: $1 x$3 client failed:" >&2; cat "$f.err" >&2; exit 1; }
	cputicks >"$f.cpu1"
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1]))
print("  round %s %-10s x%-3s %7.0f/s p50 %6.0f p99 %7.0f us, %d err"
      % (sys.argv[2], sys.argv[3], j["parallel"], j["rate"], j["p50_us"] or -1,
         j["p99_us"] or -1, j["errors"]))' "$f.json" "$2" "$1"
}
measure() { local c; for c in "${LEVELS[@]}"; do cell "$1" "$2" "$c"; done; }
no_rules() { # no egressd tables in the host namespace, no iptables rules where opensnitchd ran
	ip netns exec "$NS_HOST" nft delete table inet egressd 2>/dev/null
	ip netns exec "$NS_HOST" nft delete table bridge egressd 2>/dev/null
	ip netns exec "$CNS" iptables -t mangle -F 2>/dev/null
	ip netns exec "$CNS" iptables -F 2>/dev/null
	if ip netns exec "$NS_HOST" nft list table inet egressd >/dev/null 2>&1 ||
		ip netns exec "$CNS" nft list ruleset | grep -qi queue; then
		echo "bench-opensnitch: rules left over" >&2
		exit 1
	fi
}
way_kernel() { no_rules; measure kernel "$1"; }
way_opensnitch() {
	no_rules
	# Ready when its queue rule is in the OUTPUT chain (a few seconds after
	# it binds the queue; its "running" line is below its default log level).
	ip netns exec "$CNS" unshare -m sh -c 'mount --bind "$1" /etc/opensnitchd/default-config.json &&
		exec "$2" -rules-path "$3" -process-monitor-method proc -queue-num 0 -ui-socket "unix://$4"' \
		sh "$S/osd-config.json" "$OSD" "$S/osd-rules" "$S/osui.sock" >"$S/osd.out" 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		ip netns exec "$CNS" iptables -t mangle -S OUTPUT 2>/dev/null | grep -q NFQUEUE && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! ip netns exec "$CNS" iptables -t mangle -S OUTPUT | grep -q NFQUEUE; then
		echo "bench-opensnitch: opensnitchd added no NFQUEUE rule:" >&2
		cat "$S/osd.out" >&2
		exit 1
	fi
	sleep 1 # its other rules (DNS answers on INPUT) follow
	measure opensnitch "$1"
	ip netns exec "$CNS" iptables -t mangle -S OUTPUT | grep NFQUEUE | head -1 >"$S/osd.rule"
	stop_pid
	cat "$S/osd.out" >>"$S/osd.all"
}
way_egressd() {
	no_rules
	rm -rf "$S/state"
	start_bg egressd "$S/egressd.log" "running in" 120 "$NS_HOST" "$EGRESSD" run --config "$S/egressd.conf"
	measure egressd "$1"
	# It judged the client's connections: a host process's first payloads
	# reach its queue (host_packets, published once a second).
	if [ "$WHERE" = host ]; then
		sleep 1.2
		hp=$("$ROOT/build/egressctl" --socket "$S/ctl.sock" --json status |
			"$PY" -c 'import json,sys; print(json.load(sys.stdin)["counters"]["host_packets"])')
		echo "  egressd read ${hp:-?} packets of host sockets"
		[ "${hp:-0}" -gt 0 ] || { echo "bench-opensnitch: egressd read no host packet" >&2; exit 1; }
	fi
	stop_pid
	cat "$S/egressd.log" >>"$S/egressd.all"
}

bench_rounds kernel opensnitch egressd
echo "  opensnitchd's queue rule: $(cat "$S/osd.rule" 2>/dev/null)"
grep -hiE "error|warn" "$S/osd.all" | sort | uniq -c | head -5 | sed 's/^/  opensnitchd: /'

"$PY" - "$S" "$ROUNDS" "$CLIENTS" "$(getconf CLK_TCK)" \
	"bench-opensnitch.sh --clients $CLIENTS --time $TIME --rounds $ROUNDS$([ "$WHERE" = host ] || echo " --in-container")" <<'EOF'
import json, sys
S, R, C, TCK, CMD = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
def pct(xs, p):
    k = max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))
    return xs[k] / 1000.0 if xs else float("nan")
def agg(w, c):
    n = tried = err = 0; el = 0.0; lat = []; ticks = 0; cpu = True
    for r in range(1, R + 1):
        f = "%s/%s.%d.%s" % (S, w, r, c)
        j = json.load(open(f + ".json"))
        n += j["count"]; tried += j["attempts"]; err += j["errors"]; el += j["elapsed_s"]
        lat += [int(x) for x in open(f + ".samples")]
        a, b = open(f + ".cpu0").read().split(), open(f + ".cpu1").read().split()
        if a[0] == "-": cpu = False
        else: ticks += int(b[0]) + int(b[1]) - int(a[0]) - int(a[1])
    lat.sort()
    return {"rate": n / el if el else 0, "p50": pct(lat, 50), "p99": pct(lat, 99),
            "err": err, "cpu": ticks * 1e6 / TCK / tried if cpu and tried else None}
print("\n| clients | setup | conn/s | × kernel | p50 µs | p99 µs | added p50 / p99 µs | daemon CPU µs/conn | errors |")
print("|---|---|---|---|---|---|---|---|---|")
for c in C.split(","):
    k = agg("kernel", c)
    for w in ("kernel", "opensnitch", "egressd"):
        a = agg(w, c)
        added = "—" if w == "kernel" else "%+.0f / %+.0f" % (a["p50"] - k["p50"], a["p99"] - k["p99"])
        print("| %s | %s | %.0f | %.2f | %.0f | %.0f | %s | %s | %d |" % (
            c, w, a["rate"], a["rate"] / k["rate"] if k["rate"] else 0, a["p50"], a["p99"], added,
            "—" if a["cpu"] is None else "%.0f" % a["cpu"], a["err"]))
print("\nCommand: P=%s scripts/%s" % (__import__("os").environ.get("P", "bq-"), CMD))
EOF
