#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 16: reports of real SteamOS devices. A stand-in for SteamOS's shell
uploader (steamos-uploader.sh: the same member names, three curl steps and
unencoded form body) uploads real pstore and kdump records of
tests/fixtures to kcrash-server over loopback. The receiver must analyse the
ZIP's crash text itself, exactly as `kcrashctl analyze` does, take the
crashed kernel from it, keep the unencoded form as it was sent, and show the
crash text byte for byte."""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from submit_test import FINISH, SERVER, START, free_port, start_receiver, stop_receiver  # noqa: E402

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
FIXTURES = os.environ.get("KCRASH_FIXTURES", "tests/fixtures")
UPLOADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "steamos-uploader.sh")
OS_RELEASE = 'NAME="SteamOS"\nID=steamos\nVARIANT_ID=steamdeck\nBUILD_ID=20231115.1\n'
DMI = "# dmidecode 3.5\nSystem Information\n\tManufacturer: Valve\n\tProduct Name: Jupiter\n"


def fixture(*parts):
    with open(os.path.join(FIXTURES, *parts), "rb") as f:
        return f.read()


def analyze(data):
    """kcrashctl analyze --json of a record."""
    p = subprocess.run([KCRASHCTL, "analyze", "--json", "-"], input=data, capture_output=True, check=True)
    return json.loads(p.stdout)


class SteamOSUploads(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-steamos-")
        self.data = f"{self.tmp}/store"
        with open(f"{self.tmp}/token", "w") as f:
            f.write("t0ken\n")
        with open(f"{self.tmp}/os-release", "w") as f:
            f.write(OS_RELEASE)
        with open(f"{self.tmp}/dmidecode", "w") as f:
            f.write(f"#!/bin/sh\nprintf '%s' '{DMI}'\n")
        os.chmod(f"{self.tmp}/dmidecode", 0o755)
        self.port = free_port()
        self.server = start_receiver(self.port, self.data, f"{self.tmp}/token")

    def tearDown(self):
        stop_receiver(self.server)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def api(self, path):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                     headers={"Authorization": "Bearer t0ken"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def cli(self, *args):
        return subprocess.run([SERVER, "--data", self.data, *args], capture_output=True, check=True).stdout

    def device(self, pstore=(), kdump=None):
        """A device folder: pstore records as (name, bytes), or a kdump
        capture as (stamp, dmesg bytes)."""
        dev = tempfile.mkdtemp(dir=self.tmp)
        os.makedirs(f"{dev}/pstore")
        os.makedirs(f"{dev}/kdump")
        for name, data in pstore:
            with open(f"{dev}/pstore/{name}", "wb") as f:
                f.write(data)
        if kdump:
            os.makedirs(f"{dev}/kdump/crash/{kdump[0]}")
            with open(f"{dev}/kdump/crash/{kdump[0]}/dmesg.txt", "wb") as f:
                f.write(kdump[1])
        return dev

    def upload(self, dev):
        base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PSTORE_DIR=f"{dev}/pstore", KDUMP_DIR=f"{dev}/kdump", OS_RELEASE=f"{self.tmp}/os-release",
                   STEAM_ID="76561198000000042", START_URL=base + START, FINISH_URL=base + FINISH,
                   DMIDECODE=f"{self.tmp}/dmidecode")
        p = subprocess.run(["sh", UPLOADER], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        gid = p.stdout.strip()
        self.assertTrue(gid.isdigit(), p.stdout)
        sent = os.listdir(f"{dev}/kdump/sent_logs")
        self.assertEqual(len(sent), 1)
        with zipfile.ZipFile(f"{dev}/kdump/sent_logs/{sent[0]}") as z:
            members = z.namelist()
        return gid, members

    def assert_analysed_as(self, gid, record, member):
        """The stored report of gid carries kcrashctl analyze's result for
        record, and shows record byte for byte."""
        want = analyze(record)
        self.assertNotEqual(want["title"], "")
        r = json.loads(self.api(f"/api/reports/{gid}"))
        self.assertEqual(r["state"], "finished")
        self.assertEqual(r["client"], "unencoded")
        self.assertEqual(r["crash_member"], member)
        self.assertEqual(r["analysis_state"], f"crash text from {member}")
        for key in ("title", "type", "signature", "frame", "module"):
            self.assertEqual(r[key], want[key], key)
        self.assertEqual(r["version"], want["kernel"])
        self.assertEqual(r["sent_version"], os.uname().release, "the shell client sends uname -r after the reboot")
        self.assertEqual(r["analysis"], want)
        # the crash text: byte for byte through the API (JSON and raw) and show
        self.assertTrue(r["crash_text"].encode() == record, "the API's crash_text is the record")
        self.assertTrue(self.api(f"/api/reports/{gid}/crash-text") == record, "crash-text is the record")
        out = self.cli("show", gid)
        head = f"Crash text: {member}, {len(record)} bytes:\n".encode()
        self.assertTrue(head in out, out[:2000])
        start = out.index(head) + len(head)
        self.assertTrue(out[start:start + len(record)] == record, "show prints the record byte for byte")
        for line in (f"Title:      {want['title']}", f"Type:       {want['type']}",
                     f"Signature:  {want['signature']}", f"Kernel:     {want['kernel']}"):
            self.assertIn(line.encode(), out)
        # the filters find it, by the ZIP's analysis
        for q in ({"title": want["title"][:20]}, {"signature": want["signature"]}, {"version": want["kernel"]},
                  {"steamid": "76561198000000042"}, {"build": "20231115.1"}):
            rows = json.loads(self.api("/api/reports?" + urllib.parse.urlencode(q)))
            self.assertIn(gid, [x["gid"] for x in rows], q)
        self.assertIn(want["title"].encode(), self.cli("list"))
        return r

    def test_pstore_sysrq_panic(self):
        record = fixture("pstore-ramoops-sysrq-panic", "pstore", "dmesg-ramoops-0")
        gid, members = self.upload(self.device(pstore=[("dmesg-ramoops-0", record)]))
        stamp = [m for m in members if m.startswith("version.")][0].split(".", 1)[1]
        self.assertEqual(sorted(members), sorted([f"dmesg-pstore.{stamp}-0", f"dmidecode.{stamp}", f"build.{stamp}",
                                                  f"version.{stamp}", f"crash_summary.{stamp}"]))
        r = self.assert_analysed_as(gid, record, f"dmesg-pstore.{stamp}-0")
        self.assertEqual(r["title"], "kernel panic: sysrq triggered crash")
        # what the client sent, as received: nothing decoded, nothing lost
        self.assertIn("note=", r["form_raw"])
        self.assertIn("+0x", r["form_raw"])
        self.assertIn("sysrq_handle_crash", r["stack"])

    def test_oops_then_panic_two_records(self):
        """Oops#1 and Panic#2 of one crash: two members, one analysis."""
        recs = [(n, fixture("pstore-ramoops-oops-then-panic", "pstore", n)) for n in ("dmesg-ramoops-0", "dmesg-ramoops-1")]
        gid, members = self.upload(self.device(pstore=recs))
        dmesg = sorted(m for m in members if m.startswith("dmesg-pstore."))
        self.assertEqual(len(dmesg), 2)
        self.assertTrue(dmesg[0].endswith("-0"))
        self.assert_analysed_as(gid, recs[0][1], dmesg[0])

    def test_kdump_dmesg(self):
        record = fixture("kdump-sysrq-panic", "kdump", "dmesg.txt")
        gid, members = self.upload(self.device(kdump=("202611221530", record)))
        self.assertIn("dmesg-kdump.202611221530", members)
        self.assert_analysed_as(gid, record, "dmesg-kdump.202611221530")

    def test_crash_text_with_form_syntax(self):
        """'&', '+', '=' and '%' in the crash text: the real module-panic
        record with its panic message extended by them (the only bytes
        changed), so they are in the title, the note and the stack field."""
        real = fixture("pstore-ramoops-module-panic", "pstore", "dmesg-ramoops-0")
        self.assertIn(b"(mode=panic)", real)
        record = real.replace(b"(mode=panic)", b"(mode=panic&x=%41+1)")
        gid, members = self.upload(self.device(pstore=[("dmesg-ramoops-0", record)]))
        member = [m for m in members if m.startswith("dmesg-pstore.")][0]
        r = self.assert_analysed_as(gid, record, member)
        # the analyzer writes numbers as NUM in titles, as for any record
        self.assertIn("&x=%NUM+NUM", r["title"])
        # the note as the client meant it, cut where the form syntax cut it
        # (its first '&'); the whole body is kept as received
        self.assertTrue(r["note"].endswith("crashme: deliberate panic (mode=panic"), r["note"])
        self.assertIn("Kernel panic - not syncing: crashme: deliberate panic (mode=panic&x=%41+1)", r["form_raw"])
        self.assertIn("Kernel Offset:", r["form_raw"])
        self.assertIn("dump_stack_lvl+0x44/0x5c", r["form_raw"])

    def test_no_crash_text_is_stored_and_listed(self):
        """A Shutdown record (no crash), and a body that is no ZIP at all."""
        record = fixture("pstore-ramoops-clean-reboot-max-reason-4", "pstore", "dmesg-ramoops-0")
        gid, _ = self.upload(self.device(pstore=[("dmesg-ramoops-0", record)]))
        r = json.loads(self.api(f"/api/reports/{gid}"))
        self.assertEqual(r["state"], "finished")
        self.assertTrue(r["analysis_state"].startswith("no crash text in upload"), r["analysis_state"])
        self.assertIsNone(r["title"])

        base = f"http://127.0.0.1:{self.port}"
        body = b"steamid=1&have_dump_file=1&dump_file_size=9&product=holo&note=not a zip&format=json"
        with urllib.request.urlopen(urllib.request.Request(base + START, data=body, method="POST")) as a:
            ans = json.loads(a.read())["response"]
        urllib.request.urlopen(urllib.request.Request(ans["url"], data=b"PK garbage"[:9], method="PUT",
                                                      headers={"Content-Type": "application/zip"})).read()
        urllib.request.urlopen(urllib.request.Request(base + FINISH, data=f"gid={ans['gid']}".encode(),
                                                      method="POST")).read()
        r2 = json.loads(self.api(f"/api/reports/{ans['gid']}"))
        self.assertEqual(r2["analysis_state"], "no crash text in upload: not a readable ZIP")
        listing = self.cli("list").decode()
        for g in (gid, ans["gid"]):
            line = [x for x in listing.splitlines() if x.startswith(g)][0]
            self.assertIn("(no crash text in upload)", line)
        with self.assertRaises(urllib.error.HTTPError) as e:
            self.api(f"/api/reports/{gid}/crash-text")
        self.assertEqual(e.exception.code, 404)

    def test_oversized_member_is_not_read(self):
        """A dmesg member larger than the receiver reads (17 MiB that deflate
        to a few KiB): stored, not analysed, the server stays up."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("dmesg-pstore.202611221530-0", b"Kernel panic - not syncing: x\n" + b"\0" * (17 << 20))
        data = buf.getvalue()
        self.assertLess(len(data), 1 << 20)
        base = f"http://127.0.0.1:{self.port}"
        body = f"steamid=2&have_dump_file=1&dump_file_size={len(data)}&note=big one&format=json".encode()
        with urllib.request.urlopen(urllib.request.Request(base + START, data=body, method="POST")) as a:
            ans = json.loads(a.read())["response"]
        urllib.request.urlopen(urllib.request.Request(ans["url"], data=data, method="PUT",
                                                      headers={"Content-Type": "application/zip"})).read()
        urllib.request.urlopen(urllib.request.Request(base + FINISH, data=f"gid={ans['gid']}".encode(),
                                                      method="POST")).read()
        r = json.loads(self.api(f"/api/reports/{ans['gid']}"))
        self.assertEqual(r["state"], "finished")
        self.assertIn("too large", r["analysis_state"])
        self.assertTrue(r["analysis_state"].startswith("no crash text in upload"))
        self.assertIsNone(self.server.poll())


if __name__ == "__main__":
    unittest.main(verbosity=2)
