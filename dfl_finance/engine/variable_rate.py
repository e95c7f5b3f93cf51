"""Variable-rate loans: the interest of each year at that year's rate (a reference rate path plus a spread).

The conventions of :mod:`dfl_finance.engine.loans` hold: a tranche disbursed in year t is outstanding from the end
of year t, and the charge of year j is ``rate x`` the balance outstanding at the end of year j - 1. With a rate that
changes from year to year the charge of year j is ``r_j x outstanding_{j-1}``, the balance summed over every
tranche: the rate is the year's, not the tranche's. The principal does not depend on the rate for a linear or a
scheduled repayment (an annuity's would: validation refuses it), so the principal, the outstanding balance and the
fees are those of :func:`~dfl_finance.engine.loans.debt_service` at any rate, and only the interest changes.

Pure numpy; leading draw axis.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.engine.loans import DebtService, variable_unit_matrix

__all__ = ["at_variable_rate", "equivalent_rate", "extend_path", "variable_interest", "variable_unit_matrix"]


def variable_interest(outstanding: Floats, rate_path: Floats) -> Floats:
    """The charge of each year at that year's rate: ``r_j x outstanding_{j-1}`` (0 in the first year); (D, H) and
    (D, H) or (H,) -> (D, H).

    Examples
    --------
    100 outstanding at the end of years 0 and 1, 50 at the end of year 2; rates 2%, 3%, 4%, 5%: 0, 3, 4, 2.5.

    >>> variable_interest(np.array([[100.0, 100.0, 50.0, 0.0]]), np.array([0.02, 0.03, 0.04, 0.05])).tolist()
    [[0.0, 3.0, 4.0, 2.5]]
    """
    outstanding = np.asarray(outstanding, dtype=float)
    before = np.concatenate([np.zeros(outstanding.shape[:-1] + (1,)), outstanding[..., :-1]], axis=-1)
    return np.asarray(np.asarray(rate_path, dtype=float) * before, dtype=float)


def at_variable_rate(service: DebtService, rate_path: Floats) -> DebtService:
    """A loan's debt service (:func:`~dfl_finance.engine.loans.debt_service`, any rate) with the interest of each
    year at ``rate_path`` (D, H) or (H,): the principal, the balance and the fees are unchanged."""
    return replace(service, interest=variable_interest(service.outstanding, rate_path))


def extend_path(path: Floats, horizon: int) -> Floats:
    """A rate path given for the projection years (D, Y), continued at its last value to ``horizon`` years (D, H).

    Examples
    --------
    >>> extend_path(np.array([[0.01, 0.02]]), 4).tolist()
    [[0.01, 0.02, 0.02, 0.02]]
    """
    path = np.asarray(path, dtype=float)
    if path.shape[-1] >= horizon:
        return np.asarray(path[..., :horizon], dtype=float)
    tail = np.repeat(path[..., -1:], horizon - path.shape[-1], axis=-1)
    return np.asarray(np.concatenate([path, tail], axis=-1), dtype=float)


def equivalent_rate(rate_path: Floats) -> Floats:
    """The one rate that stands for a variable path where the engine needs one (the present value at 5% of what a
    loan still owes in the debt-sustainability view, and the optimiser's limit on it): the mean of the path over the
    horizon, (D, H) -> (D,).

    Examples
    --------
    >>> equivalent_rate(np.array([[0.02, 0.04]])).tolist()
    [0.03]
    """
    return np.asarray(np.asarray(rate_path, dtype=float).mean(axis=-1), dtype=float)
