"""The importers (dfl_finance.inputs.importers) on small slices in the real layouts of the files, and `dfl-finance
country import`.

The slices are in tests/fixtures/importers/ (see its README: real headers and layouts, made-up round values). Each
known answer below is worked by hand from the slice.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dfl_finance.cli import main
from dfl_finance.errors import DataError
from dfl_finance.inputs import importers as imp
from dfl_finance.inputs.profiles import PROFILES_ENV, clear_caches, country_profiles

FIX = Path(__file__).parent / "fixtures" / "importers"
WDI, WDI_API = FIX / "WDICSV.csv", FIX / "API_NY.GDP.MKTP.CD_DS2_en_csv_v2.csv"
WEO, DSA, GIGA = FIX / "WEOApr2025all.xls", FIX / "dsa_baseline.csv", FIX / "giga_schools.csv"
UIS, UIS_LABELS = FIX / "OPRI_DATA_NATIONAL.csv", FIX / "OPRI_LABEL.csv"


def _rows(result: imp.Imported) -> dict[str, imp.ProfileRow]:
    return result.by_field()


# ------------------------------------------------------------------------------------------------ WDI


def test_wdi_bulk_known_answers() -> None:
    """TZA in WDICSV.csv, the latest year with a value of each indicator:
    gdp: 2022 75e9, 2023 79e9, 2024 empty -> 79e9 (2023); growth 5.5% (2024) -> 0.055; inflation 3.8% (2023);
    fx 2,600 TZS/USD (2024); revenue 14% of GDP in 2023 x 79e9 = 11.06e9;
    education: SE.XPD.TOTL.GD.ZS 3.2% (2022, the latest year GDP in LCU also has) x 175e12 = 5.6e12 TZS;
    learners: primary 11.0 M + secondary 3.0 M in 2022 (secondary has no 2023) = 14.0 M; teachers 200,000 +
    100,000 = 300,000 (2022); pv_external_debt: the face value 30e9 (2023), a proxy (confidence L)."""
    got = imp.read_wdi(WDI, "tza", currency="TZS")
    r = _rows(got)
    assert got.country == "Tanzania" and got.missing == {}
    expect = {"gdp": (79e9, 2023, "USD/yr"), "gdp_growth": (0.055, 2024, "1/yr"),
              "inflation": (0.038, 2023, "1/yr"), "fx_rate": (2600.0, 2024, "TZS/USD"),
              "exports": (12.5e9, 2023, "USD/yr"), "external_debt_service": (2e9, 2023, "USD/yr"),
              "revenue": (11.06e9, 2023, "USD/yr"), "education_budget": (5.6e12, 2022, "TZS/yr"),
              "learners": (14e6, 2022, "learners"), "teachers": (300_000.0, 2022, "teachers"),
              "pv_external_debt": (30e9, 2023, "USD")}
    for name, (value, year, unit) in expect.items():
        assert r[name].value == pytest.approx(value, rel=1e-12), name
        assert (r[name].year, r[name].unit) == (year, unit), name
    assert r["pv_external_debt"].confidence == "L" and "PROXY" in r["pv_external_debt"].source
    # total public expenditure: 5.6e12 TZS / 17% (SE.XPD.TOTL.GB.ZS, 2022) = 32.94e12, so that education's share
    # of it is the published 17%
    assert r["public_expenditure"].value == pytest.approx(5.6e12 / 0.17, rel=1e-12)
    assert (r["public_expenditure"].year, r["public_expenditure"].unit) == (2022, "TZS/yr")
    assert 'NY.GDP.MKTP.CD "GDP (current US$)", 2023' in r["gdp"].source
    assert all(not row.placeholder for row in got.rows)


def test_wdi_without_currency_says_which_fields_need_it() -> None:
    got = imp.read_wdi(WDI, "TZA")
    assert {"fx_rate", "education_budget"} <= set(got.missing)
    assert "--currency" in got.missing["fx_rate"]
    assert "fx_rate" not in got.by_field()


def test_wdi_other_rows_do_not_leak() -> None:
    """RWA has gdp 14e9 and inflation 14% (2023) only; the aggregate AFE row is another 'country'."""
    got = _rows(imp.read_wdi(WDI, "RWA"))
    assert set(got) == {"gdp", "inflation"}
    assert got["gdp"].value == 14e9 and got["inflation"].value == pytest.approx(0.14)
    assert imp.read_wdi(WDI, "ZZZ").rows == ()


def test_wdi_api_download_known_answer() -> None:
    """The API's CSV (BOM, 4 metadata lines, a trailing comma): KEN gdp 2023 100e9, 2024 110e9 -> 110e9 (2024);
    the vintage is the file's Last Updated Date."""
    got = _rows(imp.read_wdi(WDI_API, "KEN"))
    assert (got["gdp"].value, got["gdp"].year) == (110e9, 2024)
    assert "last updated 2025-07-01" in got["gdp"].source


def test_wdi_latin1_file(tmp_path: Path) -> None:
    """A file saved in latin-1 (a spreadsheet's "CSV"), a country name with an accent: read the same."""
    copy = tmp_path / "WDIData.csv"
    copy.write_bytes(WDI.read_text(encoding="utf-8").replace('"Tanzania"', '"Tanzanie, République-Unie"')
                     .encode("latin-1"))
    got = imp.read_wdi(copy, "TZA")
    assert got.country == "Tanzanie, République-Unie" and got.by_field()["gdp"].value == 79e9


# ------------------------------------------------------------------------------------------------ WEO


def test_weo_known_answers() -> None:
    """TZA, Estimates Start After 2023: gdp NGDPD 79.000 bn (2023; 2024's 80.5 is a projection) = 79e9;
    growth and inflation in the last projection year 2030: 6.1% and 3.5%; the United States' PCPIPCH 2030 2.1%;
    revenue GGR_NGDP 15.5% (2023) x 79e9 = 12.245e9; fx NGDP "195,000.000" bn / NGDPD 79 bn = 2,468.354 TZS/USD."""
    got = imp.read_weo(WEO, "TZA", currency="TZS")
    r = _rows(got)
    assert got.country == "Tanzania" and got.missing == {}
    expect = {"gdp": (79e9, 2023), "gdp_growth": (0.061, 2030), "inflation": (0.035, 2030),
              "usd_inflation": (0.021, 2030), "revenue": (12.245e9, 2023), "fx_rate": (195_000 / 79, 2023)}
    for name, (value, year) in expect.items():
        assert r[name].value == pytest.approx(value, rel=1e-12), name
        assert r[name].year == year, name
    assert "(April 2025)" in r["gdp"].source and "(projection)" in r["inflation"].source
    assert r["fx_rate"].unit == "TZS/USD" and "INCLUDING grants" in r["revenue"].source


def test_weo_utf16_without_a_byte_order_mark(tmp_path: Path) -> None:
    """UTF-16 little-endian without a byte-order mark (as some readers of the WEO files assume): the same answers."""
    copy = tmp_path / "WEOApr2025all.xls"
    copy.write_bytes(WEO.read_bytes().decode("utf-16").encode("utf-16-le"))
    assert _rows(imp.read_weo(copy, "TZA"))["gdp"].value == 79e9


def test_weo_latin1_text(tmp_path: Path) -> None:
    """The older WEO files are latin-1 text, not UTF-16: the same answers."""
    copy = tmp_path / "WEOOct2019all.xls"
    copy.write_bytes(WEO.read_bytes().decode("utf-16").replace("Tanzania", "Tanzanía").encode("latin-1"))
    got = imp.read_weo(copy, "TZA")
    assert got.country == "Tanzanía" and got.by_field()["gdp"].value == 79e9


# ------------------------------------------------------------------------------------------------ UIS


def test_uis_known_answers() -> None:
    """TZA: SCHBSP.1.WINTERN 12.5% (2023) -> 0.125; learners E.1 11.1 M + E.23 3.1 M in 2022 (E.23 has no 2023)
    = 14.2 M; teachers T.1 210,000 + T.23 105,000 (2023) = 315,000. The counts are found by their labels."""
    r = _rows(imp.read_uis(UIS, "TZA", labels=UIS_LABELS))
    assert (r["connected_share"].value, r["connected_share"].year) == (0.125, 2023)
    assert (r["learners"].value, r["learners"].year) == (14_200_000, 2022)
    assert (r["teachers"].value, r["teachers"].year) == (315_000, 2023)
    assert "bulk data OPRI" in r["learners"].source


def test_uis_older_upper_case_columns(tmp_path: Path) -> None:
    """Older BDDS releases name the columns in upper case (INDICATOR_ID, COUNTRY_ID, ...): the same answers."""
    copy = tmp_path / "SDG_DATA_NATIONAL.csv"
    lines = UIS.read_text(encoding="utf-8").splitlines()
    copy.write_text("\n".join([lines[0].upper(), *lines[1:]]) + "\n", encoding="utf-8")
    r = _rows(imp.read_uis(copy, "TZA", labels=UIS_LABELS))
    assert r["learners"].value == 14_200_000 and "bulk data SDG" in r["learners"].source


def test_uis_counts_need_the_labels() -> None:
    got = imp.read_uis(UIS, "TZA")
    assert set(got.by_field()) == {"connected_share"}
    assert "--uis-labels" in got.missing["learners"]


# ------------------------------------------------------------------------------------------------ DSA


def test_dsa_known_answers() -> None:
    """Year 2024 (the first year column): gdp "80,500" USD millions = 80.5e9; exports 14e9; revenue 11.5e9;
    pv_external_debt 25% x 80.5e9 = 20.125e9; debt service 12% of exports x 14e9 = 1.68e9 (the exports row first);
    pv_public_debt 40% x 80.5e9 = 32.2e9; risk moderate, capacity medium (the '#' lines)."""
    got = imp.read_dsa(DSA, "TZA")
    r = _rows(got)
    expect = {"gdp": 80.5e9, "exports": 14e9, "revenue": 11.5e9, "pv_external_debt": 20.125e9,
              "external_debt_service": 1.68e9, "pv_public_debt": 32.2e9}
    for name, value in expect.items():
        assert r[name].value == pytest.approx(value, rel=1e-12), name
        assert r[name].year == 2024
    assert (r["debt_risk"].value, r["dsf_capacity"].value) == ("moderate", "medium")
    assert "Table 1. External Debt Sustainability Framework" in r["gdp"].source and "(2025-06)" in r["gdp"].source
    assert got.missing == {}


def test_dsa_year_line(tmp_path: Path) -> None:
    """'# year: 2026': gdp 90,000 M = 90e9; pv_external_debt 27% x 90e9 = 24.3e9."""
    f = tmp_path / "dsa.csv"
    f.write_text(DSA.read_text().replace("# country: TZA", "# country: TZA\n# year: 2026"))
    r = _rows(imp.read_dsa(f, "TZA"))
    assert r["gdp"].value == 90e9 and r["pv_external_debt"].value == pytest.approx(24.3e9)


# ------------------------------------------------------------------------------------------------ Giga


def test_giga_known_answers() -> None:
    """6 schools; connectivity Yes, No, Yes, No, No, (blank): 2 of the 5 known = 0.4; learners 800 + 650 + 900 +
    400 + 350 + 500 = 3,600; teachers missing (one school has none given); the year: the latest collection year
    2024."""
    got = imp.read_giga(GIGA, "TZA")
    r = _rows(got)
    assert (r["schools"].value, r["connected_share"].value, r["learners"].value) == (6, 0.4, 3600)
    assert r["schools"].year == 2024 and "teachers" in got.missing
    assert "1 unknown, left out" in r["connected_share"].source


# ------------------------------------------------------------------------------------- combine and merge


def test_combine_takes_each_field_from_the_preferred_file() -> None:
    """gdp: the DSA's 80.5e9 over WEO's and WDI's 79e9; learners: UIS's 14.2 M over WDI's 14.0 M and the Giga list's
    3,600 (a partial list); connected_share: the Giga list's 0.4 over UIS's 0.125; inflation: WEO's projection."""
    got = imp.combine([imp.read_wdi(WDI, "TZA", currency="TZS"), imp.read_giga(GIGA, "TZA"),
                       imp.read_weo(WEO, "TZA", currency="TZS"), imp.read_dsa(DSA, "TZA"),
                       imp.read_uis(UIS, "TZA", labels=UIS_LABELS)])
    r = got.by_field()
    assert (r["gdp"].value, r["learners"].value, r["connected_share"].value) == (80.5e9, 14_200_000, 0.4)
    assert r["inflation"].value == 0.035 and r["teachers"].value == 315_000
    assert {row.country for row in got.rows} == {"Tanzania"}
    assert set(got.missing) == {"currency", "income_group", "budget_growth", "lending_category"}


def _row(iso3: str, field: str, value: str, placeholder: bool = False) -> dict[str, str]:
    return {"iso3": iso3, "country": iso3, "field": field, "value": value, "unit": "USD/yr", "year": "2024",
            "source": "PLACEHOLDER: x" if placeholder else "a source", "confidence": "L" if placeholder else "H",
            "placeholder": "true" if placeholder else "false"}


def test_merge_never_replaces_a_sourced_value_with_a_placeholder() -> None:
    existing = [_row("AAA", "gdp", "1"), _row("TZA", "gdp", "5"), _row("TZA", "exports", "7", placeholder=True),
                _row("ZZZ", "gdp", "9")]
    new = imp.Imported("x", "TZA", "Tanzania", (
        imp.ProfileRow("TZA", "Tanzania", "gdp", 6.0, "USD/yr", 2025, "PLACEHOLDER: guess", "L", True),
        imp.ProfileRow("TZA", "Tanzania", "exports", 8.0, "USD/yr", 2025, "WDI", "H"),
        imp.ProfileRow("TZA", "Tanzania", "revenue", 3.0, "USD/yr", 2025, "WDI", "H")))
    rows, report = imp.merge_rows(existing, new)
    assert [(r["iso3"], r["field"], r["value"]) for r in rows] == [
        ("AAA", "gdp", "1"), ("TZA", "gdp", "5"), ("TZA", "exports", "8"), ("TZA", "revenue", "3"),
        ("ZZZ", "gdp", "9")]
    assert report.kept == ("gdp",) and [r.field for r in report.written] == ["exports", "revenue"]
    assert "currency" in report.missing and report.placeholders == ()


@given(st.lists(st.tuples(st.sampled_from(["gdp", "exports", "revenue", "inflation"]),
                          st.floats(0, 1e15, allow_nan=False), st.booleans()), max_size=6))
def test_merge_is_idempotent_and_leaves_other_countries(new: list[tuple[str, float, bool]]) -> None:
    """Merging the same import twice gives the rows of merging it once; rows of other countries never change."""
    existing = [_row("AAA", "gdp", "1"), _row("TZA", "gdp", "5"), _row("ZZZ", "exports", "9", placeholder=True)]
    imported = imp.Imported("x", "TZA", "Tanzania", tuple(
        imp.ProfileRow("TZA", "Tanzania", f, v, "USD/yr", 2024, "s", "H", p) for f, v, p in dict(
            (f, (f, v, p)) for f, v, p in new).values()))
    once, _ = imp.merge_rows(existing, imported)
    twice, _ = imp.merge_rows(once, imported)
    assert once == twice
    assert [r for r in once if r["iso3"] != "TZA"] == [r for r in existing if r["iso3"] != "TZA"]


@given(st.floats(-1e17, 1e17, allow_nan=False))
def test_numbers_are_written_back_as_they_were(value: float) -> None:
    """A value written to the CSV reads back within 10 significant digits (whole numbers exactly)."""
    text = imp.ProfileRow("TZA", "T", "gdp", value, "USD/yr", None, "s", "H").as_csv()["value"]
    assert float(text) == pytest.approx(value, rel=1e-9, abs=1e-300)
    if value.is_integer():
        assert float(text) == value and "e" not in text


# ------------------------------------------------------------------------------------------- broken files


def _write(tmp_path: Path, name: str, text: str) -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


BROKEN = [
    # (reader, file text, what the message must say)
    ("wdi", "Country,Code,Series\nTanzania,TZA,x\n", "World Bank WDI"),
    ("wdi", '"Country Name","Country Code","Indicator Name","Indicator Code"\n', "no year columns"),
    ("weo", '"Country Name","Country Code","Indicator Name","Indicator Code","2020"\n', "IMF WEO"),
    ("weo", "WEO Country Code\tISO\tWEO Subject Code\tCountry\t2020\n", "no year, Units or Scale"),
    ("uis", "INDICATOR,COUNTRY,YEAR\nX,TZA,2020\n", "indicator_id, country_id, year, value"),
    ("dsa", "row,unit,2024\ngdp,USD millions,1\n", "no '# title:' line"),
    ("dsa", "# title: T\n# date: 2025\n# table: 1\nrow,unit,2024\ngdp_usd,USD millions,1\n", "unknown row 'gdp_usd'"),
    ("dsa", "# title: T\n# date: 2025\n# table: 1\nrow,unit,2024\ngdp,RWF,1\n", "row 'gdp' has unit 'RWF'"),
    ("dsa", "# title: T\n# date: 2025\n# table: 1\n# country: KEN\nrow,unit,2024\n", "for 'KEN', not 'TZA'"),
    ("dsa", "# title: T\n# date: 2025\n# table: 1\n# year: 2030\nrow,unit,2024\n", "the year 2030"),
    ("dsa", "# title: T\n# date: 2025\n# table: 1\n# debt_risk: severe\nrow,unit,2024\n", "'# debt_risk: severe'"),
    ("giga", "school_id_giga,latitude,longitude\ng1,0,0\n", "Giga / Project Connect school list"),
]


@pytest.mark.parametrize(("reader", "text", "message"), BROKEN, ids=[f"{b[0]}-{j}" for j, b in enumerate(BROKEN)])
def test_a_broken_file_names_the_file_and_what_was_expected(tmp_path: Path, reader: str, text: str,
                                                            message: str) -> None:
    f = _write(tmp_path, f"broken-{reader}.csv", text)
    read = {"wdi": imp.read_wdi, "weo": imp.read_weo, "uis": imp.read_uis, "dsa": imp.read_dsa,
            "giga": imp.read_giga}[reader]
    with pytest.raises(imp.ImportFormatError) as err:
        read(f, "TZA")
    assert str(f) in str(err.value) and message in str(err.value)


def test_a_broken_labels_file_and_a_missing_file(tmp_path: Path) -> None:
    labels = _write(tmp_path, "OPRI_LABEL.csv", "id,label\nE.1,x\n")
    with pytest.raises(imp.ImportFormatError, match="indicator_label_en"):
        imp.read_uis(UIS, "TZA", labels=labels)
    with pytest.raises(imp.ImportFormatError, match="file not found"):
        imp.read_giga(tmp_path / "nothing.csv", "TZA")
    with pytest.raises(imp.ImportFormatError, match="is a folder"):
        imp.read_wdi(tmp_path, "TZA")
    with pytest.raises(imp.ImportFormatError, match="country profiles CSV"):
        imp.read_profile_rows(labels)


# ------------------------------------------------------------------------------------------------ the CLI


@pytest.fixture
def profiles_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """DFL_FINANCE_PROFILES naming a profiles file in tmp_path (not yet written); the caches forgotten after."""
    target = tmp_path / "my_profiles.csv"
    monkeypatch.setenv(PROFILES_ENV, str(target))
    clear_caches()
    yield target
    clear_caches()


def _import_all(target: Path) -> list[str]:
    return ["country", "import", "--country", "TZA", "--currency", "TZS", "--wdi", str(WDI), "--weo", str(WEO),
            "--uis", str(UIS), "--uis-labels", str(UIS_LABELS), "--dsa", str(DSA), "--giga", str(GIGA),
            "--to", str(target)]


def test_country_import_writes_a_profile_that_the_package_reads(profiles_env: Path, capsys) -> None:
    assert main(_import_all(profiles_env)) == 0
    out = capsys.readouterr().out
    assert "TZA Tanzania: wrote 19 field(s)" in out and "still missing" in out and "lending_category" in out
    assert "80,500,000,000" in out  # the DSA's gdp, printed with its year and source
    profile = country_profiles()["TZA"]
    assert profile.currency == "TZS" and profile.number("gdp") == 80.5e9
    assert profile.education_share() == pytest.approx(0.17)  # WDI's education spending over public expenditure
    assert profile.values["gdp"].year == 2024 and not profile.values["gdp"].placeholder
    assert "RWA" in country_profiles()  # the data folder's profiles are still there
    # a second import (one file) updates the rows it fills and keeps the others
    assert main(["country", "import", "--country", "TZA", "--wdi", str(WDI), "--to", str(profiles_env)]) == 0
    clear_caches()
    profile = country_profiles()["TZA"]
    assert profile.number("gdp") == 79e9 and profile.number("connected_share") == 0.4
    assert profile.values["fx_rate"].unit == "TZS/USD"  # the currency read back from the file


def test_a_user_profile_lays_over_the_data_folder(profiles_env: Path) -> None:
    profiles_env.write_text(imp.profile_csv_text([_row("RWA", "gdp", "123")]), encoding="utf-8")
    rwa = country_profiles()["RWA"]
    assert rwa.number("gdp") == 123 and rwa.currency == "RWF"  # one field replaced, the others kept


def test_a_missing_profiles_file_is_an_error(profiles_env: Path) -> None:
    with pytest.raises(DataError, match=PROFILES_ENV):
        country_profiles()


@pytest.mark.slow
def test_validate_and_run_use_the_imported_profile(profiles_env: Path, tmp_path: Path, capsys,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario of the TZA profile (the Kenya domestic plan with country TZA, in TZS, total budget) validates and
    runs only once the profile is imported (over a data folder without the shipped TZA profile)."""
    root = Path(__file__).resolve().parent.parent
    data = tmp_path / "data"
    shutil.copytree(root / "data", data, ignore=shutil.ignore_patterns("raw"))
    lines = (data / "country_profiles.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "country_profiles.csv").write_text("".join(x for x in lines if not x.startswith("TZA,")), encoding="utf-8")
    monkeypatch.setenv("DFL_FINANCE_DATA", str(data))
    text = (root / "scenarios" / "kenya-domestic.toml").read_text(encoding="utf-8")
    text = text.replace('country = "KEN"', 'country = "TZA"').replace('currency = "KES"', 'currency = "TZS"')
    text = "\n".join(line for line in text.splitlines() if not line.startswith("budget_scope"))
    scenario = tmp_path / "tanzania.toml"
    scenario.write_text(text, encoding="utf-8")
    profiles_env.write_text(imp.profile_csv_text([]), encoding="utf-8")
    assert main(["validate", str(scenario)]) == 2
    assert "TZA" in capsys.readouterr().err
    assert main(_import_all(profiles_env)) == 0
    clear_caches()
    assert main(["validate", str(scenario)]) == 0
    assert main(["run", str(scenario), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "summary.csv").exists()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["data"]["user_profiles"][0]["path"] == str(profiles_env.resolve())  # the profiles used


@pytest.mark.parametrize(("argv", "message"), [
    (["--wdi", str(FIX / "WEOApr2025all.xls")], "World Bank WDI"),
    (["--weo", str(FIX / "WDICSV.csv")], "IMF WEO"),
    (["--giga", str(FIX / "nothing.csv")], "file not found"),
    ([], "give at least one file"),
    (["--uis-labels", str(UIS_LABELS)], "--uis-labels: give the UIS data file too"),
])
def test_country_import_errors_exit_2_without_a_traceback(tmp_path: Path, capsys, argv: list[str],
                                                          message: str) -> None:
    code = main(["country", "import", "--country", "TZA", "--to", str(tmp_path / "p.csv"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "p.csv").exists()


def test_country_import_of_a_profiled_country_says_what_the_shipped_profile_gives(tmp_path: Path, capsys) -> None:
    """KEN (a shipped profile, in KES) from the API file: gdp 110e9 (2024); the other fields come from the shipped
    profile, so they are not said to be missing; a --currency other than the file's is refused."""
    target = tmp_path / "p.csv"
    assert main(["country", "import", "--country", "KEN", "--wdi", str(WDI_API), "--to", str(target)]) == 0
    out = capsys.readouterr().out
    assert "KEN Kenya: wrote 1 field(s)" in out and "taken from the other profiles" in out
    assert "still missing" not in out  # the shipped KEN profile has every other field
    assert main(["country", "import", "--country", "KEN", "--wdi", str(WDI), "--currency", "TZS", "--to",
                 str(target)]) == 2
    assert "--currency: TZS, but the country's profile gives KEN the currency KES" in capsys.readouterr().err


def test_country_import_refuses_a_bad_code_and_a_bad_target(tmp_path: Path, capsys) -> None:
    assert main(["country", "import", "--country", "T1", "--wdi", str(WDI)]) == 2
    assert "--country" in capsys.readouterr().err
    other = tmp_path / "other.csv"
    shutil.copy(GIGA, other)
    assert main(["country", "import", "--country", "TZA", "--wdi", str(WDI), "--to", str(other)]) == 2
    assert f"{other}: a country profiles CSV" in capsys.readouterr().err
