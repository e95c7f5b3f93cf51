"""Options at equal delivery and after the horizon: programme priority, the reach that funded capex buys, the gap
bond, the recurrent bill after the partners leave, incremental tables against a baseline, and what a country
profile fills (the budget in local currency, the non-wage budget, the exchange rate of its year).

Every expected number is worked out by hand in the comments.
"""

from __future__ import annotations

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from dfl_finance import run, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.inputs.profiles import country_profiles, observed_fx
from dfl_finance.outputs.result import incremental_df


def _scenario(programmes, sources, years=3, post=0, budget=1000.0, folder=None, **meta):
    return scenario_from_dict({
        "scenario": {"name": meta.pop("name", "t"), "start_year": 2026, "years": years, "post_horizon_years": post,
                     **meta},
        "context": {"schools": 10, "learners": 100, "teachers": 0, "education_budget": budget},
        "programme": programmes,
        "source": sources,
    }, folder=folder)


def _fixed(pid, amount, priority=None, kind="fixed_opex"):
    prog = {"id": pid, "pillar": "governance", "driver": "none",
            "cost": [{"item": pid, "kind": kind, "unit_cost": amount}]}
    if priority is not None:
        prog["priority"] = priority
    return prog


def test_the_gap_falls_on_the_programme_with_the_lowest_priority():
    # 60 a year of budget (6% of 1,000) for a: 50 and b: 40 a year. In file order a is paid first and b carries the
    # gap of 30; with b at priority 0 and a at priority 1, b keeps its funding and a carries the gap.
    domestic = [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.06}]
    plain = run(_scenario([_fixed("a", 50.0), _fixed("b", 40.0)], domestic))
    gap = plain.financing_df().query("source == 'gap'").groupby("programme")["amount"].sum()
    assert dict(gap) == {"b": pytest.approx(90.0)}
    ranked = run(_scenario([_fixed("a", 50.0, priority=1), _fixed("b", 40.0, priority=0)], domestic))
    gap = ranked.financing_df().query("source == 'gap'").groupby("programme")["amount"].sum()
    assert dict(gap) == {"a": pytest.approx(90.0)}
    # the tables keep the file's order of programmes
    assert list(ranked.costs_df()["programme"].unique()) == ["a", "b"]


def test_reached_funded_counts_the_units_the_funded_capex_buys():
    # 10 schools, none before 2026, 100% by 2027 (linear over 2 years: 5 new a year), 100 per school of capex.
    # The budget pays 300 a year (30%): 2026 capex 500 -> 60% funded -> 3 of the 5 new schools; 2027 the same.
    prog = {"id": "connect", "pillar": "infrastructure", "driver": "schools", "target_year": 2027,
            "cost": [{"item": "kit", "kind": "capex", "unit_cost": 100.0}]}
    res = run(_scenario([prog], [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.3}], years=2))
    out = res.outcomes_df()
    assert list(out["reached"]) == [5, 10]
    assert list(out["reached_funded"]) == [3, 6]
    assert_allclose(out["reached_funded_share"], [0.3, 0.6])


def test_the_gap_bond_puts_a_price_on_the_gap():
    # One year, a gap of 100 (cost 100, no source); the bond: 10%, 2 years, principal at maturity.
    # Payments: 10 in 2027, 110 in 2028. Zero inflation, nominal discount 5%: PV = 10/1.05 + 110/1.05^2
    # = 9.5238 + 99.7732 = 109.2971; the government pays nothing else.
    sc = scenario_from_dict({
        "scenario": {"name": "bond", "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1000.0,
                    "gap_financing": {"rate": 0.1, "maturity_years": 2, "note": "hand example"}},
        "programme": [_fixed("a", 100.0, kind="fixed_capex")],
    })
    s = run(sc).summary()
    assert s["total_gap"] == pytest.approx(100.0)
    assert s["pv_government_cost"] == 0
    assert s["pv_government_cost_full_delivery"] == pytest.approx(10 / 1.05 + 110 / 1.05 ** 2, abs=0.01)


def test_the_recurrent_bill_after_the_partners_leave():
    # capex 100 per school in 2026 (10 schools reached at once), opex 20 per school a year, 2 plan years and 3 more.
    # A grant pays everything in 2026 only: the last external disbursement is 2026. After it, the plan costs 200 a
    # year (opex) in 2027 .. 2030 (the plan's second year and the 3 post-horizon years): mean 200, against a budget
    # of 1,000 a year: 20%.
    prog = {"id": "connect", "pillar": "infrastructure", "driver": "schools", "rollout": "immediate",
            "cost": [{"item": "kit", "kind": "capex", "unit_cost": 100.0},
                     {"item": "service", "kind": "opex", "unit_cost": 20.0}]}
    sources = [{"id": "donor", "kind": "grant", "last_year": 2026},
               {"id": "mof", "kind": "domestic"}]
    res = run(_scenario([prog], sources, years=2, post=3))
    s = res.summary()
    assert s["recurrent_cost_after_external"] == pytest.approx(200.0)
    assert s["recurrent_share_after_external"] == pytest.approx(0.2)
    fiscal = res.fiscal_df()
    assert list(fiscal["year"]) == [2026, 2027, 2028, 2029, 2030]  # the table runs to the last year with a cost
    assert list(fiscal["plan_cost"]) == [1200.0, 200.0, 200.0, 200.0, 200.0]
    assert s["total_cost"] == pytest.approx(1400.0)  # the totals stay those of the plan's years
    # without external finance the metric is not defined, so not shown
    alone = run(_scenario([prog], [{"id": "mof", "kind": "domestic"}], years=2, post=3)).summary()
    assert "recurrent_cost_after_external" not in alone


def test_incremental_table_against_a_baseline_scenario(tmp_path):
    # The option: a grant pays 30 a year of a 50 a year plan; its baseline: the budget pays it all. The increments:
    # domestic outlay -30 a year, paid_by_grant +30, the plan's cost unchanged.
    option = _scenario([_fixed("a", 50.0)], [{"id": "g", "kind": "grant", "annual_cap": 30.0},
                                             {"id": "mof", "kind": "domestic"}], years=2, name="grant")
    base = _scenario([_fixed("a", 50.0)], [{"id": "mof", "kind": "domestic"}], years=2, name="budget")
    df = incremental_df(run(option), run(base))
    by = df.set_index(["year", "measure"])["delta"]
    assert by[(2026, "domestic_outlay")] == pytest.approx(-30.0)
    assert by[(2027, "paid_by_grant")] == pytest.approx(30.0)
    assert by[(2026, "plan_cost")] == 0
    assert set(df["baseline"]) == {"budget"} and set(df["currency"]) == {"USD"}


def test_run_writes_incremental_csv_and_refuses_a_missing_baseline(tmp_path, capsys):
    from dfl_finance.inputs.io import dump_scenario

    base = _scenario([_fixed("a", 50.0)], [{"id": "mof", "kind": "domestic"}], years=2, name="budget")
    (tmp_path / "base.toml").write_text(dump_scenario(base), encoding="utf-8")
    option = _scenario([_fixed("a", 50.0)], [{"id": "g", "kind": "grant", "annual_cap": 30.0},
                                             {"id": "mof", "kind": "domestic"}], years=2, name="grant",
                       baseline="base.toml", folder=tmp_path)
    (tmp_path / "option.toml").write_text(dump_scenario(option), encoding="utf-8")
    assert main(["run", str(tmp_path / "option.toml"), "--out", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / "incremental.csv")
    assert table.query("year == 2026 and measure == 'paid_by_grant'")["delta"].item() == pytest.approx(30.0)
    (tmp_path / "base.toml").unlink()
    capsys.readouterr()
    assert main(["run", str(tmp_path / "option.toml"), "--out", str(tmp_path / "out2")]) == 2
    err = capsys.readouterr().err
    assert "scenario.baseline" in err and "base.toml" in err and "Traceback" not in err
    assert not (tmp_path / "out2").exists()


def test_a_profile_budget_in_local_currency_fills_a_scenario_in_either_currency():
    # Rwanda's profile budget is in RWF of its fiscal year; a RWF scenario takes it as written with that year, a USD
    # scenario at the profile's exchange rate
    prof = country_profiles()["RWA"]
    budget, fx = prof.values["education_budget"], prof.values["fx_rate"]
    raw = {"scenario": {"name": "r", "country": "RWA", "start_year": 2026, "years": 2, "currency": "RWF"},
           "programme": [_fixed("a", 1.0)]}
    sc = scenario_from_dict(raw)
    assert sc.context.education_budget == budget.value and sc.context.budget_year == budget.year
    # the exchange rate: the latest observed in data/price_history.csv by the price year, else the profile's
    obs = observed_fx("RWF", 2026)
    assert (sc.macro.fx_rate, sc.macro.fx_year) == ((obs.value, obs.year) if obs else (fx.value, fx.year))
    raw["scenario"]["currency"] = "USD"
    usd = scenario_from_dict(raw)
    assert usd.context.education_budget == pytest.approx(budget.value / fx.value)
    assert usd.macro.fx_rate is None and usd.macro.inflation is None  # a USD scenario: flat prices


def test_the_non_wage_budget_scope_takes_the_profile_s_non_wage_budget():
    prof = country_profiles()["KEN"]
    raw = {"scenario": {"name": "k", "country": "KEN", "start_year": 2026, "years": 2, "currency": "KES"},
           "context": {"budget_scope": "non-wage"}, "programme": [_fixed("a", 1.0)]}
    assert scenario_from_dict(raw).context.education_budget == prof.values["education_budget_non_wage"].value


def test_a_budget_of_an_earlier_year_is_carried_to_start_year_at_real_growth_and_prices():
    # 1,000 XOF written in the 2024 budget law; inflation 10% a year (data/ has no XOF price history, so 2025 and
    # 2026 take the first projection year's rate); real growth 5% a year. In constant 2026 prices the 2024 budget
    # is worth 1,000 x 1.1^2 = 1,210, and two years of real growth make the 2026 budget 1,210 x 1.05^2 = 1,334.03
    sc = scenario_from_dict({
        "scenario": {"name": "b", "start_year": 2026, "years": 1, "currency": "XOF", "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1000.0, "budget_year": 2024,
                    "budget_growth": 0.05},
        "macro": {"inflation": 0.1, "usd_inflation": 0.0, "fx_rate": 1.0},
        "programme": [_fixed("a", 1.0)],
    })
    res = run(sc)
    assert res.fiscal_df()["education_budget"].iloc[0] == pytest.approx(1334.03, abs=0.5)
    # in current 2026 prices the same (price_year is start_year)
    assert res.in_basis("nominal-lcu").fiscal_df()["education_budget"].iloc[0] == pytest.approx(1334.03, abs=0.5)


def test_after_the_plan_the_burden_carries_the_recurrent_bill():
    # the same plan as in test_the_recurrent_bill_after_the_partners_leave: 200 a year of opex after 2027, carried by
    # the government: the burden is 200 (20% of the budget) and the present value counts it (zero inflation, the
    # default 5% nominal rate): 200 / 1.05^2 + 200 / 1.05^3 + 200 / 1.05^4 after the plan's years
    prog = {"id": "connect", "pillar": "infrastructure", "driver": "schools", "rollout": "immediate",
            "cost": [{"item": "kit", "kind": "capex", "unit_cost": 100.0},
                     {"item": "service", "kind": "opex", "unit_cost": 20.0}]}
    res = run(_scenario([prog], [{"id": "donor", "kind": "grant", "last_year": 2026},
                                 {"id": "mof", "kind": "domestic"}], years=2, post=3))
    fiscal = res.fiscal_df().set_index("year")
    assert list(fiscal["recurrent_after_plan"]) == [0.0, 0.0, 200.0, 200.0, 200.0]
    assert fiscal.loc[2029, "government_burden"] == 200.0 and fiscal.loc[2029, "burden_share"] == pytest.approx(0.2)
    # 2027: the budget pays the opex (200); then the recurrent bill
    expected = 200 / 1.05 + sum(200 / 1.05 ** k for k in (2, 3, 4))
    assert res.summary()["pv_government_cost"] == pytest.approx(expected, abs=0.01)


def test_dsf_counts_only_the_years_the_plan_adds_to_a_breach():
    # a baseline already above the PV/GDP threshold (medium: 40%) counts for an option with a USD loan, in the years
    # its debt is outstanding, and not for the same plan paid from the budget
    debt = {"capacity": "medium", "data_year": 2026, "gdp": 1e6, "exports": 2e5, "revenue": 1.5e5,
            "pv_external_debt": 5e5, "external_debt_service": 1e4}
    base = {"scenario": {"name": "d", "start_year": 2026, "years": 2, "post_horizon_years": 0},
            "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e6},
            "debt": debt, "programme": [_fixed("a", 1000.0, kind="fixed_capex")]}
    loan = {"id": "l", "kind": "loan", "rate": 0.0, "grace_years": 0, "maturity_years": 2, "repayment": "linear"}
    with_loan = run(scenario_from_dict({**base, "source": [loan]})).summary()
    alone = run(scenario_from_dict({**base, "source": [{"id": "mof", "kind": "domestic"}]})).summary()
    assert alone["peak_pv_debt_gdp"] == pytest.approx(0.5)  # the baseline alone: 50% of GDP
    assert alone["peak_plan_pv_debt_gdp"] == 0 and alone["years_above_pv_debt_gdp"] == 0
    # the loan pays the 1,000 of 2026 (a USD scenario: every loan is external) and is repaid 500 in 2027 and 500 in
    # 2028: its PV is above 0 at the ends of 2026 and 2027, the two years of dsf.csv's plan in which it adds to the
    # baseline's breach
    assert with_loan["peak_plan_pv_debt_gdp"] > 0
    assert with_loan["years_above_pv_debt_gdp"] == 2


def test_warnings_for_a_low_nominal_discount_rate_and_a_price_before_the_price_history():
    from dfl_finance import scenario_warnings

    raw = {"scenario": {"name": "w", "start_year": 2026, "years": 2, "currency": "RWF", "discount_rate": 0.05},
           "macro": {"inflation": 0.06, "usd_inflation": 0.02, "fx_rate": 1300.0},
           "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9},
           "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                          "cost": [{"item": "x", "kind": "fixed_opex", "unit_cost": 1.0, "currency": "USD",
                                    "price_year": 1990}]}]}
    paths = {w.path: w.message for w in scenario_warnings(scenario_from_dict(raw))}
    assert "real rate is 0 or less" in paths["scenario.discount_rate"]
    assert "not in data/price_history.csv" in paths["programme[0].cost[0].price_year"]
    raw["scenario"].update(discount_rate=0.03, discount_basis="real")
    raw["programme"][0]["cost"][0]["price_year"] = 2023  # the US CPI of 2022-2025 is in data/
    assert scenario_warnings(scenario_from_dict(raw)) == []
