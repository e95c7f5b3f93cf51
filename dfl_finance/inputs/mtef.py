"""The ``[[mtef]]`` rows of a scenario: how a fiscal year is written, and the rules across their fields.

A fiscal year is written as the budget writes it, ``"2026/27"`` (the fiscal year that starts in 2026 and ends in
2027), or as the calendar year in which it starts, ``2026``. With ``[scenario] fiscal_year_start = 1`` the fiscal year
is the calendar year, and its label is ``"2026"``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dfl_finance.errors import Problem

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario

_LABEL = re.compile(r"^(\d{4})/(\d{2})$")
_YEAR = re.compile(r"^\d{4}$")


def fiscal_year_start_of(value: str | int, start_month: int) -> int:
    """The calendar year in which the fiscal year ``value`` starts, or ValueError (a message in words).

    >>> fiscal_year_start_of("2026/27", 7), fiscal_year_start_of(2026, 7), fiscal_year_start_of("2026", 1)
    (2026, 2026, 2026)
    >>> fiscal_year_start_of("2099/00", 4)
    2099
    """
    if isinstance(value, int):
        return value
    text = value.strip()
    if start_month == 1 and _YEAR.match(text):
        return int(text)
    m = _LABEL.match(text)
    if m is None:
        if _YEAR.match(text):
            raise ValueError(f"write the fiscal year as its label, \"{text}/{(int(text) + 1) % 100:02d}\", or as the "
                             f"calendar year in which it starts, a number: {text}")
        raise ValueError("must be a fiscal year's label such as \"2026/27\", or the calendar year in which it starts "
                         "(a number such as 2026)")
    first, second = int(m.group(1)), int(m.group(2))
    if second != (first + 1) % 100:
        raise ValueError(f"a fiscal year ends in the year after it starts: \"{first}/{(first + 1) % 100:02d}\"")
    if start_month == 1:
        raise ValueError(f"the fiscal year is the calendar year ([scenario] fiscal_year_start = 1): write {first}")
    return first


def _label(year: int, start_month: int) -> str:
    """The label of the fiscal year that starts in ``year`` (as engine/calendar.fiscal_year_label)."""
    return str(year) if start_month == 1 else f"{year}/{(year + 1) % 100:02d}"


def fiscal_years_of_plan(sc: Scenario) -> tuple[int, int]:
    """The calendar years in which the first and the last fiscal year that hold a year of the plan start."""
    s = sc.scenario
    first = s.start_year if s.fiscal_year_start == 1 else s.start_year - 1
    return first, sc.end_year


def mtef_problems(sc: Scenario) -> list[Problem]:
    """What is wrong with the ``[[mtef]]`` rows: a fiscal year that is not one or not in the plan, a programme that
    the scenario does not have, two ceilings on the same programme (or on the whole plan) in the same fiscal year."""
    out: list[Problem] = []
    month = sc.scenario.fiscal_year_start
    first, last = fiscal_years_of_plan(sc)
    ids = {p.id for p in sc.programme}
    seen: dict[tuple[int, str | None], int] = {}
    for i, row in enumerate(sc.mtef):
        where = f"mtef[{i}]"
        try:
            year = fiscal_year_start_of(row.fiscal_year, month)
        except ValueError as exc:
            out.append(Problem(f"{where}.fiscal_year", str(exc), row.fiscal_year))
            continue
        if not first <= year <= last:
            out.append(Problem(f"{where}.fiscal_year", f"must be a fiscal year of the plan, "
                               f"{_label(first, month)} to {_label(last, month)}", row.fiscal_year))
        if row.programme is not None and row.programme not in ids:
            out.append(Problem(f"{where}.programme", f"is not a programme of the scenario ({', '.join(sorted(ids))})",
                               row.programme))
        key = (year, row.programme)
        if key in seen:
            what = f"programme {row.programme}" if row.programme else "the whole plan"
            out.append(Problem(f"{where}.fiscal_year", f"a second ceiling on {what} in this fiscal year (also "
                               f"mtef[{seen[key]}])", row.fiscal_year))
        seen.setdefault(key, i)
    return out
