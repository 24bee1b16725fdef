#!/bin/sh
# The third part of make bench (issue 14): rdpd and Debian's OpenOCD 0.12.0
# on the same emulated probe and chip (the umockdev test bed,
# tests/usb/usb_testbed.c, STM32F401 at RDP level 1, 1 ms per bulk OUT
# transfer, --count): for the ST-LINK/V2-1 (OpenOCD hla_swd through
# interface/stlink.cfg, dapdirect_swd through interface/stlink-dap.cfg) and
# the DAPLink (interface/cmsis-dap.cfg), the transfers and milliseconds of
#   identify + RDP read: rdpd rdp / OpenOCD init + stm32f4x options_read,
#     whole runs, median of 3;
#   the unlock as users run it, verified: rdpd unlock / OpenOCD init, reset
#     halt, stm32f4x unlock, reset halt, options_read and mdw of the first
#     and last 256 bytes of flash (what rdpd's verify step reads); the time from
#     the end of the erase to the last transfer, and the whole run.
# What each figure means: docs/bench.md. Unlike a test lane, a bench that
# cannot run here fails (make bench exits non-zero) and says why.
# Usage: tests/bench/bench_openocd.sh [BUILD_DIR]
. "$(dirname "$0")/../cli/lib.sh"
B=${1:-build}
TB="$B/usb_testbed"
RDPD="$B/rdpd"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cannot_run() { failed=$((failed + 1)); echo "bench: cannot run: $1"; }

. "$(dirname "$0")/../usb/testbed_lane.sh"
testbed_lane_ready
command -v openocd >/dev/null 2>&1 || lane_cannot_run "openocd is not installed (Debian package openocd)"

RUNS=3
LATENCY_US=1000 # bench_probe's: USB full-speed, one transfer per 1 ms frame
OCD="openocd -c 'gdb_port disabled' -c 'telnet_port disabled' -c 'tcl_port disabled'"
F4_READ="-f target/stm32f4x.cfg -c init -c 'stm32f4x options_read 0' -c exit"
# The F401RE's 512 KiB end at 0x08080000: 64 words at each end.
F4_UNLOCK="-f target/stm32f4x.cfg -c init -c 'reset halt' -c 'stm32f4x unlock 0' -c 'reset halt' \
-c 'stm32f4x options_read 0' -c 'mdw 0x08000000 64' -c 'mdw 0x0807ff00 64' -c exit"

# measure NAME TESTBED-OPTIONS... -- PROGRAM...: output in $T/NAME.out
measure() {
	name=$1; shift
	timeout 120 "$TB" --count --report-rdp --latency-us "$LATENCY_US" "$@" >"$T/$name.out" 2>&1
	echo $? >"$T/$name.rc"
}
# field NAME KEY: a value of the test bed's count line
field() { sed -n "s/^usb_testbed: count.* $2=\([^ ]*\).*/\1/p" "$T/$1.out"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rdp_is() { grep -qx "usb_testbed: rdp level $2" "$T/$1.out"; }
has() { grep -q -- "$2" "$T/$1.out"; }
lacks() { ! grep -q -- "$2" "$T/$1.out"; }
erased_words() { [ "$(grep -c '^0x080[07][0-9a-f]*: \(ffffffff \)\{8\}$' "$T/$1.out")" = 16 ]; }
ocd_unlocked() { has "$1" 'stm32f2x unlocked' && lacks "$1" 'Error:' && rdp_is "$1" 0 && erased_words "$1"; }

# must NAME CONDITION...: a run that did not do its work measured nothing:
# say so, with the end of its output, and fail at the end.
must() {
	name=$1; shift
	"$@" && return 0
	failed=$((failed + 1))
	echo "bench: FAIL $name: $*"
	tail -5 "$T/$run.out" | sed 's/^/  | /'
}

# read_figure TOOL NAME TESTBED-OPTIONS... -- PROGRAM...: RUNS runs; sets
# FIG to "TOOL N UNIT M ms (+S ms start-up)", the medians of each, and OUT
# and MS to N and M.
read_figure() {
	tool=$1; n=$2; shift 2
	: >"$T/$n.all"
	i=0
	while [ $i -lt $RUNS ]; do
		run=$n.$i
		measure $run "$@"
		must ${run}_exit_0 [ "$(cat "$T/$run.rc")" = 0 ]
		must ${run}_chip_left_at_level_1 rdp_is $run 1
		echo "$(field $run out) $(field $run first_to_last_ms) $(field $run start_to_first_ms)" >>"$T/$n.all"
		i=$((i + 1))
	done
	OUT=$(cut -d' ' -f1 "$T/$n.all" | median)
	MS=$(cut -d' ' -f2 "$T/$n.all" | median)
	FIG="$tool $OUT $UNIT $MS ms (+$(cut -d' ' -f3 "$T/$n.all" | median) ms start-up)"
}

# unlock_figure TOOL NAME VERIFIED TESTBED-OPTIONS... -- PROGRAM...: one
# run; sets FIG to "TOOL E ms, K UNIT after the erase (N UNIT, W ms in all)".
unlock_figure() {
	tool=$1; run=$2; verified=$3; shift 3
	measure $run --time-scale 0.05 "$@"
	must ${run}_exit_0 [ "$(cat "$T/$run.rc")" = 0 ]
	must ${run}_verified_at_level_0 $verified $run
	must ${run}_saw_the_erase_end [ "$(field $run erase_done_out)" != none ]
	out=$(field $run out)
	after=$(field $run erase_done_out)
	case $after in *[!0-9]*|"") after=$out ;; esac
	FIG=$(printf '%s %s ms, %s %s after the erase (%s %s, %s ms in all)' "$tool" \
		"$(field $run erase_done_to_last_ms)" $((out - after)) "$UNIT" "$out" "$UNIT" \
		"$(awk -v a="$(field $run start_to_first_ms)" -v b="$(field $run first_to_last_ms)" \
			-v c="$(field $run last_to_exit_ms)" 'BEGIN { printf "%.0f", a + b + c }')")
}
rdpd_unlocked() { has "$1" '"rdp_after":0' && rdp_is "$1" 0; }

# one_probe ID LABEL TESTBED_OPTIONS UNIT MODE:INTERFACE...: both lines of
# one probe kind, rdpd first, then OpenOCD in each MODE.
one_probe() {
	id=$1; label=$2; opts=$3; UNIT=$4; shift 4
	read_figure rdpd ${id}_rdpd_read $opts -- "$RDPD" rdp --probe 0 --json
	line="$label identify + RDP read (median of $RUNS): $FIG"
	for ocd in "$@"; do
		read_figure "OpenOCD ${ocd%%:*}" ${id}_${ocd%%:*}_read $opts -- sh -c "$OCD -f interface/${ocd#*:}.cfg $F4_READ"
		line="$line | $FIG"
	done
	echo "$line"
	unlock_figure rdpd ${id}_rdpd_unlock rdpd_unlocked $opts -- "$RDPD" unlock --probe 0 --json
	line="$label end of the erase to a verified unlock: $FIG"
	for ocd in "$@"; do
		unlock_figure "OpenOCD ${ocd%%:*}" ${id}_${ocd%%:*}_unlock ocd_unlocked $opts -- \
			sh -c "$OCD -f interface/${ocd#*:}.cfg $F4_UNLOCK"
		line="$line | $FIG"
	done
	echo "$line"
}

echo "rdpd beside OpenOCD 0.12.0 on the same emulated probe and chip (umockdev test bed, STM32F401 at level 1, 1 ms per bulk OUT transfer; whole runs; docs/bench.md):"
one_probe stlink ST-LINK/V2-1 "--stlink stlink-v2-1" "USB OUT transfers" hla:stlink dapdirect:stlink-dap
one_probe dap CMSIS-DAP "" packets cmsis-dap:cmsis-dap
# What the emulation itself costs per transfer (umockdev's ioctl round trips,
# libusb reaping without waiting): the same for every column.
LATENCY_US=0
read_figure rdpd cost --stlink stlink-v2-1 -- "$RDPD" rdp --probe 0 --json
echo "The emulation's own cost, in every column alike: rdpd rdp over the ST-LINK at no latency" \
	"(median of $RUNS), $OUT transfers in $MS ms," \
	"$(awk -v n="$OUT" -v ms="$MS" 'BEGIN { printf "%.2f", n ? ms / n : 0 }') ms each"

# OpenOCD's memory for one probe: the process after init, serving it (one
# OpenOCD per probe), beside rdpd's own figures for 1 and 16 probes
# (bench_service's lines above).
run=ocd_rss
measure $run -- sh -c "$OCD -f interface/cmsis-dap.cfg -f target/stm32f4x.cfg -c init >$T/ocd_rss.log 2>&1 &
p=\$!; sleep 2; sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/ocd_rss_kb=\1/p' /proc/\$p/status; kill \$p; wait \$p"
OCD_KB=$(sed -n 's/^ocd_rss_kb=//p' "$T/$run.out")
must ocd_rss_read [ -n "$OCD_KB" ]
echo "OpenOCD 0.12.0 resident memory serving one probe (cmsis-dap, after init): ${OCD_KB:-?} KB;" \
	"16 probes, one process each: $(awk -v k="${OCD_KB:-0}" 'BEGIN { printf "%.0f", 16 * k }') KB"
[ "$failed" = 0 ]
