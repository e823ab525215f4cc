#!/usr/bin/env bash
# End to end, issue 9: every claim a flow makes is read and judged with
# the address and the names the container resolved; port 53 is no
# exemption; what egressd cannot read is said; QUIC and stratum; DNS that
# goes around egressd. egressd runs as a new user runs it (the shipped
# lists, the default settings) plus the test's lists and its resolvers as
# the trusted ones. Needs root; every namespace it makes is removed.
set -uo pipefail
export P=clm-
. "$(dirname "$0")/lib.sh"
topo_up
C1="ip netns exec $NS_C1" I="ip netns exec $NS_INET"
PY=/usr/bin/python3
CL=$HERE/claims
CAP=$ROOT/tests/data/captures
EV=$S/state/events.jsonl

# A second resolver the container may pick (not a trusted one), with
# what the test needs: a 20-CNAME chain to a blacklisted name, a
# whitelisted name on a blacklisted address, the DoH canary.
ip -n "$NS_INET" addr add 203.0.113.54/32 dev lo
chain=""
for i in $(seq 1 19); do chain="$chain --cname=c$i.chain.test,c$((i + 1)).chain.test"; done
$I dnsmasq --no-resolv --no-hosts --bind-interfaces --listen-address=203.0.113.54 \
	$chain --cname=c20.chain.test,deep.bad-chain.test \
	--host-record=deep.bad-chain.test,203.0.113.80 \
	--host-record=api.example.com,203.0.113.82 \
	--host-record=use-application-dns.net,203.0.113.80 \
	--host-record=dns.google,203.0.113.80 \
	--pid-file="$S/dnsmasq2.pid" --user=root
$I timeout 300 $PY "$CL/servers.py" "$S" 203.0.113.80 2001:db8:80::81 &
extra_cleanup() {
	kill "$(cat "$S/dnsmasq2.pid")" 2>/dev/null
	pkill -f "$CL/servers.py" 2>/dev/null
}
CLEANUP_EXTRA=extra_cleanup
# SECTIONS="sni hostile shapes other" by default; a subset to run less.
want() { [[ " ${SECTIONS:-sni hostile shapes other} " == *" $1 "* ]]; }
wait_until 30 "servers.py to listen" test -e "$S/servers.ready" || bad "servers.py did not start"

cat >"$S/black.txt" <<'L'
# egressd-category: c2
bad-sni.example
other.example.net
*.bad-chain.test
203.0.113.82
L
printf 'api.example.com\n' >"$S/white.txt"
cat >"$S/egressd.conf" <<C
trusted_resolvers = 203.0.113.53, 2001:db8:53::53
C
run() { # run MODE [settings file lines...]
	local mode=$1
	shift
	stop_egressd
	cp "$S/egressd.conf" "$S/run.conf"
	for l in "$@"; do echo "$l" >>"$S/run.conf"; done
	rm -rf "$S/state"
	start_egressd --config "$S/run.conf" --mode "$mode" \
		--blacklist "$S/black.txt" --whitelist "$S/white.txt"
}
served() { # served COMMAND... : the command got its answer
	"$@" >/dev/null 2>&1
}
expect() { # expect NAME pass|block COMMAND...
	local name=$1 want=$2 got
	shift 2
	if served "$@"; then got=pass; else got=block; fi
	[ "$got" = "$want" ] && ok "$name ($got)" || bad "$name (got $got, want $want)"
}
event_now() { # event_now PYTHON-CONDITION : some event in events.jsonl matches (e: the event)
	$PY - "$EV" "$1" 2>/dev/null <<'PY'
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if eval(sys.argv[2]):
        sys.exit(0)
sys.exit(1)
PY
}
event() { wait_until 10 "an event with $1" event_now "$1"; } # ... within 10 s
https() { # https NAME IP [curl flags]: TLS to IP naming NAME
	local n=$1 a=$2
	shift 2
	$C1 curl -sk -m 3 "$@" --resolve "$n:443:$a" "https://$n/"
}

# ---- the SNI and Host checks, whatever the container resolved ----
# Block mode's traffic is captured on the bridge: replay must give the
# daemon's decisions on it.
want sni && for mode in block alert; do
	run "$mode"
	[ "$mode" = block ] && {
		# --immediate-mode: TPACKET_V3 hands over a block of packets only
		# when it fills or times out; the last ones were lost at the kill.
		ip netns exec "$NS_HOST" tcpdump --immediate-mode -ni "$BRIDGE" -U -w "$S/sni.pcap" 2>"$S/tcpdump.err" &
		tpid=$!
		wait_for "listening on $BRIDGE" "$S/tcpdump.err" 30 || bad "tcpdump did not start"
	}
	want=block
	[ "$mode" = alert ] && want=pass
	$C1 dig +short www.example.com >/dev/null # 203.0.113.80: a good name
	expect "$mode: blacklisted SNI to an address with a good name" $want https bad-sni.example 203.0.113.80
	event "e['kind'] == 'tls' and e.get('name') == 'bad-sni.example'" &&
		ok "$mode: ...recorded (tls, bad-sni.example)" || bad "$mode: no tls event"
	expect "$mode: blacklisted Host to that address" $want \
		$C1 curl -sf -m 3 -H "Host: bad-sni.example" http://203.0.113.80/
	expect "$mode: good SNI to that address" pass https www.example.com 203.0.113.80
	$C1 dig +short api.example.com >/dev/null # whitelisted, 203.0.113.80
	expect "$mode: whitelisted name's address, blacklisted SNI" $want https other.example.net 203.0.113.80
	[ "$mode" = block ] || continue
	# The last hello captured and its event written, then the capture ends.
	wait_until 10 "the last hello in the capture" grep -aq other.example.net "$S/sni.pcap"
	event "e['kind'] == 'tls' and e.get('name') == 'other.example.net'"
	kill "$tpid"
	wait "$tpid" 2>/dev/null
	"$EGRESSD" replay --json --pcap "$S/sni.pcap" --mode block \
		--blacklist "$S/black.txt" --whitelist "$S/white.txt" \
		--trusted-resolvers 203.0.113.53,2001:db8:53::53 >"$S/replay.json" 2>"$S/replay.err"
	$PY - "$EV" "$S/replay.json" >"$S/compare.txt" <<'PY'
import json, sys
daemon = sorted({(e["kind"], e.get("name", ""), e["action"])
                 for e in map(json.loads, open(sys.argv[1]))})
replay = set()
for o in map(json.loads, open(sys.argv[2])):
    if "event" in o:
        name = o.get("sni") or o.get("host") or o.get("qname") or ""
        replay.add((o["event"], name, "alerted" if o["action"] == "pass" else "blocked"))
replay = sorted(replay)
print("daemon", daemon)
print("replay", replay)
sys.exit(0 if daemon == replay and daemon else 1)
PY
	[ $? = 0 ] && ok "replay of the captured traffic gives the daemon's events ($(grep -c . "$S/replay.json") lines)" ||
		{ bad "replay differs from the daemon"; cat "$S/compare.txt" "$S/replay.err"; }
done

# ---- hostile, block mode ----
if want hostile; then
run block
expect "port 53 as source, HTTP to a blacklisted address" block \
	$C1 curl -sf -m 3 --local-port 53 http://203.0.113.82/
event "e['kind'] == 'flow' and e['dst'] == '203.0.113.82:80' and e['action'] == 'blocked'" &&
	ok "...recorded" || bad "...not recorded"
expect "port 53 as source, TLS with a blacklisted SNI" block \
	https bad-sni.example 203.0.113.80 --local-port 53
expect "TCP to a blacklisted address on port 53" block \
	$C1 timeout 3 bash -c 'exec 3<>/dev/tcp/203.0.113.82/53; echo hi >&3; read -t 2 x <&3'
$C1 $PY -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"not dns at all", ("203.0.113.82", 53))'
event "e['kind'] == 'flow' and e['dst'] == '203.0.113.82:53' and e['action'] == 'blocked'" &&
	ok "UDP to a blacklisted address on port 53, not DNS: stopped and recorded" ||
	bad "UDP on port 53 to a blacklisted address: no event"
$C1 $PY -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"beacon", ("203.0.113.82", 9999))'
event "e['kind'] == 'flow' and e['dst'] == '203.0.113.82:9999' and e['action'] == 'blocked'" &&
	ok "a blocked UDP flow is recorded" || bad "a blocked UDP flow: no event"
expect "ping to a blacklisted address" block $C1 ping -c 1 -W 1 203.0.113.82
event "e['kind'] == 'flow' and e['dst'].split(':')[0] == '203.0.113.82' and e['dst'] not in ('203.0.113.82:80', '203.0.113.82:53', '203.0.113.82:9999') and e['action'] == 'blocked'" &&
	ok "a blocked ping is recorded" || bad "a blocked ping: no event"

# A flood of SYNs (accepted in the kernel: none reaches egressd) and of
# half hellos from random ports (each a flow in egressd's table), then a
# blacklisted SNI.
sent=$($C1 timeout 120 $PY "$CL/flood.py" "$IP_C1" 203.0.113.80 40000)
expect "after $sent flood packets, a blacklisted SNI" block https bad-sni.example 203.0.113.80
expect "...and a good one" pass https www.example.com 203.0.113.80

# Segments by hand: the kernel of the container has no socket for them.
$C1 nft add table inet clm
$C1 nft add chain inet clm out '{ type filter hook output priority 0; }'
$C1 nft add rule inet clm out tcp sport 50000-50010 tcp flags rst drop
for how in reversed stale; do
	got=$($C1 timeout 20 $PY "$CL/segments.py" 203.0.113.80 bad-sni.example "$how" 5000$([ $how = stale ] && echo 1 || echo 0))
	[ "$got" = reset ] && ok "a $how-segment hello with a blacklisted SNI is reset" ||
		bad "a $how-segment hello: $got"
done
got=$($C1 timeout 20 $PY "$CL/segments.py" 203.0.113.80 www.example.com reversed 50002)
[ "$got" = served ] && ok "a reversed-segment hello with a good SNI is served" ||
	bad "a reversed-segment good hello: $got"

$C1 dig +short @203.0.113.54 api.example.com >/dev/null # white name -> blacklisted IP
expect "a whitelisted name from an untrusted resolver does not open a blacklisted address" block \
	$C1 curl -sf -m 3 -H "Host: api.example.com" http://203.0.113.82/
expect "a 20-CNAME chain to a blacklisted name gets no answer" block \
	$C1 dig +time=1 +tries=1 +short @203.0.113.54 c1.chain.test
event "e['kind'] == 'unreadable' and 'CNAME' in e['rule']['pattern']" &&
	ok "...recorded as unreadable" || bad "...no unreadable event"

fi

# The 8 shapes that hid a blacklisted name: stopped, or said.
if want shapes; then
run block
$C1 timeout 60 $PY "$CL/send_shapes.py" 203.0.113.80 bad-sni.example www.example.com >"$S/shapes.txt"
nreset=$(grep -c '^reset' "$S/shapes.txt")
unread80() { $PY -c "import json; print(sum(1 for l in open('$EV') if json.loads(l)['kind'] == 'unreadable' and json.loads(l)['dst'].startswith('203.0.113.80')))"; }
unread_all() { [ "$(unread80)" -ge $((8 - nreset)) ]; }
wait_until 10 "$((8 - nreset)) unreadable events" unread_all
nunread=$(unread80)
# each shape passed is one unreadable event (none else goes to .80 here)
[ "$nreset" -ge 3 ] && [ "$nunread" = $((8 - nreset)) ] &&
	ok "the 8 unreadable shapes: $nreset reset (their name read), $nunread recorded unreadable" ||
	{ bad "the 8 shapes: $nreset reset, $nunread unreadable"; cat "$S/shapes.txt"; }
run block "unreadable = block"
$C1 timeout 60 $PY "$CL/send_shapes.py" 203.0.113.80 bad-sni.example www.example.com >"$S/shapes.txt"
[ "$(grep -c '^reset' "$S/shapes.txt")" = 8 ] && ok "unreadable = block: all 8 shapes reset" ||
	{ bad "unreadable = block: $(grep -c '^reset' "$S/shapes.txt") of 8 reset"; cat "$S/shapes.txt"; }
fi

# ---- QUIC, stratum, DNS around egressd, the canary, a lookup's process ----
if want other; then
run block
$C1 $PY "$CL/quic_send.py" "$CAP/quic-chromium-drain-ipv6.pcap" 2001:db8:80::81 >/dev/null
# The event is written after the verdict on the completing datagram: a
# datagram passed would be at the server by then.
event "e['kind'] == 'quic' and e.get('name') == 'other.example.net' and e['action'] == 'blocked'"
ev=$?
n=$(cat "$S/udp-2001:db8:80::81" 2>/dev/null || echo 0)
[ $ev = 0 ] && [ "$n" -lt 2 ] &&
	ok "a real QUIC Initial naming a blacklisted server is stopped ($n of 2 datagrams reached it: the completing one did not)" ||
	bad "QUIC with a blacklisted name: $n datagrams reached the server"
$C1 $PY "$CAP/../../e2e/claims/quic_send.py" "$CAP/quic-chromium-drain.pcap" 203.0.113.80 >/dev/null
got_both() { n=$(cat "$S/udp-203.0.113.80" 2>/dev/null || echo 0); [ "$n" -ge 2 ]; }
wait_until 10 "both datagrams at the server" got_both
[ "$n" = 2 ] && ok "a real QUIC Initial naming a good server passes (2 of 2 datagrams)" ||
	bad "QUIC with a good name: $n of 2 datagrams"
expect "stratum mining.subscribe to an unlisted address on port 3333" block \
	$C1 $PY -c '
import socket, sys
s = socket.create_connection(("203.0.113.80", 3333), timeout=3)
s.sendall(b"{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"cgminer/4.10.0\"]}\n")
s.settimeout(2)
try:
    s.recv(10)
    s.send(b"x"); s.recv(10)
except socket.timeout:
    pass
'
event "e['kind'] == 'stratum' and e['rule']['category'] == 'mining-pool' and e['rule']['pattern'] == 'protocol:stratum'" &&
	ok "...recorded: stratum, mining-pool, protocol:stratum" || bad "...no stratum event"
# The client stays 0.5 s after its hello, as one waiting for an answer
# would (a fixed time: the stimulus, not a wait for egressd).
$C1 timeout 3 bash -c 'exec 3<>/dev/tcp/203.0.113.80/853; printf "\x16\x03\x01\x00\x05hello" >&3; sleep 0.5' 2>/dev/null
event "e['rule']['category'] == 'dns-bypass' and e['dst'] == '203.0.113.80:853'" &&
	ok "DNS over TLS is alerted (dns-bypass)" || bad "DNS over TLS: no event"
https dns.google 203.0.113.80 >/dev/null
event "e['rule']['category'] == 'dns-bypass' and e.get('name') == 'dns.google' and e['action'] == 'alerted'" &&
	ok "a DoH resolver's name is alerted (dns-bypass)" || bad "DoH name: no event"
$C1 dig +time=2 +tries=1 @203.0.113.54 use-application-dns.net >"$S/canary.txt"
grep -q "status: NXDOMAIN" "$S/canary.txt" && ok "the DoH canary is answered NXDOMAIN in block mode" ||
	bad "the canary: $(grep status "$S/canary.txt")"
$C1 bash -c 'dig +time=1 +tries=1 other.example.net; true' >/dev/null
event "e['kind'] == 'dns_query' and e.get('name') == 'other.example.net' and [p['exe'].rsplit('/',1)[-1] for p in e.get('process', [])][:2] == ['dig', 'bash']" &&
	ok "dig of a blacklisted name: the event names dig, and bash its parent" ||
	{ bad "dig's event names no process"; grep other.example.net "$EV" | tail -1; }
fi

stop_egressd
exit $fail
