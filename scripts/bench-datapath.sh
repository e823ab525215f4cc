#!/usr/bin/env bash
# bench-datapath.sh [N=2000] : the cost of egressd on the datapath, measured
# three ways in one run on the namespace test bed (tests/e2e/topo.sh, prefix
# bdp-; nothing is attached to the root namespace):
#   kernel   no egressd ruleset at all
#   floor    egressd's ruleset and queue rule, read by tests/bench/nfq_accept:
#            every packet accepted at once and its flow marked "allow"
#   egressd  egressd run --mode block with a 1,000,000-entry blacklist
#            (scripts/gen-domains.py; none of the names used here is in it)
# Each way: N new TCP connections from container c1 (connect, GET /, read to
# EOF, close) to nginx at 203.0.113.80:80, then N DNS lookups (UDP, A
# www.example.com) to dnsmasq at 203.0.113.53, one at a time
# (scripts/bench-datapath-client.py), and the kernel's queue counters
# (/proc/net/netfilter/nfnetlink_queue of the host namespace).
# Prints a table, the ratios against the goals, and a markdown snippet.
#
# Needs root; installs the missing packages and builds (meson, build/).
# Environment: BENCH_TIME_LIMIT=60 (s, per client run), BENCH_LIST_N=1000000,
# BENCH_WARMUP=10 (operations before each measured run, not counted).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"

N=${1:-2000}
case $N in '' | *[!0-9]* | 0*) echo "usage: $0 [N=2000]" >&2; exit 2 ;; esac
LIMIT=${BENCH_TIME_LIMIT:-60}
LIST_N=${BENCH_LIST_N:-1000000}
ALLOW_MARK=0x00200000 # egressd's default "allow" connmark bit
[ "$(id -u)" = 0 ] || { echo "bench-datapath: needs root" >&2; exit 1; }
ensure_packages "${BUILD_PKGS[@]}" "${E2E_PKGS[@]}" || exit 1
meson_build "$ROOT/build" || exit 1
EGRESSD=$ROOT/build/egressd NFQ=$ROOT/build/tests/nfq_accept
CLIENT=$ROOT/scripts/bench-datapath-client.py
for f in "$EGRESSD" "$NFQ"; do [ -x "$f" ] || { echo "bench-datapath: no $f" >&2; exit 1; }; done

export P=bdp-
TD=/tmp/egressd-testbed-bdp
for n in host c1 c2 inet; do
	if [ -e "/run/netns/${P}$n" ]; then
		echo "bench-datapath: namespace ${P}$n exists (another run, or a killed one:" \
			"P=$P bash tests/e2e/topo.sh down)" >&2
		exit 1
	fi
done

S=$(mktemp -d /tmp/bench-datapath.XXXXXX)
pid=
stop_pid() { # SIGTERM the egressd / nfq_accept we started, by its pid
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	pid=
}
cleanup() {
	trap - EXIT INT TERM
	stop_pid
	bash "$ROOT/tests/e2e/topo.sh" down >/dev/null 2>&1
	rm -rf "$S"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
t_start=$(date +%s)

echo "bench-datapath: N=$N, topology up (P=$P)"
bash "$ROOT/tests/e2e/topo.sh" up >"$S/topo.log" 2>&1 || { cat "$S/topo.log"; exit 1; }
# shellcheck disable=SC1091
. "$TD/run/topo.env"
H() { ip netns exec "$NS_HOST" "$@"; }

echo "bench-datapath: generating the $LIST_N-entry blacklist"
# SEED=1, LOOKUPS=0: the same list.txt as "gen-domains.py DIR N", without
# the hits/misses files.
python3 "$ROOT/scripts/gen-domains.py" "$S/list" "$LIST_N" 1 0 2>"$S/gen.log" ||
	{ cat "$S/gen.log"; exit 1; }
if grep -qxE '(\*\.)?(www\.)?example\.com' "$S/list/list.txt"; then
	echo "bench-datapath: the generated list holds the test name" >&2
	exit 1
fi

# start_bg NAME LOG READY_PATTERN TIMEOUT_S CMD... : starts CMD in the host
# namespace and waits for READY_PATTERN in its log.
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
			printf 'bench-datapath: %s ready in %d.%02d s\n' "$name" $((t0 / 100)) $((t0 % 100))
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-datapath: $name did not start:" >&2
	cat "$log" >&2
	exit 1
}
egressd_run() { # egressd_run LOG [flags...]
	local log=$1
	shift
	start_bg egressd "$log" "running in" 300 "$EGRESSD" run --config /dev/null \
		--state-dir "$S/state" --container-if "$BRIDGE" \
		--ruleset "$ROOT/nft/egressd.nft" "$@"
}
queued() { # packets sent to the queue so far (the rule's counter)
	H nft list chain inet egressd to_queue 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -1
}
qstats() { # queue 0 of the host namespace: "portid queue_dropped user_dropped id_sequence"
	H cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk '$1 == 0 { print $2, $6, $7, $8; f = 1 } END { if (!f) print "- - - -" }'
}
measure() { # measure WAY
	local way=$1 q0 q1
	q0=$(queued)
	qstats >"$S/$way.queue0"
	for mode in tcp dns; do
		ip netns exec "$NS_C1" python3 "$CLIENT" "$mode" "$N" "$LIMIT" \
			>"$S/$way.$mode.json" 2>"$S/$way.$mode.err" ||
			{ echo "bench-datapath: $way $mode client failed:" >&2; cat "$S/$way.$mode.err" >&2; exit 1; }
		printf '  %-8s %s %s\n' "$way" "$mode" "$(cat "$S/$way.$mode.json")"
	done
	q1=$(queued)
	qstats >"$S/$way.queue"
	echo "${q0:-} ${q1:-}" >"$S/$way.queued"
	echo "  $way queue 0 (portid queue_dropped user_dropped id_sequence): before" \
		"$(cat "$S/$way.queue0"), after $(cat "$S/$way.queue")"
}

# 1. The kernel alone.
H nft delete table inet egressd 2>/dev/null
if H nft list table inet egressd >/dev/null 2>&1; then
	echo "bench-datapath: cannot remove table inet egressd" >&2
	exit 1
fi
echo "bench-datapath: [1/3] kernel alone"
measure kernel

# 2. The floor: egressd puts its ruleset and queue rule in place and stops
# (fail-open: the rule stays, bypass); nfq_accept reads the queue.
echo "bench-datapath: [2/3] floor (ruleset + nfq_accept --mark-allow $ALLOW_MARK)"
egressd_run "$S/egressd-setup.log"
stop_pid
if ! grep -q "ruleset left in place (bypass" "$S/egressd-setup.log"; then
	echo "bench-datapath: egressd did not stop cleanly, fail-open:" >&2
	cat "$S/egressd-setup.log" >&2
	exit 1
fi
if ! H nft list chain inet egressd to_queue 2>/dev/null | grep -q counter; then
	echo "bench-datapath: the queue rule is gone after egressd stopped" >&2
	cat "$S/egressd-setup.log" >&2
	exit 1
fi
start_bg nfq_accept "$S/nfq_accept.log" "reading queue" 10 "$NFQ" --mark-allow "$ALLOW_MARK"
measure floor
stop_pid
sed 's/^/  /' "$S/nfq_accept.log"

# 3. egressd, block mode, the big blacklist.
echo "bench-datapath: [3/3] egressd --mode block, $LIST_N-entry blacklist"
egressd_run "$S/egressd.log" --mode block --blacklist "$S/list/list.txt"
grep -q "(lists not loaded)" "$S/egressd.log" && { cat "$S/egressd.log" >&2; exit 1; }
measure egressd
rss=$(awk '/^VmRSS/ { print $2, $3 }' "/proc/$pid/status" 2>/dev/null)
echo "$rss" >"$S/egressd.rss"
stop_pid
grep -E "ruleset loaded|stopping:" "$S/egressd.log" | sed 's/^/  /'
echo "  egressd RSS at the end: ${rss:-?}"
t_end=$(date +%s)

python3 - "$S" "$N" "$LIST_N" "$((t_end - t_start))" <<'PY'
import json, sys
S, N, LIST_N, took = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ways = ["kernel", "floor", "egressd"]
label = {"kernel": "kernel alone", "floor": "floor (nfq_accept)",
         "egressd": "egressd block, %s-entry list" % format(LIST_N, ",")}
R = {}
for w in ways:
    r = {m: json.load(open("%s/%s.%s.json" % (S, w, m))) for m in ("tcp", "dns")}
    # The kernel's counters live as long as the queue's reader: only the
    # growth during the run counts when the same reader was there before.
    p0, qd0, ud0, _ = open("%s/%s.queue0" % (S, w)).read().split()
    p1, qd, ud, _ = open("%s/%s.queue" % (S, w)).read().split()
    if p1 != "-" and p0 == p1:
        qd, ud = str(int(qd) - int(qd0)), str(int(ud) - int(ud0))
    q = open("%s/%s.queued" % (S, w)).read().split()
    r["qd"], r["ud"] = qd, ud
    r["queued"] = int(q[1]) - int(q[0]) if len(q) == 2 else None
    R[w] = r

def f(v, nd=0):
    return "-" if v is None else ("%.*f" % (nd, v))

def err(w):
    e = R[w]["tcp"]["errors"] + R[w]["dns"]["errors"]
    lim = R[w]["tcp"]["time_limited"] or R[w]["dns"]["time_limited"]
    return "%d%s" % (e, " (time limit)" if lim else "")

hdr = ["way", "conn/s", "connect p50 us", "connect p99 us", "req p50 us",
       "DNS/s", "DNS p50 us", "DNS p99 us", "errors", "queued pkts",
       "queue_dropped", "user_dropped"]
rows = []
for w in ways:
    t, d = R[w]["tcp"], R[w]["dns"]
    rows.append([label[w], f(t["rate"]), f(t["p50_us"]), f(t["p99_us"]),
                 f(t["req_p50_us"]), f(d["rate"]), f(d["p50_us"]), f(d["p99_us"]),
                 err(w), f(R[w]["queued"]), R[w]["qd"], R[w]["ud"]])

K, F, E = R["kernel"], R["floor"], R["egressd"]
rate_ratio = E["tcp"]["rate"] / K["tcp"]["rate"]
add_f = F["tcp"]["p50_us"] - K["tcp"]["p50_us"]
add_e = E["tcp"]["p50_us"] - K["tcp"]["p50_us"]
lat_ratio = add_e / add_f if add_f > 0 else None
dadd_f = F["dns"]["p50_us"] - K["dns"]["p50_us"]
dadd_e = E["dns"]["p50_us"] - K["dns"]["p50_us"]
drops = [int(x) for x in (E["qd"], E["ud"]) if x != "-"]
def verdict(ok):
    return "meets" if ok else "MISSES"
checks = [
    ("connection rate, egressd / kernel", "%.2fx" % rate_ratio, ">= 0.8x",
     verdict(rate_ratio >= 0.8)),
    ("added p50 connect latency, egressd / floor",
     ("%.2fx (+%.0f us vs +%.0f us)" % (lat_ratio, add_e, add_f)) if lat_ratio is not None
     else "n/a (floor adds %+.0f us, egressd %+.0f us)" % (add_f, add_e),
     "<= 1.3x", verdict(lat_ratio is not None and lat_ratio <= 1.3)),
    ("egressd queue drops (queue_dropped + user_dropped)",
     str(sum(drops)) if drops else "n/a (no queue line)", "0",
     verdict(bool(drops) and sum(drops) == 0)),
]
info = [
    ("DNS lookup rate, egressd / kernel", "%.2fx" % (E["dns"]["rate"] / K["dns"]["rate"])),
    ("added p50 DNS latency, egressd / floor",
     ("%.2fx (+%.0f us vs +%.0f us)" % (dadd_e / dadd_f, dadd_e, dadd_f)) if dadd_f > 0
     else "n/a (floor adds %+.0f us)" % dadd_f),
    ("connection rate, floor / kernel", "%.2fx" % (F["tcp"]["rate"] / K["tcp"]["rate"])),
]

w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(hdr)]
print()
print("Datapath benchmark: N=%d sequential TCP connections and N DNS lookups per way "
      "(run took %s s)" % (N, took))
print("  ".join(h.rjust(w[i]) if i else h.ljust(w[i]) for i, h in enumerate(hdr)))
for r in rows:
    print("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r)))
print()
for name, val, goal, v in checks:
    print("  %-52s %-34s goal %-8s %s" % (name, val, goal, v))
for name, val in info:
    print("  %-52s %s" % (name, val))

print()
print("```markdown")
print("Datapath benchmark (`scripts/bench-datapath.sh %d`): %d new TCP connections "
      "(connect + HTTP GET) and %d UDP DNS lookups, sequential, from a container "
      "namespace; connect = TCP handshake time." % (N, N, N))
print()
print("| " + " | ".join(hdr) + " |")
print("|" + "|".join(["---"] + ["---:"] * (len(hdr) - 1)) + "|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("| check | measured | goal | |")
print("|---|---|---|---|")
for name, val, goal, v in checks:
    print("| %s | %s | %s | %s |" % (name, val, goal, v))
for name, val in info:
    print("| %s | %s | (info) | |" % (name, val))
print("```")
PY
