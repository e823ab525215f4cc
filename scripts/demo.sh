#!/usr/bin/env bash
# The main job, as far as egressd does it today: judge real traffic (captures
# of dig, curl, openssl and Chromium made on the namespace test bed) against
# a small blacklist and whitelist, offline. Installs what is missing and
# builds first. (The live daemon on a namespace test bed comes with the
# enforcement datapath.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_packages "${BUILD_PKGS[@]}"
meson_build "$ROOT/build"
E=$ROOT/build/egressd C=$ROOT/tests/data/captures
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

cat >"$T/blacklist.txt" <<'L'
# egressd-category: c2
*.cdn.test
other.example.net
L
printf 'www.example.com\n' >"$T/whitelist.txt"
echo "blacklist: $(grep -v '^#' "$T/blacklist.txt" | tr '\n' ' ')   whitelist: www.example.com"
echo
for cap in tls-curl-cname dns-dig-cname tls-openssl-sni tls-chromium tls-curl-resolve; do
	echo "== $cap.pcap"
	"$E" replay --pcap "$C/$cap.pcap" --blacklist "$T/blacklist.txt" \
		--whitelist "$T/whitelist.txt"
	echo
done
echo "== a list with a bad line is refused whole, with file and line:"
printf 'good.test\nbad..test\n' >"$T/bad.txt"
"$E" replay --pcap "$C/dns-dig-a.pcap" --blacklist "$T/bad.txt" || echo "(exit status $?)"
