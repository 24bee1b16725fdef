#!/bin/sh
# The dashboard's end-to-end tests: playwright-core drives Debian's Chromium
# against a real rdpd (started by the tests) with simulated probes.
# Usage: tests/web/run.sh [BUILD_DIR]. Prints node's TAP output, then a
# last line "web: N passed, N failed". A tool this machine lacks (node,
# Chromium, the npm packages) is a reason printed: with CI set one failed
# test, elsewhere "SKIPPED" (tests/run.sh lists it); never a pass. A daemon
# that is not built is a failure everywhere.
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case "$build" in /*) ;; *) build="$root/$build" ;; esac
chromium=${CHROMIUM:-/usr/bin/chromium}
. "$root/tests/cli/lib.sh"

fail_setup() {
	echo "web: cannot run the dashboard tests: $1"
	echo "web: 0 passed, 1 failed"
	exit 1
}
cannot_setup() { # REASON: this machine lacks something the tests need
	in_ci && fail_setup "$1 (and CI is set: a required lane that cannot run fails)"
	echo "SKIPPED: dashboard tests: $1"
	echo "web: SKIPPED"
	exit 0
}

command -v node >/dev/null 2>&1 || cannot_setup "node is not installed (apt-get install nodejs npm)"
[ -x "$chromium" ] || cannot_setup "Chromium is not installed at $chromium (apt-get install chromium; make test-web installs it)"
[ -x "$build/rdpd" ] || fail_setup "$build/rdpd is not built (make all)"
if [ ! -d "$here/node_modules/playwright-core" ]; then
	echo "web: installing playwright-core (npm ci)"
	(cd "$here" && npm ci --no-audit --no-fund >/dev/null 2>&1) ||
		cannot_setup "npm could not install playwright-core into tests/web/node_modules (no network to the npm registry?)"
fi

out=$(mktemp)
(cd "$here" && RDPD_BUILD="$build" CHROMIUM="$chromium" \
	node --test --test-concurrency=1 --test-reporter=tap dashboard.test.mjs) 2>&1 | tee "$out"
pass=$(grep -E '^# pass [0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+')
fail=$(grep -E '^# fail [0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+')
cancelled=$(grep -E '^# cancelled [0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+')
if [ -z "$pass" ] || [ -z "$fail" ]; then
	rm -f "$out"
	echo "web: node's test runner printed no summary (crashed?)"
	echo "web: 0 passed, 1 failed"
	exit 1
fi
skipped_n=$(grep -E '^# skipped [0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+')
fail=$((fail + ${cancelled:-0}))
if [ "${skipped_n:-0}" != 0 ]; then   # a test that skipped itself did not pass
	if in_ci; then
		echo "web: $skipped_n tests skipped themselves, and CI is set"
		fail=$((fail + skipped_n))
	else
		echo "SKIPPED: $skipped_n dashboard tests skipped themselves (see the TAP output)"
	fi
fi
rm -f "$out"
[ "$pass" = 0 ] && [ "$fail" = 0 ] && fail=1   # no test ran: that is a failure too
echo "web: $pass passed, $fail failed"
[ "$fail" = 0 ]
