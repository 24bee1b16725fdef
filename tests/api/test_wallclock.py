"""Wall clock jumps (docs/service.md row 15): no timeout or lease misfires.

A Raspberry Pi has no RTC: NTP steps its clock at boot, by days. rdpd's
leases, ?wait= and timeouts run on CLOCK_MONOTONIC; here the daemon runs
under libfaketime (Debian package faketime), whose wall clock (CLOCK_REALTIME,
time(), gettimeofday) is stepped +1 day and -1 day while it runs, through
FAKETIME_TIMESTAMP_FILE re-read on every call (FAKETIME_NO_CACHE=1). The
monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC=1), as NTP does.
The steps are seen in the daemon's HTTP Date header; if they are not, the
test says why and fails rather than pass without having tested anything.

One timeline, the jumps shared by all:
  t=0    lease probe W0 for 5 s; unlock W1 (1 s erase) with ?wait=20;
         unlock W2 (6 s erase) with ?wait=2
  t=0.4  wall clock +1 day   (a wall-clock deadline would fire now)
  t=0.8  wall clock -1 day   (a wall-clock deadline would wait a day)
  t=3.0  wall clock back to true
Expected: W1's request returns the finished job, W2's returns 202 after
about 2 s, the lease holds at 2 s and 4.3 s and ends about 5 s after it was
taken, W2's job then ends succeeded.
"""
import email.utils
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, summary  # noqa: E402

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


def step(rc_file, spec):
    with open(rc_file + ".tmp", "w") as f:
        f.write(spec + "\n")
    os.rename(rc_file + ".tmp", rc_file)  # never a half-written file


def main():
    lib = next((p for p in LIBS if os.path.exists(p)), None)
    if not lib:
        check("libfaketime_installed", False,
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
        d = Daemon(["--probe", uri % ("0.05", "W0"), "--probe", uri % ("0.25", "W1"),
                    "--probe", uri % ("1.5", "W2")]).start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    off0 = daemon_wall_offset(d)
    check("faketime_loaded_wall_clock_true", off0 is not None and abs(off0) < 60, off0)

    results = {}

    def unlock(name, serial, wait, timeout):
        t0 = time.monotonic()
        try:
            res = d.post("/probes/%s/unlock?wait=%d" % (serial, wait), {}, timeout=timeout)
        except OSError as e:  # a wall-clock deadline a day away: the client gives up
            res = (None, {}, repr(e))
        results[name] = (res, time.monotonic() - t0)

    t0 = time.monotonic()
    res = d.post("/probes/W0/lease", {"ttl_s": 5})
    check("lease_taken", res[0] == 200 and res[2]["state"] == "leased", res)
    a = threading.Thread(target=unlock, args=("w1", "W1", 20, 30))
    b = threading.Thread(target=unlock, args=("w2", "W2", 2, 10))
    a.start()
    b.start()

    def at(t):
        time.sleep(max(0, t0 + t - time.monotonic()))

    at(0.4)
    step(rc_file, "+1d")
    off_fwd = daemon_wall_offset(d)
    leased_fwd = d.get("/probes/W0")[2]["state"]
    at(0.8)
    step(rc_file, "-1d")
    off_back = daemon_wall_offset(d)
    leased_back = d.get("/probes/W0")[2]["state"]
    stepped = (off_fwd is not None and abs(off_fwd - DAY) < 60 and off_back is not None and
               abs(off_back + DAY) < 60)
    why = ("libfaketime did not step the running daemon's wall clock: its Date header was %s s and %s s "
           "off after writing +1d and -1d to FAKETIME_TIMESTAMP_FILE (expected +86400 and -86400); "
           "row 15 is untested" % (off_fwd, off_back))
    if not stepped:
        print("WALLCLOCK NOT STEPPED:", why, flush=True)
    check("wall_clock_stepped_plus_1_day", off_fwd is not None and abs(off_fwd - DAY) < 60, why)
    check("wall_clock_stepped_minus_1_day", off_back is not None and abs(off_back + DAY) < 60, why)
    print("daemon wall clock offsets: %.1f s, %+.1f s, %+.1f s" % (off0 or 0, off_fwd or 0, off_back or 0))
    check("lease_held_after_plus_1_day", stepped and leased_fwd == "leased", leased_fwd)
    check("lease_held_after_minus_1_day", stepped and leased_back == "leased", leased_back)

    at(2.0)
    st2 = d.get("/probes/W0")[2]["state"]
    check("lease_held_2s_later", stepped and st2 == "leased", st2)
    at(3.0)
    step(rc_file, "+0")
    at(4.3)
    st4 = d.get("/probes/W0")[2]["state"]
    check("lease_held_4_3s_later", stepped and st4 == "leased", st4)
    ended = None
    while time.monotonic() - t0 < 12:
        if d.get("/probes/W0")[2]["state"] != "leased":
            ended = time.monotonic() - t0
            break
        time.sleep(0.05)
    print("lease of 5 s ended after %s s" % ("%.2f" % ended if ended else "more than 12"))
    check("lease_expires_about_5s_after", stepped and ended is not None and 4.7 <= ended <= 6.5, ended)

    a.join(40)
    b.join(20)
    (res1, took1), (res2, took2) = results.get("w1", ((None,), 0)), results.get("w2", ((None,), 0))
    job1 = res1[2] if res1[0] == 200 else {}
    print("unlock?wait=20 across the jumps: %s after %.2f s (erase_ms %s); unlock?wait=2: %s after %.2f s" % (
        res1[0], took1, (job1.get("result") or {}).get("erase_ms"), res2[0], took2))
    check("wait20_returns_finished_job_across_jumps", stepped and res1[0] == 200 and
          job1.get("state") == "succeeded" and took1 >= 0.9, (res1[0], took1, job1.get("state")))
    erase_ms = (job1.get("result") or {}).get("erase_ms")
    check("job_durations_on_monotonic_clock", isinstance(erase_ms, int) and 700 <= erase_ms <= 3000, erase_ms)
    check("wait2_times_out_after_2s_not_at_the_jump_nor_a_day_later",
          stepped and res2[0] == 202 and 1.8 <= took2 <= 4.0, (res2[0], took2))
    if res2[0] == 202:
        jid = res2[2]["id"]
        j = d.get("/jobs/%s" % jid)[2]
        check("long_job_still_running_after_the_wait", j["state"] in ("queued", "running"), j["state"])
        j = d.wait_job(jid, 20)
        check("long_job_ends_succeeded", j["state"] == "succeeded", j["state"])
    check("daemon_alive", d.proc.poll() is None and d.get("/livez")[0] == 200)
    d.stop()
    check("daemon_clean_exit", d.proc.returncode == 0, d.proc.returncode)


main()
summary(os.path.basename(__file__))
