#!/usr/bin/env bash
# bench-datapath.sh [N=4000] : the cost of egressd on the datapath, measured
# three ways side by side in one run on the namespace test bed
# (tests/e2e/topo.sh, prefix bdp-; nothing is attached to the root
# namespace):
#   kernel   no egressd ruleset at all
#   floor    egressd's ruleset and queue rule (egressd run started once, then
#            SIGTERM: fail-open, the rule stays), the queue read by
#            tests/bench/nfq_accept: every packet accepted at once, its flow
#            marked "allow" as egressd marks it (so the ruleset stops
#            queueing it, as with egressd)
#   egressd  egressd run --mode block with a 1,000,000-entry blacklist
#            (scripts/gen-domains.py; none of the names used here is in it)
# Per way, from container c1 (scripts/bench-datapath-client.py), in this
# order on one egressd (a new one each round, so nothing is known at first):
#   http       N new connections to nginx at 203.0.113.80:80 (connect, GET /,
#              read to the server's close), one at a time, no lookup before
#   tls        N/4 new connections to 203.0.113.80:443: full TLS handshake
#              (SNI www.example.com, checked against the test CA), GET, close
#   http x8    3N/2 HTTP connections from 8 parallel clients (processes)
#   http x32   the same from 32
#   (one lookup of www.example.com: egressd now knows the name of the address)
#   http+dns   N HTTP connections after that lookup
#   tls+dns    N/4 TLS connections after that lookup
#   dns        N DNS lookups (UDP, a new socket each, A www.example.com) to
#              dnsmasq at 203.0.113.53, one at a time
#   dns x8     2N lookups from 8 parallel clients;  dns x32  from 32
# and, around each, the kernel's counters of queue 0 in the host namespace
# (/proc/net/netfilter/nfnetlink_queue: id_sequence, the 8th column, counts
# the packets sent to the reader; queue_dropped, user_dropped), and the
# queue rule's own nft counter (more packets there than sent to the reader:
# passed by fail-open bypass). Queued packets per operation = packets sent
# to the reader / operations tried (warm-up included). Goal: <= 1 per
# connection for HTTP and TLS to these unlisted addresses.
#
# The operations of a way are spread over BENCH_ROUNDS rounds (default 4);
# each round runs the three ways in turn, in a rotated order, and the samples
# are pooled: a burst of other load on the machine then hits the three ways
# alike instead of spoiling one of them. Prints per kind the rates and
# p50/p99 latencies (HTTP and TLS: the whole exchange, connect to close),
# their ratios to the kernel and to the floor with the spread over the
# rounds, the queued packets per operation, the goals, and a markdown
# snippet for the README.
# Needs root; installs the missing packages and builds (meson, build/).
# Environment: BENCH_ROUNDS=4, BENCH_TIME_LIMIT=60 (s per way and kind,
# split over the rounds), BENCH_LIST_N=1000000, BENCH_WARMUP=10 (operations
# before each measured client run, not counted in the rates).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"

N=${1:-4000}
ROUNDS=${BENCH_ROUNDS:-4}
case $N$ROUNDS in *[!0-9]*) N=x ;; esac
case $N in '' | *[!0-9]* | 0*) echo "usage: $0 [N=4000]  (env BENCH_ROUNDS=4 ...)" >&2; exit 2 ;; esac
[ "$ROUNDS" -ge 1 ] 2>/dev/null || ROUNDS=1
[ "$ROUNDS" -le $((N / 4)) ] || ROUNDS=$((N / 4))
[ "$ROUNDS" -ge 1 ] || { echo "bench-datapath: N must be 4 or more" >&2; exit 2; }
LIMIT=${BENCH_TIME_LIMIT:-60}
case $LIMIT in '' | *[!0-9]*) echo "bench-datapath: BENCH_TIME_LIMIT: whole seconds" >&2; exit 2 ;; esac
LIMIT_R=$(awk -v l="$LIMIT" -v r="$ROUNDS" 'BEGIN { print l / r }') # per client run
# Debian's python3 (in BUILD_PKGS): the standard library is enough, and a
# pyenv shim on PATH costs ~0.5 s a start, 30 times a round.
PY=${BENCH_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
LIST_N=${BENCH_LIST_N:-1000000}
# egressd's default connmark bits (src/config.c): the floor marks as it does.
MARK_MASK=0x00e00000 ALLOW_MARK=0x00200000
# The kinds, in the order they run on each way: name, client mode, parallel
# clients, operations per way (over all rounds). "resolve" is the lookup
# that makes the kinds after it "after a lookup" (not measured).
KINDS=(
	"http http 1 $N"
	"tls tls 1 $((N / 4))"
	"http-x8 http 8 $((N * 3 / 2))"
	"http-x32 http 32 $((N * 3 / 2))"
	"resolve resolve 1 1"
	"http-dns http 1 $N"
	"tls-dns tls 1 $((N / 4))"
	"dns dns 1 $N"
	"dns-x8 dns 8 $((N * 2))"
	"dns-x32 dns 32 $((N * 2))"
)
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
"$PY" "$ROOT/scripts/gen-domains.py" "$S/list" "$LIST_N" 1 0 2>"$S/gen.log" ||
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
		--state-dir "$S/state" --socket "$S/ctl.sock" --container-if "$BRIDGE" \
		--ruleset "$ROOT/nft/egressd.nft" "$@"
}
queued() { # packets that reached the queue rule so far (its nft counter)
	H nft list chain inet egressd to_queue 2>/dev/null |
		sed -n '0,/.*counter packets \([0-9]*\).*/s//\1/p'
}
qstats() { # queue 0 of the host namespace: "portid queue_dropped user_dropped id_sequence"
	H cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk '$1 == 0 { print $2, $6, $7, $8; f = 1 } END { if (!f) print "- - - -" }'
}
summary() { # summary JSON : one line of a client's result
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1]))
print("%7.0f/s p50 %6.0f p99 %7.0f us, %d err" % (j["rate"], j["p50_us"] or -1,
      j["p99_us"] or -1, j["errors"]), end="")' "$1"
}
measure() { # measure WAY ROUND : every kind, each between two readings of the queue
	local way=$1 r=$2 f k name mode par total n
	f=$S/$way.$r
	queued >"$f.queued0"
	for k in "${KINDS[@]}"; do
		read -r name mode par total <<<"$k"
		n=$((total / ROUNDS + (r <= total % ROUNDS)))
		[ "$mode" = resolve ] && n=1
		qstats >"$f.$name.q0"
		BENCH_CA=$CA BENCH_SAMPLES=$f.$name.samples ip netns exec "$NS_C1" "$PY" "$CLIENT" \
			"$mode" "$n" "$LIMIT_R" "$par" \
			>"$f.$name.json" 2>"$f.$name.err" ||
			{ echo "bench-datapath: $way $name client failed:" >&2; cat "$f.$name.err" >&2; exit 1; }
		qstats >"$f.$name.q1"
		[ "$mode" = resolve ] && continue
		printf '  round %d %-8s %-9s %s  queued %s\n' "$r" "$way" "$name" "$(summary "$f.$name.json")" \
			"$(awk 'NR == 1 { a = $4 } NR == 2 { print a == "-" ? "-" : $4 - a }' "$f.$name.q0" "$f.$name.q1")"
	done
	queued >"$f.queued"
}

way_kernel() { # ROUND
	H nft delete table inet egressd 2>/dev/null
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
	order=()
	for ((i = 0; i < 3; i++)); do order+=("${WAYS[(i + r - 1) % 3]}"); done
	echo "bench-datapath: round $r/$ROUNDS, order ${order[*]}"
	for w in "${order[@]}"; do "way_$w" "$r"; done
done
t_end=$(date +%s)
grep -h "ruleset loaded" "$S/egressd.all.log" | head -1 | sed 's/^egressd: /  egressd: /'
echo "  egressd with the $LIST_N-entry list: running after $(paste -sd/ "$S/egressd.ready") s;" \
	"RSS at the end of the last round: $(cat "$S/egressd.rss" 2>/dev/null)"
err_lines=$(grep -hE "verdict errors|ENOBUFS|lost" "$S/egressd.all.log" |
	grep -vE "(stats|stopping): [0-9]+ packets, 0 ENOBUFS, 0 verdict errors")
[ -z "$err_lines" ] || { echo "  egressd reported losses or verdict errors:"; echo "$err_lines" | sed 's/^/    /'; }

KIND_NAMES=$(for k in "${KINDS[@]}"; do echo "$k"; done)
"$PY" - "$S" "$N" "$ROUNDS" "$LIST_N" "$((t_end - t_start))" "$KIND_NAMES" <<'PY'
import json, sys
S, N, ROUNDS, LIST_N, took = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
KINDS = [k.split() for k in sys.argv[6].splitlines() if k.split()[1] != "resolve"]
ways = ["kernel", "floor", "egressd"]
label = {"kernel": "kernel alone", "floor": "floor (nfq_accept)",
         "egressd": "egressd block, %s-entry list" % format(LIST_N, ",")}
kind_label = {
    "http": "HTTP, 1 client", "tls": "TLS, 1 client",
    "http-x8": "HTTP, 8 clients", "http-x32": "HTTP, 32 clients",
    "http-dns": "HTTP after a lookup", "tls-dns": "TLS after a lookup",
    "dns": "DNS, 1 client", "dns-x8": "DNS, 8 clients", "dns-x32": "DNS, 32 clients"}
STREAM = [k[0] for k in KINDS if k[1] in ("http", "tls")]
allr = list(range(1, ROUNDS + 1))

def pct(xs, p):  # nearest rank, xs sorted, ns -> us
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))
    return xs[k] / 1000.0

def words(path):
    try:
        return open(path).read().split()
    except OSError:
        return []

def agg(w, kind, rounds):
    """Pooled figures of one way and kind over the given rounds."""
    js = [json.load(open("%s/%s.%d.%s.json" % (S, w, r, kind))) for r in rounds]
    lat = []
    for r in rounds:
        for line in open("%s/%s.%d.%s.samples" % (S, w, r, kind)):
            lat.append(int(line.split()[0]))
    lat.sort()
    count = sum(j["count"] for j in js)
    el = sum(j["elapsed_s"] for j in js)
    sent = drops = 0
    seen = True
    for r in rounds:
        p0, qd0, ud0, id0 = words("%s/%s.%d.%s.q0" % (S, w, r, kind))
        p1, qd1, ud1, id1 = words("%s/%s.%d.%s.q1" % (S, w, r, kind))
        if p1 == "-" or p0 != p1:  # no reader, or another one: no figure
            seen = False
            continue
        sent += int(id1) - int(id0)
        drops += int(qd1) - int(qd0) + int(ud1) - int(ud0)
    tried = sum(j["attempts"] for j in js)
    return {"count": count, "errors": sum(j["errors"] for j in js),
            "limited": any(j["time_limited"] for j in js),
            "rate": count / el if el > 0 else 0.0,
            "p50": pct(lat, 50), "p99": pct(lat, 99),
            "sent": sent if seen else None, "drops": drops if seen else None,
            "per_op": sent / tried if seen and tried else None}

def bypassed(w):
    """Packets that reached the queue rule but not the reader (fail-open)."""
    tot = 0
    for r in allr:
        a, b = words("%s/%s.%d.queued0" % (S, w, r)), words("%s/%s.%d.queued" % (S, w, r))
        if not a or not b:
            return None
        sent = 0
        for kind in [k.split()[0] for k in sys.argv[6].splitlines()]:
            p0, _, _, id0 = words("%s/%s.%d.%s.q0" % (S, w, r, kind))
            p1, _, _, id1 = words("%s/%s.%d.%s.q1" % (S, w, r, kind))
            if p1 != "-" and p0 == p1:
                sent += int(id1) - int(id0)
        tot += int(b[0]) - int(a[0]) - sent
    return tot

A = {w: {k[0]: agg(w, k[0], allr) for k in KINDS} for w in ways}
P = {r: {w: {k[0]: agg(w, k[0], [r]) for k in KINDS} for w in ways} for r in allr}

def ratio(x, y):
    return x / y if x is not None and y else None

def rat(kind, key, num, den):
    """(pooled ratio, [per-round ratios]) of key between two ways."""
    tot = ratio(A[num][kind][key], A[den][kind][key])
    per = [ratio(P[r][num][kind][key], P[r][den][kind][key]) for r in allr]
    return tot, [v for v in per if v is not None]

def fr(t):
    v, per = t
    if v is None:
        return "-"
    if len(per) < 2:
        return "%.2f" % v
    return "%.2f (%.2f–%.2f)" % (v, min(per), max(per))

def f(v, nd=0):
    return "-" if v is None else ("%.*f" % (nd, v))

def perop(kind):
    return "%s / %s" % (f(A["floor"][kind]["per_op"], 2), f(A["egressd"][kind]["per_op"], 2))

rate_hdr = ["kind", "kernel /s", "floor /s", "egressd /s", "floor ÷ kernel",
            "egressd ÷ kernel", "egressd ÷ floor", "queued per op: floor / egressd", "errors"]
rate_rows = []
for k in KINDS:
    kind = k[0]
    e = sum(A[w][kind]["errors"] for w in ways)
    lim = any(A[w][kind]["limited"] for w in ways)
    rate_rows.append([kind_label.get(kind, kind)] + [f(A[w][kind]["rate"]) for w in ways] +
                     [fr(rat(kind, "rate", "floor", "kernel")), fr(rat(kind, "rate", "egressd", "kernel")),
                      fr(rat(kind, "rate", "egressd", "floor")), perop(kind),
                      "%d%s" % (e, " (time limit)" if lim else "")])
lat_hdr = ["kind", "p50 µs: kernel / floor / egressd", "p50 egressd ÷ kernel", "p50 egressd ÷ floor",
           "p99 µs: kernel / floor / egressd", "p99 egressd ÷ kernel", "p99 egressd ÷ floor"]
lat_rows = []
for k in KINDS:
    kind = k[0]
    lat_rows.append([kind_label.get(kind, kind),
                     " / ".join(f(A[w][kind]["p50"]) for w in ways),
                     fr(rat(kind, "p50", "egressd", "kernel")), fr(rat(kind, "p50", "egressd", "floor")),
                     " / ".join(f(A[w][kind]["p99"]) for w in ways),
                     fr(rat(kind, "p99", "egressd", "kernel")), fr(rat(kind, "p99", "egressd", "floor"))])

def added(rounds_agg, kind):
    k, fl, e = (rounds_agg[w][kind]["p50"] for w in ways)
    return (e - k) / (fl - k) if fl - k > 0 else None, e - k, fl - k

def verdict(ok):
    return "n/a" if ok is None else "meets" if ok else "MISSES"

worst = max((A["egressd"][k]["per_op"] or 99, k) for k in STREAM)
drops = [A["egressd"][k[0]]["drops"] for k in KINDS]
drops = None if None in drops else sum(drops)
byp = bypassed("egressd")
lat_tot = added(A, "http")
lat_per = [v for v in (added(P[r], "http")[0] for r in allr) if v is not None]
checks = [
    ("queued packets per HTTP/TLS connection, egressd (worst kind: %s)" % kind_label[worst[1]],
     "%.3f" % worst[0], "<= 1", verdict(worst[0] <= 1.0)),
    ("egressd queue drops (queue_dropped + user_dropped) / fail-open passes",
     "%s / %s" % (f(drops), f(byp)), "0 / 0", verdict(drops == 0 and byp == 0)),
    ("HTTP connection rate (1 client), egressd ÷ kernel", fr(rat("http", "rate", "egressd", "kernel")),
     ">= 0.8", verdict((rat("http", "rate", "egressd", "kernel")[0] or 0) >= 0.8)),
    ("added p50 HTTP latency (1 client), egressd ÷ floor",
     ("%.2f (+%.0f µs vs +%.0f µs)" % lat_tot if lat_tot[0] is not None
      else "n/a (floor adds %+.0f µs, egressd %+.0f µs)" % (lat_tot[2], lat_tot[1]))
     + (" (rounds %.2f–%.2f)" % (min(lat_per), max(lat_per)) if len(lat_per) > 1 else ""),
     "<= 1.3", verdict(None if lat_tot[0] is None else lat_tot[0] <= 1.3)),
]

def table(hdr, rows):
    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(hdr)]
    print("  ".join(h.rjust(w[i]) if i else h.ljust(w[i]) for i, h in enumerate(hdr)))
    for r in rows:
        print("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r)))

def md(hdr, rows):
    print("| " + " | ".join(hdr) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(hdr) - 1)) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")

print()
print("Datapath benchmark: N=%d, %d interleaved rounds, ways: %s (run took %s s)"
      % (N, ROUNDS, "; ".join(label[w] for w in ways), took))
print("Ratios: pooled over the rounds, (min–max of the rounds); latency of HTTP/TLS = connect to close.")
print()
table(rate_hdr, rate_rows)
print()
table(lat_hdr, lat_rows)
print()
for name, val, goal, v in checks:
    print("  %-72s %-34s goal %-5s %s" % (name, val, goal, v))

print()
print("```markdown")
md(rate_hdr, rate_rows)
print()
md(lat_hdr, lat_rows)
print()
print("| check | measured | goal | |")
print("|---|---|---|---|")
for name, val, goal, v in checks:
    print("| %s | %s | %s | %s |" % (name, val, goal, v))
print("```")
PY
