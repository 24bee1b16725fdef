"""Wall clock jumps (docs/service.md row 15): no timeout or lease misfires.

A Raspberry Pi has no RTC: NTP steps its clock at boot, by days. rdpd's
leases, ?wait= and timeouts run on CLOCK_MONOTONIC; here the daemon runs
under libfaketime (Debian package faketime), whose wall clock (CLOCK_REALTIME,
time(), gettimeofday) is stepped +1 day and -1 day while it runs, through
FAKETIME_TIMESTAMP_FILE re-read on every call (FAKETIME_NO_CACHE=1). The
monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC=1), as NTP does.

Each step is waited for until the daemon's HTTP Date header shows it (a
generous deadline; a busy machine under ASan took longer than a fixed
moment allowed), and the checks need no moment either:
  - lease probe W0 for 8 s; unlock W1 (8 s erase) with ?wait=30; unlock W2
    (16 s erase) with ?wait=6; all three in flight, then
  - wall clock +1 day (a wall-clock deadline would fire now): seen, the
    lease is held;
  - wall clock -1 day (a wall-clock deadline would wait a day): seen, the
    lease is held; both steps were seen while the lease and both waits ran
    (else nothing was tested, and that fails);
  - the clock stays a day back until the lease ends: not before 8 s of
    monotonic time from when it was taken, and not a day later (within a
    generous 20 s); then it goes back to true.
W1's request returns its finished job, W2's returns 202 no sooner than 6 s
and long before a day, and W2's job then ends succeeded. The steps have
seconds to land in (the lease, the waits), not a moment.
"""
import email.utils
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, cannot_run, check, summary  # noqa: E402

LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/arm-linux-gnueabihf/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1"]
DAY = 86400


def daemon_wall_offset(d):
    """The daemon's wall clock minus the real one, from its Date header (s)."""
    before = time.time()
    res = d.get("/livez")
    date = res[1].get("Date")
    if not date:
        return None
    return email.utils.parsedate_to_datetime(date).timestamp() - (before + time.time()) / 2


def wait_offset(d, want, deadline_s=30):
    """Until the daemon's Date header is WANT seconds off (within a minute,
    since the header has whole seconds); returns the last offset seen."""
    end = time.monotonic() + deadline_s
    off = daemon_wall_offset(d)
    while (off is None or abs(off - want) >= 60) and time.monotonic() < end:
        time.sleep(0.02)
        off = daemon_wall_offset(d)
    return off


def stepped_to(off, want):
    return off is not None and abs(off - want) < 60


def wait_until(pred, deadline_s):
    end = time.monotonic() + deadline_s
    while not pred() and time.monotonic() < end:
        time.sleep(0.02)
    return pred()


def step(rc_file, spec):
    with open(rc_file + ".tmp", "w") as f:
        f.write(spec + "\n")
    os.rename(rc_file + ".tmp", rc_file)  # never a half-written file


def main():
    lib = next((p for p in LIBS if os.path.exists(p)), None)
    if not lib:
        cannot_run("libfaketime_installed",
                   "libfaketime.so.1 not found (%s): install the Debian package faketime (make deps does); "
                   "the wall clock jump test did not run" % ", ".join(LIBS))
        return
    rc_file = os.path.join(tempfile.mkdtemp(prefix="rdpd-faketime-"), "faketimerc")
    step(rc_file, "+0")
    env = {"LD_PRELOAD": lib, "FAKETIME_TIMESTAMP_FILE": rc_file, "FAKETIME_NO_CACHE": "1",
           "FAKETIME_DONT_FAKE_MONOTONIC": "1", "DONT_FAKE_MONOTONIC": "1"}
    uri = "sim:stm32f401re-rdp1?time_scale=%s&serial=%s"
    if os.environ.get("RDPD_SANITIZE"):  # libfaketime is preloaded ahead of the ASan runtime
        env["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # for the daemon only: this process has already started
    try:
        d = Daemon(["--probe", uri % ("0.05", "W0"), "--probe", uri % ("2", "W1"),
                    "--probe", uri % ("4", "W2")]).start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    off0 = wait_offset(d, 0)
    check("faketime_loaded_wall_clock_true", stepped_to(off0, 0), off0)

    lease_ttl, wait2 = 8, 6
    results = {}

    def unlock(name, serial, wait, timeout):
        t0 = time.monotonic()
        try:
            res = d.post("/probes/%s/unlock?wait=%d" % (serial, wait), {}, timeout=timeout)
        except OSError as e:  # a wall-clock deadline a day away: the client gives up
            res = (None, {}, repr(e))
        results[name] = (res, time.monotonic() - t0, time.monotonic())

    def state(serial):
        return d.get("/probes/" + serial)[2]["state"]

    lease_from = time.monotonic()
    res = d.post("/probes/W0/lease", {"ttl_s": lease_ttl})
    lease_to = time.monotonic()
    check("lease_taken", res[0] == 200 and res[2]["state"] == "leased", res)
    a = threading.Thread(target=unlock, args=("w1", "W1", 30, 60))
    b = threading.Thread(target=unlock, args=("w2", "W2", wait2, 60))
    a.start()
    b.start()
    check("both_jobs_running", wait_until(lambda: state("W1") == "busy" and state("W2") == "busy", 20),
          (state("W1"), state("W2")))

    step(rc_file, "+1d")
    off_fwd = wait_offset(d, DAY)
    leased_fwd = state("W0")
    step(rc_file, "-1d")
    off_back = wait_offset(d, -DAY)
    seen_back = time.monotonic()
    leased_back = state("W0")
    stepped = stepped_to(off_fwd, DAY) and stepped_to(off_back, -DAY)
    why = ("libfaketime did not step the running daemon's wall clock: its Date header was %s s and %s s "
           "off, 30 s after writing +1d and -1d to FAKETIME_TIMESTAMP_FILE (expected +86400 and -86400); "
           "row 15 is untested" % (off_fwd, off_back))
    if not stepped:
        print("WALLCLOCK NOT STEPPED:", why, flush=True)
    check("wall_clock_stepped_plus_1_day", stepped_to(off_fwd, DAY), why)
    check("wall_clock_stepped_minus_1_day", stepped_to(off_back, -DAY), why)
    print("daemon wall clock offsets: %.1f s, %+.1f s, %+.1f s" % (off0 or 0, off_fwd or 0, off_back or 0))
    # Both steps must have landed while the lease and both waits ran.
    in_flight = seen_back < lease_from + lease_ttl and "w1" not in results and "w2" not in results
    check("jumps_seen_while_lease_and_waits_ran", in_flight,
          "the daemon saw the steps only %.1f s after the lease was taken" % (seen_back - lease_from))
    check("lease_held_after_plus_1_day", stepped and in_flight and leased_fwd == "leased", leased_fwd)
    check("lease_held_after_minus_1_day", stepped and in_flight and leased_back == "leased", leased_back)

    # A day back: a wall-clock expiry would come a day late.
    wait_until(lambda: state("W0") != "leased", lease_ttl + 20)
    ended = time.monotonic()
    still = state("W0")
    print("lease of %d s ended %.2f to %.2f s after it was taken" % (lease_ttl, ended - lease_to, ended - lease_from))
    check("lease_not_ended_early", stepped and ended - lease_from >= lease_ttl - 0.25, ended - lease_from)
    check("lease_ends_not_a_day_later", stepped and still != "leased", (still, ended - lease_from))
    step(rc_file, "+0")
    off_true = wait_offset(d, 0)
    check("wall_clock_back_to_true", stepped_to(off_true, 0), off_true)

    a.join(70)
    b.join(70)
    (res1, took1, _), (res2, took2, _) = results.get("w1", ((None,), 0, 0)), results.get("w2", ((None,), 0, 0))
    job1 = res1[2] if res1[0] == 200 else {}
    print("unlock?wait=30 across the jumps: %s after %.2f s (erase_ms %s); unlock?wait=%d: %s after %.2f s" % (
        res1[0], took1, (job1.get("result") or {}).get("erase_ms"), wait2, res2[0], took2))
    check("wait30_returns_finished_job_across_jumps", stepped and res1[0] == 200 and
          job1.get("state") == "succeeded", (res1[0], took1, job1.get("state")))
    erase_ms = (job1.get("result") or {}).get("erase_ms")
    # Not a day, nor negative: durations come from the monotonic clock.
    check("job_durations_on_monotonic_clock", isinstance(erase_ms, int) and 0 < erase_ms < 60000, erase_ms)
    check("wait_times_out_not_at_the_jump_nor_a_day_later",
          stepped and res2[0] == 202 and wait2 - 0.2 <= took2 < 40, (res2[0], took2))
    if res2[0] == 202:
        jid = res2[2]["id"]
        j = d.get("/jobs/%s" % jid)[2]
        check("long_job_still_running_after_the_wait", j["state"] in ("queued", "running"), j["state"])
        j = d.wait_job(jid, 60)
        check("long_job_ends_succeeded", j["state"] == "succeeded", j["state"])
    check("daemon_alive", d.proc.poll() is None and d.get("/livez")[0] == 200)
    d.stop()
    check("daemon_clean_exit", d.proc.returncode == 0, d.proc.returncode)


main()
summary(os.path.basename(__file__))
