#!/usr/bin/env bash
# The main job on a throw-away test bed: network namespaces for a host with
# a bridge, two containers and an "internet" (real dnsmasq and nginx);
# egressd in block mode with a small blacklist; one container's connection
# to a blacklisted domain refused, a good one served; what egressd recorded.
# Installs what is missing and builds first. Removes everything it made.
# --console: then keeps egressd and the test bed running with the browser
# console (egressd-console) on http://127.0.0.1:8743/, prints a login,
# and removes everything on Ctrl-C.
set -euo pipefail
CONSOLE=
case "${1:-}" in
--console) CONSOLE=1 ;;
"") ;;
*) echo "usage: $0 [--console]" >&2; exit 2 ;;
esac
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ "$(id -u)" = 0 ] || { echo "demo.sh needs root (namespaces, nftables): sudo $0" >&2; exit 1; }
ensure_packages "${BUILD_PKGS[@]}" "${TESTBED_PKGS[@]}"
meson_build "$ROOT/build"

export P=demo-
S=$(mktemp -d)
pid=
cpid=
cleanup() {
	set +e # a child's exit status must not stop the clean-up half-way
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	bash "$ROOT/tests/e2e/topo.sh" down >/dev/null 2>&1
	rm -rf "$S"
}
trap cleanup EXIT
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" || true; }

say "1. Test bed: host demo-host (bridge br0), containers demo-c1 and demo-c2, internet demo-inet"
bash "$ROOT/tests/e2e/topo.sh" up >"$S/topo.log" 2>&1 || { cat "$S/topo.log"; exit 1; }
. /tmp/egressd-testbed-demo/run/topo.env

cat >"$S/blacklist.txt" <<'L'
# egressd-category: c2
other.example.net
L
cat >"$S/mining.txt" <<'L'
# egressd-category: mining-pool
*.cdn.test
L
say "2. egressd in block mode; blacklist: other.example.net (c2), *.cdn.test (mining-pool)"
ip netns exec "$NS_HOST" "$ROOT/build/egressd" run --config /dev/null \
	--state-dir "$S/state" --socket "$S/ctl.sock" --mode block --container-if "$BRIDGE" \
	--ruleset "$ROOT/nft/egressd.nft" --blacklist "$S/blacklist.txt" \
	--blacklist "$S/mining.txt" 2>"$S/egressd.log" &
pid=$!
for _ in $(seq 50); do grep -q "running in" "$S/egressd.log" && break; sleep 0.1; done
sed 's/^/  /' "$S/egressd.log"
C1="ip netns exec $NS_C1"

say "3. From container demo-c1"
echo "# a good site is served:"
run $C1 curl -sS -m 3 --cacert "$CA" https://www.example.com/
echo "# a blacklisted name gets NXDOMAIN at once:"
run $C1 dig +time=2 +tries=1 other.example.net | grep -E "status|ANSWER:"
echo "# www.shop.test is a CNAME into *.cdn.test: stopped too:"
run $C1 dig +time=2 +tries=1 www.shop.test | grep -E "status"
echo "# a hard-coded address with the blacklisted name in its TLS SNI is refused:"
run $C1 sh -c "curl -sS -m 3 --cacert $CA --resolve other.example.net:443:203.0.113.81 https://other.example.net/; true"
echo "# the same address with a good name is served:"
run $C1 curl -sS -m 3 --cacert "$CA" --resolve www.example.com:443:203.0.113.81 https://www.example.com/

say "4. What egressd recorded ($S/state/events.jsonl; the first one in full)"
sleep 0.5 # the event writer adds container and process before writing
python3 - "$S/state/events.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(lines):
    e = json.loads(l); r = e["rule"]; c = e.get("container", {})
    procs = " <- ".join(p["exe"].rsplit("/", 1)[-1] + "(" + str(p["pid"]) + ")"
                        for p in e.get("process", [])) or \
        "process unknown: " + e.get("process_unknown", {}).get("reason", "-")
    print(f"  {e['action']:8} {e['kind']:10} {c.get('name', e['container_ip']):<10} "
          f"{e.get('name') or '-':<18} -> {e.get('dst', '-'):<18} "
          f"rule {r['pattern']} ({r['category']})  {procs}")
if lines:
    print(json.dumps(json.loads(lines[-1]), indent=2))
PY

say "5. The operator's view: overview, the event list, one event in full"
CTL="$ROOT/build/egressctl --socket $S/ctl.sock"
run $CTL events overview
run $CTL events
ID=$($CTL --json events --domain other.example.net | python3 -c \
	'import json,sys; e=json.load(sys.stdin)["events"]; print(e[0]["id"] if e else "")')
[ -n "$ID" ] && run $CTL events show "$ID"

say "6. Isolate the container that talked to the C2, then give it back"
run "$ROOT/build/egressctl" --socket "$S/ctl.sock" isolate "$NS_C1" --note "c2 contact"
echo "# demo-c1 can reach nothing now, demo-c2 is untouched:"
run $C1 curl -sS -m 2 --cacert "$CA" https://www.example.com/
run ip netns exec "$NS_C2" curl -sS -m 2 --cacert "$CA" https://www.example.com/
run "$ROOT/build/egressctl" --socket "$S/ctl.sock" containers
run "$ROOT/build/egressctl" --socket "$S/ctl.sock" unisolate "$NS_C1"
run $C1 curl -sS -m 2 --cacert "$CA" https://www.example.com/
run $CTL audit

if [ -n "$CONSOLE" ]; then
	say "7. The browser console"
	PASS=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
	echo "$PASS" | "$ROOT/build/egressctl" console-user add demo --users-file "$S/console-users" >/dev/null
	"$ROOT/build/egressd-console" --config /dev/null --listen 127.0.0.1:8743 \
		--socket "$S/ctl.sock" --users-file "$S/console-users" \
		--www "$ROOT/www/console" 2>"$S/console.log" &
	cpid=$!
	for _ in $(seq 50); do grep -q "listening on" "$S/console.log" && break; sleep 0.1; done
	grep -q "listening on" "$S/console.log" || { cat "$S/console.log"; exit 1; }
	echo "  URL:      http://127.0.0.1:8743/"
	echo "  user:     demo"
	echo "  password: $PASS"
	echo "  (from another machine: ssh -L 8743:127.0.0.1:8743 THIS-HOST)"
	echo "  egressd and the test bed keep running; more traffic:"
	echo "    ip netns exec $NS_C1 curl -sk https://other.example.net/"
	echo "  Ctrl-C stops the console and egressd and removes everything."
	wait "$cpid" || true
	exit 0
fi
kill "$pid"; wait "$pid" 2>/dev/null; pid=
say "7. egressd stopped"
sed -n '/stopping/,$p' "$S/egressd.log" | sed 's/^/  /'
