"""``[debt.sd]`` from the country profile (issue 22, the standardised stress tests): a scenario that gives no
standard deviation takes the profile's, built from the WDI history (data/country_profiles.csv ``gdp_growth_sd`` and
``exports_growth_sd``); the file's own win, field by field."""

from __future__ import annotations

import tomllib

import pytest

from dfl_finance.inputs.country_scenario import country_scenario
from dfl_finance.inputs.profiles import country_profiles
from dfl_finance.model.load import load_scenario, parse_scenario, scenario_from_dict
from dfl_finance.studies.risk.stress import StressSpec, run_stresses
from tests.conftest import ROOT

RWANDA = ROOT / "scenarios" / "rwanda-ida-credit.toml"


def test_a_scenario_without_sd_takes_the_profiles_and_every_test_applies():
    """Rwanda's profile: real growth s.d. 0.0375 and exports 0.1932 (WDI, 2016-2025); the primary balance 0.0159
    and other flows 0.0107 from proxies flagged as placeholders (the overall balance, 2014-2023; FDI and
    remittances over GDP, 2015-2024), so every standardised test applies, the combination too."""
    prof = country_profiles()["RWA"]
    sc = load_scenario(RWANDA)
    assert sc.debt.sd is not None
    assert sc.debt.sd.gdp_growth == prof.number("gdp_growth_sd") == pytest.approx(0.0375)
    assert sc.debt.sd.exports_growth == prof.number("exports_growth_sd") == pytest.approx(0.1932)
    assert sc.debt.sd.primary_balance == prof.number("primary_balance_sd") == pytest.approx(0.0159)
    assert sc.debt.sd.other_flows == prof.number("other_flows_sd") == pytest.approx(0.0107)
    assert prof.values["primary_balance_sd"].placeholder and prof.values["other_flows_sd"].placeholder
    names = ["gdp_growth", "exports", "primary_balance", "other_flows", "combined"]
    res = run_stresses(sc, [StressSpec(n) for n in names])
    assert {o.spec.name: o.result is not None for o in res.outcomes} == dict.fromkeys(names, True)


def test_a_profile_without_a_standard_deviation_leaves_its_test_out():
    """Eritrea's slice has too few years of growth: no gdp_growth_sd row, so a scenario for it gets none and the
    growth test (and the combination) says it does not apply."""
    assert country_profiles()["ERI"].number("gdp_growth_sd") is None


def test_the_files_own_standard_deviation_wins_field_by_field():
    raw = tomllib.loads(RWANDA.read_text(encoding="utf-8"))
    raw.setdefault("debt", {})["sd"] = {"gdp_growth": 0.05, "other_flows": 0.01}
    sc = scenario_from_dict(raw, str(RWANDA), folder=RWANDA.parent)
    assert sc.debt.sd is not None
    assert (sc.debt.sd.gdp_growth, sc.debt.sd.other_flows) == (0.05, 0.01)  # the file's
    assert sc.debt.sd.exports_growth == pytest.approx(0.1932)  # the profile's


def test_a_standard_deviation_beyond_the_fields_bound_is_not_defaulted():
    """Timor-Leste's exports in USD swing with oil: their growth's s.d. is 2.75 (275%), above [debt.sd]'s bound of
    1; the profile keeps it, the scenario does not take it (its exports test does not apply), but takes the growth
    one."""
    prof = country_profiles()["TLS"]
    assert prof.number("exports_growth_sd") > 1.0
    sc = parse_scenario(country_scenario("TLS"))
    assert sc.debt.sd is not None and sc.debt.sd.exports_growth is None
    assert sc.debt.sd.gdp_growth == prof.number("gdp_growth_sd")


def test_new_country_writes_the_profiles_standard_deviations_with_their_source():
    """`dfl-finance new --country RWA` writes [debt.sd] with each value's source in a comment; a country without
    them (Eritrea: fewer than ten years of growth, no exports) gets no [debt.sd] table."""
    text = country_scenario("RWA")
    assert "[debt.sd]" in text and "gdp_growth = 0.0375" in text and "exports_growth = 0.1932" in text
    assert "profile RWA.gdp_growth_sd (2025)" in text
    assert parse_scenario(text).debt.sd.exports_growth == pytest.approx(0.1932)
    assert "[debt.sd]" not in country_scenario("ERI")
