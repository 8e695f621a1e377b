#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Submission tests over real HTTP on 127.0.0.1: kcrashctl submit against
kcrash-server (happy path, a server restart mid-upload, 50 devices at once,
rate limits, old shell clients), and against a server that misbehaves on
purpose (every hostile case of issue 4)."""

import http.server
import io
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request
import zipfile

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
SERVER = os.environ.get("KCRASH_SERVER", "build/src/kcrash-server/kcrash-server")
START = "/ICrashReportService/StartCrashUpload/v1"
FINISH = "/ICrashReportService/FinishCrashUpload/v1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_zip(path, rid, payload=b"", title="kernel panic: test"):
    rep = {"schema": 1, "id": rid, "source": "pstore", "crash_time": 1795335249,
           "analysis": {"title": title, "type": "DoS", "signature": "v1:0123456789abcdef"},
           "upload": {"steamid": "76561198000000001", "product": "holo", "build": "20261122.1",
                      "version": "6.1.0-56-amd64", "platform": "linux", "crash_time": 1795335249,
                      "stack": "foo+bar\nbaz [mod]", "note": "a & b = c%20 +plus"}}
    # fixed member times: the same content makes the same bytes (dedup tests)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("report.json", (2026, 11, 22, 15, 0, 0)), json.dumps(rep))
        z.writestr(zipfile.ZipInfo("dmesg-pstore.txt", (2026, 11, 22, 15, 0, 0)), rid.encode() + payload)


def start_receiver(port, data, token_file, *extra, max_files=None):
    """kcrash-server on 127.0.0.1:port, once it accepts connections; with
    max_files, its open-file limit (soft and hard), from which it sizes its
    connection limit."""
    log = tempfile.TemporaryFile()

    def limit_files():
        if max_files:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, max_files))
    server = subprocess.Popen([SERVER, "--listen", f"127.0.0.1:{port}", "--data", data,
                               "--admin-token-file", token_file, *extra],
                              stdout=subprocess.DEVNULL, stderr=log, preexec_fn=limit_files)
    server.log = log
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            if server.poll() is not None:
                raise AssertionError(f"kcrash-server {' '.join(extra)} exited with {server.returncode}")
            time.sleep(0.05)
    raise AssertionError("kcrash-server did not start")


def thread_states(pid):
    """What each thread of a process waits in: its name, kernel wait channel
    and system call (/proc/PID/task/*), and gdb's backtraces when gdb is
    installed."""
    lines = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        fields = []
        for name in ("comm", "wchan", "syscall"):
            try:
                with open(f"/proc/{pid}/task/{tid}/{name}") as f:
                    fields.append(f.read().strip())
            except OSError as e:
                fields.append(f"({e.strerror})")
        lines.append(f"  thread {tid}: " + " | ".join(fields))
    if shutil.which("gdb"):
        p = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                           capture_output=True, text=True, timeout=120)
        lines.append(p.stdout)
    return "\n".join(lines)


def stop_receiver(server):
    """SIGTERM, then wait for a clean exit (status 0). No time limit of
    consequence: a server still running after five minutes is stuck, and
    the failure shows where each thread waits and what the server logged."""
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=300)
        where = ""
    except subprocess.TimeoutExpired:
        where = thread_states(server.pid)
        server.kill()
        code = server.wait()
    log = b""
    if getattr(server, "log", None):
        server.log.seek(0)
        log = server.log.read()
        server.log.close()
    if where or code != 0:
        raise AssertionError(f"kcrash-server did not stop cleanly after SIGTERM (status {code})\n"
                             f"{where}\nits log:\n{log.decode(errors='replace')}")


def make_root(tmp, start_url, finish_url, extra=""):
    root = tempfile.mkdtemp(dir=tmp)
    os.makedirs(f"{root}/etc/default")
    os.makedirs(f"{root}/var/kdump/not_sent_logs")
    with open(f"{root}/etc/default/kdump", "w") as f:
        f.write(f"KDUMP_FOLDER=/var/kdump\nSUBMIT_START_URL={start_url}\nSUBMIT_FINISH_URL={finish_url}\n"
                f"SUBMIT_ALLOW_INSECURE_HTTP=1\nSUBMIT_CONNECT_TIMEOUT=3\nSUBMIT_STALL_TIMEOUT=2\n"
                f"SUBMIT_BACKOFF_BASE=60\n{extra}")
    return root


def submit(root, *args):
    return subprocess.run([KCRASHCTL, "--root", root, "submit", *args], capture_output=True, text=True)


def listing(root):
    return json.loads(subprocess.run([KCRASHCTL, "--root", root, "list", "--json"], capture_output=True, text=True,
                                     check=True).stdout)


class ReceiverTest(unittest.TestCase):
    """kcrashctl submit <-> kcrash-server."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-submit-")
        self.data = f"{self.tmp}/store"
        with open(f"{self.tmp}/token", "w") as f:
            f.write("t0ken\n")
        self.port = free_port()
        self.server = None

    def start_server(self, *extra):
        self.server = start_receiver(self.port, self.data, f"{self.tmp}/token", *extra)

    def stop_server(self):
        if self.server:
            server, self.server = self.server, None
            stop_receiver(server)

    def tearDown(self):
        self.stop_server()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def root(self, extra=""):
        base = f"http://127.0.0.1:{self.port}"
        return make_root(self.tmp, base + START, base + FINISH, extra)

    def api(self, path, token="t0ken"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read()

    def finished(self):
        return json.loads(self.api("/api/reports"))

    def test_happy_path_and_read_side(self):
        self.start_server()
        root = self.root()
        make_zip(f"{root}/var/kdump/not_sent_logs/holo-0-0.202611221530.zip", "holo-0-0.202611221530")
        p = submit(root)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.listdir(f"{root}/var/kdump/not_sent_logs"), [])
        self.assertEqual(os.listdir(f"{root}/var/kdump/sent_logs"), ["holo-0-0.202611221530.zip"])
        self.assertEqual(listing(root)[0]["state"], "sent")
        reports = self.finished()
        self.assertEqual(len(reports), 1)
        r = reports[0]
        self.assertEqual(r["title"], "kernel panic: test")
        self.assertEqual(r["steamid"], "76561198000000001")
        self.assertEqual(r["stack"], "foo+bar\nbaz [mod]", "form fields arrive percent-decoded, + intact")
        detail = json.loads(self.api(f"/api/reports/{r['gid']}"))
        self.assertEqual(detail["note"], "a & b = c%20 +plus")
        self.assertIn("report.json", detail["members"])
        self.assertEqual(detail["analysis"]["signature"], "v1:0123456789abcdef")
        z = self.api(f"/api/reports/{r['gid']}/zip")
        self.assertEqual(zipfile.ZipFile(io.BytesIO(z)).namelist(), ["report.json", "dmesg-pstore.txt"])
        # filters
        self.assertEqual(len(json.loads(self.api("/api/reports?product=holo&signature=v1:0123456789abcdef"))), 1)
        self.assertEqual(len(json.loads(self.api("/api/reports?build=other"))), 0)
        with self.assertRaises(urllib.error.HTTPError) as e:
            self.api("/api/reports", token=None)
        self.assertEqual(e.exception.code, 401)
        stats = json.loads(self.api("/api/stats"))
        self.assertEqual(stats["reports.finished"], 1)
        self.assertEqual(stats["rejects.admin_unauthorized"], 1)
        # the CLI on the store
        out = subprocess.run([SERVER, "--data", self.data, "show", r["gid"]], capture_output=True, text=True).stdout
        self.assertIn("kernel panic: test", out)
        fetched = f"{self.tmp}/fetched.zip"
        subprocess.run([SERVER, "--data", self.data, "fetch", r["gid"], fetched], check=True, capture_output=True)
        self.assertEqual(zipfile.ZipFile(fetched).namelist(), ["report.json", "dmesg-pstore.txt"])

    def test_daemon_wakes_on_new_reports_and_idles(self):
        kcrashd = os.environ.get("KCRASHD", "build/src/kcrashd/kcrashd")
        self.start_server()
        root = self.root()
        # (the uploader's refusal of root is tests/integration/privsep_test.py's)
        env = dict(os.environ, KCRASHD_ALLOW_ROOT="1")
        d = subprocess.Popen([kcrashd, "--root", root, "submit"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            second = subprocess.run([kcrashd, "--root", root, "submit"], env=env, capture_output=True, text=True,
                                    timeout=30)
            self.assertNotEqual(second.returncode, 0)
            self.assertIn("Another kcrashd submit is running", second.stderr)

            def cpu():
                with open(f"/proc/{d.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                return int(fields[11]) + int(fields[12])

            before = cpu()
            time.sleep(2)
            self.assertLessEqual(cpu() - before, 1, "no CPU while idle")
            # a new report lands the way the collector writes it: rename into place
            make_zip(f"{self.tmp}/new.zip", "new")
            os.rename(f"{self.tmp}/new.zip", f"{root}/var/kdump/not_sent_logs/new.zip")
            for _ in range(300):
                if os.path.exists(f"{root}/var/kdump/sent_logs/new.zip"):
                    break
                time.sleep(0.1)
            self.assertTrue(os.path.exists(f"{root}/var/kdump/sent_logs/new.zip"), "uploaded after inotify woke it")
            self.assertEqual(len(self.finished()), 1)
        finally:
            d.send_signal(signal.SIGTERM)
            d.wait(timeout=10)
        self.assertEqual(d.returncode, 0)

    def queued(self, root, n, size=0):
        """n reports in the queue, oldest first (the uploader sends in mtime order)."""
        for i in range(n):
            make_zip(f"{root}/var/kdump/not_sent_logs/q{i}.zip", f"q{i}", os.urandom(size))
            os.utime(f"{root}/var/kdump/not_sent_logs/q{i}.zip", (1000 + i, 1000 + i))

    def test_daily_report_budget(self):
        self.start_server()
        root = self.root("SUBMIT_DAILY_REPORTS=2\n")
        self.queued(root, 3)
        p = submit(root)
        self.assertEqual(p.returncode, 75, "a report held by the budget waits: " + p.stderr)
        self.assertIn("1 report(s) wait for the 24-hour upload budget", p.stderr)
        self.assertEqual(sorted(os.listdir(f"{root}/var/kdump/sent_logs")), ["q0.zip", "q1.zip"])
        self.assertEqual(os.listdir(f"{root}/var/kdump/not_sent_logs"), ["q2.zip"])
        # the budget is remembered across runs, and --now does not bypass it
        self.assertEqual(submit(root, "--now").returncode, 75)
        self.assertEqual(len(self.finished()), 2)
        # 24 hours later the budget is free again
        budget = f"{root}/var/kdump/.kcrash-upload/budget"
        with open(budget) as f:
            lines = f.read().split()
        self.assertEqual(len(lines), 4, "one line of <time> <bytes> per upload")
        with open(budget, "w") as f:
            f.write("".join(f"{int(time.time()) - 86401} 100\n" for _ in range(2)))
        p = submit(root)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.listdir(f"{root}/var/kdump/not_sent_logs"), [])
        self.assertEqual(len(self.finished()), 3)

    def test_daily_byte_budget(self):
        self.start_server()
        root = self.root("SUBMIT_DAILY_BYTES=100K\n")
        self.queued(root, 3, 40000)
        p = submit(root)
        self.assertEqual(p.returncode, 75, p.stderr)
        # 2 x 40 KB fit in 100 KiB, a third would not
        self.assertEqual(sorted(os.listdir(f"{root}/var/kdump/sent_logs")), ["q0.zip", "q1.zip"])
        self.assertIn("1 report(s) wait for the 24-hour upload budget", p.stderr)
        self.assertEqual(len(self.finished()), 2)
        # a report larger than the whole budget is never sent, and never counted as sent
        root = self.root("SUBMIT_DAILY_BYTES=10K\n")
        self.queued(root, 1, 20000)
        self.assertEqual(submit(root).returncode, 75)
        self.assertEqual(os.listdir(f"{root}/var/kdump/not_sent_logs"), ["q0.zip"])
        self.assertEqual(len(self.finished()), 2)

    def test_keep_sent_logs(self):
        self.start_server()
        root = self.root("KEEP_SENT_LOGS=1\n")
        self.queued(root, 1)
        with open(f"{root}/var/kdump/not_sent_logs/q0.zip", "rb") as f:
            data = f.read()
        self.assertEqual(submit(root).returncode, 0)
        self.assertEqual(os.listdir(f"{root}/var/kdump/not_sent_logs"), [])
        with open(f"{root}/var/kdump/sent_logs/q0.zip", "rb") as f:
            self.assertEqual(f.read(), data, "KEEP_SENT_LOGS=1 moves the sent ZIP, unchanged")
        root = self.root("KEEP_SENT_LOGS=0\n")
        self.queued(root, 2)
        self.assertEqual(submit(root).returncode, 0)
        self.assertEqual(os.listdir(f"{root}/var/kdump/not_sent_logs"), [])
        self.assertEqual(os.listdir(f"{root}/var/kdump/sent_logs") if os.path.exists(f"{root}/var/kdump/sent_logs")
                         else [], [], "KEEP_SENT_LOGS=0 deletes the sent ZIPs")
        self.assertEqual(len(self.finished()), 3)
        self.assertEqual(listing(root), [], "nothing is left to list")

    def test_log_submission_off(self):
        self.start_server()
        root = self.root("LOG_SUBMISSION=0\n")
        self.queued(root, 1)
        for args in [(), ("--now",)]:
            p = submit(root, *args)
            self.assertEqual(p.returncode, 0, "kept locally on purpose: nothing to retry")
            self.assertIn("LOG_SUBMISSION=0", p.stderr)
        self.assertEqual(os.listdir(f"{root}/var/kdump/not_sent_logs"), ["q0.zip"])
        self.assertFalse(os.path.exists(f"{root}/var/kdump/sent_logs/q0.zip"))
        self.assertEqual(json.loads(self.api("/api/stats")).get("reports.started"), None, "no Start request")
        self.assertEqual(self.finished(), [])
        self.assertEqual(listing(root)[0]["state"], "pending")

    def test_daemon_wakes_when_a_retry_is_due(self):
        kcrashd = os.environ.get("KCRASHD", "build/src/kcrashd/kcrashd")
        root = self.root("SUBMIT_BACKOFF_BASE=1\nSUBMIT_BACKOFF_MAX=1\n")
        self.queued(root, 1)
        env = dict(os.environ, KCRASHD_ALLOW_ROOT="1")
        # the receiver is down: the first try fails and the report waits for its retry
        d = subprocess.Popen([kcrashd, "--root", root, "submit"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            state = f"{root}/var/kdump/.kcrash-upload/upload/q0.json"
            for _ in range(300):
                if os.path.exists(state):
                    break
                time.sleep(0.1)
            with open(state) as f:
                self.assertEqual(json.load(f)["state"], "pending")
            self.start_server()
            # no new file lands in the queue: only the retry time can wake the
            # daemon (the poll() timeout, at least a minute after a failure)
            deadline = time.monotonic() + 100
            while time.monotonic() < deadline and not os.path.exists(f"{root}/var/kdump/sent_logs/q0.zip"):
                self.assertIsNone(d.poll(), "the daemon is still running")
                time.sleep(0.5)
            self.assertTrue(os.path.exists(f"{root}/var/kdump/sent_logs/q0.zip"), "the retry was made when due")
            self.assertEqual(len(self.finished()), 1)
        finally:
            d.send_signal(signal.SIGTERM)
            d.wait(timeout=10)

    def test_retention_keeps_unsent_reports(self):
        self.start_server()
        root = self.root("OFFLOAD_MAX_SIZE=150000\n")
        for i in range(3):
            make_zip(f"{root}/var/kdump/not_sent_logs/s{i}.zip", f"s{i}", os.urandom(60000))
            os.utime(f"{root}/var/kdump/not_sent_logs/s{i}.zip", (1000 + i, 1000 + i))
        self.assertEqual(submit(root).returncode, 0)
        # 3 x 60 KB sent > 150 KB: the oldest sent one went
        self.assertEqual(sorted(os.listdir(f"{root}/var/kdump/sent_logs")), ["s1.zip", "s2.zip"])
        make_zip(f"{root}/var/kdump/not_sent_logs/u.zip", "u", os.urandom(200000))
        p = subprocess.run([KCRASHCTL, "--root", root, "--json", "clean"], capture_output=True, text=True)
        self.assertEqual(json.loads(p.stdout), {"removed": 2})
        self.assertEqual(os.listdir(f"{root}/var/kdump/not_sent_logs"), ["u.zip"], "unsent reports stay")

    def test_duplicate_zip_is_stored_once(self):
        self.start_server()
        roots = [self.root() for _ in range(2)]
        for root in roots:
            make_zip(f"{root}/var/kdump/not_sent_logs/same.zip", "same")
            self.assertEqual(submit(root).returncode, 0)
        reports = self.finished()
        self.assertEqual(len(reports), 2)
        self.assertEqual(sum(1 for r in reports if r["duplicate_of"]), 1)
        self.assertEqual(len(os.listdir(f"{self.data}/reports")), 1)

    def test_server_restarted_mid_upload(self):
        self.start_server()
        root = self.root("SUBMIT_STALL_TIMEOUT=5\n")
        make_zip(f"{root}/var/kdump/not_sent_logs/big.zip", "big", os.urandom(300 << 20))
        proc = subprocess.Popen([KCRASHCTL, "--root", root, "submit"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        # wait until the PUT is under way, then kill the server
        for _ in range(200):
            inc = os.listdir(f"{self.data}/incoming") if os.path.isdir(f"{self.data}/incoming") else []
            if inc and os.path.getsize(f"{self.data}/incoming/{inc[0]}") > 0:
                break
            time.sleep(0.02)
        self.server.kill()
        self.server.wait()
        self.server = None
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, err)
        st = listing(root)[0]
        self.assertEqual(st["state"], "pending")
        self.assertEqual(st["attempts"], 1)
        self.assertIn("PUT", st["last_error"])
        self.start_server()
        p = submit(root, "--now")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.finished()), 1)
        self.assertEqual(listing(root)[0]["state"], "sent")

    def test_fifty_devices_at_once(self):
        self.start_server("--rate", "0")
        roots = []
        for i in range(50):
            # a device's own timeouts (kdump(5) defaults), not this file's 2 s
            # stall: fifty sanitizer-built clients on a loaded 2-core machine
            # stalled longer than that (exit 75) while the receiver was fine
            root = self.root("SUBMIT_CONNECT_TIMEOUT=15\nSUBMIT_STALL_TIMEOUT=60\n")
            make_zip(f"{root}/var/kdump/not_sent_logs/dev{i}.zip", f"dev{i}", os.urandom(64 << 10))
            roots.append(root)
        procs = [subprocess.Popen([KCRASHCTL, "--root", r, "submit"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for r in roots]
        codes = [p.wait(timeout=300) for p in procs]
        self.assertEqual(codes, [0] * 50)
        reports = self.finished()
        self.assertEqual(len(reports), 50)
        self.assertEqual(len({r["sha256"] for r in reports}), 50, "every report exactly once")

    def test_rate_limit_answers_429_with_retry_after(self):
        self.start_server("--rate", "2")
        root = self.root()
        for i in range(4):
            make_zip(f"{root}/var/kdump/not_sent_logs/r{i}.zip", f"r{i}")
            os.utime(f"{root}/var/kdump/not_sent_logs/r{i}.zip", (1000 + i, 1000 + i))
        p = submit(root)
        self.assertEqual(p.returncode, 75)
        states = {e["id"]: e for e in listing(root)}
        self.assertEqual(sum(1 for e in states.values() if e["state"] == "sent"), 2)
        limited = [e for e in states.values() if e["state"] == "pending"]
        self.assertEqual(len(limited), 2)
        self.assertIn("HTTP 429", limited[0]["last_error"])
        stats = json.loads(self.api("/api/stats"))
        self.assertEqual(stats["rejects.rate_limited"], 2)

    def test_old_shell_client_unencoded_form(self):
        """SteamOS's script sent unencoded fields: '+' became ' ', and so on."""
        self.start_server()
        body = ("steamid=0&have_dump_file=1&dump_file_size=5&product=holo&build=1&version=6.1"
                "&platform=linux&crash_time=1&stack=a+b c&note=50% done&format=json").encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{START}", data=body, method="POST")
        with urllib.request.urlopen(req) as r:
            ans = json.loads(r.read())["response"]
        self.assertIsInstance(ans["gid"], str)
        self.assertTrue(1 <= len(ans["headers"]["pairs"]) <= 20)
        put = urllib.request.Request(ans["url"], data=b"hello", method="PUT",
                                     headers={p["name"]: p["value"] for p in ans["headers"]["pairs"]})
        urllib.request.urlopen(put).read()
        fin = urllib.request.Request(f"http://127.0.0.1:{self.port}{FINISH}", data=f"gid={ans['gid']}".encode(),
                                     method="POST")
        urllib.request.urlopen(fin).read()
        r = json.loads(self.api(f"/api/reports/{ans['gid']}"))
        self.assertEqual(r["state"], "finished")
        self.assertEqual(r["note"], "50% done")

    def test_receiver_rejects_bad_requests(self):
        self.start_server("--max-size", "1000")
        base = f"http://127.0.0.1:{self.port}"

        def code(url, data=None, method="POST", headers=None):
            req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
            def parse(b):
                try:
                    return json.loads(b or b"{}")
                except ValueError:
                    return {}
            try:
                with urllib.request.urlopen(req) as r:
                    return r.status, parse(r.read())
            except urllib.error.HTTPError as e:
                return e.code, parse(e.read())

        self.assertEqual(code(base + START, b"have_dump_file=1&dump_file_size=abc")[0], 400)
        self.assertEqual(code(base + START, b"have_dump_file=1&dump_file_size=5000")[0], 413)
        status, ans = code(base + START, b"have_dump_file=1&dump_file_size=10")
        self.assertEqual(status, 200)
        url = ans["response"]["url"]
        self.assertEqual(code(url.replace("sig=", "sig=0"), b"0123456789", "PUT")[0], 403)
        self.assertEqual(code(url, b"01234", "PUT")[0], 400, "PUT bound to the announced size")
        self.assertEqual(code(base + FINISH, f"gid={ans['response']['gid']}".encode())[0], 409)
        self.assertEqual(code(base + FINISH, b"gid=999")[0], 404)
        self.assertEqual(code(url, b"0123456789", "PUT")[0], 200)
        self.assertEqual(code(url, b"0123456789", "PUT")[0], 409, "a slot takes one PUT")
        stats = json.loads(self.api("/api/stats"))
        for reason in ["start_bad_dump_file_size", "start_dump_too_large", "put_bad_signature", "put_size_mismatch",
                       "finish_before_put", "finish_unknown_gid", "put_slot_used"]:
            self.assertEqual(stats.get(f"rejects.{reason}"), 1, reason)


class Hostile(http.server.BaseHTTPRequestHandler):
    """Misbehaves according to the first path element: /<mode>/start etc."""
    protocol_version = "HTTP/1.1"
    finished_gids = []
    puts = []          # the path of every PUT that reached any Hostile server
    posts = []         # the path of every POST
    plain_port = None  # a plain-http Hostile server, for the downgrade case

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def endless_redirect(self):
        """A redirect whose chunked body goes on (32 MiB here): curl drops a
        redirect's body without handing it to the uploader's bounded
        writer."""
        self.send_response(302)
        self.send_header("Location", "/good/start")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(512):
                self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def answer(self, resp):
        self.send(200, json.dumps({"response": resp}).encode(), [("Content-Type", "application/json")])

    def good(self, mode, **over):
        scheme = getattr(self.server, "scheme", "http")
        r = {"url": f"{scheme}://127.0.0.1:{self.server.server_port}/{mode}/put", "gid": "42",
             "headers": {"pairs": [{"name": "Content-Type", "value": "application/zip"}]}}
        r.update(over)
        return r

    def trickle(self):
        """A valid Start answer, four bytes a second."""
        body = json.dumps({"response": self.good("trickle")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for i in range(0, len(body), 1):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(0.25)
        except OSError:
            pass  # the client gave up

    def do_POST(self):
        mode, step = self.path.strip("/").split("/")
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Hostile.posts.append(self.path)
        if step == "finish":
            Hostile.finished_gids.append(body.decode())
            if mode == "finish500":
                return self.send(500)
            return self.send(200, b'{"response":{}}')
        pairs = lambda n: {"pairs": [{"name": f"X-H{i}", "value": "v"} for i in range(n)]}
        answers = {
            "nonjson": lambda: self.send(200, b"<html>hello</html>"),
            "truncated": lambda: self.send(200, b'{"response": {"url": "http://127.0.0.1/x", "gid": "1", "hea'),
            "oversized": lambda: self.send(200, b'{"response": {"pad": "' + b"x" * (200 << 10) + b'"}}'),
            "downgrade": lambda: self.answer(self.good(mode, url=f"http://127.0.0.1:{Hostile.plain_port}/{mode}/put")),
            "nourl": lambda: self.answer({"gid": "1", "headers": pairs(1)}),
            "nogid": lambda: self.answer(self.good(mode, gid=None)),
            "urlnumber": lambda: self.answer(self.good(mode, url=7)),
            "file": lambda: self.answer(self.good(mode, url="file:///etc/passwd")),
            "ftp": lambda: self.answer(self.good(mode, url="ftp://127.0.0.1/x")),
            "gopher": lambda: self.answer(self.good(mode, url="gopher://127.0.0.1/x")),
            "zeropairs": lambda: self.answer(self.good(mode, headers=pairs(0))),
            "manypairs": lambda: self.answer(self.good(mode, headers=pairs(21))),
            "namespace": lambda: self.answer(self.good(mode, headers={"pairs": [{"name": "X Bad", "value": "v"}]})),
            "namecolon": lambda: self.answer(self.good(mode, headers={"pairs": [{"name": "X:Bad", "value": "v"}]})),
            "valuecrlf": lambda: self.answer(self.good(mode, headers={"pairs": [{"name": "X", "value": "a\r\nEvil: 1"}]})),
            "valuenul": lambda: self.answer(self.good(mode, headers={"pairs": [{"name": "X", "value": "a\u0000b"}]})),
            "hugegid": lambda: self.send(200, ('{"response": {"url": "http://127.0.0.1:%d/%s/put", '
                                               '"gid": 123456789012345678901234567890, "headers": {"pairs": '
                                               '[{"name": "Content-Type", "value": "application/zip"}]}}}'
                                               % (self.server.server_port, mode)).encode()),
            "redirscheme": lambda: self.send(302, b"", [("Location", "ftp://127.0.0.1/x")]),
            "redirloop": lambda: self.send(302, b"", [("Location", self.path)]),
            "redirendless": self.endless_redirect,
            "r429": lambda: self.send(429, b"", [("Retry-After", "3600")]),
            "r503": lambda: self.send(503, b"", [("Retry-After", "120")]),
            "start500": lambda: self.send(500),
            "stall": lambda: time.sleep(6),
            "hang": lambda: time.sleep(300),
            "trickle": self.trickle,
        }
        if mode in answers:
            return answers[mode]()
        return self.answer(self.good(mode))

    def do_PUT(self):
        Hostile.puts.append(self.path)
        mode = self.path.strip("/").split("/")[0]
        n = int(self.headers.get("Content-Length", 0))
        if mode == "put500":
            self.rfile.read(n)
            return self.send(500)
        if mode == "putreset":
            self.rfile.read(min(n, 100))
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.rfile.read(n)
        self.send(200)


class HostileServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
        cls.port = cls.httpd.server_port
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-hostile-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_mode(self, mode, extra=""):
        base = f"http://127.0.0.1:{self.port}/{mode}"
        root = make_root(self.tmp, base + "/start", base + "/finish", extra)
        make_zip(f"{root}/var/kdump/not_sent_logs/r.zip", "r")
        p = submit(root)
        return root, p, listing(root)[0]

    def test_stop_ends_the_transfer_under_way(self):
        """kcrashd submit, asked to stop (systemd at shutdown) while a
        transfer waits on a server that does not answer: it ended only at
        SUBMIT_STALL_TIMEOUT (by default 60 s, after which systemd's SIGKILL
        at 90 s comes close) and counted that as a failed attempt, then tried
        the next report. Now the transfer ends at once, as the pass does, and
        no attempt is counted: we ended it ourselves."""
        kcrashd = os.environ.get("KCRASHD", "build/src/kcrashd/kcrashd")
        base = f"http://127.0.0.1:{self.port}/hang"
        root = make_root(self.tmp, base + "/start", base + "/finish", "SUBMIT_STALL_TIMEOUT=20\n")
        for rid in ("r", "s"):
            make_zip(f"{root}/var/kdump/not_sent_logs/{rid}.zip", rid)
        Hostile.posts.clear()
        env = dict(os.environ, KCRASHD_ALLOW_ROOT="1")
        d = subprocess.Popen([kcrashd, "--root", root, "submit"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(300):
                if Hostile.posts:
                    break
                time.sleep(0.1)
            self.assertEqual(Hostile.posts, ["/hang/start"], "the first Start is under way")
            d.send_signal(signal.SIGTERM)
            err = d.communicate(timeout=120)[1]
        finally:
            if d.poll() is None:
                d.kill()
                d.wait()
        self.assertEqual(d.returncode, 0, err)
        self.assertIn("Stopped; the reports not sent stay queued", err)
        self.assertEqual(Hostile.posts, ["/hang/start"], "the pass ended: the next report was not tried")
        for row in listing(root):
            self.assertEqual((row["state"], row["attempts"]), ("pending", 0), row["id"])

    def check_parked(self, mode, why, extra=""):
        root, p, st = self.run_mode(mode, extra)
        self.assertEqual(p.returncode, 0, f"{mode}: parked reports do not wait for a retry: {p.stderr}")
        self.assertEqual(st["state"], "parked", mode)
        self.assertIn(why, st["last_error"], mode)
        self.assertTrue(os.path.exists(f"{root}/var/kdump/not_sent_logs/r.zip"), "the ZIP stays")
        # parked: no retry, even with --now; the log names the way out
        p = submit(root, "--now")
        self.assertEqual(listing(root)[0]["attempts"], 1, f"{mode}: no retry storm")
        self.assertIn("1 report(s) parked earlier are kept, not retried (kcrashctl submit --parked", p.stderr)
        # --parked: tried again from 0 attempts (and parked again here)
        with open(f"{root}/var/kdump/.kcrash-upload/upload/r.json") as f:
            before = json.load(f)["last_try"]
        p = submit(root, "--parked")
        with open(f"{root}/var/kdump/.kcrash-upload/upload/r.json") as f:
            after = json.load(f)
        self.assertEqual((after["state"], after["attempts"]), ("parked", 1), f"{mode}: {p.stderr}")
        self.assertIn("Could not send r to kcrash", p.stderr, f"{mode}: tried again")
        self.assertGreaterEqual(after["last_try"], before)

    def check_pending(self, mode, why, extra="", min_delay=30):
        root, p, st = self.run_mode(mode, extra)
        self.assertEqual(p.returncode, 75, f"{mode}: {p.stderr}")
        self.assertEqual(st["state"], "pending", mode)
        self.assertIn(why, st["last_error"], mode)
        self.assertTrue(os.path.exists(f"{root}/var/kdump/not_sent_logs/r.zip"))
        with open(f"{root}/var/kdump/.kcrash-upload/upload/r.json") as f:
            state = json.load(f)
        self.assertGreaterEqual(state["next_try"] - state["last_try"], min_delay, f"{mode}: backs off")
        # a second run before next_try does not retry
        submit(root)
        self.assertEqual(listing(root)[0]["attempts"], 1, f"{mode}: no retry storm")
        return state

    def test_answers_that_are_not_the_servers_are_retried(self):
        """What a network that is not the server's answers (a captive
        portal's page, cut or oversized, its redirect to another scheme or in
        a loop) says nothing about the report: retried with backoff, not
        parked for good on the first try."""
        for mode, why in [("nonjson", "not valid JSON"), ("truncated", "not valid JSON"),
                          ("oversized", "larger than"), ("redirscheme", "Start"), ("redirloop", "Start"),
                          ("redirendless", "larger than")]:
            with self.subTest(mode=mode):
                self.check_pending(mode, why)

    def test_trickled_answer_is_a_stall(self):
        """A server (or a middlebox) that trickles its answer held the
        uploader as long as it sent one byte a second: a 64 KiB answer for
        18 hours, a PUT read as slowly for as long. A transfer now runs at
        1 KiB/s on average over SUBMIT_STALL_TIMEOUT or is aborted."""
        self.check_pending("trickle", "too slow", extra="SUBMIT_STALL_TIMEOUT=3\n")
        self.assertNotIn("/trickle/put", Hostile.puts)

    def test_invalid_answers_park(self):
        for mode, why in [("nourl", "no \"url\""), ("nogid", "gid"),
                          ("urlnumber", "no \"url\""), ("file", "scheme"), ("ftp", "scheme"), ("gopher", "scheme"),
                          ("zeropairs", "1 to 20"), ("manypairs", "1 to 20"), ("namespace", "HTTP token"),
                          ("namecolon", "HTTP token"), ("valuecrlf", "CR, LF or NUL"), ("valuenul", "CR, LF or NUL")]:
            with self.subTest(mode=mode):
                self.check_parked(mode, why)

    def test_plain_http_url_when_not_allowed(self):
        # SUBMIT_ALLOW_INSECURE_HTTP=0 with an https Start URL: the http PUT URL is refused
        root = make_root(self.tmp, "https://127.0.0.1:1/x", "https://127.0.0.1:1/y", "SUBMIT_ALLOW_INSECURE_HTTP=0\n")
        make_zip(f"{root}/var/kdump/not_sent_logs/r.zip", "r")
        p = submit(root)
        self.assertEqual(p.returncode, 75)  # nothing listens on port 1: transient
        bad = make_root(self.tmp, "http://127.0.0.1:1/x", "http://127.0.0.1:1/y", "SUBMIT_ALLOW_INSECURE_HTTP=0\n")
        p = submit(bad)
        self.assertEqual(p.returncode, 78, "an http URL without permission is a configuration error")
        self.assertIn("SUBMIT_START_URL", p.stderr)

    def test_huge_integer_gid_is_kept_exactly(self):
        Hostile.finished_gids.clear()
        root, p, st = self.run_mode("hugegid")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(st["state"], "sent")
        self.assertIn("gid=123456789012345678901234567890", Hostile.finished_gids)

    def test_retry_after(self):
        st = self.check_pending("r429", "HTTP 429", min_delay=3600)
        self.assertGreaterEqual(st["next_try"] - st["last_try"], 3600)
        self.check_pending("r503", "HTTP 503", min_delay=120)

    def test_500_on_each_step(self):
        self.check_pending("start500", "Start: HTTP 500")
        self.check_pending("put500", "PUT: HTTP 500")
        self.check_pending("finish500", "Finish: HTTP 500")

    def test_retries_of_many_reports_spread(self):
        # reports that failed together do not retry together: +-25 % jitter each
        base = f"http://127.0.0.1:{self.port}/start500"
        root = make_root(self.tmp, base + "/start", base + "/finish", "SUBMIT_BACKOFF_BASE=60\n")
        for i in range(8):
            make_zip(f"{root}/var/kdump/not_sent_logs/r{i}.zip", f"r{i}")
        self.assertEqual(submit(root).returncode, 75)
        delays = []
        for i in range(8):
            with open(f"{root}/var/kdump/.kcrash-upload/upload/r{i}.json") as f:
                st = json.load(f)
            delays.append(st["next_try"] - st["last_try"])
        self.assertTrue(all(45 <= d <= 75 for d in delays), delays)
        self.assertGreater(len(set(delays)), 1, f"the same delay for every report: {delays}")

    def test_connection_reset_mid_put(self):
        self.check_pending("putreset", "PUT")

    def test_stalling_server(self):
        self.check_pending("stall", "Start")

    def test_tls_failure(self):
        # https to a plain HTTP port: the TLS handshake fails
        base = f"https://127.0.0.1:{self.port}/good"
        root = make_root(self.tmp, base + "/start", base + "/finish")
        make_zip(f"{root}/var/kdump/not_sent_logs/r.zip", "r")
        p = submit(root)
        st = listing(root)[0]
        self.assertIn(st["state"], ["pending", "parked"])
        self.assertIn("Start", st["last_error"])
        self.assertTrue(os.path.exists(f"{root}/var/kdump/not_sent_logs/r.zip"))

    def test_parks_after_max_attempts(self):
        root, p, st = self.run_mode("start500", "SUBMIT_MAX_ATTEMPTS=2\n")
        self.assertEqual(st["state"], "pending")
        submit(root, "--now")
        self.assertEqual(listing(root)[0]["state"], "parked")

    def test_submission_off(self):
        root = make_root(self.tmp, "", "")
        make_zip(f"{root}/var/kdump/not_sent_logs/r.zip", "r")
        p = submit(root)
        self.assertEqual(p.returncode, 0)
        self.assertIn("submission is off", p.stderr)
        self.assertEqual(listing(root)[0]["state"], "pending")


class HttpsTest(unittest.TestCase):
    """A receiver over TLS (a CA made for the test, handed to the uploader
    through the test hook KCRASH_TEST_CA_FILE), so https URLs really work and
    the refusal of an http PUT URL is reached, not a closed port."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kcrash-https-")
        cls.ca = f"{cls.tmp}/cert.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", f"{cls.tmp}/key.pem", "-out", cls.ca, "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cls.ca, f"{cls.tmp}/key.pem")
        cls.https = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
        cls.https.socket = ctx.wrap_socket(cls.https.socket, server_side=True)
        cls.https.scheme = "https"
        cls.plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
        Hostile.plain_port = cls.plain.server_port
        for s in (cls.https, cls.plain):
            threading.Thread(target=s.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.https.shutdown()
        cls.plain.shutdown()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def submit_https(self, mode):
        base = f"https://127.0.0.1:{self.https.server_port}/{mode}"
        root = make_root(self.tmp, base + "/start", base + "/finish", "SUBMIT_ALLOW_INSECURE_HTTP=0\n")
        make_zip(f"{root}/var/kdump/not_sent_logs/r.zip", "r")
        Hostile.puts.clear()
        p = subprocess.run([KCRASHCTL, "--root", root, "submit"], capture_output=True, text=True,
                           env=dict(os.environ, KCRASH_TEST_CA_FILE=self.ca))
        return root, p

    def test_https_upload(self):
        # the control: the same server, an https PUT URL, goes through
        root, p = self.submit_https("good")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(listing(root)[0]["state"], "sent")
        self.assertEqual(Hostile.puts, ["/good/put"])

    def test_http_put_url_after_https_start_is_refused(self):
        root, p = self.submit_https("downgrade")
        self.assertEqual(p.returncode, 0, f"parked, not retried: {p.stderr}")
        st = listing(root)[0]
        self.assertEqual(st["state"], "parked")
        self.assertIn("url scheme is not https", st["last_error"])
        self.assertEqual(Hostile.puts, [], "no PUT reached the plain-http URL")
        self.assertTrue(os.path.exists(f"{root}/var/kdump/not_sent_logs/r.zip"), "the ZIP stays")


if __name__ == "__main__":
    unittest.main(verbosity=2)
