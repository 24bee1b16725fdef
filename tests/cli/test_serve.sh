#!/bin/sh
# `rdpd serve`: its help, its settings file, bad settings, SIGTERM.
. "$(dirname "$0")/lib.sh"
B=${1:-build}
T=$(mktemp -d)
trap 'kill $PID 2>/dev/null; rm -rf "$T"' EXIT

"$B/rdpd" serve --help >"$T/help"; st=$?
check serve_help_exits_0 [ "$st" = 0 ]
check serve_help_teaches grep -q "tokens" "$T/help"
"$B/rdpd" serve --bogus >/dev/null 2>&1; st=$?
check serve_bad_flag_exit_2 [ "$st" = 2 ]
"$B/rdpd" serve --listen nowhere >"$T/bad" 2>&1; st=$?
check serve_bad_listen_explained sh -c "[ $st = 2 ] && grep -q 'ADDR:PORT' '$T/bad'"
printf 'listne = 1\n' >"$T/typo.conf"
"$B/rdpd" serve --config "$T/typo.conf" >"$T/typo" 2>&1; st=$?
check config_typo_names_line sh -c "[ $st = 2 ] && grep -q 'typo.conf:1' '$T/typo'"

cat >"$T/rdpd.conf" <<EOC
# a comment
listen = 127.0.0.1:0
state_dir = $T/state
usb = no
probe = sim:stm32f401re-rdp1?time_scale=0.001
EOC
"$B/rdpd" serve --config "$T/rdpd.conf" >"$T/out" 2>"$T/err" &
PID=$!
PORT=$(bound_port "$T/out")
check port_0_banner_names_the_bound_port sh -c "[ -n '$PORT' ] && [ '$PORT' != 0 ]"
check config_listen_used wait_port "$PORT"
curl -s "http://127.0.0.1:$PORT/probes" >"$T/probes.json"
check config_probe_served json "$T/probes.json" 'j["probes"][0]["uri"].startswith("sim:stm32f401re-rdp1")'
check prints_curl_line grep -q "curl -X POST" "$T/out"
check state_dir_created test -f "$T/state/journal"
curl -s -X POST "http://127.0.0.1:$PORT/probes/0/unlock?wait=30" >"$T/job.json"
check curl_post_unlock_works json "$T/job.json" 'j["state"]=="succeeded"'
check audit_line_logged grep -q "audit: job 1 unlock" "$T/err"
check journald_priority_prefix grep -q "^<5>" "$T/err"
kill -TERM $PID; wait $PID; st=$?
check sigterm_exit_0 [ "$st" = 0 ]

# What `make run SIM=...` does with no probe attached: a simulated ST-LINK.
cat >"$T/stlink.conf" <<EOC
listen = 127.0.0.1:0
state_dir = $T/state2
usb = no
sim_if_empty = stm32f401re-rdp1?probe=stlink-v2-1&time_scale=0.001
EOC
"$B/rdpd" serve --config "$T/stlink.conf" >"$T/out2" 2>"$T/err2" &
PID=$!
PORT=$(bound_port "$T/out2")
check sim_if_empty_listens wait_port "$PORT"
curl -s "http://127.0.0.1:$PORT/probes" >"$T/probes2.json"
check sim_if_empty_serves_an_stlink json "$T/probes2.json" \
	'j["probes"][0]["protocol"]=="stlink" and j["probes"][0]["simulated"] is True'
check sim_if_empty_says_simulated grep -q "serving a SIMULATED probe" "$T/err2"
curl -s -X POST "http://127.0.0.1:$PORT/probes/0/unlock?wait=30" >"$T/job2.json"
check sim_stlink_unlock_works json "$T/job2.json" 'j["state"]=="succeeded" and j["result"]["rdp_after"]==0'
kill -TERM $PID; wait $PID
summary
