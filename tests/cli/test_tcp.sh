#!/bin/sh
# rdpd-sim as a standalone CMSIS-DAP TCP server (OpenOCD's cmsis_dap_tcp
# framing) and rdpd's tcp transport talking to it across connections.
. "$(dirname "$0")/lib.sh"
B=${1:-build}
T=$(mktemp -d)
"$B/rdpd-sim" --listen 127.0.0.1:0 --profile stm32f401re-rdp1 --time-scale 0.001 >"$T/sim.log" 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -rf "$T"' EXIT
PORT=$(bound_port "$T/sim.log")
check sim_listens wait_port "$PORT"

"$B/rdpd-sim" --list-profiles >"$T/profiles"
check profiles_listed grep -qx "stm32f401re-rdp1" "$T/profiles"
check profiles_named_by_level sh -c "grep -v -E '^(no-target|.*-rdp(0|0\.5|1|2))$' '$T/profiles' | grep -q . && exit 1 || exit 0"

"$B/rdpd" rdp --probe "tcp:127.0.0.1:$PORT" --json >"$T/a.json"; st=$?
check tcp_rdp_level1 json "$T/a.json" 'j["rdp_level"]==1 and j["dev_id"]=="0x433"'
"$B/rdpd" unlock --probe "tcp:127.0.0.1:$PORT" --json >"$T/u.json"; st=$?
check tcp_unlock json "$T/u.json" 'j["state"]=="succeeded" and j["result"]["rdp_after"]==0'
"$B/rdpd" rdp --probe "tcp:127.0.0.1:$PORT" --json >"$T/b.json"; st=$?
check state_kept_across_connections json "$T/b.json" 'j["rdp_level"]==0'
kill -USR1 $SIM; sleep 0.2
"$B/rdpd" rdp --probe "tcp:127.0.0.1:$PORT" --json >"$T/c.json"; st=$?
check level0_survives_power_cycle json "$T/c.json" 'j["rdp_level"]==0'
"$B/rdpd" lock --probe "tcp:127.0.0.1:$PORT" --json >"$T/l.json"; st=$?
check tcp_lock json "$T/l.json" 'j["state"]=="succeeded" and j["result"]["rdp_after"]==1'

# A client speaking garbage is dropped; the server keeps serving.
python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); s.settimeout(2); print(len(s.recv(100)))' "$PORT" >"$T/garbage" 2>&1
check garbage_gets_no_answer grep -qx 0 "$T/garbage"
"$B/rdpd" rdp --probe "tcp:127.0.0.1:$PORT" --json >"$T/d.json"; st=$?
check serves_after_garbage json "$T/d.json" 'j["rdp_level"]==1'

"$B/rdpd" rdp --probe "tcp:127.0.0.1:1" >"$T/refused" 2>&1; st=$?
check refused_connection_explained grep -q "cannot connect" "$T/refused"
summary
