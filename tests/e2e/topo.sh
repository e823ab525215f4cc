#!/bin/bash
# topo.sh up|down : host netns (bridge) + 2 "containers" + "internet" netns.
# Nothing is attached to the root netns, so no packet can leave the machine.
#
# Environment:
#   P=e2e-        namespace prefix (namespaces ${P}host ${P}c1 ${P}c2 ${P}inet)
#   TOPO_DIR=...  state dir (default /tmp/egressd-testbed for P=e2e-,
#                 /tmp/egressd-testbed-<prefix> otherwise); writes $TOPO_DIR/run/topo.env
#   V1= V2=       host-side veth names (default veth + 7 random hex)
#   OFFLOAD=off   turn off checksum/segmentation offloads on every veth, so that
#                 captures show real wire segments with valid checksums (needs ethtool)
#   C_MTU=1280    MTU of the containers' eth0 (and their bridge ports)
#   BR=br0        the bridge's name (br-egtest: one egressd watches with no
#                 configuration, as Docker's user networks)
#
# Names served by dnsmasq in ${P}inet (203.0.113.53, 2001:db8:53::53), all TTL 300:
#   www.example.com, api.example.com    A 203.0.113.80  AAAA 2001:db8:80::80
#   other.example.net                   A 203.0.113.81  AAAA 2001:db8:80::81
#   v4only.example.com                  A 203.0.113.81  (AAAA: NOERROR, no data)
#   cdn.example.org                     CNAME www.example.com
#   www.shop.test                       CNAME shop.cdn.test CNAME shop-front.cdn.test
#                                       -> A 203.0.113.80  AAAA 2001:db8:80::80
#   multi.example.com                   A 203.0.113.80, .81, .82  AAAA 2001:db8:80::80, ::81, ::82
#   www.ech.test                        A 203.0.113.80  AAAA 2001:db8:80::80  HTTPS 1 . alpn=h2,http/1.1
#                                       ech=<ECHConfig public_name=public.ech.test> (the key is made up:
#                                       nobody can decrypt it; nginx rejects ECH and uses the outer SNI)
#   anything else under example.com/.net/.org and .test: NXDOMAIN (e.g. nx.example.com)
# nginx in ${P}inet: HTTP on 80, TLS on 443 (all addresses), cert signed by $CA for all names above;
# http://.../big is a 32 MiB download.
set -euo pipefail
P=${P:-e2e-}; H=${P}host C1=${P}c1 C2=${P}c2 I=${P}inet
BR=${BR:-br0}
if [ "$P" = e2e- ]; then TD=/tmp/egressd-testbed; else TD=/tmp/egressd-testbed-${P%-}; fi
D=${TOPO_DIR:-$TD}/run
x() { ip netns exec "$@"; }
SANS=DNS:www.example.com,DNS:api.example.com,DNS:other.example.net,DNS:v4only.example.com,DNS:cdn.example.org
SANS=$SANS,DNS:www.shop.test,DNS:shop.cdn.test,DNS:shop-front.cdn.test,DNS:multi.example.com
SANS=$SANS,DNS:www.ech.test,DNS:public.ech.test
# HTTPS RR rdata for www.ech.test: priority 1, target ".", alpn=h2,http/1.1, ech=ECHConfigList with one
# ECHConfig (version 0xfe0d, config_id 0x42, KEM X25519 0x0020, public key 0x20..0x3f,
# suites HKDF-SHA256 + AES-128-GCM / ChaCha20Poly1305, public_name public.ech.test).
ECH_HTTPS_RR=00:01:00:00:01:00:0c:02:68:32:08:68:74:74:70:2f:31:2e:31:00:05:00:48:00:46:fe:0d:00:42:42:00:20:00:20:20:21:22:23:24:25:26:27:28:29:2a:2b:2c:2d:2e:2f:30:31:32:33:34:35:36:37:38:39:3a:3b:3c:3d:3e:3f:00:08:00:01:00:01:00:01:00:03:00:0f:70:75:62:6c:69:63:2e:65:63:68:2e:74:65:73:74:00:00
nooffload() {  # $1 netns, $2 interface
  [ "${OFFLOAD:-on}" = off ] || return 0
  x "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
}
up() {
  for n in $H $C1 $C2 $I; do [ ! -e /run/netns/$n ] || { echo "$n exists" >&2; exit 1; }; done
  mkdir -p $D/log $D/tmp
  if [ ! -s $D/ca.pem ] || [ "$(cat $D/web.san 2>/dev/null)" != "$SANS" ]; then
    ( cd $D; E="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
      [ -s ca.pem ] || openssl req -x509 $E -days 3650 -subj /CN=e2e-ca -keyout ca.key -out ca.pem
      openssl req $E -subj /CN=e2e-web -keyout web.key -out web.csr
      openssl x509 -req -in web.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out web.pem \
        -extfile <(echo subjectAltName=$SANS)
      echo "$SANS" > web.san
    ) 2>/dev/null
  fi
  for n in $H $C1 $C2 $I; do   # DAD off before interfaces exist: no "tentative" IPv6 delay
    ip netns add $n; ip -n $n link set lo up; x $n sysctl -qw net.ipv6.conf.{all,default}.accept_dad=0
  done
  x $H sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n $H link add $BR type bridge; ip -n $H link set $BR up
  ip -n $H addr add 198.18.0.1/24 dev $BR; ip -n $H addr add 2001:db8:1::1/64 dev $BR
  V1=${V1:-veth$(openssl rand -hex 4 | cut -c1-7)} V2=${V2:-veth$(openssl rand -hex 4 | cut -c1-7)}
  i=11
  for cv in $C1:$V1 $C2:$V2; do c=${cv%:*} v=${cv#*:}
    ip -n $H link add $v master $BR type veth peer name eth0 netns $c
    if [ -n "${C_MTU:-}" ]; then ip -n $H link set $v mtu $C_MTU; ip -n $c link set eth0 mtu $C_MTU; fi
    nooffload $H $v; nooffload $c eth0
    ip -n $H link set $v up
    ip -n $c addr add 198.18.0.$i/24 dev eth0; ip -n $c addr add 2001:db8:1::$i/64 dev eth0
    ip -n $c link set eth0 up
    ip -n $c route add default via 198.18.0.1; ip -n $c route add default via 2001:db8:1::1
    mkdir -p /etc/netns/$c     # "ip netns exec" bind-mounts this over /etc/resolv.conf
    printf 'nameserver 203.0.113.53\nnameserver 2001:db8:53::53\n' > /etc/netns/$c/resolv.conf
    i=$((i+1))
  done
  ip -n $H link add uplink0 type veth peer name eth0 netns $I
  nooffload $H uplink0; nooffload $I eth0
  ip -n $H link set uplink0 up
  ip -n $H addr add 192.0.2.1/24 dev uplink0; ip -n $H addr add 2001:db8:ff::1/64 dev uplink0
  ip -n $H route add default via 192.0.2.2; ip -n $H route add default via 2001:db8:ff::2
  ip -n $I addr add 192.0.2.2/24 dev eth0; ip -n $I addr add 2001:db8:ff::2/64 dev eth0
  ip -n $I link set eth0 up
  for a in 203.0.113.{53,80,81,82}/32 2001:db8:53::53/128 2001:db8:80::{80,81,82}/128; do
    ip -n $I addr add $a dev lo; done
  ip -n $I route add 198.18.0.0/15 via 192.0.2.1; ip -n $I route add 2001:db8:1::/48 via 2001:db8:ff::1
  ip -n $I route add unreachable default; ip -n $I -6 route add unreachable default
  x $I dnsmasq --no-resolv --no-hosts --bind-interfaces --listen-address=203.0.113.53,2001:db8:53::53 \
    --local-ttl=300 --local=/example.com/example.net/example.org/test/ \
    --host-record=www.example.com,203.0.113.80,2001:db8:80::80 \
    --host-record=api.example.com,203.0.113.80,2001:db8:80::80 \
    --host-record=other.example.net,203.0.113.81,2001:db8:80::81 \
    --host-record=v4only.example.com,203.0.113.81 --cname=cdn.example.org,www.example.com \
    --host-record=shop-front.cdn.test,203.0.113.80,2001:db8:80::80 \
    --cname=shop.cdn.test,shop-front.cdn.test --cname=www.shop.test,shop.cdn.test \
    --host-record=multi.example.com,203.0.113.80,2001:db8:80::80 \
    --host-record=multi.example.com,203.0.113.81,2001:db8:80::81 \
    --host-record=multi.example.com,203.0.113.82,2001:db8:80::82 \
    --host-record=www.ech.test,203.0.113.80,2001:db8:80::80 --dns-rr=www.ech.test,65,$ECH_HTTPS_RR \
    --log-queries --log-facility=$D/log/dnsmasq.log --pid-file=$D/dnsmasq.pid --user=root
  cat > $D/nginx.conf <<E
daemon on; user root; pid $D/nginx.pid; error_log $D/log/nginx.err;
events {}
http { access_log $D/log/nginx.log; default_type text/plain; client_body_temp_path $D/tmp;
  proxy_temp_path $D/tmp; fastcgi_temp_path $D/tmp; uwsgi_temp_path $D/tmp; scgi_temp_path $D/tmp;
  server { listen 80; listen [::]:80;
           location /big { alias $D/big.bin; }
           location / { return 200 "http host=\$host addr=\$server_addr\n"; } }
  server { listen 443 ssl; listen [::]:443 ssl; ssl_certificate $D/web.pem; ssl_certificate_key $D/web.key;
           return 200 "tls sni=\$ssl_server_name host=\$host\n"; }
}
E
  head -c 32M /dev/zero > $D/big.bin   # long downloads: /big
  x $I nginx -c $D/nginx.conf
  printf '%s\n' NS_HOST=$H NS_C1=$C1 NS_C2=$C2 NS_INET=$I VETH_C1=$V1 VETH_C2=$V2 BRIDGE=$BR \
    IP_C1=198.18.0.11 IP_C2=198.18.0.12 IP6_C1=2001:db8:1::11 IP6_C2=2001:db8:1::12 \
    DNS4=203.0.113.53 DNS6=2001:db8:53::53 CA=$D/ca.pem > $D/topo.env
}
down() {
  for f in $D/nginx.pid $D/dnsmasq.pid; do [ -s $f ] && kill $(cat $f) 2>/dev/null; rm -f $f; done
  # Whatever still runs in a namespace goes first: a process started by
  # `ip netns exec` holds the namespace's mount in its own mount
  # namespace, and `ip netns del` then fails (EBUSY), leaving it for the
  # next run to trip over.
  # Until none is left (bounded: 5 s), rather than a fixed pause.
  for _ in $(seq 50); do
    left=
    for n in $H $C1 $C2 $I; do
      for p in $(ip netns pids $n 2>/dev/null); do kill -9 $p 2>/dev/null; left=1; done
    done
    [ -z "$left" ] && break
    sleep 0.1
  done
  for n in $H $C1 $C2 $I; do ip netns del $n 2>/dev/null; rm -rf /etc/netns/$n; done
  rmdir /etc/netns 2>/dev/null; rm -f $D/topo.env $D/big.bin
}
case ${1:-} in up) up ;; down) set +e; down; true ;; *) echo "usage: $0 up|down" >&2; exit 2 ;; esac
