"""The MTEF and the budget submission (issue 24): [[mtef]] ceilings, mtef.csv, budget.xlsx, `dfl-finance budget`.

Known answers worked by hand in the docstrings; the broken fixtures are tests/data/invalid/mtef_*.toml (run by
test_schema's parametrized test, which checks that each message names the file, the field and the value).
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from dfl_finance import ScenarioError, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.errors import DflFinanceError
from dfl_finance.inputs.mtef import fiscal_year_start_of
from dfl_finance.outputs.budget import (
    budget_lines,
    budget_sheets,
    budget_xlsx_bytes,
    gfs_code,
    line_codes,
    mtef_df,
    overview,
)
from dfl_finance.outputs.result import run
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import GFS_CLASSES
from tests.conftest import small_scenario_dict

MTEF_COLUMNS = ["fiscal_year", "budget_code", "programme", "economic_class", "budget_type", "financed", "amount",
                "ceiling", "over_ceiling", "price_basis", "currency"]


def two_programmes(inflation: float = 0.0, mtef: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Two programmes over 2026-2027, a July fiscal year: emis (salaries, fixed_opex 1,200 a year, paid by the
    budget up to 900 a year) and devices (tablets, fixed_capex 2,400 in 2026, paid by a grant)."""
    return {
        "scenario": {"name": "Two programmes", "start_year": 2026, "years": 2, "fiscal_year_start": 7,
                     "currency": "RWF", "price_year": 2026},
        "context": {"schools": 100, "learners": 1000, "teachers": 50, "education_budget": 1e6},
        "macro": {"inflation": inflation, "usd_inflation": 0.0, "fx_rate": 1000.0},
        "programme": [
            {"id": "emis", "pillar": "governance", "driver": "none",
             "cost": [{"item": "staff", "kind": "fixed_opex", "unit_cost": 1200.0,
                       "gfs_class": "compensation_of_employees"}]},
            {"id": "devices", "pillar": "infrastructure", "driver": "none",
             "cost": [{"item": "tablets", "kind": "fixed_capex", "unit_cost": 2400.0, "schedule": [2026]}]},
        ],
        "source": [
            {"id": "gpe", "kind": "grant", "eligible": ["devices"], "currency": "RWF"},
            {"id": "budget", "kind": "domestic", "eligible": ["emis"], "annual_cap": 900.0},
        ],
        "mtef": mtef if mtef is not None else [
            {"fiscal_year": 2025, "ceiling": 2000.0, "prices": "constant"},
            {"fiscal_year": "2026/27", "programme": "emis", "ceiling": 1000.0, "prices": "constant",
             "note": "a ceiling that binds"},
            {"fiscal_year": "2026/27", "programme": "devices", "ceiling": 1500.0, "prices": "constant"},
        ],
    }


def _row(df: pd.DataFrame, **match: str) -> pd.Series:
    hit = df
    for k, v in match.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, (match, hit)
    return hit.iloc[0]


# ------------------------------------------------------------------------------------------- known answers
def test_two_programmes_with_a_ceiling_that_binds_july_start():
    """By hand. Calendar years: emis costs 1,200 in 2026 and 2027, the budget pays 900 (its cap), the gap 300;
    devices cost 2,400 in 2026, the grant pays it all (external). A July start (m = 7): fiscal year t/t+1 takes
    (13 - 7)/12 = 6/12 of calendar year t and (7 - 1)/12 = 6/12 of t + 1.

    2025/26 = 6/12 of 2026: emis domestic 450, gap 150, total 600; devices external 1,200; plan 1,800 against the
    sector ceiling 2,000: over 0.
    2026/27 = 6/12 of 2026 + 6/12 of 2027: emis domestic 450 + 450 = 900, gap 150 + 150 = 300, total 1,200 against
    its ceiling 1,000: over 200 (what does not fit); devices 1,200 + 0 = 1,200 against 1,500: over 0; plan 2,400 (no
    sector ceiling: empty).
    2027/28 = 6/12 of 2027: emis domestic 450, gap 150, total 600; devices 0; plan 600.
    """
    res = run(scenario_from_dict(two_programmes()))
    m = mtef_df(res)
    assert list(m.columns) == MTEF_COLUMNS == columns("mtef")
    assert list(dict.fromkeys(m["fiscal_year"])) == ["2025/26", "2026/27", "2027/28"]
    detail = m[m["economic_class"] != "total"]
    got = {(r.fiscal_year, r.programme, r.financed): r.amount for r in detail.itertuples()}
    assert got == {
        ("2025/26", "emis", "domestic"): 450.0, ("2025/26", "emis", "gap"): 150.0,
        ("2025/26", "devices", "external"): 1200.0,
        ("2026/27", "emis", "domestic"): 900.0, ("2026/27", "emis", "gap"): 300.0,
        ("2026/27", "devices", "external"): 1200.0,
        ("2027/28", "emis", "domestic"): 450.0, ("2027/28", "emis", "gap"): 150.0}
    assert set(detail.loc[detail["programme"] == "emis", "economic_class"]) == {"compensation_of_employees"}
    assert set(detail.loc[detail["programme"] == "emis", "budget_type"]) == {"recurrent"}
    assert set(detail.loc[detail["programme"] == "devices", "economic_class"]) == {"nonfinancial_assets"}
    assert set(detail.loc[detail["programme"] == "devices", "budget_type"]) == {"development"}
    assert detail["ceiling"].isna().all() and detail["over_ceiling"].isna().all()
    emis = _row(m, fiscal_year="2026/27", programme="emis", economic_class="total")
    assert (emis.amount, emis.ceiling, emis.over_ceiling) == (1200.0, 1000.0, 200.0)
    devices = _row(m, fiscal_year="2026/27", programme="devices", economic_class="total")
    assert (devices.amount, devices.ceiling, devices.over_ceiling) == (1200.0, 1500.0, 0.0)
    plan = _row(m, fiscal_year="2025/26", programme="total")
    assert (plan.amount, plan.ceiling, plan.over_ceiling) == (1800.0, 2000.0, 0.0)
    plan = _row(m, fiscal_year="2026/27", programme="total")
    assert plan.amount == 2400.0 and math.isnan(plan.ceiling) and math.isnan(plan.over_ceiling)
    assert _row(m, fiscal_year="2027/28", programme="total").amount == 600.0
    assert _row(m, fiscal_year="2027/28", programme="devices").amount == 0.0  # a total row even without cost
    assert set(m["price_basis"]) == {"real-lcu"} and set(m["currency"]) == {"RWF"}


def test_first_year_moves_the_window_and_stops_at_the_plan():
    """--first-year 2026: the fiscal years 2026/27 and 2027/28 (the plan holds no later one)."""
    res = run(scenario_from_dict(two_programmes()))
    m = mtef_df(res, first_year=2026)
    assert list(dict.fromkeys(m["fiscal_year"])) == ["2026/27", "2027/28"]
    with pytest.raises(DflFinanceError, match="first_year: 2030.*2025 to 2027 \\(2025/26 to 2027/28\\)"):
        mtef_df(res, first_year=2030)


def test_ceilings_in_current_prices_are_deflated_by_the_fiscal_years_price_level():
    """By hand, inflation 10% from price_year 2026: the price level is 1.0 in 2026 and 1.1 in 2027. 2026/27 holds
    6/12 of each: its level is (1.0 + 1.1)/2 = 1.05, so a ceiling of 2,520 in current prices is 2,520/1.05 = 2,400 in
    constant 2026 prices. 2027/28 holds only 2027 of the plan: 1,100 current is 1,100/1.1 = 1,000 constant. In
    current prices (--basis nominal-lcu) each is as written."""
    rows = [{"fiscal_year": "2026/27", "ceiling": 2520.0, "prices": "current"},
            {"fiscal_year": "2027/28", "programme": "emis", "ceiling": 1100.0, "prices": "current"},
            {"fiscal_year": "2025/26", "programme": "emis", "ceiling": 700.0, "prices": "constant"}]
    res = run(scenario_from_dict(two_programmes(0.10, rows)))
    m = mtef_df(res)
    assert _row(m, fiscal_year="2026/27", programme="total").ceiling == 2400.0
    assert _row(m, fiscal_year="2027/28", programme="emis", economic_class="total").ceiling == 1000.0
    assert _row(m, fiscal_year="2025/26", programme="emis", economic_class="total").ceiling == 700.0
    nominal = mtef_df(res.in_basis("nominal-lcu"))
    assert _row(nominal, fiscal_year="2026/27", programme="total").ceiling == 2520.0
    assert _row(nominal, fiscal_year="2027/28", programme="emis", economic_class="total").ceiling == 1100.0
    # a constant ceiling in current prices: 700 x the level of 2025/26 (only 2026 of the plan: 1.0)
    assert _row(nominal, fiscal_year="2025/26", programme="emis", economic_class="total").ceiling == 700.0


def test_gfs_split_of_a_line_of_each_class():
    """One fixed_opex line of 100 a year per GFS class (the six expense classes and a fixed_capex line of
    nonfinancial assets), no source: a calendar fiscal year (m = 1), so each fiscal year is its calendar year and
    every class shows 100 in 2026, under its GFSM 2014 code (21 compensation of employees, 22 use of goods and
    services, 25 subsidies, 26 grants, 27 social benefits, 28 other expense, 31 nonfinancial assets), recurrent for
    the expenses and development for the asset; a line without a class takes its kind's (opex: 22)."""
    raw = small_scenario_dict()
    lines = [{"item": f"line {k}", "kind": "fixed_capex" if k == "nonfinancial_assets" else "fixed_opex",
              "unit_cost": 100.0, "gfs_class": k, **({"schedule": [2026]} if k == "nonfinancial_assets" else {})}
             for k in GFS_CLASSES]
    lines.append({"item": "unclassed", "kind": "fixed_opex", "unit_cost": 50.0})
    raw["programme"] = [{"id": "classes", "pillar": "governance", "driver": "none", "cost": lines}]
    res = run(scenario_from_dict(raw))
    m = mtef_df(res)
    first = m[(m["fiscal_year"] == "2026") & (m["economic_class"] != "total")]
    by_class = dict(zip(first["economic_class"], first["amount"]))
    assert by_class == {**{k: 100.0 for k in GFS_CLASSES}, "use_of_goods_and_services": 150.0}
    assert list(first["economic_class"]) == list(GFS_CLASSES)  # in the GFS order
    types = dict(zip(first["economic_class"], first["budget_type"]))
    assert types.pop("nonfinancial_assets") == "development" and set(types.values()) == {"recurrent"}
    assert set(first["financed"]) == {"gap"}
    codes = budget_sheets(res, m)["Codes"]
    assert dict(zip(codes["item"], codes["gfs_code"])) == {
        "line compensation_of_employees": "21", "line use_of_goods_and_services": "22", "line subsidies": "25",
        "line grants": "26", "line social_benefits": "27", "line other_expense": "28",
        "line nonfinancial_assets": "31", "unclassed": "22"}
    assert [gfs_code(k) for k in GFS_CLASSES] == ["21", "22", "25", "26", "27", "28", "31"]
    assert _row(m, fiscal_year="2026", programme="total").amount == 750.0


def test_fiscal_years_are_read_as_labels_or_starting_years():
    assert fiscal_year_start_of("2026/27", 7) == fiscal_year_start_of(2026, 7) == 2026
    assert fiscal_year_start_of("2099/00", 4) == 2099
    assert fiscal_year_start_of("2026", 1) == fiscal_year_start_of(2026, 1) == 2026
    for bad, month in (("2026/28", 7), ("2026/27", 1), ("2026", 7), ("FY26", 7)):
        with pytest.raises(ValueError):
            fiscal_year_start_of(bad, month)


def test_each_mtef_rule_names_the_field_and_the_value():
    rows = [{"fiscal_year": "2030/31", "ceiling": 1.0, "prices": "constant"},
            {"fiscal_year": 2026, "programme": "nope", "ceiling": 1.0, "prices": "constant"},
            {"fiscal_year": "2026/27", "programme": "emis", "ceiling": 1.0, "prices": "constant"},
            {"fiscal_year": 2026, "programme": "emis", "ceiling": 2.0, "prices": "current"}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(two_programmes(mtef=rows))
    found = {(p.path, str(p.value)) for p in info.value.problems}
    assert found == {("mtef[0].fiscal_year", "2030/31"), ("mtef[1].programme", "nope"),
                     ("mtef[3].fiscal_year", "2026")}
    text = str(info.value)
    assert "2025/26 to 2027/28" in text and "also mtef[2]" in text


# ------------------------------------------------------------------------------------------- the one reader
def test_the_lines_own_classification_is_used_and_an_off_budget_grant_leaves_the_mtef():
    """The lines' own economic_class, cofog, budget_type and budget_code (issue 24) are what the MTEF groups by; with
    the grant off budget (``on_budget = false``), devices cost nothing on budget, and the plan's 2025/26 is emis' 600
    alone."""
    d = two_programmes()
    for prog in d["programme"]:
        for line in prog["cost"]:
            line.pop("gfs_class", None)
            line.update(economic_class="use_of_goods_and_services", cofog="09.8", budget_type="recurrent",
                        budget_code="0901")
    d["source"][0]["on_budget"] = False
    res = run(scenario_from_dict(d))
    codes = line_codes(res)
    assert set(codes["cofog"]) == {"09.8"} and set(codes["budget_code"]) == {"0901"}
    lines = budget_lines(res)
    assert not lines.loc[(lines["programme"] == "devices") & (lines["amount"] > 0), "on_budget"].any()
    m = mtef_df(res)
    assert set(m.loc[m["programme"] != "total", "budget_code"]) == {"0901"}
    assert _row(m, fiscal_year="2025/26", programme="total").amount == 600.0  # the gap's empty cell: on budget
    assert set(m.loc[m["economic_class"] != "total", "economic_class"]) == {"use_of_goods_and_services"}


def test_budget_lines_add_up_to_the_costs():
    res = run(scenario_from_dict(two_programmes()))
    lines = budget_lines(res)
    costs = res.costs_df()
    assert np.isclose(lines["amount"].sum(), costs["amount"].sum())
    by_line = lines.groupby(["year", "item"])["amount"].sum()
    assert np.allclose(by_line.to_numpy(), costs.set_index(["year", "item"]).loc[by_line.index, "amount"])


@settings(max_examples=25, deadline=None)
@given(month=st.integers(1, 12), years=st.integers(1, 4), cost=st.integers(0, 10**7), cap=st.integers(0, 10**7))
def test_totals_add_up_and_whole_plan_is_kept(month: int, years: int, cost: int, cap: int):
    """Every total row is the sum of the rows above it, to the minor unit; over every fiscal year of the plan the
    MTEF holds the plan's whole cost (the (13 - m)/12 rule loses nothing)."""
    raw = two_programmes(mtef=[])
    raw["scenario"].update(fiscal_year_start=month, years=years)
    raw["programme"][0]["cost"][0]["unit_cost"] = float(cost)
    raw["source"][1]["annual_cap"] = float(cap)
    res = run(scenario_from_dict(raw))
    m = mtef_df(res, years=years + 1)
    for fy, rows in m.groupby("fiscal_year"):
        detail = rows[rows["economic_class"] != "total"]
        progs = rows[(rows["economic_class"] == "total") & (rows["programme"] != "total")]
        for pid, prow in progs.groupby("programme"):
            assert prow["amount"].iloc[0] == round(detail.loc[detail["programme"] == pid, "amount"].sum(), 0)
        assert rows.loc[rows["programme"] == "total", "amount"].iloc[0] == round(progs["amount"].sum(), 0)
    whole = m.loc[m["programme"] == "total", "amount"].sum()
    assert abs(whole - res.costs_df()["amount"].sum()) <= 0.5 * 3 * (years + 1)


# ------------------------------------------------------------------------------------------- the workbook
def test_workbook_opens_and_its_totals_equal_the_csv():
    res = run(scenario_from_dict(two_programmes()))
    m = mtef_df(res)
    data = budget_xlsx_bytes(res, m)
    assert data == budget_xlsx_bytes(res, m)  # the same tables, the same bytes
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["README", "MTEF", "Split", "Codes", "Sources"]
    ws = wb["MTEF"]
    assert ws.freeze_panes == "D2"
    header = [c.value for c in ws[1]]
    assert header == ["budget_code", "programme", "economic_class", "2025/26", "2026/27", "2027/28", "total"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    plan = next(r for r in rows if r[1] == "total" and r[2] == "total")
    csv_totals = m[m["programme"] == "total"].set_index("fiscal_year")["amount"]
    assert plan[3:6] == [csv_totals["2025/26"], csv_totals["2026/27"], csv_totals["2027/28"]] == [1800, 2400, 600]
    assert plan[6] == 4800
    over = next(r for r in rows if r[1] == "emis" and r[2] == "over ceiling")
    assert over[3:6] == [None, 200, None]
    cell = next(c for c in ws.iter_rows(min_row=2) if c[1].value == "emis" and c[2].value == "total")[4]
    assert cell.number_format == "#,##0" and cell.font.bold  # RWF has no minor unit
    split = [[c.value for c in r] for r in wb["Split"].iter_rows(min_row=2)]
    assert [r for r in split if r[0] == "total" and r[1] == "total"][0][2:] == [1800, 2400, 600, 4800]
    assert [r for r in split if r[0] == "recurrent" and r[1] == "domestic"][0][2:] == [450, 900, 450, 1800]
    assert [r for r in split if r[0] == "total" and r[1] == "external"][0][2:] == [1200, 1200, 0, 2400]
    sources = [[c.value for c in r] for r in wb["Sources"].iter_rows(min_row=2)]
    assert sources == [["gpe", "gpe", "grant", "external", True], ["budget", "budget", "domestic", "domestic", True]]
    ov = overview(res, m)
    assert set(ov["economic_class"]) == {"total", "ceiling", "over ceiling"}


def test_workbook_text_that_a_spreadsheet_would_run_is_inert_as_in_the_export():
    # the same cells as the tables' workbook (export.write_rows): text stays text, never a formula, and text that
    # starts like a formula carries Excel's text prefix
    raw = two_programmes()
    raw["scenario"]["name"] = "=HYPERLINK(\"http://x\")"
    raw["programme"][1]["cost"][0]["item"] = "@tablets"
    raw["source"][0]["name"] = "-1+2 grant"
    res = run(scenario_from_dict(raw))
    wb = load_workbook(io.BytesIO(budget_xlsx_bytes(res, mtef_df(res))))
    cells = {c.value: c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    name = cells["=HYPERLINK(\"http://x\")"]  # README: the scenario's name, shown as typed
    item = cells["@tablets"]  # Codes: the cost line's item
    label = cells["-1+2 grant"]  # Sources: the source's name
    assert all(c.data_type == "s" and c.quotePrefix for c in (name, item, label))
    assert not cells["emis"].quotePrefix and cells["emis"].data_type == "s"
    assert not any(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)


# ------------------------------------------------------------------------------------------- the command
def _toml(path, raw):
    import tomlkit

    path.write_text(tomlkit.dumps(raw), encoding="utf-8")
    return path


def test_budget_command_writes_the_csv_the_workbook_and_the_manifest(tmp_path, capsys):
    f = _toml(tmp_path / "two.toml", two_programmes())
    out = tmp_path / "out"
    assert main(["budget", str(f), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["budget.xlsx", "manifest.json", "mtef.csv"]
    csv = pd.read_csv(out / "mtef.csv")
    assert list(csv.columns) == MTEF_COLUMNS
    meta = json.loads((out / "manifest.json").read_text())
    assert {o["path"] for o in meta["outputs"]} == {"mtef.csv", "budget.xlsx"}
    assert meta["mtef"]["fiscal_years"] == ["2025/26", "2026/27", "2027/28"]
    wb = load_workbook(out / "budget.xlsx")
    plan = next(r for r in wb["MTEF"].iter_rows(min_row=2, values_only=True) if r[1] == "total" and r[2] == "total")
    assert list(plan[3:6]) == list(csv.loc[csv["programme"] == "total", "amount"])
    printed = capsys.readouterr().out
    assert "2026/27" in printed and "over ceiling" in printed and "wrote 3 files" in printed
    assert main(["verify", str(out)]) == 0
    # a budget submission is in current prices: nominal-lcu unless --basis says otherwise
    assert set(csv["price_basis"]) == {"nominal-lcu"} and meta["price_basis"] == "nominal-lcu"
    assert "current prices of each year" in printed
    assert main(["budget", str(f), "--out", str(tmp_path / "real"), "--basis", "real-lcu"]) == 0
    assert set(pd.read_csv(tmp_path / "real" / "mtef.csv")["price_basis"]) == {"real-lcu"}


def test_budget_help_says_the_default_is_current_prices(capsys):
    with pytest.raises(SystemExit):
        main(["budget", "--help"])
    assert "default: nominal-lcu, current prices" in " ".join(capsys.readouterr().out.split())


def test_budget_command_refuses_bad_input_with_exit_2(tmp_path, capsys):
    f = _toml(tmp_path / "two.toml", two_programmes())
    assert main(["budget", str(f), "--out", str(tmp_path / "o"), "--first-year", "2031"]) == 2
    err = capsys.readouterr().err
    assert "--first-year: 2031" in err and "Traceback" not in err
    bad = two_programmes(mtef=[{"fiscal_year": "2026/28", "ceiling": 1.0, "prices": "constant"}])
    g = _toml(tmp_path / "bad.toml", bad)
    assert main(["budget", str(g), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "mtef[0].fiscal_year" in err and "2026/28" in err
    assert not (tmp_path / "o").exists()


def test_no_ceilings_and_a_calendar_fiscal_year():
    """Without [[mtef]] rows every ceiling is empty; with fiscal_year_start = 1 the fiscal years are the calendar
    years, labelled 2026."""
    res = run(scenario_from_dict(small_scenario_dict()))
    m = mtef_df(res)
    assert list(dict.fromkeys(m["fiscal_year"])) == ["2026", "2027", "2028"]
    assert m["ceiling"].isna().all()
    sheets = budget_sheets(res, m)
    assert "ceiling" not in set(sheets["MTEF"]["economic_class"])


def test_a_bundled_scenario_in_cents_adds_up_to_the_cent_in_the_csv_and_the_workbook():
    """Kenya's IDA-GPE option (KES, two decimals) in current USD: every total of mtef.csv is the sum of the rows above
    it to the cent, and the workbook's MTEF and Split totals are the CSV's, shown to the cent."""
    from dfl_finance import load_scenario
    from tests.conftest import ROOT

    res = run(load_scenario(ROOT / "scenarios" / "kenya-ida-gpe.toml"), "nominal-usd")
    m = mtef_df(res)
    assert set(m["currency"]) == {"USD"} and set(m["price_basis"]) == {"nominal-usd"}
    assert (m["amount"].round(2) == m["amount"]).all()
    for _, rows in m.groupby("fiscal_year"):
        detail = rows[rows["economic_class"] != "total"]
        plan = rows.loc[rows["programme"] == "total", "amount"].iloc[0]
        assert plan == round(detail["amount"].sum(), 2)
    wb = load_workbook(io.BytesIO(budget_xlsx_bytes(res, m)))
    labels = list(dict.fromkeys(m["fiscal_year"]))
    csv_plan = m[m["programme"] == "total"]["amount"].tolist()
    mtef_plan = next(r for r in wb["MTEF"].iter_rows(min_row=2) if r[1].value == "total" and r[2].value == "total")
    assert [c.value for c in mtef_plan[3:3 + len(labels)]] == csv_plan
    assert mtef_plan[3].number_format == "#,##0.00"
    split_plan = next(r for r in wb["Split"].iter_rows(min_row=2, values_only=True) if r[:2] == ("total", "total"))
    assert list(split_plan[2:2 + len(labels)]) == csv_plan
    assert set(m.loc[m["economic_class"] != "total", "financed"]) <= {"domestic", "external", "gap"}
