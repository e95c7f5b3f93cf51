"""Discounting, in one place: present values of flows on the year axis (pure numpy, leading draw axis).

A flow in year index ``i`` (0 = ``start_year``) is discounted by ``(1 + rate) ** i``; the first year is not
discounted.
"""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import Floats


def discount_factors(rate: Floats, years: int) -> Floats:
    """``(1 + rate) ** -i`` for year index ``i``; ``rate`` (D,) -> (D, Y).

    Examples
    --------
    >>> discount_factors(np.array([0.25]), 3).tolist()
    [[1.0, 0.8, 0.64]]
    """
    return np.asarray((1.0 + np.asarray(rate, dtype=float)[:, None]) ** -np.arange(years)[None, :], dtype=float)


def present_value(flows: Floats, rate: Floats) -> Floats:
    """PV at ``rate`` (D,) of flows (D, Y, ...) summed over every axis after the year; shape (D,).

    Examples
    --------
    >>> present_value(np.array([[100.0, 110.0]]), np.array([0.1])).tolist()
    [200.0]
    """
    flows = np.asarray(flows, dtype=float)
    df = discount_factors(rate, flows.shape[1])
    return np.asarray((flows.reshape(flows.shape[0], flows.shape[1], -1).sum(axis=2) * df).sum(axis=1), dtype=float)


def present_value_at(flows: Floats, factors: Floats) -> Floats:
    """PV of flows (D, Y, ...) with discount factors (D, >= Y) per year (from
    :func:`~dfl_finance.engine.prices.real_discount_factors`); shape (D,).

    Examples
    --------
    >>> present_value_at(np.array([[100.0, 110.0]]), np.array([[1.0, 0.5, 0.25]])).tolist()
    [155.0]
    """
    flows = np.asarray(flows, dtype=float)
    n = flows.shape[1]
    return np.asarray((flows.reshape(flows.shape[0], n, -1).sum(axis=2) * factors[:, :n]).sum(axis=1), dtype=float)
