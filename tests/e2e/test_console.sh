#!/usr/bin/env bash
# End to end: the browser console as an operator and an attacker meet it.
# egressd in block mode on the namespace test bed; egressd-console as an
# unprivileged user (nobody, group egressd) and headless Chromium in a
# namespace of their own with loopback only; the browser test
# (tests/browser/console_test.py) walks every screen and checks the network
# effect of whitelisting and isolation; curl checks what a browser cannot
# show: the rate limit, body limits, TLS, a path outside the UI, egressd
# down. Needs root.
set -uo pipefail
export P=con-
. "$(dirname "$0")/lib.sh"
CONSOLE=${CONSOLE:-$ROOT/build/egressd-console}
SOCK=$S/ctl.sock
NS_BR=${P}br
URL=http://127.0.0.1:8743
cpid= cpid2=
console_cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
	[ -n "$cpid2" ] && kill "$cpid2" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS_BR" 2>/dev/null
	rm -rf "/etc/netns/$NS_BR"
}
CLEANUP_EXTRA=console_cleanup
topo_up
C1="ip netns exec $NS_C1" C2="ip netns exec $NS_C2" BR="ip netns exec $NS_BR"
ctl() { "$EGRESSCTL" --socket "$SOCK" "$@"; }
jq_() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
expect_eq() { [ "$2" = "$3" ] && ok "$1 ($2)" || bad "$1: got '$2', want '$3'"; }

# The browser's namespace: loopback only, and a resolver that is a test
# address (nothing it asks can leave).
ip netns add "$NS_BR"
$BR ip link set lo up
mkdir -p "/etc/netns/$NS_BR"
echo "nameserver 192.0.2.53" >"/etc/netns/$NS_BR/resolv.conf"

printf '# egressd-category: c2\nother.example.net\n*.evil.test\n' >"$S/c2.txt"
printf '# egressd-category: mining-pool\n*.pool.test\n' >"$S/mining.txt"
start_egressd --mode block --socket "$SOCK" --blacklist "$S/c2.txt" \
	--blacklist "$S/mining.txt"

# Events: more than a page (50), with different counts, and one whose
# command line holds markup.
for i in $(seq 1 55); do $C1 dig +time=1 +tries=1 "h$i.evil.test" >/dev/null 2>&1; done
for _ in 1 2 3; do $C1 dig +time=1 +tries=1 x.evil.test >/dev/null 2>&1; done
$C1 dig +time=1 +tries=1 m1.pool.test >/dev/null 2>&1
$C1 dig +time=1 +tries=1 other.example.net >/dev/null 2>&1
$C2 sh -c 'dig +time=1 +tries=1 y.pool.test; : "<img src=x onerror=window.__pwned=1>"' >/dev/null 2>&1
n=0
for _ in $(seq 100); do
	n=$(ctl --json events --limit 1000 | jq_ 'len(d["events"])')
	[ "${n:-0}" -ge 58 ] && break
	sleep 0.1
done
[ "${n:-0}" -ge 58 ] && ok "events recorded ($n)" || bad "events recorded: $n, want >= 58"

# The console: its own unprivileged user in group egressd.
grp=$(getent group egressd | cut -d: -f3)
[ -n "$grp" ] || { groupadd --system egressd && grp=$(getent group egressd | cut -d: -f3); }
chmod 0711 "$S"
console_user_new
run_console() { # run_console LOG [flags...]
	local log=$1
	shift
	$BR setpriv --reuid=65534 --regid=65534 --groups="$grp" --no-new-privs \
		--inh-caps=-all --bounding-set=-all "$CONSOLE" --config /dev/null \
		--socket "$SOCK" --users-file "$S/users" --www "$ROOT/www/console" \
		"$@" >"$log" 2>&1 &
}
run_console "$S/console.log"
cpid=$!
for _ in $(seq 50); do grep >/dev/null "listening on" "$S/console.log" && break; sleep 0.1; done
grep >/dev/null "listening on" "$S/console.log" && ok "console listens on $URL" ||
	bad "console: $(cat "$S/console.log")"
cpid_real=$(pgrep -n -f "egressd-console --config /dev/null")
st=$(grep -E "^(Uid|CapEff|NoNewPrivs)" "/proc/$cpid_real/status" | awk '{print $2}' | tr '\n' ' ')
expect_eq "console runs as nobody, no capability, no new privileges" "$st" "65534 0000000000000000 1 "

# ---- what a browser does ----
shots=${CONSOLE_SCREENSHOTS_DIR:-$S/shots}
mkdir -p "$shots"
ok_net="$C1 curl -sf -m 3 --cacert $CA https://www.example.com/ >/dev/null"
if $BR /usr/bin/python3 "$ROOT/tests/browser/console_test.py" --url "$URL/" --user op \
	--password-file "$S/pass" --egressctl "$EGRESSCTL" --socket "$SOCK" \
	--screenshots "$shots" --container "$NS_C1" --whitelist-domain other.example.net \
	--after-whitelist "test \"\$($C1 dig +short +time=2 +tries=1 other.example.net)\" = 203.0.113.81" \
	--after-isolate "! $ok_net" --after-unisolate "$ok_net" >"$S/browser.log" 2>&1; then
	ok "browser: $(grep -c '^ok - ' "$S/browser.log") checks passed"
else
	bad "browser: $(grep -c '^not ok - ' "$S/browser.log") checks failed:"
	grep -E "^not ok|Traceback|Error" "$S/browser.log" | head -20
fi
grep -E "^(ok|not ok|# skip) " "$S/browser.log" | sed 's/^/    /'
# A skipped check is a required one not run: only the image page may be
# (this bed has no images; test_docker.sh runs it against dockerd's).
skips=$(grep "^# skip" "$S/browser.log" | grep -v "^# skip the image page:")
[ -z "$skips" ] && ok "no browser check skipped but the image page (test_docker.sh)" ||
	bad "browser checks skipped: $skips"
n=$(ls "$shots"/*.png 2>/dev/null | wc -l)
[ "$n" -ge 8 ] && ok "screenshots: $n in $shots" || bad "screenshots: $n"

# The audit names the console user who acted, beside the uid.
users=$(ctl --json audit --limit 200 | jq_ '" ".join(sorted({a["user"] for a in d["audit"]}))')
[[ " $users " == *" op "* ]] && ok "audit names the console user (users: '$users')" ||
	bad "audit users: '$users'"

# ---- what a browser cannot show ----
api() { $BR curl -s -o "$S/body" -w '%{http_code}' "$@"; }
code=$(api "$URL/api/overview")
expect_eq "the API without a session" "$code" 401
for i in 1 2 3 4 5; do
	api -H 'Content-Type: application/json' -d '{"username":"op2","password":"wrong"}' \
		"$URL/api/login" >/dev/null
done
code=$(api -D "$S/head" -H 'Content-Type: application/json' \
	-d '{"username":"op2","password":"wrong"}' "$URL/api/login")
expect_eq "the 6th failed login of a name within 5 min is refused" "$code" 429
grep -i "^retry-after: [0-9]" "$S/head" >/dev/null && ok "with Retry-After" || bad "no Retry-After"
code=$(api -H 'Content-Type: application/json' -d "{\"username\":\"op\",\"password\":\"$PASS\"}" \
	-c "$S/jar" "$URL/api/login")
expect_eq "the real user still logs in" "$code" 200
csrf=$(jq_ 'd["csrf"]' <"$S/body")
code=$(api -H 'Content-Type: text/plain' -d "{\"username\":\"op\",\"password\":\"$PASS\"}" "$URL/api/login")
expect_eq "a login that is not JSON (a form of another site)" "$code" 400
head -c $((1100 * 1024)) /dev/zero | tr '\0' 'a' >"$S/big"
code=$(api -b "$S/jar" -H "X-CSRF-Token: $csrf" --data-binary @"$S/big" "$URL/api/blacklist")
expect_eq "a body over 1 MiB" "$code" 413
code=$(api -b "$S/jar" -H "X-CSRF-Token: $csrf" -H "Origin: http://evil.example" \
	-d '{"patterns":["z.test"]}' "$URL/api/blacklist")
expect_eq "a state change from another origin, token and all" "$code" 403
code=$(api -b "$S/jar" -H "X-CSRF-Token: $csrf" -d '{"patterns":[' "$URL/api/blacklist")
expect_eq "a malformed body" "$code" 400
code=$(api -H "Host: rebind.example:8743" -H 'Content-Type: application/json' \
	-d "{\"username\":\"op\",\"password\":\"$PASS\"}" "$URL/api/login")
expect_eq "a name that rebinds to the console (DNS rebinding)" "$code" 421
code=$(api --path-as-is "$URL/static/../../../etc/passwd")
expect_eq "a path outside the UI's folder" "$code" 404
code=$(api -b "$S/jar" "$URL/api/events?limit=2m")
expect_eq "a bad number in a query" "$code" 400
code=$(api -b "$S/jar" "$URL/api/events?limit=1000&sort=-count")
top=$(jq_ 'd["events"][0]["subject"] + " " + str(d["total"])' <"$S/body")
[ "$code" = 200 ] && [[ $top == "x.evil.test "* ]] && ok "events sorted by count, with the total ($top)" ||
	bad "sort by count: $code $top"
code=$(api -b "$S/jar" -D "$S/head" "$URL/api/events.csv")
rows=$(($(wc -l <"$S/body") - 1))
want=$(ctl --json events --limit 1000 | jq_ 'len(d["events"])')
[ "$code" = 200 ] && [ "$rows" = "$want" ] && grep -i "^content-disposition: attachment" "$S/head" >/dev/null &&
	ok "CSV export: $rows rows, as egressctl lists" || bad "CSV export: $code, $rows rows, want $want"
# TLS: refused beyond loopback without it; served with it.
$BR ip addr add 198.18.0.1/32 dev lo
run_console "$S/console2.log" --listen 198.18.0.1:8443
cpid2=$!
wait "$cpid2"
rc=$?
cpid2=
[ "$rc" = 1 ] && grep >/dev/null "tls_cert" "$S/console2.log" &&
	ok "a non-loopback address without TLS is refused: $(cat "$S/console2.log")" ||
	bad "listen without TLS: rc $rc $(cat "$S/console2.log")"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=console.test \
	-addext subjectAltName=IP:198.18.0.1 -keyout "$S/key.pem" -out "$S/cert.pem" 2>/dev/null
chmod 0644 "$S/key.pem" "$S/cert.pem"
run_console "$S/console3.log" --listen 198.18.0.1:8443 --tls-cert "$S/cert.pem" --tls-key "$S/key.pem"
cpid2=$!
for _ in $(seq 50); do grep >/dev/null "listening on" "$S/console3.log" && break; sleep 0.1; done
code=$($BR curl -s -o "$S/body" -D "$S/head" -w '%{http_code}' --cacert "$S/cert.pem" \
	-H 'Content-Type: application/json' -d "{\"username\":\"op\",\"password\":\"$PASS\"}" \
	https://198.18.0.1:8443/api/login)
[ "$code" = 200 ] && grep -i "^set-cookie:.*; Secure" "$S/head" >/dev/null &&
	grep -i "^strict-transport-security:" "$S/head" >/dev/null &&
	ok "over TLS: a login, a Secure cookie and HSTS" || bad "TLS login: $code $(cat "$S/console3.log")"
code=$($BR curl -s -o /dev/null -w '%{http_code}' http://198.18.0.1:8443/ 2>/dev/null)
[ "$code" != 200 ] && ok "no clear text on the TLS port ($code)" || bad "clear text served on the TLS port"
# egressd gone: a clear error, not a hang.
stop_egressd
code=$(api -m 10 -b "$S/jar" "$URL/api/overview")
err=$(jq_ 'd["error"]' <"$S/body" 2>/dev/null)
expect_eq "egressd down: 502 with a reason ($err)" "$code" 502
exit $fail
