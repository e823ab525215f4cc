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
# A long comment line is an error, never split into a setting of its own.
{ printf '# %01100d' 0; printf ' mode = alert\n'; } >"$T/long.conf"
refused "over-long line" 2 "long.conf:1: line longer than 1024 bytes" -- --config "$T/long.conf"
mkdir "$T/dir.conf"
refused "a directory as config" 2 "dir.conf: is a directory" -- --config "$T/dir.conf"
printf 'mode = block\nqueue = 1\nmode = alert\n' >"$T/dup.conf"
refused "a key set twice" 2 "dup.conf:3: 'mode' is set twice" -- --config "$T/dup.conf"
printf 'mark_mask = 0x00600000\nmark_allow = 0x00200000\nmark_block = 0x00200000\n' >"$T/marks.conf"
refused "colliding marks" 2 "marks.conf: mark_allow = 0x00200000 and mark_block = 0x00200000 share bits" -- --config "$T/marks.conf"
"$EGRESSD" check-config --config "$T/marks.conf" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "share bits" "$T/err" && echo "ok   check-config: colliding marks refused: $(cat "$T/err")" ||
	{ echo "FAIL check-config colliding marks: $rc $(cat "$T/err")"; fail=1; }
printf 'a.test\n' >"$T/a.txt"
printf '203.0.113.0/24\n' >"$T/b.txt"
printf 'blacklist = %s\nblacklist = %s\ncontainer_if = br0\ncontainer_if = br1\n' "$T/a.txt" "$T/b.txt" >"$T/rep.conf"
if "$EGRESSD" check-config --config "$T/rep.conf" >"$T/out" 2>"$T/err" &&
	grep -q "2 container interfaces, lists [0-9]* black" "$T/out"; then
	echo "ok   blacklist and container_if may repeat: $(cat "$T/out")"
else
	echo "FAIL repeatable keys: $(cat "$T/out" "$T/err")"; fail=1
fi
printf 'good.test\nbad..test\n' >"$T/bad.txt"
"$EGRESSD" check-config --config /dev/null --blacklist "$T/bad.txt" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "bad.txt:2: 'bad..test'" "$T/err" && echo "ok   check-config: a bad list with file and line" ||
	{ echo "FAIL check-config bad list: $rc $(cat "$T/err")"; fail=1; }
mkfifo "$T/fifo.conf"
t0=$(date +%s)
refused "a FIFO as config: refused at once" 2 "fifo.conf: not a regular file" -- --config "$T/fifo.conf"
[ $(( $(date +%s) - t0 )) -lt 3 ] || { echo "FAIL the FIFO config took $(( $(date +%s) - t0 )) s"; fail=1; }
refused "/dev/zero as config" 2 "/dev/zero: not a regular file" -- --config /dev/zero
if [ "$(id -u)" = 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$EGRESSD" run \
		--config "$HERE/../../etc/egressd.conf" 2>"$T/err"
	rc=$?
	[ $rc -eq 1 ] && grep -q "needs root" "$T/err" && echo "ok   unprivileged: $(cat "$T/err")" ||
		{ echo "FAIL unprivileged: $rc $(cat "$T/err")"; fail=1; }
	# A bad list is refused before the kernel is touched.
	printf 'good.test\nbad..test\n' >"$T/bl.txt"
	refused "bad list at start" 1 "bl.txt:2: 'bad..test' is neither a domain name" -- \
		--config /dev/null --state-dir "$T/state" --socket "$T/ctl.sock" --blacklist "$T/bl.txt"
	mkfifo "$T/fifo.txt"
	t0=$(date +%s)
	refused "a FIFO list: refused at once" 1 "fifo.txt: not a regular file" -- \
		--config /dev/null --state-dir "$T/state" --socket "$T/ctl.sock" --blacklist "$T/fifo.txt"
	[ $(( $(date +%s) - t0 )) -lt 3 ] || { echo "FAIL the FIFO list took $(( $(date +%s) - t0 )) s"; fail=1; }
	refused "/dev/zero as a list" 1 "/dev/zero: not a regular file" -- \
		--config /dev/null --state-dir "$T/state" --socket "$T/ctl.sock" --blacklist /dev/zero
fi
# Every setting egressd knows is documented in the shipped config and in
# egressd.conf(5) (written from it by scripts/make-conf-man.py).
SRC=$HERE/../..
missing=
for k in $(grep -o '\[K_[A-Z_]*\] = { "[a-z_]*"' "$SRC/src/config.c" | sed 's/.*"\(.*\)"/\1/'); do
	grep -qE "^#?$k =" "$SRC/etc/egressd.conf" || missing="$missing $k(conf)"
	grep -q "^\.B $k =" "$SRC/man/egressd.conf.5" || missing="$missing $k(man)"
done
[ -z "$missing" ] && echo "ok   every setting is in etc/egressd.conf and egressd.conf(5)" ||
	{ echo "FAIL undocumented settings:$missing"; fail=1; }
exit $fail
