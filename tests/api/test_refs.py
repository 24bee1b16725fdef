"""Which probe a request names, and which chip a job finds (issue 12, item 1):
two simulated probes reporting one serial (an F401 and an F103), restarts in
between, refs in every spelling, the index a probe keeps across restarts,
a damaged probes.json, and jobs that name the chip they expect by its UID
and DEV_ID. The real daemon, driven over HTTP."""
import json
import os
import shutil
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, is_problem, summary  # noqa: E402

UID_F401 = "0032004a3135510535383833"
UID_F103 = "066cff505150898367123456"
F401 = "sim:stm32f401re-rdp1?serial=TWIN&time_scale=0.001&uid=" + UID_F401
F103 = "sim:stm32f103c8-rdp1?serial=TWIN&time_scale=0.001&uid=" + UID_F103


def probes(d):
    return {p["uri"]: p for p in d.get("/probes")[2]["probes"]}


def job_of(d, res):
    """The job a POST started, waited for to its end (None if none started)."""
    if res[0] not in (200, 202) or not isinstance(res[2], dict) or "id" not in res[2]:
        return None
    return d.wait_job(res[2]["id"])


def rdp(d, index):
    """GET /probes/{index}/rdp as a dict ({} when it is no report)."""
    body = d.get("/probes/%d/rdp" % index)[2]
    return body if isinstance(body, dict) else {}


def level(d, index):
    return rdp(d, index).get("rdp_level")


def step_states(job):
    return {s["name"]: s["state"] for s in job["steps"]}


def test_twins(tdir):
    d = Daemon(["--probe", F401, "--probe", F103], state_dir=tdir).start()
    try:
        ps = probes(d)
        i401, i103 = ps[F401]["index"], ps[F103]["index"]
        check("twins_both_listed", len(ps) == 2 and i401 != i103, ps)
        check("twins_serial_not_unique", all(p["serial"] == "TWIN" and p["serial_unique"] is False
                                             for p in ps.values()), ps)
        res = d.post("/probes/TWIN/unlock", {})
        check("twins_unlock_by_serial_409", is_problem(*res, 409, "probe_ref_ambiguous"), res)
        cands = res[2].get("candidates", []) if isinstance(res[2], dict) else []
        check("twins_409_lists_both", sorted(c["index"] for c in cands) == sorted([i401, i103]) and
              all(str(c["index"]) in c["refs"] and c["uri"] in c["refs"] and c["product"] for c in cands), cands)
        check("twins_409_detail_names_both", isinstance(res[2], dict) and F401 in res[2]["detail"] and
              F103 in res[2]["detail"], res[2])
        check("twins_no_job_started", d.get("/jobs")[2]["jobs"] == [], d.get("/jobs")[2])
        for path in ("/probes/TWIN", "/probes/TWIN/rdp", "/jobs?probe=TWIN"):
            res = d.get(path)
            check("twins_ref_refused " + path, is_problem(*res, 409, "probe_ref_ambiguous"), res)
        res = d.post("/probes/TWIN/lock", {})
        check("twins_lock_by_serial_409", is_problem(*res, 409, "probe_ref_ambiguous"), res)
        # The URI names one probe (percent-encoded in the path).
        res = d.get("/probes/" + urllib.parse.quote(F103, safe=""))
        check("twins_uri_is_a_ref", res[0] == 200 and res[2]["index"] == i103, res)
        # Unlock the F103 by its index: the F401 keeps its level 1.
        job = job_of(d, d.post("/probes/%d/unlock?wait=30" % i103, {}))
        check("twins_unlock_by_index_erases_the_f103", job and job["state"] == "succeeded" and
              job["chip"].startswith("STM32F10"), job)
        r401, r103 = rdp(d, i401), rdp(d, i103)
        check("twins_f401_untouched", r401.get("rdp_level") == 1 and r401.get("chip", "").startswith("STM32F401") and
              r401.get("uid") == UID_F401, r401)
        check("twins_f103_unlocked", r103.get("rdp_level") == 0 and r103.get("uid") == UID_F103, r103)
    finally:
        d.stop()
    # A restart, the probes given the other way round: the same indexes, and
    # the serial is refused again.
    d = Daemon(["--probe", F103, "--probe", F401], state_dir=tdir).start()
    try:
        ps = probes(d)
        check("twins_indexes_kept_over_restart", ps[F401]["index"] == i401 and ps[F103]["index"] == i103, ps)
        res = d.post("/probes/TWIN/unlock", {})
        check("twins_serial_refused_after_restart", is_problem(*res, 409, "probe_ref_ambiguous"), res)
        check("twins_no_job_after_restart", d.get("/jobs")[2]["jobs"][:1] == [] or
              all(j["probe"]["index"] == i103 for j in d.get("/jobs")[2]["jobs"]), d.get("/jobs")[2])
    finally:
        d.stop()


def test_canonical_refs(tdir):
    d = Daemon(["--probe", "sim:stm32f401re-rdp1?time_scale=0.001"], state_dir=tdir).start()
    try:
        check("index_0_is_a_ref", d.get("/probes/0")[0] == 200, d.get("/probes/0"))
        for bad in ("/probes/00000", "/probes/00", "/probes/%200", "/probes/%090", "/probes/0%20",
                    "/probes/+0", "/probes/-0", "/probes/0x0", "/probes/%2B0", "/probes/0.0"):
            res = d.get(bad)
            check("non_canonical_ref_404 " + bad, is_problem(*res, 404, "probe_not_found"), res)
            res = d.post(bad + "/unlock", {})
            check("non_canonical_ref_no_unlock " + bad, is_problem(*res, 404), res)
        check("no_job_from_bad_refs", d.get("/jobs")[2]["jobs"] == [], d.get("/jobs")[2])
        job = job_of(d, d.post("/probes/0/lock?wait=30", {}))
        check("job_1_made", job is not None and job["id"] == "1", job)
        check("job_1_is_a_ref", d.get("/jobs/1")[0] == 200, d.get("/jobs/1"))
        for bad in ("/jobs/01", "/jobs/001", "/jobs/%201", "/jobs/+1"):
            res = d.get(bad)
            check("non_canonical_job_404 " + bad, is_problem(*res, 404), res)
        check("non_canonical_job_events_404", is_problem(*d.get("/jobs/01/events"), 404), "")
        check("non_canonical_job_cancel_404", is_problem(*d.post("/jobs/01/cancel", {}), 404), "")
    finally:
        d.stop()


def sim(profile, serial):
    return "sim:%s?time_scale=0.001&serial=%s" % (profile, serial)


def test_stable_indexes(tdir):
    a, b = sim("stm32f401re-rdp1", "IDXA"), sim("stm32f103c8-rdp1", "IDXB")
    c, e = sim("stm32l476rg-rdp1", "IDXC"), sim("stm32g071rb-rdp1", "IDXE")
    d = Daemon(["--probe", a, "--probe", b], state_dir=tdir).start()
    try:
        res = d.post("/probes", {"uri": c})
        check("added_probe_201", res[0] == 201, res)
        first = {u: p["index"] for u, p in probes(d).items()}
    finally:
        d.stop()
    # Configured probes in the other order, the added one read from probes.json.
    d = Daemon(["--probe", b, "--probe", a], state_dir=tdir).start()
    try:
        again = {u: p["index"] for u, p in probes(d).items()}
        check("indexes_kept_config_reordered", again == first, (first, again))
    finally:
        d.stop()
    # A without B: B's index stays reserved; a new probe gets another one.
    d = Daemon(["--probe", a], state_dir=tdir).start()
    try:
        res = d.post("/probes", {"uri": e})
        check("new_probe_not_given_a_remembered_index", res[0] == 201 and
              res[2]["index"] not in first.values(), (res, first))
        e_index = res[2]["index"] if res[0] == 201 else None
        now = {u: p["index"] for u, p in probes(d).items()}
        check("remaining_keep_indexes", now.get(a) == first[a] and now.get(c) == first[c], (first, now))
    finally:
        d.stop()
    d = Daemon(["--probe", b, "--probe", a], state_dir=tdir).start()
    try:
        now = {u: p["index"] for u, p in probes(d).items()}
        check("returning_probe_gets_its_index", now.get(b) == first[b] and now.get(e) == e_index, (first, now))
        out = open(d.log_path, errors="replace").read()
        check("banner_lists_real_indexes", "probe %d:" % first[b] in out and
              "/probes/%d/unlock" % min(now.values()) in out, out[-800:])
    finally:
        d.stop()


DAMAGE = [
    ("two_bytes_flipped", None),
    ("not_json", b"{\"version\": 2, \"added\": [\"sim:x\""),
    ("wrong_type", b'{"version": 2, "added": [], "probes": [{"index": "0", "uri": "sim:x", "serial": "s"}]}'),
    ("duplicate_index", b'{"version": 2, "added": [], "probes": [{"index": 0, "uri": "sim:a"}, {"index": 0, "uri": "sim:b"}]}'),
    ("duplicate_uri", b'{"version": 2, "added": [], "probes": [{"index": 0, "uri": "sim:a"}, {"index": 1, "uri": "sim:a"}]}'),
    ("bad_utf8", b'{"version": 2, "added": ["sim:\xc0\xaf"], "probes": []}'),
    ("control_byte", b'{"version": 2, "added": ["sim:a\\u0001b"], "probes": []}'),
    ("index_out_of_range", b'{"version": 2, "added": [], "probes": [{"index": 64, "uri": "sim:a"}]}'),
    ("unknown_version", b'{"version": 9, "added": [], "probes": []}'),
    ("trailing_bytes", b'{"version": 2, "added": [], "probes": []} x'),
]


def test_probes_json_damage_in_the_middle(root):
    """A byte flipped inside the second of three added probes: the first and
    the third come back with their indexes, the second is dropped and said."""
    tdir = tempfile.mkdtemp(prefix="rdpd-middle-", dir=root)
    uris = [sim("stm32f401re-rdp0", "MID%d" % k) for k in range(3)]
    d = Daemon([], state_dir=tdir).start()
    try:
        for u in uris:
            d.post("/probes", {"uri": u})
        before = {p["uri"]: p["index"] for p in d.get("/probes")[2]["probes"]}
    finally:
        d.stop()
    path = os.path.join(tdir, "probes.json")
    raw = bytearray(open(path, "rb").read())
    pos = raw.index(b"MID1")
    raw[pos] = 0xC0  # an overlong-UTF-8 lead byte inside the second URI of "added"
    open(path, "wb").write(bytes(raw))
    d = Daemon([], state_dir=tdir).start()
    try:
        after = {p["uri"]: p["index"] for p in d.get("/probes")[2]["probes"]}
        check("damage_in_middle_keeps_before_and_after",
              after == {uris[0]: before[uris[0]], uris[2]: before[uris[2]]}, (before, after))
        log = open(d.log_path, errors="replace").read()
        check("damage_in_middle_said", "is damaged" in log and "dropped" in log and
              os.path.exists(path + ".corrupt.1"), log[-600:])
    finally:
        d.stop()


def test_probes_json_damage(root):
    added = sim("stm32f401re-rdp0", "KEEP")
    for name, content in DAMAGE:
        tdir = tempfile.mkdtemp(prefix="rdpd-damage-", dir=root)
        path = os.path.join(tdir, "probes.json")
        if content is None:
            d = Daemon([], state_dir=tdir).start()
            try:
                d.post("/probes", {"uri": added})
            finally:
                d.stop()
            raw = bytearray(open(path, "rb").read().rstrip())
            for pos in (raw.index(b'"'), len(raw) - 1):
                raw[pos] ^= 0x20  # two bytes flipped: the first quote, the closing bracket
            content = bytes(raw)
        open(path, "wb").write(content)
        try:
            d = Daemon([], state_dir=tdir).start()
        except RuntimeError as e:
            check("damaged_probes_json_starts " + name, False, str(e)[-400:])
            continue
        try:
            # What is intact on its own is kept (one entry per line): the
            # probe added before the two flips comes back with its index.
            want = [(0, added)] if name == "two_bytes_flipped" else []
            res = d.get("/probes")
            check("damaged_probes_json_starts " + name, res[0] == 200 and
                  [(p["index"], p["uri"]) for p in res[2]["probes"]] == want, res)
            aside = os.path.join(tdir, "probes.json.corrupt.1")
            check("damaged_probes_json_set_aside " + name, os.path.exists(aside) and
                  open(aside, "rb").read() == content, os.listdir(tdir))
            log = open(d.log_path, errors="replace").read()
            check("damaged_probes_json_warning " + name, "<4>" in log and "probes.json.corrupt.1" in log and
                  "POST /probes" in log, log[-600:])
            res = d.post("/probes", {"uri": added})
            check("damaged_probes_json_then_add " + name, res[0] == 201 if not want else
                  is_problem(*res, 409, "probe_exists"), res)
        finally:
            d.stop()
        try:
            json.load(open(path))
            check("damaged_probes_json_rewritten " + name, True)
        except (OSError, ValueError) as e:
            check("damaged_probes_json_rewritten " + name, False, e)
    # Version 1 (a plain list of added URIs) is still read.
    tdir = tempfile.mkdtemp(prefix="rdpd-v1-", dir=root)
    open(os.path.join(tdir, "probes.json"), "w").write(json.dumps([added]))
    d = Daemon([], state_dir=tdir).start()
    try:
        ps = probes(d)
        check("probes_json_v1_read", list(ps) == [added], ps)
        check("probes_json_v1_not_set_aside", not os.path.exists(os.path.join(tdir, "probes.json.corrupt.1")),
              os.listdir(tdir))
    finally:
        d.stop()


def test_expect(tdir):
    locked = "sim:stm32f401re-rdp1?time_scale=0.001&serial=EXP1&uid=" + UID_F401
    opened = "sim:stm32f401re-rdp0?time_scale=0.001&serial=EXP2&uid=" + UID_F401
    gd32 = "sim:gd32f130c8-rdp1?time_scale=0.001&serial=EXP3"
    d = Daemon(["--probe", locked, "--probe", opened, "--probe", gd32], state_dir=tdir).start()
    try:
        ps = probes(d)
        il, io, ig = ps[locked]["index"], ps[opened]["index"], ps[gd32]["index"]
        report = rdp(d, il)
        check("rdp_shows_uid", report.get("uid") == UID_F401, report)
        p = d.get("/probes/%d" % il)[2]
        check("probe_target_shows_uid", (p.get("target") or {}).get("uid") == UID_F401, p)
        check("gd32_uid_null", rdp(d, ig).get("uid", "missing") is None, rdp(d, ig))
        wrong = UID_F401[:-1] + "4"
        for kind, idx, want in (("unlock", il, 1), ("lock", io, 0)):
            job = job_of(d, d.post("/probes/%d/%s?wait=30" % (idx, kind), {"expect": {"uid": wrong}}))
            err = (job or {}).get("error") or {}
            check("expect_uid_mismatch_fails_%s" % kind, job and job["state"] == "failed" and
                  err.get("code") == "chip_mismatch" and wrong in err.get("detail", "") and
                  UID_F401 in err.get("detail", ""), job)
            st = step_states(job) if job else {}
            check("expect_mismatch_nothing_after_identify_%s" % kind, st.get("identify") == "failed" and
                  all(st[s] == "pending" for s in ("read_level", "program_options", "mass_erase", "reload",
                                                   "verify")), st)
            check("expect_mismatch_level_kept_%s" % kind, level(d, idx) == want, rdp(d, idx))
            check("expect_journaled_in_job_%s" % kind, job and job.get("expect") == {"uid": wrong}, job)
        job = job_of(d, d.post("/probes/%d/unlock?wait=30" % il, {"expect": {"dev_id": "0x410"}}))
        err = (job or {}).get("error") or {}
        check("expect_dev_id_mismatch", err.get("code") == "chip_mismatch" and
              "0x410" in err.get("detail", "") and "0x433" in err.get("detail", ""), job)
        job = job_of(d, d.post("/probes/%d/unlock?wait=30" % ig, {"expect": {"uid": UID_F401}}))
        check("expect_uid_unreadable_refused", ((job or {}).get("error") or {}).get("code") == "uid_unreadable", job)
        check("expect_uid_unreadable_level_kept", level(d, ig) == 1, rdp(d, ig))
        for body, member in (({"expect": "x"}, "expect"), ({"expect": {}}, "expect"),
                             ({"expect": None}, "expect"), ({"expect": {"uid": "12"}}, "expect.uid"),
                             ({"expect": {"uid": 5}}, "expect.uid"), ({"expect": {"uid": "g" * 24}}, "expect.uid"),
                             ({"expect": {"dev_id": "433"}}, "expect.dev_id"),
                             ({"expect": {"dev_id": "0x4333"}}, "expect.dev_id"),
                             ({"expect": {"dev_id": 1075}}, "expect.dev_id"),
                             ({"expect": {"serial": "EXP1"}}, "expect")):
            res = d.post("/probes/%d/unlock" % il, body)
            check("expect_bad_body_400 %s" % json.dumps(body), is_problem(*res, 400) and
                  member in res[2]["detail"], res)
            job_of(d, res)  # a job the old code started must end before the next request
        n_jobs = len(d.get("/jobs?limit=100")[2]["jobs"])
        check("expect_bad_bodies_start_nothing", n_jobs == 4, n_jobs)
        job = job_of(d, d.post("/probes/%d/unlock?wait=30" % il,
                               {"expect": {"uid": UID_F401.upper(), "dev_id": "0X433"}}))
        check("expect_match_unlocks", job and job["state"] == "succeeded" and
              job.get("expect") == {"uid": UID_F401, "dev_id": "0x433"}, job)
        check("expect_match_level_0", level(d, il) == 0, rdp(d, il))
        job_id = job["id"] if job else "0"
        # A URI is a ref in ?probe= too, and the next page's link keeps it one.
        page = d.get("/jobs?limit=1&probe=" + urllib.parse.quote(locked, safe=""))[2]
        nxt = d.get(page["next"])[2] if isinstance(page, dict) and page.get("next") else {}
        check("jobs_by_uri_ref_pages", len(page.get("jobs", [])) == 1 and len(nxt.get("jobs", [])) == 1 and
              all(j["probe"]["index"] == il for j in page["jobs"] + nxt["jobs"]), (page.get("next"), nxt))
    finally:
        d.stop()
    d = Daemon(["--probe", locked, "--probe", opened, "--probe", gd32], state_dir=tdir).start()
    try:
        job = d.get("/jobs/%s" % job_id)[2]
        check("expect_survives_restart", isinstance(job, dict) and
              job.get("expect") == {"uid": UID_F401, "dev_id": "0x433"}, job)
    finally:
        d.stop()


def main():
    root = tempfile.mkdtemp(prefix="rdpd-refs-")
    try:
        test_twins(tempfile.mkdtemp(dir=root))
        test_canonical_refs(tempfile.mkdtemp(dir=root))
        test_stable_indexes(tempfile.mkdtemp(dir=root))
        test_probes_json_damage_in_the_middle(root)
        test_probes_json_damage(root)
        test_expect(tempfile.mkdtemp(dir=root))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    summary(os.path.basename(__file__))


main()
