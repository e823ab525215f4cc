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

BR=dkt-br # the console and the browser: loopback only, a test resolver
cleanup() {
	[ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	ip netns del "$BR" 2>/dev/null
	rm -rf "/etc/netns/$BR"
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	bash "$HERE/dockerbed.sh" down >/dev/null 2>&1
	rm -rf "$S"
	rmdir "$(dirname "$DOCKERBED_DIR")" 2>/dev/null
}
trap cleanup EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
. "$HERE/wait.sh" # wait_until, wait_for

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
started() { in_file "running in" "$S/egressd.log" && [ -S "$SOCK" ]; }
wait_until 30 "egressd to start" started || { bad "egressd did not start"; cat "$S/egressd.log"; }
# The first inventory scan lists them.
listed() {
	ctl containers >"$S/list" 2>&1
	grep -q "e2e-web .*$DOCKER_IMAGE .*docker .*running" "$S/list" &&
		grep -q "e2e-victim .*198.18.0.20" "$S/list"
}
wait_until 15 "the containers listed" listed &&
	ok "egressctl containers lists Docker's containers with image, state, veth, addresses" ||
	{ bad "containers"; cat "$S/list" "$S/egressd.log"; }

# The console's image page: Docker's inspect and history, and who runs it.
ctl image "$DOCKER_IMAGE" >"$S/image" 2>&1
grep -q "^  layer " "$S/image" && grep -q "^  container  e2e-web " "$S/image" &&
	grep -q "^  created " "$S/image" &&
	ok "egressctl image $DOCKER_IMAGE: created, size, $(grep -c '^  layer ' "$S/image") layer(s) with their commands, the containers running it" ||
	{ bad "egressctl image"; cat "$S/image"; }
ctl image no-such-image:1 >"$S/out" 2>&1
[ $? = 1 ] && grep -q "no such image" "$S/out" && ok "an unknown image: $(cat "$S/out")" ||
	bad "unknown image: $(cat "$S/out")"
echo "console-test-pass" | "$EGRESSCTL" console-user add op --users-file "$S/users" >/dev/null
echo "console-test-pass" >"$S/pass"
ip netns add "$BR" && ip netns exec "$BR" ip link set lo up
mkdir -p "/etc/netns/$BR" && echo "nameserver 192.0.2.53" >"/etc/netns/$BR/resolv.conf"
ip netns exec "$BR" "$ROOT/build/egressd-console" --config /dev/null --listen 127.0.0.1:18744 \
	--socket "$SOCK" --users-file "$S/users" --www "$ROOT/www/console" >"$S/console.log" 2>&1 &
cpid=$!
wait_for "listening on" "$S/console.log"
curl_br() { ip netns exec "$BR" curl -s "$@"; }
curl_br -c "$S/jar" -H 'Content-Type: application/json' \
	-d '{"username":"op","password":"console-test-pass"}' http://127.0.0.1:18744/api/login >/dev/null
img=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$DOCKER_IMAGE")
curl_br -b "$S/jar" "http://127.0.0.1:18744/api/images/$img" >"$S/img.json"
# The image page in the browser (test_console's bed has no images).
ip netns exec "$BR" /usr/bin/python3 "$ROOT/tests/browser/console_test.py" \
	--url http://127.0.0.1:18744/ --user op --password-file "$S/pass" --egressctl "$EGRESSCTL" \
	--socket "$SOCK" --screenshots "${CONSOLE_SCREENSHOTS_DIR:-$S/shots}" \
	--only-image "$DOCKER_IMAGE" >"$S/browser.log" 2>&1 &&
	! grep -q "^# skip" "$S/browser.log" &&
	ok "browser: $(grep -c '^ok - ' "$S/browser.log") checks, the image page equals egressctl image" ||
	{ bad "browser image page:"; tail -15 "$S/browser.log"; }
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
cpid=
python3 - "$S/img.json" <<'PY' && ok "GET /api/images/...: $(cat "$S/img.sum")" || { bad "console image API"; cat "$S/img.json"; }
import json, sys
d = json.load(open(sys.argv[1]))["image"]
assert d["source"] == "docker" and d["id"].startswith("sha256:"), d
assert d["history"] and all("created_by" in l for l in d["history"]), d
assert "e2e-web" in [c["name"] for c in d["containers"]], d
open(sys.argv[1].replace("img.json", "img.sum"), "w").write(
    f'{d["id"][:19]}, {len(d["history"])} layer(s), {len(d["containers"])} container(s)')
PY

# A one-shot wget (parent sh) to the blacklisted address of e2e-web.
dk run --name e2e-cli --network "$DOCKER_NETWORK" "$DOCKER_IMAGE" \
	sh -c 'wget -q -O- http://198.18.0.10/; echo done' >"$S/cli.out" 2>&1
grep -q hello "$S/cli.out" && bad "the blacklisted address was served" ||
	ok "the blacklisted address is refused: $(head -1 "$S/cli.out")"
wait_for '"name":"e2e-cli"' "$S/state/events.jsonl"
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
old_veth=$(ctl containers | awk '/e2e-victim/ {print $7}')
dk restart -t 0 e2e-victim >/dev/null
# The inventory sees the new veth and moves the isolation to it (one
# step: the list shows it once the isolation follows).
moved() {
	local v
	v=$(ctl containers 2>/dev/null | awk '/e2e-victim .*isolated/ {print $7}')
	[ -n "$v" ] && [ "$v" != - ] && [ "$v" != "$old_veth" ]
}
wait_until 15 "e2e-victim's isolation on its new veth" moved ||
	bad "after docker restart: no new veth isolated (was $old_veth)"
dk exec e2e-victim ping -c1 -W1 198.18.0.30 >/dev/null 2>&1 && bad "after docker restart: isolation lost" ||
	ok "docker restart (new veth $(ctl containers | awk '/e2e-victim/ {print $7}')): still isolated"
ctl containers >"$S/list"
grep -q "e2e-victim .*isolated" "$S/list" && ok "containers shows it isolated" ||
	{ bad "not shown isolated"; cat "$S/list"; }
dk exec e2e-peer ping -c1 -W1 198.18.0.10 >/dev/null 2>&1 && bad "the blacklisted address answers ping" ||
	ok "e2e-peer: the blacklisted address is refused (ICMP too)"
# In the file first, or its absence below would prove nothing.
wait_for e2e-victim "$S/state/isolation.json" || bad "e2e-victim not in isolation.json"
dk rm -f e2e-victim >/dev/null
# A container is taken for deleted after 3 scans without it (1 s apart).
cleared() { ! grep -q e2e-victim "$S/state/isolation.json"; }
wait_until 15 "e2e-victim out of isolation.json" cleared
cleared && ok "docker rm clears its isolation" || bad "docker rm did not clear the isolation"
kill "$pid"; wait "$pid" 2>/dev/null; pid=
exit $fail
