"""Why a risk run's deterministic figure, its P50 and its mean differ, in words, for the faces (the ``risk`` command's
table, the app's Risk page).

The deterministic run takes each uncertain input at its point (``[risk] point``: its mean, its mode or the value
written in the file); the draws give a metric's distribution, whose median (P50) and mean need not be the
deterministic figure:

- the mean of the draws differs from the deterministic figure at the inputs' means when the metric is not linear in
  its inputs (a cap, a threshold, a gap that is 0 in most draws, a product of a price and an exchange rate): the
  mean of a function is not the function of the means (Jensen's inequality);
- the P50 differs from the mean when the draws are skewed: a long upper tail (a few dear draws) pulls the mean
  above the median;
- at the inputs' modes, the deterministic figure is below the mean when the inputs' distributions have long upper
  tails (their means above their modes).
"""

from __future__ import annotations

import math

#: Two figures are "close" when they differ by at most this share of the larger (or both are 0).
CLOSE = 0.02
#: What the deterministic run takes for the uncertain inputs, by ``[risk] point``.
POINT_WORDS = {"mean": "each uncertain input at its mean", "mode": "each uncertain input at its most likely value",
               "as_written": "each uncertain input at the value written in the file"}


def close(a: float, b: float, tolerance: float = CLOSE) -> bool:
    """Whether ``a`` and ``b`` differ by at most ``tolerance`` of the larger in size (NaN is close to nothing).

    >>> close(100.0, 101.5), close(100.0, 103.0), close(0.0, 0.0)
    (True, False, True)
    """
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def _side(a: float, b: float) -> str:
    return "above" if a > b else "below"


def why_apart(point: str, deterministic: float, p50: float, mean: float) -> str:
    """Why the deterministic figure, the P50 and the mean of the draws of one metric differ, in a few words; ``""``
    when all three are close (:func:`close`).

    Examples
    --------
    >>> why_apart("mean", 100.0, 100.5, 100.2)
    ''
    >>> why_apart("mean", 10.0, 2.0, 25.0).split("; ")  # doctest: +NORMALIZE_WHITESPACE
    ['deterministic below the mean: not linear in its inputs (caps, thresholds, products)',
     'P50 below the mean: skewed draws (a long upper tail)']
    """
    parts = []
    if not close(deterministic, mean):
        side = f"deterministic {_side(deterministic, mean)} the mean"
        parts.append(side + {"mean": ": not linear in its inputs (caps, thresholds, products)",
                             "mode": ": at the inputs' most likely values, not their means"}.get(
                                 point, ": at the file's values, not the centres of the distributions"))
    if not close(p50, mean):
        parts.append(f"P50 {_side(p50, mean)} the mean: skewed draws (a long {'upper' if mean > p50 else 'lower'} "
                     "tail)")
    return "; ".join(parts)
