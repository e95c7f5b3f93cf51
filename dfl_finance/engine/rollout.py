"""The order in which schools are connected and the year each is connected (pure numpy).

Orders (:data:`ORDERS`): ``cost-per-learner`` (the cheapest per learner first, ties by cost), ``remote-first``
(remote, then rural, then urban schools; by cost per learner within each: equity first), ``region-quota`` (regions
take turns: the k-th school of every region, by cost per learner, before the (k+1)-th of any, so each region gets
its share of every year), ``priority`` (the table's ``priority`` column, lower first; ties by cost per learner).
Schools already connected and those no technology serves are not in the order.

Years: with a yearly capex budget, a school is connected in the first year by whose end the cumulative capex of the
order up to it fits in the cumulative budget (schools beyond the last year stay unconnected); without one, the same
number of schools each year (the last year takes the rest) until ``target_year``.
"""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import Floats, Ints
from dfl_finance.vocabulary import SCHOOL_ORDERS

ORDERS = SCHOOL_ORDERS


def connection_order(order: str, cost: Floats, learners: Floats, area: Ints, region: np.ndarray,
                     eligible: np.ndarray, priority: Floats | None = None) -> Ints:
    """Indices of the ``eligible`` schools in the order they are connected (see the module)."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; expected one of {ORDERS}")
    idx = np.flatnonzero(eligible)
    per_learner = cost[idx] / np.maximum(learners[idx], 1.0)
    if order == "cost-per-learner":
        keys: tuple[np.ndarray, ...] = (cost[idx], per_learner)
    elif order == "remote-first":
        keys = (cost[idx], per_learner, -area[idx])
    elif order == "priority":
        if priority is None:
            raise ValueError("the priority order needs a priority column in the school table")
        p = np.where(np.isnan(priority[idx]), np.inf, priority[idx])
        keys = (cost[idx], per_learner, p)
    else:  # region-quota: rank within the region by cost per learner, then the regions in turn
        codes = np.unique(region[idx], return_inverse=True)[1].reshape(-1)
        within = np.lexsort((cost[idx], per_learner, codes))
        rank = np.empty(idx.size, dtype=np.int64)
        starts = np.r_[0, np.flatnonzero(np.diff(codes[within])) + 1]
        sizes = np.diff(np.r_[starts, idx.size])
        rank[within] = np.arange(idx.size) - np.repeat(starts, sizes)
        share = (rank + 0.5) / np.repeat(sizes, sizes)[np.argsort(within)]
        keys = (codes, share)
    return idx[np.lexsort(keys)]


def connection_years(order: Ints, capex: Floats, n_schools: int, years: int, budget: float | None = None,
                     target: int | None = None) -> Ints:
    """Year index (0 = the first year) in which each school is connected, -1 if it is not within ``years``: by a
    yearly capex ``budget``, or evenly until year index ``target`` (default the last)."""
    out = np.full(n_schools, -1, dtype=np.int64)
    if order.size == 0:
        return out
    if budget is not None:
        cumulative = np.cumsum(capex[order])
        # connected in year k when the cumulative capex fits in (k + 1) budgets
        year = np.ceil(cumulative / budget - 1e-12).astype(np.int64) - 1 if budget > 0 else \
            np.full(order.size, years, dtype=np.int64)
        year = np.maximum(year, 0)
    else:
        span = years if target is None else min(max(target + 1, 1), years)
        per_year = int(np.ceil(order.size / span))
        year = np.arange(order.size) // per_year
    out[order] = np.where(year < years, year, -1)
    return out
