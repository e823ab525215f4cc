#!/usr/bin/env bash
# End to end with a real containerd (Debian's, as Docker and Kubernetes
# nodes run it): a task started with `ctr run` in a network namespace wired
# to the test bed's bridge, as a CNI plugin would. egressd finds it from
# its OCI bundle, names it in events with its process, and isolates it by
# id. Then a task on the host's network (`ctr run --net-host`: no network
# namespace in its config, as a pod's hostNetwork): found by the kernel's
# word (its namespace is egressd's), its connection to a blacklisted
# address blocked by its sockets' cgroup, named in the event with its
# process, isolated and given back. Needs root.
set -uo pipefail
export P=ctd-
. "$(dirname "$0")/lib.sh"
SOCK=$S/ctl.sock CSOCK=$S/containerd.sock ID=e2e-task
# 64 hex digits, as CRI names its containers: the id its cgroup path
# carries, by which a host socket's process is named
HID=$(printf 'e2e-hostnet-task' | sha256sum | cut -c1-64)
cpid= holder= mounted_unified=

ctr_() { ctr -a "$CSOCK" "$@"; }
ctr_up() { ctr_ version >/dev/null 2>&1; }
# task_stopped: the task is no longer running (or gone).
task_stopped() { ! ctr_ task ls 2>/dev/null | grep >/dev/null "^$ID .*RUNNING"; }
containerd_cleanup() {
	if [ -n "$cpid" ]; then
		for t in "$ID" "$HID"; do
			ctr_ task kill -s KILL "$t" >/dev/null 2>&1
			ID=$t wait_until 10 "the task to stop" task_stopped
			ctr_ task delete -f "$t" >/dev/null 2>&1
			ctr_ container delete "$t" >/dev/null 2>&1
		done
		kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	fi
	[ -n "$mounted_unified" ] && umount /sys/fs/cgroup/unified
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	grep " $S/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m"; done
	umount "$S/podns" 2>/dev/null
}
CLEANUP_EXTRA=containerd_cleanup

for t in containerd ctr runc; do command -v $t >/dev/null || { echo "FAIL $t missing"; exit 1; }; done
topo_up

# The pod's network namespace, outside /run/netns (a CNI netns need not be
# named), wired to br0 like a CNI bridge plugin does.
touch "$S/podns"
unshare --net="$S/podns" true
nsenter --net="$S/podns" sleep 600 &
holder=$!
# The holder in the pod's namespace (nsenter has entered it).
in_podns() { [ "$(stat -L -c %i "/proc/$holder/ns/net" 2>/dev/null)" = "$(stat -L -c %i "$S/podns")" ]; }
wait_until 10 "the holder in the pod's namespace" in_podns || bad "test bed: the holder is not in the pod's namespace"
VETH=veth$(openssl rand -hex 4 | cut -c1-7)
ip -n "$NS_HOST" link add "$VETH" master "$BRIDGE" type veth peer name eth0 netns "$holder"
ip -n "$NS_HOST" link set "$VETH" up
nsenter --net="$S/podns" sh -c "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0;
	ip link set lo up; ip addr add 198.18.0.21/24 dev eth0; ip link set eth0 up;
	ip route add default via 198.18.0.1"

# containerd of its own, and a task on a busybox rootfs (no image pull).
mkdir -p "$S/rootfs/bin" "$S/rootfs/etc" "$S/rootfs/tmp" "$S/root" "$S/state"
cp /bin/busybox "$S/rootfs/bin/busybox"
chroot "$S/rootfs" /bin/busybox --install -s /bin
echo 'root:x:0:0:root:/:/bin/sh' >"$S/rootfs/etc/passwd"
echo 'miner:x:1042:1042::/tmp:/bin/sh' >>"$S/rootfs/etc/passwd"
printf 'version = 2\nroot = "%s"\nstate = "%s"\n[grpc]\n  address = "%s"\n' \
	"$S/root" "$S/state" "$CSOCK" >"$S/containerd.toml"
printf 'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n' >>"$S/containerd.toml"
# A hybrid host's cgroup v2 hierarchy beside the v1 controllers (what
# systemd mounts on such a host; a bare VM may lack it): by it, nft tells
# a host-network task's sockets. Mounted before containerd, so that runc
# places its tasks in it too.
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] &&
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" != cgroup2fs ]; then
	mkdir -p /sys/fs/cgroup/unified 2>/dev/null
	mount -t cgroup2 none /sys/fs/cgroup/unified && mounted_unified=1
fi
# In the test bed's host namespace, where egressd runs: a --net-host task
# stays in containerd's namespace, which must be the host's.
nsenter --net="/run/netns/$NS_HOST" containerd --config "$S/containerd.toml" >"$S/containerd.log" 2>&1 &
cpid=$!
wait_until 60 "containerd to answer" ctr_up
# A run killed half-way leaves its task in runc's own root (not under $S).
runc --root /run/containerd/runc/default delete -f "$ID" >/dev/null 2>&1
ctr_ run -d --rootfs --env PATH=/bin --with-ns "network:$S/podns" "$S/rootfs" "$ID" /bin/sh -c 'sleep 100000' \
	>"$S/ctr.log" 2>&1 || { echo "FAIL ctr run: $(cat "$S/ctr.log")"; exit 1; }
BUNDLES=$S/state/io.containerd.runtime.v2.task
[ -s "$BUNDLES/default/$ID/config.json" ] && ok "containerd wrote the task's OCI bundle" ||
	bad "no bundle in $BUNDLES"

printf '203.0.113.81\n' >"$S/black.txt"
printf '%s\n' "mode = block" "container_if = $BRIDGE" "docker_socket =" \
	"oci_bundle_root = $BUNDLES" "state_dir = $S/st" "socket = $SOCK" \
	"blacklist = cidr:$S/black.txt" "ruleset = $ROOT/nft/egressd.nft" >"$S/egressd.conf"
# nsenter, not "ip netns exec": that remounts /sys, and egressd would not
# see the cgroup v2 hierarchy by which it tells host sockets.
nsenter --net="/run/netns/$NS_HOST" "$EGRESSD" run --config "$S/egressd.conf" >"$S/egressd.log" 2>&1 &
pid=$!
started() { in_file "running in" "$S/egressd.log" && [ -S "$SOCK" ]; }
wait_until 30 "egressd to start" started || { bad "egressd did not start"; cat "$S/egressd.log"; }
# The first inventory scan lists the task.
listed() {
	"$EGRESSCTL" --socket "$SOCK" containers >"$S/list" 2>&1
	grep -q "^$ID .*containerd .*running .*$VETH .*198.18.0.21" "$S/list"
}
wait_until 15 "the task listed" listed &&
	ok "egressctl containers: the containerd task with its veth and address" ||
	{ bad "containerd task not listed"; cat "$S/list"; }

# A process of the task, as user miner, to the blacklisted address.
ctr_ task exec --exec-id probe --user 1042 "$ID" /bin/sh -c 'wget -q -O- http://203.0.113.81/; true' \
	>/dev/null 2>&1
wait_for "\"name\":\"$ID\"" "$S/st/events.jsonl"
python3 - "$S/st/events.jsonl" "$ID" >"$S/attr.txt" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
e = next(e for e in evs if e.get("container", {}).get("name") == sys.argv[2])
p = e.get("process", [])
print(f"container {e['container']['name']} ({e['container']['runtime']}), process " +
      " <- ".join(f"{x['cmdline'][:20]!r} uid {x['uid']} {x['user']}" for x in p))
sys.exit(0 if e["container"]["runtime"] == "containerd" and p and
         p[0]["cmdline"].startswith("wget") and p[0]["user"] == "miner" else 1)
PY
[ $? = 0 ] && ok "event: $(cat "$S/attr.txt")" ||
	{ bad "event: $(cat "$S/attr.txt")"; tail -2 "$S/st/events.jsonl"; }

reach() { ctr_ task exec --exec-id "r$RANDOM" "$ID" /bin/sh -c 'printf "GET / HTTP/1.0\r\n\r\n" | nc 203.0.113.80 80 | grep >/dev/null 200'; }
reach && ok "before isolation: the task reaches the internet" || bad "the task cannot reach the internet"
"$EGRESSCTL" --socket "$SOCK" isolate "${ID:0:6}" >"$S/out" 2>&1 && ok "egressctl isolate by id prefix: $(cat "$S/out")" ||
	bad "isolate: $(cat "$S/out")"
reach && bad "isolated task still reaches the internet" || ok "isolated: the task reaches nothing"
"$EGRESSCTL" --socket "$SOCK" unisolate "$ID" >/dev/null && reach && ok "unisolated: reachable again" ||
	bad "unisolate"

# --- a task on the host's network -----------------------------------------
runc --root /run/containerd/runc/default delete -f "$HID" >/dev/null 2>&1
ctr_ run -d --rootfs --net-host --env PATH=/bin "$S/rootfs" "$HID" /bin/sh -c 'sleep 100000' \
	>"$S/ctr2.log" 2>&1 || { echo "FAIL ctr run --net-host: $(cat "$S/ctr2.log")"; exit 1; }
grep -q '"type": *"network"' "$BUNDLES/default/$HID/config.json" &&
	bad "the --net-host task's config has a network namespace (not the hostNetwork shape)" ||
	ok "the --net-host task's OCI config has no network namespace"
hlisted() {
	"$EGRESSCTL" --socket "$SOCK" --json containers >"$S/hlist" 2>&1
	python3 - "$S/hlist" "$HID" <<'PY'
import json, sys
cs = json.load(open(sys.argv[1]))["containers"]
sys.exit(0 if any(c["id"] == sys.argv[2] and c.get("network") == "host" and
                  c["state"] == "running" and c["runtime"] == "containerd" for c in cs) else 1)
PY
}
wait_until 15 "the host-network task listed" hlisted &&
	ok "egressctl containers: the --net-host task, network host" ||
	{ bad "the --net-host task is not listed as host-network"; cat "$S/hlist"; }
hreach() { ctr_ task exec --exec-id "h$RANDOM" "$HID" /bin/sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | timeout 3 nc $1 80 | grep >/dev/null 200"; }
if grep -q "host-network containers: their sockets are told by cgroup" "$S/egressd.log"; then
	ok "start: $(grep -o 'host-network containers: .*' "$S/egressd.log")"
	hreach 203.0.113.81 && bad "host-network task: the blacklisted address was served" ||
		ok "host-network task: the blacklisted address is refused"
	ctr_ task exec --exec-id hprobe --user 1042 "$HID" /bin/sh -c 'wget -q -O- http://203.0.113.81/; true' \
		>/dev/null 2>&1
	wait_for "\"id\":\"$HID\"" "$S/st/events.jsonl"
	python3 - "$S/st/events.jsonl" "$HID" >"$S/hattr.txt" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
e = [e for e in evs if e.get("container", {}).get("id") == sys.argv[2]][-1]
p = e.get("process", [])
print(f"container {e['container']['name'][:12]} ({e['container']['runtime']}), "
      f"host_network {e.get('host_network')}, {e['action']}, process " +
      " <- ".join(f"{x['cmdline'][:20]!r} uid {x['uid']}" for x in p))
sys.exit(0 if e["container"]["runtime"] == "containerd" and e.get("host_network") is True
         and e["action"] == "blocked" and p and p[0]["cmdline"].startswith("wget") else 1)
PY
	[ $? = 0 ] && ok "host-network event: $(cat "$S/hattr.txt")" ||
		{ bad "host-network event: $(cat "$S/hattr.txt")"; tail -2 "$S/st/events.jsonl"; }
	hreach 203.0.113.80 && ok "host-network task: a good address is served" ||
		bad "host-network task: the good address is not served"
	"$EGRESSCTL" --socket "$SOCK" isolate "${HID:0:8}" >"$S/out" 2>&1 &&
		ok "isolate the host-network task: $(cat "$S/out")" || bad "isolate: $(cat "$S/out")"
	hreach 203.0.113.80 && bad "the isolated host-network task still reaches the web server" ||
		ok "isolated: the host-network task reaches nothing"
	"$EGRESSCTL" --socket "$SOCK" unisolate "$HID" >/dev/null && hreach 203.0.113.80 &&
		ok "unisolated: the host-network task is served again" || bad "unisolate the host-network task"
else
	bad "no socket cgroup matching: $(grep -o 'host-network containers.*' "$S/egressd.log")"
fi
exit $fail
