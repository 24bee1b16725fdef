"""Faults of the process and its disk (docs/service.md rows 12, 14, 16): a full
state directory, SIGTERM during an erase, SIGKILL at points of an unlock."""
import os
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, is_problem, summary  # noqa: E402


def disk_full():
    # A file size limit makes the journal's appends fail with EFBIG, as a
    # full disk would (rdpd ignores SIGXFSZ).
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))

    d = Daemon(["--probe", "sim:stm32f401re-rdp1?time_scale=0.001"])
    real_popen = subprocess.Popen
    subprocess.Popen = lambda *a, **kw: real_popen(*a, preexec_fn=limit, **kw)
    try:
        d.start()
    finally:
        subprocess.Popen = real_popen
    ok = None
    for _ in range(20):  # fill the journal up to the limit
        res = d.post("/probes/0/unlock?wait=20", {})
        if res[0] != 200:
            ok = res
            break
    check("full_state_dir_refuses_jobs", ok is not None and is_problem(*ok, 503, "state_not_writable"), ok)
    res = d.get("/probes")
    check("full_state_dir_still_reads", res[0] == 200 and res[2]["probes"][0]["state"] == "idle", res[0])
    res = d.get("/readyz")
    check("full_state_dir_not_ready", res[0] == 503 and res[2]["journal_writable"] is False, res)
    res = d.get("/jobs")
    check("full_state_dir_history_served", res[0] == 200 and len(res[2]["jobs"]) >= 1, res[0])
    d.stop()


def sigterm_during_erase():
    d = Daemon(["--probe", "sim:stm32f401re-rdp1?time_scale=0.5"]).start()  # a 2 s erase
    jid = d.post("/probes/0/unlock", {})[2]["id"]
    for _ in range(200):
        j = d.get("/jobs/" + jid)[2]
        if any(s["name"] == "mass_erase" and s["state"] == "running" for s in j["steps"]):
            break
        time.sleep(0.01)
    t0 = time.time()
    d.proc.send_signal(signal.SIGTERM)
    d.proc.wait(20)
    took = time.time() - t0
    check("sigterm_lets_the_erase_finish", d.proc.returncode == 0 and 0.5 < took < 12, (d.proc.returncode, took))
    d2 = Daemon(["--probe", "sim:stm32f401re-rdp1?time_scale=0.5"], state_dir=d.state_dir).start()
    j = d2.get("/jobs/" + jid)[2]
    check("sigterm_job_recorded_succeeded", j["state"] == "succeeded", j["state"])
    d2.stop()


def sigkill_at_every_step():
    """SIGKILL at a range of points of an unlock: the journal keeps every
    record, the job is never re-run, and the daemon serves on restart."""
    state = None
    for delay_ms in (0, 5, 20, 60, 120, 250, 500):
        d = Daemon(["--probe", "sim:stm32f401re-rdp1?time_scale=0.1"], state_dir=state).start()
        state = d.state_dir
        before = len(d.get("/jobs?limit=100")[2]["jobs"])
        jid = d.post("/probes/0/unlock", {})[2]["id"]
        time.sleep(delay_ms / 1000)
        d.stop(signal.SIGKILL)
        d = Daemon(["--probe", "sim:stm32f401re-rdp1?time_scale=0.1"], state_dir=state).start()
        jobs = d.get("/jobs?limit=100")[2]["jobs"]
        j = d.get("/jobs/" + jid)[2]
        check("sigkill_%dms_job_kept" % delay_ms, len(jobs) == before + 1, (len(jobs), before))
        check("sigkill_%dms_state_truthful" % delay_ms, j["state"] in ("interrupted", "succeeded"), j["state"])
        time.sleep(0.2)
        check("sigkill_%dms_not_rerun" % delay_ms, d.get("/jobs/" + jid)[2]["state"] == j["state"] and
              d.get("/probes/0")[2]["state"] == "idle", j["state"])
        check("sigkill_%dms_no_torn_record" % delay_ms,
              not any(f.startswith("journal.corrupt") for f in os.listdir(state)), os.listdir(state))
        d.stop()


disk_full()
sigterm_during_erase()
sigkill_at_every_step()
summary(os.path.basename(__file__))
