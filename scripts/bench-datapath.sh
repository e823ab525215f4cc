#!/usr/bin/env bash
# bench-datapath.sh [N=2000] : the cost of egressd on the datapath, measured
# three ways in one run on the namespace test bed (tests/e2e/topo.sh, prefix
# bdp-; nothing is attached to the root namespace):
#   kernel   no egressd ruleset at all
#   floor    egressd's ruleset and queue rule (egressd run started once, then
#            SIGTERM: fail-open, the rule stays), the queue read by
#            tests/bench/nfq_accept: every packet accepted at once, its flow
#            marked "allow" (so the ruleset stops queueing it, as with egressd)
#   egressd  egressd run --mode block with a 1,000,000-entry blacklist
#            (scripts/gen-domains.py; none of the names used here is in it)
# Per way: N new TCP connections from container c1 (connect, GET /, read to
# EOF, close) to nginx at 203.0.113.80:80, and N DNS lookups (UDP, A
# www.example.com) to dnsmasq at 203.0.113.53, one at a time
# (scripts/bench-datapath-client.py), and the kernel's counters of the queue
# (/proc/net/netfilter/nfnetlink_queue of the host namespace).
#
# The N operations of a way are spread over BENCH_ROUNDS rounds (default 4);
# each round runs the three ways in turn, in a rotated order, and the samples
# are pooled: a burst of other load on the machine then hits the three ways
# alike instead of spoiling one of them. Prints a table, the ratios against
# the goals (with their spread over the rounds), and a markdown snippet.
#
# BENCH_RESOLVE=1: the TCP client resolves www.example.com once first, as a
# container does; egressd then decides each connection at its SYN (one
# queued packet) instead of waiting for the request (a hard-coded address:
# SYN, handshake ACK and request queued).
# Needs root; installs the missing packages and builds (meson, build/).
# Environment: BENCH_ROUNDS=4, BENCH_TIME_LIMIT=60 (s per way and mode, split
# over the rounds), BENCH_LIST_N=1000000, BENCH_WARMUP=10 (operations before
# each measured client run, not counted).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"

N=${1:-2000}
ROUNDS=${BENCH_ROUNDS:-4}
case $N$ROUNDS in *[!0-9]*) N=x ;; esac
case $N in '' | *[!0-9]* | 0*) echo "usage: $0 [N=2000]  (env BENCH_ROUNDS=4 ...)" >&2; exit 2 ;; esac
[ "$ROUNDS" -ge 1 ] 2>/dev/null || ROUNDS=1
[ "$ROUNDS" -le "$N" ] || ROUNDS=$N
LIMIT=${BENCH_TIME_LIMIT:-60}
LIST_N=${BENCH_LIST_N:-1000000}
ALLOW_MARK=0x00200000 # egressd's default "allow" connmark bit
[ "$(id -u)" = 0 ] || { echo "bench-datapath: needs root" >&2; exit 1; }
ensure_packages "${BUILD_PKGS[@]}" "${TESTBED_PKGS[@]}" || exit 1
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

echo "bench-datapath: N=$N in $ROUNDS rounds, topology up (P=$P)"
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
egressd_run() { # egressd_run LOG [flags...]
	local log=$1
	shift
	start_bg egressd "$log" "running in" 300 "$EGRESSD" run --config /dev/null \
		--state-dir "$S/state" --container-if "$BRIDGE" \
		--ruleset "$ROOT/nft/egressd.nft" "$@"
}
queued() { # packets sent to the queue so far (the rule's counter)
	H nft list chain inet egressd to_queue 2>/dev/null |
		sed -n '0,/.*counter packets \([0-9]*\).*/s//\1/p'
}
qstats() { # queue 0 of the host namespace: "portid queue_dropped user_dropped id_sequence"
	H cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk '$1 == 0 { print $2, $6, $7, $8; f = 1 } END { if (!f) print "- - - -" }'
}
measure() { # measure WAY ROUND COUNT : the clients, then the queue counters
	local way=$1 r=$2 n=$3 f mode line=
	f=$S/$way.$r
	queued >"$f.queued0"
	qstats >"$f.queue0"
	for mode in tcp dns; do
		BENCH_SAMPLES=$f.$mode.samples ip netns exec "$NS_C1" python3 "$CLIENT" \
			"$mode" "$n" "$(python3 -c "print($LIMIT / $ROUNDS)")" >"$f.$mode.json" 2>"$f.$mode.err" ||
			{ echo "bench-datapath: $way $mode client failed:" >&2; cat "$f.$mode.err" >&2; exit 1; }
		line+=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
print("  %s %6.0f/s p50 %4.0f p99 %5.0f us, %d err" % (sys.argv[2], j["rate"], j["p50_us"] or -1,
      j["p99_us"] or -1, j["errors"]), end="")' "$f.$mode.json" "$mode")
	done
	queued >"$f.queued"
	qstats >"$f.queue"
	printf '  round %d %-8s%s  queue: %s\n' "$r" "$way" "$line" \
		"$(awk '{ print "dropped", $2, "user_dropped", $3 }' "$f.queue")"
}

way_kernel() { # ROUND COUNT
	H nft delete table inet egressd 2>/dev/null
	if H nft list table inet egressd >/dev/null 2>&1; then
		echo "bench-datapath: cannot remove table inet egressd" >&2
		exit 1
	fi
	measure kernel "$@"
}
way_floor() { # ROUND COUNT
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
	start_bg nfq_accept "$S/nfq_accept.log" "reading queue" 10 "$NFQ" --mark-allow "$ALLOW_MARK"
	measure floor "$@"
	stop_pid
	grep -h "packets" "$S/nfq_accept.log" | sed 's/^/    /'
}
way_egressd() { # ROUND COUNT
	egressd_run "$S/egressd.log" --mode block --blacklist "$S/list/list.txt"
	grep -q "(lists not loaded)" "$S/egressd.log" && { cat "$S/egressd.log" >&2; exit 1; }
	echo "$ready_s" >>"$S/egressd.ready"
	measure egressd "$@"
	awk '/^VmRSS/ { print $2, $3 }' "/proc/$pid/status" >"$S/egressd.rss" 2>/dev/null
	stop_pid
	grep -h "stopping:" "$S/egressd.log" | sed 's/^egressd: /    egressd /'
	cat "$S/egressd.log" >>"$S/egressd.all.log"
}

WAYS=(kernel floor egressd)
for ((r = 1; r <= ROUNDS; r++)); do
	n=$((N / ROUNDS + (r <= N % ROUNDS)))
	order=()
	for ((i = 0; i < 3; i++)); do order+=("${WAYS[(i + r - 1) % 3]}"); done
	echo "bench-datapath: round $r/$ROUNDS: $n operations per way and mode, order ${order[*]}"
	for w in "${order[@]}"; do "way_$w" "$r" "$n"; done
done
t_end=$(date +%s)
grep -h "ruleset loaded" "$S/egressd.all.log" | head -1 | sed 's/^egressd: /  egressd: /'
echo "  egressd with the $LIST_N-entry list: running after $(paste -sd/ "$S/egressd.ready") s;" \
	"RSS at the end of the last round: $(cat "$S/egressd.rss" 2>/dev/null)"

python3 - "$S" "$N" "$ROUNDS" "$LIST_N" "$((t_end - t_start))" <<'PY'
import json, sys
S, N, ROUNDS, LIST_N, took = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
ways = ["kernel", "floor", "egressd"]
label = {"kernel": "kernel alone", "floor": "floor (nfq_accept)",
         "egressd": "egressd block, %s-entry list" % format(LIST_N, ",")}

def pct(xs, p):  # nearest rank, xs sorted, ns -> us
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))
    return xs[k] / 1000.0

def read(path):
    try:
        return open(path).read().split()
    except OSError:
        return []

def agg(w, mode, rounds):
    """Pooled figures of one way and mode over the given rounds."""
    js = [json.load(open("%s/%s.%d.%s.json" % (S, w, r, mode))) for r in rounds]
    lat, req = [], []
    for r in rounds:
        for line in open("%s/%s.%d.%s.samples" % (S, w, r, mode)):
            v = line.split()
            lat.append(int(v[0]))
            if len(v) > 1:
                req.append(int(v[1]))
    lat.sort()
    req.sort()
    count = sum(j["count"] for j in js)
    el = sum(j["elapsed_s"] for j in js)
    return {"count": count, "errors": sum(j["errors"] for j in js),
            "limited": any(j["time_limited"] for j in js),
            "rate": count / el if el > 0 else 0.0,
            "p50": pct(lat, 50), "p99": pct(lat, 99), "req50": pct(req, 50)}

def queue(w, rounds):
    """Queue drops (growth during the runs) and packets queued."""
    qd = ud = q = 0
    seen = False
    for r in rounds:
        p0, qd0, ud0, _ = read("%s/%s.%d.queue0" % (S, w, r))
        p1, qd1, ud1, _ = read("%s/%s.%d.queue" % (S, w, r))
        if p1 != "-":
            seen = True
            # The kernel's counters live as long as the queue's reader: only
            # the growth counts when the same reader was there before.
            same = p0 == p1
            qd += int(qd1) - (int(qd0) if same else 0)
            ud += int(ud1) - (int(ud0) if same else 0)
        a, b = read("%s/%s.%d.queued0" % (S, w, r)), read("%s/%s.%d.queued" % (S, w, r))
        if a and b:
            q += int(b[0]) - int(a[0])
    return (qd, ud, q) if seen else (None, None, None)

allr = list(range(1, ROUNDS + 1))
R = {w: {"tcp": agg(w, "tcp", allr), "dns": agg(w, "dns", allr),
         "q": queue(w, allr)} for w in ways}

def f(v, nd=0):
    return "-" if v is None else ("%.*f" % (nd, v))

hdr = ["way", "conn/s", "connect p50 us", "connect p99 us", "req p50 us",
       "DNS/s", "DNS p50 us", "DNS p99 us", "errors", "queued pkts",
       "queue_dropped", "user_dropped"]
rows = []
for w in ways:
    t, d, (qd, ud, q) = R[w]["tcp"], R[w]["dns"], R[w]["q"]
    e = "%d%s" % (t["errors"] + d["errors"], " (time limit)" if t["limited"] or d["limited"] else "")
    rows.append([label[w], f(t["rate"]), f(t["p50"]), f(t["p99"]), f(t["req50"]),
                 f(d["rate"]), f(d["p50"]), f(d["p99"]), e, f(q), f(qd), f(ud)])

def ratios(rounds):
    A = {w: {m: agg(w, m, rounds) for m in ("tcp", "dns")} for w in ways}
    K, F, E = A["kernel"], A["floor"], A["egressd"]
    add_f = F["tcp"]["p50"] - K["tcp"]["p50"]
    add_e = E["tcp"]["p50"] - K["tcp"]["p50"]
    dadd_f = F["dns"]["p50"] - K["dns"]["p50"]
    dadd_e = E["dns"]["p50"] - K["dns"]["p50"]
    return {"rate": E["tcp"]["rate"] / K["tcp"]["rate"],
            "lat": add_e / add_f if add_f > 0 else None, "add_e": add_e, "add_f": add_f,
            "drate": E["dns"]["rate"] / K["dns"]["rate"],
            "dlat": dadd_e / dadd_f if dadd_f > 0 else None, "dadd_e": dadd_e, "dadd_f": dadd_f,
            "frate": F["tcp"]["rate"] / K["tcp"]["rate"]}

T = ratios(allr)
per = [ratios([r]) for r in allr] if ROUNDS > 1 else []

def spread(key, fmt="%.2f"):
    vs = [p[key] for p in per if p[key] is not None]
    if not per:
        return ""
    if len(vs) < len(per):
        return " (rounds: %d of %d n/a)" % (len(per) - len(vs), len(per))
    return " (rounds: %s)" % " ".join(fmt % v for v in vs)

qd, ud, _ = R["egressd"]["q"]
drops = None if qd is None else qd + ud
def verdict(ok):
    return "meets" if ok else "MISSES"
checks = [
    ("connection rate, egressd / kernel", "%.2fx" % T["rate"] + spread("rate"),
     ">= 0.8x", verdict(T["rate"] >= 0.8)),
    ("added p50 connect latency, egressd / floor",
     ("%.2fx (+%.0f us vs +%.0f us)" % (T["lat"], T["add_e"], T["add_f"]) if T["lat"] is not None
      else "n/a (floor adds %+.0f us, egressd %+.0f us)" % (T["add_f"], T["add_e"]))
     + spread("lat"), "<= 1.3x", verdict(T["lat"] is not None and T["lat"] <= 1.3)),
    ("egressd queue drops (queue_dropped + user_dropped)",
     "n/a (no queue line)" if drops is None else str(drops), "0",
     verdict(drops == 0)),
]
info = [
    ("connection rate, floor / kernel", "%.2fx" % T["frate"] + spread("frate")),
    ("DNS lookup rate, egressd / kernel", "%.2fx" % T["drate"] + spread("drate")),
    ("added p50 DNS latency, egressd / floor",
     ("%.2fx (+%.0f us vs +%.0f us)" % (T["dlat"], T["dadd_e"], T["dadd_f"]) if T["dlat"] is not None
      else "n/a (floor adds %+.0f us)" % T["dadd_f"]) + spread("dlat")),
]

w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(hdr)]
print()
print("Datapath benchmark: N=%d sequential new TCP connections and N DNS lookups per way, "
      "%d interleaved rounds (run took %s s)" % (N, ROUNDS, took))
print("  ".join(h.rjust(w[i]) if i else h.ljust(w[i]) for i, h in enumerate(hdr)))
for r in rows:
    print("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r)))
print()
for name, val, goal, v in checks:
    print("  %-51s %-58s goal %-7s %s" % (name, val, goal, v))
for name, val in info:
    print("  %-51s %s" % (name, val))

print()
print("```markdown")
print("Datapath benchmark (`scripts/bench-datapath.sh %d`): per way %d new TCP connections "
      "(connect + HTTP GET) and %d UDP DNS lookups, one at a time, from a container "
      "namespace, in %d interleaved rounds; connect = TCP handshake time."
      % (N, N, N, ROUNDS))
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
