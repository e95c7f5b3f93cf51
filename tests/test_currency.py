"""Sources in other currencies (``[macro.fx.<CODE>]``) and variable-rate loans (issue 25): known answers worked by
hand, properties, and the paths the engine builds.

Conventions under test (docs/method.md, *Other currencies* and *Variable-rate loans*):

- ``X^C`` is local currency per unit of C; a source in C has its caps and commitment in nominal C, a loan in C runs
  in nominal C and each year's flows are converted at that year's ``X^C``; its USD view (the DSF, pv_new) converts
  at ``X^C / X`` (USD per unit of C);
- a ``[macro.fx.C]`` rate is turned into a cross rate ``K = X^C / X`` that moves with relative inflation of C and
  the US; a path is taken as given, its cross rate continued at its last rate of change;
- a variable-rate loan's interest of year j is ``(reference_j + spread) x outstanding_{j-1}``; after the plan the
  reference keeps its last value.

Scenarios are built from dicts with no country profile.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dfl_finance import scenario_from_dict
from dfl_finance.engine.loans import ServiceTerms, debt_service, repayment_profile
from dfl_finance.engine.variable_rate import at_variable_rate, extend_path, variable_unit_matrix
from dfl_finance.model.compile import build_prices, build_source_inputs, horizon_of
from dfl_finance.outputs.result import run

CENT = 0.01


def _scenario(cost, *, years=4, macro=None, sources=None, currency="KES"):
    raw = {
        "scenario": {"name": "Currencies", "start_year": 2026, "years": years, "currency": currency,
                     "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9},
        "programme": [{"id": "a", "pillar": "infrastructure", "driver": "none", "cost": cost}],
        "macro": macro or {},
        "source": sources or [],
    }
    return scenario_from_dict(raw)


def _column(df: pd.DataFrame, column: str) -> list[float]:
    return [float(v) for v in df.sort_values("year")[column]]


def _pv5(flows):
    return sum(f / 1.05 ** k for k, f in enumerate(flows))


# ------------------------------------------------------------------------------------------------ other currencies

def _eur_loan_scenario():
    # a kit of KES 12,000 bought in 2026, all of it paid by a EUR loan at 10%, no grace, 4 years, linear; KES per
    # USD 100, 110, 125, 150; KES per EUR 120, 130, 150, 160 (quote "local")
    return _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 12_000.0, "schedule": [2026]}],
                     macro={"inflation": 0.05, "usd_inflation": 0.02, "fx_path": [100.0, 110.0, 125.0, 150.0],
                            "fx": {"EUR": {"path": [120.0, 130.0, 150.0, 160.0]}}},
                     sources=[{"id": "afd", "kind": "loan", "currency": "EUR", "rate": 0.1, "grace_years": 0,
                               "maturity_years": 4, "repayment": "linear"}])


def test_a_eur_loan_runs_in_eur_and_is_converted_with_its_own_path():
    """KES 12,000 in 2026 at KES 120 per EUR (I = 1): EUR 100 disbursed. In EUR, linear over 4 years at 10%:

    | year | interest | principal | payment | outstanding |
    | 2026 |      0   |      0    |    0    |    100      |
    | 2027 |     10   |     25    |   35    |     75      |
    | 2028 |      7.5 |     25    |   32.5  |     50      |
    | 2029 |      5   |     25    |   30    |     25      |
    | 2030 |      2.5 |     25    |   27.5  |      0      |

    KES per EUR: 120, 130, 150, 160 given. 2030, after the plan: the cross rate EUR/USD continues at its last rate of
    change: K = X^EUR / X = 1.2, 1.0667 (2029), step 0.8889, K_2030 = 0.9481; X_2030 = 150 x 1.2 = 180 (the USD path
    at its last rate of change), X^EUR_2030 = 0.9481 x 180 = 170.67 (= 160 x 160 / 150: the same step).
    Debt service in constant 2026 KES = EUR payment x X^EUR_y / I_y, I = 1.05^i:
    2027: 35 x 130 / 1.05 = 4,333.33; 2028: 32.5 x 150 / 1.1025 = 4,421.77; 2029: 30 x 160 / 1.157625 = 4,146.42;
    2030: 27.5 x 170.67 = 4,693.33, / 1.21550625 = 3,861.22.
    In nominal USD (what the DSF counts): the EUR flow x X^EUR / X: interest 2027 10 x 130 / 110 = 11.82.
    """
    sc = _eur_loan_scenario()
    result = run(sc)
    x_eur_2030 = 160.0 * 160.0 / 150.0
    expected = [0.0, 35 * 130 / 1.05, 32.5 * 150 / 1.05 ** 2, 30 * 160 / 1.05 ** 3, 27.5 * x_eur_2030 / 1.05 ** 4]
    assert expected[1:] == pytest.approx([4333.33, 4421.77, 4146.42, 3861.22], abs=CENT)
    assert _column(result.fiscal_df(), "debt_service")[:5] == pytest.approx(expected, abs=2 * CENT)
    ds = result.debt_service_df()
    assert _column(ds, "disbursed")[0] == pytest.approx(12_000.0, abs=CENT)
    usd = run(sc, "nominal-usd").debt_service_df()
    assert _column(usd, "interest") == pytest.approx(
        [0.0, 10 * 130 / 110, 7.5 * 150 / 125, 5 * 160 / 150, 2.5 * x_eur_2030 / 180], abs=CENT)
    assert _column(usd, "disbursed")[0] == pytest.approx(100 * 120 / 100, abs=CENT)
    sources = result.sources_df().set_index("source")
    assert sources.loc["afd", "source_currency"] == "EUR"
    # the grant element: the EUR flows at 5%; dearer than 5%, so its PV of new external debt is its face value in
    # USD: EUR 100 x 120 / 100 = USD 120
    ge = 1 - _pv5([0.0, 35.0, 32.5, 30.0, 27.5]) / 100.0
    assert sources.loc["afd", "grant_element"] == pytest.approx(ge, abs=1e-9)
    assert ge == pytest.approx(-0.11351, abs=1e-5)
    assert sources.loc["afd", "pv_new_external_debt"] == pytest.approx(120.0, abs=CENT)


def test_a_eur_commitment_caps_in_eur():
    """A EUR grant with a commitment of EUR 50 pays KES 50 x 120 = 6,000 of a KES 12,000 kit in 2026 (I = 1); the
    budget pays the rest."""
    sc = _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 12_000.0, "schedule": [2026]}],
                   macro={"inflation": 0.05, "usd_inflation": 0.02, "fx_path": [100.0, 110.0, 125.0, 150.0],
                          "fx": {"EUR": {"path": [120.0, 130.0, 150.0, 160.0]}}},
                   sources=[{"id": "eu", "kind": "grant", "currency": "EUR", "commitment": 50.0},
                            {"id": "mof", "kind": "domestic"}])
    paid = build_source_inputs(sc, prices=build_prices(sc, horizon_of(sc))).conversion
    assert paid is not None and paid[0, 0, :].tolist() == pytest.approx([1 / 120, 1.05 / 130, 1.05 ** 2 / 150,
                                                                          1.05 ** 3 / 160])
    fin = run(sc).financing_df()
    by_source = fin.groupby("source").amount.sum()
    assert by_source["eu"] == pytest.approx(6_000.0, abs=CENT)
    assert by_source["mof"] == pytest.approx(6_000.0, abs=CENT)


def test_a_rate_quoted_in_usd_moves_with_the_usd_path_and_relative_inflation():
    """[macro.fx.EUR] quote USD, rate 1.10 USD per EUR in 2026, EUR-area inflation 1%, US 2%: the cross rate rises
    by 1.02 / 1.01 a year: 1.1, 1.11089, 1.12189. KES per USD 100, 110, 125: KES per EUR 110, 122.198, 140.236."""
    sc = _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 1.0, "schedule": [2026]}], years=3,
                   macro={"inflation": 0.05, "usd_inflation": 0.02, "fx_path": [100.0, 110.0, 125.0],
                          "fx": {"EUR": {"quote": "USD", "rate": 1.1, "year": 2026, "inflation": 0.01}}})
    prices = build_prices(sc, 3)
    k = [1.1, 1.1 * 1.02 / 1.01, 1.1 * (1.02 / 1.01) ** 2]
    assert prices.window(prices.other["EUR"], 3)[0].tolist() == pytest.approx([100 * k[0], 110 * k[1], 125 * k[2]])
    assert 110 * k[1] == pytest.approx(122.198, abs=1e-3)


def test_a_depreciation_of_the_local_currency_is_one_against_a_usd_quoted_currency_too():
    """A cross rate quoted in USD: a 30% higher KES per USD path gives a 30% higher KES per EUR path."""
    def eur(fx_path):
        sc = _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 1.0, "schedule": [2026]}], years=3,
                       macro={"inflation": 0.0, "usd_inflation": 0.0, "fx_path": fx_path,
                              "fx": {"EUR": {"quote": "USD", "rate": 1.1}}})
        prices = build_prices(sc, 3)
        return prices.window(prices.other["EUR"], 3)[0]
    assert_allclose(eur([100.0, 130.0, 130.0]) / eur([100.0, 100.0, 100.0]), [1.0, 1.3, 1.3])


# ------------------------------------------------------------------------------------------------ variable rates

def _variable_loan_scenario(reference, spread=0.01, envelope=None):
    # KES 100 in 2026, no inflation, paid by a KES loan: no grace, 4 years, linear, the rate reference + spread
    return _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 100.0, "schedule": [2026]}],
                     macro={"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 100.0},
                     sources=[{"id": "bank", "kind": "loan", "currency": "KES", "rate_reference": reference,
                               "spread": spread, "grace_years": 0, "maturity_years": 4, "repayment": "linear"}])


def test_a_variable_rate_loan_pays_each_years_interest_at_that_years_rate():
    """Reference 2%, 2%, 4%, 6% (2026-2029, then 6%), spread 1%: rates 3%, 3%, 5%, 7%, 7%.
    Outstanding at the end of 2026..2029: 100, 75, 50, 25. Interest of year j = r_j x outstanding_{j-1}:
    2027: 3% x 100 = 3; 2028: 5% x 75 = 3.75; 2029: 7% x 50 = 3.5; 2030: 7% x 25 = 1.75.
    Payments 28, 28.75, 28.5, 26.75; the grant element at 5% (the expected path as written):
    1 - (26.667 + 26.077 + 24.619 + 22.007) / 100 = 1 - 99.370 / 100 = 0.00630.
    """
    result = run(_variable_loan_scenario([0.02, 0.02, 0.04, 0.06]))
    ds = result.debt_service_df()
    assert _column(ds, "interest") == pytest.approx([0.0, 3.0, 3.75, 3.5, 1.75], abs=CENT)
    assert _column(ds, "principal") == pytest.approx([0.0, 25.0, 25.0, 25.0, 25.0], abs=CENT)
    ge = 1 - _pv5([0.0, 28.0, 28.75, 28.5, 26.75]) / 100.0
    assert ge == pytest.approx(0.00630, abs=1e-5)
    assert result.sources_df().set_index("source").loc["bank", "grant_element"] == pytest.approx(ge, abs=1e-9)


def test_a_flat_reference_path_is_a_fixed_rate_loan():
    """A reference of 3% every year with a 1% spread pays what a fixed 4% loan pays."""
    variable = run(_variable_loan_scenario([0.03] * 4)).debt_service_df()
    fixed = run(_scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 100.0, "schedule": [2026]}],
                          macro={"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 100.0},
                          sources=[{"id": "bank", "kind": "loan", "currency": "KES", "rate": 0.04, "grace_years": 0,
                                    "maturity_years": 4, "repayment": "linear"}])).debt_service_df()
    for column in ("interest", "principal", "outstanding"):
        assert _column(variable, column) == pytest.approx(_column(fixed, column), abs=CENT)


def test_a_term_sheets_fixed_rate_gives_way_to_the_variable_rate():
    sc = _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 100.0, "schedule": [2026]}],
                   macro={"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 100.0},
                   sources=[{"id": "ibrd", "kind": "loan", "terms": "ibrd-flexible", "rate_reference": [0.04] * 4,
                             "spread": 0.005, "commitment": 100.0}])
    assert sc.source[0].rate is None and sc.source[0].maturity_years is not None


paths = st.lists(st.floats(0.0, 0.2), min_size=3, max_size=3)
flows = st.lists(st.floats(0.0, 1e6), min_size=3, max_size=3)


@settings(max_examples=40, deadline=None)
@given(paths, flows, st.sampled_from([(0, 4), (1, 5), (2, 3)]))
def test_the_waterfalls_service_of_a_variable_loan_is_the_engines(path, disbursed, terms):
    """The net envelope's service (ServiceTerms) and the debt service (debt_service at the variable rate) agree in
    every plan year, whatever the path and the disbursements."""
    grace, maturity = terms
    Y = 3
    profile = repayment_profile("linear", 0.0, grace, maturity)
    rates = np.asarray(path)[None, :]
    disb = np.asarray(disbursed)[None, :]
    full = at_variable_rate(debt_service(disb, profile, 0.0, Y + maturity + 1), extend_path(rates, Y + maturity + 1))
    terms_ = ServiceTerms(0, profile[None, :], np.zeros(1), 0.0, 0.0, np.full(1, np.inf), np.ones(Y, dtype=bool),
                          np.ones((Y, 1)), rate_path=rates)
    assert_allclose(terms_.payments(disb.T)[:, 0], full.payments[0, :Y], rtol=1e-12, atol=1e-6)
    # the unit matrix gives the same from the flows
    m = variable_unit_matrix(profile, extend_path(rates, Y + maturity + 1)[0], Y, Y + maturity + 1)
    assert_allclose(m @ disb[0], full.interest[0] + full.principal[0], rtol=1e-12, atol=1e-6)


def test_a_drawn_spread_shifts_the_whole_rate_path_in_its_draw():
    """Reference 2%, 2%, 4%, 6%; spreads 1% and 2% in two draws. Draw 0: rates 3, 3, 5, 7, 7% (interest 3, 3.75,
    3.5, 1.75, as above). Draw 1: rates 4, 4, 6, 8, 8%: interest 4% x 100 = 4, 6% x 75 = 4.5, 8% x 50 = 4,
    8% x 25 = 2. Principal is the same in both."""
    from dfl_finance.engine.model import simulate
    from dfl_finance.model.compile import build_model_inputs

    sc = _variable_loan_scenario([0.02, 0.02, 0.04, 0.06])
    sim = simulate(build_model_inputs(sc, draws=2, samples={("source", 0, "spread"): np.array([0.01, 0.02])}))
    interest = sim.debt[0].interest[:, :5]
    assert_allclose(interest[0], [0.0, 3.0, 3.75, 3.5, 1.75], atol=1e-9)
    assert_allclose(interest[1], [0.0, 4.0, 4.5, 4.0, 2.0], atol=1e-9)
    assert_allclose(sim.debt[0].principal[0], sim.debt[0].principal[1])


def test_a_risk_run_draws_the_spread_of_a_variable_rate_loan():
    from dfl_finance.studies.risk import risk_draws

    raw = {
        "scenario": {"name": "Spread", "start_year": 2026, "years": 4, "currency": "KES", "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9, "envelope": "net"},
        "programme": [{"id": "a", "pillar": "infrastructure", "driver": "none",
                       "cost": [{"item": "kit", "kind": "fixed_capex", "unit_cost": 100.0, "schedule": [2026]}]}],
        "macro": {"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 100.0},
        "source": [{"id": "bank", "kind": "loan", "currency": "KES", "rate_reference": [0.02, 0.02, 0.04, 0.06],
                    "spread": 0.01, "grace_years": 0, "maturity_years": 4, "repayment": "linear"},
                   {"id": "mof", "kind": "domestic"}],
        "uncertain": [{"path": "source[bank].spread", "distribution": "uniform", "low": 0.0, "high": 0.03}],
        "risk": {"draws": 16, "seed": 1},
    }
    draws = risk_draws(scenario_from_dict(raw), draws=16)
    # a higher spread costs more: the PV of the government's cost rises with the drawn spread, and varies
    cost = draws.arrays["pv_government_cost"]
    assert draws.draws == 16 and np.ptp(cost) > 0


def test_the_pv_ceiling_counts_a_eur_loan_in_usd_at_its_own_rate():
    """KES 12,000 in 2026 (no inflation, KES 100 per USD, KES 120 per EUR), a EUR loan at 0% repaid in one payment
    after 10 years, the budget; the government's discount rate 10%, so the loan is cheaper than the budget (PV
    1.1^-10 = 0.386 per unit). Its PV of new external debt at 5% is 1.05^-10 = 0.613913 of its face value, counted in
    USD. Unconstrained, it pays all: face USD 120, PV USD 73.67. With a ceiling of USD 50: face USD 50 / 0.613913 =
    81.445, KES 8,144.47 (EUR 67.87); the budget pays KES 3,855.53."""
    from dfl_finance.studies.optimise import optimise, options_for

    sc = scenario_from_dict({
        "scenario": {"name": "eur pv", "start_year": 2026, "years": 1, "post_horizon_years": 0, "currency": "KES",
                     "discount_rate": 0.1},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e6},
        "macro": {"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 100.0, "fx": {"EUR": {"rate": 120.0}}},
        "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                       "cost": [{"item": "a", "kind": "fixed_opex", "unit_cost": 12_000.0}]}],
        "source": [{"id": "afd", "kind": "loan", "currency": "EUR", "rate": 0.0, "grace_years": 9,
                    "maturity_years": 10, "repayment": "linear"}, {"id": "mof", "kind": "domestic"}],
    })
    free = optimise(sc).result.sources_df().set_index("source")
    assert free.loc["afd", "disbursed"] == pytest.approx(12_000.0, abs=CENT)
    assert free.loc["afd", "pv_new_external_debt"] == pytest.approx(120 / 1.05 ** 10, abs=CENT)
    capped = optimise(sc, options_for(sc, max_pv_debt=50.0)).result.sources_df().set_index("source")
    assert capped.loc["afd", "pv_new_external_debt"] == pytest.approx(50.0, abs=CENT)
    assert capped.loc["afd", "disbursed"] == pytest.approx(50 * 1.05 ** 10 * 100, abs=CENT)
    assert capped.loc["mof", "disbursed"] == pytest.approx(12_000 - 50 * 1.05 ** 10 * 100, abs=CENT)


def test_the_dsf_counts_a_eur_loans_service_and_pv_in_usd_at_its_own_path():
    """The EUR loan of the first test, with a debt-sustainability view: its service in USD is the EUR payment x
    X^EUR / X: 2027 35 x 130 / 110 = 41.36, 2028 32.5 x 150 / 125 = 39.00, 2029 30 x 160 / 150 = 32.00; the PV at 5%
    of what it still owes at the end of 2026 (EUR 35 / 1.05 + 32.5 / 1.05^2 + 30 / 1.05^3 + 27.5 / 1.05^4 = 111.35)
    at 120 / 100 USD per EUR: USD 133.62."""
    from dfl_finance.engine.model import simulate
    from dfl_finance.model.compile import build_model_inputs

    raw = _eur_loan_scenario().model_dump(exclude_none=True)
    raw["debt"] = {"capacity": "medium", "data_year": 2026, "gdp": 1e9, "exports": 2.5e8, "revenue": 2e8}
    sim = simulate(build_model_inputs(scenario_from_dict(raw)))
    assert sim.dsf["debt_service"][0, 1:4].tolist() == pytest.approx([35 * 130 / 110, 32.5 * 150 / 125, 32.0])
    owed = 35 / 1.05 + 32.5 / 1.05 ** 2 + 30 / 1.05 ** 3 + 27.5 / 1.05 ** 4
    assert owed == pytest.approx(111.35, abs=0.01)
    assert sim.dsf["pv_debt"][0, 0] == pytest.approx(owed * 1.2)


def test_the_manifest_states_each_other_currencys_assumption():
    from dfl_finance.outputs.export import exchange_rates

    entries = exchange_rates([_eur_loan_scenario()])
    assert [e["currency"] for e in entries] == ["KES", "EUR"]
    eur = entries[1]
    assert (eur["quote"], eur["rate"], eur["year"], eur["path"]) == ("KES per EUR", 120.0, 2026, "[macro.fx] path")
