#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where the collector's peak RSS goes, one real ramoops panic record -> ZIP
(the case of collect_bench.py whose goal, 2 x the record + 4 MiB, is not
met): the collector runs once on collect_bench.py's fake tree with a
preloaded library (compiled here with cc) that, when the process exits,
copies /proc/self/smaps and VmHWM; the resident KiB are summed by mapping
(each library's file, the heap, anonymous memory, the stack), with the
collector's own part (heap, anonymous, stack, its binary) apart from the
libraries it loads.

Usage: collect_rss.py   (KCRASH_COLLECT and KCRASH_FIXTURES as for
collect_bench.py)"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collect_bench  # noqa: E402

# The collector's own process only: the programs it runs (dmidecode) start
# without it.
PRELOAD = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static char out[4096];
__attribute__((constructor)) static void take(void) {
        const char *o = getenv("KCRASH_RSS_OUT");
        if (o)
                snprintf(out, sizeof out, "%s", o);
        unsetenv("LD_PRELOAD");
}
__attribute__((destructor)) static void dump(void) {
        char line[1024];
        FILE *o = out[0] ? fopen(out, "w") : NULL, *f = fopen("/proc/self/smaps", "r"), *s = fopen("/proc/self/status", "r");
        if (!o || !f || !s)
                return;
        while (fgets(line, sizeof line, f))
                fputs(line, o);
        while (fgets(line, sizeof line, s))
                if (!strncmp(line, "VmHWM:", 6))
                        fputs(line, o);
        fclose(f);
        fclose(s);
        fclose(o);
}
"""


def main():
    tmp = tempfile.mkdtemp(prefix="kcrash-rss-")
    try:
        src, lib, out = f"{tmp}/dump.c", f"{tmp}/dump.so", f"{tmp}/smaps"
        with open(src, "w") as f:
            f.write(PRELOAD)
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", lib, src], check=True)
        root = collect_bench.make_root(tmp)
        collect_bench.prepare(root, collect_bench.RECORD)
        env = dict(os.environ, KCRASH_DMIDECODE=f"{root}/bin/dmidecode", LD_PRELOAD=lib, KCRASH_RSS_OUT=out)
        collect_bench.run([collect_bench.COLLECT, "--root", root], env)
        collect_bench.check_zip(root, collect_bench.RECORD, collect_bench.dmidecode_text(root), False)
        by, name, hwm = {}, None, 0
        with open(out) as f:
            for line in f:
                fields = line.split()
                if "-" in fields[0] and len(fields[0]) > 8 and ":" not in fields[0]:
                    path = fields[5] if len(fields) > 5 else ""
                    name = os.path.basename(path) if path.startswith("/") else (path or "anonymous")
                elif fields[0] == "Rss:":
                    by[name] = by.get(name, 0) + int(fields[1])
                elif fields[0] == "VmHWM:":
                    hwm = int(fields[1])
        by.pop(os.path.basename(lib), None)
        own = {k: v for k, v in by.items()
               if k in ("[heap]", "anonymous", "[stack]", os.path.basename(collect_bench.COLLECT))}
        libs = {k: v for k, v in by.items() if k not in own}
        size = os.path.getsize(collect_bench.RECORD)
        goal = (2 * size + 4 * 1024 * 1024) // 1024
        print(f"one real ramoops panic record ({size} bytes) -> ZIP: peak RSS {hwm / 1024:.2f} MiB "
              f"(goal <= {goal / 1024:.2f} MiB); at exit, KiB resident by mapping:")
        for k, v in sorted(((k, v) for k, v in by.items() if v), key=lambda kv: -kv[1]):
            print(f"  {v:6d}  {k}")
        print(f"libraries loaded: {sum(libs.values()) / 1024:.2f} MiB; the collector's own "
              f"(heap, anonymous, stack, binary): {sum(own.values()) / 1024:.2f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
