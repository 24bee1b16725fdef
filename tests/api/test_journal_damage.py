"""A damaged job journal and a long history across a restart (docs/service.md
row 22): the real daemon runs jobs and stops; bytes of one record a third of
the way into DIR/journal are flipped; the restarted daemon must keep every
job before and after the damage with its state, keep the damaged bytes in
DIR/journal.corrupt.N, and give the next job an id never used. And a journal
of 1,050 finished jobs (the history holds 1,000), written here the way rdpd
writes it (docs: format at the top of daemon/jobs/journal.c), comes back as
1,000 and stays 1,000.
"""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, summary  # noqa: E402

SIM = "sim:stm32f401re-rdp1?time_scale=0.001&serial=J1"
SIM2 = "sim:stm32f401re-rdp2?time_scale=0.001&serial=J2"
MAGIC = b"RDJ\x01"


def records(blob):
    """[(offset, length of the whole record, payload)] of an intact journal."""
    out, off = [], 0
    while off + 12 <= len(blob):
        n, crc = struct.unpack("<II", blob[off + 4:off + 12])
        payload = blob[off + 12:off + 12 + n]
        if blob[off:off + 4] != MAGIC or len(payload) != n or zlib.crc32(blob[off + 4:off + 8] + payload) != crc:
            break
        out.append((off, 12 + n, payload))
        off += 12 + n
    return out


def record(payload):
    head = struct.pack("<I", len(payload))
    return MAGIC + head + struct.pack("<I", zlib.crc32(head + payload)) + payload


def all_jobs(d):
    jobs, path = {}, "/jobs?limit=100"
    while path:
        res = d.get(path)[2]
        jobs.update({j["id"]: j for j in res["jobs"]})
        path = res.get("next")
    return jobs


def corrupt_files(state):
    return sorted(f for f in os.listdir(state) if f.startswith("journal.corrupt."))


def damaged_record_in_the_middle():
    d = Daemon(["--probe", SIM, "--probe", SIM2]).start()
    state = d.state_dir
    for i in range(8):
        res = d.post("/probes/J1/%s?wait=30" % ("lock" if i % 2 else "unlock"), {"level": 1} if i % 2 else {})
        check("job_%d_ran" % i, res[0] == 200 and res[2]["state"] == "succeeded", res[:1])
    res = d.post("/probes/J2/unlock?wait=30", {})  # level 2: the job fails, truthfully
    check("level2_job_failed", res[0] == 200 and res[2]["state"] == "failed", res[:1])
    before = all_jobs(d)
    d.stop()
    check("nine_jobs_before", len(before) == 9, sorted(before))

    path = os.path.join(state, "journal")
    blob = bytearray(open(path, "rb").read())
    recs = records(bytes(blob))
    check("journal_intact_before", sum(r[1] for r in recs) == len(blob), (len(recs), len(blob)))
    # A record a third of the way in that is not its job's last (so every
    # job's final state is still on disk): 3 bytes of its payload flipped.
    ids = [int(p.split(b'"id":"')[1].split(b'"')[0]) for _, _, p in recs]
    k = next(i for i in range(len(recs) // 3, len(recs)) if ids[i] in ids[i + 1:])
    off, length, _ = recs[k]
    for at in (20, length // 2, length - 3):
        blob[off + at] ^= 0x5A
    damaged = bytes(blob[off:off + length])
    open(path, "wb").write(blob)

    d = Daemon(["--probe", SIM, "--probe", SIM2], state_dir=state).start()
    after = all_jobs(d)
    check("every_job_kept", sorted(after) == sorted(before), (sorted(before), sorted(after)))
    for jid, j in before.items():
        a = after.get(jid, {})
        check("job_%s_state_kept" % jid, a.get("state") == j["state"] and a.get("result") == j["result"],
              (j["state"], a.get("state")))
    files = corrupt_files(state)
    kept = b"".join(open(os.path.join(state, f), "rb").read() for f in files)
    check("damaged_bytes_kept_aside", len(files) == 1 and damaged in kept, (files, len(kept)))
    res = d.post("/probes/J1/unlock?wait=30", {})
    new_id = int(res[2]["id"]) if res[0] == 200 else 0
    check("next_job_id_is_new", new_id > max(int(i) for i in before), (new_id, sorted(before)))
    d.stop()
    recs = records(open(path, "rb").read())
    check("journal_rewritten_without_damage", sum(r[1] for r in recs) == os.path.getsize(path) and
          damaged not in open(path, "rb").read(), len(recs))

    # Once more: the damage is gone, nothing new is set aside, ids go on.
    d = Daemon(["--probe", SIM, "--probe", SIM2], state_dir=state).start()
    again = all_jobs(d)
    check("restart_keeps_everything", set(again) == set(before) | {str(new_id)}, sorted(again, key=int))
    check("no_new_corrupt_copy", corrupt_files(state) == files, corrupt_files(state))
    res = d.post("/probes/J1/lock?wait=30", {"level": 1})
    check("ids_keep_growing", res[0] == 200 and int(res[2]["id"]) > new_id, res[2].get("id"))
    d.stop()


def snapshot(jid, state):
    """A journal snapshot with the members rdpd's replay reads."""
    return ('{"id":"%d","kind":"unlock","probe":{"index":0,"serial":"J1","uri":"%s"},"chip":null,'
            '"state":"%s","progress_pct":0,"created_at":null,"started_at":null,"finished_at":null,'
            '"requested_by":"test","steps":[],"log":[],"result":null,"error":null,"_j":{'
            '"idempotency_key":"","created":1700000000,"started":0,"finished":0,"error_rc":0,'
            '"clock_hz":0,"connect_mode":0}}' % (jid, SIM, state)).encode()


def history_bound_after_restart():
    d = Daemon(["--probe", SIM])
    os.makedirs(d.state_dir, exist_ok=True)
    with open(os.path.join(d.state_dir, "journal"), "wb") as f:
        for jid in range(1, 1051):
            f.write(record(snapshot(jid, "succeeded")))
    d.start()
    jobs = all_jobs(d)
    check("history_1000_after_restart", len(jobs) == 1000, len(jobs))
    check("history_keeps_the_newest", "1050" in jobs and "51" in jobs and "50" not in jobs,
          (min(jobs, key=int), max(jobs, key=int)))
    d.stop()
    kept = records(open(os.path.join(d.state_dir, "journal"), "rb").read())
    check("journal_holds_the_1000", len(kept) == 1000, len(kept))
    d = Daemon(["--probe", SIM], state_dir=d.state_dir).start()
    check("history_still_1000", len(all_jobs(d)) == 1000)
    d.stop()


damaged_record_in_the_middle()
history_bound_after_restart()
summary(os.path.basename(__file__))
