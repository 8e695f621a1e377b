#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Sentry target against a Sentry-protocol parser written by others:
Spotlight's sidecar (npm @spotlightjs/sidecar 2.5.0, Sentry's development
receiver) on 127.0.0.1. It takes envelopes by POST on /stream and streams
each one back, parsed into JSON, to a GET /stream client (server-sent
events). The sidecar is installed with npm into a cache outside the clone
($KCRASH_NPM_CACHE, else ~/.cache/kcrash-npm); with the hono 4.13 npm
resolves today it answers 500, so hono 4.10.3 is pinned beside it.

Without node or npm's registry the test cannot run: it says so loudly and
exits 77 (skipped for meson), it never passes."""

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collect_test import KCRASHCTL, OFFLOAD, make_root, run  # noqa: E402
from submit_test import free_port  # noqa: E402

SIDECAR = "@spotlightjs/sidecar"
SIDECAR_VERSION = "2.5.0"
HONO_VERSION = "4.10.3"
KEY = "fedcba9876543210fedcba9876543210"
SOURCE_DIR = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def skip_loudly(why):
    banner = "!" * 78
    print(f"\n{banner}\n!! SKIPPED: the Sentry (Spotlight) integration test did NOT run.\n!! {why}\n"
          f"!! Install node and npm, or fill $KCRASH_NPM_CACHE by hand:\n"
          f"!!   npm install --prefix DIR {SIDECAR}@{SIDECAR_VERSION} hono@{HONO_VERSION}\n{banner}\n",
          file=sys.stderr, flush=True)
    sys.exit(77)


def installed_version(cache, package):
    try:
        with open(os.path.join(cache, "node_modules", package, "package.json")) as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def sidecar_complete(cache):
    """The pinned versions are there, with the file the sidecar starts from."""
    return (installed_version(cache, SIDECAR) == SIDECAR_VERSION and installed_version(cache, "hono") == HONO_VERSION
            and os.path.isfile(os.path.join(cache, "node_modules", SIDECAR, "dist", "cli.js")))


def sidecar_dir():
    """The npm cache holding the pinned sidecar, installed on first use.
    scripts/check runs this test in two builds at once: both would install
    into the same cache, and one started the sidecar from a tree the other
    was still extracting (dist/cli.js missing; seen 2026-12-01). So the
    check and the install hold a lock on the cache; a tree filled by hand or
    by an older checkout counts when it is complete; an install that fails
    puts the tree it replaced back."""
    cache = os.path.realpath(os.environ.get("KCRASH_NPM_CACHE") or os.path.expanduser("~/.cache/kcrash-npm"))
    if cache == SOURCE_DIR or cache.startswith(SOURCE_DIR + os.sep):
        raise SystemExit(f"KCRASH_NPM_CACHE={cache} is inside the source tree; it must be outside the clone")
    if not shutil.which("node"):
        skip_loudly("node is not installed.")
    v = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    if not v.startswith("v") or int(v[1:].split(".")[0]) < 20:
        skip_loudly(f"node {v} is older than the sidecar's minimum (20).")
    try:
        os.makedirs(cache, exist_ok=True)
        lock = open(os.path.join(cache, "kcrash-install.lock"), "a")
    except OSError:
        # read-only: nobody installs into it, it is what it is
        if sidecar_complete(cache):
            return cache
        skip_loudly(f"{cache} cannot be written and does not hold {SIDECAR} {SIDECAR_VERSION}")
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if sidecar_complete(cache):
            return cache
        if not shutil.which("npm"):
            skip_loudly("npm is not installed and the sidecar is not in " + cache)
        modules, old = os.path.join(cache, "node_modules"), os.path.join(cache, "node_modules.old")
        shutil.rmtree(old, ignore_errors=True)
        if os.path.exists(modules):
            os.rename(modules, old)

        def put_back(why):
            shutil.rmtree(modules, ignore_errors=True)
            if os.path.exists(old):
                os.rename(old, modules)
            skip_loudly(why)
        try:
            p = subprocess.run(["npm", "install", "--prefix", cache, "--no-audit", "--no-fund",
                                f"{SIDECAR}@{SIDECAR_VERSION}", f"hono@{HONO_VERSION}"],
                               capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            put_back("npm install timed out (is the npm registry reachable?)")
        if p.returncode != 0:
            put_back(f"npm install failed (is the npm registry reachable?):\n{p.stderr[-2000:]}")
        if not sidecar_complete(cache):
            raise SystemExit(f"npm reported success but {SIDECAR} {SIDECAR_VERSION} or hono {HONO_VERSION} "
                             f"is not complete in {cache}")
        shutil.rmtree(old, ignore_errors=True)
    return cache


class Spotlight:
    """The sidecar on 127.0.0.1:port and one GET /stream reader."""

    def __init__(self, cache):
        self.port = free_port()
        self.proc = subprocess.Popen(["node", os.path.join(cache, "node_modules", SIDECAR, "dist", "run.js"),
                                      "-p", str(self.port)], cwd=cache,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(f"the sidecar exited: {self.proc.stdout.read().decode()}")
                time.sleep(0.1)
        else:
            raise AssertionError("the sidecar did not listen")
        self.envelopes = []
        self.cond = threading.Condition()
        threading.Thread(target=self.read_stream, daemon=True).start()

    def read_stream(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stream", timeout=120) as r:
            event = None
            for raw in r:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "application/x-sentry-envelope":
                    with self.cond:
                        self.envelopes.append(json.loads(line[5:]))
                        self.cond.notify_all()

    def wait_for(self, event_id, timeout=60):
        """The parsed envelope with that event id: [header, [[item header, payload], ...]]."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for e in self.envelopes:
                    if e[0].get("event_id") == event_id:
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no envelope {event_id} on /stream; got {self.envelopes!r:.2000}")
                self.cond.wait(left)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class SpotlightTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spotlight = Spotlight(sidecar_dir())

    @classmethod
    def tearDownClass(cls):
        cls.spotlight.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-spotlight-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def send(self, scenarios=(), kdump=()):
        root = make_root(self.tmp, scenarios, kdump)
        run(["collect"], root)
        port = self.spotlight.port
        with open(f"{root}/etc/default/kdump", "a") as f:
            # Spotlight takes envelopes on /stream, not /api/<project>/envelope/
            f.write(f"SUBMIT_TARGET=sentry\nSENTRY_DSN=http://{KEY}@127.0.0.1:{port}/7\n"
                    f"SENTRY_ENVELOPE_URL=http://127.0.0.1:{port}/stream\nSUBMIT_ALLOW_INSECURE_HTTP=1\n")
        queue = f"{root}/{OFFLOAD}/not_sent_logs"
        [zname] = os.listdir(queue)
        with zipfile.ZipFile(f"{queue}/{zname}") as z:
            rep = json.loads(z.read("report.json"))
            members = {n: z.read(n) for n in z.namelist()}
        p = subprocess.run([KCRASHCTL, "--root", root, "submit"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = json.loads(subprocess.run([KCRASHCTL, "--root", root, "list", "--json"], capture_output=True,
                                         text=True, check=True).stdout)
        self.assertEqual(rows[0]["targets"]["sentry"]["state"], "sent")
        event_id = rows[0]["targets"]["sentry"]["receipt"]
        header, items = self.spotlight.wait_for(event_id)
        return rep, members, zname, header, items

    def test_pstore_module_panic_as_a_sentry_event(self):
        rep, members, zname, header, items = self.send(scenarios=["pstore-ramoops-module-panic"])
        self.assertEqual(header["dsn"], f"http://{KEY}@127.0.0.1:{self.spotlight.port}/7")
        events = [p for h, p in items if h["type"] == "event"]
        self.assertEqual(len(events), 1)
        ev = events[0]
        a = rep["analysis"]
        self.assertEqual(ev["event_id"], header["event_id"])
        exc = ev["exception"]["values"][0]
        self.assertEqual(exc["type"], a["type"])
        self.assertEqual(exc["value"], a["title"])
        frames = exc["stacktrace"]["frames"]
        self.assertEqual([f["function"] for f in frames][::-1], [f.split(" [")[0] for f in a["frames"]])
        modules = {f.split(" [")[1].rstrip("]") for f in a["frames"] if " [" in f}
        self.assertTrue(modules, "the fixture's crash is in a module")
        self.assertTrue(modules <= {f["package"] for f in frames})
        self.assertEqual(ev["fingerprint"], [a["signature"]])
        self.assertEqual(ev["release"], rep["build"]["id"])
        self.assertEqual(ev["level"], "fatal")
        t = ev["tags"]
        self.assertEqual((t["kernel"], t["product"], t["build"], t["crash_type"], t["fatal"], t["report_id"]),
                         (rep["kernel"]["release"], "testproduct", rep["build"]["id"], a["type"], "yes", rep["id"]))
        if a.get("taint"):
            self.assertEqual(t["taint"], a["taint"])

        atts = {h["filename"]: (h, p) for h, p in items if h["type"] == "attachment"}
        self.assertEqual(json.loads(atts["report.json"][1]["data"]), rep)
        for name, data in members.items():
            if name != "report.json" and b"\0" not in data:
                self.assertIn(name, atts)
                self.assertEqual(atts[name][1]["data"], data.decode())
        self.assertIn(zname, atts)
        self.assertEqual(atts[zname][0]["content_type"], "application/zip")
        self.assertEqual(atts[zname][0]["length"], os.path.getsize(
            [os.path.join(d, zname) for d, _, fs in os.walk(self.tmp) if zname in fs][0]))

    def test_kdump_with_vmcore_never_sends_the_vmcore(self):
        rep, members, zname, header, items = self.send(kdump=[("kdump-sysrq-panic", True, True)])
        self.assertTrue(rep["vmcore"], "the fixture keeps a vmcore")
        names = [h.get("filename", "") for h, _ in items]
        self.assertFalse([n for n in names if "vmcore" in n], names)
        self.assertFalse(any("KDUMP   " in json.dumps(p) for _, p in items))
        ev = [p for h, p in items if h["type"] == "event"][0]
        self.assertEqual(ev["tags"]["source"], "kdump")
        self.assertEqual(ev["exception"]["values"][0]["value"], rep["analysis"]["title"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
