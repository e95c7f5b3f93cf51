"""Discounting, in one place: discount factors, present values and annuities (pure numpy, leading draw axis).

A flow in year index ``i`` (0 = ``start_year``) is discounted by ``(1 + rate) ** i``; the first year is not
discounted. No other module derives ``(1 + r)^-t`` (tests/test_discount.py walks the package for it).

The factor is spelled three ways, each as its callers computed it before discounting moved here, so that every
table stays byte-identical: ``(1 + r) ** -i`` (:func:`discount_factors`, the model's present values),
``x / (1 + r) ** i`` (:func:`discounted`, the school model) and ``exp(-t log1p(r))`` (the annuities, accurate for
tiny rates). The first two differ by at most 2 units in the last place; the third, which does not round ``1 + r``,
by up to about 1e-14 relative over 60 years.
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
    rate = np.asarray(rate, dtype=float)
    if rate.size > 1 and (rate == rate[0]).all():
        rate = rate[:1]  # the same rate in every draw: the powers once (the same numbers, broadcast)
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


def discounted(flows: Floats, rate: Floats) -> Floats:
    """Each year's flow divided by ``(1 + rate) ** i`` (year index ``i``), not summed: flows (D, Y, ...) and
    ``rate`` (D,) -> (D, Y, ...); sum over the axes you need.

    It divides by the growth factor where :func:`discount_factors` raises it to a negative power; the two can differ
    in the last bit, and the school model has divided since it was written (its tables stay byte-identical).

    Examples
    --------
    >>> discounted(np.array([[[1.0, 2.0], [1.1, 0.0], [1.21, 1.21]]]), np.array([0.1])).round(12).tolist()
    [[[1.0, 2.0], [1.0, 0.0], [1.0, 1.0]]]
    """
    flows = np.asarray(flows, dtype=float)
    tail = (1,) * (flows.ndim - 2)
    i = np.arange(flows.shape[1]).reshape((1, flows.shape[1], *tail))
    growth = (1.0 + np.asarray(rate, dtype=float)).reshape((-1, 1, *tail))
    return np.asarray(flows / growth ** i, dtype=float)


def present_value_ahead(payments: Floats, rate: float) -> Floats:
    """At the end of each year, the PV of the payments of the later years: ``sum_{j > y} p_j (1 + r)^-(j - y)``;
    (D, H) -> (D, H), 0 in the last year. Summed backwards, one year's discount at a time (Horner).

    Examples
    --------
    >>> present_value_ahead(np.array([[0.0, 105.0, 110.25]]), 0.05).round(9).tolist()
    [[200.0, 105.0, 0.0]]
    """
    payments = np.asarray(payments, dtype=float)
    H = payments.shape[1]
    v = 1.0 / (1.0 + rate)
    out = np.zeros_like(payments)
    acc = np.zeros(payments.shape[0])
    for y in range(H - 2, -1, -1):
        acc = v * (payments[:, y + 1] + acc)
        out[:, y] = acc
    return out


def _years(years: int) -> int:
    if years <= 0:
        raise ValueError(f"an annuity runs at least one year, not {years}")
    return years


def annuity_factor(rate: Floats, years: int) -> Floats:
    """PV of 1 paid at the end of each of ``years`` years: ``(1 - (1 + rate)^-n) / rate``, ``n`` at a zero rate;
    ``rate`` (D,) -> (D,). Computed as ``-expm1(-n log1p(rate)) / rate``, accurate for tiny rates.

    Examples
    --------
    >>> annuity_factor(np.array([0.05, 0.0]), 10).round(6).tolist()
    [7.721735, 10.0]
    """
    n = _years(years)
    rate = np.asarray(rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(rate == 0.0, float(n), -np.expm1(-n * np.log1p(rate)) / rate), dtype=float)


def level_payment(rate: Floats, years: int) -> Floats:
    """The level payment that repays a principal of 1 over ``years`` years at ``rate`` (the capital recovery
    factor, ``1 / annuity_factor``): ``rate / (1 - (1 + rate)^-n)``, ``1 / n`` at a zero rate; (D,) -> (D,).
    Computed as ``rate / -expm1(-n log1p(rate))``, accurate for tiny rates.

    Examples
    --------
    >>> level_payment(np.array([0.1, 0.0]), 2).round(9).tolist()
    [0.576190476, 0.5]
    """
    n = _years(years)
    rate = np.asarray(rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(rate == 0.0, 1.0 / n, rate / -np.expm1(-n * np.log1p(rate))), dtype=float)


def annuity_principal(rate: Floats, years: int) -> Floats:
    """The principal a level payment repays in each year ``k = 1 .. n`` of a principal of 1:
    ``level_payment x (1 + rate)^-(n + 1 - k)`` (the payment less the interest on what is still owed); ``rate``
    (D,) -> (D, n), each row summing to 1.

    Examples
    --------
    >>> annuity_principal(np.array([0.1]), 2).round(9).tolist()
    [[0.476190476, 0.523809524]]
    """
    rate = np.asarray(rate, dtype=float)
    a = level_payment(rate, years)
    return np.asarray(a[:, None] * np.exp(-np.arange(years, 0, -1.0)[None, :] * np.log1p(rate)[:, None]),
                      dtype=float)
