# Sourced by tests/usb/test_vendors.sh: Nordic nRF52 access port protection
# against Debian's OpenOCD 0.12.0 with its own target/nrf52.cfg, through the
# emulated DAPLink. OpenOCD's examine-fail handler (nrf52_check_ap_lock reads
# CTRL-AP APPROTECTSTATUS) is the judge of the lock; its nrf52_recover
# (ERASEALL, ERASEALLSTATUS, RESET) of the CTRL-AP model; its reads of FICR
# and UICR of what rdpd's unlock and lock left (docs/targets/nrf52.md).
NRF_OCD="$OCD $DAP -f target/nrf52.cfg"
NRF_READ="-c init -c 'mdw 0x10000100' -c 'mdw 0x10001208' -c exit"
# nrf_after NAME SECTION FIRST THEN: THEN is printed after FIRST
nrf_after() { section "$1" "$2" | sed -n "/$3/,\$p" | sed 1d | grep -q -- "$4"; }

# A locked nRF52832: OpenOCD sees the lock; rdpd names it by its CTRL-AP.
run nrf_locked --profile nrf52832-rdp1 $FAST -- sh -c "$(step ocd "$NRF_OCD -c init -c exit")
	$(step rdp "$RD rdp --probe 0 --json")"
check nrf52_openocd_sees_the_lock in_section nrf_locked ocd 'nRF52 device has AP lock engaged'
check nrf52_rdpd_scheme in_section nrf_locked rdp '"scheme":"nrf-approtect"'
check nrf52_rdpd_level_1 in_section nrf_locked rdp '"rdp_level":1'
check nrf52_rdpd_names_ctrl_ap in_section nrf_locked rdp '"register":"CTRL-AP.IDR"'
check nrf52_rdpd_says_approtectstatus in_section nrf_locked rdp 'APPROTECTSTATUS = 0'
check nrf52_locked_stays_level_1 rdp_is nrf_locked 1

# OpenOCD's own recovery of the simulated chip; rdpd then reads the part.
run nrf_recover --profile nrf52832-rdp1 $FAST -- sh -c "$(step ocd "$NRF_OCD -c init -c nrf52_recover -c exit")
	$(step rdp "$RD rdp --probe 0 --json")"
check nrf52_openocd_recovers in_section nrf_recover ocd 'device has been successfully erased and unlocked'
check nrf52_rdpd_after_openocd_level_0 in_section nrf_recover rdp '"rdp_level":0'
check nrf52_rdpd_after_openocd_part in_section nrf_recover rdp '"chip":"nRF52832"'
check nrf52_recovered_level_0 rdp_is nrf_recover 0

# rdpd's unlock; OpenOCD then examines the core and reads FICR and UICR.
run nrf_unlock --profile nrf52840-rdp1 $FAST -- sh -c "$(step unlock "$RD unlock --probe 0 --json")
	$(step ocd "$NRF_OCD $NRF_READ")"
check nrf52_rdpd_unlock_succeeds in_section nrf_unlock unlock '"state":"succeeded"'
check nrf52_rdpd_unlock_not_relocking in_section nrf_unlock unlock '"relocks_at_reset":false'
check nrf52_openocd_examines_after in_section nrf_unlock ocd 'Cortex-M4 r0p1 processor detected'
check nrf52_openocd_reads_info_part in_section nrf_unlock ocd '0x10000100: 00052840'
check nrf52_openocd_reads_uicr_erased in_section nrf_unlock ocd '0x10001208: ffffffff'
check nrf52_unlocked_level_0 rdp_is nrf_unlock 0

# rdpd's lock: OpenOCD finds the lock engaged afterwards.
run nrf_lock --profile nrf52840-rdp0 $FAST -- sh -c "$(step lock "$RD lock --probe 0 --json")
	$(step ocd "$NRF_OCD -c init -c exit")"
check nrf52_rdpd_lock_succeeds in_section nrf_lock lock '"state":"succeeded"'
check nrf52_openocd_sees_rdpd_lock in_section nrf_lock ocd 'nRF52 device has AP lock engaged'
check nrf52_locked_level_1 rdp_is nrf_lock 1

# A hardened nRF52840 (build code F0): rdpd's unlock leaves it open until its
# next reset and says so; OpenOCD, connecting without a reset, reads
# UICR.APPROTECT = HwDisabled. OpenOCD's own recovery ends in the CTRL-AP
# reset, which closes such a part again at once: its examination after the
# erase cannot read CPUID.
run nrf_hard --profile nrf52840f0-rdp1 $FAST -- sh -c "$(step unlock "$RD unlock --probe 0 --json")
	$(step ocd "$NRF_OCD $NRF_READ")"
check nrf52_hardened_unlock_succeeds in_section nrf_hard unlock '"state":"succeeded"'
check nrf52_hardened_relocks_at_reset in_section nrf_hard unlock '"relocks_at_reset":true'
check nrf52_hardened_uicr_hwdisabled in_section nrf_hard ocd '0x10001208: ffffff5a'
check nrf52_hardened_open_now rdp_is nrf_hard 0
run nrf_hard_ocd --profile nrf52840f0-rdp1 $FAST -- sh -c "$(step ocd "$NRF_OCD -c init -c nrf52_recover -c exit")"
check nrf52_hardened_openocd_erases in_section nrf_hard_ocd ocd 'device has been successfully erased and unlocked'
check nrf52_hardened_openocd_relocked nrf_after nrf_hard_ocd ocd 'successfully erased' 'Failed to read memory at 0xe000ed00'
check nrf52_hardened_openocd_level_1 rdp_is nrf_hard_ocd 1
