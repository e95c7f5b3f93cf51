"""The plan in the budget's own format: the MTEF table (``mtef.csv``) and the budget submission workbook
(``budget.xlsx``) of ``dfl-finance budget`` and the app's Export page.

Three steps, each a function:

1. :func:`budget_lines`: the plan's cost of every cost line in every calendar year, split by who finances it, with the
   budget's classification of the line (economic class, COFOG, budget type, budget code) and of its financing
   (domestic, external or the gap; on or off budget). The classification is the one of costs.csv and
   financing.csv (:mod:`dfl_finance.inputs.budget`: a line's own, its template's or its kind's default).
2. :func:`mtef_df`: those amounts in fiscal years (:func:`~dfl_finance.engine.calendar.to_fiscal_years`, the
   (13 - m)/12 rule), over the MTEF's three fiscal years, with the scenario's ``[[mtef]]`` ceilings and what does
   not fit under them.
3. :func:`budget_sheets` and :func:`budget_xlsx_bytes`: the workbook a ministry's budget template would hold.

docs/method.md, *The MTEF and the budget submission*, states the rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dfl_finance.engine.calendar import fiscal_first_year, fiscal_year_count, fiscal_year_label, to_fiscal_years
from dfl_finance.errors import OptionError
from dfl_finance.inputs import budget
from dfl_finance.inputs.mtef import fiscal_year_start_of
from dfl_finance.outputs.export import workbook_bytes, write_rows
from dfl_finance.outputs.rounding import add_up, round_to
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import BUDGET_TYPES, FINANCED, GAP, GFS_CLASSES, GFS_CODES, MTEF_YEARS, PRICE_BASES
from dfl_finance.vocabulary import MTEF_TOTAL as TOTAL
from dfl_finance.vocabulary import VERSION as __version__

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from dfl_finance.inputs.models import Scenario
    from dfl_finance.outputs.result import Result

#: The basis of an MTEF's ceilings in current prices: current prices in the local currency.
NOMINAL_LCU = "nominal-lcu"
#: The columns of budget_lines (calendar years, one row per line, year and financing).
LINE_COLUMNS = ["year", "programme", "item", "budget_code", "economic_class", "cofog", "budget_type", "financed",
                "on_budget", "amount"]
#: The classification columns of a cost line, as costs.csv names them.
LINE_CODES = ("economic_class", "cofog", "budget_type", "budget_code")
#: What mtef.csv groups by, in its order.
KEYS = ["budget_code", "programme", "economic_class", "budget_type", "financed"]


def gfs_code(economic_class: str) -> str:
    """The GFSM 2014 code of a cost line's economic class: 2x for an expense, 31 for nonfinancial assets.

    >>> gfs_code("compensation_of_employees"), gfs_code("use_of_goods_and_services"), gfs_code("nonfinancial_assets")
    ('21', '22', '31')
    """
    account = "nonfinancial_assets" if economic_class == "nonfinancial_assets" else "expense"
    return GFS_CODES.get((account, economic_class), "")


def line_codes(result: Result) -> pd.DataFrame:
    """One row per cost line (file order): programme, item, and its budget classification (:data:`LINE_CODES`), as
    costs.csv gives it (:mod:`dfl_finance.inputs.budget`: the line's own, its template's, or the default)."""
    lines = [(p, c) for p in result.scenario.programme for c in p.cost]
    return pd.DataFrame({
        "programme": [p.id for p, _ in lines], "item": [c.item for _, c in lines],
        "budget_code": [budget.budget_code(p, c) for p, c in lines],
        "economic_class": [budget.economic_class(c) for _, c in lines],
        "cofog": [budget.cofog(c) for _, c in lines],
        "budget_type": [budget.budget_type(c) for _, c in lines],
    }, columns=["programme", "item", *LINE_CODES])


def budget_lines(result: Result) -> pd.DataFrame:
    """The plan's cost of every cost line in every calendar year of the plan, by who finances it (:data:`LINE_COLUMNS`),
    in the result's price basis and currency, not rounded.

    Sources pay cost cells (a programme's capex or opex), not lines: a line is financed in the shares its cell is
    (the cell's rows of financing.csv over their sum), as in the GFS accounts (docs/method.md, *Fiscal accounts in
    GFS terms*). Each line's amounts over its financing add up to its cost in costs.csv.
    """
    costs = result.costs_df()
    codes = line_codes(result)
    n_lines = len(codes)
    costs = costs.assign(line=np.tile(np.arange(n_lines), len(costs) // max(n_lines, 1)))
    costs = costs[["year", "programme", "cost_kind", "line", "amount"]].merge(
        codes.drop(columns="programme"), left_on="line", right_index=True)
    fin = result.financing_df()
    fin = fin.assign(on_budget=fin["on_budget"].map(_true))
    cell = ["year", "programme", "cost_kind"]
    share = fin.groupby([*cell, "financed", "on_budget"], sort=False, as_index=False)["amount"].sum()
    whole = share.groupby(cell, sort=False)["amount"].transform("sum")
    share["share"] = np.where(whole > 0, share["amount"] / whole.where(whole > 0, 1.0), 0.0)
    out = costs.merge(share.drop(columns="amount"), on=cell, how="left")
    unpaid = out["share"].isna()  # a cell that costs something no source and no gap row covers (rounded away)
    out.loc[unpaid, "financed"], out.loc[unpaid, "on_budget"], out.loc[unpaid, "share"] = GAP, True, 1.0
    out["amount"] = out["amount"].to_numpy(dtype=float) * out["share"].to_numpy(dtype=float)
    out["on_budget"] = out["on_budget"].astype(bool)
    out = out.sort_values(["year", "line"], kind="stable", ignore_index=True)
    return out[LINE_COLUMNS]


def _true(value: object) -> bool:
    """A table's on_budget cell as a bool: False only when it says so (False, "false", 0, "no"); an empty cell (the
    gap's row, which no source pays) is on budget."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return not (value is False or str(value).strip().lower() in ("false", "0", "no"))


def _order(values: Sequence[str], known: Sequence[str]) -> list[str]:
    """``values`` (distinct) in the order of ``known``, the others after them by name."""
    seen = list(dict.fromkeys(values))
    return [v for v in known if v in seen] + sorted(v for v in seen if v not in known)


def _fiscal_mean(values: np.ndarray, month: int) -> np.ndarray:
    """A calendar-year rate or index (Y,) as its fiscal years' weighted mean (the (13 - m)/12 weights), over the
    calendar years of the plan that each fiscal year holds."""
    weight = to_fiscal_years(np.ones((1, len(values))), month)[0]
    return np.asarray(to_fiscal_years(np.asarray(values, dtype=float)[None, :], month)[0] / weight, dtype=float)


def ceilings(result: Result) -> dict[tuple[int, str | None], float]:
    """The scenario's ``[[mtef]]`` ceilings in the result's price basis and currency, by (the calendar year in which
    the fiscal year starts, programme id or None for the whole plan).

    A ceiling in constant prices is the plan's own basis (real-lcu); one in current prices is brought to it by the
    fiscal year's mean price level (the calendar years' factors weighted (13 - m)/12 and (m - 1)/12, as the flows).
    """
    sc = result.scenario
    month, start, years = sc.scenario.fiscal_year_start, sc.scenario.start_year, sc.scenario.years
    prices = result.inputs.prices
    factor = _fiscal_mean(prices.basis_factor(PRICE_BASES.index(result.basis), years)[result.draw], month)
    nominal = _fiscal_mean(prices.basis_factor(PRICE_BASES.index(NOMINAL_LCU), years)[result.draw], month)
    first = fiscal_first_year(start, month)
    out: dict[tuple[int, str | None], float] = {}
    for row in sc.mtef:
        year = fiscal_year_start_of(row.fiscal_year, month)
        k = year - first
        real = row.ceiling if row.prices == "constant" else row.ceiling / nominal[k]
        out[(year, row.programme)] = float(real * factor[k])
    return out


def plan_fiscal_years(sc: Scenario) -> dict[str, int]:
    """The fiscal years that hold a year of the plan: each one's label and the calendar year in which it starts.

    >>> from types import SimpleNamespace as N
    >>> plan_fiscal_years(N(scenario=N(start_year=2026, years=2, fiscal_year_start=7)))
    {'2025/26': 2025, '2026/27': 2026, '2027/28': 2027}
    """
    s = sc.scenario
    first = fiscal_first_year(s.start_year, s.fiscal_year_start)
    return {fiscal_year_label(first + k, s.fiscal_year_start): first + k
            for k in range(fiscal_year_count(s.years, s.fiscal_year_start))}


def mtef_window(result: Result, first_year: int | None = None, years: int = MTEF_YEARS) -> list[int]:
    """The calendar years in which the MTEF's fiscal years start: ``years`` of them from ``first_year`` (default: the
    first fiscal year of the plan), cut to the fiscal years that hold a year of the plan."""
    s = result.scenario.scenario
    first = fiscal_first_year(s.start_year, s.fiscal_year_start)
    last = first + fiscal_year_count(s.years, s.fiscal_year_start) - 1
    start = first if first_year is None else first_year
    if not first <= start <= last:
        labels = "" if s.fiscal_year_start == 1 else (f" ({fiscal_year_label(first, s.fiscal_year_start)} to "
                                                      f"{fiscal_year_label(last, s.fiscal_year_start)})")
        raise OptionError("first_year", f"{start}: the fiscal years of the plan start in {first} to {last}{labels}")
    return list(range(start, min(start + years, last + 1)))


def mtef_df(result: Result, first_year: int | None = None, years: int = MTEF_YEARS) -> pd.DataFrame:
    """The MTEF table (mtef.csv): the plan's on-budget cost in the MTEF's fiscal years by budget code, programme,
    economic class, budget type and financing, and for each programme and for the whole plan its total against its
    ceiling.

    Rows of each fiscal year: every programme's non-zero amounts (``ceiling`` and ``over_ceiling`` empty), then its
    total (``economic_class``, ``budget_type`` and ``financed`` are ``total``) with its ceiling and ``over_ceiling``,
    what does not fit under it (0 when it fits; empty without a ceiling); after the programmes the plan's total
    (``budget_code`` and ``programme`` are ``total`` too) against the sector's ceiling. Amounts are rounded to the
    minor unit; a total is the sum of the rows above it as written (they add up to the minor unit).
    """
    sc = result.scenario
    month = sc.scenario.fiscal_year_start
    window = mtef_window(result, first_year, years)
    first = fiscal_first_year(sc.scenario.start_year, month)
    digits = result.digits
    lines = budget_lines(result)
    lines = lines[lines["on_budget"]]
    Y = sc.scenario.years
    programmes = [p.id for p in sc.programme]
    classes = _order(list(lines["economic_class"]), GFS_CLASSES)
    types = _order(list(lines["budget_type"]), BUDGET_TYPES)
    financed = _order(list(lines["financed"]), FINANCED)
    limits = ceilings(result)
    codes = line_codes(result)
    # each group's cost in every fiscal year, rounded to the minor unit
    fiscal: dict[tuple[str, ...], np.ndarray] = {}
    for key, df in lines.groupby(KEYS, sort=False):
        calendar = np.zeros(Y)
        np.add.at(calendar, df["year"].to_numpy(dtype=np.int64) - sc.scenario.start_year,
                  df["amount"].to_numpy(dtype=float))
        fiscal[tuple(str(v) for v in key)] = round_to(to_fiscal_years(calendar[None, :], month)[0], digits)
    order = sorted(fiscal, key=lambda key: (programmes.index(key[1]), classes.index(key[2]), types.index(key[3]),
                                             financed.index(key[4]), key[0]))
    rows: list[dict[str, object]] = []
    for year in window:
        label = fiscal_year_label(year, month)
        k = year - first
        plan_total: list[float] = []
        for pid in programmes:
            cells: list[float] = []
            for key in (key for key in order if key[1] == pid):
                amount = float(fiscal[key][k])
                if amount != 0.0:
                    cells.append(amount)
                    rows.append({"fiscal_year": label, **dict(zip(KEYS, key)), "amount": amount})
            total = float(add_up(np.array(cells), digits)) if cells else 0.0
            plan_total.append(total)
            own = list(dict.fromkeys(codes.loc[codes["programme"] == pid, "budget_code"]))
            code = own[0] if len(own) == 1 else pid
            rows.append(_total_row(label, code, pid, total, limits.get((year, pid)), digits))
        total = float(add_up(np.array(plan_total), digits)) if plan_total else 0.0
        rows.append(_total_row(label, TOTAL, TOTAL, total, limits.get((year, None)), digits))
    df = pd.DataFrame(rows, columns=[c for c in columns("mtef") if c not in ("price_basis", "currency")])
    for col in ("amount", "ceiling", "over_ceiling"):
        df[col] = df[col].astype(float)
    df["price_basis"] = result.basis
    df["currency"] = result.currency
    return df[columns("mtef")]


def _total_row(label: str, code: str, programme: str, amount: float, ceiling: float | None,
               digits: int) -> dict[str, object]:
    """A total of mtef.csv: the amount, its ceiling and what does not fit under it (empty without a ceiling)."""
    limit = float(round_to(ceiling, digits)) if ceiling is not None else math.nan
    over = float(round_to(max(amount - limit, 0.0), digits)) if ceiling is not None else math.nan
    return {"fiscal_year": label, "budget_code": code, "programme": programme, "economic_class": TOTAL,
            "budget_type": TOTAL, "financed": TOTAL, "amount": amount, "ceiling": limit, "over_ceiling": over}


# --------------------------------------------------------------------------------------------------- workbook
#: The sheets of budget.xlsx, in order.
SHEETS = ("README", "MTEF", "Split", "Codes", "Sources")


def _is_detail(df: pd.DataFrame) -> pd.Series:
    """The rows of mtef.csv that are not totals."""
    return df["economic_class"] != TOTAL


def _wide(df: pd.DataFrame, index: list[str], labels: list[str], digits: int) -> pd.DataFrame:
    """``amount`` by ``index`` x fiscal year (``labels`` in order), with a ``total`` column over the years; the
    totals add up the rounded cells."""
    if df.empty:
        return pd.DataFrame(columns=[*index, *labels, TOTAL])
    wide = df.pivot_table(index=index, columns="fiscal_year", values="amount", aggfunc="sum", sort=False,
                          fill_value=0.0).reindex(columns=labels, fill_value=0.0).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    for label in labels:
        wide[label] = round_to(wide[label].to_numpy(dtype=float), digits)
    wide[TOTAL] = add_up(wide[labels].to_numpy(dtype=float), digits, axis=1)
    return wide


def _sum_row(wide: pd.DataFrame, labels: list[str], digits: int, **text: str) -> dict[str, object]:
    return {**text, **{c: float(add_up(wide[c].to_numpy(dtype=float), digits)) for c in [*labels, TOTAL]}}


def budget_sheets(result: Result, mtef: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The sheets of budget.xlsx as tables (README first): the MTEF by programme x economic class x fiscal year with
    each programme's total, ceiling and what is over it and the plan's; the recurrent/development x domestic/external
    split; the codes of every cost line and of every source. Every total is the sum of the cells above it as written,
    and equals mtef.csv's total rows."""
    sc, digits = result.scenario, result.digits
    labels = list(dict.fromkeys(mtef["fiscal_year"]))
    detail = mtef[_is_detail(mtef)]
    totals = mtef[~_is_detail(mtef)]
    rows: list[dict[str, object]] = []
    by_class = _wide(detail, ["budget_code", "programme", "economic_class"], labels, digits)
    for pid in [*(p.id for p in sc.programme), TOTAL]:
        mine = by_class if pid == TOTAL else by_class[by_class["programme"] == pid]
        own = totals[totals["programme"] == pid]
        code = str(own["budget_code"].iloc[0]) if len(own) else pid
        if pid != TOTAL:
            rows += [{str(k): v for k, v in r.items()} for r in mine.to_dict("records")]
        rows.append(_sum_row(mine, labels, digits, budget_code=code, programme=pid, economic_class=TOTAL))
        for what, column in (("ceiling", "ceiling"), ("over ceiling", "over_ceiling")):
            values = own.set_index("fiscal_year")[column].reindex(labels)
            if values.notna().any():
                shown = values.dropna().to_numpy(dtype=float)
                rows.append({"budget_code": code, "programme": pid, "economic_class": what,
                             **{str(lab): float(v) for lab, v in values.items()},
                             TOTAL: float(add_up(shown, digits)) if values.notna().all() else math.nan})
    mtef_sheet = pd.DataFrame(rows, columns=["budget_code", "programme", "economic_class", *labels, TOTAL])
    split = _wide(detail, ["budget_type", "financed"], labels, digits)
    types = _order(list(split["budget_type"]), BUDGET_TYPES)
    financed = _order(list(split["financed"]), FINANCED)
    split = split.assign(_t=[types.index(t) for t in split["budget_type"]],
                         _f=[financed.index(f) for f in split["financed"]]).sort_values(["_t", "_f"]).drop(
        columns=["_t", "_f"])
    srows: list[dict[str, object]] = [{str(k): v for k, v in r.items()} for r in split.to_dict("records")]
    for t in types:
        srows.append(_sum_row(split[split["budget_type"] == t], labels, digits, budget_type=t, financed=TOTAL))
    for f in financed:
        srows.append(_sum_row(split[split["financed"] == f], labels, digits, budget_type=TOTAL, financed=f))
    srows.append(_sum_row(split, labels, digits, budget_type=TOTAL, financed=TOTAL))
    split_sheet = pd.DataFrame(srows, columns=["budget_type", "financed", *labels, TOTAL])
    codes = line_codes(result)
    codes["gfs_code"] = [gfs_code(c) for c in codes["economic_class"]]
    codes = codes[["programme", "item", "budget_code", "economic_class", "gfs_code", "cofog", "budget_type"]]
    sources = pd.DataFrame({
        "source": [s.id for s in sc.source], "name": [s.label for s in sc.source], "kind": [s.kind for s in sc.source],
        "financed": [budget.financed(s.kind) for s in sc.source],
        "on_budget": [s.on_budget for s in sc.source]},
        columns=["source", "name", "kind", "financed", "on_budget"])
    month = sc.scenario.fiscal_year_start
    readme = pd.DataFrame({"item": ["scenario", "price basis", "currency", "fiscal year", "fiscal years", "rule",
                                     "ceilings", "totals", "written by"], "value": [
        sc.name, result.basis, result.currency,
        f"starts in month {month}" + (" (the calendar year)" if month == 1 else ""),
        ", ".join(labels),
        "a calendar year's cost is spread evenly over its months: fiscal year t/t+1 starting in month m takes "
        "(13 - m)/12 of calendar year t and (m - 1)/12 of t + 1 (docs/method.md, Fiscal years)",
        "the scenario's [[mtef]] rows, in this basis; over ceiling: what does not fit under the ceiling (0: it fits)",
        "every total is the sum of the cells above it as written, to the minor unit, and equals mtef.csv's total rows",
        f"dfl-finance {__version__}"]})
    return {"README": readme, "MTEF": mtef_sheet, "Split": split_sheet, "Codes": codes, "Sources": sources}


def _write_sheet(ws: Worksheet, df: pd.DataFrame, money: set[str], digits: int, frozen: str) -> None:
    """A sheet: a bold, frozen header row (and the text columns left of ``frozen``), money cells to the minor unit
    with thousands separators, total rows in bold, widths fitted to the content."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    names = [str(c) for c in df.columns]
    write_rows(ws, [names, *([v.item() if isinstance(v, np.generic) else v for v in record]
                             for record in df.itertuples(index=False))])
    widths = [len(n) for n in names]
    for i, cells in enumerate(ws.iter_rows(), start=1):
        total = i > 1 and any(c.value in (TOTAL, "ceiling", "over ceiling") for c in cells[:3])
        for j, cell in enumerate(cells):
            if i == 1 or total:
                cell.font = bold
            if names[j] in money and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
            shown = f"{cell.value:,.{digits}f}" if isinstance(cell.value, float) else str(cell.value or "")
            widths[j] = max(widths[j], min(len(shown), 80))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w + 2
    ws.freeze_panes = frozen


def budget_xlsx_bytes(result: Result, mtef: pd.DataFrame) -> bytes:
    """budget.xlsx (:func:`budget_sheets`), the same bytes for the same tables."""
    from openpyxl import Workbook

    sheets = budget_sheets(result, mtef)
    labels = list(dict.fromkeys(mtef["fiscal_year"]))
    money = {*labels, TOTAL}
    wb = Workbook()
    wb.remove(wb.active)
    frozen = {"README": "A2", "MTEF": "D2", "Split": "C2", "Codes": "C2", "Sources": "B2"}
    for name, df in sheets.items():
        _write_sheet(wb.create_sheet(name), df, money, result.digits, frozen[name])
    return workbook_bytes(wb)


def overview(result: Result, mtef: pd.DataFrame) -> pd.DataFrame:
    """The MTEF sheet's totals, ceilings and what is over them, by programme and for the plan (what the command line
    prints and the app shows first)."""
    sheet = budget_sheets(result, mtef)["MTEF"]
    return sheet[sheet["economic_class"].isin([TOTAL, "ceiling", "over ceiling"])].reset_index(drop=True)
