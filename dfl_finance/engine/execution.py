"""Budget execution: what the sources are expected to spend of what they plan to pay (docs/method.md, *Budget
execution*). Pure functions over arrays with a leading draw axis."""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import Floats, Ints


def cell_execution(line_cost: Floats, line_cell: Ints, line_execution: Floats, n_cells: int) -> Floats:
    """The execution rate of each cost cell in each year, (D, Y, C): the mean of its lines' rates weighted by their
    cost, ``sum_l cost[l] e[l] / sum_l cost[l]`` over the lines ``l`` of the cell (1 where the cell costs nothing).

    Parameters
    ----------
    line_cost : (D, Y, L) the cost of every line in the plan's years [currency/yr]
    line_cell : (L,) the cost cell of each line (:func:`~dfl_finance.engine.financing.line_cells`)
    line_execution : (L,) each line's execution rate [share]
    n_cells : C

    Examples
    --------
    One cell of two lines, 100 at 50% and 300 at 100%: (50 + 300) / 400 = 0.875.

    >>> cell_execution(np.array([[[100.0, 300.0]]]), np.array([0, 0]), np.array([0.5, 1.0]), 1).tolist()
    [[[0.875]]]
    """
    cost = np.asarray(line_cost, dtype=float)
    by_cell = (np.asarray(line_cell)[:, None] == np.arange(n_cells)[None, :]).astype(float)  # (L, C)
    total = np.einsum("dyl,lc->dyc", cost, by_cell)
    # 1 + the unexecuted share (<= 0): exactly 1 where every line executes fully
    unexecuted = np.einsum("dyl,l,lc->dyc", cost, np.asarray(line_execution, dtype=float) - 1.0, by_cell)
    return np.where(total > 0, 1.0 + unexecuted / np.where(total > 0, total, 1.0), 1.0)


def expected_payments(pay: Floats, source_execution: Floats, cell_rate: Floats) -> Floats:
    """What each source is expected to spend of each cell, (D, Y, S, C): its planned payment times its own execution
    rate and the cell's (:func:`cell_execution`).

    Examples
    --------
    Two sources pay 100 each of one cell; the first executes 80%, the second all of it:

    >>> expected_payments(np.array([[[[100.0], [100.0]]]]), np.array([0.8, 1.0]), np.ones((1, 1, 1))).tolist()
    [[[[80.0], [100.0]]]]
    """
    out = np.asarray(pay, dtype=float) * np.asarray(source_execution, dtype=float)[None, None, :, None] \
        * np.asarray(cell_rate, dtype=float)[:, :, None, :]
    return np.asarray(out, dtype=float)


def execution_ratio(planned: Floats, expected: Floats) -> Floats:
    """A source's expected over its planned payments over the plan, (D,) from (D, Y): the share of its debt service
    (a loan) or its payments (a PPP) expected, as disbursements drive them; 1 where it plans to pay nothing.

    >>> execution_ratio(np.array([[50.0, 50.0]]), np.array([[40.0, 40.0]])).tolist()
    [0.8]
    """
    p, e = np.asarray(planned, dtype=float).sum(axis=1), np.asarray(expected, dtype=float).sum(axis=1)
    return np.where(p > 0, e / np.where(p > 0, p, 1.0), 1.0)
