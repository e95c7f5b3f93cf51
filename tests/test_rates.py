"""Discounting and exchange rates that do not decide the answer by default (issue 22): the government cost at three
rates (the IMF's 5% in USD, the borrowing rate, a social rate), the ranking of options and its flips (ranking.csv),
the default exchange rate observed in data/price_history.csv and the trend of the real exchange rate.

Every known answer is worked by hand in the test's docstring (docs/method.md, *Present values at three rates* and
*Prices and currencies*).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dfl_finance import load_scenario, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.inputs.profiles import MacroData, Observation, macro_data, observed_fx, real_exchange_trend
from dfl_finance.inputs.references import fx_assumption, placeholder_fields
from dfl_finance.model.compile import build_prices, horizon_of
from dfl_finance.outputs.result import ranking_df, run
from dfl_finance.vocabulary import PV_RATES, pv_rate_key
from tests.conftest import ROOT

PROPERTY = settings(max_examples=30, deadline=None)


def _scenario(*, macro=None, context=None, currency="RWF", years=3, cost=100.0, **meta):
    """One lump sum of ``cost`` a year (constant local prices of start_year), paid by the budget; no years after the
    plan, so the government cost of year y is exactly ``cost``."""
    raw = {
        "scenario": {"name": "Rates", "start_year": 2026, "years": years, "currency": currency,
                     "post_horizon_years": 0, **meta},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9, **(context or {})},
        "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                       "cost": [{"item": "staff", "kind": "fixed_opex", "unit_cost": cost}]}],
        "source": [{"id": "mof", "kind": "domestic", "budget_share_cap": 1.0}],
    }
    if macro is not None:
        raw["macro"] = macro
    return scenario_from_dict(raw)


# ------------------------------------------------------------------------------------- PV at three rates


def test_pv_at_three_rates_by_hand():
    """100 a year in 2026-2028 (constant 2026 RWF), RWF inflation 10%, US inflation 0%, the exchange rate following
    relative inflation (1,000 RWF per USD in 2026, then 1,100 and 1,210), borrowing rate 21% nominal, social rate 10%
    real, the scenario's own rate 0.

    - own rate 0: 100 + 100 + 100 = 300.
    - borrowing rate, nominal RWF flows 100, 110, 121 at 21%: 100 + 110 / 1.21 + 121 / 1.4641 = 100 + 90.9091
      + 82.6446 = 273.5537.
    - social rate, constant-price flows at 10% real: 100 + 100 / 1.1 + 100 / 1.21 = 273.5537 (21% nominal is 10%
      real at 10% inflation: 1.21 = 1.1 x 1.1).
    - 5% in USD: the flows in current USD are 100 / 1,000, 110 / 1,100, 121 / 1,210 = 0.1 USD each year; at 5%:
      0.1 + 0.1 / 1.05 + 0.1 / 1.1025 = 0.285941 USD, back in RWF of 2026 at 1,000: 285.9410.
    """
    sc = _scenario(macro={"inflation": 0.10, "usd_inflation": 0.0, "fx_rate": 1000.0},
                   context={"borrowing_rate": 0.21}, discount_rate=0.0, discount_basis="real",
                   social_discount_rate=0.10)
    s = run(sc).summary_arrays()
    assert_allclose(s["pv_government_cost"], [300.0])
    assert_allclose(s[pv_rate_key("borrowing_rate")], [100 + 110 / 1.21 + 121 / 1.4641])
    assert_allclose(s[pv_rate_key("borrowing_rate")], [273.553719], rtol=1e-8)
    assert_allclose(s[pv_rate_key("social_rate")], [273.553719], rtol=1e-8)
    assert_allclose(s[pv_rate_key("5pct")], [285.941043], rtol=1e-8)


def test_pv_at_5pct_is_plain_5pct_in_a_usd_scenario_and_the_bond_rate_is_the_default_borrowing_rate():
    """A USD scenario with 2% inflation: 100 constant USD a year are 100, 102, 104.04 current USD; at 5%:
    100 + 102 / 1.05 + 104.04 / 1.1025 = 100 + 97.1429 + 94.3673 = 291.5102. Without [context] borrowing_rate the
    gap-financing bond's 8% is the borrowing rate: 100 + 102 / 1.08 + 104.04 / 1.1664 = 100 + 94.4444 + 89.1975
    = 283.6420. Without social_discount_rate the social metric is not written."""
    sc = _scenario(currency="USD", macro={"inflation": 0.02},
                   context={"gap_financing": {"rate": 0.08, "maturity_years": 5}})
    s = run(sc).summary()
    assert s[pv_rate_key("5pct")] == pytest.approx(291.51, abs=0.006)
    assert s[pv_rate_key("borrowing_rate")] == pytest.approx(283.64, abs=0.006)
    assert pv_rate_key("social_rate") not in s


def test_without_a_bond_or_a_borrowing_rate_the_borrowing_metric_is_left_out():
    s = run(_scenario(currency="USD")).summary()
    assert pv_rate_key("borrowing_rate") not in s and pv_rate_key("social_rate") not in s
    assert s[pv_rate_key("5pct")] == pytest.approx(100 + 100 / 1.05 + 100 / 1.1025, abs=0.006)


def test_the_three_present_values_follow_the_price_basis_like_the_headline():
    """A present value is an amount of start_year: in nominal USD each is the real-lcu value x I_s / X_s, as
    pv_government_cost is (price year 2026 = start year: / 1,000)."""
    sc = _scenario(macro={"inflation": 0.10, "usd_inflation": 0.0, "fx_rate": 1000.0},
                   context={"borrowing_rate": 0.21}, social_discount_rate=0.10)
    lcu, usd = run(sc).summary_arrays(), run(sc, basis="nominal-usd").summary_arrays()
    for rate in PV_RATES:
        assert_allclose(usd[pv_rate_key(rate)], lcu[pv_rate_key(rate)] / 1000.0)


@PROPERTY
@given(rate=st.floats(0.0, 0.3), inflation=st.floats(-0.05, 0.3), cost=st.floats(1.0, 1e6))
def test_property_a_nominal_borrowing_rate_equals_its_fisher_real_rate(rate, inflation, cost):
    """At a constant inflation i, discounting nominal flows at r equals discounting constant-price flows at the real
    rate (1 + r) / (1 + i) - 1 (the Fisher relation): the borrowing and the social metric agree."""
    real = (1.0 + rate) / (1.0 + inflation) - 1.0
    if not 0.0 <= real <= 1.0:
        return
    sc = _scenario(macro={"inflation": inflation, "usd_inflation": 0.0, "fx_rate": 100.0}, cost=cost, years=4,
                   context={"borrowing_rate": rate}, social_discount_rate=real)
    s = run(sc).summary_arrays()
    assert_allclose(s[pv_rate_key("borrowing_rate")], s[pv_rate_key("social_rate")], rtol=1e-9)


@PROPERTY
@given(low=st.floats(0.0, 0.5), step=st.floats(0.001, 0.5))
def test_property_a_higher_rate_never_raises_the_present_value_of_positive_flows(low, step):
    a = run(_scenario(currency="USD", social_discount_rate=low)).summary_arrays()[pv_rate_key("social_rate")]
    b = run(_scenario(currency="USD", social_discount_rate=min(low + step, 1.0))).summary_arrays()[
        pv_rate_key("social_rate")]
    assert b[0] <= a[0] + 1e-9


# ------------------------------------------------------------------------------------------------ ranking


def _summary(name: str, values: dict[str, float], unit: str = "RWF") -> pd.DataFrame:
    return pd.DataFrame({"scenario": name, "metric": list(values), "value": list(values.values()), "unit": unit})


def test_a_ranking_that_flips_between_the_rates_says_so():
    """Early-paying option A: 100 at its own rate, 90 at the borrowing rate. Late-paying option B: 110 and 80. A is
    cheaper at the scenario's rate (100 < 110, difference -10), B at the borrowing rate (80 < 90, +10): flips."""
    own, bond = pv_rate_key("discount_rate"), pv_rate_key("borrowing_rate")
    r = ranking_df([_summary("A", {own: 100, bond: 90}), _summary("B", {own: 110, bond: 80})])
    assert r[["rate", "cheaper", "difference"]].values.tolist() == [["discount_rate", "A", -10.0],
                                                                    ["borrowing_rate", "B", 10.0]]
    assert r["flips"].tolist() == [True, True]
    assert "flips" in r["note"].iloc[0] and "A at its own discount rate" in r["note"].iloc[0]
    assert "headline pv_government_cost ranks A first" in r["note"].iloc[0]


def test_a_ranking_that_holds_at_every_rate_and_pairs_that_cannot_be_ranked():
    own, five = pv_rate_key("discount_rate"), pv_rate_key("5pct")
    same = ranking_df([_summary("A", {own: 1, five: 2}), _summary("B", {own: 3, five: 4}),
                       _summary("C", {own: 3}, unit="KES")])
    ab = same[(same.scenario == "A") & (same.other == "B")]
    assert ab["cheaper"].tolist() == ["A", "A"] and ab["flips"].tolist() == [False, False]
    assert "does not rest on the choice" in ab["note"].iloc[0]
    ac = same[same.other == "C"]  # different currencies: one shared rate, not ranked
    assert ac["rate"].tolist() == ["discount_rate", "discount_rate"]
    assert ac["cheaper"].tolist() == ["", ""] and ac["difference"].isna().all()
    assert "not ranked" in ac["note"].iloc[0]
    timing = ranking_df([_summary("A", {own: 1}), _summary("B", {own: 2})], not_comparable="different start years")
    assert timing["cheaper"].tolist() == [""]


def test_compare_writes_ranking_csv_and_prints_where_the_ranking_flips(tmp_path, capsys):
    """The bundled Rwanda options: the budget alone costs the government less than the PPP at the scenarios' own
    2.64% real and at 5% in USD, more at the 13% borrowing rate (the PPP's availability payments come later)."""
    files = [str(ROOT / "scenarios" / f) for f in ("rwanda-domestic.toml", "rwanda-ppp.toml")]
    assert main(["compare", *files, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Ranking by the present value of the government cost" in out and "flips" in out
    ranking = pd.read_csv(tmp_path / "ranking.csv")
    assert list(ranking["rate"]) == ["discount_rate", "5pct", "borrowing_rate", "social_rate"]
    assert ranking["flips"].all()
    cheaper = dict(zip(ranking["rate"], ranking["cheaper"]))
    assert cheaper["discount_rate"] == cheaper["5pct"] == "Rwanda: domestic budget only"
    assert cheaper["borrowing_rate"] == "Rwanda: PPP with a connectivity operator"
    meta = json.loads((tmp_path / "manifest.json").read_text())
    assert [e["origin"] for e in meta["exchange_rates"]] == ["price_history", "price_history"]


# --------------------------------------------------------------------------------------- the exchange rate


def test_the_default_exchange_rate_is_the_latest_observed_by_the_price_year():
    """A Rwanda scenario in RWF that writes no exchange rate: fx_rate is the price history's latest RWF rate of 2026
    or before (2025 in the bundled data), fx_year its year; the rate of 2026 is it times one year of relative
    inflation, X_2026 = X_2025 x (1 + RWF inflation) / (1 + US inflation), the projection year's rates (the
    profile's 4.1% and 2.3%: 1,440 x 1.041 / 1.023 = 1,465.34 with 1,440)."""
    sc = load_scenario(ROOT / "scenarios" / "rwanda-domestic.toml")
    obs = observed_fx("RWF", 2026)
    assert obs is not None and obs.year <= 2026
    assert (sc.macro.fx_rate, sc.macro.fx_year) == (obs.value, obs.year)
    prices = build_prices(sc, horizon_of(sc))
    at = prices.start + obs.year - 2026
    assert prices.fx[0, at] == pytest.approx(obs.value)
    if obs.year == 2025:
        assert prices.fx_base[0] == pytest.approx(obs.value * (1 + sc.macro.inflation) / (1 + sc.macro.usd_inflation))
    fx = fx_assumption(sc)
    assert fx is not None and fx["origin"] == "price_history" and fx["source"] == obs.source
    assert (("macro.fx_rate", obs.source) in placeholder_fields(sc)) == obs.placeholder


def test_a_rate_written_in_the_file_wins_and_says_so():
    raw = load_scenario(ROOT / "scenarios" / "rwanda-domestic.toml").model_dump(exclude_none=True)
    raw["macro"] = {"fx_rate": 1300.0, "fx_year": 2024}
    sc = scenario_from_dict(raw)
    assert (sc.macro.fx_rate, sc.macro.fx_year) == (1300.0, 2024)
    assert fx_assumption(sc)["origin"] == "file"


def test_observed_fx_takes_the_latest_year_at_or_before():
    d = MacroData(fx={"XYZ": {y: Observation("XYZ", float(y - 2000), y, f"s{y}", "M", False) for y in (2020, 2023)}})
    assert observed_fx("XYZ", 2019, d) is None
    assert observed_fx("XYZ", 2022, d).value == 20.0
    assert observed_fx("XYZ", 2030, d).year == 2023
    assert observed_fx("ABC", 2030, d) is None


def test_a_real_depreciation_trend_by_hand():
    """fx_rate 100 in 2026, inflation 5% in both currencies (relative inflation flat), real_depreciation 10%:
    X = 100, 110, 121 in 2026-2028. A line of 1 USD a year costs 100, 110, 121 constant RWF (rer = 1, 1.1, 1.21)."""
    sc = scenario_from_dict({
        "scenario": {"name": "Trend", "start_year": 2026, "years": 3, "currency": "RWF", "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9},
        "macro": {"inflation": 0.05, "usd_inflation": 0.05, "fx_rate": 100.0, "real_depreciation": 0.10},
        "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                       "cost": [{"item": "cloud", "kind": "fixed_opex", "unit_cost": 1.0, "currency": "USD"}]}]})
    prices = build_prices(sc, horizon_of(sc))
    assert_allclose(prices.window(prices.fx, 3)[0], [100.0, 110.0, 121.0])
    costs = run(sc).costs_df().sort_values("year")
    assert_allclose(costs["amount"], [100.0, 110.0, 121.0])


def test_with_a_path_the_trend_moves_only_the_years_before_it():
    """A plan of 2010-2011 (before the price history's first year, so no index is read: inflation is the file's 0
    before start_year too) with fx_path 100, 100, a price quoted in 2008 and fx_rate 90 of 2008; real_depreciation
    5%: the path's years are as written; 2009 is 90 x 1.05 = 94.5 (from the 2008 rate)."""
    sc = scenario_from_dict({
        "scenario": {"name": "Path", "start_year": 2010, "years": 2, "currency": "NPR", "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9},
        "macro": {"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 90.0, "fx_year": 2008,
                  "fx_path": [100.0, 100.0], "real_depreciation": 0.05},
        "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                       "cost": [{"item": "x", "kind": "fixed_opex", "unit_cost": 1.0, "price_year": 2008}]}]})
    prices = build_prices(sc, horizon_of(sc))
    assert_allclose(prices.fx[0, prices.start - 2:prices.start + 2], [90.0, 94.5, 100.0, 100.0])


def test_the_history_trend_by_hand():
    """R = X x U / I: 2020 10 x 100 / 100 = 10; 2022 13.2 x 110 / 121 = 12; (12 / 10) ** (1 / 2) - 1 = 9.5445%."""
    d = MacroData(cpi={"USD": {2020: 100.0, 2022: 110.0}, "XYZ": {2020: 100.0, 2022: 121.0}},
                  fx={"XYZ": {2020: Observation("XYZ", 10.0, 2020, "", "", False),
                              2022: Observation("XYZ", 13.2, 2022, "", "", False)}})
    t = real_exchange_trend("XYZ", 2030, d)
    assert (t.first, t.last) == (2020, 2022)
    assert t.rate == pytest.approx(1.2 ** 0.5 - 1.0)
    assert real_exchange_trend("XYZ", 2021, d) is None  # one year of history is not a trend


def test_history_in_a_scenario_uses_the_trend_of_the_price_history():
    raw = load_scenario(ROOT / "scenarios" / "kenya-domestic.toml").model_dump(exclude_none=True)
    raw["macro"] = {"real_depreciation": "history"}
    sc = scenario_from_dict(raw)
    trend = real_exchange_trend("KES", 2026, macro_data())
    prices = build_prices(sc, horizon_of(sc))
    rer = prices.window(prices.rer, 3)[0]
    assert_allclose(rer[1:] / rer[:-1], 1.0 + trend.rate)
    fx = fx_assumption(sc)
    assert fx["real_depreciation"] == pytest.approx(trend.rate)
    assert fx["real_depreciation_from"] == f"data/price_history.csv, {trend.first}-{trend.last}"


@PROPERTY
@given(d=st.floats(-0.5, 0.5), inflation=st.floats(0.0, 0.2), usd=st.floats(0.0, 0.1))
def test_property_the_real_exchange_rate_moves_by_the_trend_every_year(d, inflation, usd):
    sc = _scenario(macro={"inflation": inflation, "usd_inflation": usd, "fx_rate": 500.0, "real_depreciation": d},
                   years=5)
    prices = build_prices(sc, horizon_of(sc))
    rer = prices.window(prices.rer, 5)[0]
    assert_allclose(rer / rer[0], (1.0 + d) ** np.arange(5), rtol=1e-9)
