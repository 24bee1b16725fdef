#!/usr/bin/env python3
"""Connections and threads under load, with default settings: idle sockets
from many addresses never lock out a new address; event-stream clients
that hang up in a quiet stretch give their slot back within seconds;
concurrent /metrics scrapes each get a whole, well-formed page; `?wait=`
callers that hang up give their slot back too.

127.0.0.2 to 127.0.0.18 are loopback addresses on Linux: a client socket
bound to one of them is a client from another address."""
import http.client
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, summary  # noqa: E402

FAST = "sim:stm32f401re-rdp1?time_scale=0.001"
# An erase 50 times slower than the model's datasheet time: the driver's
# progress reaches 99% after the datasheet time, then the job stays quiet
# (no event) until the simulated erase ends minutes later.
QUIET = "sim:stm32f401re-rdp1?time_scale=50&serial=QUIET"
QUIET2 = "sim:stm32f401re-rdp1?time_scale=50&serial=QUIET2"
PROM_LINE = re.compile(r'^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|'
                       r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
                       r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|\+Inf|NaN))$')


def metric(d, name):
    """NAME's value, or None when absent or /metrics does not answer."""
    try:
        text = d.get("/metrics", timeout=5)[2]
    except (OSError, http.client.HTTPException):
        return None
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


def wait_for(cond, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def ask(port, source, path="/livez", timeout=20):
    """GET PATH from a socket bound to SOURCE; the answer's bytes ("" when
    none came within TIMEOUT or the connection was refused)."""
    s = socket.socket()
    s.settimeout(timeout)
    got = b""
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path.encode())
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    finally:
        s.close()
    return got


def is_open(s):
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def test_new_address_always_served(d):
    # 16 addresses x 24 idle sockets: more than the 256 connections rdpd
    # serves at once. A 17th address must still be answered (the deadline
    # is generous; without a fair share it waits for the 30 s idle timeout).
    held = {}
    for k in range(2, 18):
        src = "127.0.0.%d" % k
        held[src] = []
        for _ in range(24):
            s = socket.socket()
            s.bind((src, 0))
            s.connect(("127.0.0.1", d.port))
            held[src].append(s)
    reply = ask(d.port, "127.0.0.18", timeout=15)
    check("new_address_served_while_idle_sockets_fill_the_table", reply.startswith(b"HTTP/1.1 200") and
          reply.endswith(b"ok\n"), reply[:200])
    open_per_address = {src: sum(is_open(s) for s in socks) for src, socks in held.items()}
    check("no_address_starved", all(n >= 8 for n in open_per_address.values()), open_per_address)
    check("evictions_counted", (metric(d, "rdpd_http_connections_evicted_total") or 0) > 0)
    check("connections_within_share", (metric(d, "rdpd_http_connections") or 999) <= 256 + 32,
          metric(d, "rdpd_http_connections"))
    for socks in held.values():
        for s in socks:
            s.close()
    check("idle_sockets_released", wait_for(lambda: (metric(d, "rdpd_http_connections") or 999) <= 2, 10),
          metric(d, "rdpd_http_connections"))


def subscribe(port, job, deadline):
    """Opens JOB's event stream from 127.0.0.1, reads its first event and
    hangs up; retries while refused, until DEADLINE. True if it got one."""
    while time.time() < deadline:
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(max(0.1, deadline - time.time()))
        got = b""
        try:
            s.sendall(b"GET /jobs/%s/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % job.encode())
            while b"event: " not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except OSError:
            pass
        finally:
            s.close()
        if got.startswith(b"HTTP/1.1 200") and b"event: " in got:
            return True
        time.sleep(0.05)
    return False


def test_event_stream_slots(d):
    job = d.post("/probes/QUIET/unlock", {}, headers={"Idempotency-Key": "QUIET-1"})[2]["id"]
    quiet = wait_for(lambda: d.get("/jobs/" + job)[2]["progress_pct"] >= 99, 30)
    check("quiet_job_ready", quiet and d.get("/jobs/" + job)[2]["state"] == "running", d.get("/jobs/" + job)[2])
    # 100 short subscribers from one address (64 connections at most):
    # those that hung up must give their slots back for the next ones. (The
    # deadline is generous, and short of the 15 s heartbeat that would end
    # the streams anyway.)
    deadline = time.time() + 12
    served = sum(subscribe(d.port, job, deadline) for _ in range(100))
    check("sse_100_short_subscribers_served", served == 100, served)
    freed = wait_for(lambda: metric(d, "rdpd_http_event_streams") == 0, 8)
    check("sse_slots_freed", freed, metric(d, "rdpd_http_event_streams"))
    reply = ask(d.port, "127.0.0.1", timeout=5)
    check("sse_address_still_served", reply.startswith(b"HTTP/1.1 200"), reply[:100])


def waiter(port):
    """Retries the quiet unlock of QUIET2 (same Idempotency-Key, same body)
    with ?wait=600 and hangs up without its answer. True when rdpd took the
    request and was waiting (no answer within 0.2 s), False when it closed
    the connection at once (no slot for this address) or answered."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.2)
    body = b"{}"
    try:
        s.sendall(b"POST /probes/QUIET2/unlock?wait=600 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nIdempotency-Key: QUIET-2\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        return s.recv(1) == b"x"  # any answer, or the connection closed: not waiting
    except socket.timeout:
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_wait_slots(d):
    # 100 retries of a long ?wait= from one address (64 connections at
    # most), each hanging up after 0.2 s: rdpd must notice each client
    # leave and give its slot back, as for event streams. (The job stays
    # running for the whole test: 20 s, short of its erase budget.)
    d.post("/probes/QUIET2/unlock", {}, headers={"Idempotency-Key": "QUIET-2"})
    waiting = sum(waiter(d.port) for _ in range(100))
    check("wait_100_short_waiters_taken", waiting == 100, waiting)
    freed = wait_for(lambda: (metric(d, "rdpd_http_connections") or 999) <= 2, 8)
    check("wait_slots_freed", freed, metric(d, "rdpd_http_connections"))


def test_metrics_concurrent(d):
    bad, done = [], []

    def scraper():
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
        for _ in range(60):
            try:
                c.request("GET", "/metrics")
                body = c.getresponse().read()
            except (OSError, http.client.HTTPException) as e:
                bad.append(repr(e))
                c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
                continue
            done.append(1)
            try:
                text = body.decode()
            except UnicodeDecodeError:
                bad.append(body[:200])
                continue
            lines = text.split("\n")
            if "\0" in text or lines[-1] != "" or not all(PROM_LINE.match(x) for x in lines[:-1]):
                bad.append([x for x in lines[:-1] if not PROM_LINE.match(x)][:3] or text[-200:])
        c.close()

    threads = [threading.Thread(target=scraper) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check("metrics_concurrent_scrapes_well_formed", not bad and len(done) == 32 * 60, (len(done), bad[:3]))


def main():
    d = Daemon(["--probe", FAST, "--probe", QUIET, "--probe", QUIET2]).start()
    try:
        test_metrics_concurrent(d)
        test_new_address_always_served(d)
        test_event_stream_slots(d)
        test_wait_slots(d)
    finally:
        d.stop(__import__("signal").SIGKILL)  # the quiet erase would hold the stop for its timeout
    summary(os.path.basename(__file__))


main()
