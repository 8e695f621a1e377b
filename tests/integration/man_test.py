#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The man pages are true to the code: every configuration key the parser
knows is documented in kdump(5) and etc-default/kdump, every verb and option
that --help lists is documented in kcrashctl(8) / kcrashd(8)."""

import os
import re
import subprocess
import tempfile
import unittest

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
KCRASHD = os.environ.get("KCRASHD", "build/src/kcrashd/kcrashd")
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def page(name):
    with open(os.path.join(SRC, "man", name + ".scd")) as f:
        return f.read()


def help_text(prog):
    return subprocess.run([prog, "--help"], capture_output=True, text=True, check=True).stdout


class ManTest(unittest.TestCase):
    def test_every_config_key_documented(self):
        with tempfile.TemporaryDirectory() as root:
            out = subprocess.run([KCRASHCTL, "--root", root, "config"], capture_output=True, text=True,
                                 check=True).stdout
        keys = [l.split("=", 1)[0] for l in out.splitlines() if "=" in l and not l.startswith("#")]
        self.assertGreater(len(keys), 20)
        man = page("kdump.5")
        with open(os.path.join(SRC, "etc-default", "kdump")) as f:
            shipped = f.read()
        for k in keys:
            self.assertIn(f"*{k}*", man, f"kdump(5) does not document {k}")
            self.assertTrue(re.search(rf"(?m)^{k}=", shipped), f"etc-default/kdump does not document {k}")

    def check_help_against_page(self, prog, name):
        man = page(name)
        text = help_text(prog)
        for opt in re.findall(r"(?m)^\s+(?:-\w )?(--[a-z-]+)", text):
            self.assertIn(f"*{opt}*", man.replace("\\-", "-"), f"{name} does not document {opt}")
        return text, man

    def test_kcrashctl_verbs_and_options(self):
        text, man = self.check_help_against_page(KCRASHCTL, "kcrashctl.8")
        verbs = re.findall(r"(?m)^  ([a-z-]+)\s{2,}", text.split("Verbs:")[1].split("Options:")[0])
        self.assertIn("collect", verbs)
        for v in verbs:
            self.assertTrue(re.search(rf"(?m)^\*{v}\*", man), f"kcrashctl(8) does not document verb {v}")

    def test_kcrash_server_options(self):
        self.check_help_against_page(os.environ.get("KCRASH_SERVER", "build/src/kcrash-server/kcrash-server"),
                                     "kcrash-server.8")

    def test_kcrashd_modes_and_options(self):
        text, man = self.check_help_against_page(KCRASHD, "kcrashd.8")
        self.assertIn("*kcrashd* [_OPTIONS_] *collect*", man)


if __name__ == "__main__":
    unittest.main(verbosity=2)
