#!/usr/bin/env python3
"""HTTP framing, sent as raw bytes over a socket: every request whose
framing a proxy and rdpd could read differently (RFC 9112 11.2, request
smuggling) is refused with 400 problem+json and Connection: close, and the
request hidden behind it never runs; the answers libmicrohttpd gives by
itself are problem+json with one header block; 405 carries Allow, HEAD
answers every GET route without a body, OPTIONS answers 204 with Allow."""
import http.client
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, summary  # noqa: E402

FAST = "sim:stm32f401re-rdp1?time_scale=0.001"
# The request a smuggler hides in a body: it leases probe 0 if it runs.
HIDDEN = b"POST /probes/0/lease HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"


def exchange(d, data, timeout=5):
    """Sends DATA, reads until the server closes (or TIMEOUT); returns the
    bytes and whether the server closed."""
    s = socket.create_connection(("127.0.0.1", d.port))
    s.settimeout(timeout)
    got, closed = b"", False
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            got += chunk
    except socket.timeout:
        pass
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    finally:
        s.close()
    return got, closed


def parse(reply):
    """The first answer in REPLY: (status, {lower-case name: value}, body)."""
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return None, {}, body
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


def answers(reply):
    """How many status lines (header blocks) REPLY holds."""
    return reply.startswith(b"HTTP/1.1 ") + reply.count(b"\r\nHTTP/1.1 ")


def problem(reply, status, code=None):
    """REPLY is exactly one answer: STATUS problem+json (CODE), closing."""
    st, hdrs, body = parse(reply)
    try:
        doc = json.loads(body[:int(hdrs.get("content-length", "-1"))])
    except ValueError:
        return False
    return (st == status and answers(reply) == 1
            and hdrs.get("content-type", "").startswith("application/problem+json")
            and hdrs.get("connection", "").lower() == "close"
            and doc.get("status") == status and len(doc.get("detail", "")) > 10
            and (code is None or doc.get("code") == code))


def unleased(d):
    return d.get("/probes/0")[2]["lease"] is None


def refused(d, name, data, status=400, code="malformed_request"):
    reply, closed = exchange(d, data)
    check("framing_refused " + name, problem(reply, status, code) and closed, reply[:400])
    ran = not unleased(d)
    check("framing_hidden_request_never_ran " + name, not ran and answers(reply) == 1, reply[:600])
    if ran:  # for the next case
        d.request("DELETE", "/probes/0/lease")


def req(head, body=b""):
    return head.replace(b"\n", b"\r\n") + b"\r\n" + body


def test_smuggling(d):
    chunked_end = b"0\r\n\r\n"
    cases = [
        ("content_length_and_transfer_encoding",
         req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nContent-Length: %d\n"
             b"Transfer-Encoding: chunked\n" % len(chunked_end + HIDDEN), chunked_end + HIDDEN)),
        ("two_content_lengths",
         req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 0\n"
             b"Content-Length: %d\n" % len(HIDDEN), HIDDEN)),
        ("two_equal_content_lengths",
         req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nContent-Length: %d\n"
             b"Content-Length: %d\n" % (len(HIDDEN), len(HIDDEN)), HIDDEN)),
        ("space_before_colon",
         req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nContent-Length : %d\n" % len(HIDDEN), HIDDEN)),
        ("tab_in_field_name", req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nContent-Length\t: 0\n", HIDDEN)),
        ("transfer_encoding_not_chunked",
         req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: gzip, chunked\n",
             chunked_end + HIDDEN)),
        ("two_transfer_encodings",
         req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: chunked\n"
             b"Transfer-Encoding: chunked\n", chunked_end + HIDDEN)),
        ("transfer_encoding_in_http10",
         req(b"POST /jobs/1/cancel HTTP/1.0\nHost: 127.0.0.1\nTransfer-Encoding: chunked\n", chunked_end + HIDDEN)),
        ("content_length_with_letters_second",
         req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 0\nContent-Length: 5x\n", HIDDEN)),
        ("folded_content_length",
         req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nX-A: a\n Content-Length: %d\n" % len(HIDDEN), HIDDEN)),
        ("field_name_not_a_token", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nX(A): b\n", HIDDEN)),
        ("no_host_in_http11", req(b"GET /livez HTTP/1.1\n", HIDDEN)),
        ("two_hosts", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nHost: evil.example\n", HIDDEN)),
        ("host_with_userinfo", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1:1@evil.example\n", HIDDEN)),
        ("host_with_path", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1/x\n", HIDDEN)),
        ("host_unclosed_bracket", req(b"GET /livez HTTP/1.1\nHost: [::1\n", HIDDEN)),
        ("host_port_not_digits", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1:8o\n", HIDDEN)),
        ("empty_host", req(b"GET /livez HTTP/1.1\nHost: \n", HIDDEN)),
        ("space_after_host", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1 \n", HIDDEN)),
        ("space_after_chunked",
         req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: chunked \n", chunked_end + HIDDEN)),
        ("nul_in_value", req(b"GET /livez HTTP/1.1\nX-A: a\x00b\nHost: 127.0.0.1\n", HIDDEN)),
        ("nul_in_host", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\x00.evil.example\n", HIDDEN)),
        ("nul_in_last_value", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nX-A: a\x00b\n", HIDDEN)),
        ("bare_cr_in_value", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nX-A: a\rb\n", HIDDEN)),
        ("control_byte_in_value", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nX-A: a\x01b\n", HIDDEN)),
        ("del_in_value", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nX-A: a\x7fb\n", HIDDEN)),
        ("obs_fold", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nX-A: a\n b\n", HIDDEN)),
        ("nul_in_path", req(b"GET /livez\x00x HTTP/1.1\nHost: 127.0.0.1\n", HIDDEN)),
        ("space_in_path", req(b"GET /li vez HTTP/1.1\nHost: 127.0.0.1\n", HIDDEN)),
        ("control_byte_in_path", req(b"GET /livez\x01 HTTP/1.1\nHost: 127.0.0.1\n", HIDDEN)),
        ("non_ascii_in_path", req(b"GET /livez\xc3\xa9 HTTP/1.1\nHost: 127.0.0.1\n", HIDDEN)),
    ]
    for name, data in cases:
        refused(d, name, data)


def test_libmicrohttpd_answers(d):
    """What libmicrohttpd answers itself: problem+json, headers once."""
    refused(d, "content_length_beyond_64_bits",
            req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 99999999999999999999999\n", HIDDEN),
            413, "body_too_large")
    refused(d, "content_length_not_a_number",
            req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 1x\n", HIDDEN))
    refused(d, "header_line_without_colon", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nNoColon\n", HIDDEN))
    refused(d, "broken_chunked_body",
            req(b"POST /jobs/1/cancel HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: chunked\n"
                b"Content-Type: application/json\n", b"zz\r\n{}\r\n0\r\n\r\n" + HIDDEN))
    refused(d, "headers_over_memory",
            req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nX-Big: " + b"b" * 40000 + b"\n"), 431, "headers_too_large")
    # An unknown version, and a request line over the connection's memory,
    # in a connection's first request: the answer is still rdpd's.
    refused(d, "http_2_0_first_request", req(b"GET /livez HTTP/2.0\nHost: 127.0.0.1\n"), 505,
            "http_version_not_supported")
    refused(d, "request_line_over_memory_first_request",
            req(b"GET /" + b"a" * 40000 + b" HTTP/1.1\nHost: 127.0.0.1\n"), 414, "uri_too_long")
    # An unknown version on a kept-alive connection's second request.
    reply, closed = exchange(d, req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\n") +
                             req(b"GET /livez HTTP/2.0\nHost: 127.0.0.1\n"))
    first_end = reply.find(b"ok\n") + 3
    check("framing_refused http_2_0_after_a_request",
          reply.startswith(b"HTTP/1.1 200") and problem(reply[first_end:], 505, "http_version_not_supported")
          and closed, reply[:800])


def test_body_over_cap_answered_at_once(d):
    # The declared length is over the cap: 413 before any of the body is
    # sent (a client with Expect: 100-continue sends nothing else).
    s = socket.create_connection(("127.0.0.1", d.port))
    s.settimeout(5)
    s.sendall(req(b"POST /probes/0/lease HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
                  b"Content-Length: 100000\n"))
    reply = b""
    try:
        while b"}" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    except socket.timeout:
        pass
    s.close()
    check("body_over_cap_413_before_the_body", problem(reply, 413, "body_too_large"), reply[:300])
    check("body_over_cap_nothing_leased", unleased(d))


def test_lenient_but_valid(d):
    """What RFC 9112 allows still works: no space or a tab after the colon,
    bare LF line ends, HTTP/1.0 without Host, many header fields, a chunked
    body, two requests in one packet."""
    close = b"Connection: close\n"
    ok = [
        ("no_space_after_colon", req(b"GET /livez HTTP/1.1\nHost:127.0.0.1\n" + close)),
        ("tab_after_colon", req(b"GET /livez HTTP/1.1\nHost:\t127.0.0.1\n" + close)),
        ("bare_lf_line_ends", b"GET /livez HTTP/1.1\nHost: 127.0.0.1\n" + close + b"\n"),
        ("http10_without_host", req(b"GET /livez HTTP/1.0\n")),
        ("ipv6_literal_host", req(b"GET /livez HTTP/1.1\nHost: [::1]:8080\n" + close)),
        ("host_name_with_port", req(b"GET /livez HTTP/1.1\nHost: localhost:8080\n" + close)),
        ("many_fields", req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\n" + close +
                            b"".join(b"X-Field-%d: %s\n" % (i, b"v" * 200) for i in range(80)))),
    ]
    for name, data in ok:
        reply, _ = exchange(d, data)
        check("framing_accepted " + name, parse(reply)[0] == 200 and reply.endswith(b"ok\n"), reply[:300])
    reply, _ = exchange(d, req(b"POST /jobs/424242/cancel HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n"
                               b"Content-Type: application/json\nTransfer-Encoding: chunked\n",
                               b"2\r\n{}\r\n0\r\n\r\n"))
    check("framing_accepted chunked_body", parse(reply)[0] == 404 and b'"not_found"' in reply, reply[:300])
    reply, _ = exchange(d, req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\n") +
                        req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n"))
    check("framing_accepted pipelined_pair", reply.count(b"HTTP/1.1 200") == 2, reply[:600])


def call(d, method, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def test_methods(d):
    res = d.post("/probes/0/unlock?wait=30", {})
    job = res[2].get("id") if isinstance(res[2], dict) else None
    check("methods_job_made", job is not None, res)
    st, h, body = call(d, "PUT", "/probes")
    check("405_has_allow", st == 405 and h.get("allow") == "GET, HEAD, POST, OPTIONS" and
          json.loads(body)["code"] == "method_not_allowed", (st, h, body[:200]))
    st, h, _ = call(d, "DELETE", "/jobs/%s" % job)
    check("405_allow_job", st == 405 and h.get("allow") == "GET, HEAD, OPTIONS", (st, h))
    st, h, _ = call(d, "HEAD", "/probes/0/unlock")
    check("head_on_post_route_405", st == 405 and h.get("allow") == "POST, OPTIONS", (st, h))
    for path in ("/probes", "/probes/0", "/probes/0/rdp", "/jobs", "/jobs/%s" % job, "/jobs/%s/events" % job,
                 "/livez", "/readyz", "/metrics", "/openapi.json", "/", "/index.html", "/app.js", "/style.css"):
        gst, gh, gbody = call(d, "GET", path)
        hst, hh, hbody = call(d, "HEAD", path)
        same_length = path.endswith("/events") or path == "/metrics" or \
            hh.get("content-length") == gh.get("content-length")
        check("head_like_get " + path, hst == gst == 200 and hbody == b"" and same_length and
              hh.get("content-type") == gh.get("content-type"), (hst, gst, hh, gh.get("content-length")))
        # Not one byte after the headers: the next answer on the connection follows at once.
        reply, _ = exchange(d, req(b"HEAD %s HTTP/1.1\nHost: 127.0.0.1\n" % path.encode()) +
                            req(b"GET /livez HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n"))
        st, h, rest = parse(reply)
        check("head_sends_no_body_bytes " + path, st == 200 and rest.startswith(b"HTTP/1.1 200") and
              rest.endswith(b"ok\n"), reply[-300:])
    st, h, body = call(d, "OPTIONS", "/probes/0")
    check("options_204_allow", st == 204 and h.get("allow") == "GET, HEAD, DELETE, OPTIONS" and body == b"", (st, h))
    st, h, _ = call(d, "OPTIONS", "/probes/0/lease", {"Origin": "http://evil.example",
                                                      "Access-Control-Request-Method": "POST"})
    check("options_preflight_no_cors_grant", st == 204 and h.get("allow") == "POST, DELETE, OPTIONS" and
          not any(k.startswith("access-control-") for k in h), (st, h))
    st, h, _ = call(d, "OPTIONS", "*")
    check("options_asterisk", st == 204 and "OPTIONS" in h.get("allow", "") and "GET" in h.get("allow", ""), (st, h))
    st, h, _ = call(d, "OPTIONS", "/no/such/thing")
    check("options_unknown_path_404", st == 404, st)


def main():
    d = Daemon(["--probe", FAST]).start()
    try:
        test_smuggling(d)
        test_libmicrohttpd_answers(d)
        test_body_over_cap_answered_at_once(d)
        test_lenient_but_valid(d)
        test_methods(d)
        check("still_serving", d.get("/probes")[0] == 200 and unleased(d))
    finally:
        d.stop()
    summary(os.path.basename(__file__))


main()
