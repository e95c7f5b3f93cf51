"""Risk that describes reality (issue 22): the deterministic run at each uncertain input's expected value
([risk] point), the budget's execution rate ([context] budget_execution), and a portfolio's common factors
([portfolio] common) drawn once per draw for every country."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import load_scenario, run, scenario_from_dict
from dfl_finance.engine.sampling import Marginal
from dfl_finance.errors import ScenarioError
from dfl_finance.inputs.paths import resolve
from dfl_finance.model.samples import at_point, draw_samples, point_values
from dfl_finance.outputs.point import close, why_apart
from tests.conftest import ROOT, write_portfolio

COST = "programme[connect].cost[kit].unit_cost"


def _plan(rows, point=None, unit_cost=500.0, context=None, sources=None):
    """One year, 100 schools reached at once, each a kit at ``unit_cost`` USD: total cost = 100 x unit cost."""
    raw = {
        "scenario": {"name": "point", "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 100, "learners": 0, "teachers": 0, "education_budget": 1e6, **(context or {})},
        "programme": [{"id": "connect", "pillar": "infrastructure", "driver": "schools", "rollout": "immediate",
                       "cost": [{"item": "kit", "kind": "capex", "unit_cost": unit_cost}]}],
        "source": sources or [],
        "uncertain": rows,
    }
    if point is not None:
        raw["risk"] = {"point": point}
    return scenario_from_dict(raw)


TRIANGLE = [{"path": COST, "distribution": "triangular", "low": 300.0, "mode": 450.0, "high": 900.0}]


# ------------------------------------------------------------------------------------------------ the point

def test_the_deterministic_run_takes_a_triangulars_mean_by_default():
    # triangular (300, 450, 900): mean (300 + 450 + 900) / 3 = 1,650 / 3 = 550; 100 kits: total cost 55,000 (the
    # file's 500 would give 50,000, the mode 45,000)
    sc = _plan(TRIANGLE)
    assert sc.risk.point == "mean"
    assert point_values(sc) == {("programme", 0, "cost", 0, "unit_cost"): 550.0}
    assert run(sc).summary()["total_cost"] == pytest.approx(55_000.0)
    assert run(_plan(TRIANGLE, "mode")).summary()["total_cost"] == pytest.approx(45_000.0)  # 100 x 450
    assert run(_plan(TRIANGLE, "as_written")).summary()["total_cost"] == pytest.approx(50_000.0)  # 100 x 500


def test_each_distributions_mean_and_mode_by_hand():
    # uniform (2, 6): mean = mode = midpoint 4; pert (1, 2, 6): mean (1 + 4 x 2 + 6) / 6 = 15 / 6 = 2.5, mode 2;
    # discrete 10, 20, 40 weighted 1, 2, 1: mean (10 + 40 + 40) / 4 = 22.5, mode 20 (the largest weight);
    # normal (0.05, 0.01) far from its bounds: mean = mode = 0.05
    assert Marginal("uniform", low=2.0, high=6.0).expected_value() == 4.0
    assert Marginal("uniform", low=2.0, high=6.0).most_likely() == 4.0
    assert Marginal("pert", low=1.0, mode=2.0, high=6.0).expected_value() == 2.5
    assert Marginal("pert", low=1.0, mode=2.0, high=6.0).most_likely() == 2.0
    d = Marginal("discrete", values=(10.0, 20.0, 40.0), weights=(1.0, 2.0, 1.0))
    assert (d.expected_value(), d.most_likely()) == (22.5, 20.0)
    n = Marginal("normal", mean=0.05, sd=0.01, lower_bound=-1.0, upper_bound=10.0)
    assert n.expected_value() == pytest.approx(0.05, abs=1e-12) and n.most_likely() == 0.05
    # a normal (0, 1) truncated at 0: the half-normal's mean sqrt(2 / pi) = 0.7979
    half = Marginal("normal", mean=0.0, sd=1.0, lower_bound=0.0)
    assert half.expected_value() == pytest.approx(math.sqrt(2 / math.pi), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["uniform", "triangular", "pert", "normal", "lognormal"]),
       a=st.floats(0.1, 10.0), width=st.floats(0.1, 10.0), c=st.floats(0.0, 1.0), s=st.floats(0.05, 1.5))
def test_the_expected_value_is_the_mean_of_the_quantiles(kind, a, width, c, s):
    # the mean of a distribution is the integral of its quantile function over (0, 1): a fine midpoint rule
    b, m = a + width, a + c * width
    marg = {"uniform": Marginal("uniform", low=a, high=b),
            "triangular": Marginal("triangular", low=a, mode=m, high=b),
            "pert": Marginal("pert", low=a, mode=m, high=b),
            "normal": Marginal("normal", mean=m, sd=s * width, lower_bound=a, upper_bound=b),
            "lognormal": Marginal("lognormal", median=m, sd_log=s, lower_bound=a, upper_bound=b)}[kind]
    u = (np.arange(100_000) + 0.5) / 100_000
    assert marg.expected_value() == pytest.approx(float(marg.ppf(u).mean()), rel=1e-4, abs=1e-9)
    lo, hi = marg.ppf(np.array([0.0, 1.0]))
    assert lo - 1e-9 <= marg.most_likely() <= hi + 1e-9


def test_a_scenario_at_its_point_runs_the_same_numbers():
    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    pointed = at_point(sc)
    assert pointed.risk.point == "as_written" and at_point(pointed) is pointed
    a, b = run(sc).tables(), run(pointed).tables()
    for name in a:
        assert a[name].equals(b[name]), name


def test_a_stress_starts_from_the_point():
    # capex overrun 20% on the triangular's mean: 100 x 550 x 1.2 = 66,000 (from the file's 500 it would be 60,000)
    from dfl_finance.inputs.stress import parse_stress
    from dfl_finance.studies.risk.stress import run_stresses

    stressed = run_stresses(_plan(TRIANGLE), [parse_stress("capex_overrun=0.2")])
    assert stressed.baseline.summary()["total_cost"] == pytest.approx(55_000.0)
    assert stressed.outcomes[0].result.summary()["total_cost"] == pytest.approx(66_000.0)


def test_a_whole_number_field_takes_the_nearest_whole_number():
    # a target year uniform over 2026..2029 (a 4-year plan): mean 2027.5, taken as 2028 (round half to even)
    raw_rows = [{"path": "programme[connect].target_year", "distribution": "uniform", "low": 2026.0,
                 "high": 2029.0}]
    sc = scenario_from_dict({
        "scenario": {"name": "years", "start_year": 2026, "years": 4},
        "context": {"schools": 100, "learners": 0, "teachers": 0, "education_budget": 1e6},
        "programme": [{"id": "connect", "pillar": "infrastructure", "driver": "schools",
                       "cost": [{"item": "kit", "kind": "capex", "unit_cost": 500.0}]}],
        "uncertain": raw_rows})
    assert point_values(sc) == {("programme", 0, "target_year"): 2028.0}
    assert at_point(sc).programme[0].target_year == 2028


@pytest.mark.parametrize("value", ["median", 1, None])
def test_an_unknown_point_is_refused_naming_the_field(value):
    raw = {"scenario": {"name": "x", "start_year": 2026, "years": 1},
           "context": {"schools": 1, "learners": 0, "teachers": 0, "education_budget": 1e6},
           "programme": [{"id": "p", "pillar": "infrastructure", "driver": "schools",
                          "cost": [{"item": "kit", "kind": "capex", "unit_cost": 1.0}]}],
           "risk": {"point": value}}
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(raw)
    [problem] = exc.value.problems
    assert problem.path == "risk.point" and problem.value == value
    assert "mean" in problem.message and "as_written" in problem.message  # it says what is allowed


def test_why_the_figures_differ_in_words():
    assert close(100.0, 101.9) and not close(100.0, 102.1)
    assert why_apart("mean", 100.0, 100.0, 100.0) == ""
    # a gap: 0 at the means, 0 in half the draws, large in a few: the deterministic figure and the P50 are below
    assert why_apart("mean", 0.0, 0.0, 5.0) == ("deterministic below the mean: not linear in its inputs (caps, "
                                                "thresholds, products); P50 below the mean: skewed draws (a long "
                                                "upper tail)")
    assert why_apart("mode", 90.0, 100.0, 100.0).startswith("deterministic below the mean: at the inputs' most")
    assert why_apart("as_written", 110.0, 100.0, 100.0).startswith("deterministic above the mean: at the file's")


# ------------------------------------------------------------------------------------------------ budget execution

def test_the_budget_execution_rate_scales_the_domestic_envelope():
    # budget 1,000,000, budget_share_cap 5%: 50,000 a year; at 80% execution the domestic source pays
    # 0.05 x 1,000,000 x 0.8 = 40,000 of the 100 x 500 = 50,000 of kits: the gap is 10,000
    mof = [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.05}]
    full = run(_plan([], sources=mof)).summary()
    assert full["total_domestic"] == pytest.approx(50_000.0) and full["total_gap"] == pytest.approx(0.0)
    part = run(_plan([], sources=mof, context={"budget_execution": 0.8})).summary()
    assert part["total_domestic"] == pytest.approx(40_000.0) and part["total_gap"] == pytest.approx(10_000.0)


def test_an_uncertain_execution_rate_takes_its_mean():
    # triangular (0.7, 0.8, 0.9): mean 0.8, so the same 40,000 and a gap of 10,000
    mof = [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.05}]
    rows = [{"path": "context.budget_execution", "distribution": "triangular", "low": 0.7, "mode": 0.8,
             "high": 0.9}]
    assert run(_plan(rows, sources=mof)).summary()["total_gap"] == pytest.approx(10_000.0)


@pytest.mark.parametrize("value", [0.0, 1.5, -0.2])
def test_a_budget_execution_outside_0_to_1_is_refused_naming_the_field(value):
    with pytest.raises(ScenarioError) as exc:
        _plan([], context={"budget_execution": value})
    [problem] = exc.value.problems
    assert problem.path == "context.budget_execution" and problem.value == value


# ------------------------------------------------------------------------------------------------ common factors

def _two_bundled():
    return (load_scenario(ROOT / "scenarios" / "rwanda-domestic.toml"),
            load_scenario(ROOT / "scenarios" / "kenya-domestic.toml"))


def test_a_common_factor_is_the_same_draw_in_every_country():
    # US inflation has the same distribution in both files: with it common, the two countries' draws are equal draw
    # by draw; the exchange rate has each country's own: the same quantile, so the ranks are equal
    rw, ke = _two_bundled()
    common = ["macro.usd_inflation", "macro.fx_rate"]
    a = draw_samples(rw, 200, 11, "lhs", common, 99)
    b = draw_samples(ke, 200, 22, "lhs", common, 99)
    np.testing.assert_array_equal(a[("macro", "usd_inflation")], b[("macro", "usd_inflation")])
    fx_a, fx_b = a[("macro", "fx_rate")], b[("macro", "fx_rate")]
    np.testing.assert_array_equal(np.argsort(fx_a), np.argsort(fx_b))
    # the other inputs are each country's own, and drawn as without common factors
    alone = draw_samples(rw, 200, 11, "lhs")
    np.testing.assert_array_equal(a[("macro", "inflation")], alone[("macro", "inflation")])


def test_without_common_factors_the_countries_draw_independently():
    rw, ke = _two_bundled()
    a, b = draw_samples(rw, 400, 11, "lhs"), draw_samples(ke, 400, 22, "lhs")
    x, y = a[("macro", "usd_inflation")], b[("macro", "usd_inflation")]
    assert not np.array_equal(x, y) and abs(np.corrcoef(x, y)[0, 1]) < 0.2


def test_a_common_factor_must_be_uncertain_in_every_country(tmp_path):
    from dfl_finance.studies.portfolio import load_portfolio

    rw, _ = _two_bundled()
    plain = _plan([])
    path = write_portfolio(tmp_path, {"Rwanda": rw, "Plain": plain}, 'envelope = 1e6\nrule = "need"')
    text = path.read_text(encoding="utf-8").replace('[portfolio]\n', '[portfolio]\ncommon = ["macro.usd_inflation"]\n')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_portfolio(path)
    [problem] = [p for p in exc.value.problems if "portfolio.common" in p.path]
    assert problem.path.endswith("portfolio.common[0]") and problem.value == "macro.usd_inflation"
    assert "not an uncertain input of point's scenario" in problem.message  # (the country's label: its name)


def test_a_portfolio_sweep_draws_its_common_factors_once_for_every_country(tmp_path):
    from dfl_finance.studies.sweep import case_inputs, load_sweep

    portfolio = tmp_path / "portfolio.toml"
    portfolio.write_text((ROOT / "examples" / "portfolio-east-africa.toml").read_text(encoding="utf-8").replace(
        '../scenarios/', str(ROOT / "scenarios") + "/"), encoding="utf-8")  # its common factors as they are
    spec = tmp_path / "sweep.toml"
    spec.write_text(f'[sweep]\nportfolio = "{portfolio}"\ndraws = 50\nchunk = 50\nseeds = [5]\n', encoding="utf-8")
    sweep = load_sweep(spec)
    rwanda, kenya = sweep.cases
    assert rwanda.common == kenya.common == ("macro.usd_inflation", "macro.fx_rate",
                                             "programme[devices].cost[0].unit_cost")
    assert rwanda.common_seed == kenya.common_seed and rwanda.sampling_seed != kenya.sampling_seed
    sa, a = case_inputs(sweep.texts[rwanda.file], rwanda, 50, sweep.method)
    sb, b = case_inputs(sweep.texts[kenya.file], kenya, 50, sweep.method)
    for path in ("macro.usd_inflation", "programme[devices].cost[0].unit_cost"):  # the same distributions: equal
        np.testing.assert_array_equal(a[resolve(sa, path)], b[resolve(sb, path)])  # (devices: 4th, 3rd programme)
    # the exchange rate: each country's own distribution, the same quantile: perfectly rank-correlated
    np.testing.assert_array_equal(np.argsort(a[("macro", "fx_rate")]), np.argsort(b[("macro", "fx_rate")]))
    assert not np.array_equal(a[("macro", "inflation")], b[("macro", "inflation")])
