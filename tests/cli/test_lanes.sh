#!/bin/sh
# The test lanes themselves: a lane that cannot run on this machine is
# reported as SKIPPED (never as "0 passed"), and with CI set it fails, so CI
# is never green without it; tests/run.sh lists the skipped lanes and counts
# a program that ran no check as a failure; FM_FAMILY counts only the
# families it runs. Each case runs a lane with what it needs taken away.
. "$(dirname "$0")/lib.sh"
B=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# outside_ci / under_ci COMMAND...: run with CI unset / set as GitHub sets it.
outside_ci() { env -u CI "$@"; }
under_ci() { env CI=true "$@"; }

# ---- tests/usb/test_usb.sh without umockdev -----------------------------
# A build directory without the test bed, on a machine whose pkg-config
# knows no umockdev: the lane cannot run.
mkdir -p "$T/nousb"
outside_ci env PKG_CONFIG_LIBDIR="$T/none" sh tests/usb/test_usb.sh "$T/nousb" >"$T/usb.out" 2>&1
st=$?
check usb_lane_skip_outside_ci_exit_0 [ "$st" = 0 ]
check usb_lane_skip_says_skipped grep -qx 'test_usb.sh: SKIPPED' "$T/usb.out"
check usb_lane_skip_gives_reason grep -q '^SKIPPED: USB checks: .*umockdev' "$T/usb.out"
check usb_lane_skip_never_0_passed sh -c "! grep -q '0 passed' '$T/usb.out'"
under_ci env PKG_CONFIG_LIBDIR="$T/none" sh tests/usb/test_usb.sh "$T/nousb" >"$T/usb.ci.out" 2>&1
st=$?
check usb_lane_under_ci_fails [ "$st" != 0 ]
check usb_lane_under_ci_counts_failure grep -qx 'test_usb.sh: 0 passed, 1 failed' "$T/usb.ci.out"
check usb_lane_under_ci_names_reason grep -q 'FAIL cannot run, and CI is set: USB checks: .*umockdev' "$T/usb.ci.out"

# ---- tests/bench/bench_openocd.sh without umockdev ----------------------
# A bench that cannot run fails, CI or not, and says why (docs/bench.md).
outside_ci env PKG_CONFIG_LIBDIR="$T/none" sh tests/bench/bench_openocd.sh "$T/nousb" >"$T/bench.out" 2>&1
st=$?
check bench_lane_cannot_run_fails_outside_ci [ "$st" != 0 ]
check bench_lane_cannot_run_gives_reason grep -q '^bench: cannot run: .*umockdev' "$T/bench.out"
check bench_lane_cannot_run_never_skipped sh -c "! grep -q SKIPPED '$T/bench.out'"

# ---- tests/web/run.sh without Chromium ----------------------------------
outside_ci env CHROMIUM="$T/no-chromium" sh tests/web/run.sh "$B" >"$T/web.out" 2>&1
st=$?
check web_lane_skip_outside_ci [ "$st" = 0 ]
check web_lane_skip_says_skipped grep -qx 'web: SKIPPED' "$T/web.out"
check web_lane_skip_gives_reason grep -q '^SKIPPED: dashboard tests: Chromium is not installed' "$T/web.out"
under_ci env CHROMIUM="$T/no-chromium" sh tests/web/run.sh "$B" >"$T/web.ci.out" 2>&1
st=$?
check web_lane_under_ci_fails sh -c "[ $st != 0 ] && grep -qx 'web: 0 passed, 1 failed' '$T/web.ci.out'"

# ---- a Python test that cannot run (rdpd_harness.cannot_run) ------------
cat >"$T/py_skip.py" <<EOF
import sys
sys.path.insert(0, "$(pwd)/tests/api")
from rdpd_harness import cannot_run, summary
cannot_run("faketime_installed", "libfaketime.so.1 not found")
summary("py_skip.py")
EOF
outside_ci python3 "$T/py_skip.py" >"$T/py.out" 2>&1
st=$?
check python_skip_outside_ci sh -c "[ $st = 0 ] && grep -qx 'py_skip.py: SKIPPED' '$T/py.out' && grep -q '^SKIPPED: faketime_installed: ' '$T/py.out'"
under_ci python3 "$T/py_skip.py" >"$T/py.ci.out" 2>&1
st=$?
check python_skip_under_ci_fails sh -c "[ $st != 0 ] && grep -qx 'py_skip.py: 0 passed, 1 failed' '$T/py.ci.out'"

# ---- tests/run.sh: skipped lanes listed, empty lanes failed --------------
# A build directory with three fake test programs, picked by the filter.
F="$T/fakebuild"
mkdir -p "$F/tests/fake-lane"
printf '#!/bin/sh\necho "ok a"\necho "passer: 1 passed, 0 failed"\n' >"$F/tests/fake-lane/passer"
printf '#!/bin/sh\necho "SKIPPED: needs a widget"\necho "skipper: SKIPPED"\n' >"$F/tests/fake-lane/skipper"
printf '#!/bin/sh\necho "nothing: 0 passed, 0 failed"\n' >"$F/tests/fake-lane/nothing"
chmod +x "$F/tests/fake-lane/passer" "$F/tests/fake-lane/skipper" "$F/tests/fake-lane/nothing"
outside_ci sh tests/run.sh "$F" fake-lane/ >"$T/run.out" 2>&1
check runner_final_line_exact sh -c "tail -n 1 '$T/run.out' | grep -qx '1 passed, 1 failed'"
check runner_names_skipped_lane grep -q '^fake-lane/skipper: SKIPPED (needs a widget)' "$T/run.out"
check runner_lists_skips_in_summary grep -q '^    fake-lane/skipper: needs a widget' "$T/run.out"
check runner_fails_lane_without_checks grep -q '^fake-lane/nothing: ran no checks' "$T/run.out"

# ---- FM_FAMILY ------------------------------------------------------------
FM="$B/tests/sim/test_stack_fault_matrix"
FM_FAMILY=no-such-part "$FM" >"$T/fm.out" 2>&1
st=$?
check fm_family_unknown_fails sh -c "[ $st != 0 ] && grep -q ': 0 passed, 1 failed' '$T/fm.out'"
check fm_family_unknown_passes_nothing sh -c "! grep -q ' [1-9][0-9]* passed' '$T/fm.out'"

summary
