"""The app's Export page: the MTEF table shown and the budget workbook downloadable (streamlit AppTest), its totals
those of the CSV and of `dfl-finance budget` (issue 24)."""

import io

import pytest

pytest.importorskip("streamlit")
from openpyxl import load_workbook  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfl_finance import run, scenario_from_dict  # noqa: E402
from dfl_finance.app import PAGES  # noqa: E402
from dfl_finance.outputs.budget import budget_xlsx_bytes, mtef_df  # noqa: E402
from dfl_finance.outputs.export import csv_text  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.test_mtef import two_programmes  # noqa: E402

pytestmark = pytest.mark.slow  # the app's pages in AppTest (as test_app.py)


def test_export_shows_the_mtef_table_and_downloads_the_budget_workbook(workspace, downloads):
    import tomlkit

    raw = two_programmes()
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "two-programmes.toml").write_text(tomlkit.dumps(raw), encoding="utf-8")
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(PAGES["export"]).run()
    at.multiselect(key="export_pick").set_value(["Two programmes"]).run()
    assert not at.exception and not at.error, at.error
    assert at.selectbox(key="export_budget_pick").value == "Two programmes"
    shown = next(df.value for df in at.dataframe if "economic_class" in df.value.columns and "2026/27" in
                 df.value.columns)
    emis = shown[(shown["programme"] == "emis")].set_index("economic_class")
    # the sidebar's constant prices (the app's default): the page says a submission is in current prices
    assert any("a budget submission is written in current prices" in m.value for m in at.markdown)
    assert emis.loc["total", "2026/27"] == 1200 and emis.loc["ceiling", "2026/27"] == 1000
    assert emis.loc["over ceiling", "2026/27"] == 200
    res = run(scenario_from_dict(raw))
    mtef = mtef_df(res)
    assert downloads["download_mtef_csv"] == csv_text(mtef).encode("utf-8")
    assert downloads["download_budget_xlsx"] == budget_xlsx_bytes(res, mtef)
    wb = load_workbook(io.BytesIO(downloads["download_budget_xlsx"]))
    plan = next(r for r in wb["MTEF"].iter_rows(min_row=2, values_only=True) if r[1] == "total" and r[2] == "total")
    assert list(plan[3:6]) == list(mtef.loc[mtef["programme"] == "total", "amount"]) == [1800, 2400, 600]
    # the MTEF from 2026/27: two fiscal years of the plan are left, as `dfl-finance budget --first-year 2026`
    at.selectbox(key="export_budget_first").set_value("2026/27").run()
    assert not at.exception and not at.error, at.error
    assert downloads["download_mtef_csv"] == csv_text(mtef_df(res, 2026)).encode("utf-8")
    # a scenario picked instead: its own fiscal years (Rwanda's start in July, from its profile); the first year
    # picked is kept, as Rwanda has a 2026/27 too
    at.multiselect(key="export_pick").set_value(["Rwanda: IDA credit-led"]).run()
    assert not at.exception and not at.error, at.error
    assert at.selectbox(key="export_budget_pick").value == "Rwanda: IDA credit-led"
    assert at.selectbox(key="export_budget_first").options[:2] == ["2025/26", "2026/27"]
    assert at.selectbox(key="export_budget_first").value == "2026/27"


def test_export_writes_the_yearly_tables_by_fiscal_year_on_request(workspace, downloads):
    """The Years choice of the Export page: the zip's fiscal.csv has fiscal_year ("2025/26", ...) in place of year,
    as `dfl-finance run --years fiscal` writes it, with the same total."""
    import zipfile

    import pandas as pd
    import tomlkit

    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "two-programmes.toml").write_text(tomlkit.dumps(two_programmes()), encoding="utf-8")
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGES["export"]).run()
    at.multiselect(key="export_pick").set_value(["Two programmes"]).run()

    def costs() -> pd.DataFrame:
        with zipfile.ZipFile(io.BytesIO(downloads["download_csv_zip"])) as z:
            name = next(n for n in z.namelist() if n.endswith("costs.csv"))
            return pd.read_csv(z.open(name))

    calendar = costs()
    assert "year" in calendar.columns
    at.radio(key="export_years").set_value("fiscal").run()
    assert not at.exception and not at.error, at.error
    fiscal = costs()
    assert "fiscal_year" in fiscal.columns and "year" not in fiscal.columns
    assert list(fiscal["fiscal_year"].drop_duplicates()) == ["2025/26", "2026/27", "2027/28"]
    assert fiscal["amount"].sum() == pytest.approx(calendar["amount"].sum(), abs=0.01)


def test_compare_draws_its_yearly_charts_by_fiscal_year_on_request(workspace):
    """The Compare page offers calendar or fiscal years for its charts when a scenario's fiscal year is not the
    calendar year (Rwanda's starts in July, from its profile): by fiscal year the charts are those of the tables
    the Export page writes (compute.fiscal_year_tables, converted once): their years are 2025/26, ... (the
    quantitative axes labelled so); back to calendar years they are the calendar charts again. Scenarios whose
    fiscal year is the calendar year get no choice."""
    import tomlkit

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGES["compare"]).run()
    at.multiselect(key="compare_pick").set_value(["Rwanda: domestic budget only", "Rwanda: IDA credit-led"]).run()
    assert not at.exception, at.exception
    calendar = [str(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert at.radio(key="compare_years").value == "calendar" and not any("2025/26" in c for c in calendar)
    at.radio(key="compare_years").set_value("fiscal").run()
    assert not at.exception and not at.error, at.error
    charts = at.get("vega_lite_chart")
    fiscal = [str(c.proto.spec) for c in charts]
    assert len(fiscal) == len(calendar) and fiscal != calendar
    # every chart's data by fiscal year ("2025/26"), the burden and DSF lines' axes labelled so
    assert all(any(b"2025/26" in d.data.data for d in c.proto.datasets) or "2025/26" in str(c.proto.spec)
               for c in charts)
    assert sum("Fiscal year" in c and "labelExpr" in c for c in fiscal) == 2
    # the bar charts (costs, financing, debt service, the GFS outlays) title their axes so too, and no chart of
    # calendar years does
    assert sum("Fiscal year" in c and "labelExpr" not in c for c in fiscal) >= 4
    assert not any("Fiscal year" in c for c in calendar)
    assert "Fiscal years start in month 7" in " ".join(c.value for c in at.caption)
    at.radio(key="compare_years").set_value("calendar").run()
    assert [str(c.proto.spec) for c in at.get("vega_lite_chart")] == calendar
    # two plans in calendar years: no choice
    for name in ("Plan A", "Plan B"):
        raw = two_programmes(mtef=[])
        raw["scenario"].update(name=name, fiscal_year_start=1)
        workspace.mkdir(parents=True, exist_ok=True)
        (workspace / f"{name.lower().replace(' ', '-')}.toml").write_text(tomlkit.dumps(raw), encoding="utf-8")
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGES["compare"]).run()
    at.multiselect(key="compare_pick").set_value(["Plan A", "Plan B"]).run()
    assert not at.exception, at.exception
    assert not [r for r in at.radio if r.key == "compare_years"]
