#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vmlinux frames of a real crash: the kdump-module-oops fixture (Debian
6.1.0-56-amd64, 6.1.192-2) symbolized against the vmlinux of the matching
linux-image-6.1.0-56-amd64-dbg package. The package is about 860 MB: it is
downloaded once, only with KCRASH_DBG_KERNEL=1, into $KCRASH_DBG_CACHE
(default ~/.cache/kcrash-dbg, outside the clone), and only its vmlinux is
kept. Without the cache and without the switch the test is skipped."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
FIXTURES = os.environ.get("KCRASH_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))
KVER = "6.1.0-56-amd64"
PKG = f"linux-image-{KVER}-dbg"
CACHE = os.environ.get("KCRASH_DBG_CACHE", os.path.expanduser("~/.cache/kcrash-dbg"))
VMLINUX = os.path.join(CACHE, f"vmlinux-{KVER}")


def fetch():
    """The cached vmlinux, downloading the package once when allowed; (path, why not)."""
    if os.path.exists(VMLINUX):
        return VMLINUX, None
    if os.environ.get("KCRASH_DBG_KERNEL") != "1":
        return None, (f"SKIPPED: no {VMLINUX}; set KCRASH_DBG_KERNEL=1 to download {PKG} (about 860 MB) once "
                      f"into {CACHE}")
    os.makedirs(CACHE, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=CACHE)
    try:
        p = subprocess.run(["apt-get", "download", PKG], cwd=tmp, capture_output=True, text=True)
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if p.returncode != 0 or not debs:
            return None, f"SKIPPED: apt-get download {PKG} failed: {p.stderr.strip()[-300:]}"
        member = f"./usr/lib/debug/boot/vmlinux-{KVER}"
        with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", os.path.join(tmp, debs[0])],
                              stdout=subprocess.PIPE) as deb:
            subprocess.run(["tar", "-x", "-C", tmp, member], stdin=deb.stdout, check=True)
        os.rename(os.path.join(tmp, member), VMLINUX + ".part")
        os.rename(VMLINUX + ".part", VMLINUX)
        return VMLINUX, None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


VMLINUX_PATH, WHY = fetch()


@unittest.skipIf(VMLINUX_PATH is None, WHY or "")
class VmlinuxTest(unittest.TestCase):
    def test_fixture_stack(self):
        out = subprocess.run(["readelf", "-n", VMLINUX_PATH], capture_output=True, text=True, check=True).stdout
        bid = re.search(r"Build ID: ([0-9a-f]+)", out).group(1)
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(f"{d}/.build-id/{bid[:2]}")
            os.symlink(VMLINUX_PATH, f"{d}/.build-id/{bid[:2]}/{bid[2:]}.debug")
            log = os.path.join(FIXTURES, "kdump-module-oops", "kdump", "dmesg.txt")
            p = subprocess.run([KCRASHCTL, "symbolize", log, "--json", "--debuginfo", d, "--build-id",
                                f"vmlinux={bid}"], capture_output=True, text=True, timeout=1800)
            self.assertEqual(p.returncode, 0, p.stderr)
            frames = json.loads(p.stdout)["frames"]
            text = subprocess.run([KCRASHCTL, "symbolize", log, "--debuginfo", d, "--build-id", f"vmlinux={bid}"],
                                  capture_output=True, text=True, timeout=1800).stdout
            print(text)
        kernel = [f for f in frames if not f["module"]]
        self.assertGreaterEqual(len(kernel), 5)
        for f in kernel:
            if f["unreliable"]:
                continue
            # sizes match (the build that crashed) and the function resolved is the frame's
            self.assertIsNone(f["error"], f)
            self.assertEqual(f["locations"][-1]["function"], f["function"].split(".")[0], f)
        # where these functions are defined in Linux 6.1
        where = {f["function"]: f["locations"][-1]["file"] for f in kernel if f["locations"]}
        self.assertTrue(where["proc_reg_write"].endswith("fs/proc/inode.c"), where)
        self.assertTrue(where["vfs_write"].endswith("fs/read_write.c"), where)
        # the crashme frames have no build id in this 2026-11-22 fixture: said so, not guessed
        for f in frames:
            if f["module"] == "crashme":
                self.assertIn("no build id for crashme", f["error"])


if __name__ == "__main__":
    if VMLINUX_PATH is None:
        print(WHY)
        raise SystemExit(77)
    unittest.main(verbosity=2)
