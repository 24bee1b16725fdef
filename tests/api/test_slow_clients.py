#!/usr/bin/env python3
"""Slow clients (docs/service.md row 3, slowloris): a connection that trickles its
request is closed once the request timeout has passed, while clients that
are merely slow to come back, or that wait on rdpd (?wait=, event streams),
are left alone. What libmicrohttpd answers by itself (431) and what clients
abandon are counted in /metrics.

The daemon runs with --request-timeout 2 so that this takes seconds; the
bounds below are generous on purpose: they tell "closed by the guard" from
"never closed" (the bug) and from "closed at once" (a guard that misfires).
"""
import re
import socket
import threading
import time

from rdpd_harness import Daemon, check, summary

TIMEOUT_S = 2


def metric(d, name, labels=""):
    text = d.get("/metrics")[2]
    m = re.search(r"^%s%s (\d+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return int(m.group(1)) if m else 0


def metric_becomes(d, name, labels, want, timeout=5):
    """The counter is bumped when libmicrohttpd ends the connection, which
    may be just after the client saw the answer: wait for it."""
    end = time.time() + timeout
    while metric(d, name, labels) != want and time.time() < end:
        time.sleep(0.05)
    return metric(d, name, labels) == want


def trickle(port, seconds, gap=0.3):
    """Sends a request one byte per GAP s; returns when the server closed
    (its age then) or None if it was still open after SECONDS."""
    s = socket.create_connection(("127.0.0.1", port))
    data = b"GET /probes HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 1000
    t0 = time.time()
    try:
        for i in range(len(data)):
            if time.time() - t0 > seconds:
                return None
            s.sendall(data[i:i + 1])
            s.settimeout(gap)
            try:
                if s.recv(4096) == b"":
                    return time.time() - t0
            except socket.timeout:
                pass
    except (BrokenPipeError, ConnectionResetError):
        return time.time() - t0
    finally:
        s.close()
    return None


def keepalive_client(port, requests, gap):
    """REQUESTS requests on one connection, GAP s apart; True if all answered."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(5)
    ok = True
    try:
        for _ in range(requests):
            s.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            buf = b""
            while b"\r\n\r\n" not in buf or not buf.rstrip().endswith(b"ok"):
                chunk = s.recv(4096)
                if not chunk:
                    return False
                buf += chunk
            ok = ok and buf.startswith(b"HTTP/1.1 200")
            time.sleep(gap)
    except OSError:
        return False
    finally:
        s.close()
    return ok


def test_trickler_closed(d):
    before = metric(d, "rdpd_http_slow_clients_closed_total")
    age = trickle(d.port, seconds=TIMEOUT_S * 5)
    check("trickler_closed", age is not None, "still open after %d s" % (TIMEOUT_S * 5))
    check("trickler_not_closed_early", age is None or age >= TIMEOUT_S * 0.9, age)
    check("trickler_counted", metric(d, "rdpd_http_slow_clients_closed_total") == before + 1,
          d.get("/metrics")[2])
    check("daemon_serves_after_trickler", d.get("/probes")[0] == 200)


def test_patient_clients_kept(d):
    # A keep-alive client that comes back every second, for 3 timeouts:
    # each request arrives whole at once, so the connection stays.
    check("keepalive_client_kept", keepalive_client(d.port, requests=6, gap=1.0))
    # A request rdpd answers slowly (?wait= on a long unlock) outlives the
    # timeout: the deadline covers what the client sends, not the answer.
    t0 = time.time()
    res = d.post("/probes/0/unlock?wait=%d" % (TIMEOUT_S * 2))
    took = time.time() - t0
    check("long_wait_answered", res[0] in (200, 202), res)
    check("long_wait_outlived_timeout", took > TIMEOUT_S, took)
    job = res[2]["id"]
    # An event stream open longer than the timeout keeps streaming (the
    # unlock, simulated at half speed, takes ~8 s).
    s = socket.create_connection(("127.0.0.1", d.port))
    s.sendall(("GET /jobs/%s/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % job).encode())
    s.settimeout(TIMEOUT_S * 4)
    got, t0 = b"", time.time()
    try:
        while b"event: state" not in got or b'"succeeded"' not in got:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    s.close()
    check("event_stream_outlived_timeout", b'"succeeded"' in got and time.time() - t0 > TIMEOUT_S,
          (time.time() - t0, got[-300:]))


def test_refusals_counted(d):
    before = metric(d, "rdpd_http_requests_total", '{code="431"}')
    s = socket.create_connection(("127.0.0.1", d.port))
    s.sendall(b"GET /probes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 70000 + b"\r\n\r\n")
    s.settimeout(5)
    reply = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    except OSError:
        pass
    s.close()
    check("oversized_headers_431", reply.startswith(b"HTTP/1.1 431"), reply[:80])
    check("431_counted", metric_becomes(d, "rdpd_http_requests_total", '{code="431"}', before + 1),
          d.get("/metrics")[2])
    before = metric(d, "rdpd_http_requests_abandoned_total")
    s = socket.create_connection(("127.0.0.1", d.port))
    s.sendall(b"GET /probes HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.3)
    s.close()
    check("abandoned_request_counted", metric_becomes(d, "rdpd_http_requests_abandoned_total", "", before + 1))


def test_many_tricklers(d):
    # More tricklers than one host may open (64) would be refused anyway;
    # 40 at once are all closed, and a normal client is served meanwhile.
    results = []

    def one():
        results.append(trickle(d.port, seconds=TIMEOUT_S * 6, gap=0.5))

    threads = [threading.Thread(target=one) for _ in range(40)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    check("served_among_tricklers", d.get("/probes")[0] == 200)
    for t in threads:
        t.join()
    check("all_tricklers_closed", len(results) == 40 and all(a is not None for a in results), results)


def test_bad_setting():
    import subprocess
    import os
    from rdpd_harness import BUILD
    p = subprocess.run([os.path.join(BUILD, "rdpd"), "serve", "--request-timeout", "1", "--config", "/dev/null"],
                       capture_output=True, text=True, timeout=10)
    check("request_timeout_out_of_range", p.returncode != 0 and "request_timeout" in p.stderr
          and "2 to 3600" in p.stderr, (p.returncode, p.stderr))


def main():
    d = Daemon(["--probe", "sim:stm32f401re-rdp1?time_scale=2", "--request-timeout", str(TIMEOUT_S)]).start()
    try:
        test_trickler_closed(d)
        test_patient_clients_kept(d)
        test_refusals_counted(d)
        test_many_tricklers(d)
    finally:
        d.stop()
    test_bad_setting()
    summary("test_slow_clients")


if __name__ == "__main__":
    main()
