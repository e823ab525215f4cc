#!/usr/bin/env bash
# egressd replay and egressctl lists check, as a user runs them: verdicts
# over real captures, and clear errors for bad input.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CAP=$HERE/../data/captures
LISTS=$HERE/../data/lists
EGRESSD=${EGRESSD:?} EGRESSCTL=${EGRESSCTL:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

check() { # check NAME COMMAND... : the command must succeed
	local name=$1
	shift
	if "$@" >"$T/out" 2>&1; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		sed 's/^/     /' "$T/out" | head -20
		fail=1
	fi
}

# field KIND JQ-ish: prints "verdict pattern" of the first line of KIND
verdict_of() { # verdict_of KIND FILE
	python3 - "$1" "$2" <<'PY'
import json, sys
for l in open(sys.argv[2]):
    o = json.loads(l)
    if o["kind"] == sys.argv[1]:
        r = o.get("rule") or {}
        print(o["verdict"], r.get("list", "-"), r.get("pattern", "-"),
              r.get("category", "-"), r.get("matched", "-"))
        break
PY
}

expect_verdict() { # expect_verdict NAME KIND WANT -- replay args...
	local name=$1 kind=$2 want=$3
	shift 4
	"$EGRESSD" replay --json "$@" >"$T/r.json" 2>"$T/r.err" || {
		echo "FAIL $name: exit $? $(cat "$T/r.err")"
		fail=1
		return
	}
	got=$(verdict_of "$kind" "$T/r.json")
	if [ "$got" = "$want" ]; then
		echo "ok   $name ($got)"
	else
		echo "FAIL $name: got '$got', want '$want'"
		fail=1
	fi
}

printf '# egressd-category: c2\n*.cdn.test\n' >"$T/cdn.txt"
printf 'www.shop.test\n' >"$T/white.txt"
printf '203.0.113.80\n' >"$T/ip.txt"

expect_verdict "CNAME target on a wildcard blocks the answer" dns \
	"block black *.cdn.test c2 shop.cdn.test" -- \
	--pcap "$CAP/tls-curl-cname.pcap" --blacklist "$T/cdn.txt"
expect_verdict "names from the capture's DNS answer judge the TLS flow" tls \
	"block black *.cdn.test c2 shop.cdn.test" -- \
	--pcap "$CAP/tls-curl-cname.pcap" --blacklist "$T/cdn.txt"
expect_verdict "whitelist beats blacklist" tls \
	"allow white www.shop.test custom www.shop.test" -- \
	--pcap "$CAP/tls-curl-cname.pcap" --blacklist "$T/cdn.txt" \
	--whitelist "$T/white.txt"
expect_verdict "hard-coded IP on an IP list" tls \
	"block black 203.0.113.80 custom 203.0.113.80" -- \
	--pcap "$CAP/tls-curl-resolve.pcap" --blacklist "cidr:$T/ip.txt"
printf '0.0.0.0 other.example.net\n' >"$T/sni-hosts.txt"
expect_verdict "SNI on a hosts list" tls \
	"block black other.example.net custom other.example.net" -- \
	--pcap "$CAP/tls-openssl-sni.pcap" --blacklist "$T/sni-hosts.txt"
printf '||example.com^\n' >"$T/adb.txt"
expect_verdict "HTTP Host on an AdBlock rule (name and subdomains)" http \
	"block black *.example.com custom api.example.com" -- \
	--pcap "$CAP/http-curl-host.pcap" --blacklist "$T/adb.txt"
expect_verdict "no match is 'none'" dns "none - - - -" -- \
	--pcap "$CAP/dns-dig-a.pcap" --blacklist "$T/cdn.txt"

# A capture cut in the middle of a record: clear error, exit status 2.
head -c 3000 "$CAP/tls-chromium.pcap" >"$T/cut.pcap"
"$EGRESSD" replay --pcap "$T/cut.pcap" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "corrupt capture" "$T/err"; then
	echo "ok   truncated capture: exit 2, $(cat "$T/err")"
else
	echo "FAIL truncated capture: exit $rc, $(cat "$T/err")"
	fail=1
fi
printf 'not a pcap at all\n' >"$T/junk.pcap"
"$EGRESSD" replay --pcap "$T/junk.pcap" >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && echo "ok   not a capture: exit 2" || { echo "FAIL junk: $rc"; fail=1; }

# A bad list line: file and line named, nothing loaded, exit 2.
"$EGRESSD" replay --pcap "$CAP/dns-dig-a.pcap" --blacklist "$LISTS/bad-line.txt" \
	>"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "bad-line.txt:3: 'bad..test'" "$T/err" && [ ! -s "$T/out" ]; then
	echo "ok   bad list line refused: $(cat "$T/err")"
else
	echo "FAIL bad list line: exit $rc $(cat "$T/err")"
	fail=1
fi

# egressctl lists check on every shipped example format.
for f in domains.txt hosts.txt adblock.txt rpz.zone drop.txt drop.json; do
	check "lists check $f" "$EGRESSCTL" lists check --strip-bogons "$LISTS/$f"
done
"$EGRESSCTL" lists check --strip-bogons "$LISTS/drop.txt" | grep >/dev/null "1 stripped" &&
	echo "ok   bogon 10.0.0.0/8 stripped from a DROP list" ||
	{ echo "FAIL bogon not stripped"; fail=1; }
"$EGRESSCTL" lists check "$LISTS/bad-line.txt" 2>"$T/err" >/dev/null
rc=$?
[ $rc -eq 1 ] && grep -q ":3:" "$T/err" && echo "ok   lists check names the bad line" ||
	{ echo "FAIL lists check bad line: $rc"; fail=1; }
exit $fail
