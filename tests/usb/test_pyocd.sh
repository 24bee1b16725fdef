#!/bin/sh
# Debian's pyOCD (python3-pyocd 0.13.1, unmodified: its pyocd-tool commander
# as users run it) against the simulated DAPLink through the umockdev test
# bed (tests/usb/usb_testbed.c), as CMSIS-DAP v1 HID: pyOCD 0.13 reaches
# CMSIS-DAP only through HID (its pyusb backend on Linux). It checks the
# simulated core's reset behaviour and ROM table against a tool we did not
# write (docs/sim-cortexm.md):
#   - halt, then a plain reset (SYSRESETREQ, no vector catch): the core runs;
#   - reset-halt (pyOCD sets DEMCR.VC_CORERESET): halted at the reset vector,
#     DFSR.VCATCH set;
#   - pyOCD's ROM-table walk names SCS, DWT, FPB, ITM, TPIU and ETM.
# Usage: tests/usb/test_pyocd.sh [BUILD_DIR]. When it cannot run it says why
# (tests/usb/testbed_lane.sh): SKIPPED, or a failure under CI.
. "$(dirname "$0")/../cli/lib.sh"
B=${1:-build}
TB="$B/usb_testbed"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PYOCD=/usr/bin/pyocd-tool

. "$(dirname "$0")/testbed_lane.sh"
testbed_lane_ready
[ -x "$PYOCD" ] || lane_cannot_run "pyocd-tool is not installed (Debian package python3-pyocd)"

# bed NAME PROFILE COMMANDS: one test bed (one simulated chip) for a shell
# script of pyocd-tool commands ($P); output in $T/NAME.out.
bed() {
	name=$1 profile=$2; shift 2
	timeout 300 "$TB" --hid --profile "$profile" -- \
		sh -c "P='$PYOCD -t cortex_m'; $*" >"$T/$name.out" 2>&1
	echo $? >"$T/$name.rc"
}
has() { grep -q -- "$2" "$T/$1.out"; }
# section NAME TAG: the lines a step printed between "<TAG>" and "</TAG>"
section() { sed -n "/^<$2>\$/,/^<\/$2>\$/p" "$T/$1.out"; }
in_section() { section "$1" "$2" | grep -q -- "$3"; }
step() { printf 'echo "<%s>"; %s; echo "</%s>"; ' "$1" "$2" "$1"; }
# word NAME TAG: the 32-bit value `rw ADDR` printed in section TAG
word() { section "$1" "$2" | sed -n 's/^[0-9a-f]*: *\([0-9a-f]*\).*/\1/p' | head -n 1; }
bit_set() { [ -n "$1" ] && [ $(( 0x$1 & $2 )) != 0 ]; }
bit_clear() { [ -n "$1" ] && [ $(( 0x$1 & $2 )) = 0 ]; }

bed smoke stm32f401re-rdp0 "\$P list"
has smoke 'DAPLink CMSIS-DAP' ||
	skipped "pyOCD saw no probe through the test bed ($(tr '\n' ' ' <"$T/smoke.out" | cut -c1-300))"

# ---- halt, then a plain reset: the core must run --------------------------
bed plain stm32f401re-rdp0 "$(step halt "\$P halt") $(step halted "\$P status")
	$(step reset "\$P reset") $(step after "\$P status") $(step dhcsr "\$P rw 0xE000EDF0")"
check pyocd_halts in_section plain halted 'Core 0 status:  Halted'
check pyocd_plain_reset_runs_the_core in_section plain after 'Core 0 status:  Running'
check pyocd_plain_reset_dhcsr_not_halted bit_clear "$(word plain dhcsr)" $((1 << 17))

# ---- reset-halt (vector catch): halted at the reset vector ---------------
bed vc stm32f401re-rdp0 "$(step rh "\$P reset -- -h") $(step status "\$P status")
	$(step pc "\$P reg pc") $(step vector "\$P rw 0x08000004")
	$(step dfsr "\$P rw 0xE000ED30") $(step reset "\$P reset") $(step again "\$P status")"
check pyocd_reset_halt_halts in_section vc rh 'Successfully halted device on reset'
check pyocd_reset_halt_status_halted in_section vc status 'Core 0 status:  Halted'
vec=$(word vc vector)
pc=$(section vc pc | sed -n 's/^pc = 0x\([0-9a-f]*\).*/\1/p')
same_pc() { [ -n "$1" ] && [ -n "$2" ] && [ $((0x$1 & ~1)) = $((0x$2)) ]; }
check pyocd_reset_halt_at_reset_vector same_pc "$vec" "$pc"
check pyocd_reset_halt_dfsr_vcatch bit_set "$(word vc dfsr)" 8
check pyocd_reset_after_reset_halt_runs in_section vc again 'Core 0 status:  Running'

# ---- the ROM table, as pyOCD's discovery names it ------------------------
rom() { # NAME PROFILE
	bed "$1" "$2" "\$P -d info status"
}
rom rom_m4 stm32f401re-rdp0
for c in 'e000e000:SCS-M4' 'e0001000:DWT' 'e0002000:FPB' 'e0000000:ITM' \
	 'e0040000:TPIU-M4 class=9 designer=43b part=9a1 devtype=11' \
	 'e0041000:ETM-M4 class=9 designer=43b part=925 devtype=13'; do
	check "pyocd_rom_m4_${c%%:*}" has rom_m4 "<$c"
done
rom rom_m3 stm32f103c8-rdp0
check pyocd_rom_m3_scs has rom_m3 '<e000e000:SCS-M3'
check pyocd_rom_m3_tpiu has rom_m3 '<e0040000:TPIU-M3 class=9 designer=43b part=923 devtype=11'
check pyocd_rom_m3_etm has rom_m3 '<e0041000:ETM-M3 class=9 designer=43b part=924 devtype=13'
rom rom_m7 stm32f746zg-rdp0
check pyocd_rom_m7_tpiu has rom_m7 '<e0040000:TPIU-M7 class=9 designer=43b part=9a9 devtype=11'
# No component is left unnamed on M3/M4 (pyOCD prints "???" for those).
check pyocd_rom_m4_nothing_unnamed sh -c "! grep -q '<e00[0-9a-f]*:???' '$T/rom_m4.out'"
check pyocd_rom_m3_nothing_unnamed sh -c "! grep -q '<e00[0-9a-f]*:???' '$T/rom_m3.out'"
summary
