"""The least-cost plan that reaches an outcome target (``optimise --target teachers_trained=20000``).

The programmes that produce the measure and can grow (a driver, ``start_share`` below 1) are run at their start
(``target_share = start_share``) and at their full reach (``target_share = 1``); the cost (its present value in
constant local prices, as ``pv_total_cost``) and the outcome at the end of the plan of each are linear in between, and
:func:`~dfl_finance.engine.outcome_target.cheapest_scale` picks how far to take each. The plan is written back with
those target shares (its other fields as they were), ready for the financing optimiser. docs/method.md, *Outcomes
and cost per outcome*.

    from dfl_finance import load_scenario
    from dfl_finance.studies.outcome_target import cheapest_outcome
    best = cheapest_outcome(load_scenario("scenarios/rwanda-grants-gpe.toml"), "teachers_trained", 40000)
    best.scenario            # the plan with the programmes scaled
    best.table()             # outcome_target.csv
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.engine.outcome_target import TargetOutOfReach, cheapest_scale
from dfl_finance.errors import OptionProblem, ScenarioError, known
from dfl_finance.outputs.result import Result, run
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import OUTCOME_MEASURES, SHARE_DIGITS, minor_unit_digits

if TYPE_CHECKING:
    import pandas as pd

    from dfl_finance.engine import Floats
    from dfl_finance.inputs.models import Scenario


class OutcomeTargetError(ScenarioError):
    """A target that no programme produces, or that is out of reach: one problem that names the option ``target``
    (the command line's ``--target``)."""

    def __init__(self, message: str, value: object) -> None:
        super().__init__([OptionProblem("target", message, value)])


@dataclass(frozen=True)
class OutcomeTarget:
    """The least-cost plan for a target: ``scenario`` with the programmes scaled; per programme that produces the
    measure (``programmes``, indices into the scenario's programmes) its target share, outcome and PV cost before and
    after."""

    measure: str
    target: float
    before: "Scenario"
    scenario: "Scenario"
    programmes: list[int]
    share_before: list[float]
    share_after: list[float]
    outcome_before: list[float]
    outcome_after: list[float]
    pv_cost_before: list[float]
    pv_cost_after: list[float]

    @property
    def outcome(self) -> float:
        """The outcome of the scaled plan at the end of the plan (every producing programme)."""
        return float(sum(self.outcome_after))

    def table(self) -> "pd.DataFrame":
        """outcome_target.csv: one row per programme that produces the measure."""
        import pandas as pd

        sc = self.before
        digits = minor_unit_digits(sc.scenario.currency)
        return pd.DataFrame({
            "scenario": sc.name, "measure": self.measure, "target": self.target,
            "programme": [sc.programme[p].id for p in self.programmes],
            "target_share_before": np.round(self.share_before, SHARE_DIGITS),
            "target_share": np.round(self.share_after, SHARE_DIGITS),
            "outcome_before": np.round(self.outcome_before).astype(np.int64),
            "outcome": np.round(self.outcome_after).astype(np.int64),
            "pv_cost_before": np.round(self.pv_cost_before, digits),
            "pv_cost": np.round(self.pv_cost_after, digits),
            "currency": sc.scenario.currency,
        }, columns=columns("outcome_target"))


def _with_shares(scenario: "Scenario", shares: dict[int, float]) -> "Scenario":
    programmes = [p.model_copy(update={"target_share": float(min(max(shares[i], p.start_share), 1.0))})
                  if i in shares else p for i, p in enumerate(scenario.programme)]
    return scenario.model_copy(update={"programme": programmes})


def _by_programme(result: Result, measure: str) -> tuple["Floats", "Floats"]:
    """(P,) each programme's PV cost (constant local prices, the scenario's discount rate, draw 0) and its
    ``measure`` at the end of the plan (0 where it does not produce it)."""
    Y = result.scenario.scenario.years
    amount = result.sim.costs.amount[0] * result.inputs.discount[0, :Y, None]  # (Y, L)
    line_prog = np.asarray(result.inputs.costs.line_programme)
    pv = np.array([amount[:, line_prog == p].sum() for p in range(len(result.scenario.programme))])
    values = result._outcomes.measures.get(measure)
    end = np.zeros(pv.size) if values is None else np.nan_to_num(values[0, -1, :])
    return pv, end


def cheapest_outcome(scenario: "Scenario", measure: str, target: float) -> OutcomeTarget:
    """The least-cost scaling of the programmes that produce ``measure`` so that it reaches ``target`` by the end of
    the plan (see the module).

    Raises
    ------
    OutcomeTargetError
        An unknown measure, one that no programme produces, or a target above what they reach at their full reach.
    """
    if measure not in OUTCOME_MEASURES:
        raise OutcomeTargetError(f"unknown outcome (known: {known(OUTCOME_MEASURES)})", measure)
    producing = [i for i, p in enumerate(scenario.programme) if any(o.measure == measure for o in p.outcome)]
    if not producing:
        raise OutcomeTargetError(f"no programme of {scenario.name!r} produces it (a [[programme.outcome]] row "
                                 "with that measure)", measure)
    scalable = [i for i in producing if scenario.programme[i].driver != "none"]
    low = _with_shares(scenario, {i: scenario.programme[i].start_share for i in scalable})
    high = _with_shares(scenario, {i: 1.0 for i in scalable})
    cost_low, out_low = _by_programme(run(low), measure)
    cost_high, out_high = _by_programme(run(high), measure)
    base = float(out_low[producing].sum())
    try:
        u = cheapest_scale(cost_high[scalable] - cost_low[scalable], out_high[scalable] - out_low[scalable], base,
                           target)
    except TargetOutOfReach as exc:
        raise OutcomeTargetError(f"{measure} is out of reach: the programmes that produce it reach at most "
                                 f"{exc.most:,.10g} by the end of the plan", target) from None
    shares = {i: scenario.programme[i].start_share + float(x) * (1.0 - scenario.programme[i].start_share)
              for i, x in zip(scalable, u)}
    scaled = _with_shares(scenario, shares)
    cost_before, out_before = _by_programme(run(scenario), measure)
    cost_after, out_after = _by_programme(run(scaled), measure)
    return OutcomeTarget(measure, float(target), scenario, scaled, producing,
                         [scenario.programme[i].target_share for i in producing],
                         [scaled.programme[i].target_share for i in producing],
                         [float(out_before[i]) for i in producing], [float(out_after[i]) for i in producing],
                         [float(cost_before[i]) for i in producing], [float(cost_after[i]) for i in producing])
