#!/usr/bin/env bash
# egressd run refuses bad configuration clearly, before touching the kernel.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
EGRESSD=${EGRESSD:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

refused() { # refused NAME WANT_RC WANT_TEXT -- ARGS...
	local name=$1 want=$2 text=$3 rc
	shift 4
	"$EGRESSD" run "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq "$want" ] && grep -qF -- "$text" "$T/err"; then
		echo "ok   $name: $(cat "$T/err")"
	else
		echo "FAIL $name: exit $rc, $(cat "$T/err")"
		fail=1
	fi
}

printf 'mode = block\nqueue = 5-2\n' >"$T/a.conf"
refused "bad value, with file and line" 2 "a.conf:2: bad value '5-2' for queue" -- --config "$T/a.conf"
printf '# ok\nbogus = 1\n' >"$T/b.conf"
refused "unknown key" 2 "b.conf:2: unknown setting 'bogus'" -- --config "$T/b.conf"
printf 'mode block\n' >"$T/c.conf"
refused "no '='" 2 "c.conf:1: expected 'key = value'" -- --config "$T/c.conf"
refused "bad flag value" 2 "--mode: bad value 'sideways'" -- --config "$HERE/../../etc/egressd.conf" --mode sideways
refused "missing config file" 2 "No such file" -- --config "$T/none.conf"
printf 'container_if = br0"; flush ruleset\n' >"$T/d.conf"
refused "interface names are checked" 2 "bad value" -- --config "$T/d.conf"
if [ "$(id -u)" = 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$EGRESSD" run \
		--config "$HERE/../../etc/egressd.conf" 2>"$T/err"
	rc=$?
	[ $rc -eq 1 ] && grep -q "needs root" "$T/err" && echo "ok   unprivileged: $(cat "$T/err")" ||
		{ echo "FAIL unprivileged: $rc $(cat "$T/err")"; fail=1; }
	# A bad list is refused before the kernel is touched.
	printf 'good.test\nbad..test\n' >"$T/bl.txt"
	refused "bad list at start" 1 "bl.txt:2: 'bad..test' is not a valid domain name" -- \
		--config /dev/null --blacklist "$T/bl.txt"
fi
exit $fail
