"""Tokens and leases (issue 12, part 4): a tokens file is taken exactly as
written or refused at start naming file and line (a secret over 128
characters, duplicate names or secrets, text after the secret, a line too
long); a file others may read or write is refused as ssh refuses a key;
tokens once loaded are required on loopback too, unless loopback_anonymous
says otherwise, and the banner and log say which; a lease is held in the
token's own name unless an admin names another holder."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, is_problem, summary  # noqa: E402

FAST = "sim:stm32f401re-rdp1?time_scale=0.001"
CI, CI2, BOSS = "ci-0123456789abcdef", "ci2-0123456789abcdef", "boss-0123456789abcdef"
GOOD = "# name role secret\nci operate %s\nci2 operate %s\nboss admin %s\n" % (CI, CI2, BOSS)


def tokens_file(text, mode=0o600):
    path = os.path.join(tempfile.mkdtemp(prefix="rdpd-tokens-"), "tokens")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def refused(name, text, mode, needles, listen="127.0.0.1"):
    path = tokens_file(text, mode)
    d = Daemon(["--tokens", path, "--probe", FAST], listen_host=listen)
    try:
        d.start()
        check(name, False, "started")
        d.stop()
    except RuntimeError as e:
        msg = str(e)
        check(name, path in msg and all(n in msg for n in needles), (needles, msg[-400:]))


def test_refused_at_start():
    long_secret = "x" * 129
    refused("secret_over_128_refused", "ci operate %s\nboss admin %s\n" % (CI, long_secret), 0o600,
            ["line 2", "129 characters", "16 to 128"])
    refused("secret_under_16_refused", "ci operate short\n", 0o600, ["line 1", "16 to 128"])
    refused("duplicate_name_refused", GOOD + "ci admin another-0123456789abcdef\n", 0o600,
            ["line 5", "'ci'", "line 2"])
    refused("duplicate_secret_refused", GOOD + "other read %s\n" % CI, 0o600, ["line 5", "same secret as line 2"])
    refused("text_after_secret_refused", "ci operate %s # the CI runner\n" % CI, 0o600, ["line 1", "nothing after"])
    refused("overlong_line_refused", "ci operate %s%s\n" % (CI, "y" * 600), 0o600, ["line 1", "longer than"])
    refused("unknown_role_refused", "ci root %s\n" % CI, 0o600, ["line 1", "'root'"])
    refused("other_readable_refused", GOOD, 0o644, ["0644", "chmod 0600"])
    refused("group_writable_refused", GOOD, 0o660, ["0660", "chmod 0600"])
    refused("other_readable_refused_on_any_address", GOOD, 0o604, ["0604"], listen="0.0.0.0")
    d = Daemon(["--tokens", tokens_file("ci operate %s\n" % ("z" * 128)), "--probe", FAST]).start()
    res = d.post("/probes/0/unlock?wait=30", {}, headers={"Authorization": "Bearer " + "z" * 128})
    check("secret_of_128_works", res[0] == 200 and res[2]["requested_by"] == "ci", res[0])
    d.stop()
    # The package's file: 0640, readable by the group rdpd runs as.
    d = Daemon(["--tokens", tokens_file(GOOD, 0o640), "--probe", FAST]).start()
    res = d.post("/probes/0/lock?wait=30", {}, headers={"Authorization": "Bearer " + CI})
    check("group_readable_0640_accepted", res[0] == 200, res[0])
    d.stop()


def banner(d):
    return open(d.log_path).read()


def test_loopback_needs_tokens():
    d = Daemon(["--tokens", tokens_file(GOOD), "--probe", FAST]).start()
    try:
        res = d.post("/probes/0/unlock", {})
        check("loopback_with_tokens_needs_one", is_problem(*res, 401), res)
        check("loopback_no_job_started", d.get("/jobs")[2]["jobs"] == [], "")
        res = d.get("/probes")
        check("loopback_reads_stay_open", res[0] == 200, res[0])
        res = d.post("/probes/0/unlock?wait=30", {}, headers={"Authorization": "Bearer " + CI})
        check("loopback_token_unlocks", res[0] == 200 and res[2]["requested_by"] == "ci", res[0])
        text = banner(d)
        check("banner_says_tokens_required", "tokens:     tokens required for changes" in text and
              "Authorization: Bearer" in text and "(tokens required for changes)" in text, text[-800:])
    finally:
        d.stop()
    d = Daemon(["--tokens", tokens_file(GOOD), "--probe", FAST, "--loopback-anonymous"]).start()
    try:
        res = d.post("/probes/0/unlock?wait=30", {})
        check("loopback_anonymous_flag", res[0] == 200 and res[2]["requested_by"] == "local", res[0])
        res = d.post("/probes/0/lock?wait=30", {}, headers={"Authorization": "Bearer " + CI})
        check("loopback_anonymous_tokens_still_work", res[0] == 200 and res[2]["requested_by"] == "ci", res[0])
        text = banner(d)
        check("banner_says_loopback_anonymous", "loopback_anonymous" in text, text[-800:])
    finally:
        d.stop()
    conf = os.path.join(tempfile.mkdtemp(prefix="rdpd-conf-"), "rdpd.conf")
    with open(conf, "w") as f:
        f.write("tokens = %s\nloopback_anonymous = yes\n" % tokens_file(GOOD))
    # The harness passes --config /dev/null first; a later --config wins.
    d = Daemon(["--probe", FAST, "--config", conf]).start()
    try:
        res = d.post("/probes/0/unlock?wait=30", {})
        check("loopback_anonymous_setting", res[0] == 200 and res[2]["requested_by"] == "local", res[0])
    finally:
        d.stop()
    d = Daemon(["--tokens", os.path.join(tempfile.mkdtemp(), "none"), "--probe", FAST]).start()
    try:
        res = d.post("/probes/0/unlock?wait=30", {})
        check("loopback_without_tokens_is_local", res[0] == 200 and res[2]["requested_by"] == "local", res[0])
        text = banner(d)
        check("banner_says_no_tokens", "no tokens loaded" in text, text[-800:])
    finally:
        d.stop()


def test_lease_holder():
    d = Daemon(["--tokens", tokens_file(GOOD), "--probe", FAST]).start()
    auth = {k: {"Authorization": "Bearer " + v} for k, v in (("ci", CI), ("ci2", CI2), ("boss", BOSS))}
    try:
        res = d.post("/probes/0/lease", {"holder": "ci2", "ttl_s": 60}, headers=auth["ci"])
        check("operate_cannot_lease_for_another", is_problem(*res, 403, "holder_not_allowed") and
              res[2].get("member") == "holder" and '"ci"' in res[2]["detail"], res)
        check("refused_lease_not_taken", d.get("/probes/0")[2]["lease"] is None, d.get("/probes/0")[2]["lease"])
        res = d.post("/probes/0/lease", {"ttl_s": 60}, headers=auth["ci"])
        check("lease_holder_is_token_name", res[0] == 200 and res[2]["lease"]["holder"] == "ci", res)
        res = d.request("DELETE", "/probes/0/lease", headers=auth["ci2"])
        check("other_token_cannot_release", is_problem(*res, 409), res)
        res = d.post("/probes/0/lease", {"holder": "ci", "ttl_s": 120}, headers=auth["ci"])
        check("own_name_as_holder_renews", res[0] == 200 and res[2]["lease"]["holder"] == "ci", res)
        res = d.request("DELETE", "/probes/0/lease", headers=auth["ci"])
        check("holder_releases", res[0] == 200 and res[2]["lease"] is None, res)
        res = d.post("/probes/0/lease", {"holder": "ci-runner-3", "ttl_s": 60}, headers=auth["boss"])
        check("admin_names_any_holder", res[0] == 200 and res[2]["lease"]["holder"] == "ci-runner-3", res)
        res = d.request("DELETE", "/probes/0/lease", headers=auth["ci"])
        check("non_holder_cannot_release_admins_lease", is_problem(*res, 409), res)
        res = d.request("DELETE", "/probes/0/lease", headers=auth["boss"])
        check("admin_releases", res[0] == 200, res)
        res = d.post("/probes/0/lease", {"ttl_s": 60})
        check("anonymous_cannot_lease", is_problem(*res, 401), res)
    finally:
        d.stop()


def main():
    test_refused_at_start()
    test_lease_holder()
    test_loopback_needs_tokens()
    summary(os.path.basename(__file__))


main()
