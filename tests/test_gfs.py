"""Fiscal accounts in GFS terms (GFSM 2014): the split of each year into expense by economic class, interest, net
acquisition of nonfinancial assets, grants received, borrowing and amortisation; who bears each line; the balances
of fiscal.csv. Known answers worked by hand, and the property that nothing is created or lost."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfl_finance import run, scenario_from_dict
from dfl_finance.engine.financing import line_cells
from dfl_finance.engine.fiscal import GFS_BALANCES, Instrument, class_spending, gfs_accounts, gfs_balances
from dfl_finance.inputs.profiles import templates
from dfl_finance.vocabulary import CHARGES, DEFAULT_CHARGE, DEFAULT_GFS_CLASS, GFS_CLASSES, SOURCE_KINDS
from tests.conftest import small_scenario_dict
from tests.strategies import scenario_dicts


def _two_year_plan(**source_changes) -> dict:
    """A USD plan of two years (2026-2027), driver none, that a loan's capex and a grant's and the budget's opex pay.

    Lines: servers, fixed_capex 1,000 in 2026 (default class: nonfinancial assets); teacher salaries 100 a year
    (compensation of employees), school grants 60 a year (grants), hosting 40 a year (default: use of goods and
    services), all fixed_opex. The loan (10%, no grace, 2 years, linear) pays the capex; the grant pays 50 of the
    opex a year, the budget the rest."""
    loan = {"id": "ida", "kind": "loan", "eligible": ["p:capex"], "rate": 0.10, "grace_years": 0,
            "maturity_years": 2, "repayment": "linear", **source_changes}
    return {
        "scenario": {"name": "GFS", "start_year": 2026, "years": 2, "currency": "USD", "post_horizon_years": 1},
        "context": {"schools": 10, "learners": 100, "teachers": 5, "education_budget": 1e6, "burden_limit": 1.0},
        "programme": [{"id": "p", "pillar": "governance", "driver": "none", "cost": [
            {"item": "servers", "kind": "fixed_capex", "unit_cost": 1000.0, "schedule": [2026]},
            {"item": "teacher salaries", "kind": "fixed_opex", "unit_cost": 100.0,
             "gfs_class": "compensation_of_employees"},
            {"item": "school grants", "kind": "fixed_opex", "unit_cost": 60.0, "gfs_class": "grants"},
            {"item": "hosting", "kind": "fixed_opex", "unit_cost": 40.0}]}],
        "source": [loan, {"id": "gpe", "kind": "grant", "eligible": ["p:opex"], "annual_cap": 50.0},
                   {"id": "budget", "kind": "domestic"}],
    }


def _rows(gfs: pd.DataFrame, year: int) -> dict[tuple[str, str, str, str], float]:
    rows = gfs[gfs["year"] == year]
    return {(r.account, r.gfs_class, r.financed_by, r.charged_to): r.amount for r in rows.itertuples()}


def test_the_gfs_split_of_a_year_with_a_loans_interest_and_principal():
    """2027, by hand. The loan disbursed 1,000 in 2026 (it paid the servers); in 2027 it charges 10% on the 1,000
    outstanding, interest = 100, and repays the first of two equal instalments, principal = 1,000 / 2 = 500. The grant
    pays 50 of the opex of 200, a quarter of each line: salaries 100 -> 25 grant + 75 budget, school grants 60 ->
    15 + 45, hosting 40 -> 10 + 30.

    expense = 100 + 60 + 40 = 200 (the opex, whoever pays it); interest 100; net acquisition of NFA 0; grants
    received 50; deficit effect = 200 + 100 + 0 - 50 = 250; borrowing 0, amortisation 500, debt effect = -500.
    Charged to the vote: the budget's 75 + 45 + 30 = 150; to the Treasury: interest 100 + principal 500 = 600; and
    150 + 600 = 750 = the government burden (domestic outlay 150 + debt service 600).
    Nothing is created or lost: expense 200 + interest 100 + NFA 0 + amortisation 500 = 800 = burden 750 + grants
    50 + borrowing 0."""
    result = run(scenario_from_dict(_two_year_plan()))
    rows = _rows(result.gfs_df(), 2027)
    assert rows == {
        ("expense", "compensation_of_employees", "domestic", "education_vote"): 75.0,
        ("expense", "compensation_of_employees", "grant", "external"): 25.0,
        ("expense", "use_of_goods_and_services", "domestic", "education_vote"): 30.0,
        ("expense", "use_of_goods_and_services", "grant", "external"): 10.0,
        ("expense", "interest", "loan", "treasury"): 100.0,
        ("expense", "grants", "domestic", "education_vote"): 45.0,
        ("expense", "grants", "grant", "external"): 15.0,
        ("revenue", "grants", "grant", "external"): 50.0,
        ("financing", "amortisation", "loan", "treasury"): 500.0,
    }
    fiscal = result.fiscal_df().set_index("year")
    assert fiscal.loc[2027, list(GFS_BALANCES)].to_dict() == {
        "expense": 200.0, "interest": 100.0, "net_acquisition_nfa": 0.0, "grant_revenue": 50.0,
        "deficit_effect": 250.0, "borrowing": 0.0, "amortisation": 500.0, "debt_effect": -500.0,
        "charged_to_vote": 150.0, "charged_to_treasury": 600.0}
    assert fiscal.loc[2027, "government_burden"] == 750.0
    codes = result.gfs_df().set_index(["account", "gfs_class"])["gfs_code"].to_dict()
    assert codes[("expense", "compensation_of_employees")] == "21" and codes[("expense", "interest")] == "24"
    assert codes[("financing", "amortisation")] == "3304" and codes[("revenue", "grants")] == "13"


def test_the_first_year_borrows_for_the_assets_and_the_year_after_the_plan_is_the_votes():
    """2026: the loan's 1,000 buys the servers: net acquisition of NFA 1,000 financed by a loan (external, no charge
    on the government that year), borrowing 1,000; deficit effect = 200 + 1,000 - 50 = 1,150, debt effect +1,000.
    2028, after the plan: the government carries the opex, 200 (salaries 100, school grants 60, hosting 40), all
    from the budget, charged to the vote; the loan: interest 10% x 500 = 50, the last principal 500."""
    fiscal = run(scenario_from_dict(_two_year_plan())).fiscal_df().set_index("year")
    assert fiscal.loc[2026, ["net_acquisition_nfa", "borrowing", "deficit_effect", "debt_effect",
                             "charged_to_vote", "charged_to_treasury"]].tolist() == [1000.0, 1000.0, 1150.0, 1000.0,
                                                                                       150.0, 0.0]
    assert fiscal.loc[2028, ["expense", "interest", "amortisation", "charged_to_vote", "charged_to_treasury",
                             "government_burden"]].tolist() == [200.0, 50.0, 500.0, 200.0, 550.0, 750.0]


def test_a_loan_charged_to_the_vote_moves_its_service_there():
    """charged_to = "education_vote" on the loan: the 2027 interest 100 and principal 500 are the vote's, so the vote
    bears 150 + 600 = 750 and the Treasury nothing; the accounts themselves do not change."""
    result = run(scenario_from_dict(_two_year_plan(charged_to="education_vote")))
    fiscal = result.fiscal_df().set_index("year")
    assert fiscal.loc[2027, ["charged_to_vote", "charged_to_treasury", "deficit_effect"]].tolist() == [750.0, 0.0,
                                                                                                      250.0]
    assert _rows(result.gfs_df(), 2027)[("expense", "interest", "loan", "education_vote")] == 100.0


def test_fees_are_a_service_charged_like_the_loans_service():
    """A front-end fee of 1% of each disbursement: 1% x 1,000 = 10 in 2026, paid for a service, not for the use of the
    money: use of goods and services, financed by the loan, charged to the Treasury."""
    rows = _rows(run(scenario_from_dict(_two_year_plan(front_end_fee=0.01))).gfs_df(), 2026)
    assert rows[("expense", "use_of_goods_and_services", "loan", "treasury")] == 10.0


def test_a_ppp_is_an_asset_bought_with_an_imputed_lease():
    """An availability-payment PPP (the default) pays the servers: the government acquires the asset (NFA 1,000,
    financed by the PPP) and incurs the lease (borrowing 1,000); its payments split into the operator's return
    (interest) and capital (amortisation), charged to the Treasury (GFSM 2014 para A4.64)."""
    raw = _two_year_plan()
    raw["source"][0] = {"id": "operator", "kind": "ppp", "eligible": ["p:capex"], "contract_years": 2,
                        "return_rate": 0.10}
    result = run(scenario_from_dict(raw))
    first, second = _rows(result.gfs_df(), 2026), _rows(result.gfs_df(), 2027)
    assert first[("nonfinancial_assets", "nonfinancial_assets", "ppp", "external")] == 1000.0
    assert first[("financing", "borrowing", "ppp", "external")] == 1000.0
    # the annuity of 1,000 over 2 years at 10%: 1,000 x 0.1 / (1 - 1.1^-2) = 576.19; interest 100, capital 476.19
    assert second[("expense", "interest", "ppp", "treasury")] == 100.0
    assert second[("financing", "amortisation", "ppp", "treasury")] == pytest.approx(476.19, abs=0.01)


def test_template_training_lines_are_goods_and_services():
    """Teacher training is paid per newly reached teacher (kind capex) but buys no asset: its GFS class is use of goods
    and services; a device is an asset (the default)."""
    lines = {line["item"]: line for name in ("teacher-data-skills", "devices") for line in templates()[name]["cost"]}
    assert lines["data-skills workshop, 5 days per teacher"]["economic_class"] == "use_of_goods_and_services"
    assert lines["shared learner device (about 1 per 6 learners)"]["economic_class"] == "nonfinancial_assets"
    assert all("gfs_class" not in line for t in templates().values() for line in t["cost"])  # the documented name


def test_class_spending_shares_each_cell_among_its_lines():
    """One opex cell of two lines, salaries 120 and hosting 80 (cell 200); source 0 pays 150, the gap is 50: source 0
    pays 150 / 200 = 75% of each line, 90 and 60; the gap spends nothing. After the plan (year 2) the government
    carries the whole cost, in the last source column."""
    cost = np.array([[[120.0, 80.0], [120.0, 80.0], [120.0, 80.0]]])  # (D, N = 3, L)
    k = [GFS_CLASSES.index("compensation_of_employees"), GFS_CLASSES.index("use_of_goods_and_services")]
    spend = class_spending(cost, np.array([1, 1]), np.array(k), np.array([[[0.0, 200.0]] * 2]),
                           np.array([[[[0.0, 150.0]]] * 2]), horizon=4)
    assert spend.shape == (1, 4, 2, len(GFS_CLASSES))
    assert spend[0, 0, 0, k].tolist() == [90.0, 60.0]
    assert spend[0, 2, 1, k].tolist() == [120.0, 80.0] and spend[0, 3].sum() == 0.0


def _engine_tie(result) -> None:
    """By year, over the whole table: expense + interest + NFA + amortisation = burden + grants + borrowing, and the
    charges to the vote and the Treasury add up to the burden (engine arrays, before rounding)."""
    sim, inp = result.sim, result.inputs
    sc = result.scenario
    H = inp.horizon
    lines = [c for p in sc.programme for c in p.cost]
    classes = np.array([GFS_CLASSES.index(c.gfs_class or DEFAULT_GFS_CLASS[c.kind]) for c in lines], dtype=np.int64)
    spend = class_spending(sim.line_cost, line_cells(inp.costs.line_programme, inp.costs.line_kind), classes,
                           sim.cells, sim.allocation.pay, H)
    kind = np.array([SOURCE_KINDS.index(s.kind) for s in sc.source], dtype=np.int64)
    charge = np.array([CHARGES.index(s.charged_to or DEFAULT_CHARGE.get(s.kind, CHARGES[0])) for s in sc.source],
                      dtype=np.int64)
    instruments = [Instrument(i, d.disbursed, d.interest, d.principal, d.fees) for i, d in
                   {**sim.debt, **sim.ppp}.items()]
    rows = gfs_accounts(spend, kind, charge, instruments)
    b = gfs_balances(rows, (result.draws, H))
    f = sim.fiscal
    uses = b["expense"] + b["interest"] + b["net_acquisition_nfa"] + b["amortisation"]
    scale = 1.0 + np.abs(uses).max()
    np.testing.assert_allclose(uses, f["government_burden"] + b["grant_revenue"] + b["borrowing"],
                               rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(b["charged_to_vote"] + b["charged_to_treasury"], f["government_burden"],
                               rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(b["deficit_effect"], f["government_burden"] + b["debt_effect"],
                               rtol=0, atol=1e-9 * scale)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=scenario_dicts(), classes=st.lists(st.sampled_from(GFS_CLASSES), min_size=12, max_size=12))
def test_property_nothing_is_created_or_lost(raw, classes):
    """Any valid scenario, its lines given any classes: by year, expense + net acquisition of NFA + amortisation +
    interest = what the fiscal table's outlays add up to (the government burden) + grants received + borrowing;
    the vote's and the Treasury's charges add up to the burden; deficit effect = burden + debt effect."""
    j = 0
    for p in raw["programme"]:
        for line in p.get("cost", []):
            line["gfs_class"] = classes[j % len(classes)]
            j += 1
    _engine_tie(run(scenario_from_dict(raw)))


def test_the_tables_add_up_to_the_fiscal_columns():
    """gfs.csv's rows of each year add up to fiscal.csv's GFS columns (the same rounded numbers), and its interest
    and amortisation are debt_service.csv's interest and principal of that year."""
    raw = _two_year_plan(front_end_fee=0.01)
    result = run(scenario_from_dict(raw))
    gfs, fiscal, debt = result.gfs_df(), result.fiscal_df().set_index("year"), result.debt_service_df()
    by = gfs.groupby(["year", "account"])["amount"].sum().unstack(fill_value=0.0)
    assert (by["nonfinancial_assets"] == fiscal.loc[by.index, "net_acquisition_nfa"]).all()
    assert (by["revenue"] == fiscal.loc[by.index, "grant_revenue"]).all()
    interest = gfs[gfs["gfs_class"] == "interest"].groupby("year")["amount"].sum()
    assert (interest == debt.groupby("year")["interest"].sum().loc[interest.index]).all()
    assert list(gfs.columns[:3]) == ["scenario", "year", "account"] and set(gfs["amount"]) - {0.0} == set(
        gfs["amount"])


def test_a_plan_without_sources_has_its_domestic_nothing_and_its_gap_unspent():
    """No source: nothing is paid, so no transaction in the plan's years; after them the government carries the
    recurrent cost (the default post-horizon years), charged to the vote."""
    result = run(scenario_from_dict(small_scenario_dict()))
    gfs = result.gfs_df()
    assert (gfs["year"] > 2030).all() or gfs.empty
    _engine_tie(result)


@pytest.mark.parametrize("name", ["rwanda-ppp", "kenya-ida-gpe", "rwanda-pforr"])
def test_the_bundled_tables_tie_to_the_rounding(name):
    """In the published tables, by year: expense + interest + NFA + amortisation = burden + grants + borrowing, and
    the vote's and the Treasury's charges = the burden, each within the rounding of the rows that make them (half
    a minor unit a row)."""
    from dfl_finance import load_scenario
    from tests.conftest import ROOT
    result = run(load_scenario(ROOT / "scenarios" / f"{name}.toml"))
    fiscal = result.fiscal_df().set_index("year")
    rows = result.gfs_df().groupby("year").size().reindex(fiscal.index, fill_value=0) + 4
    unit = 10.0 ** -result.digits
    uses = fiscal[["expense", "interest", "net_acquisition_nfa", "amortisation"]].sum(axis=1)
    assert ((uses - fiscal["government_burden"] - fiscal["grant_revenue"] - fiscal["borrowing"]).abs()
            <= rows * unit / 2 + 1e-9).all()
    assert ((fiscal["charged_to_vote"] + fiscal["charged_to_treasury"] - fiscal["government_burden"]).abs()
            <= rows * unit / 2 + 1e-9).all()
