#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Collector benchmarks against SteamOS's collector steps (bench/steamos-collect.sh,
written from the public description of evlav/kdump-steamos's submit-report.sh,
network step stubbed), both run on the same fake tree in the same run, each
case interleaved run by run (the machines are shared and noisy):

1. boot, nothing to collect: kcrash-collect (what kcrash-collect.service
   runs) vs the script with an empty pstore and no capture; then the same
   after 40 untimed boots (a device past its first month: kcrash keeps the
   records of the newest 32 boots and prunes one at each boot);
2. one real ramoops panic record (tests/fixtures/pstore-ramoops-sysrq-panic)
   to a durable ZIP in not_sent_logs/;
3. a 2 MiB panic record to a durable ZIP.

Both do the same work: the fake tree has a boot id (kcrash writes its
durable per-boot record, as on every real boot), DMI attributes and a Steam
account; both run dmidecode, the same stand-in (the real dmidecode reading
a SMBIOS dump written here: the script three times as SteamOS's does, kcrash
once); neither reads the journal (SteamOS does not). Every measured command
must exit 0, and each ZIP is checked: its dmesg and dmidecode members and its
name (serial and account), so neither side can skip work unnoticed.

Wall time is the median of N interleaved runs; peak RSS is the largest
ru_maxrss (the largest process of the run, children included) of three runs
under GNU time. Prints ratios kcrash/baseline and the goals of issue 15.
Usage: collect_bench.py [--runs N]   (KCRASH_COLLECT and KCRASH_FIXTURES from
meson; a -Dtest_hooks=true build, for the dmidecode stand-in)"""

import argparse
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("MESON_BUILD_ROOT", os.path.join(HERE, "..", "build"))
COLLECT = os.environ.get("KCRASH_COLLECT", os.path.join(BUILD, "src/kcrashd/kcrash-collect"))
FIXTURES = os.environ.get("KCRASH_FIXTURES", os.path.join(HERE, "..", "tests", "fixtures"))
BASELINE = os.path.join(HERE, "steamos-collect.sh")
RECORD = os.path.join(FIXTURES, "pstore-ramoops-sysrq-panic", "pstore", "dmesg-ramoops-0")
SERIAL = "FVAA12345678"
ACCOUNT, STEAMID = "deckuser", "76561198000000001"
VDF = "/home/deck/.local/share/Steam/config/loginusers.vdf"


def smbios_dump():
    """A SMBIOS 3.0 table as `dmidecode --dump-bin` writes it (entry point at
    0, table at 0x20; DMTF DSP0134): BIOS, system (a Steam Deck's names),
    board, end of table."""
    def strings(*s):
        return b"".join(x.encode() + b"\0" for x in s) + b"\0"
    bios = struct.pack("<BBHBBHBBQ", 0, 0x12, 0, 1, 2, 0xF000, 3, 0, 0) + strings("Valve", "F7A0113", "12/07/2023")
    system = (struct.pack("<BBHBBBB", 1, 0x1B, 1, 1, 2, 3, 4) + bytes(range(16)) + struct.pack("<BBB", 6, 5, 6)
              + strings("Valve", "Jupiter", "1", SERIAL, "1", "Steam Deck"))
    board = struct.pack("<BBHBBBB", 2, 0x08, 2, 1, 2, 3, 4) + strings("Valve", "Jupiter", "1", "PNAB98765432")
    end = struct.pack("<BBH", 127, 4, 0xFFFF) + b"\0\0"
    table = bios + system + board + end
    ep = bytearray(struct.pack("<5sBBBBBBBIQ", b"_SM3_", 0, 0x18, 3, 0, 0, 1, 0, len(table), 0x20))
    ep[5] = -sum(ep) & 0xFF
    return bytes(ep) + bytes(0x20 - len(ep)) + table


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def make_root(tmp):
    root = tempfile.mkdtemp(dir=tmp)
    write(f"{root}/etc/default/kdump",
          "# SteamOS's keys (LOGINVDF is SteamOS's name: kcrash warns about it and reads its own)\n"
          "KDUMP_FOLDER=/var/kdump\nKDUMP_MNT=/run/kdump-folder\nLOG_SUBMISSION=1\n"
          f"LOGINVDF={VDF}\nPSTORE_DIR=/sys/fs/pstore\nUSE_PSTORE_RAM=1\n"
          # SteamOS keeps no journal; kcrash's default would read it
          "JOURNAL_TAIL_LINES=0\n")
    write(f"{root}/etc/os-release", 'NAME="SteamOS"\nID=steamos\nVERSION_ID=3.6\nBUILD_ID=20261130.1\n')
    write(f"{root}/proc/sys/kernel/osrelease", "6.1.0-56-amd64\n")
    write(f"{root}/proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)\n")
    write(f"{root}/proc/stat", "cpu  1 2 3 4\nbtime 1795000000\n")
    write(f"{root}/sys/class/dmi/id/product_name", "Jupiter\n")
    write(f"{root}/sys/class/dmi/id/product_serial", SERIAL + "\n")
    write(f"{root}{VDF}",
          '"users"\n{\n\t"76561197960287930"\n\t{\n\t\t"AccountName"\t\t"gabelogannewell"\n'
          '\t\t"PersonaName"\t\t"Gabe"\n\t\t"MostRecent"\t\t"0"\n\t\t"Timestamp"\t\t"1700000000"\n\t}\n'
          f'\t"{STEAMID}"\n\t{{\n\t\t"AccountName"\t\t"{ACCOUNT}"\n\t\t"PersonaName"\t\t"Deck"\n'
          '\t\t"MostRecent"\t\t"1"\n\t\t"Timestamp"\t\t"1795000000"\n\t}\n}\n')
    os.makedirs(f"{root}/sys/fs/pstore")
    os.makedirs(f"{root}/var/kdump/crash")
    # The dmidecode stand-in, first in the baseline's PATH and named to kcrash.
    write(f"{root}/dmi.bin", smbios_dump(), "wb")
    dmidecode = shutil.which("dmidecode") or "/usr/sbin/dmidecode"
    write(f"{root}/bin/dmidecode", f'#!/bin/sh\nexec {dmidecode} --from-dump "{root}/dmi.bin" "$@"\n')
    os.chmod(f"{root}/bin/dmidecode", 0o755)
    return root


def dmidecode_text(root):
    p = subprocess.run([f"{root}/bin/dmidecode"], capture_output=True, text=True, check=True)
    assert "Serial Number: " + SERIAL in p.stdout, p.stdout
    return p.stdout


def prepare(root, record):
    """Untimed, before every run of either side: a new boot (kcrash records
    each boot), the offload folder announced by the load step (SteamOS's
    KDUMP_MNT), the record in pstore, an empty queue."""
    write(f"{root}/proc/sys/kernel/random/boot_id", str(uuid.uuid4()) + "\n")
    write(f"{root}/run/kdump-folder", f"{root}/var/kdump\n")
    shutil.rmtree(f"{root}/var/kdump/not_sent_logs", ignore_errors=True)
    for name in os.listdir(f"{root}/sys/fs/pstore"):
        os.unlink(f"{root}/sys/fs/pstore/{name}")
    if record:
        shutil.copyfile(record, f"{root}/sys/fs/pstore/dmesg-ramoops-0")


def check_zip(root, record, dmi, baseline):
    """The one ZIP the run queued holds the record's log, the dmidecode text,
    and the serial and account in its name."""
    queue = f"{root}/var/kdump/not_sent_logs"
    names = [n for n in os.listdir(queue) if n.endswith(".zip")] if os.path.isdir(queue) else []
    if not record:
        if names:
            raise SystemExit(f"{'baseline' if baseline else 'kcrash'}: a report with nothing to collect: {names}")
        return
    if len(names) != 1:
        raise SystemExit(f"{'baseline' if baseline else 'kcrash'}: expected one ZIP in {queue}, found {names}")
    name = names[0]
    if f"-{SERIAL}-{ACCOUNT}." not in name:
        raise SystemExit(f"{name}: serial or account missing")
    with open(record, "rb") as f:
        log = f.read()
    with zipfile.ZipFile(f"{queue}/{name}") as z:
        if z.testzip() is not None:
            raise SystemExit(f"{name}: bad CRC")
        members = {n: z.read(n) for n in z.namelist()}
    dmesg = [v for n, v in members.items() if n.startswith("dmesg-pstore")]
    dmidecode = [v for n, v in members.items() if n.startswith("dmidecode")]
    # kcrash keeps the record's text without pstore's "Panic#1 Part1" header line
    if len(dmesg) != 1 or not log.endswith(dmesg[0]) or len(dmesg[0]) < len(log) - 64:
        raise SystemExit(f"{name}: the record's log is not in the ZIP ({list(members)})")
    if len(dmidecode) != 1 or dmidecode[0].decode() != dmi:
        raise SystemExit(f"{name}: the dmidecode output is not in the ZIP")


def run(cmd, env):
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{cmd} failed with {p.returncode}: {p.stderr}")


def peak_rss(cmd, env, before):
    """Largest ru_maxrss in KiB over three runs, from GNU time (a fork of this
    Python process would count the interpreter's own pages until exec)."""
    rss = 0
    for _ in range(3):
        before()
        p = subprocess.run(["/usr/bin/time", "-f", "%x %M"] + cmd, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        status, kib = p.stderr.strip().splitlines()[-1].split()
        if p.returncode != 0 or status != "0":
            raise SystemExit(f"{cmd} failed with {p.returncode}: {p.stderr}")
        rss = max(rss, int(kib))
    return rss


def case(tmp, title, record, runs, goal_time, goal_rss, boots_before=0):
    kroot, broot = make_root(tmp), make_root(tmp)
    dmi = {kroot: dmidecode_text(kroot), broot: dmidecode_text(broot)}
    kenv = dict(os.environ, KCRASH_DMIDECODE=f"{kroot}/bin/dmidecode")
    benv = dict(os.environ, ROOT=broot, PATH=f"{broot}/bin:" + os.environ.get("PATH", "/usr/bin:/bin"))
    kcmd = [COLLECT, "--root", kroot]
    bcmd = ["sh", BASELINE]
    sides = [("kcrash", kroot, kcmd, kenv, False), ("baseline", broot, bcmd, benv, True)]
    # Earlier boots, untimed: kcrash keeps a record of each (the newest 32).
    for _ in range(boots_before):
        prepare(kroot, None)
        run(kcmd, kenv)
    times = {"kcrash": [], "baseline": []}
    for i in range(runs + 1):
        for name, root, cmd, env, is_base in (sides if i % 2 else sides[::-1]):
            prepare(root, record)
            start = time.perf_counter()
            run(cmd, env)
            elapsed = time.perf_counter() - start
            check_zip(root, record, dmi[root], is_base)
            if i > 0:  # the first round warms the caches
                times[name].append(elapsed)
    rss = {name: peak_rss(cmd, env, lambda r=root: prepare(r, record)) for name, root, cmd, env, _ in sides}
    kt, bt = statistics.median(times["kcrash"]), statistics.median(times["baseline"])
    size = os.path.getsize(record) if record else 0
    print(f"{title}: kcrash-collect {kt * 1000:.1f} ms, peak RSS {rss['kcrash'] / 1024:.1f} MiB; "
          f"SteamOS steps {bt * 1000:.1f} ms, peak RSS {rss['baseline'] / 1024:.1f} MiB")
    rss_goal = goal_rss(size) / 1024
    print(f"  ratio time kcrash/SteamOS = {kt / bt:.3f} (goal <= {goal_time:.2f}: {'met' if kt / bt <= goal_time else 'NOT met'}); "
          f"peak RSS {rss['kcrash'] / 1024:.1f} MiB (goal <= {rss_goal:.1f} MiB: "
          f"{'met' if rss['kcrash'] <= goal_rss(size) else 'NOT met'}), ratio RSS = {rss['kcrash'] / rss['baseline']:.2f}")
    sys.stdout.flush()


def big_record(path, size=2 << 20):
    """A 2 MiB Panic record: the real fixture's log body repeated with rising
    timestamps, then the real panic at the end."""
    with open(RECORD) as f:
        lines = f.read().splitlines()
    header, lines = lines[0], lines[1:]
    body = [l for l in lines if "] " in l]
    out, t, i, total = [header], 0.0, 0, 0
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
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    # On the build's disk (not a tmpfs): the fsyncs cost what they cost there.
    tmp = tempfile.mkdtemp(prefix="kcrash-bench-", dir=BUILD if os.path.isdir(BUILD) else None)
    try:
        mib = 1 << 20
        case(tmp, "boot, nothing to collect", None, args.runs, 0.10, lambda size: 3 * mib // 1024)
        # A device past its first month: 32 boots recorded, the oldest
        # pruned at each boot.
        case(tmp, "boot, nothing to collect, 40 boots before", None, args.runs, 0.10,
             lambda size: 3 * mib // 1024, boots_before=40)
        case(tmp, "one real ramoops panic record -> durable ZIP", RECORD, args.runs, 0.10,
             lambda size: (2 * size + 4 * mib) // 1024)
        big = f"{tmp}/dmesg-ramoops-0"
        big_record(big)
        case(tmp, "2 MiB panic record -> durable ZIP", big, args.runs, 0.15,
             lambda size: (2 * size + 4 * mib) // 1024)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
