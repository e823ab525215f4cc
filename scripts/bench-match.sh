#!/usr/bin/env bash
# bench-match.sh — egressd's domain matcher vs dnsmasq and unbound, one run.
#
# Usage: scripts/bench-match.sh [--peers-only] [N=1000000]
#
#   Generates N synthetic domains (scripts/gen-domains.py, SEED=1, 1,000,000
#   hit and 1,000,000 miss lookup names) into a temp dir, then measures:
#     egressd  $BUILD/tests/bench_match LIST HITS MISSES (built if missing)
#              -> its JSON: build time, bytes/entry, RSS, hit/miss lookups/s
#              one name a call (match_domain), and a batch of names a call
#              (match_domains): 64, and 4 (as the engine has at once)
#     dnsmasq  time from exec until `dig @127.0.0.1 -p P <listed name>` gets
#              0.0.0.0, then VmRSS/VmHWM from /proc/PID/status
#     unbound  same (answer: NXDOMAIN), after unbound-checkconf
#   and prints a table, the peer/egressd ratios and a markdown snippet.
#   Each server is also started once with an empty list, so the table shows
#   the memory added per entry besides plain RSS / N.
#
# Environment:
#   BUILD=dir        where bench_match lives (default: build/ at the repo root)
#   SEED=1           generator seed
#   LOOKUPS=1000000  lookup names in hits.txt and misses.txt
#   REPEAT=1         start each peer with the full list this many times and
#                    keep the fastest load (RSS from the last start)
#   READY_TIMEOUT=120  seconds a server may take to answer
#   EGRESSD_TIMEOUT=600 seconds bench_match may take
#   KEEP_DIR=dir     keep the generated files there instead of a temp dir
#
# --peers-only measures dnsmasq and unbound only (no egressd column, no
# ratios).  Without it, a missing $BUILD/tests/bench_match is an error.
#
# Needs root only to install what is missing (dnsmasq-base, unbound,
# python3, bind9-dnsutils).  Only 127.0.0.1 is ever queried; unbound's
# config refuses every name it does not list, so it never recurses.

set -euo pipefail

PEERS_ONLY=0
if [[ ${1:-} == --peers-only ]]; then PEERS_ONLY=1; shift; fi
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0
fi
N=${1:-1000000}
[[ $N =~ ^[0-9]+$ && $N -ge 1 ]] || { echo "bench-match: N must be a positive integer" >&2; exit 2; }
SEED=${SEED:-1}
LOOKUPS=${LOOKUPS:-1000000}
READY_TIMEOUT=${READY_TIMEOUT:-120}
REPEAT=${REPEAT:-1}
[[ $REPEAT =~ ^[0-9]+$ && $REPEAT -ge 1 && $REPEAT -le 20 ]] || { echo "bench-match: REPEAT must be 1..20" >&2; exit 2; }
EGRESSD_TIMEOUT=${EGRESSD_TIMEOUT:-600}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BENCH_BIN=$BUILD/tests/bench_match
# Build it (and install the build's packages) unless BUILD points elsewhere.
if [[ $PEERS_ONLY == 0 && ! -x $BENCH_BIN && $BUILD == "$ROOT/build" ]]; then
    . "$HERE/lib.sh"
    ensure_packages "${BUILD_PKGS[@]}" && meson_build "$BUILD" || exit 1
fi

log() { printf '[bench-match] %s\n' "$*" >&2; }
die() { printf 'bench-match: %s\n' "$*" >&2; exit 1; }

# ---- egressd program present? (checked first: fail before any work) -------
if [[ $PEERS_ONLY == 0 && ! -x $BENCH_BIN ]]; then
    die "$BENCH_BIN not found or not executable.
  Build it first (it reads LIST HITS MISSES and prints one JSON object),
  point BUILD= at the directory holding it, or run with --peers-only
  to measure dnsmasq and unbound alone."
fi

# ---- tools ----------------------------------------------------------------
need_pkgs=()
command -v python3 >/dev/null || need_pkgs+=(python3)
[[ -x /usr/sbin/dnsmasq ]] || command -v dnsmasq >/dev/null || need_pkgs+=(dnsmasq-base)
{ command -v unbound >/dev/null || [[ -x /usr/sbin/unbound ]]; } &&
    { command -v unbound-checkconf >/dev/null || [[ -x /usr/sbin/unbound-checkconf ]]; } ||
    need_pkgs+=(unbound)
command -v dig >/dev/null || need_pkgs+=(bind9-dnsutils)
if ((${#need_pkgs[@]})); then
    [[ $(id -u) == 0 ]] || die "missing ${need_pkgs[*]}; install them (apt-get install ${need_pkgs[*]}) or run as root"
    log "installing ${need_pkgs[*]}"
    # Keep package scripts from starting the system unbound/dnsmasq services.
    made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    rc=0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null; } || rc=$?
    [[ $made_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
    [[ $rc == 0 ]] || die "apt-get install ${need_pkgs[*]} failed"
fi
export PATH=$PATH:/usr/sbin:/sbin
DNSMASQ=$(command -v dnsmasq)
UNBOUND=$(command -v unbound)
UNBOUND_CHECKCONF=$(command -v unbound-checkconf)

# ---- temp dir and cleanup ---------------------------------------------------
PIDS=()
if [[ -n ${KEEP_DIR:-} ]]; then
    mkdir -p "$KEEP_DIR"; WORK=$(cd "$KEEP_DIR" && pwd); RM_WORK=0
else
    WORK=$(mktemp -d /tmp/bench-match.XXXXXX); RM_WORK=1
fi
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        # unbound only acts on SIGTERM once it has loaded its zones
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    PIDS=()
    [[ $RM_WORK == 1 ]] && rm -rf "$WORK"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now() { echo "${EPOCHREALTIME/[,]/.}"; }   # seconds, microsecond resolution

# A loopback port free for both UDP and TCP.
free_port() {
    python3 - <<'EOF'
import socket
for _ in range(100):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        t.close(); u.close()
    print(p); break
else:
    raise SystemExit("no free port")
EOF
}

# ---- generate ---------------------------------------------------------------
DNSMASQ_PORT=$(free_port)
UNBOUND_PORT=$(free_port)
[[ $DNSMASQ_PORT != "$UNBOUND_PORT" ]] || UNBOUND_PORT=$(free_port)
t_run0=$(now)
log "generating $N domains (seed $SEED) in $WORK"
t0=$(now)
UNBOUND_PORT=$UNBOUND_PORT python3 "$HERE/gen-domains.py" "$WORK" "$N" "$SEED" "$LOOKUPS" 2>&1 |
    sed 's/^/[bench-match] /' >&2
GEN_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')
[[ -s $WORK/list.txt && -s $WORK/unbound.conf ]] || die "generator wrote nothing"
PROBE=$(awk 'NR==1{sub(/^\*\./,""); print; exit}' "$WORK/list.txt")  # a listed name
# Empty-list variants: the servers' own baseline memory.
: >"$WORK/dnsmasq-empty.conf"
grep -v 'always_nxdomain$' "$WORK/unbound.conf" >"$WORK/unbound-empty.conf"
sed -i 's#unbound\.pid#unbound-empty.pid#' "$WORK/unbound-empty.conf"

# ---- helpers ----------------------------------------------------------------
# status_kb PID FIELD -> kB value of VmRSS/VmHWM
status_kb() { awk -v f="$2:" '$1==f{print $2; exit}' "/proc/$1/status"; }

# probe_ok KIND PORT NAME: does the server give the expected answer?
probe_ok() {
    local out
    out=$(dig @127.0.0.1 -p "$2" +time=1 +tries=1 +retry=0 +norecurse \
              +noall +comments +answer "$3" A 2>/dev/null) || return 1
    case $1 in
        dnsmasq) grep -q 'status: NOERROR' <<<"$out" &&
                 grep -Eq "^$3\.[[:space:]].*[[:space:]]A[[:space:]]+0\.0\.0\.0\$" <<<"$out" ;;
        unbound) grep -q 'status: NXDOMAIN' <<<"$out" ;;
    esac
}

# measure KIND PORT NAME LOGFILE CMD... : start CMD, time until probe_ok,
# sets M_LOAD (s), M_RSS (kB), M_HWM (kB); kills the server.
measure() {
    local kind=$1 port=$2 name=$3 logf=$4; shift 4
    local pid t0 t1 deadline ok=0 i
    t0=$(now)
    "$@" >"$logf" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    deadline=$(awk -v a="$t0" -v b="$READY_TIMEOUT" 'BEGIN{printf "%d", a+b}')
    # Bounded twice: by the deadline and by a hard iteration cap.
    for ((i = 0; i < READY_TIMEOUT * 50 + 100; i++)); do
        if probe_ok "$kind" "$port" "$name"; then ok=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        (( EPOCHSECONDS <= deadline )) || break
        sleep 0.02
    done
    t1=$(now)
    if [[ $ok != 1 ]]; then
        log "$kind did not answer for $name within ${READY_TIMEOUT}s; its log:"
        tail -20 "$logf" >&2 || true
        die "$kind failed to start"
    fi
    M_LOAD=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
    M_RSS=$(status_kb "$pid" VmRSS)
    M_HWM=$(status_kb "$pid" VmHWM)
    # Cost of one probe against the ready server (dig start-up + round trip):
    # the load time above includes up to about this much of it.
    local best=9 a
    for ((i = 0; i < 3; i++)); do
        a=$(now); probe_ok "$kind" "$port" "$name" || true
        best=$(awk -v a="$a" -v b="$(now)" -v m="$best" 'BEGIN{d=b-a; printf "%.3f", d<m?d:m}')
    done
    M_PROBE=$best
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    PIDS=()   # one server at a time
}

# measure_best KIND PORT NAME LOGFILE CMD...: measure REPEAT times, keep the
# fastest load time.
measure_best() {
    local r best=""
    for ((r = 1; r <= REPEAT; r++)); do
        measure "$@"
        ((REPEAT == 1)) || log "$1: start $r/$REPEAT: ${M_LOAD}s"
        if [[ -z $best ]] || awk -v a="$M_LOAD" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$M_LOAD; fi
    done
    M_LOAD=$best
}

# ---- egressd ----------------------------------------------------------------
EG_JSON=""
if [[ $PEERS_ONLY == 0 ]]; then
    log "egressd: $BENCH_BIN"
    eg_out=$WORK/egressd.out
    # In the background + wait, so that INT/TERM reach our trap at once
    # (timeout(1) sits in its own process group).
    timeout --kill-after=10 "$EGRESSD_TIMEOUT" "$BENCH_BIN" \
        "$WORK/list.txt" "$WORK/hits.txt" "$WORK/misses.txt" >"$eg_out" 2>"$WORK/egressd.err" &
    PIDS+=("$!")
    rc=0
    wait "$!" || rc=$?
    PIDS=()
    if [[ $rc != 0 ]]; then
        tail -20 "$WORK/egressd.err" >&2 || true
        die "$BENCH_BIN exited with status $rc"
    fi
    EG_JSON=$(python3 - "$eg_out" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
obj = None
for line in reversed(text.splitlines()):       # last JSON object line wins
    line = line.strip()
    if line.startswith("{"):
        try:
            obj = json.loads(line); break
        except ValueError:
            pass
if obj is None:
    try:
        obj = json.loads(text)
    except ValueError:
        raise SystemExit("bench-match: bench_match printed no JSON object")
keys = ["entries", "build_s", "bytes_per_entry", "rss_kb",
        "hit_lookups_per_s", "miss_lookups_per_s",
        "batch", "hit_batch_lookups_per_s", "miss_batch_lookups_per_s",
        "batch_few", "hit_few_lookups_per_s", "miss_few_lookups_per_s"]
missing = [k for k in keys if not isinstance(obj.get(k), (int, float))]
if missing:
    raise SystemExit("bench-match: bench_match JSON lacks numeric " + ", ".join(missing))
print(json.dumps({k: obj[k] for k in keys}))
EOF
) || die "could not read bench_match output: $(head -c 300 "$eg_out")"
    log "egressd: $EG_JSON"
fi

# ---- dnsmasq ----------------------------------------------------------------
dnsmasq_args=(--no-daemon --no-resolv --no-hosts --port="$DNSMASQ_PORT"
    --listen-address=127.0.0.1 --bind-interfaces
    --pid-file="$WORK/dnsmasq.pid" --log-facility=-)
log "dnsmasq: empty list (baseline)"
# With no address= line, dnsmasq answers REFUSED for everything: probe with
# a --address for one name so "ready" means the same thing.
measure dnsmasq "$DNSMASQ_PORT" probe.invalid "$WORK/dnsmasq-empty.log" \
    "$DNSMASQ" "${dnsmasq_args[@]}" --conf-file="$WORK/dnsmasq-empty.conf" \
    --address=/probe.invalid/0.0.0.0
DQ_BASE_RSS=$M_RSS
log "dnsmasq: baseline VmRSS ${M_RSS} kB"
log "dnsmasq: $N entries, port $DNSMASQ_PORT, probe $PROBE"
measure_best dnsmasq "$DNSMASQ_PORT" "$PROBE" "$WORK/dnsmasq.log" \
    "$DNSMASQ" "${dnsmasq_args[@]}" --conf-file="$WORK/dnsmasq.conf"
DQ_LOAD=$M_LOAD DQ_RSS=$M_RSS DQ_HWM=$M_HWM DQ_PROBE=$M_PROBE
log "dnsmasq: ready after ${DQ_LOAD}s, VmRSS ${DQ_RSS} kB, VmHWM ${DQ_HWM} kB (one probe: ${DQ_PROBE}s)"

# ---- unbound ----------------------------------------------------------------
log "unbound: unbound-checkconf"
t0=$(now)
"$UNBOUND_CHECKCONF" "$WORK/unbound.conf" >"$WORK/checkconf.log" 2>&1 ||
    { cat "$WORK/checkconf.log" >&2; die "unbound-checkconf rejected $WORK/unbound.conf"; }
CHECK_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')
log "unbound: empty list (baseline)"
# With only the "." refuse zone every answer is REFUSED; add one listed name.
printf 'server:\n    local-zone: "probe.invalid." always_nxdomain\n' >>"$WORK/unbound-empty.conf"
measure unbound "$UNBOUND_PORT" probe.invalid "$WORK/unbound-empty.log" \
    "$UNBOUND" -d -c "$WORK/unbound-empty.conf"
UB_BASE_RSS=$M_RSS
log "unbound: baseline VmRSS ${M_RSS} kB"
log "unbound: $N entries, port $UNBOUND_PORT, probe $PROBE"
measure_best unbound "$UNBOUND_PORT" "$PROBE" "$WORK/unbound.log" "$UNBOUND" -d -c "$WORK/unbound.conf"
UB_LOAD=$M_LOAD UB_RSS=$M_RSS UB_HWM=$M_HWM UB_PROBE=$M_PROBE
log "unbound: ready after ${UB_LOAD}s, VmRSS ${UB_RSS} kB, VmHWM ${UB_HWM} kB (one probe: ${UB_PROBE}s)"

RUN_S=$(awk -v a="$t_run0" -v b="$(now)" 'BEGIN{printf "%.0f", b-a}')

# ---- report -----------------------------------------------------------------
DNSMASQ_VER=$("$DNSMASQ" --version | awk 'NR==1{print $3}')
UNBOUND_VER=$("$UNBOUND" -V 2>/dev/null | awk '/^Version/{print $2; exit}')
N=$N EG_JSON=$EG_JSON DQ_LOAD=$DQ_LOAD DQ_RSS=$DQ_RSS DQ_HWM=$DQ_HWM DQ_BASE=$DQ_BASE_RSS \
UB_LOAD=$UB_LOAD UB_RSS=$UB_RSS UB_HWM=$UB_HWM UB_BASE=$UB_BASE_RSS \
DNSMASQ_VER=$DNSMASQ_VER UNBOUND_VER=$UNBOUND_VER GEN_S=$GEN_S CHECK_S=$CHECK_S \
RUN_S=$RUN_S DQ_PROBE=$DQ_PROBE UB_PROBE=$UB_PROBE SEED=$SEED LOOKUPS=$LOOKUPS REPEAT=$REPEAT CPU="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)" \
NCPU=$(nproc) python3 - <<'EOF'
import json, os
E = os.environ
n = int(E["N"])
eg = json.loads(E["EG_JSON"]) if E["EG_JSON"] else None
MB = 1024.0 * 1024.0

def peer(name, ver, load, rss, hwm, base):
    rss_b, base_b = int(rss) * 1024, int(base) * 1024
    return dict(name="%s %s" % (name, ver), load=float(load), rss=rss_b,
                hwm=int(hwm) * 1024, bpe=rss_b / n, add=(rss_b - base_b) / n)

rows = []
if eg:
    if int(eg["entries"]) != n:
        print("WARNING: bench_match reports %s entries, list has %d" % (eg["entries"], n))
    rows.append(dict(name="egressd", load=float(eg["build_s"]), rss=int(eg["rss_kb"]) * 1024,
                     hwm=None, bpe=float(eg["bytes_per_entry"]), add=None))
dq = peer("dnsmasq", E["DNSMASQ_VER"], E["DQ_LOAD"], E["DQ_RSS"], E["DQ_HWM"], E["DQ_BASE"])
ub = peer("unbound", E["UNBOUND_VER"], E["UB_LOAD"], E["UB_RSS"], E["UB_HWM"], E["UB_BASE"])
rows += [dq, ub]

def f_rate(x): return "%.2fM/s" % (x / 1e6)
def f_opt(x, fmt): return "-" if x is None else fmt % x

print()
print("Domain matcher benchmark: %d entries (%d lookups each of hits/misses), seed %s"
      % (n, int(E["LOOKUPS"]), E["SEED"]))
print("machine: %s x%s; generator %ss, unbound-checkconf %ss, whole run %ss"
      % (E["CPU"], E["NCPU"], E["GEN_S"], E["CHECK_S"], E["RUN_S"]))
print("peers' load (best of %s) includes one dig probe: ~%ss (dnsmasq), ~%ss (unbound)"
      % (E["REPEAT"], E["DQ_PROBE"], E["UB_PROBE"]))
print()
hdr = "%-16s %10s %10s %10s %11s %12s" % ("", "load (s)", "RSS (MB)", "peak (MB)", "bytes/entry", "added B/entry")
print(hdr); print("-" * len(hdr))
for r in rows:
    print("%-16s %10.3f %10.1f %10s %11.0f %12s" % (
        r["name"], r["load"], r["rss"] / MB, f_opt(r["hwm"] and r["hwm"] / MB, "%.1f"),
        r["bpe"], f_opt(r["add"], "%.0f")))
print()
if eg:
    print("egressd lookups (single thread, in-process):")
    print("  one name a call (match_domain):     hits %s, misses %s"
          % (f_rate(eg["hit_lookups_per_s"]), f_rate(eg["miss_lookups_per_s"])))
    print("  %2d names a call (match_domains):    hits %s, misses %s"
          % (eg["batch"], f_rate(eg["hit_batch_lookups_per_s"]),
             f_rate(eg["miss_batch_lookups_per_s"])))
    print("  %2d names a call (the engine's kind): hits %s, misses %s"
          % (eg["batch_few"], f_rate(eg["hit_few_lookups_per_s"]),
             f_rate(eg["miss_few_lookups_per_s"])))
    print("egressd bytes/entry is bench_match's own figure; peers' is VmRSS / N.")
    print()
    def ratio(a, b): return (a / b) if b > 0 else float("inf")
    rat = [
        ("dnsmasq load / egressd build", ratio(dq["load"], rows[0]["load"])),
        ("unbound load / egressd build", ratio(ub["load"], rows[0]["load"])),
        ("dnsmasq RSS / egressd RSS", ratio(dq["rss"], rows[0]["rss"])),
        ("unbound RSS / egressd RSS", ratio(ub["rss"], rows[0]["rss"])),
    ]
    for k, v in rat:
        print("%-30s %8.2fx" % (k, v))
else:
    print("(--peers-only: no egressd figures, no ratios)")

# ---- markdown ----
print()
print("<!-- bench-match markdown -->")
print("Matcher benchmark, %d domains (~70%% exact, ~30%% wildcard; seed %s), %s, %s cores:"
      % (n, E["SEED"], E["CPU"], E["NCPU"]))
print()
print("| | load (s) | RSS (MB) | bytes/entry | hit lookups/s | miss lookups/s |")
print("|---|---:|---:|---:|---:|---:|")
for r in rows:
    if r["name"] == "egressd":
        print("| egressd | %.3f | %.1f | %.0f | %s | %s |" % (
            r["load"], r["rss"] / MB, r["bpe"], f_rate(eg["hit_lookups_per_s"]),
            f_rate(eg["miss_lookups_per_s"])))
    else:
        print("| %s | %.3f | %.1f | %.0f | - | - |" % (r["name"], r["load"], r["rss"] / MB, r["bpe"]))
if eg:
    print()
    print("| egressd lookups/s | hits | misses |")
    print("|---|---:|---:|")
    print("| one name a call (`match_domain`) | %s | %s |"
          % (f_rate(eg["hit_lookups_per_s"]), f_rate(eg["miss_lookups_per_s"])))
    for k, tag in (("batch", "batch"), ("batch_few", "few")):
        print("| %d names a call (`match_domains`) | %s | %s |"
              % (eg[k], f_rate(eg["hit_%s_lookups_per_s" % tag]),
                 f_rate(eg["miss_%s_lookups_per_s" % tag])))
    print()
    print("| ratio | dnsmasq / egressd | unbound / egressd |")
    print("|---|---:|---:|")
    print("| load time | %.2fx | %.2fx |" % (rat[0][1], rat[1][1]))
    print("| resident memory | %.2fx | %.2fx |" % (rat[2][1], rat[3][1]))
print()
print("Load = exec until the first correct answer on 127.0.0.1 (dnsmasq, unbound) "
      "or the matcher build time (egressd); RSS = VmRSS once ready; "
      "peers' bytes/entry = RSS / N.")
EOF
