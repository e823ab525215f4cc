# A container owns its files: /etc/passwd that is a FIFO, /dev/zero or a
# link out of its root must neither stall the event writer nor make
# egressd read the host's files. The "container" is a busybox root that a
# process in c1 is chrooted into (its /proc/PID/root).
SOCK=$SEC/ctl.sock
R=$SEC/root
EV=$SEC/state/events.jsonl
mkdir -p "$R/bin" "$R/etc" "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
printf '203.0.113.81\n' >"$SEC/black.txt"
echo "HOSTLEAK:x:0:0:host:/:/bin/sh" >/tmp/hostile-passwd-$$
start_egressd --state-dir "$SEC/state" --socket "$SOCK" --mode block --blacklist "$SEC/black.txt"

# fetch MARK: a connection to the blacklisted address from inside the root
# (busybox nc; its shell's command line carries MARK).
fetch() {
	ip netns exec "$NS_C1" chroot "$R" /bin/busybox sh -c \
		"/bin/busybox nc -w 2 203.0.113.81 80; : $1" </dev/null >/dev/null 2>&1
}
# event_user MARK: the user of the event whose command line has MARK.
event_user() {
	wait_for "$1" "$EV" || { echo "no-event"; return; }
	grep "$1" "$EV" | tail -1 | /usr/bin/python3 -c \
		'import json,sys; e=json.load(sys.stdin); print(e["process"][0]["user"] or "-")'
}
c2_event_in_time() { # c2's own event is written within 3 s
	local m=$1 t0=$(date +%s%N)
	ip netns exec "$NS_C2" curl -s -m 2 "http://203.0.113.81/$m" >/dev/null 2>&1
	wait_for "$m" "$EV" 3 && echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

echo "inroot:x:0:0:root:/:/bin/sh" >"$R/etc/passwd"
fetch plain-passwd
u=$(event_user plain-passwd)
[ "$u" = inroot ] && ok "control: the user's name comes from the container's own passwd ($u)" ||
	bad "control: user '$u', want inroot"

rm -f "$R/etc/passwd"; mkfifo "$R/etc/passwd"
# A writer waits for a reader: egressd must never be one (the file is
# found, seen to be a FIFO and left, never opened).
sh -c "echo x >'$R/etc/passwd'; echo opened >'$SEC/fifo-opened'" 2>/dev/null &
writer=$!
t0=$(date +%s%N)
fetch fifo-passwd
u=$(event_user fifo-passwd)
[ "$u" = - ] && ok "/etc/passwd a FIFO: event written without a name in $(( ($(date +%s%N) - t0) / 1000000 )) ms" ||
	bad "FIFO passwd: user '$u'"
[ ! -e "$SEC/fifo-opened" ] && kill -0 "$writer" 2>/dev/null &&
	ok "...and egressd never opened the FIFO (its writer still waits for a reader)" ||
	bad "egressd opened the container's FIFO (its writer got a reader)"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
ms=$(c2_event_in_time after-fifo) && ok "...and the writer goes on: c2's next event in $ms ms" ||
	bad "the writer is stuck after the FIFO"

# A device node: its driver's open must never run for egressd (think of
# /dev/watchdog). strace -y says what each descriptor egressd got is.
rm -f "$R/etc/passwd"; mknod "$R/etc/passwd" c 1 5 # /dev/zero
strace -f -y -qq -e trace=openat,openat2 -o "$SEC/open.trace" -p "$pid" &
tracer=$!
# traced: strace has seized every thread of egressd.
traced() {
	local t
	for t in /proc/"$pid"/task/*/status; do
		grep -q "^TracerPid:[[:space:]]*$tracer\$" "$t" 2>/dev/null || return 1
	done
}
wait_until 10 "strace to attach to egressd" traced || bad "test bed: strace did not attach"
fetch zero-passwd
u=$(event_user zero-passwd)
kill "$tracer" 2>/dev/null
wait "$tracer" 2>/dev/null
[ "$u" = - ] && ok "/etc/passwd is /dev/zero: event written without a name" || bad "/dev/zero passwd: user '$u'"
found=$(grep -c '"etc/passwd"' "$SEC/open.trace")
opened=$(grep -E '= [0-9]+<[^>]*root/etc/passwd' "$SEC/open.trace" | grep -vc O_PATH)
[ "$found" -ge 1 ] && [ "$opened" = 0 ] &&
	ok "...found only as a path (O_PATH, $found lookups), never opened: $(grep -m1 '"etc/passwd"' "$SEC/open.trace" | grep -o 'openat2(.*' | cut -c1-150)" ||
	bad "the device node: $found lookups, $opened opens: $(grep -E '= [0-9]+<[^>]*root/etc/passwd' "$SEC/open.trace" | grep -v O_PATH | head -2)"
ms=$(c2_event_in_time after-zero) && ok "...c2's next event in $ms ms" || bad "the writer is stuck after /dev/zero"

rm -f "$R/etc/passwd"; ln -s "/tmp/hostile-passwd-$$" "$R/etc/passwd"
fetch link-passwd
u=$(event_user link-passwd)
[ "$u" != HOSTLEAK ] && [ "$u" != no-event ] &&
	ok "an absolute link in the container resolves inside its root, not the host's ($u)" ||
	bad "link out of the root: user '$u'"
rm -f "$R/etc/passwd"; ln -s "../../../../../../../tmp/hostile-passwd-$$" "$R/etc/passwd"
fetch dotdot-passwd
u=$(event_user dotdot-passwd)
[ "$u" != HOSTLEAK ] && [ "$u" != no-event ] && ok "a ../ link stays in the root ($u)" ||
	bad "../ link: user '$u'"
kill -0 "$pid" && ok "egressd is up" || bad "egressd died"
stop_egressd
rm -f /tmp/hostile-passwd-$$
