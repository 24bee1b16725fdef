#!/bin/sh
# The Debian package, end to end: lintian finds no error; installed with apt
# into a Debian root made by debootstrap (cached in BUILD/deb-root; the
# maintainer scripts run chrooted as on a real machine, with no systemd as
# PID 1), its files, user, token and enabled unit are right; the daemon runs
# from it as user rdpd and unlocks with the generated token; a reinstall
# keeps the token and the admin's conffile edits; purge leaves nothing.
# Needs root, debootstrap and lintian: `make test-deb` (not part of make test).
# Usage: tests/cli/check_deb.sh BUILD_DIR DEB_FILE (not named test_*: make test does not run it)
. "$(dirname "$0")/lib.sh"
B=${1:-build}
DEB=${2:-$(ls "$B"/rdpd_*.deb 2>/dev/null | head -n 1)}
R=${RDPD_DEB_ROOT:-$B/deb-root}
SUITE=bookworm
MIRROR=${RDPD_DEB_MIRROR:-http://deb.debian.org/debian}
PID=
trap 'kill $PID 2>/dev/null' EXIT
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

[ -f "$DEB" ] || { echo "test_deb: no package (run make deb)"; check deb_exists false; summary; exit 1; }
[ "$(id -u)" = 0 ] || { echo "test_deb: needs root (chroot)"; check running_as_root false; summary; exit 1; }

# --- lintian ---------------------------------------------------------------------
lintian --allow-root "$DEB" >"$B/lintian.txt" 2>&1
sed 's/^/    /' "$B/lintian.txt"
check lintian_no_errors sh -c "! grep -q '^E:' '$B/lintian.txt'"

# --- a Debian root ----------------------------------------------------------------
if ! [ -x "$R/usr/bin/apt-get" ] || ! [ -f "$R/.rdpd-root-ok" ]; then
	echo "test_deb: debootstrap $SUITE into $R (once; a few minutes)"
	rm -rf "$R"
	debootstrap --variant=minbase --include=systemd,udev,adduser \
		"$SUITE" "$R" "$MIRROR" >"$B/debootstrap.log" 2>&1 || { tail -n 20 "$B/debootstrap.log"; }
	[ -x "$R/usr/bin/apt-get" ] && touch "$R/.rdpd-root-ok"
fi
check debian_root_ready test -f "$R/.rdpd-root-ok"
[ -f "$R/.rdpd-root-ok" ] || { summary; exit 1; }
[ -c "$R/dev/urandom" ] || mknod -m 0666 "$R/dev/urandom" c 1 9
[ -c "$R/dev/null" ] || mknod -m 0666 "$R/dev/null" c 1 3
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
in_root dpkg --purge rdpd >/dev/null 2>&1   # a previous run that stopped half-way

# --- install ------------------------------------------------------------------------
cp "$DEB" "$R/tmp/rdpd.deb"
in_root apt-get update -qq >"$B/deb-apt.log" 2>&1
in_root apt-get install -y -qq /tmp/rdpd.deb >>"$B/deb-apt.log" 2>&1
st=$?
check apt_installs_package [ "$st" = 0 ]
[ "$st" = 0 ] || tail -n 20 "$B/deb-apt.log" | sed 's/^/    /'
check dpkg_state_installed sh -c "chroot '$R' dpkg-query -W -f='\${Status}' rdpd | grep -q 'install ok installed'"
for f in usr/sbin/rdpd usr/bin/rdpd-sim lib/systemd/system/rdpd.service lib/systemd/system/rdpd.socket \
	lib/udev/rules.d/60-rdpd.rules usr/lib/sysusers.d/rdpd.conf usr/share/man/man8/rdpd.8.gz \
	etc/rdpd/rdpd.conf usr/share/doc/rdpd/copyright; do
	check "file_$(echo "$f" | tr / _)" test -s "$R/$f"
done
check conffile_registered sh -c "chroot '$R' dpkg-query -W -f='\${Conffiles}' rdpd | grep -q /etc/rdpd/rdpd.conf"
check version_runs sh -c "chroot '$R' /usr/sbin/rdpd --version | grep -q '^rdpd '"
check system_user_created sh -c "chroot '$R' getent passwd rdpd | grep -q ':/var/lib/rdpd:/usr/sbin/nologin'"
check user_in_plugdev sh -c "chroot '$R' id -nG rdpd | grep -qw plugdev"
rdpd_gid=$(chroot "$R" getent group rdpd | cut -d: -f3)
check token_file_0640_root_rdpd sh -c "[ \"\$(stat -c '%a %u %g' '$R/etc/rdpd/tokens')\" = '640 0 $rdpd_gid' ]"
check token_one_admin grep -qE '^admin admin [0-9a-f]{64}$' "$R/etc/rdpd/tokens"
check unit_enabled sh -c "chroot '$R' systemctl is-enabled rdpd.service | grep -qx enabled"
check socket_not_enabled sh -c "! chroot '$R' systemctl is-enabled rdpd.socket | grep -qx enabled"
if command -v systemd-analyze >/dev/null 2>&1; then
	MANPATH="$R/usr/share/man" systemd-analyze verify --root="$R" rdpd.service rdpd.socket >"$B/deb-verify.log" 2>&1
	check systemd_analyze_verify_installed sh -c "[ $? = 0 ] && ! [ -s '$B/deb-verify.log' ]"
	sed 's/^/    /' "$B/deb-verify.log"
fi

# --- under systemd itself: boot the root with systemd-nspawn ---------------------------
# The real unit (Type=notify, the sandbox, StateDirectory, the user) started by
# systemd as PID 1 of the container, which shares this machine's network.
if command -v systemd-nspawn >/dev/null 2>&1 && command -v nsenter >/dev/null 2>&1; then
	cp "$R/etc/rdpd/rdpd.conf" "$B/deb-rdpd.conf.orig"
	sed -i "s|^listen = .*|listen = 0.0.0.0:0|" "$R/etc/rdpd/rdpd.conf"
	echo "probe = sim:stm32f401re-rdp1?time_scale=0.001" >>"$R/etc/rdpd/rdpd.conf"
	systemd-nspawn -q --register=no --keep-unit -D "$R" --boot --console=read-only >"$B/deb-boot.log" 2>&1 &
	NSPAWN=$!
	trap 'kill $PID $NSPAWN 2>/dev/null' EXIT
	# The port rdpd bound: its banner in this boot's journal (a boot: up to 15 s).
	PORT=
	i=0
	while [ -z "$PORT" ] && [ $i -lt 150 ]; do
		INIT=$(pgrep -P "$NSPAWN" | head -n 1)
		[ -n "$INIT" ] && nsenter -t "$INIT" -a journalctl -b -u rdpd -o cat --no-pager >"$B/deb-boot-rdpd.log" 2>&1
		PORT=$(port_in "$B/deb-boot-rdpd.log")
		[ -n "$PORT" ] || sleep 0.1
		i=$((i + 1))
	done
	check systemd_boots_and_starts_rdpd wait_port "$PORT"
	INIT=$(pgrep -P "$NSPAWN" | head -n 1)
	in_ct() { nsenter -t "$INIT" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
	check unit_active sh -c "[ -n '$INIT' ] && nsenter -t '$INIT' -a systemctl is-active rdpd.service | grep -qx active"
	check unit_status_line sh -c "nsenter -t '$INIT' -a systemctl show -p StatusText rdpd.service | grep -q 'serving probes'"
	check unit_runs_as_rdpd sh -c "nsenter -t '$INIT' -a systemctl show -p User rdpd.service | grep -qx User=rdpd"
	check unit_watchdog_armed sh -c "nsenter -t '$INIT' -a systemctl show -p WatchdogUSec rdpd.service | grep -qx WatchdogUSec=30s"
	TOKEN=$(awk '$1=="admin"{print $3}' "$R/etc/rdpd/tokens")
	curl -s --max-time 30 -X POST -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$PORT/probes/0/unlock?wait=20" >"$B/deb-unit-job.json"
	check unit_unlocks_with_token json "$B/deb-unit-job.json" 'j["state"]=="succeeded"'
	check unit_state_directory sh -c "[ \"\$(stat -c '%a' '$R/var/lib/rdpd')\" = 750 ] && [ -s '$R/var/lib/rdpd/journal' ]"
	in_ct systemctl stop rdpd.service
	check unit_stops_cleanly sh -c "nsenter -t '$INIT' -a systemctl show -p Result rdpd.service | grep -qx Result=success"
	in_ct journalctl -u rdpd --no-pager >"$B/deb-unit-journal.log" 2>&1
	check unit_audit_in_journal grep -q 'audit: job 1 unlock' "$B/deb-unit-journal.log"
	in_ct systemctl poweroff
	i=0; while kill -0 "$NSPAWN" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	kill "$NSPAWN" 2>/dev/null; wait "$NSPAWN" 2>/dev/null
	cp "$B/deb-rdpd.conf.orig" "$R/etc/rdpd/rdpd.conf"
	rm -rf "$R/var/lib/rdpd"
else
	cannot_run "systemd_boots_and_starts_rdpd: systemd-nspawn is not installed (Debian package systemd-container)"
fi

# --- it starts, serves, unlocks with the generated token, stops -----------------------
# As the unit runs it: user rdpd, StateDirectory=rdpd (made here: no systemd).
uid=$(chroot "$R" id -u rdpd); gid=$(chroot "$R" id -g rdpd)
install -d -o "$uid" -g "$gid" -m 0750 "$R/var/lib/rdpd"
TOKEN=$(awk '$1=="admin"{print $3}' "$R/etc/rdpd/tokens")
chroot --userspec="$uid:$gid" --groups="$gid" "$R" /usr/sbin/rdpd serve --listen 0.0.0.0:0 --no-usb \
	--no-dnssd --probe 'sim:stm32f401re-rdp1?time_scale=0.001' >"$B/deb-serve.out" 2>"$B/deb-serve.err" &
PID=$!
PORT=$(bound_port "$B/deb-serve.out")
check daemon_starts_as_rdpd wait_port "$PORT"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST -H 'Content-Type: application/json' \
	"http://127.0.0.1:$PORT/probes/0/unlock")
check unlock_without_token_refused sh -c "[ '$code' = 401 ] || [ '$code' = 403 ]"
curl -s --max-time 30 -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/probes/0/unlock?wait=20" \
	>"$B/deb-job.json"
check unlock_with_generated_token json "$B/deb-job.json" 'j["state"]=="succeeded" and j["requested_by"]=="admin"'
check journal_in_state_dir test -s "$R/var/lib/rdpd/journal"
kill -TERM "$PID"; wait "$PID"; st=$?; PID=
check daemon_stops_cleanly [ "$st" = 0 ]
check audit_line sh -c "grep -q 'audit: job 1 unlock' '$B/deb-serve.err'"

# --- reinstall: the token stays, the admin's edits stay ---------------------------------
sum_before=$(md5sum <"$R/etc/rdpd/tokens")
echo "allow_host = labpi.example" >>"$R/etc/rdpd/rdpd.conf"
in_root dpkg -i --force-confold /tmp/rdpd.deb >>"$B/deb-apt.log" 2>&1
check reinstall_ok [ $? = 0 ]
check reinstall_keeps_token [ "$(md5sum <"$R/etc/rdpd/tokens")" = "$sum_before" ]
check reinstall_keeps_conffile_edit grep -q "labpi.example" "$R/etc/rdpd/rdpd.conf"

# --- remove, then purge: nothing left ---------------------------------------------------
in_root dpkg --remove rdpd >>"$B/deb-apt.log" 2>&1
check remove_ok [ $? = 0 ]
check remove_keeps_conffile_and_token sh -c "[ -f '$R/etc/rdpd/rdpd.conf' ] && [ -f '$R/etc/rdpd/tokens' ]"
check remove_deletes_binary test ! -e "$R/usr/sbin/rdpd"
in_root dpkg --purge rdpd >>"$B/deb-apt.log" 2>&1
check purge_ok [ $? = 0 ]
check purge_removes_etc test ! -e "$R/etc/rdpd"
check purge_removes_state test ! -e "$R/var/lib/rdpd"
check purge_leaves_no_unit_links sh -c "! find '$R/etc/systemd' -name 'rdpd*' | grep -q ."
check purge_leaves_no_package_file sh -c "! ls '$R/lib/systemd/system/rdpd.service' '$R/lib/udev/rules.d/60-rdpd.rules' '$R/usr/share/doc/rdpd' 2>/dev/null | grep -q ."
check purge_forgets_package sh -c "! chroot '$R' dpkg-query -W rdpd >/dev/null 2>&1 || chroot '$R' dpkg-query -W -f='\${Status}' rdpd | grep -q 'not-installed'"
rm -f "$R/tmp/rdpd.deb"
summary
