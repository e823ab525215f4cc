#!/usr/bin/env bash
# The package as an operator gets it: the .deb built from a clean checkout
# (dpkg-buildpackage, lintian), installed with dpkg, and the *installed*
# egressd started with the unit's own ExecStartPre and ExecStart lines and
# the shipped config, no flag added, in the host namespace of a test bed
# whose bridge is br-egtest (as a Docker user network's). It must watch
# that bridge, block a name of the shipped mining-pool list and one the
# operator blacklists, record both, answer `egressctl status`, and serve
# /metrics to a real Prometheus. Then the package is purged and nothing of
# it is left. Needs root; PID 1 need not be systemd (the unit is checked
# with systemd-analyze). Network: namespaces only.
set -uo pipefail
export P=pkg- BR=br-egtest
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d)
CLEANUP_EXTRA="pkg_cleanup"
pkg_cleanup() {
	[ -n "${prom:-}" ] && kill "$prom" 2>/dev/null
	[ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null
	[ -n "${epid:-}" ] && kill "$epid" 2>/dev/null && wait "$epid" 2>/dev/null
	dpkg -s egressd >/dev/null 2>&1 && dpkg --purge egressd >/dev/null 2>&1
	rm -rf "$T"
}

# 1. Build from a clean checkout of what is committed.
git clone -q "$ROOT" "$T/src" || { bad "git clone"; exit 1; }
( cd "$T/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b ) \
	>"$T/build.log" 2>&1
deb=$(ls "$T"/egressd_*_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && ok "dpkg-buildpackage -us -uc -b: $(basename "$deb")" ||
	{ bad "no .deb built"; tail -30 "$T/build.log"; exit 1; }
lintian "$deb" >"$T/lintian.txt" 2>&1
grep -q "^E:" "$T/lintian.txt" && bad "lintian errors: $(grep "^E:" "$T/lintian.txt" | head -5)" ||
	ok "lintian: no errors ($(grep -c "^[WI]:" "$T/lintian.txt") warnings or notes)"

# 2. Install.
dpkg -i "$deb" >"$T/dpkg.log" 2>&1 && ok "dpkg -i" || { bad "dpkg -i: $(tail -5 "$T/dpkg.log")"; exit 1; }
for f in /usr/sbin/egressd /usr/bin/egressctl /usr/share/egressd/egressd.nft \
	/usr/share/egressd/lists/mining-pools.txt /etc/egressd/egressd.conf \
	/lib/systemd/system/egressd.service /etc/logrotate.d/egressd \
	/usr/share/man/man8/egressd.8.gz /usr/share/man/man8/egressctl.8.gz \
	/usr/share/man/man5/egressd.conf.5.gz; do
	[ -e "$f" ] || bad "not installed: $f"
done && ok "installed: binaries, ruleset, lists, conffile, unit, logrotate, 3 man pages"
grep -qx /etc/egressd/egressd.conf /var/lib/dpkg/info/egressd.conffiles && ok "egressd.conf is a conffile" ||
	bad "egressd.conf is not a conffile"
getent group egressd >/dev/null && ok "group egressd exists" || bad "no group egressd"
for f in /usr/sbin/egressd-console /usr/share/egressd/console/index.html \
	/usr/share/egressd/console/app.js /etc/egressd/console.conf \
	/lib/systemd/system/egressd-console.service /usr/share/man/man8/egressd-console.8.gz; do
	[ -e "$f" ] || bad "not installed: $f"
done && ok "installed: the console, its UI, console.conf, its unit and man page"
id -nG egressd-console 2>/dev/null | grep -qw egressd && ok "user egressd-console, in group egressd" ||
	bad "user egressd-console: $(id egressd-console 2>&1)"
[ "$(stat -c '%a %U:%G' /etc/egressd/console-users 2>&1)" = "640 root:egressd-console" ] &&
	ok "/etc/egressd/console-users is 0640 root:egressd-console" ||
	bad "console-users: $(stat -c '%a %U:%G' /etc/egressd/console-users 2>&1)"
CUNIT=/lib/systemd/system/egressd-console.service
systemd-analyze verify "$CUNIT" >"$T/cverify.txt" 2>&1 && ok "systemd-analyze verify egressd-console.service: clean" ||
	bad "systemd-analyze verify console: $(head -5 "$T/cverify.txt")"
cscore=$(systemd-analyze security --offline=true "$CUNIT" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) \(.*\)/\1 \2/p')
[ -n "$cscore" ] && ok "systemd-analyze security egressd-console.service: $cscore" || bad "no console security score"
[ "$(stat -c %a /var/lib/egressd)" = 750 ] && ok "/var/lib/egressd is 0750" ||
	bad "/var/lib/egressd: $(stat -c %a /var/lib/egressd)"
UNIT=/lib/systemd/system/egressd.service
systemd-analyze verify "$UNIT" >"$T/verify.txt" 2>&1 && ok "systemd-analyze verify: clean" ||
	bad "systemd-analyze verify: $(head -5 "$T/verify.txt")"
score=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) \(.*\)/\1 \2/p')
[ -n "$score" ] && ok "systemd-analyze security: $score" || bad "no security score"

# 3. Run the installed egressd as the unit does, in the bed's host namespace.
pre=$(sed -n 's/^ExecStartPre=//p' "$UNIT")
start=$(sed -n 's/^ExecStart=//p' "$UNIT")
[ "$pre" = "/usr/sbin/egressd check-config" ] && [ "$start" = "/usr/sbin/egressd run" ] &&
	ok "the unit: ExecStartPre=$pre, ExecStart=$start" || bad "unexpected unit lines: '$pre' '$start'"
topo_up
ip netns exec "$NS_HOST" $pre >"$T/check.txt" 2>&1 && ok "ExecStartPre: $(cat "$T/check.txt")" ||
	bad "check-config: $(cat "$T/check.txt")"
mkdir -p /run/egressd # systemd's RuntimeDirectory=
ip netns exec "$NS_HOST" $start >"$T/egressd.log" 2>&1 &
epid=$!
wait_for "running in block mode" "$T/egressd.log" && wait_for "watching 1 container interface: br-egtest" "$T/egressd.log" &&
	ok "watching: $(grep -o 'watching 1 .*' "$T/egressd.log")" ||
	{ bad "the installed egressd does not watch br-egtest"; cat "$T/egressd.log"; }
ectl() { ip netns exec "$NS_HOST" /usr/bin/egressctl "$@"; }
ectl blacklist add www.example.com --note "package test" >/dev/null 2>&1 && ok "egressctl blacklist add (default socket)" ||
	bad "egressctl blacklist add"
C1="ip netns exec $NS_C1"
# In force when egressctl returns, unless still applying (a slow machine).
no_address() { $C1 dig +short +time=2 +tries=1 @"$DNS4" www.example.com A >"$T/dig.txt" 2>&1; [ ! -s "$T/dig.txt" ]; }
wait_until 10 "www.example.com to get no address" no_address
[ ! -s "$T/dig.txt" ] && ok "the operator's blacklisted name gets no address" ||
	bad "www.example.com resolved: $(cat "$T/dig.txt")"
$C1 curl -s -m 3 -o /dev/null --cacert "$CA" --resolve pool.supportxmr.com:443:203.0.113.80 \
	https://pool.supportxmr.com/ && bad "a mining pool's SNI (shipped list) was served" ||
	ok "a mining pool's SNI (shipped list) is stopped"
both_recorded() {
	ectl --json events >"$T/events.json" 2>&1
	/usr/bin/python3 - "$T/events.json" <<'PY' >"$T/ev.txt" 2>&1
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
subj = {e["subject"]: e for e in ev}
ok = "www.example.com" in subj and "pool.supportxmr.com" in subj
print(("ok " if ok else "bad ") + ", ".join(f'{e["subject"]} {e["action"]} {e.get("rule_category", "")}' for e in ev))
PY
	grep -q "^ok" "$T/ev.txt"
}
wait_until 10 "both events recorded" both_recorded
grep -q "^ok" "$T/ev.txt" && ok "recorded: $(cut -c4- "$T/ev.txt")" || bad "events: $(cat "$T/ev.txt")"

# 4. status and metrics.
ectl status >"$T/status.txt" 2>&1
grep -q "block mode" "$T/status.txt" && grep -q "watching:     br-egtest" "$T/status.txt" &&
	grep -q "mining-pools.txt" "$T/status.txt" && ok "egressctl status: $(head -1 "$T/status.txt")" ||
	{ bad "egressctl status"; cat "$T/status.txt"; }
# The counters are published once a second: poll for the first.
counted() {
	ectl --json status | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["counters"]["packets"] > 0 and d["interfaces"][0]["nports"] == 2' 2>/dev/null
}
wait_until 5 "status to count packets" counted &&
	ok "egressctl --json status: packets counted, br-egtest with its 2 ports" || bad "status --json"
ip netns exec "$NS_HOST" curl -s -m 3 http://127.0.0.1:9617/metrics >"$T/metrics.txt"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.txt" 2>&1 && ok "promtool check metrics: clean ($(grep -c '^egressd_' "$T/metrics.txt") samples)" ||
	bad "promtool: $(head -5 "$T/promtool.txt")"
cat >"$T/prom.yml" <<Y
global: { scrape_interval: 1s }
scrape_configs:
  - job_name: egressd
    static_configs: [ { targets: ["127.0.0.1:9617"] } ]
Y
ip netns exec "$NS_HOST" prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/prom" \
	--web.listen-address=127.0.0.1:9090 >"$T/prom.log" 2>&1 &
prom=$!
query() { # query EXPR: the first sample's value, or empty
	ip netns exec "$NS_HOST" curl -s -m 2 --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query |
		/usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
}
q='sum(egressd_packets_total)'
sampled() { v0=$(query "$q"); [ -n "$v0" ]; }
grew() { v1=$(query "$q"); [ -n "$v1" ] && [ "${v1%.*}" -gt "${v0%.*}" ] 2>/dev/null; }
v0= v1=
wait_until 60 "Prometheus's first sample of $q" sampled
for _ in $(seq 20); do $C1 dig +short +time=1 +tries=1 @"$DNS4" api.example.com >/dev/null; done
wait_until 60 "$q to grow" grew
[ -n "${v0:-}" ] && [ -n "${v1:-}" ] && [ "${v1%.*}" -gt "${v0%.*}" ] &&
	ok "Prometheus scraped egressd: $q went from $v0 to $v1 after 20 lookups" ||
	{ bad "Prometheus: $q ${v0:-none} -> ${v1:-none}"; tail -5 "$T/prom.log"; }
kill "$prom"; wait "$prom" 2>/dev/null; prom=

# 4b. The console as its unit runs it (user egressd-console and its
# groups, the default settings), with a user made as the README says.
echo "package-test-pass" | /usr/bin/egressctl console-user add op >/dev/null 2>&1 &&
	ok "egressctl console-user add op" || bad "console-user add"
cstart=$(sed -n 's/^ExecStart=//p' "$CUNIT")
ip netns exec "$NS_HOST" setpriv --reuid=egressd-console --regid=egressd-console --init-groups \
	--no-new-privs $cstart >"$T/console.log" 2>&1 &
cpid=$!
wait_for "listening on" "$T/console.log" 5
cget() { ip netns exec "$NS_HOST" curl -s -b "$T/jar" -c "$T/jar" "$@"; }
cget -H 'Content-Type: application/json' -d '{"username":"op","password":"package-test-pass"}' \
	http://127.0.0.1:8743/api/login >/dev/null
pending=$(cget http://127.0.0.1:8743/api/overview | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["overview"]["pending"])' 2>/dev/null)
[ "${pending:-0}" -ge 2 ] && ok "the installed console ($cstart, as egressd-console) logs in and shows $pending pending events" ||
	bad "installed console: pending '${pending:-}': $(cat "$T/console.log")"
kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null

# 5. Stop, purge: nothing left.
kill "$epid"; wait "$epid" 2>/dev/null; epid=
ip netns exec "$NS_HOST" dpkg --purge egressd >"$T/purge.log" 2>&1 && ok "dpkg --purge egressd" ||
	bad "purge: $(tail -3 "$T/purge.log")"
left=
for f in /usr/sbin/egressd /usr/bin/egressctl /usr/share/egressd /etc/egressd /var/lib/egressd \
	/lib/systemd/system/egressd.service /etc/logrotate.d/egressd /run/egressd \
	/usr/sbin/egressd-console /lib/systemd/system/egressd-console.service; do
	[ -e "$f" ] && left="$left $f"
done
tables=$(ip netns exec "$NS_HOST" nft list tables)
[[ $tables == *egressd* ]] && left="$left nft-tables"
dpkg -s egressd >/dev/null 2>&1 && left="$left dpkg-status"
[ -z "$left" ] && ok "purged: no file, no state, no nft table left" || bad "left after purge:$left"
exit $fail
