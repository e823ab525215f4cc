# The state dir has a budget (max_state_mb) and may fill up its disk. A
# budget: the oldest handled events go first, the dir stays near it. A
# full disk: verdicts and isolation keep working, nothing is torn, no
# temporary file stays behind, and it is said at once.
SOCK=$SEC/ctl.sock
ctl() { "$EGRESSCTL" --socket "$SOCK" "$@"; }
printf '*.bad.test\n' >"$SEC/black.txt"
dig_c1() { ip netns exec "$NS_C1" dig +time=1 +tries=1 @"$DNS4" "$1"; }
lookups() { # lookups PREFIX N: distinct blacklisted names from c1, paced
	ip netns exec "$NS_C1" /usr/bin/python3 - "$1" "$2" "$DNS4" <<'PY'
import socket, struct, sys, time
pre, n, server = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    name = "%s%d.bad.test" % (pre, i)
    qn = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    s.sendto(struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + qn + b"\0\1\0\1", (server, 53))
    time.sleep(0.04)  # under the per-container rate: each is its own event
PY
}
usage_kb() { du -sk "$1" | cut -f1; }

# 1. A budget of 1 MiB, events that would fill several.
printf 'max_state_mb = 1\n' >"$SEC/budget.conf"
start_egressd --config "$SEC/budget.conf" --state-dir "$SEC/b" --socket "$SOCK" \
	--mode alert --blacklist "$SEC/black.txt"
lookups a 300
sleep 1
ids=$(ctl --json events --limit 100 | /usr/bin/python3 -c 'import json,sys; print(" ".join(str(e["id"]) for e in json.load(sys.stdin)["events"][50:]))')
ctl events handled $ids >/dev/null 2>&1
lookups b 700
sleep 12 # the budget is checked every 10 s
kb=$(usage_kb "$SEC/b")
[ "$kb" -le 1400 ] && ok "state dir kept near its 1 MiB budget: ${kb} KiB" || bad "state dir at ${kb} KiB with a 1 MiB budget"
grep -q "over its budget" "$S/egressd.log" && ok "the pruning is logged: $(grep -m1 'over its budget' "$S/egressd.log" | cut -c1-160)" ||
	bad "no log line about the budget"
left=$(ctl --json events --limit 1000 --status handled | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))')
pend=$(ctl --json events --limit 1000 --status pending | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))')
[ "$left" -lt 200 ] && [ "$pend" -gt 0 ] && ok "handled events went first ($left handled, $pend pending left)" ||
	bad "budget order: $left handled, $pend pending left"
stop_egressd

# 2. A full disk: the state dir on a 1 MiB tmpfs.
mkdir -p "$SEC/full"
mount -t tmpfs -o size=1m tmpfs "$SEC/full"
trap 'umount "$SEC/full" 2>/dev/null' EXIT
start_egressd --state-dir "$SEC/full/state" --socket "$SOCK" --mode block --blacklist "$SEC/black.txt"
head -c 2M /dev/zero >"$SEC/full/filler" 2>/dev/null # fills what is left
lookups c 100
sleep 2
dig_c1 c-late.bad.test | grep -q NXDOMAIN && ok "disk full: a blacklisted name is still refused" ||
	bad "disk full: verdict lost"
dig_c1 www.example.com | grep -q "203.0.113.80" && ok "disk full: a good name still resolves" ||
	bad "disk full: good name failed"
ctl isolate "$NS_C2" >"$SEC/iso.out" 2>&1
ip netns exec "$NS_C2" curl -s -m 1 http://203.0.113.80/ >/dev/null && bad "disk full: isolation did not cut c2 ($(cat "$SEC/iso.out"))" ||
	ok "disk full: isolation works ($(cat "$SEC/iso.out"))"
ctl unisolate "$NS_C2" >/dev/null 2>&1
ls "$SEC/full/state" | grep -q '\.tmp$' && bad "a temporary file stayed: $(ls "$SEC/full/state")" ||
	ok "no temporary file left behind"
/usr/bin/python3 - "$SEC/full/state/events.jsonl" <<'PY' && ok "events.jsonl has no torn line" || bad "events.jsonl has a torn line"
import json, sys
for line in open(sys.argv[1], "rb").read().decode().splitlines():
    json.loads(line)
PY
grep -q "the disk is full" "$S/egressd.log" && ok "said at once: $(grep -m1 'the disk is full' "$S/egressd.log" | cut -c1-160)" ||
	bad "the full disk was not logged"
rm -f "$SEC/full/filler"
kill -0 "$pid" && ok "egressd is up" || bad "egressd died"
stop_egressd
umount "$SEC/full"
