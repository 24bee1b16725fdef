#!/bin/sh
# The test suite against an arm64 (Raspberry Pi 4/5) build, under qemu-user:
# every unit and simulator test program, then the command-line and HTTP API
# tests with rdpd and rdpd-sim run through qemu-aarch64. The packaging test
# (test_service.sh, which runs make) and the lint are the host's business.
# Usage: tests/cli/run_arm64.sh BUILD_DIR (made by `make test-arm64`).
build=${1:-build-arm64}
QEMU=${QEMU:-qemu-aarch64}
command -v "$QEMU" >/dev/null || { echo "run_arm64: $QEMU not found (Debian package qemu-user)"; exit 1; }
[ -e /lib/ld-linux-aarch64.so.1 ] || { echo "run_arm64: no arm64 C library (apt-get install libc6:arm64)"; exit 1; }
file_arch=$(od -An -j18 -N2 -tu2 "$build/rdpd" | tr -d ' ')
[ "$file_arch" = 183 ] || { echo "run_arm64: $build/rdpd is not an arm64 (EM_AARCH64) binary"; exit 1; }
abs=$(cd "$build" && pwd)
wrap="$abs/qemu-bin"
mkdir -p "$wrap"
for p in rdpd rdpd-sim; do
	printf '#!/bin/sh\nexec %s %s/%s "$@"\n' "$QEMU" "$abs" "$p" >"$wrap/$p"
	chmod +x "$wrap/$p"
done
echo "run_arm64: $("$wrap/rdpd" --version) (aarch64, under $($QEMU --version | head -n 1))"

passed=0
failed=0
log_dir="$build/test-logs"
mkdir -p "$log_dir"
. "$(dirname "$0")/../run_one.sh"
for t in $(find "$build/tests" -type f -perm -u+x 2>/dev/null | sort); do
	run_one "arm64/${t#$build/tests/}" "$QEMU" "$t"
done
for t in tests/cli/test_*.sh; do
	case "$t" in */test_service.sh|*/test_lint.sh) continue ;; esac
	run_one "arm64/$t" sh "$t" "$wrap"
done
for t in tests/api/test_*.py; do
	[ -f "$t" ] && RDPD_BUILD="$wrap" run_one "arm64/$t" python3 "$t"
done
skipped_summary
echo "arm64: $passed passed, $failed failed"
[ "$failed" = 0 ]
