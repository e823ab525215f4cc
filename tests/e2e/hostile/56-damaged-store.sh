# A damaged store is set aside, loudly, with what could be salvaged; a
# fresh one records new events. Never silently on with invisible history.
SOCK=$SEC/ctl.sock
ctl() { "$EGRESSCTL" --socket "$SOCK" "$@"; }
printf '*.bad.test\n' >"$SEC/black.txt"
start_egressd --state-dir "$SEC/state" --socket "$SOCK" --mode alert --blacklist "$SEC/black.txt"
ctl blacklist add kept.example.org --note "the operator's entry" >/dev/null
ip netns exec "$NS_C1" /usr/bin/python3 - "$DNS4" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(400):
    name = "d%d.bad.test" % i
    qn = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    s.sendto(struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + qn + b"\0\1\0\1", (sys.argv[1], 53))
    time.sleep(0.03)
PY
wait_until 20 "the 400 events written" events_taken "$SOCK" 400
n0=$(ctl --json events overview | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["overview"]["pending"])')
stop_egressd
# Garbage over the last pages of the store (the WAL was checkpointed at
# the clean stop, or is damaged along with it).
db=$SEC/state/egressd.db
size=$(stat -c %s "$db")
dd if=/dev/urandom of="$db" bs=4096 seek=$(( size / 4096 - 8 )) count=8 conv=notrunc 2>/dev/null
# What this start logs (egressd.log is the whole run's: an earlier
# section's "set-aside damaged stores" must not pass for the report).
log0=$(wc -l <"$S/egressd.log")
start_egressd --state-dir "$SEC/state" --socket "$SOCK" --mode alert --blacklist "$SEC/black.txt"
said=$(tail -n +"$((log0 + 1))" "$S/egressd.log" | grep -i -m1 damaged)
[ -n "$said" ] && ok "a damaged store is reported: $(echo "$said" | cut -c1-200)" ||
	bad "the damaged store was not reported (had $n0 pending events)"
ls "$SEC/state" | grep >/dev/null "egressd.db.damaged-" && ok "it is set aside: $(ls "$SEC/state" | grep damaged | head -1)" ||
	bad "not set aside: $(ls "$SEC/state")"
ctl --json blacklist list | grep >/dev/null kept.example.org && ok "the operator's list entry was salvaged" ||
	bad "the operator's list entry is lost"
ip netns exec "$NS_C1" dig +time=1 +tries=1 @"$DNS4" after.bad.test >/dev/null
recorded() { ctl --json events >"$SEC/ev.json" 2>/dev/null; grep -q "\"after.bad.test\"" "$SEC/ev.json"; }
wait_until 10 "the event of after.bad.test" recorded
grep -q "\"after.bad.test\"" "$SEC/ev.json" && ok "the fresh store records new events" ||
	{ bad "no new event recorded after the set-aside"; head -c 600 "$SEC/ev.json"; tail -5 "$S/egressd.log"; }

# A store cut to 0 bytes is damaged too, not a fresh start.
stop_egressd
: >"$db"
rm -f "$db-wal" "$db-shm"
start_egressd --state-dir "$SEC/state" --socket "$SOCK" --mode alert --blacklist "$SEC/black.txt"
[ "$(ls "$SEC/state" | grep -c 'egressd.db.damaged-')" -ge 2 ] && ok "a 0-byte store is set aside too" ||
	bad "a 0-byte store was silently recreated: $(ls "$SEC/state")"
kill -0 "$pid" && ok "egressd is up" || bad "egressd died"
stop_egressd
