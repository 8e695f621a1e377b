#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""kcrash-server against hostile devices, over real HTTP on loopback: what a
device sends must not cost another device its report, its slot or its
service, nor exhaust the receiver's memory or disk. Clients bind to other
127.0.0.0/8 addresses (Linux routes all of them on lo) to be other hosts."""

import http.client
import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import zipfile

SERVER = os.environ.get("KCRASH_SERVER", "build/src/kcrash-server/kcrash-server")
START = "/ICrashReportService/StartCrashUpload/v1"
FINISH = "/ICrashReportService/FinishCrashUpload/v1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report_zip(rid, title="kernel panic: test", extra=()):
    rep = {"schema": 1, "id": rid, "analysis": {"title": title, "type": "DoS", "signature": "v1:0123456789abcdef"}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("report.json", json.dumps(rep))
        z.writestr("dmesg.txt", rid)
        for name, data in extra:
            z.writestr(name, data)
    return buf.getvalue()


def fnv_slot(key):
    """The bucket index the old fixed-table rate limiter used for key."""
    h = 1469598103934665603
    for c in key.encode():
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h % 4096


class Server(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-server-")
        self.data = f"{self.tmp}/store"
        with open(f"{self.tmp}/token", "w") as f:
            f.write("t0ken\n")
        self.port = free_port()
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.send_signal(signal.SIGTERM)
            self.server.wait(timeout=20)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_server(self, *extra):
        self.server = subprocess.Popen([SERVER, "--listen", f"127.0.0.1:{self.port}", "--data", self.data,
                                        "--admin-token-file", f"{self.tmp}/token", *extra],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.server.poll() is not None:
                    raise AssertionError(f"kcrash-server {' '.join(extra)} exited with {self.server.returncode}")
                time.sleep(0.05)
        raise AssertionError("kcrash-server did not start")

    def request(self, method, path, body=None, headers=None, source="127.0.0.1", timeout=10):
        """(status, headers, body) of one request from the address source."""
        if path.startswith("http://"):
            path = "/" + path.split("/", 3)[3]
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout, source_address=(source, 0))
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def start(self, size, source="127.0.0.1", steamid="76561198000000001", headers=None, **fields):
        form = {"steamid": steamid, "have_dump_file": "1", "dump_file_size": str(size), "product": "holo",
                "build": "1", "version": "6.1", "platform": "linux", "crash_time": "1", "format": "json"}
        form.update(fields)
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        status, hdrs, body = self.request("POST", START, urllib.parse.urlencode(form).encode(), h, source)
        return status, (json.loads(body)["response"] if status == 200 else json.loads(body or b"{}"))

    def put(self, ans, data, source="127.0.0.1"):
        return self.request("PUT", ans["url"], data, {p["name"]: p["value"] for p in ans["headers"]["pairs"]},
                            source)[0]

    def finish(self, gid, source="127.0.0.1"):
        return self.request("POST", FINISH, f"gid={gid}".encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"}, source)[0]

    def upload(self, data, finish=True, **kw):
        status, ans = self.start(len(data), **kw)
        self.assertEqual(status, 200, ans)
        self.assertEqual(self.put(ans, data), 200)
        if finish:
            self.assertEqual(self.finish(ans["gid"]), 200)
        return ans["gid"]

    def api(self, path):
        status, _, body = self.request("GET", path, headers={"Authorization": "Bearer t0ken"})
        return status, body

    def stats(self):
        return json.loads(self.api("/api/stats")[1])

    def wait_for(self, cond, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")

    # ---- 9: a finished duplicate keeps its ZIP when the first upload is swept ----

    def test_swept_unfinished_upload_keeps_zip_of_finished_duplicate(self):
        self.start_server("--slot-ttl", "2", "--rate", "0")
        data = report_zip("retried")
        # the first attempt PUT the ZIP but its Finish was lost
        self.upload(data, finish=False)
        # the retry: same ZIP, deduplicated against the unfinished slot, finished
        gid = self.upload(data)
        detail = json.loads(self.api(f"/api/reports/{gid}")[1])
        self.assertTrue(detail["duplicate_of"], "deduplicated against the unfinished upload")
        # the sweeper removes the unfinished slot (2 x slot-ttl later)
        self.wait_for(lambda: "reports.uploaded" not in self.stats(), 45, "the sweep of the unfinished upload")
        status, body = self.api(f"/api/reports/{gid}/zip")
        self.assertEqual(status, 200, "the finished report still has its ZIP")
        self.assertEqual(body, data)
        self.assertEqual(json.loads(self.api(f"/api/reports/{gid}")[1])["title"], "kernel panic: test")
        # the same ZIP again, later: deduplicated against the kept copy, one file on disk
        gid2 = self.upload(data)
        self.assertEqual(self.api(f"/api/reports/{gid2}/zip")[1], data)
        self.assertEqual(len(os.listdir(f"{self.data}/reports")), 1)

    # ---- 10: devices whose keys collided in the old table are limited each ----

    def test_rate_limit_holds_for_colliding_devices(self):
        self.start_server("--rate", "2")
        a = "76561198000000001"
        b = next(str(76561198000000002 + i) for i in range(1 << 20)
                 if fnv_slot("device:" + str(76561198000000002 + i)) == fnv_slot("device:" + a))
        ok = {a: 0, b: 0}
        for i in range(6):
            for dev in (a, b):
                # every Start from another address: only the device limit applies
                status, _ = self.start(10, source=f"127.0.{1 + i}.{10 + (dev == b)}", steamid=dev)
                self.assertIn(status, (200, 429))
                ok[dev] += status == 200
        self.assertEqual(ok, {a: 2, b: 2}, "2 Starts per minute per device, colliding or not")
        self.assertEqual(self.stats()["rejects.rate_limited"], 8)


if __name__ == "__main__":
    unittest.main(verbosity=2)
