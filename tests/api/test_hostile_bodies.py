"""Request bodies that must never start an erase (docs/service.md row 19): JSON
that is not strictly RFC 8259 (invalid UTF-8, raw control bytes, NaN,
duplicate keys, \\u0000, lone surrogates, numbers off the grammar, trailing
bytes), unknown members and wrong types. Each is sent to every route that
takes a body; each must be a 400 problem+json that names the problem, and
afterwards no job exists, no lease is held, no probe was added and the chip
still reads level 1."""
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, is_problem, summary  # noqa: E402

PROBE = "sim:stm32f401re-rdp1?time_scale=0.001"
ROUTES = {  # route -> (a string member, an integer member) it takes
    "/probes/0/unlock": ("connect", "clock_hz"),
    "/probes/0/lock": ("connect", "clock_hz"),
    "/probes/0/lease": ("holder", "ttl_s"),
    "/probes": ("uri", None),
    "/jobs/1/cancel": (None, None),
}

# (name, body with S = the route's string member and I = its integer member,
#  a word the detail must contain)
STRICT = [
    ("overlong_slash", b'{"S":"\xc0\xaf"}', "UTF-8"),
    ("overlong_nul", b'{"S":"a\xc0\x80"}', "UTF-8"),
    ("overlong_3byte", b'{"S":"\xe0\x80\xaf"}', "UTF-8"),
    ("utf8_surrogate", b'{"S":"\xed\xa0\x80"}', "UTF-8"),
    ("beyond_10ffff", b'{"S":"\xf4\x90\x80\x80"}', "UTF-8"),
    ("five_byte_form", b'{"S":"\xf8\x88\x80\x80\x80"}', "UTF-8"),
    ("lone_continuation", b'{"S":"\x80"}', "UTF-8"),
    ("truncated_sequence", b'{"S":"\xe2\x82"}', "UTF-8"),
    ("byte_ff", b'{"S":"\xff"}', "UTF-8"),
    ("bad_utf8_in_key", b'{"\xc0\xaf":1}', "UTF-8"),
    ("raw_newline", b'{"S":"a\nb"}', "control"),
    ("raw_tab", b'{"S":"\tnormal"}', "control"),
    ("raw_nul", b'{"S":"a\x00b"}', "control"),
    ("raw_escape", b'{"S":"\x1b[2J"}', "control"),
    ("nan", b'{"I":NaN}', "byte"),
    ("infinity", b'{"I":Infinity}', "byte"),
    ("minus_infinity", b'{"I":-Infinity}', "byte"),
    ("duplicate_key", b'{"I":1000000,"I":2000000}', "duplicate"),
    ("duplicate_key_escaped", b'{"S":"a","E":"b"}', "duplicate"),
    ("duplicate_key_nested", b'{"expect":{"uid":"a","uid":"b"}}', "duplicate"),
    ("escaped_nul", b'{"S":"normal\\u0000"}', "\\u0000"),
    ("escaped_nul_key", b'{"\\u0000":1}', "\\u0000"),
    ("lone_high_surrogate", b'{"S":"\\ud800"}', "surrogate"),
    ("lone_low_surrogate", b'{"S":"\\udc00x"}', "surrogate"),
    ("high_then_letter", b'{"S":"\\ud800\\u0041"}', "surrogate"),
    ("leading_zero", b'{"I":0100}', "number"),
    ("plus_sign", b'{"I":+1000000}', "byte"),
    ("bare_fraction", b'{"I":.5}', "byte"),
    ("dot_without_digits", b'{"I":1.}', "number"),
    ("exponent_without_digits", b'{"I":1e}', "number"),
    ("hex_number", b'{"I":0x10}', "byte"),
    ("int64_overflow", b'{"I":9223372036854775808}', "64-bit"),
    ("int64_underflow", b'{"I":-9223372036854775809}', "64-bit"),
    ("huge_exponent", b'{"I":1e999}', "number"),
    ("trailing_object", b'{} {}', "after"),
    ("trailing_garbage", b'{}x', "after"),
    ("trailing_comma", b'{"S":"a",}', "byte"),
    ("single_quotes", b"{'S':'a'}", "byte"),
    ("comment", b'{/* x */}', "byte"),
    ("unquoted_key", b'{S:1}', "byte"),
    ("bom", b'\xef\xbb\xbf{}', "byte"),
    ("unterminated", b'{"S":"a', "end"),
    ("depth_bomb", b'{"a":' * 9 + b'1' + b'}' * 9, "deep"),
    ("bad_escape", b'{"S":"\\x41"}', "escape"),
    ("short_unicode_escape", b'{"S":"\\u12"}', "escape"),
]

# Members: unknown ones and wrong types, each named in the answer.
SCHEMA = [
    ("unknown_member", b'{"bogus":1}', "bogus"),
    ("member_case_differs", b'{"Bogus_Member":true}', "Bogus_Member"),
    ("not_an_object_array", b'[]', "object"),
    ("not_an_object_string", b'"unlock"', "object"),
    ("not_an_object_null", b'null', "object"),
    ("string_member_number", b'{"S":5}', "S"),
    ("string_member_null", b'{"S":null}', "S"),
    ("string_member_object", b'{"S":{}}', "S"),
    ("int_member_string", b'{"I":"60"}', "I"),
    ("int_member_float", b'{"I":1.5}', "I"),
    ("int_member_bool", b'{"I":true}', "I"),
]

# Route-specific members of the wrong type.
SPECIFIC = [
    ("/probes/0/lock", "level_string", b'{"level":"1"}', "level"),
    ("/probes/0/lock", "level_duplicate_2_then_1", b'{"level":2,"level":1}', "duplicate"),
    ("/probes/0/lock", "level_nan", b'{"level":NaN}', "byte"),
    ("/probes/0/unlock", "expect_string", b'{"expect":"STM32F401"}', "expect"),
    ("/probes/0/unlock", "expect_uid_number", b'{"expect":{"uid":5}}', "uid"),
    ("/probes/0/unlock", "expect_unknown", b'{"expect":{"chip":"F401"}}', "chip"),
    ("/probes/0/lease", "holder_number", b'{"holder":5}', "holder"),
    ("/probes/0/lease", "holder_newline", b'{"holder":"ci\\naudit: forged"}', "holder"),
    ("/probes/0/lease", "holder_empty", b'{"holder":""}', "holder"),
    ("/probes/0/lease", "ttl_string", b'{"ttl_s":"60"}', "ttl_s"),
    ("/probes", "uri_number", b'{"uri":5}', "uri"),
    ("/probes", "uri_missing", b'{}', "uri"),
    ("/jobs/1/cancel", "cancel_member", b'{"force":true}', "force"),
    ("/jobs/1/cancel", "cancel_array", b'[]', "object"),
    ("/jobs/1/cancel", "cancel_bad_json", b'{"a":', "end"),
]


def substitute(body, route):
    """S: the route's string member, I: its integer member, E: the string
    member again, its first letter written as a \\u escape."""
    s, i = ROUTES[route]
    s = s or "bogus_s"
    escaped = "\\u%04x%s" % (ord(s[0]), s[1:])
    return body.replace(b'"S"', b'"%s"' % s.encode()).replace(b'"I"', b'"%s"' % (i or "bogus_i").encode()).replace(
        b'"E"', b'"%s"' % escaped.encode()).replace(b'{S:', b'{%s:' % s.encode())


def post_raw(d, path, raw, method="POST"):
    """Like Daemon.request, but an answer that is not UTF-8 is a failed
    check here, not a crash of the test."""
    req = urllib.request.Request(d.url(path), data=raw, method=method,
                                 headers={"Content-Type": "application/json"} if raw is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, hdrs, data = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, data = e.code, dict(e.headers), e.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        check("answer_is_utf8 %s" % path, False, data[:200])
        return status, hdrs, {}
    if "json" in hdrs.get("Content-Type", "") and text:
        return status, hdrs, json.loads(text)
    return status, hdrs, text


def job_count(d):
    jobs = post_raw(d, "/jobs?limit=1", None, "GET")[2].get("jobs") or []
    return int(jobs[0]["id"]) if jobs else 0


def nothing_happened(d, what, jobs_before=0):
    """No job since JOBS_BEFORE, no lease, no added probe, the chip still at
    level 1. When something did happen, put it back (lease released, probes
    removed, chip locked again) so that the next case is judged on its own."""
    jobs = job_count(d)
    probes = post_raw(d, "/probes", None, "GET")[2].get("probes", [{"lease": "?"}])
    rdp = post_raw(d, "/probes/0/rdp", None, "GET")[2]
    ok = jobs == jobs_before and len(probes) == 1 and probes[0]["lease"] is None and rdp.get("rdp_level") == 1
    if not ok:
        post_raw(d, "/probes/0/lease", None, "DELETE")
        for p in probes[1:]:
            post_raw(d, "/probes/%d" % p["index"], None, "DELETE")
        if rdp.get("rdp_level") != 1:
            post_raw(d, "/probes/0/lock?wait=20", b"{}")
    check("nothing_acted_on " + what, ok, (jobs - jobs_before, len(probes), probes[0]["lease"], rdp.get("rdp_level")))
    return job_count(d)


def answer_names(res, needle):
    detail = res[2].get("detail", "") if isinstance(res[2], dict) else ""
    member = res[2].get("member", "") if isinstance(res[2], dict) else ""
    return needle.lower() in detail.lower() or needle == member


def test_table(d, table):
    jobs = job_count(d)
    for name, body, needle in table:
        for route in ROUTES:
            raw = substitute(body, route)
            s, i = ROUTES[route]
            want = needle.replace("S", s or "bogus_s") if needle == "S" else \
                needle.replace("I", i or "bogus_i") if needle == "I" else needle
            res = post_raw(d, route, raw)
            check("refused %s %s" % (name, route), is_problem(*res, 400), (raw[:40], res))
            check("names_problem %s %s" % (name, route), answer_names(res, want), (want, res[2]))
        jobs = nothing_happened(d, name, jobs)


def test_specific(d):
    jobs = job_count(d)
    for route, name, raw, needle in SPECIFIC:
        res = post_raw(d, route, raw)
        check("refused %s %s" % (name, route), is_problem(*res, 400), (raw[:40], res))
        check("names_problem %s %s" % (name, route), answer_names(res, needle), (needle, res[2]))
        jobs = nothing_happened(d, name, jobs)


def test_good_bodies_still_work(d):
    # Valid UTF-8 and escapes are welcome; the strictness is not a blanket refusal.
    res = post_raw(d, "/probes/0/lease", '{"holder": "caf\u00e9 \\u00e9\\ud83d\\ude00", "ttl_s": 5}'.encode())
    check("valid_utf8_holder_accepted", res[0] == 200 and res[2]["lease"]["holder"] == "caf\u00e9 \u00e9\U0001F600", res)
    d.request("DELETE", "/probes/0/lease")
    res = post_raw(d, "/probes/0/unlock?wait=20", b' {"clock_hz": 1000000, "connect": "normal"} ')
    check("strict_body_unlocks", res[0] == 200 and res[2]["state"] == "succeeded", res)
    res = post_raw(d, "/probes/0/lock?wait=20", b'{"level": 1.0}')
    check("lock_level_1_accepted", res[0] == 200 and res[2]["result"]["rdp_after"] == 1, res)
    res = post_raw(d, "/probes/0/lock", b'{"level": 2}')
    check("lock_level_2_still_refused", is_problem(*res, 501, "not_supported"), res)
    # A well-typed expect whose uid is not 24 hex digits starts nothing.
    jobs = job_count(d)
    res = post_raw(d, "/probes/0/unlock", b'{"expect": {"uid": "0x1234", "dev_id": "0x433"}}')
    check("expect_bad_uid_refused", is_problem(*res, 400, "invalid_member") and res[2].get("member") == "expect"
          and job_count(d) == jobs, res)


def test_cancel_bodies(d):
    # A queued job to cancel: the probe is busy with a slow one first.
    d.post("/probes", {"uri": "sim:stm32f401re-rdp1?time_scale=0.2&serial=CANCEL"})
    idx = max(p["index"] for p in d.get("/probes")[2]["probes"])
    jid = d.post("/probes/%d/unlock" % idx, {})[2]["id"]
    res = post_raw(d, "/jobs/%s/cancel" % jid, b'{"x":1}')
    check("cancel_unknown_member_400", is_problem(*res, 400) and answer_names(res, '"x"'), res)
    for raw in (b"", b"{}", b" { } "):
        res = d.request("POST", "/jobs/%s/cancel" % jid, raw=raw, headers={"Content-Type": "application/json"})
        check("cancel_empty_body_reaches_job %r" % raw, res[0] in (200, 409), res)
    d.wait_job(jid)


def main():
    d = Daemon(["--probe", PROBE]).start()
    try:
        nothing_happened(d, "at_start")
        test_table(d, STRICT)
        test_table(d, SCHEMA)
        test_specific(d)
        check("no_job_at_all", job_count(d) == 0, job_count(d))
        test_good_bodies_still_work(d)
        test_cancel_bodies(d)
    finally:
        d.stop()
    summary(os.path.basename(__file__))


main()
