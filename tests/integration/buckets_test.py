#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 11: crash buckets in kcrash-server, over real HTTP on loopback.
Reports go through Start/PUT/Finish; the buckets, their counters, fixed and
regressed, merges, notes, the JSON API with its pagination, the logins and
CSRF, and the command line are checked against what was sent."""

import concurrent.futures
import http.client
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from submit_test import FINISH, SERVER, START, free_port, start_receiver, stop_receiver  # noqa: E402

FIXTURES = os.environ.get("KCRASH_FIXTURES", "tests/fixtures")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def report_zip(rid, title, signature, serial="0", account="deck", extra=()):
    rep = {"schema": 1, "id": rid, "identity": {"product": "holo", "serial": serial, "account_name": account,
                                                 "steamid": "0"},
           "analysis": {"title": title, "type": "BUG", "frame": "f+0x1/0x2", "module": "m",
                        "signature": signature}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("report.json", json.dumps(rep))
        z.writestr("dmesg.txt", rid)
        for name, data in extra:
            z.writestr(name, data)
    return buf.getvalue()


class Buckets(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-buckets-")
        self.data = f"{self.tmp}/store"
        for name, text in [("token", "t0ken"), ("viewer", "support:view-pw"), ("admin", "lead:admin-pw")]:
            with open(f"{self.tmp}/{name}", "w") as f:
                f.write(text + "\n")
        self.port = free_port()
        self.server = start_receiver(self.port, self.data, f"{self.tmp}/token", "--rate", "0",
                                     "--viewer-login-file", f"{self.tmp}/viewer",
                                     "--admin-login-file", f"{self.tmp}/admin")

    def tearDown(self):
        stop_receiver(self.server)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def upload(self, data, steamid="76561198000000001", build="1", version="6.1.0-1-amd64", product="holo"):
        form = {"steamid": steamid, "have_dump_file": "1", "dump_file_size": str(len(data)), "product": product,
                "build": build, "version": version, "platform": "linux", "crash_time": "1", "format": "json"}
        status, _, body = self.request("POST", START, urllib.parse.urlencode(form).encode(), FORM)
        self.assertEqual(status, 200, body)
        ans = json.loads(body)["response"]
        path = "/" + ans["url"].split("/", 3)[3]
        status, _, body = self.request("PUT", path, data, {"Content-Type": "application/zip"})
        self.assertEqual(status, 200, body)
        status, _, body = self.request("POST", FINISH, f"gid={ans['gid']}".encode(), FORM)
        self.assertEqual(status, 200, body)
        return ans["gid"]

    def api(self, path, status=200):
        st, hdrs, body = self.request("GET", path, headers={"Authorization": "Bearer t0ken"})
        self.assertEqual(st, status, body)
        return json.loads(body)

    def post(self, path, fields=None, headers=None):
        h = dict(FORM)
        h.update(headers if headers is not None else {"Authorization": "Bearer t0ken"})
        st, _, body = self.request("POST", path, urllib.parse.urlencode(fields or {}).encode(), h)
        return st, json.loads(body) if body else None

    def bucket_of(self, signature):
        for b in self.api("/api/buckets?limit=1000")["buckets"]:
            if b["signature"] == signature:
                return b
        raise AssertionError(f"no bucket {signature}")

    def cli(self, *args):
        p = subprocess.run([SERVER, "--data", self.data, *args], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_one_bucket_per_signature_counted_at_finish(self):
        for i, serial in enumerate(["DEV1", "DEV2", "DEV3", "DEV1"]):
            self.upload(report_zip(f"a{i}", "BUG: in f", "v1:aaaaaaaaaaaaaaaa", serial=serial),
                        build="20261122.1" if i < 2 else "20261122.2")
        self.upload(report_zip("b0", "WARNING in g", "v1:bbbbbbbbbbbbbbbb", serial="DEV9"))
        listing = self.api("/api/buckets")
        self.assertEqual(listing["total"], 2)
        a = listing["buckets"][0]
        self.assertEqual((a["signature"], a["count"], a["devices"]), ("v1:aaaaaaaaaaaaaaaa", 4, 3))
        self.assertEqual((a["title"], a["type"], a["frame"], a["module"]), ("BUG: in f", "BUG", "f+0x1/0x2", "m"))
        self.assertEqual(a["first_build"], "20261122.1")
        self.assertEqual(a["status"], "open")
        d = self.api(f"/api/buckets/{a['id']}")
        self.assertEqual({x["build"]: x["count"] for x in d["builds"]}, {"20261122.1": 2, "20261122.2": 2})
        self.assertEqual(d["kernels"], [{"kernel": "6.1.0-1-amd64", "count": 4}])
        self.assertEqual(sum(x["count"] for x in d["days"]), 4)
        self.assertEqual(len(d["reports"]), 4)
        self.assertEqual({r["serial"] for r in d["reports"]}, {"DEV1", "DEV2", "DEV3"})
        # counters are not recomputed per view: a second Finish counts nothing
        gid = d["reports"][0]["gid"]
        self.assertEqual(self.request("POST", FINISH, f"gid={gid}".encode(), FORM)[0], 200)
        self.assertEqual(self.api(f"/api/buckets/{a['id']}")["count"], 4)
        # filters: by build counts that build's reports only, new_in its first build
        self.assertEqual(self.api("/api/buckets?build=20261122.2")["buckets"][0]["count"], 2)
        self.assertEqual([b["signature"] for b in self.api("/api/buckets?new_in=20261122.1")["buckets"]],
                         ["v1:aaaaaaaaaaaaaaaa"])
        self.assertEqual([b["signature"] for b in self.api("/api/buckets?new_in=1")["buckets"]],
                         ["v1:bbbbbbbbbbbbbbbb"])
        self.assertEqual(self.api("/api/buckets?kernel=nope")["total"], 0)
        self.assertEqual(self.api("/api/buckets?days=1")["total"], 2)
        self.assertEqual(self.api(f"/api/buckets?since={int(time.time()) + 2 * 86400}")["total"], 0)
        self.assertEqual(self.api("/api/buckets?title=WARNING")["buckets"][0]["signature"], "v1:bbbbbbbbbbbbbbbb")
        self.assertEqual(self.api("/api/buckets?type=BUG")["total"], 2)
        # search by serial and by account, and by bucket
        self.assertEqual(len(self.api("/api/reports?serial=DEV1")), 2)
        self.assertEqual(len(self.api("/api/reports?account=deck")), 5)
        self.assertEqual(len(self.api(f"/api/reports?bucket={a['id']}")), 4)
        self.assertEqual(len(self.api("/api/reports?title=in%20f")), 4)
        # the command line sees the same
        rows = json.loads(self.cli("buckets", "--json"))
        self.assertEqual([(b["id"], b["count"], b["devices"]) for b in rows],
                         [(b["id"], b["count"], b["devices"]) for b in listing["buckets"]])
        self.assertIn("Reports:    4 from 3 devices", self.cli("bucket", str(a["id"])))

    def test_concurrent_finishes_are_each_counted_once(self):
        # Finishes that arrive together share a commit (group commit): each
        # is answered, stored and counted once, in its own bucket.
        sigs = ["v1:%016x" % k for k in range(3)]
        jobs = [(i, sigs[i % 3], f"DEV{i % 7}") for i in range(60)]
        with concurrent.futures.ThreadPoolExecutor(30) as ex:
            gids = list(ex.map(lambda j: self.upload(report_zip(f"c{j[0]}", f"BUG: c{j[1]}", j[1], serial=j[2])),
                               jobs))
        self.assertEqual(len(set(gids)), 60)
        for k, sig in enumerate(sigs):
            b = self.bucket_of(sig)
            want = [j for j in jobs if j[1] == sig]
            self.assertEqual((b["count"], b["devices"]), (len(want), len({j[2] for j in want})))
            d = self.api(f"/api/buckets/{b['id']}?limit=100")
            self.assertEqual(sum(x["count"] for x in d["days"]), len(want))
        finished = self.api("/api/reports?limit=1000")
        self.assertEqual({r["gid"] for r in finished}, set(gids))

    def test_signatureless_report_is_analysed_and_bucketed(self):
        """A ZIP without report.json (SteamOS's shell uploader): the receiver's
        own analysis gives the signature, so two devices share a bucket."""
        with open(os.path.join(FIXTURES, "pstore-ramoops-sysrq-panic", "pstore", "dmesg-ramoops-0"), "rb") as f:
            record = f.read()
        want = json.loads(subprocess.run([os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl"), "analyze",
                                          "--json", "-"], input=record, capture_output=True, check=True).stdout)
        for i in range(2):
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr(f"dmesg-pstore.20261122150{i}-0", record)
            self.upload(buf.getvalue(), steamid=f"7656119800000000{i}")
        b = self.bucket_of(want["signature"])
        self.assertEqual((b["title"], b["count"], b["devices"]), (want["title"], 2, 2))

    def test_fixed_in_build_and_regressed(self):
        sig = "v1:cccccccccccccccc"
        self.upload(report_zip("c0", "BUG: c", sig), build="20261122.9")
        b = self.bucket_of(sig)
        st, ans = self.post(f"/api/buckets/{b['id']}/fix", {"build": "20261122.10"})
        self.assertEqual((st, ans["status"], ans["fixed_build"]), (200, "fixed", "20261122.10"))
        # an older build (.9 < .10 as versions, not as strings) keeps it fixed
        self.upload(report_zip("c1", "BUG: c", sig), build="20261122.9")
        self.assertEqual(self.bucket_of(sig)["status"], "fixed")
        self.assertEqual(self.api("/api/buckets?status=fixed")["total"], 1)
        self.upload(report_zip("c2", "BUG: c", sig), build="20261122.11")
        b = self.bucket_of(sig)
        self.assertEqual((b["status"], b["regressed_build"]), ("regressed", "20261122.11"))
        self.assertEqual(self.api("/api/buckets?status=regressed")["buckets"][0]["id"], b["id"])
        st, ans = self.post(f"/api/buckets/{b['id']}/reopen")
        self.assertEqual((st, ans["status"], ans["fixed_build"]), (200, "open", None))

    def test_merge_unmerge_note(self):
        self.upload(report_zip("d0", "BUG: d", "v1:dddddddddddddddd", serial="S1"))
        self.upload(report_zip("d1", "BUG: d", "v1:dddddddddddddddd", serial="S2"))
        self.upload(report_zip("e0", "BUG: e", "v1:eeeeeeeeeeeeeeee", serial="S1"))
        d, e = self.bucket_of("v1:dddddddddddddddd"), self.bucket_of("v1:eeeeeeeeeeeeeeee")
        st, ans = self.post(f"/api/buckets/{e['id']}/merge", {"into": d["id"]})
        self.assertEqual(st, 200, ans)
        listing = self.api("/api/buckets")["buckets"]
        self.assertEqual([(b["id"], b["count"], b["devices"], b["merged_count"]) for b in listing],
                         [(d["id"], 3, 2, 1)], "a device in both buckets counts once")
        detail = self.api(f"/api/buckets/{d['id']}")
        self.assertEqual([m["id"] for m in detail["merged"]], [e["id"]])
        self.assertEqual(len(detail["reports"]), 3)
        self.assertEqual(self.api(f"/api/buckets/{e['id']}")["merged_into"], d["id"])
        # fixing the merged bucket fixes the one it is in
        self.assertEqual(self.post(f"/api/buckets/{e['id']}/fix", {"build": "5"})[0], 200)
        self.assertEqual(self.api(f"/api/buckets/{d['id']}")["status"], "fixed")
        self.assertEqual(self.post(f"/api/buckets/{d['id']}/merge", {"into": e["id"]})[0], 409)
        self.assertEqual(self.post(f"/api/buckets/{d['id']}/merge", {"into": 99999})[0], 404)
        self.assertEqual(self.post(f"/api/buckets/{e['id']}/unmerge")[0], 200)
        self.assertEqual(sorted((b["id"], b["count"]) for b in self.api("/api/buckets")["buckets"]),
                         sorted([(d["id"], 2), (e["id"], 1)]))
        self.assertEqual(self.post(f"/api/buckets/{e['id']}/unmerge")[0], 409)
        st, ans = self.post(f"/api/buckets/{d['id']}/note", {"note": "<b>see</b>", "link": "https://bugs/1"})
        self.assertEqual((st, ans["note"], ans["link"]), (200, "<b>see</b>", "https://bugs/1"))
        self.assertEqual(self.post(f"/api/buckets/{d['id']}/note", {"link": "javascript:alert(1)"})[0], 400)
        # the command line changes the same store
        self.cli("merge", str(e["id"]), str(d["id"]))
        self.assertEqual(self.api(f"/api/buckets/{e['id']}")["merged_into"], d["id"])
        self.cli("unmerge", str(e["id"]))
        self.cli("fix", str(e["id"]), "7")
        p = subprocess.run([SERVER, "--data", self.data, "note", str(e["id"]), "x", "javascript:alert(1)"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, "the command line refuses what the API refuses")
        self.assertEqual(self.api(f"/api/buckets/{e['id']}")["fixed_build"], "7")

    def test_store_of_an_older_server_is_bucketed_on_open(self):
        for i, sig in enumerate(["v1:aaaa000000000000", "v1:aaaa000000000000", "v1:bbbb000000000000"]):
            self.upload(report_zip(f"u{i}", f"BUG: {sig}", sig, serial=f"U{i}"))
        stop_receiver(self.server)
        # what a store written before buckets looks like: no bucket tables, no bucket ids
        import sqlite3
        db = sqlite3.connect(f"{self.data}/index.sqlite")
        for t in ["buckets", "bucket_days", "bucket_counts", "bucket_titles", "bucket_devices"]:
            db.execute(f"DROP TABLE {t}")
        db.execute("UPDATE reports SET bucket_id = NULL, device = NULL")
        db.commit()
        db.close()
        rows = json.loads(self.cli("buckets", "--json"))
        self.assertEqual(sorted((b["signature"], b["count"], b["devices"]) for b in rows),
                         [("v1:aaaa000000000000", 2, 2), ("v1:bbbb000000000000", 1, 1)])
        # counted once: opening again adds nothing
        rows = json.loads(self.cli("buckets", "--json"))
        self.assertEqual(sum(b["count"] for b in rows), 3)
        self.server = start_receiver(self.port, self.data, f"{self.tmp}/token")

    def test_pagination(self):
        gids = [self.upload(report_zip(f"p{i}", f"T{i}", f"v1:{i:016x}")) for i in range(5)]
        st, hdrs, body = self.request("GET", "/api/reports?limit=2", headers={"Authorization": "Bearer t0ken"})
        page1 = json.loads(body)
        self.assertEqual(hdrs["X-Next-Offset"], "2")
        page2 = self.api("/api/reports?limit=2&offset=2")
        st, hdrs, body = self.request("GET", "/api/reports?limit=2&offset=4", headers={"Authorization": "Bearer t0ken"})
        self.assertEqual(hdrs["X-Next-Offset"], "-1")
        got = [r["gid"] for r in page1 + page2 + json.loads(body)]
        self.assertEqual(sorted(got), sorted(gids))
        self.assertEqual(len(set(got)), 5)
        b1 = self.api("/api/buckets?limit=2")
        b2 = self.api("/api/buckets?limit=2&offset=4")
        self.assertEqual((b1["total"], len(b1["buckets"]), b2["total"], len(b2["buckets"])), (5, 2, 5, 1))
        self.assertEqual(self.request("GET", "/api/reports?limit=0", headers={"Authorization": "Bearer t0ken"})[0], 400)
        self.assertEqual(self.request("GET", "/api/buckets?offset=x", headers={"Authorization": "Bearer t0ken"})[0], 400)

    def login(self, user, password):
        st, hdrs, body = self.request("POST", "/api/login", urllib.parse.urlencode(
            {"user": user, "password": password}).encode(), dict(FORM, **{"X-CSRF-Token": "login"}))
        return st, hdrs, json.loads(body)

    def test_logins_sessions_csrf(self):
        self.upload(report_zip("s0", "BUG: s", "v1:5555555555555555"))
        b = self.bucket_of("v1:5555555555555555")
        # without a session or token, every API path denies
        for path in ["/api/buckets", f"/api/buckets/{b['id']}", "/api/reports", "/api/stats", "/api/session",
                     "/api/reports/1/zip"]:
            self.assertEqual(self.request("GET", path)[0], 401, path)
            self.assertEqual(self.request("GET", path, headers={"Cookie": "kcrash_session=" + "0" * 64})[0], 401)
        self.assertEqual(self.post(f"/api/buckets/{b['id']}/fix", {"build": "1"}, headers={})[0], 401)
        self.assertEqual(self.login("support", "wrong")[0], 401)
        self.assertEqual(self.login("lead", "view-pw")[0], 401)
        # a login without the header a cross-site form cannot send is refused
        st, _, _ = self.request("POST", "/api/login", b"user=support&password=view-pw", FORM)
        self.assertEqual(st, 403)
        st, hdrs, viewer = self.login("support", "view-pw")
        self.assertEqual((st, viewer["role"]), (200, "viewer"))
        cookie = hdrs["Set-Cookie"]
        for attr in ["HttpOnly", "SameSite=Strict", "Max-Age=28800", "Path=/"]:
            self.assertIn(attr, cookie)
        self.assertNotIn("Secure", cookie, "plain HTTP")
        vc = {"Cookie": cookie.split(";")[0]}
        self.assertEqual(self.request("GET", "/api/buckets", headers=vc)[0], 200)
        self.assertEqual(self.post(f"/api/buckets/{b['id']}/fix", {"build": "1"},
                                   dict(vc, **{"X-CSRF-Token": viewer["csrf"]}))[0], 403, "viewer is read-only")
        st, hdrs, admin = self.login("lead", "admin-pw")
        ac = {"Cookie": hdrs["Set-Cookie"].split(";")[0]}
        self.assertEqual(self.post(f"/api/buckets/{b['id']}/fix", {"build": "1"}, ac)[0], 403, "no CSRF token")
        self.assertEqual(self.post(f"/api/buckets/{b['id']}/fix", {"build": "1"},
                                   dict(ac, **{"X-CSRF-Token": viewer["csrf"]}))[0], 403, "another session's token")
        self.assertEqual(self.post(f"/api/buckets/{b['id']}/fix", {"build": "1"},
                                   dict(ac, **{"X-CSRF-Token": admin["csrf"]}))[0], 200)
        # logout ends the session on the server, not only in the browser
        self.assertEqual(self.post("/api/logout", {}, dict(ac, **{"X-CSRF-Token": admin["csrf"]}))[0], 200)
        self.assertEqual(self.request("GET", "/api/buckets", headers=ac)[0], 401)
        # every answer carries the policy: no inline script, no framing, no sniffing
        st, hdrs, _ = self.request("GET", "/api/buckets", headers=vc)
        self.assertIn("script-src 'self'", hdrs["Content-Security-Policy"])
        self.assertNotIn("unsafe-inline", hdrs["Content-Security-Policy"])
        self.assertEqual(hdrs["X-Content-Type-Options"], "nosniff")

    def test_login_attempts_are_rate_limited(self):
        # 10 a minute, in a burst of 10 (a slow machine may see one refill)
        codes = [self.login("support", f"guess{i}")[0] for i in range(14)]
        self.assertEqual(codes[:10], [401] * 10)
        self.assertIn(429, codes[10:12], codes)
        # the right password is refused too while limited
        self.assertEqual(self.login("support", "view-pw")[0], 429)

    def test_member_view(self):
        gid = self.upload(report_zip("m0", "BUG: m", "v1:6666666666666666",
                                     extra=[("<img src=x onerror=alert(1)>.txt", "<script>alert(2)</script>")]))
        detail = self.api(f"/api/reports/{gid}")
        self.assertIn("<img src=x onerror=alert(1)>.txt", detail["members"])
        name = urllib.parse.quote("<img src=x onerror=alert(1)>.txt")
        st, hdrs, body = self.request("GET", f"/api/reports/{gid}/member?name={name}",
                                      headers={"Authorization": "Bearer t0ken"})
        self.assertEqual((st, body), (200, b"<script>alert(2)</script>"))
        self.assertTrue(hdrs["Content-Type"].startswith("text/plain"))
        self.assertIn("sandbox", hdrs["Content-Security-Policy"])
        st, _, _ = self.request("GET", f"/api/reports/{gid}/member?name=../../secret",
                                headers={"Authorization": "Bearer t0ken"})
        self.assertEqual(st, 404)

    def test_retention_keeps_newest_per_bucket_and_marks_rows(self):
        sig = "v1:7777777777777777"
        shared = report_zip("dup", "BUG: r", sig)
        gids = [self.upload(shared)]  # the owner of a ZIP a later duplicate shares
        # a second apart: the store orders by the second it received them
        for i in range(3):
            time.sleep(1.05)
            gids.append(self.upload(report_zip(f"r{i}", "BUG: r", sig)))
        time.sleep(1.05)
        gids.append(self.upload(shared))  # the newest: a duplicate of the first
        other = self.upload(report_zip("o", "BUG: other", "v1:8888888888888888"))
        time.sleep(1.1)
        # every ZIP of the last day stays
        self.cli("--keep-zips", "2", "--keep-days", "1", "retain")
        self.assertFalse(any(r["zip_expired"] for r in self.api("/api/reports")))
        self.cli("--keep-zips", "2", "--keep-days", "0", "retain")
        rows = {r["gid"]: r for r in self.api("/api/reports")}
        self.assertEqual(len(rows), 6, "every report's row stays")
        newest = sorted(gids, key=lambda g: (rows[g]["created"], g))[-2:]
        for g in gids:
            self.assertEqual(rows[g]["zip_expired"], g not in newest, g)
            st, _, _ = self.request("GET", f"/api/reports/{g}/zip", headers={"Authorization": "Bearer t0ken"})
            self.assertEqual(st, 200 if g in newest else 410, g)
        self.assertFalse(rows[other]["zip_expired"])
        files = set(os.listdir(f"{self.data}/reports"))
        # the first upload's row is expired, but its file stays: the newest
        # report, a duplicate, still refers to it
        self.assertIn(f"{gids[0]}.zip", files)
        self.assertEqual(newest, gids[-2:])
        self.assertEqual(rows[gids[-1]]["duplicate_of"], gids[0])
        for g in gids[1:-1]:
            self.assertEqual(f"{g}.zip" in files, g in newest, g)
        self.assertEqual(self.api(f"/api/reports/{gids[1]}")["title"], "BUG: r", "metadata kept")


class Tls(unittest.TestCase):
    """--tls-cert/--tls-key: the device protocol and the console over HTTPS,
    with the real client verifying the certificate."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-tls-")
        self.ca = f"{self.tmp}/cert.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", f"{self.tmp}/key.pem", "-out", self.ca, "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        for name, text in [("token", "t0ken"), ("admin", "lead:admin-pw")]:
            with open(f"{self.tmp}/{name}", "w") as f:
                f.write(text + "\n")
        self.port = free_port()
        self.server = start_receiver(self.port, f"{self.tmp}/store", f"{self.tmp}/token", "--tls-cert", self.ca,
                                     "--tls-key", f"{self.tmp}/key.pem", "--admin-login-file", f"{self.tmp}/admin")

    def tearDown(self):
        stop_receiver(self.server)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def https(self, method, path, body=None, headers=None):
        import ssl
        ctx = ssl.create_default_context(cafile=self.ca)
        c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=20, context=ctx)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def submit(self, env):
        from submit_test import make_root, make_zip, listing
        base = f"https://127.0.0.1:{self.port}"
        root = make_root(self.tmp, base + START, base + FINISH, "SUBMIT_ALLOW_INSECURE_HTTP=0\n")
        make_zip(f"{root}/var/kdump/not_sent_logs/holo-0-0.202611221530.zip", "holo-0-0.202611221530")
        p = subprocess.run([os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl"), "--root", root, "submit"],
                           capture_output=True, text=True, env=dict(os.environ, **env))
        return p, listing(root)[0]["state"]

    def test_devices_and_console_over_tls(self):
        # a device that does not trust the certificate sends nothing, and
        # retries later (a clock not set yet, a captive portal: not the report)
        p, state = self.submit({})
        self.assertEqual(state, "pending", p.stderr)
        self.assertIn("certificate", p.stderr)
        # one that does, uploads through the https URLs the server hands out
        p, state = self.submit({"KCRASH_TEST_CA_FILE": self.ca})
        self.assertEqual((p.returncode, state), (0, "sent"), p.stderr)
        st, _, body = self.https("GET", "/api/reports", headers={"Authorization": "Bearer t0ken"})
        self.assertEqual((st, len(json.loads(body))), (200, 1))
        st, hdrs, _ = self.https("POST", "/api/login", b"user=lead&password=admin-pw",
                                 dict(FORM, **{"X-CSRF-Token": "login"}))
        self.assertEqual(st, 200)
        self.assertIn("; Secure", hdrs["Set-Cookie"])
        # plain HTTP on the TLS port gets no answer
        with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            c.request("GET", "/api/reports")
            st = c.getresponse().status
            if st:
                raise http.client.HTTPException(f"plain HTTP answered {st}")


if __name__ == "__main__":
    unittest.main()
