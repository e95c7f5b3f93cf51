"""Concessionality (issue 22): sources.csv, one row per source with its grant element and the IMF's 35% test, and
the optimiser's ceiling on the PV of new external debt beside its cap on the face value. Known answers by hand, a
property over loans no dearer than the 5% discount rate, the table against the summary and the written commitment,
and the option's validation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import ScenarioError, load_scenario, run, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.engine.discount import present_value_at
from dfl_finance.engine.loans import pv_at_disbursement, pv_of_new_debt, repayment_profile
from dfl_finance.outputs.tables import columns
from dfl_finance.studies.optimise import optimise, options_for
from dfl_finance.vocabulary import CONCESSIONAL_GRANT_ELEMENT

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))
V5 = 1 / 1.05  # the 5% discount factor of one year
V10 = 1 / 1.1  # the scenario's own (10%)


def _loan(sid: str, rate: float, grace: int, maturity: int, commitment: float, priority: int,
          repayment: str = "linear") -> dict[str, object]:
    return {"id": sid, "kind": "loan", "rate": rate, "grace_years": grace, "maturity_years": maturity,
            "repayment": repayment, "commitment": commitment, "priority": priority}


def _one_year(cost: float, sources: list[dict[str, object]], name: str = "one year") -> object:
    """USD, no inflation, the government's discount rate 10%: one cost of ``cost`` in 2026 paid by ``sources``. In a
    USD scenario every loan is external debt (its lenders are abroad)."""
    return scenario_from_dict({
        "scenario": {"name": name, "start_year": 2026, "years": 1, "post_horizon_years": 0, "discount_rate": 0.1},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1000.0},
        "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                       "cost": [{"item": "a", "kind": "fixed_opex", "unit_cost": cost}]}],
        "source": sources,
    })


# ------------------------------------------------------------------------------------------------ sources.csv


def test_grant_elements_below_and_above_35_percent_by_hand():
    """A cost of 360 in 2026: a grant of 50 pays first, then three loans of 100 each (in priority order), the budget
    the last 10. Every loan disburses its 100 in 2026.

    - cheap, 3% repaid in full after one year: pays 103 in 2027. PV at 5% = 103 / 1.05 = 98.0952, so its grant
      element is 1 - 98.0952 / 100 = 1.90%: below 35%, not concessional. PV at the scenario's 10%: 103 / 1.1 =
      93.64. PV of new external debt: 100 x 0.980952 = 98.10 USD.
    - bullet, 0% repaid in full after ten years: pays 100 in 2036. PV at 5% = 100 / 1.05^10 = 61.3913, grant element
      1 - 0.613913 = 38.61%: above 35%, concessional. PV at 10%: 100 / 1.1^10 = 38.55. PV of new debt 61.39 USD.
    - dear, 10% after one year: pays 110 in 2027. PV at 5% = 110 / 1.05 = 104.7619 > 100, grant element -4.76%, not
      concessional; PV at 10%: 110 / 1.1 = 100.00. PV of new debt: its face value, 100 (the IMF counts a loan with a
      grant element of 0 or below at its nominal value).
    - the grant: grant element 1, concessional, no debt service (PV 0), no new debt.
    - the budget (domestic) pays 10: no grant element, no test, no debt service; the gap is 0.
    """
    sc = _one_year(360.0, [{"id": "grant", "kind": "grant", "commitment": 50.0, "priority": 0},
                           _loan("cheap", 0.03, 0, 1, 100.0, 1), _loan("bullet", 0.0, 9, 10, 100.0, 2),
                           _loan("dear", 0.10, 0, 1, 100.0, 3), {"id": "mof", "kind": "domestic"}])
    df = run(sc).sources_df()
    assert list(df.columns) == columns("sources")
    assert list(df["source"]) == ["grant", "cheap", "bullet", "dear", "mof", "gap"]  # paying order, the gap last
    assert list(df["source_kind"]) == ["grant", "loan", "loan", "loan", "domestic", "gap"]
    rows = df.set_index("source")
    assert rows["committed"].tolist()[:4] == [50.0, 100.0, 100.0, 100.0]
    assert math.isnan(rows.loc["mof", "committed"]) and math.isnan(rows.loc["gap", "committed"])
    assert rows["disbursed"].tolist() == [50.0, 100.0, 100.0, 100.0, 10.0, 0.0]
    assert rows.loc["cheap", "grant_element"] == pytest.approx(1 - 1.03 * V5, abs=1e-9)
    assert rows.loc["bullet", "grant_element"] == pytest.approx(1 - V5 ** 10, abs=1e-9)
    assert rows.loc["dear", "grant_element"] == pytest.approx(1 - 1.1 * V5, abs=1e-9)
    assert rows.loc["grant", "grant_element"] == 1.0
    assert rows["concessional"].tolist()[:4] == [True, False, True, False]
    assert rows.loc[["mof", "gap"], ["grant_element", "concessional"]].isna().all().all()
    assert rows["pv_debt_service"].tolist()[:4] == [0.0, round(103 * V10, 2), round(100 * V10 ** 10, 2),
                                                    round(110 * V10, 2)]
    assert rows.loc[["mof", "gap"], "pv_debt_service"].isna().all()
    assert rows["pv_new_external_debt"].tolist()[1:4] == [round(103 * V5, 2), round(100 * V5 ** 10, 2), 100.0]
    assert rows.loc[["grant", "mof", "gap"], "pv_new_external_debt"].isna().all()
    assert set(df["currency"]) == {"USD"} and set(df["price_basis"]) == {"real-lcu"}
    assert rows["source_currency"].tolist()[:5] == ["USD"] * 5 and pd.isna(rows.loc["gap", "source_currency"])


def test_a_loan_that_never_disburses_has_no_grant_element_and_no_test():
    sc = _one_year(50.0, [{"id": "grant", "kind": "grant", "priority": 0}, _loan("idle", 0.0, 9, 10, 100.0, 1),
                          {"id": "mof", "kind": "domestic"}])
    rows = run(sc).sources_df().set_index("source")
    assert rows.loc["idle", "disbursed"] == 0.0 and pd.isna(rows.loc["idle", "grant_element"])
    assert pd.isna(rows.loc["idle", "concessional"])
    assert rows.loc["idle", "pv_debt_service"] == 0.0 and rows.loc["idle", "pv_new_external_debt"] == 0.0


def test_the_csv_writes_the_test_as_true_false_or_empty():
    from dfl_finance.outputs.export import csv_text

    sc = _one_year(200.0, [_loan("cheap", 0.03, 0, 1, 100.0, 0), _loan("bullet", 0.0, 9, 10, 100.0, 1)])
    lines = csv_text(run(sc).sources_df()).splitlines()
    assert lines[0] == ",".join(columns("sources"))
    assert [line.split(",")[7] for line in lines[1:]] == ["False", "True", ""]


def _ppp_scenario(liability: str) -> object:
    """A capex of 100 in 2026, in USD, paid by a PPP operator at a 0% return over 2 years, then the budget."""
    raw = _one_year(100.0, []).model_dump(exclude_none=True)
    raw["programme"][0]["cost"][0]["kind"] = "fixed_capex"
    raw["source"] = [{"id": "op", "kind": "ppp", "eligible": ["a:capex"], "contract_years": 2, "return_rate": 0.0,
                      "liability": liability, "priority": 0}, {"id": "mof", "kind": "domestic"}]
    return scenario_from_dict(raw)


def test_an_availability_ppp_owed_abroad_is_new_external_debt_by_hand():
    """An availability PPP is public debt (GFSM 2014), external when it is owed in USD, so its capital counts in the
    PV of new external debt, as a loan's does. The operator pays the capex of 100 in 2026; the government repays it
    as a level annuity at the operator's 0% return over 2 years from 2027: 50 in 2027 and 50 in 2028. PV at 5% in
    2026 of a tranche of 1: 0.5 / 1.05 + 0.5 / 1.05^2 = 0.476190 + 0.453515 = 0.929705, so the PV of new external
    debt is 100 x 0.929705 = 92.97 USD. A user-pays PPP is a contingent liability, not debt: no PV of new debt."""
    rows = run(_ppp_scenario("availability")).sources_df().set_index("source")
    assert rows.loc["op", "disbursed"] == 100.0
    assert rows.loc["op", "pv_new_external_debt"] == round(100 * (0.5 * V5 + 0.5 * V5 ** 2), 2) == 92.97
    assert rows.loc["op", "pv_debt_service"] == round(50 * V10 + 50 * V10 ** 2, 2)  # at the scenario's 10%
    users = run(_ppp_scenario("user_pays")).sources_df().set_index("source")
    assert pd.isna(users.loc["op", "pv_new_external_debt"]) and users.loc["op", "pv_debt_service"] == 0.0


def test_the_optimisers_pv_ceiling_counts_an_availability_ppp_as_the_table_does():
    """The optimiser's ceiling on the PV of new external debt counts what sources.csv counts: with a ceiling of
    46.485 USD (half of 92.97), the PPP may finance at most 46.485 / 0.929705 = 50 of the capex of 100 and the
    budget pays the other 50; without the ceiling the PPP (cheaper at the scenario's 10% than paying now:
    50 / 1.1 + 50 / 1.21 = 86.78 < 100) pays it all."""
    sc = _ppp_scenario("availability")
    assert optimise(sc).result.sources_df().set_index("source").loc["op", "disbursed"] == 100.0
    unit = 0.5 * V5 + 0.5 * V5 ** 2
    rows = optimise(sc, options_for(sc, max_pv_debt=50 * unit)).result.sources_df().set_index("source")
    assert rows.loc["op", "disbursed"] == pytest.approx(50.0, abs=0.01)
    assert rows.loc["mof", "disbursed"] == pytest.approx(50.0, abs=0.01)
    assert rows.loc["op", "pv_new_external_debt"] == pytest.approx(50 * unit, abs=0.011)


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(0.0, 0.05), grace=st.integers(0, 10), extra=st.integers(1, 30),
       repayment=st.sampled_from(["linear", "annuity"]), years=st.integers(1, 3),
       caps=st.lists(st.floats(1.0, 100.0), min_size=3, max_size=3))
def test_property_a_loan_no_dearer_than_5_percent_has_a_grant_element_in_0_1(rate, grace, extra, repayment, years,
                                                                            caps):
    """Whatever its repayment and however it disburses over the years, a loan whose rate is between 0 and the 5%
    discount rate pays back at most what it received in PV at 5%: its grant element is in [0, 1], and it is
    concessional exactly when the grant element written is at least 35%."""
    raw = _one_year(1.0, []).model_dump(exclude_none=True)
    raw["scenario"]["years"] = years
    raw["programme"][0]["cost"][0]["unit_cost"] = 300.0
    raw["source"] = [{**_loan("l", rate, grace, grace + extra, 1e9, 0, repayment), "annual_cap": caps[:years]},
                     {"id": "mof", "kind": "domestic"}]
    df = run(scenario_from_dict(raw)).sources_df().set_index("source")
    ge = float(df.loc["l", "grant_element"])
    assert 0.0 <= ge <= 1.0
    assert bool(df.loc["l", "concessional"]) == (ge >= CONCESSIONAL_GRANT_ELEMENT)
    # the PV of the new debt is the face value less the grant element (no fees, one profile for every tranche), to
    # the rounding of the rows: half a cent for the PV, half a cent for each year's row of disbursed
    assert float(df.loc["l", "pv_new_external_debt"]) == pytest.approx(
        float(df.loc["l", "disbursed"]) * (1 - ge), abs=0.005 * (1 + years) + 1e-9)


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_sources_add_up_to_the_summary_and_the_commitments_as_written(path):
    """Each kind's disbursed adds up to the summary's total of that kind, the rows with the gap to the total cost
    (to the rounding of the rows of costs.csv and financing.csv); in the basis of a source's own currency at current
    prices its commitment is the one written and it disburses no more; the PVs of debt service are those of the
    fiscal table's flows."""
    sc = load_scenario(path)
    res = run(sc)
    df = res.sources_df()
    summary = res.summary()
    assert len(df) == len(sc.source) + 1 and df["source"].iloc[-1] == "gap"
    unit = 10.0 ** -res.digits
    for kind in ("domestic", "grant", "loan", "ppp", "gap"):
        total = df.loc[df["source_kind"] == kind, "disbursed"].sum()
        assert total == pytest.approx(summary[f"total_{kind}"], abs=unit / 2), kind
    rows = len(res.financing_df()) + len(res.costs_df())  # every row of either rounded by at most half a unit
    # a source paid against results ([[source.dli]]) reimburses costs that others paid: dli.csv's received
    reimbursed = res.dli_df()["received"].clip(lower=0).sum() if "dli" in res.tables() else 0.0
    rows += len(res.dli_df()) if reimbursed else 0
    assert df["disbursed"].sum() - reimbursed == pytest.approx(summary["total_cost"], abs=rows * unit / 2)
    for s in sc.source:
        if s.commitment is None:
            continue
        cur = res._source_currency(sc.source.index(s))
        if cur not in ("USD", sc.scenario.currency):  # another currency ([macro.fx]): none of the four bases is its
            continue                                  # own (tests/test_currency.py checks its commitment)
        own = "nominal-usd" if cur == "USD" else "nominal-lcu"
        row = res.in_basis(own).sources_df().set_index("source").loc[s.id]
        assert row["committed"] == pytest.approx(s.commitment, abs=unit) and row["disbursed"] <= row["committed"] + unit
    debt = present_value_at(res.sim.fiscal["debt_service"] + res.sim.fiscal["ppp_payments"], res.inputs.discount)[0]
    assert df["pv_debt_service"].sum() == pytest.approx(debt, abs=len(df) * unit)


def test_the_sources_table_is_a_run_table_in_every_basis():
    res = run(load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml"))
    assert "sources" in res.tables()
    usd = res.in_basis("nominal-usd").sources_df().set_index("source")
    lcu = res.sources_df().set_index("source")
    assert usd.loc["ida", "currency"] == "USD" and lcu.loc["ida", "currency"] == "RWF"
    # the grant element, the test and the PV of new external debt (USD) do not depend on the basis
    for col in ("grant_element", "concessional", "pv_new_external_debt"):
        assert usd.loc["ida", col] == lcu.loc["ida", col], col
    assert usd.loc["ida", "concessional"]  # IDA's 40-year credit: 69% grant element


# ------------------------------------------------------------------------------------------------ the PV ceiling


def test_pv_of_new_debt_by_hand():
    # 0% repaid after two years: a tranche of 1 is worth 1 / 1.05^2 when disbursed; a 1% front-end fee adds 0.01
    profile = repayment_profile("linear", 0.0, 1, 2)
    assert float(pv_at_disbursement(profile, 0.0)) == pytest.approx(V5 ** 2, abs=1e-12)
    assert float(pv_at_disbursement(profile, 0.0, front_end_fee=0.01)) == pytest.approx(0.01 + V5 ** 2, abs=1e-12)
    # two years of disbursements (30 and 70) count at that PV each: 100 / 1.05^2 = 90.7029
    assert pv_of_new_debt(np.array([[30.0, 70.0]]), pv_at_disbursement(profile, 0.0)).tolist() == pytest.approx(
        [100 * V5 ** 2], abs=1e-9)
    # per draw: the second draw's 10% loan is dearer than 5% and counts at its face value
    profiles = np.stack([repayment_profile("linear", r, 0, 1) for r in (0.0, 0.1)])
    assert pv_of_new_debt(np.array([[100.0], [100.0]]),
                          pv_at_disbursement(profiles, np.array([0.0, 0.1]))).tolist() == pytest.approx(
        [100 * V5, 100.0], abs=1e-9)


def _two_loans():
    """A cost of 200 in 2026; two loans of at most 100 each, the budget without a cap. The government discounts at
    10%, so per unit disbursed it costs: bullet (0%, repaid after ten years) 1 / 1.1^10 = 0.3855, cheap (4%, repaid
    after one year) 104 / 1.1 = 0.9455, the budget 1. Per unit, the PV at 5% when disbursed: bullet 1 / 1.05^10 =
    0.6139, cheap 104 / 1.05 = 0.9905."""
    return _one_year(200.0, [_loan("bullet", 0.0, 9, 10, 100.0, 0), _loan("cheap", 0.04, 0, 1, 100.0, 1),
                             {"id": "mof", "kind": "domestic"}], "two loans")


def test_a_pv_ceiling_that_binds_where_the_face_value_cap_does_not_by_hand():
    """Unconstrained, both loans pay 100 (face value 200; PV of new debt 61.39 + 99.05 = 160.44 USD) and the PV
    cost is 38.55 + 94.55 = 133.10.

    With a ceiling of 100 USD on the PV of new external debt and a cap of 250 on the face value: the bullet loan
    saves 1 - 0.3855 = 0.6145 per unit for 0.6139 of PV (1.0009 per unit of PV), the cheap loan 1 - 0.9455 =
    0.0545 for 0.9905 (0.0551 per unit of PV), so the bullet loan takes its 100 first (PV 61.3913) and the cheap one
    the rest of the ceiling: (100 - 61.3913) / 0.990476 = 38.98 of face value; the budget pays 200 - 138.98 = 61.02.
    The face value is 138.98 < 250: that cap does not bind. PV cost: 61.02 + 38.5543 + 38.98 x 0.945455 = 136.43.
    One more USD of the ceiling lets the cheap loan replace 1 / 0.990476 of the budget, saving 0.054545 each:
    0.0550699 per USD of PV, USD 55,070 per USD 1 M."""
    sc = _two_loans()
    free = optimise(sc)
    assert free.result.sources_df().set_index("source")["disbursed"].tolist()[:2] == [100.0, 100.0]
    assert free.result.summary()["pv_government_cost"] == pytest.approx(100 * V10 ** 10 + 104 * V10, abs=0.01)

    best = optimise(sc, options_for(sc, max_debt=250.0, max_pv_debt=100.0))
    cheap = (100 - 100 * V5 ** 10) / (1.04 * V5)  # 38.98
    rows = best.result.sources_df().set_index("source")
    assert rows.loc["bullet", "disbursed"] == 100.0
    assert rows.loc["cheap", "disbursed"] == pytest.approx(cheap, abs=0.01)
    assert rows.loc["mof", "disbursed"] == pytest.approx(100 - cheap, abs=0.01)
    assert rows["pv_new_external_debt"].sum() == pytest.approx(100.0, abs=0.011)
    assert best.result.summary()["pv_government_cost"] == pytest.approx(
        (100 - cheap) + 100 * V10 ** 10 + cheap * 1.04 * V10, abs=0.01)
    sp = best.shadow_prices_df().set_index("constraint")
    assert sp.loc["max_debt", "binding"] == "no" and sp.loc["max_debt", "value"] == 0.0
    assert sp.loc["max_pv_debt", "binding"] == "yes"
    assert sp.loc["max_pv_debt", "value"] == pytest.approx(1e6 * (1 - 1.04 * V10) / (1.04 * V5), rel=1e-6)
    assert sp.loc["max_pv_debt", "unit"] == "USD of PV per USD 1 M of PV of new external debt"
    assert sp.loc["max_pv_debt", "reading"].startswith("USD 1 M more of PV of new external debt allowed saves")
    # the face-value cap alone, at 250, changes nothing
    assert optimise(sc, options_for(sc, max_debt=250.0)).result.summary()["pv_government_cost"] == pytest.approx(
        free.result.summary()["pv_government_cost"], abs=1e-9)


def test_the_pv_ceiling_counts_external_loans_only():
    """In a local-currency scenario a loan in the local currency is domestic debt: a ceiling of 0 on the PV of new
    external debt leaves it as it is."""
    raw = _two_loans().model_dump(exclude_none=True)
    raw["scenario"]["currency"] = "RWF"
    raw["scenario"]["country"] = "RWA"
    for s in raw["source"][:2]:
        s["currency"] = "RWF"
    sc = scenario_from_dict(raw)
    free = optimise(sc).result.sources_df()
    capped = optimise(sc, options_for(sc, max_pv_debt=0.0)).result.sources_df()
    assert capped["disbursed"].tolist() == free["disbursed"].tolist()
    assert free["pv_new_external_debt"].isna().all()


@pytest.mark.parametrize("value", [-5.0, math.inf, math.nan])
def test_a_pv_ceiling_that_is_not_an_amount_is_refused_naming_the_option_and_value(value):
    sc = _two_loans()
    with pytest.raises(ScenarioError) as exc:
        options_for(sc, max_pv_debt=value)
    text = str(exc.value)
    assert "max_pv_debt" in text and "must be a finite amount in USD >= 0" in text and str(value) in text


def test_the_command_takes_the_pv_ceiling_and_names_its_flag(tmp_path, capsys):
    path = ROOT / "scenarios" / "rwanda-ida-credit.toml"
    code = main(["optimise", str(path), "--out", str(tmp_path / "bad"), "--max-pv-debt", "-5"])
    err = capsys.readouterr().err
    assert code == 2 and "--max-pv-debt" in err and "-5" in err and "Traceback" not in err
    assert not (tmp_path / "bad").exists()
    out = tmp_path / "out"
    assert main(["optimise", str(path), "--out", str(out), "--max-pv-debt", "5e6"]) == 0
    capsys.readouterr()
    sources = pd.read_csv(out / "sources.csv")
    assert list(sources.columns) == columns("sources")
    assert sources["pv_new_external_debt"].sum() <= 5e6 + 0.01
    sp = pd.read_csv(out / "shadow_prices.csv")
    assert (sp.loc[sp["constraint"] == "max_pv_debt", "binding"] == "yes").all()
