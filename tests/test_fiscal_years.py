"""Fiscal years (issue 24, Calendar): the profile's fiscal year, outputs by fiscal year (``--years fiscal``), budgets
given by fiscal year, and loans paid semi-annually on their dates. docs/method.md, *Fiscal years* and *Loans paid
semi-annually*."""

from __future__ import annotations

import glob

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import load_scenario, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.engine.fiscal_years import (
    calendar_from_fiscal_factor,
    dated_to_fiscal_years,
    stock_to_fiscal_years,
)
from dfl_finance.engine.loans import pv_at_disbursement, repayment_profile, unit_payments, year_end_equivalent
from dfl_finance.errors import ScenarioError
from dfl_finance.inputs.profiles import loan_terms
from dfl_finance.inputs.references import fiscal_year_assumption
from dfl_finance.model.load import apply_overrides
from dfl_finance.outputs.fiscal_view import FiscalContext, context_of, fiscal_table, fiscal_tables
from dfl_finance.outputs.result import run
from dfl_finance.outputs.tables import FISCAL_RULES, TABLES, fiscal_rule
from tests.conftest import ROOT

BUNDLED = sorted(glob.glob(str(ROOT / "scenarios" / "*.toml")))


def _scenario(*, fiscal_year_start=None, sources=None, context=None, cost=None, years=2, country=None):
    meta = {"name": "FY", "start_year": 2026, "years": years, "currency": "KES", "post_horizon_years": 0}
    if fiscal_year_start is not None:
        meta["fiscal_year_start"] = fiscal_year_start
    if country is not None:
        meta["country"] = country
    raw = {"scenario": meta,
           "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9, **(context or {})},
           "macro": {"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 130.0},
           "programme": [{"id": "a", "pillar": "infrastructure", "driver": "none",
                          "cost": cost or [{"item": "kit", "kind": "fixed_opex", "unit_cost": 1200.0}]}]}
    if sources is not None:
        raw["source"] = sources
    return scenario_from_dict(raw)


# ------------------------------------------------------------------------------------------------ known answers

def test_the_issues_known_answer_by_fiscal_year():
    """A calendar cost of 1,200 a year in 2026 and 2027 with a July start: FY 2025/26 takes 6/12 of 2026 = 600,
    2026/27 takes 6/12 of 2026 + 6/12 of 2027 = 1,200, 2027/28 takes 6/12 of 2027 = 600 (total 2,400 both ways)."""
    res = run(_scenario(fiscal_year_start=7))
    costs = fiscal_tables(res.tables(), context_of([res]))["costs"]
    assert costs["fiscal_year"].tolist() == ["2025/26", "2026/27", "2027/28"]
    assert costs["amount"].tolist() == [600.0, 1200.0, 600.0]
    assert "year" not in costs.columns and list(costs.columns)[1] == "fiscal_year"


def test_an_april_year_and_a_calendar_year():
    """April start (m = 4): FY 2025/26 takes (4 - 1)/12 = 3/12 of 2026 = 300; 2026/27 9/12 of 2026 + 3/12 of 2027 =
    900 + 300 = 1,200; 2027/28 9/12 of 2027 = 900. January: the calendar years, labelled "2026", "2027"."""
    res = run(_scenario(fiscal_year_start=4))
    assert fiscal_tables(res.tables(), context_of([res]))["costs"]["amount"].tolist() == [300.0, 1200.0, 900.0]
    res = run(_scenario())
    costs = fiscal_tables(res.tables(), context_of([res]))["costs"]
    assert costs["fiscal_year"].tolist() == ["2026", "2027"] and costs["amount"].tolist() == [1200.0, 1200.0]


def test_stocks_at_the_end_of_the_fiscal_year():
    """Reach 0 before, 100 at the end of 2026, 200 at the end of 2027, July start: the end of FY 2025/26 (June 2026)
    is half way from 0 to 100 = 50; of 2026/27 half way from 100 to 200 = 150; of 2027/28 the last year-end, 200."""
    assert stock_to_fiscal_years(np.array([[100.0, 200.0]]), 7).tolist() == [[50.0, 150.0, 200.0]]
    # April: 3/12 of the way: 0 + 25 = 25; 100 + 25 = 125; 200
    assert stock_to_fiscal_years(np.array([[100.0, 200.0]]), 4).tolist() == [[25.0, 125.0, 200.0]]


def test_payments_on_their_dates():
    """15 June and 15 December 2026 payments of 40 and 60: July start: June falls in FY 2025/26, December in 2026/27;
    April start: both in 2026/27 (April 2026 - March 2027), none in 2025/26 (the even spread would give it 3/12)."""
    parts = np.array([[[40.0], [60.0]]])
    assert dated_to_fiscal_years(parts, (6, 12), 7).tolist() == [[40.0, 60.0]]
    assert dated_to_fiscal_years(parts, (6, 12), 4).tolist() == [[0.0, 100.0]]


def test_a_budget_given_by_fiscal_year():
    """The FY b/b+1 budget B as calendar year b: (m - 1)/12 of FY (b-1)/b = B / (1 + g) and (13 - m)/12 of FY b/b+1.
    July, g = 10%: B x (0.5 / 1.1 + 0.5) = 0.954545 B; g = 0: B. In a run without growth or inflation the budget is
    the same with a July and a January year; with 10% real growth it is 0.954545 times."""
    assert float(calendar_from_fiscal_factor(7, 0.1)) == pytest.approx(0.5 / 1.1 + 0.5)
    assert float(calendar_from_fiscal_factor(7, 0.0)) == 1.0
    assert float(calendar_from_fiscal_factor(4, 0.1)) == pytest.approx(3 / 12 / 1.1 + 9 / 12)
    flat = {"budget_year": 2026}
    jan, jul = (run(_scenario(fiscal_year_start=m, context=flat)).fiscal_df() for m in (1, 7))
    assert jan["education_budget"].tolist() == jul["education_budget"].tolist() == [1e9, 1e9]
    grow = {"budget_year": 2026, "budget_growth": 0.1}
    jan, jul = (run(_scenario(fiscal_year_start=m, context=grow)).fiscal_df() for m in (1, 7))
    assert jul["education_budget"].iloc[0] == pytest.approx(1e9 * (0.5 / 1.1 + 0.5), abs=0.01)
    assert jan["education_budget"].iloc[0] == pytest.approx(1e9)


# ------------------------------------------------------------------------------------------------ semi-annual loans

def test_an_ida_credit_semi_annual_against_annual():
    """IDA21 regular (1.35%, grace 6, 4% of principal a year in years 7-31), a tranche of 1 disbursed at the end of
    year 0.

    Annual: the charge is 1.35% of the balance at the start of each year: 6 years on 1, then 25 years on 1, 0.96,
    ..., 0.04: 0.0135 x (6 + 25 - 0.04 x (0 + 1 + ... + 24)) = 0.0135 x (31 - 12) = 0.0135 x 19 = 0.2565.
    Semi-annual: each half-year 0.675% of its balance, 2% repaid in June and 2% in December: each repaying year
    charges 0.0135 x 0.04 / 4 = 0.000135 less, 25 years: 0.003375 less = 0.253125.

    Grant element at 5%: annual 1 - sum(payment_k / 1.05^k) = 0.422900; semi-annual, each payment at its date
    (June: 1.05^(k - 0.5)) = 0.417194: paying half of each year six months earlier costs the borrower 0.0057 of
    grant element (computed step by step by the loop below, independently of the engine)."""
    t = loan_terms()["ida21-regular"]
    assert t.payments_per_year == 2
    profile = repayment_profile(t.repayment, t.rate, t.grace_years, t.maturity_years, t.schedule)
    annual, semi = unit_payments(profile, t.rate), unit_payments(profile, t.rate, 2)
    assert (annual - profile).sum() == pytest.approx(0.2565, abs=1e-12)
    assert (semi - profile).sum() == pytest.approx(0.253125, abs=1e-12)
    pv_annual = pv_semi = 0.0
    balance_a = balance_s = 1.0
    for k in range(1, 32):
        p = 0.04 if k >= 7 else 0.0
        pv_annual += (p + 0.0135 * balance_a) / 1.05 ** k
        balance_a -= p
        for h in (0.5, 1.0):
            pv_semi += (p / 2 + 0.0135 / 2 * balance_s) / 1.05 ** (k - 1 + h)
            balance_s -= p / 2
    assert 1 - pv_annual == pytest.approx(0.422900, abs=1e-6)
    assert 1 - pv_semi == pytest.approx(0.417194, abs=1e-6)
    assert 1 - float(pv_at_disbursement(profile, t.rate)) == pytest.approx(1 - pv_annual, abs=1e-12)
    assert 1 - float(pv_at_disbursement(profile, t.rate, payments_per_year=2)) == pytest.approx(1 - pv_semi, abs=1e-12)


def test_a_run_of_an_ida_credit_charges_the_half_year_balances():
    """100,000 disbursed in 2026 on IDA21 regular terms (paid semi-annually): the service charge of 2027 is 1.35% of
    100,000 = 1,350 (no repayment yet), and the run's grant element is the semi-annual 0.4172."""
    kit = [{"item": "kit", "kind": "fixed_capex", "unit_cost": 100000.0, "schedule": [2026]}]
    sc = _scenario(cost=kit, years=1, sources=[{"id": "ida", "kind": "loan", "terms": "ida21-regular"}])
    res = run(sc, "nominal-lcu")
    ds = res.debt_service_df()
    assert ds.loc[ds["year"] == 2027, "interest"].item() == pytest.approx(1350.0)
    # year 7 (2033): 4,000 repaid in two halves; charge 0.675% x 100,000 + 0.675% x 98,000 = 675 + 661.5 = 1,336.5
    assert ds.loc[ds["year"] == 2033, "interest"].item() == pytest.approx(1336.5)
    assert res.summary()["grant_element__ida"] == pytest.approx(0.4172, abs=1e-4)
    # the external mix is the credit alone: the same dated instalments
    assert res.summary()["grant_element_external"] == pytest.approx(res.summary()["grant_element__ida"], abs=1e-12)


def test_the_year_end_equivalent_of_two_payments():
    """100 outstanding, 10 repaid, charge 1.35% semi-annually: 0.675 x 100 + 0.675 x 95 = 1.31625 of interest; June
    5 + 0.675 = 5.675 carried to December at 5%: x 1.05^0.5 = 5.81514; plus December's 5 + 0.64125: 11.45639."""
    got = float(year_end_equivalent(np.array(1.31625), np.array(10.0), np.array(100.0), 2)[()])
    assert got == pytest.approx(5.675 * 1.05 ** 0.5 + 5.64125, abs=1e-12)
    assert float(year_end_equivalent(np.array(1.35), np.array(10.0), np.array(100.0), 1)[()]) == 11.35


def test_loan_payments_fall_on_their_dates_by_fiscal_year():
    """An IDA credit with an April fiscal year: its June and December payments both fall in the fiscal year that
    starts in April of their calendar year, so the first FY before any payment year has none of that year's service
    (the even spread would give it 3/12), and the fiscal table's debt service is the debt table's on the same dates.
    """
    kit = [{"item": "kit", "kind": "fixed_capex", "unit_cost": 100000.0, "schedule": [2026]}]
    sc = _scenario(cost=kit, years=1, fiscal_year_start=4,
                   sources=[{"id": "ida", "kind": "loan", "terms": "ida21-regular"}])
    res = run(sc, "nominal-lcu")
    cal = res.tables()
    fy = fiscal_tables(cal, context_of([res]))
    ds = fy["debt_service"].set_index("fiscal_year")
    # calendar 2027 pays 1,350 of charge (June 675, December 675): all of it in FY 2027/28; FY 2026/27 none of it
    assert ds.loc["2026/27", "interest"] == 0.0 and ds.loc["2027/28", "interest"] == pytest.approx(1350.0)
    paid = (fy["debt_service"]["interest"] + fy["debt_service"]["principal"]).to_numpy()
    fiscal = fy["fiscal"].set_index("fiscal_year")["debt_service"]
    assert fiscal.reindex(fy["debt_service"]["fiscal_year"]).to_numpy() == pytest.approx(paid, abs=0.01)
    assert fy["debt_service"]["outstanding"].iloc[-1] == 0.0


# ------------------------------------------------------------------------------------------------ totals

def _flow_columns(name: str) -> list[str]:
    return [c.name for c in TABLES[name].columns if fiscal_rule(name, c.name) in ("flow", "dated")]


def _assert_totals_kept(calendar: dict[str, pd.DataFrame], fiscal: dict[str, pd.DataFrame]) -> None:
    for name in FISCAL_RULES:
        if name not in calendar or calendar[name].empty:
            continue
        digits = 0
        for col in _flow_columns(name):
            before = calendar[name].groupby("scenario")[col].sum()
            after = fiscal[name].groupby("scenario")[col].sum()
            unit = 1 if TABLES[name].column(col).kind == "count" else 10.0 ** -2
            assert after.to_numpy() == pytest.approx(before.to_numpy(), abs=unit / 2 + 1e-6 * abs(before).max()), \
                (name, col, digits)
        assert "fiscal_year" in fiscal[name].columns and "year" not in fiscal[name].columns


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.rsplit("/", 1)[-1])
def test_totals_are_the_same_in_both_calendars_for_every_bundled_scenario(path):
    """Every flow of every yearly table adds up to the same total over the horizon by fiscal and by calendar year,
    to the minor unit (each flow is rounded so that its running total is the rounded running total)."""
    res = run(load_scenario(path))
    cal = res.tables()
    _assert_totals_kept(cal, fiscal_tables(cal, context_of([res])))


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(BUNDLED), st.integers(1, 12), st.sampled_from(["real-lcu", "nominal-lcu", "nominal-usd"]))
def test_totals_are_kept_over_random_scenarios(path, month, basis):
    """Any bundled scenario, any fiscal year start, any basis: the totals are kept."""
    sc = apply_overrides(load_scenario(path), {"scenario.fiscal_year_start": month})
    res = run(sc, basis)
    cal = res.tables()
    _assert_totals_kept(cal, fiscal_tables(cal, context_of([res])))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e9, allow_nan=False), min_size=1, max_size=12), st.integers(1, 12))
def test_a_rounded_flow_keeps_its_total(values, month):
    """A column of amounts rounded to the cent keeps its total to the cent by fiscal year."""
    cents = [round(v, 2) for v in values]
    df = pd.DataFrame({"scenario": "s", "year": range(2026, 2026 + len(cents)), "pillar": "p", "programme": "a",
                       "item": "i", "cost_kind": "opex", "line_kind": "opex", "quantity": 1, "unit_cost": 1.0,
                       "amount": cents, "price_basis": "real-lcu", "currency": "KES"})
    out = fiscal_table("costs", df, FiscalContext({"s": month}))
    assert round(out["amount"].sum(), 2) == round(sum(cents), 2)
    assert (np.round(out["amount"].to_numpy(), 2) == out["amount"].to_numpy()).all()


# ------------------------------------------------------------------------------------------------ inputs

def test_the_profile_gives_the_fiscal_year_and_the_outputs_say_so():
    """RWA's profile row is sourced (MINECOFIN), so a Rwanda scenario without the field starts its year in July and
    the manifest says it came from the profile; a file's own value wins; a country whose row is a PLACEHOLDER
    (January assumed) keeps the default."""
    sc = _scenario(country="RWA")
    assert sc.scenario.fiscal_year_start == 7
    assert fiscal_year_assumption(sc)["origin"] == "profile"
    assert "MINECOFIN" in str(fiscal_year_assumption(sc)["source"])
    own = _scenario(country="RWA", fiscal_year_start=1)
    assert own.scenario.fiscal_year_start == 1 and fiscal_year_assumption(own)["origin"] == "default"
    assert _scenario(country="TZA").scenario.fiscal_year_start == 7
    assert _scenario(country="ZMB").scenario.fiscal_year_start == 1  # a placeholder January
    for path in BUNDLED:  # every bundled Rwanda and Kenya scenario: July
        assert load_scenario(path).scenario.fiscal_year_start == 7, path


def test_payment_months_must_match_the_payments():
    """Broken fixture: two payments a year and one month: the error names the field and the value."""
    with pytest.raises(ScenarioError) as err:
        _scenario(sources=[{"id": "ida", "kind": "loan", "terms": "ida21-regular", "payment_months": [12]}])
    assert "source[0].payment_months" in str(err.value) and "[12]" in str(err.value)


def test_run_and_compare_write_fiscal_years(tmp_path, capsys):
    """``--years fiscal``: a fiscal_year column in place of year; the manifest and the printout say the month and
    where it came from; ``--years calendar`` is the default; a wrong word exits 2."""
    files = [str(ROOT / "scenarios" / "kenya-domestic.toml")]
    assert main(["run", *files, "--out", str(tmp_path / "fy"), "--years", "fiscal"]) == 0
    fiscal = pd.read_csv(tmp_path / "fy" / "fiscal.csv", dtype={"fiscal_year": str})
    assert fiscal["fiscal_year"].iloc[0] == "2025/26" and "year" not in fiscal.columns
    assert "fiscal years start in month 7 (the country profile of KEN)" in capsys.readouterr().out
    assert '"fiscal_years"' in (tmp_path / "fy" / "manifest.json").read_text()
    assert main(["run", *files, "--out", str(tmp_path / "cal")]) == 0
    assert "year" in pd.read_csv(tmp_path / "cal" / "fiscal.csv").columns
    assert main(["compare", *files, str(ROOT / "scenarios" / "kenya-ida-gpe.toml"), "--out", str(tmp_path / "cmp"),
                 "--years", "fiscal", "--xlsx"]) == 0
    with pytest.raises(SystemExit) as exc:
        main(["run", *files, "--out", str(tmp_path / "x"), "--years", "lunar"])
    assert exc.value.code == 2


def test_regions_by_fiscal_year_add_up_to_the_nation():
    """--years fiscal writes regions.csv by its own rule (the regions of a programme add up to its national cost of
    the fiscal year to the minor unit; the reach is a stock at the fiscal year's end); its national sums match
    costs.csv by fiscal year within a minor unit per cost line (costs.csv rounds each line's running total)."""
    res = run(load_scenario(ROOT / "examples/regions-kenya-counties.toml"))
    tables = fiscal_tables(res.tables(), context_of([res]))
    regions, costs = tables["regions"], tables["costs"]
    assert "fiscal_year" in regions.columns and "year" not in regions.columns
    assert list(regions["fiscal_year"].drop_duplicates())[:2] == ["2025/26", "2026/27"]
    by_region = regions.groupby(["fiscal_year", "programme"]).cost.sum()
    national = costs.groupby(["fiscal_year", "programme"]).amount.sum()
    lines = costs.groupby("programme").item.nunique()
    gap = (by_region - national).abs().groupby("programme").max()
    assert (gap <= lines.reindex(gap.index) * 0.01 + 1e-6).all(), gap
    assert by_region.sum() == pytest.approx(national.sum(), abs=0.01 * len(costs["item"].unique()))


# ------------------------------------------------------------------------------- gfs.csv and incremental.csv on dates

def _semi_annual_loan(name: str = "FY") -> dict:
    """1,000 of kit in 2026 paid by a loan at 10%, no grace, repaid linearly over two years in two payments a year
    (June and December), a July fiscal year."""
    return {"scenario": {"name": name, "start_year": 2026, "years": 1, "currency": "KES", "post_horizon_years": 0,
                         "fiscal_year_start": 7},
            "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9},
            "macro": {"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 130.0},
            "programme": [{"id": "a", "pillar": "infrastructure", "driver": "none",
                           "cost": [{"item": "kit", "kind": "fixed_capex", "unit_cost": 1000.0, "schedule": [2026]}]}],
            "source": [{"id": "bank", "kind": "loan", "rate": 0.10, "grace_years": 0, "maturity_years": 2,
                        "repayment": "linear", "payments_per_year": 2, "currency": "KES"}]}


def test_gfs_interest_and_amortisation_fall_on_their_dates_by_fiscal_year():
    """The known answer by hand. 1,000 is outstanding from the end of 2026; 500 is repaid in 2027 and 500 in 2028, each
    in two instalments of 250 (June, December), with 10%/2 = 5% charged on each half year's balance:
    June 2027: 250 + 5% x 1,000 = 50; December 2027: 250 + 5% x 750 = 37.5 (2027: 500 and 87.5);
    June 2028: 250 + 5% x 500 = 25; December 2028: 250 + 5% x 250 = 12.5 (2028: 500 and 37.5).
    A July fiscal year holds June of its second calendar year and December of its first:
    2026/27: June 2027 -> interest 50, amortisation 250;
    2027/28: December 2027 + June 2028 -> interest 37.5 + 25 = 62.5, amortisation 500;
    2028/29: December 2028 -> interest 12.5, amortisation 250.
    Spread evenly (the rule before) the interest would be 43.75, 43.75 + 18.75 = 62.5, 18.75. Borrowing has no date
    inside the year: 1,000 in 2026 spread, 500 and 500. gfs.csv, fiscal.csv and debt_service.csv agree by fiscal year,
    and the totals are kept (interest 125, amortisation 1,000)."""
    res = run(scenario_from_dict(_semi_annual_loan()), "nominal-lcu")
    fy = fiscal_tables(res.tables(), context_of([res]))
    gfs = fy["gfs"].set_index(["gfs_class", "fiscal_year"])["amount"]
    assert gfs["interest"].to_dict() == {"2026/27": 50.0, "2027/28": 62.5, "2028/29": 12.5}
    assert gfs["amortisation"].to_dict() == {"2026/27": 250.0, "2027/28": 500.0, "2028/29": 250.0}
    assert gfs["borrowing"].to_dict() == {"2025/26": 500.0, "2026/27": 500.0}
    debt = fy["debt_service"].set_index("fiscal_year")
    assert debt["interest"].reindex(gfs["interest"].index).tolist() == gfs["interest"].tolist()
    fiscal = fy["fiscal"].set_index("fiscal_year")
    assert fiscal["interest"].tolist() == [0.0, 50.0, 62.5, 12.5]
    assert fiscal["amortisation"].tolist() == [0.0, 250.0, 500.0, 250.0]
    assert fiscal["debt_service"].tolist() == [0.0, 300.0, 562.5, 262.5]
    assert fiscal["debt_effect"].tolist() == [500.0, 250.0, -500.0, -250.0]  # borrowing - amortisation
    # deficit_effect = expense + interest + net acquisition of NFA - grants: the NFA 500, 500 plus the dated interest
    assert fiscal["deficit_effect"].tolist() == [500.0, 550.0, 62.5, 12.5]


def test_incremental_places_the_debt_service_of_the_option_and_of_its_baseline_on_their_dates(tmp_path):
    """incremental.csv by fiscal year: the option's debt service (and the burden that holds it) is fiscal.csv's, on
    the payment dates: 2026/27 50 + 250 = 300, 2027/28 62.5 + 500 = 562.5, 2028/29 12.5 + 250 = 262.5 (the test
    above); a baseline with the same loan is placed on its dates too, so the delta is 0 in every fiscal year (spread
    evenly, the baseline's 2026/27 would be 43.75 + 250 = 293.75 and the delta 6.25)."""
    from dfl_finance import dump_scenario

    (tmp_path / "base.toml").write_text(dump_scenario(scenario_from_dict(_semi_annual_loan("Base"))), "utf-8")
    raw = _semi_annual_loan("Option")
    raw["scenario"]["baseline"] = "base.toml"
    (tmp_path / "option.toml").write_text(dump_scenario(scenario_from_dict(raw, folder=tmp_path)), "utf-8")
    assert main(["run", str(tmp_path / "option.toml"), "--out", str(tmp_path / "out"), "--years", "fiscal",
                 "--basis", "nominal-lcu"]) == 0
    inc = pd.read_csv(tmp_path / "out" / "incremental.csv", dtype={"fiscal_year": str})
    for measure in ("debt_service", "government_burden"):
        rows = inc[inc["measure"] == measure].set_index("fiscal_year")
        assert rows["value"].tolist() == [0.0, 300.0, 562.5, 262.5], measure
        assert rows["baseline_value"].tolist() == rows["value"].tolist(), measure
        assert (rows["delta"] == 0.0).all(), measure
    fiscal = pd.read_csv(tmp_path / "out" / "fiscal.csv", dtype={"fiscal_year": str}).set_index("fiscal_year")
    debt = inc[inc["measure"] == "debt_service"].set_index("fiscal_year")["value"]
    assert debt.tolist() == fiscal["debt_service"].reindex(debt.index).tolist()


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(BUNDLED), st.integers(2, 12))
def test_gfs_adds_up_to_the_fiscal_tables_interest_and_amortisation_by_fiscal_year(path, month):
    """Any bundled scenario, any fiscal year start: by fiscal year gfs.csv's interest and amortisation rows add up to
    fiscal.csv's interest and amortisation columns (both on the loans' dates), and every row of gfs.csv is non-zero."""
    sc = apply_overrides(load_scenario(path), {"scenario.fiscal_year_start": month})
    res = run(sc)
    fy = fiscal_tables(res.tables(), context_of([res]))
    gfs, fiscal = fy["gfs"], fy["fiscal"].set_index("fiscal_year")
    assert (gfs["amount"] != 0.0).all()
    for cls, column in (("interest", "interest"), ("amortisation", "amortisation")):
        rows = gfs[gfs["gfs_class"] == cls]
        by_year = rows.groupby("fiscal_year")["amount"].sum()
        expected = fiscal[column].reindex(by_year.index)
        parts = rows.groupby(["financed_by", "charged_to"]).ngroups  # each part rounded: a minor unit (<= 1) apiece
        assert by_year.to_numpy() == pytest.approx(expected.to_numpy(), abs=parts + 1e-6), (cls, month)
