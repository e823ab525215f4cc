#!/usr/bin/env bash
# End to end: isolating a container (plain network namespaces on a bridge)
# with egressctl: its egress, its traffic to the other container and to the
# host, and inbound all stop, IPv4, IPv6 and ARP; the other container is
# unaffected; existing connections are cut; isolation survives an egressd
# restart and a container restart (new veth); unisolate restores all; the
# control socket refuses strangers and bad requests. Needs root.
set -uo pipefail
export P=ist-
. "$(dirname "$0")/lib.sh"
SOCK=$S/ctl.sock
topo_up
C1="ip netns exec $NS_C1" C2="ip netns exec $NS_C2" HOST="ip netns exec $NS_HOST"
ctl() { "$EGRESSCTL" --socket "$SOCK" "$@"; }

expect() { # expect NAME WANT(up|down) COMMAND...
	local name=$1 want=$2 got
	shift 2
	if quiet "$@"; then got=up; else got=down; fi
	# Back up may take a moment (a neighbour entry that failed while
	# isolated is retried): tried again for up to 5 s, never for "down".
	if [ "$got" = down ] && [ "$want" = up ]; then
		wait_until 5 "$name: up again" quiet "$@" && got=up
	fi
	[ "$got" = "$want" ] && ok "$name ($got)" || bad "$name (got $got, want $want)"
}
quiet() { "$@" >/dev/null 2>&1; }
web() { ip netns exec "$1" curl -sf -m 1 -o /dev/null "$2"; }
ping1() { ip netns exec "$1" ping -c1 -W1 "$2"; }
# ARP/ND too: the neighbour cache is flushed first, so the ping needs them.
ping_fresh() { ip netns exec "$1" ip neigh flush all; ping1 "$@"; }

# All the ways c1 talks: egress v4/v6, to c2 and back v4/v6, to the host,
# inbound from the internet.
check_c1() { # check_c1 up|down LABEL
	local w=$1 l=$2
	expect "$l: c1 egress IPv4" "$w" web "$NS_C1" http://203.0.113.80/
	expect "$l: c1 egress IPv6" "$w" web "$NS_C1" "http://[2001:db8:80::80]/"
	expect "$l: c1 -> c2 IPv4 (ARP)" "$w" ping_fresh "$NS_C1" "$IP_C2"
	expect "$l: c1 -> c2 IPv6 (ND)" "$w" ping_fresh "$NS_C1" "$IP6_C2"
	expect "$l: c2 -> c1 IPv4" "$w" ping_fresh "$NS_C2" "$IP_C1"
	expect "$l: c1 -> host" "$w" ping1 "$NS_C1" 198.18.0.1
	expect "$l: internet -> c1 (inbound)" "$w" ping1 "$NS_INET" "$IP_C1"
}

start_egressd --socket "$SOCK"
ctl containers >"$S/list" 2>&1
grep -q "$NS_C1 .*$VETH_C1" "$S/list" && grep -q "$NS_C2 .*$VETH_C2" "$S/list" &&
	! grep -q "$NS_INET" "$S/list" &&
	ok "egressctl containers: both containers with their veths, not the uplink" ||
	{ bad "egressctl containers"; cat "$S/list"; }
ctl --json containers | grep >/dev/null '"outer"' && ok "host facts in --json" || bad "no host facts"
check_c1 up "before"

# A live connection of c1, cut by the isolation (its socket stops receiving).
$C1 timeout 20 /usr/bin/python3 -c '
import socket, time
s = socket.create_connection(("203.0.113.80", 80))
s.sendall(b"GET /big HTTP/1.0\r\nHost: x\r\n\r\n")
while s.recv(4096):
    time.sleep(0.01)
' 2>/dev/null &
dl=$!
rcvd() { $C1 ss -Htni '( dport = :80 )' | grep -o 'bytes_received:[0-9]*' | cut -d: -f2 | head -1; }
# It must be live first (at ~400 KB/s the 32 MiB take over a minute):
# a download that never connected would look "cut" below. Live: its
# socket's byte count, once there, grows.
connected() { r0=$(rcvd); [ -n "$r0" ]; }
growing() { r0b=$(rcvd); [ -n "$r0b" ] && [ "$r0b" -gt "$r0" ]; }
r0= r0b=
wait_until 10 "the download to connect" connected && wait_until 10 "the download to receive" growing
[ -n "$r0" ] && [ -n "$r0b" ] && [ "$r0b" -gt "$r0" ] && ok "the download is live before the isolation ($r0 -> $r0b bytes)" ||
	bad "the download is not live before the isolation ('$r0' -> '$r0b')"
ctl isolate "$NS_C1" --note "xmrig seen" >"$S/out" 2>&1 && grep -q "isolated" "$S/out" &&
	ok "egressctl isolate: $(cat "$S/out")" || { bad "isolate: $(cat "$S/out")"; }
# Measured, not awaited: the socket must receive nothing more for 1 s.
r1=$(rcvd); sleep 1; r2=$(rcvd)
[ -z "$r2" ] || [ "$r1" = "$r2" ] && ok "the live connection is cut (${r2:-gone})" ||
	bad "live connection still receiving ($r1 -> $r2)"
kill "$dl" 2>/dev/null; wait "$dl" 2>/dev/null
check_c1 down "isolated"
expect "isolated: c2 egress unaffected" up web "$NS_C2" http://203.0.113.80/
ctl containers | grep >/dev/null "$NS_C1 .*isolated" && ok "containers shows isolated" ||
	bad "containers does not show isolated"

stop_egressd
expect "egressd stopped: c1 still isolated (it lives in the kernel)" down \
	web "$NS_C1" http://203.0.113.80/
start_egressd --socket "$SOCK"
expect "egressd restarted: c1 still isolated" down web "$NS_C1" http://203.0.113.80/
expect "egressd restarted: c2 still free" up web "$NS_C2" http://203.0.113.80/

# The container restarts with a new veth: isolation follows it.
NEW=veth$(openssl rand -hex 4 | cut -c1-7)
$HOST ip link del "$VETH_C1"
$HOST ip link add "$NEW" master "$BRIDGE" type veth peer name eth0 netns "$NS_C1"
$HOST ip link set "$NEW" up
ip -n "$NS_C1" addr add "$IP_C1/24" dev eth0
ip -n "$NS_C1" addr add "$IP6_C1/64" dev eth0
ip -n "$NS_C1" link set eth0 up
ip -n "$NS_C1" route add default via 198.18.0.1
ip -n "$NS_C1" route add default via 2001:db8:1::1
# The inventory's next scan finds the new veth and moves the isolation.
on_new() { ctl containers 2>/dev/null | grep >/dev/null "$NS_C1 .*isolated .*$NEW"; }
wait_until 15 "the isolation on $NEW" on_new
expect "container restarted (new veth $NEW): still isolated" down \
	web "$NS_C1" http://203.0.113.80/
ctl containers | grep >/dev/null "$NS_C1 .*isolated .*$NEW" && ok "isolation bound to the container, now on $NEW" ||
	{ bad "isolation did not follow the new veth"; ctl containers; }

ctl unisolate "$NS_C1" >"$S/out" 2>&1 && grep -q restored "$S/out" &&
	ok "egressctl unisolate: $(cat "$S/out")" || bad "unisolate: $(cat "$S/out")"
check_c1 up "restored"

# Errors: unknown and ambiguous names, strangers, bad requests.
ctl isolate nosuch >/dev/null 2>"$S/err"; rc=$?
[ $rc = 1 ] && grep -q "no container 'nosuch'" "$S/err" && ok "unknown container: exit 1, $(cat "$S/err")" ||
	bad "unknown container: exit $rc $(cat "$S/err")"
ctl isolate "netns:${P}c" >/dev/null 2>"$S/err"; rc=$?
[ $rc = 1 ] && grep -q "matches several" "$S/err" && ok "ambiguous id prefix refused: $(cat "$S/err")" ||
	bad "ambiguous prefix: exit $rc $(cat "$S/err")"
ctl isolate >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "usage error: exit 2" || bad "usage error: exit $rc"
# The socket: root and group egressd only. Its mode keeps others out; even
# where the mode would let them in, egressd checks the peer's credentials.
made_group=
getent group egressd >/dev/null || { groupadd egressd && made_group=1; }
stop_egressd
start_egressd --socket "$SOCK" # the socket now gets group egressd
chmod 755 "$S"
[ "$(stat -c %a:%G "$SOCK")" = 660:egressd ] && ok "socket is 0660 root:egressd" ||
	bad "socket mode $(stat -c %a:%G "$SOCK")"
chmod 666 "$SOCK" # a careless admin: the credential check still holds
setpriv --reuid=65534 --regid=65534 --clear-groups "$EGRESSCTL" --socket "$SOCK" containers \
	>/dev/null 2>"$S/err"; rc=$?
[ $rc = 1 ] && grep -q "permission denied: root or group egressd only" "$S/err" &&
	ok "an unprivileged user is refused by the peer check: $(cat "$S/err")" ||
	bad "unprivileged: exit $rc $(cat "$S/err")"
setpriv --reuid=65534 --regid=65534 --groups="$(getent group egressd | cut -d: -f3)" \
	"$EGRESSCTL" --socket "$SOCK" containers >/dev/null 2>"$S/err"; rc=$?
[ $rc = 0 ] && ok "a member of group egressd is served" || bad "group member: exit $rc $(cat "$S/err")"
[ -n "$made_group" ] && groupdel egressd
python3 - "$SOCK" >"$S/out" <<'PY'
import socket, sys
def ask(data):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(data); s.shutdown(socket.SHUT_WR)
    r = b""
    while True:
        b = s.recv(65536)
        if not b: break
        r += b
    return r.decode().strip()
print(ask(b"{not json"))
print(ask(b'{"cmd":"launch-missiles"}'))
print(ask(b'{"cmd":"containers","pad":"' + b"x" * 70000 + b'"}'))
print(ask(b'{"cmd":"containers"}')[:12])
PY
grep -q "malformed request" "$S/out" && grep -q "unknown command 'launch-missiles'" "$S/out" &&
	grep -q "larger than the limit" "$S/out" && tail -1 "$S/out" | grep >/dev/null '"ok":true' &&
	ok "malformed, unknown and oversized requests get errors; the daemon keeps serving" ||
	{ bad "bad requests"; cat "$S/out"; }

# Deleting an isolated container removes its isolation.
ctl isolate "$NS_C2" >/dev/null
# In the file first, or its absence below would prove nothing.
wait_for "${P}c2" "$S/state/isolation.json" || bad "isolate $NS_C2: not in isolation.json"
ip netns del "$NS_C2"
# A container is taken for deleted after 3 scans without it (1 s apart).
c2_gone() { ! grep -q "${P}c2" "$S/state/isolation.json"; }
wait_until 15 "${P}c2 out of isolation.json" c2_gone
c2_gone && ok "a deleted container's isolation is removed" ||
	bad "deleted container still in isolation.json"
stop_egressd
exit $fail
