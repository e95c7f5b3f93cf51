"""The app in a real browser: Playwright driving Debian's chromium against a Streamlit server started here.

Locally a missing browser (or playwright) skips these tests with the reason; with ``DFL_REQUIRE_BROWSER=1`` (set by
``.ci/run``) it is a failure. Screenshots of every page go to ``test-artifacts/`` (``DFL_TEST_ARTIFACTS``
overrides the folder). Two browser contexts are two users sharing one workspace.
"""

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pandas as pd
import pytest

from dfl_finance import dump_scenario, load_scenario, scenario_from_dict
from dfl_finance.app import DEFAULT_SCENARIO
from dfl_finance.app.basis import basis_label
from dfl_finance.app.charts import DSF_LABELS, DSF_VIEWS
from dfl_finance.app.workspace import file_name
from dfl_finance.outputs.result import TABLE_COLUMNS, run
from dfl_finance.outputs.schools import school_tables
from tests.conftest import ROOT
from tests.streamlit_runs import finished_runs_js

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
except ImportError:  # the tests are skipped, with the reason (below)
    expect = None
    PlaywrightTimeout = TimeoutError

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
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
def server(tmp_path_factory, workspace):
    port = _free_port()
    env = {**os.environ, "DFL_FINANCE_WORKSPACE": str(workspace)}
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + BUDGET_MS / 1000
        while True:
            try:
                # a request may take the rest of the budget: a loaded machine answers late, not never
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=max(deadline - time.monotonic(), 1)) as r:
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
def browser(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


#: How long a wait on the page may take before the test fails: with both cores of the two-core development machine
#: kept busy by two other processes (and other work on it: load average 7.5), the slowest of these tests took 35 s
#: in all and the file 3.5 min; a single wait needs a fraction of that, so this only bites when something is stuck.
#: Every wait is on what the page shows (a finished run, an element, a text, a value), never a fixed sleep.
BUDGET_MS = 180_000


def _runs_script() -> str:
    """An init script that counts the script runs Streamlit finishes in the page (``window.__dflRuns.finished``;
    :func:`tests.streamlit_runs.finished_runs_js`)."""
    return ("(() => {\n  const runs = window.__dflRuns = {finished: 0};\n"
            + finished_runs_js("runs.finished++;") + "})();")


def _new_page(browser):
    """A page in a browser context of its own: its own cookies and Streamlit session, as another user has."""
    expect.set_options(timeout=BUDGET_MS)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.add_init_script(_runs_script())
    pg = context.new_page()
    pg.set_default_timeout(BUDGET_MS)
    pg.set_default_navigation_timeout(BUDGET_MS)
    return pg


@pytest.fixture(scope="module")
def page(browser):
    pg = _new_page(browser)
    yield pg
    pg.context.close()


def _runs(page) -> int:
    """The script runs Streamlit has finished in this page since it was loaded."""
    return page.evaluate("() => window.__dflRuns.finished")


#: The page shows a finished run: the server finished a run after the one counted (the argument), and the page has
#: taken it in: the app's script state is "not running", no status widget ("Running...") and no element left stale.
_SETTLED = """n => {
    const app = document.querySelector("[data-testid='stApp']");
    return window.__dflRuns.finished > n && !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector("[data-testid='stStatusWidget']") && !document.querySelector("[data-stale='true']");
}"""


#: What the page shows of its script runs, said when a wait for one fails.
_RUN_STATE = """() => ({
    finished: window.__dflRuns ? window.__dflRuns.finished : null,
    script: document.querySelector("[data-testid='stApp']")?.getAttribute('data-test-script-state'),
    statusWidget: !!document.querySelector("[data-testid='stStatusWidget']"),
    stale: document.querySelectorAll("[data-stale='true']").length,
})"""


def _settled(page, since: int) -> None:
    """Wait until the page shows a run finished after the ``since``-th."""
    try:
        page.wait_for_function(_SETTLED, arg=since, timeout=BUDGET_MS)
    except Exception as exc:  # a timeout: say what the page showed (an action that started no run, or one stuck)
        raise AssertionError(f"no run finished after the {since}-th in {BUDGET_MS / 1000:g} s; the page shows "
                             f"{page.evaluate(_RUN_STATE)}") from exc


@contextmanager
def _rerun(page):
    """Around an action that reruns the script (a click, a value entered): wait until the page shows its run."""
    since = _runs(page)
    yield
    _settled(page, since)


def _goto(page, url: str) -> None:
    """Open ``url`` (a new Streamlit session) and wait until the page shows its first run."""
    page.goto(url)
    _settled(page, 0)


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to the content first."""
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    size = page.viewport_size
    tall = max(size["height"], min(int(height) + 40, 12000))
    page.set_viewport_size({"width": size["width"], "height": tall})
    page.wait_for_function("h => window.innerHeight === h", arg=tall)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)


def _picker(page):
    return page.get_by_role("combobox", name="Scenario", exact=True).first


def _picked(page, expected: str | None = None) -> str:
    """The scenario shown in the Scenario picker; with ``expected``, once it shows that."""
    box = _picker(page)
    if expected is not None:
        expect(box).to_have_value(expected)
    return box.input_value()


def test_scenarios_page_opens_on_the_readme_example(page, server):
    _goto(page, server)
    page.get_by_role("heading", name="Scenarios").wait_for()
    page.get_by_text("Total cost").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    assert _picked(page, DEFAULT_SCENARIO) == DEFAULT_SCENARIO
    _screenshot(page, "scenarios")


def _charts_drawn(page, count: int) -> None:
    """Wait until the page shows ``count`` charts, each drawn (an svg with marks, or a canvas)."""
    page.locator(".vega-embed").nth(count - 1).wait_for()
    for i in range(count):
        page.locator(".vega-embed").nth(i).locator("svg.marks, canvas").first.wait_for(state="attached")


def test_compare_renders_charts(page, server):
    _goto(page, f"{server}/compare")
    page.get_by_role("heading", name="Compare scenarios").wait_for()
    _charts_drawn(page, 7)  # costs, financing, debt service, burden, GFS, DSF, outcomes
    # the bundled options for the country of the default scenario are picked (the five Rwanda options)
    tags = page.locator("[data-testid='stMultiSelect'] .react-aria-ComboBox [data-tag]")
    assert tags.count() == len(list((ROOT / "scenarios").glob("rwanda-*.toml")))
    charts = page.locator(".vega-embed")
    assert charts.count() == 7
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
    # the ticks read 35,000 and 10%, not 35,000.0 and 10.0%
    ticks = page.evaluate("""() => Array.from(document.querySelectorAll('.vega-embed g.role-axis-label text'))
                                  .map(t => t.textContent)""")
    assert "35,000" in ticks or any(t.endswith(",000") for t in ticks)
    assert not [t for t in ticks if re.search(r"\.\d*0%?$", t)], ticks
    assert page.locator("[data-testid='stException']").count() == 0
    _screenshot(page, "compare")


def test_compare_shows_what_the_money_buys_and_at_what_cost(page, server):
    """Issue 25: the Compare page's outcomes table, each outcome at the plan's end and its cost per outcome, for each
    scenario compared, as outcomes.csv and summary.csv give them."""
    from dfl_finance.app.outcomes import outcome_table
    from dfl_finance.outputs.result import concat_tables

    _goto(page, f"{server}/compare")
    page.get_by_text("What the money buys").first.wait_for()
    page.get_by_text("What the money buys").first.scroll_into_view_if_needed()
    shown = _grid(page.locator("[data-testid='stDataFrame']").filter(has_text="Cost per outcome").first,
                  "rows => rows.some(r => r['Outcome'] === 'Teachers trained in data skills')")
    assert list(shown.columns) == ["Outcome", "Scenario", "At the plan's end", "Cost per outcome"]
    rwanda = ROOT / "scenarios" / "rwanda-ida-credit.toml"
    res = run(load_scenario(rwanda))
    tables = concat_tables([res.tables()])
    expected = outcome_table(tables["outcomes"], tables["summary"], [res.name], {res.name: "RWF"})
    mine = shown[shown["Scenario"] == res.name].reset_index(drop=True)
    assert not expected.empty and len(mine) == len(expected)
    assert mine.values.tolist() == expected.values.tolist()  # the same counts and costs as the tables
    assert page.locator("[data-testid='stException']").count() == 0
    _screenshot(page, "compare-outcomes")


#: Counts the Vega charts the page draws from now on (a new ``svg.marks`` or ``canvas`` inside a ``.vega-embed``):
#: Streamlit embeds a chart again when its element is replaced, and keeps it when its place and content are the same.
_COUNT_CHARTS = """() => {
    window.__dflCharts = 0;
    const isChart = n => n.nodeType === 1 && !!n.closest(".vega-embed")
        && (n.matches("svg.marks, canvas") || !!n.querySelector("svg.marks, canvas"));
    new MutationObserver(records => {
        for (const r of records) for (const n of r.addedNodes) if (isChart(n)) window.__dflCharts++;
    }).observe(document, {subtree: true, childList: true});
}"""


def test_a_rerun_that_changes_no_chart_draws_no_chart_again(browser, server):
    """On Compare, showing and hiding the P50/P90 table (above the charts) reruns the page without changing any of
    its seven charts: none is drawn again (each keeps its place on the page, so Streamlit keeps it)."""
    pg = _new_page(browser)
    try:
        _goto(pg, f"{server}/compare")
        _charts_drawn(pg, 7)
        pg.evaluate(_COUNT_CHARTS)
        for _ in range(2):  # on, then off
            with _rerun(pg):
                pg.get_by_text("Show P50 and P90 over the draws of the uncertain inputs").click()
        expect(pg.locator(".vega-embed")).to_have_count(7)
        assert pg.evaluate("() => window.__dflCharts") == 0
        _no_exception(pg)
    finally:
        pg.context.close()


def test_export_downloads_the_csv_zip(page, server):
    _goto(page, f"{server}/export")
    page.get_by_role("heading", name="Export").wait_for()
    page.get_by_role("button", name="Manifest (JSON)").wait_for()
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
    _goto(page, f"{server}/about")
    page.get_by_role("heading", name="About the model").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    _screenshot(page, "about")


# ------------------------------------------------------------------------------------------- two users, one workspace

RWANDA = "Rwanda: domestic budget only"


def _select(page, box, option: str) -> None:
    """Choose ``option`` in the selectbox or multiselect whose combobox is ``box``, and wait until the page shows the
    run that starts. The option's name is typed in the box first, which leaves only the options containing it in the
    list. The whole list is virtualized: it holds the dozen options or so in view (fewer the less room the page leaves
    below the box), so an option further down is not on the page, and one at the list's edge moves as a click scrolls
    it into view; the scenarios other tests save lengthen the lists. A run still going on (the second run of a
    button that calls st.rerun, after the page showed its first) would draw the box anew and close the list the
    name was typed into: the page is let finish it first. A list closed before its option could be clicked (the box
    drawn anew meanwhile) gets the name typed again, a few times."""
    _settled(page, -1)
    item = page.get_by_role("option", name=option, exact=True)
    with _rerun(page):
        for attempt in range(4):
            box.fill(option)
            try:
                item.click(timeout=BUDGET_MS // 6)
                break
            except PlaywrightTimeout:  # the list was closed (before or as the option was clicked): type again
                if attempt == 3:
                    raise
                box.fill("")


def _pick(page, name: str) -> None:
    """Pick ``name`` in the Scenario picker (a run, unless it is picked already) and wait until the page shows it."""
    if _picked(page) == name:
        return
    _select(page, _picker(page), name)
    _picked(page, name)


def _offered(page, text: str) -> list[str]:
    """The names the Scenario picker offers that contain ``text``, read from its list filtered by ``text`` (the
    whole list is virtualized: it holds only the options in view); the picker is left showing what it showed."""
    box = _picker(page)
    shown = box.input_value()
    box.fill(text)
    page.wait_for_function("""text => {  // the list, filtered: options, each of them containing the text
        const options = Array.from(document.querySelectorAll("[role='option']"));
        return options.length > 0 && options.every(o => o.textContent.toLowerCase().includes(text.toLowerCase()));
    }""", arg=text)
    names = [t.strip() for t in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")  # closes the list and puts the picked name back in the box, without a run
    page.get_by_role("option").first.wait_for(state="detached")
    expect(box).to_have_value(shown)
    return names


def _field(page, label: str):
    return page.get_by_role("textbox", name=label, exact=True)


def _click(page, name: str) -> None:
    """Click the button ``name`` and wait until the page shows the run it starts."""
    with _rerun(page):
        page.get_by_role("button", name=name, exact=True).click()


def _apply(page) -> None:
    _click(page, "Apply changes")


def _create(page, name: str) -> None:
    page.get_by_text("Add a scenario: upload a TOML file, start from templates or a country, or open an instrument "
                     "option").click()
    form = page.locator("[data-testid='stForm']").filter(has_text="Start from templates")
    form.get_by_role("textbox", name="Name").fill(name)
    with _rerun(page):
        form.get_by_role("button", name="Create scenario").click()


def _no_exception(*pages) -> None:
    for pg in pages:
        assert pg.locator("[data-testid='stException']").count() == 0


def test_two_users_on_one_workspace_lose_nothing(browser, server, workspace):
    """Concurrent edits, creates and a delete against a stale edit, from two browser contexts: after a reload both
    users' work is there, and a conflict was shown instead of an overwrite. Each step waits until the page shows the
    run it started, so the order of the two users' saves is the order of the steps. The scenarios are picked by name
    however long the picker's list grows (see :func:`_select`), and the files the test writes are removed after it."""
    before = {p.name for p in workspace.glob("*.toml")}
    a, b = _new_page(browser), _new_page(browser)
    try:
        for pg in (a, b):
            _goto(pg, server)
            pg.get_by_text("Total cost").first.wait_for()
            _pick(pg, RWANDA)

        # 1. both edit the same scenario: a saves first, b's older version is not written over a's
        _field(a, "Burden limit [share of budget]").fill("0.07")
        _apply(a)
        assert load_scenario(workspace / file_name(RWANDA)).context.burden_limit == 0.07
        _field(b, "Burden limit [share of budget]").fill("0.08")
        _apply(b)
        b.get_by_text("was changed by another session").wait_for()
        assert load_scenario(workspace / file_name(RWANDA)).context.burden_limit == 0.07
        diff, mine, theirs = (b.locator("[data-testid='stCode']").nth(i).inner_text() for i in range(3))
        assert "-burden_limit = 0.07" in diff and "+burden_limit = 0.08" in diff
        assert "burden_limit = 0.08" in mine and "burden_limit = 0.07" in theirs
        _screenshot(b, "conflict")
        _click(b, "Save mine as a copy")
        assert _picked(b, f"{RWANDA} (2)") == f"{RWANDA} (2)"

        # 2. both create a scenario of the same name: two scenarios
        _create(a, "Shared plan")
        assert _picked(a, "Shared plan") == "Shared plan"
        _create(b, "Shared plan")
        assert _picked(b, "Shared plan (2)") == "Shared plan (2)"

        # 3. b deletes a's scenario while a still edits it: a's stale edit does not bring it back
        _pick(b, "Shared plan")
        with _rerun(b):
            b.get_by_role("radio", name="TOML file").click()
        _click(b, "Delete from the workspace")
        assert _picked(b, DEFAULT_SCENARIO) == DEFAULT_SCENARIO  # the picker moved on to the default
        assert not (workspace / file_name("Shared plan")).exists()
        _field(a, "Schools").fill("1234")
        _apply(a)
        a.get_by_text("was deleted or renamed by another session").wait_for()
        _screenshot(a, "conflict-deleted")
        _click(a, "Keep it deleted")
        _no_exception(a, b)

        # after a reload, both see everything that was saved, and only that
        for pg in (a, b):
            _goto(pg, server)
            pg.get_by_text("Total cost").first.wait_for()
            for name in (RWANDA, f"{RWANDA} (2)", "Shared plan (2)"):
                assert name in _offered(pg, name), name
            assert "Shared plan" not in _offered(pg, "Shared plan")
        _pick(b, RWANDA)
        expect(_field(b, "Burden limit [share of budget]")).to_have_value("0.07")
        _pick(b, f"{RWANDA} (2)")
        expect(_field(b, "Burden limit [share of budget]")).to_have_value("0.08")
        on_disk = {load_scenario(p).name for p in workspace.glob("*.toml") if p.name not in before}
        assert on_disk == {RWANDA, f"{RWANDA} (2)", "Shared plan (2)"}
    finally:
        a.context.close()
        b.context.close()
        for path in workspace.glob("*.toml"):
            if path.name not in before:
                path.unlink()


KENYA = "Kenya: domestic budget only"


def _navigate(page, title: str) -> None:
    """Go to the page ``title`` by its link in the sidebar (the same session) and wait until it shows its run."""
    with _rerun(page):
        page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title, exact=True).click()


def test_the_scenario_picked_stays_picked_on_every_page_and_after_a_reload(browser, server):
    """Picked on the Scenarios page, a scenario stays picked on the Scenarios, Risk and Optimise pages after each of
    the pages without a picker, and the page's address keeps it: a reload opens it again."""
    pg = _new_page(browser)
    try:
        _goto(pg, server)
        _pick(pg, KENYA)
        for away, back in [("Compare", "Scenarios"), ("Schools", "Risk"), ("Portfolio", "Optimise"),
                           ("Export", "Scenarios"), ("About / method", "Risk"), ("Compare", "Optimise")]:
            _navigate(pg, away)
            assert "scenario=Kenya" in pg.url, (away, pg.url)
            _navigate(pg, back)
            assert _picked(pg, KENYA) == KENYA, (away, back)
        pg.reload()  # a new session, from the page's address
        _settled(pg, 0)
        assert _picked(pg, KENYA) == KENYA
        _navigate(pg, "Scenarios")
        assert _picked(pg, KENYA) == KENYA
        pg.get_by_text("Total cost [KES]").wait_for()
        _no_exception(pg)
    finally:
        pg.context.close()


def _open_cell_editor(page, grid, x: float, row: int = 0, right: int = 0):
    """Open the editor of a cell of the data editor ``grid`` and return it, once open: the cell at ``x`` pixels from
    the grid's left edge in data row ``row`` (rows are 35 px under a 35 px header), selected then double-clicked;
    or, with ``right``, that many cells to the right of it, reached by keyboard (the columns' widths vary)."""
    # the grid's scroller lies over its canvas and takes the clicks; Playwright scrolls it into view and waits
    # until it stands still before it clicks
    scroller, position = grid.locator(".dvn-scroller"), {"x": x, "y": 35 * (row + 1) + 17}
    editor = page.locator("textarea.gdg-input, input.gdg-input").first
    scroller.click(position=position)  # selects the cell and focuses the grid (a cell selected already: its editor)
    page.wait_for_function("""() => document.activeElement?.dataset?.testid === 'data-grid-canvas'
                                     || !!document.activeElement?.classList?.contains('gdg-input')""")
    if right:
        for _ in range(right):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")  # opens the selected cell's editor
    elif not editor.count():
        scroller.dblclick(position=position)  # a selected cell opens its editor on a double click
    editor.wait_for()
    return editor


def test_numbers_that_are_not_whole_or_not_numbers_are_refused(browser, server, workspace):
    pg = _new_page(browser)
    _goto(pg, server)
    pg.get_by_text("Total cost").first.wait_for()
    _pick(pg, KENYA)
    path = workspace / file_name(KENYA)
    _field(pg, "Schools").fill("12.7")
    _apply(pg)
    pg.get_by_text("Schools: must be a whole number").first.wait_for()  # the field's label, its path kept
    assert "[context.schools]" in pg.locator("[data-testid='stAlertContentError']").first.inner_text()
    assert not path.exists()
    _screenshot(pg, "number-refused")
    _field(pg, "Schools").fill("2e3")
    _apply(pg)
    assert load_scenario(path).context.schools == 2000
    # amounts show with thousands separators, and are read with them
    budget = load_scenario(path).context.education_budget
    expect(_field(pg, "Education budget [KES/yr]")).to_have_value(f"{budget:,.0f}")
    _field(pg, "Schools").fill("2,500")
    _apply(pg)
    assert load_scenario(path).context.schools == 2500
    expect(_field(pg, "Schools")).to_have_value("2,500")

    # a number cell of the tables: "abc" is refused, not emptied into the default
    with _rerun(pg):
        pg.get_by_role("radio", name="Programmes and sources (tables)").click()
    grid = pg.locator("[data-testid='stDataFrame']").nth(1)  # the cost lines
    # first data row, first column (past the row markers), then programme, item, kind -> unit_cost
    editor = _open_cell_editor(pg, grid, 80, right=3)
    editor.fill("abc")
    # clicking the form's button while the cell is being edited ends the edit and hands it to the form at once
    # (the grid otherwise passes an edit on only 150 ms after it ends, which nothing on the page shows)
    _click(pg, "Apply table edits")
    pg.get_by_text("not a number").first.wait_for()
    assert "unit_cost" in pg.locator("[data-testid='stAlertContentError']").first.inner_text()
    assert load_scenario(path).programme[0].cost[0].unit_cost > 0  # unchanged
    _no_exception(pg)
    _screenshot(pg, "table-cell-refused")
    pg.context.close()


def test_a_table_edit_made_while_another_session_saved_is_shown_as_a_conflict_not_dropped(browser, server, workspace):
    """An edit typed in the tables vanished when another session saved the scenario meanwhile (issue 26): the
    form's keys follow the version on disk, and the button of the next run was not the one clicked. The edit is now
    saved, or shown beside the other version as a conflict, and can be kept."""
    from dfl_finance.app.workspace import Workspace
    from dfl_finance.model.load import apply_overrides

    name = "Tables while another session saves (test)"
    sc = apply_overrides(load_scenario(ROOT / "scenarios" / "kenya-domestic.toml"), {"scenario.name": name})
    ws = Workspace(workspace)
    entry = ws.create(dump_scenario(sc))
    pg = _new_page(browser)
    try:
        _goto(pg, server)
        _pick(pg, name)
        with _rerun(pg):
            pg.get_by_role("radio", name="Programmes and sources (tables)").click()
        grid = pg.locator("[data-testid='stDataFrame']").nth(1)  # the cost lines
        ws.save(entry.base, dump_scenario(apply_overrides(sc, {"context.burden_limit": 0.07})))  # the other session
        editor = _open_cell_editor(pg, grid, 80, right=3)  # the first line's unit_cost
        editor.fill("777")
        _click(pg, "Apply table edits")
        pg.get_by_text("was changed by another session after you opened it").first.wait_for()
        assert load_scenario(workspace / entry.file).context.burden_limit == 0.07  # theirs on disk, mine shown
        _click(pg, "Overwrite with mine")
        saved = load_scenario(workspace / entry.file)
        assert saved.programme[0].cost[0].unit_cost == 777.0
        _no_exception(pg)
    finally:
        pg.context.close()
        for e in Workspace(workspace).entries():
            if e.name == name:
                Workspace(workspace).delete(e.base)


def test_a_broken_file_in_the_workspace_breaks_no_page(browser, server, workspace):
    broken = workspace / "written-by-hand.toml"
    broken.write_text("[scenario]\nname = 'x'\nyears = inf\n", encoding="utf-8")
    pg = _new_page(browser)
    try:
        for url, heading in [(server, "Scenarios"), (f"{server}/compare", "Compare scenarios"),
                             (f"{server}/export", "Export")]:
            _goto(pg, url)
            pg.get_by_role("heading", name=heading).wait_for()
            pg.get_by_text("written-by-hand.toml").first.wait_for()
            _no_exception(pg)
        _goto(pg, server)
        pg.get_by_text("Total cost").first.wait_for()
        _screenshot(pg, "broken-file")
    finally:
        broken.unlink()
        pg.context.close()


# ------------------------------------------------------------------------------------------- price basis, DSF

FRANCS = "Rwanda in francs"


def _vega_text(chart) -> str:
    """The text a chart drew (axis titles, facet headers): an svg has it as text nodes."""
    return chart.evaluate("el => el.innerText || ''")


def test_the_price_basis_selector_switches_the_amounts_to_usd(browser, server, workspace):
    """A scenario in Rwandan francs shows its amounts in RWF (constant prices) by default; the sidebar's basis
    selector set to "Current prices, USD" (nominal-usd) shows them in USD, in current prices, without editing the
    scenario."""
    raw = tomllib.loads((ROOT / "scenarios" / "rwanda-ida-credit.toml").read_text(encoding="utf-8"))
    raw["scenario"].update(name=FRANCS, currency="RWF")  # the macro paths come from the RWA profile
    path = workspace / file_name(FRANCS)
    path.write_text(dump_scenario(scenario_from_dict(raw, folder=ROOT / "scenarios"), workspace), encoding="utf-8")
    sc = load_scenario(path)
    pg = _new_page(browser)
    try:
        _goto(pg, server)
        pg.get_by_text("Total cost").first.wait_for()
        basis = pg.get_by_role("combobox", name="Price basis")
        basis.wait_for()
        assert basis.is_visible()
        _pick(pg, FRANCS)
        pg.get_by_text("Total cost [RWF]").wait_for()
        pg.get_by_text(f"Amounts in constant {sc.scenario.base_year} prices, RWF").first.wait_for()
        in_francs = pg.get_by_text("Total cost [RWF]").locator("xpath=ancestor::*[@data-testid='stMetric'][1]")
        francs = in_francs.locator("[data-testid='stMetricValue']").inner_text()

        _select(pg, basis, basis_label("nominal-usd"))  # "Current prices, USD"
        pg.get_by_text("Total cost [USD]").wait_for()
        assert pg.get_by_text("Total cost [RWF]").count() == 0
        pg.get_by_text("Amounts in current prices of each year, USD").first.wait_for()
        in_usd = pg.get_by_text("Total cost [USD]").locator("xpath=ancestor::*[@data-testid='stMetric'][1]")
        dollars = in_usd.locator("[data-testid='stMetricValue']").inner_text()
        assert dollars != francs  # the same run, converted
        total = run(sc).in_basis("nominal-usd").summary()["total_cost"]
        assert dollars.endswith(" M") and abs(float(dollars.removesuffix(" M")) * 1e6 - total) <= 0.05e6 + 1
        _no_exception(pg)
        _screenshot(pg, "basis-nominal-usd")
    finally:
        path.unlink()
        pg.context.close()


def test_compare_shows_the_debt_sustainability_ratios_against_their_thresholds(page, server):
    """The bundled Rwanda options have DSF data (GDP, exports, revenue and a debt-carrying capacity in the RWA
    profile): the four ratios are drawn, one panel each, with the threshold."""
    assert not run(load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")).dsf_df().empty
    _goto(page, f"{server}/compare")
    page.get_by_role("heading", name="Debt sustainability").wait_for()
    _charts_drawn(page, 7)
    chart = page.get_by_role("heading", name="Debt sustainability").locator(
        "xpath=following::div[contains(@class, 'vega-embed')][1]")
    chart.scroll_into_view_if_needed()
    chart.locator("svg, canvas").first.wait_for()
    box = chart.locator("svg, canvas").first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    text = _vega_text(chart)
    for label in DSF_LABELS.values():
        for view in DSF_VIEWS:  # with the baseline against the threshold, and the plan's own contribution
            assert f"{label}: {view}" in text, (label, view)
    assert "Rwanda, strong capacity: 240%" in text  # the threshold is labelled by country and capacity
    assert chart.evaluate("el => el.querySelectorAll('svg.marks path').length > 20")
    # each threshold's label is clear of every line drawn (the thresholds, and the ratios that run near them)
    labels, crossed = chart.evaluate("""el => {
        const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        const lines = Array.from(el.querySelectorAll('g.mark-line path')).map(p => p.getBoundingClientRect());
        const labels = Array.from(el.querySelectorAll('text')).filter(t => t.textContent.includes('capacity:'));
        return [labels.length, labels.filter(t => lines.some(l => hit(t.getBoundingClientRect(), l)))
                                      .map(t => t.textContent)];
    }""")
    assert labels >= len(DSF_LABELS) and not crossed, crossed
    page.get_by_text("debt-carrying capacity").first.wait_for()
    _no_exception(page)
    _screenshot(page, "compare-dsf")


# ------------------------------------------------------------------------------------------- risk

IDA = "Rwanda: IDA credit-led"
#: Where the uncertain-inputs table draws its `low` column at the pages' width of 1400 px (after path and
#: distribution).
LOW_X = 580


def _risk_run(page, server, draws: int = 64, scenario: str = IDA) -> None:
    _goto(page, f"{server}/risk")
    page.get_by_role("heading", name="Risk", exact=True).wait_for()
    _pick(page, scenario)
    page.get_by_role("spinbutton", name="Draws").fill(str(draws))
    _click(page, "Run")
    page.get_by_text(f"{draws} draws, seed").first.wait_for()


def test_the_risk_page_runs_and_draws_the_fan_charts(browser, server, workspace):
    from dfl_finance.app.charts import FAN_COLOURS
    from dfl_finance.app.uncertainty import PROB_LABEL

    pg = _new_page(browser)
    try:
        _risk_run(pg, server)
        pg.get_by_text(PROB_LABEL).first.wait_for()
        value = pg.get_by_text(PROB_LABEL).locator("xpath=ancestor::*[@data-testid='stMetric'][1]").locator(
            "[data-testid='stMetricValue']").inner_text()
        assert value.endswith("%")
        charts = pg.locator(".vega-embed")
        # the gap's and the burden's fan charts; no histogram: no draw of the IDA option has a gap, said in words
        pg.get_by_text("No draw has a gap.").first.wait_for()
        assert charts.count() == 2
        for i, title in enumerate(["Funding gap per year over the draws",
                                   "Burden on the education budget over the draws"]):
            chart = charts.nth(i)
            chart.scroll_into_view_if_needed()
            chart.locator("svg, canvas").first.wait_for()
            box = chart.locator("svg, canvas").first.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 200
            text = _vega_text(chart)
            assert title in text and all(entry in text for entry in FAN_COLOURS)  # the legend
            assert chart.evaluate("el => el.querySelectorAll('svg.marks path').length > 3")  # bands and lines
        assert "limit 5%" in _vega_text(charts.nth(1))
        _no_exception(pg)
        _screenshot(pg, "risk")
    finally:
        pg.context.close()


def test_the_risk_page_draws_the_disbursement_at_risk_of_a_results_based_credit(browser, server):
    """Issue 25: the bundled IDA Program-for-Results option's DLIs under risk: the Risk page draws, for each DLI,
    what it earns on average over the draws and the disbursement at risk (dli_at_risk.csv)."""
    from dfl_finance.app.charts import DLI_COLOURS

    pg = _new_page(browser)
    try:
        _risk_run(pg, server, scenario="Rwanda: IDA Program-for-Results")
        chart = pg.locator(".vega-embed").filter(has_text="disbursement at risk")
        chart.first.wait_for()
        chart.first.scroll_into_view_if_needed()
        chart.first.locator("svg, canvas").first.wait_for()
        text = _vega_text(chart.first)
        assert "Results-based financing: disbursement at risk" in text
        assert all(part in text for part in DLI_COLOURS), text  # the legend: earned on average, at risk
        assert "ida DLI 1: connectivity" in text and "…" not in text  # one bar per DLI, its label whole
        assert chart.first.evaluate("el => el.querySelectorAll('svg.marks path, svg.marks rect').length > 2")
        pg.get_by_text("Each disbursement-linked indicator").first.wait_for()
        _no_exception(pg)
        _screenshot(pg, "risk-dli")
    finally:
        pg.context.close()


def _edit_cell(page, row: int, x: int, old: str, new: str) -> None:
    """Type ``new`` over ``old`` in a cell of the page's first data editor (in a form): the cell of data row ``row``
    (from 0) at ``x`` pixels from the grid's left edge; the editor stays open, and the form's button, clicked next,
    ends the edit and hands it to the form at once (see :func:`_open_cell_editor`)."""
    editor = _open_cell_editor(page, page.locator("[data-testid='stDataFrame']").first, x, row)
    assert editor.input_value() == old  # the cell meant
    editor.fill(new)


def test_an_uncertain_input_edited_on_the_risk_page_is_checked_then_saved(browser, server, workspace):
    pg = _new_page(browser)
    path = workspace / file_name(IDA)
    row = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml").uncertain[1]  # the training day's
    low, lower = f"{row.low:g}", round(row.low * 0.8, 2)  # as the table shows it; a valid new low (below the mode)
    try:
        _risk_run(pg, server)
        _edit_cell(pg, 1, LOW_X, low, f"{10 * row.high:g}")  # the training day's low above its high
        _click(pg, "Apply")
        pg.get_by_text("uncertain inputs, row 2, high: must be above low").first.wait_for()  # its row and field
        assert not path.exists()  # the last valid scenario is kept
        _screenshot(pg, "risk-invalid-row")
        _edit_cell(pg, 1, LOW_X, f"{10 * row.high:g}", f"{lower:g}")
        _click(pg, "Apply")
        pg.get_by_text("Saved 10 uncertain inputs").first.wait_for()  # (the bundled rows of issue 22)
        assert load_scenario(path).uncertain[1].low == lower
        _no_exception(pg)
    finally:
        path.unlink(missing_ok=True)
        pg.context.close()


# ------------------------------------------------------------------------------------------- optimise

KENYA_GPE = "Kenya: IDA credit with GPE multiplier"


def _drawn(chart) -> None:
    """A chart that was drawn: an svg or canvas of a real size, with marks."""
    chart.scroll_into_view_if_needed()
    drawn = chart.locator("svg, canvas").first
    drawn.wait_for()
    box = drawn.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    assert chart.evaluate("""el => {
        const svg = el.querySelector('svg.marks');
        if (svg) return svg.querySelectorAll('path, rect').length > 3;
        const c = el.querySelector('canvas');
        return !!c && c.width > 0 && c.height > 0;
    }""")


def test_the_optimise_page_solves_and_draws_its_charts(browser, server, workspace):
    pg = _new_page(browser)
    added = workspace / file_name(f"{KENYA_GPE} (optimal mix)")
    try:
        _goto(pg, f"{server}/optimise")
        pg.get_by_role("heading", name="Optimise", exact=True).wait_for()
        _pick(pg, KENYA_GPE)
        assert pg.locator(".vega-embed").count() == 0  # nothing before the button
        _click(pg, "Solve")
        pg.get_by_role("heading", name="What more of each constraint is worth").wait_for()
        _charts_drawn(pg, 2)
        charts = pg.locator(".vega-embed")
        assert charts.count() == 2  # the mix by source, the shadow prices
        for words in ["What each source pays over the plan", "Current mix (waterfall)",
                      "GPE multiplier grant"]:
            assert words in _vega_text(charts.nth(0)), words
        # the constraint worth the most, as the optimiser itself ranks it under the page's default options
        from dfl_finance.app.charts import labels_of
        from dfl_finance.app.optimising import shadow_frame
        from dfl_finance.studies.optimise import optimise, options_for

        sc = load_scenario(ROOT / "scenarios" / "kenya-ida-gpe.toml")
        top = shadow_frame(optimise(sc, options_for(sc)).shadow_prices_df(), labels_of([sc]))["constraint_text"][0]
        assert top in _vega_text(charts.nth(1)), top
        for i in range(2):
            _drawn(charts.nth(i))
        pg.get_by_text(re.compile(r"The optimal mix .* in present value")).first.wait_for()
        pg.get_by_text("Linear programme:").first.wait_for()
        _no_exception(pg)
        _screenshot(pg, "optimise")
        with _rerun(pg):
            pg.get_by_text("By year", exact=True).click()
        _charts_drawn(pg, 2)
        assert "Financing by source, with the gap" in _vega_text(pg.locator(".vega-embed").first)
        _drawn(pg.locator(".vega-embed").first)
        _no_exception(pg)
        _screenshot(pg, "optimise-by-year")
        _click(pg, "Add the optimal mix as a new scenario")
        pg.get_by_text("to your workspace").first.wait_for()
        assert load_scenario(added).name == f"{KENYA_GPE} (optimal mix)"
        _no_exception(pg)
    finally:
        added.unlink(missing_ok=True)
        pg.context.close()


#: The cells of the accessible table of a grid drawn by st.dataframe (a canvas): its header row, then the rows in view.
_GRID_CELLS = """el => Array.from(el.querySelectorAll("table[role='grid'] tr")).map(
    tr => Array.from(tr.querySelectorAll('th, td')).map(c => c.textContent))"""


def _grid_cells(grid, until: str = "rows => true") -> list[list[str]]:
    """The header and the rows in view of a table drawn by st.dataframe, once the grid shows data rows, and rows of
    which the JavaScript predicate ``until`` holds (``rows``: objects by header): the data reaches the grid after
    the run that draws it, and a grid that a run changes may show its former rows for a moment after the run."""
    try:
        grid.page.wait_for_function(f"""el => {{
            const [header, ...cells] = ({_GRID_CELLS})(el);
            const rows = cells.map(row => Object.fromEntries(header.map((name, i) => [name, row[i]])));
            return rows.length > 0 && ({until})(rows);
        }}""", arg=grid.element_handle())
    except Exception as exc:  # a timeout: say what the grid showed
        raise AssertionError(f"the table never showed rows with {until}: {grid.evaluate(_GRID_CELLS)}") from exc
    return grid.evaluate(_GRID_CELLS)


def _grid(grid, until: str = "rows => true") -> pd.DataFrame:
    """The cells of a table drawn by st.dataframe, from the grid's accessible table: the rows and columns in view,
    once they satisfy ``until`` (see :func:`_grid_cells`)."""
    cells = _grid_cells(grid, until)
    return pd.DataFrame(cells[1:], columns=cells[0])


def _chart(page, title: str):
    """The Altair chart whose text holds ``title``, drawn (an svg with marks)."""
    chart = page.locator(".vega-embed").filter(has_text=title)
    chart.wait_for()
    chart.scroll_into_view_if_needed()
    chart.locator("svg.marks").wait_for()
    return chart


def test_the_risk_page_draws_the_tornado_the_sobol_indices_and_the_stress_tests(browser, server, workspace):
    from dfl_finance.app.sensitivity import not_applied, stress_table, tornado_frame
    from dfl_finance.studies.risk.sensitivity import tornado
    from dfl_finance.studies.risk.stress import run_stresses

    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    pg = _new_page(browser)
    try:
        _risk_run(pg, server)
        pg.get_by_text("No draw has a gap.").first.wait_for()  # (so no histogram)
        assert pg.locator(".vega-embed").count() == 2  # no sensitivity before the buttons
        _click(pg, "Compute the tornado chart")
        chart = _chart(pg, "What moves the funding gap most")
        text = _vega_text(chart)
        ranked = list(tornado_frame(tornado(sc, ["total_gap"]), sc, "total_gap")["input"])
        assert len(ranked) == len(sc.uncertain)
        places = [-1]  # the inputs in words, the largest swing on top: each found after the one above it (two
        for label in ranked:  # labels may begin alike: two lines of one programme)
            places.append(text.find(label[:30], places[-1] + 1))
        assert -1 not in places[1:], (ranked, text)
        assert "Input at its low (P5)" in text and "deterministic run" in text
        assert chart.evaluate("el => el.querySelectorAll('svg.marks path').length >= 3")  # the bars

        _click(pg, "Compute the Sobol indices")
        sobol = _chart(pg, "Sobol indices of the funding gap")
        text = _vega_text(sobol)
        assert "First-order" in text and "Total" in text and ranked[0][:30] in text
        assert sobol.evaluate("el => el.querySelectorAll('svg.marks path').length >= 4")  # bars and intervals
        assert pg.locator(".vega-embed").count() == 4

        # the stress tests: the baseline and each stress that applies, with the change from the baseline
        pg.get_by_text("Stress tests", exact=True).scroll_into_view_if_needed()
        grid = pg.get_by_text("Stress tests", exact=True).locator(
            "xpath=following::*[@data-testid='stDataFrame'][1]")
        shown = _grid(grid, "rows => rows.length >= 3 && rows[0]['Stress'] === 'Baseline (no stress)'")
        stressed = run_stresses(sc)
        expected = stress_table(stressed.summary_df(), stressed.notes())
        assert list(shown["Stress"]) == list(expected["Stress"]) and len(shown) >= 3
        assert shown["Stress"].iloc[0] == "Baseline (no stress)" and "Capex overrun" in set(shown["Stress"])
        row = shown.set_index("Stress").loc["Capex overrun"]
        assert row["Total cost"] == expected.set_index("Stress").loc["Capex overrun", "Total cost"]
        assert "(RWF +" in row["Total cost"]
        for note in not_applied(stressed.notes()):
            pg.get_by_text(note, exact=False).first.wait_for()
        _no_exception(pg)
        _screenshot(pg, "risk-sensitivity")
    finally:
        pg.context.close()


def test_compare_shows_p50_and_p90_beside_the_deterministic_values(browser, server):
    from dfl_finance.outputs.formatting import format_metric
    from dfl_finance.outputs.result import quantiles_df
    from dfl_finance.studies.risk import run_risk

    sc = load_scenario(ROOT / "scenarios" / "rwanda-domestic.toml")  # the baseline: its columns are in view
    q = quantiles_df(run_risk(sc, sc.risk.draws, sc.risk.seed, sc.risk.method)).set_index(["metric", "statistic"])
    pg = _new_page(browser)
    try:
        _goto(pg, f"{server}/compare")
        pg.get_by_role("heading", name="Compare scenarios").wait_for()
        assert pg.get_by_role("heading", name="Main metrics over the draws").count() == 0  # off by default
        with _rerun(pg):
            pg.get_by_text("Show P50 and P90 over the draws of the uncertain inputs").click()
        heading = pg.get_by_role("heading", name="Main metrics over the draws")
        heading.wait_for()
        # the note under the table comes once every option's draws have run (five risk runs: seconds)
        pg.get_by_text("P50 and P90: the values that half and 90% of the draws stay below").wait_for()
        # a grid that takes the place of another on the page (the summary table, before the toggle) may show the
        # other's columns to the accessibility tree for a moment: wait for its own
        table = _grid(heading.locator("xpath=following::*[@data-testid='stDataFrame'][1]"),
                      until="rows => '1. P50' in rows[0]")
        # the Rwanda options (and those other tests saved in the workspace), numbered as in the summary table, the
        # baseline first; every bundled option has uncertain inputs: its P50 and P90 beside it (the grid holds the
        # columns in view)
        columns = list(table.columns)
        assert columns[:5] == ["Metric", "Unit", "1. Rwanda: domestic budget only (baseline)", "1. P50", "1. P90"]
        assert columns[5].startswith("2. Rwanda: ")  # the next option (its P50 and P90 beyond the view)
        k = "1."
        rows = table.set_index("Metric")
        for key, label in (("total_cost", "Total cost"), ("pv_government_cost", "Government cost (present value)")):
            unit = rows.loc[label, "Unit"]
            assert unit in ("RWF", "each scenario's own")  # another test may have saved a plan in USD
            code = "" if unit == "RWF" else "RWF"
            assert rows.loc[label, f"{k} P50"] == format_metric(q.loc[(key, "p50"), "value"], "money", code)
            assert rows.loc[label, f"{k} P90"] == format_metric(q.loc[(key, "p90"), "value"], "money", code)
        _no_exception(pg)
        heading.scroll_into_view_if_needed()
        _screenshot(pg, "compare-p50-p90")
    finally:
        pg.context.close()


def test_the_export_writes_the_risk_tables_computed_on_the_risk_page(browser, server):
    from dfl_finance.outputs.export import csv_text
    from dfl_finance.outputs.result import quantiles_df, yearly_quantiles_df
    from dfl_finance.studies.risk import run_risk
    from dfl_finance.studies.risk.sensitivity import sobol_df, tornado

    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    pg = _new_page(browser)

    def download() -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(_download(pg, "All tables as CSV (zip)"))) as zf:
            return {name: zf.read(name) for name in zf.namelist()}

    try:
        _risk_run(pg, server)
        _click(pg, "Compute the tornado chart")
        _chart(pg, "What moves the funding gap most")
        with _rerun(pg):
            pg.get_by_role("link", name="Export").click()  # in the same session: what it computed is kept
        pg.get_by_role("heading", name="Risk, sensitivity and stress tables").wait_for()
        overview = _grid(pg.get_by_role("heading", name="Risk, sensitivity and stress tables").locator(
            "xpath=following::*[@data-testid='stDataFrame'][1]"), "rows => rows.some(r => 'Scenario' in r)"
        ).set_index("Scenario")
        assert overview.loc[IDA, "Risk (quantiles)"] == "64 draws, seed 2026, lhs (Risk page)"
        assert overview.loc[IDA, "Sensitivity (tornado, sobol)"] == "tornado: Funding gap"
        _screenshot(pg, "export-risk")
        files = download()
        res = run_risk(sc, 64, 2026, "lhs")
        assert files["quantiles.csv"] == csv_text(quantiles_df(res)).encode()
        assert files["yearly_quantiles.csv"] == csv_text(yearly_quantiles_df(res)).encode()
        assert files["tornado.csv"] == csv_text(tornado(sc, ["total_gap"])).encode()
        assert "stress_summary.csv" in files and "sobol.csv" not in files
        assert json.loads(files["manifest.json"])["risk"][IDA]["draws"] == 64

        with _rerun(pg):
            pg.get_by_text("Include the risk, sensitivity and stress tables of every scenario picked").click()
        pg.get_by_text("tornado and Sobol (N = 256): Funding gap").wait_for(state="attached")
        files = download()
        assert files["sobol.csv"] == csv_text(sobol_df(sc, ["total_gap"], 256)).encode()
        _no_exception(pg)
    finally:
        pg.context.close()


# ------------------------------------------------------------------------------------------- schools

#: Pixels of a chart that are coloured (not white, grey or black): the marks, not the axes and the text.
_COLOURED_PIXELS = """el => {
    const c = el.querySelector('canvas');
    if (!c) {  // an svg: its marks
        const svg = el.querySelector('svg.marks');
        return svg ? svg.querySelectorAll('g.mark-symbol path, g.mark-rule line, g.mark-rect path').length : 0;
    }
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] > 0 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
    }
    return n;
}"""


def _coloured(page, chart, minimum: int) -> None:
    """Wait until ``chart`` has more than ``minimum`` coloured pixels (a canvas) or marks (an svg): it was drawn."""
    page.wait_for_function(f"([el, n]) => ({_COLOURED_PIXELS})(el) > n", arg=[chart.element_handle(), minimum])


def _download(pg, button: str, reruns: bool = False) -> bytes:
    """The file that the download button ``button`` gives; ``reruns``: its click also reruns the script (Streamlit's
    default; the app's buttons say ``on_click="ignore"`` but on the Portfolio page), which is waited for."""
    with _rerun(pg) if reruns else nullcontext(), pg.expect_download() as info:
        pg.get_by_role("button", name=button, exact=True).click()
    return Path(info.value.path()).read_bytes()


def _metric_value(page, label: str) -> str:
    return page.get_by_text(label, exact=True).locator("xpath=ancestor::*[@data-testid='stMetric'][1]").locator(
        "[data-testid='stMetricValue']").inner_text()


def test_the_schools_page_draws_the_map_and_the_cost_curve(browser, server):
    from dfl_finance.app.schools import SYNTHETIC_TABLE
    from dfl_finance.inputs.profiles import data_dir
    from dfl_finance.inputs.schools import read_schools
    from dfl_finance.model.schools import plan_schools

    pg = _new_page(browser)
    try:
        _goto(pg, f"{server}/schools")
        pg.get_by_role("heading", name="Schools", exact=True).wait_for()
        _charts_drawn(pg, 3)  # the map, the cost curve, the schools by technology
        pg.get_by_text("Synthetic data.").wait_for()
        charts = pg.locator(".vega-embed")
        assert charts.count() == 3
        for i, (min_width, min_height, min_marks) in enumerate([(600, 500, 2000), (600, 250, 500), (300, 80, 3)]):
            chart = charts.nth(i)
            chart.scroll_into_view_if_needed()
            drawn = chart.locator("svg, canvas").first
            drawn.wait_for()
            box = drawn.bounding_box()
            assert box and box["width"] > min_width and box["height"] > min_height, (i, box)
            _coloured(pg, chart, min_marks)  # the schools, the curve, the bars were drawn
        _screenshot(pg, "schools")

        # a yearly budget, typed: the number of schools connected is the plan's
        table = read_schools(data_dir() / SYNTHETIC_TABLE)
        unlimited = school_tables(plan_schools(table))["schools"]["year_connected"].notna().sum()
        expected = school_tables(plan_schools(table, budget=300_000.0))["schools"]["year_connected"].notna().sum()
        assert _metric_value(pg, "Connected in the plan") == f"{unlimited:,}"  # every school a technology reaches
        _type(pg, "Yearly capex budget [USD]", "300000")
        pg.get_by_text(f"{expected:,}", exact=True).first.wait_for()
        assert _metric_value(pg, "Connected in the plan") == f"{expected:,}"

        # the map by year connected
        with _rerun(pg):
            pg.get_by_text("Year connected", exact=True).first.click()
        _no_exception(pg)
        _coloured(pg, charts.nth(0), 2000)
        _screenshot(pg, "schools-by-year")

        # the tables as a zip
        with zipfile.ZipFile(io.BytesIO(_download(pg, "schools.csv, segments.csv and equity.csv (zip)"))) as zf:
            assert zf.namelist() == ["schools.csv", "segments.csv", "equity.csv", "manifest.json"]
            schools = pd.read_csv(zf.open("schools.csv"))
        assert len(schools) == 6756 and schools["year_connected"].notna().sum() == expected
        _no_exception(pg)
    finally:
        pg.context.close()


# ------------------------------------------------------------------------------------------- portfolio

def test_the_portfolio_page_draws_the_gaps_and_the_reach(browser, server):
    pg = _new_page(browser)
    try:
        _goto(pg, f"{server}/portfolio")
        pg.get_by_role("heading", name="Portfolio", exact=True).wait_for()
        _charts_drawn(pg, 1)
        pg.get_by_text("Illustrative.", exact=True).wait_for()
        _no_exception(pg)
        assert _metric_value(pg, "Envelope [USD]") == "40.0 M"
        chart = pg.locator(".vega-embed").first
        chart.scroll_into_view_if_needed()
        drawn = chart.locator("svg, canvas").first
        drawn.wait_for()
        box = drawn.bounding_box()
        assert box and box["width"] > 600 and box["height"] > 80, box
        _coloured(pg, chart, 5)  # the 4 gap bars and the 2 reach bars were drawn (svg marks)
        _screenshot(pg, "portfolio")

        # a larger envelope, typed: the totals follow
        _type(pg, "Envelope [USD]", "120000000")
        pg.get_by_text("120.0 M", exact=True).first.wait_for()
        assert _metric_value(pg, "Envelope [USD]") == "120.0 M"
        _no_exception(pg)
    finally:
        pg.context.close()


def _download_zip(pg, button: str) -> dict[str, pd.DataFrame]:
    with zipfile.ZipFile(io.BytesIO(_download(pg, button, reruns=True))) as zf:
        return {n: pd.read_csv(zf.open(n)) for n in zf.namelist() if n.endswith(".csv")}


def _type(pg, label: str, value: str) -> None:
    """Type ``value`` in the text field ``label`` (outside a form) and press Enter: wait for the run it starts."""
    box = pg.get_by_role("textbox", name=label, exact=True)
    box.fill(value)
    with _rerun(pg):
        box.press("Enter")


def _choose(pg, label: str, option: str) -> None:
    _select(pg, pg.get_by_role("combobox", name=label, exact=True), option)


def test_the_portfolio_page_runs_the_optimal_rule_a_floor_and_weights_on_the_gpe_example(browser, server):
    """The GPE example on the page: the optimal rule with its objective and co-financed grants, a floor typed and
    honoured, a floor too large named, then the weighted rule with a weight edited; the allocation shown and
    downloaded is the page's options run (shares adding to the envelope), and the portfolio file downloaded carries
    the options (test_portfolio.py runs such a file on the command line: the same tables)."""
    from dfl_finance.app.portfolio import BASIS_COLUMNS, EXAMPLES, RULE_LABELS

    title = EXAMPLES["portfolio-gpe-optimal.toml"][0]
    zip_name = "allocation.csv, portfolio_equity.csv, portfolio_groups.csv and portfolio_reach.csv (zip)"
    pg = _new_page(browser)
    try:
        _goto(pg, f"{server}/portfolio")
        pg.get_by_role("heading", name="Portfolio", exact=True).wait_for()
        with _rerun(pg):
            pg.get_by_text(f"{title} (portfolio-gpe-optimal.toml)", exact=True).click()
        pg.get_by_text("Illustrative.", exact=True).wait_for()
        _no_exception(pg)
        # the file's rule and its co-financing, shown; the note says what the rule does
        pg.get_by_text("The fund goes first where it reaches the most learners").wait_for()  # the optimal rule's
        assert pg.get_by_text("The fund co-finances GPE multiplier grant (gpe)").count() == 1
        assert _metric_value(pg, "Shared [USD]") == "60.0 M"
        pg.get_by_text(BASIS_COLUMNS["reach"][0]).first.wait_for(state="attached")  # the basis column

        # the most gap closed first, and a floor of USD 25 M a country: Kenya gets at least that
        _choose(pg, "Objective", "The most gap closed first")
        pg.get_by_text("The fund goes first where it closes the most gap").wait_for()
        _type(pg, "Floor [USD per country]", "25e6")
        _no_exception(pg)
        assert not pg.locator("[data-testid='stAlert']").filter(has_text="please correct").count()
        pg.get_by_text("Each country gets at least USD 25.0 M").wait_for()
        _screenshot(pg, "portfolio-optimal")
        allocation = pg.locator("[data-testid='stDataFrame']").filter(has_text="Share of need [%]").first
        # the allocation with the floor, once the grid has it (the checks below are on every cell it shows)
        shown = _grid_rows(allocation, "rows => rows.every(r => Number(r['Share [USD]'].replace(/,/g, '')) >= 25e6)")
        assert [r["Country"] for r in shown] == ["Rwanda", "Kenya"]
        shares = [float(r["Share [USD]"].replace(",", "")) for r in shown]
        assert sum(shares) == pytest.approx(60e6, abs=2) and min(shares) >= 25e6  # the floor held
        assert all(r["Gap before the fund [USD]"] and r[BASIS_COLUMNS["gap"][0]] for r in shown)
        alloc = _download_zip(pg, zip_name)["allocation.csv"].set_index("country")
        assert alloc["share"].sum() == pytest.approx(60e6, rel=1e-9)
        assert alloc["share"].tolist() == pytest.approx(shares, abs=0.01)  # what the page shows, it downloads
        # the fund's co-financing never adds to a need, and unlocks GPE money where GPE has room to match (Kenya's,
        # at the inputs' means; Rwanda's need is its whole gap)
        # to a few cents: the two are rounded apart (each a sum of rounded amounts; 2 cents on Rwanda's)
        unlocked = alloc["gap_before"] - alloc["need"]
        assert (unlocked >= -0.05).all() and (unlocked > 1.0).any()

        # the portfolio file with these options
        raw = tomllib.loads(_download(pg, "The portfolio file with these options (TOML)", reruns=True).decode("utf-8"))
        assert raw["fund"] | {"envelope": 0} == {"id": "pooled_fund", "envelope": 0, "rule": "optimal",
                                                  "objective": "gap", "co_finances": ["gpe"], "floor": 25e6}

        # a floor the envelope cannot give every country: named, no numbers, no traceback
        _type(pg, "Floor [USD per country]", "40e6")
        error = pg.locator("[data-testid='stAlert']").filter(has_text="The portfolio cannot be run with this fund")
        error.wait_for()
        assert ("Floor [USD per country]: the floors need USD 80.0 M (each country's floor of USD 40.0 M, or its "
                "need when that is less), more than the envelope of USD 60.0 M") in error.inner_text()
        assert pg.locator("[data-testid='stMetric']").count() == 0
        _no_exception(pg)
        _screenshot(pg, "portfolio-floor-too-large")
        _type(pg, "Floor [USD per country]", "0")

        # the weighted rule: Rwanda's weight 3, Kenya's 1 -> shares in proportion to need x weight
        _choose(pg, "Rule", RULE_LABELS["weighted"])
        grid = pg.locator("[class*='st-key-portfolio_weights'] [data-testid='stDataFrame']")
        grid.wait_for()
        with _rerun(pg):  # an edit outside a form reruns the script
            _edit_grid_cell(pg, grid, 0, "Weight", "1", "3")
        _no_exception(pg)
        _screenshot(pg, "portfolio-weighted")
        alloc = _download_zip(pg, zip_name)["allocation.csv"].set_index("country")
        assert alloc["share"].sum() == pytest.approx(60e6, rel=1e-9)
        ratio = (alloc.loc["Rwanda", "share"] / alloc.loc["Kenya", "share"])
        assert ratio == pytest.approx(3 * alloc.loc["Rwanda", "need"] / alloc.loc["Kenya", "need"], rel=1e-6)
    finally:
        pg.context.close()


def test_the_portfolio_page_runs_the_users_own_workspace_scenario_and_downloads_it_with_its_files(
        browser, server, workspace, tmp_path):
    """A scenario of the user's, saved in the workspace, picked on the Portfolio page with a bundled one: the page
    runs them as a portfolio, shows what the fund reaches, and its download (the portfolio file with its scenario
    files, zipped), unzipped and run by dfl-finance portfolio, shares the fund as the page shows it."""
    from dfl_finance.app.workspace import Workspace
    from dfl_finance.cli import main
    from dfl_finance.model.load import apply_overrides

    mine, theirs = "Rwanda: my tight budget (portfolio test)", "Kenya: my plan (portfolio test)"
    scenario = apply_overrides(load_scenario(ROOT / "scenarios/rwanda-domestic.toml"),
                               {"scenario.name": mine, "source[mof].budget_share_cap": 0.02})
    kenya = apply_overrides(load_scenario(ROOT / "scenarios/kenya-domestic.toml"), {"scenario.name": theirs})
    entries = [Workspace(workspace).create(dump_scenario(s)) for s in (scenario, kenya)]
    pg = _new_page(browser)
    try:
        _goto(pg, f"{server}/portfolio")
        pg.get_by_role("heading", name="Portfolio", exact=True).wait_for()
        with _rerun(pg):
            pg.get_by_text("My scenarios (pick them)", exact=True).click()
        pg.get_by_text("Pick the scenarios of the countries").wait_for()
        # by name, typed (see _select): the list is virtualized, and these two come last, after the bundled scenarios
        # and what other tests saved (in a full run, a click on one of them at the list's edge started no run, and
        # the test waited out its 180 s)
        countries = pg.get_by_role("combobox", name="Countries' scenarios", exact=True)
        for option in (mine, theirs):
            _select(pg, countries, option)
        pg.keyboard.press("Escape")
        expect(pg.locator("[data-testid='stMultiSelect']").filter(has=countries).locator("[data-tag]")).to_have_text(
            [mine, theirs])
        pg.get_by_role("heading", name="What the fund reaches").wait_for()
        _no_exception(pg)
        shared = _metric_value(pg, "Shared [USD]")  # all to Rwanda, its gap (less than the envelope of 40 M):
        # Kenya's budget pays its plan
        assert shared.endswith(" M") and 0 < float(shared.removesuffix(" M")) <= 40.0
        reach = _grid_rows(pg.locator("[data-testid='stDataFrame']").filter(has_text="Reached by the fund").first)
        assert {(r["Country"], r["Programme"], r["Unit"]) for r in reach} >= {
            ("Rwanda", "Learner devices", "learners"), ("Rwanda", "Teacher data skills", "teachers")}
        _screenshot(pg, "portfolio-my-scenarios")
        # both countries: a grid that a run changes may show its former rows (one country) for a moment
        shown = _grid_rows(pg.locator("[data-testid='stDataFrame']").filter(has_text="Share of need [%]").first,
                           until="rows => rows.length === 2")
        shares = {r["Country"]: float(r["Share [USD]"].replace(",", "")) for r in shown}
        assert sorted(shares.values())[0] == 0.0  # Kenya's
        assert sum(shares.values()) == pytest.approx(float(shared.removesuffix(" M")) * 1e6, abs=0.05e6)
        data = _download(pg, "The portfolio file with these options and its scenario files (zip)", reruns=True)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            zf.extractall(tmp_path / "mine")
        assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == sorted(
            ["my-portfolio.toml", *(e.file for e in entries)])
        assert main(["portfolio", str(tmp_path / "mine" / "my-portfolio.toml"), "--out", str(tmp_path / "o")]) == 0
        alloc = pd.read_csv(tmp_path / "o" / "allocation.csv").set_index("country")
        assert alloc["share"].to_dict() == pytest.approx(shares, abs=0.5)  # the page shows whole USD
    finally:
        pg.context.close()
        for e in entries:
            Workspace(workspace).delete(e.base)


def _edit_grid_cell(page, grid, row: int, column: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in a cell of the data editor ``grid``: data row ``row`` (from 0) under the header
    ``column``, the grid's columns taken as of equal width (rows are 35 px under a 35 px header)."""
    grid.locator("[role='columnheader']").first.wait_for(state="attached")
    headers = grid.locator("[role='columnheader']").all_inner_texts()
    width = grid.locator(".dvn-scroller").bounding_box()["width"] / len(headers)
    editor = _open_cell_editor(page, grid, width * (headers.index(column) + 0.5), row)
    assert editor.input_value() == old  # the cell meant
    editor.fill(new)
    editor.press("Enter")
    editor.wait_for(state="detached")


def _grid_rows(grid, until: str = "rows => true") -> list[dict[str, str]]:
    """The rows of a table (st.dataframe) as its cells' texts by header (see :func:`_grid_cells`)."""
    header, *rows = _grid_cells(grid, until)
    return [dict(zip(header, row)) for row in rows]


# ------------------------------------------------------------------------------------------- the MTEF (issue 24)

def test_the_export_page_shows_the_mtef_table_and_downloads_the_budget_workbook(browser, server):
    """The Export page shows the MTEF table of the scenario picked (its programmes' totals in fiscal years) and
    downloads budget.xlsx and mtef.csv: the workbook opens with openpyxl, and its plan totals are the CSV's."""
    from openpyxl import load_workbook

    from dfl_finance.outputs.budget import mtef_df

    pg = _new_page(browser)
    try:
        _goto(pg, f"{server}/export")
        heading = pg.get_by_role("heading", name="Budget submission (MTEF)")
        heading.wait_for()
        expected = mtef_df(run(load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")))  # DEFAULT_SCENARIO
        first_year = str(expected["fiscal_year"].iloc[0])
        shown = _grid(heading.locator("xpath=following::*[@data-testid='stDataFrame'][1]"),
                      f"rows => rows.some(r => r['programme'] === 'total' && r['{first_year}'])")
        assert "total" in set(shown["economic_class"]) and first_year in shown.columns
        _screenshot(pg, "export-mtef")
        csv = pd.read_csv(io.BytesIO(_download(pg, "MTEF table (CSV)")))
        assert list(csv.columns) == list(expected.columns)
        wb = load_workbook(io.BytesIO(_download(pg, "Budget workbook (XLSX)")))
        assert wb.sheetnames == ["README", "MTEF", "Split", "Codes", "Sources"]
        plan = next(r for r in wb["MTEF"].iter_rows(min_row=2, values_only=True) if r[1] == "total" and r[2] ==
                    "total")
        totals = csv.loc[csv["programme"] == "total", "amount"].tolist()
        assert list(plan[3:3 + len(totals)]) == totals == expected.loc[expected["programme"] == "total",
                                                                        "amount"].tolist()
        _no_exception(pg)
    finally:
        pg.context.close()
