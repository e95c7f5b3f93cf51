"""The budget's own classifications (issue 24): each line's GFS economic class, COFOG group, budget type and budget
code in costs.csv and financing.csv; financed and on_budget; a user's code list; budget execution (the gap and the
burden on what is expected to be spent). Known answers worked by hand, and properties over any scenario."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfl_finance import ScenarioError, load_scenario, run, scenario_from_dict
from dfl_finance.engine.execution import cell_execution, execution_ratio, expected_payments
from dfl_finance.inputs.budget import parse_code_list
from dfl_finance.inputs.io import bundle
from dfl_finance.inputs.profiles import templates
from dfl_finance.vocabulary import COFOG_GROUPS, DEFAULT_EXECUTION, GFS_CLASSES
from tests.conftest import ROOT, small_scenario_dict
from tests.strategies import scenario_dicts

INVALID = ROOT / "tests" / "data" / "invalid"


def _one_year(lines: list[dict], sources: list[dict], **meta) -> dict:
    """A USD plan of one year (2026), driver none, no years after it, a budget of 1,000,000 the plan may all take."""
    return {
        "scenario": {"name": "Budget", "start_year": 2026, "years": 1, "currency": "USD", "post_horizon_years": 0,
                     **meta},
        "context": {"schools": 10, "learners": 100, "teachers": 5, "education_budget": 1e6, "burden_limit": 1.0},
        "programme": [{"id": "p", "pillar": "governance", "driver": "none", "cost": lines}],
        "source": sources,
    }


# ------------------------------------------------------------------------------------------ classification

def test_the_classification_of_a_line_of_each_kind_by_default_and_as_written():
    """Defaults by kind (GFSM 2014: capex buys nonfinancial assets, opex goods and services; capex is development,
    opex recurrent; COFOG 09.8), the programme's code inherited, and what a line writes kept: a salary line
    (compensation of employees, 09.1, its own code), a grant line written with the old name gfs_class."""
    raw = small_scenario_dict()
    raw["programme"][0]["budget_code"] = "1066-0501000"
    raw["programme"][0]["cost"] += [
        {"item": "service", "kind": "opex", "unit_cost": 10.0},
        {"item": "salaries", "kind": "fixed_opex", "unit_cost": 100.0, "economic_class": "compensation_of_employees",
         "cofog": "09.1", "budget_type": "recurrent", "budget_code": "1066-0501000-08"},
        {"item": "school grants", "kind": "fixed_opex", "unit_cost": 60.0, "gfs_class": "grants"},
        {"item": "platform", "kind": "fixed_capex", "unit_cost": 1000.0, "budget_type": "recurrent"}]
    costs = run(scenario_from_dict(raw)).costs_df()
    first = costs[costs["year"] == 2026].set_index("item")
    assert first.loc["terminal", ["economic_class", "cofog", "budget_type", "budget_code"]].tolist() == [
        "nonfinancial_assets", "09.8", "development", "1066-0501000"]
    assert first.loc["service", ["economic_class", "budget_type"]].tolist() == ["use_of_goods_and_services",
                                                                               "recurrent"]
    assert first.loc["salaries", ["economic_class", "cofog", "budget_type", "budget_code"]].tolist() == [
        "compensation_of_employees", "09.1", "recurrent", "1066-0501000-08"]
    assert first.loc["school grants", "economic_class"] == "grants"  # the old name still read
    assert first.loc["platform", "budget_type"] == "recurrent"  # as written, against its kind's default
    assert list(costs.columns[-4:]) == ["economic_class", "cofog", "budget_type", "budget_code"]


def test_economic_class_and_gfs_class_may_both_be_given_when_they_agree():
    raw = small_scenario_dict()
    raw["programme"][0]["cost"][0] |= {"economic_class": "grants", "gfs_class": "grants"}
    assert run(scenario_from_dict(raw)).costs_df()["economic_class"].eq("grants").all()
    raw["programme"][0]["cost"][0]["gfs_class"] = "subsidies"
    with pytest.raises(ScenarioError, match=r"programme\[0\]\.cost\[0\]\.economic_class: differs from gfs_class"):
        scenario_from_dict(raw)


def test_every_template_line_says_its_class_cofog_and_type():
    for name, template in templates().items():
        for line in template["cost"]:
            assert line["economic_class"] in GFS_CLASSES, (name, line["item"])
            assert line["cofog"] in COFOG_GROUPS, (name, line["item"])
            assert line["budget_type"] in ("recurrent", "development"), (name, line["item"])


def test_financing_rows_are_split_over_the_classes_of_their_cell():
    """One opex cell of two lines: salaries 100 (compensation of employees, code 01) and hosting 40 (goods and
    services, code 02), 140 in all. The grant pays 50, the budget the other 90. By hand, pro rata to cost and
    rounded so that the parts add up to the row (each part the change of the rounded running total):
    grant: 50 x 100 / 140 = 35.714... -> 35.71, then 50 - 35.71 = 14.29;
    budget: 90 x 100 / 140 = 64.2857... -> 64.29, then 90 - 64.29 = 25.71."""
    raw = _one_year([
        {"item": "salaries", "kind": "fixed_opex", "unit_cost": 100.0, "economic_class": "compensation_of_employees",
         "budget_code": "01"},
        {"item": "hosting", "kind": "fixed_opex", "unit_cost": 40.0, "budget_code": "02"}],
        [{"id": "gpe", "kind": "grant", "annual_cap": 50.0, "on_budget": False},
         {"id": "mof", "kind": "domestic", "budget_share_cap": 1.0}])
    fin = run(scenario_from_dict(raw)).financing_df()
    rows = {(r.source, r.budget_code): (r.amount, r.economic_class, r.financed, r.on_budget)
            for r in fin.itertuples()}
    assert rows == {
        ("gpe", "01"): (35.71, "compensation_of_employees", "external", False),
        ("gpe", "02"): (14.29, "use_of_goods_and_services", "external", False),
        ("mof", "01"): (64.29, "compensation_of_employees", "domestic", True),
        ("mof", "02"): (25.71, "use_of_goods_and_services", "domestic", True)}
    assert fin.groupby("source")["amount"].sum().round(2).to_dict() == {"gpe": 50.0, "mof": 90.0}


def test_the_gap_rows_are_financed_by_no_one():
    """No source: the whole cost is the gap, financed = gap and on_budget empty."""
    fin = run(scenario_from_dict(small_scenario_dict())).financing_df()
    assert set(fin["source"]) == {"gap"} and set(fin["financed"]) == {"gap"} and fin["on_budget"].isna().all()


# ------------------------------------------------------------------------------------------- the code list

def _with_codes(tmp_path, codes: str, programme_code: str) -> dict:
    (tmp_path / "codes.csv").write_text(codes, encoding="utf-8")
    raw = small_scenario_dict()
    raw["scenario"]["budget_codes"] = "codes.csv"
    raw["programme"][0]["budget_code"] = programme_code
    return raw


CODES = ("code,level,name,parent\n1066,vote,State Department for Basic Education,\n"
         "1066-0501000,programme,Primary Education,1066\n")


def test_a_code_list_is_read_relative_to_the_scenario_and_checked(tmp_path):
    raw = _with_codes(tmp_path, CODES, "1066-0501000")
    sc = scenario_from_dict(raw, folder=tmp_path)
    assert run(sc).costs_df()["budget_code"].eq("1066-0501000").all()
    raw["programme"][0]["budget_code"] = "1066-0502000"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw, folder=tmp_path)
    assert "programme[0].budget_code: is not in the code list" in str(info.value)
    assert "codes.csv" in str(info.value) and "1066-0502000" in str(info.value)


def test_parse_code_list_reads_the_rows_and_a_byte_order_mark():
    rows = parse_code_list("\ufeff" + CODES, "codes.csv")
    assert list(rows) == ["1066", "1066-0501000"] and rows["1066-0501000"].parent == "1066"


def test_the_code_list_travels_with_a_bundle(tmp_path):
    raw = _with_codes(tmp_path, CODES, "1066-0501000")
    text = (INVALID / "budget_code_not_in_list.toml").read_text().replace("1066-0509000", "1066-0501000")
    (tmp_path / "s.toml").write_text(text)
    out = bundle({"s.toml": text}, INVALID)
    assert any(name.endswith("budget-codes.csv") for name in out)
    assert raw  # the scenario itself is unchanged


def test_an_unknown_code_exits_2_without_a_traceback():
    bad = INVALID / "budget_code_not_in_list.toml"
    proc = subprocess.run([sys.executable, "-m", "dfl_finance", "validate", str(bad)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert "programme[0].budget_code" in proc.stderr and "1066-0509000" in proc.stderr and str(bad) in proc.stderr
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------------------------- execution

def test_two_sources_one_at_80_percent_execution():
    """A cost of 1,000 in 2026 (fixed_opex); a grant pays 500 (its annual cap) and executes 80%; the budget pays the
    other 500 and executes 100%. By hand: expected spending 500 x 0.8 + 500 x 1.0 = 400 + 500 = 900.
    As planned: gap 0, domestic outlay 500, burden 500. On expected spending: gap 1,000 - 900 = 100 (0 + the grant's
    500 - 400 unexecuted), domestic outlay 500, burden 500; burden share 500 / 1,000,000 = 0.0005."""
    raw = _one_year([{"item": "service", "kind": "fixed_opex", "unit_cost": 1000.0}],
                    [{"id": "gpe", "kind": "grant", "annual_cap": 500.0, "execution": 0.8},
                     {"id": "mof", "kind": "domestic", "budget_share_cap": 1.0}])
    result = run(scenario_from_dict(raw))
    fiscal = result.fiscal_df().set_index("year").loc[2026]
    assert fiscal[["gap", "gap_expected", "domestic_outlay", "domestic_outlay_expected", "government_burden",
                   "government_burden_expected"]].tolist() == [0.0, 100.0, 500.0, 500.0, 500.0, 500.0]
    assert fiscal["burden_share_expected"] == pytest.approx(0.0005)
    s = result.summary()
    assert (s["total_gap"], s["total_gap_expected"], s["total_domestic_expected"], s["domestic_burden"],
            s["domestic_burden_expected"]) == (0.0, 100.0, 500.0, 500.0, 500.0)


def test_the_budget_at_90_percent_and_a_line_at_half():
    """The same plan, the budget executing 90%: its 500 -> 450, gap on expected spending 100 + 50 = 150, the burden
    on expected spending 450. Then one line of two executing half: lines 100 (e = 0.5) and 300 (e = 1), the budget
    pays all 400: the cell's rate (100 x 0.5 + 300) / 400 = 0.875, expected 350, gap on expected spending 50."""
    raw = _one_year([{"item": "service", "kind": "fixed_opex", "unit_cost": 1000.0}],
                    [{"id": "gpe", "kind": "grant", "annual_cap": 500.0, "execution": 0.8},
                     {"id": "mof", "kind": "domestic", "budget_share_cap": 1.0, "execution": 0.9}])
    s = run(scenario_from_dict(raw)).summary()
    assert (s["total_gap_expected"], s["total_domestic_expected"], s["domestic_burden_expected"]) == (150.0, 450.0,
                                                                                                      450.0)
    raw = _one_year([{"item": "a", "kind": "fixed_opex", "unit_cost": 100.0, "execution": 0.5},
                     {"item": "b", "kind": "fixed_opex", "unit_cost": 300.0}],
                    [{"id": "mof", "kind": "domestic", "budget_share_cap": 1.0}])
    s = run(scenario_from_dict(raw)).summary()
    assert (s["total_gap"], s["total_gap_expected"], s["total_domestic_expected"]) == (0.0, 50.0, 350.0)


def test_a_loans_debt_service_follows_its_execution():
    """A loan of 10%, no grace, 2 years, linear, pays a capex of 1,000 in 2026 and executes 80%. As planned: 2027
    interest 10% x 1,000 = 100 + principal 500 = 600; 2028 interest 10% x 500 = 50 + principal 500 = 550. On expected
    spending the loan disburses 800 (r = 800 / 1,000 = 0.8), so 600 x 0.8 = 480 and 550 x 0.8 = 440; the summary's
    burden 1,150 as planned and 920 expected; the gap on expected spending 200."""
    raw = _one_year([{"item": "servers", "kind": "fixed_capex", "unit_cost": 1000.0}],
                    [{"id": "ida", "kind": "loan", "rate": 0.10, "grace_years": 0, "maturity_years": 2,
                      "repayment": "linear", "execution": 0.8}])
    result = run(scenario_from_dict(raw))
    fiscal = result.fiscal_df().set_index("year")
    assert fiscal.loc[[2027, 2028], "government_burden"].tolist() == [600.0, 550.0]
    assert fiscal.loc[[2027, 2028], "government_burden_expected"].tolist() == [480.0, 440.0]
    s = result.summary()
    assert (s["domestic_burden"], s["domestic_burden_expected"], s["total_gap_expected"]) == (1150.0, 920.0, 200.0)


def test_the_engine_functions_by_hand():
    rate = cell_execution(np.array([[[100.0, 300.0, 0.0]]]), np.array([0, 0, 1]), np.array([0.5, 1.0, 0.2]), 2)
    assert rate.tolist() == [[[0.875, 1.0]]]  # a cell that costs nothing: 1
    pay = np.array([[[[100.0, 0.0], [100.0, 0.0]]]])
    assert expected_payments(pay, np.array([0.8, 1.0]), rate).tolist() == [[[[70.0, 0.0], [87.5, 0.0]]]]
    assert execution_ratio(np.array([[0.0, 0.0]]), np.array([[0.0, 0.0]])).tolist() == [1.0]


def test_the_default_execution_is_a_placeholder_one_for_every_kind():
    assert set(DEFAULT_EXECUTION.values()) == {1.0}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=scenario_dicts(), codes=st.lists(st.sampled_from(["01", "02", "03-1"]), min_size=12, max_size=12),
       classes=st.lists(st.sampled_from(GFS_CLASSES), min_size=12, max_size=12))
def test_property_the_split_creates_and_loses_nothing_and_full_execution_changes_nothing(raw, codes, classes):
    """Any valid scenario, its lines given any classes and codes: financing.csv's rows add up, by year, source,
    programme and cost kind, to what the source pays of the cell (the rounded cell, to the minor unit); with every
    execution rate at its default (1) the figures on expected spending are the planned ones."""
    j = 0
    for p in raw["programme"]:
        for line in p.get("cost", []):
            line["economic_class"], line["budget_code"] = classes[j % 12], codes[j % 12]
            j += 1
    result = run(scenario_from_dict(raw))
    fin = result.financing_df()
    keys = ["year", "source", "programme", "cost_kind"]
    split = fin.groupby(keys)["amount"].sum()
    sc = result.scenario
    ids = [s.id for s in sc.source] + ["gap"]
    paid = result._paid  # (Y, S + 1, C), rounded
    cells = [(p.id, k) for p in sc.programme for k in ("capex", "opex")]
    for (year, source, programme, kind), amount in split.items():
        cell = paid[year - sc.scenario.start_year, ids.index(source), cells.index((programme, kind))]
        assert round(amount, result.digits) == pytest.approx(cell, abs=10 ** -result.digits / 2)
    fiscal = result.fiscal_df()
    for a, b in (("gap", "gap_expected"), ("domestic_outlay", "domestic_outlay_expected"),
                 ("government_burden", "government_burden_expected")):
        assert (fiscal[a] == fiscal[b]).all(), a
    s = result.summary()
    assert s.get("total_gap_expected") == s.get("total_gap")
    assert s.get("total_domestic_expected") == s.get("total_domestic")
    assert isinstance(fin, pd.DataFrame)


def test_the_bundled_kenya_and_rwanda_programmes_carry_budget_codes():
    for name in ("kenya-domestic", "kenya-ida-gpe", "rwanda-domestic", "rwanda-ida-credit", "rwanda-grants-gpe",
                 "rwanda-ppp", "rwanda-philanthropy"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        assert all(p.budget_code for p in sc.programme), name
