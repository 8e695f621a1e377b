#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 10: no local user can steer root. The uploader's account (group
kcrash) can write the queue; these tests plant what it could plant there and
in an older layout's state folder (symlinks, FIFOs, swapped folders) and
check that root's collector and kcrashctl neither follow, block, nor write
elsewhere; that the collector links no network library; and that the upload
never runs as root."""

import hashlib
import hmac
import json
import os
import re
import pwd
import shutil
import time
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from collect_test import CONFIG, KCRASHCTL, OFFLOAD, make_root, report, run, zips  # noqa: E402

COLLECT = os.environ.get("KCRASH_COLLECT", "build/src/kcrashd/kcrash-collect")
SUBMIT = os.environ.get("KCRASH_SUBMIT", "build/src/kcrashd/kcrash-submit")
WATCH = os.environ.get("KCRASH_WATCH", "build/src/kcrashd/kcrash-watch")
KCRASHD = os.environ.get("KCRASHD", "build/src/kcrashd/kcrashd")
# A sanitizer build adds its runtimes to every binary's NEEDED.
SANITIZER_RUNTIMES = ("libasan", "libubsan", "libtsan", "liblsan")


def needed(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    return [l.split("[")[1].split("]")[0] for l in out.splitlines() if "(NEEDED)" in l]


def without_root_switch():
    env = dict(os.environ)
    env.pop("KCRASHD_ALLOW_ROOT", None)
    return env


class PrivsepTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-privsep-")
        os.chmod(self.tmp, 0o755)
        self.victim = f"{self.tmp}/victim"
        os.makedirs(self.victim)
        with open(f"{self.victim}/precious", "w") as f:
            f.write("precious")
        os.chmod(f"{self.victim}/precious", 0o600)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assert_victim_untouched(self):
        self.assertEqual(sorted(os.listdir(self.victim)), ["precious"])
        st = os.stat(f"{self.victim}/precious")
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        with open(f"{self.victim}/precious") as f:
            self.assertEqual(f.read(), "precious")

    def test_collector_links_no_network_library(self):
        self.assertFalse([l for l in needed(COLLECT) if "curl" in l], needed(COLLECT))
        self.assertFalse([l for l in needed(KCRASHCTL) if "curl" in l], needed(KCRASHCTL))
        self.assertFalse([l for l in needed(WATCH) if "curl" in l], needed(WATCH))
        self.assertTrue([l for l in needed(SUBMIT) if "curl" in l], "the uploader is the one that uploads")

    def test_collector_links_only_what_it_uses(self):
        """Issue 15: the root collector runs at every boot, mostly with
        nothing to collect; `readelf -d` shows it starts with libc only.
        libzip (which links libcrypto), libsystemd's journal and jansson
        (report.json) are loaded with dlopen(3) when there is a crash to
        report, SHA-256 is built in,
        libcurl is never linked, the uploader's backoff needs no libm."""
        libs = {l.split(".so")[0] for l in needed(COLLECT) if not l.startswith(SANITIZER_RUNTIMES + ("ld-linux",))}
        self.assertLessEqual(libs, {"libc"}, needed(COLLECT))
        for lib in ("libcurl", "libzip", "libcrypto", "libssl", "libsystemd", "libgcrypt", "libm", "libjansson"):
            self.assertNotIn(lib, libs)
        # kcrashd only starts the program of a mode
        self.assertEqual([l for l in needed(KCRASHD) if not l.startswith(SANITIZER_RUNTIMES)], ["libc.so.6"])

    def soname_path(self, key):
        """The file of a library the build loads with dlopen(3) (its SONAME
        from the build's build-config.h, its path from ldconfig)."""
        config = os.path.join(os.path.dirname(os.path.abspath(COLLECT)), "..", "..", "build-config.h")
        with open(config) as f:
            soname = [l.split('"')[1] for l in f if l.startswith(f"#define {key} ")][0]
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
        paths = [l.split("=>")[1].strip() for l in out.splitlines() if l.strip().startswith(soname + " ")]
        return soname, os.path.realpath(paths[0])

    def without_library(self, key, cmd):
        """Runs cmd where the library of key cannot be loaded: an empty file
        bind-mounted over it in a private mount namespace."""
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1)")
        soname, path = self.soname_path(key)
        script = f'mount --bind /dev/null "{path}" || exit 77; exec "$@"'
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *cmd],
                           capture_output=True, text=True, timeout=120)
        if p.returncode == 77 or "unshare failed" in p.stderr:
            self.skipTest(f"cannot hide {path}: {p.stderr.strip()}")
        return soname, p

    def test_missing_dlopened_library_is_named_and_nothing_is_lost(self):
        """Issue 15: libzip and jansson are loaded when there is a crash to
        report. Without one, the collector says which, fails and leaves the
        record in pstore; with nothing to collect it does not need them; the
        uploader refuses to start instead of parking reports as unreadable."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        records = sorted(os.listdir(f"{root}/sys/fs/pstore"))
        for key in ("LIBZIP_SONAME", "JANSSON_SONAME"):
            soname, p = self.without_library(key, [COLLECT, "--root", root])
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn(f"{soname} is not installed or cannot be loaded", p.stderr)
            self.assertEqual(sorted(os.listdir(f"{root}/sys/fs/pstore")), records, "the record stays")
            self.assertEqual(zips(root), [])
            empty = make_root(self.tmp)
            soname, p = self.without_library(key, [COLLECT, "--root", empty])
            self.assertEqual(p.returncode, 0, p.stderr)
        soname, p = self.without_library("LIBZIP_SONAME", ["env", "KCRASHD_ALLOW_ROOT=1", SUBMIT, "--root", root,
                                                           "--once"])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(f"{soname} is not installed or cannot be loaded", p.stderr)

    def test_devices_link_no_debug_info_library(self):
        """Symbolization runs where the vendor keeps debug info: no program
        that runs on a device links libdw or libdebuginfod; kcrashctl loads
        them (libdebuginfod links libcurl) only for `kcrashctl symbolize`,
        so a device's image need not ship them."""
        save = os.environ.get("KCRASH_SAVE", "build/src/kcrash-save/kcrash-save")
        for binary in (COLLECT, save, KCRASHCTL, WATCH, SUBMIT):
            self.assertFalse([l for l in needed(binary) if "libdw" in l or "libelf" in l or "debuginfod" in l],
                             (binary, needed(binary)))

    def test_planted_files_in_the_queue_and_an_old_state_folder(self):
        """#4: what the uploader's group could plant: temp names in the queue
        (symlinks to a victim, a directory holding a symlink), the final
        report name, symlinked state folders of the old 0770 layout, FIFOs."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        off = f"{root}/{OFFLOAD}"
        q = f"{off}/not_sent_logs"
        os.makedirs(q)
        os.makedirs(f"{off}/.kcrash")
        os.chmod(f"{off}/.kcrash", 0o770)  # the layout before this fix
        # root's old temp names in the queue, and root's state folders
        for name in [".#x.zip.partial", ".#collected"]:
            os.symlink(self.victim, f"{q}/{name}")
        os.makedirs(f"{q}/.#dir")
        os.symlink(self.victim, f"{q}/.#dir/inner")
        os.symlink(self.victim, f"{off}/.kcrash/boots")
        os.symlink(self.victim, f"{off}/.kcrash/tmp")
        os.symlink(self.victim, f"{off}/.kcrash/collected")
        os.mkfifo(f"{q}/fifo.zip")
        os.makedirs(f"{off}/.kcrash-upload/upload")
        os.mkfifo(f"{off}/.kcrash-upload/upload/fifo.json")
        p = subprocess.run([KCRASHCTL, "--root", root, "collect"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len([z for z in os.listdir(q) if z.endswith(".zip") and z != "fifo.zip"]), 1)
        self.assert_victim_untouched()
        for d in ["boots", "tmp", "collected"]:
            st = os.lstat(f"{off}/.kcrash/{d}")
            self.assertTrue(stat.S_ISDIR(st.st_mode), f".kcrash/{d} is a real folder again")
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(f"{off}/.kcrash").st_mode), 0o755, "root's state: root writes only")
        # kcrashctl as root reads the queue: FIFOs and symlinks neither block nor leak
        os.symlink(f"{self.victim}/precious", f"{q}/leak.zip")
        for verb in (["list", "--json"], ["status", "--json"]):
            p = subprocess.run([KCRASHCTL, "--root", root, *verb], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 3 if verb[0] == "status" else 0, p.stderr)  # status: nothing armed
            self.assertNotIn("precious", p.stdout)

    def test_uploader_state_cannot_drive_roots_terminal(self):
        """The uploader's account writes the upload states (a server's gid,
        a failure's reason that may quote the server): `kcrashctl show`,
        often run as root, prints their control characters as '?'."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        p = subprocess.run([KCRASHCTL, "--root", root, "collect"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        (z,) = zips(root)
        rid = os.path.basename(z)[:-len(".zip")]
        d = f"{root}/{OFFLOAD}/.kcrash-upload/upload"
        os.makedirs(d, exist_ok=True)
        with open(f"{d}/{rid}.json", "w") as f:
            json.dump({"state": "pending", "attempts": 1, "next_try": 0, "last_try": 0,
                       "last_error": "Start: \x1b]0;pwned\x07\x1b[2J\nFORGED", "gid": "g\x1b[31m"}, f)
        p = subprocess.run([KCRASHCTL, "--root", root, "show", rid], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(b"\x1b", p.stdout)
        self.assertNotIn(b"\x07", p.stdout)
        self.assertIn(b"Start: \\x1b]0;pwned\\x07\\x1b[2J\\nFORGED", p.stdout)

    def swap_when_stopped(self, proc, home):
        """Once proc stopped itself at a failpoint: the user's kdump folder
        renamed away and their evil folder put in its place; then it goes on."""
        try:
            for _ in range(600):
                with open(f"/proc/{proc.pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "T":
                        break
                time.sleep(0.05)
            else:
                self.fail("it did not stop at the failpoint")
            os.rename(f"{home}/kdump", f"{home}/checked")
            os.rename(f"{home}/evil", f"{home}/kdump")
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        return proc.communicate(timeout=120)

    def test_offload_folder_swapped_under_a_users_folder(self):
        """KDUMP_FOLDER under a user's folder (/home/deck/kdump): the user
        can rename their folders at any moment. Swapped after the collector
        checked the layout, for a folder whose .kcrash/tmp is a symlink, it
        removed as root everything in the symlink's target (attack review,
        with gdb; here the collector stops itself at a failpoint). The
        collection now goes on in the folder it checked."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"],
                         config=CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/kdump"))
        home = f"{root}/home/deck"
        os.makedirs(f"{home}/kdump")
        os.makedirs(f"{home}/evil/.kcrash")
        os.symlink(self.victim, f"{home}/evil/.kcrash/tmp")
        p = subprocess.Popen([COLLECT, "--root", root], env=dict(os.environ, KCRASH_FAILPOINT="collect-start:stop"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = self.swap_when_stopped(p, home)
        self.assertEqual(p.returncode, 0, err)
        self.assert_victim_untouched()
        self.assertEqual(len(os.listdir(f"{home}/checked/not_sent_logs")), 1, "collected into the folder checked")
        # messages name the folder as configured, not as reached
        self.assertIn(f"({home}/kdump/not_sent_logs/".encode(), out + err)
        self.assertNotIn(b"/proc/self/fd", out + err)
        self.assertEqual(os.listdir(f"{home}/kdump"), [".kcrash"], "nothing made in the user's folder")
        self.assertTrue(os.path.islink(f"{home}/kdump/.kcrash/tmp"))

    @unittest.skipUnless(os.geteuid() == 0, "a link a user owns needs root to make")
    def test_a_users_link_on_the_way_to_the_folder_is_not_followed(self):
        """KDUMP_FOLDER under a user's folder: a link of theirs at its place
        (with MOUNT_DEVNODE, the folder's path was resolved following it) or
        above it (/home/deck/x/kdump, x a link) had root take over what it
        named as the folder: another user's home made root's, mode 0755,
        kcrash's folders made in it (attack review); refusing it must not
        keep kcrashctl load from arming what needs no folder (a second
        review). A link of the system's own (root's: /home -> var/home) is
        still followed."""
        def victim_untouched():
            self.assert_victim_untouched()
            st = os.stat(self.victim)
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (1234, 0o700))
        os.chown(self.victim, 1234, 1234)
        os.chmod(self.victim, 0o700)
        at_place = "it must be a folder, not a symlink or a file"
        above = "a symlink on the way to it is followed only when root's, in a folder only root can change"
        for devnode, folder, link, why in (("MOUNT_DEVNODE=/dev/vdb\n", "/home/deck/kdump", "/home/deck/kdump", at_place),
                                           ("", "/home/deck/kdump", "/home/deck/kdump", at_place),
                                           ("MOUNT_DEVNODE=/dev/vdb\n", "/home/deck/x/kdump", "/home/deck/x", above),
                                           ("", "/home/deck/x/kdump", "/home/deck/x", above)):
            config = (CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", f"KDUMP_FOLDER={folder}") + devnode
                      + "USE_PSTORE_RAM=0\n")
            root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"], config=config)
            os.makedirs(f"{root}/dev")
            open(f"{root}/dev/vdb", "w").close()
            os.makedirs(f"{root}/proc/self")
            with open(f"{root}/proc/self/mountinfo", "w") as f:
                f.write("22 1 254:0 / / rw - ext4 /dev/vda rw\n30 22 254:16 / /home rw - ext4 /dev/vdb rw\n")
            os.makedirs(f"{root}/home/deck")
            os.chown(f"{root}/home/deck", 65534, 65534)
            os.symlink(self.victim, f"{root}{link}")
            os.lchown(f"{root}{link}", 65534, 65534)
            for cmd in ([KCRASHCTL, "--root", root, "load"], [COLLECT, "--root", root]):
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
                self.assertIn(f'{folder}": ', p.stderr, cmd)
                self.assertIn(why, p.stderr, cmd)
                victim_untouched()
                if cmd[-1] == "load":  # what needs no folder is still armed
                    self.assertRegex(p.stderr, "Nothing is armed|Armed: ")
            self.assertEqual(len(os.listdir(f"{root}/sys/fs/pstore")), 1, "the crash is kept for a later run")
        # the system's own link on the way: followed
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"],
                         config=CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/kdump"))
        os.makedirs(f"{root}/var/home/deck")
        os.symlink("var/home", f"{root}/home")
        p = subprocess.run([COLLECT, "--root", root], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(os.listdir(f"{root}/var/home/deck/kdump/not_sent_logs")), 1)

    @unittest.skipUnless(os.geteuid() == 0, "a user's folder needs root to make")
    def test_the_readers_of_the_folder_do_not_follow_a_users_link(self):
        """kcrashctl list, show and status, and the uploader, opened the
        folder by its path: a link of the user's at its place (the user owns
        the folder above KDUMP_FOLDER) had root list and show the user's
        forged reports, count them in status, and the uploader send them and
        write its state in the user's folder (review of the pinned open).
        They refuse it now, as the collector does; root's link is followed."""
        config = (CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/kdump") + "USE_PSTORE_RAM=0\n"
                  "SUBMIT_START_URL=http://127.0.0.1:9/s\nSUBMIT_FINISH_URL=http://127.0.0.1:9/f\n"
                  "SUBMIT_ALLOW_INSECURE_HTTP=1\nSUBMIT_CONNECT_TIMEOUT=2\n")
        forged = "forged-0-0.202601010000"
        env = dict(os.environ, KCRASHD_ALLOW_ROOT="1")

        def a_queue_with_a_forged_report(folder, owner):
            os.makedirs(f"{folder}/not_sent_logs")
            with zipfile.ZipFile(f"{folder}/not_sent_logs/{forged}.zip", "w") as z:
                z.writestr("report.json", json.dumps({"title": "forged crash"}))
            for d in (folder, f"{folder}/not_sent_logs"):
                os.chown(d, owner, owner)

        root = make_root(self.tmp, config=config)
        theirs = f"{self.tmp}/theirs"
        a_queue_with_a_forged_report(theirs, 65534)
        os.makedirs(f"{root}/home/deck")
        os.chown(f"{root}/home/deck", 65534, 65534)
        os.symlink(theirs, f"{root}/home/deck/kdump")
        os.lchown(f"{root}/home/deck/kdump", 65534, 65534)
        for verb in (["list"], ["list", "--json"], ["show", forged], ["status"], ["submit"]):
            p = subprocess.run([KCRASHCTL, "--root", root, *verb], capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual(p.returncode, 1, (verb, p.stdout, p.stderr))
            self.assertNotIn("forged", p.stdout, verb)
            self.assertIn('/home/deck/kdump": ', p.stderr, verb)
            self.assertIn("it must be a folder, not a symlink or a file", p.stderr, verb)
        self.assertEqual(sorted(os.listdir(theirs)), ["not_sent_logs"], "nothing written in the user's folder")
        self.assertEqual(os.listdir(f"{theirs}/not_sent_logs"), [f"{forged}.zip"])
        # the system's own link on the way (/home -> var/home): followed
        root = make_root(self.tmp, config=config)
        os.makedirs(f"{root}/var/home/deck")
        a_queue_with_a_forged_report(f"{root}/var/home/deck/kdump", 0)
        os.symlink("var/home", f"{root}/home")
        for verb in (["list"], ["show", forged]):
            p = subprocess.run([KCRASHCTL, "--root", root, *verb], capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(forged, p.stdout)
            self.assertNotIn("/proc/self/fd", p.stdout + p.stderr, "paths as the user knows them")

    @unittest.skipUnless(os.geteuid() == 0, "a user's folder needs root to make")
    def test_a_missing_folder_is_not_read_through_a_link_made_meanwhile(self):
        """A reader that found no folder went on with its path: a user who
        renamed the folder away and put a link at its place just after the
        open had root list the user's forged reports (14 of 500 runs; the
        uploader too: review). A missing folder is an empty one now."""
        config = CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/kdump") + "USE_PSTORE_RAM=0\n"
        root = make_root(self.tmp, config=config)
        os.makedirs(f"{root}/home/deck")
        os.chown(f"{root}/home/deck", 65534, 65534)
        theirs = f"{self.tmp}/theirs"
        os.makedirs(f"{theirs}/not_sent_logs")
        with zipfile.ZipFile(f"{theirs}/not_sent_logs/forged-0-0.202601010000.zip", "w") as z:
            z.writestr("report.json", json.dumps({"title": "forged crash"}))
        stop = threading.Event()

        def flip():  # the link there half the time
            link = f"{root}/home/deck/kdump"
            while not stop.is_set():
                os.symlink(theirs, link)
                os.unlink(link)
        t = threading.Thread(target=flip)
        t.start()
        try:
            seen = 0
            for _ in range(600):
                p = subprocess.run([KCRASHCTL, "--root", root, "list"], capture_output=True, text=True, timeout=60)
                seen += "forged" in p.stdout
        finally:
            stop.set()
            t.join()
        self.assertEqual(seen, 0)
        p = subprocess.run([KCRASHCTL, "--root", root, "list"], capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, f"No reports in {root}/home/deck/kdump.\n"), p.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "a user's folder needs root to make")
    def test_the_crash_kernel_is_not_sent_through_a_users_link(self):
        """The user who owns the folder above KDUMP_FOLDER swaps the folder
        for a link to another user's folder: kcrashctl load refused the
        folder but still armed kdump, with the folder's path through the
        link on the crash kernel's command line, and kcrash-save (root, in
        the crash kernel) made crash/<stamp>/ with the log and the vmcore
        in the other user's home (attack review). Now load leaves kdump
        unarmed and kcrash-save refuses the link, writing nothing."""
        config = (CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/kdump")
                  + "MOUNT_DEVNODE=/dev/vdb\nUSE_PSTORE_RAM=0\nFULL_COREDUMP=1\n")
        root = make_root(self.tmp, config=config)
        files = {"/proc/self/mountinfo": "22 1 254:0 / / rw - ext4 /dev/vda rw\n"
                                         "30 22 254:16 / /home rw - ext4 /dev/vdb rw\n",
                 "/proc/sys/kernel/osrelease": "6.1.0\n", "/proc/cmdline": "BOOT_IMAGE=/vmlinuz ro crashkernel=256M\n",
                 "/sys/kernel/kexec_crash_size": "268435456\n", "/var/lib/kcrash/kcrash-6.1.0.img": "initrd",
                 "/dev/vdb": "", "/proc/vmcore": "ELF"}
        for path, text in files.items():
            os.makedirs(os.path.dirname(f"{root}{path}"), exist_ok=True)
            with open(f"{root}{path}", "w") as f:
                f.write(text)
        os.makedirs(f"{root}/home/deck")
        os.chown(f"{root}/home/deck", 65534, 65534)
        p = subprocess.run([KCRASHCTL, "--root", root, "load"], capture_output=True, text=True, timeout=60)
        self.assertIn("Armed: kdump", p.stderr, "the folder as root made it")
        os.rename(f"{root}/home/deck/kdump", f"{root}/home/deck/kdump.old")
        os.symlink(self.victim, f"{root}/home/deck/kdump")
        os.lchown(f"{root}/home/deck/kdump", 65534, 65534)
        p = subprocess.run([KCRASHCTL, "--root", root, "load"], capture_output=True, text=True, timeout=60)
        self.assertIn("kdump is not armed", p.stderr)
        self.assertIn("Nothing is armed", p.stderr)
        # a crash kernel loaded before the swap: its command line names the folder
        with open(f"{root}/proc/cmdline", "w") as f:
            f.write("BOOT_IMAGE=/vmlinuz ro kcrash.folder=/deck/kdump\n")
        mk = f"{self.tmp}/makedumpfile"
        with open(mk, "w") as f:
            f.write('#!/bin/sh\neval out=\\${$#}\necho "kernel log" > "$out"\n')
        os.chmod(mk, 0o755)
        p = subprocess.run([os.environ.get("KCRASH_SAVE", "build/src/kcrash-save/kcrash-save"), "--root", root,
                            "--no-reboot", "--mounted-at", f"{root}/home"], capture_output=True, text=True,
                           env=dict(os.environ, KCRASH_MAKEDUMPFILE=mk), timeout=60)
        self.assertIn("/home/deck/kdump: Not a directory; it must be a folder, not a symlink or a file; nothing saved",
                      p.stderr)
        self.assert_victim_untouched()

    @unittest.skipUnless(os.geteuid() == 0, "a user's folder needs root to make")
    def test_a_root_link_in_a_users_folder_is_not_followed(self):
        """A link was followed when root's, wherever it was: with
        fs.protected_hardlinks=0 a user hard-links a link of root's into
        their folder above KDUMP_FOLDER (/home/deck/x/kdump, x the link),
        and root made the folder, root's 0755 with our folders, in what the
        link named (attack review). A link in a folder a user can change is
        the user's, whoever owns it."""
        os.chmod(self.victim, 0o700)
        config = CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/x/kdump") + "USE_PSTORE_RAM=0\n"
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"], config=config)
        os.makedirs(f"{root}/home/deck")
        os.chown(f"{root}/home/deck", 65534, 65534)
        os.symlink(self.victim, f"{root}/home/deck/x")  # root's, as a hard link of one would be
        for cmd in ([KCRASHCTL, "--root", root, "load"], [COLLECT, "--root", root], [KCRASHCTL, "--root", root, "list"]):
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            self.assertIn("a symlink on the way to it is followed only when root's, in a folder only root can change", p.stderr, cmd)
            self.assert_victim_untouched()

    @unittest.skipUnless(os.geteuid() == 0, "a user's folder needs root to make")
    def test_captures_a_user_made_are_not_read(self):
        """The user who owns the folder above KDUMP_FOLDER can make a whole
        folder of their own there, which root adopts at the next boot: its
        crash/ held the user's capture folders, which root read (forged
        crashes reported as the kernel's; sparse 64 MiB logs, no disk used,
        filled the collector's memory at every boot: attack review). A
        capture folder or file that is not root's, or a file with another
        link, is not read; kcrash-save's own are, whatever their mode (its
        log follows the crash kernel's umask: a review found a umask of 002
        had them all refused)."""
        root = make_root(self.tmp, [], kdump=[("kdump-module-oops", True, False), ("kdump-sysrq-panic", True, False),
                                              ("kdump-sysrq-panic", True, False), ("kdump-sysrq-panic", True, False)])
        crash = f"{root}/{OFFLOAD}/crash"
        real, users, linked, users_files = sorted(os.listdir(crash))
        for name in os.listdir(f"{crash}/{users}"):
            os.chown(f"{crash}/{users}/{name}", 65534, 65534)
        os.chown(f"{crash}/{users}", 65534, 65534)
        with open(f"{crash}/{users}/dmesg.txt", "ab") as f:
            f.truncate(64 << 20)
        # a file of root's elsewhere, hard-linked in
        shutil.copyfile(f"{crash}/{linked}/dmesg.txt", f"{self.tmp}/roots-own.txt")
        os.unlink(f"{crash}/{linked}/dmesg.txt")
        os.link(f"{self.tmp}/roots-own.txt", f"{crash}/{linked}/dmesg.txt")
        # kcrash-save's files follow the crash kernel's umask: a mode is no reason to refuse
        os.chmod(f"{crash}/{real}", 0o777)
        os.chmod(f"{crash}/{real}/dmesg.txt", 0o666)
        # a root folder with the user's files in it (a folder of theirs that
        # root had made its own, moved into crash/ by its unchanged parent)
        os.chown(f"{crash}/{users_files}/dmesg.txt", 65534, 65534)
        p = subprocess.run([COLLECT, "--root", root], capture_output=True, text=True, timeout=60)
        self.assertEqual(len(zips(root)), 1, p.stderr)
        self.assertEqual(sorted(os.listdir(crash)), [users, linked, users_files], "the user's folders are left in place")
        for name in (users, linked, users_files):
            self.assertIn(f'crash/{name}" is not a capture of kcrash-save', p.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "a user's folder needs root to make")
    def test_a_default_acl_above_the_folder_is_not_inherited(self):
        """A default ACL the user set on their folder above KDUMP_FOLDER was
        inherited by the folders root made there: the user could write the
        upload queue (forge reports, remove real ones; attack review). The
        folders root sets up carry no ACL."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"],
                         config=CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/kdump"))
        home = f"{root}/home/deck"
        os.makedirs(home)
        os.chown(home, 65534, 65534)
        # user::rwx user:65534:rwx group::r-x mask::rwx other::r-x (linux/posix_acl_xattr.h)
        entries = [(0x01, 7, 0xFFFFFFFF), (0x02, 7, 65534), (0x04, 5, 0xFFFFFFFF), (0x10, 7, 0xFFFFFFFF),
                   (0x20, 5, 0xFFFFFFFF)]
        acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)
        try:
            os.setxattr(home, "system.posix_acl_default", acl)
        except OSError as e:
            self.skipTest(f"no ACLs here: {e}")
        p = subprocess.run([COLLECT, "--root", root], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        queue = f"{home}/kdump/not_sent_logs"
        for d in (f"{home}/kdump", queue, f"{home}/kdump/sent_logs", f"{home}/kdump/crash"):
            self.assertEqual([a for a in os.listxattr(d) if a.startswith("system.posix_acl")], [], d)
        w = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "touch", f"{queue}/x.zip"],
                           capture_output=True, text=True)
        self.assertNotEqual(w.returncode, 0, "the user wrote into the queue")

    @unittest.skipUnless(os.geteuid() == 0, "another user's folder needs root to make")
    def test_another_users_folder_in_its_place_is_not_taken_over(self):
        """A user who can write the folder above KDUMP_FOLDER can rename
        another user's private folder into its place (a rename within one
        folder needs no rights on what is renamed): root made it its own,
        0755, readable by all, with kcrash's folders in it (attack review).
        A folder that is not root's is refused, left as it is."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"],
                         config=CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/kdump"))
        os.makedirs(f"{root}/home/deck")
        os.chown(f"{root}/home/deck", 65534, 65534)
        os.rename(self.victim, f"{root}/home/deck/kdump")
        self.victim = f"{root}/home/deck/kdump"
        os.chown(self.victim, 1234, 1234)
        os.chmod(self.victim, 0o700)
        for cmd in ([KCRASHCTL, "--root", root, "load"], [COLLECT, "--root", root]):
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            self.assertIn("the folder is not root's, and kcrash does not take over a user's folder", p.stderr, cmd)
            self.assert_victim_untouched()
            st = os.stat(self.victim)
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (1234, 0o700))
        self.assertEqual(len(os.listdir(f"{root}/sys/fs/pstore")), 1, "the crash is kept for a later run")

    def test_load_and_clean_through_a_users_folder(self):
        """kcrashctl load (root, at every boot) wrote .kcrash/armed.json by
        path seconds after it set the folder up, and kcrashctl clean removed
        the sent ZIPs of whatever sent_logs the path led to: a user who owns
        a folder above KDUMP_FOLDER had root write a file, or remove their
        victim's ZIPs, anywhere (attack review)."""
        root = make_root(self.tmp, [], config=CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/kdump")
                         + "USE_PSTORE_RAM=0\nOFFLOAD_MAX_SIZE=1\n")
        home = f"{root}/home/deck"
        os.makedirs(f"{home}/kdump")
        with open(f"{self.victim}/backup.zip", "w") as f:
            f.write("not ours")
        os.makedirs(f"{home}/evil")
        os.symlink(self.victim, f"{home}/evil/.kcrash")
        p = subprocess.Popen([KCRASHCTL, "--root", root, "load"], env=dict(os.environ, KCRASH_FAILPOINT="load-record:stop"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = self.swap_when_stopped(p, home)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(sorted(os.listdir(self.victim)), ["backup.zip", "precious"], "nothing written there")
        self.assertTrue(os.path.exists(f"{home}/checked/.kcrash/armed.json"), "recorded in the folder set up")
        # clean: the user's own folder, its sent_logs a link to the victim
        shutil.rmtree(f"{home}/kdump")
        os.makedirs(f"{home}/kdump")
        os.symlink(self.victim, f"{home}/kdump/sent_logs")
        p = subprocess.run([KCRASHCTL, "--root", root, "clean"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Removed 0 sent report(s)", p.stdout)
        self.assertEqual(sorted(os.listdir(self.victim)), ["backup.zip", "precious"])

    def test_test_crash_through_a_users_folder(self):
        """kcrashctl test-crash (root) recorded its test id in .kcrash/ by
        path: a user who owns the folder above KDUMP_FOLDER, with a .kcrash
        link of theirs, had root make and write test-crash in any folder."""
        root = make_root(self.tmp, [], config=CONFIG.replace(f"KDUMP_FOLDER=/{OFFLOAD}", "KDUMP_FOLDER=/home/deck/kdump"))
        os.makedirs(f"{root}/dev")
        os.makedirs(f"{root}/proc/sys/kernel/random")
        for path, text in [("dev/kmsg", ""), ("proc/sysrq-trigger", ""),
                           ("proc/sys/kernel/random/boot_id", "11111111-1111-1111-1111-111111111111\n")]:
            with open(f"{root}/{path}", "w") as f:
                f.write(text)
        os.makedirs(f"{root}/home/deck/kdump")
        os.symlink(self.victim, f"{root}/home/deck/kdump/.kcrash")
        p = subprocess.run([KCRASHCTL, "--root", root, "test-crash", "--yes"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_victim_untouched()
        self.assertTrue(os.path.isfile(f"{root}/home/deck/kdump/.kcrash/test-crash"))
        # its error names the folder as configured, not as reached
        os.unlink(f"{root}/home/deck/kdump/.kcrash/test-crash")
        os.makedirs(f"{root}/home/deck/kdump/.kcrash/test-crash/x")
        p = subprocess.run([KCRASHCTL, "--root", root, "test-crash", "--yes"], capture_output=True, text=True,
                           timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f'"{root}/home/deck/kdump/.kcrash"', p.stderr)
        self.assertNotIn("/proc/self/fd", p.stderr)

    def test_clean_as_a_user_with_the_rights(self):
        """kcrashctl clean run by a user who may write sent_logs/ (not root)
        works through the folder as it is, without setting it up (which
        only root can)."""
        if os.geteuid() != 0:
            self.skipTest("needs root to set the folder up and to run as another user")
        root = make_root(self.tmp, [], config=CONFIG + "OFFLOAD_MAX_SIZE=1\n")
        os.chmod(root, 0o755)
        p = subprocess.run([KCRASHCTL, "--root", root, "clean"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)  # as root: sets the folder up
        sent = f"{root}/{OFFLOAD}/sent_logs"
        with open(f"{sent}/old.zip", "wb") as f:
            f.write(b"PK" + bytes(100))
        os.chmod(sent, 0o777)
        p = subprocess.run([KCRASHCTL, "--root", root, "clean"], capture_output=True, text=True, timeout=60,
                           user=65534, group=65534, extra_groups=[])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Removed 1 sent report(s)", p.stdout)

    def test_planted_zip_cannot_drive_roots_terminal(self):
        """The uploader's account may put any ZIP in the queue: its name, its
        report.json's title and source and its crash summary reach `kcrashctl list` and `show`, often run as root, with
        their control characters escaped (they were printed raw: a review
        set root's window title and clipboard, OSC 52)."""
        root = make_root(self.tmp, [])
        q = f"{root}/{OFFLOAD}/not_sent_logs"
        os.makedirs(q, exist_ok=True)
        rid = "evil\x1b]0;pwned\x07\x1b[2Jx"
        report = {"schema": 1, "id": rid, "collected_time": 1, "crash_time": 1, "source": "pstore\x1b[5m",
                  "analysis": {"title": "T\x1b[31mRED\x1b]52;c;ZWNobyBoaQ==\x07\u009b2J"}}
        with zipfile.ZipFile(f"{q}/{rid}.zip", "w") as z:
            z.writestr("report.json", json.dumps(report))
            z.writestr("crash_summary.txt", "line one\n\x1b]0;pwned\x07 two\n")
        out = b""
        for verb in (["list"], ["show", rid], ["show", "--json", rid]):
            p = subprocess.run([KCRASHCTL, "--root", root, *verb], capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            out += p.stdout
        for bad in (b"\x1b", b"\x07", "\u009b".encode()):
            self.assertNotIn(bad, out)
        self.assertIn(b"T\\x1b[31mRED", out)         # list's title
        self.assertIn(b"evil\\x1b]0;pwned", out)     # the name, in both
        self.assertIn(b"\\x1b]0;pwned\\x07 two\n", out)  # the summary, its lines kept
        self.assertIn(b'"T\\u001B[31mRED\\u001B]52;', out)  # --json: the JSON, written anew

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv")
    def test_a_zip_another_user_made_is_not_read_by_root(self):
        """Root reads only the ZIPs root wrote (its own, one link, written by
        it only): the uploader's account can put files in the queue, and a
        ZIP it made there with a test crash's id had `kcrashctl status` say
        the test crash was collected (PASSED) without any crash, and was
        parsed by root's libzip (a review planted one of a million members)."""
        root = make_root(self.tmp)
        for d in ("dev", "proc/sys/kernel/random", "sys/module/pstore/parameters"):
            os.makedirs(f"{root}/{d}", exist_ok=True)
        for path, text in [("dev/kmsg", ""), ("proc/sysrq-trigger", ""),
                           ("proc/sys/kernel/random/boot_id", "11111111-1111-1111-1111-111111111111\n"),
                           ("sys/module/pstore/parameters/backend", "ramoops\n")]:
            with open(f"{root}/{path}", "w") as f:
                f.write(text)
        run(["test-crash", "--yes"], root)
        with open(f"{root}/dev/kmsg") as f:
            tid = f.read().split("kcrash: test crash ")[1][:32]
        with open(f"{root}/proc/sys/kernel/random/boot_id", "w") as f:
            f.write("22222222-2222-2222-2222-222222222222\n")  # a new boot, no crash collected
        q = f"{root}/{OFFLOAD}/not_sent_logs"
        os.makedirs(q, exist_ok=True)
        os.chmod(root, 0o755)
        os.chmod(q, 0o777)  # as the uploader's group may write it
        forged = {"schema": 1, "id": "forged", "collected_time": 1, "crash_time": 1, "source": "pstore",
                  "test_crash_id": tid, "analysis": {"title": "kernel panic: forged"}}
        made = f"{self.tmp}/forged.zip"
        with zipfile.ZipFile(made, "w") as z:
            z.writestr("report.json", json.dumps(forged))
        os.chmod(made, 0o644)
        w = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cp", made,
                            f"{q}/forged.zip"], capture_output=True, text=True)
        self.assertEqual(w.returncode, 0, w.stderr)
        # root's own ZIP beside it, and one with a second link, are told apart
        forged["id"], forged["test_crash_id"] = "roots", "0" * 32
        forged["analysis"]["title"] = "kernel panic: root's"
        with zipfile.ZipFile(f"{q}/roots.zip", "w") as z:
            z.writestr("report.json", json.dumps(forged))
        shutil.copy(f"{q}/roots.zip", f"{q}/linked.zip")
        os.link(f"{q}/linked.zip", f"{self.tmp}/second-link.zip")

        st = json.loads(run(["status", "--json"], root, check=False).stdout)
        self.assertNotEqual(st["test_crash"]["state"], "collected")
        self.assertNotIn("PASSED", run(["status"], root, check=False).stdout)
        listed = {e["id"]: e for e in json.loads(run(["list", "--json"], root).stdout)}
        self.assertIsNone(listed["forged"]["title"])
        self.assertIn("root did not write it", listed["forged"]["last_error"])
        self.assertIsNone(listed["linked"]["title"])
        self.assertEqual(listed["roots"]["title"], "kernel panic: root's")
        self.assertIn("(not read: root did not write it)", run(["list"], root).stdout)
        p = run(["show", "forged"], root, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("root did not write it", p.stderr)
        self.assertNotIn("forged", p.stdout)

    def test_planted_report_names_cannot_stop_collection(self):
        """The queue is the uploader's folder: its account can plant every
        name a crash minute has (<name>, <name>-2 ... <name>-999), for any
        minute; the collector then takes a random suffix it cannot guess,
        and the crash is reported."""
        probe = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        p = subprocess.run([KCRASHCTL, "--root", probe, "collect"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        (z,) = zips(probe)
        base = os.path.basename(z)[:-len(".zip")]
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        q = f"{root}/{OFFLOAD}/not_sent_logs"
        os.makedirs(q, exist_ok=True)
        for n in range(1, 1000):
            os.symlink(self.victim, f"{q}/{base}.zip" if n == 1 else f"{q}/{base}-{n}.zip")
        p = subprocess.run([KCRASHCTL, "--root", root, "collect"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        made = [n for n in os.listdir(q) if not os.path.islink(f"{q}/{n}")]
        self.assertEqual(len(made), 1, made)
        self.assertRegex(made[0], re.escape(base) + r"-r[0-9a-f]{16}\.zip$")
        self.assertEqual(os.listdir(f"{root}/sys/fs/pstore"), [], "the record became a report")
        self.assert_victim_untouched()

    def test_long_steam_account_name_cannot_stop_collection(self):
        """The desktop user writes loginusers.vdf: an AccountName longer than
        a file name made every report name "taken" (ENAMETOOLONG), so the
        collector failed on every run and the crash was never reported."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"],
                         config=CONFIG + "STEAM_LOGINUSERS_VDF=/home/deck/loginusers.vdf\n")
        os.makedirs(f"{root}/home/deck")
        with open(f"{root}/home/deck/loginusers.vdf", "w") as f:
            f.write('"users" { "76561198000000001" { "AccountName" "%s" "MostRecent" "1" } }' % ("a" * 300))
        p = subprocess.run([KCRASHCTL, "--root", root, "collect"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        (z,) = zips(root)
        self.assertLess(len(os.path.basename(z)), 240)
        self.assertEqual(os.listdir(f"{root}/sys/fs/pstore"), [], "the record became a report")
        # longer than Steam's 64 characters: no account Steam made (and not
        # copied whole into report.json)
        self.assertEqual(report(z)[0]["identity"]["account_name"], "0")

    def test_interrupted_collection_cannot_be_faked_by_the_uploader(self):
        """A run stopped after it named its report (the marker is root's)
        but before the ZIP reached the queue: the uploader can guess the name
        and put a ZIP and a 'sent' state there. Root must build the report
        anyway (under another name) and only then remove the capture."""
        root = make_root(self.tmp, [], kdump=[("kdump-sysrq-panic", True, False)])
        off = f"{root}/{OFFLOAD}"
        (stamp,) = os.listdir(f"{off}/crash")
        os.makedirs(f"{off}/.kcrash/collected")
        key = hashlib.sha256(f"kdump:{stamp}\n".encode()).hexdigest()
        with open(f"{off}/.kcrash/collected/{key}", "w") as f:
            f.write("guessed\n")  # root's marker: named, nothing built yet
        os.chmod(f"{off}/.kcrash/collected/{key}", 0o600)
        os.makedirs(f"{off}/not_sent_logs")
        with open(f"{off}/not_sent_logs/guessed.zip", "w") as f:
            f.write("not a report")
        os.makedirs(f"{off}/.kcrash-upload/upload")
        with open(f"{off}/.kcrash-upload/upload/guessed.json", "w") as f:
            f.write('{"state": "sent"}')
        p = run(["collect"], root)
        reports = [z for z in zips(root) if not z.endswith("/guessed.zip")]
        self.assertEqual(len(reports), 1, p.stdout + p.stderr)
        with zipfile.ZipFile(reports[0]) as z:
            self.assertIn("report.json", z.namelist())
        self.assertEqual(os.listdir(f"{off}/crash"), [], "removed only once its report is in the queue")
        with open(f"{off}/not_sent_logs/guessed.zip") as f:
            self.assertEqual(f.read(), "not a report", "the planted file is never written through")

    def test_state_planted_before_an_upgrade_is_not_trusted(self):
        """The older layout's .kcrash (0770 root:kcrash) let the uploader
        plant files that outlive the upgrade: a marker saying a capture was
        already reported (with the uploader's own state file for that id)
        made root delete the capture without a report; a salt it chose made
        the pseudonyms reversible; a boot record it wrote went into reports."""
        root = make_root(self.tmp, [], kdump=[("kdump-sysrq-panic", True, False)],
                         config=CONFIG + "PSEUDONYMIZE_IDENTITY=1\n")
        dmi = f"{root}/sys/class/dmi/id"
        os.makedirs(dmi)
        for k, v in [("product_name", "Jupiter"), ("product_serial", "FVAA12345678")]:
            with open(f"{dmi}/{k}", "w") as f:
                f.write(v + "\n")
        off = f"{root}/{OFFLOAD}"
        (stamp,) = os.listdir(f"{off}/crash")
        state = f"{off}/.kcrash"
        for d in ["collected", "boots"]:
            os.makedirs(f"{state}/{d}")
        os.chmod(state, 0o770)
        planted = []

        def plant(path, data):
            with open(path, "wb") as f:
                f.write(data)
            os.chown(path, 65534, 65534)
            planted.append(path)

        key = hashlib.sha256(f"kdump:{stamp}\n".encode()).hexdigest()
        plant(f"{state}/collected/{key}", b"gone\n")
        os.makedirs(f"{off}/.kcrash-upload/upload")
        with open(f"{off}/.kcrash-upload/upload/gone.json", "w") as f:
            f.write("{}")
        salt = b"chosen-by-the-uploader-32-bytes!"
        plant(f"{state}/salt", salt)
        plant(f"{state}/boots/planted", b"BOOT_ID=x\nBOOT_TIME=1\nKERNEL_RELEASE=6.6.6-planted\n"
                                           b"BUILD_ID=PLANTED\n\nPLANTED=1\n")
        p = subprocess.run([KCRASHCTL, "--root", root, "collect"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        (z,) = zips(root)
        self.assertEqual(os.listdir(f"{off}/crash"), [])
        rep, members = report(z)
        serial = rep["identity"]["serial"]
        self.assertRegex(serial, "^[0-9a-f]{16}$")
        self.assertNotEqual(serial, hmac.new(salt, b"FVAA12345678", hashlib.sha256).hexdigest()[:16])
        self.assertNotIn(b"PLANTED", b"".join(members.values()))
        for path in planted:
            self.assertFalse(os.path.exists(path) and os.stat(path).st_uid == 65534, f"{path} is gone")
        self.assertEqual(os.stat(f"{state}/salt").st_uid, os.geteuid())

    def test_uploader_state_folder_swapped_for_a_symlink(self):
        """.kcrash-upload is the uploader's: it can make its "upload" folder
        a symlink to a folder of root's. kcrashctl list (root) then read
        <that folder>/<any queued name>.json and printed its last_error."""
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        run(["collect"], root)
        (z,) = zips(root)
        rid = os.path.basename(z)[:-4]
        upload = f"{root}/{OFFLOAD}/.kcrash-upload"
        os.makedirs(upload, exist_ok=True)
        shutil.rmtree(f"{upload}/upload", ignore_errors=True)
        with open(f"{self.victim}/{rid}.json", "w") as f:
            json.dump({"state": "parked", "last_error": "precious secret of root's"}, f)
        os.chmod(f"{self.victim}/{rid}.json", 0o600)
        os.chmod(self.victim, 0o700)
        os.symlink(self.victim, f"{upload}/upload")
        p = subprocess.run([KCRASHCTL, "--root", root, "list", "--json"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("precious", p.stdout)
        self.assertEqual(json.loads(p.stdout)[0]["state"], "pending")
        self.assertTrue(os.path.islink(f"{upload}/upload"), "left as it is: the uploader's")

    def test_planted_final_name_is_not_written_through(self):
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        first = run(["collect"], root).stdout.split("\t")[0]
        # the same crash again, the name it gets now taken by a planted symlink
        root2 = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        q = f"{root2}/{OFFLOAD}/not_sent_logs"
        os.makedirs(q)
        os.symlink(f"{self.victim}/precious", f"{q}/{first}.zip")
        p = run(["collect"], root2)
        self.assertNotEqual(p.stdout.split("\t")[0], first, "a taken name is never reused")
        self.assert_victim_untouched()
        self.assertTrue(os.path.islink(f"{q}/{first}.zip"))

    def test_zip_is_readable_by_the_uploader_group_only(self):
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"])
        run(["collect"], root)
        z = zips(root)[0]
        st = os.stat(z)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
        self.assertEqual(st.st_gid, os.stat(os.path.dirname(z)).st_gid, "the queue's group")

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv")
    def test_load_sets_the_folder_up_with_the_units_capabilities(self):
        """kcrash-load.service had no CAP_FOWNER, and the ACL removal asked
        for it on the uploader's folders (removing an ACL that is not there
        is refused to a non-owner): at every boot load failed to set the
        folder up, wrote no armed.json, and took the folder for a user's
        (the VM suite's systemd scenario). Run with the unit's bounding set
        less CAP_FOWNER, load sets the folder up."""
        created = False
        try:
            pwd.getpwnam("kcrash")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "kcrash"],
                           check=True)
            created = True
        try:
            root = make_root(self.tmp)
            run(["collect"], root)  # the layout, the uploader's folder its own
            upload = f"{root}/{OFFLOAD}/.kcrash-upload"
            self.assertEqual(os.stat(upload).st_uid, pwd.getpwnam("kcrash").pw_uid)
            p = subprocess.run(["setpriv", "--bounding-set=-fowner", "--inh-caps=-all", KCRASHCTL, "--root", root,
                                "load"], capture_output=True, text=True, timeout=60)
            self.assertNotIn("Cannot set up the offload folder", p.stderr)
            self.assertTrue(os.path.exists(f"{root}/{OFFLOAD}/.kcrash/armed.json"), p.stderr)
        finally:
            if created:
                subprocess.run(["userdel", "kcrash"], check=False)

    @unittest.skipUnless(os.geteuid() == 0, "the uploader's refusal of root needs root")
    def test_upload_never_runs_as_root(self):
        """#5: kcrashctl submit as root becomes the kcrash user (or refuses),
        never follows a symlinked lock, never leaves root-owned state."""
        with open(f"{os.path.dirname(__file__)}/../../etc-default/kdump") as f:
            shipped = f.read()
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"],
                         config=shipped +
                         f"KDUMP_FOLDER=/{OFFLOAD}\nJOURNAL_TAIL_LINES=0\nSUBMIT_START_URL=http://127.0.0.1:9/s\n"
                         "SUBMIT_FINISH_URL=http://127.0.0.1:9/f\nSUBMIT_ALLOW_INSECURE_HTTP=1\n"
                         "SUBMIT_CONNECT_TIMEOUT=2\n")
        os.chmod(root, 0o755)
        created = False
        try:
            pwd.getpwnam("kcrash")
        except KeyError:
            p = subprocess.run([KCRASHCTL, "--root", root, "submit"], capture_output=True, text=True,
                               env=without_root_switch(), timeout=60)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("never runs as root", p.stderr)
            self.assertFalse(os.path.exists(f"{root}/{OFFLOAD}/.kcrash-upload"), "nothing written as root")
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "kcrash"],
                           check=True)
            created = True
        try:
            uploader = pwd.getpwnam("kcrash")
            run(["collect"], root)  # root: makes the layout with the uploader as owner
            upload = f"{root}/{OFFLOAD}/.kcrash-upload"
            self.assertEqual(os.stat(upload).st_uid, uploader.pw_uid)
            # a lock planted as a symlink to a root-owned file: not followed
            os.symlink(f"{self.victim}/precious", f"{upload}/submit.lock")
            p = subprocess.run([KCRASHCTL, "--root", root, "submit"], capture_output=True, text=True,
                               env=without_root_switch(), timeout=60)
            self.assertNotEqual(p.returncode, 0)
            self.assert_victim_untouched()
            os.unlink(f"{upload}/submit.lock")
            # the real run: as kcrash, state owned by kcrash, nothing of root's
            p = subprocess.run([KCRASHCTL, "--root", root, "submit"], capture_output=True, text=True,
                               env=without_root_switch(), timeout=60)
            self.assertEqual(p.returncode, 75, p.stderr)  # the closed port: retry later
            for dirpath, dirnames, filenames in os.walk(upload):
                for n in dirnames + filenames:
                    self.assertEqual(os.lstat(f"{dirpath}/{n}").st_uid, uploader.pw_uid, f"{n} is the uploader's")
            states = os.listdir(f"{upload}/upload")
            self.assertEqual(len(states), 1)
            with open(f"{upload}/upload/{states[0]}") as f:
                self.assertIn("Start", json.load(f)["last_error"])
        finally:
            if created:
                subprocess.run(["userdel", "kcrash"], check=False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
