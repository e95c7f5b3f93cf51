"""The price and currency layer (issue 9): known answers worked by hand, properties, and bad input.

Conventions under test (DESIGN.md, engine/prices.py):

- the engine works in constant prices of the base year (price_year, default start_year) in the local currency;
  the local CPI ``I`` and the US CPI ``U`` are 1 in the base year; an inflation list's value k is the change into
  year start + k; ``fx`` is local currency per USD: fx_path per year, else fx_rate moved by relative inflation;
- a cost line quoted in currency c at price year p is worth ``unit_cost / I_c(p)`` (x fx in the base year for USD
  lines); a USD line's constant-price local cost in year y is multiplied by ``rer = (fx_y / fx_b) x U_y / I_y``;
- sources' caps and commitments are nominal in their own currency; loans run in their own nominal currency;
- bases: nominal-lcu = real x I; nominal-usd = nominal-lcu / fx; real-usd = nominal-usd / U;
- discount_basis nominal discounts real flows by ``(I_i / I_0) / (1 + n)^i``; real by ``(1 + r)^-i``;
- the grant element is nominal loan-currency flows at 5%; the net envelope is ``cap x budget - debt service - PPP``.

Scenarios are built from dicts with no country profile, so nothing from data/ leaks in (except the CPI history
that test 7c reads on purpose).
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dfl_finance import scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.outputs.result import run
from dfl_finance.vocabulary import PRICE_BASES
from tests.conftest import ROOT
from tests.strategies import priced_scenario_dicts

BASES = ("real-lcu", "nominal-lcu", "nominal-usd", "real-usd")
CENT = 0.01  # KES and USD have two decimals: table rows are rounded to the cent
PROPERTY = settings(max_examples=40, deadline=None)


def _scenario(programme_cost, *, currency="KES", start=2026, years=3, macro=None, sources=None, context=None,
              debt=None, **meta):
    """A one-programme scenario (driver none, so the costs are exactly the lump sums written)."""
    raw = {
        "scenario": {"name": "Prices", "start_year": start, "years": years, "currency": currency,
                     "post_horizon_years": 0, **meta},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9, **(context or {})},
        "programme": [{"id": "a", "pillar": "infrastructure", "driver": "none", "cost": programme_cost}],
    }
    if macro is not None:
        raw["macro"] = macro
    if sources is not None:
        raw["source"] = sources
    if debt is not None:
        raw["debt"] = debt
    return scenario_from_dict(raw)


def _amounts(df: pd.DataFrame, key: str, value: str = "amount") -> dict:
    return {(r["year"], r[key]): r[value] for _, r in df.iterrows()}


def _column(df: pd.DataFrame, column: str, source: str | None = None) -> list[float]:
    if source is not None:
        df = df[df.source == source]
    return [float(v) for v in df.sort_values("year")[column]]


# ------------------------------------------------------------------------------------------------ known answers


def test_usd_priced_line_follows_a_30_percent_depreciation():
    """KES scenario 2026-2029, no inflation, fx_path 100, 130, 130, 130 (a 30% depreciation in the second year).

    A satellite service priced at 10 USD a year: in constant 2026 KES it costs 10 x fx_2026 = 1,000 in 2026, and
    rer = (130 / 100) x 1 / 1 = 1.3 from 2027: 1,300 a year. A 1,000 KES staff line does not move.
    """
    sc = _scenario([{"item": "satellite", "kind": "fixed_opex", "unit_cost": 10.0, "currency": "USD"},
                    {"item": "staff", "kind": "fixed_opex", "unit_cost": 1000.0}], years=4,
                   macro={"inflation": 0.0, "usd_inflation": 0.0, "fx_path": [100.0, 130.0, 130.0, 130.0]})
    costs = run(sc).costs_df()
    got = _amounts(costs, "item")
    for year, satellite in ((2026, 1000.0), (2027, 1300.0), (2028, 1300.0), (2029, 1300.0)):
        assert got[(year, "satellite")] == pytest.approx(satellite, abs=CENT)
        assert got[(year, "staff")] == pytest.approx(1000.0, abs=CENT)
    assert set(costs.price_basis) == {"real-lcu"} and set(costs.currency) == {"KES"}
    # in nominal USD the satellite is 10 USD every year; staff is 1,000 / fx: 10, then 1000 / 130 = 7.69
    usd = _amounts(run(sc, "nominal-usd").costs_df(), "item")
    assert [usd[(y, "satellite")] for y in range(2026, 2030)] == pytest.approx([10.0] * 4, abs=CENT)
    assert [usd[(y, "staff")] for y in range(2026, 2030)] == pytest.approx([10.0] + [7.69] * 3, abs=CENT)


def _usd_loan_scenario(**meta):
    # a kit of 100 USD bought in 2026 (price year 2026), all of it paid by a USD loan at 10%, no grace, 4 years,
    # linear: in USD, principal 25 a year 2027-2030, interest 10% of the balance at the end of the year before
    return _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 100.0, "currency": "USD",
                       "schedule": [2026]}], years=4,
                     macro={"inflation": 0.05, "usd_inflation": 0.02, "fx_path": [100.0, 110.0, 125.0, 150.0]},
                     sources=[{"id": "bank", "kind": "loan", "rate": 0.1, "grace_years": 0, "maturity_years": 4,
                               "repayment": "linear"}], **meta)


def test_usd_loan_repaid_in_local_currency_under_a_known_fx_path():
    """100 USD disbursed in 2026 at fx 100 (= 10,000 KES, I = 1). In USD:

    | year | interest | principal | payment | outstanding |
    | 2026 |      0   |      0    |    0    |    100      |
    | 2027 |     10   |     25    |   35    |     75      |
    | 2028 |      7.5 |     25    |   32.5  |     50      |
    | 2029 |      5   |     25    |   30    |     25      |
    | 2030 |      2.5 |     25    |   27.5  |      0      |

    fx: 100, 110, 125, 150 given; 2030 continues at the last rate of change 150 / 125 = 1.2: 180.
    I = 1.05^i. Debt service in constant 2026 KES = USD payment x fx_y / I_y:
    2027: 35 x 110 / 1.05 = 3,666.67; 2028: 32.5 x 125 / 1.1025 = 3,684.81;
    2029: 30 x 150 / 1.157625 = 3,887.27; 2030: 27.5 x 180 / 1.21550625 = 4,072.38.
    """
    sc = _usd_loan_scenario()
    result = run(sc)
    expected_real = [0.0, 35 * 110 / 1.05, 32.5 * 125 / 1.05 ** 2, 30 * 150 / 1.05 ** 3, 27.5 * 180 / 1.05 ** 4]
    assert expected_real[1:] == pytest.approx([3666.67, 3684.81, 3887.27, 4072.38], abs=CENT)
    # interest and principal are each rounded cumulatively (within a cent of the exact flow): 2 cents on the sum
    fiscal = result.fiscal_df()
    assert _column(fiscal, "debt_service")[:5] == pytest.approx(expected_real, abs=2 * CENT)
    ds = result.debt_service_df()
    paid = np.add(np.add(_column(ds, "interest"), _column(ds, "principal")), _column(ds, "fees"))
    assert list(paid) == pytest.approx(expected_real, abs=2 * CENT)
    assert _column(ds, "disbursed")[0] == pytest.approx(10_000.0, abs=CENT)
    # in nominal USD the table is the plain USD schedule
    usd = run(sc, "nominal-usd").debt_service_df()
    assert set(usd.price_basis) == {"nominal-usd"} and set(usd.currency) == {"USD"}
    assert _column(usd, "year") == [2026, 2027, 2028, 2029, 2030]
    assert _column(usd, "disbursed") == pytest.approx([100.0, 0, 0, 0, 0], abs=CENT)
    assert _column(usd, "interest") == pytest.approx([0.0, 10.0, 7.5, 5.0, 2.5], abs=CENT)
    assert _column(usd, "principal") == pytest.approx([0.0, 25.0, 25.0, 25.0, 25.0], abs=CENT)
    assert _column(usd, "outstanding") == pytest.approx([100.0, 75.0, 50.0, 25.0, 0.0], abs=CENT)


def _four_bases_scenario():
    # KES 2026-2028; I = 1.1^i, U = 1.02^i, fx 100, 120, 150; a 10 USD line and a 1,000 KES line a year, all
    # paid by the domestic budget (no cap); budget 1,000,000 KES of 2026
    return _scenario([{"item": "satellite", "kind": "fixed_opex", "unit_cost": 10.0, "currency": "USD"},
                      {"item": "staff", "kind": "fixed_opex", "unit_cost": 1000.0}],
                     macro={"inflation": 0.1, "usd_inflation": 0.02, "fx_path": [100.0, 120.0, 150.0]},
                     sources=[{"id": "mof", "kind": "domestic"}], context={"education_budget": 1e6})


#: Hand table for :func:`_four_bases_scenario`, by basis: (satellite, staff, budget) per year.
#: rer = (fx / 100) x U / I: 1; 1.2 x 1.02 / 1.1 = 1.112727; 1.5 x 1.0404 / 1.21 = 1.289752.
#: real-lcu:    satellite 1,000 x rer = 1,000, 1,112.73, 1,289.75; staff 1,000; budget 1,000,000.
#: nominal-lcu: x I (1, 1.1, 1.21): satellite 10 x U x fx = 1,000, 1,224.00, 1,560.60; staff 1,000, 1,100,
#:              1,210; budget 1,000,000, 1,100,000, 1,210,000.
#: nominal-usd: / fx: satellite 10 x U = 10, 10.20, 10.404; staff 10, 9.1667, 8.0667; budget 10,000, 9,166.67,
#:              8,066.67.
#: real-usd:    / U (1, 1.02, 1.0404): satellite 10, 10, 10; staff 10, 8.9869, 7.7534; budget 10,000, 8,986.93,
#:              7,753.43.
FOUR_BASES = {
    "real-lcu": ([1000.0, 1000 * 1.2 * 1.02 / 1.1, 1000 * 1.5 * 1.0404 / 1.21], [1000.0] * 3, [1e6] * 3),
    "nominal-lcu": ([1000.0, 1224.0, 1560.6], [1000.0, 1100.0, 1210.0], [1e6, 1.1e6, 1.21e6]),
    "nominal-usd": ([10.0, 10.2, 10.404], [10.0, 1100 / 120, 1210 / 150], [1e4, 1.1e6 / 120, 1.21e6 / 150]),
    "real-usd": ([10.0, 10.0, 10.0], [10.0, 1100 / 120 / 1.02, 1210 / 150 / 1.0404],
                 [1e4, 1.1e6 / 120 / 1.02, 1.21e6 / 150 / 1.0404]),
}


@pytest.mark.parametrize("basis", BASES)
def test_the_same_flows_in_the_four_bases(basis):
    """See :data:`FOUR_BASES` for the hand table; costs.csv and fiscal.csv must carry it, with their basis and
    currency columns."""
    satellite, staff, budget = FOUR_BASES[basis]
    # the rounded figures of the table above
    assert (satellite[1], staff[2]) == pytest.approx({"real-lcu": (1112.73, 1000.0), "nominal-lcu": (1224.0, 1210.0),
                                                      "nominal-usd": (10.2, 8.07), "real-usd": (10.0, 7.75)}[basis],
                                                     abs=CENT)
    result = run(_four_bases_scenario(), basis)
    costs = result.costs_df()
    got = _amounts(costs, "item")
    years = (2026, 2027, 2028)
    assert [got[(y, "satellite")] for y in years] == pytest.approx(satellite, abs=CENT)
    assert [got[(y, "staff")] for y in years] == pytest.approx(staff, abs=CENT)
    currency = "USD" if basis.endswith("usd") else "KES"
    fiscal = result.fiscal_df()
    for df in (costs, fiscal, result.financing_df()):
        assert set(df.price_basis) == {basis} and set(df.currency) == {currency}
    f = fiscal[fiscal.year.isin(years)].sort_values("year")
    assert list(f.education_budget) == pytest.approx(budget, abs=CENT)
    assert list(f.domestic_outlay) == pytest.approx(np.add(satellite, staff), abs=2 * CENT)
    assert list(f.plan_cost) == pytest.approx(np.add(satellite, staff), abs=2 * CENT)
    assert result.summary()["total_cost"] == pytest.approx(sum(satellite) + sum(staff), abs=6 * CENT)


def test_the_summary_reports_headline_metrics_in_every_basis():
    """total_cost_<basis> are the column sums of FOUR_BASES, whatever basis the result is written in."""
    for basis in BASES:
        summary = run(_four_bases_scenario(), basis).summary()
        for other in BASES:
            satellite, staff, _ = FOUR_BASES[other]
            key = "total_cost_" + other.replace("-", "_")
            assert summary[key] == pytest.approx(sum(satellite) + sum(staff), abs=6 * CENT), (basis, other)


def test_inflation_list_value_k_is_the_change_into_year_k():
    """inflation = [0.5, 0.1, 0.2] with price_year = start_year: value 0 is the change into 2026 (the base year,
    so it does not show); I = 1, 1.1, 1.1 x 1.2 = 1.32. A 1,000 KES line in nominal KES: 1,000, 1,100, 1,320."""
    sc = _scenario([{"item": "staff", "kind": "fixed_opex", "unit_cost": 1000.0}],
                   macro={"inflation": [0.5, 0.1, 0.2], "usd_inflation": 0.0, "fx_rate": 100.0})
    got = _amounts(run(sc, "nominal-lcu").costs_df(), "item")
    assert [got[(y, "staff")] for y in (2026, 2027, 2028)] == pytest.approx([1000.0, 1100.0, 1320.0], abs=CENT)


def test_fx_rate_follows_relative_inflation_without_a_path():
    """fx_rate 100 in 2026, I = 1.1^i, U = 1.02^i: fx_y = 100 x (1.1 / 1.02)^i, so rer = 1 and a 10 USD line
    stays 1,000 KES in constant prices; in nominal USD it is 10 x 1.02^i = 10, 10.20, 10.40."""
    sc = _scenario([{"item": "satellite", "kind": "fixed_opex", "unit_cost": 10.0, "currency": "USD"}],
                   macro={"inflation": 0.1, "usd_inflation": 0.02, "fx_rate": 100.0})
    res = run(sc)
    assert _column(res.costs_df(), "amount") == pytest.approx([1000.0] * 3, abs=CENT)
    assert _column(res.in_basis("nominal-usd").costs_df(), "amount") == pytest.approx([10.0, 10.2, 10.404],
                                                                                      abs=CENT)


def test_source_caps_are_nominal_in_the_source_currency():
    """A USD grant with annual_cap 10 (nominal USD) on the four-bases scenario (cost 20, 20.37 (10.20 + 9.17),
    18.47 nominal USD): it pays 10 USD every year in nominal USD, i.e. 10 x fx_y / I_y constant KES: 1,000;
    10 x 120 / 1.1 = 1,090.91; 10 x 150 / 1.21 = 1,239.67."""
    sc = _scenario([{"item": "satellite", "kind": "fixed_opex", "unit_cost": 10.0, "currency": "USD"},
                    {"item": "staff", "kind": "fixed_opex", "unit_cost": 1000.0}],
                   macro={"inflation": 0.1, "usd_inflation": 0.02, "fx_path": [100.0, 120.0, 150.0]},
                   sources=[{"id": "donor", "kind": "grant", "annual_cap": 10.0},
                            {"id": "mof", "kind": "domestic"}])
    res = run(sc)
    fin = res.in_basis("nominal-usd").financing_df()
    assert fin[fin.source == "donor"].groupby("year").amount.sum().tolist() == pytest.approx([10.0] * 3, abs=CENT)
    fin = res.financing_df()
    assert fin[fin.source == "donor"].groupby("year").amount.sum().tolist() == pytest.approx(
        [1000.0, 1200 / 1.1, 1500 / 1.21], abs=CENT)


def test_loan_commitment_is_nominal_in_the_loan_currency():
    """A USD loan with commitment 150 USD pays for a 100 USD kit each year 2026-2028 (USD inflation 0, so 100
    nominal USD each year): 100 in 2026, 50 in 2027, nothing in 2028; disbursed in nominal USD: 100, 50, 0."""
    sc = _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 100.0, "currency": "USD",
                     "schedule": [2026, 2027, 2028]}],
                   macro={"inflation": 0.1, "usd_inflation": 0.0, "fx_path": [100.0, 120.0, 150.0]},
                   sources=[{"id": "bank", "kind": "loan", "commitment": 150.0, "rate": 0.0, "grace_years": 0,
                             "maturity_years": 2, "repayment": "linear"}])
    ds = run(sc, "nominal-usd").debt_service_df()
    assert _column(ds, "disbursed")[:3] == pytest.approx([100.0, 50.0, 0.0], abs=CENT)


@pytest.mark.parametrize("pi, n", [(0.03, 0.08), (0.02, 0.05), (0.0, 0.06), (-0.01, 0.04)])
def test_real_and_nominal_present_values_obey_fisher(pi, n):
    """inflation pi constant, price_year = start_year, three years of 1,000 constant KES (nominal 1,000 (1 + pi)^i).

    discount_basis nominal at n: PV = sum 1,000 (1 + pi)^i / (1 + n)^i, the PV of the nominal flows at the
    nominal rate; discount_basis real at r = (1 + n) / (1 + pi) - 1 gives the same. For pi = 3%, n = 8%:
    1,000 + 1,030 / 1.08 + 1,060.9 / 1.1664 = 1,000 + 953.7037 + 909.5508 = 2,863.25.
    """
    r = (1 + n) / (1 + pi) - 1
    line = [{"item": "staff", "kind": "fixed_opex", "unit_cost": 1000.0}]
    macro = {"inflation": pi, "usd_inflation": 0.0, "fx_rate": 100.0}
    nominal = run(_scenario(line, macro=macro, discount_rate=n, discount_basis="nominal")).summary()
    real = run(_scenario(line, macro=macro, discount_rate=r, discount_basis="real")).summary()
    by_hand = sum(1000 * (1 + pi) ** i / (1 + n) ** i for i in range(3))
    if (pi, n) == (0.03, 0.08):
        assert by_hand == pytest.approx(2863.25, abs=CENT)
    assert nominal["pv_total_cost"] == pytest.approx(by_hand, abs=CENT)
    assert real["pv_total_cost"] == pytest.approx(by_hand, abs=CENT)


def _envelope_scenario(envelope):
    # USD scenario without [macro]: no inflation, no conversion. 2026-2028, budget 5,000 a year, domestic cap
    # 11.5% = 575 a year. A 1,000 build in 2026 that only the loan may pay (10%, no grace, 2 years, linear) and
    # a 300 running cost every year that only the domestic budget pays.
    return _scenario([{"item": "build", "kind": "fixed_capex", "unit_cost": 1000.0, "schedule": [2026]},
                      {"item": "run", "kind": "fixed_opex", "unit_cost": 300.0}], currency="USD",
                     context={"education_budget": 5000.0, "envelope": envelope},
                     sources=[{"id": "bank", "kind": "loan", "eligible": ["a:capex"], "rate": 0.1,
                               "grace_years": 0, "maturity_years": 2, "repayment": "linear"},
                              {"id": "mof", "kind": "domestic", "eligible": ["a:opex"], "budget_share_cap": 0.115}])


def test_net_envelope_loan_service_crowds_out_the_domestic_budget():
    """Debt service: 2027 interest 100 + principal 500 = 600; 2028 interest 50 + principal 500 = 550.

    | year | budget | cap 11.5% | debt service | net room = max(cap - service, 0) | domestic | gap |
    | 2026 | 5,000  |   575     |      0       |            575                   |   300    |   0 |
    | 2027 | 5,000  |   575     |    600       |              0 (600 > 575)       |     0    | 300 |
    | 2028 | 5,000  |   575     |    550       |             25                   |    25    | 275 |

    government burden = domestic + service: 300, 600, 575; service alone exceeds the cap in 2027 only.
    """
    res = run(_envelope_scenario("net"))
    f = res.fiscal_df().set_index("year")
    years = [2026, 2027, 2028]
    assert list(f.loc[years, "education_budget"]) == pytest.approx([5000.0] * 3)
    assert list(f.loc[years, "debt_service"]) == pytest.approx([0.0, 600.0, 550.0], abs=CENT)
    assert list(f.loc[years, "domestic_envelope"]) == pytest.approx([575.0, 0.0, 25.0], abs=CENT)
    assert list(f.loc[years, "domestic_outlay"]) == pytest.approx([300.0, 0.0, 25.0], abs=CENT)
    assert list(f.loc[years, "gap"]) == pytest.approx([0.0, 300.0, 275.0], abs=CENT)
    assert list(f.loc[years, "government_burden"]) == pytest.approx([300.0, 600.0, 575.0], abs=CENT)
    assert list(f.loc[years, "service_over_envelope"]) == [False, True, False]
    fin = res.financing_df()
    table = {(r.year, r.source): r.amount for r in fin.itertuples()}
    assert table == pytest.approx({(2026, "bank"): 1000.0, (2026, "mof"): 300.0, (2027, "gap"): 300.0,
                                   (2028, "mof"): 25.0, (2028, "gap"): 275.0}, abs=CENT)
    summary = res.summary()
    assert summary["total_gap"] == pytest.approx(575.0, abs=CENT)
    assert summary["years_service_over_envelope"] == 1


def test_gross_envelope_keeps_the_old_rule():
    """envelope = "gross": the domestic source may pay 575 a year whatever the debt service, so it pays the 300
    running cost every year and there is no gap; burden 300, 900, 850."""
    res = run(_envelope_scenario("gross"))
    f = res.fiscal_df().set_index("year")
    years = [2026, 2027, 2028]
    assert list(f.loc[years, "domestic_outlay"]) == pytest.approx([300.0] * 3, abs=CENT)
    assert list(f.loc[years, "gap"]) == pytest.approx([0.0] * 3, abs=CENT)
    assert list(f.loc[years, "domestic_envelope"]) == pytest.approx([575.0] * 3, abs=CENT)
    assert list(f.loc[years, "government_burden"]) == pytest.approx([300.0, 900.0, 850.0], abs=CENT)
    assert res.summary()["total_gap"] == 0.0


def test_net_envelope_when_the_domestic_source_pays_before_the_loan():
    """The domestic source pays first (priority -1), the loan takes what is left of a 1,000 build each year
    2026-2027 (loan 10%, no grace, 2 years, linear; USD, no inflation). Cap 575 a year, no running cost.

    2026: room 575 -> domestic 575, loan 425.
    2027: service of the 2026 tranche = 0.1 x 425 + 425 / 2 = 42.5 + 212.5 = 255; room 575 - 255 = 320 ->
          domestic 320, loan 680.
    2028 (no cost): service = 2026 tranche 0.1 x 212.5 + 212.5 = 233.75, plus 2027 tranche 0.1 x 680 + 340 =
          408: 641.75; 2029: 2027 tranche 0.1 x 340 + 340 = 374.
    """
    sc = _scenario([{"item": "build", "kind": "fixed_capex", "unit_cost": 1000.0, "schedule": [2026, 2027]}],
                   currency="USD", context={"education_budget": 5000.0},
                   sources=[{"id": "bank", "kind": "loan", "rate": 0.1, "grace_years": 0, "maturity_years": 2,
                             "repayment": "linear"},
                            {"id": "mof", "kind": "domestic", "priority": -1, "budget_share_cap": 0.115}])
    res = run(sc)
    f = res.fiscal_df().set_index("year")
    assert list(f.loc[[2026, 2027], "domestic_outlay"]) == pytest.approx([575.0, 320.0], abs=CENT)
    assert list(f.loc[[2026, 2027, 2028, 2029], "debt_service"]) == pytest.approx([0.0, 255.0, 641.75, 374.0],
                                                                                   abs=CENT)
    assert list(f.loc[[2026, 2027], "gap"]) == pytest.approx([0.0, 0.0], abs=CENT)


def _dsf_scenario(currency):
    # a 1,000 USD kit in 2026 paid by a USD loan at 10%, no grace, 2 years, linear: USD service 600 in 2027
    # (100 + 500), 550 in 2028 (50 + 500). [debt]: GDP 10,000 USD, exports 2,000, revenue 1,500, medium capacity.
    macro = None if currency == "USD" else {"inflation": 0.02, "usd_inflation": 0.02, "fx_rate": 1000.0}
    return _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 1000.0, "currency": "USD",
                       "schedule": [2026]}], currency=currency, years=2, macro=macro,
                     sources=[{"id": "bank", "kind": "loan", "rate": 0.1, "grace_years": 0, "maturity_years": 2,
                               "repayment": "linear"}],
                     debt={"gdp": 10_000.0, "exports": 2_000.0, "revenue": 1_500.0, "capacity": "medium"})


@pytest.mark.parametrize("currency", ["KES", "USD"])
def test_dsf_pv_of_debt_to_gdp_by_hand(currency):
    """PV at 5% at the end of 2026 of the later service: 600 / 1.05 + 550 / 1.05^2 = 571.4286 + 498.8662 =
    1,070.2948 USD; over GDP 10,000: pv_debt_gdp = 0.107029 (threshold 0.40 for medium capacity).
    End of 2027: 550 / 1.05 = 523.8095 over GDP in USD. In KES (I and U both 2%, fx by relative inflation, so
    rer = 1) GDP in USD grows with U: 10,200, so 0.051354; in USD without [macro], 10,000: 0.052381.
    debt_service_exports 2027: 600 / (0.2 x GDP) = 600 / 2,040 = 0.294118 (KES) or 600 / 2,000 = 0.3 (USD).

    The USD case is the same loan: a USD loan is external debt whatever the scenario's currency.
    """
    dsf = run(_dsf_scenario(currency)).dsf_df()
    pv = dsf[dsf.ratio == "pv_debt_gdp"].set_index("year")
    us_cpi = 1.02 if currency == "KES" else 1.0
    assert 600 / 1.05 + 550 / 1.05 ** 2 == pytest.approx(1070.2948, abs=1e-4)
    assert pv.loc[2026, "plan"] == pytest.approx(0.107029, abs=1e-6)
    assert pv.loc[2027, "plan"] == pytest.approx(550 / 1.05 / (10_000 * us_cpi), abs=1e-6)
    assert pv.loc[2026, "threshold"] == pytest.approx(0.40)
    assert not pv.loc[2026, "above_threshold"]
    ds = dsf[dsf.ratio == "debt_service_exports"].set_index("year")
    assert ds.loc[2027, "plan"] == pytest.approx(600 / (2000 * us_cpi), abs=1e-6)
    assert bool(ds.loc[2027, "above_threshold"])  # 0.29 > 0.15


def test_cost_line_quoted_before_start_year_is_deflated_at_the_given_rate():
    """USD scenario 2031-2032, inflation = [0.04, 0.06]; a line of 1,000 quoted in 2029. 2029 and 2030 are not in
    the CPI history (data/price_history.csv ends before), so the rates into 2030 and 2031 are the first
    projection year's rate, 4%: I_2029 = 1 / 1.04^2, and the line is worth 1,000 x 1.0816 = 1,081.60 in constant
    2031 prices; in nominal prices of 2032 (I = 1.06): 1,146.50."""
    sc = _scenario([{"item": "x", "kind": "fixed_opex", "unit_cost": 1000.0, "price_year": 2029}], currency="USD",
                   start=2031, years=2, macro={"inflation": [0.04, 0.06]})
    res = run(sc)
    assert _column(res.costs_df(), "amount") == pytest.approx([1081.6, 1081.6], abs=CENT)
    assert _column(res.in_basis("nominal-lcu").costs_df(), "amount") == pytest.approx([1081.6, 1146.5], abs=CENT)


def test_usd_line_quoted_before_start_year_is_deflated_in_usd_then_converted():
    """KES scenario 2031-2032, inflation 5%, usd_inflation 3%, fx_rate 1,000 in 2031 (fx follows relative
    inflation, so rer = 1). A 100 USD line quoted in 2029: deflated in USD, 100 x 1.03^2 = 106.09 USD of 2031,
    converted at 1,000: 106,090 KES a year. A 1,000 KES line quoted in 2029: 1,000 x 1.05^2 = 1,102.50 KES."""
    sc = _scenario([{"item": "imported", "kind": "fixed_opex", "unit_cost": 100.0, "price_year": 2029,
                     "currency": "USD"},
                    {"item": "local", "kind": "fixed_opex", "unit_cost": 1000.0, "price_year": 2029}],
                   start=2031, years=2, macro={"inflation": 0.05, "usd_inflation": 0.03, "fx_rate": 1000.0})
    got = _amounts(run(sc).costs_df(), "item")
    for y in (2031, 2032):
        assert got[(y, "imported")] == pytest.approx(106_090.0, abs=CENT)
        assert got[(y, "local")] == pytest.approx(1_102.5, abs=CENT)


def test_cost_line_quoted_before_start_year_uses_the_cpi_history_where_it_has_the_year():
    """USD scenario from 2026, inflation 2%; a 1,000 line quoted in 2024. The rate into 2025 comes from the US CPI
    in data/price_history.csv (CPI_2025 / CPI_2024), the rate into 2026 is the given 2%:
    1,000 x CPI_2025 / CPI_2024 x 1.02 (with today's file 1,000 x 322.0 / 313.689 x 1.02 = 1,047.02)."""
    from dfl_finance.inputs.profiles import macro_data

    cpi = macro_data().cpi["USD"]
    sc = _scenario([{"item": "x", "kind": "fixed_opex", "unit_cost": 1000.0, "price_year": 2024}], currency="USD",
                   macro={"inflation": 0.02})
    expected = 1000 * cpi[2025] / cpi[2024] * 1.02
    assert _column(run(sc).costs_df(), "amount") == pytest.approx([expected] * 3, abs=CENT)


def test_usd_scenario_without_macro_has_flat_prices():
    """No [macro] in a USD scenario: zero inflation, so a line quoted in 2024 is taken at its face value and every
    basis shows the same numbers."""
    sc = _scenario([{"item": "x", "kind": "fixed_opex", "unit_cost": 1000.0, "price_year": 2024}], currency="USD")
    for basis in BASES:
        assert _column(run(sc, basis).costs_df(), "amount") == pytest.approx([1000.0] * 3, abs=CENT)


def _ida_scenario(currency, macro):
    # 1,000,000 USD of kit each year 2026-2028 (price year 2026), all paid by an IDA21 regular credit
    return _scenario([{"item": "kit", "kind": "fixed_capex", "unit_cost": 1e6, "currency": "USD",
                       "schedule": [2026, 2027, 2028]}], currency=currency, macro=macro,
                     context={"education_budget": 1e13}, sources=[{"id": "ida", "kind": "loan",
                                                                    "terms": "ida21-regular"}])


def test_ida_grant_element_is_unchanged_by_the_price_layer():
    """ida21-regular (1.35%, grace 6, maturity 31, 4% a year in years 7-31, paid semi-annually): one tranche has a
    grant element of 0.4172 at 5% (0.4229 paid once a year: tests/test_loans.py; the semi-annual known answer in
    tests/test_fiscal_years.py); three equal tranches have the same (the grant element of equal tranches is
    that of one). In RWF with 8% inflation and a depreciating fx path, but US inflation 0, the USD disbursements
    are the same 1,000,000 USD a year, so the grant element in nominal USD at 5% must be the same."""
    flat = run(_ida_scenario("USD", None)).summary()
    rwf = run(_ida_scenario("RWF", {"inflation": 0.08, "usd_inflation": 0.0,
                                    "fx_path": [1300.0, 1450.0, 1600.0]})).summary()
    assert flat["grant_element__ida"] == pytest.approx(0.4172, abs=1e-4)
    assert rwf["grant_element__ida"] == flat["grant_element__ida"]
    assert rwf["grant_element_external"] == pytest.approx(flat["grant_element_external"], abs=1e-9)
    usd = run(_ida_scenario("RWF", {"inflation": 0.08, "usd_inflation": 0.0, "fx_path": [1300.0, 1450.0,
                                                                                            1600.0]}),
              "nominal-usd").debt_service_df()
    assert _column(usd, "disbursed")[:3] == pytest.approx([1e6] * 3, abs=CENT)
    assert _column(usd, "interest")[1:4] == pytest.approx([13_500.0, 27_000.0, 40_500.0], abs=CENT)


def test_a_tiny_domestic_payment_does_not_overflow_leverage():
    """Found by the properties below (hypothesis drew budget_share_cap = 5e-324, a valid input): the domestic
    source pays 5e-324 x 1e6 = 4.94e-318 a year, a grant 50 a year, and leverage = 150 / 1.48e-317 overflows
    (RuntimeWarning: overflow encountered in divide, engine/fiscal.py ``financing_metrics``; the errstate there
    ignores divide and invalid, not over). A run must not warn; leverage is either absent or finite."""
    import warnings

    sc = _scenario([{"item": "x", "kind": "fixed_opex", "unit_cost": 100.0}], currency="USD",
                   context={"education_budget": 1e6},
                   sources=[{"id": "donor", "kind": "grant", "share_cap": 0.5},
                            {"id": "mof", "kind": "domestic", "budget_share_cap": 5e-324}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = run(sc).summary()
    assert np.isfinite(summary.get("leverage", 0.0))


# ------------------------------------------------------------------------------------------------ properties


def _frames(result, basis):
    r = result.in_basis(basis)
    return r.costs_df(), r.financing_df(), r.fiscal_df()


@PROPERTY
@given(raw=priced_scenario_dicts(inflation=st.just((0.0, 0.0)),
                                 fx=lambda n: st.floats(50, 500, allow_nan=False).map(lambda c: [c] * n)))
def test_property_flat_prices_every_basis_gives_todays_numbers(raw):
    """Zero inflation and a constant fx c: nominal-lcu = real-lcu, and nominal-usd = real-usd = real-lcu / c, in
    costs.csv, financing.csv and fiscal.csv (rows rounded to the cent, so within a cent and a cent / c)."""
    c = raw["macro"]["fx_path"][0]
    result = run(scenario_from_dict(raw))
    real = _frames(result, "real-lcu")
    for basis in BASES[1:]:
        scale = 1.0 if basis == "nominal-lcu" else 1.0 / c
        costs, financing, fiscal = _frames(result, basis)
        # financing.csv drops rows that round to 0, so a row under half a cent in USD may be missing: align
        merged = real[1].merge(financing, on=["year", "source", "programme", "cost_kind"], how="outer",
                               suffixes=("_a", "_b"))
        pairs = [(real[0]["amount"], costs["amount"], "costs"),
                 (merged["amount_a"].fillna(0.0), merged["amount_b"].fillna(0.0), "financing")]
        # fiscal.csv runs to the last payment that is not 0 at the table's precision: align on the year
        years = real[2].merge(fiscal, on="year", how="inner", suffixes=("_a", "_b"))
        pairs += [(years[f"{col}_a"], years[f"{col}_b"], col) for col in ("education_budget", "domestic_outlay",
                                                                            "gap")]
        for a, b, what in pairs:
            np.testing.assert_allclose(b.to_numpy(dtype=float), a.to_numpy(dtype=float) * scale, rtol=1e-9,
                                       atol=CENT + CENT * scale, err_msg=f"{basis} {what}")
        for col in ("debt_service", "ppp_payments"):
            # interest, principal and fees are each rounded cumulatively (within a cent): 3 cents on their sum
            np.testing.assert_allclose(years[f"{col}_b"].to_numpy(dtype=float),
                                       years[f"{col}_a"].to_numpy(dtype=float) * scale, rtol=1e-9,
                                       atol=3 * CENT + 3 * CENT * scale, err_msg=f"{basis} {col}")


@PROPERTY
@given(raw=priced_scenario_dicts(), n=st.floats(0.0, 0.3, allow_nan=False))
def test_property_nominal_pv_at_nominal_rate_equals_real_pv_at_fisher_rate(raw, n):
    """With constant inflation pi: discount_basis nominal at n and real at r = (1 + n) / (1 + pi) - 1 give the same
    pv_total_cost and pv_government_cost; and pv_total_cost is the PV of the nominal-lcu costs at n."""
    pi = raw["macro"]["inflation"]
    r = (1 + n) / (1 + pi) - 1
    assume(0.0 <= r <= 1.0)
    raw["scenario"].update(discount_rate=n, discount_basis="nominal")
    nominal_result = run(scenario_from_dict(raw))
    nominal = nominal_result.summary()
    raw["scenario"].update(discount_rate=r, discount_basis="real")
    real = run(scenario_from_dict(raw)).summary()
    for key in ("pv_total_cost", "pv_government_cost"):
        assert real[key] == pytest.approx(nominal[key], rel=1e-9, abs=2 * CENT), key
    costs = nominal_result.in_basis("nominal-lcu").costs_df()
    by_hand = float((costs.amount / (1 + n) ** (costs.year - raw["scenario"]["start_year"])).sum())
    assert nominal["pv_total_cost"] == pytest.approx(by_hand, rel=1e-9, abs=CENT * (len(costs) + 1))


@PROPERTY
@given(raw=priced_scenario_dicts())
def test_property_sources_plus_gap_equal_cost_in_every_basis(raw):
    """In every basis and every (year, programme, cost_kind) cell, financing.csv (sources and gap) adds up to
    costs.csv, within a cent per row (each row is rounded on its own)."""
    result = run(scenario_from_dict(raw))
    key = ["year", "programme", "cost_kind"]
    for basis in PRICE_BASES:
        costs, financing, _ = _frames(result, basis)
        c = costs.groupby(key).amount.agg(["sum", "size"])
        f = financing.groupby(key).amount.agg(["sum", "size"])
        both = c.add_suffix("_cost").join(f.add_suffix("_fin"), how="outer").fillna(0.0)
        tolerance = CENT * (both["size_cost"] + both["size_fin"]) + 1e-9 * both["sum_cost"].abs()
        bad = both[(both["sum_cost"] - both["sum_fin"]).abs() > tolerance]
        assert bad.empty, f"{basis}:\n{bad}"


# ------------------------------------------------------------------------------------------------ bad input

PRICE_FIXTURES = ["macro_inflation_path_short", "macro_fx_path_negative", "currency_unknown",
                  "cost_price_year_future", "cost_currency_foreign", "source_currency_foreign",
                  "macro_fx_rate_missing"]
INVALID = ROOT / "tests" / "data" / "invalid"


def _expected_field(name: str) -> str:
    return (INVALID / f"{name}.toml").read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")


@pytest.mark.parametrize("name", PRICE_FIXTURES)
def test_price_fixture_exits_2_naming_the_field(name, capsys):
    path = INVALID / f"{name}.toml"
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert _expected_field(name) in err and path.name in err and "Traceback" not in err


def test_price_fixtures_exit_2_through_python_m():
    for name in PRICE_FIXTURES:
        path = INVALID / f"{name}.toml"
        proc = subprocess.run([sys.executable, "-m", "dfl_finance", "validate", str(path)], capture_output=True,
                              text=True, timeout=120, cwd=ROOT)
        assert proc.returncode == 2, (name, proc.stderr)
        assert _expected_field(name) in proc.stderr, (name, proc.stderr)
