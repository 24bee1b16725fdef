#!/bin/sh
# The dashboard's end-to-end tests: playwright-core drives Debian's Chromium
# against a real rdpd (started by the tests) with simulated probes.
# Usage: tests/web/run.sh [BUILD_DIR]. Prints node's TAP output, then a
# last line "web: N passed, N failed". Something missing (Chromium, the npm
# packages, the daemon) is a reason printed and one failed test, never a pass.
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case "$build" in /*) ;; *) build="$root/$build" ;; esac
chromium=${CHROMIUM:-/usr/bin/chromium}

fail_setup() {
	echo "web: cannot run the dashboard tests: $1"
	echo "web: 0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null 2>&1 || fail_setup "node is not installed (apt-get install nodejs npm)"
[ -x "$chromium" ] || fail_setup "Chromium is not installed at $chromium (apt-get install chromium; make test-web installs it)"
[ -x "$build/rdpd" ] || fail_setup "$build/rdpd is not built (make all)"
if [ ! -d "$here/node_modules/playwright-core" ]; then
	echo "web: installing playwright-core (npm ci)"
	(cd "$here" && npm ci --no-audit --no-fund >/dev/null 2>&1) ||
		fail_setup "npm could not install playwright-core into tests/web/node_modules (no network to the npm registry?)"
fi

out=$(mktemp)
(cd "$here" && RDPD_BUILD="$build" CHROMIUM="$chromium" \
	node --test --test-concurrency=1 --test-reporter=tap dashboard.test.mjs) 2>&1 | tee "$out"
pass=$(grep -E '^# pass [0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+')
fail=$(grep -E '^# fail [0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+')
cancelled=$(grep -E '^# cancelled [0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+')
rm -f "$out"
if [ -z "$pass" ] || [ -z "$fail" ]; then
	echo "web: node's test runner printed no summary (crashed?)"
	echo "web: 0 passed, 1 failed"
	exit 1
fi
fail=$((fail + ${cancelled:-0}))
[ "$pass" = 0 ] && [ "$fail" = 0 ] && fail=1   # no test ran: that is a failure too
echo "web: $pass passed, $fail failed"
[ "$fail" = 0 ]
