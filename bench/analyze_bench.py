#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Analyzer throughput: the public corpus concatenated (headers and REPORT
sections removed, as the corpus README says) COPIES times, every crash of it
analysed (`kcrashctl analyze --all --json`), against `grep -c 'Call Trace'`
over the same file, measured in the same run. Prints the ratio of the
throughputs (wall-clock medians, and CPU time, which the other sessions of a
shared machine disturb less), absolute MB/s, and the analyzer's peak RSS
against the input size. Every measured command's exit status is checked.

Usage: analyze_bench.py [RUNS] [COPIES]   (defaults 9 and 10)"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

KCRASHCTL = os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl")
FIXTURES = os.environ.get("KCRASH_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))


def corpus_logs():
    d = os.path.join(FIXTURES, "oops-corpus", "linux")
    for name in sorted(os.listdir(d)):
        data = open(os.path.join(d, name), "rb").read().replace(b"\r", b"")
        header, _, log = data.partition(b"\n\n")
        cut = log.find(b"\n\nREPORT:\n")
        yield header, (log[:cut + 2] if cut >= 0 else log)


def run(cmd, stdout=subprocess.DEVNULL, ok=(0,)):
    """Runs cmd; returns (wall s, CPU s, peak RSS KiB). Fails on an unexpected
    exit status. The peak RSS is GNU time's (a child's own ru_maxrss would
    count the memory of the Python process it was forked from); the CPU time
    is wait4's, exact where time(1) rounds to 10 ms."""
    with tempfile.NamedTemporaryFile(mode="r") as t:
        start = time.perf_counter()
        p = subprocess.Popen(["/usr/bin/time", "-o", t.name, "-f", "%M"] + cmd, stdout=stdout,
                             stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.stderr.close()
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode not in ok:
            sys.exit(f"analyze_bench: {' '.join(cmd)} exited {p.returncode}: {err.decode(errors='replace').strip()}")
        rss = int(t.read().split()[-1])
    return wall, usage.ru_utime + usage.ru_stime, rss


def timed(cmd, runs, ok=(0,)):
    walls, cpus, rss = [], [], 0
    for _ in range(runs):
        w, c, r = run(cmd, ok=ok)
        walls.append(w)
        cpus.append(c)
        rss = max(rss, r)
    return statistics.median(walls), statistics.median(cpus), rss


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    copies = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    logs = list(corpus_logs())
    with_crash = sum(1 for h, _ in logs if any(l.startswith(b"TITLE: ") and len(l) > 7 for l in h.split(b"\n")))
    blob = b"".join(log for _, log in logs) * copies
    mb = len(blob) / 1e6
    with tempfile.NamedTemporaryFile(prefix="kcrash-corpus-") as f:
        f.write(blob)
        f.flush()
        # What the analyzer finds: one JSON object per crash, every one analysed.
        with tempfile.TemporaryFile() as out:
            run([KCRASHCTL, "analyze", "--all", "--json", f.name], stdout=out)
            out.seek(0)
            results = out.read().splitlines()
        titled = sum(1 for r in results if not r.startswith(b'{"title":"",'))
        # Interleaved, so both see the same machine.
        g_walls, g_cpus, k_walls, k_cpus, k_rss = [], [], [], [], 0
        for _ in range(runs):
            w, c, _ = run(["grep", "-c", "Call Trace", f.name])
            g_walls.append(w)
            g_cpus.append(c)
            w, c, r = run([KCRASHCTL, "analyze", "--all", "--json", f.name])
            k_walls.append(w)
            k_cpus.append(c)
            k_rss = max(k_rss, r)
        grep, grep_cpu = statistics.median(g_walls), statistics.median(g_cpus)
        kc, kc_cpu = statistics.median(k_walls), statistics.median(k_cpus)
        # The same without the JSON (one text line a crash): what jansson's
        # output costs of the whole.
        text, text_cpu, _ = timed([KCRASHCTL, "analyze", "--all", f.name], runs)
        # The first crash only, as the collector analyses a record.
        first, first_cpu, first_rss = timed([KCRASHCTL, "analyze", "--json", f.name], runs)
        # And every log analysed in a process of its own, as the collector does.
        start = time.perf_counter()
        for _, log in logs:
            p = subprocess.run([KCRASHCTL, "analyze", "--json"], input=log, stdout=subprocess.DEVNULL)
            if p.returncode != 0:
                sys.exit(f"analyze_bench: kcrashctl analyze of one log exited {p.returncode}")
        each = time.perf_counter() - start
        # The baseline of a process: what analyze costs on an empty log.
        empty, empty_cpu, empty_rss = timed([KCRASHCTL, "analyze", "--json", "/dev/null"], runs)
    print(f"input: the corpus ({len(logs)} logs, {with_crash} with a crash) x {copies} = {mb:.2f} MB; "
          f"{runs} runs each, medians")
    print(f"kcrashctl analyze --all: {len(results)} crashes analysed ({titled} with a title), "
          f"{mb / kc:.1f} MB/s wall, {mb / kc_cpu:.1f} MB/s CPU")
    print(f"grep -c 'Call Trace': {mb / grep:.1f} MB/s wall, {mb / grep_cpu:.1f} MB/s CPU")
    print(f"ratio analyze/grep throughput = {grep / kc:.3f} wall, {grep_cpu / kc_cpu:.3f} CPU")
    print(f"without --json (text lines): {mb / text_cpu:.1f} MB/s CPU, ratio to grep {grep_cpu / text_cpu:.3f} CPU "
          f"(the JSON output is {(kc_cpu - text_cpu) / kc_cpu * 100:.0f} % of the CPU time)")
    print(f"peak RSS of analyze --all: {k_rss / 1024:.1f} MiB = {k_rss * 1024 / len(blob):.2f} x the input")
    print(f"first crash only (kcrashctl analyze --json): {mb / first:.1f} MB/s wall, ratio to grep "
          f"{grep / first:.3f}, peak RSS {first_rss / 1024:.1f} MiB")
    # What the goal of 0.25 leaves: four times grep's CPU time, against two
    # parts measured above that the analysis of every crash cannot do
    # without: one pass over the bytes (the first crash only) and the JSON
    # output (jansson's, the difference to the text lines).
    allowed = grep_cpu / 0.25
    print(f"a ratio of 0.25 allows {allowed * 1000:.1f} ms of CPU; one pass over the bytes (first crash only) takes "
          f"{first_cpu * 1000:.1f} ms and the JSON output {(kc_cpu - text_cpu) * 1000:.1f} ms, together "
          f"{(first_cpu + kc_cpu - text_cpu) / allowed:.2f} x that before any crash but the first is analysed")
    print(f"one process per log: {each / len(logs) * 1000:.2f} ms per log (process start included; "
          f"an empty log: {empty * 1000:.1f} ms wall, {empty_cpu * 1000:.0f} ms CPU, {empty_rss / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
