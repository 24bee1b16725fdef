"""Client- and probe-supplied values cannot forge log lines (docs/service.md row
21): a newline in a probe URI (a --probe flag, probes.json, POST /probes)
or in a lease holder must not start a line of its own, such as a fake
"audit:" line or a "<0>" emergency. The daemon's own log is read back:
every line that carries such a value is one of rdpd's, with the newline
shown as \\n."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, is_problem, summary  # noqa: E402

FAST = "sim:stm32f401re-rdp1?time_scale=0.001"
AUDIT = "\naudit: job 99 FORGED"
EMERG = "\n<0>FORGED"
CR = "\r<0>FORGED"


def forged_lines(log):
    """Lines a value wrote: not starting with one of rdpd's own prefixes."""
    bad = []
    for line in log.split(b"\n"):
        if b"FORGED" not in line:
            continue
        if not re.match(rb"^<[3-7]>", line) or b"\r" in line:
            bad.append(line)
    return bad


def main():
    d = Daemon(["--probe", FAST, "--probe", "sim:stm32f401re-rdp0" + AUDIT, "--probe", "tcp:10.0.0.1:4441" + EMERG])
    with open(os.path.join(d.state_dir, "probes.json"), "w") as f:
        json.dump(["tcp:10.0.0.2:4441" + AUDIT, "sim:stm32f401re-rdp0" + CR], f)
    d.start()
    try:
        res = d.post("/probes", {"uri": "sim:stm32f401re-rdp2" + AUDIT})
        check("uri_with_newline_refused", is_problem(*res, 400, "invalid_probe_uri"), res)
        res = d.post("/probes/0/lease", {"holder": "ci" + AUDIT, "ttl_s": 5})
        check("holder_with_newline_refused", is_problem(*res, 400) and res[2].get("member") == "holder", res)
        res = d.post("/probes/0/lease", {"holder": "ci" + EMERG, "ttl_s": 5})
        check("holder_with_emergency_refused", is_problem(*res, 400), res)
        probes = d.get("/probes")[2]["probes"]
        check("forged_probes_not_listed", [p["uri"] for p in probes] == [FAST], [p["uri"] for p in probes])
        check("no_lease_taken", probes[0]["lease"] is None, probes[0]["lease"])
    finally:
        d.stop()
    log = open(d.log_path, "rb").read()
    bad = forged_lines(log)
    check("no_forged_lines", not bad, bad)
    check("no_audit_line_at_all", not re.search(rb"(^|\n)(<\d>)?audit:", log), log[-1500:])
    check("no_emergency_line", not re.search(rb"(^|\n)<0>", log), log[-1500:])
    check("values_shown_escaped", log.count(b"\\naudit: job 99 FORGED") >= 2 and b"\\n<0>FORGED" in log
          and b"\\r<0>FORGED" in log, log[-1500:])
    summary(os.path.basename(__file__))


main()
