"""Budget envelope, burden and summary metrics (pure array functions, leading draw axis)."""

from __future__ import annotations

import numpy as np

from ..vocabulary import SOURCE_KINDS
from .costs import CostProjection
from .discount import present_value
from .loans import grant_element


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


def budget_path(education_budget: np.ndarray, growth: np.ndarray, horizon: int) -> np.ndarray:
    """Education budget in each year: ``budget * (1 + growth) ** i`` [currency/yr]; (D,) -> (D, H)."""
    i = np.arange(horizon)[None, :]
    return np.asarray(education_budget, dtype=float)[:, None] * (1.0 + np.asarray(growth, dtype=float)[:, None]) ** i


def _pad(a: np.ndarray, horizon: int) -> np.ndarray:
    return np.concatenate([a, np.zeros((a.shape[0], horizon - a.shape[1]))], axis=1)


def fiscal_arrays(budget: np.ndarray, domestic: np.ndarray, debt_service: np.ndarray, ppp_payments: np.ndarray,
                  gap: np.ndarray, burden_limit: np.ndarray) -> dict[str, np.ndarray]:
    """The fiscal table over the extended horizon H (projection years, then the debt and PPP tail).

    ``government_burden = domestic_outlay + debt_service + ppp_payments``; ``burden_share`` = burden / budget (NaN
    where the budget is 0); ``over_limit``: burden > burden_limit x budget (beyond a relative 1e-9, so a domestic
    cap set at the limit is not flagged for rounding), so any burden on a budget of 0 is over the limit. The gap
    is unfunded and not part of the burden. Inputs: budget, debt_service, ppp_payments (D, H); domestic, gap
    (D, Y); burden_limit (D,).
    """
    H = budget.shape[1]
    domestic_h = _pad(domestic, H)
    burden = domestic_h + debt_service + ppp_payments
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(budget > 0, burden / np.where(budget > 0, budget, 1.0), np.nan)
    limit = np.repeat(np.asarray(burden_limit, dtype=float)[:, None], H, axis=1)
    return {
        "education_budget": budget,
        "domestic_outlay": domestic_h,
        "debt_service": debt_service,
        "ppp_payments": ppp_payments,
        "government_burden": burden,
        "burden_share": share,
        "burden_limit": limit,
        "over_limit": burden > limit * budget * (1.0 + 1e-9),  # not flagged for rounding at the cap
        "gap": _pad(gap, H),
    }


def financing_metrics(total_cost: np.ndarray, paid: np.ndarray, kind: np.ndarray, gap: np.ndarray,
                      fiscal: dict[str, np.ndarray], discount_rate: np.ndarray,
                      external_kinds: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Summary metrics of the financing, each (D,).

    ``total_external`` is what grants, loans and PPP operators pay; ``grant_element_external`` = 1 - PV(debt
    service + PPP payments) / PV(external finance received), at the scenario's discount rate;
    ``leverage`` = total_external / total_domestic; ``pv_government_cost`` = PV(domestic outlay + debt service +
    PPP payments) over the whole horizon, tail included.
    """
    H = fiscal["education_budget"].shape[1]
    by_kind = {k: paid[:, :, kind == i].sum(axis=(1, 2)) for i, k in enumerate(SOURCE_KINDS)}
    external_annual = paid[:, :, np.isin(kind, external_kinds)].sum(axis=2)
    external = external_annual.sum(axis=1)
    owed = fiscal["debt_service"] + fiscal["ppp_payments"]
    years_paying = np.where(owed > 0, np.arange(H)[None, :], -1).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        leverage = np.where(by_kind["domestic"] > 0, external / np.where(by_kind["domestic"] > 0,
                                                                         by_kind["domestic"], 1.0), np.nan)
        gap_total = gap.sum(axis=1)
        gap_share = np.where(total_cost > 0, gap_total / np.where(total_cost > 0, total_cost, 1.0), np.nan)
    share = fiscal["burden_share"]
    out = {
        "total_domestic": by_kind["domestic"],
        "total_grant": by_kind["grant"],
        "total_loan": by_kind["loan"],
        "total_ppp": by_kind["ppp"],
        "total_external": external,
        "total_gap": gap_total,
        "gap_share": gap_share,
        "total_debt_service": fiscal["debt_service"].sum(axis=1),
        "total_ppp_payments": fiscal["ppp_payments"].sum(axis=1),
        "pv_government_cost": present_value(fiscal["government_burden"], discount_rate),
        "grant_element_external": grant_element(_pad(external_annual, H), owed, discount_rate),
        "leverage": leverage,
        "peak_burden_share": np.where(np.isnan(share).all(axis=1), np.nan,
                                      np.nanmax(np.nan_to_num(share, nan=-np.inf), axis=1)),
        "years_over_limit": fiscal["over_limit"].sum(axis=1).astype(float),
        "years_to_last_payment": np.where(years_paying >= 0, years_paying + 1.0, 0.0),
    }
    return out
