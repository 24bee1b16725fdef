"""Start the real rdpd on a port of its own, talk to it over HTTP, stop it.

Shared by the API tests. Standard library only (python3 from Debian).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BUILD = os.environ.get("RDPD_BUILD", "build")
results = {"passed": 0, "failed": 0, "skipped": 0}


def in_ci():
    """The environment says this is CI (GitHub and GitLab set CI=true, .ci/run CI=1)."""
    return os.environ.get("CI", "") not in ("", "0", "false", "False", "FALSE", "no")


def cannot_run(name, reason):
    """Part of this test cannot run on this machine (a tool missing). Under CI
    that is a failed check: a required lane that cannot run fails. Elsewhere a
    "SKIPPED:" line (tests/run.sh lists them), never a pass."""
    if in_ci():
        check(name, False, "cannot run, and CI is set: " + reason)
    else:
        results["skipped"] += 1
        print("SKIPPED: %s: %s" % (name, reason), flush=True)


def check(name, cond, info=""):
    if cond:
        results["passed"] += 1
        print("ok", name, flush=True)
    else:
        results["failed"] += 1
        print("not ok", name, flush=True)
        print("  FAIL", name, info, flush=True)
    return cond


def summary(prog):
    if results["skipped"] and not results["passed"] and not results["failed"]:
        print("%s: SKIPPED" % prog)  # ran nothing: not "0 passed"
        sys.exit(0)
    print("%s: %d passed, %d failed" % (prog, results["passed"], results["failed"]))
    sys.exit(1 if results["failed"] else 0)


BANNER = re.compile(rb"listening on (?:\[[^\]]*\]|[^\s:]+):(\d+)")


class Daemon:
    """rdpd on port 0: the kernel picks a free port as it binds, and the
    start-up banner ("listening on HOST:PORT") says which. (A port picked
    by the harness and released before rdpd binds it can be taken by any
    other process's outgoing connection in between.)"""

    def __init__(self, args=(), state_dir=None, listen_host="127.0.0.1"):
        self.port = None
        self.host = listen_host
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="rdpd-state-")
        self.args = list(args)
        self.proc = None
        self.log_path = os.path.join(self.state_dir, "daemon.log")

    def start(self, timeout=30):
        cmd = [os.path.join(BUILD, "rdpd"), "serve", "--listen", "%s:0" % self.host,
               "--state-dir", self.state_dir, "--no-usb", "--config", "/dev/null"] + self.args
        offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        end = time.time() + timeout
        while time.time() < end:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                m = BANNER.search(f.read())
            if m:
                self.port = int(m.group(1))
                socket.create_connection(("127.0.0.1", self.port), 5).close()
                self.wait_identities()
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("rdpd exited: " + open(self.log_path).read())
            time.sleep(0.02)
        raise RuntimeError("rdpd did not listen: " + open(self.log_path).read())

    def wait_identities(self, timeout=10):
        """Until every probe has been opened once (its serial and firmware known)."""
        end = time.time() + timeout
        while time.time() < end:
            probes = self.get("/probes")[2]["probes"]
            if all(p["firmware_version"] for p in probes if p["state"] != "gone"):
                return
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def request(self, method, path, body=None, headers=None, raw=None, timeout=60):
        """Returns (status, headers, parsed JSON or text)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        req = urllib.request.Request(self.url(path), data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, hdrs, text = r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, dict(e.headers), e.read().decode()
        ctype = hdrs.get("Content-Type", "")
        if "json" in ctype and text:
            return status, hdrs, json.loads(text)
        return status, hdrs, text

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def wait_job(self, job_id, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            _, _, j = self.get("/jobs/%s" % job_id)
            if j["state"] not in ("queued", "running"):
                return j
            time.sleep(0.05)
        return j


def is_problem(status, hdrs, body, want_status, want_code=None):
    return (status == want_status and hdrs.get("Content-Type", "").startswith("application/problem+json")
            and isinstance(body, dict) and body.get("status") == want_status
            and isinstance(body.get("detail"), str) and len(body["detail"]) > 10
            and (want_code is None or body.get("code") == want_code))
