"""Cost engine: known answers computed by hand, and properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dfl_finance import run, scenario_from_dict
from dfl_finance.engine.costs import bought, project_costs, replacement_matrix, rollout_progress
from dfl_finance.engine.discount import present_value
from dfl_finance.model.compile import build_cost_inputs
from tests.conftest import small_scenario_dict
from tests.strategies import scenario_dicts


def _run(programmes, years=8, **context):
    ctx = {"schools": 100, "learners": 1000, "teachers": 50, "education_budget": 1e6, **context}
    raw = small_scenario_dict(programme=programmes, context=ctx)
    raw["scenario"]["years"] = years
    return run(scenario_from_dict(raw))


def _line_amounts(result, item):
    df = result.costs_df()
    return df.loc[df["item"] == item, "amount"].to_numpy()


# ----------------------------------------------------------------------------------------- known answers


def test_linear_rollout_with_replacement_cycle_and_opex():
    # 100 schools, 20% reached before 2026, 60% at the end of 2029 (target_year = start + 3, so T = 4 steps).
    # share  = 0.2 + 0.4 * [1/4, 2/4, 3/4, 1, 1, 1, 1, 1] = [0.3, 0.4, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    # reached = [30, 40, 50, 60, 60, 60, 60, 60];  reached before 2026 = 20
    # new     = [10, 10, 10, 10,  0,  0,  0,  0]
    # capex, lifetime 3: bought at i and again at i+3, i+6:
    #   q[0..2] = 10; q[3] = new3 + new0 = 20; q[4] = new4 + new1 = 10; q[5] = new5 + new2 = 10;
    #   q[6] = new6 + new3 + new0 = 20; q[7] = new7 + new4 + new1 = 10
    #   amount at 100 USD: [1000, 1000, 1000, 2000, 1000, 1000, 2000, 1000]
    # same line with replace_existing: the 20 old units are replaced evenly over the 3-year lifetime (ages taken as
    # uniform), in whole units: round(20/3) = 7, round(40/3) - 7 = 6, 20 - 13 = 7 -> [7, 6, 7] every cycle,
    # +[700, 600, 700, 700, 600, 700, 700, 600] (no spike of all 20 in one year)
    # opex 10 USD per reached school per year: 10 * reached = [300, 400, 500, 600, 600, 600, 600, 600]
    prog = {
        "id": "connectivity", "pillar": "infrastructure", "driver": "schools",
        "start_share": 0.2, "target_share": 0.6, "target_year": 2029, "rollout": "linear",
        "cost": [
            {"item": "terminal", "kind": "capex", "unit_cost": 100.0, "lifetime": 3},
            {"item": "terminal+old", "kind": "capex", "unit_cost": 100.0, "lifetime": 3, "replace_existing": True},
            {"item": "service", "kind": "opex", "unit_cost": 10.0},
        ],
    }
    res = _run([prog])
    assert_allclose(_line_amounts(res, "terminal"), [1000, 1000, 1000, 2000, 1000, 1000, 2000, 1000])
    assert_allclose(_line_amounts(res, "terminal+old"), [1700, 1600, 1700, 2700, 1600, 1700, 2700, 1600])
    assert_allclose(_line_amounts(res, "service"), [300, 400, 500, 600, 600, 600, 600, 600])
    out = res.outcomes_df()
    assert_allclose(out["reached"], [30, 40, 50, 60, 60, 60, 60, 60])
    assert_allclose(out["reached_share"], [0.3, 0.4, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6])


def test_fixed_capex_schedule_and_fixed_opex():
    # fixed_capex 5000 in 2026 and 2028 -> [5000, 0, 5000, 0]; fixed_opex 700 every year -> [700] * 4;
    # fixed_capex without schedule falls in the first year only -> [900, 0, 0, 0]
    prog = {
        "id": "governance", "pillar": "governance", "driver": "none",
        "cost": [
            {"item": "standards", "kind": "fixed_capex", "unit_cost": 5000.0, "schedule": [2026, 2028]},
            {"item": "authority", "kind": "fixed_opex", "unit_cost": 700.0},
            {"item": "launch", "kind": "fixed_capex", "unit_cost": 900.0},
        ],
    }
    res = _run([prog], years=4)
    assert_allclose(_line_amounts(res, "standards"), [5000, 0, 5000, 0])
    assert_allclose(_line_amounts(res, "authority"), [700, 700, 700, 700])
    assert_allclose(_line_amounts(res, "launch"), [900, 0, 0, 0])
    assert res.outcomes_df().empty  # a programme with driver "none" reaches nobody
    assert set(res.costs_df()["cost_kind"]) == {"capex", "opex"}


def test_price_trend():
    # 10 schools all reached at once; opex 100 USD/school/yr falling 10% a year:
    # amount[i] = 10 * 100 * 0.9 ** i = [1000, 900, 810, 729]
    prog = {"id": "service", "pillar": "infrastructure", "driver": "schools", "start_share": 1.0,
            "target_share": 1.0, "rollout": "immediate",
            "cost": [{"item": "bandwidth", "kind": "opex", "unit_cost": 100.0, "price_trend": -0.1}]}
    res = _run([prog], years=4, schools=10)
    assert_allclose(_line_amounts(res, "bandwidth"), [1000, 900, 810, 729])
    assert_allclose(res.costs_df()["unit_cost"], [100, 90, 81, 72.9])


def test_present_value_and_summary():
    # fixed_opex 1000 a year over 3 years at 5%: PV = 1000 + 1000/1.05 + 1000/1.05**2
    #   = 1000 + 952.380952... + 907.029478... = 2859.410430839
    # cost per learner-year = 3000 / (1000 learners * 3 years) = 1.0
    prog = {"id": "governance", "pillar": "governance", "driver": "none",
            "cost": [{"item": "authority", "kind": "fixed_opex", "unit_cost": 1000.0}]}
    res = _run([prog], years=3)
    s = res.summary()
    assert s["total_cost"] == pytest.approx(3000.0)
    assert res.sim.metrics["pv_total_cost"][0] == pytest.approx(2859.410430839, rel=1e-12)
    assert s["pv_total_cost"] == 2859.41  # written to the cent
    assert s["cost_per_learner_year"] == pytest.approx(1.0)
    assert_allclose(present_value(np.array([[1000.0, 1000.0, 1000.0]]), np.array([0.0])), [3000.0])


def test_cost_per_learner_year_without_learners_is_not_reported():
    prog = {"id": "governance", "pillar": "governance", "driver": "none",
            "cost": [{"item": "authority", "kind": "fixed_opex", "unit_cost": 1000.0}]}
    res = _run([prog], years=3, learners=0)
    assert np.isnan(res.sim.metrics["cost_per_learner_year"][0])  # not defined in the engine ...
    assert "cost_per_learner_year" not in res.summary()  # ... so absent from the outputs (never NaN)
    assert "cost_per_learner_year" not in set(res.summary_df()["metric"])


def test_rollout_shapes_by_hand():
    # T = 2 steps (target_index 1): x = [0.5, 1, 1]
    # linear [0.5, 1, 1]; front-loaded 1 - (1 - x)^2 = [0.75, 1, 1]; immediate [1, 1, 1];
    # s-curve: the logistic is symmetric about x = 0.5, so its rescaled value there is exactly 0.5.
    g = rollout_progress(np.array([0, 1, 2, 3]), np.array([1, 1, 1, 1]), 3)
    assert_allclose(g[:, 0], [0.5, 1, 1])
    assert_allclose(g[:, 1], [0.5, 1, 1])
    assert_allclose(g[:, 2], [0.75, 1, 1])
    assert_allclose(g[:, 3], [1, 1, 1])
    # s-curve over 4 steps is below linear before the midpoint and above after it
    s = rollout_progress(np.array([1]), np.array([3]), 4)[:, 0]
    assert s[0] < 0.25 and s[2] > 0.75 and s[3] == 1.0


def test_replacement_matrix_by_hand():
    r = replacement_matrix(np.array([2, 0]), 4)
    # lifetime 2: bought in s, again in s+2
    assert r[0].tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1]]
    assert r[1].tolist() == np.eye(4).tolist()  # never replaced


def test_one_year_horizon_and_zero_schools():
    prog = {"id": "connectivity", "pillar": "infrastructure", "driver": "schools", "rollout": "s-curve",
            "cost": [{"item": "terminal", "kind": "capex", "unit_cost": 500.0, "lifetime": 1}]}
    res = _run([prog], years=1, schools=0)
    assert res.summary()["total_cost"] == 0.0
    res = _run([prog], years=1, schools=10)
    assert_allclose(_line_amounts(res, "terminal"), [5000.0])  # all 10 reached in the only year


# ----------------------------------------------------------------------------------------- properties


@given(scenario_dicts())
def test_reach_is_bounded_monotone_and_hits_target(raw):
    sc = scenario_from_dict(raw)
    inp = build_cost_inputs(sc)
    proj = project_costs(inp)
    reached = proj.reached[0]
    count = inp.driver_count[0]
    assert np.all(reached <= count[None, :] * (1 + 1e-12) + 1e-9)
    assert np.all(np.diff(reached, axis=0) >= -1e-9 * np.maximum(count, 1))
    assert np.array_equal(reached, np.round(reached))  # whole units
    for p, prog in enumerate(sc.programme):
        t = (prog.target_year or sc.end_year) - sc.scenario.start_year
        # from the target year on: the target share of the count, to the nearest whole unit (at an exact half,
        # either neighbour: 110 x 0.85 = 93.5 is 93.50000000000001 in floating point, and the engine's path there
        # may land a bit below it)
        assert np.all(np.abs(reached[t:, p] - count[p] * prog.target_share) <= 0.5 + 1e-9 * max(count[p], 1))
        assert np.all(np.abs(proj.reached_share[0, t:, p] - prog.target_share) <= 0.5 / max(count[p], 1) + 1e-12)


@given(scenario_dicts())
def test_costs_are_non_negative_and_finite(raw):
    proj = project_costs(build_cost_inputs(scenario_from_dict(raw)))
    assert np.all(np.isfinite(proj.amount))
    assert np.all(proj.amount >= 0)
    assert np.all(proj.quantity >= -1e-9)


@given(scenario_dicts(), st.floats(0, 1e3, allow_nan=False))
def test_scaling_unit_costs_scales_every_amount(raw, k):
    base = project_costs(build_cost_inputs(scenario_from_dict(raw)))
    for prog in raw["programme"]:
        for line in prog["cost"]:
            line["unit_cost"] *= k
    scaled = project_costs(build_cost_inputs(scenario_from_dict(raw)))
    assert_allclose(scaled.amount, k * base.amount, rtol=1e-9, atol=1e-6)


@given(scenario_dicts(max_years=8), st.integers(2, 5))
def test_draw_axis_repeats_the_deterministic_run(raw, draws):
    sc = scenario_from_dict(raw)
    one = project_costs(build_cost_inputs(sc, draws=1))
    many = project_costs(build_cost_inputs(sc, draws=draws))
    assert many.amount.shape[0] == draws
    assert_allclose(many.amount, np.repeat(one.amount, draws, axis=0))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(1, 45), st.lists(st.integers(0, 12), min_size=1, max_size=6), st.data())
def test_units_bought_equal_the_replacement_product_to_the_bit(draws, years, lifetimes, data):
    """The recurrence of :func:`bought` against the product with :func:`replacement_matrix` it replaced (issue 21):
    whole units (also negative: reach may fall), every lifetime including 0 (never replaced)."""
    lifetime = np.array(lifetimes)
    shape = (draws, years, len(lifetimes))
    flat = data.draw(st.lists(st.integers(-10**9, 10**9), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    new = np.array(flat, dtype=float).reshape(shape)
    product = np.einsum("lis,dsl->dil", replacement_matrix(lifetime, years), new, optimize=True)
    assert np.array_equal(bought(new, lifetime), product)
