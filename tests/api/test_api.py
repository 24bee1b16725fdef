"""The HTTP API end to end: the real daemon with simulated probes, driven
over HTTP. Every endpoint, every error status, full unlocks, concurrency,
SSE resume, restart in the middle of a job, and the OpenAPI document
checked against the real responses."""
import json
import os
import signal
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, is_problem, summary  # noqa: E402
from openapi_check import response_schema, validate  # noqa: E402

FAST = "sim:stm32f401re-rdp1?time_scale=0.001"
seen = []  # (path template, method, status, content type, body) for the OpenAPI check


def record(tpl, method, res):
    status, hdrs, body = res
    seen.append((tpl, method, status, hdrs.get("Content-Type", "").split(";")[0], body))
    return res


def test_basics(d):
    res = record("/probes", "GET", d.get("/probes"))
    check("probes_listed", res[0] == 200 and len(res[2]["probes"]) == 1, res)
    p = res[2]["probes"][0]
    check("probe_marked_simulated", p["simulated"] is True and p["transport"] == "sim" and p["state"] == "idle", p)
    res = record("/probes/{ref}", "GET", d.get("/probes/0"))
    check("probe_by_index", res[0] == 200 and res[2]["index"] == 0, res)
    res = d.get("/probes/" + p["serial"])
    check("probe_by_serial", res[0] == 200 and res[2]["index"] == 0, res)
    for bad in ("/probes/abc", "/probes/99999999999999999999", "/probes/7", "/probes/-1"):
        res = record("/probes/{ref}", "GET", d.get(bad))
        check("unknown_probe_404 " + bad, is_problem(*res, 404, "probe_not_found"), res)
    res = record("/jobs/{id}", "GET", d.get("/jobs/424242"))
    check("unknown_job_404", is_problem(*res, 404, "not_found"), res)
    res = d.get("/jobs/abc")
    check("bad_job_id_404", is_problem(*res, 404), res)
    res = d.get("/no/such/thing")
    check("unknown_path_404", is_problem(*res, 404), res)
    res = d.request("PUT", "/probes")
    check("wrong_method_405", is_problem(*res, 405), res)
    res = d.get("/livez")
    check("livez", res[0] == 200 and res[2].strip() == "ok", res)
    res = record("/readyz", "GET", d.get("/readyz"))
    check("readyz", res[0] == 200 and res[2]["ready"] is True, res)
    res = d.get("/openapi.json")
    check("openapi_served", res[0] == 200 and res[2]["openapi"].startswith("3."), res[0])
    res = d.get("/")
    check("dashboard_served", res[0] == 200 and "<html" in res[2], res[0])
    for bad in ("/../etc/passwd", "/%2e%2e/etc/passwd", "/index.html%00", "/web/../Makefile", "/%252e%252e/x"):
        res = d.get(bad)
        check("static_traversal_404 " + bad, res[0] == 404, res)


def test_rdp_and_unlock(d):
    res = record("/probes/{ref}/rdp", "GET", d.get("/probes/0/rdp"))
    check("rdp_level1", res[0] == 200 and res[2]["rdp_level"] == 1 and res[2]["chip"] == "STM32F401xD/E", res)
    check("rdp_names_its_scheme", res[0] == 200 and res[2].get("scheme") == "stm32-rdp", res[2].get("scheme"))
    res = d.get("/probes/0")
    check("probe_remembers_target", res[2]["target"] and res[2]["target"]["rdp_level"] == 1, res[2])
    check("opened_probe_names_its_protocol", res[2]["protocol"] == "cmsis-dap", res[2])
    res = record("/probes/{ref}/unlock", "POST", d.post("/probes/0/unlock?wait=30", {}))
    j = res[2]
    check("unlock_wait_200", res[0] == 200 and j["state"] == "succeeded", res)
    check("unlock_location", res[1].get("Location") == "/jobs/" + j["id"], res[1])
    check("unlock_result", j["result"] == {"rdp_before": 1, "rdp_after": 0, "flash_erased": True,
                                           "flash_verified_blank": True, "power_cycle_required": False,
                                           "relocks_at_reset": False, "erase_ms": j["result"]["erase_ms"]}, j["result"])
    check("unlock_steps_done", [s["state"] for s in j["steps"]] == ["done"] * 7, j["steps"])
    check("unlock_log", any("mass erase" in line for line in j["log"]), j["log"])
    res = d.get("/probes/0/rdp")
    check("rdp_after_unlock_level0", res[2]["rdp_level"] == 0, res)
    res = record("/jobs/{id}", "GET", d.get("/jobs/" + j["id"]))
    check("job_get", res[0] == 200 and res[2]["id"] == j["id"], res)
    res = record("/probes/{ref}/lock", "POST", d.post("/probes/0/lock?wait=30"))
    check("lock_sets_level1", res[0] == 200 and res[2]["result"]["rdp_after"] == 1, res)
    res = record("/probes/{ref}/lock", "POST", d.post("/probes/0/lock", {"level": 2}))
    check("lock_level2_refused", is_problem(*res, 501, "not_supported") and "never" in res[2]["detail"], res)
    res = d.post("/probes/0/unlock?wait=30", {"clock_hz": 200000, "connect": "normal"})
    check("unlock_with_connect_options", res[0] == 200 and res[2]["state"] == "succeeded", res)
    res = record("/jobs", "GET", d.get("/jobs?limit=2"))
    check("jobs_newest_first", res[0] == 200 and [x["id"] for x in res[2]["jobs"]] == ["3", "2"], res)
    check("jobs_next_link", res[2]["next"] and "before=2" in res[2]["next"], res[2].get("next"))
    res = d.get(res[2]["next"])
    check("jobs_next_page", [x["id"] for x in res[2]["jobs"]] == ["1"] and res[2]["next"] is None, res)
    res = d.get("/jobs?state=succeeded&probe=0")
    check("jobs_filter", len(res[2]["jobs"]) == 3, res)
    for q in ("state=bogus", "limit=0", "limit=1000", "before=x", "probe=zz"):
        res = d.get("/jobs?" + q)
        check("jobs_bad_filter " + q, res[0] in (400, 404) and res[1]["Content-Type"].startswith("application/problem+json"), res)


def test_bad_input(d):
    for raw in (b"{", b"[1,2]", b'{"clock_hz": "fast"}', b'{"connect": "sideways"}', b"{} trailing",
                b'{"a":' * 50 + b"1" + b"}" * 50, b'{"clock_hz": 99999999999999999999999}', b'{"x":"\xff"}'):
        res = d.request("POST", "/probes/0/unlock", raw=raw, headers={"Content-Type": "application/json"})
        check("bad_body_400 %r" % raw[:20], is_problem(*res, 400), res)
    res = d.request("POST", "/probes/0/unlock", raw=b"x" * 200000, headers={"Content-Type": "application/json"})
    check("huge_body_413", res[0] == 413, res[0])
    res = record("/probes", "POST", d.post("/probes", {"uri": "usb:123"}))
    check("add_usb_refused", is_problem(*res, 400), res)
    res = d.post("/probes", {"nope": 1})
    check("add_without_uri", is_problem(*res, 400), res)
    res = d.post("/probes/0/unlock?wait=abc")
    check("bad_wait", is_problem(*res, 400), res)
    res = d.post("/probes/0/unlock", headers={"Idempotency-Key": "k" * 200})
    check("long_idempotency_key", is_problem(*res, 400), res)


def test_security(d):
    res = d.post("/probes/0/unlock", headers={"Origin": "http://evil.example"})
    check("cross_site_post_refused", is_problem(*res, 403, "cross_site_request"), res)
    res = d.request("POST", "/probes/0/unlock", raw=b"x=1",
                    headers={"Origin": "http://127.0.0.1:%d" % d.port, "Content-Type": "text/plain"})
    check("same_origin_form_post_refused", is_problem(*res, 403), res)
    res = d.request("POST", "/probes/0/unlock", raw=b"a=1",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    check("form_post_without_origin_refused", is_problem(*res, 415, "unsupported_media_type"), res)
    res = d.request("POST", "/probes/0/lock?wait=20")  # no body, no Content-Type, like curl -X POST
    check("bodyless_curl_post_accepted", res[0] == 200 and res[2]["state"] == "succeeded", res[0])
    res = d.post("/probes/0/unlock?wait=20")
    check("relock_then_unlock", res[0] == 200, res[0])
    res = d.get("/probes", headers={"Host": "evil.example"})
    check("dns_rebinding_refused", is_problem(*res, 421, "host_not_allowed"), res)
    res = d.get("/probes", headers={"Host": "localhost:%d" % d.port})
    check("localhost_host_ok", res[0] == 200, res[0])


def test_concurrency(d):
    results = []

    def unlock(path):
        results.append(d.post(path, {}))

    # Two clicks at once on a slow probe: one job, one 409 naming it.
    d.post("/probes", {"uri": "sim:stm32f401re-rdp1?time_scale=0.1"})
    idx = max(p["index"] for p in d.get("/probes")[2]["probes"])
    ts = [threading.Thread(target=unlock, args=("/probes/%d/unlock" % idx,)) for _ in range(2)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    codes = sorted(r[0] for r in results)
    check("double_unlock_one_job", codes == [202, 409], codes)
    busy = [r for r in results if r[0] == 409]
    job = [r for r in results if r[0] == 202]
    if busy and job:
        check("busy_names_job", busy[0][2]["job"] == "/jobs/" + job[0][2]["id"] and busy[0][2]["code"] == "probe_busy", busy[0][2])
        res = d.get("/probes/%d/rdp" % idx)
        check("rdp_while_busy_409", is_problem(*res, 409, "probe_busy") and res[2]["job"], res)
        res = d.get("/probes/%d" % idx)
        check("probe_state_busy", res[2]["state"] == "busy" and res[2]["job"] == "/jobs/" + job[0][2]["id"], res[2])
        res = d.post("/jobs/%s/cancel" % job[0][2]["id"])
        check("cancel_running_refused", is_problem(*res, 409), res)
        j = d.wait_job(job[0][2]["id"])
        check("slow_unlock_succeeds", j["state"] == "succeeded", j["state"])
        check("slow_unlock_progress", j["progress_pct"] == 100, j["progress_pct"])
        res = d.post("/jobs/%s/cancel" % job[0][2]["id"])
        check("cancel_ended_job_ended", is_problem(*res, 409, "job_ended"), res)
    # Four probes at once.
    idxs = []
    for k in range(4):
        res = d.post("/probes", {"uri": "sim:stm32f401re-rdp1?time_scale=0.05&serial=PAR%d" % k})
        idxs.append(res[2]["index"])
    results.clear()
    t0 = time.time()
    ts = [threading.Thread(target=unlock, args=("/probes/%d/unlock?wait=30" % i,)) for i in idxs]
    [t.start() for t in ts]
    [t.join() for t in ts]
    took = time.time() - t0
    check("four_parallel_unlocks", sorted(r[0] for r in results) == [200] * 4 and
          all(r[2]["state"] == "succeeded" for r in results), [r[0] for r in results])
    check("four_parallel_are_parallel", took < 4 * 0.2 + 1.0, took)
    res = d.post("/probes/%d/unlock?wait=30" % idxs[0], {}, headers={"Idempotency-Key": "ci-42"})
    again = d.post("/probes/%d/unlock?wait=30" % idxs[0], {}, headers={"Idempotency-Key": "ci-42"})
    check("idempotent_retry_same_job", res[2]["id"] == again[2]["id"] and again[0] == 200, (res[2]["id"], again[2]["id"]))


def sse(d, job_id, last=None, timeout=20):
    req = urllib.request.Request(d.url("/jobs/%s/events" % job_id),
                                 headers={"Last-Event-ID": str(last)} if last else {})
    events = []
    with urllib.request.urlopen(req, timeout=timeout) as r:
        ctype = r.headers["Content-Type"]
        ev = {}
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line == "":
                if ev:
                    events.append(ev)
                ev = {}
            elif line.startswith(":"):
                continue
            else:
                k, _, v = line.partition(": ")
                ev[k] = v
    return ctype, events


def test_sse(d):
    res = d.post("/probes", {"uri": "sim:stm32f401re-rdp1?time_scale=0.05&serial=SSE"})
    idx = res[2]["index"]
    res = d.post("/probes/%d/unlock" % idx, {})
    jid = res[2]["id"]
    ctype, events = sse(d, jid)
    check("sse_content_type", ctype.startswith("text/event-stream"), ctype)
    ids = [int(e["id"]) for e in events]
    check("sse_ids_increase", ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] == 1, ids)
    check("sse_ends_with_final_state", events and events[-1]["event"] == "state" and
          json.loads(events[-1]["data"])["state"] == "succeeded", events[-1:])
    check("probe_target_raw_after_unlock", d.get("/probes/%d" % idx)[2]["target"]["rdp_raw"] == "0xaa",
          d.get("/probes/%d" % idx)[2]["target"])
    kinds = {e["event"] for e in events}
    check("sse_event_kinds", {"state", "step", "log"} <= kinds, kinds)
    _, resumed = sse(d, jid, last=ids[len(ids) // 2])
    check("sse_resume_replays_gap", [int(e["id"]) for e in resumed] == ids[len(ids) // 2 + 1:],
          ([e["id"] for e in resumed], ids))
    res = d.get("/jobs/999999/events")
    check("sse_unknown_job_404", is_problem(*res, 404), res)
    # Past the newest 20 finished jobs only the record is kept, not the
    # events: a late listener still gets the end, and the stream ends.
    fast = d.post("/probes", {"uri": "sim:stm32f401re-rdp0?time_scale=0.001&serial=MANY"})[2]["index"]
    for _ in range(22):
        d.post("/probes/%d/lock?wait=20" % fast, {})
    _, old = sse(d, jid, timeout=10)
    check("sse_old_job_ends_with_its_state", len(old) == 1 and json.loads(old[0]["data"])["state"] == "succeeded"
          and int(old[0]["id"]) >= ids[-1], old)


def test_probe_admin(d):
    res = record("/probes", "POST", d.post("/probes", {"uri": "sim:stm32f401re-rdp0"}))
    check("add_probe_201", res[0] == 201 and res[1]["Location"] == "/probes/%d" % res[2]["index"], res)
    idx = res[2]["index"]
    # The 201 comes at once; the probe's own serial (DAP_Info) follows when
    # its worker has opened it.
    d.wait_identities()
    p = d.get("/probes/%d" % idx)[2]
    check("add_probe_answers_real_serial", p["serial"].startswith("SIMDAP") and
          d.get("/probes/" + p["serial"])[0] == 200, p["serial"])
    res = d.post("/probes", {"uri": "sim:stm32f401re-rdp0"})
    check("add_duplicate_409", is_problem(*res, 409), res)
    res = record("/probes/{ref}/lease", "POST", d.post("/probes/%d/lease" % idx, {"holder": "ci-runner-3", "ttl_s": 60}))
    check("lease", res[0] == 200 and res[2]["state"] == "leased" and res[2]["lease"]["holder"] == "ci-runner-3", res)
    res = d.post("/probes/%d/unlock" % idx, {})
    check("unlock_leased_409", is_problem(*res, 409), res)
    res = d.get("/probes/%d/rdp" % idx)
    check("rdp_leased_refused", res[0] in (409, 503) and "leased" in res[2]["detail"], res)
    res = d.request("DELETE", "/probes/%d/lease" % idx)
    check("unlease", res[0] == 200 and res[2]["state"] == "idle", res)
    res = d.request("DELETE", "/probes/%d" % idx)
    check("delete_probe_204", res[0] == 204, res)
    res = d.get("/probes/%d" % idx)
    check("deleted_probe_gone", res[0] == 404, res[0])


def test_target_voltage(d):
    """An ST-LINK measures VTref: GET /probes and /metrics show it, and a
    target that never answers is reported with it (issue 14)."""
    res = d.post("/probes", {"uri": "sim:stm32f401re-rdp1?probe=stlink-v2-1&target_mv=3300&serial=VOLT"})
    idx = res[2]["index"]
    res = record("/probes/{ref}/rdp", "GET", d.get("/probes/%d/rdp" % idx))
    check("stlink_rdp_level1", res[0] == 200 and res[2]["rdp_level"] == 1, res)
    p = record("/probes/{ref}", "GET", d.get("/probes/%d" % idx))[2]
    check("stlink_target_voltage", p["target_voltage"] == 3.3 and p["protocol"] == "stlink", p)
    dap = d.get("/probes/0")[2]
    check("cmsis_dap_has_no_voltage", dap["protocol"] == "cmsis-dap" and dap["target_voltage"] is None, dap)
    res = d.get("/metrics")
    line = 'rdpd_probe_target_volts{index="%d",serial="%s"} 3.300' % (idx, p["serial"])
    check("metrics_target_volts", res[0] == 200 and line in res[2].splitlines(), line)
    line = ('rdpd_probe_protection_level{index="%d",serial="%s",family="stm32f4",scheme="stm32-rdp"} 1'
            % (idx, p["serial"]))
    check("metrics_protection_level", line in res[2].splitlines(), line)
    check("probe_target_scheme", p["target"]["scheme"] == "stm32-rdp", p["target"])
    res = d.post("/probes", {"uri": "sim:no-target?probe=stlink-v2&target_mv=20&serial=UNPOWERED"})
    low = res[2]["index"]
    res = record("/probes/{ref}/rdp", "GET", d.get("/probes/%d/rdp" % low))
    check("unpowered_board_named", is_problem(*res, 502, "target_not_responding") and
          "Target voltage 0.02 V: the board is not powered or VTref is not wired." in res[2]["detail"], res)
    res = d.post("/probes", {"uri": "sim:no-target?serial=DAPNOTARGET"})
    res = d.get("/probes/%d/rdp" % res[2]["index"])
    check("cmsis_dap_silence_says_no_voltage", is_problem(*res, 502, "target_not_responding") and
          "Target voltage" not in res[2]["detail"], res)


def test_openapi_matches(d):
    doc = d.get("/openapi.json")[2]
    for tpl, method, status, ctype, body in seen:
        schema = response_schema(doc, tpl, method, status, ctype)
        if not check("openapi_documents %s %s %d" % (method, tpl, status), schema is not None, ctype):
            continue
        errs = validate(doc, schema, body)
        check("openapi_matches %s %s %d" % (method, tpl, status), not errs, errs[:5])


def test_restart_mid_job():
    d = Daemon(["--probe", "sim:stm32f401re-rdp1?time_scale=1"]).start()
    res = d.post("/probes/0/unlock", {})
    jid = res[2]["id"]
    for _ in range(100):
        j = d.get("/jobs/" + jid)[2]
        if j["state"] == "running" and any(s["name"] == "mass_erase" and s["state"] == "running" for s in j["steps"]):
            break
        time.sleep(0.02)
    d.stop(signal.SIGKILL)
    d2 = Daemon(["--probe", "sim:stm32f401re-rdp1?time_scale=1"], state_dir=d.state_dir).start()
    j = d2.get("/jobs/" + jid)[2]
    check("killed_job_interrupted", j["state"] == "interrupted" and j["error"]["detail"], j["state"])
    time.sleep(0.3)
    jobs = d2.get("/jobs")[2]["jobs"]
    check("interrupted_job_not_rerun", [x["id"] for x in jobs] == [jid] and d2.get("/probes/0")[2]["state"] == "idle", jobs)
    res = d2.post("/probes/0/lock?wait=30", {})
    check("serves_after_restart", res[0] == 200 and res[2]["id"] == str(int(jid) + 1), res[2].get("id"))
    d2.stop()


def test_tokens():
    import tempfile
    tdir = tempfile.mkdtemp()
    tokens = os.path.join(tdir, "tokens")
    with open(tokens, "w") as f:
        f.write("# name role secret\nreader read r-0123456789abcdef\nci operate o-0123456789abcdef\n")
    os.chmod(tokens, 0o600)  # rdpd refuses a tokens file others may read
    d = Daemon(["--tokens", tokens, "--probe", FAST], listen_host="0.0.0.0").start()
    res = d.get("/probes")
    check("token_mode_get_open", res[0] == 200, res[0])
    res = d.post("/probes/0/unlock", {})
    check("token_mode_post_needs_token", is_problem(*res, 401), res)
    res = d.post("/probes/0/unlock", {}, headers={"Authorization": "Bearer r-0123456789abcdef"})
    check("read_token_cannot_unlock", is_problem(*res, 403), res)
    res = d.post("/probes/0/unlock", {}, headers={"Authorization": "Bearer o-0123456789abcdeX"})
    check("wrong_token_401", is_problem(*res, 401), res)
    res = d.post("/probes/0/unlock?wait=30", {}, headers={"Authorization": "Bearer o-0123456789abcdef"})
    check("operate_token_unlocks", res[0] == 200 and res[2]["requested_by"] == "ci", res)
    res = d.post("/probes", {"uri": FAST}, headers={"Authorization": "Bearer o-0123456789abcdef"})
    check("operate_cannot_add_probes", is_problem(*res, 403), res)
    d.stop()
    d = Daemon(["--tokens", os.path.join(tdir, "missing")], listen_host="0.0.0.0")
    try:
        d.start()
        check("non_loopback_without_tokens_refused", False, "started")
        d.stop()
    except RuntimeError as e:
        check("non_loopback_without_tokens_refused", "tokens" in str(e), str(e)[-300:])


def main():
    d = Daemon(["--probe", FAST]).start()
    try:
        test_basics(d)
        test_rdp_and_unlock(d)
        test_bad_input(d)
        test_security(d)
        test_concurrency(d)
        test_sse(d)
        test_probe_admin(d)
        test_target_voltage(d)
        test_openapi_matches(d)
    finally:
        d.stop()
    check("sigterm_clean_exit", d.proc.returncode == 0, d.proc.returncode)
    test_restart_mid_job()
    test_tokens()
    summary(os.path.basename(__file__))


main()
