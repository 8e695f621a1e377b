#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""kcrash-server against hostile devices, over real HTTP on loopback: what a
device sends must not cost another device its report, its slot or its
service, nor exhaust the receiver's memory or disk. Clients bind to other
127.0.0.0/8 addresses (Linux routes all of them on lo) to be other hosts."""

import contextlib
import http.client
import io
import json
import os
import resource
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import zipfile

import sys

sys.path.insert(0, os.path.dirname(__file__))
from submit_test import FINISH, SERVER, START, free_port, start_receiver, stop_receiver  # noqa: E402

# Seconds after which a full server may close a connection whose head is
# still coming (deadline.c's HEAD_PATIENCE_MS), and its watcher's second.
HEAD_PATIENCE = 2 + 1


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
            stop_receiver(self.server)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_server(self, *extra, max_files=None):
        self.server = start_receiver(self.port, self.data, f"{self.tmp}/token", *extra, max_files=max_files)

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

    def finish(self, gid, source="127.0.0.1", timeout=10):
        return self.request("POST", FINISH, f"gid={gid}".encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"}, source, timeout)[0]

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

    def test_a_finish_of_an_expired_upload_reads_nothing(self):
        """An upload the sweeper expired keeps its ZIP while a finished
        duplicate uses it; a Finish of it is refused without opening that
        ZIP (each one read and triaged it again under the one triage lock:
        64 loops of them held an honest GET 3.2 s; review)."""
        import ctypes
        self.start_server("--slot-ttl", "1", "--rate", "0")
        data = report_zip("expired")
        first = self.upload(data, finish=False)
        self.upload(data)  # its duplicate, finished
        self.wait_for(lambda: "reports.uploaded" not in self.stats(), 45, "the sweep of the unfinished upload")
        (zip_name,) = os.listdir(f"{self.data}/reports")
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        self.assertGreaterEqual(fd, 0)
        try:
            IN_OPEN = 0x20
            self.assertGreaterEqual(libc.inotify_add_watch(fd, f"{self.data}/reports/{zip_name}".encode(), IN_OPEN), 0)
            self.assertEqual(self.finish(first), 409)
            with self.assertRaises(BlockingIOError, msg="the expired upload's ZIP was opened"):
                os.read(fd, 4096)
        finally:
            os.close(fd)
        self.assertEqual(self.stats()["rejects.finish_not_uploaded"], 1)

    def test_upload_url_expires_and_the_slot_is_swept(self):
        self.start_server("--slot-ttl", "1", "--rate", "0")
        data = report_zip("late")
        status, ans = self.start(len(data))
        self.assertEqual(status, 200, ans)
        self.assertIn("expires=", ans["url"])
        self.assertEqual(self.stats().get("reports.started"), 1)
        time.sleep(2.5)
        self.assertEqual(self.put(ans, data), 403, "a PUT after the URL expired is refused")
        self.assertEqual(self.stats().get("rejects.put_expired"), 1)
        self.assertEqual(os.listdir(f"{self.data}/reports") if os.path.exists(f"{self.data}/reports") else [], [])
        # the sweeper removes the Start that never got its ZIP (2 x slot-ttl later)
        self.wait_for(lambda: "reports.started" not in self.stats(), 30, "the sweep of the expired slot")
        self.assertNotEqual(self.finish(ans["gid"]), 200, "a swept slot cannot be finished")
        # a fresh Start within its lifetime still works
        self.upload(data)
        self.assertEqual(self.stats().get("reports.finished"), 1)

    def test_numbers_are_exactly_numbers(self):
        """The receiver reads numbers with the checked parsers: a size or an
        expiry with a trailing byte (or a leading space) is refused, not read
        as its digits (the PUT's signature covered only those); a crash time that is no number is
        unknown, not a refusal; options that are no numbers stop the start."""
        self.start_server("--rate", "0")
        data = report_zip("numbers")
        self.assertEqual(self.start(f"{len(data)}x")[0], 400, "dump_file_size with a trailing byte")
        self.assertEqual(self.start(" 10")[0], 400, "dump_file_size with a leading space")
        status, ans = self.start(len(data))
        self.assertEqual(status, 200, ans)
        for bad in (ans["url"].replace("&expires=", "x&expires="), ans["url"].replace("&sig=", "0&sig=")):
            self.assertEqual(self.put(dict(ans, url=bad), data), 403, bad)
        self.assertEqual(self.put(ans, data), 200, "the URL as signed still works")
        self.assertEqual(self.finish(ans["gid"]), 200)
        status, ans = self.start(len(data), crash_time="yesterday")
        self.assertEqual(status, 200, ans)
        hdrs = {p["name"]: p["value"] for p in ans["headers"]["pairs"]}
        hdrs["Content-Length"] = f"{len(data)}"
        st, _, _ = self.request("PUT", ans["url"], data, hdrs)
        self.assertEqual(st, 200)
        self.assertEqual(self.finish(ans["gid"]), 200)
        for opt in (["--slot-ttl", "x"], ["--rate", "2x"], ["--listen", "127.0.0.1:80x"]):
            p = subprocess.run([SERVER, "--data", f"{self.tmp}/other", *opt], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(p.returncode, 2, (opt, p.stderr))
            self.assertIn(opt[0], p.stderr)

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

    # ---- 11: one client's idle sockets do not starve everyone else ----

    def test_idle_sockets_of_one_address_do_not_block_others(self):
        self.start_server()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
        idle = []
        try:
            for _ in range(1000):
                s = socket.socket()
                s.settimeout(0.5)
                try:
                    s.connect(("127.0.0.1", self.port))
                except OSError:
                    s.close()
                    continue
                idle.append(s)
            # an honest device on another address gets through at once
            t = time.monotonic()
            status, ans = self.start(10, source="127.0.0.2", timeout=5)
            self.assertEqual(status, 200, ans)
            self.assertLess(time.monotonic() - t, 5)
            # and so does the next request of the same address once its own connections went
            for s in idle:
                s.close()
            idle = []
            time.sleep(0.5)
            self.assertEqual(self.start(10, source="127.0.0.1", steamid="0")[0], 200)
        finally:
            for s in idle:
                s.close()

    def test_idle_connection_is_closed(self):
        self.start_server("--idle-timeout", "2")
        s = socket.create_connection(("127.0.0.1", self.port), source_address=("127.0.0.3", 0))
        s.settimeout(10)
        t = time.monotonic()
        try:
            self.assertEqual(s.recv(1), b"", "the server closes the idle connection")
        except ConnectionResetError:
            pass
        self.assertLess(time.monotonic() - t, 6)
        s.close()

    def test_a_full_server_closes_connections_doing_nothing(self):
        """Connections kept idle between small requests, trickling a head, or
        with a head whose body never comes, started anew before
        --request-timeout, were each held as long as their client liked: a
        few addresses filled every place and devices waited (attack reviews:
        7 addresses x 64 kept an honest curl out for 40 s; heads of Starts
        without their body, 6 x 64, for 110 s). Once the places are nearly all
        taken, the ones doing nothing are closed; a console caller's kept
        connection is not."""
        # 1024 files: 384 connections (the server keeps 256 files for itself, and
        # budgets two a connection: a PUT's socket and its file)
        self.start_server("--idle-timeout", "120", "--request-timeout", "120", "--rate", "0", max_files=1024)
        admin = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=("127.0.0.4", 0))
        admin.request("GET", "/api/stats", headers={"Authorization": "Bearer t0ken"})
        self.assertEqual(admin.getresponse().read()[:1], b"{")
        kinds = {
            # a refused PUT whose body, read only to be dropped, comes at 4 KiB/s
            "dropped": (b"PUT /upload/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n", False),
            # a Start's form as large as it may be, at 4 KiB/s
            "form": (f"POST {START} HTTP/1.1\r\nHost: x\r\nContent-Length: {256 << 10}\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode(), False),
            # a whole request, its answer read: then idle
            "idle": (b"GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n", True),
            # a head that does not end
            "head": (b"GET / HTTP/1.1\r\nHost: x\r\n", False),
            # a head whose body does not come
            "body": (f"POST {START} HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode(), False),
        }
        try:
            for kind, (sent, answered) in kinds.items():
                held = []
                try:
                    for i in range(384):
                        s = socket.socket()
                        held.append(s)
                        s.settimeout(0.5)
                        s.bind((f"127.0.0.{10 + i // 64}", 0))
                        try:
                            s.connect(("127.0.0.1", self.port))
                            s.sendall(sent)
                            if answered:
                                s.recv(4096)
                        except OSError:
                            pass
                    done = threading.Event()

                    def trickle():
                        while not done.wait(0.25):
                            for s in held if kind in ("dropped", "form") else ():
                                try:
                                    s.send(bytes(1024))
                                except OSError:
                                    pass
                    trickler = threading.Thread(target=trickle)
                    trickler.start()
                    try:
                        time.sleep(HEAD_PATIENCE)
                        status, ans = self.start(10, source="127.0.0.2", timeout=10)
                        self.assertEqual(status, 200, (kind, ans))
                    finally:
                        done.set()
                        trickler.join()
                finally:
                    for s in held:
                        s.close()
            self.assertGreater(self.stats().get("rejects.closed_when_full", 0), 0)
            # the console caller's connection was kept: the next request on it
            # needs no new one (http.client does not reconnect on its own)
            admin.request("GET", "/api/stats", headers={"Authorization": "Bearer t0ken"})
            self.assertEqual(admin.getresponse().read()[:1], b"{")
        finally:
            admin.close()

    def test_a_nearly_full_server_closes_unknown_callers_connections_after_each_answer(self):
        """On a kept connection a client went round the full server's rules
        request after request (a head in 1.1 s, its body 1.7 s later: each
        under the 2 s they allow), holding 365 of 384 places at 200 bytes a
        second each (attack review). While the server is nearly full, the
        answer to a caller the API does not know closes its connection; a
        console caller's stays open."""
        self.start_server("--idle-timeout", "120", "--rate", "0", max_files=1024)
        # 340 of the 384 places held by the admin token's kept connections
        # (never closed for being idle): more than 7/8
        held = []
        try:
            for i in range(340):
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10,
                                               source_address=(f"127.0.0.{10 + i // 64}", 0))
                c.request("GET", "/api/stats", headers={"Authorization": "Bearer t0ken"})
                r = c.getresponse()
                r.read()
                self.assertNotEqual(r.getheader("Connection"), "close")
                held.append(c)
            time.sleep(HEAD_PATIENCE)
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=("127.0.0.2", 0))
            c.request("GET", "/nothing-here")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.getheader("Connection"), "close")
            c.close()
            # the known caller's connection is kept
            held[0].request("GET", "/api/stats", headers={"Authorization": "Bearer t0ken"})
            r = held[0].getresponse()
            r.read()
            self.assertNotEqual(r.getheader("Connection"), "close")
        finally:
            for c in held:
                c.close()

    def test_a_slow_devices_start_gets_through_a_nearly_full_server(self):
        """On a nearly full server every form's body had to move 64 KiB/s:
        a device's Start with its crash's text (32 KiB) sent at 8 KiB/s
        (64 kbit/s) was closed at every try (attack review). A form of a
        device's size must move 4 KiB/s, a slow uplink's pace (at the 1 KiB/s
        of any request, trickled 64 KiB forms held every place: a review); a
        larger one must still come quickly."""
        self.start_server("--idle-timeout", "120", "--rate", "0", max_files=1024)
        held = []

        def trickled_start(size, per_second):
            body = urllib.parse.urlencode({"steamid": "1", "have_dump_file": "1", "dump_file_size": "1000",
                                           "product": "holo", "build": "1", "version": "6.1", "platform": "linux",
                                           "crash_time": "1", "format": "json", "note": "x" * size}).encode()
            with socket.create_connection(("127.0.0.1", self.port), timeout=10,
                                          source_address=("127.0.0.2", 0)) as s:
                s.sendall(f"POST {START} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                          "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode())
                try:
                    for at in range(0, len(body), per_second // 4):
                        s.sendall(body[at:at + per_second // 4])
                        time.sleep(0.25)
                    return s.makefile("rb").readline().decode().split()[1]
                except (OSError, IndexError):
                    return "closed"
        try:
            # 340 of the 384 places held by the admin token's kept connections
            for i in range(340):
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10,
                                               source_address=(f"127.0.0.{10 + i // 64}", 0))
                c.request("GET", "/api/stats", headers={"Authorization": "Bearer t0ken"})
                c.getresponse().read()
                held.append(c)
            self.assertEqual(trickled_start(32 << 10, 8 << 10), "200")
            self.assertEqual(trickled_start(100 << 10, 8 << 10), "closed")
            # a small form held a place at 1.2 KiB/s (a review: unauthenticated
            # clients held every place so, reconnecting each minute)
            self.assertEqual(trickled_start(60 << 10, 1200), "closed")
        finally:
            for c in held:
                c.close()

    def test_a_form_announced_too_large_is_refused_at_once(self):
        """A Start announcing more than a form may hold is answered 413 before
        its body (it was read to be dropped, and a trickled one held its
        connection as long as it came: attack review)."""
        self.start_server("--rate", "0")
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(f"POST {START} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode())
            self.assertEqual(s.makefile("rb").readline().decode().split()[:2], ["HTTP/1.1", "413"])
        self.assertEqual(self.stats()["rejects.form_too_large"], 1)

    def test_slow_connections_are_cut_and_slow_honest_ones_are_not(self):
        """A connection must move at least 1 KiB a second, received or read
        by the client, over every --request-timeout seconds: libmicrohttpd's
        idle timeout let a client hold a connection for ever with a byte
        every few seconds (attack reviews: a request's head trickled in, a
        refused PUT's body, a Start's PUT, pipelined answers read 200 bytes
        every 5 s). A client at an honest pace is not cut, however long its
        request takes: a PUT, a refused PUT that wants its answer, a large
        Start."""
        self.start_server("--idle-timeout", "10", "--request-timeout", "2", "--rate", "0")

        def cuts(expected):
            """rejects.request_timeout, once it says expected or after 3 s
            (the server counts a cut just after it makes it)."""
            for _ in range(30):
                n = self.stats().get("rejects.request_timeout")
                if n == expected:
                    break
                time.sleep(0.1)
            return n

        def cut_after(sock, step):
            """Seconds until the server ends sock while step(sock) runs
            every 0.5 s; None if it has not after 9 s."""
            t = time.monotonic()
            try:
                while time.monotonic() - t < 9:
                    step(sock)
                    time.sleep(0.5)
                    # a closed socket: the next send or recv says so
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - t
            return None

        def recv_some(s):
            """The server's end, if it came (without waiting: a socket with
            a timeout waits before any recv)."""
            if select.select([s], [], [], 0)[0] and s.recv(1) == b"":
                raise ConnectionResetError()

        def trickled(head, byte=b"x"):
            with socket.create_connection(("127.0.0.1", self.port), source_address=("127.0.0.3", 0),
                                          timeout=5) as sock:
                sock.sendall(head)
                return cut_after(sock, lambda s: (s.sendall(byte), recv_some(s)))

        # a head trickled in
        took = trickled(b"GET / HTTP/1.1\r\nHost: x\r\n", b"X-Slow: y\r\n")
        self.assertIsNotNone(took, "a trickled head held the connection")
        self.assertLess(took, 6)
        self.assertEqual(cuts(1), 1)
        # a refused PUT's body, trickled
        took = trickled(b"PUT /upload/123?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        self.assertIsNotNone(took, "a refused PUT's trickled body held the connection")
        self.assertEqual(cuts(2), 2)
        # a Start's PUT, trickled
        data = report_zip("trickled-put")
        status, ans = self.start(len(data))
        self.assertEqual(status, 200)
        path = "/" + ans["url"].split("/", 3)[3]
        head = "".join(f"{p['name']}: {p['value']}\r\n" for p in ans["headers"]["pairs"])
        took = trickled(f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n{head}\r\n".encode())
        self.assertIsNotNone(took, "a Start's trickled PUT held the connection")
        self.assertEqual(cuts(3), 3)

        # answers of pipelined requests read slowly: enough of them that the
        # server's sending blocks
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            sock.settimeout(5)
            sock.connect(("127.0.0.1", self.port))

            def send_all():
                try:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 20000)
                except OSError:
                    pass
            threading.Thread(target=send_all, daemon=True).start()
            for _ in range(12):  # 6 s, 200 bytes a second
                try:
                    sock.recv(100)
                except OSError:
                    break
                time.sleep(0.5)
            # (what the server sent before is still in the sockets' buffers:
            # the count says it let the connection go)
            self.assertEqual(cuts(4), 4,
                             "slow reading of pipelined answers held the connection")

        def paced(sock, data, rate):
            """Sends data at rate bytes a second, in tenths of a second."""
            step = max(1, rate // 10)
            for i in range(0, len(data), step):
                sock.sendall(data[i:i + step])
                time.sleep(0.1)

        # honest and slow: a PUT of 12 KiB at 3 KiB/s (4 s, two windows)
        data = report_zip("paced-put", extra=[("noise.bin", os.urandom(12 << 10))])
        status, ans = self.start(len(data))
        self.assertEqual(status, 200)
        path = "/" + ans["url"].split("/", 3)[3]
        head = "".join(f"{p['name']}: {p['value']}\r\n" for p in ans["headers"]["pairs"])
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n{head}\r\n".encode())
            paced(sock, data, 3 << 10)
            self.assertEqual(sock.makefile("rb").readline().decode().strip(), "HTTP/1.1 200 OK")
        self.assertEqual(self.finish(ans["gid"]), 200)
        # a refused PUT (its slot is used now) that sends its body at once, at
        # 3 KiB/s: it gets its answer, not a broken pipe
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n{head}\r\n".encode())
            paced(sock, data, 3 << 10)
            self.assertEqual(sock.makefile("rb").readline().decode().strip(), "HTTP/1.1 409 Conflict")
        # a Start with a 12 KiB stack at 3 KiB/s
        form = urllib.parse.urlencode({"steamid": "76561198000000001", "have_dump_file": "1", "dump_file_size": "10",
                                       "product": "holo", "build": "1", "version": "6.1", "platform": "linux",
                                       "crash_time": "1", "format": "json", "stack": "f" * (12 << 10)}).encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(f"POST {START} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(form)}\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode())
            paced(sock, form, 3 << 10)
            self.assertEqual(sock.makefile("rb").readline().decode().strip(), "HTTP/1.1 200 OK")
        self.assertEqual(cuts(4), 4)
        # a kept connection used for a small request now and then (a
        # console's, a proxy's pool) is idle between them, not slow, however
        # long it waits (up to the idle timeout); and a request after such a
        # wait, at an honest pace, is measured from its own start (a review
        # had a Finish at 2 KiB/s cut after a 3.5 s wait)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            for _ in range(4):
                c.request("GET", "/")
                r = c.getresponse()
                self.assertEqual(r.status, 200)
                r.read()
                time.sleep(3)
        finally:
            c.close()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.recv(4096)
            time.sleep(3.5)
            body = b"gid=" + b"1" * 6000
            sock.sendall(f"POST {FINISH} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode())
            paced(sock, body, 2 << 10)
            self.assertTrue(sock.makefile("rb").readline().startswith(b"HTTP/1.1 400"))
        self.assertEqual(cuts(4), 4)

    # ---- 12: ZIP directories, disk quota, forwarded addresses ----

    def vm_hwm_kib(self):
        with open(f"/proc/{self.server.pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))

    def test_huge_zip_directory_is_not_read(self):
        self.start_server("--rate", "0")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            z.writestr("report.json", json.dumps({"analysis": {"title": "many members"}}))
            for i in range(200000):
                z.writestr(f"e{i}", b"")
        data = buf.getvalue()
        before = self.vm_hwm_kib()
        gid = self.upload(data)
        status, body = self.api(f"/api/reports/{gid}")
        self.assertEqual(status, 200)
        detail = json.loads(body)
        grown = self.vm_hwm_kib() - before
        # listing 200000 members took the old server up by ~130 MB
        self.assertLess(grown, 40 << 10, f"peak RSS grew by {grown} KiB")
        self.assertNotIn("members", list(detail.keys()))
        self.assertIn("members_error", list(detail.keys()))
        out = subprocess.run([SERVER, "--data", self.data, "show", gid], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertIn("Members:    (more than", out.stdout[-2000:])
        # a ZIP of a few members is still listed
        gid = self.upload(report_zip("few"))
        self.assertEqual(json.loads(self.api(f"/api/reports/{gid}")[1])["members"], ["report.json", "dmesg.txt"])

    def start_with_quota(self, room, *extra):
        """The receiver with --max-store-size set to what its empty store
        takes (the index's own pages) plus room bytes."""
        self.start_server()
        empty = self.stats()["store.used_bytes"]
        stop_receiver(self.server)
        self.start_server("--max-store-size", str(empty + room), *extra)
        self.assertEqual(self.stats()["store.max_bytes"], empty + room)
        return empty

    def test_store_quota(self):
        # room for 300 KiB of ZIPs, give or take the index's pages
        empty = self.start_with_quota(300 << 10, "--rate", "0")
        one = report_zip("one", extra=[("pad", os.urandom(100 << 10))])
        self.upload(one)
        # a Start that cannot fit
        status, ans = self.start(300 << 10)
        self.assertEqual(status, 507, ans)
        self.assertEqual(ans["error"], "store_full")
        # two that fit alone, not together: the second PUT is refused
        size = (300 << 10) - len(one) - (40 << 10)
        s1, a1 = self.start(size, steamid="1")
        s2, a2 = self.start(size, steamid="2")
        self.assertEqual((s1, s2), (200, 200))
        self.assertEqual(self.put(a1, os.urandom(size)), 200)
        self.assertEqual(self.put(a2, os.urandom(size)), 507)
        self.assertEqual(self.stats()["rejects.store_full"], 2)
        total = sum(os.path.getsize(f"{self.data}/reports/{f}") for f in os.listdir(f"{self.data}/reports"))
        self.assertLessEqual(total, 300 << 10)
        self.assertLessEqual(self.stats()["store.used_bytes"], empty + (300 << 10))
        self.assertEqual(os.listdir(f"{self.data}/incoming"), [])

    def put_under_way(self, size, sent):
        """(connection, body): a Start of size bytes (device 1) and its PUT,
        of which the first sent bytes are sent and taken in."""
        status, ans = self.start(size, steamid="1")
        self.assertEqual(status, 200)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.putrequest("PUT", "/" + ans["url"].split("/", 3)[3])
        c.putheader("Content-Length", str(size))
        c.endheaders()
        body = os.urandom(size)
        c.send(body[:sent])
        time.sleep(0.5)
        return c, body

    @contextlib.contextmanager
    def trickled_puts(self, n):
        """n PUTs of 100 MiB on valid Starts, each body moving 1.25 KiB/s:
        faster than the 1 KiB/s any request must move. Yields their sockets
        (those the server accepted)."""
        urls = []
        for i in range(n):
            status, ans = self.start(100 << 20, steamid=str(i))
            self.assertEqual(status, 200, ans)
            urls.append("/" + ans["url"].split("/", 3)[3])
        socks, stop = [], threading.Event()

        def trickle():
            while not stop.wait(0.25):
                for c in list(socks):
                    try:
                        c.send(bytes(320))
                    except OSError:
                        pass
        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        try:
            for path in urls:
                try:
                    c = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                    c.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {100 << 20}\r\n\r\n".encode())
                    socks.append(c)
                except OSError:
                    pass  # refused once the places are taken
            yield socks
        finally:
            stop.set()
            t.join()
            for c in socks:
                c.close()

    def test_uploads_under_way_never_run_the_server_out_of_files(self):
        """A PUT holds two files, its socket and its .part, but the server
        sized its connections at one file each: 1,100 PUTs moving at
        1.25 KiB/s on valid Starts used every file before the server was
        nearly full, and accept() failed for every device and console
        request while no rule closed anything (attack review). Now the
        connections are half the files: accepted uploads always have theirs."""
        self.start_server("--idle-timeout", "120", "--rate", "0", "--max-pending-starts", "0",
                          "--max-conns-per-addr", "0", max_files=640)
        # one file each, 384 places: the files ran out near 290 PUTs
        with self.trickled_puts(300):
            time.sleep(3)
            files = len(os.listdir(f"/proc/{self.server.pid}/fd"))
            self.assertLess(files, 640 - 32, "room left for the store's own files")
        self.server.log.seek(0)
        log = self.server.log.read().decode(errors="replace")
        self.assertNotIn("Too many open files", log)
        # the places come back: a device's upload goes through
        self.upload(report_zip("after"), steamid="2")

    def test_slow_uploads_do_not_hold_every_place(self):
        """Anyone gets valid upload URLs from Starts: 256 PUTs moving
        1.2 KiB/s each (more than the 1 KiB/s of any request) held every
        place of a server, and no device's Start nor console request got
        one (review). On a nearly full server the uploads slower than
        64 KiB/s hold at most half the places, the slowest cut first."""
        self.start_server("--idle-timeout", "120", "--rate", "0", "--max-pending-starts", "0",
                          "--max-conns-per-addr", "0", max_files=640)  # 192 places
        with self.trickled_puts(200) as socks:
            self.assertGreater(len(socks), 150)
            time.sleep(4)  # the uploads are older than the 2 s any may have
            status = None
            for _ in range(10):
                try:
                    status, ans = self.start(1000, source="127.0.0.99", steamid="honest")
                    break
                except OSError:
                    time.sleep(0.5)
            self.assertEqual(status, 200, "a device's Start gets a place")
            self.assertEqual(self.api("/api/stats")[0], 200, "and so does the console")
            # the cut ones were told: the server closed them
            closed = 0
            for c in socks:
                c.setblocking(False)
                try:
                    closed += c.recv(1) == b""
                except BlockingIOError:
                    pass
                except OSError:
                    closed += 1
            self.assertGreaterEqual(closed, 192 - 192 // 2, "the uploads held half the places at most")

    def test_a_finish_again_changes_nothing(self):
        """A Finish of a finished upload (a device's retry after a lost
        answer) is answered 200 at once: it read and triaged the ZIP again,
        one Finish at a time for every thread, as often as a device sent it
        (review)."""
        self.start_server("--rate", "0")
        gid = self.upload(report_zip("first", title="kernel panic: first"))
        # what a second triage would read, were there one
        with open(f"{self.data}/reports/{gid}.zip", "wb") as f:
            f.write(report_zip("first", title="kernel panic: read again"))
        self.assertEqual(self.finish(gid), 200)
        self.assertEqual(json.loads(self.api(f"/api/reports/{gid}")[1])["title"], "kernel panic: first")
        # a sync failed since: nothing is acknowledged as on disk, this
        # retry neither (it was 200: review)
        open(f"{self.data}/sync-failed", "w").close()
        self.assertEqual(self.finish(gid), 503)

    def test_start_counts_the_puts_under_way(self):
        """A Start whose ZIP cannot fit next to the PUTs under way is answered
        507 (devices defer it) rather than accepted and its PUT refused (a 507
        at the PUT counts toward parking, a review showed)."""
        self.start_with_quota(300 << 10, "--rate", "0")
        size = 200 << 10
        # a PUT under way: half its body sent
        c1, body = self.put_under_way(size, size // 2)
        status, ans2 = self.start(size, steamid="2")
        self.assertEqual(status, 507, ans2)
        c1.send(body[size // 2:])
        self.assertEqual(c1.getresponse().status, 200)
        c1.close()

    def test_a_slow_put_holds_the_room_it_wrote(self):
        """A PUT holds the store's room as its body comes (and 256 KiB
        ahead), not its whole announced size: PUTs trickling 1 KiB/s held
        their announced sizes for days, and every other device was answered
        507 (attack review). The slow PUT is the one refused when the room is
        gone."""
        self.start_with_quota(5 << 20, "--rate", "0")
        slow, body = self.put_under_way(4 << 20, 64 << 10)
        # another device's 2 MiB report fits next to what the slow PUT wrote
        data = report_zip("honest", extra=[("pad", os.urandom(2 << 20))])
        self.upload(data, steamid="2")
        # the slow PUT goes on: its room is gone before its end
        try:
            slow.send(body[64 << 10:])
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = slow.getresponse()
        self.assertEqual((r.status, json.loads(r.read()).get("error")), (507, "store_full"))
        slow.close()
        # (its .part goes once the request has ended, just after the answer)
        self.wait_for(lambda: os.listdir(f"{self.data}/incoming") == [], 10, "the refused PUT's .part removed")
        self.assertEqual(self.stats().get("reports.finished"), 1)

    def test_of_two_puts_that_do_not_both_fit_one_is_stored(self):
        """Two PUTs whose ZIPs fit alone but not together, sent at once at the
        same pace: the one that runs out of room gives back what it held at
        once, and the other is stored (both were refused when the first kept
        its room while the rest of its body was read: attack review)."""
        empty = self.start_with_quota(5 << 20, "--rate", "0")
        zips = [report_zip(f"dev{i}", extra=[("pad", os.urandom(3 << 20))]) for i in range(2)]
        slots = []
        for i, z in enumerate(zips):
            status, ans = self.start(len(z), steamid=str(i + 1))
            self.assertEqual(status, 200)
            slots.append(ans)
        results = {}

        def put(i):
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                c.putrequest("PUT", "/" + slots[i]["url"].split("/", 3)[3])
                c.putheader("Content-Length", str(len(zips[i])))
                c.endheaders()
                for at in range(0, len(zips[i]), 64 << 10):
                    c.send(zips[i][at:at + (64 << 10)])
                    time.sleep(0.02)
                results[i] = c.getresponse().status
            finally:
                c.close()
        threads = [threading.Thread(target=put, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results.values()), [200, 507], results)
        self.assertEqual(self.stats()["store.used_bytes"] - empty, len(zips[0]), "one ZIP stored")
        self.wait_for(lambda: os.listdir(f"{self.data}/incoming") == [], 10, "the refused PUT's .part removed")

    def test_forwarded_for_only_from_trusted_proxy(self):
        self.start_server("--rate", "2", "--trusted-proxy", "127.0.0.2")
        # not a trusted proxy: X-Forwarded-For is ignored, the socket address counts
        codes = [self.start(10, steamid="0", headers={"X-Forwarded-For": f"10.0.0.{i}"})[0] for i in range(4)]
        self.assertEqual(codes, [200, 200, 429, 429])
        # the trusted proxy: the client it forwarded counts, not what the client claimed
        via = lambda xff: self.start(10, source="127.0.0.2", steamid="0", headers={"X-Forwarded-For": xff})
        self.assertEqual([via("10.1.0.1")[0] for _ in range(3)], [200, 200, 429])
        self.assertEqual(via("10.1.0.1, 10.1.0.2")[0], 200)
        self.assertEqual(via("10.1.0.9, 10.1.0.2")[0], 200)
        self.assertEqual(via("10.1.0.9, 10.1.0.2")[0], 429, "the leftmost, client-chosen address does not count")
        status, ans = via("10.1.0.3, 127.0.0.2")
        self.assertEqual(status, 200, "trusted proxies in the chain are skipped")
        self.assertEqual(self.put(ans, b"x" * 10), 200)
        self.assertEqual(self.finish(ans["gid"]), 200)
        self.assertEqual(json.loads(self.api(f"/api/reports/{ans['gid']}")[1])["remote"], "10.1.0.3")

    # ---- device data is data ----

    def test_device_text_is_escaped_on_the_terminal(self):
        self.start_server("--rate", "0")
        evil = "\x1b]0;pwned\x07\x1b[2J\r\nGID: 1\u202e\u009b"
        data = report_zip("evil", title="panic " + evil, extra=[("m\x1b[31m", b"")])
        gid = self.upload(data, product="holo" + evil, note="n" + evil, steamid="7656" + "\x1b[1m")
        for args in (["list"], ["show", gid]):
            out = subprocess.run([SERVER, "--data", self.data, *args], capture_output=True)
            self.assertEqual(out.returncode, 0)
            self.assertNotIn(b"\x1b", out.stdout, args)
            self.assertNotIn(b"\r", out.stdout, args)
            self.assertNotIn("\u202e".encode(), out.stdout, args)
            self.assertIn(b"panic \\x1b]0;pwned\\x07", out.stdout, args)
        out = subprocess.run([SERVER, "--data", self.data, "list", "--json"], capture_output=True)
        self.assertEqual(out.returncode, 0)
        for raw in (b"\x1b", b"\r", "\u202e".encode(), "\u009b".encode()):
            self.assertNotIn(raw, out.stdout, "list --json")
        self.assertEqual(json.loads(out.stdout)[0]["title"], "panic " + evil)
        detail = json.loads(self.api(f"/api/reports/{gid}")[1])
        self.assertEqual(detail["title"], "panic " + evil, "the JSON API keeps the text, escaped as JSON")

    def test_invalid_utf8_and_long_fields(self):
        self.start_server("--rate", "0")
        body = (b"steamid=0&have_dump_file=1&dump_file_size=10&product=holo%FF%C0&build=1&version=6.1"
                b"&platform=linux&crash_time=1&note=" + b"x" * (100 << 10))
        status, _, ans = self.request("POST", START, body, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)
        ans = json.loads(ans)["response"]
        self.assertEqual(self.put(ans, b"0123456789"), 200)
        self.assertEqual(self.finish(ans["gid"]), 200)
        reports = json.loads(self.api("/api/reports")[1])
        self.assertEqual(len(reports), 1, "a report with bytes that are not UTF-8 is still listed")
        self.assertEqual(reports[0]["product"], "holo\ufffd\ufffd")
        self.assertEqual(len(json.loads(self.api(f"/api/reports/{ans['gid']}")[1])["note"]), 64 << 10)
        status, ans = self.start(10, steamid="9" * 65)
        self.assertEqual(status, 400)
        status, _, _ = self.request("POST", START, b"note=" + b"x" * (300 << 10),
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 413)

    def test_report_json_fields_are_bounded(self):
        """A device's report.json is device text like the Start fields: a 1 KB
        upload with a 1 MB title (all of it in every list and bucket page)
        is stored cut to 1 KiB, and valid UTF-8; the other analysis fields
        to 256 bytes."""
        self.start_server("--rate", "0")
        rep = {"schema": 1, "id": "big", "analysis": {"title": "\U0001f4a5" * 250000, "type": "T" * 5000,
                                                       "frame": "f" * 5000, "module": "m" * 5000,
                                                       "signature": "v1:" + "0" * 5000}}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("report.json", json.dumps(rep, ensure_ascii=False))
            z.writestr("dmesg.txt", "x")
        self.assertLess(len(buf.getvalue()), 16 << 10)
        gid = self.upload(buf.getvalue())
        (row,) = json.loads(self.api("/api/reports")[1])
        self.assertLessEqual(len(row["title"].encode()), 1024)
        self.assertEqual(row["title"], "\U0001f4a5" * 256, "cut at a character")
        detail = json.loads(self.api(f"/api/reports/{gid}")[1])
        for key in ("type", "frame", "module", "signature"):
            self.assertLessEqual(len(detail[key].encode()), 256, key)

    def test_concurrent_put_of_one_slot(self):
        self.start_server("--rate", "0")
        data = report_zip("slot")
        status, ans = self.start(len(data))
        self.assertEqual(status, 200)
        path = "/" + ans["url"].split("/", 3)[3]
        # the first PUT sends half its body and waits
        c1 = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c1.putrequest("PUT", path)
        c1.putheader("Content-Length", str(len(data)))
        c1.endheaders()
        c1.send(data[:len(data) // 2])
        time.sleep(0.5)
        garbage = os.urandom(len(data))
        self.assertEqual(self.put(ans, garbage), 409, "a second PUT of the slot is refused while the first runs")
        c1.send(data[len(data) // 2:])
        self.assertEqual(c1.getresponse().status, 200)
        c1.close()
        self.assertEqual(self.finish(ans["gid"]), 200)
        self.assertEqual(self.api(f"/api/reports/{ans['gid']}/zip")[1], data)

    def test_refused_put_is_answered_before_its_body(self):
        """A PUT the receiver refuses (here: a bad signature, a used slot) is
        answered at its headers when the client asks "Expect: 100-continue"
        (curl does, for a large body): it gets the refusal instead of the
        go-ahead and sends nothing. Before, it got "100 Continue" and sent its
        whole ZIP to hear it was refused (attack review: 5 MB sent for a
        403). A client that does not ask still hears the refusal."""
        self.start_server("--rate", "0")
        size = 8 << 20
        status, ans = self.start(size)
        self.assertEqual(status, 200)
        path = "/" + ans["url"].split("/", 3)[3]
        bad = path[:-1] + ("0" if path[-1] != "0" else "1")

        def first_line(p):
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                sock.sendall(f"PUT {p} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n"
                             "Content-Type: application/zip\r\nExpect: 100-continue\r\n\r\n".encode())
                return sock.makefile("rb").readline().decode().strip()

        self.assertEqual(first_line(bad), "HTTP/1.1 403 Forbidden")
        # a client that sends its body at once (kcrash's uploader turns
        # "Expect:" off) hears the refusal after it: answered before, with
        # the connection closed under the body still coming, its send failed
        # (broken pipe, reset) and the 403 was lost
        for _ in range(3):
            self.assertEqual(self.request("PUT", bad, os.urandom(size), {"Content-Type": "application/zip"})[0], 403)
        # the right URL still gets the go-ahead (and the slot stays usable)
        self.assertEqual(first_line(path), "HTTP/1.1 100 Continue")
        data = os.urandom(size)
        self.assertEqual(self.put(ans, data), 200)
        self.assertEqual(first_line(path), "HTTP/1.1 409 Conflict")
        # HTTP/1.0 has no "100 Continue" (RFC 9110 10.1.1): its Expect is
        # ignored, and its body, sent at once, read before the answer (it
        # got a broken pipe instead)
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(f"PUT {bad} HTTP/1.0\r\nContent-Length: {size}\r\nExpect: 100-continue\r\n\r\n".encode())
            sock.sendall(os.urandom(size))
            self.assertEqual(sock.makefile("rb").readline().decode().strip(), "HTTP/1.1 403 Forbidden")
        # a body of no announced length (chunked) is not read for as long as
        # it comes: the refusal comes first
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(f"PUT {bad} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
            sock.sendall(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
            self.assertTrue(sock.makefile("rb").readline().decode().startswith("HTTP/1.1 4"))
        self.assertEqual(self.stats().get("rejects.put_bad_signature"), 6)

    def test_a_device_cannot_break_its_report_page(self):
        """A crash time no browser can show (toISOString() threw) is stored as
        unknown, and the device's analysis reaches the console with only the
        strings of an array as its frames and a string as its frame: the
        report page threw on frames that were not an array, or objects, and
        showed only an error, hiding the report from staff (attack review)."""
        self.start_server("--rate", "0")
        rep = {"schema": 1, "id": "hostile", "analysis": {"title": "BUG: x", "frames": "not-an-array",
                                                         "frame": {"toString": 0}}}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("report.json", json.dumps(rep))
        gid = self.upload(buf.getvalue(), crash_time="9999999999999")
        status, body = self.api(f"/api/reports/{gid}")
        self.assertEqual(status, 200)
        detail = json.loads(body)
        self.assertEqual(detail["crash_time"], 0)
        self.assertEqual(detail["analysis"]["frames"], [])
        self.assertNotIn("frame", detail["analysis"])
        self.assertEqual(detail["analysis"]["title"], "BUG: x")
        rep["analysis"]["frames"] = ["ok_frame+0x1/0x2", {"toString": 0}, 7]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("report.json", json.dumps(rep))
        gid = self.upload(buf.getvalue(), crash_time="-5")
        detail = json.loads(self.api(f"/api/reports/{gid}")[1])
        self.assertEqual(detail["crash_time"], 0)
        self.assertEqual(detail["analysis"]["frames"], ["ok_frame+0x1/0x2"])

    def test_ambiguous_framing_and_unauthenticated_bodies_are_refused_unread(self):
        """A request whose end two readers may see in two places (two
        Content-Lengths, or one with Transfer-Encoding) is answered 400 and
        its connection closed: the rest was read as a second request (a
        smuggled GET answered 200, a smuggled API call 401). A POST to the API
        from no one it knows is answered 401 before its body, which was held
        in memory up to 256 KiB a connection; a login's body is small."""
        self.start_server("--rate", "0")

        def exchange(raw, body_follows=b""):
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                sock.sendall(raw)
                if body_follows:
                    try:
                        sock.sendall(body_follows)
                    except OSError:
                        pass
                out = b""
                while True:
                    try:
                        chunk = sock.recv(65536)
                    except ConnectionResetError:
                        break
                    if not chunk:
                        break
                    out += chunk
                return out

        smuggled = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        two_lengths = (b"POST /finish HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: %d\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n\r\ngid=1" % (5 + len(smuggled)))
        out = exchange(two_lengths + smuggled)
        self.assertTrue(out.startswith(b"HTTP/1.1 400 "), out)
        self.assertIn(b"ambiguous_framing", out)
        self.assertEqual(out.count(b"HTTP/1.1 "), 1, out)
        with_chunks = (b"POST /finish HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n\r\n0\r\n\r\n")
        out = exchange(with_chunks + b"GET /api/stats HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400 "), out)
        self.assertEqual(out.count(b"HTTP/1.1 "), 1, out)
        # a field name that is no token ("Transfer-Encoding :"), which a proxy
        # may read as the one it resembles
        for name in (b"Transfer-Encoding :chunked", b"Transfer-Encoding\t:chunked", b"Content-Length :40"):
            out = exchange(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n" + name + b"\r\n\r\nabcde" + smuggled)
            self.assertTrue(out.startswith(b"HTTP/1.1 400 "), (name, out))
            self.assertEqual(out.count(b"HTTP/1.1 "), 1, (name, out))
        # the answer comes without the body: none of it is sent here
        head = b"POST /api/buckets/1/note HTTP/1.1\r\nHost: x\r\nContent-Length: 262144\r\n\r\n"
        out = exchange(head)
        self.assertTrue(out.startswith(b"HTTP/1.1 401 "), out)
        self.assertIn(b"admin_unauthorized", out)
        # a login of more than a user name and a password
        status, _, body = self.request("POST", "/api/login", b"user=a&password=" + b"x" * 8192,
                                       {"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": "1"})
        self.assertEqual(status, 413, body)
        # one request framed once still works, on a connection kept open
        self.assertEqual(self.request("GET", "/")[0], 200)
        self.assertEqual(self.stats().get("rejects.ambiguous_framing"), 5)

    def test_a_failed_sync_refuses_uploads_as_deferrable(self):
        """After a failed sync of the store (DIR/sync-failed), a Start is
        answered 507, which devices defer without counting toward parking,
        before any ZIP is sent; once the operator removed the file (and
        restarted), uploads go on."""
        self.start_server("--rate", "0")
        open(f"{self.data}/sync-failed", "w").close()
        status, ans = self.start(1000)
        self.assertEqual(status, 507)
        self.assertEqual(ans.get("error"), "store_sync_failed")
        os.unlink(f"{self.data}/sync-failed")
        self.upload(report_zip("after"))

    def test_finish_while_another_process_holds_the_store_is_retried(self):
        """A Finish the store cannot take now (another process, the CLI's
        retention, holds its write lock past the busy timeout) is answered 503
        with Retry-After, which devices retry; it was 409, which they take as
        final and park the report for good (attack review)."""
        import sqlite3
        self.start_server("--rate", "0")
        data = report_zip("busy")
        status, ans = self.start(len(data))
        self.assertEqual(status, 200)
        self.assertEqual(self.put(ans, data), 200)
        db = sqlite3.connect(f"{self.data}/index.sqlite", timeout=30, isolation_level=None)
        # held until the answer came (the server's busy timeout is 5 s): a
        # lock released on a timer raced a slow Finish (CI of 95fc4fa under
        # ASan: the Finish began late and got the lock, 200)
        db.execute("BEGIN IMMEDIATE")
        try:
            status = self.finish(ans["gid"], timeout=60)
        finally:
            db.execute("COMMIT")
            db.close()
        self.assertEqual(status, 503)
        self.assertEqual(self.finish(ans["gid"]), 200)

    def test_starts_count_toward_the_store_and_go_when_their_url_expires(self):
        """A Start's long fields are stored at once, so they count toward
        --max-store-size (attack review: Starts never PUT, each with up to
        384 KiB of fields, held ~1.9 GB of index per address, uncounted), and
        a Start never PUT is swept once its URL has expired, not at twice
        --slot-ttl; one whose PUT is under way then is kept."""
        self.start_with_quota(100 << 10, "--rate", "0", "--slot-ttl", "5")
        begun = time.monotonic()
        stack = "x" * 60000
        s1, a1 = self.start(10, steamid="1", stack=stack)
        self.assertEqual(s1, 200, a1)
        s2, a2 = self.start(10, steamid="2", stack=stack)
        self.assertEqual((s2, a2.get("error")), (507, "store_full"), "the first Start's fields leave no room")
        # a slow PUT, under way when its URL expires
        data = report_zip("slow")
        s3, a3 = self.start(len(data), steamid="3")
        self.assertEqual(s3, 200, a3)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.putrequest("PUT", "/" + a3["url"].split("/", 3)[3])
        c.putheader("Content-Length", str(len(data)))
        c.putheader("Content-Type", "application/zip")
        c.endheaders()
        c.send(data[:len(data) // 2])
        # the sweeper runs every 5 s: the first Start goes at the sweep after
        # 5 + 2 s (twice --slot-ttl would keep it until the sweep after 10 s)
        self.wait_for(lambda: self.stats().get("reports.started") == 1, 12.5 - (time.monotonic() - begun),
                      "the sweep of the Start whose URL expired")
        c.send(data[len(data) // 2:])
        self.assertEqual(c.getresponse().status, 200, "the PUT under way kept its slot")
        c.close()
        self.assertEqual(self.finish(a3["gid"]), 200)
        # room again; a report PUT keeps its fields in the index for good
        self.upload(report_zip("long"), steamid="4", stack=stack)
        status, ans = self.start(10, steamid="5", stack=stack)
        self.assertEqual((status, ans.get("error")), (507, "store_full"), "a finished report's fields count")

    def test_pending_starts_per_address_are_bounded(self):
        """One address holds at most 32 Starts not yet PUT (each keeps up to
        384 KiB of fields that count toward --max-store-size): the next is
        answered 429 for that address alone."""
        self.start_server("--rate", "0")
        answers = [self.start(10, steamid=str(i)) for i in range(32)]
        self.assertEqual([status for status, _ in answers], [200] * 32)
        status, hdrs, body = self.request("POST", START, urllib.parse.urlencode(
            {"steamid": "99", "have_dump_file": "1", "dump_file_size": "10"}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((status, json.loads(body)["error"], hdrs.get("Retry-After")),
                         (429, "too_many_pending_starts", "300"))
        self.assertEqual(self.start(10, steamid="100", source="127.0.0.2")[0], 200, "another address")
        # a PUT frees a place
        self.assertEqual(self.put(answers[0][1], b"0123456789"), 200)
        self.assertEqual(self.start(10, steamid="101")[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
