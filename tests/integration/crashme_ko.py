# SPDX-License-Identifier: GPL-2.0-or-later
"""Builds tests/vm/crashme (with debug info, as the VM suite does) against the
installed kernel headers, and reads from the .ko what a crash of it would
print: the faulting instruction of each crash function, the return address
of a call, and the sizes kallsyms prints (the distance to the next symbol,
kernel/module/kallsyms.c). Used by symbolize_test.py and bench/symbolize_bench.py."""

import glob
import os
import re
import shutil
import subprocess

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vm", "crashme")


def headers():
    """The newest installed linux-headers-*-<arch> tree with a Makefile, or None."""
    found = sorted(d for d in glob.glob("/usr/src/linux-headers-*") if os.path.exists(os.path.join(d, ".config")))
    return found[-1] if found else None


def build(dest):
    """crashme.ko built in dest, or None (with the reason) when it cannot be."""
    hdr = headers()
    if not hdr or not shutil.which("make") or not shutil.which("objdump"):
        return None, "no kernel headers under /usr/src (or no make/objdump)"
    os.makedirs(dest, exist_ok=True)
    for f in ("crashme.c", "Kbuild"):
        shutil.copy(os.path.join(SRC, f), dest)
    p = subprocess.run(["make", "-s", "-C", hdr, f"M={dest}", "modules"], capture_output=True, text=True)
    ko = os.path.join(dest, "crashme.ko")
    if p.returncode != 0 or not os.path.exists(ko):
        return None, f"crashme.ko did not build against {hdr}: {p.stderr[-500:]}"
    return ko, None


def build_id(ko):
    out = subprocess.run(["readelf", "-n", ko], capture_output=True, text=True, check=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", out).group(1)


def marker_line(name):
    """Line of crashme.c holding "symbolize-line: NAME": what the test expects,
    taken from the source, not from a stored answer."""
    with open(os.path.join(SRC, "crashme.c")) as f:
        for i, line in enumerate(f, 1):
            if f"symbolize-line: {name} " in line:
                return i
    raise KeyError(name)


def text_symbols(ko, elf_size=False):
    """{name: (address, kallsyms size)} of the .text functions (with
    elf_size, their ELF st_size instead)."""
    out = subprocess.run(["objdump", "-t", ko], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        m = re.match(r"([0-9a-f]+) .{7} (\S+)\s+([0-9a-f]+) (\S+)$", line)
        if m and m.group(2) == ".text" and not m.group(4).startswith("."):
            syms.append((int(m.group(1), 16), m.group(4), int(m.group(3), 16)))
    syms.sort()
    addrs = sorted({a for a, _, _ in syms})
    result = {}
    for a, name, size in syms:
        nxt = [x for x in addrs if x > a]
        result[name] = (a, size if elf_size else nxt[0] - a if nxt else size)
    return result


def disassembly(ko, func):
    """[(address, text)] of func's instructions."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", ko], capture_output=True, text=True,
                         check=True).stdout
    body = re.search(rf"<{re.escape(func)}>:\n(.*?)(\n\n|\Z)", out, re.S).group(1)
    return [(int(m.group(1), 16), m.group(2)) for m in re.finditer(r"^\s*([0-9a-f]+):\s*(.*)$", body, re.M)]


def crash_frames(ko):
    """What the kernel would print for each crash: {name: frame text}."""
    syms = text_symbols(ko)

    def frame(func, pred, after=False):
        insns = disassembly(ko, func)
        for i, (addr, text) in enumerate(insns):
            if pred(text):
                at = insns[i + 1][0] if after else addr
                start, size = syms[func]
                return f"{func}+0x{at - start:x}/0x{size:x} [crashme]"
        raise LookupError(f"no matching instruction in {func}")

    return {
        # the faulting store of kcrash_test_null
        "null": frame("kcrash_test_null", lambda t: "$0x2a" in t),
        # BUG() and WARN() are ud2 (arch/x86/include/asm/bug.h)
        "bug": frame("kcrash_test_bug", lambda t: t.startswith("ud2")),
        "warn": frame("kcrash_test_warn", lambda t: t.startswith("ud2")),
        # return address of crashme_write's call of kcrash_test_null
        "call-null": frame("crashme_write", lambda t: "<kcrash_test_null>" in t, after=True),
    }
