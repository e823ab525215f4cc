#!/usr/bin/env bash
# bench-fleet.sh — N simulated egressd hosts shipping events to one
# PostgreSQL 15 on this machine, as a host's fleet thread ships them.
#
# Usage: scripts/bench-fleet.sh [--hosts 1,10,100] [--rate R | --rate-total T]
#          [--time S] [--sat-time S] [--saturate] [--ship row[,pipeline,...]]
#          [--batch N] [--retry-pct P] [--fsync on|off] [--port PORT]
#          [--dir DIR] [--no-precreate]
#
#   For each number of hosts (default 1, 10, 100) and each --ship method
#   (default row: PQexecParams per row, what the spec's shipper does; also
#   prepared, pipeline, multirow, see tests/bench/bench_fleet.c), on a
#   fresh database:
#     rate run        each host makes R changes/s (default 20; --rate-total
#                     T gives T/N per host) for S s (default 20), ships
#                     every second or at 500 rows in one transaction
#                     (pgschema_partitions, PGSCHEMA_EVENT_UPSERT per row,
#                     UPDATE hosts SET shipped_rev), heartbeat every 5 s;
#     saturation run  each host ships full 500-row batches back to back for
#                     --sat-time s (default 10; 0: none; --saturate: only
#                     these).
#   The changes: 80 % new events, 15 % updates of earlier ones (rev and
#   count up), 5 % repeats of a shipped rev; 1 % of the transactions lose
#   their connection before COMMIT and 1 % lose COMMIT's answer (both
#   shipped again). Each run ends by draining the outbox and checking that
#   the database holds exactly what the hosts made.
#
#   Prints a markdown table: offered and achieved changes/s, transactions/s,
#   lag (a row's oldest change to its COMMIT) p50/p99/max, PostgreSQL's CPU
#   (postmaster and children, /proc utime+stime) per 1,000 changes, the
#   database's growth and the WAL per event row, the injected retries
#   (dropped + lost answers), the machine's load average at the run's end,
#   the check. ~2.5 min with the defaults.
#
#   Today's and tomorrow's partitions are made before the hosts start (a
#   day's steady state); --no-precreate leaves them to the hosts' first
#   transactions, as at midnight.
#
#   PostgreSQL: tests/lib/pg.sh's throw-away cluster in a temp dir (or
#   --dir DIR, which must not exist; removed at the end), port 55435 unless
#   --port,, stock settings but fsync=on (pg.sh's tests run
#   with fsync=off; a real primary does not). Needs root (initdb as
#   postgres); installs postgresql-15 and the build's packages if missing.
#   Loopback and a unix socket only.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/lib/pg.sh
. "$ROOT/tests/lib/pg.sh"

HOSTS=1,10,100 RATE=20 RATE_TOTAL='' TIME=20 SAT_TIME=10 SAT_ONLY=0
SHIP=row BATCH=500 RETRY=2 FSYNC=on PORT=55435 DIR='' EXTRA=()
usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--hosts) HOSTS=${2-}; shift ;;
	--rate) RATE=${2-}; shift ;;
	--rate-total) RATE_TOTAL=${2-}; shift ;;
	--time) TIME=${2-}; shift ;;
	--sat-time) SAT_TIME=${2-}; shift ;;
	--saturate) SAT_ONLY=1 ;;
	--ship) SHIP=${2-}; shift ;;
	--batch) BATCH=${2-}; shift ;;
	--retry-pct) RETRY=${2-}; shift ;;
	--fsync) FSYNC=${2-}; shift ;;
	--port) PORT=${2-}; shift ;;
	--dir) DIR=${2-}; shift ;;
	--no-precreate) EXTRA+=(--no-precreate) ;;
	*) usage ;;
	esac
	shift
done
num='^[0-9]+(\.[0-9]+)?$'
[[ $HOSTS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ && $RATE =~ $num &&
	$TIME =~ $num && $SAT_TIME =~ $num && $BATCH =~ ^[1-9][0-9]*$ &&
	$RETRY =~ $num && $PORT =~ ^[1-9][0-9]*$ &&
	$SHIP =~ ^(row|prepared|pipeline|multirow)(,(row|prepared|pipeline|multirow))*$ &&
	$FSYNC =~ ^(on|off)$ ]] || usage
[ -z "$RATE_TOTAL" ] || [[ $RATE_TOTAL =~ $num ]] || usage
[ "$(id -u)" = 0 ] || { echo "bench-fleet: needs root (initdb as postgres)" >&2; exit 1; }
ensure_packages "${BUILD_PKGS[@]}" postgresql-15 || exit 1
meson_build "$ROOT/build" || exit 1
BIN=$ROOT/build/tests/bench_fleet
[ -x "$BIN" ] || { echo "bench-fleet: $BIN missing" >&2; exit 1; }

# One connection per host, and the bench's own.
max=0
for n in ${HOSTS//,/ }; do [ "$n" -gt "$max" ] && max=$n; done
S=$(mktemp -d /tmp/bench-fleet.XXXXXX)
chmod 755 "$S" # initdb runs as postgres
[ -n "$DIR" ] || DIR=$S/pg
[ ! -e "$DIR" ] || { echo "bench-fleet: $DIR exists" >&2; rm -rf "$S"; exit 1; }
cleanup() { pg_remove; rm -rf "$S"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PG_EXTRA_OPTS="-c fsync=$FSYNC -c max_connections=$((max + 20))"
pg_start "$DIR" "$PORT" || exit 1
PM=$(head -1 "$DIR/data/postmaster.pid")

as_postgres() {
	runuser -u postgres -- "$PG_BIN/psql" -X -q -h "$PG_DIR/sock" -p "$PG_PORT" \
		-U postgres -d postgres -v ON_ERROR_STOP=1 "$@" >/dev/null
}

# run HOSTS SHIP ARGS...: one measured run on a fresh database.
fails=0
run() {
	local n=$1 ship=$2
	shift 2
	as_postgres -c "DROP DATABASE IF EXISTS egressd WITH (FORCE)" \
		-c "CREATE DATABASE egressd OWNER egressd" -c CHECKPOINT || exit 1
	"$BIN" --dsn "$PG_DSN" --hosts "$n" --ship "$ship" --batch "$BATCH" \
		--retry-pct "$RETRY" --pg-pid "$PM" "${EXTRA[@]}" "$@" >>"$S/rows" 2>"$S/err" ||
		fails=$((fails + 1))
	sed 's/^/    /' "$S/err" >&2
}

started=$(date +%s)
: >"$S/rows"
for ship in ${SHIP//,/ }; do
	for n in ${HOSTS//,/ }; do
		r=$RATE
		[ -z "$RATE_TOTAL" ] || r=$(awk -v t="$RATE_TOTAL" -v n="$n" 'BEGIN { print t / n }')
		if [ "$SAT_ONLY" = 0 ]; then
			echo "[bench-fleet] $n hosts, $r changes/s each, $TIME s, $ship" >&2
			run "$n" "$ship" --rate "$r" --time "$TIME"
		fi
		if [ "$SAT_ONLY" = 1 ] || [ "$SAT_TIME" != 0 ]; then
			t=$SAT_TIME
			[ "$SAT_ONLY" = 0 ] || [ "$t" != 0 ] || t=10
			echo "[bench-fleet] $n hosts, saturated, $t s, $ship" >&2
			run "$n" "$ship" --saturate --time "$t"
		fi
	done
done

cat <<EOF

PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }'), fsync=$FSYNC, $(nproc) CPUs (load average $(cut -d' ' -f1-3 /proc/loadavg)), $(($(date +%s) - started)) s.
Changes: 80 % new, 15 % updates, 5 % repeats; retries: dropped before COMMIT + COMMIT's answer lost.

| hosts | ship | offered /s | achieved /s | tx /s | lag ms p50 / p99 / max | PG CPU % | PG CPU ms per 1k changes | DB MB per 1M events | WAL MB per 1M events | retries | load | exactly once |
|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---|
EOF
cat "$S/rows"
[ "$fails" = 0 ] || { echo "bench-fleet: $fails run(s) failed their check" >&2; exit 1; }
