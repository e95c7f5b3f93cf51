"""The return of an outcome bond to its investor: the internal rate of return of its flows (docs/method.md,
*Outcome bonds*). Pure numpy (scipy's brentq for the root), leading draw axis D."""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.engine.discount import present_value

#: The bracket searched for the rate [a year]: from -99.99% to +1,000%.
IRR_LOW, IRR_HIGH = -0.9999, 10.0


def npv(flows: Floats, rate: float) -> float:
    """The value at the first year of yearly ``flows`` (T,) at ``rate``: ``sum_t flows[t] / (1 + rate) ** t``
    (:func:`~dfl_finance.engine.discount.present_value`, the first year undiscounted)."""
    return float(present_value(np.asarray(flows, dtype=float)[None, :], np.array([rate]))[0])


def internal_rate_of_return(flows: Floats) -> Floats:
    """The internal rate of return of each draw's yearly flows ``flows`` (D, T) [a year]: the rate at which their
    value at the first year (:func:`npv`) is 0, found by Brent's method (``scipy.optimize.brentq``) between
    :data:`IRR_LOW` and :data:`IRR_HIGH`.

    Edges: -1 (the whole investment lost) where money goes out and nothing comes back; NaN where nothing goes out,
    or where the value does not change sign over the bracket (no rate in it).

    Examples
    --------
    50 invested, 25 in each of two years, repaid 60 in the third: ``-25 - 25 x + 60 x^2 = 0`` with ``x = 1/(1+r)``,
    ``x = (5 + sqrt(265)) / 24``, r = 12.79%. 100 returning 110 a year later: 10%.

    >>> internal_rate_of_return(np.array([[-25.0, -25.0, 60.0], [-100.0, 110.0, 0.0]])).round(6).tolist()
    [0.127882, 0.1]
    """
    from scipy.optimize import brentq  # loaded when a scenario has an outcome bond

    flows = np.asarray(flows, dtype=float)
    out = np.full(flows.shape[0], np.nan)
    for d in range(flows.shape[0]):
        f = flows[d]
        if not (f < 0).any():
            continue
        if not (f > 0).any():
            out[d] = -1.0
            continue
        lo, hi = npv(f, IRR_LOW), npv(f, IRR_HIGH)
        if lo == 0.0:
            out[d] = IRR_LOW
        elif np.sign(lo) != np.sign(hi):
            out[d] = brentq(lambda r: npv(f, r), IRR_LOW, IRR_HIGH, xtol=1e-12, rtol=1e-12, maxiter=200)
    return out
