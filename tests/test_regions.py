"""Regions below the nation: [[region]] rows, a programme's own regions, a school table's regions, and regions.csv
(docs/method.md, *Regions*). The broken fixtures are tests/data/invalid/region_*.toml and programme_regions_*.toml."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from dfl_finance import ScenarioError, run, scenario_from_dict
from dfl_finance.engine.regions import apportion, normalised
from dfl_finance.model.regions import NOT_SPLIT, region_split
from dfl_finance.outputs.tables import columns
from tests.conftest import ROOT, small_scenario_dict

EXAMPLE = ROOT / "examples" / "regions-kenya-counties.toml"


def _two_regions(**programme) -> dict:
    """Connectivity (500 a school, 100 schools reached linearly over 3 years) and an EMIS (1,000.01 a year), two
    regions North and South."""
    raw = small_scenario_dict()
    raw["scenario"]["years"] = 3
    raw["programme"][0].update(programme)
    raw["programme"].append({"id": "emis", "pillar": "governance", "driver": "none",
                             "cost": [{"item": "server", "kind": "fixed_opex", "unit_cost": 1000.01}]})
    raw["region"] = [{"name": "North", "schools": 0.3, "share": 0.5}, {"name": "South", "schools": 0.7, "share": 0.5}]
    return raw


def _cents(x: object) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float) * 100).astype(np.int64)


# ------------------------------------------------------------------------------------------------ apportion

def test_apportion_known_answers():
    # 100.00 in three equal parts: 3333.33.. cents each; floors 3333 x 3 = 9999, the cent left over goes to the
    # largest remainder, all equal (0.33..): the first region. 33.34 + 33.33 + 33.33 = 100.00.
    assert apportion(100.0, [1.0, 1.0, 1.0], 2).tolist() == [33.34, 33.33, 33.33]
    # 33 schools at 0.25 / 0.75: exact 8.25 and 24.75; floors 8 + 24 = 32, the one left goes to the larger
    # remainder (0.75, South): 8 and 25.
    assert apportion(33.0, [0.25, 0.75], 0).tolist() == [8.0, 25.0]
    # a total of zero splits into zeros, and weights that are all zero split equally
    assert apportion(0.0, [0.2, 0.8], 2).tolist() == [0.0, 0.0]
    assert apportion(10.0, [0.0, 0.0], 2).tolist() == [5.0, 5.0]
    # shares that add up to 0.999 (rounded publications) are divided by their sum: 0.333/0.999 = 1/3
    assert apportion(3.0, [0.333, 0.333, 0.333], 0).tolist() == [1.0, 1.0, 1.0]
    assert normalised([[2.0, 6.0]]).tolist() == [[0.25, 0.75]]


@settings(max_examples=200, deadline=None)
@given(total=st.floats(0.0, 1e12), weights=st.lists(st.floats(0.0, 1e6), min_size=1, max_size=8),
       digits=st.sampled_from([0, 2, 3]))
def test_apportion_adds_up_to_the_minor_unit(total, weights, digits):
    parts = apportion(total, weights, digits)
    scale = 10 ** digits
    units = np.round(parts * scale).astype(np.int64)
    assert units.sum() == int(np.round(np.round(total * scale)))  # the parts add up exactly, in minor units
    assert (units >= 0).all()
    exact = np.round(total * scale) * normalised(weights)
    assert (np.abs(units - exact) < 1.0 + 1e-6).all()  # each part within one minor unit of its exact share


# ------------------------------------------------------------------------------------------------ regions.csv

def test_regions_table_known_answer():
    # connectivity: 100 schools x 500 capex, reach 33, 67, 100 (linear from 0 to 1 over 3 years) plus no opex:
    # costs 16,500 / 17,000 / 16,500 (33, 34 and 33 new schools). Split by its own regions 0.25 / 0.75:
    # 2026: 4,125.00 and 12,375.00; reach 33 -> 8.25 / 24.75 -> 8 and 25 (largest remainder).
    # emis (driver none): split by the [[region]] share 0.5 / 0.5: 1,000.01 -> 500.005 each -> 50,000 cents each
    # and the cent left over to the first region (equal remainders): 500.01 North, 500.00 South.
    raw = _two_regions(regions={"North": 0.25, "South": 0.75})
    df = run(scenario_from_dict(raw)).tables()["regions"]
    assert list(df.columns) == columns("regions")
    y26 = df[df.year == 2026].set_index(["region", "programme"])
    assert y26.loc[("North", "connectivity"), "cost"] == 4125.0
    assert y26.loc[("South", "connectivity"), "cost"] == 12375.0
    assert y26.loc[("North", "connectivity"), "reach"] == 8
    assert y26.loc[("South", "connectivity"), "reach"] == 25
    assert y26.loc[("North", "emis"), "cost"] == 500.01
    assert y26.loc[("South", "emis"), "cost"] == 500.0
    assert y26.loc[("North", "emis"), "reach"] == 0
    assert set(df.price_basis) == {"real-lcu"} and set(df.currency) == {"USD"}


def test_the_driver_share_splits_a_programme_without_its_own_regions():
    # connectivity by [[region]] schools 0.3 / 0.7: 2026's 16,500 -> 4,950 and 11,550; reach 33 -> 9.9 / 23.1 ->
    # 10 and 23 (the unit left over goes to the larger remainder, 0.9)
    df = run(scenario_from_dict(_two_regions())).tables()["regions"]
    y26 = df[(df.year == 2026) & (df.programme == "connectivity")].set_index("region")
    assert y26["cost"].to_dict() == {"North": 4950.0, "South": 11550.0}
    assert y26["reach"].to_dict() == {"North": 10, "South": 23}


def test_a_programme_without_shares_for_its_driver_is_national():
    raw = _two_regions()
    raw["region"] = [{"name": "North", "learners": 0.4}, {"name": "South", "learners": 0.6}]
    split = region_split(scenario_from_dict(raw))
    assert split.names == ["North", "South", NOT_SPLIT]
    assert_array_equal(split.cost[0, 0], [0.0, 0.0, 1.0])  # connectivity (schools): no schools or share column
    df = run(scenario_from_dict(raw)).tables()["regions"]
    assert set(df.region) == {NOT_SPLIT}


def test_a_scenario_without_regions_has_an_empty_table_with_the_columns():
    df = run(scenario_from_dict(small_scenario_dict())).tables()["regions"]
    assert df.empty and list(df.columns) == columns("regions")


@settings(max_examples=8, deadline=None)
@given(a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0), unit_cost=st.floats(0.01, 1e7),
       currency=st.sampled_from(["USD", "RWF", "KWD"]))
def test_regions_add_up_to_the_national_tables(a, b, unit_cost, currency):
    """Property: for any shares and costs, the regions of each programme and year add up to costs.csv (the sum of
    its rows as published) to the minor unit, and to outcomes.csv's reach exactly."""
    total = a + b + 1.0
    raw = _two_regions(regions={"North": a / total, "South": (b + 1.0) / total})
    raw["programme"][0]["cost"][0]["unit_cost"] = unit_cost
    raw["scenario"]["currency"] = currency
    if currency != "USD":
        raw["macro"] = {"fx_rate": 1000.0 if currency == "RWF" else 0.3, "inflation": 0.05, "usd_inflation": 0.02}
    raw["region"][0]["share"] = raw["region"][1]["share"] = 0.5
    result = run(scenario_from_dict(raw))
    tables = result.tables()
    digits = result.digits
    regions, costs, outcomes = tables["regions"], tables["costs"], tables["outcomes"]
    by = regions.groupby(["year", "programme"])
    national = costs.groupby(["year", "programme"])["amount"].sum()
    scale = 10 ** digits
    got = np.round(by["cost"].sum() * scale).astype(np.int64)
    want = np.round(national * scale).astype(np.int64)
    assert_array_equal(got.sort_index().to_numpy(), want.sort_index().to_numpy())
    reach = by["reach"].sum().xs("connectivity", level="programme")
    assert_array_equal(reach.to_numpy(), outcomes.set_index("year")["reached"].to_numpy())


def test_a_school_table_splits_its_programme_by_its_regions(tmp_path):
    raw = small_scenario_dict()
    raw["programme"][0].pop("cost")
    raw["programme"][0]["schools"] = {"table": str(ROOT / "data" / "schools-rwanda-synthetic.csv")}
    result = run(scenario_from_dict(raw, folder=tmp_path))
    tables = result.tables()
    regions = tables["regions"]
    assert len(set(regions.region)) == 30 and "Region 1" in set(regions.region)
    assert list(dict.fromkeys(regions.region))[:3] == ["Region 1", "Region 2", "Region 3"]  # natural order
    by_year = regions.groupby("year")[["cost", "reach"]].sum()
    national = tables["costs"].groupby("year")["amount"].sum()
    assert_array_equal(_cents(by_year["cost"]), _cents(national))
    assert_array_equal(by_year["reach"].to_numpy(), tables["outcomes"]["reached"].to_numpy())


def test_the_school_split_follows_the_plan_school_by_school(tmp_path):
    """The weights of a school-linked programme: each region's cost is the cost of the plan's lines for its own
    schools, and its reach the schools connected by the end of each year."""
    from dfl_finance.inputs.schools import read_schools
    from dfl_finance.model.school_link import yearly_costs
    from dfl_finance.model.schools import plan_schools

    raw = small_scenario_dict()
    raw["programme"][0].pop("cost")
    raw["programme"][0]["schools"] = {"table": str(ROOT / "data" / "schools-rwanda-synthetic.csv")}
    split = region_split(scenario_from_dict(raw, folder=tmp_path))
    table = read_schools(ROOT / "data" / "schools-rwanda-synthetic.csv")
    plan = plan_schools(table, years=5, start_year=2026)
    mine = np.asarray(table.region) == "Region 7"
    cost = sum(a for _, a in yearly_costs(plan, mine).values())
    k = split.names.index("Region 7")
    assert_allclose(split.cost[:, 0, k], cost)
    connected = ((plan.costs.choice == -1) | ((plan.year_index >= 0) & (plan.year_index <= 2))) & mine
    assert split.reach[2, 0, k] == connected.sum()


def test_the_bundled_example_splits_kenya_into_its_47_counties():
    from dfl_finance import load_scenario

    sc = load_scenario(EXAMPLE)
    assert len(sc.region) == 47
    assert abs(sum(r.share or 0.0 for r in sc.region) - 1.0) < 1e-3
    assert all("KNBS" in r.note for r in sc.region)
    tables = run(sc).tables()
    regions = tables["regions"]
    assert set(regions.region) == {r.name for r in sc.region}
    national = tables["costs"]["amount"].sum()
    assert int(np.round(regions["cost"].sum() * 100)) == int(np.round(national * 100))


@pytest.mark.parametrize("regions", [{"North": 0.5, "South": 0.4995}, {"North": 0.5, "South": 0.5005}])
def test_shares_within_the_tolerance_are_accepted(regions):
    scenario_from_dict(_two_regions(regions=regions))


def test_a_programme_with_its_own_regions_needs_no_region_rows():
    raw = small_scenario_dict()
    raw["programme"][0]["regions"] = {"Kigali": 0.2, "Rest": 0.8}
    df = run(scenario_from_dict(raw)).tables()["regions"]
    assert set(df.region) == {"Kigali", "Rest"}


def test_every_region_error_names_the_field_and_the_value():
    raw = _two_regions(regions={"North": 0.7, "Nowhere": 0.7})
    raw["region"][1]["schools"] = 0.2
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    text = str(info.value)
    assert "region.schools: the shares add up to 0.5, not 1" in text
    assert "programme[0].regions.Nowhere: not a [[region]] name (known: North, South) (got 'Nowhere')" in text
    assert "programme[0].regions: the shares add up to 1.4, not 1 (within 0.001) (got 1.4)" in text


# ------------------------------------------------------------------------------------------------ fiscal years

def test_regions_by_fiscal_year_known_answer():
    """The issue's known answer, split by region: 1,200 a year in 2026 and 2027 with a July start is 600, 1,200 and
    600 in 2025/26, 2026/27 and 2027/28; at 0.25/0.75: 150/450, 300/900, 150/450. The reach (a stock) at the end of
    each fiscal year (June): 0 before the plan, 40 at the end of 2026, 80 at the end of 2027 give 0 + 6/12 x 40 = 20,
    40 + 6/12 x 40 = 60 and 80 (after the plan the reach stays); at 0.25/0.75: 5/15, 15/45, 20/60."""
    from dfl_finance.outputs.regions import regions_by_fiscal_year

    df = pd.DataFrame({"scenario": "s", "year": [2026, 2026, 2027, 2027], "region": ["A", "B", "A", "B"],
                       "programme": "p", "cost": [300.0, 900.0, 300.0, 900.0], "reach": [10, 30, 20, 60],
                       "price_basis": "real-lcu", "currency": "USD"})
    out = regions_by_fiscal_year(df, 7, 2)
    assert list(out.columns) == ["fiscal_year" if c == "year" else c for c in columns("regions")]
    got = out.set_index(["fiscal_year", "region"])
    assert got["cost"].to_dict() == {("2025/26", "A"): 150.0, ("2025/26", "B"): 450.0, ("2026/27", "A"): 300.0,
                                     ("2026/27", "B"): 900.0, ("2027/28", "A"): 150.0, ("2027/28", "B"): 450.0}
    assert got["reach"].to_dict() == {("2025/26", "A"): 5, ("2025/26", "B"): 15, ("2026/27", "A"): 15,
                                      ("2026/27", "B"): 45, ("2027/28", "A"): 20, ("2027/28", "B"): 60}
    # with 20 reached before the plan: 20 + 6/12 x (40 - 20) = 30 in 2025/26, split 0.25/0.75 -> 7.5/22.5 -> 8/22
    before = regions_by_fiscal_year(df, 7, 2, {("s", "p"): 20.0}).set_index(["fiscal_year", "region"])["reach"]
    assert (before["2025/26", "A"], before["2025/26", "B"]) == (8, 22)
    # a January start is the calendar year
    jan = regions_by_fiscal_year(df, 1, 2)
    assert jan["fiscal_year"].tolist() == ["2026", "2026", "2027", "2027"] and jan["cost"].sum() == 2400.0


def test_the_fiscal_regions_of_a_run_keep_the_totals_and_add_up():
    raw = _two_regions(regions={"North": 0.3, "South": 0.7})
    raw["scenario"]["fiscal_year_start"] = 7
    raw["programme"][0]["start_share"] = 0.2
    result = run(scenario_from_dict(raw))
    calendar = result.regions_df()
    fiscal = result.regions_fiscal_df()
    assert fiscal["fiscal_year"].unique().tolist() == ["2025/26", "2026/27", "2027/28", "2028/29"]
    for p in ("connectivity", "emis"):  # the cost over the whole horizon is the same in both calendars
        assert _cents(fiscal[fiscal.programme == p]["cost"].sum()) == _cents(calendar[calendar.programme == p]["cost"]
                                                                             .sum())
    # the first fiscal year ends in June 2026: halfway from the 20 schools before the plan to the 47 of end-2026
    outcomes = result.outcomes_df()
    first = fiscal[(fiscal.fiscal_year == "2025/26") & (fiscal.programme == "connectivity")]["reach"].sum()
    assert first == round(20 + 0.5 * (outcomes["reached"].iloc[0] - 20))


@settings(max_examples=25, deadline=None)
@given(costs=st.lists(st.lists(st.integers(0, 10**9), min_size=3, max_size=3), min_size=1, max_size=4),
       month=st.integers(1, 12))
def test_fiscal_regions_keep_the_total_to_the_minor_unit(costs, month):
    """Property: for any regional costs (in cents) over three years and any start month, the fiscal years add up to
    the calendar years' total to the minor unit, and no part is negative."""
    from dfl_finance.outputs.regions import regions_by_fiscal_year

    rows = [{"scenario": "s", "year": 2026 + y, "region": f"R{k}", "programme": "p", "cost": c[y] / 100,
             "reach": 0, "price_basis": "real-lcu", "currency": "USD"} for k, c in enumerate(costs) for y in range(3)]
    out = regions_by_fiscal_year(pd.DataFrame(rows), month, 2)
    assert _cents(out["cost"]).sum() == sum(sum(c) for c in costs)
    assert (out["cost"] >= 0).all()
    assert len(out) == len(costs) * (3 if month == 1 else 4)


def test_editing_the_programmes_table_keeps_a_programmes_own_regions():
    """The app's tables view does not show a programme's regions: they stay as they were, also when the table renames
    the programme."""
    from dfl_finance.app.editing import scenario_from_tables, tables_of

    raw = small_scenario_dict()
    raw["programme"][0]["regions"] = {"A": 0.5, "B": 0.5}
    sc = scenario_from_dict(raw)
    progs, lines, sources = tables_of(sc)
    progs.loc[0, "id"] = "link"
    lines["programme"] = "link"
    edited = scenario_from_tables(sc, progs, lines, sources)
    assert edited.programme[0].id == "link" and edited.programme[0].regions == {"A": 0.5, "B": 0.5}


def test_a_programme_can_keep_a_central_cost_national():
    # emis's own regions {"national": 1.0} beside [[region]] rows: "national" is always a known name
    raw = _two_regions()
    raw["programme"][1]["regions"] = {"national": 1.0}
    df = run(scenario_from_dict(raw)).tables()["regions"]
    assert set(df[df.programme == "emis"].region) == {NOT_SPLIT}
    assert set(df[df.programme == "connectivity"].region) == {"North", "South"}


def test_a_school_tables_regions_must_be_region_names_when_the_scenario_has_them(tmp_path):
    """tests/data/invalid/schools-regions.csv has North, South and Atlantis (line 4): with [[region]] rows North and
    South, Atlantis is refused, naming the table, the line, the column and the value; with Atlantis a [[region]] too,
    the scenario loads; without [[region]] rows the table's own regions are taken as they are."""
    table = ROOT / "tests" / "data" / "invalid" / "schools-regions.csv"

    def raw(regions: list[str]) -> dict:
        r = small_scenario_dict()
        r["programme"][0].pop("cost")
        r["programme"][0]["schools"] = {"table": str(table)}
        if regions:
            r["region"] = [{"name": n, "schools": 1 / len(regions)} for n in regions]
        return r

    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw(["North", "South"]), folder=tmp_path)
    assert (f"programme[0].schools.table: {table}: row 4, region: not a [[region]] name (known: North, South) "
            "(got 'Atlantis')") in str(info.value)
    assert len(info.value.problems) == 1
    scenario_from_dict(raw(["North", "South", "Atlantis"]), folder=tmp_path)
    scenario_from_dict(raw([]), folder=tmp_path)


def test_the_rwanda_province_example_adds_up_to_the_nation_by_the_2012_census():
    """examples/regions-rwanda-provinces.toml: the five provinces of the 2012 census (NISR RPHC4), 2,595,703 +
    2,589,975 + 2,471,239 + 1,726,370 + 1,132,686 = 10,515,973 residents, so their shares add up to 1; the plan's
    cost by province adds up to costs.csv to the franc, and Kigali City takes 1,132,686 / 10,515,973 = 10.77% of the
    connectivity programme's cost in every year (its driver, schools, split by population)."""
    from dfl_finance import load_scenario

    sc = load_scenario(ROOT / "examples" / "regions-rwanda-provinces.toml")
    assert [r.name for r in sc.region] == ["Eastern", "Southern", "Western", "Northern", "Kigali City"]
    assert sum(r.share for r in sc.region) == pytest.approx(1.0, abs=1e-6)
    tables = run(sc).tables()
    regions, costs = tables["regions"], tables["costs"]
    assert regions["cost"].sum() == pytest.approx(costs["amount"].sum(), abs=0.5)
    conn = regions[regions["programme"] == "connectivity"].groupby("year")["cost"]
    kigali = regions[(regions["programme"] == "connectivity") & (regions["region"] == "Kigali City")]
    share = kigali.set_index("year")["cost"] / conn.sum()
    assert share[conn.sum() > 1e6].to_numpy() == pytest.approx(1_132_686 / 10_515_973, abs=1e-5)
