"""``dli.csv``: results-based financing row by row (docs/method.md, *Results-based financing*)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dfl_finance.outputs.rounding import round_to
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import SHARE_DIGITS, minor_unit_digits

if TYPE_CHECKING:
    from dfl_finance.outputs.result import Result


def dli_table(result: Result) -> pd.DataFrame:
    """One row per ``[[source.dli]]`` row of the result's scenario, in file order, for the result's draw.

    ``amount``, ``earned``, ``lapsed`` and ``rolled_over`` are in the source's currency at current prices
    (``source_currency``), as the rows are written; ``received`` is what the government receives in the payment year,
    in the table's basis (its ``price_basis`` and ``currency``): the fiscal table takes it off that year's burden."""
    sc, d = result.scenario, result.draw
    e = result.sim.dli
    rows = [(k, r, row) for k, s in enumerate(sc.source) for r, row in enumerate(s.dli or [])]
    names = columns("dli")
    if e is None or not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    start = sc.scenario.start_year
    Y = sc.scenario.years
    inputs = result.inputs
    digits = result.digits
    received = np.zeros(len(rows))
    factors = result._factor
    for j, (k, _, _) in enumerate(rows):
        y = int(e.paid_year[d, j])
        if 0 <= y < Y and e.earned[d, j] > 0:
            conv = 1.0 if inputs.sources.conversion is None else float(inputs.sources.conversion[d, k, y])
            received[j] = e.earned[d, j] / conv * float(factors[y])
    year = e.earned_year[d]
    paid = e.paid_year[d]

    own_currency = [sc.source_currency(sc.source[k]) for k, _, _ in rows]
    own_digits = np.array([minor_unit_digits(c) for c in own_currency])

    def own(values: np.ndarray) -> np.ndarray:  # to the minor unit of each row's source currency
        return np.array([float(round_to(v, int(n))) for v, n in zip(values, own_digits)])

    df = pd.DataFrame({
        "scenario": sc.name,
        "source": [sc.source[k].id for k, _, _ in rows],
        "dli": [r + 1 for _, r, _ in rows],
        "programme": [row.programme for _, _, row in rows],
        "measure": [row.measure for _, _, row in rows],
        "target": [row.target for _, _, row in rows],
        "deadline": [row.deadline if row.deadline is not None else sc.end_year - row.lag for _, _, row in rows],
        "result": np.round(e.result[d], SHARE_DIGITS),
        "earned_year": pd.array([start + int(v) if v >= 0 else None for v in year], dtype="Int64"),
        "payment_year": pd.array([start + int(v) if v >= 0 else None for v in paid], dtype="Int64"),
        "source_currency": own_currency,
        "amount": own(e.amount[d]),
        "earned": own(e.earned[d]),
        "lapsed": own(e.lapsed[d]),
        "rolled_over": own(e.rolled_over[d]),
        "received": np.asarray(round_to(received, digits), dtype=float),
        "price_basis": result.basis,
        "currency": result.currency,
    })
    return df[names]
