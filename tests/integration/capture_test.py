#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""kcrashctl load and kcrash-save on fake roots (the VM suite runs them for
real): arming from /proc/iomem, the armed state, GRUB editing, and the crash
kernel's collector with a stand-in makedumpfile, down to the report."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
SAVE = os.environ.get("KCRASH_SAVE", "build/src/kcrash-save/kcrash-save")
FIXTURES = os.environ.get("KCRASH_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))

QEMU_IOMEM = """00000000-00000fff : Reserved
00100000-2fffffff : System RAM
30000000-304fffff : Persistent Memory (legacy)
30500000-7ffdffff : System RAM
"""

FAKE_MAKEDUMPFILE = """#!/bin/sh
# stand-in for makedumpfile: logs its arguments, writes the fixture's dmesg
echo "$@" >> "$(dirname "$0")/makedumpfile.args"
[ "$1" = -h ] && { echo "  -c  zlib"; echo "  -l  lzo"; echo "'-p'/'-z' option will be ignored"; exit 0; }
eval out=\\${$#}
[ -n "$SLOW" ] && sleep 4
case "$*" in
  *--dump-dmesg*) cat "$FIXTURE_DMESG" > "$out" ;;
  *) printf 'KDUMP   ' > "$out"; head -c 4096 /dev/zero >> "$out" ;;
esac
"""


def put(root, path, text):
    os.makedirs(os.path.dirname(f"{root}{path}"), exist_ok=True)
    with open(f"{root}{path}", "w") as f:
        f.write(text)


class CaptureTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-capture-")
        self.root = f"{self.tmp}/root"
        put(self.root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nJOURNAL_TAIL_LINES=0\n")
        put(self.root, "/proc/sys/kernel/osrelease", "6.1.0-56-amd64\n")
        put(self.root, "/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda ro quiet crashkernel=256M\n")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ctl(self, *args, check=True):
        p = subprocess.run([KCRASHCTL, "--root", self.root, *args], capture_output=True, text=True)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def armed(self):
        with open(f"{self.root}/var/kdump/.kcrash/armed.json") as f:
            return json.load(f)

    def test_load_arms_ramoops_from_iomem(self):
        put(self.root, "/proc/iomem", QEMU_IOMEM)
        put(self.root, "/sys/module/pstore/parameters/backend", "(null)\n")
        p = self.ctl("load")
        a = self.armed()
        self.assertTrue(a["pstore"]["armed"])
        self.assertEqual(a["pstore"]["mem_address"], 0x30000000)
        self.assertEqual(a["pstore"]["mem_size"], 5 << 20)
        self.assertFalse(a["kdump"]["armed"])
        self.assertIn("crashkernel", a["kdump"]["error"])
        p = self.ctl("status", "--json", check=False)
        self.assertEqual(p.returncode, 3, "a fake root runs no modprobe: nothing is armed for real")
        st = json.loads(p.stdout)
        self.assertFalse(st["armed"])
        self.assertTrue(st["load"]["pstore"]["armed"])

    def test_load_without_pstore_ram(self):
        # USE_PSTORE_RAM=0: no ramoops, even with a RAM buffer and no backend; kdump is still armed
        put(self.root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nUSE_PSTORE_RAM=0\n")
        put(self.root, "/proc/iomem", QEMU_IOMEM)
        put(self.root, "/sys/module/pstore/parameters/backend", "(null)\n")
        put(self.root, "/sys/kernel/kexec_crash_size", "268435456\n")
        put(self.root, "/var/lib/kcrash/kcrash-6.1.0-56-amd64.img", "initrd")
        put(self.root, "/sys/module/kernel/parameters/crash_kexec_post_notifiers", "N\n")
        self.ctl("load")
        a = self.armed()
        self.assertFalse(a["pstore"]["armed"])
        self.assertEqual(a["pstore"]["error"], "USE_PSTORE_RAM=0")
        self.assertNotIn("mem_address", a["pstore"])
        self.assertTrue(a["kdump"]["armed"])
        self.assertFalse(a.get("crash_kexec_post_notifiers", False), "only pstore needs the post notifiers")
        with open(f"{self.root}/sys/module/kernel/parameters/crash_kexec_post_notifiers") as f:
            self.assertEqual(f.read(), "N\n")

    def test_load_prefers_a_platform_backend(self):
        put(self.root, "/sys/module/pstore/parameters/backend", "efi_pstore\n")
        self.ctl("load")
        self.assertEqual(self.armed()["pstore"]["how"], "platform backend")

    def test_load_never_fails_the_boot(self):
        put(self.root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nRAMOOPS_MEM_SIZE=1G\n")
        put(self.root, "/proc/iomem", QEMU_IOMEM)
        put(self.root, "/sys/kernel/kexec_crash_size", "268435456\n")
        p = self.ctl("load")
        self.assertIn("Nothing is armed", p.stderr)
        a = self.armed()
        self.assertIn("RAM buffer", a["pstore"]["error"])
        self.assertIn("kcrashctl initrd", a["kdump"]["error"])
        self.assertIn("cmdline", a["kdump"])
        self.assertNotIn("crashkernel=", a["kdump"]["cmdline"])
        self.assertIn("reset_devices nr_cpus=1 irqpoll", a["kdump"]["cmdline"])
        # even a broken configuration does not fail the boot
        put(self.root, "/etc/default/kdump", "FULL_COREDUMP=perhaps\n")
        self.assertEqual(self.ctl("load", check=False).returncode, 0)

    def test_load_both_sets_post_notifiers(self):
        put(self.root, "/proc/iomem", QEMU_IOMEM)
        put(self.root, "/sys/kernel/kexec_crash_size", "268435456\n")
        put(self.root, "/var/lib/kcrash/kcrash-6.1.0-56-amd64.img", "initrd")
        put(self.root, "/sys/module/kernel/parameters/crash_kexec_post_notifiers", "N\n")
        self.ctl("load")
        a = self.armed()
        self.assertTrue(a["pstore"]["armed"] and a["kdump"]["armed"])
        self.assertTrue(a["crash_kexec_post_notifiers"])
        with open(f"{self.root}/sys/module/kernel/parameters/crash_kexec_post_notifiers") as f:
            self.assertEqual(f.read(), "Y")

    def test_grub_autoset(self):
        grub = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'
        put(self.root, "/etc/default/grub", grub)
        put(self.root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nGRUB_AUTOSET=1\nCRASHKERNEL_SIZE=384M\n")
        self.ctl("load")
        self.ctl("load")
        with open(f"{self.root}/etc/default/grub") as f:
            text = f.read()
        self.assertEqual(text.count("crashkernel=384M"), 1)
        self.assertTrue(text.startswith(grub))
        put(self.root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nGRUB_AUTOSET=0\n")
        self.ctl("load")
        with open(f"{self.root}/etc/default/grub") as f:
            self.assertEqual(f.read(), grub)

    def test_initrd_builds_and_prunes(self):
        dracut = f"{self.tmp}/dracut"
        with open(dracut, "w") as f:
            f.write('#!/bin/sh\necho "$@" > "$(dirname "$0")/dracut.args"\neval out=\\${$#}\necho image > "$out"\n')
        os.chmod(dracut, 0o755)
        os.makedirs(f"{self.root}/lib/modules/6.1.0-56-amd64")
        put(self.root, "/var/lib/kcrash/kcrash-5.10.0-1-amd64.img", "old")
        p = subprocess.run([KCRASHCTL, "--root", self.root, "initrd"], capture_output=True, text=True,
                           env=dict(os.environ, KCRASH_DRACUT=dracut))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.listdir(f"{self.root}/var/lib/kcrash"), ["kcrash-6.1.0-56-amd64.img"])
        with open(f"{self.tmp}/dracut.args") as f:
            args = f.read()
        self.assertIn("--modules base kcrash", args)
        self.assertIn("--kver 6.1.0-56-amd64", args)
        p = subprocess.run([KCRASHCTL, "--root", self.root, "initrd", "9.9.9"], capture_output=True, text=True,
                           env=dict(os.environ, KCRASH_DRACUT=dracut))
        self.assertEqual(p.returncode, 1)
        self.assertIn("not installed", p.stderr)

    def save(self, env_extra=None, *args, vmcore_size=0):
        mk = f"{self.tmp}/makedumpfile"
        with open(mk, "w") as f:
            f.write(FAKE_MAKEDUMPFILE)
        os.chmod(mk, 0o755)
        env = dict(os.environ, KCRASH_MAKEDUMPFILE=mk,
                   FIXTURE_DMESG=f"{FIXTURES}/kdump-module-oops/kdump/dmesg.txt", **(env_extra or {}))
        put(self.root, "/proc/vmcore", "ELF")
        if vmcore_size:
            os.truncate(f"{self.root}/proc/vmcore", vmcore_size)  # sparse: st_size is what counts
        return subprocess.run([SAVE, "--root", self.root, "--no-reboot", *args], capture_output=True, text=True,
                              env=env)

    def capture_dir(self):
        d = f"{self.root}/var/kdump/crash"
        stamps = os.listdir(d)
        self.assertEqual(len(stamps), 1)
        return f"{d}/{stamps[0]}"

    def test_save_then_collect(self):
        put(self.root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nFULL_COREDUMP=1\n"
                                             "MAKEDUMPFILE_COREDUMP_CMD=\"-z -d 31\"\nJOURNAL_TAIL_LINES=0\n")
        p = self.save()
        self.assertEqual(p.returncode, 0, p.stderr)
        d = self.capture_dir()
        self.assertEqual(sorted(os.listdir(d)), ["dmesg.txt", "done", "kcrash-save.log", "meta.json", "vmcore"])
        with open(f"{d}/meta.json") as f:
            meta = json.load(f)
        self.assertEqual(meta["dmesg_exit"], 0)
        self.assertEqual(meta["vmcore"], "vmcore")
        with open(f"{self.tmp}/makedumpfile.args") as f:
            args = f.read()
        self.assertIn("-l -d 31", args, "-z is replaced by -l when makedumpfile lacks zstd")
        out = self.ctl("collect").stdout
        self.assertIn("BUG: unable to handle kernel NULL pointer dereference in crashme_do_null", out)
        self.assertEqual(os.listdir(f"{self.root}/var/kdump/crash"), [])
        self.assertEqual(len(os.listdir(f"{self.root}/var/kdump/vmcores")), 1)

    def test_save_never_writes_into_an_existing_capture(self):
        """A capture not yet collected whose folder has this second's name
        (a crash loop, a crash kernel whose clock is stuck) is left as it is:
        kcrash-save wrote into it, truncating its log and replacing its
        dmesg and vmcore (attack review). The folders of the next seconds
        are made here first, so the run meets one whatever its clock."""
        put(self.root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nJOURNAL_TAIL_LINES=0\n")
        crash = f"{self.root}/var/kdump/crash"
        now = int(time.time())
        earlier = [time.strftime("%Y%m%d%H%M%S", time.gmtime(now + i)) for i in range(0, 30)]
        for stamp in earlier:
            put(self.root, f"/var/kdump/crash/{stamp}/dmesg.txt", "FIRST CRASH\n")
            put(self.root, f"/var/kdump/crash/{stamp}/done", "")
        p = self.save()
        self.assertEqual(p.returncode, 0, p.stderr)
        for stamp in earlier:
            self.assertEqual(sorted(os.listdir(f"{crash}/{stamp}")), ["dmesg.txt", "done"])
            with open(f"{crash}/{stamp}/dmesg.txt") as f:
                self.assertEqual(f.read(), "FIRST CRASH\n")
        (new,) = set(os.listdir(crash)) - set(earlier)
        self.assertRegex(new, r"^[0-9]{14}-2$")
        self.assertIn(new[:14], earlier)
        self.assertIn("dmesg.txt", os.listdir(f"{crash}/{new}"))

    def test_save_skips_a_vmcore_the_disk_cannot_hold(self):
        put(self.root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nFULL_COREDUMP=1\nJOURNAL_TAIL_LINES=0\n")
        os.makedirs(f"{self.root}/var/kdump")
        sv = os.statvfs(f"{self.root}/var/kdump")
        free = sv.f_bavail * sv.f_frsize
        # kcrash-save wants a tenth of the vmcore plus 64 MiB free: make that 2x what there is
        p = self.save(vmcore_size=max(20 * free, 1 << 30))
        self.assertEqual(p.returncode, 0, p.stderr)
        d = self.capture_dir()
        self.assertEqual(sorted(os.listdir(d)), ["dmesg.txt", "done", "kcrash-save.log", "meta.json"])
        with open(f"{d}/meta.json") as f:
            meta = json.load(f)
        self.assertEqual(meta["vmcore"], "skipped: not enough free space")
        self.assertNotIn("vmcore_exit", meta, "makedumpfile was not run for the vmcore")
        with open(f"{self.tmp}/makedumpfile.args") as f:
            self.assertNotIn("-d 31", f.read())
        with open(f"{d}/kcrash-save.log") as f:
            self.assertIn("vmcore skipped so the disk does not fill up", f.read())
        # the crash is still reported, from its dmesg
        self.assertIn("crashme_do_null", self.ctl("collect").stdout)

    def test_save_watchdog_and_incomplete_capture(self):
        p = self.save({"SLOW": "1"}, "--timeout", "1")
        self.assertEqual(p.returncode, 124, p.stderr)
        self.assertIn("hung", p.stderr)
        d = self.capture_dir()
        self.assertNotIn("done", os.listdir(d))
        self.ctl("collect")
        z = os.listdir(f"{self.root}/var/kdump/not_sent_logs")
        self.assertEqual(len(z), 1)
        rep = json.loads(self.ctl("show", "--json", z[0][:-4]).stdout)
        self.assertTrue(rep["incomplete"])

    def test_save_refuses_a_timeout_that_is_not_a_number(self):
        # strtoul read "x" as 0, and alarm(0) turned the crash kernel's
        # watchdog off: a hung step would then never reboot the machine.
        for bad in ("x", "", "0", "10x", "-5", "99999999999"):
            p = self.save(None, "--timeout", bad)
            self.assertEqual(p.returncode, 2, f"--timeout {bad!r}: {p.stderr}")
            self.assertIn("--timeout", p.stderr)
            self.assertFalse(os.path.exists(f"{self.root}/var/kdump/crash"), "nothing is saved on a usage error")
        p = self.save({"SLOW": "1"}, "--timeout", "1s")
        self.assertEqual(p.returncode, 124, "the watchdog fired: \"1s\" is one second")

    def test_save_with_a_bad_configuration_names_it_and_saves(self):
        """A configuration with an error is reported by file, line and key, and
        the capture is saved with the defaults (it named only the line)."""
        put(self.root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nFULL_COREDUMP=maybe\n")
        p = self.save()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"{self.root}/etc/default/kdump:2: FULL_COREDUMP:", p.stderr)
        self.assertIn("using the defaults", p.stderr)
        # the defaults' folder, under the root
        self.assertTrue(os.path.isdir(f"{self.root}/home/.steamos/offload/var/kdump/crash"), p.stderr)

    def test_not_a_crash_kernel(self):
        p = subprocess.run([SAVE, "--root", self.root, "--no-reboot"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("nothing to save", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
