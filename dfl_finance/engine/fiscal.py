"""Budget envelope, burden and summary metrics (pure array functions, leading draw axis)."""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import ratio
from dfl_finance.engine.costs import CostProjection
from dfl_finance.engine.discount import present_value_at
from dfl_finance.engine.loans import grant_element
from dfl_finance.vocabulary import GRANT_ELEMENT_RATE, SOURCE_KINDS


def gap_share(total_gap: np.ndarray, total_cost: np.ndarray) -> np.ndarray:
    """``gap_share`` = total_gap / total_cost; NaN when nothing costs anything."""
    return ratio(total_gap, total_cost)


def leverage(total_external: np.ndarray, total_domestic: np.ndarray) -> np.ndarray:
    """``leverage`` = total_external / total_domestic; NaN without domestic outlay."""
    return ratio(total_external, total_domestic)


def cost_per_learner_year(total_cost: np.ndarray, learners: np.ndarray, years: int) -> np.ndarray:
    """``cost_per_learner_year`` = total_cost / (learners * years) [currency per learner-year]; NaN without
    learners."""
    return ratio(total_cost, np.asarray(learners, dtype=float) * years)


def cost_metrics(proj: CostProjection, discount: np.ndarray, learners: np.ndarray) -> dict[str, np.ndarray]:
    """Summary metrics of the cost projection, each of shape (D,).

    ``total_cost`` [currency], ``pv_total_cost`` [currency, PV with the discount factors (D, Y) of constant-price
    flows, first year undiscounted],
    ``cost_per_learner_year`` = total_cost / (learners * years) [currency per learner-year]; NaN when there are no
    learners.
    """
    total = proj.amount.sum(axis=(1, 2))
    return {
        "total_cost": total,
        "pv_total_cost": present_value_at(proj.amount, discount),
        "cost_per_learner_year": cost_per_learner_year(total, learners, proj.amount.shape[1]),
    }


def budget_path(education_budget: np.ndarray, growth: np.ndarray, horizon: int) -> np.ndarray:
    """Education budget in each year [currency/yr], (D, H): ``budget`` (D,) in the first year, then growing by
    ``growth[:, i]`` into year ``i``; ``growth`` is (D,) for one rate or (D, >= H) per year (its first column is
    not used).

    Examples
    --------
    >>> budget_path(np.array([100.0]), np.array([0.1]), 3).round(9).tolist()
    [[100.0, 110.0, 121.0]]
    >>> budget_path(np.array([100.0]), np.array([[0.0, 0.1, -0.5]]), 3).round(9).tolist()
    [[100.0, 110.0, 55.0]]
    """
    growth = np.asarray(growth, dtype=float)
    budget = np.asarray(education_budget, dtype=float)[:, None]
    if growth.ndim == 1:
        return np.asarray(budget * (1.0 + growth[:, None]) ** np.arange(horizon)[None, :], dtype=float)
    level = np.cumprod(1.0 + growth[:, 1:horizon], axis=1)
    return np.asarray(budget * np.concatenate([np.ones((growth.shape[0], 1)), level], axis=1), dtype=float)


def _pad(a: np.ndarray, horizon: int) -> np.ndarray:
    return np.concatenate([a, np.zeros((a.shape[0], horizon - a.shape[1]))], axis=1)


def fiscal_arrays(budget: np.ndarray, domestic: np.ndarray, debt_service: np.ndarray, ppp_payments: np.ndarray,
                  gap: np.ndarray, burden_limit: np.ndarray, domestic_cap: np.ndarray | None = None,
                  net: bool = False, recurrent: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The fiscal table over the extended horizon H (projection years, then the debt and PPP tail).

    ``government_burden = domestic_outlay + debt_service + ppp_payments + recurrent_after_plan``, the last being
    ``recurrent`` (D, H): the plan's cost in the years after its last year (opex and replacements at the final
    reach), which the government carries; ``burden_share`` = burden / budget (NaN, undefined, where the budget is
    0 or so small that the share overflows: never inf); ``over_limit``: burden > burden_limit x budget (beyond a
    relative 1e-9, so a domestic cap set at the limit is not flagged for rounding), so any burden on a budget of 0
    is over the limit. The gap
    is unfunded and not part of the burden. Inputs: budget, debt_service, ppp_payments (D, H); domestic, gap
    (D, Y); burden_limit (D,).

    ``domestic_envelope``: what the domestic sources may pay, ``cap x budget`` less debt service and PPP payments
    when ``net`` (never below 0), with ``cap`` = ``domestic_cap`` (D,), the sum of the domestic budget_share_caps
    (NaN where no domestic source has one); ``service_over_envelope``: debt service and PPP payments alone exceed
    ``cap x budget``.
    """
    H = budget.shape[1]
    domestic_h = _pad(domestic, H)
    after = np.zeros_like(budget) if recurrent is None else np.asarray(recurrent, dtype=float)
    burden = domestic_h + debt_service + ppp_payments + after
    share = ratio(burden, budget)
    limit = np.repeat(np.asarray(burden_limit, dtype=float)[:, None], H, axis=1)
    return {
        "education_budget": budget,
        "domestic_outlay": domestic_h,
        "debt_service": debt_service,
        "ppp_payments": ppp_payments,
        "recurrent_after_plan": after,
        "government_burden": burden,
        "burden_share": share,
        "burden_limit": limit,
        "over_limit": burden > limit * budget * (1.0 + 1e-9),  # not flagged for rounding at the cap
        "gap": _pad(gap, H),
        **envelope_arrays(budget, debt_service + ppp_payments, domestic_cap, net),
    }


def envelope_arrays(budget: np.ndarray, owed: np.ndarray, domestic_cap: np.ndarray | None,
                    net: bool) -> dict[str, np.ndarray]:
    """``domestic_envelope`` and ``service_over_envelope`` (D, H); see :func:`fiscal_arrays`."""
    D, H = budget.shape
    cap = np.full(D, np.nan) if domestic_cap is None else np.asarray(domestic_cap, dtype=float)
    gross = cap[:, None] * budget
    envelope = np.maximum(gross - owed, 0.0) if net else gross
    return {"domestic_envelope": envelope,
            "service_over_envelope": np.where(np.isfinite(gross), owed > gross * (1.0 + 1e-9), False)}


def recurrent_metrics(external: np.ndarray, plan_cost: np.ndarray, budget: np.ndarray,
                      years: int) -> dict[str, np.ndarray]:
    """The recurrent bill after the partners leave, (D,) each.

    ``recurrent_cost_after_external``: the mean yearly cost of the plan (opex and replacements, which continue at
    the final reach after the last year of the plan) over the years after the last external disbursement, to the
    end of the post-horizon years; ``recurrent_share_after_external``: the mean of that cost over the education
    budget of each year. NaN without external finance or without years after it. Inputs: external (D, Y) what
    grants, loans and PPP operators pay; plan_cost and budget (D, H).
    """
    D, H = plan_cost.shape
    y = np.arange(years)[None, :]
    last = np.where(external > 0, y, -1).max(axis=1)  # (D,)
    # the cost of the plan ends with the post-horizon years: the last year with a cost
    n = plan_cost.shape[1]
    end = np.where(plan_cost > 0, np.arange(n)[None, :], -1).max(axis=1)
    after = (np.arange(H)[None, :] > last[:, None]) & (np.arange(H)[None, :] <= end[:, None]) & (last[:, None] >= 0)
    count = after.sum(axis=1)
    cost = ratio(np.where(after, plan_cost, 0.0).sum(axis=1), count)
    # the mean share over those years; undefined when a year's share is (a budget so small that it overflows)
    yearly = np.where(after, ratio(plan_cost, budget, otherwise=np.inf), 0.0)
    share = ratio(yearly.sum(axis=1), count)
    return {"recurrent_cost_after_external": cost, "recurrent_share_after_external": share}


def financing_metrics(total_cost: np.ndarray, paid: np.ndarray, kind: np.ndarray, gap: np.ndarray,
                      fiscal: dict[str, np.ndarray], discount: np.ndarray,
                      external_kinds: tuple[int, ...], to_usd: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Summary metrics of the financing, each (D,).

    ``total_external`` is what grants, loans and PPP operators pay; ``grant_element_external`` = 1 - PV(debt
    service + PPP payments) / PV(external finance received), nominal USD flows (``to_usd`` (D, H) converts
    constant local prices to them) at the IMF's 5%;
    ``leverage`` = total_external / total_domestic; ``pv_government_cost`` = PV(domestic outlay + debt service +
    PPP payments) over the whole horizon, tail included.
    """
    H = fiscal["education_budget"].shape[1]
    usd = np.ones((paid.shape[0], H)) if to_usd is None else to_usd
    by_kind = {k: paid[:, :, kind == i].sum(axis=(1, 2)) for i, k in enumerate(SOURCE_KINDS)}
    external_annual = paid[:, :, np.isin(kind, external_kinds)].sum(axis=2)
    external = external_annual.sum(axis=1)
    owed = fiscal["debt_service"] + fiscal["ppp_payments"]
    years_paying = np.where(owed > 0, np.arange(H)[None, :], -1).max(axis=1)
    gap_total = gap.sum(axis=1)
    share = fiscal["burden_share"]
    out = {
        "total_domestic": by_kind["domestic"],
        "total_grant": by_kind["grant"],
        "total_loan": by_kind["loan"],
        "total_ppp": by_kind["ppp"],
        "total_external": external,
        "total_gap": gap_total,
        "gap_share": gap_share(gap_total, total_cost),
        "total_debt_service": fiscal["debt_service"].sum(axis=1),
        "total_ppp_payments": fiscal["ppp_payments"].sum(axis=1),
        "pv_government_cost": present_value_at(fiscal["government_burden"], discount),
        "grant_element_external": grant_element(_pad(external_annual, H) * usd, owed * usd,
                                                np.full(paid.shape[0], GRANT_ELEMENT_RATE)),
        "years_service_over_envelope": fiscal["service_over_envelope"].sum(axis=1).astype(float),
        "leverage": leverage(external, by_kind["domestic"]),
        # undefined when any year's share is (a budget so small that the share overflows)
        "peak_burden_share": np.where(np.isnan(share).any(axis=1), np.nan, share.max(axis=1, initial=-np.inf)),
        "years_over_limit": fiscal["over_limit"].sum(axis=1).astype(float),
        "years_to_last_payment": np.where(years_paying >= 0, years_paying + 1.0, 0.0),
    }
    return out
