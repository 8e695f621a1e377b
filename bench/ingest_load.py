# SPDX-License-Identifier: GPL-2.0-or-later
"""Upload clients for the receiver benchmarks: C concurrent clients, each
doing Start + PUT + Finish one report after another, with a new connection
per request as kcrash-submit makes them.

One Python process cannot drive many: urllib costs about 3 ms of CPU per
upload and the GIL runs one thread at a time, so 50 threads in one process
top out near 300 uploads/s whatever the server does. The clients are spread
over several processes and speak HTTP/1.1 on plain sockets; the payloads
are made before the clock starts. Every answer must be 200, and each Finish
must name a gid its Start gave."""

import json
import multiprocessing
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

START = "/ICrashReportService/StartCrashUpload/v1"
FINISH = "/ICrashReportService/FinishCrashUpload/v1"


def http(port, method, path, body, content_type):
    """The body of a 200 answer; anything else raises."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        s.sendall(b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                  b"Connection: close\r\n\r\n" % (method.encode(), path.encode(), content_type, len(body)) + body)
        chunks = []
        while True:
            d = s.recv(65536)
            if not d:
                break
            chunks.append(d)
    head, _, data = b"".join(chunks).partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 "):
        raise RuntimeError(f"{method} {path}: {head.splitlines()[:1]} {data[:200]!r}")
    return data


def upload(port, payload, form):
    """One report through the three steps; its gid."""
    body = urllib.parse.urlencode(dict(form, dump_file_size=str(len(payload)))).encode()
    slot = json.loads(http(port, "POST", START, body, b"application/x-www-form-urlencoded"))["response"]
    u = urllib.parse.urlsplit(slot["url"])
    http(port, "PUT", f"{u.path}?{u.query}", payload, b"application/zip")
    http(port, "POST", FINISH, f"gid={slot['gid']}".encode(), b"application/x-www-form-urlencoded")
    return slot["gid"]


def _process(port, work, ready, go, results):
    """Runs one thread per client in work (a list of lists of (payload, form))."""
    gids, errors = [], []

    def client(items):
        try:
            for payload, form in items:
                gids.append(upload(port, payload, form))
        except Exception as e:  # reported to the parent, which stops
            errors.append(str(e))

    threads = [threading.Thread(target=client, args=(items,)) for items in work]
    ready.put(os.getpid())
    go.wait()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((gids, errors))


def c_client():
    """The C client (bench/ingest-load.c) next to the server under test in
    the build tree, or $KCRASH_INGEST_LOAD; None when it is not built."""
    server = os.environ.get("KCRASH_SERVER", "build/src/kcrash-server/kcrash-server")
    path = os.environ.get("KCRASH_INGEST_LOAD") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(server)))), "bench", "ingest-load")
    return path if os.access(path, os.X_OK) else None


def run_c(port, items, clients=50):
    """The same uploads by the C client's clients threads, which cost the
    machine far less CPU than Python's: (uploads per second, the gids). All
    items must share one form (the C client sends one)."""
    forms = {json.dumps(form, sort_keys=True) for _, form in items}
    if len(forms) != 1:
        raise ValueError("the C client sends one form for every upload")
    form = urllib.parse.urlencode(items[0][1])
    with tempfile.TemporaryDirectory(prefix="kcrash-ingest-") as d:
        paths = []
        for i, (payload, _) in enumerate(items):
            paths.append(f"{d}/{i}")
            with open(paths[-1], "wb") as f:
                f.write(payload)
        p = subprocess.run([c_client(), str(port), str(clients), form, *paths], capture_output=True, text=True)
    lines = p.stdout.splitlines()
    if p.returncode != 0 or not lines or not lines[-1].startswith("uploads "):
        raise SystemExit(f"ingest-load failed ({p.returncode}): {p.stderr.strip()}")
    seconds = float(lines[-1].split()[3])
    gids = lines[:-1]
    if len(gids) != len(items) or len(set(gids)) != len(items):
        raise SystemExit(f"ingest-load: {len(set(gids))} distinct gids for {len(items)} uploads")
    return len(items) / seconds, gids


def run(port, items, clients=50, processes=5):
    """Uploads items ((payload, form) pairs) with clients concurrent clients
    in processes processes: (uploads per second, the gids)."""
    ctx = multiprocessing.get_context("fork")
    per_client = [items[i::clients] for i in range(clients)]
    ready, go, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_process, args=(port, per_client[p::processes], ready, go, results))
             for p in range(processes)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    t0 = time.perf_counter()
    go.set()
    gids, errors = [], []
    for _ in procs:
        g, e = results.get()
        gids += g
        errors += e
    dt = time.perf_counter() - t0
    for p in procs:
        p.join()
    if errors or len(gids) != len(items) or len(set(gids)) != len(items):
        raise SystemExit(f"{len(gids)} of {len(items)} uploads done; {errors[:3]}")
    return len(items) / dt, gids
