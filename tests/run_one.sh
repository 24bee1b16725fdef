# run_one NAME COMMAND...: runs one test program or lane with its output in
# $log_dir, adds its "N passed, N failed" to $passed and $failed and prints
# its own line. Sourced by tests/run.sh and tests/cli/run_arm64.sh, which
# set log_dir, passed, failed (and filter: only names containing it run).
# - A program that crashes or prints no summary counts as one failure, and
#   so does one that exits non-zero with nothing failed.
# - A program that ran no check ("0 passed, 0 failed") counts as one
#   failure: a test that cannot fail is a defect.
# - "SKIPPED: REASON" lines (parts that cannot run on this machine; under CI
#   the lanes fail them instead) are collected in $skipped_lanes; a lane
#   that ran nothing at all prints "NAME: SKIPPED" and counts nothing.
skipped_lanes=
run_one() {
	name=$1; shift
	case "$name" in *"${filter:-}"*) ;; *) return ;; esac
	out="$log_dir/$(echo "$name" | tr '/' '_').log"
	"$@" >"$out" 2>&1
	status=$?
	reasons=$(sed -n 's/^SKIPPED: //p' "$out")
	[ -n "$reasons" ] && skipped_lanes="$skipped_lanes$(echo "$reasons" | sed "s|^|$name: |")
"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ] && [ "$status" = 0 ] && [ -n "$reasons" ] && grep -qE ': SKIPPED$' "$out"; then
		echo "$name: SKIPPED ($(echo "$reasons" | head -n 1))"
		return
	fi
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
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		echo "$name: ran no checks (exit $status); see $out"
		failed=$((failed + 1))
	elif [ "$f" != 0 ] || [ "$status" != 0 ]; then
		[ "$f" = 0 ] && failed=$((failed + 1))
		echo "$name: $p passed, $f failed (exit $status); failures:"
		grep -E 'FAIL|not ok' "$out" | head -n 30 | sed 's/^/    /'
	else
		echo "$name: $p passed, $f failed${reasons:+ (some parts SKIPPED, listed below)}"
	fi
}

# skipped_summary: the lanes and parts that did not run, before the final
# line (which stays "N passed, N failed").
skipped_summary() {
	[ -n "$skipped_lanes" ] || return 0
	echo "SKIPPED (not run on this machine; with CI set each one fails):"
	printf '%s' "$skipped_lanes" | sed 's/^/    /'
}
