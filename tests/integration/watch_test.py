#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Beyond panics (issue 12), on fake roots: `kcrashd watch` reading a kernel
log (ROOT/dev/kmsg, records in the /dev/kmsg format) and the collector
turning its events into reports; unexplained reboots found from the boot
records, the clean-shutdown mark and a journal written by
systemd-journal-remote."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from collect_test import CONFIG, FIXTURES, KCRASHD, make_root, run, zips  # noqa: E402

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
BOOT_A = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
BOOT_B = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
BOOT_C = "cccccccc-cccc-cccc-cccc-cccccccccccc"


def kmsg_records(fixture, seq, facility=0, end_marker=False):
    """The fixture's "[ ts] message" lines as /dev/kmsg records."""
    out = []
    with open(f"{FIXTURES}/kmsg/{fixture}") as f:
        for line in f:
            m = re.match(r"\[\s*(\d+)\.(\d+)\] ?(.*)", line.rstrip("\n"))
            if not m:
                continue
            ts = int(m.group(1)) * 1000000 + int(m.group(2))
            out.append(f"{facility * 8 + 4},{seq},{ts},-;{m.group(3)}\n")
            seq += 1
    if end_marker:
        out.append(f"4,{seq},{ts},-;---[ end trace 0000000000000000 ]---\n")
        seq += 1
    return "".join(out), seq


def set_boot(root, boot_id, btime):
    os.makedirs(f"{root}/proc/sys/kernel/random", exist_ok=True)
    with open(f"{root}/proc/sys/kernel/random/boot_id", "w") as f:
        f.write(boot_id + "\n")
    with open(f"{root}/proc/stat", "w") as f:
        f.write(f"cpu  1 2 3 4\nbtime {btime}\n")


def watch(root):
    p = subprocess.run([KCRASHD, "--root", root, "watch", "--once"], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"kcrashd watch failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def events(root):
    d = f"{root}/var/lib/kcrash-watch/events"
    return sorted(n for n in os.listdir(d) if n.endswith(".event")) if os.path.isdir(d) else []


def report(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("report.json")), {n: z.read(n) for n in z.namelist()}


class WatchTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-watch-")
        self.root = make_root(self.tmp)
        os.makedirs(f"{self.root}/dev")
        set_boot(self.root, BOOT_A, 1795300000)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write_kmsg(self, text):
        with open(f"{self.root}/dev/kmsg", "w") as f:
            f.write(text)

    def test_warn_storm_makes_one_report(self):
        """A WARN 1,000 times (the test module's, captured in the VM), and a
        fake WARNING written from user space: one event, one report with
        "fatal": false; a restart does not report it again; the next
        event's report says how many were held back."""
        seq, text = 1, ["12,0,100,-;WARNING: CPU: 0 PID: 1 at fake.c:1 fake+0x0/0x10\n"]
        for _ in range(1000):
            t, seq = kmsg_records("warning.txt", seq, end_marker=True)
            text.append(t)
        self.write_kmsg("".join(text))
        watch(self.root)
        self.assertEqual(len(events(self.root)), 1)
        with open(f"{self.root}/var/lib/kcrash-watch/state") as f:
            self.assertIn(f"seq {seq - 1}\n", f.read())

        out = run(["collect"], self.root).stdout
        self.assertIn("WARNING in crashme_do_warn", out)
        self.assertEqual(events(self.root), [])
        (z,) = zips(self.root)
        rep, members = report(z)
        self.assertIs(rep["fatal"], False)
        self.assertEqual(rep["kind"], "kernel-event")
        self.assertEqual(rep["source"], "kmsg")
        self.assertEqual(rep["event"]["class"], "WARNING")
        self.assertEqual(rep["event"]["boot_id"], BOOT_A)
        self.assertEqual(rep["analysis"]["title"], "WARNING in crashme_do_warn")
        self.assertEqual(rep["analysis"]["module"], "crashme")
        log = [v for k, v in members.items() if k.startswith("dmesg-kmsg.")][0].decode()
        self.assertIn("cut here", log)  # the lines before it
        self.assertIn("crashme_write", log)  # the whole trace
        self.assertNotIn("fake.c", log)

        # restart: nothing new
        watch(self.root)
        self.assertEqual(events(self.root), [])
        # a GPU reset after it: reported, with the 999 held back
        t, seq = kmsg_records("gpu-amdgpu.txt", seq)
        with open(f"{self.root}/dev/kmsg", "a") as f:
            f.write(t)
        watch(self.root)
        self.assertEqual(len(events(self.root)), 1)
        run(["collect"], self.root)
        gpu = [report(z) for z in zips(self.root) if report(z)[0]["event"]["class"] == "GPU_HANG"]
        self.assertEqual(len(gpu), 1)
        rep, _ = gpu[0]
        self.assertEqual(rep["event"]["suppressed"], 999)
        self.assertTrue(rep["analysis"]["title"].startswith("GPU_HANG: amdgpu N:N:N.N: ring gfx_N.N.N timeout"))
        self.assertTrue(rep["analysis"]["signature"].startswith("kmsg-"))
        self.assertTrue(any("held back" in n for n in rep["notes"]))

    def test_a_watcher_killed_while_writing_leaves_nothing_behind(self):
        """Killed inside the event write (a failpoint after the temporary
        file is written): the next start removes the temporary file, which
        would keep kcrash-collect.path triggering for good, and queues the
        event."""
        t, _ = kmsg_records("warning.txt", 1, end_marker=True)
        self.write_kmsg(t)
        p = subprocess.run([KCRASHD, "--root", self.root, "watch", "--once"], capture_output=True, text=True,
                           env=dict(os.environ, KCRASH_FAILPOINT="write-atomic:kill"))
        self.assertIn(p.returncode, (-9, 137), p.stderr)
        d = f"{self.root}/var/lib/kcrash-watch/events"
        self.assertTrue([n for n in os.listdir(d) if n.startswith(".#")])
        watch(self.root)
        self.assertEqual([n for n in os.listdir(d) if n.startswith(".#")], [])
        self.assertEqual(len(events(self.root)), 1)

    def test_a_watcher_killed_before_saving_its_position_reports_once(self):
        """Killed after the event file is in place and before the position
        is saved: the restarted watcher queues the event again, and the
        collector knows it reported it."""
        t, _ = kmsg_records("warning.txt", 1, end_marker=True)
        self.write_kmsg(t)
        p = subprocess.run([KCRASHD, "--root", self.root, "watch", "--once"], capture_output=True, text=True,
                           env=dict(os.environ, KCRASH_FAILPOINT="write-atomic-renamed:kill"))
        self.assertIn(p.returncode, (-9, 137), p.stderr)
        self.assertFalse(os.path.exists(f"{self.root}/var/lib/kcrash-watch/state"))
        run(["collect"], self.root)
        self.assertEqual(len(zips(self.root)), 1)
        watch(self.root)
        self.assertEqual(len(events(self.root)), 1)  # queued again
        p = run(["collect"], self.root)
        self.assertEqual(len(zips(self.root)), 1)
        self.assertEqual(events(self.root), [])
        self.assertIn("was reported before", p.stderr)

    def test_warning_then_panic_is_also_a_crash(self):
        """A WARN the watcher reported, then the panic it led to
        (panic_on_warn; the pstore record captured from the same test
        module): the panic is still reported once as a crash, not folded
        into the warning's report by their shared signature."""
        t, _ = kmsg_records("warning.txt", 1, end_marker=True)
        self.write_kmsg(t)
        watch(self.root)
        self.assertEqual(len(events(self.root)), 1)
        pstore = f"{self.root}/sys/fs/pstore"
        src = f"{FIXTURES}/pstore-ramoops-warn-panic/pstore/dmesg-ramoops-0"
        shutil.copyfile(src, f"{pstore}/dmesg-ramoops-0")
        run(["collect"], self.root)
        reps = sorted((report(z)[0] for z in zips(self.root)), key=lambda r: r["kind"])
        self.assertEqual([(r["kind"], r["fatal"]) for r in reps], [("crash", True), ("kernel-event", False)])
        self.assertEqual({r["analysis"]["title"] for r in reps}, {"WARNING in crashme_do_warn"})
        self.assertEqual(os.listdir(pstore), [], "the record is collected")
        run(["collect"], self.root)
        self.assertEqual(len(zips(self.root)), 2, "each once")

    def test_user_space_warning_makes_no_report(self):
        """`echo '<4>WARNING: ...' > /dev/kmsg` gets facility 1 (LOG_USER):
        never a report, however real it looks."""
        t, _ = kmsg_records("warning.txt", 1, facility=1, end_marker=True)
        t2, _ = kmsg_records("oops.txt", 100, facility=3)
        self.write_kmsg(t + t2)
        watch(self.root)
        self.assertEqual(events(self.root), [])
        run(["collect"], self.root)
        self.assertEqual(zips(self.root), [])

    def test_every_class_from_real_logs(self):
        seq, text = 1, []
        for fx in ["oops.txt", "hung-task.txt", "soft-lockup.txt", "rcu-stall.txt", "hard-lockup.txt",
                   "gpu-i915.txt", "mce.txt", "fs-ext4.txt"]:
            t, seq = kmsg_records(fx, seq)
            text.append(t)
            # a pause between them, as on a real machine
            text.append(f"6,{seq},99999999999,-;later\n")
            seq += 1
        self.write_kmsg("".join(text))
        watch(self.root)
        run(["collect"], self.root)
        classes = sorted(report(z)[0]["event"]["class"] for z in zips(self.root))
        self.assertEqual(classes, sorted(["OOPS", "HUNG_TASK", "SOFT_LOCKUP", "RCU_STALL", "HARD_LOCKUP", "GPU_HANG",
                                          "MCE", "FS_ERROR"]))

    def test_hostile_spool(self):
        """The spool is the unprivileged watcher's: the root collector does
        not follow a symlink there, does not block on a FIFO, and drops
        what is not an event."""
        d = f"{self.root}/var/lib/kcrash-watch/events"
        os.makedirs(d)
        victim = f"{self.tmp}/victim"
        with open(victim, "w") as f:
            f.write("kcrash-event 1\n")
        os.symlink(victim, f"{d}/a-1.event")
        os.mkfifo(f"{d}/a-2.event")
        with open(f"{d}/a-3.event", "w") as f:
            f.write("kcrash-event 1\nclass WARNING\n")
        p = run(["collect"], self.root, check=False)
        self.assertEqual(zips(self.root), [])
        self.assertTrue(os.path.exists(victim))
        self.assertIn("not a valid kernel event", p.stderr)
        self.assertFalse(os.path.exists(f"{d}/a-3.event"))


    def test_spool_junk_is_removed_and_said_once(self):
        """What the watcher's account leaves in its spool that is not an
        event (many names, a directory under an event's name, a name that
        would forge a log line) is removed, and said once per kind: the
        collector's memory and log do not grow with it, and nothing stays
        to start kcrash-collect.path again."""
        d = f"{self.root}/var/lib/kcrash-watch/events"
        os.makedirs(d)
        for i in range(2000):
            open(f"{d}/junk-{i:05d}", "w").close()
        forged = "x\n<0>kcrash-collect: Collected holo-0-deck.202611220814: FORGED\n<6>y"
        open(f"{d}/{forged}", "w").close()
        os.makedirs(f"{d}/abc-1.event/inner")
        with open(f"{d}/abc-1.event/inner/f", "w") as f:
            f.write("x")
        p = run(["collect"], self.root, check=False)
        self.assertEqual(os.listdir(d), [])
        lines = p.stderr.splitlines()
        self.assertEqual(len([l for l in lines if "is not a kernel event file" in l]), 1, p.stderr[-2000:])
        self.assertIn("(and 2000 more like it); removed", p.stderr)
        self.assertEqual(len([l for l in lines if "is not a valid kernel event" in l]), 1, p.stderr[-2000:])
        self.assertFalse([l for l in lines if "FORGED" in l and not l.startswith("kcrash-collect: ")], lines)
        self.assertLess(len(p.stderr), 4096)


@unittest.skipUnless(os.access(JOURNAL_REMOTE, os.X_OK), "systemd-journal-remote is missing")
class UncleanTest(unittest.TestCase):
    """Three boots: A shuts down cleanly, B crash-loops a unit into the OOM
    killer and is reset, C finds B unexplained."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-unclean-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def journal(self, root, boot, start):
        os.makedirs(f"{root}/var/log/journal", exist_ok=True)
        b = boot.replace("-", "")
        lines, n = [], 0

        def entry(fields):
            nonlocal n
            lines.append(f"__REALTIME_TIMESTAMP={(start + 30 + n * 20) * 1000000}\n__MONOTONIC_TIMESTAMP={n + 1}\n"
                         f"_BOOT_ID={b}\n{fields}\n\n")
            n += 1
        entry("_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=Linux version 6.1.0-56-amd64")
        for _ in range(7):
            entry("_PID=1\nSYSLOG_IDENTIFIER=systemd\nMESSAGE_ID=39f53479d3a045ac8e11786248231fbf\n"
                  "UNIT=memhog.service\nMESSAGE=Started memhog.service - allocates forever.")
            entry("_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=oom-kill:constraint=CONSTRAINT_NONE,"
                  "nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/memhog.service,"
                  "task=memhog,pid=812,uid=0")
            entry("_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=Out of memory: Killed process 812 (memhog) "
                  "total-vm:2100000kB, anon-rss:1900000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:3800kB "
                  "oom_score_adj:0")
        export = f"{self.tmp}/export"
        with open(export, "w") as f:
            f.write("".join(lines))
        with open(export) as f:
            subprocess.run([JOURNAL_REMOTE, f"--output={root}/var/log/journal/b.journal", "-"], stdin=f, check=True,
                           capture_output=True)

    def boots(self, config=CONFIG, crash=()):
        root = make_root(self.tmp, config=config)
        set_boot(root, BOOT_A, 1795300000)
        run(["collect"], root)  # records boot A
        self.mark(root, "mark-boot", BOOT_A, "running")
        self.mark(root, "mark-shutdown", BOOT_A, "clean")
        set_boot(root, BOOT_B, 1795310000)
        run(["collect"], root)  # after a clean reboot: nothing
        self.assertEqual(zips(root), [])
        self.mark(root, "mark-boot", BOOT_B, "running")
        self.journal(root, BOOT_B, 1795310000)  # B loops, then is reset (no mark)
        set_boot(root, BOOT_C, 1795320000)
        if crash:
            shutil.copytree(f"{FIXTURES}/{crash[0]}/pstore", f"{root}/sys/fs/pstore", dirs_exist_ok=True)
        run(["collect"], root)
        return root

    def mark(self, root, mode, boot, state):
        p = subprocess.run([KCRASHD, "--root", root, mode], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(f"{root}/var/lib/kcrash/shutdown-marks/{boot}") as f:
            self.assertEqual(f.read(), f"BOOT_ID={boot}\nSTATE={state}\n")

    def test_the_first_boot_with_kcrash_is_reset(self):
        """No boot was ever marked clean: the first one is reset after
        kcrash-shutdown.service started; the next boot reports it."""
        root = make_root(self.tmp, config=CONFIG)
        set_boot(root, BOOT_A, 1795300000)
        run(["collect"], root)  # records boot A, finds no mark
        self.assertEqual(zips(root), [])
        self.mark(root, "mark-boot", BOOT_A, "running")
        self.journal(root, BOOT_A, 1795300000)
        set_boot(root, BOOT_B, 1795310000)
        run(["collect"], root)
        (z,) = zips(root)
        rep, _ = report(z)
        self.assertEqual(rep["kind"], "unclean-shutdown")
        self.assertEqual(rep["event"]["boot_id"], BOOT_A)
        # a second run in the same boot, after B marked itself running: still one
        self.mark(root, "mark-boot", BOOT_B, "running")
        run(["collect"], root)
        self.assertEqual(len(zips(root)), 1)

    def test_a_failed_collection_keeps_the_previous_boot_s_mark(self):
        """The collector fails at boot (a full disk), kcrash-shutdown.service
        marks the new boot running all the same; the next run still reports
        the reset of the boot before."""
        root = make_root(self.tmp, config=CONFIG)
        set_boot(root, BOOT_A, 1795300000)
        run(["collect"], root)
        self.mark(root, "mark-boot", BOOT_A, "running")
        self.journal(root, BOOT_A, 1795300000)  # reset
        set_boot(root, BOOT_B, 1795310000)
        p = run(["collect"], root, env={"KCRASH_FAILPOINT": "commit-zip:ENOSPC"}, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(zips(root), [])
        self.mark(root, "mark-boot", BOOT_B, "running")
        run(["collect"], root)
        (z,) = zips(root)
        self.assertEqual(report(z)[0]["event"]["boot_id"], BOOT_A)

    def test_old_marks_are_pruned(self):
        root = make_root(self.tmp, config=CONFIG)
        for i in range(20):
            set_boot(root, f"{i:08x}-0000-0000-0000-000000000000", 1795300000 + i)
            self.mark(root, "mark-boot", f"{i:08x}-0000-0000-0000-000000000000", "running")
            os.utime(f"{root}/var/lib/kcrash/shutdown-marks/{i:08x}-0000-0000-0000-000000000000",
                     (1795300000 + i, 1795300000 + i))
        marks = sorted(os.listdir(f"{root}/var/lib/kcrash/shutdown-marks"))
        self.assertEqual(len(marks), 16)
        self.assertEqual(marks[0], "00000004-0000-0000-0000-000000000000")  # the newest 16 of 20

    def test_crash_looping_oom_unit_then_reset(self):
        root = self.boots()
        (z,) = zips(root)
        rep, members = report(z)
        self.assertEqual(rep["kind"], "unclean-shutdown")
        self.assertIs(rep["fatal"], True)
        self.assertEqual(rep["analysis"]["type"], "UNCLEAN_SHUTDOWN")
        self.assertEqual(rep["analysis"]["title"],
                         "UNCLEAN_SHUTDOWN: unexplained reboot after a restart loop of memhog.service and OOM kills")
        self.assertEqual(rep["event"]["boot_id"], BOOT_B)
        note = rep["upload"]["note"]
        self.assertIn("OOM kills: 7 (memhog)", note)
        self.assertIn("memhog.service (7 starts in 10 min)", note)
        self.assertIn("Uptime at its last journal entry: 450 s", note)
        kernel = [v for k, v in members.items() if k.startswith("dmesg-journal.")][0].decode()
        self.assertIn("Out of memory: Killed process 812 (memhog)", kernel)
        self.assertEqual(rep["kernel"]["release"], "6.1.0-99-amd64")
        # once
        run(["collect"], root)
        self.assertEqual(len(zips(root)), 1)

    def test_a_crash_explains_the_reboot(self):
        root = self.boots(crash=["pstore-ramoops-sysrq-panic"])
        kinds = [report(z)[0]["kind"] for z in zips(root)]
        self.assertEqual(kinds, ["crash"])

    def test_a_survived_oops_does_not_explain_the_reboot(self):
        """B logged an oops to pstore, went on running, then lost power:
        the oops is reported, and so is the reset."""
        root = self.boots(crash=["pstore-ramoops-oops-no-panic"])
        kinds = sorted(report(z)[0]["kind"] for z in zips(root))
        self.assertEqual(kinds, ["crash", "unclean-shutdown"])

    def test_configurable(self):
        root = self.boots(config=CONFIG + "REPORT_UNCLEAN_SHUTDOWN=0\n")
        self.assertEqual(zips(root), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
