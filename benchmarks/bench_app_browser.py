"""End-to-end app redraw in a real browser: time from clicking "Apply changes" after raising one unit cost to
the new total cost on screen, for a bundled scenario (Streamlit server + Debian chromium via Playwright).

Run: ``python benchmarks/bench_app_browser.py [--repeat N]`` (needs the app extra and /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("DFL_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    port = _free_port()
    workspace = tempfile.mkdtemp(prefix="dfl-bench-workspace-")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env={**os.environ, "DFL_FINANCE_WORKSPACE": workspace},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.set_default_timeout(60_000)
            page.goto(url)
            page.get_by_text("Total cost").first.wait_for()
            page.get_by_role("combobox", name="Scenario").first.click()
            page.get_by_role("option", name="Rwanda: IDA credit-led").click()
            page.get_by_text("School connectivity (LEO satellite)").first.wait_for()
            page.get_by_text("School connectivity (LEO satellite)").first.click()
            metric = page.locator("[data-testid='stMetricValue']").first
            times = []
            for k in range(args.repeat):
                before = metric.inner_text()
                box = page.get_by_role("textbox", name="Unit cost [USD]").first
                box.fill(f"{515 + 200 * (k + 1):.2f}")
                t0 = time.perf_counter()
                page.get_by_role("button", name="Apply changes").click()
                page.wait_for_function(
                    "before => document.querySelector(\"[data-testid='stMetricValue']\").innerText !== before",
                    arg=before)
                times.append(time.perf_counter() - t0)
                page.wait_for_timeout(300)
                if not page.get_by_text("School connectivity (LEO satellite)").first.is_visible():
                    break
                if page.get_by_role("textbox", name="Unit cost [USD]").count() == 0:
                    page.get_by_text("School connectivity (LEO satellite)").first.click()
            browser.close()
        print(f"app redraw in the browser, one edit of a bundled scenario: median {statistics.median(times) * 1e3:.0f} "
              f"ms over {len(times)} edits (min {min(times) * 1e3:.0f}, max {max(times) * 1e3:.0f})")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
