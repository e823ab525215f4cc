#!/usr/bin/env bash
# egressctl's arguments: a value it cannot mean is a usage error (exit 2)
# before anything is sent; no daemon needed (the socket does not exist).
set -uo pipefail
fail=0
S=/nonexistent/egressd.sock
usage_err() { # usage_err NAME ARGS...: exit 2
	local name=$1 rc
	shift
	"$EGRESSCTL" --socket "$S" "$@" >/dev/null 2>&1
	rc=$?
	[ $rc = 2 ] && echo "ok   $name: exit 2" || { echo "FAIL $name: exit $rc, want 2"; fail=1; }
}
usage_err "events --limit 2m" events --limit 2m
usage_err "events --limit -1" events --limit -1
usage_err "events --limit 1e3" events --limit 1e3
usage_err "events --offset x" events --offset x
usage_err "events --since 1e300" events --since 1e300
usage_err "events --since 7x" events --since 7x
usage_err "events --from 1e300" events --from 1e300
usage_err "events show 1.5" events show 1.5
usage_err "events show abc" events show abc
usage_err "events show 0" events show 0
usage_err "an unknown command" bogus
usage_err "containers with an argument" containers extra
usage_err "lists with a stray word" lists foo
usage_err "console-user add without a name" console-user add
usage_err "console-user add with a bad name" console-user add 'Bad Name' --users-file /nonexistent/u
usage_err "console-user with an unknown action" console-user rename x
# Help comes from the verb table: every command, each with its lines.
help=$("$EGRESSCTL" help) && [ "$("$EGRESSCTL" events --help | head -1 | awk '{print $1}')" = events ] &&
	"$EGRESSCTL" help isolate | grep >/dev/null "isolate CONTAINER" &&
	ok_help=1
for v in status containers image isolate unisolate events blacklist whitelist lists audit console-user version; do
	[[ $help == *"  $v"* ]] || ok_help=
	# and egressctl(8) documents it
	grep >/dev/null -w "^\.B $v\|^\.BI \"\?$v\|^\.B $v " "$(dirname "$0")/../../man/egressctl.8" ||
		{ echo "FAIL egressctl(8) lacks $v"; fail=1; }
done
[ -n "${ok_help:-}" ] && echo "ok   help and COMMAND --help come from the verb table (every command listed)" ||
	{ echo "FAIL help: $help"; fail=1; }
# Good values get past the parser: the error is then the missing socket.
"$EGRESSCTL" --socket "$S" events --limit 20 --since 2d >/dev/null 2>&1
rc=$?
[ $rc = 1 ] && echo "ok   events --limit 20 --since 2d: parsed (exit 1: no daemon)" ||
	{ echo "FAIL events --limit 20 --since 2d: exit $rc"; fail=1; }
exit $fail
