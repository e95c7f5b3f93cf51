"""Fiscal years from calendar years (pure array functions, leading draw axis).

The engine runs by calendar year. A government budgets by fiscal year, which starts in month ``m`` (1-12): fiscal
year *t/t+1* runs from month ``m`` of calendar year ``t`` to month ``m - 1`` of ``t + 1``. A flow without a date
inside its calendar year is spread evenly over its months, so fiscal year *t/t+1* takes (13 - m)/12 of calendar year
``t`` and (m - 1)/12 of calendar year ``t + 1`` (docs/method.md, *Fiscal years*). With ``m = 1`` the two calendars are
the same.
"""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import Floats

#: The months of a year.
MONTHS = 12


def _check_month(start_month: int) -> None:
    if not 1 <= start_month <= MONTHS:
        raise ValueError(f"start_month must be a month, 1 to 12; got {start_month!r}")


def fiscal_year_count(years: int, start_month: int) -> int:
    """How many fiscal years hold ``years`` calendar years: one more unless the fiscal year is the calendar year.

    >>> fiscal_year_count(10, 1), fiscal_year_count(10, 7)
    (10, 11)
    """
    _check_month(start_month)
    return years if start_month == 1 else years + 1


def fiscal_first_year(start_year: int, start_month: int) -> int:
    """The calendar year in which the first fiscal year touching ``start_year`` starts.

    >>> fiscal_first_year(2026, 1), fiscal_first_year(2026, 7)
    (2026, 2025)
    """
    _check_month(start_month)
    return start_year if start_month == 1 else start_year - 1


def to_fiscal_years(values: Floats, start_month: int) -> Floats:
    """Calendar-year flows ``(..., T)`` as fiscal-year flows ``(..., fiscal_year_count(T, start_month))``.

    Index ``k`` of the result is the fiscal year that starts in calendar year
    ``fiscal_first_year(start_year, start_month) + k``. Each calendar year's flow goes (m - 1)/12 to the fiscal year
    that ends in it and (13 - m)/12 to the fiscal year that starts in it; the total over all years is unchanged (to
    the rounding of one multiplication a year).

    Known answer (the issue's): 1,200 a year in 2026 and 2027 with a July start gives 2025/26 600, 2026/27 1,200,
    2027/28 600:

    >>> to_fiscal_years(np.array([[1200.0, 1200.0]]), 7).tolist()
    [[600.0, 1200.0, 600.0]]
    """
    _check_month(start_month)
    values = np.asarray(values, dtype=float)
    if start_month == 1:
        return values.copy()
    ends_in = (start_month - 1) / MONTHS  # share of calendar year t in the fiscal year (t-1)/t
    starts_in = (MONTHS + 1 - start_month) / MONTHS  # share of calendar year t in the fiscal year t/(t+1)
    out = np.zeros(values.shape[:-1] + (values.shape[-1] + 1,))
    out[..., :-1] += values * ends_in
    out[..., 1:] += values * starts_in
    return out


def fiscal_year_label(first_calendar_year: int, start_month: int) -> str:
    """The budget's name of the fiscal year that starts in ``first_calendar_year``: ``"2026/27"``, or ``"2026"`` when
    the fiscal year is the calendar year.

    >>> fiscal_year_label(2026, 7), fiscal_year_label(2099, 4), fiscal_year_label(2026, 1)
    ('2026/27', '2099/00', '2026')
    """
    _check_month(start_month)
    if start_month == 1:
        return str(first_calendar_year)
    return f"{first_calendar_year}/{(first_calendar_year + 1) % 100:02d}"


def fiscal_year_labels(start_year: int, years: int, start_month: int) -> list[str]:
    """The labels of the fiscal years that hold calendar years ``start_year`` to ``start_year + years - 1``.

    >>> fiscal_year_labels(2026, 2, 7)
    ['2025/26', '2026/27', '2027/28']
    """
    first = fiscal_first_year(start_year, start_month)
    return [fiscal_year_label(first + k, start_month) for k in range(fiscal_year_count(years, start_month))]
