# Sourced by tests/usb/test_vendors.sh: NXP Kinetis flash security against
# Debian's OpenOCD 0.12.0 with its own target/klx.cfg and target/kx.cfg,
# through the emulated DAPLink. OpenOCD's "kinetis mdm check_security"
# (32 reads of MDM-AP Status) is the judge of the secured state, its
# "kinetis mdm mass_erase" (AN4835 §4.2.1) of the MDM-AP model, its reads
# of the Flash Configuration Field of what rdpd's unlock left: FSEC 0xFE,
# so the part stays unsecure after a power-on (docs/targets/kinetis.md).
KL_OCD="$OCD $DAP -f target/klx.cfg"
KX_OCD="$OCD $DAP -f target/kx.cfg"
KIN_READ="-c init -c 'kinetis mdm check_security' -c 'mdw 0x40c' -c exit"

# A secured KL25: OpenOCD says so; rdpd names it by its MDM-AP.
run kin_secured --profile mkl25z128-rdp1 $FAST -- sh -c "$(step ocd "$KL_OCD -c init -c 'kinetis mdm check_security' -c exit")
	$(step rdp "$RD rdp --probe 0 --json")"
check kinetis_openocd_sees_security in_section kin_secured ocd 'Your Kinetis MCU is in secured state'
check kinetis_rdpd_scheme in_section kin_secured rdp '"scheme":"kinetis-fsec"'
check kinetis_rdpd_level_1 in_section kin_secured rdp '"rdp_level":1'
check kinetis_rdpd_names_mdm_ap in_section kin_secured rdp '"register":"MDM-AP.IDR"'
check kinetis_secured_stays_level_1 rdp_is kin_secured 1

# rdpd's unlock of a K64; OpenOCD then finds it unsecure and reads FSEC =
# 0xFE in the Flash Configuration Field: the byte a power-on loads
# (test_stack_kinetis.c power-cycles the model to show it holds).
run kin_unlock --profile mk64fn1m0-rdp1 $FAST -- sh -c "$(step unlock "$RD unlock --probe 0 --json")
	$(step ocd "$KX_OCD $KIN_READ")"
check kinetis_rdpd_unlock_succeeds in_section kin_unlock unlock '"state":"succeeded"'
check kinetis_rdpd_unlock_holds in_section kin_unlock unlock '"relocks_at_reset":false'
check kinetis_openocd_unsecure_after in_section kin_unlock ocd 'MDM: Chip is unsecured'
check kinetis_openocd_reads_fsec_fe in_section kin_unlock ocd '0x0000040c: fffffffe'
check kinetis_unlocked_level_0 rdp_is kin_unlock 0

# OpenOCD's own mass erase of the KL25, then rdpd's look: unsecure, and the
# Flash Configuration Field's FSEC reads 0xFE (the MDM-AP erase programs it
# unsecure itself: docs/sim/sim_kinetis.md), so nothing is pending.
run kin_ocd_erase --profile mkl25z128-rdp1 $FAST -- sh -c "$(step ocd "$KL_OCD -c init -c 'kinetis mdm mass_erase' -c exit")
	$(step rdp "$RD rdp --probe 0 --json")"
check kinetis_openocd_mass_erase_runs lacks kin_ocd_erase 'mass erase timeout'
check kinetis_rdpd_after_openocd_level_0 in_section kin_ocd_erase rdp '"rdp_level":0'
check kinetis_rdpd_after_openocd_flash_fsec in_section kin_ocd_erase rdp '"flash_fsec":"0xfe"'
check kinetis_rdpd_after_openocd_nothing_pending not_in_section kin_ocd_erase rdp 'rdp_stored'
check kinetis_ocd_erased_level_0 rdp_is kin_ocd_erase 0

# Mass erase disabled (FSEC.MEEN = 0b10): both tools refuse; nothing erased.
run kin_perm --profile mkl25z128-rdp2 $FAST -- sh -c "$(step ocd "$KL_OCD -c init -c 'kinetis mdm mass_erase' -c exit")
	$(step unlock "$RD unlock --probe 0 --json; echo rc=\$?")"
check kinetis_openocd_refuses_disabled in_section kin_perm ocd 'mass erase is disabled'
check kinetis_rdpd_refuses_level_2 in_section kin_perm unlock 'rdp_level2_permanent'
check kinetis_perm_stays_level_2 rdp_is kin_perm 2
