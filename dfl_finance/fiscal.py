"""Budget envelope, burden and summary metrics (pure array functions, leading draw axis)."""

from __future__ import annotations

import numpy as np

from .costs import CostProjection, present_value


def cost_metrics(proj: CostProjection, discount_rate: np.ndarray, learners: np.ndarray) -> dict[str, np.ndarray]:
    """Summary metrics of the cost projection, each of shape (D,).

    ``total_cost`` [currency], ``pv_total_cost`` [currency, PV at the discount rate, first year undiscounted],
    ``cost_per_learner_year`` = total_cost / (learners * years) [currency per learner-year]; NaN when there are no
    learners.
    """
    years = proj.amount.shape[1]
    total = proj.amount.sum(axis=(1, 2))
    learner_years = np.asarray(learners, dtype=float) * years
    with np.errstate(divide="ignore", invalid="ignore"):
        per_learner = np.where(learner_years > 0, total / np.where(learner_years > 0, learner_years, 1.0), np.nan)
    return {
        "total_cost": total,
        "pv_total_cost": present_value(proj.amount, discount_rate),
        "cost_per_learner_year": per_learner,
    }
