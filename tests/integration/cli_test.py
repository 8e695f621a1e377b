#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every kcrashctl verb's exit codes, and its --json output against the
schema in docs/cli-json.md."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
FIXTURES = os.environ.get("KCRASH_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))
S, I, B, N, O, A = str, int, bool, type(None), dict, list

LIST_SCHEMA = {"id": S, "state": S, "path": S, "crash_time": I, "source": (S, N), "title": (S, N), "type": (S, N),
               "signature": (S, N), "size": I, "attempts": I, "last_error": (S, N), "vmcore": (S, N), "targets": O}
TARGET_SCHEMA = {"state": S, "attempts": I, "deferred": I, "next_try": I, "last_error": (S, N), "receipt": (S, N)}
STATUS_SCHEMA = {"armed": B, "pstore": O, "kdump": O, "watchdog": O, "load": (O, N), "reports": O,
                 "test_crash": (O, N)}
WATCHDOG_SCHEMA = {"hang_panics": B, "state": (S, N), "identity": (S, N), "timeout": I, "pretimeout": I,
                   "pretimeout_governor": (S, N)}
PSTORE_SCHEMA = {"backend": (S, N), "mounted": B, "ramoops_loaded": B, "ramoops_mem_size": I,
                 "ramoops_record_size": I, "ramoops_max_reason": I, "records_waiting": I}
KDUMP_SCHEMA = {"crash_memory": I, "loaded": B, "post_notifiers": B, "captures_waiting": I}
ANALYZE_SCHEMA = {"title": S, "type": S, "corrupted": B, "frame": (S, N), "module": (S, N), "taint": (S, N),
                  "kernel": (S, N), "hardware": (S, N), "signature": (S, N), "frames": A}


class CliTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="kcrash-cli-")
        os.makedirs(f"{self.root}/etc/default")
        os.makedirs(f"{self.root}/sys/fs/pstore")
        with open(f"{self.root}/etc/default/kdump", "w") as f:
            f.write("KDUMP_FOLDER=/var/kdump\nJOURNAL_TAIL_LINES=0\n")
        shutil.copyfile(f"{FIXTURES}/pstore-ramoops-oops-then-panic/pstore/dmesg-ramoops-0",
                        f"{self.root}/sys/fs/pstore/dmesg-ramoops-0")

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run_ctl(self, *args, stdin=None):
        return subprocess.run([KCRASHCTL, "--root", self.root, *args], capture_output=True, text=True, input=stdin)

    def check(self, obj, schema, where):
        for k, t in schema.items():
            self.assertIn(k, obj, f"{where}: no {k}")
            self.assertIsInstance(obj[k], t, f"{where}.{k}")

    def test_json_outputs_follow_the_schema(self):
        self.assertEqual(self.run_ctl("collect").returncode, 0)
        out = json.loads(self.run_ctl("list", "--json").stdout)
        self.assertEqual(len(out), 1)
        self.check(out[0], LIST_SCHEMA, "list[0]")
        # no target configured: the kcrash target's state alone
        self.assertEqual(list(out[0]["targets"]), ["kcrash"])
        self.check(out[0]["targets"]["kcrash"], TARGET_SCHEMA, "list[0].targets.kcrash")
        st = json.loads(self.run_ctl("status", "--json").stdout)
        self.check(st, STATUS_SCHEMA, "status")
        self.check(st["pstore"], PSTORE_SCHEMA, "status.pstore")
        self.check(st["kdump"], KDUMP_SCHEMA, "status.kdump")
        self.check(st["watchdog"], WATCHDOG_SCHEMA, "status.watchdog")
        with open(f"{FIXTURES}/pstore-ramoops-oops-then-panic/pstore/dmesg-ramoops-1") as f:
            an = json.loads(self.run_ctl("analyze", "--json", stdin=f.read()).stdout)
        self.check(an, ANALYZE_SCHEMA, "analyze")
        self.assertTrue(all(isinstance(x, str) for x in an["frames"]))
        rep = json.loads(self.run_ctl("show", "--json", out[0]["id"]).stdout)
        self.assertEqual(rep["schema"], 1)
        self.assertEqual(json.loads(self.run_ctl("clean", "--json").stdout), {"removed": 0})

    def test_analyze_all_gives_every_crash(self):
        # Two records of two crashes, one log: --all analyses both, the
        # plain form the first; a directory is refused with exit 1.
        logs = [f"{FIXTURES}/pstore-ramoops-bug-panic/pstore/dmesg-ramoops-1",
                f"{FIXTURES}/pstore-ramoops-gpf-panic/pstore/dmesg-ramoops-1"]
        text = ""
        for p in logs:
            with open(p) as f:
                text += f.read()
        alone = [json.loads(self.run_ctl("analyze", "--json", p).stdout) for p in logs]
        out = self.run_ctl("analyze", "--all", "--json", stdin=text)
        self.assertEqual(out.returncode, 0)
        got = [json.loads(l) for l in out.stdout.splitlines()]
        self.assertEqual([a["title"] for a in got], [a["title"] for a in alone])
        self.assertEqual(got[1], alone[1])
        first = self.run_ctl("analyze", "--json", stdin=text)
        self.assertEqual(json.loads(first.stdout)["title"], alone[0]["title"])
        human = self.run_ctl("analyze", "--all", stdin=text).stdout
        self.assertEqual(human.count("Title:"), 2)
        self.assertEqual(self.run_ctl("analyze", "--all", self.root).returncode, 1)

    def test_exit_codes(self):
        self.assertEqual(self.run_ctl().returncode, 2, "no verb")
        self.assertEqual(self.run_ctl("no-such-verb").returncode, 2)
        self.assertEqual(self.run_ctl("--no-such-option", "list").returncode, 2)
        self.assertEqual(self.run_ctl("list", "extra").returncode, 2)
        self.assertEqual(self.run_ctl("show").returncode, 2)
        self.assertEqual(self.run_ctl("show", "nope").returncode, 1)
        self.assertEqual(self.run_ctl("analyze", "/nonexistent").returncode, 1)
        self.assertEqual(self.run_ctl("test-crash").returncode, 2, "test-crash without --yes and no terminal")
        # the daemon would apply them to every pass: a retry storm
        submit = os.path.join(os.path.dirname(KCRASHCTL), "..", "kcrashd", "kcrash-submit")
        for opt in ["--now", "--parked"]:
            p = subprocess.run([submit, "--root", self.root, opt], capture_output=True, text=True,
                               env=dict(os.environ, KCRASHD_ALLOW_ROOT="1"), timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--now and --parked need --once", p.stderr)
        for verb in ["--help", "--version"]:
            self.assertEqual(self.run_ctl(verb).returncode, 0)
        with open(f"{self.root}/etc/default/kdump", "a") as f:
            f.write("USE_PSTORE_RAM=maybe\n")
        for verb in ["collect", "list", "status", "submit", "config", "clean", "initrd"]:
            self.assertEqual(self.run_ctl(verb).returncode, 78, verb)
        self.assertEqual(self.run_ctl("load").returncode, 0, "load never fails the boot")

    def test_help_lists_every_verb(self):
        out = self.run_ctl("--help").stdout
        for verb in ["status", "test-crash", "load", "initrd", "collect", "submit", "list", "show", "analyze",
                     "clean", "config"]:
            self.assertIn(f"  {verb} ", out)

    def test_empty_tree_status_says_nothing_is_armed(self):
        empty = tempfile.mkdtemp(prefix="kcrash-empty-")
        try:
            p = subprocess.run([KCRASHCTL, "--root", empty, "status"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 3, "exit 3: nothing is armed (kcrashctl(8), EXIT STATUS)")
            self.assertIn("nothing is armed", p.stdout)
            p = subprocess.run([KCRASHCTL, "--root", empty, "status", "--json"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 3, "--json too")
            self.assertFalse(json.loads(p.stdout)["armed"])
        finally:
            shutil.rmtree(empty)

    def test_status_exit_code_follows_what_is_armed(self):
        def status():
            return subprocess.run([KCRASHCTL, "--root", self.root, "status"], capture_output=True, text=True)
        os.makedirs(f"{self.root}/sys/module/pstore/parameters", exist_ok=True)
        os.makedirs(f"{self.root}/sys/kernel", exist_ok=True)
        self.assertEqual(status().returncode, 3)
        # a pstore backend whose pstorefs is there (a fake root has no mount table)
        with open(f"{self.root}/sys/module/pstore/parameters/backend", "w") as f:
            f.write("ramoops\n")
        p = status()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Armed:       yes", p.stdout)
        with open(f"{self.root}/sys/module/pstore/parameters/backend", "w") as f:
            f.write("(null)\n")
        self.assertEqual(status().returncode, 3)
        # kdump alone
        with open(f"{self.root}/sys/kernel/kexec_crash_loaded", "w") as f:
            f.write("1\n")
        self.assertEqual(status().returncode, 0)
        # "1x" is not 1: a sysfs value that is not a number counts as 0
        with open(f"{self.root}/sys/kernel/kexec_crash_loaded", "w") as f:
            f.write("1x\n")
        self.assertEqual(status().returncode, 3)

    def test_watchdog_panic(self):
        """WATCHDOG_PANIC=1: load records the device it arms (a fake root
        runs neither modprobe nor asks systemd) or says why it cannot;
        status says whether a hang panics from what sysfs says, not from the
        configuration: a pretimeout with the panic governor, or softdog
        with soft_panic=1."""
        with open(f"{self.root}/etc/default/kdump", "a") as f:
            f.write("WATCHDOG_PANIC=1\nWATCHDOG_TIMEOUT=16\n")

        def load_record():
            self.assertEqual(self.run_ctl("load").returncode, 0, "load never fails the boot")
            st = json.loads(self.run_ctl("status", "--json").stdout)
            return st["load"]["watchdog"], st

        def write(path, value):
            os.makedirs(os.path.dirname(f"{self.root}{path}"), exist_ok=True)
            with open(f"{self.root}{path}", "w") as f:
                f.write(value + "\n")
        wd, st = load_record()
        self.assertFalse(wd["armed"])
        self.assertIn("softdog would be loaded", wd["error"])
        self.assertFalse(st["watchdog"]["hang_panics"])
        self.assertIn("not turned into panics (no watchdog device)", self.run_ctl("status").stdout)

        # a hardware watchdog with a pretimeout
        dev = "/sys/class/watchdog/watchdog0"
        for k, v in {"identity": "iTCO_wdt", "state": "active", "timeout": "16", "pretimeout": "8",
                     "pretimeout_governor": "noop"}.items():
            write(f"{dev}/{k}", v)
        wd, st = load_record()
        self.assertTrue(wd["armed"], wd)
        self.assertEqual((wd["identity"], wd["how"], wd["timeout"]), ("iTCO_wdt", "pretimeout panic governor", 16))
        # the governor is not panic yet: a hang would reset without a record
        self.assertFalse(st["watchdog"]["hang_panics"])
        self.assertIn("pretimeout governor is not panic", self.run_ctl("status").stdout)
        write(f"{dev}/pretimeout_governor", "panic")
        st = json.loads(self.run_ctl("status", "--json").stdout)
        self.assertTrue(st["watchdog"]["hang_panics"])
        self.assertEqual(st["watchdog"]["pretimeout"], 8)
        self.assertIn("watchdog0 (iTCO_wdt) panics after 8 s without a ping", self.run_ctl("status").stdout)

        # softdog: its expiry panics only with soft_panic=1, which sysfs does
        # not show: only a softdog that load loaded (its mark in /run) counts
        write(f"{dev}/identity", "Software Watchdog")
        write(f"{dev}/pretimeout", "0")
        wd, st = load_record()
        self.assertFalse(wd["armed"])
        self.assertIn("softdog that kcrashctl load did not load", wd["error"])
        self.assertFalse(st["watchdog"]["hang_panics"])
        write("/run/kcrash/softdog-soft-panic", "1")
        wd, st = load_record()
        self.assertTrue(wd["armed"], wd)
        self.assertEqual(wd["how"], "softdog soft_panic")
        self.assertTrue(st["watchdog"]["hang_panics"])
        self.assertIn("watchdog0 (Software Watchdog) panics after 16 s without a ping", self.run_ctl("status").stdout)

        for bad in ("3", "18446744073709551615"):
            with open(f"{self.root}/etc/default/kdump", "a") as f:
                f.write(f"WATCHDOG_TIMEOUT={bad}\n")
            wd, _ = load_record()
            self.assertFalse(wd["armed"])
            self.assertIn(f"WATCHDOG_TIMEOUT={bad}: 4 to 3600 seconds", wd["error"])

if __name__ == "__main__":
    unittest.main(verbosity=2)
