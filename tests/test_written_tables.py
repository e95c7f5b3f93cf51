"""The tables every command writes on the bundled scenarios and examples, as a spreadsheet reads them (issue 19):
amounts to the cent, nothing with more than ten decimals (no ``1.000000010744468`` nor ``40000000.010000005``),
and ``summary.csv`` with the label and unit of each metric.

The commands are run once for the module (:mod:`tests.output_hashes`, about 15 s), each in a process of its own as
a user runs them. Every table they write has the columns that the registry of output tables lists for it
(:mod:`dfl_finance.outputs.tables`).
"""

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest

from dfl_finance.outputs.formatting import currency_of
from dfl_finance.outputs.tables import TABLES
from dfl_finance.vocabulary import metric_definition
from tests.output_hashes import write_all

#: Columns that hold amounts of money, by file: at most two decimals (the minor unit of the currencies used). From the
#: registry of output tables: its money columns.
AMOUNTS = {t.file_name: {c.name for c in t.columns if c.kind == "money"} for t in TABLES.values()}
#: Tables whose ``value`` column is an amount where the row's ``unit`` names a currency.
VALUE_BY_UNIT = {"summary.csv", "comparison.csv", "quantiles.csv", "portfolio_quantiles.csv",
                 "stress_summary.csv"}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def _decimals(cell: str) -> int:
    """The decimals a number written in a cell has (``8.72835e-05``: 10); 0 for text."""
    if not _NUMBER.match(cell):
        return 0
    return max(0, -int(Decimal(cell).as_tuple().exponent))


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("every-command")
    write_all(out)
    return out


def test_no_number_has_more_than_ten_decimals_and_amounts_are_to_the_cent(written):
    problems = []
    for path in sorted(written.rglob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        amounts = AMOUNTS.get(path.name, set())
        for row in rows:
            for column, cell in row.items():
                digits = _decimals(cell)
                money = column in amounts or (path.name in VALUE_BY_UNIT and column in ("value", "baseline",
                                                                                       "delta")
                                              and currency_of(row.get("unit", "")) is not None
                                              and "/" not in row.get("unit", ""))
                if digits > 10 or (money and digits > 2):
                    problems.append((path.relative_to(written), column, cell))
    assert not problems, problems[:20]


def test_summary_has_the_label_and_unit_of_every_metric(written):
    with (written / "run" / "summary.csv").open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["scenario", "metric", "label", "value", "unit"]
        rows = list(reader)
    assert rows and all(r["label"] == metric_definition(r["metric"]).label and r["unit"] for r in rows)


def test_the_workbook_summary_sheet_has_the_labels_too(written):
    from openpyxl import load_workbook

    sheet = load_workbook(written / "run" / "dfl-finance.xlsx", read_only=True)["summary"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:5] == ["scenario", "metric", "label", "value", "unit"]


def test_need_equals_the_gap_before_the_fund_to_the_cent_without_co_financing(written):
    """By need, without co-financing, a country's need is its gap before the fund: equal to the cent."""
    path = written / "portfolio-portfolio-east-africa" / "allocation.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["gap_before"] == r["need"] for r in rows), rows


def _command(folder: str) -> str:
    """The command that wrote an output folder of :func:`tests.output_hashes.commands` (``run-usd``: run)."""
    return {"run-usd": "run", "optimise-draws": "optimise", "schools-linked": "schools"}.get(
        folder, folder.split("-")[0])


def test_every_table_written_has_the_columns_the_registry_lists(written):
    """Each CSV and Parquet file a command writes is a table of the registry written by that command, with the
    registry's columns in its order (with the columns that command puts first); the sweep's draws have the summary
    metrics after them, and their case in the folder's name."""
    import pandas as pd
    import pyarrow.parquet as pq


    def metric(name: str) -> bool:
        try:
            return bool(metric_definition(name))
        except KeyError:
            return False

    by_file = {}
    for t in TABLES.values():
        by_file.setdefault(t.file_name.split("/")[0], []).append(t)
    seen, problems = set(), []
    for path in sorted([*written.rglob("*.csv"), *written.rglob("*.parquet")]):
        rel = path.relative_to(written)
        command = _command(rel.parts[0])
        candidates = [t for t in by_file.get(rel.parts[1], []) if command in {c.split()[0] for c in t.commands}]
        if len(candidates) != 1:
            problems.append(f"{rel}: {len(candidates)} tables of the registry are written by `{command}` there")
            continue
        table = candidates[0]
        seen.add(table.name)
        if path.suffix == ".parquet":
            header = pq.read_schema(path).names
            expected = [n for n in table.names(command) if n not in table.partitioned_by]
        else:
            header = list(pd.read_csv(path, nrows=0).columns)
            expected = table.names(command)
        if table.by_metric:
            extra = header[len(expected):]
            header = header[:len(expected)]
            if not extra or not all(metric(m) for m in extra):
                problems.append(f"{rel}: after its columns, {extra} are not summary metrics")
        if header != expected:
            problems.append(f"{rel}: {header} != the registry's {expected}")
    assert not problems, problems
    # every table is written by some command here, but those that need an option not used
    assert set(TABLES) - seen == {"draws", "assumptions"}
