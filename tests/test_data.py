"""Default data: the data check, templates, country profiles, and snapshots of the bundled scenarios."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dfl_finance import load_scenario, run, scenario_from_dict
from dfl_finance.inputs.profiles import clear_caches, country_profiles, data_dir, read_csv_rows, templates, unit_costs
from dfl_finance.studies.datacheck import check_data
from tests.conftest import ROOT

SNAPSHOT = ROOT / "tests" / "snapshots" / "bundled_summary.csv"
BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))


def test_data_check_passes_from_the_command_line():
    script = Path(sys.executable).with_name("dfl-finance")
    proc = subprocess.run([str(script) if script.exists() else "dfl-finance", "data-check"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "scenarios validate and run" in proc.stdout


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/ that a test may change; DFL_FINANCE_DATA points the package at it."""
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    monkeypatch.setenv("DFL_FINANCE_DATA", str(copy))
    yield copy
    clear_caches()


def _edit_csv(path: Path, row_id: str, column: str, value: str, id_column: str = "id") -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[df[id_column] == row_id, column] = value
    df.to_csv(path, index=False)
    clear_caches()


@pytest.mark.parametrize("column, value, message", [
    ("source", "", "no source"),
    ("value", "-5", "negative value"),
    ("unit", "USD/parsec", "unknown unit"),
    ("placeholder", "maybe", "placeholder must be true or false"),
    ("confidence", "X", "confidence"),
])
def test_data_check_finds_broken_rows(data_copy, column, value, message):
    _edit_csv(data_copy / "unit_costs.csv", "satellite_capex", column, value)
    problems, _ = check_data(ROOT / "scenarios")
    assert any(message in p and "unit_costs.csv" in p for p in problems), problems


def test_data_check_finds_an_unknown_profile_field(data_copy):
    _edit_csv(data_copy / "country_profiles.csv", "PER", "field", "pupils", id_column="iso3")
    problems, _ = check_data(ROOT / "scenarios")
    assert any("country_profiles.csv" in p and "unknown field 'pupils'" in p for p in problems), problems


def test_data_check_finds_a_bad_income_group(data_copy):
    df = pd.read_csv(data_copy / "country_profiles.csv", dtype=str, keep_default_na=False)
    df.loc[(df.iso3 == "PER") & (df.field == "income_group"), "value"] = "middle"
    df.to_csv(data_copy / "country_profiles.csv", index=False)
    clear_caches()
    problems, _ = check_data(ROOT / "scenarios")
    assert any("country_profiles.csv" in p and "income_group must be one of" in p and "'middle'" in p
               for p in problems), problems


def test_every_profile_has_its_world_bank_income_group():
    # World Bank country classification by income level, FY2026 (1 July 2025, on 2024 GNI per capita)
    groups = {iso3: prof.income_group for iso3, prof in country_profiles().items()}
    assert {k: groups[k] for k in ("RWA", "KEN", "NPL", "BGD", "PER")} == {
        "RWA": "low", "KEN": "lower-middle", "NPL": "lower-middle", "BGD": "lower-middle", "PER": "upper-middle"}
    # the built profiles (data/raw/wb_class): every one has a group; Ethiopia's is FY2025's (unclassified for FY2026)
    assert None not in groups.values() and groups["ETH"] == "low"


def test_data_check_requires_placeholders_to_say_so(data_copy):
    _edit_csv(data_copy / "unit_costs.csv", "emis_hosting", "source", "a guess")
    problems, _ = check_data(ROOT / "scenarios")
    assert any("PLACEHOLDER" in p for p in problems)


def test_data_check_reports_a_broken_scenario(tmp_path):
    shutil.copy(ROOT / "tests/data/invalid/negative_cost.toml", tmp_path / "bad.toml")
    problems, _ = check_data(tmp_path)
    assert any("bad.toml" in p and "unit_cost" in p for p in problems)


def test_every_value_has_a_source_or_a_placeholder_flag():
    for row in unit_costs().values():
        assert row.source and (not row.placeholder or "PLACEHOLDER" in row.source), row.id
    for prof in country_profiles().values():
        for field, v in prof.values.items():
            assert v.source and (not v.placeholder or "PLACEHOLDER" in v.source), (prof.iso3, field)


def test_five_country_profiles_with_every_field():
    profiles = country_profiles()
    assert {"RWA", "KEN", "NPL", "BGD", "PER"} <= set(profiles)
    for prof in profiles.values():
        assert {"schools", "learners", "teachers", "connected_share", "education_budget",
                "budget_growth"} <= set(prof.values), prof.iso3


@pytest.mark.parametrize("name", sorted(templates()))
def test_every_template_expands_to_a_valid_programme(name):
    sc = scenario_from_dict({"scenario": {"name": "t", "country": "RWA", "start_year": 2026, "years": 5},
                             "programme": [{"template": name}]})
    prog = sc.programme[0]
    assert prog.template == name and prog.id == name.replace("-", "_")
    assert prog.cost and all(c.source_note for c in prog.cost)
    assert run(sc).summary()["total_cost"] > 0


def test_template_fields_are_overridden_by_the_scenario():
    sc = scenario_from_dict({
        "scenario": {"name": "t", "country": "RWA", "start_year": 2026, "years": 5},
        "programme": [
            {"template": "emis", "id": "my_emis", "target_year": 2027, "rollout": "immediate"},
            {"template": "devices", "cost": [{"item": "tablet", "kind": "capex", "unit_cost": 120.0}]},
        ],
    })
    emis, devices = sc.programme
    assert (emis.id, emis.target_year, emis.rollout, emis.pillar) == ("my_emis", 2027, "immediate", "infrastructure")
    assert [c.item for c in devices.cost] == ["tablet"]  # a cost list replaces the template's lines
    assert devices.driver == "learners"


def test_template_costs_come_from_the_library():
    lines = {c["item"]: c for c in templates()["connectivity-satellite"]["cost"]}
    lib = unit_costs()
    assert lines["satellite terminal"]["unit_cost"] == lib["satellite_capex"].value
    # the Starlink retail plan in Rwanda: 44.5 USD a month x 12
    service = lines["satellite service (flat plan, covers 20 Mbps)"]["unit_cost"]
    assert service == pytest.approx(12 * lib["starlink_monthly"].value)
    assert "Giga" in lines["satellite terminal"]["source_note"]
    # template lines are USD-priced, in the year of their data row (which deflates them to the scenario's prices)
    assert lines["satellite terminal"]["currency"] == "USD"
    assert lines["satellite terminal"]["price_year"] == lib["satellite_capex"].year
    # the central platform is sourced (Kenya's NEMIS re-engineering, costs23), the roll-out and the hosting are not
    assert ["PLACEHOLDER" in c["source_note"] for c in templates()["emis"]["cost"]] == [False, True, True]


def test_profile_schools_reach_the_engine_proportionally(data_copy):
    # connectivity costs scale with the number of schools: doubling schools in the profile doubles them
    raw = {"scenario": {"name": "t", "country": "RWA", "start_year": 2026, "years": 5},
           "programme": [{"template": "connectivity-satellite", "start_share": 0.5, "target_share": 0.9}]}
    before = run(scenario_from_dict(raw)).summary()["total_cost"]
    df = pd.read_csv(ROOT / "data/country_profiles.csv", dtype=str, keep_default_na=False)
    df.loc[(df.iso3 == "RWA") & (df.field == "schools"), "value"] = str(2 * 6756)
    df.to_csv(data_copy / "country_profiles.csv", index=False)
    clear_caches()
    after = run(scenario_from_dict(raw)).summary()["total_cost"]
    # units are whole: each year's reach rounds to a whole school, so doubling the schools doubles the cost to
    # within one school's cost a year (about 1e-4 of the total here)
    assert after == pytest.approx(2 * before, rel=1e-3)
    assert after != pytest.approx(before, rel=0.5)


def test_rwanda_options_tell_a_coherent_story():
    results = {run(load_scenario(p)).name: run(load_scenario(p)).summary()
               for p in (ROOT / "scenarios").glob("rwanda-*.toml")}
    assert len(results) >= 5
    pv = {n: s["pv_government_cost"] for n, s in results.items()}
    # grants cost the government least; the operator's 10% return in USD makes the PPP the dearest, dearer than
    # paying from the budget (the nominal discount rate is 5%)
    assert min(pv, key=pv.get) == "Rwanda: donor grants with GPE match"
    assert max(pv, key=pv.get) == "Rwanda: PPP with a connectivity operator"
    assert pv["Rwanda: IDA credit-led"] < pv["Rwanda: domestic budget only"]  # a 0% 40-year credit is cheap
    tails = {n: s["total_debt_service"] + s["total_ppp_payments"] for n, s in results.items()}
    # the IDA credits are repaid last; the Program-for-Results disburses later (against results), so it ends later
    assert max(results, key=lambda n: results[n]["years_to_last_payment"]) in ("Rwanda: IDA credit-led",
                                                                               "Rwanda: IDA Program-for-Results")
    assert pv["Rwanda: IDA Program-for-Results"] < pv["Rwanda: domestic budget only"]  # reimbursed by the credit
    assert results["Rwanda: IDA credit-led"]["total_debt_service"] == max(s["total_debt_service"]
                                                                          for s in results.values())
    assert tails["Rwanda: domestic budget only"] == 0
    grants = results["Rwanda: donor grants with GPE match"]
    assert grants["grant_element_external"] == pytest.approx(1.0)
    # every option funds the same plan: the same cost, and the same recurrent bill once the partners have left
    assert len({s["total_cost"] for s in results.values()}) == 1
    after = [s["recurrent_cost_after_external"] for s in results.values() if "recurrent_cost_after_external" in s]
    assert len(after) == 5 and max(after) < 1.1 * min(after)


def test_bundled_ida_options_follow_the_ida_rule_for_the_country_risk():
    """IDA's terms follow the risk of debt distress (data/ida_terms_by_risk.csv) in an IDA-only country: an IDA source
    in a bundled scenario is a grant where the rule gives grants, else a credit on the rule's term sheet. A blend or
    gap country (Kenya) borrows on blend terms whatever its risk (docs/method.md, *Multilateral rules*)."""
    rules = {r["debt_risk"]: r for r in read_csv_rows(data_dir() / "ida_terms_by_risk.csv")}
    checked = 0
    for path in BUNDLED:
        sc = load_scenario(path)
        profile = country_profiles()[sc.scenario.country].values
        rule = rules[str(profile["debt_risk"].value)]
        for src in sc.source:
            if not src.id.startswith("ida"):
                continue
            checked += 1
            if profile["lending_category"].value in ("blend", "gap"):
                assert src.kind == "loan" and src.terms == "ida21-blend-fixed", (path.name, src.id)
            elif float(rule["grant_share"]) == 1.0:
                assert src.kind == "grant", (path.name, src.id)
            else:
                assert src.kind == "loan" and src.terms == rule["terms"], (path.name, src.id)
    assert checked >= 2


def test_bundled_scenarios_cover_the_three_pillars():
    for path in BUNDLED:
        sc = load_scenario(path)
        assert {p.pillar for p in sc.programme} == {"infrastructure", "capacities", "governance"}, path.name


def _current_summary() -> pd.DataFrame:
    return pd.concat([run(load_scenario(p)).summary_df() for p in BUNDLED], ignore_index=True)


def test_bundled_summaries_match_the_snapshot():
    """Regenerate after an intended change with: python -m tests.test_data"""
    stored = pd.read_csv(SNAPSHOT)
    now = _current_summary()
    merged = stored.merge(now, on=["scenario", "metric"], how="outer", suffixes=("_stored", "_now"),
                          indicator=True)
    missing = merged[merged["_merge"] != "both"]
    assert missing.empty, f"scenarios or metrics differ from the snapshot:\n{missing[['scenario', 'metric']]}"
    for row in merged.itertuples():
        if pd.isna(row.value_stored):
            assert pd.isna(row.value_now), (row.scenario, row.metric)
        else:
            assert row.value_now == pytest.approx(row.value_stored, rel=1e-6, abs=1e-6), (row.scenario, row.metric)


if __name__ == "__main__":  # python -m tests.test_data: write the snapshot anew
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    _current_summary().to_csv(SNAPSHOT, index=False)
    print(f"wrote {SNAPSHOT}")


def test_placeholder_fields_are_the_unsourced_values_the_scenario_uses():
    from dfl_finance.inputs.references import placeholder_fields

    raw = {"scenario": {"name": "k", "country": "KEN", "start_year": 2026, "years": 3},
           "programme": [{"template": "emis"}]}
    paths = [p for p, _ in placeholder_fields(scenario_from_dict(raw))]
    # Kenya's budget growth and its PV of external debt are placeholders (its exports are the WDI's since issue 23);
    # its connected_share is sourced since costs23 (a survey of 1,000 public primary schools), and is not a field of
    # the scenario anyway
    assert "context.budget_growth" in paths and "debt.pv_external_debt" in paths and "debt.exports" not in paths
    assert not any("connected_share" in p for p in paths)
    # the EMIS roll-out and hosting have no public source; the central platform has (Kenya's NEMIS, costs23)
    assert "programme[0].cost[1].unit_cost" in paths and "programme[0].cost[0].unit_cost" not in paths
    raw["context"] = {"budget_growth": 0.02}  # a value of the file's own is not the profile's placeholder
    assert "context.budget_growth" not in [p for p, _ in placeholder_fields(scenario_from_dict(raw))]


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_data_check_of_a_folder_without_scenarios_fails(tmp_path, make):
    from dfl_finance.cli import main

    folder = tmp_path / "scenarios"
    if make == "empty":
        folder.mkdir()
    assert main(["data-check", "--scenarios", str(folder)]) == 2


def test_the_options_of_a_country_are_drawn_on_the_same_uncertain_inputs_and_none_is_flat():
    # every bundled option draws the same [[uncertain]] rows as the other options of its country (so a comparison
    # of their quantiles compares the financing, not the uncertainty), and its draws differ
    from dfl_finance.outputs.result import quantiles_df
    from dfl_finance.studies.risk import risk_draws

    by_country: dict[str, list] = {}
    for f in BUNDLED:
        sc = load_scenario(f)
        by_country.setdefault(str(sc.scenario.country), []).append(sc)
        q = quantiles_df(risk_draws(sc, draws=64))
        assert sc.uncertain and set(q["note"]) == {""}, f.name
        cost = q[q["metric"] == "total_cost"].set_index("statistic")["value"]
        assert cost["p95"] > cost["p5"], f.name
    assert set(by_country) == {"RWA", "KEN"}
    for country, options in by_country.items():
        first = options[0]
        for sc in options[1:]:
            assert sc.uncertain == first.uncertain and sc.risk == first.risk, (country, sc.name)
