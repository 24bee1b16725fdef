#!/bin/sh
# rdpd as a system service: `make install` into a DESTDIR, the systemd unit
# and socket (systemd-analyze verify, sandbox exposure), the sysusers entry,
# the udev rule, the man page, the shipped conffile, sd_notify (READY,
# STATUS, WATCHDOG, STOPPING), socket activation, HTTPS and DNS-SD.
. "$(dirname "$0")/lib.sh"
B=${1:-build}
T=$(mktemp -d)
D=$T/root
PID=
UDEV_RULE=/run/udev/rules.d/60-rdpd-test-$$.rules
trap 'kill $PID 2>/dev/null; rm -f "$UDEV_RULE"; rm -rf "$T"' EXIT
SIM='sim:stm32f401re-rdp1?time_scale=0.001'
skip() { cannot_run "$1: $2"; } # never a pass (lib.sh)
stop_daemon() { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }
# socket_activate ADDR ERR ARGS...: rdpd ARGS under systemd-socket-activate,
# its stderr and rdpd's in ERR; sets PORT and PID. systemd-socket-activate
# cannot bind port 0, so a port is picked; when another process takes it
# before systemd-socket-activate binds it ("Address already in use"), the
# next one is tried.
socket_activate() {
	sa_addr=$1 sa_err=$2
	shift 2
	for try in 1 2 3 4 5; do
		PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		systemd-socket-activate -l "$sa_addr:$PORT" "$B/rdpd" "$@" >"$sa_err.out" 2>"$sa_err" &
		PID=$!
		i=0
		while [ $i -lt 100 ] && ! grep -q '^Listening on' "$sa_err" && kill -0 "$PID" 2>/dev/null; do
			sleep 0.05; i=$((i + 1))
		done
		grep -q '^Listening on' "$sa_err" && return 0
		stop_daemon
	done
	return 1
}

# --- make install ------------------------------------------------------------
make --no-print-directory -s install BUILD="$B" DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1
check install_runs [ $? = 0 ]
for f in usr/sbin/rdpd usr/bin/rdpd-sim usr/lib/systemd/system/rdpd.service usr/lib/systemd/system/rdpd.socket \
	usr/lib/udev/rules.d/60-rdpd.rules usr/lib/sysusers.d/rdpd.conf usr/share/man/man8/rdpd.8 etc/rdpd/rdpd.conf; do
	check "installs_$(echo "$f" | tr / _)" test -s "$D/$f"
done
check unit_execstart_prefix grep -qx 'ExecStart=/usr/sbin/rdpd serve' "$D/usr/lib/systemd/system/rdpd.service"
check installed_binary_runs sh -c "'$D/usr/sbin/rdpd' --version | grep -q '^rdpd '"
echo "# edited by the admin" >>"$D/etc/rdpd/rdpd.conf"
make --no-print-directory -s install BUILD="$B" DESTDIR="$D" PREFIX=/usr >"$T/install2.log" 2>&1
check install_keeps_edited_conffile grep -q "edited by the admin" "$D/etc/rdpd/rdpd.conf"
make --no-print-directory -s install BUILD="$B" DESTDIR="$T/local" >"$T/install3.log" 2>&1 || sed 's/^/    /' "$T/install3.log"
check install_default_prefix_usr_local grep -qx 'ExecStart=/usr/local/sbin/rdpd serve' \
	"$T/local/usr/local/lib/systemd/system/rdpd.service"

# --- the unit: what the issue asks for, and systemd's own verdict ------------
U=$D/usr/lib/systemd/system/rdpd.service
for line in Type=notify WatchdogSec=30 User=rdpd StateDirectory=rdpd ConfigurationDirectory=rdpd \
	PrivateDevices=no DevicePolicy=closed 'DeviceAllow=char-usb_device rw' 'DeviceAllow=char-hidraw rw' \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' ProtectSystem=strict NoNewPrivileges=yes; do
	check "unit_has_$(echo "$line" | tr ' =' '__')" grep -qx "$line" "$U"
done
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants the binary at ExecStart: point it at the DESTDIR copy.
	mkdir -p "$T/units"
	sed "s|^ExecStart=/usr/sbin/rdpd|ExecStart=$D/usr/sbin/rdpd|" "$U" >"$T/units/rdpd.service"
	cp "$D/usr/lib/systemd/system/rdpd.socket" "$T/units/"
	MANPATH="$D/usr/share/man" systemd-analyze verify "$T/units/rdpd.service" "$T/units/rdpd.socket" >"$T/verify" 2>&1
	st=$?
	check systemd_analyze_verify_clean sh -c "[ $st = 0 ] && ! [ -s '$T/verify' ]"
	[ -s "$T/verify" ] && sed 's/^/    /' "$T/verify"
	systemd-analyze security --offline=yes "$T/units/rdpd.service" >"$T/security" 2>&1
	score=$(sed -n 's/.*Overall exposure level for rdpd.service: \([0-9.]*\).*/\1/p' "$T/security")
	echo "# systemd-analyze security: exposure $score (0 = locked down, 10 = unprotected)"
	check sandbox_exposure_below_3 python3 -c "import sys; sys.exit(0 if 0 < float('${score:-99}') < 3 else 1)"
else
	skip systemd_analyze_verify_clean "systemd-analyze is not installed (Debian package systemd)"
fi

# --- sysusers: the user, its group, plugdev ------------------------------------
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$T/sysroot/etc"
	systemd-sysusers --root="$T/sysroot" "$D/usr/lib/sysusers.d/rdpd.conf" >"$T/sysusers" 2>&1
	check sysusers_creates_user grep -q '^rdpd:x:[0-9]*:[0-9]*:rdpd probe daemon:/var/lib/rdpd:/usr/sbin/nologin$' \
		"$T/sysroot/etc/passwd"
	check sysusers_user_in_plugdev grep -q '^plugdev:x:[0-9]*:.*rdpd' "$T/sysroot/etc/group"
else
	skip sysusers_creates_user "systemd-sysusers is not installed"
fi

# --- the udev rule: parsed by udev itself; every match names CMSIS-DAP or an id --
R=$D/usr/lib/udev/rules.d/60-rdpd.rules
check udev_rule_product_usb grep -q 'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{product}=="\*CMSIS-DAP\*", MODE="0660", GROUP="rdpd", TAG+="uaccess"' "$R"
check udev_rule_product_hidraw grep -q 'SUBSYSTEM=="hidraw", ATTRS{product}=="\*CMSIS-DAP\*", MODE="0660", GROUP="rdpd"' "$R"
check udev_rule_interface_hidraw grep -q 'SUBSYSTEM=="hidraw", ATTRS{interface}=="\*CMSIS-DAP\*"' "$R"
check udev_rule_daplink_id grep -q 'ATTR{idVendor}=="0d28", ATTR{idProduct}=="0204"' "$R"
# Every ST-LINK product id the usb-stlink backend opens has its line.
stlink_pids_in_rule() {
	pids=$(sed -n 's/^[[:space:]]*{0x\(37[0-9A-Fa-f][0-9A-Fa-f]\), 0x.*/\1/p' daemon/transport/usb_stlink.c | tr A-F a-f)
	[ -n "$pids" ] || return 1
	for p in $pids; do
		grep -q "ATTR{idVendor}==\"0483\", ATTR{idProduct}==\"$p\"" "$R" || { echo "no udev line for 0483:$p"; return 1; }
	done
}
check udev_rule_every_stlink_pid stlink_pids_in_rule
if command -v udevadm >/dev/null 2>&1 && mkdir -p /run/udev/rules.d 2>/dev/null && cp "$R" "$UDEV_RULE" 2>/dev/null; then
	udevadm test --action=add /sys/class/mem/null >"$T/udev" 2>&1
	grep "$(basename "$UDEV_RULE")" "$T/udev" | grep -v -e 'Reading rules file' -e "Unknown group 'rdpd'" >"$T/udev.bad"
	check udev_rule_parses_clean sh -c "grep -q 'Reading rules file: $UDEV_RULE' '$T/udev' && ! [ -s '$T/udev.bad' ]"
	sed 's/^/    /' "$T/udev.bad"
	rm -f "$UDEV_RULE"
else
	skip udev_rule_parses_clean "udevadm missing or /run/udev/rules.d not writable"
fi

# --- the man page ----------------------------------------------------------------
if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -ww -z "$D/usr/share/man/man8/rdpd.8" >"$T/man.warn" 2>&1
	check man_page_no_groff_warnings sh -c "! [ -s '$T/man.warn' ]"
	sed 's/^/    /' "$T/man.warn"
else
	skip man_page_no_groff_warnings "groff is not installed"
fi
check man_page_names_every_setting sh -c "for k in listen state_dir tokens allow_host probe sim_if_empty usb tls_cert tls_key dnssd loopback_anonymous; do grep -q \"\$k\" '$D/usr/share/man/man8/rdpd.8' || exit 1; done"

# --- the shipped conffile: every key, commented or not, is one rdpd knows -------
sed -e "s|^listen = .*|listen = 127.0.0.1:0|" -e "s|^tokens = .*|tokens = $T/none|" \
	-e "s|^state_dir = .*|state_dir = $T/state|" -e "s|^usb = .*|usb = no|" systemd/rdpd.conf >"$T/ship.conf"
echo "probe = $SIM" >>"$T/ship.conf"
"$B/rdpd" serve --config "$T/ship.conf" --no-dnssd >"$T/ship.out" 2>&1 &
PID=$!
PORT=$(bound_port "$T/ship.out")
check shipped_conffile_loads wait_port "$PORT"
stop_daemon
sed 's/^#\([a-z_]* = \)/\1/' systemd/rdpd.conf >"$T/all.conf"
"$B/rdpd" serve --config "$T/all.conf" --help >/dev/null 2>"$T/all.err"
check conffile_commented_keys_known sh -c "! grep -q 'unknown setting' '$T/all.err'"

# --- sd_notify: READY after the bind, STATUS, WATCHDOG at half the interval ------
cat >"$T/notify.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(0.2)
end = time.time() + float(sys.argv[3])
with open(sys.argv[2], "w") as out:
    while time.time() < end:
        try: out.write(s.recv(4096).decode() + "\n---\n"); out.flush()
        except socket.timeout: pass
PY
python3 "$T/notify.py" "$T/notify.sock" "$T/notify.log" 4 &
NPID=$!
sleep 0.3
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 "$B/rdpd" serve --listen 127.0.0.1:0 --config /dev/null \
	--state-dir "$T/state" --no-usb --probe "$SIM" >"$T/notify.out" 2>&1 &
PID=$!
wait_port "$(bound_port "$T/notify.out")"
sleep 1.6
stop_daemon
wait $NPID
check notify_ready_and_status grep -q 'READY=1' "$T/notify.log"
check notify_status_line grep -q 'STATUS=' "$T/notify.log"
check notify_watchdog_pings sh -c "[ \$(grep -c 'WATCHDOG=1' '$T/notify.log') -ge 2 ]"
check notify_stopping grep -q 'STOPPING=1' "$T/notify.log"

# --- socket activation (rdpd.socket): the passed socket is served ----------------
printf 'ci operate %s\nboss admin %s\n' 0123456789abcdef0123 fedcba9876543210fedc >"$T/tokens"
chmod 0600 "$T/tokens" # rdpd refuses a tokens file others may read
if command -v systemd-socket-activate >/dev/null 2>&1; then
	socket_activate 127.0.0.1 "$T/sa.err" serve --config /dev/null --state-dir "$T/state" \
		--no-usb --probe "$SIM" --listen 127.0.0.1:1
	check socket_activation_serves sh -c "curl -s --max-time 5 http://127.0.0.1:$PORT/livez | grep -q ok"
	check socket_activation_logged grep -q 'socket activation' "$T/sa.err"
	stop_daemon
	# A socket on every address: tokens become mandatory.
	socket_activate 0.0.0.0 "$T/sa2.err" serve --config /dev/null --state-dir "$T/state" \
		--no-usb --no-dnssd --probe "$SIM" --tokens "$T/tokens"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST -H 'Content-Type: application/json' \
		"http://127.0.0.1:$PORT/probes/0/unlock")
	check socket_activation_any_address_needs_token sh -c "[ '$code' = 401 ] || [ '$code' = 403 ]"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X POST -H 'Authorization: Bearer 0123456789abcdef0123' \
		"http://127.0.0.1:$PORT/probes/0/unlock?wait=15")
	check socket_activation_token_unlocks [ "$code" = 200 ]
	check audit_names_token grep -q 'requested by ci' "$T/sa2.err"
	stop_daemon
else
	skip socket_activation_serves "systemd-socket-activate is not installed (Debian package systemd)"
fi

# --- HTTPS ------------------------------------------------------------------------
if command -v openssl >/dev/null 2>&1; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
	"$B/rdpd" serve --listen 127.0.0.1:0 --config /dev/null --state-dir "$T/state" --no-usb --probe "$SIM" \
		--tls-cert "$T/cert.pem" --tls-key "$T/key.pem" >"$T/tls.out" 2>"$T/tls.err" &
	PID=$!
	PORT=$(bound_port "$T/tls.out")
	wait_port "$PORT"
	check https_self_signed_curl_k sh -c "curl -sk --max-time 5 https://127.0.0.1:$PORT/livez | grep -q ok"
	check https_verifies_with_cacert sh -c "curl -s --max-time 5 --cacert '$T/cert.pem' https://localhost:$PORT/probes | grep -q simulated"
	check https_refuses_plain_http sh -c "! curl -s --max-time 5 http://127.0.0.1:$PORT/livez | grep -q ok"
	code=$(curl -sk -o "$T/tls.job" -w '%{http_code}' --max-time 20 -X POST "https://127.0.0.1:$PORT/probes/0/unlock?wait=15")
	check https_unlock_works [ "$code" = 200 ]
	stop_daemon
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.pem" -out /dev/null -days 2 -subj /CN=x >/dev/null 2>&1
	"$B/rdpd" serve --listen 127.0.0.1:0 --config /dev/null --state-dir "$T/state" --no-usb \
		--tls-cert "$T/cert.pem" --tls-key "$T/other.pem" >/dev/null 2>"$T/tls.bad"
	check https_mismatched_key_explained sh -c "[ $? = 1 ] && grep -q 'do not match' '$T/tls.bad'"
	"$B/rdpd" serve --config /dev/null --tls-cert "$T/cert.pem" >/dev/null 2>"$T/tls.half"
	check https_needs_both_files sh -c "[ $? = 2 ] && grep -q 'both' '$T/tls.half'"
else
	skip https_self_signed_curl_k "openssl is not installed"
fi

# --- DNS-SD: avahi-publish is started with the bound port, and stopped --------------
mkdir -p "$T/bin"
cat >"$T/bin/avahi-publish" <<SH
#!/bin/sh
echo "\$*" >"$T/avahi.args"
exec sleep 30
SH
chmod +x "$T/bin/avahi-publish"
PATH="$T/bin:$PATH" "$B/rdpd" serve --listen 0.0.0.0:0 --config /dev/null --state-dir "$T/state" --no-usb \
	--probe "$SIM" --tokens "$T/tokens" >"$T/dnssd.out" 2>"$T/dnssd.err" &
PID=$!
PORT=$(bound_port "$T/dnssd.out")
wait_port "$PORT"
sleep 0.3
check dnssd_publishes_service grep -q -- "-s rdpd on .* _rdpd._tcp $PORT path=/ version=.* tls=no" "$T/avahi.args"
APID=$(pgrep -f "^sleep 30$" -P "$PID" 2>/dev/null || pgrep -P "$PID" sleep)
stop_daemon
sleep 0.2
check dnssd_withdrawn_on_stop sh -c "[ -n '$APID' ] && ! kill -0 '$APID' 2>/dev/null"
rm -f "$T/avahi.args"
PATH="$T/bin:$PATH" "$B/rdpd" serve --listen 127.0.0.1:0 --config /dev/null --state-dir "$T/state" --no-usb \
	--probe "$SIM" >"$T/dnssd2.out" 2>&1 &
PID=$!
wait_port "$(bound_port "$T/dnssd2.out")"
sleep 0.3
check dnssd_not_on_loopback test ! -e "$T/avahi.args"
stop_daemon

summary
