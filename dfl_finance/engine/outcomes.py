"""Outcome measures and cost per outcome (pure numpy, leading draw axis). docs/method.md, *Outcomes and cost per
outcome*.

A programme's outcome follows from its reach: schools and learners connected are the units reached times the
outcome units per driver unit. People trained are a stock built cohort by cohort: the cohort trained in year ``c``
counts ``(1 - attrition) ** age`` in year ``y``, its ``age`` being ``y - c``, or with refresher training every
``refresh`` years the years since its last refresher, ``(y - c) mod refresh`` (a refresher restores the cohort). The
units reached before the plan are a cohort of the year before the first; they are not refreshed (the plan does not
pay their refresher unless a cost line replaces them).
"""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import Floats, ratio


def new_units(reached: Floats, existing: Floats) -> Floats:
    """(D, Y) the units newly reached in each year: the rise of ``reached`` (D, Y) from ``existing`` (D,) before the
    first year, never negative (a reach that falls trains no one)."""
    before = np.concatenate([np.asarray(existing, dtype=float)[:, None], reached[:, :-1]], axis=1)
    return np.asarray(np.maximum(reached - before, 0.0), dtype=float)


def trained_stock(new: Floats, existing: Floats, attrition: float, refresh: int | None = None) -> Floats:
    """(D, Y) the trained stock at the end of each year, cohort by cohort.

    Parameters
    ----------
    new : (D, Y) people newly trained each year [people/yr]
    existing : (D,) people trained before the first year (a cohort of the year before, never refreshed) [people]
    attrition : share of a cohort lost each year [1/yr]
    refresh : years between refresher trainings that restore a cohort to full strength; None: no refresher

    Notes
    -----
    ``stock[y] = existing (1 - a) ** (y + 1) + sum_{c <= y} new[c] (1 - a) ** age(y - c)``, ``age(k) = k`` without
    refresher, ``k mod refresh`` with one. With ``a = 0`` the stock is the reach.

    >>> trained_stock(np.array([[100.0, 0.0, 0.0]]), np.array([0.0]), 0.1).round(2).tolist()
    [[100.0, 90.0, 81.0]]
    """
    new = np.asarray(new, dtype=float)
    Y = new.shape[1]
    k = np.arange(Y)[:, None] - np.arange(Y)[None, :]  # (y, c): years since cohort c
    age = k if refresh is None else np.mod(k, refresh)
    weight = np.where(k >= 0, (1.0 - attrition) ** np.maximum(age, 0), 0.0)  # (Y, Y)
    survivors = (1.0 - attrition) ** (np.arange(Y) + 1.0)
    return np.asarray(np.einsum("yc,dc->dy", weight, new) + np.asarray(existing, dtype=float)[:, None]
                      * survivors[None, :], dtype=float)


def milestones_met(years: list[int], n_years: int) -> Floats:
    """(Y,) how many of the milestones (year indices, 0 = the first year) are met by the end of each year."""
    idx = np.arange(n_years)
    return np.asarray(sum((idx >= y for y in years), np.zeros(n_years)), dtype=float)


def cost_per_outcome(cost: Floats, outcome: Floats) -> Floats:
    """``cost_per_<outcome>`` = cost / outcome [currency per unit] (D,); NaN where nothing is produced."""
    return ratio(np.asarray(cost, dtype=float), np.asarray(outcome, dtype=float))


def co_financing_per_partner_dollar(total_domestic: Floats, total_external: Floats) -> Floats:
    """``co_financing_per_partner_dollar`` = total_domestic / total_external (D,); NaN without external finance."""
    return ratio(np.asarray(total_domestic, dtype=float), np.asarray(total_external, dtype=float))


def learner_years_reached(learners_reached: Floats) -> Floats:
    """(D,) learner-years reached: the sum over the years of the learners reached in each (D, Y)."""
    return np.asarray(np.asarray(learners_reached, dtype=float).sum(axis=1), dtype=float)
