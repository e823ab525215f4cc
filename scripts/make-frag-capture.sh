#!/usr/bin/env bash
# make-frag-capture.sh : tests/data/captures/dns-udp-fragmented.pcap and its
# .expect: dig asks (EDNS0, 4096-byte buffer), over IPv4 and over IPv6, for
# a name with 150 A and 100 AAAA records; dnsmasq's answers (2.4 and 2.8 KB)
# come back as IP fragments (1500-byte MTU), captured on the container's
# side as they travelled. The .expect is tshark's reading (scripts/captures-expect.py).
# Needs root, tcpdump, tshark, dnsmasq, dig. Namespaces: prefix frg-.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/tests/data/captures/dns-udp-fragmented
export P=frg-
T=$(mktemp -d)
cleanup() {
	[ -s "$T/dnsmasq.pid" ] && kill "$(cat "$T/dnsmasq.pid")" 2>/dev/null
	bash "$ROOT/tests/e2e/topo.sh" down >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
bash "$ROOT/tests/e2e/topo.sh" up >/dev/null
. /tmp/egressd-testbed-frg/run/topo.env
ip -n "$NS_INET" addr add 203.0.113.55/32 dev lo
ip -n "$NS_INET" addr add 2001:db8:53::55/128 dev lo
hosts=""
for i in $(seq 1 150); do hosts="$hosts --host-record=many.frag.test,198.51.100.$i"; done
for i in $(seq 1 100); do hosts="$hosts --host-record=many6.frag.test,2001:db8:100::$i"; done
ip netns exec "$NS_INET" dnsmasq --no-resolv --no-hosts --bind-interfaces \
	--listen-address=203.0.113.55,2001:db8:53::55 --edns-packet-max=4096 $hosts \
	--pid-file="$T/dnsmasq.pid" --user=root
ip netns exec "$NS_C1" tcpdump --immediate-mode -ni eth0 -U -w "$T/cap.pcap" 'udp port 53 or (ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)' 2>/dev/null &
tp=$!
sleep 0.5
ip netns exec "$NS_C1" dig +bufsize=4096 +time=2 +tries=1 @203.0.113.55 many.frag.test A >/dev/null
ip netns exec "$NS_C1" dig +bufsize=4096 +time=2 +tries=1 @2001:db8:53::55 many6.frag.test AAAA >/dev/null
sleep 0.5
kill "$tp"
wait "$tp" 2>/dev/null || true
cp "$T/cap.pcap" "$OUT.pcap"
/usr/bin/python3 "$ROOT/scripts/captures-expect.py" "$OUT.pcap" >"$OUT.expect"
tshark -r "$OUT.pcap" 2>/dev/null | sed 's/^/  /'
cat "$OUT.expect"
