#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Frames symbolized per second with a warm cache: `kcrashctl symbolize` on a
log of N module frames (tests/vm/crashme built here with debug info, found
through a build-id directory) against `eu-addr2line -f -i` on the same
addresses in one process, measured in the same run. Both read the same
file, already in the page cache; each is run once before timing. The
ratio is kcrashctl's frames/s over eu-addr2line's (above 1: faster).
Usage: symbolize_bench.py [FRAMES] [RUNS]"""

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import crashme_ko  # noqa: E402

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")


def timed(cmd, runs, stdin=None):
    out = subprocess.run(cmd, capture_output=True, input=stdin, check=True)  # warm up
    if out.stderr:
        raise SystemExit(f"{cmd[0]} complained: {out.stderr[:500]!r}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, input=stdin, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    if not shutil.which("eu-addr2line"):
        print("SKIPPED: eu-addr2line (elfutils) is not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="kcrash-symbolize-bench-")
    try:
        ko, why = crashme_ko.build(os.path.join(tmp, "crashme"))
        if not ko:
            print(f"SKIPPED: {why}")
            return 77
        bid = crashme_ko.build_id(ko)
        dbg = os.path.join(tmp, "debug", ".build-id", bid[:2])
        os.makedirs(dbg)
        shutil.copy(ko, os.path.join(dbg, bid[2:] + ".debug"))
        syms = crashme_ko.text_symbols(ko)
        elf_sizes = crashme_ko.text_symbols(ko, elf_size=True)
        rnd = random.Random(1)
        names = sorted(syms)
        log, addrs, hexaddrs = [], [], []
        for i in range(n):
            name = names[i % len(names)]
            size = syms[name][1]
            # within the function's bytes (eu-addr2line refuses the padding)
            off = rnd.randrange(2, max(elf_sizes[name][1], 3))
            # every frame a return address, as in a call trace: the call is off - 1
            log.append(f" {name}+0x{off:x}/0x{size:x} [crashme]\n")
            addrs.append(f"{name}+0x{off - 1:x}\n")
            hexaddrs.append(f"0x{syms[name][0] + off - 1:x}\n")
        logf = os.path.join(tmp, "log.txt")
        with open(logf, "w") as f:
            f.write("Call Trace:\n <TASK>\n" + "".join(log) + " </TASK>\n")
        # every frame resolves (the benchmark times answers, not errors)
        check = subprocess.run([KCRASHCTL, "symbolize", logf, "--json", "--debuginfo", os.path.join(tmp, "debug"),
                                "--build-id", f"crashme={bid}"], capture_output=True, text=True, check=True).stdout
        errors = [f for f in json.loads(check)["frames"] if f["error"]]
        if errors:
            raise SystemExit(f"{len(errors)} frames not resolved, first: {errors[0]}")
        ours = timed([KCRASHCTL, "symbolize", logf, "--json", "--debuginfo", os.path.join(tmp, "debug"),
                      "--build-id", f"crashme={bid}"], runs)
        base = timed(["eu-addr2line", "-e", ko, "-f", "-i"], runs, stdin="".join(addrs).encode())
        # the same addresses as .text offsets: eu-addr2line without its symbol lookup
        base_hex = timed(["eu-addr2line", "-e", ko, "-j", ".text", "-f", "-i"], runs,
                         stdin="".join(hexaddrs).encode())
        print(f"{n} frames, median of {runs} runs, warm cache")
        print(f"kcrashctl symbolize (func+off, --json): {ours * 1000:.1f} ms, {n / ours:,.0f} frames/s")
        print(f"eu-addr2line -f -i, func+off:           {base * 1000:.1f} ms, {n / base:,.0f} frames/s")
        print(f"eu-addr2line -f -i -j .text, offsets:   {base_hex * 1000:.1f} ms, {n / base_hex:,.0f} frames/s")
        print(f"ratio (frames/s, kcrashctl / eu-addr2line func+off): {base / ours:.2f}")
        print(f"ratio (frames/s, kcrashctl / eu-addr2line offsets):  {base_hex / ours:.2f}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
