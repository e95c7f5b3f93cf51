"""The tables every command writes on the bundled scenarios and examples, as a spreadsheet reads them (issue 19):
amounts to the cent, nothing with more than ten decimals (no ``1.000000010744468`` nor ``40000000.010000005``),
and ``summary.csv`` with the label and unit of each metric.

The commands are run once for the module (:mod:`tests.output_hashes`, about 15 s), each in a process of its own as
a user runs them.
"""

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest

from dfl_finance.outputs.formatting import currency_of
from dfl_finance.vocabulary import metric_definition
from tests.output_hashes import write_all

#: Columns that hold amounts of money, by file: at most two decimals (the minor unit of the currencies used).
AMOUNTS = {
    "costs.csv": {"amount"},
    "financing.csv": {"amount"},
    "debt_service.csv": {"disbursed", "interest", "principal", "fees", "outstanding"},
    "fiscal.csv": {"education_budget", "domestic_outlay", "debt_service", "ppp_payments", "recurrent_after_plan",
                   "government_burden", "gap", "domestic_envelope"},
    "incremental.csv": {"value", "baseline_value", "delta"},
    "allocation.csv": {"gap_before", "need", "share", "gap_after"},
    "schools.csv": {"capex", "opex_per_year", "cost_horizon"},
    "segments.csv": {"cost"},
    "portfolio_equity.csv": {"fund_share", "gap_before", "gap_after"},
}
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
