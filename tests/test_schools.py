"""School by school: the least-cost technology by hand, its properties, the rollout, the equity view, bad tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import ScenarioError
from dfl_finance.cli import main
from dfl_finance.engine.rollout import connection_order, connection_years
from dfl_finance.engine.schools import TECHNOLOGIES, Schools, school_costs
from dfl_finance.inputs.schools import check_schools, nearest_km, read_schools
from dfl_finance.model.schools import engine_schools, plan_schools
from dfl_finance.model.technology import default_technologies
from dfl_finance.outputs.schools import school_tables
from dfl_finance.studies.schools import generate_schools

ROOT = Path(__file__).resolve().parents[1]


def _school(**kw):
    row = {"school_id": "x", "region": "North", "lat": -1.9, "lon": 30.0, "area": "rural", "learners": 100,
           "teachers": 3, "electricity": True, "connectivity": "none", "fiber_distance_km": 2.0, "coverage": "4G",
           "tower_distance_km": 3.0}
    row.update(kw)
    return row


FIVE = pd.DataFrame([
    # 4,000 learners need 200 Mbps (50 kbps each), more than a satellite (150), a 4G or a p2p link (100) gives
    _school(school_id="fibre", learners=4000, fiber_distance_km=0.5),
    # 2,400 learners need 120 Mbps: the 4G tower at 3 km is in range, but cellular's 100 Mbps cap rules it out
    _school(school_id="capped", learners=2400, fiber_distance_km=30.0, tower_distance_km=3.0),
    _school(school_id="satellite"),
    _school(school_id="no power", electricity=False),
    _school(school_id="connected", connectivity="fibre"),
    _school(school_id="nothing", learners=4000, fiber_distance_km=50.0, coverage="none", tower_distance_km=80.0),
])


def test_five_schools_by_hand():
    """Over 5 years at 0% with the technology table's values (the choice counts 5 years of opex, as the plan):

    - fibre, 0.5 km, 200 Mbps: 1,450 + 7,500 x 0.5 = 5,200 once (20-year life); 100 x 0.5 + 108 x 200 = 21,650 a
      year -> 5,200 + 5 x 21,650 = 113,450 (satellite, 4G and p2p are capped below 200 Mbps)
    - capped, 120 Mbps, fibre at 30 km (beyond 20), 4G at 3 km: cellular capped at 100 Mbps, p2p too; satellite
      (150) -> terminal 515 bought in years 0 and 4 (4-year life) + 5 x 534 a year = 1,030 + 2,670 = 3,700
    - satellite, 100 learners -> 20 Mbps: 3,700 (cellular 534 x 2 + 5 x 120 x 20 = 13,068; fibre at 2 km
      1,450 + 15,000 + 5 x (200 + 2,160) = 28,250)
    - the same without power: + solar for the satellite's 200 W at 3.0 USD/W = 600, once in 10 years -> 4,300
    - already connected: existing, no new cost; 200 Mbps with no fibre, no coverage and a tower out of reach: none
    """
    plan = plan_schools(check_schools(FIVE), years=5)
    df = plan.schools_df().set_index("school_id")
    assert df["technology"].to_dict() == {"fibre": "fibre", "capped": "satellite", "satellite": "satellite",
                                          "no power": "satellite", "connected": "existing", "nothing": "none"}
    assert df["cost_horizon"].to_dict() == pytest.approx({"fibre": 113450.0, "capped": 3700.0, "satellite": 3700.0,
                                                         "no power": 4300.0, "connected": 0.0, "nothing": 0.0})
    assert df.loc["fibre", "capex"] == 5200.0 and df.loc["fibre", "opex_per_year"] == pytest.approx(21650.0)
    assert df.loc["no power", "power"] and not df.loc["satellite", "power"] and not df.loc["connected", "power"]
    assert df.loc["no power", "capex"] == 515.0 + 600.0
    cellular = TECHNOLOGIES.index("cellular")
    assert not plan.costs.feasible[1, cellular]  # the cap, not the range, rules cellular out
    assert plan_schools(check_schools(FIVE.iloc[[1]].assign(learners=1000)), years=5).costs.feasible[0, cellular]
    # the schools connected in the plan: all but the existing one and the one no technology serves
    assert df["year_connected"].isna().to_dict() == {"fibre": False, "capped": False, "satellite": False,
                                                     "no power": False, "connected": True, "nothing": True}


def test_power_is_the_technologys_watts_times_the_cost_of_a_watt():
    """Off the grid, each technology's solar capex is its required watts (Giga, Rwanda) x 3.0 USD/W: fibre 500 W ->
    1,500; cellular 10 W -> 30; p2p 10 W -> 30; satellite 200 W -> 600. On the grid: nothing."""
    s = engine_schools(check_schools(pd.DataFrame([_school(electricity=False), _school(school_id="y")])))
    c = school_costs(s, default_technologies(), 5)
    extra = c.capex_options[0] - c.capex_options[1]
    assert dict(zip(TECHNOLOGIES, extra.tolist())) == pytest.approx(
        {"fibre": 1500.0, "cellular": 30.0, "p2p": 30.0, "satellite": 600.0})


def test_a_school_beyond_the_point_to_point_range():
    """Giga's Rwanda range for p2p is 50 km: a 3G school (no cellular) with its tower at 49 km can take p2p, at 51 km
    it cannot; 50 Mbps (1,000 learners) is within p2p's 100 Mbps cap."""
    df = pd.DataFrame([_school(school_id="near", coverage="3G", learners=1000, fiber_distance_km=90.0,
                               tower_distance_km=49.0),
                       _school(school_id="far", coverage="3G", learners=1000, fiber_distance_km=90.0,
                               tower_distance_km=51.0)])
    c = plan_schools(check_schools(df), years=5).costs
    p2p = TECHNOLOGIES.index("p2p")
    assert c.feasible[:, p2p].tolist() == [True, False]
    # p2p by preference where it is feasible: 4,500 + 5 x 108 x 50 = 31,500 over 5 years
    pref = plan_schools(check_schools(df), years=5, prefer=("p2p",)).schools_df()
    assert pref["technology"].tolist() == ["p2p", "satellite"]
    assert pref["cost_horizon"].iloc[0] == pytest.approx(31500.0)


def test_the_choice_counts_the_years_of_opex_of_the_table():
    """Fibre at 0.5 km with free bandwidth: 5,200 once + 50 a year; satellite 515 every 4 years + 534 a year.
    Over 5 years (Giga's years_opex): fibre 5,450 > satellite 3,700 -> satellite. Over 10 years: fibre 5,700 <
    satellite 515 x 3 + 5,340 = 6,885 -> fibre. A 10-year plan that counts 5 years of opex takes satellite."""
    import dataclasses

    tech = default_technologies()
    free = dataclasses.replace(tech, per_mbps=np.where(np.array(TECHNOLOGIES) == "fibre", 0.0, tech.per_mbps))
    s = engine_schools(check_schools(pd.DataFrame([_school(fiber_distance_km=0.5)])))
    assert tech.opex_years == 5
    assert school_costs(s, free, 10).technology.tolist() == ["satellite"]
    whole = school_costs(s, dataclasses.replace(free, opex_years=None), 10)
    assert whole.technology.tolist() == ["fibre"] and whole.cost_horizon[0] == pytest.approx(5700.0)


def test_a_preferred_order_takes_the_first_feasible_technology():
    plan = plan_schools(check_schools(FIVE), years=5, prefer=("fibre", "cellular", "p2p", "satellite"))
    tech = plan.schools_df().set_index("school_id")["technology"]
    assert tech["satellite"] == "fibre"  # 2 km from fibre: fibre first, whatever it costs
    assert tech["capped"] == "satellite"  # fibre beyond reach, cellular and p2p capped


def test_discounting_and_replacements():
    # a satellite terminal lives 4 years: over 12 years it is bought in years 0, 4 and 8; a flat 534 a year
    plan = plan_schools(check_schools(FIVE.iloc[[2]]), years=12, rate=0.1)
    expected = 515 * (1 + 1.1 ** -4 + 1.1 ** -8) + 534 * sum(1.1 ** -k for k in range(12))
    assert plan.schools_df()["cost_horizon"].iloc[0] == pytest.approx(expected, abs=0.01)


# ------------------------------------------------------------------------------------------------ properties


@st.composite
def _schools(draw):
    n = draw(st.integers(1, 30))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    return Schools(learners=rng.integers(0, 5000, n).astype(float), electricity=rng.random(n) < 0.5,
                   connected=rng.random(n) < 0.2, fibre_km=rng.exponential(20, n),
                   tower_km=np.where(rng.random(n) < 0.2, np.nan, rng.exponential(10, n)),
                   coverage=rng.choice([0.0, 2.0, 3.0, 4.0, 5.0], n))


@settings(max_examples=100, deadline=None)
@given(_schools(), st.integers(1, 20), st.floats(0.0, 0.15))
def test_the_least_cost_choice_is_never_dearer_than_a_feasible_alternative(s, years, rate):
    c = school_costs(s, default_technologies(), years, rate)
    chosen = c.choice >= 0
    rows = np.flatnonzero(chosen)
    best = c.criterion_options[rows, c.choice[rows]]
    assert (best[:, None] <= np.where(c.feasible[rows], c.criterion_options[rows], np.inf) + 1e-9).all()
    # a school no technology serves has none feasible
    assert not c.feasible[c.choice == -2].any()


@settings(max_examples=100, deadline=None)
@given(_schools(), st.integers(1, 20), st.permutations(range(len(TECHNOLOGIES))), st.integers(1, len(TECHNOLOGIES)))
def test_a_preferred_order_never_gives_a_school_a_technology_it_cannot_use(s, years, order, k):
    """With --prefer fibre,cellular, 1,116 of 6,756 schools got a technology they could not use (cost_horizon
    inf): a school that none of the preferred technologies serves falls back to the least-cost feasible one."""
    prefer = tuple(order[:k])
    c = school_costs(s, default_technologies(), years, 0.0, prefer)
    free = school_costs(s, default_technologies(), years, 0.0)
    rows = np.flatnonzero(c.choice >= 0)
    assert c.feasible[rows, c.choice[rows]].all() and np.isfinite(c.cost_horizon).all()
    assert ((c.choice >= 0) == (free.choice >= 0)).all()  # the same schools are served
    served = c.feasible[:, list(prefer)].any(axis=1)
    assert (c.choice[~served & (c.choice >= 0)] == free.choice[~served & (c.choice >= 0)]).all()


def test_the_synthetic_country_with_a_preferred_order_costs_what_its_feasible_choices_cost(tmp_path, capsys):
    assert main(["schools", str(ROOT / "data" / "schools-rwanda-synthetic.csv"), "--prefer", "fibre,cellular",
                 "--out", str(tmp_path / "o")]) == 0
    schools = pd.read_csv(tmp_path / "o" / "schools.csv")
    assert np.isfinite(schools["cost_horizon"]).all()


@settings(max_examples=100, deadline=None)
@given(_schools(), st.integers(1, 20))
def test_more_coverage_never_raises_a_schools_cost(s, years):
    tech = default_technologies()
    before = school_costs(s, tech, years)
    better = Schools(s.learners, s.electricity, s.connected, s.fibre_km, s.tower_km, np.minimum(s.coverage + 1, 5))
    after = school_costs(better, tech, years)
    served = before.choice >= 0
    assert (after.cost_horizon[served] <= before.cost_horizon[served] + 1e-9).all()
    assert ((after.choice >= 0) | ~served).all()  # a school served stays served


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 200), st.integers(0, 1000))
def test_costs_add_up_over_schools_and_the_yearly_aggregate_is_their_sum(n, seed):
    df = generate_schools(n, seed=seed)
    whole = plan_schools(check_schools(df), years=8)
    half = n // 2
    parts = [plan_schools(check_schools(df.iloc[:half]), years=8), plan_schools(check_schools(df.iloc[half:]),
                                                                                  years=8)]
    a = whole.schools_df()["cost_horizon"].to_numpy()
    b = np.concatenate([p.schools_df()["cost_horizon"].to_numpy() for p in parts])
    np.testing.assert_allclose(a, b)
    yearly = whole.yearly()
    connected = whole.year_index >= 0
    assert yearly["capex"].sum() == pytest.approx(whole.costs.capex[connected].sum())
    assert yearly["schools"].sum() == connected.sum()
    # opex accumulates: the last year's opex is that of every school connected in the plan
    assert yearly["opex"][:, -1].sum() == pytest.approx(whole.costs.opex_per_year[connected].sum())


# ------------------------------------------------------------------------------------------------ rollout


def test_a_yearly_budget_connects_schools_as_their_cumulative_capex_fits():
    order = np.array([0, 1, 2, 3])
    years = connection_years(order, np.array([100.0, 100.0, 100.0, 500.0]), 4, years=3, budget=150.0)
    # cumulative 100 (fits 150: year 0), 200 and 300 (fit 300: year 1), 800 (beyond 450: not in the plan)
    assert years.tolist() == [0, 1, 1, -1]
    even = connection_years(order, np.zeros(4), 4, years=3)
    assert even.tolist() == [0, 0, 1, 1]  # 2 a year (ceil 4 / 3)


def test_the_orders():
    cost = np.array([10.0, 50.0, 20.0, 40.0])
    learners = np.array([10.0, 100.0, 10.0, 10.0])  # per learner: 1, 0.5, 2, 4
    area = np.array([0, 2, 1, 2])
    region = np.array(["a", "a", "b", "b"], dtype=object)
    everyone = np.ones(4, dtype=bool)
    assert connection_order("cost-per-learner", cost, learners, area, region, everyone).tolist() == [1, 0, 2, 3]
    assert connection_order("remote-first", cost, learners, area, region, everyone).tolist() == [1, 3, 2, 0]
    # regions take turns: the cheapest of a, of b, then the next of each
    assert connection_order("region-quota", cost, learners, area, region, everyone).tolist() == [1, 2, 0, 3]
    assert connection_order("priority", cost, learners, area, region, everyone,
                            np.array([3.0, 2.0, 1.0, 0.0])).tolist() == [3, 2, 1, 0]


# ------------------------------------------------------------------------------------------------ equity


def test_segments_and_equity_by_hand():
    # two urban schools connected (one before the plan), two rural ones of which one is not reached by the budget
    df = pd.DataFrame([_school(school_id="u1", area="urban", connectivity="fibre"),
                       _school(school_id="u2", area="urban", region="South"),
                       _school(school_id="r1"), _school(school_id="r2", learners=50)])
    plan = plan_schools(check_schools(df), years=2, budget=600.0)  # 515 a terminal: one school a year
    tables = school_tables(plan)
    seg = tables["segments"].set_index(["segment_type", "segment", "year"])
    assert seg.loc[("all", "all", 2027), "connected_schools"] == 3
    assert seg.loc[("area", "urban", 2027), "share_connected"] == 1.0
    assert seg.loc[("area", "rural", 2027), "share_connected"] == 0.5
    eq = tables["equity"].set_index("measure")["value"]
    assert eq["urban_rural_gap_end"] == pytest.approx(0.5)
    assert eq["share_unconnected_end"] == pytest.approx(0.25)
    assert 0.0 <= eq["gini_capex_per_learner_regions"] < 1.0


# ------------------------------------------------------------------------------------------------ tables


def test_great_circle_distance_to_the_nearest_node():
    # one degree of longitude on the equator is 111.2 km; the nearer of two nodes counts
    km = nearest_km(np.array([0.0, 0.0]), np.array([1.0, 3.0]), np.array([0.0, 0.0]), np.array([0.0, 2.5]))
    np.testing.assert_allclose(km, [111.195, 55.597], atol=0.01)


def test_fibre_nodes_give_the_distance_and_giga_names_are_read(tmp_path):
    giga = pd.DataFrame({"school_id_giga": ["a", "b"], "admin1": ["R", "R"], "latitude": [0.0, 0.0],
                         "longitude": [1.0, 2.0], "school_area_type": ["Rural", "urban"],
                         "num_students": [100, 200], "num_teachers": [3, 5], "electricity_availability": [True, False],
                         "connectivity_type": ["none", "none"], "coverage_type": ["4G", "none"],
                         "other_column": [1, 2]})
    path = tmp_path / "giga.csv"
    giga.to_csv(path, index=False)
    nodes = tmp_path / "nodes.csv"
    pd.DataFrame({"lat": [0.0], "lon": [0.0]}).to_csv(nodes, index=False)
    table = read_schools(path, nodes)
    np.testing.assert_allclose(table.schools.fibre_km, [111.195, 222.39], atol=0.01)
    assert table.frame["area"].tolist() == ["rural", "urban"]
    assert "other_column" not in table.frame.columns


@pytest.mark.parametrize("change, words", [
    ({"lat": 95.0}, "row 2, lat: must be between -90 and 90"),
    ({"learners": -5}, "row 2, learners: must be between 0"),
    ({"area": "suburban"}, "row 2, area: must be one of urban, rural, remote"),
    ({"coverage": "6G"}, "row 2, coverage: must be one of"),
    ({"electricity": "maybe"}, "row 2, electricity: must be true or false"),
    ({"fiber_distance_km": "far"}, "row 2, fiber_distance_km: not a number"),
])
def test_a_bad_value_names_its_row_and_column(change, words, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    pd.DataFrame([_school(**change), _school(school_id="y")]).to_csv(path, index=False)
    assert main(["schools", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert words in err and str(path) in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_duplicate_ids_and_missing_columns_are_refused(tmp_path):
    with pytest.raises(ScenarioError, match="row 3, school_id: the same id"):
        check_schools(pd.DataFrame([_school(), _school()]), "t.csv")
    with pytest.raises(ScenarioError, match="missing columns: lat, lon"):
        check_schools(pd.DataFrame([_school()]).drop(columns=["lat", "lon"]), "t.csv")
    with pytest.raises(ScenarioError, match="file not found"):
        read_schools(tmp_path / "none.csv")


def test_schools_command_on_the_bundled_synthetic_country(tmp_path, capsys):
    out = tmp_path / "out"
    table = ROOT / "data" / "schools-rwanda-synthetic.csv"
    assert main(["schools", str(table), "--out", str(out), "--budget", "150000", "--order", "remote-first"]) == 0
    text = capsys.readouterr().out
    assert "equity:" in text and "Satellite" in text
    schools = pd.read_csv(out / "schools.csv")
    assert len(schools) == 6756 and set(schools["technology"]) <= {*TECHNOLOGIES, "existing", "none"}
    assert list(schools.columns) == ["school_id", "region", "area", "learners", "technology", "power", "capex",
                                     "opex_per_year", "cost_horizon", "year_connected"]
    # the budget binds: by the end of each year the capex spent fits in the budgets of the years so far
    new = schools.dropna(subset=["year_connected"])
    spent = new.groupby("year_connected")["capex"].sum().cumsum()
    assert (spent.to_numpy() <= 300000 * (spent.index.to_numpy() - 2025) + 1e-6).all()
    assert len(new) < (schools["technology"] != "existing").sum()  # not every school within ten years
    first = new[new["year_connected"] == new["year_connected"].min()]
    assert (first["area"] == "remote").all()
    assert json.loads((out / "manifest.json").read_text())["schools"]["order"] == "remote-first"
    assert {"segments.csv", "equity.csv"} <= {p.name for p in out.iterdir()}


def test_the_schools_command_separates_the_schools_assigned_from_those_connected_and_says_equity_in_words(
        tmp_path, capsys):
    from dfl_finance.outputs.formatting import format_money

    out = tmp_path / "out"
    table = ROOT / "data" / "schools-rwanda-synthetic.csv"
    assert main(["schools", str(table), "--out", str(out), "--budget", "150000", "--order", "remote-first"]) == 0
    text = capsys.readouterr().out
    schools = pd.read_csv(out / "schools.csv")
    sat = schools[schools["technology"] == "satellite"]
    done = sat[sat["year_connected"].notna()]
    assert 0 < len(done) < len(sat)  # the budget leaves some of the schools assigned satellite unconnected
    assert "connected by 2035: within the plan's years (2026-2035) and a yearly capex budget of USD 150.0 k" in text
    (row,) = [line for line in text.splitlines() if line.strip().startswith("Satellite")]
    cells = re.split(r"\s{2,}", row.strip())
    assert cells == ["Satellite", f"{len(sat):,}", f"{len(done):,}", f"{len(sat) - len(done):,}",
                     f"{int(done['learners'].sum()):,}", format_money(float(done["capex"].sum()), "USD"),
                     format_money(float(sat["capex"].sum() - done["capex"].sum()), "USD")]
    existing = (schools["technology"] == "existing").sum()
    assert re.search(rf"Already connected\s+{existing:,}\s+{existing:,} \(before\)\s+0\s", text)
    # the equity measures in words, not as equity.csv's keys
    equity = pd.read_csv(out / "equity.csv")
    assert not any(key in text for key in equity["measure"])
    share = equity.set_index("measure")["value"]["share_unconnected_end"]
    assert f"At the end of 2035, {share:.1%} of the schools are still unconnected" in text
    assert "The Gini coefficient of the plan's capex per learner across regions is" in text


# ------------------------------------------------------------------------------------------------ the financing model


def _usd_plan(years=6):
    from dfl_finance import scenario_from_dict

    return scenario_from_dict({
        "scenario": {"name": "schools", "start_year": 2026, "years": years, "post_horizon_years": 2},
        "context": {"schools": 1, "learners": 1000, "teachers": 10, "education_budget": 1e9},
        "programme": [{"id": "connectivity", "pillar": "infrastructure", "driver": "schools",
                       "cost": [{"item": "kit", "kind": "capex", "unit_cost": 500.0}]},
                      {"id": "emis", "pillar": "infrastructure", "driver": "schools",
                       "cost": [{"item": "per school", "kind": "capex", "unit_cost": 300.0}]}],
        "source": [{"id": "mof", "kind": "domestic"}],
        "uncertain": [{"path": "programme[connectivity].cost[kit].unit_cost", "distribution": "uniform",
                       "low": 400.0, "high": 600.0},
                      {"path": "programme[emis].cost[0].unit_cost", "distribution": "uniform", "low": 200.0,
                       "high": 400.0}],
    })


def test_the_financing_model_gets_exactly_the_school_level_costs():
    """In a USD scenario at the technology table's price year, the connectivity programme's yearly cost in the run
    is the school plan's: the capex of the schools connected each year and of the equipment bought again within the
    plan, the opex of the schools connected by each year (continuing after the plan), solar kits and upkeep."""
    from dfl_finance import run
    from dfl_finance.model.school_link import with_school_plan

    sc = _usd_plan()
    raw = sc.model_dump(exclude_none=True)
    raw["scenario"]["price_year"] = 2023  # the technology table's prices, so no deflation
    from dfl_finance import scenario_from_dict

    sc = scenario_from_dict(raw)
    df = generate_schools(400, seed=5)
    plan = plan_schools(check_schools(df), years=6, budget=40_000.0)
    linked, notes = with_school_plan(sc, plan)
    assert linked.context.schools == 400
    assert [r.path for r in linked.uncertain] == ["programme[emis].cost[0].unit_cost"]  # the replaced line's row
    assert any("left out" in n for n in notes)
    costs = run(linked).costs_df()
    mine = costs[costs["programme"] == "connectivity"].groupby("year")["amount"].sum()
    # by hand from the schools: new connections' capex, replacements (satellite terminals every 4 years: the
    # schools connected in 2026 buy again in 2030), opex of the schools connected so far
    c, year = plan.costs, plan.year_index
    connected = (year >= 0) & (c.choice >= 0)
    expected = np.zeros(8)
    for i in np.flatnonzero(connected):
        life = {0: 20, 1: 4, 2: 10, 3: 4}[int(c.choice[i])]
        solar = c.power_capex[i]  # the technology's watts x 3.0 USD/W off the grid
        for y in range(year[i], 6, life):
            expected[y] += c.capex[i] - solar
        for y in range(year[i], 6, 10):
            expected[y] += solar
        expected[year[i]:] += c.opex_per_year[i]  # continuing after the plan (post-horizon years)
    np.testing.assert_allclose(mine.reindex(range(2026, 2032), fill_value=0.0).to_numpy(), expected[:6], rtol=1e-9)
    # after the plan the government carries the service of the schools connected (emis has nothing after it)
    after = run(linked).sim.fiscal["recurrent_after_plan"][0, 6:8]
    np.testing.assert_allclose(after, expected[6:8], rtol=1e-9)
    # new connections within the budget: what a year leaves unspent carries to the next
    assert (np.cumsum(plan.yearly()["capex"].sum(axis=0)) <= 40_000.0 * np.arange(1, 7) + 1e-6).all()


def test_schools_command_with_a_scenario_runs_the_financing_and_writes_the_scenario(tmp_path, capsys):
    out, written = tmp_path / "out", tmp_path / "linked.toml"
    assert main(["schools", str(ROOT / "data/schools-rwanda-synthetic.csv"), "--scenario",
                 str(ROOT / "scenarios/rwanda-ida-credit.toml"), "--budget", "400000", "--out", str(out),
                 "--write-scenario", str(written)]) == 0
    captured = capsys.readouterr()
    assert "with the school plan" in captured.out and "solar_power also pays for power" in captured.err
    assert {"schools.csv", "segments.csv", "financing.csv", "summary.csv", "fiscal.csv"} <= {
        p.name for p in out.iterdir()}
    from dfl_finance import load_scenario

    linked = load_scenario(written)
    assert {c.item for c in linked.programme[0].cost} >= {"satellite installation", "satellite service"}
    assert main(["optimise", str(written), "--out", str(tmp_path / "opt")]) == 0  # the optimiser works on it
    assert main(["schools", str(ROOT / "data/schools-rwanda-synthetic.csv"), "--programme", "x", "--out",
                 str(tmp_path / "bad")]) == 2


def test_fibre_extension_reaches_along_a_chain_of_schools():
    # schools every 0.17 degrees of longitude on the equator (18.90 km apart), the first 15 km from a fibre node:
    # only it is within the 20 km of a fibre link (200 Mbps: beyond satellite, 4G and p2p caps); each school on fibre
    # brings the next within reach, and the minimum spanning tree is the chain itself
    rows = [_school(school_id=f"s{i}", lat=0.0, lon=0.17 * i, learners=4000, coverage="none",
                    tower_distance_km=100.0, fiber_distance_km=15.0 + 18.90 * i) for i in range(5)]
    table = check_schools(pd.DataFrame(rows))
    plain = plan_schools(table, years=5)
    assert plain.schools_df()["technology"].tolist() == ["fibre", "none", "none", "none", "none"]
    extended = plan_schools(table, years=5, extend_fibre=True)
    df = extended.schools_df()
    assert df["technology"].tolist() == ["fibre"] * 5
    # each pays only its own link: 15 km for the first, 18.90 km for the others (1,450 + 7,500 a km)
    np.testing.assert_allclose(df["capex"], [1450 + 7500 * 15.0] + [1450 + 7500 * 18.904] * 4, rtol=1e-3)


def test_the_gini_measures_the_plans_spending_not_the_cost_of_every_school():
    # two regions, one school each (100 learners, satellite: 515): a budget of 600 for one year connects one of them
    df = pd.DataFrame([_school(school_id="a", region="A"), _school(school_id="b", region="B")])
    gini = "gini_capex_per_learner_regions"
    one = school_tables(plan_schools(check_schools(df), years=1, budget=600.0))
    assert one["schools"]["year_connected"].notna().sum() == 1
    # capex per learner 5.15 in one region, 0 in the other, equal weights: 0.5
    assert one["equity"].set_index("measure")["value"][gini] == pytest.approx(0.5)
    both = school_tables(plan_schools(check_schools(df), years=2, budget=600.0))
    assert both["equity"].set_index("measure")["value"][gini] == pytest.approx(0.0)


# ------------------------------------------------------------------------------------------------ [programme.schools]


def _linked_file(tmp_path, link_extra="", cost="", order="remote-first"):
    import shutil

    shutil.copy(ROOT / "data" / "schools-rwanda-synthetic.csv", tmp_path / "schools.csv")
    text = (ROOT / "scenarios" / "rwanda-domestic.toml").read_text(encoding="utf-8")
    path = tmp_path / "linked.toml"
    path.write_text(text + f"""
[[programme]]
id = "school_links"
pillar = "infrastructure"
driver = "schools"
{cost}
  [programme.schools]
  table = "schools.csv"
  order = "{order}"
  budget = 400000
  {link_extra}
""", encoding="utf-8")
    return path


def test_a_scenario_names_its_school_table_and_the_plan_gives_the_cost_lines(tmp_path):
    from dfl_finance import dump_scenario, load_scenario, parse_scenario
    from dfl_finance.model.school_link import with_school_plan

    path = _linked_file(tmp_path)
    sc = load_scenario(path)
    prog = next(p for p in sc.programme if p.id == "school_links")
    assert {c.item for c in prog.cost} >= {"satellite installation", "satellite service"}
    assert sc.context.schools == 6756
    # the same lines as planning the table by hand and linking the plan
    table = read_schools(tmp_path / "schools.csv")
    plan = plan_schools(table, years=sc.scenario.years, start_year=sc.scenario.start_year, order="remote-first",
                        budget=400000.0)
    raw = sc.model_dump(exclude_none=True)
    raw["programme"][-1]["cost"] = [{"item": "x", "kind": "fixed_opex", "unit_cost": 1.0}]
    raw["programme"][-1].pop("schools")
    from dfl_finance import scenario_from_dict

    by_hand, _ = with_school_plan(scenario_from_dict(raw), plan, "school_links")
    assert [c.model_dump() for c in by_hand.programme[-1].cost] == [c.model_dump() for c in prog.cost]
    # the file keeps the link, not the lines; reading it again gives the same scenario
    text = dump_scenario(sc)
    assert "satellite installation" not in text and "[programme.schools]" in text
    assert parse_scenario(text, str(path)) == sc
    from dfl_finance import run

    assert run(sc).summary()["total_cost"] > run(load_scenario(ROOT / "scenarios/rwanda-domestic.toml")).summary()[
        "total_cost"]


@pytest.mark.parametrize("change, field, words", [
    ({"order": "fastest"}, "programme[7].schools.order", "one of cost-per-learner"),
    ({"cost": '  [[programme.cost]]\n  item = "kit"\n  kind = "capex"\n  unit_cost = 500.0\n'},
     "programme[7].cost", "takes its cost lines from it"),
    ({"link_extra": 'prefer = ["fibre", "laser"]'}, "programme[7].schools.prefer", "technologies among"),
])
def test_a_bad_school_link_names_its_field(tmp_path, change, field, words):
    from dfl_finance import load_scenario

    _linked_file(tmp_path, **change)
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "linked.toml")
    assert any(p.path == field and words in p.message for p in info.value.problems), info.value


def test_a_missing_or_broken_school_table_is_named(tmp_path, capsys):
    path = _linked_file(tmp_path)
    (tmp_path / "schools.csv").unlink()
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "programme[7].schools.table" in err and "file not found" in err and "Traceback" not in err


def test_overrides_and_a_portfolio_fund_read_a_linked_table_beside_the_scenario_file(tmp_path, monkeypatch):
    """A scenario read from another folder keeps its table's folder: an override (a sweep's, a portfolio's
    ``values``) and the portfolio's fund plan its schools from the same table, whatever the working folder."""
    from dfl_finance import load_scenario
    from dfl_finance.model.load import apply_overrides
    from dfl_finance.studies.portfolio import Fund, with_fund

    sc = load_scenario(_linked_file(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    new = apply_overrides(sc, {"context.burden_limit": 0.05, "programme[school_links].schools.budget": 500000})
    assert new.context.burden_limit == 0.05 and new.programme[-1].schools.budget == 500000
    assert new.programme[-1].cost != sc.programme[-1].cost  # planned again, from the table, with the new budget
    assert apply_overrides(new, {"programme[school_links].schools.budget": 400000}).programme[-1].cost == \
        sc.programme[-1].cost
    funded = with_fund(sc, Fund("fund", 1e6, "need"), 1e6)
    assert funded.programme == sc.programme and funded.source[-1].id == "fund"


def test_an_override_of_a_planned_line_is_kept(tmp_path):
    """A pooled discount on a line the school plan made (an override of its unit cost) stays: the plan is made again
    only when an override changes what it depends on."""
    from dfl_finance import load_scenario
    from dfl_finance.model.load import apply_overrides

    sc = load_scenario(_linked_file(tmp_path))
    j = next(j for j, c in enumerate(sc.programme[-1].cost) if c.item == "satellite installation")
    cost = sc.programme[-1].cost[j].unit_cost
    new = apply_overrides(sc, {f"programme[school_links].cost[{j}].unit_cost": cost * 0.7})
    assert new.programme[-1].cost[j].unit_cost == pytest.approx(cost * 0.7) and new.folder == sc.folder


@pytest.mark.parametrize("args, words", [
    (["--rate", "nan"], "--rate: must be a discount rate from 0 to 1"),
    (["--rate", "-1"], "--rate: must be a discount rate from 0 to 1"),
    (["--horizon", "1000000000"], "--horizon: must be 1 to 60 years"),
    (["--start-year", "99999"], "--start-year: must be a year from 1900 to 2200"),
    (["--budget", "inf"], "--budget: must be a finite amount"),
    (["--fibre-nodes", "/dev/null"], "/dev/null: not a regular file"),
    (["--fibre-nodes", "NODES:lat,lon\n95,30\n"], "row 2, lat: must be a number from -90 to 90 (degrees) (got 95)"),
    (["--fibre-nodes", "NODES:x,y\n1,2\n"], "missing columns: lat, lon"),
    (["--fibre-nodes", "NODES:lat,lon\n"], "no fibre nodes"),
    (["--fibre-nodes", "NODES:"], "empty: a table of fibre nodes"),
    (["--fibre-nodes", "missing.csv"], "missing.csv: file not found"),
])
def test_bad_options_and_fibre_nodes_are_refused_in_words(args, words, tmp_path, capsys):
    """Options and fibre-node tables that gave empty cells with exit 0, tracebacks or a 30 GiB allocation (issue 26)
    are refused with exit 2, the option or the file named."""
    args = list(args)
    if args[-1].startswith("NODES:"):
        (tmp_path / "nodes.csv").write_text(args[-1].removeprefix("NODES:"), encoding="utf-8")
        args[-1] = str(tmp_path / "nodes.csv")
    elif args[-1] == "missing.csv":
        args[-1] = str(tmp_path / "missing.csv")
    code = main(["schools", str(ROOT / "data" / "schools-rwanda-synthetic.csv"), *args, "--out",
                 str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()


def test_a_table_with_no_schools_is_refused(tmp_path, capsys):
    (tmp_path / "empty.csv").write_text((ROOT / "data" / "schools-rwanda-synthetic.csv").read_text(
        encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert main(["schools", str(tmp_path / "empty.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "no schools: the table has a header but no rows" in capsys.readouterr().err


def test_a_school_table_too_large_for_memory_is_refused_with_the_estimate(monkeypatch):
    from dfl_finance.model.sizing import MEMORY_LIMIT_ENV

    monkeypatch.setenv(MEMORY_LIMIT_ENV, "0.00001")  # about 10 KB: 6 schools over 60 years need about 40 KB
    with pytest.raises(ScenarioError, match="too large to plan: 6 schools over 60 years"):
        plan_schools(check_schools(FIVE), years=60)


def _segments_row_by_row(schools: pd.DataFrame, start_year: int, years: int) -> pd.DataFrame:
    """segments.csv as it was first written, one segment and one year at a time (the specification of
    :func:`~dfl_finance.outputs.schools.segments_df`, which counts with arrays)."""
    from dfl_finance.outputs.rounding import add_up
    from dfl_finance.outputs.schools import CENTS, SEGMENT_COLUMNS
    from dfl_finance.vocabulary import PRICE_DIGITS, SHARE_DIGITS

    rows = []
    year_index = schools["year_connected"].to_numpy(dtype=float) - start_year
    existing = (schools["technology"] == "existing").to_numpy()
    learners = schools["learners"].to_numpy(dtype=float)
    capex = schools["capex"].to_numpy(dtype=float)
    groups = [("all", np.full(len(schools), "all", dtype=object)),
              ("area", schools["area"].to_numpy(dtype=object)),
              ("region", schools["region"].to_numpy(dtype=object))]
    for kind, labels in groups:
        for segment in sorted(set(labels)):
            m = labels == segment
            for k in range(years):
                done = m & (existing | (year_index <= k))
                new = m & (year_index <= k) & ~existing
                n_new, l_new = int(new.sum()), float(learners[new].sum())
                cost = float(add_up(capex[new], CENTS, rounded=False))
                rows.append({"segment_type": kind, "segment": segment, "year": start_year + k,
                             "schools": int(m.sum()), "learners": float(learners[m].sum()),
                             "connected_schools": int(done.sum()), "connected_learners": float(learners[done].sum()),
                             "share_connected": done.sum() / max(m.sum(), 1), "cost": cost,
                             "cost_per_school": cost / n_new if n_new else np.nan,
                             "cost_per_learner": cost / l_new if l_new else np.nan})
    df = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    for names, digits in ((["cost"], CENTS), (["cost_per_school", "cost_per_learner"], PRICE_DIGITS),
                          (["share_connected"], SHARE_DIGITS)):
        df[names] = df[names].astype(float).round(digits) + 0.0
    return df


@settings(max_examples=40)
@given(st.integers(1, 400), st.integers(0, 10**6), st.sampled_from(["cost-per-learner", "region-quota"]),
       st.none() | st.floats(1e3, 1e6), st.integers(1, 12), st.booleans())
def test_segments_counted_with_arrays_are_the_row_by_row_table_to_the_last_bit(n, seed, order, budget, years,
                                                                               fractional):
    from dfl_finance.outputs.schools import segments_df

    df = generate_schools(n, seed=seed, regions=1 + seed % 12)
    if fractional:  # learners that do not add up exactly: the sums must still be those of the rows in order
        df["learners"] = df["learners"] + np.random.default_rng(seed).random(n)
    plan = plan_schools(check_schools(df), years=years, order=order, budget=budget)
    schools = plan.schools_df()
    fast = segments_df(schools, plan.start_year, plan.years)
    slow = _segments_row_by_row(schools, plan.start_year, plan.years)
    assert list(fast.dtypes) == list(slow.dtypes)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast.to_csv() == slow.to_csv()


def test_segments_of_twenty_thousand_schools_are_the_row_by_row_table():
    from dfl_finance.outputs.schools import segments_df

    plan = plan_schools(check_schools(generate_schools(20_000, seed=1)), budget=2e5, order="region-quota")
    schools = plan.schools_df()
    pd.testing.assert_frame_equal(segments_df(schools, plan.start_year, plan.years),
                                  _segments_row_by_row(schools, plan.start_year, plan.years), check_exact=True)


@given(st.lists(st.text(alphabet=st.sampled_from(list("aAbB éÉ1-_")), min_size=1, max_size=4), min_size=1,
                max_size=60))
def test_region_ranks_are_the_codes_np_unique_gives_the_names(names):
    from dfl_finance.model.schools import region_ranks

    region = np.asarray(names, dtype=object)
    assert region_ranks(region).tolist() == np.unique(region, return_inverse=True)[1].reshape(-1).tolist()


@settings(max_examples=25)
@given(st.integers(1, 300), st.integers(0, 10**6))
def test_the_region_quota_order_by_ranks_is_the_order_by_names(n, seed):
    from dfl_finance.model.schools import region_ranks

    table = check_schools(generate_schools(n, seed=seed, regions=1 + seed % 15))
    costs = plan_schools(table).costs
    args = (costs.cost_horizon, table.schools.learners, table.area)
    by_name = connection_order("region-quota", *args, table.region, costs.choice >= 0)
    by_rank = connection_order("region-quota", *args, region_ranks(table.region), costs.choice >= 0)
    assert by_rank.tolist() == by_name.tolist()
