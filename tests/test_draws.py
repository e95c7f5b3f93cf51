"""The draw axis end to end: N draws of identical inputs give, in every draw, the tables and summary of one draw,
for every bundled scenario and every table; every quantity that can be uncertain is a per-draw array."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dfl_finance import load_scenario, run
from dfl_finance.model.compile import build_model_inputs
from dfl_finance.model.samples import at_point
from tests.conftest import ROOT

BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_identical_draws_give_the_tables_of_one_draw(path):
    sc = load_scenario(path)
    one = run(sc).tables()
    many = run(sc, draws=3)
    assert many.draws == 3
    tables = many.draw_tables()
    assert set(tables) == set(one)
    for name, single in one.items():
        table = tables[name]
        assert list(table.columns) == [*single.columns[:1], "draw", *single.columns[1:]], name
        for d in range(3):
            rows = table[table["draw"] == d].drop(columns="draw").reset_index(drop=True)
            pd.testing.assert_frame_equal(rows, single.reset_index(drop=True), check_dtype=False, obj=name)
    assert many.for_draw(2).summary() == run(sc).summary()


def test_uncertain_quantities_are_arrays_per_draw():
    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    inp = build_model_inputs(sc, draws=4)
    D = 4
    assert inp.costs.unit_cost.shape[0] == D and inp.costs.target_index.shape[0] == D
    assert inp.costs.target_share.shape[0] == D
    assert inp.sources.commitment.shape[0] == D and inp.sources.annual_cap.shape[0] == D
    assert inp.budget_growth.shape == (D, inp.horizon) and inp.education_budget.shape == (D,)
    assert inp.prices.lcu.shape[0] == D and inp.prices.fx.shape[0] == D
    for spec in inp.loans + inp.ppps:
        assert spec.rate.shape == (D,) and spec.profile.shape[0] == D


def test_a_loan_rate_and_a_target_year_can_differ_between_draws():
    # draw 1 has a dearer loan and a later target than draw 0; each draw equals a run of a scenario with its values
    from dataclasses import replace

    from dfl_finance.engine.loans import repayment_profile
    from dfl_finance.engine.model import simulate
    from dfl_finance.outputs.result import Result

    # the deterministic run's point values ([risk] point = "mean") written in the fields, as build_model_inputs reads
    sc = at_point(load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml"))
    inp = build_model_inputs(sc, draws=2)
    loan = inp.loans[0]
    dear = repayment_profile("schedule", 0.02, 11, 40, [(12, 40, 0.0345)])
    profile = np.stack([loan.profile[0], dear])
    target = inp.costs.target_index.copy()
    target[1, 0] += 1  # connectivity reached one year later
    varied = replace(inp, loans=[replace(loan, rate=np.array([loan.rate[0], 0.02]), profile=profile)],
                     costs=replace(inp.costs, target_index=target))
    both = Result(scenario=sc, inputs=varied, sim=simulate(varied))
    base = run(sc).summary()
    assert both.for_draw(0).summary() == base
    # the same as editing the scenario itself
    ida = sc.source[0].model_copy(update={"rate": 0.02})
    prog = sc.programme[0].model_copy(update={"target_year": sc.programme[0].target_year + 1})
    edited = sc.model_copy(update={"source": [ida, *sc.source[1:]], "programme": [prog, *sc.programme[1:]]})
    assert both.for_draw(1).summary() == pytest.approx(run(edited).summary(), rel=1e-9)


def test_quantiles_of_identical_draws_are_the_single_values():
    from dfl_finance.outputs.result import STATISTICS, quantiles_df, yearly_quantiles_df

    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    single = run(sc).summary()
    q = quantiles_df(run(sc, draws=5))
    assert list(q.columns) == ["scenario", "metric", "statistic", "value", "unit", "note"]
    assert set(q["note"]) == {"its uncertain inputs move no summary metric: every draw is the same; its quantiles "
                              "are flat"}  # five copies of one run: nothing sampled
    for metric, value in single.items():
        rows = q[q["metric"] == metric]
        assert list(rows["statistic"]) == list(STATISTICS), metric
        assert rows["value"].tolist() == pytest.approx([value] * len(STATISTICS), rel=1e-12, abs=1e-9), metric
    over = q[q["metric"] == "prob_over_limit"].set_index("statistic")["value"]
    assert over["mean"] == (1.0 if single["years_over_limit"] > 0 else 0.0)
    yearly = yearly_quantiles_df(run(sc, draws=3))
    costs = run(sc).costs_df().groupby("year")["amount"].sum()
    p50 = yearly[(yearly["measure"] == "cost") & (yearly["statistic"] == "p50")].set_index("year")["value"]
    lines = run(sc).costs_df().groupby("year").size().max()  # each line rounded to whole francs (RWF) in costs_df
    assert p50.to_dict() == pytest.approx(costs.to_dict(), abs=0.5 * lines + 1.0)


def test_quantiles_by_hand_over_draws_that_differ():
    # five draws whose education budget is 1, 2, 3, 4, 5 x the scenario's: a plan paid from the budget alone at a
    # fixed cost has a burden share that falls as 1/k; its p50 is the third draw's and its mean the mean of the five
    from dataclasses import replace

    from dfl_finance import scenario_from_dict
    from dfl_finance.engine.model import simulate
    from dfl_finance.outputs.result import Result, quantiles_df

    sc = scenario_from_dict({
        "scenario": {"name": "q", "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1000.0, "burden_limit": 0.05},
        "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                       "cost": [{"item": "x", "kind": "fixed_opex", "unit_cost": 100.0}]}],
        "source": [{"id": "mof", "kind": "domestic"}]})
    inp = build_model_inputs(sc, draws=5)
    k = np.arange(1.0, 6.0)
    varied = replace(inp, education_budget=inp.education_budget * k)
    q = quantiles_df(Result(scenario=sc, inputs=varied, sim=simulate(varied))).set_index(["metric", "statistic"])
    shares = 0.1 / k  # 100 / (1000 k)
    assert q.loc[("peak_burden_share", "p50"), "value"] == pytest.approx(shares[2])
    assert q.loc[("peak_burden_share", "mean"), "value"] == pytest.approx(shares.mean())
    assert q.loc[("peak_burden_share", "p90"), "value"] == pytest.approx(np.percentile(shares, 90))
    # against a 5% limit only the first draw (10%) is over; the second is at it (5%), which is not over
    assert q.loc[("prob_over_limit", "mean"), "value"] == pytest.approx(0.2)


def test_a_draw_gives_the_same_numbers_whatever_draws_it_runs_with():
    # the six-source benchmark scenario solves the forward match rule iteratively: its tolerance is per draw, so a
    # draw run alone and the same draw run beside much larger ones agree
    from dataclasses import replace

    from dfl_finance.engine.model import simulate

    sc = load_scenario(ROOT / "benchmarks" / "scenarios" / "six_sources.toml")
    inp = build_model_inputs(sc, draws=3)
    scale = np.array([1.0, 50.0, 0.02])[:, None]
    varied = replace(inp, costs=replace(inp.costs, unit_cost=inp.costs.unit_cost * scale))
    together = simulate(varied)
    alone = simulate(build_model_inputs(sc, draws=1))
    assert together.allocation.iterations > 2  # the match rule is solved iteratively here
    assert np.array_equal(together.allocation.pay[0], alone.allocation.pay[0])
    assert np.array_equal(together.allocation.gap[0], alone.allocation.gap[0])
