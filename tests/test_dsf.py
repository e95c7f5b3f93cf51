"""Debt sustainability (LIC-DSF): the baseline's debt and the economy it is measured against respond to a shock
through the accounts (issue 22), checked against answers worked out by hand in the comments.

The LIC-DSF's standardised depreciation shock is a one-off 30% nominal depreciation (IMF and World Bank, Guidance Note
on the Bank-Fund Debt Sustainability Framework for Low Income Countries, 2018, section on the standardised stress
tests). External debt is owed in foreign currency: its USD value does not move with the exchange rate, while GDP and
revenue, earned in local currency, fall in USD; exports, earned in USD, do not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import run, scenario_from_dict
from dfl_finance.engine.dsf import DsfInputs, dsf_paths
from dfl_finance.studies.risk.stress import StressSpec, apply_stress


def _economy(pv_gdp=0.5, service_exports=0.1, lcu_share=None, years=4):
    """A plan of RWF 130 bn a year (USD 100 M) paid from the budget (it adds no debt) in RWF, with a baseline: GDP
    USD 10 bn in 2026, exports USD 2.5 bn (25% of GDP), revenue USD 2 bn (20%), PV of external debt ``pv_gdp`` of GDP,
    debt service ``service_exports`` of exports. Local and US inflation are equal and the exchange rate follows them:
    the real rate is constant."""
    gdp = 10e9
    debt = {"capacity": "medium", "data_year": 2026, "gdp": gdp, "exports": 0.25 * gdp, "revenue": 0.2 * gdp,
            "pv_external_debt": pv_gdp * gdp, "external_debt_service": service_exports * 0.25 * gdp}
    if lcu_share is not None:
        debt["external_lcu_share"] = lcu_share
    return scenario_from_dict({
        "scenario": {"name": "economy", "start_year": 2026, "years": years, "post_horizon_years": 0,
                     "currency": "RWF"},
        "macro": {"inflation": 0.03, "usd_inflation": 0.03, "fx_rate": 1300.0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e14},
        "debt": debt,
        "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                       "cost": [{"item": "a", "kind": "fixed_opex", "unit_cost": 1.3e11}]}],
        "source": [{"id": "mof", "kind": "domestic"}],
    })


def _totals(result, ratio):
    dsf = result.dsf_df()
    return dsf[dsf["ratio"] == ratio].set_index("year")["total"]


def test_a_30_percent_depreciation_takes_a_50_percent_pv_of_debt_to_gdp_to_65_percent():
    """The shock comes in the plan's second year (2027) and stays. The debt, in USD, is what it was; GDP in USD is
    1 / 1.3 of what it was: 50% x 1.3 = 65% of GDP. Exports are earned in USD: PV / exports stays 0.5 / 0.25 = 200%,
    and debt service / exports 10%. Revenue is earned in local currency: service / revenue, 10% x 2.5 bn / 2 bn =
    12.5% before, is 12.5% x 1.3 = 16.25% after."""
    base = run(_economy())
    shocked = run(apply_stress(_economy(), StressSpec("depreciation")))
    assert _totals(base, "pv_debt_gdp").tolist() == pytest.approx([0.5] * 4, abs=1e-12)
    assert _totals(shocked, "pv_debt_gdp").tolist() == pytest.approx([0.5, 0.65, 0.65, 0.65], abs=1e-12)
    for ratio, value in (("pv_debt_exports", 2.0), ("debt_service_exports", 0.1)):
        assert _totals(shocked, ratio).tolist() == pytest.approx([value] * 4, abs=1e-12)
    assert _totals(shocked, "debt_service_revenue").tolist() == pytest.approx([0.125] + [0.1625] * 3, abs=1e-12)
    # above the 40% threshold of medium capacity either way; the shock leaves 25 points less headroom in 2027
    dsf = shocked.dsf_df()
    row = dsf[(dsf["ratio"] == "pv_debt_gdp") & (dsf["year"] == 2027)].iloc[0]
    assert row["threshold"] == pytest.approx(0.40) and bool(row["above_threshold"])


def test_the_local_currency_share_of_the_debt_falls_with_the_currency():
    """40% of the debt in local currency: after a 30% depreciation it is worth 1 / 1.3 in USD, the rest unchanged.
    PV in USD: 0.5 G (0.6 + 0.4 / 1.3) against GDP G / 1.3: 0.5 x (0.6 x 1.3 + 0.4) = 0.5 x 1.18 = 59%.
    Against exports (0.25 G, unchanged): 2.0 x (0.6 + 0.4 / 1.3) = 1.815385."""
    shocked = run(apply_stress(_economy(lcu_share=0.4), StressSpec("depreciation")))
    assert _totals(shocked, "pv_debt_gdp")[2027] == pytest.approx(0.59, abs=1e-12)
    assert _totals(shocked, "pv_debt_exports")[2027] == pytest.approx(2.0 * (0.6 + 0.4 / 1.3), abs=1e-9)  # (10 digits)
    # without a shock the share changes nothing
    assert _totals(run(_economy(lcu_share=0.4)), "pv_debt_gdp").tolist() == pytest.approx([0.5] * 4, abs=1e-12)


def test_a_depreciation_moves_the_plans_usd_debt_against_gdp_and_not_against_exports():
    """The plan's own external debt (a USD loan that pays only in 2026, before the shock: the same USD both ways) is
    in USD too: from 2027 its PV is 1.3 times the share of GDP it was, and the same share of exports."""
    raw = _economy().model_dump(mode="json", exclude_none=True)
    raw["source"] = [{"id": "bank", "kind": "loan", "currency": "USD", "rate": 0.02, "grace_years": 1,
                      "maturity_years": 10, "repayment": "linear", "last_year": 2026},
                     {"id": "mof", "kind": "domestic"}]
    sc = scenario_from_dict(raw)
    base, shocked = run(sc).dsf_df(), run(apply_stress(sc, StressSpec("depreciation"))).dsf_df()

    def plan(dsf, ratio):
        return dsf[dsf["ratio"] == ratio].set_index("year")["plan"]

    assert plan(base, "pv_debt_gdp")[2027] > 0
    for year in (2027, 2028, 2029):
        assert plan(shocked, "pv_debt_gdp")[year] == pytest.approx(1.3 * plan(base, "pv_debt_gdp")[year], rel=1e-8)
        assert plan(shocked, "pv_debt_exports")[year] == pytest.approx(plan(base, "pv_debt_exports")[year],
                                                                        rel=1e-8)


@settings(max_examples=50, deadline=None)
@given(pv=st.floats(0.0, 2.0), service=st.floats(0.0, 0.5), share=st.floats(0.0, 1.0),
       shock=st.floats(-0.5, 3.0), growth=st.floats(-0.05, 0.1))
def test_a_real_depreciation_scales_the_baselines_ratios_by_the_accounts(pv, service, share, shock, growth):
    """For any baseline, local-currency share ``s`` and real depreciation ``x`` (d = 1 + x): PV/GDP = b x ((1 - s) d
    + s); PV/exports and service/exports x ((1 - s) + s / d); service/revenue x ((1 - s) d + s)."""
    inp = DsfInputs(np.array([1e9]), np.array([growth]), np.array([0.3]), np.array([0.2]), np.array([pv]),
                    np.array([service]), np.full(4, np.nan), np.array([share]))
    d = 1.0 + shock
    p = dsf_paths(inp, np.array([[1.0, 1.02, 1.04]]), np.array([[1.0, d, d]]))
    assert p.base_pv[0, 1:] / p.gdp[0, 1:] == pytest.approx([pv * ((1 - share) * d + share)] * 2, rel=1e-12,
                                                              abs=1e-15)
    assert p.base_pv[0, 1:] / p.exports[0, 1:] == pytest.approx([pv / 0.3 * ((1 - share) + share / d)] * 2,
                                                                  rel=1e-12, abs=1e-15)
    assert p.base_service[0, 1:] / p.revenue[0, 1:] == pytest.approx(
        [service * 0.3 / 0.2 * ((1 - share) * d + share)] * 2, rel=1e-12, abs=1e-15)
    assert p.base_pv[0, 0] / p.gdp[0, 0] == pytest.approx(pv, rel=1e-12, abs=1e-15)  # before the shock


def test_a_local_currency_share_outside_0_to_1_names_its_field():
    from dfl_finance import ScenarioError

    raw = _economy().model_dump(mode="json", exclude_none=True)
    raw["debt"]["external_lcu_share"] = 1.5
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    assert "debt.external_lcu_share" in str(info.value) and "1.5" in str(info.value)


# ------------------------------------------------------------------------------------------------ standardised tests


def _with_debt(sc, **debt):
    raw = sc.model_dump(mode="json", exclude_none=True)
    raw["debt"].update(debt)
    return scenario_from_dict(raw)


def test_a_gdp_growth_shock_lowers_gdp_and_revenue_and_leaves_the_debt():
    """Real growth 3%, its sd 2%: 1.01 / 1.03 of the baseline's GDP in 2027, (1.01 / 1.03)^2 from 2028 on (the level
    stays lower). The debt is what it was: PV / GDP 50% x 1.03 / 1.01 = 50.990% in 2027, 50% x (1.03 / 1.01)^2 =
    51.999% after; revenue falls with GDP (service / revenue 12.5% x the same factors); exports do not move."""
    sc = _with_debt(_economy(), gdp_growth=0.03, sd={"gdp_growth": 0.02})
    shocked = run(apply_stress(sc, StressSpec("gdp_growth")))
    factor = [1.0, 1.03 / 1.01, (1.03 / 1.01) ** 2, (1.03 / 1.01) ** 2]
    assert _totals(shocked, "pv_debt_gdp").tolist() == pytest.approx([0.5 * f for f in factor], abs=1e-9)
    assert _totals(shocked, "debt_service_revenue").tolist() == pytest.approx([0.125 * f for f in factor], abs=1e-9)
    assert _totals(shocked, "pv_debt_exports").tolist() == pytest.approx([2.0] * 4, abs=1e-9)
    assert shocked.scenario.debt.shock.gdp_growth == pytest.approx([0.0, -0.02, -0.02])


def test_an_exports_shock_lowers_exports_and_borrows_what_they_no_longer_bring():
    """Exports grow 3% a year in USD (US inflation, no real growth); the shock takes 10 points off their growth in
    2027 and 2028: exports are 0.93 / 1.03 of the baseline's in 2027. What is lost, E_2027 x 0.10 / 1.03, is borrowed
    abroad: PV / GDP = 0.5 + 0.25 x 0.10 / 1.03 = 52.427%; PV / exports = (0.5 x 1.03 + 0.025) / (0.25 x 0.93) =
    0.54 / 0.2325 = 232.258%; the service (its interest from 2028) / exports in 2027 = 10% x 1.03 / 0.93."""
    sc = _with_debt(_economy(), sd={"exports_growth": 0.1})
    shocked = run(apply_stress(sc, StressSpec("exports")))
    assert _totals(shocked, "pv_debt_gdp")[2027] == pytest.approx(0.5 + 0.025 / 1.03, abs=1e-9)
    assert _totals(shocked, "pv_debt_exports")[2027] == pytest.approx(0.54 / 0.2325, abs=1e-9)
    assert _totals(shocked, "debt_service_exports")[2027] == pytest.approx(0.1 * 1.03 / 0.93, abs=1e-9)
    # 2028: the debt added in 2027 pays 5%: service = 0.1 E_2028 + 0.05 x lost_2027, over E_2028 (0.93 / 1.03)^2,
    # with E_2028 = 1.03 E_2027 and lost_2027 = E_2027 x 0.1 / 1.03
    expected = (0.1 * 1.03 + 0.05 * 0.1 / 1.03) / (1.03 * (0.93 / 1.03) ** 2)
    assert _totals(shocked, "debt_service_exports")[2028] == pytest.approx(expected, abs=1e-9)


def test_a_primary_balance_shock_is_borrowed_abroad_in_the_external_share_of_public_debt():
    """Total public debt 70% of GDP, 50 points of it external: a primary balance 2% of GDP lower in 2027 and 2028 is
    borrowed 5/7 abroad. PV of external debt / GDP: 50% + 5/7 x 2% = 51.4286% in 2027; in 2028 the two years' deficits
    over 2028's GDP (1.03 times 2027's): 50% + 5/7 x 2% x (1 / 1.03 + 1). Total public debt / GDP: 72% in 2027,
    70% + 2% x (1 / 1.03 + 1) in 2028, and the benchmark of medium capacity, 55%."""
    sc = _with_debt(_economy(), pv_public_debt=0.7 * 10e9, sd={"primary_balance": 0.02})
    base, shocked = run(sc), run(apply_stress(sc, StressSpec("primary_balance")))
    assert _totals(base, "pv_public_debt_gdp").tolist() == pytest.approx([0.7] * 4, abs=1e-9)
    assert _totals(shocked, "pv_debt_gdp")[2027] == pytest.approx(0.5 + 5 / 7 * 0.02, abs=1e-9)
    assert _totals(shocked, "pv_debt_gdp")[2028] == pytest.approx(0.5 + 5 / 7 * 0.02 * (1 / 1.03 + 1), abs=1e-9)
    assert _totals(shocked, "pv_public_debt_gdp")[2027] == pytest.approx(0.72, abs=1e-9)
    assert _totals(shocked, "pv_public_debt_gdp")[2028] == pytest.approx(0.7 + 0.02 * (1 / 1.03 + 1), abs=1e-9)
    dsf = shocked.dsf_df()
    assert dsf[dsf["ratio"] == "pv_public_debt_gdp"]["threshold"].tolist() == pytest.approx([0.55] * 4)


def test_an_other_flows_shock_is_borrowed_abroad():
    """Transfers and FDI 3% of GDP lower in 2027 and 2028, borrowed abroad: PV / GDP 53% in 2027."""
    sc = _with_debt(_economy(), sd={"other_flows": 0.03})
    assert _totals(run(apply_stress(sc, StressSpec("other_flows"))), "pv_debt_gdp")[2027] == \
        pytest.approx(0.53, abs=1e-9)


def test_contingent_liabilities_add_to_total_public_debt_from_the_second_year():
    """7% of GDP (the guidance's defaults, state-owned enterprises 2% and financial market 5%) and 35% of the PPP
    capital stock (none here) become public debt in 2027: 70% -> 77% of GDP; external debt does not move."""
    sc = _with_debt(_economy(), pv_public_debt=0.7 * 10e9)
    shocked = run(apply_stress(sc, StressSpec("contingent_liabilities")))
    assert _totals(shocked, "pv_public_debt_gdp").tolist() == pytest.approx([0.7, 0.77, 0.77, 0.77], abs=1e-9)
    assert _totals(shocked, "pv_debt_gdp").tolist() == pytest.approx([0.5] * 4, abs=1e-9)


def test_the_combination_is_half_of_each_shock_and_half_the_depreciation():
    sd = {"gdp_growth": 0.02, "primary_balance": 0.02, "exports_growth": 0.1, "other_flows": 0.03}
    sc = _with_debt(_economy(), pv_public_debt=0.7 * 10e9, gdp_growth=0.03, sd=sd)
    combined = apply_stress(sc, StressSpec("combined"))
    by_hand = sc
    for name in ("gdp_growth", "primary_balance", "exports", "other_flows"):
        by_hand = apply_stress(by_hand, StressSpec(name, size=0.5))
    by_hand = apply_stress(by_hand, StressSpec("depreciation", size=0.15))
    assert combined.debt.shock == by_hand.debt.shock and combined.macro.fx_path == by_hand.macro.fx_path
    a, b = run(combined).dsf_df(), run(by_hand).dsf_df()
    assert a.equals(b)


@pytest.mark.parametrize("name, words", [
    ("gdp_growth", "[debt.sd] gdp_growth"), ("exports", "[debt.sd] exports_growth"),
    ("primary_balance", "[debt.sd] primary_balance"), ("other_flows", "[debt.sd] other_flows"),
    ("combined", "every standard deviation"), ("contingent_liabilities", "pv_public_debt"),
])
def test_a_standardised_test_without_its_data_does_not_apply_and_says_why(name, words):
    from dfl_finance.studies.risk.stress import run_stresses

    outcome, = run_stresses(_economy(), [StressSpec(name)]).outcomes
    assert outcome.result is None and words in outcome.note


def test_total_public_debt_counts_the_plans_loans_in_local_currency_and_not_in_the_external_ratios():
    """A RWF loan at 5% pays the 2026 cost, RWF 130 bn (USD 100 M at 1,300): at the framework's 5% its PV is its
    principal, USD 100 M = 1% of GDP at the end of 2026; it is domestic debt, so the external ratios add nothing."""
    raw = _economy().model_dump(mode="json", exclude_none=True)
    raw["source"] = [{"id": "bond", "kind": "loan", "currency": "RWF", "rate": 0.05, "grace_years": 3,
                      "maturity_years": 10,
                      "repayment": "linear", "last_year": 2026}, {"id": "mof", "kind": "domestic"}]
    dsf = run(scenario_from_dict(raw)).dsf_df().set_index(["ratio", "year"])
    assert dsf.loc[("pv_public_debt_gdp", 2026), "plan"] == pytest.approx(0.01, abs=1e-9)
    assert dsf.loc[("pv_debt_gdp", 2026), "plan"] == 0.0


def test_breaches_are_counted_over_the_frameworks_ten_years():
    """A baseline above the 40% threshold all along and a USD loan repaid over 30 years: the plan adds to the breach
    in every year its debt is outstanding, but the LIC-DSF reads its signals in the first ten projection years."""
    raw = _economy().model_dump(mode="json", exclude_none=True)
    raw["source"] = [{"id": "bank", "kind": "loan", "currency": "USD", "rate": 0.01, "grace_years": 5,
                      "maturity_years": 30, "repayment": "linear"}]
    summary = run(scenario_from_dict(raw)).summary()
    assert summary["years_above_pv_debt_gdp"] == 10
    assert summary["peak_plan_pv_debt_gdp"] > 0


@pytest.mark.parametrize("debt, field, value", [
    ({"shock": {"gdp_growth": [0.0, -1.5]}}, "debt.shock.gdp_growth[1]", "-1.5"),
    ({"sd": {"gdp_growth": 0.0}}, "debt.sd.gdp_growth", "0"),
    ({"shock": {"contingent": 2.0}}, "debt.shock.contingent", "2"),
    ({"pv_public_debt": -1.0}, "debt.pv_public_debt", "-1"),
])
def test_a_bad_shock_or_standard_deviation_names_its_field_and_value(debt, field, value):
    from dfl_finance import ScenarioError

    raw = _economy().model_dump(mode="json", exclude_none=True)
    raw["debt"].update(debt)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    assert field in str(info.value) and value in str(info.value)


# ------------------------------------------------------------------------------------------------ PPPs (GFSM 2014)


def _ppp_plan(liability=None, discount_rate=0.05, currency="USD", capacity="medium"):
    """A USD scenario (prices flat): a kit of USD 1,000 in 2026 financed by a PPP at 10% over 2 years, paid 576.19
    in 2027 and 2028 (1,000 x 0.1 / (1 - 1.1^-2)); GDP USD 100,000, exports 25,000, revenue 20,000."""
    source = {"id": "operator", "kind": "ppp", "contract_years": 2, "return_rate": 0.10, "currency": currency}
    if liability:
        source["liability"] = liability
    return scenario_from_dict({
        "scenario": {"name": "ppp", "start_year": 2026, "years": 1, "post_horizon_years": 0, "currency": "USD",
                     "discount_rate": discount_rate},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e6},
        "debt": {"capacity": capacity, "data_year": 2026, "gdp": 1e5, "exports": 2.5e4, "revenue": 2e4},
        "programme": [{"id": "kit", "pillar": "governance", "driver": "none",
                       "cost": [{"item": "kit", "kind": "fixed_capex", "unit_cost": 1000.0, "schedule": [2026]}]}],
        "source": [source, {"id": "mof", "kind": "domestic"}],
    })


def test_an_availability_ppp_in_usd_is_external_public_debt():
    """Its capital is public debt (GFSM 2014: the government bears the demand risk and pays): at the end of 2026 the
    PV at 5% of the payments still due, 576.19 / 1.05 + 576.19 / 1.05^2 = 1,071.35, is 1.0714% of GDP, in the
    external ratios (it is owed in USD) and in total public debt; it is no longer a contingent liability."""
    payment = 1000 * 0.1 / (1 - 1.1 ** -2)
    pv = payment / 1.05 + payment / 1.05 ** 2
    dsf = run(_ppp_plan()).dsf_df().set_index(["ratio", "year"])
    assert dsf.loc[("pv_debt_gdp", 2026), "plan"] == pytest.approx(pv / 1e5, abs=1e-9)
    assert dsf.loc[("pv_public_debt_gdp", 2026), "plan"] == pytest.approx(pv / 1e5, abs=1e-9)
    assert dsf.loc[("debt_service_exports", 2027), "plan"] == pytest.approx(payment / 2.5e4, abs=1e-9)
    assert dsf.loc[("ppp_contingent_gdp", 2026), "plan"] == 0.0


def test_a_user_pays_ppp_costs_the_budget_nothing_and_stays_contingent():
    """Users pay the operator: no PPP payment in the fiscal table or the government's cost; its capital, 1,000 at the
    end of 2026, is a contingent liability (35% of it: 0.35% of GDP), and no debt."""
    res = run(_ppp_plan("user_pays"))
    fiscal = res.fiscal_df()
    assert fiscal["ppp_payments"].sum() == 0 and res.summary()["pv_government_cost"] == 0
    dsf = res.dsf_df().set_index(["ratio", "year"])
    assert dsf.loc[("ppp_contingent_gdp", 2026), "plan"] == pytest.approx(0.35 * 1000 / 1e5, abs=1e-9)
    assert dsf.loc[("pv_debt_gdp", 2026), "plan"] == 0.0 and dsf.loc[("pv_public_debt_gdp", 2026), "plan"] == 0.0
    available = run(_ppp_plan())
    assert available.fiscal_df()["ppp_payments"].sum() == pytest.approx(2 * 1000 * 0.1 / (1 - 1.1 ** -2), abs=0.02)


@pytest.mark.parametrize("rate, expected", [
    (0.10, 0.0),  # at the operator's own return the payments are worth the capex: no gain, no loss
    (0.0, 1000 - 2 * 1000 * 0.1 / (1 - 1.1 ** -2)),  # undiscounted: 1,000 - 1,152.38 = -152.38
    (0.05, 1000 - 1000 * 0.1 / (1 - 1.1 ** -2) * (1 / 1.05 + 1 / 1.05 ** 2)),  # 1,000 - 1,071.35 = -71.35
])
def test_the_value_for_money_of_a_ppp_against_building_it_with_the_budget(rate, expected):
    """The public sector comparator: the kit's 1,000 paid by the budget in 2026, against the PPP's payments of 576.19
    in 2027 and 2028, both at the government's rate (here the scenario's discount rate: no gap financing)."""
    summary = run(_ppp_plan(discount_rate=rate)).summary()
    assert summary["ppp_value_for_money__operator"] == pytest.approx(expected, abs=0.005)  # (cents)


def test_a_liability_on_another_kind_of_source_names_its_field():
    from dfl_finance import ScenarioError

    raw = _ppp_plan().model_dump(mode="json", exclude_none=True)
    raw["source"][1]["liability"] = "availability"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    assert "source[1].liability" in str(info.value) and "only ppp sources" in str(info.value)


# ------------------------------------------------------------------------------------------------ a DSA's paths


def _paths(**debt):
    raw = _economy().model_dump(mode="json", exclude_none=True)
    raw["debt"].update(debt)
    return scenario_from_dict(raw)


def test_a_dsas_paths_give_the_ratios_year_by_year_and_keep_the_last_ratio_after():
    """GDP USD 10, 10.5 and 11 bn, PV of external debt 5, 5.5 and 6.05 bn in 2026-2028 (as a DSA's tables would give
    them): PV / GDP 50%, 52.381% and 55%, and 55% in 2029, the last ratio kept. Exports, a number of data_year
    (2.5 bn, 25% of GDP), keep their ratio: PV / exports = (PV / GDP) / 0.25."""
    sc = _paths(gdp=[10e9, 10.5e9, 11e9], pv_external_debt=[5e9, 5.5e9, 6.05e9])
    pv = _totals(run(sc), "pv_debt_gdp")
    assert pv.tolist() == pytest.approx([0.5, 5.5 / 10.5, 0.55, 0.55], abs=1e-9)
    assert _totals(run(sc), "pv_debt_exports").tolist() == pytest.approx([v / 0.25 for v in pv], abs=1e-9)
    # the 30% depreciation moves the path as it moves a constant: x 1.3 from the second year
    shocked = _totals(run(apply_stress(sc, StressSpec("depreciation"))), "pv_debt_gdp")
    assert shocked.tolist() == pytest.approx([0.5, 1.3 * 5.5 / 10.5, 1.3 * 0.55, 1.3 * 0.55], abs=1e-9)


def test_a_path_equal_to_the_constant_ratios_gives_the_same_table():
    """The constant-ratio baseline written out as paths: GDP growing with US prices (3%), PV 50% of it, service 10%
    of exports: dsf.csv is the same, to 1e-12."""
    gdp = [10e9 * 1.03 ** i for i in range(4)]
    sc = _paths(gdp=gdp, exports=[0.25 * g for g in gdp], revenue=[0.2 * g for g in gdp],
                pv_external_debt=[0.5 * g for g in gdp], external_debt_service=[0.1 * 0.25 * g for g in gdp])
    a, b = run(_economy()).dsf_df(), run(sc).dsf_df()
    np.testing.assert_allclose(a["total"].to_numpy(float), b["total"].to_numpy(float), rtol=1e-12)
    np.testing.assert_allclose(a["plan"].to_numpy(float), b["plan"].to_numpy(float), rtol=1e-12)


def test_a_growth_path_moves_gdp_year_by_year():
    """Real growth 0, 10% and 0% (US prices 3%): GDP 10, 10 x 1.1 x 1.03 = 11.33, 11.33 x 1.03 = 11.67 bn; PV of 5 bn
    of data_year (a number, 50% of GDP) keeps its ratio: 50% in every year."""
    sc = _paths(gdp_growth=[0.0, 0.1, 0.0])
    dsf = run(sc).dsf_df()
    assert _totals(run(sc), "pv_debt_gdp").tolist() == pytest.approx([0.5] * 4, abs=1e-9)
    headroom = dsf[(dsf["ratio"] == "pv_debt_gdp")].set_index("year")["headroom"]  # (0.40 - 0.5) x GDP
    assert headroom[2027] == pytest.approx(-0.1 * 10e9 * 1.1 * 1.03, rel=1e-9)
    assert headroom[2028] == pytest.approx(-0.1 * 10e9 * 1.1 * 1.03 ** 2, rel=1e-9)


@pytest.mark.parametrize("debt, field, words", [
    ({"gdp": []}, "debt.gdp", "an empty list"),
    ({"gdp": [10e9, 0.0]}, "debt.gdp", "GDP must be > 0"),
    ({"gdp_growth": [0.02, -1.5]}, "debt.gdp_growth", "must be > -1"),
])
def test_a_bad_debt_path_names_its_field(debt, field, words):
    from dfl_finance import ScenarioError

    with pytest.raises(ScenarioError) as info:
        _paths(**debt)
    assert field in str(info.value) and words in str(info.value)


def test_a_user_pays_ppp_costs_the_country_nothing_in_sources_csv():
    sources = run(_ppp_plan("user_pays")).sources_df().set_index("source")
    assert sources.loc["operator", "pv_debt_service"] == 0.0
    assert run(_ppp_plan()).sources_df().set_index("source").loc["operator", "pv_debt_service"] > 0
