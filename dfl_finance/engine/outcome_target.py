"""The least-cost way to reach an outcome target: how far to scale each programme that produces the outcome (a linear
programme solved with HiGHS). docs/method.md, *Outcomes and cost per outcome*.

Each programme ``p`` that can be scaled runs from its start (``u = 0``: no reach beyond ``start_share``) to its full
reach (``u = 1``: ``target_share = 1``); its cost and its outcome at the end of the plan are linear in ``u`` (the
reach, the new units, the trained stock and the per-unit cost lines all are; whole units round them):

    minimise    sum_p cost_slope[p] u[p]
    subject to  sum_p outcome_slope[p] u[p] >= target - base_outcome,   0 <= u[p] <= 1
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from dfl_finance.engine import Floats


class TargetOutOfReach(ValueError):
    """The target is above what every programme at its full reach produces (``most``)."""

    def __init__(self, target: float, most: float) -> None:
        super().__init__(f"the target {target:,.10g} is above what the programmes reach at most ({most:,.10g})")
        self.target = target
        self.most = most


def cheapest_scale(cost_slope: Floats, outcome_slope: Floats, base_outcome: float, target: float) -> Floats:
    """(P,) the share ``u`` of the way from its start to its full reach at which each programme reaches ``target``
    at the least cost (see the module).

    Parameters
    ----------
    cost_slope : (P,) the cost of each programme at full reach less that at its start [currency]
    outcome_slope : (P,) the outcome at full reach less that at its start [outcome units]
    base_outcome : the outcome of all the programmes at their start (and of those that cannot scale) [units]
    target : the outcome to reach at the end of the plan [units]

    >>> cheapest_scale(np.array([100.0, 40.0]), np.array([1000.0, 500.0]), 0.0, 700.0).round(6).tolist()
    [0.2, 1.0]
    """
    cost_slope, outcome_slope = np.asarray(cost_slope, dtype=float), np.asarray(outcome_slope, dtype=float)
    need = float(target) - float(base_outcome)
    if need <= 0:
        return np.zeros_like(cost_slope)
    most = float(base_outcome + np.maximum(outcome_slope, 0.0).sum())
    if need > np.maximum(outcome_slope, 0.0).sum() * (1 + 1e-12):
        raise TargetOutOfReach(target, most)
    res = linprog(cost_slope, A_ub=-outcome_slope[None, :], b_ub=[-need], bounds=[(0.0, 1.0)] * cost_slope.size,
                  method="highs")
    if res.status != 0:  # pragma: no cover - bounded and feasible by the check above
        raise TargetOutOfReach(target, most)
    return np.asarray(np.clip(res.x, 0.0, 1.0), dtype=float)
