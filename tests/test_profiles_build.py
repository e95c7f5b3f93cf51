"""The country profiles built from data/raw (dfl_finance.inputs.build_profiles): the shipped files are what the build
writes, every profiled country has every required field, values are in range, and the rules give known answers on a
small hand-made raw folder."""

import csv
import io
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dfl_finance.cli import main
from dfl_finance.inputs import build_profiles as bp
from dfl_finance.inputs.profiles import clear_caches, country_profiles
from dfl_finance.vocabulary import CURRENCIES, DEBT_CAPACITIES, DEBT_RISKS, INCOME_GROUPS, LENDING_CATEGORIES
from tests.conftest import ROOT

DATA = ROOT / "data"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def shipped() -> list[dict[str, str]]:
    return _rows((DATA / "country_profiles.csv").read_text(encoding="utf-8"))


# -- the shipped files -----------------------------------------------------------------------------------------------

def test_the_build_reproduces_the_shipped_files_byte_for_byte():
    profiles, prices = bp.build(DATA)
    assert profiles == (DATA / "country_profiles.csv").read_text(encoding="utf-8")
    assert prices == (DATA / "price_history.csv").read_text(encoding="utf-8")
    assert main(["country", "build", "--check"]) == 0


def test_the_hand_rows_come_first_line_for_line_but_for_sourced_replacements_of_placeholders():
    """The hand file's lines open the built file unchanged, except a hand placeholder for which the raw files give a
    sourced value: the same country and field, now sourced (the lending categories of RWA, NPL, BGD and PER and the
    debt risks of NPL and BGD, confirmed with the same value; Rwanda's and Kenya's remembered GDP, exports, revenue,
    exchange rate and US inflation, replaced by the WDI's)."""
    hand = (DATA / "raw" / "hand" / "country_profiles.csv").read_text(encoding="utf-8").splitlines()
    built = (DATA / "country_profiles.csv").read_text(encoding="utf-8").splitlines()[:len(hand)]
    changed = [(a, b) for a, b in zip(hand, built) if a != b]
    assert {next(csv.reader([a]))[2] for a, _ in changed} >= {"lending_category", "debt_risk", "gdp", "exports"}
    for a, b in changed:
        old, new = next(csv.reader([a])), next(csv.reader([b]))
        assert old[:3] == new[:3] and old[8] == "true" and new[8] == "false"
        if old[2] in ("lending_category", "debt_risk"):
            assert old[3] == new[3]  # confirmed


def test_every_selected_country_is_profiled(shipped):
    """Every IDA or blend economy of the FY2026 list and every low- or lower-middle-income IBRD borrower, and the
    hand-profiled five: 89 + Peru."""
    cls = bp.read_class(DATA / "raw" / "wb_class" / "class_fy2026.csv")
    want = {c for c, r in cls.items() if r["Lending category"] in ("IDA", "Blend")
            or (r["Lending category"] == "IBRD" and r["Income group"] in ("Low income", "Lower middle income"))}
    assert len(want) == 89
    assert {r["iso3"] for r in shipped} == want | {"PER"}


def test_every_profiled_country_has_every_required_field(shipped):
    fields: dict[str, set[str]] = {}
    for r in shipped:
        fields.setdefault(r["iso3"], set()).add(r["field"])
    lending = {r["iso3"]: r["value"] for r in shipped if r["field"] == "lending_category"}
    for iso3, have in fields.items():
        required = set(bp.REQUIRED_FIELDS)
        if lending[iso3] == "ibrd":
            required -= {"dsf_capacity", "debt_risk"}  # not assessed under the LIC-DSF
        assert required <= have, (iso3, sorted(required - have))


def test_a_placeholder_says_so_and_a_sourced_value_does_not(shipped):
    for r in shipped:
        assert r["confidence"] in ("H", "M", "L"), r
        assert r["source"].strip(), r
        if r["placeholder"] == "true":
            assert "PLACEHOLDER" in r["source"], r
        else:
            assert r["placeholder"] == "false" and not r["source"].startswith("PLACEHOLDER"), r


def test_units_and_ranges_are_sane(shipped):
    text = {"currency": CURRENCIES, "income_group": INCOME_GROUPS, "lending_category": LENDING_CATEGORIES,
            "dsf_capacity": DEBT_CAPACITIES, "debt_risk": DEBT_RISKS}
    for r in shipped:
        field, value = r["field"], r["value"]
        if field in text:
            assert value in text[field], r
            continue
        x = float(value)
        assert math.isfinite(x), r
        if r["unit"] == "share":
            assert 0.0 <= x <= 1.0, r
        elif r["unit"] == "1/yr":
            assert -1.0 < x <= 10.0, r  # [macro] inflation's bounds
        elif field == "fiscal_year_start":
            assert x in range(1, 13), r
        else:
            assert x > 0, r  # counts, amounts, rates
        if r["year"]:
            assert 2010 <= int(r["year"]) <= 2027, r
    by = {(r["iso3"], r["field"]): r for r in shipped}
    for (iso3, field), r in by.items():
        if field in ("education_budget", "public_expenditure", "fx_rate"):
            assert r["unit"].split("/")[0] == by[(iso3, "currency")]["value"], r
        if field == "public_expenditure":
            assert float(r["value"]) > float(by[(iso3, "education_budget")]["value"]), r


def test_the_countries_command_lists_every_profile(capsys):
    clear_caches()
    assert main(["countries"]) == 0
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines()[1:] if line.strip() and not line.startswith("*")}
    assert set(country_profiles()) <= listed
    assert len(country_profiles()) == 90


def test_the_built_profiles_load_and_fill_a_scenario():
    """Every profile loads and gives defaults in its own currency (the [context], [macro] and [debt] a scenario
    reads)."""
    clear_caches()
    for iso3, prof in country_profiles().items():
        filled = prof.defaults(prof.currency or "USD")
        assert filled["context"]["learners"][0] > 0, iso3
        assert filled["debt"]["gdp"][0] > 0, iso3


# -- known answers on a hand-made raw folder -------------------------------------------------------------------------

def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _wdi(path: Path, series: dict[str, dict[tuple[str, int], float]]) -> None:
    """A WDI slice in the bulk file's layout: one row per country and indicator, one column per year."""
    years = list(range(2015, 2026))
    rows: list[list[object]] = []
    for code, values in sorted(series.items()):
        for iso3 in sorted({c for c, _ in values}):
            rows.append([iso3, iso3, code, code, *(values.get((iso3, y), "") for y in years)])
    _write(path, ["Country Name", "Country Code", "Indicator Name", "Indicator Code", *map(str, years)], rows)


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """A raw folder with three economies: AAA (IDA, low income, its own currency ALF), BBB (IBRD, upper-middle: left
    out), CCC (IBRD, lower-middle, the US dollar), and the US (for US inflation)."""
    data = tmp_path / "data"
    cls = ["Economy", "Code", "Region", "Income group", "Lending category"]
    economies = [["Alfa", "AAA", "R", "Low income", "IDA"], ["Bravo", "BBB", "R", "Upper middle income", "IBRD"],
                 ["Charlie", "CCC", "R", "Lower middle income", "IBRD"],
                 ["United States", "USA", "R", "High income", ""]]
    _write(data / "raw" / "wb_class" / "class_fy2026.csv", cls, economies)
    _write(data / "raw" / "wb_class" / "class_fy2025.csv", cls, economies)
    _write(data / "raw" / "iso4217" / "codes-all.csv",
           ["Entity", "Currency", "AlphabeticCode", "NumericCode", "MinorUnit", "WithdrawalDate"],
           [["ALFA", "Indian Rupee", "INR", "356", "2", ""], ["ALFA", "Alfa Lira", "ALF", "999", "2", ""],
            ["INDIA", "Indian Rupee", "INR", "356", "2", ""], ["ALFA", "Old Lira", "ALO", "998", "2", "2001-01"],
            ["CHARLIE (THE)", "US Dollar", "USD", "840", "2", ""], ["BRAVO", "Bravo Peso", "BRP", "997", "2", ""]])
    _wdi(data / "raw" / "wdi" / "WDICSV_slice.csv", {
        "NY.GDP.MKTP.CD": {("AAA", 2023): 2e9, ("AAA", 2024): 2.5e9, ("CCC", 2024): 1e9},
        "NY.GDP.MKTP.KD.ZG": {("AAA", 2024): 5.0, ("CCC", 2024): 3.0},
        "FP.CPI.TOTL.ZG": {("AAA", 2019): 5.0, ("AAA", 2020): 10.0, ("AAA", 2021): 20.0, ("USA", 2024): 2.9},
        "PA.NUS.FCRF": {("AAA", 2023): 100.0, ("AAA", 2024): 110.0},
        "NE.EXP.GNFS.ZS": {("AAA", 2023): 25.0},
        "GC.REV.XGRT.GD.ZS": {("AAA", 2024): 12.0, ("CCC", 2024): 20.0},
        "DT.DOD.DPPG.CD": {("AAA", 2023): 8e8},
        "DT.TDS.DECT.EX.ZS": {("AAA", 2023): 10.0},
        "SE.XPD.TOTL.GD.ZS": {("AAA", 2023): 4.0},
        "SE.XPD.TOTL.GB.ZS": {("AAA", 2023): 16.0},
        "SE.PRM.ENRL.TC.ZS": {("AAA", 2019): 45.0},
        "SP.POP.TOTL": {("AAA", 2024): 30e6, ("CCC", 2024): 3e6},
        "SP.POP.0014.TO.ZS": {("AAA", 2024): 45.0, ("CCC", 2024): 30.0},
    })
    _write(data / "raw" / "fdl_lic_dsa" / "DSA_id.csv",
           ["dsa.id", "dsa.country", "dsa.year", "dsa.month", "dsa.method", "ccl.ext.dist.risk", "ccl.tot.dist.risk",
            "dcc.ci.rtng", "cpia.rtng"],
           [["AAA_2023_11", "Alfa", "2023", "November", "post.2017", "Moderate", "High", "Strong", ""],
            ["AAA_2023_03", "Alfa", "2023", "March", "post.2017", "High", "High", "Weak", ""],
            ["AAA_2016_05", "Alfa", "2016", "May", "pre.2017", "Low", "", "", "Medium"]])
    _write(data / "raw" / "wdi_meta" / "WDICountry_2019.csv",
           ["Country Code", "Table Name", "Currency Unit", "Special Notes"],
           [["AAA", "Alfa", "Alfa lira", "Ministry. Fiscal year end: June 30; reporting period for national accounts "
             "data: FY."], ["CCC", "Charlie", "U.S. dollar", "No note on the fiscal year."]])
    _write(data / "raw" / "hand" / "country_profiles.csv", bp.PROFILE_HEADER,
           [["AAA", "Alfa", "lending_category", "ida-only", "code", "2025", "PLACEHOLDER: from memory", "L", "true"],
            ["AAA", "Alfa", "gdp_growth", "0.09", "1/yr", "2026", "PLACEHOLDER: from memory", "L", "true"]])
    _write(data / "raw" / "hand" / "price_history.csv", bp.PRICE_HEADER,
           [["ALF", "fx", "2024", "105", "ALF/USD", "PLACEHOLDER: from memory", "L", "true"]])
    return data


def _built(data: Path, replace: bool = False) -> tuple[dict[tuple[str, str], dict[str, str]], list[dict[str, str]]]:
    profiles, prices = bp.build(data, replace=replace)
    return {(r["iso3"], r["field"]): r for r in _rows(profiles)}, _rows(prices)


def test_known_answers_of_the_rules(raw):
    """Worked by hand for AAA:
    - currency: ALFA has INR (used by two entities) and ALF (one): ALF; ALO is withdrawn.
    - education budget: 4.0% of GDP 2023 (USD 2e9) at 100 ALF/USD = 0.04 x 2e9 x 100 = ALF 8e9 (year 2023).
    - public expenditure: 8e9 / 0.16 = ALF 5e10.
    - exports: 25% x USD 2e9 = USD 5e8 (2023, the share's year); revenue: 12% x USD 2.5e9 = USD 3e8 (2024).
    - external debt service (proxy): 10% x exports USD 5e8 = USD 5e7 (2023).
    - pv_external_debt: the nominal PPG stock USD 8e8; pv_public_debt (no GC.DOD): 1.5 x 8e8 = USD 1.2e9.
    - learners: 30e6 x 45% x 2/3 = 9e6; teachers: 9e6 / 45 = 200,000; schools: 9e6 / 400 = 22,500.
    - fx_rate: the latest, 110 (2024); inflation 20% (2021); US inflation 2.9% (2024); budget growth = 5%.
    """
    b, _ = _built(raw)
    v = {f: float(b[("AAA", f)]["value"]) for f in ("education_budget", "public_expenditure", "exports", "revenue",
                                                     "external_debt_service", "pv_external_debt", "pv_public_debt",
                                                     "learners", "teachers", "schools", "fx_rate", "inflation",
                                                     "usd_inflation", "budget_growth", "gdp")}
    assert b[("AAA", "currency")]["value"] == "ALF"
    assert v["education_budget"] == pytest.approx(8e9) and b[("AAA", "education_budget")]["unit"] == "ALF/yr"
    assert b[("AAA", "education_budget")]["year"] == "2023"
    assert v["public_expenditure"] == pytest.approx(5e10)
    assert v["exports"] == pytest.approx(5e8) and b[("AAA", "exports")]["year"] == "2023"
    assert v["revenue"] == pytest.approx(3e8) and b[("AAA", "revenue")]["year"] == "2024"
    assert v["external_debt_service"] == pytest.approx(5e7)
    assert v["pv_external_debt"] == pytest.approx(8e8) and v["pv_public_debt"] == pytest.approx(1.2e9)
    assert (v["learners"], v["teachers"], v["schools"]) == (9e6, 2e5, 22500)
    assert v["fx_rate"] == 110 and b[("AAA", "fx_rate")]["year"] == "2024" and v["gdp"] == 2.5e9
    assert (v["inflation"], v["usd_inflation"], v["budget_growth"]) == (0.2, 0.029, 0.05)
    assert b[("AAA", "income_group")]["value"] == "low"


def test_the_latest_dsa_gives_risk_and_capacity_and_the_wdi_notes_the_fiscal_year(raw):
    """AAA has three DSAs; the latest is November 2023 (after March 2023, same year): moderate external risk,
    strong capacity (Table C), year 2023, sourced. Its WDI note "Fiscal year end: June 30" gives a July start (7).
    CCC, an IBRD borrower without a DSA, has no LIC-DSF rows; its note names no fiscal year end: a January
    placeholder."""
    b, _ = _built(raw)
    assert (b[("AAA", "debt_risk")]["value"], b[("AAA", "dsf_capacity")]["value"]) == ("moderate", "strong")
    assert b[("AAA", "debt_risk")]["year"] == "2023" and b[("AAA", "debt_risk")]["placeholder"] == "false"
    assert "AAA_2023_11" in b[("AAA", "dsf_capacity")]["source"]
    assert (b[("AAA", "fiscal_year_start")]["value"], b[("AAA", "fiscal_year_start")]["placeholder"]) == ("7",
                                                                                                        "false")
    assert (b[("CCC", "fiscal_year_start")]["value"], b[("CCC", "fiscal_year_start")]["placeholder"]) == ("1", "true")


def test_a_pre_2017_dsa_gives_the_cpia_rating_as_capacity(raw):
    """With only the May 2016 DSA (pre-2017 framework): low risk, capacity from the CPIA rating (medium)."""
    path = raw / "raw" / "fdl_lic_dsa" / "DSA_id.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], lines[3]]) + "\n", encoding="utf-8")
    b, _ = _built(raw)
    assert (b[("AAA", "debt_risk")]["value"], b[("AAA", "dsf_capacity")]["value"]) == ("low", "medium")
    assert "CPIA" in b[("AAA", "dsf_capacity")]["source"]


@pytest.mark.parametrize("end, month", [("June 30", 7), ("July 14", 7), ("March 20", 3), ("December 31", 1),
                                        ("September 30", 10)])
def test_the_fiscal_year_starts_the_day_after_it_ends(end, month):
    assert bp.fiscal_year_start(end) == month


def test_which_countries_and_the_ibrd_rules(raw):
    """BBB (upper-middle IBRD) is left out; CCC (lower-middle IBRD) is in, without LIC-DSF rows, in US dollars at
    a rate of 1; its missing education share is the median of the others (AAA's 4.0%): 0.04 x USD 1e9 = USD 4e7, a
    placeholder; its missing exports likewise 25% x 1e9 = USD 2.5e8."""
    b, _ = _built(raw)
    assert {k[0] for k in b} == {"AAA", "CCC"}
    assert ("CCC", "dsf_capacity") not in b and ("CCC", "debt_risk") not in b
    assert b[("CCC", "currency")]["value"] == "USD" and b[("CCC", "fx_rate")]["value"] == "1"
    assert float(b[("CCC", "education_budget")]["value"]) == pytest.approx(4e7)
    assert b[("CCC", "education_budget")]["placeholder"] == "true"
    assert float(b[("CCC", "exports")]["value"]) == pytest.approx(2.5e8)
    assert ("CCC", "public_expenditure") not in b  # no share of government expenditure for a placeholder budget


def test_a_hand_placeholder_is_replaced_only_when_confirmed_or_asked(raw):
    """AAA's hand lending category (ida-only, placeholder) is confirmed by CLASS: replaced by the sourced row. Its
    hand GDP growth (0.09, placeholder) differs from WDI's 5%: kept, unless replace=True. The hand ALF fx placeholder
    for 2024 (105) likewise: kept; with replace=True it becomes WDI's 110."""
    b, prices = _built(raw)
    assert b[("AAA", "lending_category")]["placeholder"] == "false"
    assert b[("AAA", "gdp_growth")]["value"] == "0.09"
    assert [p["value"] for p in prices if p["currency"] == "ALF" and p["series"] == "fx"] == ["105"]
    b, prices = _built(raw, replace=True)
    assert b[("AAA", "gdp_growth")]["value"] == "0.05"
    assert [p["value"] for p in prices if p["currency"] == "ALF" and p["series"] == "fx"][0] == "110"


def test_the_built_price_history(raw, tmp_path):
    """With the hand rows gone (a hand-profiled country's currency gets built price rows only with replace): fx 100
    (2023), 110 (2024); the cpi index chained from 2020 = 100: 2021 = 100 x 1.20 = 120, 2019 = 100 / 1.10 = 90.91
    (2020's inflation, 10%, carries 2019 to 2020)."""
    _write(raw / "raw" / "hand" / "price_history.csv", bp.PRICE_HEADER, [])
    _write(raw / "raw" / "hand" / "country_profiles.csv", bp.PROFILE_HEADER, [])
    _, prices = _built(raw)
    got = {(p["series"], p["year"]): p["value"] for p in prices if p["currency"] == "ALF"}
    assert got == {("fx", "2023"): "100", ("fx", "2024"): "110", ("cpi", "2019"): "90.91",
                   ("cpi", "2020"): "100.00", ("cpi", "2021"): "120.00"}


def test_the_build_is_deterministic_and_check_flags_a_stale_file(raw, capsys):
    first = bp.build(raw)
    assert bp.build(raw) == first
    assert main(["country", "build", "--data", str(raw), "--check"]) == 1  # not written yet
    assert main(["country", "build", "--data", str(raw)]) == 0
    assert "country_profiles.csv (" in capsys.readouterr().out
    assert main(["country", "build", "--data", str(raw), "--check"]) == 0
    (raw / "country_profiles.csv").write_text(first[0] + "ZZZ,Z,gdp,1,USD/yr,,x,L,false\n", encoding="utf-8")
    assert main(["country", "build", "--data", str(raw), "--check"]) == 1
    assert "differs from the build" in capsys.readouterr().err


def test_a_data_folder_without_raw_files_is_a_clear_error(tmp_path, capsys):
    """An installed package ships no data/raw: the build says so and exits 2 without a traceback."""
    assert main(["country", "build", "--data", str(tmp_path)]) == 2
    assert "no raw folder" in capsys.readouterr().err


def test_the_shipped_raw_folder_builds_in_a_copy(tmp_path):
    """The build reads only data/raw: a copy of it alone gives the shipped files."""
    shutil.copytree(DATA / "raw", tmp_path / "raw")
    profiles, prices = bp.build(tmp_path)
    assert profiles == (DATA / "country_profiles.csv").read_text(encoding="utf-8")
    assert prices == (DATA / "price_history.csv").read_text(encoding="utf-8")


@given(st.floats(min_value=1e-6, max_value=1e15, allow_nan=False))
def test_a_written_number_reads_back_within_a_millionth(x):
    assert float(bp._fmt(x)) == pytest.approx(x, rel=1e-5, abs=0.5)


# -- the data check's rule for rates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value, problem", [("-0.07", None), ("-1.2", "gdp_growth is a rate of -100% or less (-1.2)")])
def test_the_data_check_takes_a_falling_rate_but_not_a_fall_of_100_percent(tmp_path, monkeypatch, value, problem):
    """A real GDP growth or an inflation may be negative (South Sudan's GDP fell 10.8% in 2015, WDI); a rate of
    -100% or less cannot be (the broken fixture: gdp_growth -1.2, named with its value)."""
    from dfl_finance.studies.datacheck import check_data

    copy = tmp_path / "data"
    shutil.copytree(DATA, copy, ignore=shutil.ignore_patterns("raw"))
    with (copy / "country_profiles.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"ZZZ,Zed,gdp_growth,{value},1/yr,2024,a test row,L,false\n")
    monkeypatch.setenv("DFL_FINANCE_DATA", str(copy))
    clear_caches()
    try:
        problems, _ = check_data(tmp_path / "no-scenarios")
    finally:
        clear_caches()
    rate_problems = [p for p in problems if "rate of -100%" in p]
    assert rate_problems == ([] if problem is None else [rate_problems[0]])
    if problem is not None:
        assert problem in rate_problems[0] and "country_profiles.csv" in rate_problems[0]


def test_a_slice_with_the_counts_gives_sourced_learners_and_teachers(raw):
    """A slice that also has the enrolment and teacher counts and the PPG debt service (as the full WDI does) fills
    them through the importers' reader, sourced: learners SE.PRM.ENRL 6e6 + SE.SEC.ENRL 2e6 = 8e6 (2022), teachers
    SE.PRM.TCHR 1.2e5 + SE.SEC.TCHR 8e4 = 2e5, external debt service DT.TDS.DPPG.CD USD 3e7 (2023); the schools stay
    a placeholder, 8e6 / 400 = 20,000."""
    path = raw / "raw" / "wdi" / "WDICSV_slice.csv"
    extra = {"SE.PRM.ENRL": 6e6, "SE.SEC.ENRL": 2e6, "SE.PRM.TCHR": 1.2e5, "SE.SEC.TCHR": 8e4}
    with path.open("a", encoding="utf-8") as fh:
        for code, v in extra.items():
            fh.write(",".join(["AAA", "AAA", code, code, *[""] * 7, str(v), *[""] * 3]) + "\n")  # 2022 of 2015-2025
        fh.write(",".join(["AAA", "AAA", "DT.TDS.DPPG.CD", "DT.TDS.DPPG.CD", *[""] * 8, "3e7", "", ""]) + "\n")
    b, _ = _built(raw)
    assert (b[("AAA", "learners")]["value"], b[("AAA", "learners")]["year"]) == ("8000000", "2022")
    assert b[("AAA", "learners")]["placeholder"] == "false" and "SE.SEC.ENRL" in b[("AAA", "learners")]["source"]
    assert b[("AAA", "teachers")]["value"] == "200000" and b[("AAA", "teachers")]["placeholder"] == "false"
    assert b[("AAA", "external_debt_service")]["value"] == "30000000"
    assert b[("AAA", "external_debt_service")]["placeholder"] == "false"
    assert (b[("AAA", "schools")]["value"], b[("AAA", "schools")]["placeholder"]) == ("20000", "true")


def _redenominate(raw: Path, rate_2024: float) -> None:
    """ALFA's ISO entry gains an old code ALO withdrawn in 2023-12, and AAA's 2024 rate is ``rate_2024``."""
    iso = raw / "raw" / "iso4217" / "codes-all.csv"
    iso.write_text(iso.read_text(encoding="utf-8") + "ALFA,Old Alfa Lira,ALO,997,,2023-12\n", encoding="utf-8")
    wdi = raw / "raw" / "wdi" / "WDICSV_slice.csv"
    lines = wdi.read_text(encoding="utf-8").splitlines()
    lines = [line.replace(",100.0,110.0,", f",100.0,{rate_2024},") if ",PA.NUS.FCRF," in line else line
             for line in lines]
    wdi.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_new_currency_that_the_wdi_did_not_restate_cuts_the_old_years(raw):
    """ALFA's lira replaced in 2023-12 and AAA's rate falls from 100 (2023) to 5 (2024), a fall of more than ten
    times: the figures of 2023 are in the old currency. The 2023 education share (4.0%) is left out: the budget is a
    placeholder, the median share (4.0%) x GDP 2024 (USD 2.5e9) x 5 = ALF 5e8 (2024); the price history keeps the
    2024 rate only. Zimbabwe's ZWL (3,266 per USD in 2024) and ZWG (26.6 in 2025) are this case."""
    _redenominate(raw, 5.0)
    (raw / "raw" / "hand" / "country_profiles.csv").write_text(",".join(bp.PROFILE_HEADER) + "\n", encoding="utf-8")
    (raw / "raw" / "hand" / "price_history.csv").write_text(",".join(bp.PRICE_HEADER) + "\n", encoding="utf-8")
    b, prices = _built(raw)
    assert float(b[("AAA", "education_budget")]["value"]) == pytest.approx(5e8)
    assert b[("AAA", "education_budget")]["placeholder"] == "true" and b[("AAA", "education_budget")]["year"] == "2024"
    assert ("AAA", "public_expenditure") not in b
    assert [(p["year"], p["value"]) for p in prices if p["series"] == "fx"] == [("2024", "5")]


def test_a_new_currency_that_the_wdi_restated_keeps_every_year(raw):
    """The same change of code, but the rates go on without a fall (100, 110: restated in the new currency, as
    Sierra Leone's are): the 2023 budget stands, ALF 8e9, sourced."""
    _redenominate(raw, 110.0)
    b, _ = _built(raw)
    assert float(b[("AAA", "education_budget")]["value"]) == pytest.approx(8e9)
    assert b[("AAA", "education_budget")]["placeholder"] == "false"


def test_every_profile_fills_a_plan_that_validates_and_runs(tmp_path):
    """The Kenya domestic plan given each profiled country and its currency (total budget) validates and runs with
    finite totals: every profile's values are within the scenario's bounds."""
    import numpy as np

    from dfl_finance import load_scenario, run

    clear_caches()
    text = (ROOT / "scenarios" / "kenya-domestic.toml").read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("budget_scope"))
    for iso3, prof in sorted(country_profiles().items()):
        path = tmp_path / f"{iso3}.toml"
        path.write_text(text.replace('country = "KEN"', f'country = "{iso3}"')
                        .replace('currency = "KES"', f'currency = "{prof.currency}"'), encoding="utf-8")
        total = run(load_scenario(path)).summary()["total_cost"]
        assert np.isfinite(total) and total > 0, iso3


# -- the LIC-DSF stress tests' standard deviations (issue 22) --------------------------------------------------------

def test_a_standard_deviation_of_a_hand_made_ten_year_series_by_hand():
    """Real growth 2015-2025: 50% (2015), then 5, 7, 3, 5, 7, 3, 5, 7, 3, 5% (2016-2025). The last ten years are
    2016-2025 (the 50% of 2015 is left out). Their mean is (4 x 5 + 3 x 7 + 3 x 3) / 10 = 50 / 10 = 5%; the deviations
    are 0 (four times), +2 points (three) and -2 points (three): the sum of squares 6 x 0.02^2 = 0.0024. The SAMPLE
    variance divides by n - 1 = 9: 0.0024 / 9 = 0.000266667, its root 0.0163299 (the population one, / 10, would give
    0.0154919: the sample one is used, ten years being a sample of the variable's history)."""
    series = {2015: 0.50, **{2016 + i: v for i, v in enumerate([0.05, 0.07, 0.03, 0.05, 0.07, 0.03, 0.05, 0.07,
                                                                     0.03, 0.05])}}
    sd, years = bp.historical_sd(series)
    assert sd == pytest.approx(0.0163299, abs=1e-7) and years == list(range(2016, 2026))
    assert bp.historical_sd({y: v for y, v in series.items() if y >= 2017}) is None  # nine years: none


@given(st.lists(st.floats(min_value=-0.5, max_value=0.5), min_size=10, max_size=14),
       st.floats(min_value=-0.2, max_value=0.2), st.floats(min_value=0.1, max_value=3.0))
def test_a_standard_deviation_ignores_the_level_and_scales_with_the_series(values, shift, scale):
    """Adding a constant leaves the standard deviation as it is; multiplying the series by k multiplies it by k."""
    series = {2000 + i: v for i, v in enumerate(values)}
    sd, _ = bp.historical_sd(series)
    moved, _ = bp.historical_sd({y: v + shift for y, v in series.items()})
    scaled, _ = bp.historical_sd({y: v * scale for y, v in series.items()})
    assert sd >= 0 and moved == pytest.approx(sd, abs=1e-9) and scaled == pytest.approx(sd * scale, abs=1e-9)


def _replace_rows(path: Path, rows: dict[tuple[str, str], list[float | None]]) -> None:
    """The slice (years 2015-2025) with the rows of (country, code) in ``rows`` replaced or added."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if (line.split(",")[1], line.split(",")[3]) not in rows]
    for (iso3, code), values in rows.items():
        lines.append(",".join([iso3, iso3, code, code, *("" if v is None else repr(v) for v in values)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_build_gives_the_standard_deviations_of_growth_and_of_exports_in_usd(raw):
    """AAA's real growth 2015-2025 is the series above (%, as the WDI gives it): gdp_growth_sd 0.0163 (2016-2025,
    year 2025). CCC's GDP is USD 1e9 every year and its exports 20% of it in 2015, then 10% more and 10% less in
    turn (22, 19.8, 21.78, ...% of GDP): the ten growth rates 2016-2025 are +0.1, -0.1, ... (mean 0, sum of squares
    10 x 0.01 = 0.1, sample variance 0.1 / 9 = 0.011111): exports_growth_sd = 0.105409 -> 0.1054. AAA has one year of
    exports and CCC one of growth: no row (fewer than ten years: the stress test does not apply)."""
    shares = [20.0]
    for i in range(10):
        shares.append(shares[-1] * (1.1 if i % 2 == 0 else 0.9))
    _replace_rows(raw / "raw" / "wdi" / "WDICSV_slice.csv", {
        ("AAA", "NY.GDP.MKTP.KD.ZG"): [50.0, 5.0, 7.0, 3.0, 5.0, 7.0, 3.0, 5.0, 7.0, 3.0, 5.0],
        ("CCC", "NY.GDP.MKTP.CD"): [1e9] * 11,
        ("CCC", "NE.EXP.GNFS.ZS"): shares,
    })
    b, _ = _built(raw)
    row = b[("AAA", "gdp_growth_sd")]
    assert (row["value"], row["unit"], row["year"], row["placeholder"]) == ("0.0163", "1/yr", "2025", "false")
    assert "2016-2025" in row["source"] and "NY.GDP.MKTP.KD.ZG" in row["source"] and "sample" in row["source"]
    row = b[("CCC", "exports_growth_sd")]
    assert (row["value"], row["year"]) == ("0.1054", "2025") and "NE.EXP.GNFS.ZS x NY.GDP.MKTP.CD" in row["source"]
    assert ("AAA", "exports_growth_sd") not in b and ("CCC", "gdp_growth_sd") not in b


def test_the_shipped_profiles_give_the_standard_deviations_where_ten_years_exist(shipped):
    """Rwanda's and Kenya's rows (WDI 2016-2025); Eritrea, South Sudan and Yemen have fewer than ten years of growth,
    and the mirror has no exports for Nigeria: no row."""
    by = {(r["iso3"], r["field"]): r for r in shipped}
    for iso3 in ("RWA", "KEN"):
        for field in ("gdp_growth_sd", "exports_growth_sd"):
            assert by[(iso3, field)]["placeholder"] == "false" and "2016-2025" in by[(iso3, field)]["source"]
    assert not {("ERI", "gdp_growth_sd"), ("SSD", "gdp_growth_sd"), ("YEM", "gdp_growth_sd"),
                ("NGA", "exports_growth_sd")} & set(by)


def test_the_private_shares_scope_the_counts_to_public_schools(raw):
    """With the private shares of enrolment of the counts' year (2022) the counts become PUBLIC, level by level:
    learners 6e6 x (1 - 10%) + 2e6 x (1 - 25%) = 5.4e6 + 1.5e6 = 6.9e6; teachers, split as the pupils (the WDI has
    no private share of teachers; confidence M), 1.2e5 x 0.9 + 8e4 x 0.75 = 1.08e5 + 6e4 = 1.68e5. Without a share
    of that year the counts stay public and private (the test above)."""
    path = raw / "raw" / "wdi" / "WDICSV_slice.csv"
    extra = {"SE.PRM.ENRL": 6e6, "SE.SEC.ENRL": 2e6, "SE.PRM.TCHR": 1.2e5, "SE.SEC.TCHR": 8e4,
             "SE.PRM.PRIV.ZS": 10.0, "SE.SEC.PRIV.ZS": 25.0}
    with path.open("a", encoding="utf-8") as fh:
        for code, v in extra.items():
            fh.write(",".join(["AAA", "AAA", code, code, *[""] * 7, str(v), *[""] * 3]) + "\n")  # 2022 of 2015-2025
    b, _ = _built(raw)
    learners, teachers = b[("AAA", "learners")], b[("AAA", "teachers")]
    assert (learners["value"], learners["year"], learners["placeholder"]) == ("6900000", "2022", "false")
    assert "PUBLIC schools" in learners["source"] and "SE.SEC.PRIV.ZS" in learners["source"]
    assert (teachers["value"], teachers["confidence"]) == ("168000", "M")
    assert "split between public and private schools as the pupils are" in teachers["source"]
