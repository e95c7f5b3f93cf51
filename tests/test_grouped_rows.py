"""GroupedRows: a data file read country by country (issue 21, start-up) gives what a whole-file read gives."""

from __future__ import annotations

import pytest

from dfl_finance.errors import DataError
from dfl_finance.inputs import profiles as P

HEADER = "iso3,country,field,value,unit,year,source,confidence,placeholder\n"


def _whole(path):
    """Every row of the file read by csv.DictReader, grouped by country: the reference."""
    out = {}
    for row in P.read_csv_rows(path):
        out.setdefault(row["iso3"].strip().upper(), {})[row["field"].strip()] = row["value"].strip()
    return out


def test_every_shipped_profile_is_the_whole_file_read():
    path = P.data_dir() / "country_profiles.csv"
    lazy, whole = P._read_profiles(path), _whole(path)
    assert list(lazy) == list(whole)
    for iso3, fields in whole.items():
        got = {f: (v.value if isinstance(v.value, str) else v.value) for f, v in lazy[iso3].values.items()}
        assert got == {f: (v if f in P.TEXT_FIELDS else float(v)) for f, v in fields.items()}, iso3


def test_a_malformed_row_is_reported_with_its_line_when_its_country_is_used(tmp_path):
    path = tmp_path / "profiles.csv"
    path.write_text(HEADER + 'AAA,A,gdp,1.5,USD,2024,"s, with a comma",M,false\n'
                    "BBB,B,gdp,not a number,USD,2024,s,M,false\n", encoding="utf-8")
    profiles = P._read_profiles(path)
    assert "BBB" in profiles and "CCC" not in profiles
    assert profiles["AAA"].number("gdp") == 1.5
    with pytest.raises(DataError, match=r"profiles.csv:3: malformed row"):
        profiles["BBB"]
    with pytest.raises(DataError, match=r"profiles.csv:3: malformed row"):
        dict(profiles)  # reading them all (data-check, the app's list) reports it too


def test_a_quoted_field_across_lines_is_read_as_csv_reads_it(tmp_path):
    path = tmp_path / "profiles.csv"
    path.write_text(HEADER + 'AAA,A,gdp,2,USD,2024,"a source\non two lines",M,false\nbbb,B,gdp,3,USD,,s,L,true\n',
                    encoding="utf-8")
    profiles = P._read_profiles(path)
    assert profiles["AAA"].values["gdp"].source == "a source\non two lines"
    assert profiles["BBB"].values["gdp"].placeholder and profiles["BBB"].number("gdp") == 3.0


def test_price_history_by_currency_is_the_whole_file_read():
    path = P.data_dir() / "price_history.csv"
    data = P._load_macro_data.__wrapped__(str(P.data_dir()))
    cpi, fx = {}, {}
    for row in P.read_csv_rows(path):
        into = cpi if row["series"] == "cpi" else fx if row["series"] == "fx" else None
        if into is not None:
            into.setdefault(row["currency"], {})[int(row["year"])] = float(row["value"])
    assert {c: dict(v) for c, v in data.cpi.items()} == cpi
    assert {c: {y: o.value for y, o in v.items()} for c, v in data.fx.items()} == fx
    assert data.fx.get("no such currency", {}) == {} and "USD" in data.cpi
