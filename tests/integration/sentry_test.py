#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Sentry target (issue 14) against an endpoint written here that
misbehaves on purpose: rate limits in both header styles, 413, 5xx, a slow
answer, a DSN with a path prefix, an invalid DSN; and both targets at once
with kcrash-server. The envelope is checked against a Sentry-protocol parser
written by others in sentry_spotlight_test.py."""

import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collect_test import KCRASHCTL, OFFLOAD, make_root, run  # noqa: E402
from submit_test import FINISH, START, free_port, start_receiver, stop_receiver  # noqa: E402

KEY = "0123456789abcdef0123456789abcdef"


def parse_envelope(body):
    """(header, [(item header, payload bytes)]) of a Sentry envelope."""
    nl = body.index(b"\n")
    header = json.loads(body[:nl])
    items, p = [], nl + 1
    while p < len(body):
        nl = body.index(b"\n", p)
        ih = json.loads(body[p:nl])
        n = ih["length"]
        items.append((ih, body[nl + 1:nl + 1 + n]))
        p = nl + 1 + n
        assert body[p:p + 1] in (b"\n", b""), "an item's payload is not followed by a newline"
        p += 1
    return header, items


class Endpoint(http.server.BaseHTTPRequestHandler):
    """Answers each envelope POST by the mode the test set on the server."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        srv = self.server
        srv.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        mode = srv.modes.pop(0) if srv.modes else srv.mode
        if mode == "ok":
            eid = json.loads(body[:body.index(b"\n")])["event_id"]
            return self.send(200, json.dumps({"id": eid}).encode())
        if mode == "ok-attachments-limited":
            eid = json.loads(body[:body.index(b"\n")])["event_id"]
            return self.send(200, json.dumps({"id": eid}).encode(),
                             [("X-Sentry-Rate-Limits", "600:attachment:organization:quota")])
        if mode == "429-sentry":
            return self.send(429, b"", [("X-Sentry-Rate-Limits", "120:error;transaction:key, 30:attachment::x")])
        if mode == "429-retry-after":
            return self.send(429, b"", [("Retry-After", "300")])
        if mode == "413":
            return self.send(413, b'{"detail":"envelope exceeded size limits"}')
        if mode == "503":
            return self.send(503)
        if mode == "400":
            return self.send(400, b'{"detail":"bad request"}')
        if mode == "slow":
            # longer than SUBMIT_STALL_TIMEOUT after the upload's own bytes
            # stop counting in curl's speed window
            time.sleep(15)
            return self.send(200, b"{}")
        return self.send(500)


class SentryTargetTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-sentry-")
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        self.httpd.requests, self.httpd.modes, self.httpd.mode = [], [], "ok"
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def tearDown(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def root(self, extra, scenarios=("pstore-ramoops-module-panic",)):
        """A fake root with one real report collected from a fixture, then
        the submission keys."""
        root = make_root(self.tmp, scenarios)
        run(["collect"], root)
        with open(f"{root}/etc/default/kdump", "a") as f:
            f.write("SUBMIT_ALLOW_INSECURE_HTTP=1\nSUBMIT_CONNECT_TIMEOUT=3\nSUBMIT_STALL_TIMEOUT=2\n"
                    "SUBMIT_BACKOFF_BASE=60\n" + extra)
        return root

    def dsn(self, path="/42"):
        return f"http://{KEY}@127.0.0.1:{self.port}{path}"

    def submit(self, root, *args):
        return subprocess.run([KCRASHCTL, "--root", root, "submit", *args], capture_output=True, text=True)

    def listing(self, root):
        p = subprocess.run([KCRASHCTL, "--root", root, "list", "--json"], capture_output=True, text=True, check=True)
        return json.loads(p.stdout)

    def queue(self, root, sub="not_sent_logs"):
        d = f"{root}/{OFFLOAD}/{sub}"
        return sorted(n for n in os.listdir(d) if n.endswith(".zip")) if os.path.isdir(d) else []

    def test_envelope_reaches_a_dsn_with_a_path_prefix(self):
        # the old DSN form with a secret key: the secret never travels
        secret_dsn = self.dsn('/sentry/eu/42').replace(f"{KEY}@", f"{KEY}:s3cr3t@")
        root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={secret_dsn}\n")
        [zname] = self.queue(root)
        with zipfile.ZipFile(f"{root}/{OFFLOAD}/not_sent_logs/{zname}") as z:
            rep = json.loads(z.read("report.json"))
            members = z.namelist()
        p = self.submit(root)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("to sentry (event id", p.stderr)
        [req] = self.httpd.requests
        self.assertEqual(req["path"], "/sentry/eu/api/42/envelope/")
        auth = req["headers"]["X-Sentry-Auth"]
        self.assertIn(f"sentry_key={KEY}", auth)
        self.assertIn("sentry_version=7", auth)
        self.assertEqual(req["headers"]["Content-Type"], "application/x-sentry-envelope")
        self.assertNotIn(b"s3cr3t", req["body"])
        self.assertNotIn("s3cr3t", json.dumps(req["headers"]))

        header, items = parse_envelope(req["body"])
        self.assertEqual(header["dsn"], self.dsn("/sentry/eu/42"))
        (eh, ev), atts = items[0], items[1:]
        self.assertEqual(eh["type"], "event")
        ev = json.loads(ev)
        self.assertEqual(ev["event_id"], header["event_id"])
        a = rep["analysis"]
        exc = ev["exception"]["values"][0]
        self.assertEqual((exc["type"], exc["value"]), (a["type"], a["title"]))
        frames = exc["stacktrace"]["frames"]
        self.assertEqual([f["function"] for f in reversed(frames)], [f.split(" [")[0] for f in a["frames"]])
        self.assertTrue(any("offset" in f.get("vars", {}) for f in frames), frames)
        self.assertEqual(ev["fingerprint"], [a["signature"]])
        self.assertEqual(ev["release"], rep["build"]["id"])
        tags = ev["tags"]
        self.assertEqual(tags["kernel"], rep["kernel"]["release"])
        self.assertEqual(tags["product"], "testproduct")
        self.assertEqual(tags["build"], rep["build"]["id"])
        self.assertEqual(tags["crash_type"], a["type"])
        self.assertEqual(tags["fatal"], "yes")
        self.assertEqual(tags["report_id"], rep["id"])
        names = [h["filename"] for h, _ in atts]
        self.assertEqual(names[0], "report.json")
        self.assertIn(zname, names)  # the ZIP fits the default 20M
        text_members = [m for m in members if m != "report.json"]
        for m in text_members:
            self.assertIn(m, names)
        self.assertFalse([n for n in names if "vmcore" in n])
        zip_payload = [b for h, b in atts if h["filename"] == zname][0]
        with open(f"{root}/{OFFLOAD}/sent_logs/{zname}", "rb") as f:
            self.assertEqual(zip_payload, f.read())

        # sent: out of the queue, the state per target says so
        self.assertEqual(self.queue(root), [])
        [row] = self.listing(root)
        self.assertEqual(row["state"], "sent")
        self.assertEqual(row["targets"]["sentry"]["state"], "sent")
        self.assertEqual(row["targets"]["sentry"]["receipt"], header["event_id"])
        self.assertNotIn("kcrash", row["targets"])
        # a second run sends nothing
        self.assertEqual(self.submit(root).returncode, 0)
        self.assertEqual(len(self.httpd.requests), 1)

    def test_rate_limit_header_per_category(self):
        root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={self.dsn()}\n")
        self.httpd.mode = "429-sentry"
        t0 = time.time()
        p = self.submit(root)
        self.assertEqual(p.returncode, 75, p.stderr)
        [row] = self.listing(root)
        st = row["targets"]["sentry"]
        self.assertEqual((st["state"], st["attempts"]), ("pending", 1))
        self.assertIn("429", st["last_error"])
        self.assertGreaterEqual(st["next_try"], int(t0) + 120)
        with open(f"{root}/{OFFLOAD}/.kcrash-upload/sentry-limits") as f:
            limits = dict(line.split() for line in f)
        self.assertGreaterEqual(int(limits["error"]), int(t0) + 120)
        self.assertGreaterEqual(int(limits["attachment"]), int(t0) + 30)
        # the server's limit on events holds even --now: nothing is sent
        self.httpd.mode = "ok"
        p = self.submit(root, "--now")
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertEqual(len(self.httpd.requests), 1)

    def test_retry_after_limits_every_category(self):
        root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={self.dsn()}\n")
        self.httpd.mode = "429-retry-after"
        t0 = time.time()
        self.assertEqual(self.submit(root).returncode, 75)
        [row] = self.listing(root)
        self.assertGreaterEqual(row["targets"]["sentry"]["next_try"], int(t0) + 300)
        with open(f"{root}/{OFFLOAD}/.kcrash-upload/sentry-limits") as f:
            limits = dict(line.split() for line in f)
        self.assertGreaterEqual(int(limits["all"]), int(t0) + 300)
        self.assertEqual(self.submit(root, "--now").returncode, 75)
        self.assertEqual(len(self.httpd.requests), 1)

    def test_attachment_limit_sends_the_event_alone(self):
        root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={self.dsn()}\n",
                         scenarios=("pstore-ramoops-module-panic",))
        self.httpd.modes = ["ok-attachments-limited"]
        self.assertEqual(self.submit(root).returncode, 0)
        _, items = parse_envelope(self.httpd.requests[0]["body"])
        self.assertGreater(len(items), 1)
        # a second report while attachments are limited: the event only
        run(["collect"], root)  # nothing new to collect: make one by copying the ZIP
        sent = f"{root}/{OFFLOAD}/sent_logs"
        [z] = os.listdir(sent)
        shutil.copyfile(f"{sent}/{z}", f"{root}/{OFFLOAD}/not_sent_logs/copy-{z}")
        self.assertEqual(self.submit(root).returncode, 0)
        _, items = parse_envelope(self.httpd.requests[1]["body"])
        self.assertEqual([h["type"] for h, _ in items], ["event"])
        row = [r for r in self.listing(root) if r["id"].startswith("copy-")][0]
        self.assertIn("without attachments", row["targets"]["sentry"]["last_error"])

    def test_413_parks_with_the_reason(self):
        root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={self.dsn()}\n")
        self.httpd.mode = "413"
        p = self.submit(root)
        self.assertIn("parked", p.stderr)
        [row] = self.listing(root)
        self.assertEqual(row["state"], "parked")
        self.assertIn("413", row["targets"]["sentry"]["last_error"])
        self.assertEqual(len(self.queue(root)), 1)  # kept
        self.assertEqual(self.submit(root, "--now").returncode, 0)
        self.assertEqual(len(self.httpd.requests), 1)  # not retried
        show = subprocess.run([KCRASHCTL, "--root", root, "show", row["id"]], capture_output=True, text=True)
        self.assertIn("Target:  sentry: parked, 1 attempt(s)", show.stdout)
        self.assertIn("HTTP 413", show.stdout)

    def test_other_4xx_parks_and_5xx_retries(self):
        root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={self.dsn()}\n")
        self.httpd.modes = ["503"]
        self.assertEqual(self.submit(root).returncode, 75)
        [row] = self.listing(root)
        self.assertEqual(row["targets"]["sentry"]["state"], "pending")
        self.assertIn("HTTP 503", row["targets"]["sentry"]["last_error"])
        self.assertEqual(self.submit(root).returncode, 75)  # backoff: not due yet
        self.assertEqual(len(self.httpd.requests), 1)
        self.assertEqual(self.submit(root, "--now").returncode, 0)
        [row] = self.listing(root)
        self.assertEqual(row["state"], "sent")
        self.assertEqual(row["targets"]["sentry"]["attempts"], 1)

        root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={self.dsn()}\n")
        self.httpd.modes = ["400"]
        self.submit(root)
        [row] = self.listing(root)
        self.assertEqual(row["targets"]["sentry"]["state"], "parked")

    def test_slow_answer_times_out_and_retries(self):
        root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={self.dsn()}\n")
        self.httpd.modes = ["slow"]
        t0 = time.monotonic()
        p = self.submit(root)
        self.assertLess(time.monotonic() - t0, 14, "the uploader waited for the slow answer")
        self.assertEqual(p.returncode, 75, p.stderr)
        [row] = self.listing(root)
        self.assertEqual(row["targets"]["sentry"]["state"], "pending")
        self.assertIn("envelope:", row["targets"]["sentry"]["last_error"])

    def test_invalid_dsn_is_a_configuration_error(self):
        for dsn, why in [("https://k@h/notanumber", "project id"), ("sentry.example/1", "https://"),
                         ("https://h/1", "public key")]:
            root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={dsn}\n")
            p = self.submit(root)
            self.assertEqual(p.returncode, 78, p.stderr)
            self.assertIn("SENTRY_DSN", p.stderr)
            self.assertIn(why, p.stderr)
            self.assertNotIn(dsn, p.stderr)  # the reason, not the key
        root = self.root("SUBMIT_TARGET=sentry\n")
        p = self.submit(root)
        self.assertEqual(p.returncode, 78)
        self.assertIn("SENTRY_DSN is empty", p.stderr)
        root = self.root("SUBMIT_TARGET=kcrash+sentry\n")
        p = self.submit(root)
        self.assertEqual(p.returncode, 78)
        self.assertIn("SUBMIT_TARGET", p.stderr)
        # http needs SUBMIT_ALLOW_INSECURE_HTTP, as for the kcrash URLs
        root = self.root(f"SUBMIT_TARGET=sentry\nSENTRY_DSN={self.dsn()}\nSUBMIT_ALLOW_INSECURE_HTTP=0\n")
        p = self.submit(root)
        self.assertEqual(p.returncode, 78)
        self.assertIn("only https://", p.stderr)
        self.assertEqual(self.httpd.requests, [])

    def test_collector_does_not_reuse_an_id_sentry_holds(self):
        # The ZIP of an earlier report was removed (retention), its Sentry
        # state is still there: a new report must not take its id, or it
        # would count as sent to Sentry.
        first = self.root("")
        [zname] = self.queue(first)
        rid = zname[:-4]
        root = make_root(self.tmp, ("pstore-ramoops-module-panic",))
        os.makedirs(f"{root}/{OFFLOAD}/.kcrash-upload/upload")
        with open(f"{root}/{OFFLOAD}/.kcrash-upload/upload/{rid}@sentry.json", "w") as f:
            f.write('{"state":"sent","attempts":0,"next_try":0,"last_try":1,"last_error":null,"gid":"x"}')
        run(["collect"], root)
        [new] = self.queue(root)
        self.assertNotEqual(new, zname)
        self.assertTrue(new.startswith(rid), new)

    def test_both_targets_keep_their_own_state(self):
        data, token = f"{self.tmp}/store", f"{self.tmp}/token"
        with open(token, "w") as f:
            f.write("t0ken\n")
        kport = free_port()
        server = start_receiver(kport, data, token)
        try:
            base = f"http://127.0.0.1:{kport}"
            root = self.root(f"SUBMIT_TARGET=\"kcrash sentry\"\nSENTRY_DSN={self.dsn()}\n"
                             f"SUBMIT_START_URL={base}{START}\nSUBMIT_FINISH_URL={base}{FINISH}\n")
            self.httpd.modes = ["503"]
            p = self.submit(root)
            self.assertEqual(p.returncode, 75, p.stderr)
            self.assertIn("to kcrash (gid", p.stderr)
            [row] = self.listing(root)
            self.assertEqual(row["state"], "pending")
            self.assertEqual(row["targets"]["kcrash"]["state"], "sent")
            self.assertEqual(row["targets"]["sentry"]["state"], "pending")
            self.assertEqual(len(self.queue(root)), 1)  # sentry still needs it
            lst = subprocess.run([KCRASHCTL, "--root", root, "list"], capture_output=True, text=True).stdout
            self.assertIn("kcrash=sent sentry=pending", lst)

            self.assertEqual(self.submit(root, "--now").returncode, 0)
            [row] = self.listing(root)
            self.assertEqual((row["state"], row["targets"]["sentry"]["state"]), ("sent", "sent"))
            self.assertEqual(self.queue(root), [])
            self.assertEqual(len(self.queue(root, "sent_logs")), 1)
            # kcrash-server holds the report once: the second run did not resend it
            import urllib.request
            req = urllib.request.Request(f"{base}/api/reports", headers={"Authorization": "Bearer t0ken"})
            with urllib.request.urlopen(req, timeout=10) as r:
                reports = json.loads(r.read())
            self.assertEqual(len(reports if isinstance(reports, list) else reports["reports"]), 1)
            self.assertEqual(len(self.httpd.requests), 2)
        finally:
            stop_receiver(server)


if __name__ == "__main__":
    unittest.main(verbosity=2)
