"""What the tool writes: CSV quoting and formula guards, Excel CSVs."""

import csv
import io
import re
import zipfile

import pandas as pd
import pytest

from dfl_finance import dump_scenario, run, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.export import FORMULA_PREFIXES, csv_text, neutralise_text, write_tables, zip_tables
from dfl_finance.results import TABLE_COLUMNS
from tests.conftest import ROOT, small_scenario_dict

BUNDLED = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
NASTY = ["Plan B\r=2+5", "line one\n=HYPERLINK(\"http://x\")", "a\r\n@cmd", "-2+3\n\t+x", 'say "hi", then\n-1',
         "plain", "\r\r=x"]


def _tables(unit_cost: float = 500.0, name: str = "Test") -> dict[str, pd.DataFrame]:
    raw = small_scenario_dict()
    raw["scenario"]["name"] = name
    raw["programme"][0]["cost"][0]["unit_cost"] = unit_cost
    return run(scenario_from_dict(raw)).tables()


def _lines_of_cells(rows: list[list[str]]):
    for row in rows:
        for cell in row:
            yield from re.split(r"\r\n|\r|\n", cell)


# ------------------------------------------------------------------------------------- 1. formula injection
@pytest.mark.parametrize("text, expected", [
    ("Plan B\r=2+5", "Plan B\r'=2+5"),
    ("a\n+b", "a\n'+b"),
    ("=a\n-b\r\n@c", "'=a\n'-b\r\n'@c"),
    ("\r\r=x", "'\r'\r'=x"),
    ("a\nb=c", "a\nb=c"),
])
def test_a_formula_after_a_line_break_is_neutralised(text, expected):
    assert neutralise_text(text) == expected


def _nasty_table() -> pd.DataFrame:
    return pd.DataFrame({"scenario": NASTY, "item": list(reversed(NASTY)), "year": range(2026, 2026 + len(NASTY)),
                         "amount": [1.5, -2.0, 3.25, 0.0, 1e20, float("nan"), 7.0]})


def test_csv_text_cannot_start_a_row_or_a_line_with_a_formula(tmp_path):
    df = _nasty_table()
    write_tables({"summary": df}, tmp_path)
    with open(tmp_path / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == len(df) + 1 and all(len(r) == len(df.columns) for r in rows)
    assert rows[0] == list(df.columns)
    assert [r[0] for r in rows[1:]] == [neutralise_text(t) for t in NASTY]  # the text survives, quoted
    text_cells = [r[:2] for r in rows[1:]]  # the numbers are numbers: "-2.0" is not text
    assert not [line for line in _lines_of_cells(text_cells) if line.startswith(FORMULA_PREFIXES)]
    assert rows[1][3] == "1.5" and rows[2][3] == "-2.0"  # numbers are not text: no quote
    back = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False)
    assert back["item"].tolist() == [neutralise_text(t) for t in reversed(NASTY)]


def test_free_text_with_line_breaks_is_quoted_and_guarded_in_every_line():
    df = pd.DataFrame({"field": ["programme[0].description", "source[0].source_note"],
                       "value": ["Connect schools.\n=cmd|' /C calc'!A0", "IDA\n+ GPE, 2025"]})
    rows = list(csv.reader(io.StringIO(csv_text(df), newline="")))
    assert len(rows) == 3
    assert rows[1][1] == "Connect schools.\n'=cmd|' /C calc'!A0" and rows[2][1] == "IDA\n'+ GPE, 2025"


def test_plain_tables_are_written_as_pandas_writes_them():
    tables = {**_tables(), "comparison": run(scenario_from_dict(small_scenario_dict())).summary_df()}
    for name, df in tables.items():
        assert csv_text(df) == df.to_csv(index=False, lineterminator="\n"), name


def test_the_app_zip_and_the_command_line_write_the_same_csv_bytes(tmp_path):
    tables = {"summary": _nasty_table(), **_tables()}
    write_tables(tables, tmp_path)
    with zipfile.ZipFile(io.BytesIO(zip_tables(tables, {"scenarios": ["Test"]}))) as zf:
        for name in tables:
            assert zf.read(f"{name}.csv") == (tmp_path / f"{name}.csv").read_bytes(), name


def test_the_app_export_page_builds_its_zip_with_the_shared_writer():
    page = (ROOT / "dfl_finance" / "app" / "pages" / "export.py").read_text()
    assert "zip_tables(" in page and "to_csv(" not in page


# ------------------------------------------------------------------------------------- 7. CSVs for Excel
def test_excel_csv_starts_with_a_bom_and_keeps_accents(tmp_path):
    raw = small_scenario_dict()
    raw["scenario"]["name"] = "Côte d'Ivoire: écoles connectées"
    scenario_file = tmp_path / "civ.toml"
    scenario_file.write_text(dump_scenario(scenario_from_dict(raw)), encoding="utf-8")
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "excel"), "--excel-csv"]) == 0
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "plain")]) == 0
    for table in TABLE_COLUMNS:
        data = (tmp_path / "excel" / f"{table}.csv").read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), table
        assert data[3:] == (tmp_path / "plain" / f"{table}.csv").read_bytes()
        back = pd.read_csv(tmp_path / "excel" / f"{table}.csv")
        assert list(back.columns) == TABLE_COLUMNS[table]
        assert set(back["scenario"]) <= {"Côte d'Ivoire: écoles connectées"}
    assert main(["compare", str(scenario_file), "--out", str(tmp_path / "cmp"), "--excel-csv"]) == 0
    assert (tmp_path / "cmp" / "comparison.csv").read_bytes().startswith(b"\xef\xbb\xbf")
