"""Conversions between a scenario and what the app's widgets and tables show (no Streamlit here).

Edits are applied to a plain dict (the scenario's TOML structure) and validated with the same loader as files, so
the app has no validation rules of its own; an edit that does not validate leaves the last valid scenario as it was.
Numbers are typed as text and read by :func:`parse_number` (fields and table cells alike): what cannot be read
exactly is refused with a message, never rounded or replaced by a default.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pandas as pd

from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.inputs import paths
from dfl_finance.inputs.docs import TABLES
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.profiles import country_profiles, parse_schedule
from dfl_finance.model.load import apply_overrides, scenario_from_dict

# ------------------------------------------------------------------------------------------------ numbers

NOT_A_NUMBER = "not a number (write e.g. 1500, 1,500, 0.05 or 2e3)"
NOT_WHOLE = "must be a whole number"
REQUIRED = "enter a number"
BAD_GROUPING = ("a comma separates thousands, in groups of three digits before the decimal point (e.g. 1,500,000 "
                "or 1,234.5); write the number with its commas there, or without any")
#: A number written with thousands separators: 1 to 3 digits, then groups of a comma and three digits, then an
#: optional decimal fraction (no exponent: ``1,5e3`` is refused rather than guessed).
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
#: What separates the values of a list in a table cell (a value per year): a semicolon, or a comma and a space; a
#: comma between digits is a thousands separator.
_LIST_SEPARATOR = re.compile(r";|,\s")
_MODELS = dict(TABLES)


def integer_field(table: str, field: str) -> bool | None:
    """Whether a field of the scenario format (``"[context]"``, ``"schools"``) holds an integer (True), another
    number (False) or no number (None), read from the schema.

    Examples
    --------
    >>> integer_field("[context]", "schools"), integer_field("[scenario]", "discount_rate")
    (True, False)
    >>> integer_field("[[source]]", "kind") is None
    True
    """
    annotation = _MODELS[table].model_fields[field].annotation
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        # a number or a list of them (a value per year) is a number field (a list written "1, 2, 3")
        args = [get_args(a)[0] if get_origin(a) is Annotated else a for a in args]
        numbers = [a for a in args if a in (int, float)]
        annotation = numbers[0] if len(numbers) == 1 else None
    return {int: True, float: False}.get(annotation)  # type: ignore[arg-type]


def grouped_field(table: str, field: str) -> bool:
    """Whether a number field is shown with thousands separators: every one but a year (``1,500,000`` but
    ``2026``).

    Examples
    --------
    >>> grouped_field("[context]", "education_budget"), grouped_field("[scenario]", "start_year")
    (True, False)
    """
    extra = _MODELS[table].model_fields[field].json_schema_extra
    return not (isinstance(extra, dict) and extra.get("unit") == "year")


def number_text(value: Any, grouped: bool = False) -> str | None:
    """A number as a text field shows it: exact (the shortest text that reads back as the same float), without a
    trailing ``.0``; ``grouped``: with thousands separators (``792,700,000,000``; a list then separated by ``; ``).
    None (or a table's NaN) is None.

    Examples
    --------
    >>> number_text(29460), number_text(4.5e9), number_text(0.05), number_text(1e18), number_text(float("nan"))
    ('29460', '4500000000', '0.05', '1e+18', None)
    >>> number_text(792_700_000_000.0, grouped=True), number_text(-1234.5, grouped=True)
    ('792,700,000,000', '-1,234.5')
    """
    if isinstance(value, list):  # a value per year
        return ("; " if grouped else ", ").join(number_text(v, grouped) or "" for v in value)
    if value is None or isinstance(value, bool) or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value) if isinstance(value, int) else repr(float(value)).removesuffix(".0")
    if grouped and "e" not in text:  # the digits before the point in groups of three (an exponent stays as it is)
        sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
        whole, point, fraction = digits.partition(".")
        text = f"{sign}{int(whole):,}{point}{fraction}"
    return text


def parse_number(text: Any, integer: bool, optional: bool = True) -> int | float | None:
    """The number typed in a text field or table cell; None for an empty optional one.

    Accepts what Python and TOML read as a number (``2e3``, ``1_500``, surrounding spaces), and thousands separators
    (``792,700,000,000``, ``1,234.5``: commas between groups of three digits, nowhere else); an integer field takes a
    float that is whole (``2e3`` -> 2000). The text is read exactly: a whole number of any size as it is, another
    as the float nearest to it. Ranges are left to the schema, which names them.

    Raises
    ------
    ValueError
        With the message for the user: not a number (also inf and nan), a comma that is not a thousands separator
        (:data:`BAD_GROUPING`: ``1,23`` is refused, never guessed), not a whole number, or empty but required.

    Examples
    --------
    >>> parse_number("2e3", integer=True), parse_number(" 1_500 ", integer=True), parse_number("0.05", False)
    (2000, 1500, 0.05)
    >>> parse_number("792,700,000,000", integer=True), parse_number("1,234.5", integer=False)
    (792700000000, 1234.5)
    >>> parse_number("12.7", integer=True)
    Traceback (most recent call last):
    ValueError: must be a whole number
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        if optional:
            return None
        raise ValueError(REQUIRED)
    if isinstance(text, (int, float)) and not isinstance(text, bool):  # a cell pandas already holds as a number
        text = number_text(text)
    s = str(text).strip()
    if "," in s:
        if not _GROUPED.fullmatch(s):
            raise ValueError(BAD_GROUPING)
        s = s.replace(",", "")
    if integer:  # exactly, through Decimal: int(float("1e30")) would be 1000000000000000019884624838656
        try:
            exact = Decimal(s)
        except InvalidOperation:
            raise ValueError(NOT_A_NUMBER) from None
        if not exact.is_finite() or exact.adjusted() > 308:  # what a float could not hold either
            raise ValueError(NOT_A_NUMBER)
        if exact != exact.to_integral_value():
            raise ValueError(NOT_WHOLE)
        return int(exact)
    try:
        number = float(s)
    except ValueError:
        raise ValueError(NOT_A_NUMBER) from None
    if not math.isfinite(number):
        raise ValueError(NOT_A_NUMBER)
    return number


# ------------------------------------------------------------------------------------------------ labels

# field_label: the words of a field name, from the vocabulary of field paths (one place for the CLI, the
# tables and the app)
field_label = paths.field_label


def where(scenario: Scenario, path: str) -> str:
    """A field path for people (:func:`dfl_finance.inputs.paths.describe`): ``source[1].commitment`` or
    ``source[ida].commitment`` -> ``IDA21 40-year credit: commitment (USD)``, ``context.schools`` -> ``Schools
    (schools)``; a path that does not resolve stays as it is (or its last field in words)."""
    words = paths.describe(scenario, path)
    if words.label == path and not words.unit:  # not a field of this scenario
        return path if "[" in path else field_label(path.rsplit(".", 1)[-1])
    return words.text


def problem_words(scenario: Scenario | dict[str, Any] | None, problem: Problem) -> str:
    """A problem for people: the field's label and unit (:func:`where`) before the message, the path kept in
    brackets (``School connectivity: terminal, unit cost (USD): must be >= 0 (got -5.0) [programme[0].cost[0].
    unit_cost]``); a problem whose path is not a field of ``scenario`` (or without a scenario) as it is."""
    if scenario is None or not problem.path:
        return problem.format()
    try:
        paths.resolve(scenario, problem.path)
    except ScenarioError:
        return problem.format()
    words = paths.describe(scenario, problem.path).text
    return f"{words}: {replace(problem, path='').format()} [{problem.path}]"


def get_path(raw: dict[str, Any], path: str) -> Any:
    """``get_path(d, "programme[1].cost[0].unit_cost")`` in a scenario file's dict (any form of
    :mod:`dfl_finance.inputs.paths`); None where the path does not exist."""
    try:
        return paths.get(raw, path)
    except ScenarioError:
        return None


def set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set a value by field path (creating tables as needed); ``None`` (or a table's NaN) removes the key."""
    if isinstance(value, float) and math.isnan(value):
        value = None
    paths.set_in(raw, path, value)


def raw_of(scenario: Scenario) -> dict[str, Any]:
    """A deep copy of the scenario as the dict a TOML file would hold."""
    return copy.deepcopy(scenario.model_dump(exclude_none=True))


def apply_values(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """A new scenario with ``values`` (by field path) applied; raises :class:`ScenarioError` if invalid.

    The core's :func:`dfl_finance.inputs.paths.apply_overrides`: changing a loan's ``terms`` drops the loan fields that
    came from the old term sheet (the new sheet fills them), unless they are changed in the same edit.
    """
    return apply_overrides(scenario, values)


# ------------------------------------------------------------------------------------------------ tables

PROGRAMME_COLUMNS = ["id", "name", "pillar", "driver", "start_share", "target_share", "target_year", "rollout",
                     "priority", "template", "budget_code"]
LINE_COLUMNS = ["programme", "item", "kind", "unit_cost", "currency", "price_year", "lifetime", "replace_existing",
                "price_trend", "schedule", "source_note", "price_range", "uncertain", "gfs_class", "pay_existing",
                "economic_class", "cofog", "budget_type", "budget_code", "execution"]
SOURCE_COLUMNS = ["id", "name", "kind", "priority", "eligible", "currency", "share_cap", "annual_cap", "commitment",
                  "first_year", "last_year", "terms", "rate", "grace_years", "maturity_years", "repayment",
                  "schedule", "balloon", "commitment_fee", "front_end_fee", "match_sources", "match_ratio",
                  "match_basis", "contract_years", "return_rate", "liability", "budget_share_cap", "charged_to",
                  "partner", "allocation"]


#: Fields of a source that the sources table does not show: a table edit keeps them as they were.
HIDDEN_SOURCE_FIELDS = ("reliability", "disbursement_share", "disbursement_lag", "buy_down", "dli", "on_budget",
                        "execution", "rate_reference", "spread", "creditor", "debt_service", "counterpart_share",
                        "base", "guarantee")


def _text_list(values: Iterable[object] | None) -> str:
    return ", ".join(str(v) for v in values) if values else ""


def _schedule_text(rows: Iterable[tuple[int, int, float]] | None) -> str:
    return "; ".join(f"{k1}-{k2}:{share:g}" for k1, k2, share in rows) if rows else ""


#: The field of the scenario format behind each table column that is not the table's own field.
_COLUMN_FIELDS = {("[[source]]", "match_ratio"): ("[source.match]", "ratio"),
                  ("[[source]]", "match_basis"): ("[source.match]", "basis")}


def number_columns(table: str, columns: list[str]) -> dict[str, bool]:
    """The columns of an editable table that hold numbers, each with whether it is an integer."""
    out = {}
    for col in columns:
        t, f = _COLUMN_FIELDS.get((table, col), (table, col))
        kind = integer_field(t, f) if f in _MODELS[t].model_fields else None
        if kind is not None:
            out[col] = kind
    return out


NUMBERS = {"programmes": number_columns("[[programme]]", PROGRAMME_COLUMNS),
           "lines": number_columns("[[programme.cost]]", LINE_COLUMNS),
           "sources": number_columns("[[source]]", SOURCE_COLUMNS)}


def _as_text(df: pd.DataFrame, numbers: dict[str, bool], table: str) -> pd.DataFrame:
    """Number columns as text, so that a cell typed as ``abc`` reaches :func:`parse_number` as typed; amounts with
    thousands separators (:func:`grouped_field`)."""
    for col in numbers:
        t, f = _COLUMN_FIELDS.get((table, col), (table, col))
        grouped = grouped_field(t, f)
        df[col] = pd.Series([number_text(v, grouped) for v in df[col]], index=df.index, dtype=object)
    return df


#: Columns whose empty cell means "the scenario's default" (its currency, its price year): shown empty, not "None",
#: the page says the default in the column's header and help; an empty cell is left out of the scenario on save.
DEFAULTED_COLUMNS = ("currency", "price_year")


def _defaulted_empty(df: pd.DataFrame) -> pd.DataFrame:
    for col in DEFAULTED_COLUMNS:
        if col in df.columns:
            df[col] = pd.Series(["" if v is None else v for v in df[col]], index=df.index, dtype=object)
    return df


def tables_of(scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The scenario's programmes, cost lines and sources as editable tables (lists and numbers as text; a currency
    or price year that the scenario leaves to its default as an empty text, see :data:`DEFAULTED_COLUMNS`)."""
    progs = pd.DataFrame([{c: getattr(p, c) for c in PROGRAMME_COLUMNS} for p in scenario.programme],
                         columns=PROGRAMME_COLUMNS)
    lines = pd.DataFrame([{"programme": p.id, **{c: getattr(line, c) for c in LINE_COLUMNS[1:]},
                           "schedule": _text_list(line.schedule),
                           "price_range": _text_list([f"{v:g}" for v in line.price_range] if line.price_range
                                                     else None)}
                          for p in scenario.programme for line in p.cost], columns=LINE_COLUMNS)
    sources = pd.DataFrame([{
        **{c: getattr(s, c) for c in SOURCE_COLUMNS if hasattr(s, c) and c not in ("eligible", "schedule")},
        "eligible": _text_list(s.eligible), "schedule": _schedule_text(s.schedule),
        "match_sources": _text_list(s.match.sources) if s.match else "",
        "match_ratio": s.match.ratio if s.match else None,
        "match_basis": s.match.basis if s.match else None,
    } for s in scenario.source], columns=SOURCE_COLUMNS)
    return (_as_text(progs, NUMBERS["programmes"], "[[programme]]"),
            _defaulted_empty(_as_text(lines, NUMBERS["lines"], "[[programme.cost]]")),
            _defaulted_empty(_as_text(sources, NUMBERS["sources"], "[[source]]")))


def _clean(value: Any) -> Any:
    """A table cell as a TOML value: NaN/empty -> None, whole floats in int columns stay as pandas gives them."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _split(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]


def list_parts(text: Any) -> Any:
    """The values of a list typed in a cell (:data:`_LIST_SEPARATOR`: a semicolon, or a comma and a space; a comma
    between digits groups thousands), stripped and without empty parts; anything but text as it is.

    >>> list_parts("1,000, 2,500.5; 3")
    ['1,000', '2,500.5', '3']
    """
    if not isinstance(text, str):
        return text
    return [part.strip() for part in _LIST_SEPARATOR.split(text) if part.strip()]


def _number_list(text: Any, kind: type = int) -> Any:
    """``"2026, 2028"`` -> ``[2026, 2028]`` (numbers of ``kind``); text that is not a list of them stays as typed, for
    the schema to report."""
    items = _split(text)
    if not isinstance(items, list):
        return items
    try:
        return [kind(x) for x in items]
    except ValueError:
        return text  # the schema reports the field with the text as typed


def _row(row: pd.Series, columns: list[str], numbers: dict[str, bool], path: str,
         problems: list[Problem]) -> dict[str, Any]:
    """One table row as a TOML table: empty cells left out, number cells parsed (problems at ``path.column``)."""
    out = {}
    for c in columns:
        value = _clean(row[c])
        if c in numbers and value is not None:
            try:
                if isinstance(value, str) and _LIST_SEPARATOR.search(value):  # a value per year
                    value = [parse_number(part, numbers[c], optional=False)
                             for part in _LIST_SEPARATOR.split(value)]
                else:
                    value = parse_number(value, numbers[c])
            except ValueError as exc:
                problems.append(Problem(f"{path}.{c}", str(exc), value))
                continue
        if value is not None:
            out[c] = value
    return out


def edited_frame(shown: pd.DataFrame, edits: Any) -> pd.DataFrame:
    """The table a data editor shows after ``edits``, its state as Streamlit keeps it (``edited_rows``: row position
    -> {column: value}, ``added_rows``: [{column: value}], ``deleted_rows``: [row position]) over the table it was
    given (``shown``): what ``st.data_editor`` returns, rebuilt where only the state is at hand (a callback).

    >>> df = pd.DataFrame({"id": ["a", "b"], "x": ["1", "2"]})
    >>> edited_frame(df, {"edited_rows": {1: {"x": "5"}}, "added_rows": [{"id": "c"}], "deleted_rows": [0]}).to_dict(
    ...     "list")
    {'id': ['b', 'c'], 'x': ['5', None]}
    """
    out = shown.reset_index(drop=True).copy()
    edits = edits if isinstance(edits, dict) else {}
    for row, changes in (edits.get("edited_rows") or {}).items():
        for column, value in changes.items():
            if column in out.columns:
                out.at[int(row), column] = value
    deleted = {int(r) for r in edits.get("deleted_rows") or []}
    out = out.drop(index=[r for r in deleted if r in out.index])
    added = [{c: row.get(c) for c in out.columns} for row in edits.get("added_rows") or []]
    if added:
        out = pd.concat([out, pd.DataFrame(added, columns=out.columns, dtype=object)], ignore_index=True)
    return out.reset_index(drop=True)


def scenario_from_tables(scenario: Scenario, progs: pd.DataFrame, lines: pd.DataFrame,
                         sources: pd.DataFrame) -> Scenario:
    """A new scenario with the three tables in place of its programmes and sources; raises ScenarioError.

    A programme id changed in the programmes table is changed in the cost lines and the sources' ``eligible``
    lists too. Every problem is reported at once (cells that are not numbers, and what the schema finds in the
    rest), each named by its table, row and column ("cost lines, row 3, unit_cost").
    """
    raw = raw_of(scenario)
    problems: list[Problem] = []
    programmes = []
    for i, row in progs.reset_index(drop=True).iterrows():
        prog = _row(row, PROGRAMME_COLUMNS, NUMBERS["programmes"], f"programme[{i}]", problems)
        prog["cost"] = []
        programmes.append(prog)
    new_ids = [p.get("id") for p in programmes]
    renamed = {old: new for old, new in zip([p.id for p in scenario.programme], new_ids)
               if new and old != new and old not in new_ids}
    by_id = {p.get("id"): (i, p) for i, p in enumerate(programmes)}
    line_rows: dict[str, int] = {}  # "programme[i].cost[k]" -> row of the cost lines table
    for j, (_, row) in enumerate(lines.iterrows()):
        owner = _clean(row["programme"])
        owner = renamed.get(owner, owner)
        if owner not in by_id:
            problems.append(Problem(f"cost lines, row {j + 1}, programme", "no programme with this id in the "
                                    "programmes table", owner))
            continue
        i, prog = by_id[owner]
        where = f"programme[{i}].cost[{len(prog['cost'])}]"
        line_rows[where] = j
        line = _row(row, LINE_COLUMNS[1:], NUMBERS["lines"], where, problems)
        if "schedule" in line:
            line["schedule"] = _number_list(line["schedule"])
        if "price_range" in line:
            line["price_range"] = _number_list(line["price_range"], float)
        if line.get("replace_existing") is False:
            line.pop("replace_existing")
        if line.get("pay_existing") is True:  # the default: leave it out
            line.pop("pay_existing")
        prog["cost"].append(line)
    out_sources = []
    for i, row in sources.reset_index(drop=True).iterrows():
        src = _row(row, SOURCE_COLUMNS, NUMBERS["sources"], f"source[{i}]", problems)
        if "eligible" in src:
            src["eligible"] = [_renamed_cell(e, renamed) for e in _split(src["eligible"])]
        if "schedule" in src:
            try:
                src["schedule"] = [list(r) for r in parse_schedule(src["schedule"])]
            except ValueError:
                problems.append(Problem(f"source[{i}].schedule", "write rows as first-last:share, separated by ; "
                                        "(e.g. 7-31:0.04)", src["schedule"]))
                del src["schedule"]
        sources_text, ratio = src.pop("match_sources", None), src.pop("match_ratio", None)
        basis = src.pop("match_basis", None)
        if sources_text or ratio is not None or basis:
            src["match"] = {"sources": _split(sources_text) or [], **({"ratio": ratio} if ratio is not None else {}),
                            **({"basis": basis} if basis else {})}
        # what the table does not show stays as the scenario has it (the source found by its id)
        before = next((x for x in scenario.source if x.id == src.get("id")), None)
        if before is not None:
            for field in HIDDEN_SOURCE_FIELDS:
                value = getattr(before, field)
                if value is not None and field not in src:
                    src[field] = (value.model_dump(exclude_none=True) if hasattr(value, "model_dump")
                                  else [v.model_dump(exclude_none=True) if hasattr(v, "model_dump") else v
                                        for v in value] if isinstance(value, list)
                                  else value)  # a list of rows ([[source.dli]]) or of numbers
        out_sources.append(src)
    # a programme's own regions (not in the table) stay as the scenario has them (the programme found by its id, or
    # by its old id when the table renamed it)
    old_ids = {new: old for old, new in renamed.items()}
    for prog in programmes:
        was = next((p for p in scenario.programme if p.id == old_ids.get(prog.get("id"), prog.get("id"))), None)
        if was is not None and was.regions is not None and "regions" not in prog:
            prog["regions"] = dict(was.regions)
    raw["programme"] = programmes
    raw["source"] = out_sources
    # a renamed programme or source is renamed in the paths of the [[uncertain]] rows and the [[stress]] sources
    old_sources = [x.id for x in scenario.source]
    new_source_ids = [x.get("id") for x in out_sources]
    renamed_sources = {old: new for old, new in zip(old_sources, new_source_ids)
                       if new and old != new and old not in new_source_ids}
    for row in raw.get("uncertain", []):
        try:
            row["path"] = paths.rename_ids(row["path"], renamed, renamed_sources)
        except ScenarioError:  # a path that does not parse is reported by the schema below
            pass
    for row in raw.get("stress", []):
        if row.get("source") in renamed_sources:
            row["source"] = renamed_sources[row["source"]]
    try:
        new = scenario_from_dict(raw, folder=scenario.folder)  # the files it names stay relative to its folder
    except ScenarioError as exc:  # what the schema finds in the rest, beside the cells already refused
        seen = {p.path for p in problems}
        problems += [p for p in exc.problems if p.path not in seen]
    if problems:
        raise ScenarioError([replace(p, path=_table_path(p.path, line_rows)) for p in problems])
    return new


def _renamed_cell(entry: str, renamed: dict[str, str]) -> str:
    """An ``eligible`` entry (``id`` or ``id:capex``) with a renamed programme id replaced."""
    prog, sep, kind = entry.partition(":")
    return f"{renamed.get(prog, prog)}{sep}{kind}"


def _table_path(path: str, line_rows: dict[str, int]) -> str:
    """A field path of the scenario as the tables show it: ``programme[0].cost[1].unit_cost`` -> ``cost lines,
    row 3, unit_cost``; paths outside the tables stay as they are."""
    try:
        steps = paths.parse_path(path)
    except ScenarioError:
        return path
    head = steps[0]
    if head.field not in ("programme", "source") or len(head.selectors) != 1 or not isinstance(head.selectors[0],
                                                                                                int):
        return path
    line = steps[1] if head.field == "programme" and len(steps) > 1 else None
    if line is not None and line.field == "cost" and len(line.selectors) == 1 and isinstance(line.selectors[0], int):
        key = paths.format_path(steps[:2])
        if key not in line_rows:
            return path
        where, rest = f"cost lines, row {line_rows[key] + 1}", steps[2:]
    else:
        table = "programmes" if head.field == "programme" else "sources"
        where, rest = f"{table}, row {head.selectors[0] + 1}", steps[1:]
    return where + (f", {paths.format_path(rest)}" if rest else "")


def new_from_templates(name: str, country: str, start_year: int, years: int, names: list[str]) -> Scenario:
    """A scenario for ``country`` made of the named templates, paid by the education budget; in the currency of the
    country's profile (which then fills the budget in that currency and the ``[macro]`` inflation and exchange
    rate), in USD when the profile names none.

    Examples
    --------
    >>> new_from_templates("Plan", "KEN", 2026, 10, ["emis"]).scenario.currency
    'KES'
    """
    profile = country_profiles().get(country)
    currency = (profile.currency if profile is not None else None) or "USD"
    raw = {
        "scenario": {"name": name, "country": country, "currency": currency, "start_year": start_year,
                     "years": years},
        "programme": [{"template": t} for t in names],
        "source": [{"id": "mof", "name": "Education budget", "kind": "domestic", "budget_share_cap": 0.05}],
    }
    return scenario_from_dict(raw)
