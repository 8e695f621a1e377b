#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Prints the SONAME of a shared library (readelf -d), for the libraries
kcrash loads with dlopen(3): meson passes it to the code, so the name the
program opens is the one it was built against.
Usage: soname.py LIBDIR NAME   (NAME like libzip: LIBDIR/NAME.so is read)"""
import os
import subprocess
import sys

libdir, name = sys.argv[1], sys.argv[2]
path = os.path.realpath(os.path.join(libdir, name + ".so"))
out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    if "(SONAME)" in line:
        print(line.split("[", 1)[1].split("]", 1)[0])
        sys.exit(0)
sys.exit(f"{path}: no SONAME")
