#!/bin/sh
# Two simulated DAPLinks that report one serial, on two USB ports of the
# umockdev test bed (tests/usb/usb_testbed.c --second-profile): an STM32F401
# on port 1-1, an STM32F103 on port 1-2. rdpd lists both, each by its port
# (usb:0d28:0204@1-N), refuses the shared serial as a ref (the CLI and the
# daemon), and an unlock by index or by port erases exactly the chip named,
# the other keeping its level 1; a restart keeps both indexes.
# Usage: tests/usb/test_usb_twins.sh [BUILD_DIR]
. "$(dirname "$0")/../cli/lib.sh"
B=${1:-build}
TB="$B/usb_testbed"
RDPD="$B/rdpd"
T=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$T"' EXIT
TWINS="--serial TWIN0001 --second-profile stm32f103c8-rdp1 --time-scale 0.01"
P1=usb:0d28:0204@1-1
P2=usb:0d28:0204@1-2

. "$(dirname "$0")/testbed_lane.sh"
testbed_lane_ready
timeout 30 "$TB" -- "$RDPD" probes >"$T/smoke.out" 2>&1
check rdpd_sees_the_emulated_probe grep -q 'usb-bulk' "$T/smoke.out"

# ---- the command line ----------------------------------------------------
step() { printf 'echo "<%s>"; %s; echo "rc=$?"; echo "</%s>"; ' "$1" "$2" "$1"; }
part() { sed -n "/^<$2>\$/,/^<\/$2>\$/p" "$T/$1.out" | sed '1d;$d' | grep -v '^rc=' >"$T/$1.$2.json"; }
rc_of() { sed -n "/^<$2>\$/,/^<\/$2>\$/p" "$T/$1.out" | sed -n 's/^rc=//p'; }
jc() { part "$1" "$2" && json "$T/$1.$2.json" "$3"; }
timeout 120 "$TB" $TWINS -- sh -c "$(step probes "$RDPD probes --json")
	$(step byserial "$RDPD unlock --probe TWIN0001 --json")
	$(step one "$RDPD rdp --probe $P1 --json") $(step two "$RDPD rdp --probe $P2 --json")
	$(step unlock2 "$RDPD unlock --probe $P2 --json")
	$(step one_after "$RDPD rdp --probe $P1 --json") $(step two_after "$RDPD rdp --probe $P2 --json")" \
	>"$T/cli.out" 2>&1
check cli_lists_both_twins jc cli probes \
	"sorted(p['uri'] for p in j['probes'])==['$P1','$P2'] and all(p['serial']=='TWIN0001' and p['serial_unique'] is False for p in j['probes'])"
check cli_refuses_the_shared_serial sh -c "[ '$(rc_of cli byserial)' != 0 ] && grep -q 'probe_ref_ambiguous' '$T/cli.out'"
check cli_port_1_is_the_f401 jc cli one "j['chip'].startswith('STM32F401') and j['rdp_level']==1"
check cli_port_2_is_the_f103 jc cli two "j['chip'].startswith('STM32F10') and j['rdp_level']==1"
check cli_unlock_by_port_succeeds jc cli unlock2 "j['state']=='succeeded' and j['result']['rdp_after']==0"
check cli_other_twin_untouched jc cli one_after "j['chip'].startswith('STM32F401') and j['rdp_level']==1"
check cli_named_twin_unlocked jc cli two_after "j['rdp_level']==0"

# ---- the daemon, and a restart -------------------------------------------
mkdir -p "$T/state"
daemon_run() { # NAME
	"$TB" -v $TWINS -- "$RDPD" serve --listen 127.0.0.1:0 --state-dir "$T/state" \
		--config /dev/null --no-dnssd >"$T/$1.out" 2>&1 &
	PID=$!
	PORT=$(bound_port "$T/$1.out")
	U="http://127.0.0.1:$PORT"
	wait_port "$PORT"
}
poll() { # SECONDS URL FILE EXPR
	i=0
	while [ $i -lt $(($1 * 10)) ]; do
		curl -s "$2" >"$3" 2>/dev/null && json "$3" "$4" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
idx() { python3 -c 'import json,sys; print([p["index"] for p in json.load(open(sys.argv[1]))["probes"] if p["uri"]==sys.argv[2]][0])' "$1" "$2"; }
daemon_stop() { kill -TERM $PID; wait $PID; st=$?; PID=; [ "$st" = 0 ]; }

daemon_run d1
check daemon_lists_both_twins poll 10 "$U/probes" "$T/p1.json" \
	"sorted(p['uri'] for p in j['probes'])==['$P1','$P2'] and all(p['serial']=='TWIN0001' and p['serial_unique'] is False for p in j['probes'])"
I1=$(idx "$T/p1.json" $P1); I2=$(idx "$T/p1.json" $P2)
curl -s -X POST "$U/probes/TWIN0001/unlock" >"$T/serial.json"
check daemon_refuses_the_shared_serial json "$T/serial.json" \
	"j['status']==409 and j['code']=='probe_ref_ambiguous' and sorted(c['index'] for c in j['candidates'])==sorted([$I1,$I2]) and all(str(c['index']) in c['refs'] and c['uri'] in c['refs'] for c in j['candidates'])"
check daemon_ambiguous_names_a_port json "$T/serial.json" \
	"any('by its port, such as ' + c['uri'] + ')' in j['detail'] for c in j['candidates'])"
check daemon_no_job_from_the_serial poll 5 "$U/jobs" "$T/jobs0.json" "j['jobs']==[]"
curl -s "$U/probes/$I2/rdp" >"$T/rdp2.json"
UID2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uid"])' "$T/rdp2.json")
curl -s -X POST -H 'Content-Type: application/json' -d "{\"expect\": {\"uid\": \"$UID2\"}}" \
	"$U/probes/$I1/unlock?wait=60" >"$T/mismatch.json"
check daemon_expect_other_twin_refused json "$T/mismatch.json" \
	"j['state']=='failed' and j['error']['code']=='chip_mismatch'"
curl -s -X POST "$U/probes/$P2/unlock?wait=60" >"$T/job.json"
check daemon_unlock_by_port_erases_the_f103 json "$T/job.json" \
	"j['state']=='succeeded' and j['chip'].startswith('STM32F10') and j['result']['rdp_after']==0"
curl -s "$U/probes/$I1/rdp" >"$T/rdp1.json"
check daemon_f401_keeps_level_1 json "$T/rdp1.json" "j['chip'].startswith('STM32F401') and j['rdp_level']==1"
curl -s "$U/probes/$I2/rdp" >"$T/rdp2b.json"
check daemon_f103_at_level_0 json "$T/rdp2b.json" "j['rdp_level']==0"
check daemon_stops_cleanly daemon_stop

daemon_run d2
check restart_lists_both_twins poll 10 "$U/probes" "$T/p2.json" "len(j['probes'])==2"
J1=$(idx "$T/p2.json" $P1); J2=$(idx "$T/p2.json" $P2)
check restart_keeps_the_indexes [ "$J1:$J2" = "$I1:$I2" ]
curl -s -X POST "$U/probes/TWIN0001/unlock" >"$T/serial2.json"
check restart_still_refuses_the_serial json "$T/serial2.json" "j['code']=='probe_ref_ambiguous'"
check restart_stops_cleanly daemon_stop

summary
