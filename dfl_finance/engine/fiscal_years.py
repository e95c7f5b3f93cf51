"""Fiscal years beyond the even spread (pure array functions, leading draw axis): budgets given by fiscal year,
stocks at the end of a fiscal year, and payments that fall on their dates.

The even spread of a flow (:func:`dfl_finance.engine.calendar.to_fiscal_years`) is the rule for a flow without a
date inside its calendar year. This module adds the rules for what is not such a flow (docs/method.md, *Fiscal
years*):

- an amount given for fiscal year *b/b+1* (the education budget of ``budget_year``) is read back into calendar year
  ``b`` by the same month-spreading: calendar year ``t`` = (m - 1)/12 of FY *(t-1)/t* + (13 - m)/12 of FY *t/(t+1)*
  (:func:`calendar_from_fiscal_factor`);
- a stock (an outstanding balance, a reach) at the end of fiscal year *t/t+1* is the value at the end of month
  ``m - 1`` of ``t + 1``, interpolated linearly between the two calendar year-ends (:func:`stock_to_fiscal_years`);
- a payment on a date (month ``p``, the 15th) belongs to the fiscal year that contains that month
  (:func:`dated_to_fiscal_years`).
"""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.engine.calendar import MONTHS, fiscal_year_count

#: A loan's payment months when the scenario does not give them: the 15th of June and December for two payments a
#: year (IDA and IBRD), of December for one (docs/method.md, *Fiscal years*).
DEFAULT_PAYMENT_MONTHS: dict[int, tuple[int, ...]] = {1: (12,), 2: (6, 12), 4: (3, 6, 9, 12), 12: tuple(range(1, 13))}


def calendar_from_fiscal_factor(start_month: int, growth: Floats | float) -> Floats:
    """What an amount given for fiscal year *b/b+1* is multiplied by to be the amount of calendar year ``b``.

    Calendar year ``b`` takes (m - 1)/12 of FY *(b-1)/b* and (13 - m)/12 of FY *b/(b+1)*; FY *(b-1)/b* is FY
    *b/(b+1)* taken one year back at ``growth`` (the nominal growth of the amount into ``b``, per draw), so the factor
    is ``(13 - m)/12 + (m - 1)/12 / (1 + growth)``. It is 1 for a calendar fiscal year and for an amount that does
    not grow.

    Known answer: a July start (m = 7) and 10% growth: 6/12 + 6/12 / 1.1 = 0.5 + 0.454545... = 0.954545...

    >>> round(float(calendar_from_fiscal_factor(7, 0.1)), 6), float(calendar_from_fiscal_factor(1, 0.1))
    (0.954545, 1.0)
    """
    if not 1 <= start_month <= MONTHS:
        raise ValueError(f"start_month must be a month, 1 to 12; got {start_month!r}")
    g = np.asarray(growth, dtype=float)
    return np.asarray((MONTHS + 1 - start_month) / MONTHS + (start_month - 1) / MONTHS / (1.0 + g), dtype=float)


def stock_to_fiscal_years(values: Floats, start_month: int, before: Floats | float = 0.0) -> Floats:
    """Year-end stocks ``(..., T)`` (calendar years) as end-of-fiscal-year stocks ``(..., fiscal_year_count(T, m))``.

    The end of fiscal year *t/t+1* is the end of month ``m - 1`` of ``t + 1``: ``(m - 1)/12`` of the way from the
    end of ``t`` to the end of ``t + 1``, interpolated linearly. The first fiscal year (*(s-1)/s*) ends inside the
    first calendar year ``s``: between ``before`` (the stock before the first year) and the end of ``s``; the last
    ends inside the year after the horizon, where the stock is taken as it was at the end of the last year.

    Known answer: 0 before, 100 at the end of 2026, 200 at the end of 2027, July start: end of FY 2025/26 (June 2026)
    50, of 2026/27 150, of 2027/28 200.

    >>> stock_to_fiscal_years(np.array([[100.0, 200.0]]), 7).tolist()
    [[50.0, 150.0, 200.0]]
    """
    values = np.asarray(values, dtype=float)
    if start_month == 1:
        return values.copy()
    w = (start_month - 1) / MONTHS
    lead = np.broadcast_to(np.asarray(before, dtype=float), values.shape[:-1])[..., None]
    prev = np.concatenate([lead, values], axis=-1)  # the stock at the start of each calendar year, then the last
    nxt = np.concatenate([values, values[..., -1:]], axis=-1)
    return np.asarray(prev + w * (nxt - prev), dtype=float)


def fiscal_index_of_month(month: int, start_month: int) -> int:
    """0 when month ``month`` of calendar year ``t`` falls in fiscal year *(t-1)/t*, 1 when in *t/(t+1)* (indices of
    :func:`~dfl_finance.engine.calendar.to_fiscal_years`'s output relative to ``t``).

    >>> fiscal_index_of_month(6, 7), fiscal_index_of_month(12, 7), fiscal_index_of_month(6, 4)
    (0, 1, 1)
    """
    return 1 if start_month == 1 or month >= start_month else 0


def dated_to_fiscal_years(parts: Floats, months: tuple[int, ...], start_month: int) -> Floats:
    """Payments on dates as fiscal-year flows: ``parts`` ``(..., P, T)`` the payment of each date ``months[p]`` in
    each calendar year; each goes whole to the fiscal year that contains its month. With a calendar fiscal year the
    result is the sum over the dates.

    Known answer: an IDA credit paying 40 on 15 June and 60 on 15 December 2026, July start: 40 in FY 2025/26 and 60
    in FY 2026/27.

    >>> dated_to_fiscal_years(np.array([[[40.0], [60.0]]]), (6, 12), 7).tolist()
    [[40.0, 60.0]]
    """
    parts = np.asarray(parts, dtype=float)
    T = parts.shape[-1]
    n = fiscal_year_count(T, start_month)
    out = np.zeros(parts.shape[:-2] + (n,))
    for p, month in enumerate(months):
        k = fiscal_index_of_month(month, start_month) if start_month != 1 else 0
        out[..., k:k + T] += parts[..., p, :]
    return out
