"""The outcome measures of a scenario's programmes, from their reach ([[programme.outcome]], [[programme.milestone]]).

docs/method.md, *Outcomes and cost per outcome*: each programme's outcome rows turn its reach (D, Y) into a count of
the measure with :mod:`dfl_finance.engine.outcomes`; the learners reached (for ``cost_per_learner_reached_year``) are
the largest reach in learners of any schools or learners programme in each year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dfl_finance.engine import Floats, ratio
from dfl_finance.engine.costs import whole_units
from dfl_finance.engine.outcomes import milestones_met, new_units, trained_stock
from dfl_finance.inputs.models import Programme, Scenario
from dfl_finance.vocabulary import OUTCOME_MEASURES

#: Measures counted as a trained stock (cohorts, attrition, refreshers); the others are reach times per_unit.
TRAINED = ("teachers_trained", "officials_trained", "learners_trained")


@dataclass(frozen=True)
class Outcomes:
    """``measures``: measure -> (D, Y, P) count at the end of each year, NaN for a programme that does not produce
    it (only the measures some programme produces); ``milestones`` (Y, P) milestones met, NaN for a programme
    without milestones; ``learners_reached`` (D, Y), NaN without a programme that reaches learners."""

    measures: dict[str, Floats]
    milestones: Floats
    learners_reached: Floats
    #: measure -> (D, P) its value before the first year (at the end of start_year - 1), NaN where not produced: the
    #: stock from which a fiscal year that starts before the first calendar year is read (``--years fiscal``)
    before: dict[str, Floats] = field(default_factory=dict)


def _learners_per_unit(prog: Programme, learners: Floats, count: Floats) -> Floats:
    """(D,) learners per driver unit: 1 for learners, learners / schools for schools, NaN otherwise."""
    if prog.driver == "learners":
        return np.ones_like(learners)
    if prog.driver == "schools":
        return ratio(learners, count)
    return np.full_like(learners, np.nan)


def programme_outcomes(scenario: Scenario, reached: Floats, driver_count: Floats, start_share: Floats,
                       learners: Floats) -> Outcomes:
    """The outcomes of every programme: ``reached`` (D, Y, P) the planned reach, ``driver_count`` and
    ``start_share`` (D, P) as compiled, ``learners`` (D,) the learners in scope."""
    D, Y, P = reached.shape
    learners = np.broadcast_to(np.asarray(learners, dtype=float), (D,))
    existing = whole_units(driver_count * start_share)  # (D, P), as the cost projection
    measures: dict[str, Floats] = {}
    starts: dict[str, Floats] = {}
    milestones = np.full((Y, P), np.nan)
    start = scenario.scenario.start_year
    for p, prog in enumerate(scenario.programme):
        for row in prog.outcome:
            if prog.driver == "none":
                new = np.full((D, Y), float(row.per_year or 0.0))
                before = np.zeros(D)
            else:
                if row.per_unit is not None:
                    unit = np.full(D, float(row.per_unit))
                elif row.measure == "learners_connected":
                    unit = _learners_per_unit(prog, learners, driver_count[:, p])
                else:
                    unit = np.ones(D)
                new = new_units(reached[:, :, p], existing[:, p]) * unit[:, None]  # trained in each year
                before = existing[:, p] * unit
            if row.measure in TRAINED:
                value = trained_stock(new, before, row.attrition, row.refresh_years)
            elif prog.driver == "none":  # a reach: what was reached stays reached
                value = np.cumsum(new, axis=1)
            else:
                value = reached[:, :, p] * unit[:, None]
            out = measures.setdefault(row.measure, np.full((D, Y, P), np.nan))
            out[:, :, p] = np.where(np.isnan(out[:, :, p]), 0.0, out[:, :, p]) + np.nan_to_num(value)
            start_value = starts.setdefault(row.measure, np.full((D, P), np.nan))
            start_value[:, p] = np.nan_to_num(start_value[:, p]) + np.nan_to_num(before)
        if prog.milestone:
            milestones[:, p] = milestones_met([(m.year if m.year is not None else start + m.offset) - start
                                               for m in prog.milestone], Y)
    per_unit = [_learners_per_unit(prog, learners, driver_count[:, p]) for p, prog in enumerate(scenario.programme)]
    reach = [reached[:, :, p] * u[:, None] for p, u in enumerate(per_unit)  # the programmes that reach learners
             if scenario.programme[p].driver != "teachers" and scenario.programme[p].driver != "none"]
    learners_reached = np.max(np.stack(reach), axis=0) if reach else np.full((D, Y), np.nan)
    return Outcomes({m: measures[m] for m in OUTCOME_MEASURES if m in measures}, milestones,
                    np.asarray(learners_reached, dtype=float), starts)
