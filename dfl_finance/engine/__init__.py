"""The engine: pure numpy functions, arrays in and arrays out, no I/O and no globals.

Every array carries a leading *draw* axis ``D`` (1 for a deterministic run), then the year axis, then programmes,
cost lines, cells or sources, so Monte Carlo draws and sweeps use the same code path as a single run. The engine
never sees the scenario schema: :mod:`dfl_finance.model.compile` turns a validated scenario into its inputs.

costs -> cells -> allocation (waterfall) -> loans and PPP payments -> fiscal table -> summary metrics
(:func:`~dfl_finance.engine.model.simulate`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Arrays of the engine, by element type.
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike, otherwise: float = np.nan) -> Floats:
    """``numerator / denominator`` where the denominator is positive and the quotient finite; ``otherwise`` (NaN:
    undefined) elsewhere, never inf: a tiny budget that makes a share overflow gives an undefined share.

    >>> ratio([1.0, 1.0, 1e300], [2.0, 0.0, 1e-300]).tolist()
    [0.5, nan, nan]
    """
    num, den = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = num / np.where(den > 0, den, 1.0)
    return np.where((den > 0) & np.isfinite(out), out, otherwise)

