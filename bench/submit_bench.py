#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Submission benchmarks against a local kcrash-server, measured in one run:

1. kcrashctl submit of a 20 MiB and a 200 MiB ZIP: peak RSS of both (it must
   not grow with the ZIP: the ZIP is streamed) and throughput as a ratio
   against `curl -T` of the same file to the same receiver.
2. The receiver: small uploads (Start + PUT + Finish) per second with 50
   concurrent clients."""

import concurrent.futures
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

SERVER = st.SERVER
KCRASHCTL = st.KCRASHCTL


def start_server(tmp, port):
    p = subprocess.Popen([SERVER, "--listen", f"127.0.0.1:{port}", "--data", f"{tmp}/store", "--rate", "0",
                          "--max-size", str(1 << 30)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    raise SystemExit("kcrash-server did not start")


def start_slot(port, size):
    body = f"steamid=0&have_dump_file=1&dump_file_size={size}&product=bench&format=json".encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{st.START}", data=body, method="POST")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())["response"]


def main():
    tmp = tempfile.mkdtemp(prefix="kcrash-bench-submit-")
    port = st.free_port()
    server = start_server(tmp, port)
    base = f"http://127.0.0.1:{port}"
    try:
        for mib in (20, 200):
            root = st.make_root(tmp, base + st.START, base + st.FINISH, "SUBMIT_DAILY_BYTES=4G\n")
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
            slot = start_slot(port, size)
            t0 = time.perf_counter()
            subprocess.run(["curl", "-s", "-o", "/dev/null", "-T", copy, "-H", "Content-Type: application/zip",
                            slot["url"]], check=True)
            ct = time.perf_counter() - t0
            print(f"{mib} MiB ZIP: kcrashctl submit {size / kt / 1e6:.0f} MB/s, peak RSS {rss} KiB; "
                  f"curl -T {size / ct / 1e6:.0f} MB/s; ratio kcrash/curl throughput = {ct / kt:.2f}")

        # 2. small uploads, 50 concurrent clients
        payload = os.urandom(4096)

        def one(_):
            slot = start_slot(port, len(payload))
            req = urllib.request.Request(slot["url"], data=payload, method="PUT",
                                         headers={"Content-Type": "application/zip"})
            urllib.request.urlopen(req).read()
            fin = urllib.request.Request(base + st.FINISH, data=f"gid={slot['gid']}".encode(), method="POST")
            urllib.request.urlopen(fin).read()

        n = 500
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(50) as ex:
            list(ex.map(one, range(n)))
        dt = time.perf_counter() - t0
        print(f"receiver: {n} small uploads (Start+PUT+Finish, 4 KiB) by 50 concurrent clients: {n / dt:.0f} uploads/s")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
