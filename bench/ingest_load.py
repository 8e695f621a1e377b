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
