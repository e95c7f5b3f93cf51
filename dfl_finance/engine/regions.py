"""Splitting national amounts and counts by region, so that the regions add up to the nation exactly.

A programme's cost and reach in a year are split over the regions in proportion to the region's weights (its share of
the programme's driver units, or of the school plan's cost and schools): the weights are divided by their sum, and the
parts are rounded to the minor unit (whole units for a count) by the largest-remainder rule, so that the rounded parts
add up to the rounded national figure to the minor unit (docs/method.md, *Regions*).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dfl_finance.engine import Floats

__all__ = ["apportion", "normalised"]


def normalised(weights: npt.ArrayLike) -> Floats:
    """``weights`` (..., R) divided by their sum over the last axis; where they are all zero, equal shares.

    >>> normalised([[1.0, 3.0], [0.0, 0.0]]).tolist()
    [[0.25, 0.75], [0.5, 0.5]]
    """
    w = np.asarray(weights, dtype=float)
    total = w.sum(axis=-1, keepdims=True)
    equal = np.full_like(w, 1.0 / w.shape[-1]) if w.shape[-1] else w
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, w / np.where(total > 0, total, 1.0), equal)


def apportion(totals: npt.ArrayLike, weights: npt.ArrayLike, digits: int) -> Floats:
    """Split each total over the regions (the last axis of ``weights``) in proportion to the weights, the parts
    rounded to ``digits`` decimals so that they add up exactly to the total rounded to ``digits``.

    Parameters
    ----------
    totals : (...) the national figures (an amount [currency], or a count with ``digits = 0``)
    weights : (..., R) the regions' weights, >= 0, broadcast against ``totals``; divided by their sum
    digits : decimals of the parts: the currency's minor unit, 0 for a count

    Returns
    -------
    (..., R) the parts.

    Notes
    -----
    The largest-remainder (Hamilton) rule: in minor units, each region gets the whole part of ``total x share``, and
    the units left over go one each to the regions with the largest fractional parts (ties: the earlier region).

    >>> apportion(100.0, [1.0, 1.0, 1.0], 2).tolist()  # 33.333.. each; the cent left over goes to the first
    [33.34, 33.33, 33.33]
    """
    scale = 10.0 ** digits
    t = np.round(np.asarray(totals, dtype=float) * scale)
    w = normalised(weights)
    t, w = np.broadcast_arrays(t[..., None], w)
    exact = t * w
    base = np.floor(exact)
    left = np.round(t[..., 0] - base.sum(axis=-1))  # 0 .. R - 1 units
    frac = exact - base
    rank = np.argsort(np.argsort(-frac, axis=-1, kind="stable"), axis=-1, kind="stable")
    parts = base + (rank < left[..., None])
    out: Floats = np.round(parts / scale, digits) + 0.0
    return out
