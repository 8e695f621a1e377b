#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The figures behind the collector's deflate level (ARCHIVE_DEFLATE_LEVEL in
src/shared/archive.c): total compressed size and time of zlib at levels 1-9
over every text log of tests/fixtures (more than 20 lines, no NUL in its
first 4 KiB), and over bench/collect_bench.py's 2 MiB record (a log that
repeats itself). Ratios are against level 6, zlib's default, measured in the
same run (Python's zlib is the zlib libzip deflates with).

Usage: deflate_levels.py [RUNS]   (default 3; the median time of RUNS passes)"""

import os
import statistics
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("KCRASH_FIXTURES", os.path.join(HERE, "..", "tests", "fixtures"))
sys.path.insert(0, HERE)
import collect_bench  # noqa: E402


def text_logs():
    out = []
    for top, _, names in os.walk(FIXTURES):
        for name in sorted(names):
            path = os.path.join(top, name)
            if os.path.getsize(path) <= 2000 or name.endswith((".zip", ".bin", ".ko", ".xz", ".gz")):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if data.count(b"\n") > 20 and b"\0" not in data[:4096]:
                out.append(data)
    return out


def measure(title, blobs, runs):
    rows = {}
    for level in range(1, 10):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            size = sum(len(zlib.compress(b, level)) for b in blobs)
            times.append(time.perf_counter() - start)
        rows[level] = (size, statistics.median(times))
    base_size, base_time = rows[6]
    print(f"{title}: {len(blobs)} file(s), {sum(map(len, blobs))} bytes")
    for level, (size, t) in rows.items():
        print(f"  level {level}: {size} bytes (x{size / base_size:.3f} of level 6), "
              f"{t * 1000:.1f} ms (x{t / base_time:.2f})")


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    measure("fixture logs", text_logs(), runs)
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "dmesg-ramoops-0")
        collect_bench.big_record(big)
        with open(big, "rb") as f:
            measure("2 MiB record of bench/collect_bench.py", [f.read()], runs)


if __name__ == "__main__":
    main()
