#!/bin/sh
# Runs every test program and shell test; prints each one's summary and a
# final "N passed, N failed" line. A program that crashes or prints no
# summary counts as one failure. Usage: tests/run.sh BUILD_DIR [FILTER]
build=${1:-build}
filter=${2:-}
passed=0
failed=0
log_dir="$build/test-logs"
mkdir -p "$log_dir"

run_one() { # name, command...
	name=$1; shift
	case "$name" in *"$filter"*) ;; *) return ;; esac
	out="$log_dir/$(echo "$name" | tr '/' '_').log"
	"$@" >"$out" 2>&1
	status=$?
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: CRASHED or printed no summary (exit $status); see $out"
		tail -n 20 "$out" | sed 's/^/    /'
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" != 0 ] || [ "$status" != 0 ]; then
		[ "$f" = 0 ] && failed=$((failed + 1))
		echo "$name: $p passed, $f failed (exit $status); failures:"
		grep -E 'FAIL|not ok' "$out" | head -n 30 | sed 's/^/    /'
	else
		echo "$name: $p passed, $f failed"
	fi
}

# RDPD_TEST_WRAPPER (e.g. valgrind) runs each C test program under it;
# RDPD_C_ONLY=1 skips the shell, Python and web tests.
for t in $(find "$build/tests" -type f -perm -u+x 2>/dev/null | sort); do
	run_one "${t#$build/tests/}" $RDPD_TEST_WRAPPER "$t"
done
if [ "${RDPD_C_ONLY:-0}" = 1 ]; then
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
# USB through umockdev (tests/usb): build the test bed, run, say why if skipped.
if [ -f tests/usb/test_usb.sh ] && case tests/usb/test_usb.sh in *"$filter"*) true ;; *) false ;; esac; then
	make --no-print-directory BUILD="$build" "$build/usb_testbed" >"$log_dir/usb_testbed_build.log" 2>&1 ||
		echo "tests/usb: the test bed did not build; see $log_dir/usb_testbed_build.log"
	run_one tests/usb/test_usb.sh sh tests/usb/test_usb.sh "$build"
	grep -h '^SKIPPED:' "$log_dir/tests_usb_test_usb.sh.log" 2>/dev/null | sed 's|^|tests/usb/test_usb.sh: |'
fi
# The same test bed with two probes that share one serial.
if [ -f tests/usb/test_usb_twins.sh ] && case tests/usb/test_usb_twins.sh in *"$filter"*) true ;; *) false ;; esac; then
	make --no-print-directory BUILD="$build" "$build/usb_testbed" >>"$log_dir/usb_testbed_build.log" 2>&1
	run_one tests/usb/test_usb_twins.sh sh tests/usb/test_usb_twins.sh "$build"
	grep -h '^SKIPPED:' "$log_dir/tests_usb_test_usb_twins.sh.log" 2>/dev/null | sed 's|^|tests/usb/test_usb_twins.sh: |'
fi

# pyOCD through the same test bed (tests/usb/test_pyocd.sh), its own lane.
if [ -f tests/usb/test_pyocd.sh ] && case tests/usb/test_pyocd.sh in *"$filter"*) true ;; *) false ;; esac; then
	[ -x "$build/usb_testbed" ] || make --no-print-directory BUILD="$build" "$build/usb_testbed" \
		>>"$log_dir/usb_testbed_build.log" 2>&1
	run_one tests/usb/test_pyocd.sh sh tests/usb/test_pyocd.sh "$build"
	grep -h '^SKIPPED:' "$log_dir/tests_usb_test_pyocd.sh.log" 2>/dev/null | sed 's|^|tests/usb/test_pyocd.sh: |'
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
