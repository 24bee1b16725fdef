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
summary
