#!/usr/bin/env bash
# End to end: egressd run in the host namespace of a namespace test bed
# (tests/e2e/topo.sh: a bridge, two containers, an "internet" with dnsmasq
# and nginx), real dig and curl in the containers. Needs root. Every
# namespace it makes is removed on exit.
set -uo pipefail
export P=dpt-
. "$(dirname "$0")/lib.sh"
topo_up
C1="ip netns exec $NS_C1" C2="ip netns exec $NS_C2"

# start_mode MODE [flags...]
start_mode() {
	local mode=$1
	shift
	start_egressd --mode "$mode" "$@"
}
expect() { # expect NAME WANT(pass|block) COMMAND...
	local name=$1 want=$2 got
	shift 2
	if "$@" >/dev/null 2>&1; then got=pass; else got=block; fi
	[ "$got" = "$want" ] && ok "$name ($got)" || bad "$name (got $got, want $want)"
}
nx() { # nx NS NAME : the lookup answers NXDOMAIN within 1 s
	ip netns exec "$1" dig +time=1 +tries=1 "$2" | grep >/dev/null "status: NXDOMAIN"
}
resolves() { ip netns exec "$1" dig +short +time=1 +tries=1 "$2" | grep >/dev/null .; }
resolves_tcp() { ip netns exec "$1" dig +tcp +short +time=1 +tries=1 "$2" | grep >/dev/null '^[0-9]'; }
# Packets the queue rule has sent to egressd (its counter; nft cannot print
# the xt target itself, hence the error output is dropped).
queued() {
	ip netns exec "$NS_HOST" nft list chain inet egressd to_queue 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
queue_rules() {
	ip netns exec "$NS_HOST" nft list chain inet egressd to_queue 2>/dev/null | grep -c counter
}
https() { # https NS NAME [IP]
	ip netns exec "$1" curl -sf -m 2 --cacert "$CA" \
		${3:+--resolve "$2:443:$3"} "https://$2/"
}

cat >"$S/black.txt" <<'L'
# egressd-category: c2
other.example.net
*.cdn.test
L
printf '203.0.113.82/31\n2001:db8:80::82/127\n' >"$S/black-ip.txt"
printf 'www.shop.test\n' >"$S/white.txt"

start_mode block --blacklist "$S/black.txt" --blacklist "cidr:$S/black-ip.txt"
# Least privilege (src/kernel/sandbox.c), on by default: every thread of egressd
# has the seccomp filter, no_new_privs and only the four capabilities
# (CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21, CAP_SYS_PTRACE 19,
# CAP_DAC_READ_SEARCH 2: 0x281004), none to regain.
sandboxed() {
	local t st n=0
	for t in /proc/"$pid"/task/*; do
		st=$(cat "$t/status" 2>/dev/null) || continue # a thread that just ended
		for want in "Seccomp:.2" "NoNewPrivs:.1" "CapEff:.0000000000281004" \
			"CapBnd:.0000000000281004" "CapInh:.0000000000000000"; do
			grep -q "^$want$" <<<"$st" || return 1
		done
		n=$((n + 1))
	done
	[ "$n" -ge 3 ] && grep -q "sandbox: kept CAP_NET_ADMIN,CAP_SYS_ADMIN,CAP_SYS_PTRACE,CAP_DAC_READ_SEARCH; [0-9]* syscalls" "$S/egressd.log"
}
sandboxed && ok "sandbox: $(ls /proc/"$pid"/task | wc -l) threads with seccomp, no_new_privs, CapEff 0x281004" ||
	{ bad "sandbox not in force"; grep -h "^\(Name\|Cap\|NoNew\|Seccomp\)" /proc/"$pid"/task/*/status; grep sandbox "$S/egressd.log"; }
expect "good name resolves" pass resolves "$NS_C1" www.example.com
expect "good HTTPS passes" pass https "$NS_C1" www.example.com
expect "blacklisted name answers NXDOMAIN at once" pass nx "$NS_C1" other.example.net
expect "CNAME chain through *.cdn.test answers NXDOMAIN" pass nx "$NS_C1" www.shop.test
expect "hard-coded IP, blacklisted SNI" block https "$NS_C2" other.example.net 203.0.113.81
expect "same IP, good SNI" pass https "$NS_C2" www.example.com 203.0.113.81
t0=$(date +%s%N)
https "$NS_C2" other.example.net 203.0.113.81
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 1000 ] && ok "a blocked connection fails fast (held one RTO for attribution, then reset: ${ms} ms)" ||
	bad "a blocked connection took ${ms} ms to fail"
expect "HTTP Host blacklisted over IPv6" block \
	$C2 curl -sf -m 2 -H "Host: other.example.net" "http://[2001:db8:80::81]/"
# Attribution: a known process tree in container c2 (bash, then sh, then
# python3) opens a TLS connection with a blacklisted SNI; the event names
# the container and the three levels of process.
$C2 bash -c 'sh -c "python3 -c \"
import socket, ssl  # egressd-attribution-marker
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = socket.create_connection((\\\"203.0.113.81\\\", 443), timeout=3)
c.wrap_socket(s, server_hostname=\\\"other.example.net\\\")
\"; true"; true' >/dev/null 2>&1
if wait_for 'egressd-attribution-marker' "$S/state/events.jsonl"; then
	grep 'egressd-attribution-marker' "$S/state/events.jsonl" | tail -1 >"$S/attr.json"
	python3 - "$S/attr.json" "$NS_C2" <<'PY' && ok "attribution: $(cat "$S/attr.txt")" || bad "attribution: $(cat "$S/attr.txt")"
import json, sys
e = json.loads(open(sys.argv[1]).read())
p = e.get("process", [])
exes = [x["exe"].rsplit("/", 1)[-1] for x in p]
txt = f"container {e['container']['name']}, " + " <- ".join(
    f"{x} (pid {y['pid']}, uid {y['uid']} {y['user']})" for x, y in zip(exes, p))
open(sys.argv[1].replace("attr.json", "attr.txt"), "w").write(txt)
ok = (e["container"]["name"] == sys.argv[2] and len(p) == 3 and
      exes[0].startswith("python3") and exes[1] == "dash" and exes[2] == "bash" and
      "egressd-attribution-marker" in p[0]["cmdline"] and p[0]["user"] == "root")
sys.exit(0 if ok else 1)
PY
else
	bad "attribution: no event with the python process"
	tail -2 "$S/state/events.jsonl"
fi
expect "CIDR blacklist, IPv4" block $C2 curl -sf -m 2 http://203.0.113.82/
expect "CIDR blacklist, IPv6" block $C2 curl -sf -m 2 "http://[2001:db8:80::82]/"
expect "*.cdn.test stops the lookup of a subdomain" pass nx "$NS_C1" shop-front.cdn.test
expect "*.cdn.test stops the connection (SNI)" block https "$NS_C2" shop-front.cdn.test 203.0.113.80
wait_for '"action":"blocked"' "$S/state/events.jsonl" && ok "events recorded as blocked" ||
	bad "no blocked event in events.jsonl"
# A resolver whose answers egressd cannot read (two questions; dig takes
# them with a warning): in block mode they are dropped, or their addresses
# would go unmapped.
ip netns exec "$NS_INET" timeout 60 /usr/bin/python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.80", 53))
while True:
    q, a = s.recvfrom(512)
    qd = q[12:q.index(0, 12) + 5]
    hdr = q[:2] + struct.pack(">HHHHH", 0x8180, 2, 1, 0, 0)
    s.sendto(hdr + qd + qd + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([192, 0, 2, 9]), a)
' &
badns=$!
# Bound before the lookup, or "no answer" would pass for "dropped".
udp_bound() { ip netns exec "$NS_INET" ss -Hnul | grep >/dev/null '203\.0\.113\.80:53 '; }
wait_until 10 "the unreadable resolver on 203.0.113.80:53" udp_bound ||
	bad "the unreadable resolver did not start"
expect "an unreadable DNS answer is dropped in block mode" block \
	$C1 sh -c 'dig +short +noedns +time=1 +tries=1 @203.0.113.80 x.example.com | grep >/dev/null "^[0-9]"'
kill "$badns" 2>/dev/null
wait "$badns" 2>/dev/null
expect "DNS over TCP: good name" pass resolves_tcp "$NS_C1" www.example.com
expect "DNS over TCP: blacklisted answer stopped" block resolves_tcp "$NS_C1" other.example.net

# Precision: one address, two names. In alert mode (the containers get
# their answers), c1 asks for the good name, c2 for the bad one
# (api.example.com, same address); both then connect to the address.
stop_egressd
: >"$S/state/events.jsonl"
printf 'api.example.com\n' >>"$S/black.txt"
start_mode alert --blacklist "$S/black.txt"
resolves "$NS_C1" www.example.com
resolves "$NS_C2" api.example.com
$C1 curl -sf -m 2 -o /dev/null http://203.0.113.80/
$C2 curl -sf -m 2 -o /dev/null http://203.0.113.80/
# c1 went first: an event for it would be written before c2's (one lane
# per container, taken in the order they queued).
wait_for "\"container_ip\":\"$IP_C2\".*\"dst\":\"203.0.113.80:80\".*api.example.com" "$S/state/events.jsonl"
n1=$(grep -c "\"container_ip\":\"$IP_C1\".*\"dst\":\"203.0.113.80:80\"" "$S/state/events.jsonl")
n2=$(grep -c "\"container_ip\":\"$IP_C2\".*\"dst\":\"203.0.113.80:80\".*api.example.com" "$S/state/events.jsonl")
[ "$n1" = 0 ] && ok "shared CDN address: no event for the container that resolved the good name" ||
	bad "shared CDN address: $n1 events for c1"
[ "$n2" -ge 1 ] && ok "shared CDN address: event for the container that resolved api.example.com" ||
	bad "shared CDN address: no event for c2"
stop_egressd
start_mode block --blacklist "$S/black.txt"

# Decided flows stop queueing: a 32 MiB download queues a handful of packets.
q0=$(queued)
$C1 curl -sf -m 20 -o /dev/null http://www.example.com/big && ok "32 MiB download passes" ||
	bad "32 MiB download failed"
q1=$(queued)
[ $((q1 - q0)) -le 10 ] && ok "the download queued $((q1 - q0)) packets (of ~23000)" ||
	bad "the download queued $((q1 - q0)) packets"

# A list change cuts a live connection: a slow download of a name that
# gets blacklisted stops receiving once egressd reloads. Its socket's own
# byte counter is the proof (curl may still read megabytes from the socket
# buffer afterwards, so the file size proves nothing).
# A slow reader (curl's --limit-rate lets the kernel take megabytes at
# once): 4 KiB every 10 ms, for at most 30 s.
$C1 timeout 30 /usr/bin/python3 -c '
import socket, time
s = socket.create_connection(("www.example.com", 80))
s.sendall(b"GET /big HTTP/1.0\r\nHost: www.example.com\r\n\r\n")
while s.recv(4096):
    time.sleep(0.01)
' 2>/dev/null &
cpid=$!
rcvd() {
	$C1 ss -Htni '( dport = :80 )' | grep -o 'bytes_received:[0-9]*' | cut -d: -f2 | head -1
}
receiving() { r0=$(rcvd); [ -n "$r0" ] && [ "$r0" -gt 0 ]; }
wait_until 10 "the slow download to receive" receiving
printf 'www.example.com\n' >>"$S/black.txt"
cuts=$(log_lines "connections cut after the list change")
kill -HUP "$pid"
wait_log "connections cut after the list change" "$cuts"
r1=$(rcvd)
# Measured, not awaited: the socket must receive nothing more for 2 s.
sleep 2
r2=$(rcvd)
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
# Cut: the socket was reset, or receives nothing more.
[ -n "$r0" ] && [ "$r0" -lt 33554432 ] && { [ -z "$r2" ] || [ "$r1" = "$r2" ]; } &&
	ok "list change cut the live download at ${r0} bytes (after: ${r2:-socket reset})" ||
	{ bad "live download not cut after the list change (socket received $r0 -> $r1 -> $r2)"
	  tail -5 "$S/egressd.log"; $C1 ss -tni; }
grep -q "connections cut after the list change" "$S/egressd.log" && ok "the cut is logged" ||
	bad "no cut logged"
sed -i '$d' "$S/black.txt"
# A reload with a bad list keeps the old lists whole.
printf 'bad..name\n' >>"$S/black.txt"
refused=$(log_lines "reload refused, old lists kept")
kill -HUP "$pid"
wait_log "reload refused, old lists kept" "$refused"
grep -q "black.txt:[0-9]*: 'bad..name' is neither a domain name" "$S/egressd.log" &&
	grep -q "reload refused, old lists kept" "$S/egressd.log" &&
	ok "a bad list on reload is refused with file and line" || bad "bad reload not reported"
expect "...and the old lists still block" pass nx "$NS_C1" other.example.net
sed -i '$d' "$S/black.txt"

# SIGKILL: fail-open passes traffic; a restart takes over with one queue
# rule; fail-closed stops traffic while egressd is down.
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
expect "SIGKILL, fail-open: the IP blacklist is bypassed" pass $C2 curl -sf -m 2 http://203.0.113.82/
start_mode block --blacklist "$S/black.txt" --blacklist "cidr:$S/black-ip.txt"
[ "$(queue_rules)" = 1 ] && ok "restart: exactly one queue rule" || bad "restart: $(queue_rules) queue rules"
expect "restart: blocking again" block $C2 curl -sf -m 2 http://203.0.113.82/
stop_egressd
start_mode block --fail-closed --blacklist "$S/black.txt"
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
expect "SIGKILL, fail-closed: new connections stop" block $C1 curl -sf -m 2 http://203.0.113.81/
start_mode block --blacklist "$S/black.txt"
expect "restart after fail-closed: good traffic passes" pass $C1 curl -sf -m 2 http://203.0.113.81/
[ "$(queue_rules)" = 1 ] && ok "restart: still one queue rule" || bad "$(queue_rules) queue rules"
stop_egressd

start_mode block --blacklist "$S/black.txt" --whitelist "$S/white.txt"
expect "whitelist beats blacklist (www.shop.test via *.cdn.test)" pass \
	resolves "$NS_C1" www.shop.test
expect "...while the rest of the blacklist still blocks" pass nx "$NS_C1" other.example.net
stop_egressd

: >"$S/state/events.jsonl"
start_mode alert --blacklist "$S/black.txt"
expect "alert mode passes a blacklisted flow" pass https "$NS_C2" other.example.net 203.0.113.81
wait_for '"action":"alerted"' "$S/state/events.jsonl" && ok "alert mode records the event" ||
	{ bad "alert mode recorded nothing"; cat "$S/state/events.jsonl" "$S/egressd.log"; }
stop_egressd
grep -q "stopping:" "$S/egressd.log" && ok "SIGTERM stops cleanly" || bad "no clean stop"
exit $fail
