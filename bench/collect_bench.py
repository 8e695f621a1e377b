#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Collector benchmarks, each printed as a ratio against a shell baseline
measured in the same run (the machines are shared and noisy):

1. boot path with nothing to collect: `kcrashctl collect` vs what SteamOS's
   script does on every boot (source the config, count ramoops files, list
   the crash folder);
2. a 2 MiB dmesg record to a durable ZIP vs `cat` + `zip -9 -j` + the `sed`
   summary + `dmidecode`.

Wall time is the median of N runs; peak RSS is the largest of the runs.
Usage: collect_bench.py [--runs N]   (KCRASHCTL and KCRASH_FIXTURES from meson)"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
FIXTURES = os.environ.get("KCRASH_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))


def measure(cmd, prepare, runs):
    """Median wall seconds and max peak RSS (KiB) of cmd over runs; prepare()
    runs before each, untimed."""
    times, rss = [], 0
    for _ in range(runs):
        prepare()
        start = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if p.returncode != 0:
            raise SystemExit(f"{cmd} failed with {p.returncode}")
    # Peak RSS from GNU time, a small C program: a fork of this Python
    # process would count the interpreter's own pages before exec.
    for _ in range(3):
        prepare()
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        rss = max(rss, int(p.stderr.strip().splitlines()[-1]))
    return statistics.median(times), rss


def make_root(tmp):
    root = tempfile.mkdtemp(dir=tmp)
    os.makedirs(f"{root}/etc/default")
    os.makedirs(f"{root}/sys/fs/pstore")
    os.makedirs(f"{root}/proc/sys/kernel")
    os.makedirs(f"{root}/var/kdump/crash")
    with open(f"{root}/etc/default/kdump", "w") as f:
        f.write("KDUMP_FOLDER=/var/kdump\nPSTORE_DIR=/sys/fs/pstore\nUSE_PSTORE_RAM=1\nJOURNAL_TAIL_LINES=0\n")
    with open(f"{root}/etc/os-release", "w") as f:
        f.write("ID=bench\nBUILD_ID=1\n")
    with open(f"{root}/proc/sys/kernel/osrelease", "w") as f:
        f.write("6.1.0-56-amd64\n")
    return root


def big_record(path, size=2 << 20):
    """A 2 MiB Panic record: the real fixture's log body repeated with rising
    timestamps, then the real panic at the end."""
    with open(f"{FIXTURES}/pstore-ramoops-sysrq-panic/pstore/dmesg-ramoops-0") as f:
        lines = f.read().splitlines()[1:]
    body = [l for l in lines if "] " in l]
    out, t, i = ["Panic#1 Part1"], 0.0, 0
    total = 0
    while total < size - 40000:
        text = body[i % len(body)].split("] ", 1)[1]
        line = f"<6>[{t:12.6f}] {text}"
        out.append(line)
        total += len(line) + 1
        t += 0.0001
        i += 1
    out += lines[-40:]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kcrash-bench-")
    try:
        # 1. nothing to collect
        root = make_root(tmp)
        baseline = ["sh", "-c", f". {root}/etc/default/kdump; find {root}/sys/fs/pstore | grep -c ramoops; "
                                f"ls {root}/var/kdump/crash"]
        kc = [KCRASHCTL, "--root", root, "collect"]
        bt, brss = measure(baseline, lambda: None, args.runs)
        kt, krss = measure(kc, lambda: None, args.runs)
        print(f"boot-path (nothing to collect): kcrashctl {kt * 1000:.2f} ms, {krss} KiB peak RSS; "
              f"shell baseline {bt * 1000:.2f} ms, {brss} KiB")
        print(f"  ratio time kcrash/baseline = {kt / bt:.2f}, ratio RSS = {krss / brss:.2f}")

        # 2. one 2 MiB record to a durable ZIP
        record = f"{tmp}/dmesg-ramoops-0"
        big_record(record)
        root2 = make_root(tmp)
        out = f"{tmp}/out"

        def prepare_kcrash():
            shutil.rmtree(f"{root2}/var/kdump", ignore_errors=True)
            os.makedirs(f"{root2}/var/kdump/crash")
            shutil.copyfile(record, f"{root2}/sys/fs/pstore/dmesg-ramoops-0")

        def prepare_shell():
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)

        dmi = "dmidecode > /dev/null 2>&1;" if shutil.which("dmidecode") else ""
        baseline = ["sh", "-c", f"cat {record} > {out}/dmesg.txt && "
                                f"sed -n '/Kernel panic -/,/Kernel Offset:/p' {record} > {out}/summary.txt; {dmi} "
                                f"zip -q -9 -j {out}/report.zip {out}/dmesg.txt {out}/summary.txt && sync {out}/report.zip"]
        kc = [KCRASHCTL, "--root", root2, "collect"]
        bt, brss = measure(baseline, prepare_shell, args.runs)
        kt, krss = measure(kc, prepare_kcrash, args.runs)
        print(f"2 MiB record -> durable ZIP: kcrashctl {kt * 1000:.1f} ms, {krss} KiB peak RSS; "
              f"shell baseline {bt * 1000:.1f} ms, {brss} KiB")
        print(f"  ratio time kcrash/baseline = {kt / bt:.2f}, ratio RSS = {krss / brss:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
