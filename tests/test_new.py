"""`dfl-finance new --country ISO3`: a complete scenario for every profiled country (issue 23, *Countries*).

The function that writes it, :func:`~dfl_finance.inputs.country_scenario.country_scenario`, serves the command line
and the app's "Start from a country" (tests/test_app.py). Here: every country of data/country_profiles.csv, read
when the tests are collected (so the test follows the profiles another part of the issue adds); a known answer for
Kenya from its profile rows; the lending rules on fixture profiles in a copy of data/; the errors.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance.cli import main
from dfl_finance.errors import DataError, OptionError, ScenarioError
from dfl_finance.inputs.country_scenario import (
    DEFAULT_PLAN,
    GPE_RATIO,
    country_scenario,
    first_investment,
    gpe_eligibility,
    world_bank_terms,
)
from dfl_finance.inputs.profiles import DATA_ENV, country_profiles, data_dir
from dfl_finance.inputs.references import PLACEHOLDER, placeholder_fields, profile_defaults
from dfl_finance.inputs.rules import multilateral_warnings
from dfl_finance.model.load import parse_scenario
from dfl_finance.outputs.result import run
from dfl_finance.vocabulary import MILESTONES_MET, OUTCOME_MEASURES
from tests.conftest import ROOT

PROFILED = sorted(country_profiles())
#: The tables of amounts and counts, every number of which must be finite (sources.csv and dsf.csv hold NaN by
#: design: a domestic source has no commitment, a ratio without a threshold has none).
AMOUNT_TABLES = ("costs", "financing", "debt_service", "fiscal", "outcomes")


def _table_lines(text: str) -> dict[str, list[tuple[str, str]]]:
    """``{table: [(key = value line, the line above it)]}`` of a TOML text's plain tables."""
    out: dict[str, list[tuple[str, str]]] = {}
    table, above = "", ""
    for line in text.splitlines():
        if re.fullmatch(r"\[[a-z_]+\]", line):
            table = line.strip("[]")
        elif line.startswith("[["):
            table = ""
        elif table and re.match(r"^[a-z_]+ = ", line):
            out.setdefault(table, []).append((line, above))
        above = line
    return out


# ------------------------------------------------------------------------------------------ every country

@pytest.mark.parametrize("code", PROFILED)
def test_every_profiled_country_gets_a_scenario_that_validates_and_runs(code):
    """A deterministic run (one draw) of the scenario of each profile: it validates, runs, and every amount and
    headline metric is finite; every value of [context], [macro] and [debt] has a comment above it saying where it
    came from; every placeholder of the profile it writes is still reported as one; IDA's rules give no warning."""
    profile = country_profiles()[code]
    text = country_scenario(code)
    sc = parse_scenario(text)
    assert sc.scenario.country == code and sc.scenario.currency == profile.currency
    result = run(sc)
    summary = result.summary()
    assert summary["total_cost"] > 0
    assert all(math.isfinite(float(v)) for v in summary.values()), summary
    tables = result.tables()
    for name in AMOUNT_TABLES:
        # outcomes.csv's measures are empty for a programme that does not produce them (issue 25)
        numbers = tables[name].drop(columns=[*OUTCOME_MEASURES, MILESTONES_MET], errors="ignore") \
            .select_dtypes("number").to_numpy(dtype=float)
        assert np.isfinite(numbers).all(), name
    for table, lines in _table_lines(text).items():
        for line, above in lines:
            assert above.startswith("# "), f"[{table}] {line}: no comment says where it came from"
    # the placeholders of the profile that the file writes are reported as such, as if the profile had filled them
    filled = profile_defaults({"scenario": {"currency": sc.scenario.currency, "start_year": 2026},
                               "context": {}}, profile)
    reported = {path for path, _ in placeholder_fields(sc)}
    for table, values in filled.items():
        for field, (_, name) in values.items():
            row = profile.values.get(str(name))
            if row is not None and row.placeholder and not field.endswith("_year"):
                assert f"{table}.{field}" in reported, f"{table}.{field}"
                assert PLACEHOLDER in text
    rules = [p for p in multilateral_warnings(sc) if p.path.startswith("source")]
    assert not rules, rules


# ------------------------------------------------------------------------------------------ a known answer

def test_kenya_from_its_profile_rows_by_hand():
    """KEN rows of data/country_profiles.csv, read by hand:
    - currency KES; education_budget 656,600,000,000 KES/yr (FY2024/25 budget statement), year 2024;
    - the exchange rate: data/price_history.csv has KES 129.303 per USD in 2025 (WDI PA.NUS.FCRF), the latest year up
      to the price year 2026, which the loader prefers to the profile's 134.8 of 2024: fx_rate 129.303, fx_year 2025;
    - inflation 0.051 (2025-2027 average), usd_inflation 0.0295 (WDI FP.CPI.TOTL.ZG, USA, 2024);
    - lending_category blend -> IDA credits on blend terms whatever the (high) risk: ida21-blend-fixed, 2.18% in USD,
      grace 5, maturity 25, 5% of principal a year in years 6-25 (data/loan_terms.csv); no IDA grant;
    - income_group lower-middle -> a GPE Multiplier grant, 1 USD per 3 USD of IDA (ratio 0.3333);
    - discount rate 1.05 / 1.0295 - 1 = 0.019913 -> 0.0199 (real).
    - connected_share 0.353 (2024) -> the connectivity programme's start_share.
    """
    sc = parse_scenario(country_scenario("KEN"))
    assert sc.scenario.currency == "KES" and sc.scenario.price_year == 2026
    assert sc.context.education_budget == 656_600_000_000 and sc.context.budget_year == 2024
    assert (sc.macro.fx_rate, sc.macro.fx_year) == (129.303, 2025)
    assert (sc.macro.inflation, sc.macro.usd_inflation) == (0.051, 0.0295)
    assert sc.scenario.discount_rate == 0.0199 and sc.scenario.discount_basis == "real"
    assert sc.debt.lending_category == "blend"
    by_id = {s.id: s for s in sc.source}
    assert set(by_id) == {"gpe", "ida", "mof"}
    ida = by_id["ida"]
    assert (ida.kind, ida.terms, ida.rate, ida.grace_years, ida.maturity_years) == (
        "loan", "ida21-blend-fixed", 0.0218, 5, 25)
    assert [tuple(r) for r in ida.schedule or []] == [(6, 25, 0.05)]
    assert by_id["gpe"].kind == "grant" and by_id["gpe"].match is not None
    assert by_id["gpe"].match.sources == ["ida"] and by_id["gpe"].match.ratio == GPE_RATIO
    assert [p.template for p in sc.programme] == [t for t, _, _ in DEFAULT_PLAN]
    # KEN.connected_share: 353 of 1,000 public primary schools online (Elimu Yetu Coalition survey, 2024; costs23, the
    # world proxy of 0.4 before)
    assert sc.programme[0].id == "connectivity" and sc.programme[0].start_share == 0.353


# ------------------------------------------------------------------------------------------ lending rules

def _row(code: str, field: str, value: object, unit: str = "code", placeholder: bool = False) -> str:
    return f'{code},Testland {code},{field},{value},{unit},2024,"fixture row",M,{str(placeholder).lower()}'


def _fixture_profile(code: str, category: str | None, risk: str | None, group: str | None,
                     currency: str = "KES", skip: tuple[str, ...] = ()) -> list[str]:
    """A small country: 1,000 schools, 100,000 learners, 5,000 teachers, a budget of 10 bn KES, 130 KES per USD."""
    rows = {"currency": _row(code, "currency", currency), "schools": _row(code, "schools", 1000, "schools"),
            "learners": _row(code, "learners", 100000, "learners"),
            "teachers": _row(code, "teachers", 5000, "teachers"),
            "education_budget": _row(code, "education_budget", 10e9, f"{currency}/yr"),
            "fx_rate": _row(code, "fx_rate", 130, f"{currency}/USD"),
            "inflation": _row(code, "inflation", 0.05, "1/yr"),
            "usd_inflation": _row(code, "usd_inflation", 0.023, "1/yr"), "gdp": _row(code, "gdp", 5e9, "USD/yr")}
    if category is not None:
        rows["lending_category"] = _row(code, "lending_category", category)
    if risk is not None:
        rows["debt_risk"] = _row(code, "debt_risk", risk)
    if group is not None:
        rows["income_group"] = _row(code, "income_group", group)
    return [r for f, r in rows.items() if f not in skip]


@pytest.fixture
def fixture_data(tmp_path, monkeypatch):
    """A copy of data/ whose country profiles are the fixture countries below (DFL_FINANCE_DATA points at it)."""
    folder = tmp_path / "data"
    shutil.copytree(data_dir(), folder)
    header = (data_dir() / "country_profiles.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = (_fixture_profile("AAB", "blend", "high", "lower-middle")
            + _fixture_profile("AAH", "ida-only", "high", "low")
            + _fixture_profile("AAM", "ida-only", "moderate", "low")
            + _fixture_profile("AAL", "ida-only", "low", "lower-middle")
            + _fixture_profile("AAG", "gap", "moderate", "lower-middle")
            + _fixture_profile("AAI", "ibrd", None, "upper-middle", currency="USD")
            + _fixture_profile("AAN", None, None, None, skip=("teachers",))
            + _fixture_profile("AAR", "ida-only", None, "low"))
    (folder / "country_profiles.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    monkeypatch.setenv(DATA_ENV, str(folder))
    return folder


@pytest.mark.parametrize(("code", "kind", "terms", "gpe"), [
    ("AAB", "loan", "ida21-blend-fixed", True),   # blend at high risk: credits on blend terms, no grant
    ("AAG", "loan", "ida21-blend-fixed", True),   # gap: the same rule
    ("AAH", "grant", None, True),                 # IDA-only at high risk: grants (ida_terms_by_risk.csv, high: 1)
    ("AAM", "loan", "ida21-40year", True),        # IDA-only at moderate risk: the 40-year credit
    ("AAL", "loan", "ida21-regular", True),       # IDA-only at low risk: the regular credit
    ("AAI", "loan", "ibrd-flexible", False),      # IBRD, upper-middle income: an IBRD loan, no GPE
])
def test_the_lending_rules(fixture_data, code, kind, terms, gpe):
    sc = parse_scenario(country_scenario(code))
    by_id = {s.id: s for s in sc.source}
    wb = by_id["ibrd" if code == "AAI" else "ida"]
    assert (wb.kind, wb.terms) == (kind, terms)
    assert ("gpe" in by_id) is gpe and by_id["mof"].kind == "domestic"
    if gpe:
        assert by_id["gpe"].match is not None and by_id["gpe"].match.sources == [wb.id]
    assert not [p for p in multilateral_warnings(sc) if p.path.startswith("source")]
    assert np.isfinite(run(sc).summary()["total_cost"])


def test_a_usd_country_has_no_exchange_rate(fixture_data):
    sc = parse_scenario(country_scenario("AAI"))
    assert sc.scenario.currency == "USD" and sc.macro.fx_rate is None
    assert sc.context.education_budget == 10e9


def test_a_grant_share_between_0_and_1_gives_a_grant_and_a_credit(fixture_data):
    """ida_terms_by_risk.csv with moderate = 50% grant, the rest 40-year credit: an IDA grant paying at most half of
    each investment cell first, the credit the rest; their commitments are each half of the first investment (each
    rounded up to a million), and GPE is matched on both."""
    path = fixture_data / "ida_terms_by_risk.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^moderate,ida21-40year,0,", "moderate,ida21-40year,0.5,", text, flags=re.M),
                    encoding="utf-8")
    sc = parse_scenario(country_scenario("AAM"))
    by_id = {s.id: s for s in sc.source}
    grant, credit = by_id["ida_grant"], by_id["ida"]
    assert (grant.kind, grant.share_cap, grant.priority) == ("grant", 0.5, 1)
    assert (credit.kind, credit.terms, credit.priority) == ("loan", "ida21-40year", 2)
    assert grant.commitment == credit.commitment
    assert by_id["gpe"].match is not None and by_id["gpe"].match.sources == ["ida_grant", "ida"]
    run(sc)


def test_the_world_bank_commitment_is_the_first_investment_worked_by_hand():
    """Three made-up programmes, 1,000 schools and 10,000 learners, in a currency of 100 per USD:
    connectivity 0.4 -> 0.9: 500 schools x (100 + 20) USD = 60,000; devices 0 -> 0.2: 2,000 learners x 3,000 local
    / 100 = 60,000; a platform of 5,000 USD twice (a schedule of two years) = 10,000; an opex line and a programme
    that is not eligible are left out: 130,000."""
    progs = [{"id": "c", "driver": "schools", "start_share": 0.4, "target_share": 0.9,
              "cost": [{"kind": "capex", "unit_cost": 100.0, "currency": "USD"},
                       {"kind": "capex", "unit_cost": 20.0, "currency": "USD"},
                       {"kind": "opex", "unit_cost": 999.0, "currency": "USD"}]},
             {"id": "d", "driver": "learners", "target_share": 0.2,
              "cost": [{"kind": "capex", "unit_cost": 3000.0},
                       {"kind": "fixed_capex", "unit_cost": 5000.0, "currency": "USD", "schedule": [2026, 2028]}]},
             {"id": "t", "driver": "teachers", "cost": [{"kind": "capex", "unit_cost": 1e6, "currency": "USD"}]}]
    total, words = first_investment(progs, {"schools": 1000.0, "learners": 10000.0, "teachers": 50.0},
                                    ["c:capex", "d:capex"], "XYZ", 100.0)
    assert total == pytest.approx(130_000.0)
    assert words == "100.00 x 500 schools + 20.00 x 500 schools + 30.00 x 2,000 learners + 5,000 x 2 = 130,000"


def test_a_plan_template_file_gives_the_programmes(tmp_path):
    """--plan examples/plan-template.toml (the portfolio's plan template): its five programmes, as written there,
    for Nepal; the World Bank source may pay the investment of its infrastructure (connectivity and EMIS)."""
    sc = parse_scenario(country_scenario("NPL", plan=[str(ROOT / "examples" / "plan-template.toml")]))
    assert [p.template for p in sc.programme] == ["connectivity-satellite", "emis", "teacher-data-skills-online",
                                                   "officials-data-literacy", "data-governance"]
    assert sc.programme[0].id == "connectivity" and sc.programme[0].start_share == 0.16
    assert {s.id: s.eligible for s in sc.source}["ida"] == ["connectivity:capex", "emis:capex"]
    run(sc)


def test_a_plan_template_in_another_currency_is_refused_with_the_field(tmp_path):
    with pytest.raises(ScenarioError, match=r"context.gap_financing: a domestic bond's rate in KES"):
        country_scenario("NPL", plan=[str(ROOT / "scenarios" / "kenya-domestic.toml")])
    with pytest.raises(ScenarioError, match="file not found"):
        country_scenario("NPL", plan=[str(tmp_path / "none.toml")])


# ------------------------------------------------------------------------------------------ errors

def test_an_unprofiled_code_names_the_fields_to_give_and_how():
    with pytest.raises(OptionError) as err:
        country_scenario("ZZZ")
    text = str(err.value)
    assert err.value.option == "country" and "'ZZZ'" in text
    for field in ("currency", "education_budget", "lending_category", "debt_risk", "fx_rate", "schools",
                  "learners", "teachers"):
        assert field in text
    assert "iso3, country, field, value, unit, year, source, confidence, placeholder" in text
    assert "dfl-finance country import" in text


def test_a_profile_without_the_fields_a_scenario_needs_names_them(fixture_data):
    with pytest.raises(OptionError, match=r"the AAN profile \(Testland AAN\) lacks lending_category, teachers"):
        country_scenario("AAN")
    with pytest.raises(OptionError, match=r"lacks debt_risk \(an IDA-only country's IDA terms follow its risk"):
        country_scenario("AAR")


@pytest.mark.parametrize(("row", "message"), [
    ("moderate,ida21-nowhere,0,", r"row 'moderate' names terms 'ida21-nowhere', which are not in"),
    ("moderate,ida21-40year,1.5,", r"ida_terms_by_risk.csv:3: malformed row \(grant_share 1.5 is not a share"),
])
def test_broken_ida_terms_by_risk_rows_are_named(fixture_data, row, message):
    path = fixture_data / "ida_terms_by_risk.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^moderate,ida21-40year,0,", row, text, flags=re.M), encoding="utf-8")
    with pytest.raises(DataError, match=message):
        country_scenario("AAM")


def test_a_start_year_before_the_profiles_data_is_refused():
    with pytest.raises(OptionError, match=r"start_year: the KEN profile's values are of 2024 .* start the plan in "
                       r"2015 or later"):
        country_scenario("KEN", start_year=2010)


def test_an_unknown_template_is_refused():
    with pytest.raises(OptionError, match=r"plan: no template named 'nothing' \(known: "):
        country_scenario("KEN", plan=["emis", "nothing"])


@settings(max_examples=20, deadline=None)
@given(start=st.integers(2025, 2080), years=st.integers(1, 30))
def test_property_any_horizon_after_the_data_validates(start, years):
    """Every target year falls inside the plan, every window inside it: the scenario validates for any horizon that
    starts after the profile's data (2024 for Rwanda's budget and GDP, 2025 for its exchange rate)."""
    sc = parse_scenario(country_scenario("RWA", start_year=start, years=years))
    last = start + years - 1
    assert all(p.target_year is None or start <= p.target_year <= last for p in sc.programme)
    assert all(s.last_year is None or s.last_year <= last for s in sc.source)


def test_gpe_eligibility_follows_the_income_group():
    assert gpe_eligibility(country_profiles()["RWA"])[0]      # low income
    assert gpe_eligibility(country_profiles()["KEN"])[0]      # lower-middle income
    assert not gpe_eligibility(country_profiles()["PER"])[0]  # upper-middle income
    assert world_bank_terms(country_profiles()["PER"]).id == "ibrd"


# ------------------------------------------------------------------------------------------ the command

def test_new_writes_a_file_that_runs_and_refuses_to_overwrite_it(tmp_path, capsys):
    out = tmp_path / "sub" / "kenya.toml"
    assert main(["new", "--country", "KEN", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert 'country = "KEN"' in text and "wrote" in capsys.readouterr().out
    assert main(["run", str(out), "--out", str(tmp_path / "res")]) == 0
    out.write_text("# mine\n", encoding="utf-8")
    assert main(["new", "--country", "KEN", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "error: --out: " in err and "exists: give --force" in err
    assert out.read_text(encoding="utf-8") == "# mine\n"  # untouched
    assert main(["new", "--country", "KEN", "--out", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8") == text


def test_new_for_an_unprofiled_code_exits_2_with_the_fields_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "x.toml"
    assert main(["new", "--country", "ZZZ", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --country: no country profile 'ZZZ'") and "Traceback" not in err
    assert "lending_category" in err and "dfl-finance country import" in err
    assert not out.exists()


def test_new_with_a_plan_of_templates(tmp_path):
    out = tmp_path / "rwanda.toml"
    assert main(["new", "--country", "RWA", "--plan", "connectivity-satellite,emis", "--out", str(out)]) == 0
    sc = parse_scenario(out.read_text(encoding="utf-8"))
    assert [p.id for p in sc.programme] == ["connectivity", "emis"]
    assert main(["new", "--country", "RWA", "--plan", "emis,foo", "--out", str(tmp_path / "b.toml")]) == 2
    assert not Path(tmp_path / "b.toml").exists()
