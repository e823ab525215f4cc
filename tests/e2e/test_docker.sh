#!/usr/bin/env bash
# End to end with a real dockerd (tests/e2e/dockerbed.sh: dockerd in its own
# network namespace, an image imported from busybox-static, no pulls).
# egressd runs in that namespace, as it would on a Docker host: events name
# the container, its image and its processes (wget, its parent sh);
# isolating by container name works, survives `docker restart` (new veth)
# and is cleared by `docker rm`. Needs root.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EGRESSD=${EGRESSD:-$ROOT/build/egressd}
EGRESSCTL=${EGRESSCTL:-$ROOT/build/egressctl}
export DOCKERBED_DIR=${DOCKERBED_DIR:-/tmp/egressd-testbed-dkt/docker}
S=$(mktemp -d)
SOCK=$S/ctl.sock
fail=0 pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	bash "$HERE/dockerbed.sh" down >/dev/null 2>&1
	rm -rf "$S"
	rmdir "$(dirname "$DOCKERBED_DIR")" 2>/dev/null
}
trap cleanup EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

bash "$HERE/dockerbed.sh" up >"$S/bed.log" 2>&1 || { cat "$S/bed.log"; exit 1; }
. "$DOCKERBED_DIR/dockerbed.env"
dk() { "$DOCKER_CLI" -H "$DOCKER_HOST" "$@"; }
ctl() { "$EGRESSCTL" --socket "$SOCK" "$@"; }

dk run -d --name e2e-web --network "$DOCKER_NETWORK" --ip 198.18.0.10 "$DOCKER_IMAGE" \
	sh -c 'echo hello >/tmp/index.html && httpd -f -p 80 -h /tmp' >/dev/null
dk run -d --name e2e-victim --network "$DOCKER_NETWORK" --ip 198.18.0.20 "$DOCKER_IMAGE" \
	sleep 100000 >/dev/null
dk run -d --name e2e-peer --network "$DOCKER_NETWORK" --ip 198.18.0.30 "$DOCKER_IMAGE" \
	sleep 100000 >/dev/null
printf '198.18.0.10\n' >"$S/black.txt"
printf '%s\n' "mode = block" "container_if = br-*" "docker_socket = $DOCKER_SOCK" \
	"state_dir = $S/state" "socket = $SOCK" "blacklist = cidr:$S/black.txt" \
	"ruleset = $ROOT/nft/egressd.nft" >"$S/egressd.conf"
nsenter --net="/run/netns/$DOCKER_NETNS" "$EGRESSD" run --config "$S/egressd.conf" \
	>"$S/egressd.log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "running in" "$S/egressd.log" && [ -S "$SOCK" ] && break; sleep 0.1; done
sleep 1.5 # the first inventory scan

ctl containers >"$S/list" 2>&1
grep -q "e2e-web .*$DOCKER_IMAGE .*docker .*running" "$S/list" &&
	grep -q "e2e-victim .*198.18.0.20" "$S/list" &&
	ok "egressctl containers lists Docker's containers with image, state, veth, addresses" ||
	{ bad "containers"; cat "$S/list" "$S/egressd.log"; }

# A one-shot wget (parent sh) to the blacklisted address of e2e-web.
dk run --name e2e-cli --network "$DOCKER_NETWORK" "$DOCKER_IMAGE" \
	sh -c 'wget -q -O- http://198.18.0.10/; echo done' >"$S/cli.out" 2>&1
grep -q hello "$S/cli.out" && bad "the blacklisted address was served" ||
	ok "the blacklisted address is refused: $(head -1 "$S/cli.out")"
for _ in $(seq 30); do grep -q '"name":"e2e-cli"' "$S/state/events.jsonl" 2>/dev/null && break; sleep 0.1; done
python3 - "$S/state/events.jsonl" "$DOCKER_IMAGE" >"$S/attr.txt" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
e = next(e for e in evs if e.get("container", {}).get("name") == "e2e-cli")
c, p = e["container"], e.get("process", [])
print(f"container {c['name']} ({c['id'][:12]}, image {c['image']}), process " +
      " <- ".join(f"{x['cmdline'][:24]!r} pid {x['pid']}" for x in p))
ok = (c["image"] == sys.argv[2] and len(c["id"]) == 64 and len(p) >= 2 and
      p[0]["cmdline"].startswith("wget") and p[1]["cmdline"].startswith("sh -c"))
sys.exit(0 if ok else 1)
PY
[ $? = 0 ] && ok "event: $(cat "$S/attr.txt")" ||
	{ bad "event: $(cat "$S/attr.txt")"; cat "$S/state/events.jsonl" "$S/egressd.log"; }

dk exec e2e-victim ping -c1 -W1 198.18.0.30 >/dev/null 2>&1 && ok "before: e2e-victim reaches e2e-peer" ||
	bad "before: e2e-victim cannot reach e2e-peer"
ctl isolate e2e-victim --note test >"$S/out" 2>&1 && ok "egressctl isolate e2e-victim: $(cat "$S/out")" ||
	bad "isolate: $(cat "$S/out")"
dk exec e2e-victim ping -c1 -W1 198.18.0.30 >/dev/null 2>&1 && bad "isolated e2e-victim still reaches e2e-peer" ||
	ok "isolated: e2e-victim reaches nothing"
dk exec e2e-peer ping -c1 -W1 198.18.0.20 >/dev/null 2>&1 && bad "isolated e2e-victim still reachable" ||
	ok "isolated: nothing reaches e2e-victim"
dk restart -t 0 e2e-victim >/dev/null
sleep 1.5
dk exec e2e-victim ping -c1 -W1 198.18.0.30 >/dev/null 2>&1 && bad "after docker restart: isolation lost" ||
	ok "docker restart (new veth $(ctl containers | awk '/e2e-victim/ {print $7}')): still isolated"
ctl containers >"$S/list"
grep -q "e2e-victim .*isolated" "$S/list" && ok "containers shows it isolated" ||
	{ bad "not shown isolated"; cat "$S/list"; }
dk exec e2e-peer ping -c1 -W1 198.18.0.10 >/dev/null 2>&1 && bad "the blacklisted address answers ping" ||
	ok "e2e-peer: the blacklisted address is refused (ICMP too)"
dk rm -f e2e-victim >/dev/null
sleep 4 # a container is taken for deleted after 3 scans without it
grep -q e2e-victim "$S/state/isolation.json" && bad "docker rm did not clear the isolation" ||
	ok "docker rm clears its isolation"
kill "$pid"; wait "$pid" 2>/dev/null; pid=
exit $fail
