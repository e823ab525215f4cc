# Look-alike namespaces: ifindexes repeat across network namespaces, so a
# namespace can hold a veth whose own ifindex and IFLA_LINK equal those of
# c1's pair (c1's eth0 and its host port) while its peer is elsewhere:
#   lk-same  its peer in the same namespace (no IFLA_LINK_NETNSID)
#   lk-far   its peer in another namespace (lk-farp)
#   lk-forge like lk-far, and it has an nsid for the host namespace too
# None of them is on our bridge: none is listed there, isolating one is
# refused and does not cut c1 off, and c1's events name c1. c1 keeps its
# port. Every namespace made here is removed on exit.
SOCK=$SEC/ctl.sock
ctl() { "$EGRESSCTL" --socket "$SOCK" "$@"; }
LK=() # look-alikes (listed as containers by name)
MADE=() # every namespace made here
# (The runner stops egressd before this subshell exits: undoing an
# isolation the old code did is at the end, while egressd runs.)
trap 'for n in "${MADE[@]}"; do ip netns del "$n" 2>/dev/null; done' EXIT
mkns() { ip netns add "$1" && MADE+=("$1") && ip -n "$1" link set lo up; }
linkinfo() { # linkinfo NS DEV FIELD : a field of ip -j link
	ip -j -n "$1" link show dev "$2" |
		/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[0].get('$3', ''))"
}
HIDX=$(linkinfo "$NS_HOST" "$VETH_C1" ifindex) # c1's port
CIDX=$(linkinfo "$NS_HOST" "$VETH_C1" link_index) # c1's eth0 (in c1)
[ -n "$HIDX" ] && [ -n "$CIDX" ] || { bad "no ifindexes for $VETH_C1"; exit 1; }

# The look-alike's eth0: ifindex CIDX, its IFLA_LINK HIDX, up, with c1's
# addresses (a lookup by address must not name it either).
lk_finish() {
	ip -n "$1" link set eth0 up
	ip -n "$1" addr add "$IP_C1/24" dev eth0
	LK+=("$1")
}
lk_same() {
	mkns "$1" && ip -n "$1" link add eth0 index "$CIDX" type veth peer name lx index "$HIDX" &&
		ip -n "$1" link set lx up && lk_finish "$1"
}
lk_far() {
	mkns "$1" && mkns "$1p" &&
		ip -n "$1p" link add lx index "$HIDX" type veth peer name eth0 index "$CIDX" netns "$1" &&
		ip -n "$1p" link set lx up && lk_finish "$1"
}
lk_same "${P}lk-same" || bad "could not make ${P}lk-same"
lk_far "${P}lk-far" || bad "could not make ${P}lk-far"
lk_far "${P}lk-forge" || bad "could not make ${P}lk-forge"
ip -n "${P}lk-forge" netns set "$NS_HOST" 7 || bad "could not assign an nsid to $NS_HOST in ${P}lk-forge"
[ "$(linkinfo "${P}lk-far" eth0 ifindex):$(linkinfo "${P}lk-far" eth0 link_index)" = "$CIDX:$HIDX" ] &&
	ok "look-alikes: eth0 is ifindex $CIDX with IFLA_LINK $HIDX, as c1's" ||
	bad "look-alike indexes: $(ip -n "${P}lk-far" -o link show eth0)"

# The namespace source lists in directory order and the first container on
# a port names its events: make sure a look-alike comes before c1 (ext4
# hashes names, so add some until one does).
before_c1() {
	local n
	# shellcheck disable=SC2045 # directory order is the point (globs sort)
	for n in $(ls -f /run/netns); do
		[ "$n" = "$NS_C1" ] && return 1
		[[ " ${LK[*]} " == *" $n "* ]] && { echo "$n"; return 0; }
	done
	return 1
}
for i in 1 2 3 4 5 6 7 8; do
	first=$(before_c1) && break
	lk_same "${P}lk-same$i" || bad "could not make ${P}lk-same$i"
done
[ -n "${first:-}" ] && echo "note: $first is listed before $NS_C1 in /run/netns" ||
	echo "note: no look-alike before $NS_C1 in /run/netns: the event check is weaker"

printf 'other.example.net\n' >"$SEC/black.txt"
start_egressd --state-dir "$SEC/state" --socket "$SOCK" --blacklist "$SEC/black.txt"

# 1. The list: c1 on its port, no look-alike on any port.
ctl --json containers >"$SEC/list.json" 2>&1
onport=$(/usr/bin/python3 - "$SEC/list.json" "$VETH_C1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(c["name"] for c in d["containers"] if c["veth"] == sys.argv[2]))
PY
)
[ "$onport" = "$NS_C1" ] && ok "containers: only $NS_C1 on $VETH_C1" ||
	bad "containers on $VETH_C1: '$onport' (want '$NS_C1')"
listed=$(/usr/bin/python3 - "$SEC/list.json" "${MADE[@]}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(f'{c["name"]}@{c["veth"]}' for c in d["containers"] if c["name"] in sys.argv[2:]))
PY
) || listed="(no list: $(head -c 200 "$SEC/list.json"))"
[ -z "$listed" ] && ok "containers: no look-alike listed (${#MADE[@]} namespaces)" ||
	bad "look-alikes listed: $listed"

web() { ip netns exec "$NS_C1" curl -sf -m 2 -o /dev/null http://203.0.113.80/; }
web && ok "c1 reaches http://203.0.113.80/ before" || bad "c1 cannot reach the web before any isolate"

# 2. An event from c1 names c1 (before any isolate attempt: c1 must be up).
ip netns exec "$NS_C1" curl -s -m 3 -o /dev/null http://other.example.net/ \
	--resolve other.example.net:80:203.0.113.81
names=
named() {
	names=$(ctl --json events --domain other.example.net 2>/dev/null | /usr/bin/python3 -c '
import json, sys
print(" ".join(sorted({e.get("container_name", "?") for e in json.load(sys.stdin)["events"]})))' 2>/dev/null)
	[ -n "$names" ]
}
wait_until 10 "the event from c1" named
[ "$names" = "$NS_C1" ] && ok "the event from c1 names $NS_C1" ||
	bad "the event from c1 names '$names' (want '$NS_C1')"

# 3. Isolating a look-alike is refused and c1 is not cut off.
for n in "${LK[@]}"; do
	if ctl isolate "$n" --note "look-alike" >"$SEC/out" 2>&1; then
		bad "isolate $n was done: $(cat "$SEC/out")"
	else
		ok "isolate $n refused: $(head -1 "$SEC/out")"
	fi
done
web && ok "c1 still reaches http://203.0.113.80/ after the isolate attempts" ||
	bad "c1 cut off by isolating a look-alike"
sets=$(ip netns exec "$NS_HOST" nft list ruleset 2>&1)
grep -q "$VETH_C1" <<<"$sets" && bad "$VETH_C1 is in an isolation set" ||
	{ grep -q "isolated_ports" <<<"$sets" && ok "$VETH_C1 in no isolation set" ||
		bad "no isolation sets in the host namespace: $(head -3 <<<"$sets")"; }

# 4. The isolate path's check, on fresh dumps (build/tests/inv_probe in
#    the host namespace prints 0 or the errno name): c1's namespace is on
#    its port; a look-alike's is on none (ENOENT); c2's is on another
#    (ESTALE), and so is c1's when asked about c2's port.
PROBE=$ROOT/build/tests/inv_probe
probe() { # probe WANT NETNS VETH
	local got
	got=$(ip netns exec "$NS_HOST" "$PROBE" "$BRIDGE" "/run/netns/$2" "$3" 2>&1)
	[ "$got" = "$1" ] && ok "verify $2 on $3: $got" || bad "verify $2 on $3: '$got', want $1"
}
probe 0 "$NS_C1" "$VETH_C1"
for ns in "${P}lk-same" "${P}lk-far" "${P}lk-forge"; do probe ENOENT "$ns" "$VETH_C1"; done
probe ESTALE "$NS_C2" "$VETH_C1"
probe ESTALE "$NS_C1" "$VETH_C2"

# Undo whatever an isolate did (the kernel keeps it after egressd stops).
for n in "${LK[@]}"; do ctl unisolate "$n" >/dev/null 2>&1; done
