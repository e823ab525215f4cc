# What egressd keeps after setup, and what it leaves for others to read:
# its capabilities, no_new_privs and seccomp on every thread; a state dir
# that was world-readable made private; secrets in command lines masked
# before they reach events.jsonl.
SOCK=$SEC/ctl.sock
ST=$SEC/state
printf 'other.example.net\n' >"$SEC/black.txt"
# A careless operator's state dir: world-readable, a world-writable export.
mkdir -p "$ST"
chmod 0755 "$ST"
: >"$ST/events.jsonl"
chmod 0666 "$ST/events.jsonl"
start_egressd --state-dir "$ST" --socket "$SOCK" --mode block --blacklist "$SEC/black.txt"

[ "$(stat -c %a "$ST")" = 750 ] && ok "a 0755 state dir is made 0750" || bad "state dir mode $(stat -c %a "$ST")"
modes=$(find "$ST" -type f -printf '%m %p\n' | awk '$1 !~ /^(6[04]0|600|640)$/')
[ -z "$modes" ] && ok "every file in it is 0640 or stricter ($(find "$ST" -type f | wc -l) files)" ||
	bad "files too open: $modes"
setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$ST/events.jsonl" >/dev/null 2>&1 &&
	bad "nobody can read events.jsonl" || ok "nobody cannot read events.jsonl"
setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c "echo forged >>'$ST/events.jsonl'" 2>/dev/null &&
	bad "nobody can append to events.jsonl" || ok "nobody cannot append a forged event"

# Every thread: the kept capabilities only, no_new_privs, seccomp.
want=$(printf '%016x' $(( (1 << 12) | (1 << 21) | (1 << 19) | (1 << 2) )))
threads=0 badthreads=
for t in /proc/"$pid"/task/*; do
	threads=$((threads + 1))
	st=$(cat "$t/status")
	eff=$(echo "$st" | awk '/^CapEff/ {print $2}') bnd=$(echo "$st" | awk '/^CapBnd/ {print $2}')
	nnp=$(echo "$st" | awk '/^NoNewPrivs/ {print $2}') sec=$(echo "$st" | awk '/^Seccomp:/ {print $2}')
	[ "$eff" = "$want" ] && [ "$bnd" = "$want" ] && [ "$nnp" = 1 ] && [ "$sec" = 2 ] ||
		badthreads="$badthreads $(basename "$t"):$eff/$bnd/$nnp/$sec"
done
[ -z "$badthreads" ] && ok "all $threads threads: CapEff=CapBnd=$want (NET_ADMIN, SYS_ADMIN, SYS_PTRACE, DAC_READ_SEARCH), NoNewPrivs, seccomp" ||
	bad "threads not confined:$badthreads"
grep -q "sandbox: kept CAP_NET_ADMIN" "$S/egressd.log" && ok "said at start: $(grep -m1 'sandbox: kept' "$S/egressd.log" | cut -c1-140)" ||
	bad "no sandbox line in the log"
# The README's count is the one egressd logs.
n=$(grep -m1 'sandbox: kept' "$S/egressd.log" | grep -o '[0-9]* syscalls allowed' | cut -d' ' -f1)
readme=$(grep -o 'seccomp allow-list on every thread ([0-9]* syscalls' "$ROOT/README.md" | grep -o '[0-9]*')
[ -n "$n" ] && [ "$n" = "$readme" ] && ok "the README says the $n syscalls egressd allows" ||
	bad "egressd allows ${n:-?} syscalls, the README says ${readme:-nothing}"
wd=$(pgrep -P "$pid" | head -1)
[ -n "$wd" ] && [ "$(awk '/^CapEff/ {print $2}' /proc/$wd/status)" = 0000000000001000 ] &&
	ok "the watchdog child keeps CAP_NET_ADMIN only" || bad "watchdog child caps: $(grep CapEff /proc/$wd/status 2>/dev/null)"

# A secret in a command line never reaches the export. In alert mode,
# curl downloads slowly (/big, rate-limited) so that it is still there to
# be named even when the writer is slow (the ASan build on a loaded
# machine); in block mode its reset would end it within the 100 ms hold.
stop_egressd
start_egressd --state-dir "$ST" --socket "$SOCK" --mode alert --blacklist "$SEC/black.txt"
ip netns exec "$NS_C1" sh -c 'curl -s -m 2 --limit-rate 2M -H "Authorization: Bearer S3cr3tT0ken" \
	"https://other.example.net/big?token=AbCdEf&x=1" --resolve other.example.net:443:203.0.113.81 -k \
	-u "alice:hunter2" >/dev/null 2>&1; true'
curl_event() { line=$(grep 'other.example.net' "$ST/events.jsonl" 2>/dev/null | grep -m1 curl); [ -n "$line" ]; }
wait_until 10 "an event with the curl command line" curl_event
if [ -z "$line" ]; then
	bad "no event with the curl command line"
elif echo "$line" | grep -E >/dev/null 'S3cr3tT0ken|AbCdEf|hunter2'; then
	bad "a secret reached events.jsonl: $line"
else
	ok "secrets masked in events.jsonl: $(echo "$line" | grep -o '"cmdline":"curl[^"]*"' | head -1 | cut -c1-150)"
fi
stop_egressd
