"""The budget's own classifications of a scenario (issue 24): each cost line's GFS economic class, COFOG group,
budget type (recurrent or development) and budget code, each source's budget status (on or off budget, domestically
or externally financed) and execution rate, and a user's code list (``[scenario] budget_codes``), read and checked.

The defaults are resolved here, once, so that the outputs and the faces give a line the same class: what the line
writes, else what its template wrote (the template's values are written into the line when it is expanded), else the
default of its kind (:data:`~dfl_finance.vocabulary.DEFAULT_GFS_CLASS`, :data:`~dfl_finance.vocabulary.DEFAULT_COFOG`,
:data:`~dfl_finance.vocabulary.DEFAULT_BUDGET_TYPE`). docs/method.md, *Programme budget lines* and *Budget
execution*.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dfl_finance.errors import Problem, ScenarioError, known
from dfl_finance.vocabulary import (
    BUDGET_CODE_LEVELS,
    BUDGET_CODE_PATTERN,
    DEFAULT_BUDGET_TYPE,
    DEFAULT_COFOG,
    DEFAULT_EXECUTION,
    DEFAULT_GFS_CLASS,
    GAP,
    financed_kind,
)

if TYPE_CHECKING:
    from dfl_finance.inputs.models import CostLine, Programme, Scenario, Source

#: The columns of a code list, in order.
CODE_LIST_COLUMNS = ("code", "level", "name", "parent")
#: A code list is a few hundred rows; anything above this many bytes is refused unread.
MAX_CODE_LIST_BYTES = 5_000_000


# ------------------------------------------------------------------------------------------- the defaults

def economic_class(line: CostLine) -> str:
    """The line's GFS economic class: ``economic_class``, else ``gfs_class`` (its old name), else its kind's."""
    return line.economic_class or line.gfs_class or DEFAULT_GFS_CLASS[line.kind]


def cofog(line: CostLine) -> str:
    """The line's COFOG 09 group: its own (or its template's), else :data:`~dfl_finance.vocabulary.DEFAULT_COFOG`."""
    return line.cofog or DEFAULT_COFOG


def budget_type(line: CostLine) -> str:
    """``recurrent`` or ``development``: the line's own (or its template's), else its kind's."""
    return line.budget_type or DEFAULT_BUDGET_TYPE[line.kind]


def budget_code(programme: Programme, line: CostLine) -> str:
    """The line's budget code: its own, else its programme's, else empty."""
    return line.budget_code or programme.budget_code or ""


def line_execution(line: CostLine) -> float:
    """The share of what the sources plan to pay of the line that is expected to be spent (default 1)."""
    return 1.0 if line.execution is None else float(line.execution)


def source_execution(source: Source) -> float:
    """The share of the source's planned payments expected to be spent: its own, else its kind's default."""
    return DEFAULT_EXECUTION.get(source.kind, 1.0) if source.execution is None else float(source.execution)


def financed(kind: str) -> str:
    """``financed`` of a financing row by the kind of its source: ``domestic`` (the budget, and the instruments that
    are domestic money: a swap's counterpart, a levy) or ``external``; ``gap`` for the gap.

    >>> [financed(k) for k in ("domestic", "levy", "swap", "grant", "loan", "ppp", "gap")]
    ['domestic', 'domestic', 'domestic', 'external', 'external', 'external', 'gap']
    """
    return kind if kind == GAP else "domestic" if financed_kind(kind) == "domestic" else "external"


# ------------------------------------------------------------------------------------------ rules of a file

def classification_problems(sc: Scenario) -> list[Problem]:
    """The rules across fields of the classifications: a line gives ``economic_class`` and its old name
    ``gfs_class`` only if they agree; a domestic source is on budget."""
    out: list[Problem] = []
    for i, p in enumerate(sc.programme):
        for j, c in enumerate(p.cost):
            if c.economic_class is not None and c.gfs_class is not None and c.economic_class != c.gfs_class:
                out.append(Problem(f"programme[{i}].cost[{j}].economic_class", f"differs from gfs_class "
                                   f"({c.gfs_class!r}), its old name: give one of them", c.economic_class))
    for i, s in enumerate(sc.source):
        if s.kind == "domestic" and not s.on_budget:
            out.append(Problem(f"source[{i}].on_budget", "a domestic source pays through the budget: only a "
                               "partner's payments can be off budget", s.on_budget))
    return out


# ------------------------------------------------------------------------------------------- the code list

@dataclass(frozen=True)
class BudgetCode:
    """One row of a code list: the code, its level (:data:`~dfl_finance.vocabulary.BUDGET_CODE_LEVELS`), its name
    and the code of its parent (empty at the top)."""

    code: str
    level: str
    name: str
    parent: str


def parse_code_list(text: str, where: str) -> dict[str, BudgetCode]:
    """The rows of a code list (CSV: code, level, name, parent), by code, checked: the columns, each code's shape,
    the level, no code twice, every parent in the list.

    Raises
    ------
    ScenarioError
        At ``scenario.budget_codes``, naming ``where`` (the file), the line and the value.
    """
    def fail(message: str, value: object = None, has_value: bool = True) -> ScenarioError:
        return ScenarioError([Problem("scenario.budget_codes", f"{where}: {message}", value, has_value)])

    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise fail("empty: a code list has the columns " + ", ".join(CODE_LIST_COLUMNS), has_value=False) from None
    except csv.Error as exc:
        raise fail(f"not CSV: {exc}", has_value=False) from None
    if header != list(CODE_LIST_COLUMNS):
        raise fail("the columns must be " + ", ".join(CODE_LIST_COLUMNS), header)
    rows: dict[str, BudgetCode] = {}
    problems: list[Problem] = []
    pattern = re.compile(BUDGET_CODE_PATTERN)
    try:
        for n, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(CODE_LIST_COLUMNS):
                problems.append(Problem("scenario.budget_codes", f"{where} line {n}: has {len(cells)} cells, not "
                                        f"{len(CODE_LIST_COLUMNS)}", cells))
                continue
            code, level, name, parent = (c.strip() for c in cells)
            if not pattern.match(code) or len(code) > 60:
                problems.append(Problem("scenario.budget_codes", f"{where} line {n}: code must be letters and "
                                        "digits in segments separated by -, . or / (at most 60 characters)", code))
            elif code in rows:
                problems.append(Problem("scenario.budget_codes", f"{where} line {n}: code listed twice", code))
            if level not in BUDGET_CODE_LEVELS:
                problems.append(Problem("scenario.budget_codes", f"{where} line {n}: level must be one of "
                                        f"{known(BUDGET_CODE_LEVELS)}", level))
            rows.setdefault(code, BudgetCode(code, level, name, parent))
    except csv.Error as exc:
        raise fail(f"not CSV: {exc}", has_value=False) from None
    for row in rows.values():
        if row.parent and row.parent not in rows:
            problems.append(Problem("scenario.budget_codes", f"{where}: the parent of {row.code!r} is not in the "
                                    "list", row.parent))
    if problems:
        raise ScenarioError(problems)
    return rows


def code_list_problems(sc: Scenario, codes: dict[str, BudgetCode], where: str) -> list[Problem]:
    """Every budget_code of a programme or a cost line that is not in the code list ``codes`` (read from ``where``)."""
    out: list[Problem] = []
    for i, p in enumerate(sc.programme):
        if p.budget_code is not None and p.budget_code not in codes:
            out.append(Problem(f"programme[{i}].budget_code", f"is not in the code list {where}", p.budget_code))
        for j, c in enumerate(p.cost):
            if c.budget_code is not None and c.budget_code not in codes:
                out.append(Problem(f"programme[{i}].cost[{j}].budget_code", f"is not in the code list {where}",
                                   c.budget_code))
    return out


def check_code_list(sc: Scenario, text: str, where: str) -> None:
    """Check the code list ``text`` (the scenario's ``[scenario] budget_codes``, read from ``where``) and every code
    the scenario uses against it.

    Raises
    ------
    ScenarioError
        The list is malformed (at ``scenario.budget_codes``), or a programme or a line has a code that is not in it
        (at its ``budget_code``); each message names the file and the value.
    """
    problems = code_list_problems(sc, parse_code_list(text, where), where)
    if problems:
        raise ScenarioError(problems)
