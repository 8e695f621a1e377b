#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The console page of one report, for a VM scenario: serves STORE with
kcrash-server and its console, logs in with chromium (headless), opens the
report's page and its bucket's page, checks the title shown is TITLE, and
saves screenshots OUT-report.png and OUT-bucket.png.

Usage: console_shot.py SERVER CONSOLE_DIR STORE GID TITLE OUT [DEBUGINFO_DIR SOURCE]
With DEBUGINFO_DIR the server symbolizes the report and the page's source
lines must contain SOURCE (e.g. "crashme.c:16").
Exit 0 when the page shows the report, 1 when not, 77 without chromium."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    sys.exit(77)


def main(server, console_dir, store, gid, title, out, debuginfo=None, source=None):
    if not shutil.which("chromedriver") or not shutil.which("chromium"):
        return 77
    tmp = tempfile.mkdtemp(prefix="kcrash-console-shot-")
    with open(f"{tmp}/admin", "w") as f:
        f.write("vm:vm-console-pw\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = subprocess.Popen([server, "--listen", f"127.0.0.1:{port}", "--data", store, "--console-dir", console_dir,
                            "--admin-login-file", f"{tmp}/admin"] + (["--debuginfo", debuginfo] if debuginfo else []),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = None
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        opts = webdriver.ChromeOptions()
        for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1280,1000", f"--user-data-dir={tmp}/chrome"]:
            opts.add_argument(a)
        driver = webdriver.Chrome(options=opts)
        wait = WebDriverWait(driver, 30, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
        driver.get(f"http://127.0.0.1:{port}/")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#login-user")).send_keys("vm")
        driver.find_element(By.CSS_SELECTOR, "#login-password").send_keys("vm-console-pw")
        driver.find_element(By.CSS_SELECTOR, "#login-submit").click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#buckets"))
        driver.get(f"http://127.0.0.1:{port}/#/report/{gid}")
        driver.refresh()
        shown = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#report-title").text)
        lines = ""
        if source:
            lines = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#source-lines").text)
        driver.save_screenshot(f"{out}-report.png")
        driver.find_element(By.CSS_SELECTOR, "a[href^='#/bucket/']").click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#bucket-count"))
        driver.save_screenshot(f"{out}-bucket.png")
        print(f"console: report {gid} shows \"{shown}\"; screenshots {out}-report.png, {out}-bucket.png")
        if source:
            print(f"console: source lines: {' | '.join(lines.splitlines()[:3])}")
            if source not in lines:
                print(f"console: the source lines do not name {source}")
                return 1
        return 0 if shown == title else 1
    finally:
        if driver:
            driver.quit()
        srv.send_signal(signal.SIGTERM)
        srv.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) not in (7, 9):
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
