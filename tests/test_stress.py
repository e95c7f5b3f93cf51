"""Stress tests: each named stress as a pure Scenario -> Scenario function, checked against answers worked out by hand
in the comments; the [[stress]] rows and their problems; the `stress` command's tables against a plain run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from dfl_finance import ScenarioError, load_scenario, run, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.inputs.io import dump_scenario
from dfl_finance.inputs.profiles import bundled_scenarios_dir
from dfl_finance.inputs.stress import BUILT_IN, parse_stress
from dfl_finance.model.compile import build_prices, horizon_of
from dfl_finance.studies.risk.stress import (
    NotApplicable,
    StressSpec,
    apply_stress,
    budget_growth,
    capex_overrun,
    delay,
    depreciation,
    pledge_shortfall,
    run_stresses,
)


def _plan(programmes, sources=(), years=3, currency="USD", macro=None, stress=None, name="stress"):
    return scenario_from_dict({
        "scenario": {"name": name, "start_year": 2026, "years": years, "post_horizon_years": 0,
                     "currency": currency},
        "context": {"schools": 100, "learners": 0, "teachers": 0, "education_budget": 1e9},
        **({"macro": macro} if macro else {}),
        "programme": programmes,
        "source": list(sources),
        **({"stress": stress} if stress else {}),
    })


def _fixed(amount, kind="fixed_opex", pid="a", **line):
    return {"id": pid, "pillar": "governance", "driver": "none",
            "cost": [{"item": pid, "kind": kind, "unit_cost": amount, **line}]}


def _paid(result, source):
    fin = result.financing_df()
    return fin[fin["source"] == source].groupby("year")["amount"].sum().to_dict()


# ------------------------------------------------------------------------------------------------ budget growth


def _growth_plan(growth, sd=0.02, years=5, cap=0.1):
    """1 bn of budget growing at ``growth``; a domestic source may pay ``cap`` of it; a fixed cost of 150 M a year,
    more than the envelope, so that the domestic source pays its whole envelope and the rest is the gap."""
    raw = {
        "scenario": {"name": "growth", "start_year": 2026, "years": years, "post_horizon_years": 0},
        "context": {"schools": 100, "learners": 0, "teachers": 0, "education_budget": 1e9,
                    "budget_growth": growth, "budget_growth_sd": sd},
        "programme": [_fixed(150e6)],
        "source": [{"id": "mof", "kind": "domestic", "budget_share_cap": cap}],
    }
    if sd is None:
        del raw["context"]["budget_growth_sd"]
    return scenario_from_dict(raw)


def test_a_budget_growth_shock_lowers_two_years_growth_by_hand():
    # 3% a year, sd 2%: growth 3%, 1%, 1%, 3%, 3% from 2026; budget 1000, 1010, 1020.1, 1050.703, 1082.22409 (M)
    sc = _growth_plan(0.03)
    stressed = budget_growth(sc)
    assert stressed.context.budget_growth == pytest.approx([0.03, 0.01, 0.01, 0.03, 0.03])
    budget = run(stressed).fiscal_df()["education_budget"].to_numpy()
    assert_allclose(budget, [1000e6, 1010e6, 1020.1e6, 1050.703e6, 1082.22409e6], rtol=1e-12)
    plain = run(sc).fiscal_df()["education_budget"].to_numpy()
    assert_allclose(plain, [1000e6 * 1.03 ** i for i in range(5)], rtol=1e-12)
    # the domestic envelope is 10% of the budget, the rest of the 150 M a year is the gap
    gap = run(stressed).summary()["total_gap"]
    assert gap == pytest.approx(5 * 150e6 - 0.1 * (1000 + 1010 + 1020.1 + 1050.703 + 1082.22409) * 1e6, rel=1e-12)
    # two standard deviations; a scenario whose growth is already a list keeps its other years
    assert budget_growth(sc, 2.0).context.budget_growth == pytest.approx([0.03, -0.01, -0.01, 0.03, 0.03])
    listed = _growth_plan([0.05, 0.04, 0.03, 0.02, 0.01])
    assert budget_growth(listed).context.budget_growth == pytest.approx([0.05, 0.02, 0.01, 0.02, 0.01])


def test_a_budget_growth_shock_needs_a_standard_deviation_and_four_years():
    with pytest.raises(NotApplicable, match="budget_growth_sd"):
        budget_growth(_growth_plan(0.03, sd=None))
    with pytest.raises(NotApplicable, match="fourth"):
        budget_growth(_growth_plan(0.03, years=3))
    # a shock that takes the growth to -100% or below is refused with the field named
    with pytest.raises(ScenarioError, match="budget_growth"):
        budget_growth(_growth_plan(0.03, sd=0.5), size=3.0)


@pytest.mark.parametrize("growth, words", [
    ([0.03, 0.02], "shorter than the horizon"),
    ([0.03] * 5 + [0.02], "longer than the horizon"),
    ([0.03, -1.0, 0.0, 0.0, 0.0], "> -1 and <= 1"),
    (1.5, "> -1 and <= 1"),
])
def test_a_bad_budget_growth_path_names_its_field(growth, words):
    with pytest.raises(ScenarioError) as exc:
        _growth_plan(growth)
    assert any(p.path == "context.budget_growth" and words in p.message for p in exc.value.problems), exc.value


def test_a_budget_growth_path_carries_a_budget_of_a_later_year_back_to_the_start():
    # the budget is that of 2028, after growth of 10% into 2027 and 20% into 2028: 1,320 M -> 1,000 M in 2026
    raw = _growth_plan([0.0, 0.1, 0.2, 0.0, 0.0]).model_dump(exclude_none=True)
    raw["context"].update(education_budget=1320e6, budget_year=2028)
    budget = run(scenario_from_dict(raw)).fiscal_df()["education_budget"].to_numpy()
    assert_allclose(budget, [1000e6, 1100e6, 1320e6, 1320e6, 1320e6], rtol=1e-12)


# ------------------------------------------------------------------------------------------------ depreciation


def _usd_loan_plan():
    # RWF, no inflation, 1,000 RWF per USD. The plan buys 100,000 RWF of equipment in 2026; a USD loan of 100 USD at
    # 1%, one year of grace, repaid in full two years after disbursement, pays for it.
    loan = {"id": "ida", "kind": "loan", "commitment": 100.0, "rate": 0.01, "grace_years": 1, "maturity_years": 2,
            "repayment": "linear"}
    return _plan([_fixed(100_000.0, "fixed_capex")], [loan], currency="RWF",
                 macro={"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 1000.0})


def test_a_depreciation_raises_the_local_cost_of_a_usd_loan_by_hand():
    # Disbursed in 2026: 100 USD = 100,000 RWF at 1,000 RWF/USD, before the shock (the first year keeps its rate).
    # The credit's own flows in USD: 2027 interest 1% x 100 = 1; 2028 interest 1 and principal 100.
    # Unstressed, at 1,000 RWF/USD: 1,000 RWF in 2027 and 101,000 RWF in 2028, 102,000 in all.
    # After a 30% depreciation in 2027, kept after: 1,300 RWF/USD in 2027 and 2028, so 1,300 and 131,300 RWF,
    # 132,600 in all: the same USD debt service costs 30% more in RWF.
    sc = _usd_loan_plan()
    stressed = depreciation(sc)
    assert stressed.macro.fx_path == pytest.approx([1000.0, 1300.0, 1300.0])
    assert stressed.macro.fx_rate is None and sc.macro.fx_rate == 1000.0  # the input is left alone
    base, hit = run(sc), run(stressed)
    assert list(base.fiscal_df()["debt_service"]) == [0.0, 1000.0, 101000.0]
    assert list(hit.fiscal_df()["debt_service"]) == [0.0, 1300.0, 131300.0]
    assert base.summary()["total_debt_service"] == 102000.0
    assert hit.summary()["total_debt_service"] == 132600.0
    # the disbursement and the credit in USD do not change
    own = hit.in_basis("nominal-usd").debt_service_df()
    assert list(own["disbursed"]) == [100.0, 0.0, 0.0] and list(own["principal"]) == [0.0, 0.0, 100.0]


def test_a_depreciation_moves_the_whole_exchange_rate_path_from_the_second_year():
    # A bundled scenario (prices quoted in years before the plan, a debt tail after it): the stressed exchange rate
    # is the unstressed one before the plan's second year and 1.3 times it from then on, to the last repayment.
    sc = load_scenario(bundled_scenarios_dir() / "rwanda-ida-credit.toml")
    stressed = depreciation(sc)
    H = horizon_of(sc)
    before, after = build_prices(sc, H), build_prices(stressed, H)
    ratio = after.fx[0] / before.fx[0]
    assert_allclose(ratio[:before.start + 1], 1.0, rtol=1e-12)
    assert_allclose(ratio[before.start + 1:], 1.3, rtol=1e-12)
    assert_allclose(after.lcu, before.lcu) and assert_allclose(after.usd, before.usd)


def test_a_depreciation_keeps_an_fx_rate_of_a_year_before_the_plan():
    # fx_rate of 2024, price year 2024 (before the plan): the rate is kept to anchor the years before 2026, and the
    # path gives the plan's years; the years before the plan keep their rates.
    sc = _plan([_fixed(1000.0)], currency="RWF", name="early",
               macro={"inflation": 0.05, "usd_inflation": 0.02, "fx_rate": 1000.0, "fx_year": 2024})
    sc = scenario_from_dict({**sc.model_dump(exclude_none=True),
                             "scenario": {**sc.scenario.model_dump(exclude_none=True), "price_year": 2024}})
    stressed = depreciation(sc, 0.5)
    assert stressed.macro.fx_rate == 1000.0 and stressed.macro.fx_year == 2024
    before, after = build_prices(sc, 3), build_prices(stressed, 3)
    assert_allclose(after.fx[0] / before.fx[0], [1.0, 1.0, 1.0, 1.0, 1.5, 1.5], rtol=1e-12)  # 2023 .. 2028


def test_a_depreciation_does_not_apply_to_a_scenario_in_usd_or_of_two_years():
    with pytest.raises(NotApplicable, match="in USD"):
        depreciation(_plan([_fixed(100.0)]))
    short = _plan([_fixed(100.0)], years=2, currency="RWF",
                  macro={"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 1000.0})
    with pytest.raises(NotApplicable, match="2 years"):
        depreciation(short)
    # the run keeps the note and runs the others
    res = run_stresses(_plan([_fixed(100.0, "fixed_capex")]), [StressSpec("depreciation"),
                                                                 StressSpec("capex_overrun")])
    notes = {o.spec.key: o.note for o in res.outcomes}
    assert "in USD" in notes["depreciation"] and notes["capex_overrun"] is None
    assert set(res.summary_df()["stress"]) == {"baseline", "capex_overrun"}


# ------------------------------------------------------------------------------------------------ the others


def test_a_capex_overrun_raises_the_capex_of_a_one_line_plan_by_a_fifth():
    # 100 schools reached at once, 500 a school: 50,000; 20% more: 600 a school, 60,000.
    line = {"id": "connect", "pillar": "infrastructure", "driver": "schools", "rollout": "immediate",
            "cost": [{"item": "kit", "kind": "capex", "unit_cost": 500.0}]}
    sc = _plan([line], years=1)
    stressed = capex_overrun(sc)
    assert stressed.programme[0].cost[0].unit_cost == pytest.approx(600.0)
    assert run(sc).summary()["total_cost"] == 50000.0
    assert run(stressed).summary()["total_cost"] == pytest.approx(60000.0)
    # opex is left alone, a fixed_capex lump sum is raised: 1,000 -> 1,200, 300 of opex stays 300
    mixed = _plan([_fixed(1000.0, "fixed_capex", "build"), _fixed(300.0, "fixed_opex", "run")], years=1)
    assert run(capex_overrun(mixed)).summary()["total_cost"] == pytest.approx(1500.0)
    with pytest.raises(NotApplicable, match="no capex"):
        capex_overrun(_plan([_fixed(300.0)]))


def test_a_pledge_shortfall_halves_a_grant_and_the_gap_grows_by_the_missing_half():
    # One year, 1,000 of cost. The grant pledges 600: it pays 600, the gap is 400. Half of it comes: it pays 300,
    # and the gap is 700, 300 more: the half that is missing.
    sc = _plan([_fixed(1000.0)], [{"id": "donor", "kind": "grant", "commitment": 600.0}], years=1)
    stressed = pledge_shortfall(sc, "donor")
    assert stressed.source[0].commitment == 300.0
    base, hit = run(sc).summary(), run(stressed).summary()
    assert (base["total_grant"], base["total_gap"]) == (600.0, 400.0)
    assert (hit["total_grant"], hit["total_gap"]) == (300.0, 700.0)


def test_a_pledge_shortfall_scales_the_annual_cap_else_the_share_cap_and_defaults_to_every_grant():
    # 1,000 of cost a year for 2 years. `capped` may pay 400 a year (800 in all), `share` 50% of the rest, a loan is
    # left alone. Under the shortfall of every grant: `capped` pays 200 a year, `share` 25% of the rest:
    # 2 x (200 + 0.25 x 800) = 800 paid by grants, against 2 x (400 + 0.5 x 600) = 1,400 before.
    sources = [{"id": "capped", "kind": "grant", "annual_cap": 400.0},
               {"id": "share", "kind": "grant", "share_cap": 0.5},
               {"id": "bank", "kind": "loan", "commitment": 50.0, "rate": 0.0, "grace_years": 0,
                "maturity_years": 1, "repayment": "linear", "priority": 5}]
    sc = _plan([_fixed(1000.0)], sources, years=2)
    stressed = pledge_shortfall(sc)
    assert (stressed.source[0].annual_cap, stressed.source[1].share_cap) == (200.0, 0.25)
    assert stressed.source[2].commitment == 50.0
    assert run(sc).summary()["total_grant"] == 1400.0
    assert run(stressed).summary()["total_grant"] == 800.0
    with pytest.raises(NotApplicable, match="no grant"):
        pledge_shortfall(_plan([_fixed(1.0)]))


def test_a_delay_moves_a_grants_payments_two_years_later():
    # 100 of cost a year, 2026 .. 2030. `early` pays up to 60 a year in 2026 and 2027; two years later: 2028, 2029.
    # `open` (no window: the whole plan) may pay 10 a year: from 2028 to 2030 after the delay.
    # `late` pays from 2029: two years later is 2031, after the plan, so it pays nothing.
    sources = [{"id": "early", "kind": "grant", "annual_cap": 60.0, "first_year": 2026, "last_year": 2027},
               {"id": "open", "kind": "grant", "annual_cap": 10.0},
               {"id": "late", "kind": "grant", "annual_cap": 5.0, "first_year": 2029}]
    sc = _plan([_fixed(100.0)], sources, years=5)
    base = run(sc)
    assert _paid(base, "early") == {2026: 60.0, 2027: 60.0}
    assert _paid(base, "late") == {2029: 5.0, 2030: 5.0}
    hit = run(delay(sc, "early"))
    assert _paid(hit, "early") == {2028: 60.0, 2029: 60.0}
    assert _paid(hit, "open") == _paid(base, "open")  # only the named source moves
    every = delay(sc)
    assert (every.source[1].first_year, every.source[1].last_year) == (2028, 2030)
    res = run(every)
    assert _paid(res, "open") == {2028: 10.0, 2029: 10.0, 2030: 10.0}
    assert _paid(res, "late") == {} and every.source[2].commitment == 0.0
    # three years later: `early` pays in 2029 and 2030
    assert _paid(run(apply_stress(sc, StressSpec("delay", "early", 3.0))), "early") == {2029: 60.0, 2030: 60.0}


# ------------------------------------------------------------------------------------------------ [[stress]] rows


def test_stress_rows_choose_the_stresses_and_round_trip():
    sources = [{"id": "donor", "kind": "grant", "commitment": 600.0}]
    rows = [{"name": "pledge_shortfall", "source": "donor", "size": 0.25}, {"name": "delay", "size": 3}]
    sc = _plan([_fixed(1000.0)], sources, years=4, stress=rows)
    assert [o.spec.key for o in run_stresses(sc).outcomes] == ["pledge_shortfall:donor=0.25", "delay=3"]
    assert scenario_from_dict(sc.model_dump(exclude_none=True)) == sc
    from dfl_finance.model.load import parse_scenario

    assert parse_scenario(dump_scenario(sc)) == sc
    # without rows: the built-in set
    assert [o.spec for o in run_stresses(_plan([_fixed(1.0)], sources)).outcomes] == list(BUILT_IN)


@pytest.mark.parametrize("row, field, words", [
    ({"name": "devaluation"}, "stress[0].name", "depreciation"),
    ({"name": "delay", "source": "nobody"}, "stress[0].source", "no source with this id"),
    ({"name": "pledge_shortfall", "source": "donr"}, "stress[0].source", "did you mean `donor`"),
    ({"name": "depreciation", "source": "donor"}, "stress[0].source", "takes no source"),
    ({"name": "delay", "size": 1.5}, "stress[0].size", "whole number"),
    ({"name": "pledge_shortfall", "size": 2.0}, "stress[0].size", "<= 1"),
    ({"name": "capex_overrun", "size": -0.1}, "stress[0].size", "> 0"),
    ({"name": "capex_overrun", "extra": 1}, "stress[0].extra", "xtra"),
])
def test_a_bad_stress_row_names_its_field(row, field, words):
    with pytest.raises(ScenarioError) as exc:
        _plan([_fixed(1.0)], [{"id": "donor", "kind": "grant"}], stress=[row])
    text = str(exc.value)
    assert field in text and words in text, text


def test_the_same_stress_twice_is_refused():
    with pytest.raises(ScenarioError, match=r"stress\[1\].name: the same stress as stress\[0\]"):
        _plan([_fixed(1.0)], stress=[{"name": "capex_overrun"}, {"name": "capex_overrun", "size": 0.2}])


def test_parse_stress_reads_name_source_and_size_and_refuses_the_rest():
    assert parse_stress("pledge_shortfall:ida=0.3") == StressSpec("pledge_shortfall", "ida", 0.3)
    assert parse_stress("capex_overrun").key == "capex_overrun"
    for text, words in (("devaluation", "unknown stress"), ("delay:", "source id"), ("delay=two", "number")):
        with pytest.raises(ScenarioError, match=words):
            parse_stress(text)


# ------------------------------------------------------------------------------------------------ the command


def _write(tmp_path, sc, name="plan.toml"):
    path = tmp_path / name
    path.write_text(dump_scenario(sc), encoding="utf-8")
    return path


def test_stress_command_writes_the_three_tables_and_its_baseline_is_a_plain_run(tmp_path, capsys):
    path = bundled_scenarios_dir() / "rwanda-ida-credit.toml"
    out, plain = tmp_path / "stress", tmp_path / "run"
    assert main(["stress", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Funding gap" in printed and "pledge_shortfall: not applied: the scenario has no grant source" in printed
    assert main(["run", str(path), "--out", str(plain)]) == 0
    for table in ("fiscal", "dsf"):
        stressed = pd.read_csv(out / f"stress_{table}.csv")
        assert list(stressed.columns[:2]) == ["scenario", "stress"]
        # (the profile gives the total public debt, so the contingent-liabilities test applies, and the standard
        # deviations of real growth, exports, the primary balance and other flows, so every LIC-DSF test applies)
        assert set(stressed["stress"]) == {"baseline", "gdp_growth", "primary_balance", "exports", "other_flows",
                                           "depreciation", "combined", "contingent_liabilities", "capex_overrun",
                                           "delay"}
        base = stressed[stressed["stress"] == "baseline"].drop(columns="stress").reset_index(drop=True)
        pd.testing.assert_frame_equal(base, pd.read_csv(plain / f"{table}.csv"))
    summary = pd.read_csv(out / "stress_summary.csv")
    base = summary[summary["stress"] == "baseline"]
    expected = pd.read_csv(plain / "summary.csv")
    assert list(base["metric"]) == list(expected["metric"])
    assert_allclose(base["value"].to_numpy(float), expected["value"].to_numpy(float))
    assert base["delta"].isna().all()
    dep = summary[summary["stress"] == "depreciation"].set_index("metric")
    assert dep.loc["pv_government_cost", "delta"] == pytest.approx(
        dep.loc["pv_government_cost", "value"] - dep.loc["pv_government_cost", "baseline"], abs=1.0)
    assert dep.loc["pv_government_cost", "delta"] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    notes = {n["stress"]: n for n in manifest["stress"]["Rwanda: IDA credit-led"]}
    assert notes["pledge_shortfall"]["applied"] is False and notes["depreciation"]["applied"] is True
    assert {o["path"].rsplit("/", 1)[-1] for o in manifest["outputs"]} >= {
        "stress_summary.csv", "stress_fiscal.csv", "stress_dsf.csv"}


def test_stress_command_runs_the_named_stresses(tmp_path, capsys):
    sc = _plan([_fixed(1000.0)], [{"id": "donor", "kind": "grant", "commitment": 600.0}], years=1)
    out = tmp_path / "out"
    assert main(["stress", str(_write(tmp_path, sc)), "--out", str(out), "--stress", "pledge_shortfall:donor",
                 "--stress", "pledge_shortfall=1"]) == 0
    summary = pd.read_csv(out / "stress_summary.csv").set_index(["stress", "metric"])
    # half of 600 is missing: the gap grows from 400 by 300; all of it missing: by 600
    assert summary.loc[("pledge_shortfall:donor", "total_gap"), "delta"] == 300.0
    assert summary.loc[("pledge_shortfall=1", "total_gap"), "delta"] == 600.0
    fiscal = pd.read_csv(out / "stress_fiscal.csv")
    assert list(fiscal["stress"]) == ["baseline", "pledge_shortfall:donor", "pledge_shortfall=1"]
    assert list(fiscal["gap"]) == [400.0, 700.0, 1000.0]
    capsys.readouterr()


@pytest.mark.parametrize("extra, words", [
    (["--stress", "devaluation"], "--stress: unknown stress `devaluation`"),
    (["--stress", "delay:nobody"], "plan.toml: --stress: delay:nobody: source: no source with this id"),
    (["--stress", "capex_overrun", "--stress", "capex_overrun=0.2"], "named twice"),
])
def test_stress_command_refuses_bad_stresses(tmp_path, capsys, extra, words):
    sc = _plan([_fixed(1000.0)], [{"id": "donor", "kind": "grant"}], years=1)
    out = tmp_path / "out"
    assert main(["stress", str(_write(tmp_path, sc)), "--out", str(out), *extra]) == 2
    assert words in capsys.readouterr().err
    assert not out.exists()


def test_stress_command_names_the_file_and_row_of_a_bad_stress_row(tmp_path, capsys):
    path = _write(tmp_path, _plan([_fixed(1000.0)], [{"id": "donor", "kind": "grant"}], years=1))
    text = path.read_text().replace("stress = []\n", "")  # the rows as a file writes them
    path.write_text(text + '\n[[stress]]\nname = "delay"\nsource = "nobody"\n', encoding="utf-8")
    assert main(["stress", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "plan.toml: stress[0].source: no source with this id" in err, err
    assert not (tmp_path / "out").exists()


def test_every_bundled_scenario_runs_every_built_in_stress():
    for path in sorted(bundled_scenarios_dir().glob("*.toml")):
        res = run_stresses(load_scenario(path))
        for o in res.outcomes:
            assert (o.result is None) == (o.note is not None), (path.name, o.spec.key)
        assert not np.isnan(res.summary_df()["delta"].dropna().to_numpy(float)).any()
