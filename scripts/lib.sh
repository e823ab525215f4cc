# Shared by scripts/*.sh: package installation and the meson build.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian 12 packages the build and the tests need.
BUILD_PKGS=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev
	libnetfilter-queue-dev libmnl-dev libnftnl-dev libnetfilter-conntrack-dev
	libnftables-dev libcjson-dev libsqlite3-dev libpcap-dev libseccomp-dev libcap-ng-dev libssl-dev
	libcurl4-openssl-dev libmicrohttpd-dev libsystemd-dev libcrypt-dev libpq-dev systemd check python3)
# What the namespace test bed runs: servers and real clients.
TESTBED_PKGS=(iproute2 nftables dnsmasq-base nginx-light bind9-dnsutils curl openssl
	ethtool conntrack iputils-ping python3-scapy tcpdump strace)
# The end-to-end tests also run real container runtimes.
E2E_PKGS=("${TESTBED_PKGS[@]}" containerd runc busybox-static docker.io
	debhelper dpkg-dev lintian git prometheus chromium chromium-driver python3-selenium
	postgresql-15 postgresql-client-15)

# ensure_packages PKG... : installs the missing ones with apt-get.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep >/dev/null "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages: ${missing[*]} (run as root to install them)" >&2
		return 1
	fi
	echo "installing: ${missing[*]}"
	apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null
}

# meson_build DIR [meson options...] : configures once, then builds.
meson_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$ROOT" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log" >&2; return 1; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { tail -40 "$dir.ninja.log" >&2; return 1; }
}
