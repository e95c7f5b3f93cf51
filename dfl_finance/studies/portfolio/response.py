"""A country's response to the fund, measured with the engine: the gap left and the learners reached at amounts of
its share (:func:`fund_response`, the optimal rule's curves), and what each programme reaches
(:func:`programme_reach`, portfolio_reach.csv)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.engine.model import funded_units
from dfl_finance.model.compile import cell_order
from dfl_finance.model.outcomes import programme_outcomes
from dfl_finance.outputs.result import run
from dfl_finance.studies.portfolio.transforms import with_fund
from dfl_finance.vocabulary import OUTCOME_MEASURES

if TYPE_CHECKING:
    from dfl_finance.engine import Floats
    from dfl_finance.engine.model import ModelInputs, Simulation
    from dfl_finance.inputs.models import Scenario
    from dfl_finance.outputs.result import Result
    from dfl_finance.studies.portfolio.fund import Fund

#: Amounts at which a country's response to the fund is measured, evenly spaced from 0 to its need (besides the
#: amounts at which the fund finishes paying a cost cell).
RESPONSE_POINTS = 33
#: Rounds in which the measured amounts of a response are refined where it bends between them.
REFINE_ROUNDS = 4


def reach_programme(scenario: Scenario) -> int | None:
    """The programme whose reach counts the learners a country reaches: its ``connectivity`` programme, else its
    first programme driven by schools (None: it has none)."""
    schools = [i for i, p in enumerate(scenario.programme) if p.driver == "schools"]
    named = [i for i in schools if scenario.programme[i].id == "connectivity"]
    return (named or schools)[0] if schools else None


@dataclass(frozen=True)
class Response:
    """A country's response to the fund, measured by the engine at amounts of the fund's share (USD, ascending from
    0 to ``need``): the gap left (nominal USD) and the learners reached at the plan's end (the learners of the
    schools that :func:`reach_programme` connects with funded capex, counted fractionally so that the response is
    linear between the amounts at which the fund finishes paying a cost cell)."""

    amount: Floats  # (K,)
    gap: Floats  # (K,)
    reached: Floats  # (K,)

    @property
    def need(self) -> float:
        """The amount of the fund that closes the country's gap."""
        return float(self.amount[-1])

    def at(self, amount: float) -> tuple[float, float]:
        """The gap and learners reached at ``amount`` (linear between the measured amounts)."""
        return (float(np.interp(amount, self.amount, self.gap)), float(np.interp(amount, self.amount, self.reached)))


def fund_runs(scenario: Scenario, fund: Fund, amounts: Floats) -> tuple[Floats, Floats, Floats, Floats]:
    """One engine run of ``scenario`` with the fund at each of ``amounts`` (a draw each; ``inf``: uncapped): the gap
    (nominal USD), the learners reached and what the fund pays (nominal USD), each (K,); the fund's payments per
    year and cell (K, Y, C) in nominal USD as fourth."""
    sc = with_fund(scenario, fund, 0.0)
    j = len(sc.source) - 1
    res = run(sc, draws=len(amounts), samples={("source", j, "commitment"): np.asarray(amounts)})
    inp, sim = res.inputs, res.sim
    Y = sc.scenario.years
    usd = inp.conversion(True)[:, :Y]  # (K, Y) constant local prices -> nominal USD
    gap = (sim.allocation.gap.sum(axis=2) * usd).sum(axis=1)
    fund_paid = sim.allocation.pay[:, :, j, :] * usd[:, :, None]  # (K, Y, C)
    reached = (outcome_reached(sc, inp, sim, fund.objective) if fund.objective in OUTCOME_MEASURES
               else learners_reached(sc, inp, sim))
    return gap, reached, fund_paid.sum(axis=(1, 2)), fund_paid


def learners_reached(scenario: Scenario, inp: ModelInputs, sim: Simulation) -> Floats:
    """The learners a simulation of ``scenario`` reaches at the plan's end, each draw (D,): the learners of the
    schools that :func:`reach_programme` connects with funded capex, counted fractionally (0 without such a
    programme)."""
    p = reach_programme(scenario)
    if p is None:
        return np.zeros(sim.cells.shape[0])
    units = funded_units(inp, sim, whole=False)[:, scenario.scenario.years - 1, p]
    count = inp.costs.driver_count[:, p]
    learners = np.asarray(inp.learners, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(count > 0, learners * units / np.where(count > 0, count, 1.0), 0.0), dtype=float)


def outcome_reached(scenario: Scenario, inp: ModelInputs, sim: Simulation, measure: str) -> Floats:
    """An outcome measure ([[programme.outcome]]) a simulation of ``scenario`` produces by the plan's end, each draw
    (D,): counted as outcomes.csv counts it, from the reach that the funded capex buys (counted fractionally, as
    :func:`learners_reached`) instead of the planned reach; the sum over the programmes that produce it (0 when none
    does: the optimal rule then shares by the gap closed)."""
    funded = funded_units(inp, sim, whole=False)  # (D, Y, P)
    values = programme_outcomes(scenario, funded, inp.costs.driver_count, inp.costs.start_share,
                                inp.learners).measures.get(measure)
    if values is None:
        return np.zeros(funded.shape[0])
    return np.asarray(np.nansum(values[:, -1, :], axis=1), dtype=float)


def programme_reach(result: Result, fund: str | None = None) -> tuple[Floats, Floats, Floats, Floats]:
    """What each programme of a run reaches, and what the source ``fund`` pays it, for the run's draw; (P,) each:

    - the units of its driver it reaches with funded capex by the plan's end (the engine's ``reached_funded``,
      counted fractionally: each year's newly reached units times the share of the programme's capex paid that year);
    - the unit-years whose running costs are paid over the plan: ``sum over years of reached x the share of the
      programme's opex paid that year`` (0 for a programme without opex);
    - what ``fund`` (a source id; None or absent: nothing) pays of its capex, and of its opex, in nominal USD.

    A programme with ``driver = "none"`` has no units: NaN for the first two.
    """
    sc, sim, d = result.scenario, result.sim, result.draw
    Y = sc.scenario.years
    units = funded_units(result.inputs, sim, whole=False)[d, Y - 1]
    opex, gap = sim.cells[d, :, 1::2], sim.allocation.gap[d, :, 1::2]  # (Y, P)
    with np.errstate(divide="ignore", invalid="ignore"):
        paid = np.where(opex > 0, np.clip(1.0 - gap / np.where(opex > 0, opex, 1.0), 0.0, 1.0), 0.0)
    unit_years = (sim.costs.reached[d] * paid).sum(axis=0)
    none = np.array([p.driver == "none" for p in sc.programme], dtype=bool)
    ids = [s.id for s in sc.source]
    if fund in ids:
        usd = result.inputs.conversion(True)[d, :Y]
        pays = (sim.allocation.pay[d, :, ids.index(fund), :] * usd[:, None]).sum(axis=0)  # (C,)
    else:
        pays = np.zeros(2 * len(sc.programme))
    return (np.where(none, np.nan, units), np.where(none, np.nan, unit_years), pays[0::2], pays[1::2])


def fund_response(scenario: Scenario, fund: Fund, points: int = RESPONSE_POINTS) -> Response:
    """The country's :class:`Response` to the fund. Its need is what an uncapped fund pays (the gap before the fund,
    less what the fund unlocks from the grants it co-finances). It is measured at ``points`` amounts evenly spaced
    from 0 to the need and at every amount where the uncapped fund finishes paying a cost cell (in the waterfall's
    order: years, then cells by programme priority); then, in up to :data:`REFINE_ROUNDS` rounds, each stretch
    between two amounts whose midpoint is off the straight line (another source's cap reached inside it: a
    co-financed grant's commitment, say) gets its midpoint and the amount where the lines of its two neighbours
    cross, which is the bend when they are straight."""
    _, _, need, cells = fund_runs(scenario, fund, np.array([math.inf]))
    total = float(need[0])
    if total <= 0.0:
        amounts = np.array([0.0])
        gap, reached, _, _ = fund_runs(scenario, fund, amounts)
        return Response(amounts, np.maximum(gap, 0.0), reached)
    per_cell = cells[0][:, cell_order(scenario.programme)]
    bends = np.cumsum(per_cell.reshape(-1))
    amounts = np.unique(np.concatenate([np.linspace(0.0, total, points), bends[bends < total * (1.0 - 1e-9)]]))
    gap, reached, _, _ = fund_runs(scenario, fund, amounts)
    values = np.stack([gap, reached])  # (2, K)
    for _ in range(REFINE_ROUNDS):
        mids = 0.5 * (amounts[:-1] + amounts[1:])
        at_mid = np.stack(fund_runs(scenario, fund, mids)[:2])
        tol = 1e-9 * np.maximum(np.abs(values).max(axis=1, keepdims=True), 1.0)
        bent = (np.abs(at_mid - 0.5 * (values[:, :-1] + values[:, 1:])) > tol).any(axis=0)
        if not bent.any():
            break
        slope = np.diff(values, axis=1) / np.diff(amounts)  # (2, K - 1)
        cross = []
        for i in np.flatnonzero(bent[1:-1]) + 1:  # the lines of the stretches before and after i
            for k in range(2):
                s0, s1 = slope[k, i - 1], slope[k, i + 1]
                if abs(s0 - s1) > 1e-12 * max(abs(s0), abs(s1), 1e-300):
                    x = (values[k, i + 1] - values[k, i] + s0 * amounts[i] - s1 * amounts[i + 1]) / (s0 - s1)
                    if amounts[i] < x < amounts[i + 1]:
                        cross.append(x)
        extra = np.setdiff1d(np.array(cross), amounts)
        new_values = np.stack(fund_runs(scenario, fund, extra)[:2]) if extra.size else np.zeros((2, 0))
        extra, new_values = np.concatenate([mids[bent], extra]), np.concatenate([at_mid[:, bent], new_values], 1)
        amounts, order = np.unique(np.concatenate([amounts, extra]), return_index=True)
        values = np.concatenate([values, new_values], axis=1)[:, order]
    return Response(amounts, np.maximum(values[0], 0.0), values[1])

