# Sourced by the lanes that run OpenOCD 0.12.0 against the simulator
# (tests/usb/test_usb.sh over CMSIS-DAP, tests/usb/test_stlink.sh over the
# ST-LINK), after tests/cli/lib.sh, with B (the build dir), T (a temp dir)
# and RDPD set.
#
# ocd_plan OUT: every simulated part OpenOCD can drive, one per part row of
# the driver tables (build/tools/families --json), found by rdpd on the
# part's -rdp0 profile (rdpd-sim --list-profiles --verbose), one line each:
# NAME<TAB>TARGET-FILE<TAB>UNLOCK-COMMAND<TAB>RDP-BYTE<TAB>CORE<TAB>RESET-LOADS<TAB>FAMILY,
# or "# why" for a part OpenOCD 0.12.0 cannot drive. RESET-LOADS is "no" for a
# part whose options a system reset does not load (the F0: RM0360 §4);
# FAMILY is rdpd's driver. A part is a name P with P-rdp0 and P-rdp1
# profiles. A new family adds no line to the lanes. A family with its own
# file tests/usb/vendor_<family>.sh (test_vendors.sh) is driven there with
# its vendor's OpenOCD procedure, not by the STM32 lanes' command line.
ocd_plan() {
	"$B/tools/families" --json >"$T/families.json" 2>&1
	"$B/rdpd-sim" --list-profiles --verbose >"$T/profiles.txt"
	python3 - "$T/families.json" "$T/profiles.txt" "$RDPD" "$(dirname "$0")" >"$1" 2>"$1.err" <<'EOF'
import json, os, re, subprocess, sys
drivers = json.load(open(sys.argv[1]))["drivers"]
summary = {}
for line in open(sys.argv[2]):
    name, _, rest = line.strip().partition(" ")
    summary[name] = rest.strip()
rows = {}
for d in drivers:
    for p in d["parts"]:
        rows.setdefault((d["name"], p["name"]), (d, p))
seen = set()
for name in summary:
    part = name[:-5]
    if not name.endswith("-rdp0") or part + "-rdp1" not in summary:
        continue
    out = subprocess.run([sys.argv[3], "rdp", "--probe", "sim:%s?time_scale=0.01" % name, "--json"],
                         capture_output=True, text=True)
    j = json.loads(out.stdout)
    key = (j["family"], j["chip"])
    if key in seen:
        continue
    seen.add(key)
    d, p = rows[key]
    if os.path.exists(os.path.join(sys.argv[4], "vendor_%s.sh" % j["family"])):
        print("# %s (%s): tests/usb/vendor_%s.sh drives it" % (part, j["chip"], j["family"]))
        continue
    if not (p["openocd_target"] and d["openocd_unlock"]):
        print("# %s (%s): OpenOCD 0.12.0 cannot drive it" % (part, j["chip"]))
        continue
    byte = re.search(r"option byte 0x([0-9A-Fa-f]{2})", summary[name]).group(1).lower()
    print("\t".join([part, p["openocd_target"], d["openocd_unlock"], byte, p["core"],
                     "no" if p["options_not_loaded_by_reset"] else "yes", j["family"]]))
EOF
}

# What each OpenOCD flash driver prints on the way to a good unlock (its
# unlock commands exit 0 on failure too): facts about OpenOCD, by driver.
ocd_text() {
	case $1 in
	stm32f1x) echo 'stm32x unlocked' ;;
	stm32f2x) echo 'stm32f2x unlocked' ;;
	stm32lx) echo 'STM32Lx unlocked' ;;
	stm32l4x) echo 'RDP level 1' ;; # printed by its probe: "RDP level 1 (0xBB)"
	stm32h7x) echo 'stm32h7x unlocked' ;;
	*) return 1 ;;
	esac
}

# OpenOCD's unlock commands print their failure and still exit 0: read the
# text. ocd_ok NAME TEXT, on $T/NAME.out and $T/NAME.rc.
ocd_ok() { [ "$(cat "$T/$1.rc")" = 0 ] && grep -q -- "$2" "$T/$1.out" && ! grep -qi failed "$T/$1.out" && ! grep -qi 'Error:' "$T/$1.out"; }
# OpenOCD 0.12.0's stm32l4x driver reads DBGMCU at 0xE0042000 first, not
# mapped on its Cortex-M0+ parts: that one error line is its noise. Its
# other drivers look where the core's parts keep it.
ocd_ok_m0() { sed '/Failed to read memory at 0xe0042000/d' "$T/$1.out" >"$T/$1.m0.out" && cp "$T/$1.rc" "$T/$1.m0.rc" && ocd_ok "$1.m0" "$2"; }
# ocd_unlock_ok NAME DRIVER CORE: the unlock OpenOCD's DRIVER printed in NAME.
ocd_unlock_ok() {
	o_text=$(ocd_text "$2") || return 1
	case $2/$3 in
	stm32l4x/Cortex-M0+) ocd_ok_m0 "$1" "$o_text" ;;
	*) ocd_ok "$1" "$o_text" ;;
	esac
}
