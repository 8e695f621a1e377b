#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of the collector: fake roots built from the real
fixtures in tests/fixtures, driven through `kcrashctl --root`.

Run by meson (suite integration) with KCRASHCTL and KCRASH_FIXTURES set."""

import calendar
import hashlib
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zipfile

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
KCRASHD = os.environ.get("KCRASHD", "build/src/kcrashd/kcrashd")
FIXTURES = os.environ.get("KCRASH_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))
OFFLOAD = "var/kdump"
CRASH_TIME = 1795335249  # 2026-11-22T...: the fixtures' crash day

CONFIG = f"""# test config
KDUMP_FOLDER=/{OFFLOAD}
PSTORE_DIR=/sys/fs/pstore
PRODUCT=testproduct
JOURNAL_TAIL_LINES=0
"""


def make_root(tmp, scenarios=(), kdump=(), config=CONFIG):
    """A fake root: /etc, /proc, pstore records and kdump captures."""
    root = tempfile.mkdtemp(dir=tmp)
    os.makedirs(f"{root}/etc/default")
    with open(f"{root}/etc/default/kdump", "w") as f:
        f.write(config)
    with open(f"{root}/etc/os-release", "w") as f:
        f.write('NAME="Test OS"\nPRETTY_NAME="Test OS 1"\nID=test\nBUILD_ID=20261122.1\n')
    os.makedirs(f"{root}/proc/sys/kernel")
    with open(f"{root}/proc/sys/kernel/osrelease", "w") as f:
        f.write("6.1.0-99-amd64\n")
    pstore = f"{root}/sys/fs/pstore"
    os.makedirs(pstore)
    for s in scenarios:
        src = f"{FIXTURES}/{s}/pstore"
        for name in sorted(os.listdir(src)):
            if name.startswith("."):
                continue
            shutil.copyfile(f"{src}/{name}", f"{pstore}/{name}")
            os.chmod(f"{pstore}/{name}", 0o444)
            os.utime(f"{pstore}/{name}", (CRASH_TIME, CRASH_TIME))
    for i, (s, done, vmcore) in enumerate(kdump):
        d = f"{root}/{OFFLOAD}/crash/2026112215{30 + i:02d}45"
        os.makedirs(d)
        shutil.copyfile(f"{FIXTURES}/{s}/kdump/dmesg.txt", f"{d}/dmesg.txt")
        if vmcore:
            with open(f"{d}/vmcore", "wb") as f:
                f.write(b"KDUMP   " + bytes(4096))
        if done:
            open(f"{d}/done", "w").close()
    return root


def run(args, root, env=None, check=True):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([KCRASHCTL, "--root", root] + args, capture_output=True, text=True, env=e)
    if check and p.returncode != 0:
        raise AssertionError(f"kcrashctl {args} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def zips(root, sub="not_sent_logs"):
    d = f"{root}/{OFFLOAD}/{sub}"
    if not os.path.isdir(d):
        return []
    return sorted(f"{d}/{n}" for n in os.listdir(d) if n.endswith(".zip") and not n.startswith("."))


def report(path):
    with zipfile.ZipFile(path) as z:
        rep = json.loads(z.read("report.json"))
        members = {n: z.read(n) for n in z.namelist()}
    return rep, members


def pstore_files(root):
    return sorted(os.listdir(f"{root}/sys/fs/pstore"))


class CollectTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-collect-")

    def tearDown(self):
        subprocess.run(["chmod", "-R", "u+w", self.tmp])
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_report(self, path, source):
        rep, members = report(path)
        self.assertEqual(rep["schema"], 1)
        self.assertEqual(rep["source"], source)
        self.assertEqual(rep["id"] + ".zip", os.path.basename(path))
        # every member but report.json is listed with its sha256
        listed = {m["name"]: m for m in rep["members"]}
        self.assertEqual(set(listed) | {"report.json"}, set(members))
        for name, m in listed.items():
            self.assertEqual(hashlib.sha256(members[name]).hexdigest(), m["sha256"], name)
            self.assertEqual(len(members[name]), m["size"])
        names = " ".join(members)
        self.assertIn("crash_summary.", names)
        self.assertIn("build.", names)
        self.assertIn("version.", names)
        up = rep["upload"]
        self.assertEqual(up["platform"], "linux")
        self.assertEqual(up["product"], "testproduct")
        self.assertEqual(up["build"], "20261122.1")
        self.assertEqual(up["crash_time"], rep["crash_time"])
        # the crashed kernel, from the log, not the running one (6.1.0-99)
        self.assertEqual(rep["kernel"]["release"], "6.1.0-56-amd64")
        self.assertEqual(up["version"], "6.1.0-56-amd64")
        self.assertTrue(os.path.basename(path).startswith("testproduct-0-0."))
        return rep, members

    def test_pstore_scenarios(self):
        cases = {
            "pstore-ramoops-sysrq-panic": ["dmesg-ramoops-0"],
            "pstore-ramoops-oops-then-panic": ["dmesg-ramoops-0", "dmesg-ramoops-1"],
            "pstore-ramoops-oops-no-panic": ["dmesg-ramoops-0"],
            "pstore-ramoops-small-record-truncated": ["dmesg-ramoops-0", "dmesg-ramoops-1"],
            "pstore-ramoops-ecc-sysrq-panic": ["dmesg-ramoops-0"],
            "pstore-efi-sysrq-panic": None,
            "pstore-ramoops-warn-panic": ["dmesg-ramoops-0"],
        }
        for scenario, records in cases.items():
            with self.subTest(scenario=scenario):
                root = make_root(self.tmp, [scenario])
                before = pstore_files(root)
                p = run(["collect"], root)
                z = zips(root)
                self.assertEqual(len(z), 1, p.stdout + p.stderr)
                rep, members = self.check_report(z[0], "pstore")
                self.assertEqual(sorted(rep["records"]), records or before)
                self.assertEqual(rep["crash_time"], CRASH_TIME)
                self.assertEqual(pstore_files(root), [], "records removed after the ZIP is durable")
                # one line per new report: id, headline, path
                line = p.stdout.strip().split("\t")
                self.assertEqual(len(line), 3)
                self.assertEqual(line[0], rep["id"])
                self.assertEqual(line[2], z[0])
                self.assertTrue(any(n.startswith("dmesg-pstore.") for n in members))
                # idempotent
                p = run(["collect"], root)
                self.assertEqual(p.stdout, "")
                self.assertEqual(len(zips(root)), 1)

    def test_oops_and_panic_members(self):
        root = make_root(self.tmp, ["pstore-ramoops-oops-then-panic"])
        run(["collect"], root)
        rep, members = report(zips(root)[0])
        names = sorted(members)
        self.assertTrue(any(n.startswith("dmesg-pstore-oops1.") for n in names), names)
        primary = [n for n in names if n.startswith("dmesg-pstore.")][0]
        self.assertIn(b"Kernel panic - not syncing: Fatal exception", members[primary])
        self.assertNotIn(b"Panic#2 Part1", members[primary])

    def test_clean_reboot_makes_no_report(self):
        for scenario in ["pstore-ramoops-clean-reboot", "pstore-ramoops-clean-reboot-max-reason-4"]:
            with self.subTest(scenario=scenario):
                root = make_root(self.tmp, [scenario])
                p = run(["collect"], root)
                self.assertEqual(zips(root), [])
                self.assertEqual(p.stdout, "")
                self.assertEqual(pstore_files(root), [])

    def test_unknown_files_are_left_alone(self):
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        with open(f"{root}/sys/fs/pstore/notes.txt", "w") as f:
            f.write("not a record")
        p = run(["collect"], root)
        self.assertEqual(len(zips(root)), 1)
        self.assertEqual(pstore_files(root), ["notes.txt"])
        self.assertIn("notes.txt", p.stderr)

    def test_missing_efi_part_is_marked(self):
        root = make_root(self.tmp, ["pstore-efi-sysrq-panic"])
        pstore = f"{root}/sys/fs/pstore"
        for n in os.listdir(pstore):
            with open(f"{pstore}/{n}") as f:
                if f.readline() == "Panic#1 Part3\n":
                    os.unlink(f"{pstore}/{n}")
        run(["collect"], root)
        rep, members = report(zips(root)[0])
        self.assertTrue(rep["incomplete"])
        self.assertIn("Panic#1 Part3 is missing", " ".join(rep["notes"]))
        primary = [n for n in members if n.startswith("dmesg-pstore.")][0]
        self.assertIn(b"[kcrash: Panic#1 Part3 is missing]", members[primary])

    def test_efi_crash_loop_makes_two_reports(self):
        # Two efi-pstore panics before one collection: both dumps are
        # "Panic#1 PartN", under ids 95 s apart (id = (seconds * 100 + part)
        # * 1000 + count). Each becomes its own report; no record is removed
        # without its bytes in a report.
        root = make_root(self.tmp, ["pstore-efi-sysrq-panic"])
        pstore = f"{root}/sys/fs/pstore"
        for n in sorted(os.listdir(pstore)):
            prefix, id_ = n.rsplit("-", 1)
            second = f"{pstore}/{prefix}-{int(id_) + 95 * 100000}"
            with open(f"{pstore}/{n}") as f:
                text = f.read()
            if text.startswith("Panic#1 Part1\n"):
                text += "<0>[   99.000000] second crash\n"
            with open(second, "w") as f:
                f.write(text)
            os.utime(second, (CRASH_TIME + 95, CRASH_TIME + 95))
        self.assertEqual(len(pstore_files(root)), 28)
        run(["collect"], root)
        found = zips(root)
        self.assertEqual(len(found), 2)
        seconds = []
        for z in found:
            rep, members = self.check_report(z, "pstore")
            primary = [n for n in members if n.startswith("dmesg-pstore.")][0]
            self.assertIn(b"sysrq triggered crash", members[primary])
            self.assertNotIn(b"is missing", members[primary])
            self.assertEqual(len(rep["records"]), 14)
            seconds.append(b"second crash" in members[primary])
        self.assertEqual(sorted(seconds), [False, True])
        self.assertEqual(pstore_files(root), [])

    def test_redact_logs_output_longer_than_input(self):
        # "1::" becomes "[IP]": a record full of such tokens overflowed the
        # redaction buffer and aborted the collector.
        root = make_root(self.tmp, config=CONFIG + "REDACT_LOGS=1\n")
        with open(f"{FIXTURES}/pstore-ramoops-sysrq-panic/pstore/dmesg-ramoops-0") as f:
            rec = f.read().replace("sysrq: Trigger a crash",
                                   "user: " + "1:: " * 5000 + "\n<0>[    3.581000] sysrq: Trigger a crash", 1)
        with open(f"{root}/sys/fs/pstore/dmesg-ramoops-0", "w") as f:
            f.write(rec)
        run(["collect"], root)
        rep, members = report(zips(root)[0])
        primary = [n for n in members if n.startswith("dmesg-pstore.")][0]
        self.assertIn(b"user: " + b"[IP] " * 5000, members[primary])
        self.assertEqual(pstore_files(root), [])

    def test_kdump_capture(self):
        root = make_root(self.tmp, kdump=[("kdump-module-oops", True, True)])
        run(["collect"], root)
        z = zips(root)
        self.assertEqual(len(z), 1)
        rep, members = self.check_report(z[0], "kdump")
        self.assertFalse(rep["incomplete"])
        self.assertEqual(rep["records"], ["crash/20261122153045"])
        vm = rep["vmcore"]["path"]
        self.assertTrue(vm.endswith(f"/vmcores/{rep['id']}.vmcore"), vm)
        self.assertTrue(os.path.exists(f"{root}/{OFFLOAD}/vmcores/{rep['id']}.vmcore"))
        self.assertFalse(any(n.endswith("vmcore") for n in members), "vmcores never go into the ZIP")
        self.assertFalse(os.path.exists(f"{root}/{OFFLOAD}/crash/20261122153045"))
        self.assertTrue(any(n.startswith("dmesg-kdump.") for n in members))

    def test_unreadable_capture_does_not_block_the_others(self):
        """Issue 10 #7: one capture folder that cannot be read is reported
        and left; the other capture and the pstore crash are collected."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"],
                         kdump=[("kdump-module-oops", True, False), ("kdump-sysrq-panic", True, False)])
        bad = f"{root}/{OFFLOAD}/crash/2026112215{31:02d}45"
        os.unlink(f"{bad}/dmesg.txt")
        os.makedirs(f"{bad}/dmesg.txt")  # a directory where the log belongs
        p = run(["collect"], root, check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"{bad}/dmesg.txt", p.stderr)
        self.assertIn("left in place", p.stderr)
        self.assertEqual(len(zips(root)), 2, "the pstore crash and the good capture")
        self.assertTrue(os.path.isdir(bad), "the bad capture stays for a person to look at")
        # the next boot: reported again, still no new report
        p = run(["collect"], root, check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("left in place", p.stderr)
        self.assertEqual(len(zips(root)), 2)

    def test_record_larger_than_max_record_size_makes_one_report(self):
        """Issue 10 #8: a record over MAX_RECORD_SIZE makes exactly one
        report (cut, with a note), is removed, and the next boot makes none."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"], kdump=[("kdump-module-oops", True, False)],
                         config=CONFIG + "MAX_RECORD_SIZE=4K\n")
        run(["collect"], root)
        z = zips(root)
        self.assertEqual(len(z), 2)
        self.assertEqual(os.listdir(f"{root}/sys/fs/pstore"), [], "the cut records are removed too")
        notes = " ".join(n for path in z for n in report(path)[0]["notes"])
        self.assertIn("larger than MAX_RECORD_SIZE", notes)
        for path in z:
            rep, members = report(path)
            logs = [m for n, m in members.items() if n.startswith("dmesg-")]
            self.assertTrue(logs and all(b"bytes cut here" in m for m in logs), rep["id"])
            self.assertTrue(all(len(m) <= 4096 for m in logs))
        # the kdump capture's crash is at the end of its log: still titled
        titles = [report(path)[0]["analysis"]["title"] for path in z]
        self.assertIn("BUG: unable to handle kernel NULL pointer dereference in crashme_do_null", titles)
        run(["collect"], root)
        self.assertEqual(len(zips(root)), 2, "no duplicate at the next boot")

    def test_incomplete_kdump_is_reported(self):
        root = make_root(self.tmp, kdump=[("kdump-sysrq-panic", False, False)])
        p = run(["collect"], root)
        z = zips(root)
        self.assertEqual(len(z), 1, p.stderr)
        rep, _ = report(z[0])
        self.assertTrue(rep["incomplete"])
        self.assertIn("no done marker", " ".join(rep["notes"]))

    def test_pstore_and_kdump_of_one_crash_make_one_report(self):
        root = make_root(self.tmp, ["kdump-plus-pstore-sysrq-panic"],
                         kdump=[("kdump-plus-pstore-sysrq-panic", True, False)])
        run(["collect"], root)
        z = zips(root)
        self.assertEqual(len(z), 1)
        rep, members = self.check_report(z[0], "pstore+kdump")
        self.assertTrue(any(n.startswith("dmesg-kdump.") for n in members))
        self.assertTrue(any(n.startswith("dmesg-pstore.") for n in members))

    def test_different_crashes_stay_apart(self):
        root = make_root(self.tmp, ["pstore-ramoops-oops-then-panic"],
                         kdump=[("kdump-sysrq-panic", True, False)])
        run(["collect"], root)
        z = zips(root)
        self.assertEqual(len(z), 2)
        self.assertEqual(sorted(report(p)[0]["source"] for p in z), ["kdump", "pstore"])
        # same minute, distinct names
        self.assertEqual(len(set(os.path.basename(p) for p in z)), 2)

    def test_list_json(self):
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"], kdump=[("kdump-module-oops", True, True)])
        run(["collect"], root)
        out = json.loads(run(["list", "--json"], root).stdout)
        self.assertEqual(len(out), 2)
        for e in out:
            for key in ["id", "state", "path", "crash_time", "source", "title", "size"]:
                self.assertIn(key, e)
            self.assertEqual(e["state"], "pending")
            self.assertEqual(e["size"], os.path.getsize(e["path"]))
        self.assertEqual(sorted(e["source"] for e in out), ["kdump", "pstore"])
        human = run(["list"], root).stdout
        self.assertIn("pending", human)
        # show: the summary and members of one report, or its report.json
        rid = out[0]["id"]
        shown = run(["show", rid], root).stdout
        self.assertIn("State:   pending", shown)
        self.assertIn("Title:", shown)
        self.assertIn("report.json", shown)
        self.assertEqual(json.loads(run(["show", "--json", rid], root).stdout)["id"], rid)
        p = run(["show", "no-such-report"], root, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no-such-report", p.stderr)
        self.assertEqual(run(["show", "../../etc/passwd"], root, check=False).returncode, 1)

    def test_redact_logs(self):
        root = make_root(self.tmp, config=CONFIG + "REDACT_LOGS=1\n")
        with open(f"{FIXTURES}/pstore-ramoops-sysrq-panic/pstore/dmesg-ramoops-0") as f:
            rec = f.read().replace("sysrq: Trigger a crash",
                                   "wlan0: associated with 00:1a:2b:3c:4d:5e ip 192.168.7.20 user bob@example.org\n"
                                   "<0>[    3.581000] sysrq: Trigger a crash", 1)
        with open(f"{root}/sys/fs/pstore/dmesg-ramoops-0", "w") as f:
            f.write(rec)
        run(["collect"], root)
        rep, members = report(zips(root)[0])
        blob = b"".join(members.values()) + json.dumps(rep).encode()
        for secret in [b"00:1a:2b:3c:4d:5e", b"192.168.7.20", b"bob@example.org"]:
            self.assertFalse(secret in blob, f"{secret} is in the report")
        primary = [n for n in members if n.startswith("dmesg-pstore.")][0]
        self.assertIn(b"associated with [MAC] ip [IP] user [EMAIL]", members[primary])
        self.assertIn("sysrq", rep["analysis"]["title"].lower() + rep["upload"]["note"].lower())

    def deck_root(self, extra_config=""):
        """A Steam Deck: DMI says Valve Jupiter, Steam has a MostRecent user."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"],
                         config=CONFIG.replace("JOURNAL_TAIL_LINES=0", "JOURNAL_TAIL_LINES=50") +
                         "STEAM_LOGINUSERS_VDF=/home/deck/loginusers.vdf\n" + extra_config)
        dmi = f"{root}/sys/class/dmi/id"
        os.makedirs(dmi)
        for k, v in [("sys_vendor", "Valve"), ("product_name", "Jupiter"), ("product_serial", "FVAA12345678")]:
            with open(f"{dmi}/{k}", "w") as f:
                f.write(v + "\n")
        os.makedirs(f"{root}/home/deck")
        shutil.copyfile(f"{FIXTURES}/context/loginusers.vdf", f"{root}/home/deck/loginusers.vdf")
        return root

    def test_identity_and_dmi(self):
        root = self.deck_root()
        run(["collect"], root)
        z = zips(root)[0]
        self.assertTrue(os.path.basename(z).startswith("testproduct-FVAA12345678-deckuser."), z)
        rep, members = report(z)
        self.assertEqual(rep["identity"]["serial"], "FVAA12345678")
        self.assertEqual(rep["upload"]["steamid"], "76561198000000001")
        dmi = [v for n, v in members.items() if n.startswith("dmidecode.")][0]
        self.assertIn(b"product_name: Jupiter", dmi)

    def test_serial_only_for_listed_products(self):
        root = self.deck_root("SERIAL_DMI_PRODUCTS=Galileo\n")
        run(["collect"], root)
        self.assertTrue(os.path.basename(zips(root)[0]).startswith("testproduct-0-deckuser."))

    def test_pseudonymized_identity(self):
        root = self.deck_root("PSEUDONYMIZE_IDENTITY=1\n")
        run(["collect"], root)
        z = zips(root)[0]
        rep, members = report(z)
        blob = b"".join(members.values()) + json.dumps(rep).encode() + z.encode()
        for secret in [b"FVAA12345678", b"deckuser", b"76561198000000001"]:
            self.assertFalse(secret in blob, f"{secret} is in the report")
        serial = rep["identity"]["serial"]
        self.assertRegex(serial, "^[0-9a-f]{16}$")
        # stable per install: the next crash gets the same pseudonym
        shutil.copyfile(f"{FIXTURES}/pstore-ramoops-oops-no-panic/pstore/dmesg-ramoops-0",
                        f"{root}/sys/fs/pstore/dmesg-ramoops-0")
        run(["collect"], root)
        self.assertEqual({report(x)[0]["identity"]["serial"] for x in zips(root)}, {serial})

    def test_crashed_boot_is_attributed_from_its_boot_record(self):
        # Boot 1 (kernel -56, build OLD) is recorded by a collector run, then crashes;
        # boot 2 (kernel -99, build NEW) collects the crash.
        root = make_root(self.tmp)
        os.makedirs(f"{root}/proc/sys/kernel/random")

        def boot(boot_id, btime, release, build):
            with open(f"{root}/proc/sys/kernel/random/boot_id", "w") as f:
                f.write(boot_id + "\n")
            with open(f"{root}/proc/stat", "w") as f:
                f.write(f"cpu 0\nbtime {btime}\n")
            with open(f"{root}/proc/sys/kernel/osrelease", "w") as f:
                f.write(release + "\n")
            with open(f"{root}/etc/os-release", "w") as f:
                f.write(f"ID=test\nBUILD_ID={build}\n")

        boot("11111111-0000-0000-0000-000000000000", CRASH_TIME - 100, "6.1.0-56-amd64", "OLD")
        run(["collect"], root)
        # the crash record of that boot, without any kernel version in it
        with open(f"{root}/sys/fs/pstore/dmesg-ramoops-0", "w") as f:
            f.write("Panic#1 Part1\n<0>[    3.0] Kernel panic - not syncing: sysrq triggered crash\n")
        os.utime(f"{root}/sys/fs/pstore/dmesg-ramoops-0", (CRASH_TIME, CRASH_TIME))
        boot("22222222-0000-0000-0000-000000000000", CRASH_TIME + 100, "6.1.0-99-amd64", "NEW")
        run(["collect"], root)
        rep, members = report(zips(root)[0])
        self.assertEqual(rep["kernel"]["release"], "6.1.0-56-amd64")
        self.assertEqual(rep["kernel"]["source"], "boot-record")
        self.assertEqual(rep["build"]["id"], "OLD")
        self.assertEqual(rep["upload"]["build"], "OLD")
        build = [v for n, v in members.items() if n.startswith("build.")][0]
        self.assertIn(b"BUILD_ID=OLD", build)

    def test_build_ids_of_the_crashed_kernel_and_modules(self):
        # Boot 1 (kernel -56) is recorded with its build ids, loads crashme
        # later (installed under /lib/modules) and crashes; boot 2 (kernel
        # -99, another vmlinux) collects the crash.
        root = make_root(self.tmp)
        os.makedirs(f"{root}/proc/sys/kernel/random")

        def note(desc):
            return struct.pack("<III", 4, len(desc), 3) + b"GNU\0" + desc

        def boot(boot_id, btime, release, vmlinux_id):
            for path, text in ((f"{root}/proc/sys/kernel/random/boot_id", boot_id + "\n"),
                               (f"{root}/proc/stat", f"cpu 0\nbtime {btime}\n"),
                               (f"{root}/proc/sys/kernel/osrelease", release + "\n")):
                with open(path, "w") as f:
                    f.write(text)
            os.makedirs(f"{root}/sys/kernel", exist_ok=True)
            with open(f"{root}/sys/kernel/notes", "wb") as f:
                f.write(note(vmlinux_id))

        boot("11111111-0000-0000-0000-000000000000", CRASH_TIME - 100, "6.1.0-56-amd64", b"\x11" * 20)
        os.makedirs(f"{root}/sys/module/nf_nat/notes")
        with open(f"{root}/sys/module/nf_nat/notes/.note.gnu.build-id", "wb") as f:
            f.write(note(b"\x22" * 20))
        run(["collect"], root)
        os.makedirs(f"{root}/lib/modules/6.1.0-56-amd64/extra")
        shutil.copyfile("/bin/true", f"{root}/lib/modules/6.1.0-56-amd64/extra/crashme.ko")
        true_id = re.search(r"Build ID: ([0-9a-f]+)",
                            subprocess.run(["readelf", "-n", "/bin/true"], capture_output=True, text=True).stdout).group(1)
        with open(f"{root}/sys/fs/pstore/dmesg-ramoops-0", "w") as f:
            f.write("Oops#1 Part1\n<1>[    5.0] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                    "<4>[    5.0] Modules linked in: crashme(OE) nf_nat\n"
                    "<4>[    5.0] RIP: 0010:kcrash_test_null+0x5/0x20 [crashme]\n"
                    "<4>[    5.0] Call Trace:\n<4>[    5.0]  proc_reg_write+0x56/0xa0\n")
        os.utime(f"{root}/sys/fs/pstore/dmesg-ramoops-0", (CRASH_TIME, CRASH_TIME))
        boot("22222222-0000-0000-0000-000000000000", CRASH_TIME + 100, "6.1.0-99-amd64", b"\x99" * 20)
        run(["collect"], root)
        rep, _ = report(zips(root)[0])
        ids = rep["build_ids"]
        self.assertEqual(ids["vmlinux"], {"id": "11" * 20, "source": "boot-record"})
        mods = {m["name"]: (m["id"], m["source"]) for m in ids["modules"]}
        self.assertEqual(mods, {"crashme": (true_id, "installed"), "nf_nat": ("22" * 20, "boot-record")})

    @unittest.skipUnless(os.path.exists("/lib/systemd/systemd-journal-remote"), "needs systemd-journal-remote")
    def test_journal_tail_of_the_crashed_boot(self):
        root = self.deck_root()
        jdir = f"{root}/var/log/journal"
        os.makedirs(jdir)
        export = "".join(
            f"__REALTIME_TIMESTAMP={(CRASH_TIME - 60 + i) * 1000000}\n__MONOTONIC_TIMESTAMP={i + 1}000000\n"
            f"_BOOT_ID=cccccccccccccccccccccccccccccccc\nSYSLOG_IDENTIFIER=gamescope\n_PID=7\nMESSAGE=frame {i}\n\n"
            for i in range(10))
        subprocess.run(["/lib/systemd/systemd-journal-remote", f"--output={jdir}/remote.journal", "-"],
                       input=export.encode(), check=True, capture_output=True)
        run(["collect"], root)
        rep, members = report(zips(root)[0])
        journal = [v for n, v in members.items() if n.startswith("journal.")][0]
        self.assertIn(b"gamescope[7]: frame 9", journal)

    def test_config_errors_name_file_line_key(self):
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"], config=CONFIG + "FULL_COREDUMP=perhaps\n")
        p = run(["collect"], root, check=False)
        self.assertEqual(p.returncode, 78)
        self.assertIn("etc/default/kdump:6: FULL_COREDUMP", p.stderr)
        self.assertEqual(len(pstore_files(root)), 1)

    def test_injected_write_errors_keep_records(self):
        for fp in ["write-atomic:ENOSPC", "archive-write:ENOSPC", "commit-zip:EROFS", "write-atomic:EACCES"]:
            with self.subTest(failpoint=fp):
                root = make_root(self.tmp, ["pstore-ramoops-oops-then-panic"])
                p = run(["collect"], root, env={"KCRASH_FAILPOINT": fp}, check=False)
                self.assertNotEqual(p.returncode, 0)
                self.assertEqual(pstore_files(root), ["dmesg-ramoops-0", "dmesg-ramoops-1"])
                self.assertIn(f"{root}/{OFFLOAD}", p.stderr, "the error says where")
                self.assertEqual(zips(root), [])
                # the next run, without the fault, collects it once
                run(["collect"], root)
                self.assertEqual(len(zips(root)), 1)
                self.assertEqual(pstore_files(root), [])

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("mount"), "needs root to mount a small tmpfs")
    def test_real_disk_full(self):
        root = make_root(self.tmp, ["pstore-ramoops-oops-then-panic"])
        off = f"{root}/{OFFLOAD}"
        os.makedirs(off, exist_ok=True)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", off]).returncode != 0:
            self.skipTest("cannot mount tmpfs here")
        try:
            p = run(["collect"], root, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("No space left on device", p.stderr)
            self.assertEqual(pstore_files(root), ["dmesg-ramoops-0", "dmesg-ramoops-1"])
            self.assertEqual(zips(root), [])
        finally:
            subprocess.run(["umount", off])
        run(["collect"], root)
        self.assertEqual(len(zips(root)), 1)

    def test_permission_denied(self):
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        off = f"{root}/{OFFLOAD}"
        os.makedirs(off)
        os.chmod(off, 0o555)
        # root ignores permissions: as root (CI), run it as nobody, so the
        # test always runs (issue 18 #3)
        prefix = []
        if os.geteuid() == 0:
            self.assertTrue(shutil.which("setpriv"), "setpriv (util-linux) is needed to drop root")
            os.chmod(self.tmp, 0o755)
            os.chmod(root, 0o755)
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        p = subprocess.run(prefix + [KCRASHCTL, "--root", root, "collect"], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(p.stderr, f"{off}.*(Permission denied|Operation not permitted)")
        self.assertEqual(pstore_files(root), ["dmesg-ramoops-0"])


class StatusTest(unittest.TestCase):
    """status and the test-crash round trip, on a fake root whose
    /proc/sysrq-trigger and /dev/kmsg are plain files."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-status-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def status(self, root):
        p = run(["status", "--json"], root, check=False)
        st = json.loads(p.stdout)
        self.assertEqual(p.returncode, 0 if st["armed"] else 3, "the exit status says whether anything is armed")
        return st

    def test_empty_tree_says_nothing_is_armed(self):
        root = make_root(self.tmp)
        p = run(["status"], root, check=False)
        self.assertEqual(p.returncode, 3)
        self.assertIn("NO: nothing is armed", p.stdout)
        st = self.status(root)
        self.assertFalse(st["armed"])
        self.assertIsNone(st["test_crash"])

    def test_test_crash_round_trip(self):
        root = make_root(self.tmp)
        os.makedirs(f"{root}/dev")
        os.makedirs(f"{root}/proc/sys/kernel/random")
        os.makedirs(f"{root}/sys/module/pstore/parameters")
        for path, text in [("dev/kmsg", ""), ("proc/sysrq-trigger", ""),
                           ("proc/sys/kernel/random/boot_id", "11111111-1111-1111-1111-111111111111\n"),
                           ("sys/module/pstore/parameters/backend", "ramoops\n")]:
            with open(f"{root}/{path}", "w") as f:
                f.write(text)
        self.assertTrue(self.status(root)["armed"])

        p = run(["test-crash"], root, check=False)
        self.assertEqual(p.returncode, 2, "refuses without --yes when stdin is not a terminal")
        run(["test-crash", "--yes"], root)
        with open(f"{root}/proc/sysrq-trigger") as f:
            self.assertEqual(f.read(), "c")
        with open(f"{root}/dev/kmsg") as f:
            line = f.read()
        tid = line.split("kcrash: test crash ")[1][:32]
        self.assertEqual(self.status(root)["test_crash"]["state"], "armed")

        # the crash: the record holds the line test-crash wrote; a new boot
        with open(f"{FIXTURES}/pstore-ramoops-sysrq-panic/pstore/dmesg-ramoops-0") as f:
            rec = f.read().replace("sysrq: Trigger a crash",
                                   f"kcrash: test crash {tid}, triggered by kcrashctl test-crash\n"
                                   "<0>[    3.581000] sysrq: Trigger a crash", 1)
        with open(f"{root}/sys/fs/pstore/dmesg-ramoops-0", "w") as f:
            f.write(rec)
        with open(f"{root}/proc/sys/kernel/random/boot_id", "w") as f:
            f.write("22222222-2222-2222-2222-222222222222\n")
        self.assertEqual(self.status(root)["test_crash"]["state"], "captured")

        run(["collect"], root)
        st = self.status(root)["test_crash"]
        self.assertEqual(st["state"], "collected")
        z = zips(root)[0]
        self.assertEqual(report(z)[0]["test_crash_id"], tid)
        self.assertEqual(st["report"], report(z)[0]["id"])

        os.makedirs(f"{root}/{OFFLOAD}/sent_logs", exist_ok=True)
        os.rename(z, f"{root}/{OFFLOAD}/sent_logs/{os.path.basename(z)}")
        self.assertEqual(self.status(root)["test_crash"]["state"], "sent")
        self.assertIn("PASSED", run(["status"], root).stdout)

    def test_lost_test_crash(self):
        root = make_root(self.tmp)
        os.makedirs(f"{root}/dev")
        os.makedirs(f"{root}/proc/sys/kernel/random")
        for path in ["dev/kmsg", "proc/sysrq-trigger"]:
            open(f"{root}/{path}", "w").close()
        with open(f"{root}/proc/sys/kernel/random/boot_id", "w") as f:
            f.write("a\n")
        run(["test-crash", "--yes"], root)
        with open(f"{root}/proc/sys/kernel/random/boot_id", "w") as f:
            f.write("b\n")
        self.assertEqual(self.status(root)["test_crash"]["state"], "lost")
        self.assertIn("FAILED", run(["status"], root, check=False).stdout)


class CrashConsistencyTest(unittest.TestCase):
    """Kill the collector at many points; a re-run must lose nothing and
    duplicate nothing."""

    SCENARIO = dict(scenarios=["pstore-ramoops-oops-then-panic"],
                    kdump=[("kdump-module-oops", True, True), ("kdump-sysrq-panic", False, False)])
    EXPECTED_EVENTS = 3

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-kill-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_final(self, root, label):
        p = run(["collect"], root)
        z = zips(root)
        reps = [report(x)[0] for x in z]
        records = sorted(r for rep in reps for r in rep["records"])
        self.assertEqual(len(z), self.EXPECTED_EVENTS, f"{label}: {[os.path.basename(x) for x in z]} {p.stderr}")
        self.assertEqual(len(records), len(set(records)), f"{label}: a record is in two reports")
        self.assertEqual(records, ["crash/20261122153045", "crash/20261122153145",
                                   "dmesg-ramoops-0", "dmesg-ramoops-1"], label)
        self.assertEqual(pstore_files(root), [], label)
        self.assertEqual(os.listdir(f"{root}/{OFFLOAD}/crash"), [], label)
        vmcores = os.listdir(f"{root}/{OFFLOAD}/vmcores")
        self.assertEqual(len(vmcores), 1, label)
        partial = [n for n in os.listdir(f"{root}/{OFFLOAD}/not_sent_logs") if n.startswith(".")]
        self.assertEqual(partial, [], f"{label}: temp files left behind")
        # a marker left behind (a kill while a report's markers were being
        # removed) names a report in the queue: it claims no other name
        queued = {os.path.basename(x)[:-len(".zip")] for x in z}
        for m in os.listdir(f"{root}/{OFFLOAD}/.kcrash/collected"):
            with open(f"{root}/{OFFLOAD}/.kcrash/collected/{m}") as f:
                self.assertIn(f.read().split("\n")[0], queued, f"{label}: a marker of no report")

    def test_event_of_the_same_minute_does_not_take_an_interrupted_name(self):
        """Found by a review: report names are minute-precise. A kdump capture
        built in tmp/ and killed before its commit keeps its name through its
        marker; a pstore crash of the same minute that appears before the
        re-run (and is collected first) took that name, overwrote the build,
        and the capture's marker then said "queued": the capture was removed
        with no report."""
        root = make_root(self.tmp, [], kdump=[("kdump-sysrq-panic", True, False)])
        p = run(["collect"], root, env={"KCRASH_FAILPOINT": "commit-zip"}, check=False)
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr)
        self.assertEqual(len(os.listdir(f"{root}/{OFFLOAD}/.kcrash/tmp")), 1)
        src = f"{FIXTURES}/pstore-ramoops-oops-then-panic/pstore"
        minute = calendar.timegm((2026, 11, 22, 15, 30, 10, 0, 0, 0))  # the capture's minute
        for n in sorted(os.listdir(src)):
            if n.startswith("."):
                continue
            d = f"{root}/sys/fs/pstore/{n}"
            shutil.copyfile(f"{src}/{n}", d)
            os.utime(d, (minute, minute))
        run(["collect"], root)
        sources = sorted(report(z)[0]["source"] for z in zips(root))
        self.assertEqual(sources, ["kdump", "pstore"], [os.path.basename(z) for z in zips(root)])
        self.assertEqual(len({os.path.basename(z) for z in zips(root)}), 2)
        self.assertEqual(os.listdir(f"{root}/{OFFLOAD}/crash"), [])
        self.assertEqual(pstore_files(root), [])

    def test_new_capture_of_a_reused_stamp_is_not_taken_for_one_reported(self):
        """A run killed after it committed a capture's report and removed the
        capture, before it removed the capture's marker, left a marker keyed
        on the folder's name alone; a crash kernel whose clock is stuck then
        wrote a new capture of that name, which the next run removed as the
        interrupted one, unreported (attack review). The key holds the
        capture's dmesg too."""
        root = make_root(self.tmp, [], kdump=[("kdump-sysrq-panic", True, False)])
        p = run(["collect"], root, env={"KCRASH_FAILPOINT": "remove-sources"}, check=False)
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr)
        self.assertEqual(len(zips(root)), 1)
        crash = f"{root}/{OFFLOAD}/crash"
        (stamp,) = os.listdir(crash)
        self.assertEqual(len(os.listdir(f"{root}/{OFFLOAD}/.kcrash/collected")), 1)
        # the rest of the removal, as the killed run would have done it
        shutil.rmtree(f"{crash}/{stamp}")
        # a second crash, the same stamp
        os.makedirs(f"{crash}/{stamp}")
        shutil.copyfile(f"{FIXTURES}/kdump-module-oops/kdump/dmesg.txt", f"{crash}/{stamp}/dmesg.txt")
        open(f"{crash}/{stamp}/done", "w").close()
        run(["collect"], root)
        titles = sorted(report(z)[0]["analysis"]["title"] for z in zips(root))
        self.assertEqual(len(titles), 2, titles)
        self.assertIn("crashme_do_null", " ".join(titles))
        self.assertEqual(os.listdir(crash), [])

    def test_capture_interrupted_before_an_upgrade_is_not_reported_twice(self):
        """A marker an older kcrash wrote (keyed on the capture folder's name
        alone) still vouches for the capture it was written for, and for no
        capture made after it."""
        root = make_root(self.tmp, [], kdump=[("kdump-sysrq-panic", True, False)])
        p = run(["collect"], root, env={"KCRASH_FAILPOINT": "remove-sources"}, check=False)
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr)
        crash, markers = f"{root}/{OFFLOAD}/crash", f"{root}/{OFFLOAD}/.kcrash/collected"
        (stamp,) = os.listdir(crash)
        (marker,) = os.listdir(markers)
        legacy = hashlib.sha256(f"kdump:{stamp}\n".encode()).hexdigest()
        os.rename(f"{markers}/{marker}", f"{markers}/{legacy}")
        os.utime(f"{crash}/{stamp}", (CRASH_TIME, CRASH_TIME))
        run(["collect"], root)
        self.assertEqual(len(zips(root)), 1, "completed, not reported again")
        self.assertEqual(os.listdir(crash), [])
        self.assertEqual(os.listdir(markers), [])

    def test_kill_at_every_failpoint(self):
        points = 0
        for skip in range(0, 200):
            root = make_root(self.tmp, **self.SCENARIO)
            p = run(["collect"], root, env={"KCRASH_FAILPOINT": "*", "KCRASH_FAILPOINT_SKIP": str(skip)},
                    check=False)
            if p.returncode == 0:
                break  # ran past the last failpoint
            self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr)
            points += 1
            self.check_final(root, f"failpoint #{skip}")
            shutil.rmtree(root)
        self.assertGreater(points, 10)
        print(f"killed at {points} failpoints", file=sys.stderr)

    def test_kill_at_random_instants(self):
        # Spread the kills over one uninterrupted run's duration.
        root = make_root(self.tmp, **self.SCENARIO)
        start = time.monotonic()
        run(["collect"], root)
        self.run_time = time.monotonic() - start
        shutil.rmtree(root)
        rng = random.Random(1234)
        kills = 0
        for i in range(100):
            root = make_root(self.tmp, **self.SCENARIO)
            proc = subprocess.Popen([KCRASHCTL, "--root", root, "collect"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, self.run_time))
            proc.send_signal(signal.SIGKILL)
            if proc.wait() == -signal.SIGKILL:
                kills += 1
            self.check_final(root, f"random kill #{i}")
            shutil.rmtree(root)
        print(f"{kills} of 100 runs killed mid-way", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
