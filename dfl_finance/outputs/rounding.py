"""How the tables round, and the rule that makes their published totals add up.

Amounts are written to the minor unit of their currency, unit costs to
:data:`~dfl_finance.vocabulary.PRICE_DIGITS` decimals, shares to :data:`~dfl_finance.vocabulary.SHARE_DIGITS`
(:func:`round_to`). A reader adds up rows and compares them with the totals beside them, so a published total is not
the exact total rounded on its own, which can differ from the sum of the rounded rows by a few minor units:

**The rule of published totals** (:func:`add_up`): a total that a table or the summary publishes is the sum of the
rows it summarises *as they are published* (each rounded), rounded again to remove the float dust of the sum. It
gives the summary's totals (``total_cost`` is the sum of ``costs.csv``'s amounts, ``total_gap`` of the gap rows of
``financing.csv``, ...), ``fiscal.csv``'s debt service, PPP payments and government burden, ``incremental.csv``'s
payments by kind of source, and ``segments.csv``'s cost. A flow whose running total is published too (a loan's
disbursements and repayments, whose ``outstanding`` balance is their running sum) has its rows rounded so that they
add up to its rounded running total (:func:`round_cumulative`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["add_up", "round_cumulative", "round_to"]


def round_to(values: npt.ArrayLike, digits: int) -> np.ndarray:
    """``np.round`` to ``digits`` decimals (exact halves to even); ``-0.0`` becomes ``0.0``."""
    return np.round(np.asarray(values, dtype=float), digits) + 0.0


def add_up(rows: npt.ArrayLike, digits: int, axis: Any = None, *, rounded: bool = True) -> np.ndarray:
    """The rule of published totals: the sum (over ``axis``) of ``rows`` as they are published, each rounded to
    ``digits`` decimals, rounded again to ``digits``; a reader who adds up the published rows finds it to the minor
    unit (see the module's docstring).

    ``rounded=False`` leaves the sum as summed, with its float dust: the summary's metrics of every draw (which the
    summary rounds when it reports them, and the quantiles of which are taken before rounding).

    >>> float(add_up([0.004, 0.004, 0.004], 2)), float(round_to(0.012, 2))  # three rows of 0.00 add up to 0.00
    (0.0, 0.01)
    """
    total = np.sum(round_to(rows, digits), axis=axis)
    return round_to(total, digits) if rounded else np.asarray(total, dtype=float)


def round_cumulative(values: npt.ArrayLike, digits: int) -> np.ndarray:
    """Round a flow (a value a year) so that its running total is the rounded running total of the exact flow:
    each value is within one minor unit of the exact one, and the rounded values add up to the rounded sum (the
    rule of published totals for a flow whose running total is published too)."""
    return round_to(np.diff(round_to(np.cumsum(values), digits), prepend=0.0), digits)
