#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dockerbed.sh up|down|check PROBE : a real dockerd for the Docker client
# (src/containers/docker.c), confined to its own network namespace, so that its bridges,
# iptables rules and veths never touch the root namespace and nothing can
# leave the machine. No pulls: the only image is busybox-static imported as
# a rootfs tarball.
#
#   up      installs docker.io and busybox-static if missing, starts dockerd
#           in netns e2e-dockerd, imports e2e-busybox:latest, creates the
#           bridge network e2enet (198.18.0.0/24, 2001:db8:18::/64) and
#           writes $DIR/dockerbed.env (DOCKER_SOCK=..., see below).
#   check   runs the client checks against it with a built docker_probe
#           (tests/e2e/docker_probe.c): list, then start/stop/rm events.
#   down    removes containers, network, dockerd, mounts, netns and $DIR.
#
# Environment: DOCKERBED_DIR (default $TOPO_DIR/docker, TOPO_DIR defaulting
# to /tmp/egressd-testbed), DOCKERBED_NETNS (default e2e-dockerd). `down`
# removes only what `up` with the same DOCKERBED_DIR made (the netns name is
# kept in $DIR/netns). Addresses: docker0 on 198.19.255.1/24 (--bip moves it
# off 172.17/16), e2enet on 198.18.0.0/24; all in benchmark ranges.
#
# The env file holds: DOCKER_SOCK (path), DOCKER_HOST (unix://path),
# DOCKER_NETNS, DOCKER_CLI (/usr/bin/docker), DOCKER_IMAGE, DOCKER_NETWORK.
set -uo pipefail
T=${TOPO_DIR:-/tmp/egressd-testbed}
DIR=${DOCKERBED_DIR:-$T/docker}
NS=${DOCKERBED_NETNS:-e2e-dockerd}
SOCK=$DIR/docker.sock
ENV=$DIR/dockerbed.env
IMAGE=e2e-busybox:latest
# /usr/local/bin/docker may be a newer client than the Debian daemon speaks.
DOCKER=/usr/bin/docker
dk() { "$DOCKER" -H "unix://$SOCK" "$@"; }
die() { echo "dockerbed: $*" >&2; exit 1; }
# shellcheck source=tests/e2e/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh" # wait_until

install_missing() {
	local want=()
	[ -x /usr/sbin/dockerd ] && [ -x "$DOCKER" ] || want+=(docker.io)
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null |
		grep >/dev/null "ok installed" || want+=(busybox-static)
	[ ${#want[@]} -eq 0 ] && return 0
	if ! { apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			"${want[@]}" >/dev/null; }; then
		die "cannot install ${want[*]}"
	fi
}

start_dockerd() {
	ip netns add "$NS" || die "cannot create netns $NS"
	echo "$NS" >"$DIR/netns"
	ip -n "$NS" link set lo up || die "cannot set lo up in $NS"
	# nsenter, not "ip netns exec": the latter remounts /sys and hides
	# /sys/fs/cgroup from dockerd.
	nsenter --net="/run/netns/$NS" /usr/sbin/dockerd -H "unix://$SOCK" \
		--data-root "$DIR/data" --exec-root "$DIR/exec" \
		--pidfile "$DIR/dockerd.pid" --bip 198.19.255.1/24 \
		--ip6tables=false >"$DIR/dockerd.log" 2>&1 &
	wait_until 60 "dockerd to answer" dockerd_up && return 0
	tail -20 "$DIR/dockerd.log" >&2
	die "dockerd did not answer on $SOCK within 60 s"
}
dockerd_up() { dk info >/dev/null 2>&1; }

# docker import of a rootfs holding busybox-static and its applet links.
import_image() {
	local root=$DIR/rootfs
	rm -rf "$root" && mkdir -p "$root/bin" "$root/tmp" "$root/etc"
	cp /bin/busybox "$root/bin/busybox"
	chroot "$root" /bin/busybox --install -s /bin || die "busybox --install failed"
	tar -C "$root" -c . | dk import - $IMAGE >/dev/null || die "docker import failed"
	rm -rf "$root"
}

up() {
	[ -e "/run/netns/$NS" ] && die "netns $NS exists: run '$0 down' first"
	install_missing
	mkdir -p "$DIR"
	start_dockerd
	import_image
	dk network create --driver bridge --subnet 198.18.0.0/24 \
		--gateway 198.18.0.1 --ipv6 --subnet 2001:db8:18::/64 e2enet \
		>/dev/null || die "cannot create network e2enet"
	cat >"$ENV" <<-EOF
		DOCKER_SOCK=$SOCK
		DOCKER_HOST=unix://$SOCK
		DOCKER_NETNS=$NS
		DOCKER_CLI=$DOCKER
		DOCKER_IMAGE=$IMAGE
		DOCKER_NETWORK=e2enet
	EOF
	dk version --format 'dockerd {{.Server.Version}}, API {{.Server.APIVersion}}'
	echo "env: $ENV"
}

down() {
	if [ -S "$SOCK" ]; then
		local ids
		mapfile -t ids < <(dk ps -aq 2>/dev/null)
		[ ${#ids[@]} -gt 0 ] && dk rm -f "${ids[@]}" >/dev/null 2>&1
		dk network rm e2enet >/dev/null 2>&1
	fi
	if [ -s "$DIR/dockerd.pid" ]; then
		local p
		p=$(cat "$DIR/dockerd.pid")
		kill "$p" 2>/dev/null
		# dockerd stops the containerd it started before it exits.
		wait_until 30 "dockerd to exit" gone "$p"
	fi
	[ -s "$DIR/netns" ] && ip netns del "$(cat "$DIR/netns")" 2>/dev/null
	grep " $DIR/" /proc/mounts | awk '{print $2}' | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$DIR"
	# dockerd makes these shared directories; leave them to another one.
	pgrep -x dockerd >/dev/null || rmdir /run/docker/plugins /run/docker \
		/run/containerd/s /run/containerd 2>/dev/null
	true
}

gone() { ! kill -0 "$1" 2>/dev/null; }

# --- check: the client against the real daemon -------------------------
fail() { echo "FAIL: $*" >&2; FAILED=1; }

# Milliseconds of CLOCK_REALTIME, as docker_probe prints them.
now_ms() { date +%s%3N; }

# timed CMD...: runs a docker command; sets T0/T1 (start and end, ms) and
# MARK (event lines printed before it, so that older events do not count).
timed() {
	MARK=$(wc -l <"$EV")
	T0=$(now_ms)
	dk "$@" >/dev/null || fail "docker $*"
	T1=$(now_ms)
}

# expect ACTION ID: the probe printed "event ACTION ID" after the last
# timed command began, at most a second after it returned, and at most a
# second after dockerd stamped the event.
expect() {
	local action=$1 id=$2 line t lat
	# Polled (its time is the probe's recv_ms, not when it is seen).
	wait_until 3 "the '$action' event of ${id:0:12}" seen "$action" "$id"
	[ -n "$line" ] || { fail "no '$action' event for ${id:0:12}"; return; }
	t=${line##* recv_ms=}
	t=${t%% *}
	lat=${line##* lat_ms=}
	printf '  %-8s %s: +%d ms after the command began (it took %d ms); %d ms after dockerd stamped it\n' \
		"$action" "${id:0:12}" $((t - T0)) $((T1 - T0)) "$lat"
	if [ $((t - T1)) -gt 1000 ] || [ "$lat" -gt 1000 ]; then
		fail "'$action' of ${id:0:12} came late"
	fi
}

# seen ACTION ID : the probe printed it since MARK (the line in $line).
seen() {
	line=$(tail -n +$((MARK + 1)) "$EV" | grep -m1 "^event $1 $2 ")
	[ -n "$line" ]
}

check() {
	local probe=${1:-} out pid web stopped probe_pid l
	[ -x "$probe" ] || die "usage: $0 check PATH/TO/docker_probe"
	[ -S "$SOCK" ] || die "not up: run '$0 up' first"
	FAILED=0
	web=$(dk run -d --name e2e-web --network e2enet --ip 198.18.0.10 $IMAGE \
		httpd -f -p 80 -h /tmp) || die "docker run failed"
	stopped=$(dk create --name e2e-stopped --network e2enet $IMAGE true) ||
		die "docker create failed"

	echo "list:"
	out=$("$probe" list "$SOCK") || fail "docker_probe list: $out"
	while read -r l; do echo "  $l"; done <<<"$out"
	pid=$(dk inspect -f '{{.State.Pid}}' e2e-web)
	echo "$out" | grep >/dev/null "^container $web name=e2e-web image=$IMAGE image_id=sha256:[0-9a-f]\{64\} running=1 pid=$pid$" ||
		fail "e2e-web not listed as running with pid $pid"
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = httpd ] ||
		fail "pid $pid is not the container's httpd"
	echo "$out" | grep >/dev/null "^container $stopped name=e2e-stopped image=$IMAGE .* running=0 pid=0$" ||
		fail "e2e-stopped not listed as stopped"

	echo "events:"
	EV=$DIR/events.out
	"$probe" events "$SOCK" 30 >"$EV" 2>&1 &
	probe_pid=$!
	wait_until 5 "the probe's event stream" in_file "^stream open" "$EV" ||
		fail "the event stream did not open: $(cat "$EV")"
	timed start e2e-stopped
	expect start "$stopped"
	expect die "$stopped" # "true" exits at once
	timed stop -t 1 e2e-web # httpd as pid 1 ignores SIGTERM: killed at 1 s
	expect kill "$web"
	expect die "$web"
	expect stop "$web"
	timed start e2e-web
	expect start "$web"
	timed restart -t 0 e2e-web
	expect die "$web"
	expect start "$web"
	expect restart "$web"
	timed rm -f e2e-web e2e-stopped
	expect die "$web"
	expect destroy "$web"
	expect destroy "$stopped"
	kill "$probe_pid" 2>/dev/null
	wait "$probe_pid" 2>/dev/null
	grep -q "^stream ended" "$EV" && fail "the stream ended: $(grep '^stream ended' "$EV")"
	echo "probe output:"
	sed 's/^/  /' "$EV"
	rm -f "$EV"
	[ $FAILED -eq 0 ] && echo "check: all passed"
	return $FAILED
}

case "${1:-}" in
up) up ;;
down) down ;;
check) check "${2:-}" ;;
*) echo "usage: $0 up|down|check PROBE" >&2; exit 2 ;;
esac
