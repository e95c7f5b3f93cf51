"""A validated :class:`~dfl_finance.schema.Scenario` -> the engine's arrays (:class:`ModelInputs`).

The engine never sees the schema; this is the one place that maps fields to arrays (and names to indices). Before
any array is allocated, :func:`~dfl_finance.sizing.check_memory` refuses a scenario whose arrays would not fit in the
memory limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from .engine import Floats
from .engine.costs import CostInputs
from .engine.financing import SourceInputs
from .engine.loans import ppp_profile, repayment_profile
from .engine.model import LoanSpec, ModelInputs
from .sizing import check_memory
from .vocabulary import COST_CLASSES, DRIVERS, LINE_KINDS, ROLLOUTS, SOURCE_KINDS

if TYPE_CHECKING:
    from .schema.models import Programme, Scenario, Source

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


def _repeat(values: Sequence[float], draws: int) -> Floats:
    """(n,) values -> (draws, n), the same in every draw."""
    arr = np.asarray(values, dtype=float).reshape(1, -1)
    return np.repeat(arr, draws, axis=0)


def build_cost_inputs(scenario: Scenario, draws: int = 1) -> CostInputs:
    """The :class:`~dfl_finance.engine.costs.CostInputs` of a scenario, repeated over ``draws``."""
    ctx = scenario.context
    start = scenario.scenario.start_year
    Y = scenario.scenario.years
    progs = scenario.programme
    lines = [(p_idx, c) for p_idx, p in enumerate(progs) for c in p.cost]
    counts = {driver: getattr(ctx, driver, None) or 0 for driver in DRIVERS}  # 0 for "none"
    schedule = np.zeros((len(lines), Y), dtype=bool)
    for l_idx, (_, c) in enumerate(lines):
        if c.kind == "fixed_capex":
            schedule[l_idx, [y - start for y in (c.schedule or [start])]] = True
    return CostInputs(
        years=Y,
        driver_count=_repeat([counts[p.driver] for p in progs], draws),
        start_share=_repeat([p.start_share for p in progs], draws),
        target_share=_repeat([p.target_share for p in progs], draws),
        target_index=np.array([(p.target_year or scenario.end_year) - start for p in progs], dtype=np.int64),
        rollout=np.array([ROLLOUTS.index(p.rollout) for p in progs], dtype=np.int64),
        line_programme=np.array([p_idx for p_idx, _ in lines], dtype=np.int64),
        line_kind=np.array([LINE_KINDS.index(c.kind) for _, c in lines], dtype=np.int64),
        unit_cost=_repeat([c.unit_cost for _, c in lines], draws),
        price_trend=_repeat([c.price_trend for _, c in lines], draws),
        lifetime=np.array([c.lifetime or 0 for _, c in lines], dtype=np.int64),
        replace_existing=np.array([c.replace_existing for _, c in lines], dtype=bool),
        schedule=schedule,
    )


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


def build_source_inputs(scenario: Scenario, draws: int = 1) -> SourceInputs:
    """The :class:`~dfl_finance.engine.financing.SourceInputs` of a scenario, repeated over ``draws``."""
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

    return SourceInputs(
        order=np.array(paying_order(sources), dtype=np.int64),
        kind=np.array([SOURCE_KINDS.index(s.kind) for s in sources], dtype=np.int64),
        eligible=eligible_cells(scenario),
        window=window,
        share_cap=_repeat([s.share_cap for s in sources], draws),
        annual_cap=_repeat([opt(s.annual_cap) for s in sources], draws),
        budget_share_cap=_repeat([opt(s.budget_share_cap) for s in sources], draws),
        commitment=_repeat([opt(s.commitment) for s in sources], draws),
        match_ratio=ratio,
        match_on=match_on,
    )


def _given(value: T | None, what: str) -> T:
    """A field that validation guarantees (a loan has its terms); None here is a bug, not an input error."""
    if value is None:
        raise RuntimeError(f"{what} is missing in a validated scenario")
    return value


def _loan_specs(scenario: Scenario) -> tuple[list[LoanSpec], list[LoanSpec]]:
    loans, ppps = [], []
    for i, s in enumerate(scenario.source):
        if s.kind == "loan":
            rate = _given(s.rate, "rate")
            profile = repayment_profile(_given(s.repayment, "repayment"), rate, _given(s.grace_years, "grace_years"),
                                        _given(s.maturity_years, "maturity_years"), s.schedule)
            loans.append(LoanSpec(i, profile, rate, s.front_end_fee or 0.0, s.commitment_fee or 0.0))
        elif s.kind == "ppp":
            rate = _given(s.return_rate, "return_rate")
            ppps.append(LoanSpec(i, ppp_profile(_given(s.contract_years, "contract_years"), rate), rate, 0.0, 0.0))
    return loans, ppps


def build_model_inputs(scenario: Scenario, draws: int = 1) -> ModelInputs:
    """The :class:`~dfl_finance.engine.model.ModelInputs` of a validated scenario, repeated over ``draws``.

    Raises
    ------
    ScenarioError
        The run would need more memory than the limit (:func:`check_memory`).
    """
    check_memory(scenario, draws)
    ctx = scenario.context

    def per_draw(value: float) -> Floats:
        return np.full(draws, float(value))

    loans, ppps = _loan_specs(scenario)
    return ModelInputs(
        costs=build_cost_inputs(scenario, draws),
        sources=build_source_inputs(scenario, draws),
        loans=loans,
        ppps=ppps,
        n_programmes=len(scenario.programme),
        education_budget=per_draw(ctx.education_budget or 0.0),
        budget_growth=per_draw(ctx.budget_growth or 0.0),
        burden_limit=per_draw(ctx.burden_limit),
        discount_rate=per_draw(scenario.scenario.discount_rate),
        learners=per_draw(ctx.learners or 0),
    )
