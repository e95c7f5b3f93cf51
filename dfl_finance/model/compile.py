"""A validated :class:`~dfl_finance.inputs.Scenario` -> the engine's arrays (:class:`ModelInputs`).

The engine never sees the schema; this is the one place that maps fields to arrays (and names to indices). Before
any array is allocated, :func:`~dfl_finance.model.sizing.check_memory` refuses a scenario whose arrays would not fit
in the memory limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar, cast

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.engine.costs import CostInputs
from dfl_finance.engine.dsf import DsfInputs, DsfShock
from dfl_finance.engine.financing import SourceInputs
from dfl_finance.engine.fiscal_years import DEFAULT_PAYMENT_MONTHS, calendar_from_fiscal_factor
from dfl_finance.engine.loans import ppp_profile, repayment_profile
from dfl_finance.engine.model import BuyDown, GapBond, LoanSpec, ModelInputs
from dfl_finance.engine.prices import Prices, fx_from_inflation, index_from_rates, other_fx, real_discount_factors
from dfl_finance.engine.results import DliRows
from dfl_finance.engine.variable_rate import equivalent_rate, extend_path
from dfl_finance.inputs.profiles import MacroData, macro_data, real_exchange_trend
from dfl_finance.inputs.uncertain import DLI_ACHIEVED, DLI_DELAY, PLEDGE_LAG, PLEDGE_MATERIALISES, PLEDGE_SHARE
from dfl_finance.model.instruments import (
    cancelled_service,
    guaranteed_terms,
    has_legacy_swap,
    instrument_caps,
    instrument_cells,
    loan_buy_downs,
    loan_swaps,
)
from dfl_finance.model.sizing import check_memory
from dfl_finance.vocabulary import (
    COST_CLASSES,
    DRIVERS,
    DSF_RATIOS,
    GRANT_ELEMENT_RATE,
    LINE_KINDS,
    ROLLOUTS,
    SOURCE_KINDS,
    USD,
    financed_kind,
)

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Debt, Programme, Scenario, Source


def _default_macro_data() -> MacroData:
    return macro_data()

T = TypeVar("T")


def cell_names(programmes: Sequence[Programme]) -> list[tuple[str, str]]:
    """The cost cells ``(programme id, capex|opex)`` in allocation order (see ``engine.financing.line_cells``)."""
    return [(p.id, k) for p in programmes for k in COST_CLASSES]


def paying_order(sources: Sequence[Source]) -> list[int]:
    """Indices of ``sources`` in paying order: ``priority`` (default 0; domestic last) then file order."""
    def key(i: int) -> tuple[float, int]:
        s = sources[i]
        if s.priority is not None:
            return (s.priority, i)
        return (np.inf if s.kind == "domestic" else 0, i)
    return sorted(range(len(sources)), key=key)


def rate_path(value: float | list[float] | None, n: int) -> Floats:
    """A rate given as one number or one per projection year -> (n,) years from start_year; after the last given
    year it continues at its last value."""
    if value is None:
        return np.zeros(n)
    values = np.asarray([value] if isinstance(value, (int, float)) else value, dtype=float)
    return np.concatenate([values, np.full(max(n - values.size, 0), values[-1])])[:n]


def _growth_path(given: float | list[float] | None, value: _Values, horizon: int) -> Floats:
    """(D, H) the real budget growth into each year from start_year: the file's rate or rates (after the last, the
    last), or a sampled rate for every year in each draw."""
    if ("context", "budget_growth") in value.samples:
        return np.repeat(value(("context", "budget_growth"), None)[:, None], horizon, axis=1)
    return _repeat(rate_path(given if given is not None else 0.0, horizon).tolist(), value.draws)


def in_usd(scenario: Scenario, currency: str) -> bool:
    """Whether an amount in ``currency`` is in US dollars in a scenario whose local currency is not: it is then
    converted at the exchange rate (in a USD scenario every amount is local)."""
    return currency == USD and scenario.scenario.currency != USD


def price_years(scenario: Scenario) -> list[int]:
    """Every year an amount of the scenario is quoted in (the price paths must reach back to the earliest)."""
    meta = scenario.scenario
    years = [meta.start_year, meta.base_year]
    years += [c.price_year for p in scenario.programme for c in p.cost if c.price_year is not None]
    years += [y for y in (scenario.context.budget_year, scenario.debt.data_year, scenario.macro.fx_year)
              if y is not None]
    years += [fx.year for fx in scenario.macro.other_fx.values() if fx.year is not None]
    return years


#: The ``[macro]`` fields that may vary between draws and move the price paths (:func:`build_prices`).
PRICE_FIELDS = ("inflation", "usd_inflation", "fx_rate")


def build_prices(scenario: Scenario, horizon: int, draws: int = 1, data: MacroData | None = None,
                 drawn: Mapping[str, Floats] | None = None) -> Prices:
    """The price and exchange-rate paths of a scenario, from the earliest year it quotes to ``horizon`` years
    after start_year, in each of ``draws`` draws.

    Rates: ``[macro] inflation`` for the projection years (then its last rate); before start_year the consumer
    price index of ``data`` where it has the year, else the first projection year's rate. A USD scenario without
    inflation has flat prices. The exchange rate: ``fx_path`` (then its last rate of change; before start_year it
    follows relative inflation), else ``fx_rate`` (of ``fx_year``, default the base year) moved by relative
    inflation.

    ``drawn``: the value of each of :data:`PRICE_FIELDS` that varies between draws, (draws,) each, in place of the
    scenario's: all the draws' paths in one pass, each the path of the scenario with that draw's values.
    """
    data = _default_macro_data() if data is None else data
    drawn = {f: np.asarray(v, dtype=float).reshape(-1) for f, v in (drawn or {}).items()}
    if set(drawn) - set(PRICE_FIELDS):
        raise ValueError(f"the price paths cannot vary in {sorted(set(drawn) - set(PRICE_FIELDS))}")
    meta, macro = scenario.scenario, scenario.macro
    start, Y = meta.start_year, meta.years
    origin = min(price_years(scenario)) - 1
    n = start + horizon - origin
    years = np.arange(origin, origin + n)
    anchor, base = start - origin, meta.base_year - origin
    local = meta.currency
    fx_at = base if macro.fx_year is None else macro.fx_year - origin  # where fx_rate holds
    rows = draws if drawn else 1  # paths that vary are computed per draw, the others once and repeated

    def rates(currency: str, field: str, value: float | list[float] | None) -> Floats:
        """(rows, n) the year-on-year rates: the scenario's, or one drawn rate for every projection year."""
        if field in drawn:
            first = drawn[field]  # (draws,) the first projection year's rate, and every later one
            out = np.repeat(first[:, None], n, axis=1)
        else:
            path = rate_path(value, horizon)
            first = np.full(rows, path[0])
            out = np.empty((rows, n))
            out[:, anchor:] = path
        history = data.cpi.get(currency, {}) if value is not None or field in drawn else {}
        for j in range(anchor):
            y = int(years[j])
            if y in history and y - 1 in history:
                out[:, j] = history[y] / history[y - 1] - 1.0
            else:
                out[:, j] = first
        return out

    lcu = index_from_rates(rates(local, "inflation", macro.inflation), base)
    if local == USD:
        usd, fx = lcu, np.ones((lcu.shape[0], n))
    else:
        usd = index_from_rates(rates(USD, "usd_inflation", macro.usd_inflation), base)
        if "fx_rate" in drawn:
            fx_rate = drawn["fx_rate"]
        else:
            fx_rate = np.full(rows, float(macro.fx_rate or 1.0))
        # the real exchange rate's trend: (1 + d) a year from fx_year (X = fx_rate x relative inflation x trend)
        trend = (1.0 + real_depreciation(scenario, data)) ** (years - years[fx_at]).astype(float)
        if macro.fx_path is None:
            fx = fx_from_inflation(fx_rate, lcu, usd, base) * trend[None, :]
            fx = fx / (fx[:, [fx_at]] / fx_rate[:, None])  # fx_rate holds in fx_year
        else:
            given = np.asarray(macro.fx_path, dtype=float)
            relative = lcu / usd * trend[None, :]  # the path's years are given: the trend moves the others
            fx = np.empty((rows, n))
            fx[:, anchor:anchor + Y] = given
            step = given[-1] / given[-2] if Y >= 2 else None
            for j in range(anchor + Y, n):
                fx[:, j] = fx[:, j - 1] * (step if step is not None else relative[:, j] / relative[:, j - 1])
            if anchor > 0:
                # before start_year: from fx_rate of an earlier year if given, else back from the path
                if (macro.fx_rate is not None or "fx_rate" in drawn) and fx_at < anchor:
                    ref, ref_at = fx_rate, fx_at
                else:
                    ref, ref_at = np.full(rows, given[0]), anchor
                fx[:, :anchor] = ref[:, None] * relative[:, :anchor] / relative[:, [ref_at]]

    def rep(a: Floats) -> Floats:
        return np.repeat(a, draws // a.shape[0], axis=0)

    fx, usd = rep(fx), rep(usd)
    return Prices(lcu=rep(lcu), usd=usd, fx=fx, start=anchor, base=base,
                  other=_other_paths(scenario, fx, usd, anchor, base, origin))


def _other_paths(scenario: Scenario, fx: Floats, usd: Floats, start: int, base: int, origin: int) -> dict[str, Floats]:
    """Local currency per unit of each ``[macro.fx.<CODE>]`` currency on the price axis (D, N)
    (:func:`~dfl_finance.engine.prices.other_fx`)."""
    out = {}
    for code, t in scenario.macro.other_fx.items():
        inflation = None if t.inflation is None else np.full(fx.shape[1], t.inflation)
        out[code] = other_fx(fx, usd, start, scenario.scenario.years, quote_usd=t.quote == USD,
                             path=None if t.path is None else np.asarray(t.path, dtype=float), rate=t.rate,
                             at=base if t.year is None else t.year - origin, inflation=inflation)
    return out


def real_depreciation(scenario: Scenario, data: MacroData | None = None) -> float:
    """``[macro] real_depreciation`` as a rate a year: the file's number, or (``"history"``) the trend of the
    currency's real exchange rate in the price history up to the price year
    (:func:`~dfl_finance.inputs.profiles.real_exchange_trend`; 0 where the history has fewer than two years, which
    validation refuses)."""
    value = scenario.macro.real_depreciation
    if value != "history":
        return float(value)
    trend = real_exchange_trend(scenario.scenario.currency, scenario.scenario.base_year, data)
    return 0.0 if trend is None else trend.rate


#: A location in a scenario (as :func:`dfl_finance.inputs.paths.resolve` gives it) -> its value in each draw (D,).
Samples = Mapping[tuple[str | int, ...], Floats]

class _Values:
    """A scenario's value of a field in each draw: the sampled values where there are some, else the scenario's."""

    def __init__(self, samples: Samples | None, draws: int) -> None:
        self.samples = {tuple(k): np.asarray(v, dtype=float) for k, v in (samples or {}).items()}
        self.draws = draws

    def __call__(self, loc: tuple[str | int, ...], default: float | None) -> Floats:
        if loc in self.samples:
            return self.samples[loc]
        return np.full(self.draws, np.nan if default is None else float(default))

    def columns(self, locs: Sequence[tuple[str | int, ...]], defaults: Sequence[float | None]) -> Floats:
        """(D, n) the values of several fields."""
        if not locs:
            return np.zeros((self.draws, 0))
        return np.stack([self(loc, d) for loc, d in zip(locs, defaults)], axis=1)


def _repeat(values: Sequence[float], draws: int) -> Floats:
    """(n,) values -> (draws, n), the same in every draw."""
    arr = np.asarray(values, dtype=float).reshape(1, -1)
    return np.repeat(arr, draws, axis=0)


def quote_factors(scenario: Scenario, prices: Prices) -> Floats:
    """What each cost line's unit cost is multiplied by to be in constant local prices of the base year, (D, L):
    deflated within its own currency from its price year to the base year, then converted at the base year's
    exchange rate (USD lines)."""
    start = scenario.scenario.start_year
    base_year = scenario.scenario.base_year
    out = []
    for p in scenario.programme:
        for c in p.cost:
            usd = in_usd(scenario, scenario.line_currency(c))
            index = prices.usd if usd else prices.lcu
            at = prices.start + (c.price_year if c.price_year is not None else base_year) - start
            out.append(prices.fx_base / index[:, at] if usd else 1.0 / index[:, at])
    D = prices.draws
    return np.stack(out, axis=1) if out else np.zeros((D, 0))


def build_cost_inputs(scenario: Scenario, draws: int = 1, prices: Prices | None = None,
                      years: int | None = None, samples: Samples | None = None) -> CostInputs:
    """The :class:`~dfl_finance.engine.costs.CostInputs` of a scenario, repeated over ``draws``, over ``years``
    years (default the plan's; more to continue opex and replacements after it), in constant local prices of the
    base year (``prices``; default: flat prices, amounts as written); ``samples`` give the fields that vary between
    draws."""
    value = _Values(samples, draws)
    ctx = scenario.context
    start = scenario.scenario.start_year
    plan_years = scenario.scenario.years
    Y = plan_years if years is None else years
    progs = scenario.programme
    lines = [(p_idx, c) for p_idx, p in enumerate(progs) for c in p.cost]
    counts = {driver: getattr(ctx, driver, None) or 0 for driver in DRIVERS}  # 0 for "none"
    # the lump sums of fixed lines, as multiples of unit_cost in each year: a schedule's years, every year, or the
    # profile (after the plan: a fixed_opex profile at its last value, a fixed_capex one nothing)
    schedule = np.zeros((len(lines), Y))
    for l_idx, (_, c) in enumerate(lines):
        if c.profile is not None:
            n = min(len(c.profile), Y)
            schedule[l_idx, :n] = c.profile[:n]
            if c.kind == "fixed_opex" and c.profile:
                schedule[l_idx, n:] = c.profile[-1]
        elif c.kind == "fixed_capex":
            schedule[l_idx, [y - start for y in (c.schedule or [start])]] = 1.0
        elif c.kind == "fixed_opex":
            schedule[l_idx, :] = 1.0
    line_locs = [("programme", i, "cost", j) for i, p in enumerate(progs) for j in range(len(p.cost))]
    unit_cost = value.columns([(*loc, "unit_cost") for loc in line_locs], [c.unit_cost for _, c in lines])
    usd_priced = np.array([in_usd(scenario, scenario.line_currency(c)) for _, c in lines], dtype=bool)
    rer = None
    if prices is not None:
        unit_cost = unit_cost * quote_factors(scenario, prices)
        rer = prices.window(prices.rer, Y)
    return CostInputs(
        years=Y,
        driver_count=value.columns([("context", p.driver) for p in progs], [counts[p.driver] for p in progs])
        if progs else np.zeros((draws, 0)),
        start_share=value.columns([("programme", i, "start_share") for i in range(len(progs))],
                                  [p.start_share for p in progs]),
        target_share=value.columns([("programme", i, "target_share") for i in range(len(progs))],
                                   [p.target_share for p in progs]),
        target_index=(np.rint(value.columns([("programme", i, "target_year") for i in range(len(progs))],
                                            [p.target_year or scenario.end_year for p in progs]))
                      - start).astype(np.int64),
        rollout=np.array([ROLLOUTS.index(p.rollout) for p in progs], dtype=np.int64),
        line_programme=np.array([p_idx for p_idx, _ in lines], dtype=np.int64),
        line_kind=np.array([LINE_KINDS.index(c.kind) for _, c in lines], dtype=np.int64),
        unit_cost=unit_cost,
        price_trend=value.columns([(*loc, "price_trend") for loc in line_locs], [c.price_trend for _, c in lines]),
        lifetime=np.array([c.lifetime or 0 for _, c in lines], dtype=np.int64),
        replace_existing=np.array([c.replace_existing for _, c in lines], dtype=bool),
        schedule=schedule,
        usd_priced=usd_priced,
        rer=rer,
        pay_existing=np.array([c.pay_existing for _, c in lines], dtype=bool),
    )


def cell_order(programmes: Sequence[Programme]) -> np.ndarray:
    """The order in which the cost cells are paid: programmes by ``priority`` (default 0, lower first), file order
    on ties; capex before opex within a programme."""
    ranked = sorted(range(len(programmes)), key=lambda i: (programmes[i].priority or 0, i))
    return np.array([2 * i + k for i in ranked for k in range(len(COST_CLASSES))], dtype=np.int64)


def eligible_cells(scenario: Scenario) -> np.ndarray:
    """(S, C) bool: the cost cells each source may pay (one dictionary lookup per ``eligible`` entry)."""
    cells = cell_names(scenario.programme)
    index: dict[str, list[int]] = {}
    for c, (prog, kind) in enumerate(cells):
        index.setdefault(prog, []).append(c)
        index[f"{prog}:{kind}"] = [c]
    capex = np.array([kind == "capex" for _, kind in cells], dtype=bool)
    out = np.zeros((len(scenario.source), len(cells)), dtype=bool)
    for i, s in enumerate(scenario.source):
        if s.eligible is None:
            out[i] = True
        else:
            hits = [c for entry in dict.fromkeys(s.eligible) for c in index.get(entry, ())]
            out[i, hits] = True
        if s.kind == "ppp":
            out[i] &= capex
    return out


def build_source_inputs(scenario: Scenario, draws: int = 1, prices: Prices | None = None,
                        samples: Samples | None = None) -> SourceInputs:
    """The :class:`~dfl_finance.engine.financing.SourceInputs` of a scenario, repeated over ``draws``; with
    ``prices``, the sources' amounts are in their own currency at current prices; ``samples`` give the fields that
    vary between draws."""
    value = _Values(samples, draws)
    sources = scenario.source
    start, Y = scenario.scenario.start_year, scenario.scenario.years
    years = np.arange(start, start + Y)
    ids = {s.id: i for i, s in enumerate(sources)}
    S = len(sources)
    window = np.zeros((S, Y), dtype=bool)
    match_on = np.zeros((S, S), dtype=bool)
    ratio = np.zeros(S)
    for i, s in enumerate(sources):
        window[i] = (years >= (s.first_year or start)) & (years <= (s.last_year or years[-1]))
        if s.match is not None:
            ratio[i] = s.match.ratio
            match_on[i, [ids[m] for m in s.match.sources]] = True

    def opt(v: float | None) -> float:
        return np.inf if v is None else v

    conversion = None
    if prices is not None:
        lcu = prices.window(prices.lcu, Y)
        usd = lcu / prices.window(prices.fx, Y)
        conversion = np.stack([prices.to_other(scenario.source_currency(s), Y)
                               if scenario.source_currency(s) in prices.other else
                               usd if in_usd(scenario, scenario.source_currency(s)) else lcu
                               for s in sources], axis=1) if sources else np.zeros((prices.draws, 0, Y))
    share_cap = value.columns([("source", i, "share_cap") for i in range(S)], [s.share_cap for s in sources])
    # (D, S, Y): one cap for every year (sampled, or the file's), or the file's cap per year
    annual_cap = np.repeat(value.columns([("source", i, "annual_cap") for i in range(S)],
                                         [opt(s.annual_cap if not isinstance(s.annual_cap, list) else None)
                                          for s in sources])[:, :, None], Y, axis=2)
    for i, s in enumerate(sources):
        if isinstance(s.annual_cap, list) and ("source", i, "annual_cap") not in value.samples:
            annual_cap[:, i, :] = np.asarray(s.annual_cap, dtype=float)[None, :Y]
    instrument_caps(scenario, value, annual_cap)  # a swap's counterpart, a levy's yield
    commitment = value.columns([("source", i, "commitment") for i in range(S)], [opt(s.commitment) for s in sources])
    committed = commitment.copy()  # as committed, before the pledges of a risk draw (a match on commitments)
    draw_window = None
    for i, s in enumerate(sources):
        # a pledge in a risk draw: it materialises or not, a share of it disburses, its window moves later
        m = value(("source", i, PLEDGE_MATERIALISES), 1.0) * value(("source", i, PLEDGE_SHARE), 1.0)
        if np.isfinite(commitment[:, i]).all():
            commitment[:, i] *= m
        elif np.isfinite(annual_cap[:, i]).all():
            annual_cap[:, i] *= m[:, None]
        else:
            share_cap[:, i] *= m
        if ("source", i, PLEDGE_LAG) in value.samples:
            if draw_window is None:
                draw_window = np.repeat(window[None], draws, axis=0)
            lag = np.rint(value(("source", i, PLEDGE_LAG), 0.0)).astype(np.int64)
            first, last = s.first_year or start, s.last_year or int(years[-1])
            draw_window[:, i] = ((years[None, :] >= first + lag[:, None]) & (years[None, :] <= last + lag[:, None]))
    eligible = eligible_cells(scenario)
    _multilateral_ceilings(scenario, value, committed, commitment, ratio, match_on, eligible)
    instrument_cells(scenario, eligible)
    for i, s in enumerate(sources):
        if s.dli and s.outcome_bond is None:  # results-based financing pays against results, not cost cells
            eligible[i] = False
    order = cell_order(scenario.programme)
    return SourceInputs(
        draw_window=draw_window,
        conversion=conversion,
        cell_order=None if (order == np.arange(order.size)).all() else order,
        net_envelope=scenario.context.envelope == "net",
        order=np.array(paying_order(sources), dtype=np.int64),
        kind=np.array([SOURCE_KINDS.index(financed_kind(s.kind)) for s in sources], dtype=np.int64),
        eligible=eligible,
        window=window,
        share_cap=share_cap,
        annual_cap=annual_cap,
        budget_share_cap=value.columns([("source", i, "budget_share_cap") for i in range(S)],
                                       [opt(s.budget_share_cap) for s in sources]) * _execution(scenario, value),
        commitment=commitment,
        match_ratio=ratio,
        match_on=match_on,
    )


def _multilateral_ceilings(scenario: Scenario, value: _Values, committed: Floats, commitment: Floats, ratio: Floats,
                           match_on: np.ndarray, eligible: np.ndarray) -> None:
    """GPE's rules on the sources' arrays, in place (docs/method.md, *Multilateral rules*).

    A grant's ``allocation`` caps its total like a commitment. A match on commitments becomes a ceiling on the
    grant's total, ``ratio x`` the matched sources' commitments (each as written, under its own allocation, and 0 in
    a risk draw where its pledge does not materialise; the share of a pledge that disburses does not lower what was
    committed), and no longer a cap on each year's payments. A buy-down grant pays no cost cell: its commitment is
    what it may pay of the loan's interest (:func:`buy_downs`).
    """
    sources = scenario.source
    ids = {s.id: i for i, s in enumerate(sources)}
    allocation = np.array([np.inf if s.allocation is None else s.allocation for s in sources], dtype=float)
    for g, s in enumerate(sources):
        if s.kind != "grant":
            continue
        if s.match is not None and s.match.basis == "commitments":
            matched = [ids[m] for m in s.match.sources]
            basis = sum((np.minimum(committed[:, m], allocation[m])
                         * value(("source", m, PLEDGE_MATERIALISES), 1.0) for m in matched),
                        np.zeros(commitment.shape[0]))
            commitment[:, g] = np.minimum(commitment[:, g], s.match.ratio * basis)
            ratio[g] = 0.0
            match_on[g] = False
        commitment[:, g] = np.minimum(commitment[:, g], allocation[g])
        if s.buy_down is not None:
            eligible[g] = False


def buy_downs(scenario: Scenario, sources: SourceInputs) -> tuple[BuyDown, ...]:
    """The buy-downs of a scenario: each grant with ``buy_down`` pays its ``share`` of the named loan's interest, up
    to its commitment (after :func:`_multilateral_ceilings`; in the loan's nominal currency, which is the grant's)."""
    ids = {s.id: i for i, s in enumerate(scenario.source)}
    return tuple(BuyDown(g, ids[s.buy_down.loan], s.buy_down.share * sources.share_cap[:, g],
                         sources.commitment[:, g].copy())
                 for g, s in enumerate(scenario.source)
                 if s.kind == "grant" and s.buy_down is not None and s.buy_down.loan is not None)
def _execution(scenario: Scenario, value: _Values) -> Floats:
    """(D, 1) the share of the education budget actually spent (``[context] budget_execution``, sampled or the
    file's), which multiplies every ``budget_share_cap``: a domestic source pays at most cap x budget x execution."""
    return value(("context", "budget_execution"), scenario.context.budget_execution)[:, None]


def _given(value: T | None, what: str) -> T:
    """A field that validation guarantees (a loan has its terms); None here is a bug, not an input error."""
    if value is None:
        raise RuntimeError(f"{what} is missing in a validated scenario")
    return value


def _per_draw(make: Callable[[float], Floats], rates: Floats) -> tuple[Floats, Floats]:
    """A loan's repayment profile in each draw, made once per distinct rate: (D, K + 1), (D,)."""
    distinct, which = np.unique(rates, return_inverse=True)
    profiles = np.stack([make(float(r)) for r in distinct])
    return profiles[which.reshape(-1)], np.asarray(rates, dtype=float)


def _loan_specs(scenario: Scenario, draws: int = 1,
                samples: Samples | None = None) -> tuple[list[LoanSpec], list[LoanSpec]]:
    value = _Values(samples, draws)
    loans, ppps = [], []
    local = scenario.scenario.currency
    for i, s in enumerate(scenario.source):
        usd = in_usd(scenario, scenario.source_currency(s))
        if s.kind == "loan":
            repayment, grace = _given(s.repayment, "repayment"), _given(s.grace_years, "grace_years")
            maturity, schedule = _given(s.maturity_years, "maturity_years"), s.schedule
            path = _variable_rate(s, scenario.scenario.years, value(("source", i, "spread"), s.spread or 0.0))
            rates = value(("source", i, "rate"), _given(s.rate, "rate")) if path is None else \
                equivalent_rate(extend_path(path, scenario.scenario.years + maturity))
            rates, guarantee = guaranteed_terms(s, rates)  # a guaranteed loan: its rate with the guarantee and fee
            other = scenario.source_currency(s) if scenario.source_currency(s) in scenario.macro.other_fx else None
            # external debt: a loan in USD or another foreign currency (in a USD scenario every loan: its lenders
            # are abroad)
            external = usd or other is not None or local == USD
            per_year = s.payments_per_year or 1
            loans.append(LoanSpec(i, *_per_draw(lambda r: repayment_profile(repayment, r, grace, maturity, schedule),
                                                rates), s.front_end_fee or 0.0, s.commitment_fee or 0.0, usd,
                                  external, payments_per_year=per_year,
                                  payment_months=tuple(s.payment_months or DEFAULT_PAYMENT_MONTHS[per_year]),
                                  currency=other, rate_path=path, **guarantee))
        elif s.kind == "ppp":
            other = scenario.source_currency(s) if scenario.source_currency(s) in scenario.macro.other_fx else None
            years = _given(s.contract_years, "contract_years")
            rates = value(("source", i, "return_rate"), _given(s.return_rate, "return_rate"))
            public = s.liability != "user_pays"  # availability (the default): public debt (GFSM 2014)
            ppps.append(LoanSpec(i, *_per_draw(lambda r: ppp_profile(years, r), rates), 0.0, 0.0, usd,
                                 external=(usd or other is not None or local == USD) and public, public=public,
                                 currency=other))
    return loans, ppps


def _variable_rate(source: Source, years: int, spread: Floats) -> Floats | None:
    """A variable-rate loan's rate in each projection year, ``rate_reference + spread`` (D, years), with the spread
    of each draw (D,): a drawn spread shifts the whole path; None for a fixed rate."""
    if source.rate_reference is None:
        return None
    reference = np.asarray(source.rate_reference, dtype=float)[:years]
    return np.asarray(reference[None, :] + np.asarray(spread, dtype=float)[:, None], dtype=float)


def _gap_bond(scenario: Scenario) -> GapBond | None:
    gf = scenario.context.gap_financing
    if gf is None:
        return None
    m = gf.maturity_years
    return GapBond(profile=repayment_profile("schedule", gf.rate, m - 1, m, [(m, m, 1.0)]), rate=gf.rate)


def horizon_of(scenario: Scenario) -> int:
    """Years from start_year to the last year any flow reaches: the plan and its post-horizon years, the last loan
    repayment or PPP payment, the repayment of the gap bond."""
    Y = scenario.scenario.years
    loans, ppps = _loan_specs(scenario)
    tails = [int(spec.profile.shape[-1]) - 1 for spec in loans + ppps]
    bond = _gap_bond(scenario)
    if bond is not None:
        tails.append(len(bond.profile) - 1)
    return Y + max([scenario.scenario.post_horizon_years, *tails])


def _shock_path(values: list[float], D: int, H: int) -> Floats:
    """A shock's values per projection year, as (D, H): 0 after the list."""
    out = np.zeros((D, H))
    n = min(len(values), H)
    out[:, :n] = values[:n]
    return out


def _debt_paths(scenario: Scenario, prices: Prices, H: int) -> dict[str, Floats]:
    """``[debt]`` given as paths (a list per projection year, as a DSA's tables publish them), as (D, H) arrays:
    GDP in USD at the real exchange rate of start_year (``gdp``), the real growth (``gdp_growth``), and the ratios
    the engine reads (exports and revenue over GDP, the baseline's PV over GDP, its service over exports, total
    public debt over GDP). A list gives its years; after it, GDP grows at gdp_growth and US prices and every other
    path keeps its last ratio. A number is that of data_year (GDP carried to start_year as with no list) and keeps its
    ratio to GDP; with GDP a list, a number is read against the GDP of start_year."""
    debt, D = scenario.debt, prices.draws
    usd = prices.window(prices.usd, H)

    def per_year(value: float | list[float]) -> Floats:
        values = [float(v) for v in (value if isinstance(value, list) else [value])]
        out = np.array(values[:H] + [values[-1]] * max(H - len(values), 0))
        return np.broadcast_to(out, (D, H)).copy()

    growth = per_year(debt.gdp_growth if debt.gdp_growth is not None else 0.0)
    if isinstance(debt.gdp, list):
        given = len(debt.gdp)
        gdp = per_year(debt.gdp)
        for i in range(given, H):  # after the DSA's years: real growth and US prices
            gdp[:, i] = gdp[:, i - 1] * (1.0 + growth[:, i]) * usd[:, i] / usd[:, i - 1]
        reference = gdp[:, 0]  # a number is read against the GDP of start_year
    else:
        assert debt.gdp is not None
        # the growth before start_year: the first of the path
        gdp0 = _gdp_at_start(debt.gdp, growth[:, 0], scenario, prices)
        steps = np.concatenate([np.ones((D, 1)), np.cumprod(1.0 + growth[:, 1:], axis=1)], axis=1)
        gdp = gdp0[:, None] * steps * usd / usd[:, [0]]
        reference = np.full(D, float(debt.gdp))

    def ratio(value: float | list[float] | None, over: Floats, base: Floats) -> Floats:
        """``value`` over ``over`` (D, H) where a list, else over ``base`` (D,) (a number's ratio, kept)."""
        if value is None:
            return np.full((D, H), np.nan)
        if isinstance(value, list):
            r = per_year(value) / over
            r[:, len(value):] = r[:, [min(len(value), H) - 1]]  # after the list: the last ratio
            return np.asarray(r, dtype=float)
        return np.broadcast_to((value / base)[:, None], (D, H)).copy()

    exports = ratio(debt.exports, gdp, reference)
    # a number of debt service is read against exports: the number of exports, else the exports of start_year
    service_base = (exports[:, 0] * gdp[:, 0] if isinstance(debt.exports, list)
                    else np.full(D, float(cast(float, debt.exports))))
    return {"gdp": gdp, "gdp_growth": growth, "exports_share": exports,
            "revenue_share": ratio(debt.revenue, gdp, reference),
            "baseline_pv_gdp": ratio(debt.pv_external_debt, gdp, reference),
            "baseline_service_exports": ratio(debt.external_debt_service, exports * gdp, service_base),
            "public_pv_gdp": ratio(debt.pv_public_debt, gdp, reference)}


def _gdp_at_start(gdp: float, growth: float | Floats, scenario: Scenario, prices: Prices) -> Floats:
    """``[debt] gdp`` of data_year carried to start_year (D,): real growth, US prices, divided by the real exchange
    rate (as :func:`~dfl_finance.engine.dsf.gdp_path` carries it on)."""
    start, data_year = scenario.scenario.start_year, scenario.debt.data_year
    at = prices.start + (data_year if data_year is not None else start) - start
    rer = prices.rer
    return np.asarray(gdp * (1.0 + growth) ** (start - (data_year or start))
                      * prices.usd[:, prices.start] / prices.usd[:, at] / (rer[:, prices.start] / rer[:, at]),
                      dtype=float)


def _dsf_shock(debt: Debt, D: int, H: int) -> DsfShock | None:
    if debt.shock is None:
        return None
    return DsfShock(**{f: _shock_path(getattr(debt.shock, f), D, H)
                       for f in ("gdp_growth", "exports_growth", "primary_balance", "other_flows")},
                    contingent=np.full(D, debt.shock.contingent), ppp_contingent=np.full(D, debt.shock.ppp_contingent))


_PATH_FIELDS = ("gdp", "gdp_growth", "exports", "revenue", "pv_external_debt", "external_debt_service",
                "pv_public_debt")


def _dsf_inputs(scenario: Scenario, prices: Prices, data: MacroData, H: int) -> DsfInputs | None:
    """The debt-sustainability inputs, when the scenario has GDP, exports and revenue ([debt] or the profile)."""
    debt = scenario.debt
    if not debt.has_dsf_view:
        return None
    D = prices.draws
    values: dict[str, Floats]
    if any(isinstance(getattr(debt, f), list) for f in _PATH_FIELDS):
        values = _debt_paths(scenario, prices, H)  # the same inputs, per year
    else:  # one number each
        gdp, exports, revenue = (float(cast(float, v)) for v in (debt.gdp, debt.exports, debt.revenue))
        pv, service, public = (None if v is None else float(cast(float, v))
                               for v in (debt.pv_external_debt, debt.external_debt_service, debt.pv_public_debt))
        if not gdp > 0:
            return None
        g = float(cast(float, debt.gdp_growth or 0.0))
        nan = np.full(D, np.nan)
        values = {"gdp": _gdp_at_start(gdp, g, scenario, prices), "gdp_growth": np.full(D, g),
                  "exports_share": np.full(D, exports / gdp), "revenue_share": np.full(D, revenue / gdp),
                  "baseline_pv_gdp": nan if pv is None else np.full(D, pv / gdp),
                  "baseline_service_exports": nan if service is None or not exports > 0
                  else np.full(D, service / exports),
                  "public_pv_gdp": nan if public is None else np.full(D, public / gdp)}
    thresholds = data.thresholds.get(debt.capacity or "", ())
    return DsfInputs(
        **values,
        thresholds=np.asarray(thresholds if len(thresholds) == len(DSF_RATIOS) else [np.nan] * len(DSF_RATIOS),
                              dtype=float),
        lcu_share=np.full(D, debt.external_lcu_share),
        public_benchmark=float(data.public_benchmarks.get(debt.capacity or "", np.nan)),
        shock=_dsf_shock(debt, D, H),
    )


def _prices_per_draw(scenario: Scenario, horizon: int, draws: int, data: MacroData, value: _Values) -> Prices:
    """The price paths of each draw, where ``[macro]`` values vary between draws (:data:`PRICE_FIELDS`)."""
    drawn = {f: value(("macro", f), None) for f in PRICE_FIELDS if ("macro", f) in value.samples}
    return build_prices(scenario, horizon, draws, data, drawn)


def build_model_inputs(scenario: Scenario, draws: int = 1, data: MacroData | None = None,
                       samples: Samples | None = None) -> ModelInputs:
    """The :class:`~dfl_finance.engine.model.ModelInputs` of a validated scenario, repeated over ``draws``.

    ``data``: consumer price indices and DSF thresholds (default: read from data/). ``samples``: the values of the
    fields that vary between draws (:data:`~dfl_finance.inputs.uncertain.UNCERTAIN_FIELDS`), by location, each
    (draws,).

    Raises
    ------
    ScenarioError
        The run would need more memory than the limit (:func:`check_memory`).
    """
    check_memory(scenario, draws)
    data = _default_macro_data() if data is None else data
    ctx, meta = scenario.context, scenario.scenario
    Y = meta.years
    H = horizon_of(scenario)
    value = _Values(samples, draws)
    prices = _prices_per_draw(scenario, H, draws, data, value)

    # the budget: nominal local currency of budget_year -> constant prices, carried to start_year at real growth
    growth = _growth_path(ctx.budget_growth, value, H)
    budget_year = ctx.budget_year if ctx.budget_year is not None else meta.start_year
    at = prices.start + budget_year - meta.start_year
    budget = value(("context", "education_budget"), ctx.education_budget or 0.0)
    if ctx.budget_external is not None and not ctx.budget_gross:
        # net of the externally financed projects inside it: donor money is not domestic room
        budget = np.maximum(budget - ctx.budget_external, 0.0)
    # carried to start_year at real growth: back through the path's years, or at its first rate before start_year
    j = budget_year - meta.start_year
    carry = 1.0 / np.prod(1.0 + growth[:, 1:j + 1], axis=1) if j > 0 else (1.0 + growth[:, 0]) ** -j
    budget0 = budget / prices.lcu[:, at] * carry
    if meta.fiscal_year_start != 1:
        # the budget of budget_year is that of fiscal year budget_year/budget_year+1: read back into calendar year
        # budget_year by the month-spreading rule, at the nominal growth into it (docs/method.md, Fiscal years)
        budget0 = budget0 * calendar_from_fiscal_factor(meta.fiscal_year_start,
                                                        _nominal_budget_growth(prices, growth, at, j))
    domestic = [i for i, s in enumerate(scenario.source) if s.kind == "domestic" and s.budget_share_cap is not None]
    caps = value.columns([("source", i, "budget_share_cap") for i in domestic],
                         [scenario.source[i].budget_share_cap for i in domestic])
    caps = caps * _execution(scenario, value)
    loans, ppps = _loan_specs(scenario, draws, samples)
    sources = build_source_inputs(scenario, draws, prices, samples)
    return ModelInputs(
        costs=build_cost_inputs(scenario, draws, prices, years=Y + meta.post_horizon_years, samples=samples),
        years=Y,
        horizon=H,
        sources=sources,
        loans=loans,
        ppps=ppps,
        n_programmes=len(scenario.programme),
        education_budget=np.asarray(budget0, dtype=float),
        budget_growth=growth,
        burden_limit=value(("context", "burden_limit"), ctx.burden_limit),
        discount=real_discount_factors(value(("scenario", "discount_rate"), meta.discount_rate),
                                       meta.discount_basis == "real", prices.window(prices.lcu, H)),
        learners=value(("context", "learners"), ctx.learners or 0),
        prices=prices,
        gap_bond=_gap_bond(scenario),
        dsf=_dsf_inputs(scenario, prices, data, H),
        domestic_cap=caps.sum(axis=1) if domestic else None,
        discount_at=discount_at_rates(scenario, prices, H),
        buy_downs=buy_downs(scenario, sources) + loan_buy_downs(scenario, sources, loans),
        cancelled_service=cancelled_service(
            scenario, lambda s: prices.to_currency(in_usd(scenario, scenario.source_currency(s)), H), sources.window,
            draws, lambda i: value(("source", i, PLEDGE_MATERIALISES), 1.0)) if has_legacy_swap(scenario) else None,
        loan_swaps=loan_swaps(scenario, sources.window, draws,
                              lambda i: value(("source", i, PLEDGE_MATERIALISES), 1.0)),
        dli=dli_rows(scenario, draws, samples),
    )


def dli_sign(source: Source) -> float:
    """What a ``[[source.dli]]`` row of ``source`` does for the government: +1, its payment reimburses the
    government; -1, an outcome bond's payment that the government makes; 0, one that a partner makes."""
    if source.outcome_bond is None:
        return 1.0
    return -1.0 if source.outcome_bond.payer == "government" else 0.0


def dli_rows(scenario: Scenario, draws: int = 1, samples: Samples | None = None) -> DliRows | None:
    """The ``[[source.dli]]`` rows of a scenario as engine arrays (None without any), with each row's draws of
    whether its result comes and its delay where ``samples`` give them (added to its ``result_delay``). A row's
    unearned amount rolls over to the next row of the same source on the same programme and measure
    (docs/method.md, *Results-based financing*)."""
    value = _Values(samples, draws)
    start, last = scenario.scenario.start_year, scenario.end_year
    ids = {p.id: i for i, p in enumerate(scenario.programme)}
    flat = [(k, r, row) for k, s in enumerate(scenario.source) for r, row in enumerate(s.dli or [])]
    if not flat:
        return None
    R = len(flat)
    next_row = np.full(R, -1, dtype=np.int64)
    for a, (k, _, row) in enumerate(flat):
        if row.unearned == "roll_over":
            later = [b for b in range(a + 1, R) if flat[b][0] == k and flat[b][2].programme == row.programme
                     and flat[b][2].measure == row.measure]
            next_row[a] = later[0] if later else -1
    achieved = np.stack([value(("source", k, "dli", r, DLI_ACHIEVED), 1.0) for k, r, _ in flat], axis=1)
    delay = np.stack([np.rint(value(("source", k, "dli", r, DLI_DELAY), 0.0)) + row.result_delay
                      for k, r, row in flat], axis=1)
    drawn = any(("source", k, "dli", r, DLI_ACHIEVED) in value.samples for k, r, _ in flat)
    return DliRows(
        commitment=dli_commitment(scenario, value, flat),
        source=np.array([k for k, _, _ in flat], dtype=np.int64),
        target=np.array([row.target for _, _, row in flat], dtype=float),
        amount=np.array([row.full_amount for _, _, row in flat], dtype=float),
        scalable=np.array([row.scalable for _, _, row in flat], dtype=bool),
        floor=np.array([row.floor for _, _, row in flat], dtype=float),
        lag=np.array([row.lag for _, _, row in flat], dtype=np.int64),
        deadline=np.array([(last - row.lag if row.deadline is None else row.deadline) - start
                           for _, _, row in flat], dtype=np.int64),
        next_row=next_row,
        programme=np.array([ids[row.programme] for _, _, row in flat], dtype=np.int64),
        share=np.array([row.measure == "reached_share" for _, _, row in flat], dtype=bool),
        sign=np.array([dli_sign(scenario.source[k]) for k, _, _ in flat], dtype=float),
        achieved=achieved if drawn else None,
        delay=delay.astype(np.int64) if delay.any() else None,
    )


def dli_commitment(scenario: Scenario, value: _Values, flat: Sequence[tuple[int, int, object]]) -> Floats | None:
    """(D, S) what each source may pay against its ``[[source.dli]]`` rows in all, in its currency at current prices
    (docs/method.md, *Results-based financing*): its ``commitment`` (as drawn), else the sum of its rows' amounts,
    times its pledge draw (materialises x disbursement share); inf for a source without rows and for an outcome
    bond (its commitment is the investor's principal). None when nothing can bind (no commitment below the rows'
    sum, no pledge draw)."""
    S = len(scenario.source)
    D = value.draws
    out = np.full((D, S), np.inf)
    binds = False
    for k in sorted({k for k, _, _ in flat}):
        s = scenario.source[k]
        if s.outcome_bond is not None:  # its commitment is the investor's principal, not a limit on the outcomes
            continue
        total = sum(row.full_amount for row in s.dli or [])
        written = value(("source", k, "commitment"), np.inf if s.commitment is None else s.commitment)
        pledge = value(("source", k, PLEDGE_MATERIALISES), 1.0) * value(("source", k, PLEDGE_SHARE), 1.0)
        out[:, k] = np.minimum(written, total) * pledge
        binds = binds or bool((out[:, k] < total).any())
    return out if binds else None


def borrowing_rate(scenario: Scenario) -> float | None:
    """The government's marginal borrowing rate, nominal in local currency: ``[context] borrowing_rate``, else the
    rate of ``[context] gap_financing``; None without either."""
    ctx = scenario.context
    if ctx.borrowing_rate is not None:
        return ctx.borrowing_rate
    return None if ctx.gap_financing is None else ctx.gap_financing.rate


def discount_at_rates(scenario: Scenario, prices: Prices, horizon: int) -> dict[str, Floats]:
    """The discount factors (D, H) of constant-price local flows at each rate of
    :data:`~dfl_finance.vocabulary.PV_RATES` the scenario has: ``5pct``, the flows in current USD (``x I_y / X_y``)
    at the IMF's 5%, brought back to an amount of start_year (``/ (I_s / X_s)``); ``borrowing_rate``, current local
    flows (``x I_y``) at the nominal borrowing rate (:func:`borrowing_rate`); ``social_rate``, constant-price flows
    at the real ``social_discount_rate``."""
    D, H = prices.draws, horizon
    out = {"5pct": real_discount_factors(np.full(D, GRANT_ELEMENT_RATE), False, prices.to_currency(True, H))}
    rate = borrowing_rate(scenario)
    if rate is not None:
        out["borrowing_rate"] = real_discount_factors(np.full(D, rate), False, prices.window(prices.lcu, H))
    social = scenario.scenario.social_discount_rate
    if social is not None:
        out["social_rate"] = real_discount_factors(np.full(D, social), True, prices.window(prices.lcu, H))
    return out


def _nominal_budget_growth(prices: Prices, growth: Floats, at: int, j: int) -> Floats:
    """(D,) the nominal growth of the education budget into the budget's year (index ``at`` of the price paths,
    ``j`` years after start_year): its real growth into that year times the local price change into it (the change
    out of it where the price paths start with that year)."""
    lcu = prices.lcu
    inflation = lcu[:, at] / lcu[:, at - 1] if at >= 1 else lcu[:, min(at + 1, lcu.shape[1] - 1)] / lcu[:, at]
    real = growth[:, min(max(j, 0), growth.shape[1] - 1)]
    return np.asarray((1.0 + real) * inflation - 1.0, dtype=float)
