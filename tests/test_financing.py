"""Allocation (waterfall): a worked case by hand, match rules, and properties."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dfl_finance import ScenarioError, run, scenario_from_dict
from dfl_finance.engine.financing import SourceInputs, allocate

YEARS = [2026, 2027, 2028, 2029]


def _scenario(sources, programmes=None, years=4, budget=1e6, post=0):
    """A two-programme plan; ``post``: post_horizon_years (0 here, so the fiscal table ends with the plan or its
    debt)."""
    programmes = programmes or [
        {"id": "a", "pillar": "infrastructure", "driver": "none", "cost": [
            {"item": "build", "kind": "fixed_capex", "unit_cost": 100.0, "schedule": YEARS[:years]},
            {"item": "run", "kind": "fixed_opex", "unit_cost": 50.0}]},
        {"id": "b", "pillar": "capacities", "driver": "none", "cost": [
            {"item": "train", "kind": "fixed_opex", "unit_cost": 40.0}]},
    ]
    return scenario_from_dict({
        "scenario": {"name": "Waterfall", "start_year": 2026, "years": years, "post_horizon_years": post},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": budget},
        "programme": programmes,
        "source": sources,
    })


def _table(result) -> dict:
    df = result.financing_df()
    return {(r.year, r.source, r.programme, r.cost_kind): r.amount for r in df.itertuples() if r.amount != 0}


def test_three_sources_caps_commitment_match_and_gap():
    # Cells each year, in order: a:capex 100, a:opex 50, b:opex 40 (b has no capex lines) -> 190 a year.
    # ida (loan, priority 1): a:capex only, 80% of it, commitment 200 -> 80, 80, then 40 (commitment runs out), 0.
    # gpe (grant, priority 2): at most 30 a year and at most 0.5 x ida in the same year:
    #   limit 30, 30, min(30, 20) = 20, 0; paid in cell order: 2026/27: a:capex 20 (what ida left) + a:opex 10;
    #   2028: a:capex 20.
    # mof (domestic, last): at most 100 a year:
    #   2026/27: a:opex 40 + b:opex 40 = 80; 2028: a:capex 40 + a:opex 50 + b:opex 10 = 100;
    #   2029: a:capex 100 = 100.
    # gap: 2028 b:opex 30; 2029 a:opex 50 + b:opex 40.
    sources = [
        {"id": "ida", "kind": "loan", "terms": "ida21-regular", "priority": 1, "eligible": ["a:capex"],
         "share_cap": 0.8, "commitment": 200.0},
        {"id": "gpe", "kind": "grant", "priority": 2, "annual_cap": 30.0,
         "match": {"sources": ["ida"], "ratio": 0.5}},
        {"id": "mof", "kind": "domestic", "annual_cap": 100.0},
    ]
    res = run(_scenario(sources))
    expected = {}
    for y in (2026, 2027):
        expected |= {(y, "ida", "a", "capex"): 80.0, (y, "gpe", "a", "capex"): 20.0, (y, "gpe", "a", "opex"): 10.0,
                     (y, "mof", "a", "opex"): 40.0, (y, "mof", "b", "opex"): 40.0}
    expected |= {(2028, "ida", "a", "capex"): 40.0, (2028, "gpe", "a", "capex"): 20.0,
                 (2028, "mof", "a", "capex"): 40.0, (2028, "mof", "a", "opex"): 50.0,
                 (2028, "mof", "b", "opex"): 10.0, (2028, "gap", "b", "opex"): 30.0}
    expected |= {(2029, "mof", "a", "capex"): 100.0, (2029, "gap", "a", "opex"): 50.0,
                 (2029, "gap", "b", "opex"): 40.0}
    got = _table(res)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key
    s = res.summary()
    assert s["total_gap"] == pytest.approx(120.0)
    # 760 of cost = ida 200 + gpe 80 + mof 360 + gap 120
    assert s["total_loan"] == pytest.approx(200.0) and s["total_grant"] == pytest.approx(80.0)
    assert s["total_external"] == pytest.approx(280.0) and s["total_domestic"] == pytest.approx(360.0)
    assert s["leverage"] == pytest.approx(280.0 / 360.0)
    fiscal = res.fiscal_df()
    assert_allclose(fiscal["gap"].to_numpy()[:4], [0, 0, 30, 90])


def _one_cell(sources):
    prog = [{"id": "a", "pillar": "infrastructure", "driver": "none",
             "cost": [{"item": "build", "kind": "fixed_opex", "unit_cost": 100.0}]}]
    return run(_scenario(sources, programmes=prog, years=1)).summary()


@pytest.mark.parametrize("ratio, grant, domestic", [(1 / 3, 25.0, 75.0), (1.0, 50.0, 50.0), (3.0, 75.0, 25.0)])
def test_grant_matched_on_a_later_source_respects_the_ratio(ratio, grant, domestic):
    # The grant pays first but may pay at most ratio x what the (later) domestic budget pays:
    # g = ratio x (100 - g)  ->  g = 100 ratio / (1 + ratio)
    s = _one_cell([{"id": "gpe", "kind": "grant", "priority": 0, "match": {"sources": ["mof"], "ratio": ratio}},
                   {"id": "mof", "kind": "domestic"}])
    assert s["total_grant"] == pytest.approx(grant, rel=1e-9)
    assert s["total_domestic"] == pytest.approx(domestic, rel=1e-9)
    assert s["total_gap"] == pytest.approx(0.0, abs=1e-7)


def test_forward_match_on_a_capped_source_leaves_a_gap():
    # domestic can pay at most 30; a 1:1 grant ahead of it: g <= min(30, 100 - g) -> g = 30, domestic 30, gap 40
    s = _one_cell([{"id": "match", "kind": "grant", "match": {"sources": ["mof"], "ratio": 1.0}},
                   {"id": "mof", "kind": "domestic", "annual_cap": 30.0}])
    assert (s["total_grant"], s["total_domestic"]) == (pytest.approx(30.0), pytest.approx(30.0))
    assert s["total_gap"] == pytest.approx(40.0)


def test_budget_share_cap_and_window():
    # domestic at most 4% of a budget of 1,000 (40) in 2027-2028 only; 50 a year of cost
    prog = [{"id": "a", "pillar": "governance", "driver": "none",
             "cost": [{"item": "x", "kind": "fixed_opex", "unit_cost": 50.0}]}]
    res = run(_scenario([{"id": "mof", "kind": "domestic", "budget_share_cap": 0.04, "first_year": 2027,
                          "last_year": 2028}], programmes=prog, years=3, budget=1000.0))
    assert_allclose(res.fiscal_df()["domestic_outlay"], [0.0, 40.0, 40.0])
    assert_allclose(res.fiscal_df()["gap"], [50.0, 10.0, 10.0])


def test_ppp_pays_capex_only_and_is_repaid_as_an_annuity():
    # the operator pays a:capex (100 a year); the government pays 100 x 0.1 / (1 - 1.1^-2) = 57.62 a year for
    # each year's investment over the 2 following years
    sources = [{"id": "op", "kind": "ppp", "contract_years": 2, "return_rate": 0.1},
               {"id": "mof", "kind": "domestic"}]
    res = run(_scenario(sources, years=2))
    fin = res.financing_df()
    assert set(fin.loc[(fin.source == "op") & (fin.amount > 0), "cost_kind"]) == {"capex"}
    a = 100 * 0.1 / (1 - 1.1 ** -2)
    fiscal = res.fiscal_df()
    assert list(fiscal["year"]) == [2026, 2027, 2028, 2029]
    assert_allclose(res.sim.fiscal["ppp_payments"][0], [0.0, a, 2 * a, a])
    assert_allclose(fiscal["ppp_payments"], [0.0, a, 2 * a, a], atol=0.005)  # the table: to the cent
    assert_allclose(fiscal["government_burden"], fiscal["domestic_outlay"] + fiscal["ppp_payments"])
    debt = res.debt_service_df()
    assert set(debt["source"]) == {"op"}
    assert debt["principal"].sum() == pytest.approx(200.0)


def test_fiscal_table_runs_to_the_last_repayment():
    sources = [{"id": "ida", "kind": "loan", "terms": "ida21-40year"}]
    res = run(_scenario(sources, years=2))
    fiscal = res.fiscal_df()
    # disbursed in 2026 and 2027, the 2027 tranche's last repayment is k = 40 -> 2067
    assert fiscal["year"].iloc[-1] == 2067
    assert fiscal["debt_service"].iloc[-1] > 0
    assert res.summary()["years_to_last_payment"] == 42
    assert res.debt_service_df()["principal"].sum() == pytest.approx(res.summary()["total_loan"])
    assert 0.6 < res.summary()["grant_element__ida"] < 0.7


# ----------------------------------------------------------------------------------------- properties


@st.composite
def waterfalls(draw, allow_match=True):
    Y = draw(st.integers(1, 5))
    C = draw(st.integers(1, 4))
    S = draw(st.integers(1, 5))
    cost = np.array(draw(st.lists(st.floats(0, 1000, allow_nan=False), min_size=Y * C, max_size=Y * C)))
    kinds = draw(st.lists(st.integers(0, 3), min_size=S, max_size=S))
    match_on = np.zeros((S, S), dtype=bool)
    ratio = np.zeros(S)
    for g in range(S):
        if allow_match and kinds[g] == 1 and g > 0 and draw(st.booleans()):
            # matched only on sources listed before it in the file: no cycles
            match_on[g, draw(st.lists(st.integers(0, g - 1), min_size=1, max_size=g, unique=True))] = True
            ratio[g] = draw(st.floats(0.05, 3.0))

    def opt(lo, hi):
        return draw(st.one_of(st.just(np.inf), st.floats(lo, hi, allow_nan=False)))

    src = SourceInputs(
        order=np.array(draw(st.permutations(range(S)))),
        kind=np.array(kinds),
        eligible=np.array(draw(st.lists(st.booleans(), min_size=S * C, max_size=S * C))).reshape(S, C),
        window=np.array(draw(st.lists(st.booleans(), min_size=S * Y, max_size=S * Y))).reshape(S, Y),
        share_cap=np.array([[draw(st.floats(0, 1)) for _ in range(S)]]),
        annual_cap=np.array([[opt(0, 1500) for _ in range(S)]]),
        budget_share_cap=np.array([[opt(0, 0.5) if k == 0 else np.inf for k in kinds]]),
        commitment=np.array([[opt(0, 3000) for _ in range(S)]]),
        match_ratio=ratio,
        match_on=match_on,
    )
    budget = np.array([draw(st.lists(st.floats(0, 5000, allow_nan=False), min_size=Y, max_size=Y))])
    return cost.reshape(1, Y, C), src, budget


@given(waterfalls())
def test_conservation_and_caps(case):
    cost, src, budget = case
    alloc = allocate(cost, src, budget)
    pay, gap = alloc.pay, alloc.gap
    tol = 1e-9 * max(cost.sum(), 1.0)
    assert_allclose(pay.sum(axis=2) + gap, cost, atol=tol)  # sources + gap = cost, every cell
    assert np.all(pay >= 0) and np.all(gap >= -tol)
    annual = pay.sum(axis=3)  # (D, Y, S)
    for s in range(src.kind.shape[0]):
        assert np.all(pay[0, :, s, :][:, ~src.eligible[s]] == 0)
        assert np.all(pay[0, ~src.window[s], s, :] == 0)
        assert np.all(pay[0, :, s, :] <= src.share_cap[0, s] * cost[0] + tol)
        assert np.all(annual[0, :, s] <= src.annual_cap[0, s] + tol)
        if np.isfinite(src.budget_share_cap[0, s]):
            assert np.all(annual[0, :, s] <= src.budget_share_cap[0, s] * budget[0] + tol)
        assert annual[0, :, s].sum() <= src.commitment[0, s] + tol
        if src.match_ratio[s] > 0:
            matched = annual[0][:, src.match_on[s]].sum(axis=1)
            assert np.all(annual[0, :, s] <= src.match_ratio[s] * matched + tol)


@given(waterfalls(allow_match=False), st.integers(0, 4), st.floats(0, 2000, allow_nan=False))
def test_more_commitment_never_increases_the_gap(case, which, extra):
    # Holds without match rules. With them it need not: an earlier grant paying more can crowd out a loan on
    # which a later grant is matched, and that grant's match limit falls.
    cost, src, budget = case
    s = which % src.kind.shape[0]
    assume(np.isfinite(src.commitment[0, s]))
    more = src.commitment.copy()
    more[0, s] += extra
    from dataclasses import replace

    before = allocate(cost, src, budget).gap.sum()
    after = allocate(cost, replace(src, commitment=more), budget).gap.sum()
    assert after <= before + 1e-9 * max(cost.sum(), 1.0)


def test_financing_table_sums_to_costs():
    sources = [{"id": "ida", "kind": "loan", "terms": "ida21-regular", "annual_cap": 60.0},
               {"id": "mof", "kind": "domestic", "annual_cap": 50.0}]
    res = run(_scenario(sources))
    fin = res.financing_df().groupby(["year", "programme", "cost_kind"])["amount"].sum()
    costs = res.costs_df().groupby(["year", "programme", "cost_kind"])["amount"].sum()
    costs = costs[costs.index.isin(fin.index)]
    pd.testing.assert_series_equal(fin.sort_index(), costs.sort_index(), check_names=False)


def test_an_annual_cap_per_year_limits_each_year_to_its_own_amount():
    """A grant capped at 100, 0 and 50 in three years pays those where the cost is larger; the rest is the gap."""
    from dfl_finance import run, scenario_from_dict

    raw = {"scenario": {"name": "caps", "start_year": 2026, "years": 3, "post_horizon_years": 0},
           "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e6},
           "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                          "cost": [{"item": "a", "kind": "fixed_opex", "unit_cost": 80.0}]}],
           "source": [{"id": "donor", "kind": "grant", "annual_cap": [100.0, 0.0, 50.0]}]}
    res = run(scenario_from_dict(raw))
    fin = res.financing_df()
    paid = fin[fin["source"] == "donor"].groupby("year")["amount"].sum().to_dict()
    assert paid == {2026: 80.0, 2028: 50.0}  # (no row for a year it pays nothing)
    assert res.summary()["total_gap"] == 80.0 + 30.0
    raw["source"][0]["annual_cap"] = [100.0, 0.0]
    with pytest.raises(ScenarioError, match="shorter than the horizon"):
        scenario_from_dict(raw)
