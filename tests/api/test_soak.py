"""A short soak of the real daemon (issue 7; docs/service.md rows 2, 3, 7): for
about 10 s, keep-alive clients on GET /probes and /metrics, SSE subscribers
joining and leaving, lock/unlock jobs with ?wait, a probe removed and added
again, slowloris sockets and oversized requests, all at once. Then: every
legitimate request was answered as expected (no 5xx, no dropped
connection), every hostile one got 413/431 or a closed connection, the
slowloris sockets did not hold up others, and once the clients are gone the
daemon answers and its fds and RSS are back near where they started.
`make soak` is the long form (tests/bench/soak.c)."""
import http.client
import json
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, summary  # noqa: E402

SECONDS = float(os.environ.get("RDPD_SOAK_TEST_SECONDS", "10"))
FD_SLACK = 5
RSS_SLACK_KB = 4096
JOB_KB = 20

lock = threading.Lock()
stop = threading.Event()
counts = {}      # kind -> answered as expected
bad = []         # (kind, what) for legitimate requests answered otherwise
hostile_bad = []
last_job = [0]


def count(kind):
    with lock:
        counts[kind] = counts.get(kind, 0) + 1


def fail(kind, what, hostile=False):
    with lock:
        (hostile_bad if hostile else bad).append((kind, str(what)[:200]))


def proc_figures(pid):
    rss = threads = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return {"rss_kb": rss, "fds": len(os.listdir("/proc/%d/fd" % pid)), "threads": threads}


class Client:
    """A keep-alive connection; reconnects (and records why) on trouble."""

    def __init__(self, d, timeout=30):
        self.d, self.timeout, self.c = d, timeout, None

    def do(self, kind, method, path, body=None, want=200):
        if self.c is None:
            self.c = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=self.timeout)
        try:
            hdrs = {"Content-Type": "application/json"} if body is not None else {}
            self.c.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdrs)
            r = self.c.getresponse()
            text = r.read().decode()
        except (OSError, http.client.HTTPException) as e:
            self.c.close()
            self.c = None
            fail(kind, "connection: %r" % e)
            return None, None
        data = json.loads(text) if "json" in (r.getheader("Content-Type") or "") and text else text
        if r.status != want:
            fail(kind, "%d %s" % (r.status, data))
            return r.status, data
        count(kind)
        return r.status, data

    def close(self):
        if self.c:
            self.c.close()


def getter(d, path):
    c = Client(d)
    while not stop.is_set():
        c.do("GET " + path, "GET", path)
    c.close()


def unlocker(d, serial):
    c = Client(d)
    while not stop.is_set():
        for action in ("lock", "unlock"):
            st, job = c.do("POST %s?wait=20" % action, "POST", "/probes/%s/%s?wait=20" % (serial, action), {})
            if st == 200:
                if job.get("state") != "succeeded":
                    fail("POST %s?wait=20" % action, "job %s: %s" % (job.get("id"), job.get("state")))
                last_job[0] = int(job["id"])
            stop.wait(0.1)  # paced: the job history grows by design
    c.close()


def sse_subscriber(d, seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        jid = last_job[0]
        if not jid:
            time.sleep(0.05)
            continue
        jid -= rnd.randrange(min(jid, 3))
        try:
            s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
            s.sendall(b"GET /jobs/%d/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % jid)
            leave = time.time() + rnd.uniform(0.1, 1.5)
            data = b""
            s.settimeout(0.1)
            while time.time() < leave and not stop.is_set():
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                data += chunk
            s.close()
        except OSError as e:
            fail("GET /jobs/{id}/events", "connection: %r" % e)
            continue
        if data.startswith(b"HTTP/1.1 200") and b"text/event-stream" in data.split(b"\r\n\r\n")[0]:
            count("GET /jobs/{id}/events")
        elif data:
            fail("GET /jobs/{id}/events", data[:100])
        # no data at all within the stay: counted by nothing (a slow start under load)


def replugger(d, serial, uri):
    """Remove and add the probe again, with a job on it at first."""
    c = Client(d)
    while not stop.is_set():
        st, job = c.do("replug: POST unlock", "POST", "/probes/%s/unlock" % serial, {}, want=202)
        if st is None:
            continue
        c.do("replug: DELETE busy -> 409", "DELETE", "/probes/" + serial, want=409)
        if st == 202:
            end = time.time() + 10
            while time.time() < end:
                st2, j = c.do("replug: GET /jobs/{id}", "GET", "/jobs/%s" % job["id"])
                if st2 != 200 or j["state"] not in ("queued", "running"):
                    break
                time.sleep(0.02)
            else:
                fail("replug: job", "job %s still running after 10 s" % job["id"])
        c.do("replug: DELETE idle -> 204", "DELETE", "/probes/" + serial, want=204)
        c.do("replug: GET removed -> 404", "GET", "/probes/" + serial, want=404)
        st, added = c.do("replug: POST /probes -> 201", "POST", "/probes", {"uri": uri}, want=201)
        # The 201 comes at once; the serial is the probe's own (DAP_Info),
        # known once its worker has opened it.
        end = time.time() + 10
        while st == 201 and time.time() < end and not stop.is_set():
            st2, p = c.do("replug: GET /probes/{index}", "GET", "/probes/%d" % added["index"])
            if st2 != 200 or p.get("firmware_version"):
                break
            time.sleep(0.02)
        st, job = c.do("replug: POST lock?wait=20", "POST", "/probes/%s/lock?wait=20" % serial, {})
        if st == 200 and job.get("state") != "succeeded":
            fail("replug: POST lock?wait=20", "job %s: %s" % (job.get("id"), job.get("state")))
        stop.wait(0.2)
    c.close()


def hostile_once(d, raw):
    """Status of the answer to RAW, 0 if the connection was closed without one."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    try:
        try:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # refused half way: fine
        try:
            head = s.recv(64)
        except ConnectionResetError:
            return 0
        return int(head.split()[1]) if head.startswith(b"HTTP/1.") else (0 if not head else -1)
    finally:
        s.close()


def hostile(d):
    big_header = (b"GET /probes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + b"a" * 40000 + b"\r\n\r\n")
    big_body = (b"POST /probes/SOAK0/unlock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 70000\r\n\r\n" + b" " * 70000)
    chunked = (b"POST /probes/SOAK0/unlock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + (b"6000\r\n" + b" " * 0x6000 + b"\r\n") * 3 + b"0\r\n\r\n")
    while not stop.is_set():
        for kind, raw, want in (("header > 32 KiB", big_header, (431, 0)), ("body > 64 KiB", big_body, (413, 0)),
                                ("chunked body > 64 KiB", chunked, (413, 0))):
            try:
                st = hostile_once(d, raw)
            except OSError as e:
                st = repr(e)
            if st in want:
                count("hostile: " + kind)
            else:
                fail("hostile: " + kind, st, hostile=True)
        time.sleep(0.1)


def slowloris_open(d, src, n, trickle):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", d.port))
            if trickle:
                s.sendall(b"GET /probes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        except OSError:
            pass
        socks.append(s)
    return socks


def closed_by_server(s):
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def fresh_get_time(d):
    t0 = time.time()
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
    try:
        c.request("GET", "/probes")
        ok = c.getresponse().status == 200
    except OSError:
        ok = False
    finally:
        c.close()
    return ok, time.time() - t0


def load_round(d, seconds, name):
    """All the load at once for SECONDS; slowloris sockets from 20 % on."""
    stop.clear()
    threads = [threading.Thread(target=getter, args=(d, "/probes")) for _ in range(5)]
    threads += [threading.Thread(target=getter, args=(d, "/metrics"))]
    threads += [threading.Thread(target=unlocker, args=(d, s)) for s in ("SOAK0", "SOAK1")]
    threads += [threading.Thread(target=sse_subscriber, args=(d, i)) for i in range(3)]
    threads += [threading.Thread(target=replugger, args=(d, "PLUG0", uri % ("0.05", "PLUG0")))]
    threads += [threading.Thread(target=hostile, args=(d,))]
    for t in threads:
        t.start()
    # 40 sockets from 127.0.0.2 (silent and trickling) and 70 from
    # 127.0.0.4, over the per-IP limit of 64.
    t_end = time.time() + seconds
    time.sleep(seconds * 0.2)
    slow = slowloris_open(d, "127.0.0.2", 20, False) + slowloris_open(d, "127.0.0.2", 20, True)
    over = slowloris_open(d, "127.0.0.4", 70, False)
    times = []
    for _ in range(5):
        times.append(fresh_get_time(d))
        time.sleep(seconds * 0.05)
    check("%s_slowloris_others_served_within_1s" % name, all(ok and t < 1.0 for ok, t in times),
          ["%s %.3f" % (ok, t) for ok, t in times])
    for s in slow[20:]:
        try:
            s.sendall(b"a")  # a byte now and then keeps a trickling one alive
        except OSError:
            pass
    time.sleep(0.3)
    over_closed = sum(closed_by_server(s) for s in over)
    check("%s_slowloris_per_ip_limit_closes_the_excess" % name, over_closed >= 70 - 64, over_closed)
    print("%s: slowloris: %d of 70 sockets from one address closed at once (per-IP limit 64); "
          "%d of 40 from another still open; GET /probes on a new connection meanwhile: %s" % (
              name, over_closed, sum(not closed_by_server(s) for s in slow),
              " ".join("%.0f ms" % (t * 1000) for _, t in times)))
    time.sleep(max(0, t_end - time.time()))
    loaded = proc_figures(d.proc.pid)
    stop.set()
    for t in threads:
        t.join(60)
    for s in slow + over:
        s.close()
    return loaded


def quiet_figures(pid, start):
    """The daemon's figures once its connection threads have ended."""
    for _ in range(50):
        f = proc_figures(pid)
        if f["fds"] <= start["fds"] + FD_SLACK and f["threads"] <= start["threads"] + 2:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    return proc_figures(pid)


def jobs_kept(d):
    """Jobs created so far (ids count up from 1), all kept: under 1000."""
    jobs = d.get("/jobs?limit=1")[2]["jobs"]
    return int(jobs[0]["id"]) if jobs else 0


uri = "sim:stm32f401re-rdp1?time_scale=%s&serial=%s"
d = Daemon(["--probe", uri % ("0.02", "SOAK0"), "--probe", uri % ("0.02", "SOAK1"),
            "--probe", uri % ("0.05", "PLUG0")]).start()
pid = d.proc.pid
time.sleep(0.3)
start = proc_figures(pid)
print("at start:", start)
# A first, shorter round warms up what a thread-per-connection server keeps
# once it has had many connections (thread stacks, malloc arenas).
load_round(d, SECONDS * 0.3, "warmup")
warm = quiet_figures(pid, start)
warm_jobs = jobs_kept(d)
print("after the warm-up round, clients gone:", warm, "jobs kept:", warm_jobs)
loaded = load_round(d, SECONDS * 0.7, "soak")
print("under load:", loaded)

print("served:", json.dumps(counts, indent=1, sort_keys=True))
for kind in ("GET /probes", "GET /metrics", "GET /jobs/{id}/events", "POST lock?wait=20", "POST unlock?wait=20",
             "replug: DELETE idle -> 204", "replug: POST /probes -> 201", "hostile: header > 32 KiB",
             "hostile: body > 64 KiB", "hostile: chunked body > 64 KiB"):
    check("soak_exercised " + kind, counts.get(kind, 0) > 0, counts.get(kind, 0))
check("soak_no_legitimate_request_failed", not bad, bad[:10])
check("soak_no_5xx", not any(w[:1] == "5" for _, w in bad), bad[:10])
check("soak_hostile_refused", not hostile_bad, hostile_bad[:10])

# The clients are gone: the connection threads end, fds and memory come back.
end = quiet_figures(pid, start)
end_jobs = jobs_kept(d)
# The job history grows by design (up to JOB_HISTORY_MAX = 1000 finished
# jobs, ~16 KB each with their events): allowed on top of the slack.
history_kb = JOB_KB * max(0, end_jobs - warm_jobs)
print("clients gone:", end, "jobs kept:", end_jobs)
print("figures: fds %d at start, %d under load, %d after; RSS %d KB at start, %d after the warm-up round, "
      "%d under load, %d after (%+d KB from the warm-up round, of which the %d new jobs in the history "
      "may take %d KB); threads %d -> %d" % (
          start["fds"], loaded["fds"], end["fds"], start["rss_kb"], warm["rss_kb"], loaded["rss_kb"],
          end["rss_kb"], end["rss_kb"] - warm["rss_kb"], end_jobs - warm_jobs, history_kb,
          start["threads"], end["threads"]))
check("soak_fds_back", end["fds"] <= start["fds"] + FD_SLACK, (start, end))
check("soak_threads_back", end["threads"] <= start["threads"] + 2, (start, end))
if os.environ.get("RDPD_SANITIZE"):
    print("RSS not judged under the sanitizers (AddressSanitizer keeps freed memory in quarantine)")
else:
    check("soak_rss_back", end["rss_kb"] <= warm["rss_kb"] + RSS_SLACK_KB + history_kb, (warm, end, history_kb))
res = d.get("/probes")
check("soak_daemon_answers_afterwards", res[0] == 200 and len(res[2]["probes"]) == 3, res[0])
check("soak_daemon_alive", d.proc.poll() is None and d.get("/livez")[0] == 200)
d.stop()
check("soak_clean_exit", d.proc.returncode == 0, d.proc.returncode)
summary(os.path.basename(__file__))
