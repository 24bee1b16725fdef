# Sourced by the lanes that drive the umockdev test bed (tests/usb/*.sh),
# after tests/cli/lib.sh and with TB (the test bed), T (a temp dir) and
# RDPD set. testbed_lane_ready: can the lane run here? Missing packages or
# an emulation that does not work on this machine are reasons the lane
# cannot run (cannot_run: SKIPPED, a failure under CI); a test bed that
# does not build although its library is there, or an emulated device rdpd
# does not see, are failures. Either way the lane ends here.

lane_cannot_run() { # REASON: nothing below can run here
	cannot_run "USB checks: $1"
	summary
	exit $?
}

testbed_lane_ready() {
	if [ ! -x "$TB" ]; then
		pkg-config --exists umockdev-1.0 2>/dev/null ||
			lane_cannot_run "$TB was not built: umockdev-1.0 is not installed (Debian package libumockdev-dev; make test-usb installs it)"
		check usb_testbed_builds false
		echo "  FAIL $TB was not built although umockdev-1.0 is installed: run make $TB"
		summary
		exit $?
	fi
	ldconfig -p 2>/dev/null | grep -q libumockdev-preload.so.0 ||
		lane_cannot_run "libumockdev-preload.so.0 is not installed (Debian package libumockdev0)"
	timeout 30 "$TB" -- cat /sys/bus/usb/devices/1-1/idVendor >"$T/emul.out" 2>&1
	grep -qx 0d28 "$T/emul.out" ||
		lane_cannot_run "umockdev cannot emulate a USB device here: the test bed's own device was not visible ($(tr '\n' ' ' <"$T/emul.out" | cut -c1-300))"
}
