"""Outcome measures and cost per outcome (issue 25): known answers by hand, properties, the bundled templates."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dfl_finance import load_scenario, run, save_scenario, scenario_from_dict
from dfl_finance.engine.outcome_target import TargetOutOfReach, cheapest_scale
from dfl_finance.engine.outcomes import (
    co_financing_per_partner_dollar,
    cost_per_outcome,
    milestones_met,
    new_units,
    trained_stock,
)
from dfl_finance.studies.outcome_target import OutcomeTargetError, cheapest_outcome
from dfl_finance.vocabulary import OUTCOME_MEASURES, PRICE_BASES, basis_metric_key, cost_per_outcome_key
from tests.conftest import ROOT

# ------------------------------------------------------------------------------------------------ the engine


def test_a_cohort_loses_its_attrition_each_year():
    # 100 trained in year 0, 10% lost a year: 100, 100 x 0.9 = 90, 90 x 0.9 = 81
    assert_allclose(trained_stock(np.array([[100.0, 0.0, 0.0]]), np.zeros(1), 0.1), [[100.0, 90.0, 81.0]])


def test_a_refresher_restores_the_cohort():
    # refresher every 2 years: the age is (y - c) mod 2 = 0, 1, 0, 1: 100, 90, 100, 90
    assert_allclose(trained_stock(np.array([[100.0, 0.0, 0.0, 0.0]]), np.zeros(1), 0.1, refresh=2),
                    [[100.0, 90.0, 100.0, 90.0]])


def test_the_stock_before_the_plan_is_a_cohort_of_the_year_before_and_is_not_refreshed():
    # 50 trained before the plan, 20% a year: 50 x 0.8 = 40 at the end of year 0, 50 x 0.64 = 32 of year 1;
    # plus 10 new in year 1: 32 + 10 = 42
    assert_allclose(trained_stock(np.array([[0.0, 10.0]]), np.array([50.0]), 0.2, refresh=1), [[40.0, 42.0]])


def test_new_units_are_the_rise_of_the_reach():
    # reach 30 before, then 50, 50, 80: 20, 0, 30 new
    assert_allclose(new_units(np.array([[50.0, 50.0, 80.0]]), np.array([30.0])), [[20.0, 0.0, 30.0]])


def test_milestones_met_count_by_the_end_of_each_year():
    # milestones in year indices 0, 1 and 1: 1 met by the end of year 0, 3 by year 1 and after
    assert_allclose(milestones_met([0, 1, 1], 3), [1.0, 3.0, 3.0])


def test_co_financing_per_partner_dollar_is_domestic_over_external():
    # 42,100 domestic against 60,000 external: 0.70167; none without external finance
    assert_allclose(co_financing_per_partner_dollar(np.array([42100.0, 5.0]), np.array([60000.0, 0.0])),
                    [42100 / 60000, np.nan])


@given(st.floats(0.0, 1e12), st.floats(1e-3, 1e9))
def test_property_cost_per_outcome_times_the_outcome_is_the_cost(cost, outcome):
    assert_allclose(cost_per_outcome(np.array([cost]), np.array([outcome]))[0] * outcome, cost, rtol=1e-12, atol=1e-300)


@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=12), st.floats(0.0, 1e6), st.floats(0.0, 1.0),
       st.none() | st.integers(1, 6))
def test_property_the_stock_is_at_most_all_trained_and_all_without_attrition(new, existing, attrition, refresh):
    new_arr, before = np.array([new]), np.array([existing])
    everyone = existing + np.cumsum(new_arr, axis=1)
    stock = trained_stock(new_arr, before, attrition, refresh)
    assert np.all(stock <= everyone * (1 + 1e-12) + 1e-9) and np.all(stock >= 0)
    assert_allclose(trained_stock(new_arr, before, 0.0, refresh), everyone, rtol=1e-12)


# ------------------------------------------------------------------------------------------- a plan by hand

def _plan() -> dict:
    """Two years in USD without inflation: 1,000 teachers trained at once (100 USD each, 10% attrition), 5 of 10
    schools connected at once (10 USD a school a year; 400 learners a school), 50 officials trained a year (1,000 USD
    a year, 20% attrition, two milestones); a grant of 60,000 and the budget."""
    return {
        "scenario": {"name": "By hand", "start_year": 2026, "years": 2, "post_horizon_years": 0},
        "context": {"schools": 10, "learners": 4000, "teachers": 1000, "education_budget": 1e6},
        "programme": [
            {"id": "teachers", "pillar": "capacities", "driver": "teachers", "rollout": "immediate",
             "cost": [{"item": "workshop", "kind": "capex", "unit_cost": 100.0}],
             "outcome": [{"measure": "teachers_trained", "attrition": 0.1}]},
            {"id": "connectivity", "pillar": "infrastructure", "driver": "schools", "rollout": "immediate",
             "target_share": 0.5, "cost": [{"item": "service", "kind": "opex", "unit_cost": 10.0}],
             "outcome": [{"measure": "schools_connected"}, {"measure": "learners_connected"}]},
            {"id": "officials", "pillar": "capacities", "driver": "none",
             "cost": [{"item": "training", "kind": "fixed_opex", "unit_cost": 1000.0}],
             "outcome": [{"measure": "officials_trained", "per_year": 50, "attrition": 0.2}],
             "milestone": [{"name": "data-protection law", "offset": 0}, {"name": "first audit", "year": 2027}]},
        ],
        "source": [{"id": "partner", "kind": "grant", "commitment": 60000.0},
                   {"id": "mof", "kind": "domestic", "budget_share_cap": 1.0}],
    }


@pytest.fixture(scope="module")
def by_hand():
    return run(scenario_from_dict(_plan()))


def test_outcomes_table_by_hand(by_hand):
    df = by_hand.outcomes_df().set_index(["year", "programme"])
    # teachers: 1,000 trained in 2026, 1,000 x 0.9 = 900 in post with their skills in 2027
    assert df.loc[(2026, "teachers"), "teachers_trained"] == 1000
    assert df.loc[(2027, "teachers"), "teachers_trained"] == 900
    # schools: 5 connected, 5 x 4,000 / 10 = 2,000 learners in them
    assert df.loc[(2027, "connectivity"), "schools_connected"] == 5
    assert df.loc[(2027, "connectivity"), "learners_connected"] == 2000
    # officials (driver none, rows because it has outcomes): 50, then 50 x 0.8 + 50 = 90; milestones 1, then 2
    assert df.loc[(2026, "officials"), "officials_trained"] == 50
    assert df.loc[(2027, "officials"), "officials_trained"] == 90
    assert list(df.xs("officials", level="programme")["milestones_met"]) == [1, 2]
    # a measure a programme does not produce is empty; reached keeps its meaning
    assert df["teachers_trained"].isna().sum() == 4
    assert df.loc[(2026, "connectivity"), "reached"] == 5 and df.loc[(2026, "officials"), "reached"] == 0


def test_summary_metrics_by_hand(by_hand):
    s = by_hand.summary()
    # costs: 2026: 1,000 x 100 + 5 x 10 + 1,000 = 101,050; 2027: 50 + 1,000 = 1,050; total 102,100
    assert s["total_cost"] == 102100
    assert s["cost_per_teachers_trained"] == pytest.approx(100000 / 900, abs=0.005)  # 111.11
    assert s["cost_per_schools_connected"] == pytest.approx(100 / 5)  # 2 years x 50 over 5 schools: 20
    assert s["cost_per_learners_connected"] == pytest.approx(100 / 2000)  # 0.05
    assert s["cost_per_officials_trained"] == pytest.approx(2000 / 90, abs=0.005)  # 22.22
    assert "cost_per_learners_trained" not in s  # nobody produces it
    # 2,000 learners reached in each of 2 years: 4,000 learner-years; 102,100 / 4,000 = 25.525 (against all
    # learners: 102,100 / (4,000 x 2) = 12.7625)
    assert s["cost_per_learner_reached_year"] == pytest.approx(25.525, abs=0.005)
    assert s["cost_per_learner_year"] == pytest.approx(12.7625, abs=0.005)
    # the grant pays 60,000 of 2026's workshops, the budget the other 42,100: 42,100 / 60,000 = 0.70167 co-financing
    # per partner dollar; leverage 60,000 / 42,100 = 1.42518
    assert s["co_financing_per_partner_dollar"] == pytest.approx(42100 / 60000, abs=1e-9)
    assert s["leverage"] == pytest.approx(60000 / 42100, abs=1e-9)
    # no inflation, USD: every basis gives the same cost per outcome
    for basis in PRICE_BASES:
        assert s[basis_metric_key("cost_per_teachers_trained", basis)] == pytest.approx(100000 / 900, abs=0.005)


def test_in_every_basis_cost_per_outcome_times_the_outcome_is_the_programmes_cost():
    result = run(load_scenario(ROOT / "scenarios" / "rwanda-grants-gpe.toml"))
    outcomes = result.outcomes_df()
    last = outcomes[outcomes["year"] == outcomes["year"].max()]
    summary = {k: float(v[0]) for k, v in result.summary_arrays().items()}  # before rounding to the minor unit
    checked = 0
    for basis in PRICE_BASES:
        costs = result.in_basis(basis).costs_df()
        for measure in OUTCOME_MEASURES:
            rows = last[last[measure].notna()]
            if rows.empty:
                continue
            cost = costs[costs["programme"].isin(rows["programme"])]["amount"].sum()
            value = summary[basis_metric_key(cost_per_outcome_key(measure), basis)]
            assert value * rows[measure].sum() == pytest.approx(cost, rel=1e-4), (basis, measure)
            checked += 1
    assert checked >= 4 * 4  # connectivity (schools, learners), teachers, officials, EMIS


def test_the_templates_say_what_they_produce():
    sc = load_scenario(ROOT / "scenarios" / "rwanda-grants-gpe.toml")
    produced = {o.measure for p in sc.programme for o in p.outcome}
    assert {"schools_connected", "learners_connected", "teachers_trained", "officials_trained",
            "schools_in_emis"} <= produced
    for p in sc.programme:
        for row in [*p.outcome, *p.milestone]:
            assert row.source_note, (p.id, row)


# ------------------------------------------------------------------------------------- the target of least cost

def _two_ways_to_train() -> dict:
    """1,000 teachers, two years in USD: workshops at 100 USD a teacher that last, or an online course at 40 USD
    whose effect halves within a year (attrition 50%); each planned for half of the teachers at once."""
    return {
        "scenario": {"name": "Target", "start_year": 2026, "years": 2, "post_horizon_years": 0},
        "context": {"schools": 10, "learners": 4000, "teachers": 1000, "education_budget": 1e6},
        "programme": [
            {"id": "workshops", "pillar": "capacities", "driver": "teachers", "rollout": "immediate",
             "target_share": 0.5, "cost": [{"item": "workshop", "kind": "capex", "unit_cost": 100.0}],
             "outcome": [{"measure": "teachers_trained"}]},
            {"id": "online", "pillar": "capacities", "driver": "teachers", "rollout": "immediate",
             "target_share": 0.5, "cost": [{"item": "course", "kind": "capex", "unit_cost": 40.0}],
             "outcome": [{"measure": "teachers_trained", "attrition": 0.5}]},
        ],
    }


def test_cheapest_scale_by_hand():
    # a teacher trained at the end costs 100 / 1 = 100 by workshop, 40 / 0.5 = 80 online: 700 = all 500 online
    # (u = 1, 40,000) and 200 by workshop (u = 0.2, 20,000)
    assert_allclose(cheapest_scale(np.array([100_000.0, 40_000.0]), np.array([1000.0, 500.0]), 0.0, 700.0),
                    [0.2, 1.0], atol=1e-9)
    # what the programmes already produce counts: nothing more to buy
    assert_allclose(cheapest_scale(np.array([1.0]), np.array([10.0]), 50.0, 40.0), [0.0])
    with pytest.raises(TargetOutOfReach):
        cheapest_scale(np.array([1.0]), np.array([10.0]), 0.0, 11.0)


def test_the_plan_of_least_cost_for_a_target_by_hand():
    best = cheapest_outcome(scenario_from_dict(_two_ways_to_train()), "teachers_trained", 700)
    table = best.table().set_index("programme")
    # the online course for all 1,000 teachers (500 left at the end, 40,000 USD), workshops for 200 (20,000 USD):
    # 60,000 USD for 700, against 70,000 USD for 500 + 250 = 750 as planned
    assert table.loc["online", "target_share"] == pytest.approx(1.0)
    assert table.loc["workshops", "target_share"] == pytest.approx(0.2)
    assert list(table["outcome"]) == [200, 500] and list(table["outcome_before"]) == [500, 250]
    assert table["pv_cost"].sum() == pytest.approx(60000) and table["pv_cost_before"].sum() == pytest.approx(70000)
    assert best.outcome == pytest.approx(700)


@pytest.mark.parametrize(("measure", "target", "words"), [
    ("teachers_trained", 2000, "out of reach"), ("officials_trained", 10, "no programme"),
    ("teachers", 10, "unknown outcome")])
def test_a_target_that_cannot_be_met_is_an_error(measure, target, words):
    with pytest.raises(OutcomeTargetError, match=words):
        cheapest_outcome(scenario_from_dict(_two_ways_to_train()), measure, target)


def test_optimise_with_a_target_writes_the_scaled_plan(tmp_path):
    from dfl_finance.cli import main

    path = tmp_path / "target.toml"
    save_scenario(scenario_from_dict(_two_ways_to_train()), path)
    assert main(["optimise", str(path), "--out", str(tmp_path / "out"), "--target", "teachers_trained=700"]) == 0
    table = pd.read_csv(tmp_path / "out" / "outcome_target.csv")
    assert list(table["target_share"]) == pytest.approx([0.2, 1.0])
    outcomes = pd.read_csv(tmp_path / "out" / "outcomes.csv")
    assert outcomes[outcomes["year"] == 2027]["teachers_trained"].sum() == 700
    assert main(["optimise", str(path), "--out", str(tmp_path / "bad"), "--target", "teachers_trained=5000"]) == 2


# ---------------------------------------------------------------------------- the portfolio's optimal rule

def _teachers_country(name: str, cost: float) -> "object":
    """A USD plan of one year that trains 100 teachers at ``cost`` in all (capex), its budget paying 100 of it."""
    return scenario_from_dict({
        "scenario": {"name": name, "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 100, "education_budget": 1000.0},
        "programme": [{"id": "teachers", "pillar": "capacities", "driver": "teachers", "target_year": 2026,
                       "cost": [{"item": "workshop", "kind": "capex", "unit_cost": cost / 100}],
                       "outcome": [{"measure": "teachers_trained"}]}],
        "source": [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.1}],
    })


@pytest.mark.parametrize(("objective", "shares"), [("teachers_trained", [0.0, 50.0]), ("gap", [37.5, 12.5])])
def test_the_portfolio_s_optimal_rule_can_target_an_outcome_by_hand(tmp_path, objective, shares):
    # A: 100 teachers for 400, its budget pays 100 (25 teachers): a USD of the fund trains 100/400 = 0.25 teachers, up
    # to a need of 300. B: 100 for 200, need 100: 0.5 teachers per USD. The most teachers trained with 50: all to B
    # (25 more teachers there, against 12.5 in A). The gap objective: a USD closes a USD anywhere; the tie goes to the
    # need-proportional shares 300 : 100, 37.5 and 12.5.
    from dfl_finance.studies.portfolio import load_portfolio, run_portfolio
    from tests.conftest import write_portfolio

    path = write_portfolio(tmp_path, {"A": _teachers_country("A", 400.0), "B": _teachers_country("B", 200.0)},
                           f'envelope = 50.0\nrule = "optimal"\nobjective = "{objective}"', name="teachers",
                           file="teachers.toml")
    r = run_portfolio(load_portfolio(path))
    assert r.share.tolist() == pytest.approx(shares, abs=1e-6)
    if objective != "gap":
        allocation = r.allocation_df()
        # the basis: the teachers trained at the share, 25 in A (its budget's), 25 + 25 in B
        assert allocation["basis"].tolist() == pytest.approx([25.0, 75.0])
        assert set(allocation["basis_unit"]) == {"teachers_trained"}


def test_by_fiscal_year_the_outcomes_are_stocks_at_the_fiscal_year_s_end():
    # Rwanda's fiscal year starts in July: every measure is read at the end of June, as the reach; schools connected
    # are the connectivity programme's reach, the other measures of its rows stay empty
    from dfl_finance.outputs.fiscal_view import context_of, fiscal_tables

    result = run(load_scenario(ROOT / "scenarios" / "rwanda-grants-gpe.toml"))
    fy = fiscal_tables({"outcomes": result.outcomes_df()}, context_of([result]))["outcomes"]
    connectivity = fy[fy["programme"] == "connectivity"]
    assert (connectivity["schools_connected"] == connectivity["reached"]).all()
    assert connectivity["teachers_trained"].isna().all()
    assert str(fy["teachers_trained"].dtype) == "Int64"
