"""Rollout paths and cost lines -> cost arrays.

Pure functions over numpy arrays; no I/O. Every array has a leading *draw* axis ``D`` (1 for a deterministic run),
then the year axis ``Y``, then programmes ``P`` or cost lines ``L``. The conventions (rollout, replacement cycles,
price trends, fixed schedules) are those of DESIGN.md and ``docs/method.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROLLOUTS = ("linear", "s-curve", "front-loaded", "immediate")
LINE_KINDS = ("capex", "opex", "fixed_capex", "fixed_opex")
CAPEX, OPEX, FIXED_CAPEX, FIXED_OPEX = range(4)

#: Steepness of the logistic s-curve over the rollout period (progress runs over x in [0, 1], centred at 0.5).
S_CURVE_STEEPNESS = 10.0


def rollout_progress(rollout: np.ndarray, target_index: np.ndarray, years: int) -> np.ndarray:
    """Share of the way from ``start_share`` to ``target_share`` covered by the end of each year [0..1].

    Parameters
    ----------
    rollout : int array (P,)
        Index into :data:`ROLLOUTS` per programme.
    target_index : int array (P,)
        Year index (0 = start_year) in which the target is reached.
    years : int
        Length of the horizon ``Y``.

    Returns
    -------
    ndarray (Y, P)
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
    x = np.minimum((i + 1.0) / (np.asarray(target_index, dtype=float)[None, :] + 1.0), 1.0)
    k = S_CURVE_STEEPNESS
    lo, hi = 1.0 / (1.0 + np.exp(k / 2)), 1.0 / (1.0 + np.exp(-k / 2))
    s_curve = (1.0 / (1.0 + np.exp(-k * (x - 0.5))) - lo) / (hi - lo)
    g = np.select(
        [rollout == 0, rollout == 1, rollout == 2],
        [x, s_curve, 1.0 - (1.0 - x) ** 2],
        default=1.0,
    )
    return np.where(x >= 1.0, 1.0, g)


def replacement_matrix(lifetime: np.ndarray, years: int) -> np.ndarray:
    """``R[l, i, s] = 1`` where a unit bought in year index ``s`` is bought again in year ``i`` (``i >= s``).

    A unit is bought when reached and again every ``lifetime`` years; ``lifetime = 0`` means never replaced.
    """
    n = np.asarray(lifetime)[:, None, None]
    lag = np.arange(years)[None, :, None] - np.arange(years)[None, None, :]
    cycle = np.where(n > 0, lag % np.maximum(n, 1) == 0, lag == 0)
    return ((lag >= 0) & cycle).astype(float)


@dataclass(frozen=True)
class CostInputs:
    """Arrays that define the cost projection of one scenario (or many draws of it).

    Shapes: ``D`` draws, ``Y`` years, ``P`` programmes, ``L`` cost lines.
    """

    years: int
    driver_count: np.ndarray  # (D, P) units of each programme's driver (0 where driver = "none")
    start_share: np.ndarray  # (D, P)
    target_share: np.ndarray  # (D, P)
    target_index: np.ndarray  # (P,) int, year index of the target
    rollout: np.ndarray  # (P,) int, index into ROLLOUTS
    line_programme: np.ndarray  # (L,) int, programme of each line
    line_kind: np.ndarray  # (L,) int, index into LINE_KINDS
    unit_cost: np.ndarray  # (D, L) [currency per unit, per unit-year or per lump sum]
    price_trend: np.ndarray  # (D, L) [1/yr]
    lifetime: np.ndarray  # (L,) int, 0 = never replaced
    replace_existing: np.ndarray  # (L,) bool
    schedule: np.ndarray  # (L, Y) bool, years of fixed_capex lump sums

    @property
    def draws(self) -> int:
        return self.driver_count.shape[0]


@dataclass(frozen=True)
class CostProjection:
    """Result of :func:`project_costs`."""

    reached: np.ndarray  # (D, Y, P) driver units reached by the end of each year
    reached_share: np.ndarray  # (D, Y, P)
    quantity: np.ndarray  # (D, Y, L) units paid for (lump sums count 1)
    price: np.ndarray  # (D, Y, L) unit cost in each year [currency]
    amount: np.ndarray  # (D, Y, L) [currency]


def project_costs(inp: CostInputs) -> CostProjection:
    """Project reach and cost of every line in every year and draw.

    Notes
    -----
    ``reached[i] = count * (start + (target - start) * g[i])`` with ``g`` from :func:`rollout_progress`.
    capex quantity: ``sum_s R[i, s] * new[s]`` with ``new[s] = reached[s] - reached[s-1]`` (``reached[-1]`` =
    the units reached before start_year) and ``R`` from :func:`replacement_matrix`; plus, where
    ``replace_existing``, the units reached before start_year in each year index ``i`` with ``(i + 1) % lifetime
    == 0``. opex quantity: ``reached[i]``. fixed_capex: 1 in the schedule years; fixed_opex: 1 every year.
    price: ``unit_cost * (1 + price_trend) ** i``. amount = quantity * price.
    """
    Y = inp.years
    progress = rollout_progress(inp.rollout, inp.target_index, Y)  # (Y, P)
    share = inp.start_share[:, None, :] + (inp.target_share - inp.start_share)[:, None, :] * progress[None]
    reached = inp.driver_count[:, None, :] * share  # (D, Y, P)
    existing = inp.driver_count * inp.start_share  # (D, P)

    lp = inp.line_programme
    reached_l = reached[:, :, lp]  # (D, Y, L)
    before = np.concatenate([existing[:, None, lp], reached_l[:, :-1, :]], axis=1)
    new_l = reached_l - before
    capex_qty = np.einsum("lis,dsl->dil", replacement_matrix(inp.lifetime, Y), new_l, optimize=True)
    i = np.arange(Y)
    n = inp.lifetime
    replace_old = inp.replace_existing[None, :] & (n[None, :] > 0) & ((i[:, None] + 1) % np.maximum(n, 1) == 0)
    capex_qty = capex_qty + existing[:, None, lp] * replace_old[None]

    kind = inp.line_kind[None, None, :]
    quantity = np.where(
        kind == CAPEX, capex_qty,
        np.where(kind == OPEX, reached_l, np.where(kind == FIXED_CAPEX, inp.schedule.T[None], 1.0)),
    )
    price = inp.unit_cost[:, None, :] * (1.0 + inp.price_trend[:, None, :]) ** i[None, :, None]
    return CostProjection(reached=reached, reached_share=share, quantity=quantity, price=price,
                          amount=quantity * price)


def discount_factors(rate: np.ndarray, years: int) -> np.ndarray:
    """``(1 + rate) ** -i`` for year index ``i`` (the first year is not discounted); shape (D, Y)."""
    return (1.0 + np.asarray(rate, dtype=float)[:, None]) ** -np.arange(years)[None, :]


def present_value(flows: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """PV at ``rate`` (D,) of flows (D, Y, ...) summed over every axis after the year; shape (D,)."""
    df = discount_factors(rate, flows.shape[1])
    flows = np.asarray(flows, dtype=float)
    return (flows.reshape(flows.shape[0], flows.shape[1], -1).sum(axis=2) * df).sum(axis=1)


def build_cost_inputs(scenario, draws: int = 1) -> CostInputs:
    """The :class:`CostInputs` of a validated :class:`~dfl_finance.schema.Scenario`, repeated over ``draws``."""
    ctx = scenario.context
    start = scenario.scenario.start_year
    Y = scenario.scenario.years
    progs = scenario.programme
    lines = [(p_idx, c) for p_idx, p in enumerate(progs) for c in p.cost]
    counts = {"schools": ctx.schools, "learners": ctx.learners, "teachers": ctx.teachers, "none": 0}

    def per_draw(values) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=float)[None, :], draws, axis=0)

    schedule = np.zeros((len(lines), Y), dtype=bool)
    for l_idx, (_, c) in enumerate(lines):
        if c.kind == "fixed_capex":
            schedule[l_idx, [y - start for y in (c.schedule or [start])]] = True
    return CostInputs(
        years=Y,
        driver_count=per_draw([counts[p.driver] or 0 for p in progs]),
        start_share=per_draw([p.start_share for p in progs]),
        target_share=per_draw([p.target_share for p in progs]),
        target_index=np.array([(p.target_year or scenario.end_year) - start for p in progs], dtype=int),
        rollout=np.array([ROLLOUTS.index(p.rollout) for p in progs], dtype=int),
        line_programme=np.array([p_idx for p_idx, _ in lines], dtype=int),
        line_kind=np.array([LINE_KINDS.index(c.kind) for _, c in lines], dtype=int),
        unit_cost=per_draw([c.unit_cost for _, c in lines]),
        price_trend=per_draw([c.price_trend for _, c in lines]),
        lifetime=np.array([c.lifetime or 0 for _, c in lines], dtype=int),
        replace_existing=np.array([c.replace_existing for _, c in lines], dtype=bool),
        schedule=schedule,
    )
