"""The instruments of issue 25 on the engine's arrays (docs/method.md, *Instruments*): a swap's and a levy's yearly
amounts become their caps in the waterfall, a levy pays connectivity by default, a buy-down written on a loan
becomes the same :class:`~dfl_finance.engine.model.BuyDown` as one written on the grant (one engine path), a
guaranteed loan's charge is its rate with the guarantee plus the fee, and a swap's cancelled service is the
country's existing debt's (:func:`cancelled_service`) or a plan loan's (:func:`loan_swaps`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.engine.financing import SourceInputs
from dfl_finance.engine.instruments import buy_down_share, guarantee_charge, levy_yield, swap_counterpart
from dfl_finance.engine.model import BuyDown, LoanSpec
from dfl_finance.inputs.instruments import connectivity_programmes
from dfl_finance.vocabulary import COST_CLASSES

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario, Source

#: A field's value in each draw (D,): the sampled values where there are some, else the scenario's.
Value = Callable[[tuple[str | int, ...], "float | None"], Floats]


def _path(given: float | list[float] | None, years: int) -> Floats:
    """A number for every year, or one per projection year -> (Y,)."""
    if given is None:
        return np.zeros(years)
    if isinstance(given, list):
        return np.asarray(given, dtype=float)[:years]
    return np.full(years, float(given))


def instrument_caps(scenario: Scenario, value: Value, annual_cap: Floats) -> None:
    """In place: a swap pays at most its counterpart each year (``counterpart_share x debt_service``) and a levy at
    most what it raises (``rate x base``), in the source's currency at current prices, as ``annual_cap`` (D, S, Y)
    takes them (before a risk draw's pledges scale the caps: a swap may not materialise)."""
    Y = annual_cap.shape[2]
    for i, s in enumerate(scenario.source):
        if s.kind == "swap":
            share = value(("source", i, "counterpart_share"), s.counterpart_share or 0.0)
            annual_cap[:, i, :] = swap_counterpart(_path(s.debt_service, Y)[None, :] * np.ones((share.size, 1)),
                                                   share)
        elif s.kind == "levy":
            rate = value(("source", i, "rate"), s.rate or 0.0)
            annual_cap[:, i, :] = levy_yield(_path(s.base, Y)[None, :] * np.ones((rate.size, 1)), rate)


def instrument_cells(scenario: Scenario, eligible: np.ndarray) -> None:
    """In place, ``eligible`` (S, C): a levy without ``eligible`` pays the connectivity programmes only; a grant that
    buys down a loan (``[source.buy_down] by`` on the loan) pays no cost cell."""
    ids = {s.id: i for i, s in enumerate(scenario.source)}
    cells = [p.id for p in scenario.programme for _ in COST_CLASSES]
    for i, s in enumerate(scenario.source):
        if s.kind == "levy" and s.eligible is None:
            connectivity = set(connectivity_programmes(scenario))
            eligible[i] = [c in connectivity for c in cells]
        elif s.kind == "loan" and s.buy_down is not None and s.buy_down.by in ids:
            eligible[ids[s.buy_down.by]] = False


def loan_buy_downs(scenario: Scenario, sources: SourceInputs, loans: Sequence[LoanSpec]) -> tuple[BuyDown, ...]:
    """The buy-downs written on loans (``[source.buy_down] by, rate``): the grant ``by`` pays the share
    ``1 - rate / the loan's rate`` of each year's interest (:func:`~dfl_finance.engine.instruments.buy_down_share`,
    per draw: the loan's rate may be uncertain), up to its commitment, exactly as a grant-side buy-down with that
    share (:func:`~dfl_finance.model.compile.buy_downs`)."""
    ids = {s.id: i for i, s in enumerate(scenario.source)}
    rates = {spec.source: spec.rate for spec in loans}
    out = []
    for i, s in enumerate(scenario.source):
        bd = s.buy_down
        if s.kind != "loan" or bd is None or bd.by is None or bd.rate is None:
            continue
        g = ids[bd.by]
        share = buy_down_share(rates[i], bd.rate)
        out.append(BuyDown(g, i, share * sources.share_cap[:, g], sources.commitment[:, g].copy()))
    return tuple(out)


def cancelled_service(scenario: Scenario, conversion: Callable[[Source], Floats], window: np.ndarray,
                      draws: int, happens: Callable[[int], Floats] | None = None) -> Floats:
    """The external debt service the scenario's swaps cancel in each plan year, in constant local prices (D, Y):
    each swap's ``debt_service`` in its window years, in its currency at current prices, divided by
    ``conversion(source)`` ((D, >= Y): constant local prices to the swap's nominal currency), times
    ``happens(i)`` (D,): 1, or 0 in a risk draw where the swap's pledge does not materialise. 0 without a swap.
    A swap whose ``creditor`` is a loan of the plan is not here: it cancels that loan's service (:func:`loan_swaps`)."""
    Y = window.shape[1]
    out = np.zeros((draws, Y))
    loans = {s.id for s in scenario.source if s.kind == "loan"}
    for i, s in enumerate(scenario.source):
        if s.kind == "swap" and s.creditor not in loans:  # (a swap of a plan loan: :func:`loan_swaps`)
            m = np.ones(draws) if happens is None else happens(i)
            out += (np.where(window[i][None, :], _path(s.debt_service, Y)[None, :], 0.0) / conversion(s)[:, :Y]
                    * m[:, None])
    return out


def guaranteed_terms(source: Source, rates: Floats) -> tuple[Floats, dict[str, Any]]:
    """A loan's charge on its outstanding balance (D,) and the guarantee fields of its
    :class:`~dfl_finance.engine.model.LoanSpec`: with a ``guarantee``, the rate with it plus the fee on the
    guaranteed share (:func:`~dfl_finance.engine.instruments.guarantee_charge`; the rate without it, ``rate``, is
    then only the comparison), else ``rates`` unchanged and no fields."""
    g = source.guarantee
    if g is None:
        return rates, {}
    charge = guarantee_charge(np.full(rates.shape, g.rate), g.share, g.fee)
    return charge, {"guarantee_fee": np.full(rates.shape, g.share * g.fee), "guaranteed_share": g.share}


def has_legacy_swap(scenario: Scenario) -> bool:
    """Whether a swap cancels the country's existing debt service (its ``creditor`` is not a loan of the plan)."""
    loans = {s.id for s in scenario.source if s.kind == "loan"}
    return any(s.kind == "swap" and s.creditor not in loans for s in scenario.source)


def loan_swaps(scenario: Scenario, window: np.ndarray, draws: int,
               happens: Callable[[int], Floats] | None = None) -> tuple[tuple[int, Floats], ...]:
    """The swaps that cancel service of a loan of the plan (``creditor`` is the loan's id): (loan index, (D, Y) the
    service cancelled in each plan year of the swap's window, in the loan's nominal currency, which is the swap's;
    0 in a risk draw where the swap's pledge does not materialise)."""
    ids = {s.id: i for i, s in enumerate(scenario.source) if s.kind == "loan"}
    Y = window.shape[1]
    out = []
    for i, s in enumerate(scenario.source):
        if s.kind == "swap" and s.creditor in ids:
            m = np.ones(draws) if happens is None else happens(i)
            path = np.where(window[i], _path(s.debt_service, Y), 0.0)
            out.append((ids[s.creditor], path[None, :] * m[:, None]))
    return tuple(out)
