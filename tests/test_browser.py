"""The app in a real browser: Playwright driving Debian's chromium against a Streamlit server started here.

Locally a missing browser (or playwright) skips these tests with the reason; with ``DFL_REQUIRE_BROWSER=1`` (set by
``.ci/run``) it is a failure. Screenshots of every page go to ``test-artifacts/`` (``DFL_TEST_ARTIFACTS``
overrides the folder).
"""

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from dfl_finance.results import TABLE_COLUMNS
from tests.conftest import ROOT

CHROMIUM = os.environ.get("DFL_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("DFL_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(os.environ.get("DFL_TEST_ARTIFACTS", ROOT / "test-artifacts"))


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e .[app])"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    return None


reason = _unavailable()
if reason and REQUIRED:
    pytest.fail(f"browser tests are required (DFL_REQUIRE_BROWSER=1) but {reason}", pytrace=False)
pytestmark = pytest.mark.skipif(reason is not None, reason=reason or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    env = {**os.environ, "DFL_FINANCE_WORKSPACE": str(tmp_path_factory.mktemp("workspace"))}
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"streamlit did not start:\n{log.read()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        yield pg
        context.close()
        browser.close()


def _wait_idle(page) -> None:
    """Wait until Streamlit has finished running the script (no 'Running...' status widget)."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=60_000)
    page.wait_for_timeout(500)


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to the content first."""
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 40, 12000))})
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)


def test_scenarios_page_opens_on_the_bundled_scenarios(page, server):
    page.goto(server)
    page.get_by_role("heading", name="Scenarios").wait_for()
    page.get_by_text("Total cost").first.wait_for()
    _wait_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    _screenshot(page, "scenarios")


def test_compare_renders_charts(page, server):
    page.goto(f"{server}/compare")
    page.get_by_role("heading", name="Compare scenarios").wait_for()
    page.locator(".vega-embed").nth(4).wait_for()  # costs, financing, debt service, burden, outcomes
    _wait_idle(page)
    # two bundled scenarios are picked (the Kenya options: the first bundled scenario's country)
    tags = page.locator("[data-testid='stMultiSelect'] .react-aria-ComboBox [data-tag]")
    assert tags.count() == 2
    charts = page.locator(".vega-embed")
    assert charts.count() == 5
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        drawn = chart.locator("svg, canvas").first
        drawn.wait_for()
        box = drawn.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, f"chart {i} is empty"
        # marks were drawn: a canvas has pixels, an svg has mark paths
        assert chart.evaluate("""el => {
            const svg = el.querySelector('svg.marks');
            if (svg) return svg.querySelectorAll('path, rect, line').length > 5;
            const c = el.querySelector('canvas');
            return !!c && c.width > 0 && c.height > 0;
        }""")
    assert page.locator("[data-testid='stException']").count() == 0
    _screenshot(page, "compare")


def test_export_downloads_the_csv_zip(page, server):
    page.goto(f"{server}/export")
    page.get_by_role("heading", name="Export").wait_for()
    page.get_by_role("button", name="Manifest (JSON)").wait_for()
    _wait_idle(page)
    _screenshot(page, "export")
    with page.expect_download() as info:
        page.get_by_role("button", name="All tables as CSV (zip)").click()
    data = Path(info.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        assert {f"{t}.csv" for t in TABLE_COLUMNS} <= names and "manifest.json" in names
        costs = pd.read_csv(zf.open("costs.csv"))
    assert list(costs.columns) == TABLE_COLUMNS["costs"]
    assert costs["amount"].sum() > 0


def test_about_page(page, server):
    page.goto(f"{server}/about")
    page.get_by_role("heading", name="About the model").wait_for()
    _wait_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    _screenshot(page, "about")
