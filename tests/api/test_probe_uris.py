"""Probe URIs and the strings probes send (issue rows: URIs that can never
work, the probe table full, a 10 KB URI; every byte rdpd emits as JSON is
UTF-8). POST /probes refuses what the transport of the scheme says can
never work, with a code of its own, and saves nothing of it; a TCP "probe"
that answers DAP_Info with bytes that are not UTF-8 (a tiny CMSIS-DAP
server in the framing of OpenOCD's cmsis_dap_tcp) leaves GET /probes valid
UTF-8 JSON, before and after a restart; POST /probes answers 201 at once
and the identity follows."""
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, is_problem, summary  # noqa: E402

FAST = "sim:stm32f401re-rdp1?time_scale=0.001"

NEVER = [  # (uri, a word of the sentence)
    ("tcp:HOST:0", "65535"),
    ("tcp:HOST:65536", "65535"),
    ("tcp:[::1]:99999", "65535"),
    ("tcp::4441", "no host"),
    ("tcp:", "no host"),
    ("tcp:HOST:", "65535"),
    ("tcp:::1:4441", "brackets"),
    ("tcp:a b:4441", "host"),
    ("sim:../../etc/passwd", "no simulator profile"),
    ("sim:nosuchprofile", "no simulator profile"),
    ("sim:stm32f401re-rdp1?bogus=1", "bogus"),
    ("sim:stm32f401re-rdp1?time_scale=0", "time_scale"),
    ("sim:stm32f401re-rdp1?time_scale=inf", "time_scale"),
    ("sim:stm32f401re-rdp1?packet_size=9999", "packet_size"),
    ("sim:stm32f401re-rdp1?serial=a/b", "serial"),
    ("sim:stm32f401re-rdp1?time_scale=1&time_scale=2", "twice"),
    ("sim:stm32f401re-rdp1\naudit: forged", "printable ASCII"),
    ("tcp:caf\u00e9:4441", "printable ASCII"),
    ("tcp:10.0.0.1:4441\u0001", "printable ASCII"),
    ("nope:x", "not a probe URI"),
    ("tcp:" + "a" * 10240, "bytes long"),
]


def strict_json(data):
    """DATA parsed as strict JSON: UTF-8, no NaN, no duplicate names."""
    def no_dups(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate member")
        return dict(pairs)

    def no_constant(c):
        raise ValueError("not JSON: " + c)

    return json.loads(data.decode("utf-8", errors="strict"), object_pairs_hook=no_dups,
                      parse_constant=no_constant)


def get_strict(d, path):
    """(parsed, error): GET PATH's body as strict JSON."""
    with urllib.request.urlopen(d.url(path), timeout=30) as r:
        data = r.read()
    try:
        return strict_json(data), None
    except (UnicodeDecodeError, ValueError) as e:
        return None, "%r in %r" % (e, data[:300])


def saved_uris(d):
    """Every URI probes.json holds: the added ones and the remembered ones."""
    path = os.path.join(d.state_dir, "probes.json")
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        j = json.loads(f.read())
    return j["added"] + [p["uri"] for p in j["probes"]]


class DapServer:
    """A CMSIS-DAP probe on TCP whose DAP_Info strings are not UTF-8."""
    STRINGS = {
        0x01: b"\xc0\xafEvil\x01Vendor\x00",
        0x02: b"Bad\xff\xfeProduct\n<0>forged\x00",
        0x03: b"SER\xed\xa0\x80\x1b\x00",
        0x04: b"2.1.0\x00",
        0x09: b"\xf4\x90\x80\x80fw\x00",
    }

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.opens = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def answer(self, req):
        cmd = req[0]
        if cmd == 0x00:  # DAP_Info
            info = req[1]
            if info == 0xF0:
                return bytes([0, 1, 0x01])  # SWD
            if info == 0xFF:
                return bytes([0, 2]) + struct.pack("<H", 64)
            if info == 0xFE:
                return bytes([0, 1, 1])
            s = self.STRINGS.get(info, b"")
            return bytes([0, len(s)]) + s
        return bytes([cmd, 0])  # DAP_OK to the rest (host status, configure, disconnect)

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.opens += 1
            with c:
                buf = b""
                while True:
                    try:
                        chunk = c.recv(4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    buf += chunk
                    while len(buf) >= 8:
                        sig, n, typ, _ = struct.unpack("<IHBB", buf[:8])
                        if sig != 0x00504144 or len(buf) < 8 + n:
                            break
                        req, buf = buf[8:8 + n], buf[8 + n:]
                        rsp = self.answer(req)
                        c.sendall(struct.pack("<IHBB", 0x00504144, len(rsp), 2, 0) + rsp)

    def close(self):
        self.sock.close()


def test_never_working_uris(d):
    before = len(d.get("/probes")[2]["probes"])
    for uri, needle in NEVER:
        res = d.post("/probes", {"uri": uri})
        name = "refused %r" % uri[:40]
        check(name, is_problem(*res, 400, "invalid_probe_uri") and needle in res[2]["detail"] and
              res[2].get("member") == "uri", (uri[:40], res))
    probes = d.get("/probes")[2]["probes"]
    check("nothing_listed", len(probes) == before, [p["uri"] for p in probes])
    saved = saved_uris(d)
    check("nothing_saved", all(u not in saved for u, _ in NEVER), saved)
    res = d.post("/probes", {"uri": "usb:0240000034544e45"})
    check("usb_not_added_by_hand", is_problem(*res, 400, "invalid_probe_uri") and "plugged in" in res[2]["detail"], res)


def test_add_answers_at_once(d):
    # The worker opens the probe; the HTTP thread answers with what the
    # registry knows now, then the identity fills in. The probe takes 0.1 s
    # a packet, so its identity needs more than a second: the 201 comes
    # well before it (rdpd used to hold the answer until it was known).
    res = d.post("/probes", {"uri": "sim:stm32f401re-rdp0?time_scale=0.001&latency_us=100000"})
    check("add_201", res[0] == 201, res)
    idx = res[2]["index"]
    check("add_201_before_identity", res[2]["firmware_version"] is None, res[2])
    res = d.post("/probes", {"uri": "sim:stm32f401re-rdp0?time_scale=0.001&latency_us=100000"})
    check("duplicate_409_own_code", is_problem(*res, 409, "probe_exists") and
          res[2].get("probe") == "/probes/%d" % idx, res)
    d.wait_identities(timeout=30)
    p = d.get("/probes/%d" % idx)[2]
    check("identity_fills_in", p["firmware_version"] and p["serial"].startswith("SIMDAP"), p)
    d.request("DELETE", "/probes/%d" % idx)


def test_dap_info_not_utf8(d, dap):
    req = urllib.request.Request(d.url("/probes"), method="POST", headers={"Content-Type": "application/json"},
                                 data=json.dumps({"uri": "tcp:127.0.0.1:%d" % dap.port}).encode())
    with urllib.request.urlopen(req, timeout=30) as r:
        status, data = r.status, r.read()
    try:
        strict_json(data)
        err = None
    except (UnicodeDecodeError, ValueError) as e:
        err = repr(e)
    check("tcp_probe_added", status == 201 and err is None, (status, err, data[:200]))
    end = time.time() + 30
    while time.time() < end:  # Daemon.wait_identities, but a non-UTF-8 answer is a failed check
        got, err = get_strict(d, "/probes")
        if not got or all(p["firmware_version"] for p in got["probes"]):
            break
        time.sleep(0.05)
    check("probes_strict_utf8_json", got is not None, err)
    if not got:
        return
    p = [x for x in got["probes"] if x["transport"] == "tcp"]
    check("tcp_probe_listed", len(p) == 1, got)
    if not p:
        return
    p = p[0]
    check("product_escaped", p["product"] == "Bad\\xff\\xfeProduct\\n<0>forged", p["product"])
    check("vendor_escaped", p["vendor"] == "\\xc0\\xafEvil\\x01Vendor", p["vendor"])
    check("serial_escaped", p["serial"] == "SER\\xed\\xa0\\x80\\x1b", p["serial"])
    check("firmware_escaped", p["firmware_version"] == "\\xf4\\x90\\x80\\x80fw", p["firmware_version"])
    one, err = get_strict(d, "/probes/%d" % p["index"])
    check("probe_strict_utf8_json", one is not None, err)


def test_restart(d, dap):
    # The added tcp probe comes back from probes.json and says the same.
    d.stop()
    with open(os.path.join(d.state_dir, "probes.json"), "rb") as f:
        saved = f.read()
    check("probes_json_is_utf8", strict_json(saved) is not None, saved)
    d2 = Daemon(["--probe", FAST], state_dir=d.state_dir)
    try:
        d2.start()
    except UnicodeDecodeError as e:
        check("after_restart_strict_utf8_json", False, repr(e))
        d2.stop()
        return
    try:
        end = time.time() + 30
        while time.time() < end:
            got, err = get_strict(d2, "/probes")
            if not got or all(p["firmware_version"] for p in got["probes"]):
                break
            time.sleep(0.05)
        check("after_restart_strict_utf8_json", got is not None, err)
        check("after_restart_tcp_probe_back", got and any(x["transport"] == "tcp" and x["product"].startswith("Bad")
                                                          for x in got["probes"]), got)
    finally:
        d2.stop()


def test_bad_saved_uris():
    # A probes.json written by an older rdpd (or by hand) with URIs that can
    # never work: rdpd starts, lists the good one, and says why not the rest.
    d = Daemon(["--probe", FAST])
    with open(os.path.join(d.state_dir, "probes.json"), "wb") as f:
        f.write(b'["sim:stm32f401re-rdp0?serial=GOOD", "sim:nosuchprofile", "tcp:HOST:0", '
                b'"tcp:10.0.0.1:4441\\n<0>forged", "sim:stm32f401re-rdp1?serial=\xff\xfe"]')
    try:
        try:
            d.start()
        except UnicodeDecodeError as e:  # Daemon.start reads GET /probes
            check("bad_saved_strict_utf8_json", False, repr(e))
            return
        got, err = get_strict(d, "/probes")
        check("bad_saved_strict_utf8_json", got is not None, err)
        uris = sorted(p["uri"] for p in got["probes"]) if got else []
        check("bad_saved_only_good_listed", uris == sorted([FAST, "sim:stm32f401re-rdp0?serial=GOOD"]), uris)
    finally:
        d.stop()
    log = open(d.log_path, "rb").read()
    check("bad_saved_each_explained", log.count(b"probes.json") >= 4, log[-1500:])


def test_table_full():
    d = Daemon(["--probe", FAST]).start()
    try:
        codes = []
        for k in range(63):
            codes.append(d.post("/probes", {"uri": "sim:stm32f401re-rdp0?serial=FULL%d" % k})[0])
        check("sixty_four_probes", codes == [201] * 63, codes)
        res = d.post("/probes", {"uri": "sim:stm32f401re-rdp0?serial=FULL64"})
        check("sixty_fifth_own_code", is_problem(*res, 409, "probe_table_full") and "remove one" in res[2]["detail"], res)
        check("sixty_fifth_not_saved", not any("FULL64" in u for u in saved_uris(d)), "")
    finally:
        d.stop()


def test_kinds_from_the_table():
    # /metrics counts probes by the kinds of the transport table, and a
    # probe named by a usb: URI in the configuration (bulk, ST-LINK or HID, known
    # once opened) is counted as what GET /probes shows: "usb". It was
    # counted as "sim" before.
    d = Daemon(["--probe", FAST, "--probe", "usb:NO-SUCH-PROBE"]).start(timeout=30)
    try:
        kinds = sorted(p["transport"] for p in d.get("/probes")[2]["probes"])
        check("usb_uri_listed_as_usb", kinds == ["sim", "usb"], kinds)
        text = d.get("/metrics")[2]
        rows = dict((m.group(1), int(m.group(2))) for m in
                    re.finditer(r'^rdpd_probes\{transport="([^"]*)"\} (\d+)$', text, re.M))
        check("metrics_kind_rows", rows == {"usb-bulk": 0, "usb-stlink": 0, "usb-hid": 0, "tcp": 0, "sim": 1, "usb": 1}, rows)
        res = d.post("/probes", {})
        check("add_without_uri_names_kinds", is_problem(*res, 400, "invalid_member") and
              "tcp:HOST:PORT or sim:PROFILE" in res[2]["detail"], res)
    finally:
        d.stop()


def main():
    dap = DapServer()
    d = Daemon(["--probe", FAST, "--probe", "tcp:HOST:0", "--probe", "sim:nosuchprofile"]).start()
    try:
        probes = d.get("/probes")[2]["probes"]
        check("bad_probe_flags_not_listed", [p["uri"] for p in probes] == [FAST], probes)
        test_never_working_uris(d)
        test_add_answers_at_once(d)
        test_dap_info_not_utf8(d, dap)
        test_restart(d, dap)
    finally:
        d.stop()
    log = open(d.log_path, "rb").read()
    check("bad_probe_flags_explained", b"--probe tcp:HOST:0" in log and b"--probe sim:nosuchprofile" in log, log[-800:])
    test_bad_saved_uris()
    test_table_full()
    test_kinds_from_the_table()
    dap.close()
    summary(os.path.basename(__file__))


main()
