"""Prices and exchange rates: the paths that turn constant-price local currency into the other bases, and back.

The engine works in constant prices of the base year ``b`` (``price_year``) in the local currency (``real-lcu``).
Every path here lives on one year axis, ``N`` years from an origin year (the earliest year an input refers to) to
the last year of the extended horizon; :attr:`Prices.start` is the position of ``start_year`` on it. Price indices
are 1 in the base year.

Conversions (per draw and year, ``I`` the local price index, ``U`` the US price index, ``X`` local currency per
USD):

- ``nominal-lcu = real-lcu x I``
- ``nominal-usd = nominal-lcu / X``
- ``real-usd = nominal-usd / U``
- the real exchange rate ``rer = (X / X_b) x U / I`` (1 in the base year): the local cost of a USD-priced item in
  constant prices moves with it.

Pure numpy; leading draw axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.engine.discount import discount_factors
from dfl_finance.vocabulary import PRICE_BASES

REAL_LCU, NOMINAL_LCU, NOMINAL_USD, REAL_USD = (PRICE_BASES.index(b) for b in
                                                ("real-lcu", "nominal-lcu", "nominal-usd", "real-usd"))


def index_from_rates(rates: Floats, anchor: int) -> Floats:
    """A price index from year-on-year rates, 1 at position ``anchor``.

    ``rates[:, j]`` is the change from year ``j - 1`` to year ``j`` (``rates[:, 0]`` is not used).

    Examples
    --------
    >>> index_from_rates(np.array([[0.0, 0.1, 0.1]]), 1).round(12).tolist()
    [[0.909090909091, 1.0, 1.1]]
    """
    rates = np.asarray(rates, dtype=float)
    growth = np.concatenate([np.zeros((rates.shape[0], 1)), np.log1p(rates[:, 1:])], axis=1)
    level = np.cumsum(growth, axis=1)
    return np.asarray(np.exp(level - level[:, [anchor]]), dtype=float)


@dataclass(frozen=True)
class Prices:
    """The price and exchange-rate paths of one scenario (or of each draw), on one year axis.

    ``lcu`` and ``usd`` are price indices (1 in the base year), ``fx`` the nominal rate in local currency per USD;
    all (D, N). ``start`` is the position of start_year, ``base`` that of the base year.
    """

    lcu: Floats
    usd: Floats
    fx: Floats
    start: int
    base: int

    @property
    def draws(self) -> int:
        return int(self.lcu.shape[0])

    def window(self, a: Floats, years: int) -> Floats:
        """``a`` (D, N) over ``years`` years from start_year (D, years)."""
        if self.start + years > a.shape[1]:
            raise ValueError(f"the price paths end before year index {years - 1}")
        return a[:, self.start:self.start + years]

    @property
    def fx_base(self) -> Floats:
        """Local currency per USD in the base year (D,)."""
        return np.asarray(self.fx[:, self.base], dtype=float)

    @cached_property
    def rer(self) -> Floats:
        """Real exchange rate index (D, N): ``(fx / fx_base) x usd / lcu``; > 1 when the local currency has lost
        real value against the USD since the base year. Computed once (the costs, the DSF inputs and the engine's
        DSF all read it; the paths are not changed after they are made)."""
        return np.asarray(self.fx / self.fx_base[:, None] * self.usd / self.lcu, dtype=float)

    def basis_factor(self, basis: int, years: int) -> Floats:
        """What a real-lcu amount is multiplied by to be written in ``basis`` (index into PRICE_BASES), (D, years)
        from start_year."""
        lcu, usd, fx = (self.window(a, years) for a in (self.lcu, self.usd, self.fx))
        if basis == REAL_LCU:
            return np.ones_like(lcu)
        if basis == NOMINAL_LCU:
            return lcu
        if basis == NOMINAL_USD:
            return np.asarray(lcu / fx, dtype=float)
        if basis == REAL_USD:
            return np.asarray(lcu / fx / usd, dtype=float)
        raise ValueError(f"unknown price basis {basis}")

    def to_currency(self, usd: bool, years: int) -> Floats:
        """Real-lcu -> nominal amounts in the local currency (``usd`` False) or in USD (True), (D, years)."""
        return self.basis_factor(NOMINAL_USD if usd else NOMINAL_LCU, years)


def fx_from_inflation(fx_base: Floats, lcu: Floats, usd: Floats, base: int) -> Floats:
    """The nominal exchange rate that keeps the real rate constant (relative purchasing power):
    ``fx = fx_base x (lcu / usd)`` with both indices 1 in the base year; (D,), (D, N) -> (D, N)."""
    return np.asarray(np.asarray(fx_base, dtype=float)[:, None] * lcu / usd, dtype=float)


def real_discount_factors(rate: Floats, real: bool, lcu: Floats) -> Floats:
    """Discount factors for constant-price flows over (D, H) years from start_year.

    With a nominal ``rate`` the factor of year index ``i`` is ``(I_i / I_0) / (1 + rate)^i`` (``I`` the local price
    index, from start_year): discounting the real flow by it gives the present value of the nominal flow at the
    nominal rate, in prices of start_year; year by year, ``(1 + nominal) = (1 + real)(1 + inflation)``. With a real
    ``rate`` the factor is ``(1 + rate)^-i``.

    Examples
    --------
    >>> real_discount_factors(np.array([0.1]), False, np.array([[1.0, 1.1]])).round(12).tolist()
    [[1.0, 1.0]]
    """
    plain = discount_factors(rate, lcu.shape[1])
    if real:
        return np.asarray(plain, dtype=float)
    return np.asarray(plain * lcu / lcu[:, [0]], dtype=float)
