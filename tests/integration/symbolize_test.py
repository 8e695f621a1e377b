#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""kcrashctl symbolize on the VM test module built here with debug info
(tests/vm/crashme against the installed kernel headers): each crash frame
resolves to the crashme.c line of its symbolize-line marker, through a
directory laid out by build id and through a real debuginfod on 127.0.0.1;
hostile or mismatched debug files give a per-frame error, never a crash."""

import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crashme_ko  # noqa: E402
from submit_test import FINISH, SERVER, START, free_port, start_receiver, stop_receiver  # noqa: E402

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
TMP = tempfile.mkdtemp(prefix="kcrash-symbolize-")
KO, WHY = crashme_ko.build(os.path.join(TMP, "crashme"))


# docs/cli-json.md, kcrashctl symbolize --json
FRAME_SCHEMA = {"function": str, "offset": int, "size": int, "module": (str, type(None)),
                "build_id": (str, type(None)), "exact": bool, "unreliable": bool, "log_line": int, "locations": list,
                "error": (str, type(None)), "debug_file": (str, type(None))}
LOCATION_SCHEMA = {"function": str, "file": str, "line": int, "column": int}


def oops(frames, header="BUG: kernel NULL pointer dereference, address: 0000000000000000"):
    """A kernel log around the given RIP and call-trace frames."""
    rip, *trace = frames
    lines = [header, "Oops: 0002 [#1] PREEMPT SMP NOPTI", f"RIP: 0010:{rip}", "Call Trace:", " <TASK>"]
    lines += [f" {f}" for f in trace] + [" proc_reg_write+0x56/0xa0", " </TASK>"]
    return "".join(f"[    5.{i:06d}] {l}\n" for i, l in enumerate(lines))


@unittest.skipIf(KO is None, f"SKIPPED: {WHY}")
class SymbolizeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.id = crashme_ko.build_id(KO)
        cls.frames = crashme_ko.crash_frames(KO)
        cls.dbg = os.path.join(TMP, "debug")
        os.makedirs(f"{cls.dbg}/.build-id/{cls.id[:2]}")
        shutil.copy(KO, f"{cls.dbg}/.build-id/{cls.id[:2]}/{cls.id[2:]}.debug")

    def symbolize(self, log, *args, env=None):
        path = os.path.join(TMP, "log.txt")
        with open(path, "w") as f:
            f.write(log)
        p = subprocess.run([KCRASHCTL, "symbolize", path, "--json", *args], capture_output=True, text=True,
                           env=env, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        frames = json.loads(p.stdout)["frames"]
        for f in frames:
            self.assertEqual(set(f), set(FRAME_SCHEMA), f)
            for k, t in FRAME_SCHEMA.items():
                self.assertIsInstance(f[k], t, k)
            for loc in f["locations"]:
                self.assertEqual(set(loc), set(LOCATION_SCHEMA), loc)
                for k, t in LOCATION_SCHEMA.items():
                    self.assertIsInstance(loc[k], t, k)
            self.assertTrue(bool(f["locations"]) != bool(f["error"]), f)
        return frames

    def assert_line(self, frame, marker):
        self.assertIsNone(frame["error"], frame)
        loc = frame["locations"][0]
        self.assertEqual(os.path.basename(loc["file"]), "crashme.c", frame)
        self.assertEqual(loc["line"], crashme_ko.marker_line(marker), frame)

    def check_all(self, *args, env=None, with_ids=False):
        tag = f" [crashme {self.id}]" if with_ids else ""
        for mode, header in (("null", "BUG: kernel NULL pointer dereference, address: 0000000000000000"),
                             ("bug", "kernel BUG at crashme.c:21!"),
                             ("warn", "WARNING: CPU: 0 PID: 150 at crashme.c:26 kcrash_test_warn")):
            frames = [self.frames[mode].replace(" [crashme]", tag or " [crashme]"),
                      self.frames["call-null"].replace(" [crashme]", tag or " [crashme]")]
            got = self.symbolize(oops(frames, header), *args, env=env)
            self.assertEqual(len(got), 3, got)
            self.assertTrue(got[0]["exact"])
            self.assert_line(got[0], mode)
            # the call trace holds return addresses: the call's line, not the next one
            self.assertFalse(got[1]["exact"])
            self.assert_line(got[1], "call-null")
            self.assertEqual(got[1]["locations"][-1]["function"], "crashme_write")
            # vmlinux: the log carries no build id for it, and none was given
            self.assertEqual(got[2]["locations"], [])
            self.assertIn("no build id for the kernel", got[2]["error"])

    def test_directory_with_build_id_argument(self):
        self.check_all("--debuginfo", self.dbg, "--build-id", f"crashme={self.id}")

    def test_directory_with_build_ids_printed_by_the_kernel(self):
        """CONFIG_STACKTRACE_BUILD_ID: "[crashme <id>]" in every module frame."""
        self.check_all("--debuginfo", self.dbg, with_ids=True)

    def test_report_zip(self):
        log = oops([self.frames["null"], self.frames["call-null"]])
        report = {"schema": 1, "upload": {"note": log},
                  "build_ids": {"vmlinux": None, "modules": [{"name": "crashme", "id": self.id, "source": "installed"},
                                                             {"name": "../x", "id": "zz", "source": "x"}]}}
        path = os.path.join(TMP, "r.zip")
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("report.json", json.dumps(report))
        p = subprocess.run([KCRASHCTL, "symbolize", path, "--debuginfo", self.dbg], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"crashme.c:{crashme_ko.marker_line('null')}", p.stdout)
        self.assertIn(f"crashme.c:{crashme_ko.marker_line('call-null')}", p.stdout)

    def test_debuginfod(self):
        if not shutil.which("debuginfod"):
            self.skipTest("SKIPPED: debuginfod (Debian package debuginfod) is not installed")
        served = os.path.join(TMP, "served")
        os.makedirs(served, exist_ok=True)
        shutil.copy(KO, served)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        server = subprocess.Popen(["debuginfod", "-F", "-p", str(port), "-d", os.path.join(TMP, "debuginfod.sqlite"),
                                   "-t", "0", "-g", "0", "-c", "1", served],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(600):  # it scans in the background: wait until it serves the module
                try:
                    with urllib.request.urlopen(f"{url}/buildid/{self.id}/debuginfo", timeout=5) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                self.fail("debuginfod never served crashme.ko")
            env = dict(os.environ, DEBUGINFOD_CACHE_PATH=os.path.join(TMP, "dcache"), DEBUGINFOD_URLS="")
            self.check_all("--debuginfod-urls", url, "--build-id", f"crashme={self.id}", env=env)
            # an id the server does not have: a per-frame answer
            other = "ab" * 20
            got = self.symbolize(oops([self.frames["null"], self.frames["call-null"]]), "--debuginfod-urls", url,
                                 "--build-id", f"crashme={other}", env=env)
            self.assertIn(f"no debug info for build id {other}", got[0]["error"])
        finally:
            stop_receiver(server)

    def hostile(self, content_or_fifo):
        """A debug tree whose file for the module's build id is content_or_fifo."""
        d = tempfile.mkdtemp(dir=TMP)
        os.makedirs(f"{d}/.build-id/{self.id[:2]}")
        path = f"{d}/.build-id/{self.id[:2]}/{self.id[2:]}.debug"
        if content_or_fifo is None:
            os.mkfifo(path)
        else:
            with open(path, "wb") as f:
                f.write(content_or_fifo)
        return self.symbolize(oops([self.frames["null"], self.frames["call-null"]]), "--debuginfo", d,
                              "--build-id", f"crashme={self.id}")

    def test_hostile_debug_files(self):
        with open(KO, "rb") as f:
            ko = f.read()
        # truncated ELF: at every one of these cuts, a per-frame error
        for cut in (0, 10, 64, 1000, len(ko) // 2, len(ko) - 100):
            got = self.hostile(ko[:cut])
            self.assertEqual(got[0]["locations"], [], cut)
            self.assertTrue(got[0]["error"], cut)
        # another ELF at the path of this build id
        with open("/proc/self/exe", "rb") as f:
            got = self.hostile(f.read())
        self.assertRegex(got[0]["error"], f"has (build id [0-9a-f]+, not {self.id}|no build id)")
        # a FIFO where the file belongs neither blocks nor counts
        got = self.hostile(None)
        self.assertIn("not a regular file", got[0]["error"])

    def test_mismatched_and_missing(self):
        # the symbol is another size in this file than in the log: not the build that crashed
        frame = self.frames["null"].rsplit("/", 1)[0] + "/0x7777 [crashme]"
        got = self.symbolize(oops([frame, self.frames["call-null"]]), "--debuginfo", self.dbg,
                             "--build-id", f"crashme={self.id}")
        self.assertIn("not the build that crashed", got[0]["error"])
        self.assert_line(got[1], "call-null")
        # a function the file does not have
        got = self.symbolize(oops(["no_such_function+0x5/0x20 [crashme]", self.frames["call-null"]]),
                             "--debuginfo", self.dbg, "--build-id", f"crashme={self.id}")
        self.assertIn("no symbol no_such_function", got[0]["error"])
        # no file for that build id in the tree
        got = self.symbolize(oops([self.frames["null"], self.frames["call-null"]]), "--debuginfo", self.dbg,
                             "--build-id", f"crashme={'cd' * 20}")
        self.assertIn(f"no debug info for build id {'cd' * 20}", got[0]["error"])

    def test_usage(self):
        p = subprocess.run([KCRASHCTL, "symbolize", "/dev/null"], capture_output=True, text=True,
                           env=dict(os.environ, DEBUGINFOD_URLS=""))
        self.assertEqual(p.returncode, 2)
        self.assertIn("--debuginfo", p.stderr)
        p = subprocess.run([KCRASHCTL, "symbolize", "/dev/null", "--debuginfo", TMP, "--build-id", "crashme=XYZ"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)


@unittest.skipIf(KO is None, f"SKIPPED: {WHY}")
class ServerSymbolizeTest(unittest.TestCase):
    """kcrash-server --debuginfo: the stack of a report is symbolized on its
    first view, stored, and served by the API and `show`."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=TMP)
        self.data = f"{self.tmp}/store"
        self.token = f"{self.tmp}/token"
        with open(self.token, "w") as f:
            f.write("t0ken\n")
        self.id = crashme_ko.build_id(KO)
        self.frames = crashme_ko.crash_frames(KO)
        self.dbg = f"{self.tmp}/debug"
        os.makedirs(f"{self.dbg}/.build-id/{self.id[:2]}")
        shutil.copy(KO, f"{self.dbg}/.build-id/{self.id[:2]}/{self.id[2:]}.debug")
        self.port = free_port()
        self.server = None

    def tearDown(self):
        if self.server:
            stop_receiver(self.server)

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def upload(self, data):
        form = {"steamid": "76561198000000001", "have_dump_file": "1", "dump_file_size": str(len(data)),
                "product": "holo", "build": "1", "version": "6.1", "platform": "linux", "crash_time": "1",
                "format": "json"}
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        status, body = self.request("POST", START, urllib.parse.urlencode(form).encode(), h)
        self.assertEqual(status, 200, body)
        ans = json.loads(body)["response"]
        put = "/" + ans["url"].split("/", 3)[3]
        status, _ = self.request("PUT", put, data, {p["name"]: p["value"] for p in ans["headers"]["pairs"]})
        self.assertEqual(status, 200)
        self.assertEqual(self.request("POST", FINISH, f"gid={ans['gid']}".encode(), h)[0], 200)
        return ans["gid"]

    def report(self, note):
        rep = {"schema": 1, "id": "r1", "analysis": {"title": "BUG: kernel NULL pointer dereference in kcrash_test_null",
                                                     "type": "NULL-POINTER-DEREFERENCE"},
               "upload": {"note": note},
               "build_ids": {"vmlinux": None,
                             "modules": [{"name": "crashme", "id": self.id, "source": "installed"}]}}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("report.json", json.dumps(rep))
            z.writestr("dmesg-pstore.202611300000.txt", note)
        return buf.getvalue()

    def api(self, path):
        return self.request("GET", path, headers={"Authorization": "Bearer t0ken"})

    def test_symbolized_on_first_view(self):
        self.server = start_receiver(self.port, self.data, self.token, "--rate", "0", "--debuginfo", self.dbg)
        # hostile device text in the crash report: escaped by show
        note = oops([self.frames["null"], self.frames["call-null"]]) + "\x1b]0;owned\x07 evil+0x1/0x2 [crashme]\n"
        gid = self.upload(self.report(note))
        self.assertFalse(os.path.exists(f"{self.data}/symbolized/{gid}.json"), "symbolized before any view")
        status, body = self.api(f"/api/reports/{gid}/symbolized")
        self.assertEqual(status, 200, body)
        frames = json.loads(body)["frames"]
        self.assertEqual(frames[0]["locations"][0]["line"], crashme_ko.marker_line("null"))
        self.assertEqual(frames[1]["locations"][0]["line"], crashme_ko.marker_line("call-null"))
        self.assertTrue(os.path.exists(f"{self.data}/symbolized/{gid}.json"))
        detail = json.loads(self.api(f"/api/reports/{gid}")[1])
        self.assertEqual(detail["symbolized"]["frames"][0]["locations"][0]["line"], crashme_ko.marker_line("null"))
        # buckets do not change with symbolization
        self.assertEqual(detail["title"], "BUG: kernel NULL pointer dereference in kcrash_test_null")
        stop_receiver(self.server)
        self.server = None
        # show, without --debuginfo now: the stored result
        out = subprocess.run([SERVER, "--data", self.data, "show", gid], capture_output=True, text=True,
                             check=True).stdout
        self.assertIn("Symbolized stack:", out)
        self.assertIn(f"crashme.c:{crashme_ko.marker_line('null')}", out)
        self.assertNotIn("\x1b", out)

    def test_not_stored_until_a_frame_resolves(self):
        """Debug info added after the first view counts."""
        empty = f"{self.tmp}/empty"
        os.makedirs(empty)
        self.server = start_receiver(self.port, self.data, self.token, "--rate", "0", "--debuginfo", empty,
                                     "--debuginfo", self.dbg + "-later")
        gid = self.upload(self.report(oops([self.frames["null"], self.frames["call-null"]])))
        frames = json.loads(self.api(f"/api/reports/{gid}/symbolized")[1])["frames"]
        self.assertIn(f"no debug info for build id {self.id}", frames[0]["error"])
        self.assertFalse(os.path.exists(f"{self.data}/symbolized/{gid}.json"))
        shutil.copytree(self.dbg, self.dbg + "-later")
        frames = json.loads(self.api(f"/api/reports/{gid}/symbolized")[1])["frames"]
        self.assertEqual(frames[0]["locations"][0]["line"], crashme_ko.marker_line("null"))
        self.assertTrue(os.path.exists(f"{self.data}/symbolized/{gid}.json"))

    def test_without_debug_info(self):
        self.server = start_receiver(self.port, self.data, self.token, "--rate", "0")
        gid = self.upload(self.report(oops([self.frames["null"], self.frames["call-null"]])))
        self.assertEqual(self.api(f"/api/reports/{gid}/symbolized")[0], 404)
        self.assertIsNone(json.loads(self.api(f"/api/reports/{gid}")[1])["symbolized"])
        out = subprocess.run([SERVER, "--data", self.data, "show", gid], capture_output=True, text=True,
                             check=True).stdout
        self.assertNotIn("Symbolized stack:", out)


if __name__ == "__main__":
    if KO is None:
        print(f"SKIPPED: {WHY}")
        shutil.rmtree(TMP, ignore_errors=True)
        raise SystemExit(77)
    try:
        unittest.main(verbosity=2)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
