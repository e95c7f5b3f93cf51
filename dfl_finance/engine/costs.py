"""Rollout paths and cost lines -> cost arrays.

Pure functions over numpy arrays; no I/O. Every array has a leading *draw* axis ``D`` (1 for a deterministic run),
then the year axis ``Y``, then programmes ``P`` or cost lines ``L``. The conventions (rollout, whole units,
replacement cycles, price trends, fixed schedules) are those of DESIGN.md and ``docs/method.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dfl_finance.engine import Bools, Floats, Ints
from dfl_finance.vocabulary import LINE_KINDS, ROLLOUTS

# positions of the values the engine branches on (the order itself is the vocabulary's)
CAPEX = LINE_KINDS.index("capex")
OPEX = LINE_KINDS.index("opex")
FIXED_CAPEX = LINE_KINDS.index("fixed_capex")
FIXED_OPEX = LINE_KINDS.index("fixed_opex")
LINEAR = ROLLOUTS.index("linear")
S_CURVE = ROLLOUTS.index("s-curve")
FRONT_LOADED = ROLLOUTS.index("front-loaded")

#: Steepness of the logistic s-curve over the rollout period (progress runs over x in [0, 1], centred at 0.5).
S_CURVE_STEEPNESS = 10.0


def rollout_progress(rollout: Ints, target_index: Ints, years: int) -> Floats:
    """Share of the way from ``start_share`` to ``target_share`` covered by the end of each year [0..1].

    Parameters
    ----------
    rollout : int array (P,)
        Index into :data:`ROLLOUTS` per programme.
    target_index : int array (P,) or (D, P)
        Year index (0 = start_year) in which the target is reached, the same in every draw or one per draw.
    years : int
        Length of the horizon ``Y``.

    Returns
    -------
    ndarray (Y, P), or (D, Y, P) for a target per draw
        Non-decreasing in the year; exactly 1 from ``target_index`` on (and in every year for ``immediate``).

    Notes
    -----
    With ``T = target_index + 1`` and ``x = min((i + 1) / T, 1)`` for year index ``i``:
    linear ``g = x``; front-loaded ``g = 1 - (1 - x)^2``; s-curve the logistic ``1 / (1 + exp(-k (x - 1/2)))``
    rescaled so that ``g(0) = 0`` and ``g(1) = 1`` (k = :data:`S_CURVE_STEEPNESS`); immediate ``g = 1``.

    Examples
    --------
    >>> rollout_progress(np.array([0]), np.array([3]), 5)[:, 0].tolist()
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """
    i = np.arange(years, dtype=float)[:, None]
    target = np.asarray(target_index, dtype=float)
    x = np.minimum((i + 1.0) / (target[..., None, :] + 1.0), 1.0)
    k = S_CURVE_STEEPNESS
    lo, hi = 1.0 / (1.0 + np.exp(k / 2)), 1.0 / (1.0 + np.exp(-k / 2))
    s_curve = (1.0 / (1.0 + np.exp(-k * (x - 0.5))) - lo) / (hi - lo)
    g = np.select(
        [rollout == LINEAR, rollout == S_CURVE, rollout == FRONT_LOADED],
        [x, s_curve, 1.0 - (1.0 - x) ** 2],
        default=1.0,
    )
    return np.asarray(np.where(x >= 1.0, 1.0, g), dtype=float)


def replacement_matrix(lifetime: Ints, years: int) -> Floats:
    """``R[l, i, s] = 1`` where a unit bought in year index ``s`` is bought again in year ``i`` (``i >= s``).

    A unit is bought when reached and again every ``lifetime`` years; ``lifetime = 0`` means never replaced.
    """
    n = np.asarray(lifetime)[:, None, None]
    lag = np.arange(years)[None, :, None] - np.arange(years)[None, None, :]
    cycle = np.where(n > 0, lag % np.maximum(n, 1) == 0, lag == 0)
    return np.asarray((lag >= 0) & cycle, dtype=float)


@dataclass(frozen=True)
class CostInputs:
    """Arrays that define the cost projection of one scenario (or many draws of it).

    Shapes: ``D`` draws, ``Y`` years, ``P`` programmes, ``L`` cost lines.
    """

    years: int
    driver_count: Floats  # (D, P) units of each programme's driver (0 where driver = "none")
    start_share: Floats  # (D, P)
    target_share: Floats  # (D, P)
    target_index: Ints  # (P,) or (D, P) year index of the target
    rollout: Ints  # (P,) index into ROLLOUTS
    line_programme: Ints  # (L,) programme of each line
    line_kind: Ints  # (L,) index into LINE_KINDS
    unit_cost: Floats  # (D, L) [currency per unit, per unit-year or per lump sum]
    price_trend: Floats  # (D, L) [1/yr]
    lifetime: Ints  # (L,) 0 = never replaced
    replace_existing: Bools  # (L,)
    schedule: Floats  # (L, Y) the lump sums of fixed lines as multiples of unit_cost (1 in a fixed_capex line's
    # schedule years and every year of a fixed_opex line, unless a profile gives them)
    usd_priced: Bools | None = None  # (L,) lines priced in USD (their cost follows ``rer``); None = none
    rer: Floats | None = None  # (D, Y) real exchange rate index (1 in the base year); None = 1
    pay_existing: Bools | None = None  # (L,) opex lines that also pay for the units reached before start_year;
    # None = all

    @property
    def draws(self) -> int:
        return int(self.driver_count.shape[0])


@dataclass(frozen=True)
class CostProjection:
    """Result of :func:`project_costs`."""

    reached: Floats  # (D, Y, P) whole driver units reached by the end of each year
    reached_share: Floats  # (D, Y, P) reached / count (the planned share where the count is 0)
    quantity: Floats  # (D, Y, L) whole units paid for (lump sums count 1)
    price: Floats  # (D, Y, L) unit cost in each year [currency]
    amount: Floats  # (D, Y, L) [currency]


def bought(new: Floats, lifetime: Ints) -> Floats:
    """Units bought in each year (D, Y, L): the units newly reached ``new`` (D, Y, L), and again every ``lifetime``
    years; ``sum_s R[l, i, s] new[d, s, l]`` with ``R`` from :func:`replacement_matrix`.

    Computed as the recurrence ``bought[i] = new[i] + bought[i - n]`` (a loop over years, O(D Y L)) instead of the
    product with ``R`` (O(D Y^2 L), 80 ms of the engine's 250 ms at 10,000 draws of 40 years). Units are whole, so
    every sum is exact and both give the same numbers to the last bit (``tests/test_costs.py``).

    Examples
    --------
    >>> bought(np.array([[[2.0], [1.0], [0.0], [0.0], [0.0]]]), np.array([2]))[0, :, 0].tolist()
    [2.0, 1.0, 2.0, 1.0, 2.0]
    """
    n = np.asarray(lifetime)
    out = np.array(new, dtype=float, copy=True)
    years = out.shape[1]
    for i in range(1, years):
        lag = i - n
        cols = np.flatnonzero((n > 0) & (lag >= 0))
        if cols.size:
            out[:, i, cols] += out[:, lag[cols], cols]
    return out


def replaced_existing(existing: Floats, lifetime: Ints, replace: Bools, years: int) -> Floats:
    """Units reached before start_year that are replaced in each year (D, Y, L), spread evenly over the lifetime.

    ``existing`` (D, L) whole units; a line replaces them only where ``replace`` and ``lifetime > 0``.

    Examples
    --------
    >>> replaced_existing(np.array([[10.0]]), np.array([4]), np.array([True]), 6)[0, :, 0].tolist()
    [3.0, 2.0, 3.0, 2.0, 3.0, 2.0]
    """
    existing = np.asarray(existing, dtype=float)
    out = np.zeros((existing.shape[0], years, existing.shape[1]))
    on = np.flatnonzero(np.asarray(replace) & (np.asarray(lifetime) > 0))  # only these lines: the others are 0
    if on.size:
        n = np.asarray(lifetime)[on][None, None, :]
        j = (np.arange(years)[None, :, None] % n).astype(float)
        e = existing[:, None, on]
        out[:, :, on] = whole_units(e * (j + 1.0) / n) - whole_units(e * j / n)
    return out


def whole_units(x: Floats) -> Floats:
    """Round counts of units to the nearest whole unit, halves up (``floor(x + 1/2)``).

    Examples
    --------
    >>> whole_units(np.array([0.5, 1.49, 3756.336])).tolist()
    [1.0, 1.0, 3756.0]
    """
    return np.floor(np.asarray(x, dtype=float) + 0.5)


def project_costs(inp: CostInputs) -> CostProjection:
    """Project reach and cost of every line in every year and draw.

    Notes
    -----
    Units are whole: ``reached[i] = round(count * (start + (target - start) * g[i]))`` with ``g`` from
    :func:`rollout_progress` and halves rounded up; the units reached before start_year are
    ``round(count * start)``.
    capex quantity: ``sum_s R[i, s] * new[s]`` with ``new[s] = reached[s] - reached[s-1]`` (``reached[-1]`` =
    the units reached before start_year) and ``R`` from :func:`replacement_matrix`; plus, where
    ``replace_existing``, the units reached before start_year spread evenly over the lifetime ``n`` (their ages
    taken to be uniform): in year index ``i``, ``round(E (j + 1) / n) - round(E j / n)`` with ``j = i mod n`` and
    ``E`` the existing units, so every cycle of ``n`` years replaces each of them once, in whole units.
    opex quantity: ``reached[i]``, less the units reached before start_year where the line does not
    ``pay_existing``. fixed_capex and fixed_opex: ``schedule[l, i]``, 1 in the schedule years of a
    fixed_capex line and every year of a fixed_opex line, or the line's profile.
    price: ``unit_cost * (1 + price_trend) ** i``, times the real exchange rate index ``rer[i]`` for a line priced
    in USD. amount = quantity * price.
    """
    Y = inp.years
    target = inp.target_index
    if target.ndim == 2 and target.shape[0] > 1 and (target == target[:1]).all():
        target = target[0]  # the same target in every draw: the progress once (the same numbers)
    progress = rollout_progress(inp.rollout, target, Y)  # (Y, P) or (D, Y, P)
    if progress.ndim == 2:
        progress = progress[None]
    planned = inp.start_share[:, None, :] + (inp.target_share - inp.start_share)[:, None, :] * progress
    count = inp.driver_count[:, None, :]
    reached = whole_units(count * planned)  # (D, Y, P)
    existing = whole_units(inp.driver_count * inp.start_share)  # (D, P)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(count > 0, reached / np.where(count > 0, count, 1.0), planned)

    lp = inp.line_programme
    reached_l = reached[:, :, lp]  # (D, Y, L)
    # each line's quantity by its kind, computed for the lines of that kind only
    quantity = np.empty_like(reached_l)
    quantity[...] = np.asarray(inp.schedule, dtype=float).T[None]  # fixed_capex and fixed_opex
    opex = np.flatnonzero(inp.line_kind == OPEX)
    quantity[:, :, opex] = reached_l[:, :, opex]
    if inp.pay_existing is not None and not inp.pay_existing[opex].all():  # the units reached before: not paid
        new_only = opex[~inp.pay_existing[opex]]
        quantity[:, :, new_only] = np.maximum(quantity[:, :, new_only] - existing[:, None, lp[new_only]], 0.0)
    capex = np.flatnonzero(inp.line_kind == CAPEX)
    if capex.size:
        cp = lp[capex]
        before = np.concatenate([existing[:, None, cp], reached[:, :-1, cp]], axis=1)
        new = reached[:, :, cp] - before
        quantity[:, :, capex] = bought(new, inp.lifetime[capex]) + replaced_existing(
            existing[:, cp], inp.lifetime[capex], inp.replace_existing[capex], Y)
    i = np.arange(Y)
    trend = inp.price_trend
    if trend.shape[0] > 1 and (trend == trend[:1]).all():
        trend = trend[:1]  # the same trend in every draw: the powers once (the same numbers, D times fewer powers)
    price = inp.unit_cost[:, None, :] * (1.0 + trend[:, None, :]) ** i[None, :, None]
    if inp.usd_priced is not None and inp.rer is not None and inp.usd_priced.any():
        price = np.where(inp.usd_priced[None, None, :], price * inp.rer[:, :, None], price)
    return CostProjection(reached=reached, reached_share=share, quantity=quantity, price=price,
                          amount=quantity * price)
