#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 11: the triage console in a real browser (Debian's chromium,
headless, through chromedriver) against a kcrash-server that received real
reports through the real client: fake roots holding the real pstore
fixtures, `kcrashctl collect` and `kcrashctl submit`. Screenshots of each
page are saved in the build directory (console-screenshots/)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    # meson's python3 may be another interpreter than Debian's, which has
    # python3-selenium.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    print("python3-selenium is not installed: skipped")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(__file__))
from collect_test import CONFIG, FIXTURES, make_root, run, zips  # noqa: E402
from submit_test import FINISH, START, free_port, start_receiver, stop_receiver  # noqa: E402

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CONSOLE_DIR = os.path.join(SRC, "src", "kcrash-server", "console")
SHOTS = os.environ.get("KCRASH_SCREENSHOTS", os.path.join(os.environ.get("MESON_BUILD_ROOT", "build"),
                                                          "console-screenshots"))
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Runs nothing if shown as text; sets a mark if ever run as markup.
SCRIPT = "<script>window.__pwned=true</script>"
IMG = '<img src=x onerror="window.__pwned=true">'


class Console(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CHROMEDRIVER) or not os.path.exists(CHROMIUM):
            raise unittest.SkipTest("chromium and chromium-driver are not installed")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kcrash-console-")
        self.data = f"{self.tmp}/store"
        for name, text in [("token", "t0ken"), ("viewer", "support:view-pw"), ("admin", "lead:admin-pw")]:
            with open(f"{self.tmp}/{name}", "w") as f:
                f.write(text + "\n")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = start_receiver(self.port, self.data, f"{self.tmp}/token", "--rate", "0",
                                     "--console-dir", CONSOLE_DIR, "--viewer-login-file", f"{self.tmp}/viewer",
                                     "--admin-login-file", f"{self.tmp}/admin")
        os.makedirs(SHOTS, exist_ok=True)
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1280,900", f"--user-data-dir={self.tmp}/chrome"]:
            opts.add_argument(a)
        service = webdriver.ChromeService(executable_path=CHROMEDRIVER) if hasattr(webdriver, "ChromeService") \
            else webdriver.chrome.service.Service(executable_path=CHROMEDRIVER)
        self.driver = webdriver.Chrome(service=service, options=opts)
        self.driver.set_page_load_timeout(60)

    def tearDown(self):
        self.driver.quit()
        stop_receiver(self.server)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- devices: the real client on fake roots ----

    def device(self, serial, build, product="holo", record=None):
        """Collects a real pstore crash on a fake root and submits it with
        kcrashctl; returns the ZIP as sent."""
        config = CONFIG.replace("PRODUCT=testproduct", f"PRODUCT='{product}'") + (
            f"SUBMIT_START_URL={self.base}{START}\nSUBMIT_FINISH_URL={self.base}{FINISH}\n"
            "SUBMIT_ALLOW_INSECURE_HTTP=1\nSUBMIT_CONNECT_TIMEOUT=3\nSUBMIT_STALL_TIMEOUT=5\n")
        root = make_root(self.tmp, ["pstore-ramoops-sysrq-panic"], config=config)
        with open(f"{root}/etc/os-release", "w") as f:
            f.write(f'NAME="Test OS"\nID=test\nBUILD_ID={build}\n')
        dmi = f"{root}/sys/class/dmi/id"
        os.makedirs(dmi)
        for k, v in [("sys_vendor", "Valve"), ("product_name", "Jupiter"), ("product_serial", serial)]:
            with open(f"{dmi}/{k}", "w") as f:
                f.write(v + "\n")
        if record is not None:
            pstore = f"{root}/sys/fs/pstore"
            os.chmod(f"{pstore}/dmesg-ramoops-0", 0o644)
            with open(f"{pstore}/dmesg-ramoops-0", "wb") as f:
                f.write(record)
        run(["collect"], root)
        p = subprocess.run([os.environ.get("KCRASHCTL", "build/src/kcrashctl/kcrashctl"), "--root", root, "submit"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        sent = zips(root, "sent_logs")
        self.assertEqual(len(sent), 1)
        with open(sent[0], "rb") as f:
            return f.read()

    def raw_upload(self, members):
        """Start, PUT, Finish of a ZIP built here (not by kcrash's collector)."""
        import io
        import urllib.parse
        import zipfile
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
        data = buf.getvalue()
        form = urllib.parse.urlencode({"steamid": "76561198000000666", "have_dump_file": "1",
                                       "dump_file_size": str(len(data)), "product": "holo", "build": "1",
                                       "version": "6.1", "format": "json"}).encode()
        with urllib.request.urlopen(urllib.request.Request(self.base + START, data=form)) as r:
            slot = json.loads(r.read())["response"]
        urllib.request.urlopen(urllib.request.Request(slot["url"], data=data, method="PUT",
                                                      headers={"Content-Type": "application/zip"})).read()
        urllib.request.urlopen(urllib.request.Request(self.base + FINISH, data=f"gid={slot['gid']}".encode())).read()
        return slot["gid"]

    # ---- the browser ----

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))

    def until(self, cond, timeout=20):
        """cond(driver), retried while the page re-renders under it."""
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(NoSuchElementException,
                                                                       StaleElementReferenceException)).until(cond)

    def wait(self, css, timeout=20):
        return self.until(lambda d: d.find_element(By.CSS_SELECTOR, css), timeout)

    def open(self, route, css):
        self.driver.get(f"{self.base}/#{route}")
        # a hash change to the same document needs the page to route again
        self.driver.refresh()
        return self.wait(css)

    def text(self, css):
        return self.until(lambda d: d.find_element(By.CSS_SELECTOR, css).text)

    def login(self, user, password):
        self.driver.get(self.base + "/")
        # the first page of a session: under ASan with the VM suite and the
        # fuzzers on the same two cores it once took over 20 s (CI of 036cfa4)
        self.wait("#login-user", timeout=90).send_keys(user)
        self.driver.find_element(By.CSS_SELECTOR, "#login-password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "#login-submit").click()
        self.wait("#buckets")

    def no_markup_ran(self):
        d = self.driver
        self.assertIsNone(d.execute_script("return window.__pwned || null"), "device text ran as script")
        self.assertEqual(d.execute_script("return document.querySelectorAll('main img, main script').length"), 0,
                         "device text became markup")

    def api_status(self, path, headers=None):
        req = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def test_console(self):
        zips_sent = [self.device(f"SERIAL{i}", "1") for i in range(3)]

        # without a session: the page asks for a login, every API answer denies
        self.driver.get(self.base + "/")
        self.wait("#login-form")
        self.shot("01-login")
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#buckets"), [])
        for path in ["/api/buckets", "/api/buckets/1", "/api/reports", "/api/session", "/api/stats"]:
            self.assertEqual(self.api_status(path), 401, path)
        self.wait("#login-user").send_keys("lead")
        self.driver.find_element(By.CSS_SELECTOR, "#login-password").send_keys("wrong")
        self.driver.find_element(By.CSS_SELECTOR, "#login-submit").click()
        self.until(lambda d: d.find_element(By.CSS_SELECTOR, "#login-error").is_displayed())

        self.login("lead", "admin-pw")
        # the session cookie is not readable by script
        self.assertEqual(self.driver.execute_script("return document.cookie"), "")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#buckets tr.bucket")
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0].find_element(By.CSS_SELECTOR, ".count").text, "3")
        self.assertEqual(rows[0].find_element(By.CSS_SELECTOR, ".devices").text, "3")
        self.assertIn("sysrq", rows[0].text)
        self.shot("02-buckets")

        rows[0].find_element(By.CSS_SELECTOR, "a.bucket-link").click()
        self.wait("#bucket-count")
        bucket_url = self.driver.current_url
        self.assertEqual(self.text("#bucket-count"), "3")
        self.assertEqual(self.text("#bucket-devices"), "3")
        # 30 days drawn, the reports on one of them
        bars = self.driver.find_elements(By.CSS_SELECTOR, "#chart svg rect.bar")
        self.assertEqual(len(bars), 30)
        self.assertEqual([float(b.get_attribute("height")) > 0 for b in bars].count(True), 1)
        self.assertIn("1", self.text("#builds"))
        self.shot("03-bucket")

        self.driver.find_elements(By.CSS_SELECTOR, "#reports a.report-link")[0].click()
        self.wait("#report-title")
        self.assertIn("sysrq", self.text("#report-title"))
        self.assertIn("sysrq_handle_crash", self.text("#stack"))
        self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, "#stack li.culprit"))
        # every member viewable inline, as text
        buttons = self.driver.find_elements(By.CSS_SELECTOR, "#members .member-view")
        self.assertGreater(len(buttons), 3)
        names = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "#members .member-name")]
        i = [n.startswith("dmesg-pstore") for n in names].index(True)
        buttons[i].click()
        self.until(lambda d: "Kernel panic" in d.find_elements(By.CSS_SELECTOR, "#members pre")[i].text)
        self.shot("04-report")
        # download: the ZIP as the device sent it
        href = self.wait("#download").get_attribute("href")
        digest = self.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.arrayBuffer())
              .then(b => crypto.subtle.digest('SHA-256', b))
              .then(h => done(Array.from(new Uint8Array(h)).map(x => x.toString(16).padStart(2, '0')).join('')))
              .catch(e => done('error ' + e));""", href)
        self.assertIn(digest, [hashlib.sha256(z).hexdigest() for z in zips_sent])
        self.assertEqual(self.text("#report-sha256"), digest)

        # search: a customer's serial and the day their device crashed (the fixture's: 2026-11-22)
        self.open("/search?serial=SERIAL1", "#results")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#results tr.report")), 1)
        self.shot("05-search")
        self.open("/search?serial=SERIAL1&from=2026-11-22&to=2026-11-22", "#results")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#results tr.report")), 1)
        self.open("/search?serial=SERIAL1&from=2026-11-23", "#results")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#results tr.report")), 0)

        # fixed in build 2: a crash from build 1 keeps it fixed, one from build 3 regresses it
        self.driver.get(bucket_url)
        self.wait("#fix-build").send_keys("2")
        self.driver.find_element(By.CSS_SELECTOR, "#mark-fixed-submit").click()
        self.until(lambda d: d.find_element(By.CSS_SELECTOR, "#bucket-status").text.startswith("fixed"))
        self.device("OLDBUILD", "1")
        self.open(bucket_url.split("#", 1)[1], "#bucket-status")
        self.assertEqual(self.text("#bucket-status"), "fixed in 2")
        self.assertEqual(self.text("#bucket-count"), "4")
        self.device("NEWBUILD", "3")
        self.open(bucket_url.split("#", 1)[1], "#bucket-status")
        self.assertTrue(self.text("#bucket-status").startswith("regressed"), self.text("#bucket-status"))
        self.assertIn("regressed in 3", self.text("#bucket-status"))
        self.shot("06-regressed")
        self.open("/buckets?status=regressed", "#buckets")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#buckets tr.bucket")), 1)

        # a device whose title and product hold markup: shown as text, nothing runs
        with open(os.path.join(FIXTURES, "pstore-ramoops-sysrq-panic", "pstore", "dmesg-ramoops-0"), "rb") as f:
            record = f.read()
        hostile_title = f"{SCRIPT}{IMG}"
        record = record.replace(b"sysrq triggered crash", hostile_title.encode())
        self.device("EVIL", "1", product=IMG, record=record)
        self.open("/", "#buckets")
        self.no_markup_ran()
        evil = [r for r in self.driver.find_elements(By.CSS_SELECTOR, "#buckets tr.bucket") if "<script>" in r.text]
        self.assertEqual(len(evil), 1, "the title shows as text, tags and all")
        self.shot("07-hostile-buckets")
        evil[0].find_element(By.CSS_SELECTOR, "a.bucket-link").click()
        self.wait("#bucket-title")
        self.assertIn(SCRIPT, self.text("#bucket-title"))
        self.assertIn(IMG, self.text("#products"))
        self.no_markup_ran()
        self.driver.find_element(By.CSS_SELECTOR, "#reports a.report-link").click()
        self.wait("#report-product")
        self.assertEqual(self.text("#report-product"), IMG)
        self.assertIn(SCRIPT, self.text("#report-title"))
        self.assertIn(SCRIPT, self.text("#summary"))
        for b in self.driver.find_elements(By.CSS_SELECTOR, "#members .member-view"):
            b.click()
        time.sleep(1)
        self.no_markup_ran()
        self.shot("08-hostile-report")
        # the member itself, opened as a page: sandboxed text
        gid = self.driver.current_url.rsplit("/", 1)[1]
        self.driver.get(f"{self.base}/api/reports/{gid}/crash-text")
        self.no_markup_ran()

        # hostile ZIP member names and contents, as a modified client could send them
        gid = self.raw_upload({"report.json": json.dumps({"schema": 1, "identity": {"serial": IMG},
                                                          "analysis": {"title": SCRIPT, "signature": "v1:evil"}}),
                               f"{SCRIPT}.txt": IMG, f"{IMG}.log": SCRIPT})
        self.open(f"/report/{gid}", "#members")
        names = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "#members .member-name")]
        self.assertIn(f"{SCRIPT}.txt", names)
        self.assertIn(f"{IMG}.log", names)
        self.assertEqual(self.text("#report-serial"), IMG)
        self.assertNotIn("null", self.text("main").replace("__pwned", ""), "nothing absent shows as null")
        for b in self.driver.find_elements(By.CSS_SELECTOR, "#members .member-view"):
            b.click()
        self.until(lambda d: IMG in d.find_elements(By.CSS_SELECTOR, "#members pre")[names.index(f"{SCRIPT}.txt")].text)
        self.no_markup_ran()
        self.shot("08b-hostile-members")

        # a viewer reads but cannot change; logout ends the session
        self.driver.get(self.base + "/")
        self.wait("#logout").click()
        self.wait("#login-form")
        self.login("support", "view-pw")
        self.open(bucket_url.split("#", 1)[1], "#bucket-status")
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#fix-build"), [])
        self.shot("09-viewer-bucket")
        # phone-sized screen: the bucket page still reads
        self.driver.set_window_size(390, 844)
        self.open(bucket_url.split("#", 1)[1], "#bucket-count")
        self.assertLessEqual(self.driver.execute_script("return document.documentElement.scrollWidth"), 390 + 1)
        self.shot("10-phone-bucket")


if __name__ == "__main__":
    unittest.main()
