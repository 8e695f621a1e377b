#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Submission benchmarks against a local kcrash-server, measured in one run:

1. kcrashctl submit of a 20 MiB and a 200 MiB ZIP: peak RSS of both (it must
   not grow with the ZIP: the ZIP is streamed) and throughput as a ratio
   against `curl -T` of the same file to the same receiver.
2. The receiver: small uploads (Start + PUT + Finish) per second with 50
   concurrent clients in 5 processes (bench/ingest_load.py).

Every upload is checked: kcrashctl submit must exit 0 and move the ZIP to
sent_logs/, the receiver must list the report (its admin API) with the
ZIP's size; curl's PUT must answer 200; each small upload's Start, PUT and
Finish must answer 200, and the receiver must hold all of them at the end."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import submit_test as st  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import ingest_load  # noqa: E402

SERVER = st.SERVER
KCRASHCTL = st.KCRASHCTL
# kcrashctl submit runs kcrash-submit from there (meson sets it; run by hand:
# the build tree next to kcrashctl)
os.environ.setdefault("KCRASH_LIBEXEC_DIR", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(KCRASHCTL))),
                                                         "kcrashd"))
# as in tests/meson.build: a -Dtest_hooks=true build lets the uploader run as
# root on a fake tree (CI and this benchmark run as root)
os.environ.setdefault("KCRASHD_ALLOW_ROOT", "1")


TOKEN = "bench-t0ken"


def start_server(tmp, port):
    with open(f"{tmp}/token", "w") as f:
        f.write(TOKEN + "\n")
    p = subprocess.Popen([SERVER, "--listen", f"127.0.0.1:{port}", "--data", f"{tmp}/store", "--rate", "0",
                          # 50 clients from one address, each with a Start in flight
                          # and connections closing behind them
                          "--max-pending-starts", "1000", "--max-conns-per-addr", "0",
                          "--max-size", str(1 << 30), "--admin-token-file", f"{tmp}/token"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    raise SystemExit("kcrash-server did not start")


def ok(req):
    """The answer's body; anything but 200 stops the benchmark."""
    with urllib.request.urlopen(req) as r:
        if r.status != 200:
            raise SystemExit(f"{req.get_method()} {req.full_url}: HTTP {r.status}")
        return r.read()


def start_slot(port, size):
    body = f"steamid=0&have_dump_file=1&dump_file_size={size}&product=bench&format=json".encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{st.START}", data=body, method="POST")
    return json.loads(ok(req))["response"]


def stored_reports(port):
    """Every report the receiver holds, page by page (X-Next-Offset)."""
    reports, offset = [], 0
    while offset >= 0:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/reports?limit=1000&offset={offset}",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(req) as r:
            if r.status != 200:
                raise SystemExit(f"GET /api/reports: HTTP {r.status}")
            reports += json.loads(r.read())
            offset = int(r.headers["X-Next-Offset"])
    return reports


def main():
    tmp = tempfile.mkdtemp(prefix="kcrash-bench-submit-")
    port = st.free_port()
    server = start_server(tmp, port)
    base = f"http://127.0.0.1:{port}"
    try:
        for mib in (20, 200):
            root = st.make_root(tmp, base + st.START, base + st.FINISH, "SUBMIT_DAILY_BYTES=4G\nSUBMIT_STALL_TIMEOUT=120\n")
            zpath = f"{root}/var/kdump/not_sent_logs/b{mib}.zip"
            st.make_zip(zpath, f"b{mib}", os.urandom(mib << 20))
            size = os.path.getsize(zpath)
            copy = f"{tmp}/copy{mib}.zip"
            shutil.copyfile(zpath, copy)
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-f", "%M", KCRASHCTL, "--root", root, "submit"],
                               capture_output=True, text=True)
            kt = time.perf_counter() - t0
            rss = int(p.stderr.strip().splitlines()[-1])
            if p.returncode != 0:
                raise SystemExit(f"kcrashctl submit failed with {p.returncode}: {p.stderr}")
            if os.listdir(f"{root}/var/kdump/not_sent_logs") or not os.path.exists(f"{root}/var/kdump/sent_logs/b{mib}.zip"):
                raise SystemExit(f"kcrashctl submit exited 0 but b{mib}.zip was not sent")
            if not [r for r in stored_reports(port) if r.get("size") == size]:
                raise SystemExit(f"the receiver holds no report of {size} bytes: {stored_reports(port)}")
            slot = start_slot(port, size)
            t0 = time.perf_counter()
            c = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-T", copy, "-H",
                                "Content-Type: application/zip", slot["url"]], capture_output=True, text=True)
            ct = time.perf_counter() - t0
            if c.returncode != 0 or c.stdout != "200":
                raise SystemExit(f"curl -T failed: exit {c.returncode}, HTTP {c.stdout}")
            print(f"{mib} MiB ZIP: kcrashctl submit {size / kt / 1e6:.0f} MB/s, peak RSS {rss} KiB; "
                  f"curl -T {size / ct / 1e6:.0f} MB/s; ratio kcrash/curl throughput = {ct / kt:.2f}")

        # 2. small uploads, 50 concurrent clients over 5 processes (one
        # Python process tops out near 300/s: bench/ingest_load.py)
        payload = os.urandom(4096)
        form = {"steamid": "0", "have_dump_file": "1", "product": "bench", "format": "json"}
        n = 900

        def uploads_per_second(run, who):
            """run's rate for the n small uploads, each checked held by the receiver."""
            before = len(stored_reports(port))
            rate, gids = run(port, [(payload, form)] * n, clients=50)
            held = {r.get("gid") for r in stored_reports(port)}
            if len(set(gids)) != n or not set(gids) <= held or len(held) != before + n:
                raise SystemExit(f"the receiver holds {len(held) - before} of {who}'s {n} small uploads")
            return rate

        rate = uploads_per_second(ingest_load.run, "the Python clients")
        print(f"receiver: {n} small uploads (Start+PUT+Finish, 4 KiB) by 50 concurrent clients in 5 processes: "
              f"{rate:.0f} uploads/s (load average {os.getloadavg()[0]:.1f})")
        if ingest_load.c_client():
            rate_c = uploads_per_second(ingest_load.run_c, "the C client")
            print(f"receiver: the same by the C client bench/ingest-load.c (50 threads, far less CPU per upload "
                  f"than Python's on the same 2 cores): {rate_c:.0f} uploads/s; ratio to the Python clients "
                  f"{rate_c / rate:.2f} (load average {os.getloadavg()[0]:.1f})")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
