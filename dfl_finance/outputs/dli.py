"""``dli.csv``: results-based financing row by row (docs/method.md, *Results-based financing*)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dfl_finance.engine import Floats
from dfl_finance.engine.results import DliEarnings
from dfl_finance.inputs.models import Scenario, Source
from dfl_finance.outputs.rounding import round_to
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import SHARE_DIGITS, minor_unit_digits

#: What a [[source.dli]] row's payment is (dli.csv's ``role``), and its sign for the government.
ROLE_SIGN = {"reimbursement": 1.0, "outcome_payment_government": -1.0, "outcome_payment_partner": 0.0}


def dli_role(source: Source) -> str:
    """reimbursement (results-based financing: it reimburses the government), or an outcome bond's outcome payment
    made by the government or by a partner (docs/method.md, *Outcome bonds*)."""
    if source.outcome_bond is None:
        return "reimbursement"
    return f"outcome_payment_{source.outcome_bond.payer}"


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
    sign = np.array([ROLE_SIGN[dli_role(sc.source[k])] for k, _, _ in rows])
    received = dli_received(e, [k for k, _, _ in rows], conversion, factor[None, :], Y, sign)[d]
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
        "role": [dli_role(sc.source[k]) for k, _, _ in rows],
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


def dli_received(e: DliEarnings, source: list[int], conversion: Floats | None, factors: Floats, years: int,
                 sign: Floats | None = None) -> Floats:
    """(D, R) what the government receives on each row in each draw, in a basis: the earned amount in the source's
    currency, turned into constant local prices with ``conversion`` (D, S, Y) of the payment year (None: 1) and into
    the basis with ``factors`` (D or 1, H) of that year, times the row's ``sign`` (R,) (+1 default; an outcome bond's
    payment: -1 when the government makes it, 0 when a partner does); 0 where nothing is paid inside the plan."""
    D, R = e.earned.shape
    out = np.zeros((D, R))
    for j, k in enumerate(source):
        y = e.paid_year[:, j]
        d = np.flatnonzero((y >= 0) & (y < years) & (e.earned[:, j] > 0))
        conv = 1.0 if conversion is None else conversion[d, k, y[d]]
        f = factors[np.minimum(d, factors.shape[0] - 1), y[d]]
        out[d, j] = e.earned[d, j] / conv * f * (1.0 if sign is None else float(sign[j]))
    return out + 0.0  # -0.0 (a partner's outcome payment) is 0


#: The statistics of dli_at_risk.csv over the draws: the quantiles of what a row earns.
_QUANTILES = {"earned_p5": 5, "earned_p50": 50, "earned_p95": 95}


def dli_at_risk(sc: Scenario, results: dict[str, Floats], basis: str, currency: str) -> pd.DataFrame:
    """``dli_at_risk.csv`` of a risk run: one row per ``[[source.dli]]`` row of ``sc`` (docs/method.md,
    *Results-based financing*) from ``results`` (the draws' ``earned`` in the source's currency, ``received`` in the
    basis and ``paid_year``, (D, R) each, :class:`~dfl_finance.outputs.result.RiskDraws`): the share of the draws
    in which it earns anything, what it earns (mean, P5, P50, P95), the disbursement at risk (its amount less the
    mean earned; and less the P5, the shortfall that only 5% of the draws exceed), the mean year of payment and the
    mean received."""
    rows = [(k, r, row) for k, s in enumerate(sc.source) for r, row in enumerate(s.dli or [])]
    names = columns("dli_at_risk")
    if not rows or "earned" not in results:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    earned, received, paid = results["earned"], results["received"], results["paid_year"]
    amount = np.array([row.full_amount for _, _, row in rows])
    own_currency = [sc.source_currency(sc.source[k]) for k, _, _ in rows]
    own_digits = [minor_unit_digits(c) for c in own_currency]

    def own(values: Floats) -> list[float]:
        return [float(round_to(v, n)) for v, n in zip(values, own_digits)]

    got = earned > 0
    with np.errstate(invalid="ignore"):
        year = np.where(got.any(axis=0), np.where(got, paid, 0).sum(axis=0) / np.maximum(got.sum(axis=0), 1),
                        np.nan)
    mean = earned.mean(axis=0)
    q = {name: np.percentile(earned, p, axis=0) for name, p in _QUANTILES.items()}
    df = pd.DataFrame({
        "scenario": sc.name,
        "source": [sc.source[k].id for k, _, _ in rows],
        "dli": [r + 1 for _, r, _ in rows],
        "programme": [row.programme for _, _, row in rows],
        "source_currency": own_currency,
        "amount": own(amount),
        "probability_earned": np.round(got.mean(axis=0), SHARE_DIGITS),
        "earned_mean": own(mean),
        **{name: own(v) for name, v in q.items()},
        "at_risk_mean": own(amount - mean),
        "at_risk_p95": own(amount - q["earned_p5"]),
        "payment_year_mean": np.round(year, 2),
        "received_mean": np.asarray(round_to(received.mean(axis=0), minor_unit_digits(currency)), dtype=float),
        "price_basis": basis,
        "currency": currency,
    })
    return df[names]
