#!/bin/sh
# The families beyond STM32 (nRF, Kinetis, SAM; issue 15) against Debian's
# OpenOCD 0.12.0, unmodified, through the umockdev test bed's emulated
# DAPLink: each family's file tests/usb/vendor_<family>.sh, sourced here,
# drives the simulated chip with OpenOCD's own commands for it (nrf52_recover,
# kinetis mdm mass_erase, ...) and with rdpd, and judges by the test bed's
# look at the chip and by the other tool's reading. Every check runs a fresh
# test bed, so a fresh simulated chip.
# Usage: tests/usb/test_vendors.sh [BUILD_DIR]. When it cannot run it says why
# (tests/usb/testbed_lane.sh): SKIPPED, or a failure under CI.
. "$(dirname "$0")/../cli/lib.sh"
B=${1:-build}
TB="$B/usb_testbed"
RDPD="$B/rdpd"
RD="$RDPD"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAST="--time-scale 0.01"

. "$(dirname "$0")/testbed_lane.sh"
testbed_lane_ready
command -v openocd >/dev/null 2>&1 || lane_cannot_run "openocd is not installed (Debian package openocd)"

# run NAME TESTBED-OPTIONS... -- PROGRAM...: output in $T/NAME.out, status in $T/NAME.rc
run() {
	name=$1; shift
	timeout 180 "$TB" --report-rdp "$@" >"$T/$name.out" 2>&1
	echo $? >"$T/$name.rc"
}
rc_is() { [ "$(cat "$T/$1.rc")" = "$2" ]; }
has() { grep -q -- "$2" "$T/$1.out"; }
lacks() { ! grep -qi -- "$2" "$T/$1.out"; }
# rdp_is NAME LEVEL: the test bed's own look at the chip when the program ended
rdp_is() { grep -qx "usb_testbed: rdp level $2" "$T/$1.out"; }
step() { printf 'echo "<%s>"; %s; echo "</%s>"; ' "$1" "$2" "$1"; }
section() { sed -n "/^<$2>\$/,/^<\/$2>\$/p" "$T/$1.out"; }
in_section() { section "$1" "$2" | grep -q -- "$3"; }
not_in_section() { section "$1" "$2" >"$T/$1.$2.sec" && [ -s "$T/$1.$2.sec" ] && ! grep -q -- "$3" "$T/$1.$2.sec"; }

OCD="openocd -c 'gdb_port disabled' -c 'telnet_port disabled' -c 'tcl_port disabled'"
DAP="-f interface/cmsis-dap.cfg -c 'transport select swd'"

families=0
for f in "$(dirname "$0")"/vendor_*.sh; do
	[ -f "$f" ] || continue
	families=$((families + 1))
	. "$f"
done
# No family file means the lane tests nothing: that is a failure, not a pass.
check vendor_families_present [ "$families" -gt 0 ]
summary
