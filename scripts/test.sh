#!/usr/bin/env bash
# Every test of egressd: unit suites (Check), fuzz corpora, replay of the
# real captures, the same unit and corpus suites again under ASan+UBSan,
# and (as root) the end-to-end tests. Installs what is missing, builds,
# and ends with one line "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

passed=0 failed=0
B=${BUILD:-$ROOT/build}
BA=${BUILD_ASAN:-$ROOT/build-asan}

# count_meson DIR : adds the results of the last `meson test` in DIR.
count_meson() {
	local log=$1/meson-logs/testlog.json ok bad
	ok=$(grep -c '"result": "OK"' "$log" 2>/dev/null)
	bad=$(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\|SKIP\|UNEXPECTEDPASS\)"' "$log" 2>/dev/null)
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${bad:-0}))
}

ensure_packages "${BUILD_PKGS[@]}" || exit 1
if [ "$(id -u)" = 0 ]; then ensure_packages "${E2E_PKGS[@]}" || exit 1; fi

echo "== build"
if ! meson_build "$B"; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "== meson test (unit, fuzz corpora, capture replay)"
meson test -C "$B" --print-errorlogs 2>&1 | grep -E '^ *[0-9]+/[0-9]+ |FAIL|error' || true
count_meson "$B"

echo "== meson test under ASan+UBSan (unit, fuzz corpora)"
if meson_build "$BA" -Db_sanitize=address,undefined -Db_lundef=false; then
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$BA" --suite unit --suite fuzz-corpus --print-errorlogs 2>&1 |
		grep -E '^ *[0-9]+/[0-9]+ |FAIL|ERROR' || true
	count_meson "$BA"
else
	failed=$((failed + 1))
fi

for t in "$ROOT"/tests/cli/*.sh; do
	[ -e "$t" ] || continue
	echo "== $(basename "$t")"
	if EGRESSD="$B/egressd" EGRESSCTL="$B/egressctl" bash "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done

# End-to-end tests need root (namespaces, nftables, NFQUEUE). In CI (CI set)
# or with E2E_REQUIRED=1 a missing privilege is a failure, never a skip.
for t in "$ROOT"/tests/e2e/test_*.sh; do
	echo "== e2e $(basename "$t")"
	if [ "$(id -u)" != 0 ]; then
		if [ -n "${CI:-}" ] || [ -n "${E2E_REQUIRED:-}" ]; then
			echo "FAIL: end-to-end tests need root"
			failed=$((failed + 1))
		else
			echo "not run: needs root (sudo scripts/test.sh runs it)"
		fi
		continue
	fi
	if EGRESSD="$B/egressd" timeout 600 bash "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done

# The daemon as the attacker meets it, built with ASan+UBSan: the hostile
# sections that exercise its code most (the long waits of the disk and
# SIGSTOP sections are left to the run above). Leak checking is off: at
# exit LeakSanitizer needs ptrace, which the sandbox refuses. UBSan (GCC)
# writes its reports to stderr whatever log_path says, where nobody looks
# (egressd.log): halt_on_error makes a report kill egressd, so that its
# section fails.
if [ "$(id -u)" = 0 ] && [ -x "$BA/egressd" ]; then
	echo "== e2e test_hostile.sh under ASan+UBSan"
	san=$(mktemp -d)
	if EGRESSD="$BA/egressd" EGRESSCTL="$BA/egressctl" \
		ASAN_OPTIONS="detect_leaks=0:log_path=$san/asan" \
		UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$san/ubsan" \
		HOSTILE_ONLY='^(10|20|30|40|50|57|80)-' timeout 600 bash tests/e2e/test_hostile.sh &&
		! ls "$san" | grep >/dev/null .; then
		passed=$((passed + 1))
	else
		ls "$san" | grep >/dev/null . && { echo "sanitizer reports:"; head -50 "$san"/*; }
		failed=$((failed + 1))
	fi
	rm -rf "$san"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
