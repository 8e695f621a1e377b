#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Analyzer throughput over the whole public corpus concatenated (headers and
REPORT sections removed, as the corpus README says), as a ratio against
`grep -c 'Call Trace'` over the same bytes, measured in the same run."""

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
        log = data.split(b"\n\n", 1)[1] if b"\n\n" in data else b""
        cut = log.find(b"\n\nREPORT:\n")
        yield log[:cut + 2] if cut >= 0 else log


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    blob = b"".join(corpus_logs())
    with tempfile.NamedTemporaryFile(prefix="kcrash-corpus-") as f:
        f.write(blob)
        f.flush()
        mb = len(blob) / 1e6
        grep = timed(["grep", "-c", "Call Trace", f.name], runs)
        kc = timed([KCRASHCTL, "analyze", "--json", f.name], runs)
        # And every log analysed on its own, as the collector does.
        logs = list(corpus_logs())
        start = time.perf_counter()
        for log in logs:
            subprocess.run([KCRASHCTL, "analyze", "--json"], input=log, stdout=subprocess.DEVNULL)
        each = time.perf_counter() - start
    print(f"corpus: {len(logs)} logs, {mb:.2f} MB concatenated")
    print(f"kcrashctl analyze: {mb / kc:.1f} MB/s; grep -c 'Call Trace': {mb / grep:.1f} MB/s; "
          f"ratio analyze/grep throughput = {grep / kc:.2f}")
    print(f"one process per log: {each / len(logs) * 1000:.2f} ms per log (process start included)")


if __name__ == "__main__":
    main()
