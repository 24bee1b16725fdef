"""Idempotency-Key (docs/service.md row 18): a key binds to its request, the
probe (whatever ref names it), the action and the body. The same request
again is the same job; the same key on another probe, another action or
another body is 422 with a code of its own, never the other request's job,
and nothing is started. The binding is journaled with the job, so it holds
across a restart."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, is_problem, summary  # noqa: E402

P0 = "sim:stm32f401re-rdp1?time_scale=0.001&serial=IDEM0"
P1 = "sim:stm32f401re-rdp1?time_scale=0.001&serial=IDEM1"


def post(d, path, key, raw=b"{}"):
    return d.request("POST", path, raw=raw, headers={"Content-Type": "application/json", "Idempotency-Key": key})


def job_ids(d):
    return [j["id"] for j in d.get("/jobs?limit=100")[2]["jobs"]]


def mismatch(d, name, path, key, raw, before):
    res = post(d, path, key, raw)
    check(name + "_422", is_problem(*res, 422, "idempotency_key_reused") and "job" not in res[2] and
          "id" not in res[2], res)
    check(name + "_started_nothing", job_ids(d) == before, (job_ids(d), before))


def test_binding(d):
    first = post(d, "/probes/0/unlock?wait=30", "ci-42")
    check("first_unlock", first[0] == 200 and first[2]["state"] == "succeeded", first)
    jid = first[2]["id"]
    before = job_ids(d)
    for name, path, raw in (("same", "/probes/0/unlock", b"{}"),
                            ("same_respaced", "/probes/0/unlock", b' { } '),
                            ("same_by_serial", "/probes/IDEM0/unlock", b"{}"),
                            ("same_empty_body_is_empty_object", "/probes/0/unlock", b"")):
        res = post(d, path, "ci-42", raw)
        check("retry_" + name, res[0] == 200 and res[2]["id"] == jid, (res[0], res[2].get("id"), jid))
    check("retries_started_nothing", job_ids(d) == before, job_ids(d))
    mismatch(d, "other_probe", "/probes/1/unlock", "ci-42", b"{}", before)
    mismatch(d, "other_probe_by_serial", "/probes/IDEM1/unlock", "ci-42", b"{}", before)
    mismatch(d, "other_action", "/probes/0/lock", "ci-42", b"{}", before)
    mismatch(d, "other_body", "/probes/0/unlock", "ci-42", b'{"clock_hz": 200000}', before)
    check("other_probe_still_locked", d.get("/probes/1/rdp")[2]["rdp_level"] == 1, "")
    check("probe0_not_relocked", d.get("/probes/0/rdp")[2]["rdp_level"] == 0, "")
    # A body with options binds to those options, in any order.
    res = post(d, "/probes/1/lock?wait=30", "ci-43", b'{"connect": "normal", "clock_hz": 400000}')
    check("lock_with_body", res[0] == 200 and res[2]["kind"] == "lock", res)
    res = post(d, "/probes/1/lock", "ci-43", b'{"clock_hz":400000,"connect":"normal"}')
    check("retry_reordered_body", res[0] == 200 and res[2]["id"] == job_ids(d)[0], res[0])
    mismatch(d, "lock_key_on_unlock", "/probes/1/unlock", "ci-43", b'{"connect": "normal", "clock_hz": 400000}',
             job_ids(d))
    return jid


def test_after_restart(d, jid):
    d.stop()
    d2 = Daemon(["--probe", P0, "--probe", P1], state_dir=d.state_dir).start()
    try:
        before = job_ids(d2)
        res = post(d2, "/probes/0/unlock", "ci-42")
        check("restart_retry_same_job", res[0] == 200 and res[2]["id"] == jid, (res[0], res[2].get("id")))
        mismatch(d2, "restart_other_probe", "/probes/1/unlock", "ci-42", b"{}", before)
        mismatch(d2, "restart_other_body", "/probes/0/unlock", "ci-42", b'{"connect": "under-reset"}', before)
        res = post(d2, "/probes/1/unlock?wait=30", "ci-44")
        check("new_key_new_job", res[0] == 200 and res[2]["id"] not in before, res[0])
    finally:
        d2.stop()


def test_bad_keys(d):
    for key in ("", "k" * 101, "caf\u00e9".encode().decode("latin-1")):
        res = post(d, "/probes/0/unlock", key)
        check("bad_key_400 %r" % key[:10], is_problem(*res, 400), res)


def main():
    d = Daemon(["--probe", P0, "--probe", P1]).start()
    try:
        d.wait_identities()
        jid = test_binding(d)
        test_bad_keys(d)
    finally:
        d.stop()
    test_after_restart(d, jid)
    summary(os.path.basename(__file__))


main()
