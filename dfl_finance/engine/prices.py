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
- a third currency ``C`` (``[macro.fx.<CODE>]``): ``nominal-C = nominal-lcu / X^C`` with ``X^C`` local currency per
  unit of C (:func:`other_fx`).

Pure numpy; leading draw axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    #: local currency per unit of each other currency a source is written in (``[macro.fx.<CODE>]``), (D, N) each
    other: dict[str, Floats] = field(default_factory=dict)

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

    def to_other(self, code: str, years: int) -> Floats:
        """Real-lcu -> nominal amounts in the other currency ``code`` (``x I_y / X^code_y``), (D, years)."""
        return np.asarray(self.window(self.lcu, years) / self.window(self.other[code], years), dtype=float)


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


def other_fx(fx: Floats, usd: Floats, start: int, years: int, *, quote_usd: bool, path: Floats | None = None,
             rate: float | None = None, at: int | None = None, inflation: Floats | None = None) -> Floats:
    """Local currency per unit of a third currency C on the price axis (D, N), from ``[macro.fx.<CODE>]``.

    ``fx`` (D, N) local currency per USD and ``usd`` (D, N) the US price index. The table gives either ``path``, one
    rate per projection year (``years`` of them from position ``start``), or one ``rate`` at position ``at``; in
    local currency per C, or (``quote_usd``) in USD per C, a cross rate ``K``. Every rate is turned into the cross
    rate ``K = X^C / X``; then:

    - with a ``rate``: ``K_y = K_at x (U_y / U_at) / (E_y / E_at)``, E the price index of C's area from its
      ``inflation`` rates (D, N) (None: US inflation, so a constant cross rate): relative purchasing power between C
      and the USD;
    - with a ``path``: the path's years as given; after them the cross rate continues at its last rate of change;
      before them it keeps its first value.

    and ``X^C = K x X``. So a depreciation of the local currency against the USD (a stress, a drawn ``fx_rate``) is
    a depreciation against C too: the cross rate is the table's, whatever the local currency does.

    Examples
    --------
    A constant cross rate of 1.1 USD per EUR on a local rate of 100 and then 120 per USD: 110, then 132 per EUR.

    >>> other_fx(np.array([[100.0, 120.0]]), np.ones((1, 2)), 0, 2, quote_usd=True, rate=1.1, at=0).round(9).tolist()
    [[110.0, 132.0]]
    """
    fx = np.asarray(fx, dtype=float)
    D, N = fx.shape
    if path is not None:
        given = np.asarray(path, dtype=float)[None, :]
        k = np.empty((D, N))
        window = fx[:, start:start + years]
        k[:, start:start + years] = given if quote_usd else given / window
        k[:, :start] = k[:, [start]]
        step = k[:, start + years - 1] / k[:, start + years - 2] if years >= 2 else np.ones(D)
        after = np.arange(1, N - start - years + 1, dtype=float)
        k[:, start + years:] = k[:, [start + years - 1]] * step[:, None] ** after[None, :]
    else:
        if rate is None or at is None:
            raise ValueError("a [macro.fx] table gives a path or a rate and its position")
        k_at = np.full(D, rate) if quote_usd else rate / fx[:, at]
        area = usd if inflation is None else index_from_rates(np.broadcast_to(inflation, (D, N)), at)
        k = k_at[:, None] * (usd / usd[:, [at]]) / (area / area[:, [at]])
    return np.asarray(k * fx, dtype=float)
