# A stopped egressd (SIGSTOP: still bound to its queue, reading nothing)
# must not hold container traffic for good: the queue's bypass acts only
# when no reader is bound. Its watchdog lets traffic pass within the
# timeout (fail-open) or drops it (fail-closed), and takes its guard away
# when egressd runs again; kill -9 of egressd leaves no guard behind; a
# dead or stopped watchdog is noticed and started again.
TIMEOUT_MS=3000 # watchdog_timeout's default
WINDOW_S=8
C1="ip netns exec $NS_C1"
H="ip netns exec $NS_HOST"
printf 'other.example.net\n' >"$SEC/black.txt"
LOG0=0 old= new= third= child=

resolves() { $C1 dig +short +time=1 +tries=1 @203.0.113.53 "$1" 2>/dev/null | grep >/dev/null '^[0-9]'; }
refused() { $C1 dig +time=1 +tries=1 @203.0.113.53 "$1" 2>/dev/null | grep >/dev/null 'status: NXDOMAIN'; }
connects() { $C1 curl -sf -o /dev/null -m 1 http://203.0.113.80/; }
# elements SET: how many elements the guard set has ("no set" and false
# without the set).
elements() {
	local out
	out=$($H nft list set inet egressd "$1" 2>/dev/null) || { echo "no set"; return 1; }
	grep -o 'ipv[46]' <<<"$out" | wc -l
}
guard_empty() { [ "$(elements watchdog_pass)" = 0 ] && [ "$(elements watchdog_drop)" = 0 ]; }
# until_ok SECONDS CMD... : polls CMD every 0.1 s, bounded.
until_ok() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
# The log since the last mark (egressd.log is the whole run's).
mark() { LOG0=$(cat "$S/egressd.log" 2>/dev/null | wc -l); }
logged() { tail -n +"$((LOG0 + 1))" "$S/egressd.log" | grep >/dev/null "$1"; }
said() { tail -n +"$((LOG0 + 1))" "$S/egressd.log" | grep -o "$1" | tail -1; }
pass_on() { [ "$(elements watchdog_pass)" = 2 ]; }
child_of() { pgrep -P "$1" | head -1; }
gone() { ! kill -0 "$1" 2>/dev/null || grep >/dev/null '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# probes OUT : for WINDOW_S seconds, every 0.25 s, one lookup and one
# connection in the background; each writes "KIND END_NS RC" to OUT.
probes() {
	local out=$1 pids=()
	: >"$out"
	for _ in $(seq $((WINDOW_S * 4))); do
		( resolves www.example.com; rc=$?; echo "lookup $(date +%s%N) $rc" >>"$out" ) &
		pids+=($!)
		( connects; rc=$?; echo "connect $(date +%s%N) $rc" >>"$out" ) &
		pids+=($!)
		sleep 0.25 # the probes' pace over the window (measured, not awaited)
	done
	wait "${pids[@]}"
}
# first_ok OUT KIND T0 : ms from T0 to the first success of KIND, or empty.
first_ok() {
	awk -v k="$2" -v t0="$3" '$1 == k && $3 == 0 && (m == "" || $2 < m) { m = $2 }
		END { if (m != "") printf "%d\n", (m - t0) / 1000000 }' "$1"
}
judging() {
	refused other.example.net && ok "$1: the blacklisted name is refused (NXDOMAIN)" ||
		bad "$1: the blacklisted name is not refused"
	resolves www.example.com && ok "$1: a good name resolves" || bad "$1: a good name does not resolve"
	connects && ok "$1: a connection to 203.0.113.80 works" || bad "$1: the connection fails"
}
start() {
	mark
	start_egressd --state-dir "$SEC/state" --socket "$SEC/ctl.sock" --mode block \
		--blacklist "$SEC/black.txt" "$@"
	until_ok 2 logged 'watchdog armed' ||
		bad "no 'watchdog armed' in the log"
}
stop() {
	local child
	child=$(child_of "$pid")
	stop_egressd
	[ -n "$child" ] && until_ok 2 gone "$child" && ok "stopped: the watchdog child ($child) is gone too" ||
		bad "stopped: watchdog child '${child:-none}' still there"
}

# 1. Fail-open: traffic passes again within the timeout (+ 1.5 s).
start
judging "fail-open, before"
t0=$(date +%s%N)
kill -STOP "$pid"
probes "$SEC/open.txt"
lk=$(first_ok "$SEC/open.txt" lookup "$t0")
cn=$(first_ok "$SEC/open.txt" connect "$t0")
echo "     fail-open stall: first lookup ${lk:-none} ms, first connection ${cn:-none} ms after SIGSTOP" \
	"(timeout $TIMEOUT_MS ms; $(grep -c ' 0$' "$SEC/open.txt") of $((WINDOW_S * 8)) probes passed)"
for x in "lookup:$lk" "connection:$cn"; do
	v=${x#*:}
	[ -n "$v" ] && [ "$v" -lt $((TIMEOUT_MS + 1500)) ] && ok "fail-open: first ${x%%:*} passed ${v} ms after SIGSTOP" ||
		bad "fail-open: first ${x%%:*} ${v:-never} (want < $((TIMEOUT_MS + 1500)) ms)"
	# The guard cannot be on before the timeout (less the last beat's
	# age): nothing passing earlier means the stall was real.
	[ -n "$v" ] && [ "$v" -ge $((TIMEOUT_MS - 500)) ] && ok "fail-open: nothing passed before the timeout" ||
		bad "fail-open: a ${x%%:*} passed after ${v:-never} ms, before the timeout"
done
[ "$(elements watchdog_pass)" = 2 ] && ok "fail-open: the guard is in watchdog_pass while egressd is stopped" ||
	bad "fail-open: watchdog_pass has $(elements watchdog_pass) elements"
logged 'watchdog: the packet thread has not run for .* guard on' &&
	ok "the watchdog said it: $(said 'has not run for [0-9]* ms (last beat at [^)]*)')" ||
	bad "no 'guard on' in the log"
kill -CONT "$pid"
until_ok 3 guard_empty && ok "fail-open: SIGCONT: the guard sets are empty" ||
	bad "fail-open: after SIGCONT: watchdog_pass $(elements watchdog_pass), watchdog_drop $(elements watchdog_drop)"
logged 'the packet thread runs again after .* guard off' &&
	ok "the watchdog said it: $(said 'runs again after.*')" ||
	bad "no 'guard off' in the log"
judging "fail-open, after SIGCONT"

# 2. A flood is no stall. Under it the queue never runs dry, so the loop
#    does not turn for seconds, yet every packet is judged: the guard must
#    stay off, or a hostile container could flood its way past egressd.
#    DNS always queues, so one socket (one conntrack entry) is enough.
mark
floods=
for ns in "$NS_C1" "$NS_C2"; do
	ip netns exec "$ns" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 6
while time.time() < end:
    for _ in range(200):
        try: s.sendto(b"x", ("203.0.113.53", 53))
        except OSError: pass
' &
	floods="$floods $!"
done
wait $floods # their 6 s
kill -USR1 "$pid"
until_ok 3 logged 'stats:' && until_ok 3 guard_empty || true
n=$(said 'stats: [0-9]* packets' | grep -o '[0-9]*')
[ "${n:-0}" -gt 50000 ] && ok "flood: egressd judged ${n} packets in 6 s" || bad "flood: only ${n:-no} packets judged"
! logged 'guard on' && ok "flood: the guard stayed off" ||
	bad "flood: the guard went on: $(said 'has not run for [0-9]* ms'), $(said '[0-9]* packets passed unjudged')"

# 3. A dead watchdog is noticed and said loudly. Under the sandbox (the
#    default) egressd may not fork: it says so and to restart egressd, and
#    does not try. Without the sandbox it starts a new one; a stopped (hung)
#    one too; the new one guards.
old=$(child_of "$pid")
[ -n "$old" ] && kill -9 "$old"
until_ok 7 logged "ALERT: watchdog (pid $old) was killed by signal 9" &&
	until_ok 2 logged "ALERT: no new watchdog: egressd's sandbox allows no fork; restart egressd" &&
	ok "sandboxed: a killed watchdog is said loudly, with what to do: $(said 'no new watchdog.*')" ||
	bad "sandboxed: killed watchdog not reported as it is"
# A fixed wait: what is tested is that nothing happens (no fork tried) at
# the main loop's next check of the watchdog (every 5 s), which leaves no
# trace to poll for.
sleep 6
! logged 'cannot start the watchdog again' && ! logged 'watchdog started again' && [ -z "$(child_of "$pid")" ] &&
	ok "...and no fork tried (none would be allowed)" ||
	bad "sandboxed: a restart was tried: $(said 'cannot start the watchdog again.*')"
stop_egressd
printf 'sandbox = no\n' >"$SEC/nosandbox.conf"
start --config "$SEC/nosandbox.conf"
old=$(child_of "$pid")
[ -n "$old" ] && kill -9 "$old"
until_ok 7 logged "ALERT: watchdog (pid $old) was killed by signal 9" &&
	ok "killed watchdog: egressd says so" || bad "killed watchdog: not noticed"
until_ok 2 logged 'watchdog started again' && new=$(child_of "$pid") && [ -n "$new" ] &&
	[ "$new" != "$old" ] && ok "and starts a new one ($new)" || bad "no new watchdog"
[ -n "$new" ] && kill -STOP "$new"
until_ok 14 logged "ALERT: watchdog (pid ${new:-x}) has not looked at the heartbeat" &&
	ok "stopped watchdog: egressd says so" || bad "stopped watchdog: not noticed"
[ -n "$new" ] && until_ok 2 gone "$new" && ok "and kills it" || bad "the stopped watchdog $new lives on"
until_ok 2 logged 'restart 2 of' && third=$(child_of "$pid") && [ -n "$third" ] &&
	ok "and starts another ($third)" || bad "no third watchdog"
until_ok 2 logged "watchdog armed (pid ${third:-x})" && ok "which is armed" ||
	bad "the third watchdog is not armed"
kill -STOP "$pid"
until_ok 5 resolves www.example.com && ok "the restarted watchdog guards: a lookup passes with egressd stopped" ||
	bad "the restarted watchdog does not guard"
kill -CONT "$pid"
until_ok 3 guard_empty && ok "and takes the guard away after SIGCONT" || bad "guard left after SIGCONT"
stop

# 4. Fail-closed: nothing passes for the whole window.
start --fail-closed
judging "fail-closed, before"
t0=$(date +%s%N)
kill -STOP "$pid"
probes "$SEC/closed.txt"
n=$(grep -c ' 0$' "$SEC/closed.txt")
echo "     fail-closed: $n of $(wc -l <"$SEC/closed.txt") probes passed over ${WINDOW_S} s of SIGSTOP"
[ "$n" = 0 ] && ok "fail-closed: nothing passed over ${WINDOW_S} s" || bad "fail-closed: $n probes passed"
[ "$(elements watchdog_drop)" = 2 ] && ok "fail-closed: the guard is in watchdog_drop while egressd is stopped" ||
	bad "fail-closed: watchdog_drop has $(elements watchdog_drop) elements"
logged 'guard on, container traffic that would queue is dropped' &&
	ok "the watchdog said it (dropped, fail-closed)" || bad "no fail-closed 'guard on' in the log"
kill -CONT "$pid"
until_ok 3 guard_empty && ok "fail-closed: SIGCONT: the guard sets are empty" ||
	bad "fail-closed: after SIGCONT: watchdog_pass $(elements watchdog_pass), watchdog_drop $(elements watchdog_drop)"
judging "fail-closed, after SIGCONT"
stop

# 5. kill -9 of a stopped egressd: its watchdog removes the guard and exits.
start
child=$(child_of "$pid")
kill -STOP "$pid"
until_ok 6 pass_on &&
	ok "kill -9: the guard is on before" || bad "kill -9: no guard before"
{ kill -9 "$pid"; wait "$pid"; } 2>/dev/null
pid=
until_ok 2 guard_empty && ok "kill -9: no guard element left" ||
	bad "kill -9: watchdog_pass $(elements watchdog_pass), watchdog_drop $(elements watchdog_drop)"
[ -n "$child" ] && until_ok 2 gone "$child" && ok "kill -9: the watchdog child ($child) exited" ||
	bad "kill -9: the watchdog child '${child:-none}' lives on"
resolves www.example.com && ok "kill -9: the queue's own bypass passes traffic" || bad "kill -9: traffic held"
