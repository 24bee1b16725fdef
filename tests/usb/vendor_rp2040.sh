# Sourced by tests/usb/test_vendors.sh: the Raspberry Pi RP2040 (no read
# protection, SWD multidrop) against Debian's OpenOCD 0.12.0 with its own
# target/rp2040.cfg, through the emulated DAPLink. OpenOCD's multidrop code
# (dormant wake-up, TARGETSEL through DAP_SWD_Sequence, the DLPIDR check)
# is the judge of the simulated bus; rdpd then finds the chip on the same
# bus with no target named. The model has core 0's DP only (docs/sim/sim_rp2040.md),
# so OpenOCD runs with USE_CORE 0, the file's own single-core option.
RP_OCD="$OCD $DAP -c 'set USE_CORE 0' -f target/rp2040.cfg"
run rp2040 --profile rp2040-rdp0 $FAST -- sh -c "$(step ocd "$RP_OCD -c init -c 'mdw 0x40000000' -c 'reset halt' -c exit")
	$(step rdp "$RD rdp --probe 0 --json") $(step lock "$RD lock --probe 0 --json; echo rc=\$?")
	$(step ocd_after "$RP_OCD -c init -c 'mdw 0x40000000' -c exit")"
check rp2040_openocd_selects_core0_dp in_section rp2040 ocd 'SWD DPIDR 0x0bc12477, DLPIDR 0x00000001'
check rp2040_openocd_examines_the_core in_section rp2040 ocd 'Cortex-M0+ r0p1 processor detected'
check rp2040_openocd_reads_chip_id in_section rp2040 ocd '0x40000000: 20002927'
check rp2040_openocd_halts_in_boot_rom in_section rp2040 ocd 'halted due to debug-request'
check rp2040_rdpd_names_it in_section rp2040 rdp '"chip":"RP2040"'
check rp2040_rdpd_scheme_none in_section rp2040 rdp '"scheme":"none"'
check rp2040_rdpd_level_0 in_section rp2040 rdp '"rdp_level":0'
check rp2040_rdpd_chip_id_register in_section rp2040 rdp '"register":"SYSINFO.CHIP_ID"'
check rp2040_rdpd_chip_id_value in_section rp2040 rdp '"value":"0x20002927"'
check rp2040_lock_refused in_section rp2040 lock 'not_supported'
check rp2040_lock_exit_nonzero not_in_section rp2040 lock 'rc=0'
check rp2040_openocd_after_rdpd in_section rp2040 ocd_after '0x40000000: 20002927'
check rp2040_still_level_0 rdp_is rp2040 0
