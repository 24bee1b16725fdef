#!/usr/bin/env python3
"""The HTTP thread model (docs/http.md, "Threads"): answers that wait hold no
thread. Two hundred event streams and `?wait=` requests park at once on a
running job while rdpd keeps a few dozen threads and answers GET /probes at
once; a slow protection read waits on the probe's worker, not on an HTTP
thread; a client that hangs up frees its parked slot; events still reach a
parked stream; SIGTERM with everything parked answers them all and exits 0
(libmicrohttpd must not be stopped with a connection suspended).

Clients come from four loopback addresses: rdpd takes at most 64
connections from one address.
"""
import json
import os
import re
import signal
import socket
import threading
import time

from rdpd_harness import Daemon, check, summary

SOURCES = ["127.0.0.%d" % i for i in (1, 2, 3, 4)]
STREAMS_PER_SOURCE = 38
WAITS_PER_SOURCE = 12
THREADS_MAX = 60  # pool (a thread per CPU, <= 16) + workers + simulator + the rest


def metric(d, name):
    m = re.search(r"^%s (\d+)$" % re.escape(name), d.get("/metrics")[2], re.M)
    return int(m.group(1)) if m else -1


def metric_becomes(d, name, want, timeout=5):
    end = time.time() + timeout
    while metric(d, name) != want and time.time() < end:
        time.sleep(0.05)
    return metric(d, name) == want


def threads_of(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^Threads:\s+(\d+)", f.read(), re.M).group(1))


def connect(d, source):
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", d.port))
    return s


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def open_stream(d, source, job):
    s = connect(d, source)
    s.sendall(b"GET /jobs/%d/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % job)
    return s, read_head(s)


def send_wait(d, source, key):
    """POST ?wait=60 with an Idempotency-Key naming the running job: the retry
    waits on that job (it does not start one)."""
    s = connect(d, source)
    s.sendall(b"POST /probes/0/unlock?wait=60 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
              b"Idempotency-Key: " + key.encode() + b"\r\n\r\n")
    return s


def timed_get(d, path):
    t0 = time.time()
    status = d.get(path, timeout=10)[0]
    return status, time.time() - t0


def recv_until(s, needle, timeout):
    s.settimeout(0.5)
    data, end = b"", time.time() + timeout
    while needle not in data and time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    return data


def test_parked_many(d):
    st, _, job = d.post("/probes/0/unlock", headers={"Idempotency-Key": "long-one"})
    check("long_unlock_started", st == 202, job)
    streams, waits = [], []
    for src in SOURCES:
        for _ in range(STREAMS_PER_SOURCE):
            streams.append(open_stream(d, src, int(job["id"])))
        for _ in range(WAITS_PER_SOURCE):
            waits.append(send_wait(d, src, "long-one"))
    check("streams_answered_200", all(h.startswith(b"HTTP/1.1 200") for _, h in streams),
          [h[:80] for _, h in streams if not h.startswith(b"HTTP/1.1 200")][:3])
    total = len(streams) + len(waits)
    check("all_parked", metric_becomes(d, "rdpd_http_parked", total), metric(d, "rdpd_http_parked"))
    n = threads_of(d.proc.pid)
    check("threads_stay_few_with_%d_waiting" % total, n <= THREADS_MAX, "%d threads" % n)
    lat = [timed_get(d, "/probes") for _ in range(20)]
    check("probes_answer_while_parked", all(s == 200 for s, _ in lat) and max(t for _, t in lat) < 1.0,
          lat)
    # A hang-up frees the parked slot at once: libmicrohttpd does not see
    # it on a suspended connection, park.c polls for it.
    for s, _ in streams[:100]:
        s.close()
    for s in waits[:20]:
        s.close()
    check("hangups_unpark", metric_becomes(d, "rdpd_http_parked", total - 120, timeout=3),
          metric(d, "rdpd_http_parked"))
    check("hangups_end_streams", metric_becomes(d, "rdpd_http_event_streams", len(streams) - 100, timeout=3),
          metric(d, "rdpd_http_event_streams"))
    return streams[100:], waits[20:]


def test_slow_read_holds_no_thread(d):
    """Reads of a probe whose every packet takes 150 ms queue on its worker;
    HTTP threads (a few) keep answering."""
    results = []

    def read():
        results.append(d.get("/probes/2/rdp", timeout=60)[0])

    readers = [threading.Thread(target=read) for _ in range(6)]
    for t in readers:
        t.start()
    time.sleep(0.3)
    lat = [timed_get(d, "/probes") for _ in range(10)]
    check("probes_answer_during_slow_reads", all(s == 200 for s, _ in lat) and max(t for _, t in lat) < 1.0,
          lat)
    for t in readers:
        t.join()
    check("slow_reads_all_answered", results == [200] * len(readers), results)


def test_events_reach_parked_stream(d):
    st, _, job = d.post("/probes/1/unlock")
    s, head = open_stream(d, SOURCES[0], int(job["id"]))
    data = recv_until(s, b'"state":"succeeded"', 30)
    s.close()
    check("parked_stream_gets_every_event", head.startswith(b"HTTP/1.1 200") and
          b'"state":"running"' in data and b'"state":"succeeded"' in data, data[-300:])


def test_sigterm_with_parked(d, streams, waits):
    t0 = time.time()
    d.proc.send_signal(signal.SIGTERM)
    try:
        rc = d.proc.wait(20)
    except Exception:
        rc = None
    check("sigterm_exits_0_with_parked", rc == 0, "rc %r after %.1f s" % (rc, time.time() - t0))
    ended = 0
    for s, _ in streams:  # what it sent since its headers, to the end
        ended += recv_until(s, b"\0", 3).endswith(b"\r\n0\r\n\r\n")
        s.close()
    answered = 0
    for s in waits:
        answered += recv_until(s, b"\0", 3).startswith(b"HTTP/1.1 202")
        s.close()
    check("sigterm_ends_streams", ended == len(streams), "%d of %d" % (ended, len(streams)))
    check("sigterm_answers_waits", answered == len(waits), "%d of %d" % (answered, len(waits)))


def main():
    d = Daemon(["--probe", "sim:stm32f401re-rdp1?serial=T0&time_scale=20",
                "--probe", "sim:stm32f401re-rdp1?serial=T1&time_scale=0.1",
                "--probe", "sim:stm32f401re-rdp0?serial=T2&latency_us=150000"]).start()
    try:
        streams, waits = test_parked_many(d)
        test_slow_read_holds_no_thread(d)
        test_events_reach_parked_stream(d)
        test_sigterm_with_parked(d, streams, waits)
    finally:
        d.stop()
    summary(os.path.basename(__file__))


if __name__ == "__main__":
    main()
