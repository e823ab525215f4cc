#!/usr/bin/env bash
# bench-dnsflood.sh [--rate Q] [--time S] [--sockets N]
#
# A flood of DNS queries for random names (never the same twice, so no
# cache helps) from container c1 through egressd, on the namespace test bed
# (tests/e2e/topo.sh, prefix $P, bq- unless set). egressd runs as the
# package runs it (etc/egressd.conf, block mode, the shipped lists).
# Defaults: 20,000 queries/s for 20 s over 64 UDP sockets
# (scripts/bench-dnsflood-client.py; the resolver is the test bed's dnsmasq
# at 203.0.113.53, which answers NXDOMAIN for names it does not know).
# Reports: queries sent and answered, the answer latency, queue 0's
# counters in the host namespace (id_sequence: packets sent to egressd;
# queue_dropped, user_dropped: the kernel's drops), egressd's ENOBUFS and
# verdict errors (its stop line), and its RSS sampled every 0.5 s (start,
# max, end) against its bounds; and where the unanswered queries were
# lost: UDP receive-buffer drops (RcvbufErrors of /proc/net/snmp) in the
# resolver's namespace (inet) and in c1. --kernel runs the same without
# egressd, to tell the test bed's own losses from egressd's.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"

RATE=20000 TIME=20 SOCKS=64 WITH=egressd
while [ $# -gt 0 ]; do
	case $1 in
	--rate) RATE=${2-}; shift ;;
	--time) TIME=${2-}; shift ;;
	--sockets) SOCKS=${2-}; shift ;;
	--kernel) WITH=kernel ;; # no egressd: what the test bed itself loses
	*) echo "usage: $0 [--rate Q] [--time S] [--sockets N] [--kernel]" >&2; exit 2 ;;
	esac
	shift
done
[[ $RATE =~ ^[1-9][0-9]*$ && $TIME =~ ^[0-9]+(\.[0-9]+)?$ && $SOCKS =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bench-dnsflood: bad arguments" >&2; exit 2; }
PY=${BENCH_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
[ "$(id -u)" = 0 ] || { echo "bench-dnsflood: needs root" >&2; exit 1; }
ensure_packages "${BUILD_PKGS[@]}" "${TESTBED_PKGS[@]}" || exit 1
meson_build "$ROOT/build" || exit 1
EGRESSD=$ROOT/build/egressd

export P=${P:-bq-}
NAME=bench-dnsflood
. "$ROOT/scripts/bench-lib.sh"
bench_bed_check
sampler=
stop_sampler() { [ -z "$sampler" ] || kill "$sampler" 2>/dev/null; }
BENCH_CLEANUP_EXTRA=stop_sampler

bench_bed_up
bench_conf
if [ "$WITH" = egressd ]; then
	ip netns exec "$NS_HOST" "$EGRESSD" run --config "$S/egressd.conf" >"$S/egressd.log" 2>&1 &
	pid=$!
	for _ in $(seq 600); do grep -q "running in" "$S/egressd.log" && break; sleep 0.1; done
	grep -q "running in" "$S/egressd.log" || { echo "bench-dnsflood: egressd did not start" >&2; cat "$S/egressd.log" >&2; exit 1; }
else
	pid= # egressd's figures read 0
	: >"$S/egressd.log"
fi
qstats() {
	ip netns exec "$NS_HOST" cat /proc/net/netfilter/nfnetlink_queue |
		awk '$1 == 0 { print $6, $7, $8; f = 1 } END { if (!f) print 0, 0, 0 }'
}
rcvbuf() { # UDP RcvbufErrors of namespace $1
	ip netns exec "$1" awk '/^Udp:/ { if (h) print $0; h = 1 }' /proc/net/snmp |
		awk '{ print $6 }'
}
rss() { [ -n "$pid" ] || { echo 0; return; }; awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0; }
rss0=$(rss)
(while :; do rss >>"$S/rss"; sleep 0.5; done) &
sampler=$!
read -r qd0 ud0 seq0 <<<"$(qstats)"
ri0=$(rcvbuf "$NS_INET") rc0=$(rcvbuf "$NS_C1")
echo "bench-dnsflood: $RATE queries/s for $TIME s over $SOCKS sockets from c1 (P=$P), through $WITH; egressd RSS $rss0 kB"
ip netns exec "$NS_C1" "$PY" "$ROOT/scripts/bench-dnsflood-client.py" "$RATE" "$TIME" "$SOCKS" >"$S/client.json" ||
	{ echo "bench-dnsflood: client failed" >&2; exit 1; }
sleep 1
read -r qd1 ud1 seq1 <<<"$(qstats)"
ri1=$(rcvbuf "$NS_INET") rc1=$(rcvbuf "$NS_C1")
kill "$sampler"; wait "$sampler" 2>/dev/null; sampler=
rss1=$(rss)
if [ -n "$pid" ]; then
	kill "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	pid=
fi
"$PY" - "$S/client.json" "$S/rss" <<EOF2
import json, sys
j = json.load(open(sys.argv[1]))
r = [int(x) for x in open(sys.argv[2]) if x.strip()]
print("  client: sent %(sent)d (%(send_rate).0f/s, %(send_errors)d send errors), answered %(answered)d, "
      "unanswered %(unanswered)d, rcodes %(rcodes)s, answer p50 %(p50_us)s us p99 %(p99_us)s us" % j)
print("  queue 0: %d packets to egressd, queue_dropped %d, user_dropped %d"
      % ($seq1 - $seq0, $qd1 - $qd0, $ud1 - $ud0))
print("  UDP receive-buffer drops: resolver (inet) %d, client (c1) %d" % ($ri1 - $ri0, $rc1 - $rc0))
print("  egressd RSS: %d kB before, max %d kB during, %d kB after (%d samples)"
      % ($rss0, max(r) if r else -1, $rss1, len(r)))
EOF2
grep -h "stopping:" "$S/egressd.log" | sed 's/^egressd: /  egressd /'
echo "  command: P=$P scripts/bench-dnsflood.sh --rate $RATE --time $TIME --sockets $SOCKS$([ "$WITH" = kernel ] && echo " --kernel")"
