#!/bin/bash
# make-captures.sh : regenerate tests/data/captures/ (NAME.pcap + NAME.expect + README.md).
#
# Real clients run inside the container namespace cap-c1 of tests/e2e/topo.sh (prefix P=cap-,
# so this never collides with other tests); tcpdump captures on br0 in cap-host. Every packet
# stays inside these namespaces; only 198.18.0.0/15, 192.0.2.0/24, 203.0.113.0/24 and
# 2001:db8::/32 are ever targeted (an nft guard in cap-c1 drops and counts anything else,
# and the run fails if it counted anything). Each .expect is made from tshark's reading only,
# by scripts/captures-expect.py. Needs root, tcpdump, tshark, ethtool, nft, dig, kdig, drill,
# gnutls-cli, curl, openssl, python3, node, chromium, dnsmasq, nginx.
# The namespaces, servers and clients are torn down on exit, also on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/tests/data/captures}
TOPO=$ROOT/tests/e2e/topo.sh
EXPECT=$ROOT/scripts/captures-expect.py
PY=/usr/bin/python3                      # Debian's python3 (system OpenSSL), for the clients
export P=cap- OFFLOAD=off                # offloads off: real wire segments, valid checksums
export TOPO_DIR; TOPO_DIR=$(mktemp -d /tmp/egressd-captures.XXXXXX)
D=$TOPO_DIR/run WORK=$TOPO_DIR/work STAGE=$TOPO_DIR/stage
C=${P}c1 H=${P}host
TD_PID= TOPO_UP=0
FILTER='(tcp or udp) and (host 198.18.0.11 or host 2001:db8:1::11)'

log() { printf '%s\n' "$*" >&2; }
cleanup() {
  local rc=$?
  set +e
  if [ -n "$TD_PID" ]; then kill -INT "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null; fi
  if [ "$TOPO_UP" = 1 ]; then
    # anything still running in the client namespaces (e.g. a chromium helper) was started by us
    for n in $C ${P}c2 $H; do
      for pid in $(ip netns pids $n 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    done
    "$TOPO" down
  fi
  rm -rf "$TOPO_DIR"
  [ $rc = 0 ] || log "make-captures: FAILED (rc=$rc)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for t in tcpdump tshark ethtool nft dig kdig drill getent gnutls-cli curl openssl node chromium \
         dnsmasq nginx; do
  command -v $t >/dev/null || { log "missing tool: $t"; exit 1; }
done
[ -x $PY ] || { log "missing $PY"; exit 1; }
mkdir -p "$WORK" "$STAGE"

"$TOPO" up; TOPO_UP=1
. $D/topo.env
CA=$D/ca.pem
X() { ip netns exec $C "$@"; }

# Guard in the client namespace: accept only the test ranges (plus link-local ND), drop and
# remember anything else.
X nft -f - <<'E'
table inet guard {
  set bad4 { type ipv4_addr; flags dynamic; }
  set bad6 { type ipv6_addr; flags dynamic; }
  chain out { type filter hook output priority 0; policy accept;
    oifname "lo" accept
    ip daddr { 198.18.0.0/15, 192.0.2.0/24, 203.0.113.0/24 } accept
    ip6 daddr 2001:db8::/32 accept
    meta l4proto ipv6-icmp ip6 daddr { fe80::/10, ff02::/16 } accept
    meta nfproto ipv4 update @bad4 { ip daddr } counter drop
    meta nfproto ipv6 update @bad6 { ip6 daddr } counter drop
  }
}
E
# warm up neighbour caches so captures do not start with ARP/ND delays
X dig +time=2 +tries=1 +short @203.0.113.53 warmup.example.com >/dev/null || true
X dig +time=2 +tries=1 +short @2001:db8:53::53 warmup.example.com >/dev/null || true

cap_start() {
  ip netns exec $H tcpdump --immediate-mode -Z root -i br0 -s 0 -U -n -w "$WORK/$1.pcap" "$FILTER" 2>"$WORK/$1.tcpdump" &
  TD_PID=$!
  for _ in $(seq 50); do grep -q 'listening on' "$WORK/$1.tcpdump" && return 0; sleep 0.1; done
  log "tcpdump did not start"; cat "$WORK/$1.tcpdump" >&2; return 1
}
cap_stop() {
  sleep 0.3; kill -INT "$TD_PID"; wait "$TD_PID" || true; TD_PID=
}

declare -a NAMES DESCS CMDS
# scenario NAME "description" cmd... : capture one client run into NAME.pcap, make NAME.expect
scenario() {
  local name=$1 desc=$2 try; shift 2
  log "== $name: $*"
  for try in 1 2; do
    cap_start "$name"
    if ! "$@" >"$WORK/$name.out" 2>&1; then
      cap_stop; log "client failed:"; tail -20 "$WORK/$name.out" >&2; return 1
    fi
    cap_stop
    [ "$(tcpdump -r "$WORK/$name.pcap" 2>/dev/null | wc -l)" -gt 0 ] && break
    log "empty capture, retrying"; [ $try = 1 ] || return 1
  done
  if [ -n "$(tshark -n -r "$WORK/$name.pcap" -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
      -o ip.check_checksum:TRUE -Y 'tcp.checksum.status==0 || udp.checksum.status==0 ||
      ip.checksum.status==0 || frame.len > 1514' 2>/dev/null)" ]; then
    log "$name: bad checksum or oversized frame (offloads still on?)"; return 1
  fi
  cp "$WORK/$name.pcap" "$STAGE/$name.pcap"
  "$EXPECT" "$STAGE/$name.pcap" > "$STAGE/$name.expect"
  [ -s "$STAGE/$name.expect" ] || { log "empty expect for $name"; return 1; }
  sed 's/^/   /' "$STAGE/$name.expect" >&2
  local cmd="" a
  for a in "$@"; do   # readable command line for README (multi-line scripts are elided)
    a=${a//$CA/\$CA}
    if [[ $a == *$'\n'* ]]; then a="'<script: see scripts/make-captures.sh>'"
    elif [[ $a == *\'* ]]; then a=${a//\\/\\\\}; a=\"${a//\"/\\\"}\"
    elif ! [[ $a =~ ^[][A-Za-z0-9_./:@=+,%~\$-]+$ ]]; then a="'$a'"; fi
    cmd+="${cmd:+ }$a"
  done
  cmd=${cmd#X }
  [ "$1" != chromium_run ] ||
    cmd="chromium <flags below> --host-resolver-rules=\"MAP * ~NOTFOUND, EXCLUDE $3\" --dump-dom $2"
  NAMES+=("$name"); DESCS+=("$desc"); CMDS+=("$cmd")
}

T="timeout -k 2 20"
DIG="$T dig +time=3 +tries=1"
# --- 1. DNS over UDP with dig
scenario dns-dig-a "dig A over UDP" X $DIG @203.0.113.53 www.example.com A
scenario dns-dig-aaaa "dig AAAA over UDP" X $DIG @203.0.113.53 www.example.com AAAA
scenario dns-dig-aaaa-ipv6-server "dig AAAA over UDP to the IPv6 resolver address" \
  X $DIG @2001:db8:53::53 other.example.net AAAA
scenario dns-dig-cname "dig A for a two-step CNAME chain" X $DIG @203.0.113.53 www.shop.test A
scenario dns-dig-cname-aaaa "dig AAAA for the CNAME chain" X $DIG @203.0.113.53 www.shop.test AAAA
scenario dns-dig-multi-a "dig A for a name with three A records" X $DIG @203.0.113.53 multi.example.com A
scenario dns-dig-nxdomain "dig A for a name that does not exist (NXDOMAIN, rcode 3)" \
  X $DIG @203.0.113.53 nx.example.com A
scenario dns-dig-nodata "dig AAAA for a v4-only name (NOERROR, no answer)" \
  X $DIG @203.0.113.53 v4only.example.com AAAA
# --- 2. DNS over TCP
scenario dns-dig-tcp "dig +tcp: DNS over TCP with the 2-byte length prefix" \
  X $DIG +tcp @203.0.113.53 www.example.com A
scenario dns-kdig-tcp-keepopen "kdig +tcp +keepopen: two queries, one after the other, in one TCP connection" \
  X $T kdig @203.0.113.53 +tcp +keepopen +timeout=3 +retry=0 www.example.com A www.shop.test AAAA
scenario dns-drill "drill (ldns) over UDP" X $T drill @203.0.113.53 other.example.net A
scenario dns-drill-tcp "drill -t (ldns) over TCP" X $T drill -t @203.0.113.53 www.shop.test A
scenario dns-tcp-pipelined "python3 socket: two length-prefixed queries written in one TCP segment" \
  X $T $PY -c '
import socket, struct
def q(i, n, t):
    m = struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0" + struct.pack("!HH", t, 1)
    return struct.pack("!H", len(m)) + m
s = socket.create_connection(("203.0.113.53", 53), timeout=5)
s.sendall(q(0x1111, "www.example.com", 1) + q(0x2222, "api.example.com", 28))
got = b""
while True:
    d = s.recv(4096)
    if not d: break
    got += d
    n, o = 0, 0
    while o + 2 <= len(got) and o + 2 + struct.unpack("!H", got[o:o+2])[0] <= len(got):
        o += 2 + struct.unpack("!H", got[o:o+2])[0]; n += 1
    if n == 2: break
print(len(got), "bytes of answers")'
scenario dns-tcp-split-length "python3 socket: the 2-byte length prefix and the query in separate TCP segments" \
  X $T $PY -c '
import socket, struct, time
m = struct.pack("!HHHHHH", 0x3333, 0x0100, 1, 0, 0, 0) + b"\3www\4shop\4test\0" + struct.pack("!HH", 1, 1)
s = socket.create_connection(("203.0.113.53", 53), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(struct.pack("!H", len(m))); time.sleep(0.2); s.sendall(m)
print(len(s.recv(4096)), "bytes of answer")'
# --- 3. glibc
scenario dns-getent-ahosts "getent ahosts: glibc getaddrinfo sends A and AAAA from one socket in one sendmmsg() (the A answer may be on the wire before the AAAA query)" \
  X $T getent ahosts www.example.com
# --- 4. curl
CURL="$T curl -sS -o /dev/null --max-time 10"
scenario tls-curl-https "curl https (DNS, then TLS with SNI and ALPN h2,http/1.1; curl prefers IPv6)" \
  X $CURL --cacert $CA https://www.example.com/
scenario tls-curl-resolve "curl --resolve to a hard-coded IPv4 address (no DNS)" \
  X $CURL --cacert $CA --resolve www.example.com:443:203.0.113.80 https://www.example.com/
scenario tls-curl-6 "curl -6 https" X $CURL -6 --cacert $CA https://other.example.net/
scenario tls-curl-cname "curl https to the CNAME-chain name" X $CURL -4 --cacert $CA https://www.shop.test/
scenario http-curl-host "curl plain http (HTTP Host header)" X $CURL http://api.example.com/
scenario http-curl-host-header "curl plain http to an IP literal with Host: API.Example.COM:80 (case, port)" \
  X $CURL -H 'Host: API.Example.COM:80' http://203.0.113.80/
# --- 5. openssl, gnutls
scenario tls-openssl-sni "openssl s_client -servername other.example.net (no ALPN)" \
  X $T openssl s_client -brief -connect 203.0.113.81:443 -servername other.example.net -CAfile $CA </dev/null
scenario tls-openssl-nosni "openssl s_client -noservername (no SNI, no ALPN)" \
  X $T openssl s_client -brief -connect 203.0.113.80:443 -noservername </dev/null
scenario tls-openssl-tls12 "openssl s_client -tls1_2 with ALPN http/1.1 (TLS 1.2 ClientHello)" \
  X $T openssl s_client -brief -tls1_2 -connect 203.0.113.80:443 -servername api.example.com -alpn http/1.1 -CAfile $CA </dev/null
scenario tls-gnutls-cli "gnutls-cli with ALPN h2,http/1.1" \
  X $T gnutls-cli --x509cafile=$CA --alpn=h2 --alpn=http/1.1 --port=443 www.example.com </dev/null
# --- 6. python3, node
scenario tls-python-urllib "python3 urllib over ssl (default context with the test CA)" \
  X $T $PY -c "import ssl,urllib.request; c=ssl.create_default_context(cafile='$CA'); print(urllib.request.urlopen('https://www.example.com/', context=c, timeout=10).read())"
scenario tls-node-https "Node.js https.get" \
  X $T node -e "require('https').get({host:'www.example.com',path:'/',ca:require('fs').readFileSync('$CA'),timeout:10000},r=>{r.on('data',d=>process.stdout.write(d));r.on('end',()=>process.exit(0))}).on('error',e=>{console.error(e);process.exit(1)})"
# --- 7./8. headless Chromium: post-quantum key share (ClientHello ~2 KB over 2 segments), GREASE ECH,
# and a real ECH offer for www.ech.test (HTTPS RR with an ECHConfig; the server cannot decrypt it).
chromium_run() {   # URL HOST
  local u rc=0; u=$(mktemp -d)
  X timeout -k 5 45 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$u" \
    --ignore-certificate-errors --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE $2" --dump-dom "$1" || rc=$?
  rm -rf "$u"; return $rc
}
scenario tls-chromium "headless Chromium https://www.example.com/ (X25519MLKEM768 key share, GREASE ECH)" \
  chromium_run https://www.example.com/ www.example.com
scenario tls-chromium-ech "headless Chromium https://www.ech.test/ (HTTPS RR with ECHConfig: real ECH, outer SNI public.ech.test; rejected, then retried)" \
  chromium_run https://www.ech.test/ www.ech.test

# --- the guard must not have seen anything else
GUARD=$(X nft list table inet guard)
if grep -q 'counter packets [1-9]' <<<"$GUARD"; then
  log "packets to addresses outside the test ranges were attempted (and dropped):"
  X nft list table inet guard >&2; exit 1
fi

# --- checks on what matters most
grep -q '^tls sni=www.example.com alpn=h2,http/1.1 ech=1 ' "$STAGE/tls-chromium.expect" \
  || { log "tls-chromium: no ClientHello with sni=www.example.com ech=1"; exit 1; }
"$EXPECT" --info "$STAGE/tls-chromium.pcap" > "$WORK/chromium.info"
"$EXPECT" --info "$STAGE/tls-chromium-ech.pcap" > "$WORK/chromium-ech.info"
grep -q 'tcp_segments=2 ' "$WORK/chromium.info" \
  || { log "tls-chromium: ClientHello not reassembled from 2 segments"; cat "$WORK/chromium.info" >&2; exit 1; }

# --- README
ver() { "$@" 2>&1 | grep -v -e '^Running as user' -e 'unexpected operator' | head -1; }
{
cat <<'E'
# Packet captures for the parser tests

Made by `scripts/make-captures.sh` (as root; regenerates this whole folder, README included).
Real clients run inside the container namespace `cap-c1` (198.18.0.11, 2001:db8:1::11) of
`tests/e2e/topo.sh` (`P=cap-`, `OFFLOAD=off`); tcpdump (`-s 0`) captures on the bridge `br0`
in `cap-host` with the filter `(tcp or udp) and (host 198.18.0.11 or host 2001:db8:1::11)`.
The servers live in `cap-inet`: dnsmasq on 203.0.113.53 / 2001:db8:53::53, nginx on
203.0.113.80-82 / 2001:db8:80::80-82 (HTTP 80, TLS 443). Nothing else was ever targeted.

Files are classic pcap, link type Ethernet (EN10MB). Checksum and segmentation offloads were
off on every veth, so each frame is a real wire segment with valid checksums (no GSO
super-packets): a ClientHello larger than the MSS arrives in several TCP segments.

## .expect format

Made by `scripts/captures-expect.py` from tshark's reading only (PDML, with
`tcp.desegment_tcp_streams:TRUE`, so a ClientHello over two segments is read once, at its
last segment). One observation per line, in frame order:

    dns_query <qname> <QTYPE>
    dns <qname> rcode=<decimal> addrs=<sorted A/AAAA of the answer section, or -> cnames=<CNAME targets in chain order, or ->
    tls sni=<name or -> alpn=<in order, or -> ech=<0|1> dst=<ip:port or [ipv6]:port>
    http host=<lowercase, port and brackets removed> dst=<ip:port or [ipv6]:port>

Names are lowercase without the trailing dot. `ech=1` means the ClientHello carries
extension 0xfe0d (encrypted_client_hello), GREASE or real. ICMP errors are ignored.

## Names served (dnsmasq, TTL 300)

- www.example.com, api.example.com: 203.0.113.80, 2001:db8:80::80
- other.example.net: 203.0.113.81, 2001:db8:80::81; v4only.example.com: 203.0.113.81 only
- www.shop.test → CNAME shop.cdn.test → CNAME shop-front.cdn.test → 203.0.113.80, 2001:db8:80::80
- multi.example.com: 203.0.113.80, .81, .82 and 2001:db8:80::80, ::81, ::82
- www.ech.test: 203.0.113.80, 2001:db8:80::80, HTTPS `1 . alpn=h2,http/1.1 ech=<ECHConfig
  config_id 0x42, X25519, public_name public.ech.test>` (made-up key: nobody can decrypt it)
- anything else under example.com/.net/.org and .test: NXDOMAIN

## Captures

| file | what | client command (run in cap-c1) |
| --- | --- | --- |
E
for i in "${!NAMES[@]}"; do
  printf '| `%s.pcap` | %s | `%s` |\n' "${NAMES[$i]}" "${DESCS[$i]}" "${CMDS[$i]//|/\\|}"
done
cat <<E

\`\$CA\` is the topology's test CA (\`\$TOPO_DIR/run/ca.pem\`).

The \`quic-*\` captures (headless Chromium over QUIC) are made by
\`scripts/make-quic-captures.sh\` and described in \`QUIC.md\`; this script keeps them.

## Chromium ClientHellos (from \`captures-expect.py --info\`)

Chromium ran as \`chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
--disable-background-networking --disable-component-update --disable-sync
--user-data-dir=\$(mktemp -d) --ignore-certificate-errors
--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE <host>" --dump-dom https://<host>/\`
(it uses its own DNS client with the namespace's resolv.conf; it also asks for HTTPS records).

tls-chromium.pcap:

\`\`\`
$(cat "$WORK/chromium.info")
\`\`\`

tls-chromium-ech.pcap:

\`\`\`
$(cat "$WORK/chromium-ech.info")
\`\`\`

Chromium offers the X25519MLKEM768 key share (group 0x11ec), so its ClientHello is about
2 KB and is sent in two TCP segments (MSS 1440 over IPv6). Every Chromium ClientHello also
carries extension 0xfe0d: for www.example.com it is GREASE ECH (random config_id); for
www.ech.test the first connections carry a real ECH offer for config_id 0x42 with the outer
SNI public.ech.test. nginx does not support ECH, so Chromium gets ERR_ECH_NOT_NEGOTIATED
and retries without that config (SNI www.ech.test, GREASE ECH again). Chromium opens a
second, preconnected TLS connection, hence two ClientHellos per load. No other client here
sends ECH (OpenSSL 3.0, GnuTLS 3.7, curl 7.88, Node.js and Python have no ECH support).

## Versions

E
printf -- '- %s\n' \
  "$(ver uname -sr)" \
  "$(ver tcpdump --version)" "$(ver tshark --version)" \
  "$(ver dig -v)" "$(ver kdig -V)" "drill $(drill -v 2>&1 | head -1 | sed 's/drill version //')" \
  "getent $(ver getent --version | sed 's/^getent //')" \
  "$(ver curl --version)" "$(ver openssl version)" "$(ver gnutls-cli --version)" \
  "Python $($PY -c 'import sys,ssl; print(sys.version.split()[0], "with", ssl.OPENSSL_VERSION)')" \
  "Node.js $(node --version) (OpenSSL $(node -p process.versions.openssl))" \
  "$(ver chromium --version)" "$(ver dnsmasq --version)" "$(ver nginx -v)"
} > "$STAGE/README.md"

# --- swap in the new set
mkdir -p "$OUT"
for f in "$OUT"/*.pcap "$OUT"/*.expect; do   # quic-*: scripts/make-quic-captures.sh
  case ${f##*/} in quic-*) ;; *) rm -f "$f" ;; esac
done
rm -f "$OUT"/README.md
cp "$STAGE"/* "$OUT"/
chmod 644 "$OUT"/*
log "wrote ${#NAMES[@]} captures to $OUT"
