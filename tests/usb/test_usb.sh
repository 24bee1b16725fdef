#!/bin/sh
# The USB transports end to end: rdpd (usb-bulk and usb-hid) and Debian's
# OpenOCD drive the simulated DAPLink through emulated USB (umockdev; see
# tests/usb/usb_testbed.c). Usage: tests/usb/test_usb.sh [BUILD_DIR]
#
# Every check runs a fresh test bed, so a fresh simulated chip. When umockdev
# or OpenOCD cannot run here the script says why: under CI (CI set) as a
# failed check, elsewhere on a "SKIPPED:" line that tests/run.sh lists; a
# skip never counts as passed.
. "$(dirname "$0")/../cli/lib.sh"
B=${1:-build}
TB="$B/usb_testbed"
RDPD="$B/rdpd"
T=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$T"' EXIT
# Simulated erase times are scaled down: OpenOCD's F1 driver polls the
# status only a few times per half-word (docs/sim/README.md, "Checked by tools we did not write").
FAST="--time-scale 0.01"

. "$(dirname "$0")/testbed_lane.sh"

# run NAME TESTBED-OPTIONS... -- PROGRAM...: output in $T/NAME.out, status in $T/NAME.rc
run() {
	name=$1; shift
	[ -n "$USB_TEST_TIMES" ] && echo "$(date +%s.%N | cut -c1-14) run $name" >&2
	timeout 180 "$TB" "$@" >"$T/$name.out" 2>&1
	echo $? >"$T/$name.rc"
}
rc_is() { [ "$(cat "$T/$1.rc")" = "$2" ]; }
has() { grep -q -- "$2" "$T/$1.out"; }
lacks() { ! grep -qi -- "$2" "$T/$1.out"; }
# jsonpart NAME TAG: the JSON a `sh -c` step wrote between "<TAG>" and "</TAG>" lines
jsonpart() { sed -n "/^<$2>\$/,/^<\/$2>\$/p" "$T/$1.out" | sed '1d;$d' >"$T/$1.$2.json"; }
jcheck() { jsonpart "$1" "$2" && json "$T/$1.$2.json" "$3"; }

# ---- can umockdev run here? (tests/usb/testbed_lane.sh) ----------------
testbed_lane_ready
timeout 30 "$TB" -- "$RDPD" probes >"$T/smoke.out" 2>&1
check rdpd_sees_the_emulated_probe grep -q 'usb-bulk' "$T/smoke.out"

# ---- rdpd over usb-bulk (CMSIS-DAP v2) ----------------------------------
step() { printf 'echo "<%s>"; %s; echo "</%s>"; ' "$1" "$2" "$1"; }
RD="$RDPD"
run bulk $FAST -- sh -c "$(step probes "$RD probes --json")
	$(step rdp "$RD rdp --probe 0 --json") $RD rdp --probe 0 >$T/bulk.text 2>&1;
	$(step unlock "$RD unlock --probe 0 --json") $(step after "$RD rdp --probe 0 --json")"
check bulk_probes_lists_probe jcheck bulk probes 'len(j["probes"])==1 and j["probes"][0]["transport"]=="usb-bulk" and j["probes"][0]["serial"].startswith("SIMDAP") and j["probes"][0]["product"]=="DAPLink CMSIS-DAP" and j["probes"][0]["firmware_version"]=="0257"'
check bulk_rdp_reads_level_1 jcheck bulk rdp 'j["rdp_level"]==1 and j["chip"].startswith("STM32F401")'
check bulk_rdp_shows_firmware_version grep -q 'serial SIMDAP.*firmware 0257' "$T/bulk.text"
check bulk_unlock_succeeds jcheck bulk unlock 'j["state"]=="succeeded" and j["result"]["rdp_after"]==0'
check bulk_reads_level_0_after jcheck bulk after 'j["rdp_level"]==0'

# ---- rdpd over usb-hid (CMSIS-DAP v1) -----------------------------------
run hid --hid $FAST -- sh -c "$(step probes "$RD probes --json")
	$(step rdp "$RD rdp --probe 0 --json")
	$(step unlock "$RD unlock --probe 0 --json") $(step after "$RD rdp --probe 0 --json")"
check hid_probes_lists_probe jcheck hid probes 'len(j["probes"])==1 and j["probes"][0]["transport"]=="usb-hid" and j["probes"][0]["serial"].startswith("SIMDAP") and j["probes"][0]["firmware_version"]=="0257"'
check hid_rdp_reads_level_1 jcheck hid rdp 'j["rdp_level"]==1'
check hid_unlock_succeeds jcheck hid unlock 'j["state"]=="succeeded" and j["result"]["rdp_after"]==0'
check hid_reads_level_0_after jcheck hid after 'j["rdp_level"]==0'

# ---- the daemon: unplug in the middle of a job, then replug -------------
# Real erase time (about 7 s on the F401 model) so the job is surely running
# when the probe goes; SIGUSR1 unplugs, SIGUSR2 plugs in (usb_testbed.c).
daemon_run() { # NAME TESTBED-OPTIONS...
	dname=$1; shift
	mkdir -p "$T/$dname.state"
	"$TB" -v "$@" -- "$RDPD" serve --listen 127.0.0.1:0 --state-dir "$T/$dname.state" \
		--config /dev/null --no-dnssd >"$T/$dname.out" 2>&1 &
	PID=$!
	PORT=$(bound_port "$T/$dname.out")
	U="http://127.0.0.1:$PORT"
	wait_port "$PORT"
}
# poll SECONDS URL FILE EXPR: until the JSON at URL satisfies EXPR
poll() {
	i=0
	while [ $i -lt $(($1 * 10)) ]; do
		curl -s "$2" >"$3" 2>/dev/null && json "$3" "$4" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
daemon_checks() { # PREFIX TRANSPORT
	p=$1
	check ${p}_daemon_sees_probe poll 10 "$U/probes" "$T/$p.probes.json" \
		"len(j['probes'])==1 and j['probes'][0]['transport']=='$2' and j['probes'][0]['firmware_version']=='0257' and j['probes'][0]['protocol_version'].startswith('2.')"
	curl -s -X POST "$U/probes/0/unlock" >"$T/$p.job.json"
	check ${p}_job_reaches_erase poll 20 "$U/jobs/1" "$T/$p.job1.json" \
		"[s['state'] for s in j['steps'] if s['name']=='mass_erase']==['running']"
	kill -USR1 $PID
	check ${p}_unplug_fails_job_probe_disconnected poll 20 "$U/jobs/1" "$T/$p.job1.json" \
		"j['state']=='failed' and j['error']['code']=='probe_disconnected'"
	check ${p}_daemon_alive_after_unplug sh -c "curl -sf '$U/livez' | grep -q ok"
	check ${p}_probe_shown_gone poll 10 "$U/probes" "$T/$p.gone.json" "j['probes'][0]['state']=='gone'"
	kill -USR2 $PID
	check ${p}_replug_brings_probe_back poll 10 "$U/probes" "$T/$p.back.json" \
		"j['probes'][0]['state']=='idle' and j['probes'][0]['serial'].startswith('SIMDAP')"
	curl -s "$U/probes/0/rdp" >"$T/$p.rdp.json"
	check ${p}_replugged_probe_answers json "$T/$p.rdp.json" "j['rdp_level'] in (0, 1)"
	kill -TERM $PID; wait $PID; st=$?; PID=
	check ${p}_daemon_stops_cleanly [ "$st" = 0 ]
}
daemon_run daemon_bulk
daemon_checks bulk_daemon usb-bulk
daemon_run daemon_hid --hid
daemon_checks hid_daemon usb-hid

# ---- Debian's OpenOCD against the simulator -----------------------------
if ! command -v openocd >/dev/null 2>&1; then
	cannot_run "OpenOCD checks: openocd is not installed (apt-get install openocd)"
	summary
	exit $?
fi
# They run under the sanitizers too: OpenOCD 0.12.0's flash drivers count
# status polls (each at least 1 ms apart) rather than time, so a slower
# simulator, or a loaded machine, only makes the simulated erase (real time,
# scaled) end within fewer polls.
# OpenOCD listens on 3333 (gdb), 4444 (telnet) and 6666 (Tcl) by default;
# with any of them taken (a second OpenOCD: another checkout's lane, a
# developer's session) it prints "Error: couldn't bind ... Address already
# in use" and every check that reads its output fails on a busy machine.
# These checks use none of the servers, so they open none (OpenOCD manual,
# "TCP/IP Ports": a port may be given as "disabled").
OCD="openocd -c 'gdb_port disabled' -c 'telnet_port disabled' -c 'tcl_port disabled' -f interface/cmsis-dap.cfg"
# OpenOCD's unlock commands print their failure and still exit 0, so each
# check reads the text (ocd_ok, tests/usb/ocd_plan.sh).
. "$(dirname "$0")/ocd_plan.sh"

# F4: exactly the command people use; then rdpd reads level 0.
F4_UNLOCK="$OCD -f target/stm32f4x.cfg -c init -c 'reset halt' -c 'stm32f4x unlock 0' -c 'reset halt' -c exit"
run ocd_f4 $FAST -- sh -c "$F4_UNLOCK >$T/ocd_f4.ocd 2>&1; echo ocd=\$?; $(step after "$RD rdp --probe 0 --json")"
cp "$T/ocd_f4.ocd" "$T/ocd_f4u.out" 2>/dev/null; sed -n 's/^ocd=//p' "$T/ocd_f4.out" >"$T/ocd_f4u.rc"
check openocd_f4_unlock_bulk ocd_ok ocd_f4u 'stm32f2x unlocked'
check openocd_f4_used_v2 has ocd_f4u 'Using CMSIS-DAPv2 interface'
check rdpd_reads_0_after_openocd_f4 jcheck ocd_f4 after 'j["rdp_level"]==0'
# The same over v1 HID: OpenOCD falls back to its hidapi backend.
run ocd_f4hid --hid $FAST -- sh -c "$F4_UNLOCK"
check openocd_f4_unlock_hid ocd_ok ocd_f4hid 'stm32f2x unlocked'
# (0.12.0 names only the v2 backend when it uses it.)
check openocd_f4_used_v1 lacks ocd_f4hid 'Using CMSIS-DAPv2'
# The other way round: rdpd locks, OpenOCD sees it.
run ocd_f4lock --profile stm32f401re-rdp0 $FAST -- sh -c "$RD lock --probe 0 && $OCD -f target/stm32f4x.cfg -c init -c 'reset halt' -c 'stm32f2x options_read 0' -c exit"
check openocd_f4_options_read_shows_lock ocd_ok ocd_f4lock 'Device Security Bit Set'

# F1 (stm32f1x): the option half-words are written without a flash loader
# (the simulator runs no code: WORKAREASIZE 0). OpenOCD writes KEY1/KEY2 to
# FLASH_KEYR and OPTKEYR again after the option erase, while the FPEC is
# still unlocked; real F1 parts accept that (it is OpenOCD's everyday F1
# unlock; PM0075 §2.3.1 calls only a wrong key value a wrong sequence). A
# simulator that faults on a correct key while unlocked fails these two.
run ocd_f1 --profile stm32f103c8-rdp1 $FAST -- sh -c "$OCD -c 'set WORKAREASIZE 0' -f target/stm32f1x.cfg -c init -c 'reset halt' -c 'stm32f1x unlock 0' -c 'reset halt' -c exit; $(step after "$RD rdp --probe 0 --json")"
check openocd_f1_unlock ocd_ok ocd_f1 'stm32x unlocked'
check rdpd_reads_0_after_openocd_f1 jcheck ocd_f1 after 'j["rdp_level"]==0'
run ocd_f1lock --profile stm32f103c8-rdp0 $FAST -- sh -c "$RD lock --probe 0 && $OCD -f target/stm32f1x.cfg -c init -c 'reset halt' -c 'stm32f1x options_read 0' -c exit"
check openocd_f1_options_read_shows_lock ocd_ok ocd_f1lock 'read protection: on'

# L1 (stm32lx): unlock, then rdpd reads 0; after rdpd lock the option word
# at 0x1FF80000 holds an RDP byte other than 0xAA (level 0) and 0xCC (level 2).
run ocd_l1 --profile stm32l152re-rdp1 $FAST -- sh -c "$OCD -f target/stm32l1.cfg -c init -c 'reset halt' -c 'stm32lx unlock 0' -c 'reset halt' -c exit; $(step after "$RD rdp --probe 0 --json")"
check openocd_l1_unlock ocd_ok ocd_l1 'STM32Lx unlocked'
check rdpd_reads_0_after_openocd_l1 jcheck ocd_l1 after 'j["rdp_level"]==0'
run ocd_l1lock --profile stm32l152re-rdp0 $FAST -- sh -c "$RD lock --probe 0 && $OCD -f target/stm32l1.cfg -c init -c 'reset halt' -c 'mdw 0x1ff80000' -c exit"
rdp_byte() { # NAME ADDR SHIFT: the RDP byte of the word OpenOCD printed at ADDR
	w=$(sed -n "s/^$2: \([0-9a-f]*\).*/\1/p" "$T/$1.out" | head -n 1)
	[ -n "$w" ] && printf '%02x' $(((0x$w >> $3) & 0xff))
}
locked_byte() { b=$(rdp_byte "$@") && [ -n "$b" ] && [ "$b" != aa ] && [ "$b" != cc ]; }
check openocd_l1_sees_lock locked_byte ocd_l1lock 0x1ff80000 0

# L4 (stm32l4x): unlock prints nothing on success.
run ocd_l4 --profile stm32l476rg-rdp1 $FAST -- sh -c "$OCD -f target/stm32l4x.cfg -c init -c 'reset halt' -c 'stm32l4x unlock 0' -c 'reset halt' -c exit; $(step after "$RD rdp --probe 0 --json")"
check openocd_l4_unlock ocd_ok ocd_l4 'halted due to debug-request'
check rdpd_reads_0_after_openocd_l4 jcheck ocd_l4 after 'j["rdp_level"]==0'
run ocd_l4lock --profile stm32l476rg-rdp0 $FAST -- sh -c "$RD lock --probe 0 && $OCD -f target/stm32l4x.cfg -c init -c 'reset halt' -c 'stm32l4x option_read 0 0x20' -c exit"
l4_locked() { w=$(sed -n 's/^Option Register: <0x40022020> = 0x\([0-9a-f]*\).*/\1/p' "$T/ocd_l4lock.out"); [ -n "$w" ] && b=$(printf '%02x' $((0x$w & 0xff))) && [ "$b" != aa ] && [ "$b" != cc ]; }
check openocd_l4_option_read_shows_lock l4_locked

# H7 (stm32h7x): RDP is FLASH_OPTSR_CUR[15:8].
run ocd_h7 --profile stm32h743zi-rdp1 $FAST -- sh -c "$OCD -f target/stm32h7x.cfg -c init -c 'reset halt' -c 'stm32h7x unlock 0' -c 'reset halt' -c exit; $(step after "$RD rdp --probe 0 --json")"
check openocd_h7_unlock ocd_ok ocd_h7 'stm32h7x unlocked'
check rdpd_reads_0_after_openocd_h7 jcheck ocd_h7 after 'j["rdp_level"]==0'
run ocd_h7lock --profile stm32h743zi-rdp0 $FAST -- sh -c "$RD lock --probe 0 && $OCD -f target/stm32h7x.cfg -c init -c 'reset halt' -c 'stm32h7x option_read 0 0x1c' -c exit"
h7_locked() { w=$(sed -n 's/^Option Register: <0x5200201c> = 0x\([0-9a-f]*\).*/\1/p' "$T/ocd_h7lock.out"); [ -n "$w" ] && b=$(printf '%02x' $(((0x$w >> 8) & 0xff))) && [ "$b" != aa ] && [ "$b" != cc ]; }
check openocd_h7_option_read_shows_lock h7_locked

# F3 (stm32f1x, F0-style option bytes: RDP 0xAA is level 0, OBL at reset).
run ocd_f3 --profile stm32f303vc-rdp1 $FAST -- sh -c "$OCD -c 'set WORKAREASIZE 0' -f target/stm32f3x.cfg -c init -c 'reset halt' -c 'stm32f1x unlock 0' -c 'reset halt' -c exit; $(step after "$RD rdp --probe 0 --json")"
check openocd_f3_unlock ocd_ok ocd_f3 'stm32x unlocked'
check rdpd_reads_0_after_openocd_f3 jcheck ocd_f3 after 'j["rdp_level"]==0 and j["rdp_raw"]=="0xaa"'
run ocd_f3lock --profile stm32f303vc-rdp0 $FAST -- sh -c "$RD lock --probe 0 && $OCD -f target/stm32f3x.cfg -c init -c 'reset halt' -c 'stm32f1x options_read 0' -c exit"
check openocd_f3_options_read_shows_lock ocd_ok ocd_f3lock 'read protection: on'

# G0 (stm32l4x via stm32g0x.cfg). OpenOCD 0.12.0 probes DBGMCU at 0xE0042000
# first, which is not mapped on a Cortex-M0+ part (RM0444: DBG_IDCODE at
# 0x40015800), and prints "Error: Failed to read memory at 0xe0042000"
# before it finds 0x40015800 -- real G0 silicon faults there the same way,
# so that one line is OpenOCD's noise, not a disagreement.
ocd_ok_g0() { sed '/Failed to read memory at 0xe0042000/d' "$T/$1.out" >"$T/$1.g0.out" && cp "$T/$1.rc" "$T/$1.g0.rc" && ocd_ok "$1.g0" "$2"; }
run ocd_g0 --profile stm32g071rb-rdp1 $FAST -- sh -c "$OCD -f target/stm32g0x.cfg -c init -c 'reset halt' -c 'stm32l4x unlock 0' -c 'reset halt' -c exit; $(step after "$RD rdp --probe 0 --json")"
check openocd_g0_unlock ocd_ok_g0 ocd_g0 'RDP level 1'
check rdpd_reads_0_after_openocd_g0 jcheck ocd_g0 after 'j["rdp_level"]==0'
run ocd_g0lock --profile stm32g071rb-rdp0 $FAST -- sh -c "$RD lock --probe 0 && $OCD -f target/stm32g0x.cfg -c init -c 'reset halt' -c 'stm32l4x option_read 0 0x20' -c exit"
g0_locked() { w=$(sed -n 's/^Option Register: <0x40022020> = 0x\([0-9a-f]*\).*/\1/p' "$T/ocd_g0lock.out"); [ -n "$w" ] && b=$(printf '%02x' $((0x$w & 0xff))) && [ "$b" != aa ] && [ "$b" != cc ]; }
check openocd_g0_option_read_shows_lock g0_locked

# L0 (stm32lx via stm32l0.cfg): the same PECR-style controller as L1.
run ocd_l0 --profile stm32l073rz-rdp1 $FAST -- sh -c "$OCD -f target/stm32l0.cfg -c init -c 'reset halt' -c 'stm32lx unlock 0' -c 'reset halt' -c exit; $(step after "$RD rdp --probe 0 --json")"
check openocd_l0_unlock ocd_ok ocd_l0 'STM32Lx unlocked'
check rdpd_reads_0_after_openocd_l0 jcheck ocd_l0 after 'j["rdp_level"]==0'
run ocd_l0lock --profile stm32l073rz-rdp0 $FAST -- sh -c "$RD lock --probe 0 && $OCD -f target/stm32l0.cfg -c init -c 'reset halt' -c 'mdw 0x1ff80000' -c exit"
check openocd_l0_sees_lock locked_byte ocd_l0lock 0x1ff80000 0

# L5 (stm32l4x via stm32l5x.cfg, TZEN = 0): OPTR is at 0x40022040 (RM0438).
run ocd_l5 --profile stm32l552ze-rdp1 $FAST -- sh -c "$OCD -f target/stm32l5x.cfg -c init -c 'reset halt' -c 'stm32l4x unlock 0' -c 'reset halt' -c exit; $(step after "$RD rdp --probe 0 --json")"
check openocd_l5_unlock ocd_ok ocd_l5 'TrustZone disabled'
check rdpd_reads_0_after_openocd_l5 jcheck ocd_l5 after 'j["rdp_level"]==0'
run ocd_l5lock --profile stm32l552ze-rdp0 $FAST -- sh -c "$RD lock --probe 0 && $OCD -f target/stm32l5x.cfg -c init -c 'reset halt' -c 'stm32l4x option_read 0 0x40' -c exit"
l5_locked() { w=$(sed -n 's/^Option Register: <0x40022040> = 0x\([0-9a-f]*\).*/\1/p' "$T/ocd_l5lock.out"); [ -n "$w" ] && b=$(printf '%02x' $((0x$w & 0xff))) && [ "$b" != aa ] && [ "$b" != cc ]; }
check openocd_l5_option_read_shows_lock l5_locked

# Every simulated part OpenOCD 0.12.0 can drive, one per part row
# (ocd_plan, tests/usb/ocd_plan.sh): unlocked by OpenOCD with the target file
# of its row and its driver's unlock command, then read by rdpd, which must
# find level 0 and the RDP byte the simulator's -rdp0 profile of the part
# starts with: the option bytes the simulator keeps are the ones OpenOCD
# expects (RDP byte, complements, reload). A new family adds no line here.
ocd_plan "$T/ocd_plan.txt"
check families_tool_lists_the_drivers json "$T/families.json" 'len(j["drivers"]) > 0'
check openocd_parts_listed sh -c "grep -q '^[^#]' '$T/ocd_plan.txt'"
sed -n 's/^# /  not run: /p' "$T/ocd_plan.txt"
# The RDP byte rdpd reports: the byte, or the low byte of the option word
# on L0/L1 (RDP [7:0] of the word with its complement, RM0377 §3.4.1).
raw_is() { # NAME BYTE
	jcheck "$1" after "j['rdp_level']==0 and (j['rdp_raw']=='0x$2' or (len(j['rdp_raw'])==10 and j['rdp_raw'].endswith('$2')))"
}
grep -v '^#' "$T/ocd_plan.txt" >"$T/ocd_plan.run"
while IFS='	' read -r o_part o_cfg o_cmd o_raw o_core o_loads o_family; do
	o_drv=${o_cmd%% *}
	# OpenOCD's F1 driver without a flash loader: the simulator runs no code.
	o_wa=; [ "$o_drv" = stm32f1x ] && o_wa="-c 'set WORKAREASIZE 0'"
	# A part a reset does not reload keeps level 1 after OpenOCD's unlock and
	# `reset halt` (the new RDP byte stored, not loaded: what users of such a
	# part see until they power-cycle it); rdpd's own unlock then finishes it.
	o_finish=; [ "$o_loads" = no ] && o_finish="$(step stored "$RD rdp --probe 0 --json") $RD unlock --probe 0 >/dev/null 2>&1;"
	run "ocd_$o_part" --profile "$o_part-rdp1" $FAST -- sh -c "$OCD $o_wa -f $o_cfg -c init -c 'reset halt' -c '$o_cmd' -c 'reset halt' -c exit; $o_finish $(step after "$RD rdp --probe 0 --json")"
	if ! ocd_text "$o_drv" >/dev/null; then
		check "openocd_${o_part}_success_text_known" false
		echo "  no success text for OpenOCD's $o_drv driver: add it to ocd_text in tests/usb/ocd_plan.sh"
		continue
	fi
	check "openocd_${o_part}_unlock" ocd_unlock_ok "ocd_$o_part" "$o_drv" "$o_core"
	[ "$o_loads" = no ] && check "rdpd_reads_stored_not_loaded_after_openocd_$o_part" jcheck "ocd_$o_part" stored \
		"j['rdp_level']==1 and j['options'].get('rdp_stored')=='0x$o_raw' and 'not loaded yet' in j['rdp_text']"
	check "rdpd_reads_0_after_openocd_$o_part" raw_is "ocd_$o_part" "$o_raw"
done <"$T/ocd_plan.run"

summary
