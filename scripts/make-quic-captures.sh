#!/bin/bash
# make-quic-captures.sh : (re)makes tests/data/captures/quic-*.pcap, their .expect files
# (tshark's reading, by scripts/quic-captures-expect.py) and tests/data/captures/QUIC.md.
#
# Headless Chromium, forced onto QUIC, runs in a client namespace ${P}cl (198.18.9.2,
# 2001:db8:9::2); its only route leads to ${P}sv, which holds 203.0.113.80 and
# 2001:db8:80::81. No QUIC server exists there: either a UDP socket that reads and drops
# every datagram ("drain": nothing answers, so Chromium sends its whole hello and
# retransmits it until its handshake times out), or no socket at all ("icmp": the
# kernel answers ICMP port unreachable). tshark captures inside ${P}cl. Every packet
# stays in these two namespaces: an nft guard in ${P}cl drops and counts anything sent
# outside the test ranges, and the run fails if it counted anything. Needs root,
# chromium, tshark, python3 (Debian's), nft, ip. Removes what it made, also on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/tests/data/captures}
EXPECT=$ROOT/scripts/quic-captures-expect.py
PY=/usr/bin/python3
P=${P:-qcap-}
C=${P}cl S=${P}sv
WORK=$(mktemp -d /tmp/egressd-quic-captures.XXXXXX)
TS_PID= SRV_PID=

log() { printf '%s\n' "$*" >&2; }
cleanup() {
  local rc=$?
  set +e
  [ -z "$TS_PID" ] || { kill -INT "$TS_PID"; wait "$TS_PID"; }
  [ -z "$SRV_PID" ] || { kill "$SRV_PID"; wait "$SRV_PID"; }
  for n in $C $S; do   # a chromium helper left in our namespaces was started by us
    for pid in $(ip netns pids $n 2>/dev/null); do kill -KILL "$pid"; done
    ip netns del $n 2>/dev/null
    rm -rf /etc/netns/$n
  done
  rm -rf "$WORK"
  [ $rc = 0 ] || log "make-quic-captures: FAILED (rc=$rc)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for t in chromium tshark nft ip $PY; do
  command -v $t >/dev/null || { log "missing tool: $t"; exit 1; }
done

# --- two namespaces and a veth pair
for n in $C $S; do
  ip netns add $n
  ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n $n link set lo up
done
# Without its own resolv.conf a namespace uses the host's resolver address.
mkdir -p /etc/netns/$C
echo "nameserver 192.0.2.53" > /etc/netns/$C/resolv.conf
ip link add ${P}c0 netns $C type veth peer name ${P}s0 netns $S
ip -n $C addr add 198.18.9.2/24 dev ${P}c0
ip -n $C addr add 2001:db8:9::2/64 dev ${P}c0
ip -n $S addr add 198.18.9.1/24 dev ${P}s0
ip -n $S addr add 2001:db8:9::1/64 dev ${P}s0
ip -n $S addr add 203.0.113.80/32 dev ${P}s0
ip -n $S addr add 2001:db8:80::81/128 dev ${P}s0
ip -n $C link set ${P}c0 up
ip -n $S link set ${P}s0 up
ip -n $C route add default via 198.18.9.1
ip -n $C -6 route add default via 2001:db8:9::1
ip netns exec $C nft -f - <<'E'
table inet guard {
  counter escaped { }
  chain out { type filter hook output priority 0; policy accept;
    oifname "lo" accept
    ip daddr { 198.18.0.0/15, 192.0.2.0/24, 203.0.113.0/24 } accept
    ip6 daddr 2001:db8::/32 accept
    meta l4proto ipv6-icmp ip6 daddr { fe80::/10, ff02::/16 } accept
    counter name "escaped" drop
  }
}
E

drain_start() {   # a UDP socket on port 443 (v4 and v6) that reads and drops
  ip netns exec $S $PY -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 443))
open("'"$WORK"'/drain.ready", "w").close()
while True:
    s.recv(65535)' &
  SRV_PID=$!
  for _ in $(seq 50); do [ -e "$WORK/drain.ready" ] && return 0; sleep 0.1; done
  log "drain listener did not start"; return 1
}
drain_stop() { kill "$SRV_PID"; wait "$SRV_PID" || true; SRV_PID=; rm -f "$WORK/drain.ready"; }

cap_start() {
  ip netns exec $C tshark -n -i ${P}c0 -F pcap -w "$WORK/$1.pcap" -f 'udp port 443 or icmp' \
    2>"$WORK/$1.tshark" &
  TS_PID=$!
  for _ in $(seq 100); do grep -q 'Capturing on' "$WORK/$1.tshark" && return 0; sleep 0.1; done
  log "tshark did not start"; cat "$WORK/$1.tshark" >&2; return 1
}
cap_stop() { sleep 0.5; kill -INT "$TS_PID"; wait "$TS_PID" || true; TS_PID=; }

CHROMIUM_FLAGS="--headless=new --no-sandbox --disable-gpu --enable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --disable-domain-reliability"
chromium_run() {   # NAME ADDRESS
  local ud; ud=$(mktemp -d "$WORK/profile.XXXXXX")
  # shellcheck disable=SC2086
  ip netns exec $C timeout -k 5 30 chromium $CHROMIUM_FLAGS --user-data-dir="$ud" \
    --origin-to-force-quic-on="$1:443" --host-resolver-rules="MAP $1 $2, MAP * ~NOTFOUND" \
    --dump-dom "https://$1/" >"$WORK/chromium.out" 2>&1 || true
  grep -o 'net::ERR_[A-Z_]*' "$WORK/chromium.out" | head -1 || true
}

declare -a NAMES DESCS RESULTS
scenario() {   # NAME MODE HOST ADDRESS "description"
  local name=$1 mode=$2 host=$3 addr=$4 desc=$5 err
  log "== $name: $mode, $host -> $addr"
  [ "$mode" != drain ] || drain_start
  cap_start "$name"
  err=$(chromium_run "$host" "$addr")
  cap_stop
  [ "$mode" != drain ] || drain_stop
  $PY "$EXPECT" "$WORK/$name.pcap" > "$WORK/$name.expect"
  sed 's/^/   /' "$WORK/$name.expect" >&2
  NAMES+=("$name"); DESCS+=("$desc"); RESULTS+=("${err:-no error}")
  tshark -n -r "$WORK/$name.pcap" -T fields -e frame.time_relative -e ip.src -e ipv6.src \
    -e udp.srcport -e icmp.type -e quic.dcid -e quic.packet_number -e quic.frame_type \
    -e quic.crypto.offset -e quic.crypto.length -Y 'quic || icmp' \
    > "$WORK/$name.frames" 2>/dev/null
}

scenario quic-chromium-drain drain www.example.com 203.0.113.80 \
  "Chromium to www.example.com over IPv4, a socket that drains (no reply)"
scenario quic-chromium-drain-ipv6 drain other.example.net '[2001:db8:80::81]' \
  "Chromium to other.example.net over IPv6, a socket that drains (no reply)"
scenario quic-chromium-icmp icmp api.example.com 203.0.113.80 \
  "Chromium to api.example.com over IPv4, no socket: ICMP port unreachable"

escaped=$(ip netns exec $C nft list counter inet guard escaped | grep -o 'packets [0-9]*')
[ "$escaped" = "packets 0" ] || { log "guard dropped traffic outside the test ranges: $escaped"; exit 1; }

grep -q '^quic sni=www.example.com alpn=h3 ' "$WORK/quic-chromium-drain.expect" \
  || { log "no complete hello for www.example.com"; exit 1; }
grep -q '^quic sni=other.example.net alpn=h3 .*dst=\[2001:db8:80::81\]:443' \
  "$WORK/quic-chromium-drain-ipv6.expect" || { log "no complete hello over IPv6"; exit 1; }
grep -q '^quic incomplete ' "$WORK/quic-chromium-icmp.expect" && \
  ! grep -q '^quic sni=' "$WORK/quic-chromium-icmp.expect" \
  || { log "the ICMP run was expected to show only partial hellos"; exit 1; }

# --- QUIC.md: what was run and what Chromium sent
{
cat <<E
# QUIC captures

Made by \`scripts/make-quic-captures.sh\` (as root; \`scripts/make-captures.sh\` keeps these
files). Headless Chromium, forced onto QUIC, runs in a client namespace (198.18.9.2,
2001:db8:9::2) whose only route leads to a second namespace holding 203.0.113.80 and
2001:db8:80::81. There is no QUIC server: in the \`drain\` runs a UDP socket on port 443
reads and drops every datagram (nothing answers); in the \`icmp\` run no socket listens and
the kernel answers ICMP port unreachable. tshark captured \`udp port 443 or icmp\` inside the
client namespace (classic pcap, Ethernet).

    chromium $(echo $CHROMIUM_FLAGS) --user-data-dir=<fresh>
      --origin-to-force-quic-on=NAME:443 --host-resolver-rules="MAP NAME ADDRESS, MAP * ~NOTFOUND"
      --dump-dom https://NAME/

\`MAP * ~NOTFOUND\` keeps Chromium from looking up anything else (without it, it asks the
namespace's resolver for clients2.google.com, update.googleapis.com and accounts.google.com
even with background networking off).

## What Chromium does when nobody answers

- **Something drains the datagrams, nothing answers** (\`drain\`): Chromium sends its first
  two Initials (packet numbers 1 and 2, 1250-byte datagrams) back to back, within a few
  milliseconds, without waiting for any reply. Together they hold the whole hello (~1.9 KB
  with the X25519MLKEM768 key share): the first its first ~60-90 bytes and its last ~900 in
  scrambled pieces, the second the middle. It then retransmits at ~0.3, 0.9 and 2.1 s
  (packet numbers 4, 6, 8: 3, 5 and 7 are skipped), each time another scrambled part of
  the hello, and gives up at 4 s with a CONNECTION_CLOSE (packet number 9).
- **ICMP port unreachable** (\`icmp\`): the ICMP error reaches Chromium before its second
  Initial is due, and the connection ends at once. Chromium tries three connections (a
  new port and DCID each, ~20-30 ms apart), each a single Initial with only part of the
  hello (~960-990 bytes). That is why an earlier capture with such a route saw only part
  of the hello.

So a reader on the path gets the whole hello from the first two datagrams of a flow,
before any server reply; it must reassemble across them by offset.

## .expect format

Made by \`scripts/quic-captures-expect.py\` from tshark's reading only (tshark decrypts the
client Initials and reassembles their CRYPTO frames):

    quic sni=<names or -> alpn=<list or -> ech=<0|1> dst=<ip:port or [ipv6]:port>
    quic incomplete bytes=<CRYPTO bytes seen> contig=<bytes from offset 0 without a gap> dst=<...>

A \`quic sni\` line is written at the datagram where the ClientHello is complete, in frame
order; then one \`incomplete\` line per connection whose hello never was. \`ech=1\`: the hello
carries extension 0xfe0d (GREASE here). \`tests/replay/check_quic_captures.py\` runs the
reader (\`tests/replay/quic_replay\`, src/quic*.c) over each capture, one reader per UDP
flow, and compares; with tshark installed it also reads the capture again with tshark.

## Captures

| file | what | Chromium's result |
| --- | --- | --- |
E
for i in "${!NAMES[@]}"; do
  printf '| `%s.pcap` | %s | %s |\n' "${NAMES[$i]}" "${DESCS[$i]}" "${RESULTS[$i]}"
done
cat <<E

## What Chromium sent (tshark: time, source, port, ICMP type, DCID, packet number, frame types, CRYPTO offsets, lengths)

Frame types: 0 PADDING, 1 PING, 6 CRYPTO, 28 CONNECTION_CLOSE.
E
for n in "${NAMES[@]}"; do
  printf '\n%s.pcap:\n\n```\n' "$n"
  sed 's/\t\t*/ /g' "$WORK/$n.frames"
  printf '```\n'
done
printf '\n## Versions\n\n'
printf -- '- %s\n' "$(chromium --version 2>/dev/null | grep -v '^Running' | head -1)" \
  "$(tshark --version 2>/dev/null | head -1)" "$(uname -sr)"
} > "$WORK/QUIC.md"

mkdir -p "$OUT"
rm -f "$OUT"/quic-*.pcap "$OUT"/quic-*.expect "$OUT"/QUIC.md
for n in "${NAMES[@]}"; do cp "$WORK/$n.pcap" "$WORK/$n.expect" "$OUT"/; done
cp "$WORK/QUIC.md" "$OUT"/
chmod 644 "$OUT"/quic-* "$OUT"/QUIC.md
log "wrote ${#NAMES[@]} QUIC captures to $OUT"
