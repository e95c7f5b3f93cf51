"""``dli.csv``: results-based financing row by row (docs/method.md, *Results-based financing*)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dfl_finance.engine import Floats
from dfl_finance.engine.results import DliEarnings
from dfl_finance.inputs.models import Scenario
from dfl_finance.outputs.rounding import round_to
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import SHARE_DIGITS, minor_unit_digits


def dli_table(sc: Scenario, e: DliEarnings | None, d: int, conversion: Floats | None, factor: Floats, basis: str,
              currency: str) -> pd.DataFrame:
    """One row per ``[[source.dli]]`` row of ``sc``, in file order, for draw ``d`` of the earnings ``e``;
    ``conversion`` (D, S, Y) constant local prices -> each source's currency (None: 1), ``factor`` (H,) constant local
    prices -> the table's ``basis`` and ``currency``.

    ``amount``, ``earned``, ``lapsed`` and ``rolled_over`` are in the source's currency at current prices
    (``source_currency``), as the rows are written; ``received`` is what the government receives in the payment year,
    in the table's basis (its ``price_basis`` and ``currency``): the fiscal table takes it off that year's burden."""
    rows = [(k, r, row) for k, s in enumerate(sc.source) for r, row in enumerate(s.dli or [])]
    names = columns("dli")
    if e is None or not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    start = sc.scenario.start_year
    Y = sc.scenario.years
    digits = minor_unit_digits(currency)
    received = np.zeros(len(rows))
    for j, (k, _, _) in enumerate(rows):
        y = int(e.paid_year[d, j])
        if 0 <= y < Y and e.earned[d, j] > 0:
            conv = 1.0 if conversion is None else float(conversion[d, k, y])
            received[j] = e.earned[d, j] / conv * float(factor[y])
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
        "price_basis": basis,
        "currency": currency,
    })
    return df[names]
