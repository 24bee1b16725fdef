#!/bin/sh
# The simulated ST-LINK (daemon/sim/sim_stlink.c) against tools we did not
# write: Debian's OpenOCD 0.12.0 (hla_swd through interface/stlink.cfg,
# dapdirect_swd through interface/stlink-dap.cfg) and stlink-tools 1.7.0
# (st-info, st-flash), unmodified, through the umockdev test bed
# (tests/usb/usb_testbed.c --stlink KIND); then a careless host
# (tests/usb/stlink_raw.c) for what no tool sends. Every check runs a fresh
# test bed, so a fresh simulated chip. What each tool is expected to print
# comes from docs/sim/stlink.md ("Checked by tools we did not write").
# Usage: tests/usb/test_stlink.sh [BUILD_DIR]. When it cannot run it says why
# (tests/usb/testbed_lane.sh): SKIPPED, or a failure under CI.
. "$(dirname "$0")/../cli/lib.sh"
B=${1:-build}
TB="$B/usb_testbed"
RAW="$B/stlink_raw"
RDPD="$B/rdpd"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAST="--time-scale 0.01"

. "$(dirname "$0")/testbed_lane.sh"
testbed_lane_ready
command -v openocd >/dev/null 2>&1 || lane_cannot_run "openocd is not installed (Debian package openocd)"
command -v st-info >/dev/null 2>&1 || lane_cannot_run "st-info is not installed (Debian package stlink-tools)"
[ -x "$RAW" ] || { check stlink_raw_builds false; summary; exit $?; }

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
# OpenOCD's unlock commands print their failure and still exit 0: ocd_ok
# reads the text (tests/usb/ocd_plan.sh).
. "$(dirname "$0")/ocd_plan.sh"

# ---- rdpd itself over the emulated ST-LINK (usb-stlink), then OpenOCD ------
# rdpd lists, reads and unlocks through the ST-LINK it finds on USB; the test
# bed's look at the chip and a later OpenOCD read are the judges.
RD="$B/rdpd"
run rdpd_v21 --stlink stlink-v2-1 --profile stm32f401re-rdp1 $FAST -- sh -c "$(step probes "$RD probes --json")
	$(step rdp "$RD rdp --probe 0 --json") $(step unlock "$RD unlock --probe 0 --json")
	$(step after "$RD rdp --probe 0 --json") $(step ocd "$OCD -f interface/stlink.cfg -f target/stm32f4x.cfg -c init -c 'reset halt' -c 'stm32f4x options_read 0' -c exit")"
check rdpd_lists_the_stlink in_section rdpd_v21 probes '"transport":"usb-stlink"'
check rdpd_names_its_protocol in_section rdpd_v21 probes '"protocol":"stlink"'
check rdpd_shows_stlink_firmware in_section rdpd_v21 probes '"firmware_version":"V2J37M26"'
check rdpd_reads_level_1_through_stlink in_section rdpd_v21 rdp '"rdp_level":1'
check rdpd_unlocks_through_stlink in_section rdpd_v21 unlock '"rdp_after":0'
check rdpd_reads_level_0_after in_section rdpd_v21 after '"rdp_level":0'
check rdpd_unlock_seen_by_openocd not_in_section rdpd_v21 ocd 'Device Security Bit Set'
check rdpd_unlock_chip_level_0 rdp_is rdpd_v21 0
run rdpd_v3 --stlink stlink-v3 --profile stm32l476rg-rdp1 $FAST -- sh -c "$(step unlock "$RD unlock --probe 0 --json")"
check rdpd_unlocks_l4_through_v3 in_section rdpd_v3 unlock '"rdp_after":0'
check rdpd_v3_chip_level_0 rdp_is rdpd_v3 0

# ---- OpenOCD, F4 (stm32f2x driver), both transports, V2 -------------------
# The unlock people type, then a second OpenOCD run on the same test bed
# reads the options again.
F4_UNLOCK="-f target/stm32f4x.cfg -c init -c 'reset halt' -c 'stm32f4x options_read 0' -c 'stm32f4x unlock 0' -c 'reset halt' -c exit"
F4_READ="-f target/stm32f4x.cfg -c init -c 'reset halt' -c 'stm32f4x options_read 0' -c exit"
for IF in stlink stlink-dap; do
	n=ocd_${IF}_f4
	run $n --stlink stlink-v2 --profile stm32f401re-rdp1 $FAST -- sh -c \
		"$(step unlock "$OCD -f interface/$IF.cfg $F4_UNLOCK 2>&1") $(step again "$OCD -f interface/$IF.cfg $F4_READ 2>&1")"
	section $n unlock >"$T/${n}u.out"; cp "$T/$n.rc" "$T/${n}u.rc"
	check ${n}_unlock ocd_ok ${n}u 'stm32f2x unlocked'
	check ${n}_version_line has $n 'STLINK V2J37S7 (API v2) VID:PID 0483:3748'
	check ${n}_target_voltage has $n 'Target voltage: 3.300000'
	check ${n}_saw_level_1 in_section $n unlock 'Device Security Bit Set'
	check ${n}_second_run_sees_level_0 not_in_section $n again 'Device Security Bit Set'
	check ${n}_chip_at_level_0 rdp_is $n 0
done
# HLA compares READ_IDCODES with the target file's -expected-id silently;
# dapdirect logs the DPIDR it read.
check ocd_stlink_f4_idcode_matched lacks ocd_stlink_f4 'UNEXPECTED idcode'
check ocd_stlink-dap_f4_dpidr has ocd_stlink-dap_f4 'SWD DPIDR 0x2ba01477'
check ocd_stlink-dap_f4_dapdirect has ocd_stlink-dap_f4 'stlink_dap_op_connect(connect)'
run ocd_hla_idcode --stlink stlink-v2 --profile stm32f401re-rdp1 -- sh -c "$OCD -d3 -f interface/stlink.cfg -f target/stm32f4x.cfg -c init -c exit"
check ocd_stlink_f4_idcode_is_dpidr has ocd_hla_idcode 'stlink_usb_idcode(): IDCODE: 0x2BA01477'

# ---- F1 (stm32f1x, V2) and L4 (stm32l4x, V2-1), both transports -----------
for IF in stlink stlink-dap; do
	run ocd_${IF}_f1 --stlink stlink-v2 --profile stm32f103c8-rdp1 $FAST -- sh -c \
		"$OCD -f interface/$IF.cfg -c 'set WORKAREASIZE 0' -f target/stm32f1x.cfg -c init -c 'reset halt' -c 'stm32f1x unlock 0' -c 'reset halt' -c exit"
	check ocd_${IF}_f1_unlock ocd_ok ocd_${IF}_f1 'stm32x unlocked'
	check ocd_${IF}_f1_chip_at_level_0 rdp_is ocd_${IF}_f1 0
	run ocd_${IF}_l4 --stlink stlink-v2-1 --profile stm32l476rg-rdp1 $FAST -- sh -c \
		"$OCD -f interface/$IF.cfg -f target/stm32l4x.cfg -c init -c 'reset halt' -c 'stm32l4x unlock 0' -c 'reset halt' -c exit"
	check ocd_${IF}_l4_unlock ocd_ok ocd_${IF}_l4 'RDP level 1'
	check ocd_${IF}_l4_v2_1_version has ocd_${IF}_l4 'STLINK V2J37M26 (API v2) VID:PID 0483:374B'
	check ocd_${IF}_l4_chip_at_level_0 rdp_is ocd_${IF}_l4 0
done

# ---- every family OpenOCD drives, both transports, V2-1 -------------------
# One part of each of rdpd's families that OpenOCD 0.12.0 can unlock (the
# first of the families' parts in ocd_plan whose options a reset loads),
# unlocked as users type it, through hla_swd and dapdirect_swd; rdpd then
# reads level 0 through the same ST-LINK. The families come from the driver
# tables: a new one adds no line here.
ocd_plan "$T/ocd_plan.txt"
check stlink_families_listed sh -c "grep -q '^[^#]' '$T/ocd_plan.txt'"
awk -F'\t' '!/^#/ && $6 == "yes" && !seen[$7]++' "$T/ocd_plan.txt" >"$T/ocd_families.run"
while IFS='	' read -r o_part o_cfg o_cmd o_raw o_core o_loads o_family; do
	o_drv=${o_cmd%% *}
	o_wa=; [ "$o_drv" = stm32f1x ] && o_wa="-c 'set WORKAREASIZE 0'"
	for IF in stlink stlink-dap; do
		n=fam_${IF}_$o_family
		run "$n" --stlink stlink-v2-1 --profile "$o_part-rdp1" $FAST -- sh -c \
			"$OCD -f interface/$IF.cfg $o_wa -f $o_cfg -c init -c 'reset halt' -c '$o_cmd' -c 'reset halt' -c exit >$T/$n.ocd 2>&1; echo ocd=\$?; $(step after "$RD rdp --probe 0 --json")"
		cp "$T/$n.ocd" "$T/$n.u.out" 2>/dev/null; sed -n 's/^ocd=//p' "$T/$n.out" >"$T/$n.u.rc"
		check "openocd_${IF}_unlocks_${o_family}_$o_part" ocd_unlock_ok "$n.u" "$o_drv" "$o_core"
		check "rdpd_reads_0_after_openocd_${IF}_$o_part" in_section "$n" after '"rdp_level":0'
		check "${n}_chip_at_level_0" rdp_is "$n" 0
	done
done <"$T/ocd_families.run"
grep -v '^#' "$T/ocd_plan.txt" | cut -f7 | sort -u >"$T/ocd_families.all"
cut -f7 "$T/ocd_families.run" | sort -u >"$T/ocd_families.done"
check every_openocd_family_ran_over_stlink cmp -s "$T/ocd_families.all" "$T/ocd_families.done"

# ---- V3 (GET_VERSION_EX, COM_FREQ), both transports -----------------------
for IF in stlink stlink-dap; do
	run ocd_${IF}_v3 --stlink stlink-v3 --profile stm32f401re-rdp1 $FAST -- sh -c "$OCD -f interface/$IF.cfg $F4_UNLOCK"
	check ocd_${IF}_v3_unlock ocd_ok ocd_${IF}_v3 'stm32f2x unlocked'
	check ocd_${IF}_v3_version has ocd_${IF}_v3 'STLINK V3J15M7 (API v3) VID:PID 0483:374E'
	check ocd_${IF}_v3_chip_at_level_0 rdp_is ocd_${IF}_v3 0
done
# dapdirect asks the V3 for its clock list and takes the highest <= 2000 kHz.
check ocd_stlink-dap_v3_clock_from_list has ocd_stlink-dap_v3 'clock speed 1000 kHz'

# ---- old firmware and a low target voltage ----------------------------------
# V2J21S4 has no DAP register commands (V2J24): dapdirect refuses it, HLA
# still unlocks. 1200 mV: a0/a1 = 1200/600, OpenOCD warns below 1.5 V.
OLD="--stlink stlink-v2 --stlink-firmware V2J21S4 --target-mv 1200 --profile stm32f401re-rdp1 $FAST"
run ocd_old_dap $OLD -- sh -c "$OCD -f interface/stlink-dap.cfg $F4_UNLOCK"
check ocd_old_firmware_no_dapdirect has ocd_old_dap 'ST-Link version does not support DAP direct transport'
check ocd_old_firmware_left_level_1 rdp_is ocd_old_dap 1
check ocd_low_voltage_value has ocd_old_dap 'Target voltage: 1.200000'
check ocd_low_voltage_warned has ocd_old_dap 'target voltage may be too low'
run ocd_old_hla $OLD -- sh -c "$OCD -f interface/stlink.cfg $F4_UNLOCK"
check ocd_old_firmware_hla_version has ocd_old_hla 'STLINK V2J21S4 (API v2) VID:PID 0483:3748'
check ocd_old_firmware_hla_unlocks has ocd_old_hla 'stm32f2x unlocked'
check ocd_old_firmware_hla_chip_at_level_0 rdp_is ocd_old_hla 0

# ---- stlink-tools: st-info ---------------------------------------------------
SERIAL=0123456789ABCDEF01234567
run info_f1 --stlink stlink-v2 --profile stm32f103c8-rdp1 --serial $SERIAL -- st-info --probe
check st_info_found_one rc_is info_f1 0
check st_info_found_one_text has info_f1 'Found 1 stlink programmers'
check st_info_version has info_f1 '  version:    V2J37S7$'
check st_info_serial has info_f1 "  serial:     $SERIAL\$"
check st_info_flash_size has info_f1 '  flash:      65536 (pagesize: 1024)'
check st_info_chipid has info_f1 '  chipid:     0x0410'
check st_info_descr_line has info_f1 '  descr:      F1xx Medium-density'
# The raw-serial quirk: 12 raw bytes in iSerial; st-info prints them as hex.
run info_raw --stlink stlink-v2 --raw-serial --profile stm32f103c8-rdp1 --serial $SERIAL -- st-info --probe
check st_info_raw_serial_as_hex has info_raw "  serial:     $SERIAL\$"
# A serial of the default kind is 24 hex digits too.
run info_v21 --stlink stlink-v2-1 --profile stm32f401re-rdp1 -- st-info --probe
check st_info_v2_1_default_serial grep -Eq '^  serial:     [0-9A-F]{24}$' "$T/info_v21.out"
# stlink 1.7.0 prints the V2-1's MSD field as "S" (stlink#1462).
check st_info_v2_1_version has info_v21 '  version:    V2J37S26$'
check st_info_f4_chipid has info_v21 '  chipid:     0x0433'
run info_v3 --stlink stlink-v3 --profile stm32l476rg-rdp1 -- st-info --probe
check st_info_v3_version has info_v3 '  version:    V3J15$'
check st_info_v3_chipid has info_v3 '  chipid:     0x0415'
check st_info_v3_descr has info_v3 '  descr:      L4xx'
run descr_f4 --stlink stlink-v2 --profile stm32f401re-rdp1 -- st-info --descr
check st_info_descr rc_is descr_f4 0
check st_info_descr_text grep -qx 'F4xx (Dynamic Efficency)' "$T/descr_f4.out"

# ---- stlink-tools: st-flash read -----------------------------------------------
# st-flash 1.7.0 reads with READMEM_32 and never asks GETLASTRWSTATUS
# (common.c stlink_read), so on the level-1 chip it exits 0 with the zeros
# the firmware sends for the faulted words: it cannot see the protection.
# After OpenOCD's unlock on the same test bed it reads the erased flash.
run flash_f4 --stlink stlink-v2 --profile stm32f401re-rdp1 $FAST -- sh -c \
	"cd $T && st-flash read locked.bin 0x08000000 4096 && $OCD -f interface/stlink.cfg $F4_UNLOCK && st-flash read open.bin 0x08000000 4096"
check st_flash_read_locked_exits_0 rc_is flash_f4 0
only_byte() { [ "$(wc -c <"$T/$1")" = 4096 ] && [ "$(od -An -v -tx1 "$T/$1" | tr -s ' \n' '\n\n' | sed '/^$/d' | sort -u)" = "$2" ]; }
check st_flash_locked_reads_zeros only_byte locked.bin 00
check st_flash_after_unlock_reads_erased only_byte open.bin ff
# On an open chip st-flash returns the flash bytes: the same words OpenOCD
# reads on the same test bed.
run flash_f1 --stlink stlink-v2 --profile stm32f103c8-rdp0 -- sh -c \
	"cd $T && st-flash read f1.bin 0x08000000 4096 && $OCD -f interface/stlink.cfg -f target/stm32f1x.cfg -c init -c 'mdw 0x08000000 4' -c exit"
ocd_words() { sed -n 's/^0x08000000: \([0-9a-f ]*\).*/\1/p' "$T/flash_f1.out" | tr -s ' ' | sed 's/ $//'; }
st_words() { od -An -N16 -tx4 "$T/f1.bin" | tr -s ' ' | sed 's/^ //;s/ $//'; }
same_words() { w=$(ocd_words) && [ -n "$w" ] && [ "$w" = "$(st_words)" ] && [ "$w" != "00000000 00000000 00000000 00000000" ]; }
check st_flash_read_matches_openocd same_words

# ---- a careless host ---------------------------------------------------------
# Unknown F2 sub-opcode: JTAG_UNKNOWN_CMD 0x42. An IN with nothing pending
# waits (times out) and the probe still answers. A 3-byte "command" is
# stalled. An unknown top-level opcode leaves no reply.
run raw_v2 --stlink stlink-v2 --profile stm32f401re-rdp1 -- "$RAW" i2 cF1 i6 cF2FF i2 oF2 cF5 i2 cAA i2 \
	cF230A3 i2 cF245FFFF0400 i8 cF24509000000 i8 cF24B09 i2 cF20C000000080100 i2 cF23E i12
raw_line() { sed -n "$2p" "$T/$1.out" | grep -qx -- "$3"; }
check raw_in_with_nothing_pending_waits raw_line raw_v2 1 'in timeout'
check raw_get_version_after_it raw_line raw_v2 3 'in 29 47 83 04 48 37'
check raw_unknown_subcommand_0x42 raw_line raw_v2 5 'in 42 00'
check raw_short_command_stalled raw_line raw_v2 6 'out stall'
check raw_mode_after_stall raw_line raw_v2 8 'in 00 00'
check raw_unknown_opcode_no_reply raw_line raw_v2 10 'in timeout'
check raw_enter_swd raw_line raw_v2 12 'in 80 00'
check raw_dp_ctrl_stat_powered raw_line raw_v2 14 'in 80 00 00 00 00 00 00 f0'
check raw_bad_ap_9 raw_line raw_v2 16 'in 1d 00 00 00 00 00 00 00'
check raw_init_ap_9_bad raw_line raw_v2 18 'in 1d 00'
check raw_readmem8_one_byte_gives_two raw_line raw_v2 20 'in 00 00'
check raw_lastrw_status_fault raw_line raw_v2 22 'in 11 00 00 00 00 00 00 08 00 00 00 00'
check raw_test_bed_exit rc_is raw_v2 0
# The old firmware does not know READ_DAP_REG (V2J24): a 2-byte refusal, a
# short transfer for the 8 bytes asked.
run raw_old --stlink stlink-v2 --stlink-firmware V2J21S4 --profile stm32f401re-rdp1 -- "$RAW" cF230A3 i2 cF245FFFF0400 i8
check raw_old_firmware_refuses_dap_reg raw_line raw_old 4 'in 42 00'

# ---- the probe goes away in the middle of the unlock -------------------------
# After the chip's first flash-interface write (OPTKEYR's first key, as
# "stm32f4x unlock" starts on the option bytes) the probe is gone (unplugged):
# the flash driver's unlock fails and says so, OpenOCD exits non-zero, the
# test bed outlives it, the chip keeps level 1. The trigger is that write,
# not a command count: how many DHCSR polls "reset halt" makes before it
# depends on the machine's speed.
run drop --stlink stlink-v2 --profile stm32f401re-rdp1 --drop-at-flash-write 1 $FAST -- sh -c "$OCD -f interface/stlink.cfg $F4_UNLOCK"
check drop_unlock_fails grep -q 'stm32f2x failed to unlock device' "$T/drop.out"
check drop_openocd_exits_nonzero sh -c "[ \"\$(cat $T/drop.rc)\" -ne 0 ] && [ \"\$(cat $T/drop.rc)\" -lt 128 ]"
check drop_chip_still_level_1 rdp_is drop 1

summary
