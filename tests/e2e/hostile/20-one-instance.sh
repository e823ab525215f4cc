# One egressd per network namespace and state dir. A second instance is
# refused with a clear message before it touches the ruleset or the
# socket; a queue another program holds is refused before the ruleset is
# touched; --socket never removes what is not a socket.
SOCK=$SEC/ctl.sock
H="ip netns exec $NS_HOST"
ruleset_sum() { $H nft list ruleset 2>/dev/null | md5sum | cut -d' ' -f1; }
second() { # second [flags...]: runs a second egressd, prints its exit status
	timeout 10 $H "$EGRESSD" run --config /dev/null --container-if "$BRIDGE" \
		--ruleset "$ROOT/nft/egressd.nft" "$@" >"$SEC/second.log" 2>&1
	echo $?
}
start_egressd --state-dir "$SEC/state" --socket "$SOCK" --mode block
before=$(ruleset_sum)
sock_ino=$(stat -c %i "$SOCK")

rc=$(second --state-dir "$SEC/state2" --socket "$SEC/ctl2.sock")
[ "$rc" = 1 ] && grep -q "another egressd runs in this network namespace" "$SEC/second.log" &&
	ok "a second instance in the same namespace is refused: $(head -1 "$SEC/second.log")" ||
	bad "second instance (other state dir): exit $rc: $(cat "$SEC/second.log")"
rc=$(second --state-dir "$SEC/state" --socket "$SOCK")
[ "$rc" = 1 ] && grep -q "another egressd" "$SEC/second.log" &&
	ok "...and with the same state dir and socket: $(head -1 "$SEC/second.log")" ||
	bad "second instance (same state dir): exit $rc: $(cat "$SEC/second.log")"
[ "$(ruleset_sum)" = "$before" ] && ok "the ruleset was not touched" || bad "the ruleset changed"
[ -S "$SOCK" ] && [ "$(stat -c %i "$SOCK")" = "$sock_ino" ] &&
	ok "the socket was not replaced" || bad "the socket was replaced or removed"
"$EGRESSCTL" --socket "$SOCK" blacklist add other.example.net >/dev/null 2>&1
ip netns exec "$NS_C1" dig +time=1 +tries=1 @"$DNS4" other.example.net | grep >/dev/null NXDOMAIN &&
	ok "the first instance still enforces what the operator adds" ||
	bad "the first instance does not enforce the operator's entry"
kill -0 "$pid" && ok "the first instance is up" || bad "the first instance died"
stop_egressd

# A state dir in use by an egressd of another namespace (its lock held,
# here by this shell).
exec 9>>"$SEC/state/egressd.lock"
flock -n 9
rc=$(second --state-dir "$SEC/state" --socket "$SEC/ctl3.sock")
exec 9>&-
[ "$rc" = 1 ] && grep -q "uses the state dir" "$SEC/second.log" &&
	ok "a state dir locked by another egressd is refused: $(head -1 "$SEC/second.log")" ||
	bad "locked state dir: exit $rc: $(cat "$SEC/second.log")"

# A queue another program holds: refused before the ruleset is touched.
$H nft delete table inet egressd 2>/dev/null
$H "$ROOT/build/tests/nfq_accept" --queue 0 >"$SEC/nfq.log" 2>&1 &
nfq=$!
wait_for "reading queue 0" "$SEC/nfq.log" || bad "test bed: nfq_accept did not bind queue 0: $(cat "$SEC/nfq.log")"
rc=$(second --state-dir "$SEC/state" --socket "$SOCK")
[ "$rc" = 1 ] && grep -q "NFQUEUE 0 is bound by another program" "$SEC/second.log" &&
	ok "a queue held by another program is refused: $(head -1 "$SEC/second.log")" ||
	bad "held queue: exit $rc: $(cat "$SEC/second.log")"
$H nft list table inet egressd >/dev/null 2>&1 && bad "the ruleset was loaded anyway" ||
	ok "...before the ruleset was loaded"
kill "$nfq" 2>/dev/null
wait "$nfq" 2>/dev/null

# --socket at a path that holds a file: refused, the file kept.
echo "precious" >"$SEC/not-a-socket"
rc=$(second --state-dir "$SEC/state" --socket "$SEC/not-a-socket")
[ "$rc" = 1 ] && grep -q "exists and is not a socket" "$SEC/second.log" &&
	[ "$(cat "$SEC/not-a-socket")" = precious ] &&
	ok "--socket at a regular file: refused, the file kept" ||
	bad "--socket at a file: exit $rc: $(cat "$SEC/second.log")"
