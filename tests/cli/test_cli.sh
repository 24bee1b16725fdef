#!/bin/sh
# The command line as users run it: exit statuses, --json shapes, messages.
. "$(dirname "$0")/lib.sh"
B=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAST='?time_scale=0.001'

"$B/rdpd" --help >"$T/help"; st=$?
check help_exits_0 [ "$st" = 0 ]
check help_teaches grep -q "sim:stm32f401re-rdp1" "$T/help"
check help_names_exit_codes grep -q "Exit status" "$T/help"

"$B/rdpd" frobnicate >/dev/null 2>&1; st=$?
check unknown_command_is_usage_error [ "$st" = 2 ]

"$B/rdpd" rdp --probe sim:stm32f401re-rdp1 --json >"$T/rdp.json"; st=$?
check rdp_json_exits_0 [ "$st" = 0 ]
check rdp_json_shape json "$T/rdp.json" 'j["rdp_level"]==1 and j["chip"]=="STM32F401xD/E" and j["dev_id"]=="0x433" and j["flash_kb"]==512 and j["family"]=="stm32f4" and j["rdp_raw"] not in ("0xaa","0xcc") and j["connect"]["clock_hz"]==1000000 and j["read_at"].endswith("Z") and "optcr" in j["options"]'

"$B/rdpd" rdp --probe sim:stm32f401re-rdp1 >"$T/rdp.txt"; st=$?
check rdp_human_exits_0 [ "$st" = 0 ]
check rdp_human_says_level grep -q "level 1" "$T/rdp.txt"

"$B/rdpd" unlock --probe "sim:stm32f401re-rdp1$FAST" --json >"$T/unlock.json"; st=$?
check unlock_exits_0 [ "$st" = 0 ]
check unlock_result json "$T/unlock.json" 'j["state"]=="succeeded" and j["result"]["rdp_before"]==1 and j["result"]["rdp_after"]==0 and j["result"]["flash_erased"] and j["result"]["flash_verified_blank"] and not j["result"]["power_cycle_required"] and j["error"] is None'
check unlock_steps json "$T/unlock.json" '[s["name"] for s in j["steps"] if s["state"]=="done"]==["connect","identify","read_level","program_options","mass_erase","reload","verify"]'

"$B/rdpd" unlock --probe "sim:stm32f401re-rdp1$FAST" >"$T/unlock.txt"; st=$?
check unlock_human_exits_0 [ "$st" = 0 ]
check unlock_human_done grep -q "unlocked" "$T/unlock.txt"

"$B/rdpd" unlock --probe "sim:stm32f401re-rdp0$FAST" --json >"$T/unlock0.json"; st=$?
check unlock_level0_nothing_erased json "$T/unlock0.json" 'j["state"]=="succeeded" and not j["result"]["flash_erased"]'

"$B/rdpd" lock --probe "sim:stm32f401re-rdp0$FAST" --json >"$T/lock.json"; st=$?
check lock_sets_level1 json "$T/lock.json" 'j["state"]=="succeeded" and j["result"]["rdp_after"]==1'

"$B/rdpd" rdp --probe sim:stm32f401re-rdp2 >"$T/l2.txt" 2>&1; st=$?
check level2_exit_3 [ "$st" = 3 ]
check level2_says_what_to_check grep -q "VTref" "$T/l2.txt"

"$B/rdpd" rdp --probe sim:no-such-profile >"$T/np.txt" 2>&1; st=$?
check unknown_profile_fails [ "$st" = 1 ]
check unknown_profile_hint grep -q "list-profiles" "$T/np.txt"

"$B/rdpd" rdp --probe sim:stm32f401re-rdp1 --clock fast >"$T/clk.txt" 2>&1; st=$?
check bad_clock_is_usage_error [ "$st" = 2 ]
"$B/rdpd" rdp --probe 'sim:stm32f401re-rdp1?bogus=1' >/dev/null 2>&1; st=$?
check bad_sim_option_is_usage_error [ "$st" = 2 ]
"$B/rdpd" rdp --probe nothing:here >/dev/null 2>&1; st=$?
check bad_scheme_is_usage_error [ "$st" = 2 ]

"$B/rdpd" rdp --probe usb:NO-SUCH-SERIAL --json >"$T/usb.json" 2>&1; st=$?
check absent_usb_probe_fails [ "$st" = 1 ]
check absent_usb_probe_json json "$T/usb.json" 'j["error"]["code"]=="probe_not_found"'

"$B/rdpd" rdp --probe sim:stm32f401re-swd-off-rdp1 --json >"$T/swdoff.json"; st=$?
check swd_off_reached_under_reset json "$T/swdoff.json" 'j["connect"]["mode"]=="under-reset" and j["rdp_level"]==1'

summary
