#!/bin/sh
# Runs every test program and shell test; prints each one's summary, the
# lanes or parts that were SKIPPED because they cannot run on this machine
# (with CI set in the environment they fail instead), and a final
# "N passed, N failed" line. A program that crashes, prints no summary or
# runs no check counts as one failure (tests/run_one.sh).
# Usage: tests/run.sh BUILD_DIR [FILTER]
build=${1:-build}
filter=${2:-}
passed=0
failed=0
log_dir="$build/test-logs"
mkdir -p "$log_dir"

. "$(dirname "$0")/run_one.sh"

# RDPD_TEST_WRAPPER (e.g. valgrind) runs each C test program under it;
# RDPD_C_ONLY=1 skips the shell, Python and web tests.
for t in $(find "$build/tests" -type f -perm -u+x 2>/dev/null | sort); do
	run_one "${t#$build/tests/}" $RDPD_TEST_WRAPPER "$t"
done
if [ "${RDPD_C_ONLY:-0}" = 1 ]; then
	skipped_summary
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi
for t in dap_replies json_body router journal; do
	[ -x "$build/fuzz-replay/$t" ] && run_one "fuzz/$t" "$build/fuzz-replay/$t" "fuzz_$t" \
		"tests/fuzz/corpus/$t" "tests/fuzz/crashes/$t"
done
for t in tests/cli/test_*.sh; do
	[ -f "$t" ] && run_one "$t" sh "$t" "$build"
done
for t in tests/api/test_*.py; do
	[ -f "$t" ] && RDPD_BUILD="$build" run_one "$t" python3 "$t"
done
[ -f tests/web/run.sh ] && run_one tests/web sh tests/web/run.sh "$build"
# USB through umockdev (tests/usb): build the test bed, run (it says why when
# it cannot run).
if [ -f tests/usb/test_usb.sh ] && case tests/usb/test_usb.sh in *"$filter"*) true ;; *) false ;; esac; then
	make --no-print-directory BUILD="$build" "$build/usb_testbed" >"$log_dir/usb_testbed_build.log" 2>&1 ||
		echo "tests/usb: the test bed did not build; see $log_dir/usb_testbed_build.log"
	run_one tests/usb/test_usb.sh sh tests/usb/test_usb.sh "$build"
fi
# The same test bed with two probes that share one serial.
if [ -f tests/usb/test_usb_twins.sh ] && case tests/usb/test_usb_twins.sh in *"$filter"*) true ;; *) false ;; esac; then
	make --no-print-directory BUILD="$build" "$build/usb_testbed" >>"$log_dir/usb_testbed_build.log" 2>&1
	run_one tests/usb/test_usb_twins.sh sh tests/usb/test_usb_twins.sh "$build"
fi

# The simulated ST-LINK through the same test bed (tests/usb/test_stlink.sh).
if [ -f tests/usb/test_stlink.sh ] && case tests/usb/test_stlink.sh in *"$filter"*) true ;; *) false ;; esac; then
	make --no-print-directory BUILD="$build" "$build/usb_testbed" "$build/stlink_raw" \
		>>"$log_dir/usb_testbed_build.log" 2>&1
	run_one tests/usb/test_stlink.sh sh tests/usb/test_stlink.sh "$build"
fi

# The families beyond STM32 against OpenOCD (tests/usb/test_vendors.sh).
if [ -f tests/usb/test_vendors.sh ] && case tests/usb/test_vendors.sh in *"$filter"*) true ;; *) false ;; esac; then
	[ -x "$build/usb_testbed" ] || make --no-print-directory BUILD="$build" "$build/usb_testbed" \
		>>"$log_dir/usb_testbed_build.log" 2>&1
	run_one tests/usb/test_vendors.sh sh tests/usb/test_vendors.sh "$build"
fi

# pyOCD through the same test bed (tests/usb/test_pyocd.sh), its own lane.
if [ -f tests/usb/test_pyocd.sh ] && case tests/usb/test_pyocd.sh in *"$filter"*) true ;; *) false ;; esac; then
	[ -x "$build/usb_testbed" ] || make --no-print-directory BUILD="$build" "$build/usb_testbed" \
		>>"$log_dir/usb_testbed_build.log" 2>&1
	run_one tests/usb/test_pyocd.sh sh tests/usb/test_pyocd.sh "$build"
fi

skipped_summary
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
