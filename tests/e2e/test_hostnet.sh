#!/usr/bin/env bash
# End to end with a real dockerd (tests/e2e/dockerbed.sh): a container on
# the host's network (docker run --network host) sends from the host's own
# stack, never through a bridge. egressd runs in dockerd's namespace, as on
# a Docker host, and reads that container's sockets by their cgroup:
#  - its lookup of a blacklisted name answers NXDOMAIN, its HTTP request
#    for that name (Host header, to the bridged web server) is refused;
#  - the event names the container, its image and its processes (wget,
#    its parent sh);
#  - host_processes = ignore: a host process in no container (curl run in
#    dockerd's namespace) is neither judged nor recorded, and none of its
#    packets reach the queue (status counter host_packets);
#  - isolating it cuts its sockets (not the host's), unisolating restores;
#  - host_processes = watch: the same request is judged and recorded, as a
#    host process.
# Every packet stays in dockerd's namespace: the web server is a bridged
# container there, the resolver a dnsmasq on its loopback. Needs root.
# DOCKERBED_DIR and DOCKERBED_NETNS may be given (parallel runs).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EGRESSD=${EGRESSD:-$ROOT/build/egressd}
EGRESSCTL=${EGRESSCTL:-$ROOT/build/egressctl}
export DOCKERBED_DIR=${DOCKERBED_DIR:-/tmp/egressd-testbed-hnt/docker}
export DOCKERBED_NETNS=${DOCKERBED_NETNS:-e2e-hnt-dockerd}
S=$(mktemp -d)
SOCK=$S/ctl.sock
fail=0 pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -s "$S/dnsmasq.pid" ] && kill "$(cat "$S/dnsmasq.pid")" 2>/dev/null
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
inns() { nsenter --net="/run/netns/$DOCKER_NETNS" "$@"; }

# The resolver: dnsmasq on the namespace's loopback, answering the test
# names itself and nothing else (no upstream).
nsenter --net="/run/netns/$DOCKER_NETNS" /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
	--no-hosts --bind-interfaces --listen-address=127.0.0.1 --port=53 \
	--user=root --pid-file="$S/dnsmasq.pid" --local-ttl=60 \
	--host-record=evil.test,198.18.0.10 --host-record=ok.test,198.18.0.10 \
	--log-facility="$S/dnsmasq.log" &
dk run -d --name hn-web --network "$DOCKER_NETWORK" --ip 198.18.0.10 "$DOCKER_IMAGE" \
	sh -c 'echo hello >/tmp/index.html && httpd -f -p 80 -h /tmp' >/dev/null
dk run -d --name hn-host --network host "$DOCKER_IMAGE" sleep 100000 >/dev/null
printf 'evil.test\n' >"$S/black.txt"

# start_egressd HOST_PROCESSES STATE_DIR
start_egressd() {
	printf '%s\n' "mode = block" "container_if = br-*" "docker_socket = $DOCKER_SOCK" \
		"state_dir = $2" "socket = $SOCK" "blacklist = domains:$S/black.txt" \
		"ruleset = $ROOT/nft/egressd.nft" "host_processes = $1" \
		"oci_bundle_root =" >"$S/egressd-$1.conf"
	# nsenter itself, not the inns function: $! of a function is its
	# subshell, and egressd would outlive the kill.
	nsenter --net="/run/netns/$DOCKER_NETNS" "$EGRESSD" run \
		--config "$S/egressd-$1.conf" >"$S/egressd-$1.log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		grep -q "running in" "$S/egressd-$1.log" && [ -S "$SOCK" ] && break
		sleep 0.1
	done
	sleep 1.5 # the first inventory scan, and its cgroup sets
}
stop_egressd() { kill "$pid"; wait "$pid" 2>/dev/null; pid=; }
# host_packets: packets of host sockets the queue gave egressd (published
# about once a second).
host_packets() {
	sleep 1.2
	ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["host_packets"])'
}
# events NAME FILE: the lines of events.jsonl naming NAME
events() { grep -h "\"name\":\"$1\"" "$2" 2>/dev/null; }

# Before egressd: the request is served, so a refusal later is egressd's.
dk exec hn-host wget -q -O- --header 'Host: evil.test' http://198.18.0.10/ 2>&1 | grep -q hello &&
	ok "without egressd: the host-network container is served" ||
	bad "without egressd: the host-network container is not served (test bed broken)"

start_egressd ignore "$S/state"
grep -q "host-network containers: their sockets are told by cgroup" "$S/egressd-ignore.log" &&
	ok "start: $(grep -o 'host-network containers: .*' "$S/egressd-ignore.log")" ||
	{ bad "start: no socket cgroup matching"; cat "$S/egressd-ignore.log"; }
ctl containers >"$S/list" 2>&1
grep -q "hn-host .*$DOCKER_IMAGE" "$S/list" &&
	ok "egressctl containers lists the host-network container" ||
	{ bad "hn-host not listed"; cat "$S/list"; }

# --- the host-network container -----------------------------------------
out=$(dk exec hn-host nslookup ok.test 127.0.0.1 2>&1)
grep -q 198.18.0.10 <<<"$out" && ok "host-network container: a good name resolves" ||
	bad "host-network container: ok.test did not resolve: $out"
out=$(dk exec hn-host nslookup evil.test 127.0.0.1 2>&1)
grep -q NXDOMAIN <<<"$out" && ok "host-network container: the blacklisted name answers NXDOMAIN" ||
	bad "host-network container: evil.test: $out"
dk exec hn-host sh -c "wget -q -O- --header 'Host: evil.test' http://198.18.0.10/; echo done" \
	>"$S/wget.out" 2>&1
grep -q hello "$S/wget.out" && bad "host-network container: the blacklisted name was served" ||
	ok "host-network container: HTTP for the blacklisted name refused: $(head -1 "$S/wget.out")"
dk exec hn-host wget -q -O- --header 'Host: ok.test' http://198.18.0.10/ 2>&1 | grep -q hello &&
	ok "host-network container: a good name is served" ||
	bad "host-network container: ok.test was not served"
for _ in $(seq 30); do events hn-host "$S/state/events.jsonl" | grep -q '"kind":"http"' && break; sleep 0.1; done
python3 - "$S/state/events.jsonl" "$DOCKER_IMAGE" >"$S/attr.txt" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
mine = [e for e in evs if e.get("container", {}).get("name") == "hn-host"]
kinds = sorted({e["kind"] for e in mine})
e = next(e for e in mine if e["kind"] == "http")
c, p = e["container"], e.get("process", [])
print(f"kinds {kinds}; http: container {c['name']} ({c['id'][:12]}, image "
      f"{c['image']}), host_network {e.get('host_network')}, process " +
      " <- ".join(f"{x['cmdline'][:28]!r} pid {x['pid']}" for x in p))
ok = (c["image"] == sys.argv[2] and len(c["id"]) == 64 and len(p) >= 2 and
      e.get("host_network") is True and e["action"] == "blocked" and
      p[0]["cmdline"].startswith("wget") and p[1]["cmdline"].startswith("sh -c") and
      ("dns_query" in kinds or "dns_answer" in kinds))
sys.exit(0 if ok else 1)
PY
[ $? = 0 ] && ok "events: $(cat "$S/attr.txt")" ||
	{ bad "events: $(cat "$S/attr.txt")"; cat "$S/state/events.jsonl" "$S/egressd-ignore.log"; }

# --- a host process, host_processes = ignore --------------------------
before=$(host_packets)
inns curl -s -m 3 -H 'Host: evil.test' http://198.18.0.10/ >"$S/curl.out" 2>&1
inns curl -s -m 3 -H 'Host: evil.test' http://198.18.0.10/ >>"$S/curl.out" 2>&1
after=$(host_packets)
grep -q hello "$S/curl.out" && ok "ignore: a host process is not judged (served)" ||
	bad "ignore: the host process was refused: $(cat "$S/curl.out")"
[ "$before" = "$after" ] && ok "ignore: none of its packets queued (host_packets $before -> $after)" ||
	bad "ignore: host packets queued: $before -> $after"
sleep 0.5
python3 - "$S/state/events.jsonl" <<'PY' && ok "ignore: nothing recorded for it" || bad "ignore: the host process was recorded"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(1 if [e for e in evs if "container" not in e] else 0)
PY

# --- isolating the host-network container: by its sockets' cgroup -----
# A connection open before the isolation: a line every 0.2 s to a listener
# on hn-web. The cut is by socket, so it stops too.
# (The listener's stdin stays open: at its end, busybox nc hangs up.)
dk exec -d hn-web sh -c 'sleep 100000 | nc -l -p 9000 >/tmp/recv' >/dev/null
sleep 0.3
dk exec -d hn-host sh -c 'while :; do echo x; sleep 0.2; done | nc 198.18.0.10 9000' >/dev/null
recv() { dk exec hn-web wc -c </dev/null /tmp/recv 2>/dev/null | awk '{print $1}'; }
sleep 1.5
r0=$(recv)
ctl isolate hn-host --note test >"$S/out" 2>&1 && ok "egressctl isolate hn-host: $(cat "$S/out")" ||
	bad "isolate: $(cat "$S/out")"
sleep 0.5
r1=$(recv)
sleep 1.5
r2=$(recv)
[ "${r0:-0}" -gt 2 ] && [ "$r1" = "$r2" ] &&
	ok "isolated: its open connection stops (${r0} bytes before, ${r1} -> ${r2} after)" ||
	bad "isolated: the open connection goes on (${r0:-?} before, ${r1:-?} -> ${r2:-?} after)"
dk exec hn-host timeout 3 wget -q -O- --header 'Host: ok.test' http://198.18.0.10/ 2>&1 | grep -q hello &&
	bad "isolated hn-host still reaches the web server" ||
	ok "isolated: hn-host reaches nothing"
dk exec hn-host nslookup ok.test 127.0.0.1 2>&1 | grep -q 198.18.0.10 &&
	bad "isolated hn-host still resolves" || ok "isolated: hn-host cannot resolve"
inns curl -s -m 3 -H 'Host: ok.test' http://198.18.0.10/ | grep -q hello &&
	ok "isolated: the host itself still reaches the web server" ||
	bad "isolating hn-host cut the host too"
ctl unisolate hn-host >"$S/out" 2>&1 || bad "unisolate: $(cat "$S/out")"
dk exec hn-host timeout 3 wget -q -O- --header 'Host: ok.test' http://198.18.0.10/ 2>&1 | grep -q hello &&
	ok "unisolated: hn-host is served again" || bad "unisolated: hn-host still cut"
stop_egressd

# --- a host process, host_processes = watch ---------------------------
start_egressd watch "$S/state-watch"
inns curl -s -m 3 -H 'Host: evil.test' http://198.18.0.10/ >"$S/curl.out" 2>&1
grep -q hello "$S/curl.out" && bad "watch: the host process was served" ||
	ok "watch: the host process is judged (refused)"
inns curl -s -m 3 -H 'Host: ok.test' http://198.18.0.10/ | grep -q hello &&
	ok "watch: a host process's good request is served" ||
	bad "watch: a host process's good request was refused"
echo "  host_packets with watch: $(host_packets) (two requests)"
for _ in $(seq 30); do grep -q '"host_process":true' "$S/state-watch/events.jsonl" 2>/dev/null && break; sleep 0.1; done
python3 - "$S/state-watch/events.jsonl" >"$S/attr.txt" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
e = next(e for e in evs if e.get("host_process") is True)
p = e.get("process", [])
print(f"{e['kind']} {e['action']} {e.get('name')}, no container, process " +
      " <- ".join(f"{x['cmdline'][:28]!r}" for x in p))
sys.exit(0 if "container" not in e and p and p[0]["cmdline"].startswith("curl") else 1)
PY
[ $? = 0 ] && ok "watch: recorded as a host process: $(cat "$S/attr.txt")" ||
	{ bad "watch: $(cat "$S/attr.txt")"; cat "$S/state-watch/events.jsonl" "$S/egressd-watch.log"; }
stop_egressd
exit $fail
