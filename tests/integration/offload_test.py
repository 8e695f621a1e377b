#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 17: a SteamOS /etc/default/kdump drops in. KDUMP_FOLDER is a folder
on MOUNT_DEVNODE's filesystem; every program (load, kcrash-save, collect,
submit, status, config) agrees on one folder, whether the device is mounted
at /home, at /var/home, or not at all, and kcrash-save writes where collect
looks. Fake roots carry their own mount table (proc/self/mountinfo)."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capture_test import FAKE_MAKEDUMPFILE  # noqa: E402

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
SAVE = os.environ.get("KCRASH_SAVE", "build/src/kcrash-save/kcrash-save")
FIXTURES = os.environ.get("KCRASH_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))

# SteamOS's own values (kdump.conf of evlav/kdump-steamos), written by the test
STEAMOS_CONF = """MOUNT_DEVNODE="/dev/disk/by-partsets/shared/home"
KDUMP_FOLDER="/.steamos/offload/var/kdump"
KDUMP_MNT="/tmp/kdump_mnt"
JOURNAL_TAIL_LINES=0
"""
REL = "/.steamos/offload/var/kdump"
ROOT_LINE = "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"



def put(root, path, text):
    os.makedirs(os.path.dirname(f"{root}{path}"), exist_ok=True)
    with open(f"{root}{path}", "w") as f:
        f.write(text)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class OffloadFolderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-offload-")
        self.root = f"{self.tmp}/root"
        port = closed_port()
        put(self.root, "/etc/default/kdump", STEAMOS_CONF +
            f"SUBMIT_START_URL=http://127.0.0.1:{port}/s\nSUBMIT_FINISH_URL=http://127.0.0.1:{port}/f\n"
            "SUBMIT_ALLOW_INSECURE_HTTP=1\nSUBMIT_CONNECT_TIMEOUT=2\n")
        os.makedirs(f"{self.root}/dev/disk/by-partsets/shared")
        os.symlink("../../../nvme0n1p8", f"{self.root}/dev/disk/by-partsets/shared/home")
        put(self.root, "/dev/nvme0n1p8", "")
        put(self.root, "/proc/sys/kernel/osrelease", "6.1.0-56-amd64\n")
        put(self.root, "/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro crashkernel=256M\n")
        put(self.root, "/sys/kernel/kexec_crash_size", "268435456\n")
        put(self.root, "/var/lib/kcrash/kcrash-6.1.0-56-amd64.img", "initrd")
        mk = f"{self.tmp}/makedumpfile"
        with open(mk, "w") as f:
            f.write(FAKE_MAKEDUMPFILE)
        os.chmod(mk, 0o755)
        self.env = dict(os.environ, KCRASH_MAKEDUMPFILE=mk, SLOW="",
                        FIXTURE_DMESG=f"{FIXTURES}/kdump-module-oops/kdump/dmesg.txt")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def mounts(self, *lines):
        put(self.root, "/proc/self/mountinfo", ROOT_LINE + "".join(lines))

    def ctl(self, *args, check=True):
        p = subprocess.run([KCRASHCTL, "--root", self.root, *args], capture_output=True, text=True, env=self.env)
        if check:
            # status: 3 when nothing is armed (a fake root loads no kernel)
            self.assertIn(p.returncode, (0, 75, 3) if args[0] == "status" else (0, 75), p.stderr)
        return p

    def crash_kernel_saves(self, device_dir, cmdline):
        """kcrash-save as in the crash kernel: the device's filesystem is
        device_dir, the command line is what `kcrashctl load` gave kexec."""
        put(self.root, "/proc/vmcore", "ELF")
        saved_cmdline = open(f"{self.root}/proc/cmdline").read()
        put(self.root, "/proc/cmdline", cmdline + "\n")
        try:
            p = subprocess.run([SAVE, "--root", self.root, "--no-reboot", "--mounted-at", device_dir],
                               capture_output=True, text=True, env=self.env)
        finally:
            put(self.root, "/proc/cmdline", saved_cmdline)
            os.unlink(f"{self.root}/proc/vmcore")
        self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def every_program_agrees(self, folder, device_dir):
        """load, kcrash-save, collect, submit, status and config all use folder."""
        p = self.ctl("config")
        self.assertIn(f"# offload folder: {folder} ", p.stdout)
        self.ctl("load")
        with open(f"{self.root}{folder}/.kcrash/armed.json") as f:
            armed = json.load(f)
        self.assertEqual(armed["offload"]["path"], folder)
        self.assertEqual(os.readlink(f"{self.root}/run/kcrash/offload"), folder)
        cmdline = armed["kdump"]["cmdline"]
        self.assertIn(f"kcrash.folder={REL}", cmdline.split())
        # the crash kernel writes inside the device, at the same folder
        self.crash_kernel_saves(device_dir, cmdline)
        self.assertEqual(len(os.listdir(f"{self.root}{folder}/crash")), 1)
        out = self.ctl("collect").stdout
        self.assertIn("crashme_do_null", out)
        self.assertEqual(os.listdir(f"{self.root}{folder}/crash"), [])
        zips = os.listdir(f"{self.root}{folder}/not_sent_logs")
        self.assertEqual(len(zips), 1)
        # the uploader works in the same folder (its state lands there)
        self.assertEqual(self.ctl("submit").returncode, 75)
        self.assertTrue(os.path.exists(f"{self.root}{folder}/.kcrash-upload/upload/{zips[0][:-4]}.json"))
        st = json.loads(self.ctl("status", "--json").stdout)
        self.assertEqual(st["offload"]["folder"], folder)
        self.assertEqual(st["reports"]["queued"], 1)
        lst = json.loads(self.ctl("list", "--json").stdout)
        self.assertEqual(len(lst), 1)
        # nothing went to KDUMP_FOLDER read as a path on the running system
        self.assertFalse(os.path.exists(f"{self.root}{REL}"))

    def test_device_at_home(self):
        self.mounts("40 22 259:8 / /home rw - ext4 /dev/nvme0n1p8 rw\n")
        os.makedirs(f"{self.root}/home")
        self.every_program_agrees("/home/.steamos/offload/var/kdump", f"{self.root}/home")

    def test_device_at_var_home(self):
        self.mounts("40 22 259:8 / /var/home rw - ext4 /dev/nvme0n1p8 rw\n")
        os.makedirs(f"{self.root}/var/home")
        self.every_program_agrees("/var/home/.steamos/offload/var/kdump", f"{self.root}/var/home")

    def test_kcrash_form_names_the_same_folder(self):
        # kcrash's own form: the full path on the running system
        put(self.root, "/etc/default/kdump",
            open(f"{self.root}/etc/default/kdump").read().replace(
                'KDUMP_FOLDER="/.steamos/offload/var/kdump"', 'KDUMP_FOLDER="/home/.steamos/offload/var/kdump"'))
        self.mounts("40 22 259:8 / /home rw - ext4 /dev/nvme0n1p8 rw\n")
        os.makedirs(f"{self.root}/home")
        self.every_program_agrees("/home/.steamos/offload/var/kdump", f"{self.root}/home")

    def test_user_fuse_mount_naming_the_device_is_not_it(self):
        """Any user can mount FUSE (fusermount is setuid) with the device's
        name as its source (-o fsname=...). Such a mount won over a btrfs
        subvolume mount of the real device (root /@home, not /) and over
        "not mounted": root then set up, recorded and used an offload folder
        inside the user's own filesystem."""
        fuse = ("60 40 0:55 / /home/deck/mnt rw,nosuid,nodev - fuse.sshfs /dev/disk/by-partsets/shared/home "
                "rw,user_id=1000,group_id=1000\n")
        self.mounts("40 22 259:8 /@home /home rw - btrfs /dev/nvme0n1p8 rw\n", fuse)
        os.makedirs(f"{self.root}/home/deck/mnt")
        self.assertIn("# offload folder: /home/.steamos/offload/var/kdump ", self.ctl("config").stdout)
        self.ctl("load")
        self.assertEqual(os.readlink(f"{self.root}/run/kcrash/offload"), "/home/.steamos/offload/var/kdump")
        self.assertEqual(os.listdir(f"{self.root}/home/deck/mnt"), [], "nothing made in the user's mount")
        os.unlink(f"{self.root}/run/kcrash/offload")
        self.mounts(fuse.replace(" 40 ", " 22 ", 1))
        p = self.ctl("config")
        self.assertIn("is not mounted", p.stderr)
        self.assertIn(f"# offload folder: {REL} ", p.stdout)

    def test_device_not_mounted(self):
        self.mounts()
        p = self.ctl("config")
        self.assertIn("is not mounted", p.stderr)
        self.assertIn(f"# offload folder: {REL} ", p.stdout)
        p = self.ctl("load")
        self.assertIn("is not mounted", p.stderr)
        self.assertEqual(os.readlink(f"{self.root}/run/kcrash/offload"), REL)
        with open(f"{self.root}{REL}/.kcrash/armed.json") as f:
            armed = json.load(f)
        self.assertNotIn("kcrash.folder=", armed["kdump"]["cmdline"])
        p = self.ctl("status", "--json")
        self.assertEqual(json.loads(p.stdout)["offload"]["folder"], REL)
        # without this boot's record, each program resolves it and warns
        os.unlink(f"{self.root}/run/kcrash/offload")
        p = self.ctl("collect")
        self.assertIn("is not mounted", p.stderr)
        self.assertTrue(os.path.isdir(f"{self.root}{REL}/not_sent_logs"))

    def test_record_wins_over_a_changed_configuration(self):
        self.mounts("40 22 259:8 / /home rw - ext4 /dev/nvme0n1p8 rw\n")
        os.makedirs(f"{self.root}/home")
        self.ctl("load")
        # /home is unmounted after boot: the programs keep using this boot's folder
        self.mounts()
        st = json.loads(self.ctl("status", "--json").stdout)
        self.assertEqual(st["offload"]["folder"], "/home/.steamos/offload/var/kdump")
        self.assertIn("recorded at boot", st["offload"]["how"])
        p = self.ctl("config")
        self.assertIn("differs", p.stderr)

    def test_device_mounted_at_the_folder(self):
        """The whole device is the offload folder (the VM suite's disk)."""
        put(self.root, "/etc/default/kdump", "MOUNT_DEVNODE=/dev/vdb\nKDUMP_FOLDER=/var/kdump\nJOURNAL_TAIL_LINES=0\n")
        put(self.root, "/dev/vdb", "")
        self.mounts("40 22 254:16 / /var/kdump rw - ext4 /dev/vdb rw\n")
        os.makedirs(f"{self.root}/var/kdump")
        self.ctl("load")
        with open(f"{self.root}/var/kdump/.kcrash/armed.json") as f:
            cmdline = json.load(f)["kdump"]["cmdline"]
        self.assertIn("kcrash.folder=/", cmdline.split())
        self.crash_kernel_saves(f"{self.root}/var/kdump", cmdline)
        self.assertIn("crashme_do_null", self.ctl("collect").stdout)

    def test_crash_kernel_finds_the_folder_without_the_command_line(self):
        """A crash kernel loaded by something else: kcrash-save finds the
        folder `kcrashctl load` set up on the device, in either form."""
        self.mounts("40 22 259:8 / /home rw - ext4 /dev/nvme0n1p8 rw\n")
        os.makedirs(f"{self.root}/home")
        self.ctl("load")
        p = self.crash_kernel_saves(f"{self.root}/home", "ro root=kcrash")
        self.assertIn(f"using {REL} on the device", p.stderr)
        self.assertIn("crashme_do_null", self.ctl("collect").stdout)
        # kcrash's form: the tail of the path that exists on the device
        put(self.root, "/etc/default/kdump", open(f"{self.root}/etc/default/kdump").read().replace(
            'KDUMP_FOLDER="/.steamos/offload/var/kdump"', 'KDUMP_FOLDER="/home/.steamos/offload/var/kdump"'))
        p = self.crash_kernel_saves(f"{self.root}/home", "ro root=kcrash")
        self.assertIn(f"using {REL} on the device", p.stderr)
        self.assertIn("crashme_do_null", self.ctl("collect").stdout)

    def test_kdump_mnt_is_accepted(self):
        p = self.ctl("config")
        self.assertNotIn("KDUMP_MNT", p.stderr, "SteamOS's KDUMP_MNT is a known key")
        self.assertIn('KDUMP_MNT="/tmp/kdump_mnt"', p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
