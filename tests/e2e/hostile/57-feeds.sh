# Feeds and list changes an operator can get wrong: a blacklist feed that
# would whitelist, an empty feed, a whole-internet network, 300 imports.
SOCK=$SEC/ctl.sock
ctl() { "$EGRESSCTL" --socket "$SOCK" "$@"; }
dig_c1() { ip netns exec "$NS_C1" dig +time=1 +tries=1 @"$DNS4" "$1"; }
# answers NAME PATTERN: the answer to NAME shows PATTERN within 60 s. A
# list change is in force when egressctl returns, unless it said "still
# applying" (a slow machine, the ASan build): polled, never slept on.
# 60 s: no shorter than the 30 tries of a 1 s lookup 0.5 s apart that it
# replaces took on a loaded machine (~51 s). Right after 50-flood, under
# ASan, c1's lookups of the blacklisted www.example.com were seen to go
# unanswered for 29 s to over 45 s (egressd saw each query; the resolver
# never did), with the old loop too.
answers() { wait_until 60 "the answer to $1 to show $2" answer_has "$1" "$2"; }
answer_has() { dig_c1 "$1" | grep >/dev/null "$2"; }
start_egressd --state-dir "$SEC/state" --socket "$SOCK" --mode block

ctl blacklist add www.example.com >/dev/null
printf '||ads.test^\n@@||www.example.com^\n' >"$SEC/adblock.txt"
ctl lists import "$SEC/adblock.txt" --format adblock --category ads >"$SEC/out" 2>&1
grep -q "1 allow rules ignored" "$SEC/out" && ok "an adblock feed's @@ rule is ignored and counted: $(cat "$SEC/out")" ||
	bad "adblock allow rule: $(cat "$SEC/out")"
printf '$TTL 300\n@ SOA localhost. root.localhost. 1 1h 15m 30d 2h\n NS localhost.\nwww.example.com CNAME rpz-passthru.\nrpz.bad.test CNAME .\n' >"$SEC/zone.rpz"
ctl lists import "$SEC/zone.rpz" --format rpz --category c2 >"$SEC/out" 2>&1
grep -q "1 allow rules ignored" "$SEC/out" && ok "an RPZ feed's rpz-passthru is ignored and counted" ||
	bad "rpz passthru: $(cat "$SEC/out")"
answers www.example.com NXDOMAIN && ok "the operator's blacklist entry still holds" ||
	bad "a feed whitelisted the operator's blacklisted name"
printf '||www.example.com^\n' >"$SEC/allow.txt"
ctl lists import "$SEC/allow.txt" --format adblock --category partners --whitelist >"$SEC/out" 2>&1 &&
	answers www.example.com 203.0.113.80 && ok "a feed imported --whitelist may whitelist" ||
	bad "whitelist import: $(cat "$SEC/out")"

printf '# nothing here\n\n' >"$SEC/empty.txt"
ctl lists import "$SEC/empty.txt" --format domains --category c2 >"$SEC/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "no entries" "$SEC/out" && ok "an empty feed is refused: $(cat "$SEC/out")" ||
	bad "empty feed: exit $rc $(cat "$SEC/out")"
mkfifo "$SEC/feed.fifo"
timeout 5 "$EGRESSCTL" --socket "$SOCK" lists import "$SEC/feed.fifo" --format domains --category c2 >"$SEC/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "not a regular file" "$SEC/out" && ok "egressctl refuses a FIFO feed at once: $(cat "$SEC/out")" ||
	bad "FIFO feed: exit $rc $(cat "$SEC/out")"
# A client that hands egressd a pipe (a writer that never ends) directly.
timeout 10 /usr/bin/python3 - "$SOCK" >"$SEC/out" 2>&1 <<'PY'; rc=$?
import array, os, socket, sys, time
r, w = os.pipe()
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
t0 = time.time()
msg = b'{"cmd":"lists_import","name":"pipe","format":"domains","category":"c2"}\n'
s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))])
s.shutdown(socket.SHUT_WR)
reply = s.makefile().read()
print("%.1f s %s" % (time.time() - t0, reply.strip()))
PY
[ $rc = 0 ] && grep -q "not a regular file" "$SEC/out" && ok "egressd refuses a pipe handed to it at once: $(cat "$SEC/out")" ||
	bad "pipe feed: exit $rc $(cat "$SEC/out")"

for p in 0.0.0.0/0 ::/0 10.0.0.0/7; do
	ctl blacklist add "$p" >"$SEC/out" 2>&1; rc=$?
	[ $rc = 1 ] && grep -q "too many addresses.*--force" "$SEC/out" && ok "blacklist add $p needs --force" ||
		bad "blacklist add $p: exit $rc $(cat "$SEC/out")"
done
ctl whitelist add '*.com' >"$SEC/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "top-level domain.*--force" "$SEC/out" && ok "whitelist add *.com needs --force" ||
	bad "whitelist add *.com: exit $rc $(cat "$SEC/out")"

t0=$(date +%s)
for i in $(seq 300); do
	printf 'feed%d.bad.test\n' "$i" >"$SEC/f.txt"
	ctl lists import "$SEC/f.txt" --format domains --category c2 --name "feed-$i" >/dev/null 2>&1 ||
		{ bad "import $i failed: $(ctl lists import "$SEC/f.txt" --format domains --category c2 --name "feed-$i" 2>&1)"; break; }
done
ok "300 imports in $(( $(date +%s) - t0 )) s"
answers feed300.bad.test NXDOMAIN && ok "the 300th feed applies" || bad "the 300th feed does not apply"
kill -0 "$pid" && ok "egressd is up after 300 imports" || bad "egressd died during the imports"
stop_egressd
start_egressd --state-dir "$SEC/state" --socket "$SOCK" --mode block
answers feed150.bad.test NXDOMAIN && ok "a restart with 300 imports works" || bad "restart with 300 imports"
stop_egressd
