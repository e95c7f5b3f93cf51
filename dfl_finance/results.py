"""``run``: scenario -> engine -> :class:`Result`, which presents the arrays as tidy tables.

The tables follow the output contract of DESIGN.md: every table starts with ``scenario``; one row per observation;
amounts in the scenario's currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .costs import LINE_KINDS, CostInputs, CostProjection, build_cost_inputs, project_costs
from .fiscal import cost_metrics
from .schema import Scenario

#: Unit of each summary metric; ``{cur}`` is the scenario's currency.
METRIC_UNITS = {
    "total_cost": "{cur}",
    "pv_total_cost": "{cur}",
    "cost_per_learner_year": "{cur}/learner-year",
}

TABLE_COLUMNS = {
    "costs": ["scenario", "year", "pillar", "programme", "item", "cost_kind", "quantity", "unit_cost", "amount"],
    "outcomes": ["scenario", "year", "programme", "driver", "reached", "reached_share"],
    "summary": ["scenario", "metric", "value", "unit"],
}


@dataclass(frozen=True)
class Result:
    """Everything one deterministic run of a scenario produced (draw axis of size 1)."""

    scenario: Scenario
    inputs: CostInputs
    costs: CostProjection
    metrics: dict[str, np.ndarray] = field(repr=False)

    @property
    def name(self) -> str:
        return self.scenario.name

    # ----------------------------------------------------------------------------------------- tables
    def costs_df(self) -> pd.DataFrame:
        sc = self.scenario
        years = np.array(sc.year_list)
        lines = [(p, c) for p in sc.programme for c in p.cost]
        Y, L = len(years), len(lines)
        return pd.DataFrame({
            "scenario": sc.name,
            "year": np.repeat(years, L),
            "pillar": np.tile([p.pillar for p, _ in lines], Y),
            "programme": np.tile([p.id for p, _ in lines], Y),
            "item": np.tile([c.item for _, c in lines], Y),
            "cost_kind": np.tile([LINE_KINDS[k].removeprefix("fixed_") for k in self.inputs.line_kind], Y),
            "quantity": self.costs.quantity[0].reshape(-1),
            "unit_cost": self.costs.price[0].reshape(-1),
            "amount": self.costs.amount[0].reshape(-1),
        }, columns=TABLE_COLUMNS["costs"])

    def outcomes_df(self) -> pd.DataFrame:
        """Reach of every programme that has a driver (``driver = "none"`` programmes reach nothing)."""
        sc = self.scenario
        keep = [i for i, p in enumerate(sc.programme) if p.driver != "none"]
        years = np.array(sc.year_list)
        Y, K = len(years), len(keep)
        return pd.DataFrame({
            "scenario": sc.name,
            "year": np.repeat(years, K),
            "programme": np.tile([sc.programme[i].id for i in keep], Y),
            "driver": np.tile([sc.programme[i].driver for i in keep], Y),
            "reached": self.costs.reached[0][:, keep].reshape(-1),
            "reached_share": self.costs.reached_share[0][:, keep].reshape(-1),
        }, columns=TABLE_COLUMNS["outcomes"])

    def summary_df(self) -> pd.DataFrame:
        cur = self.scenario.scenario.currency
        return pd.DataFrame({
            "scenario": self.name,
            "metric": list(self.metrics),
            "value": [float(v[0]) for v in self.metrics.values()],
            "unit": [METRIC_UNITS[m].format(cur=cur) for m in self.metrics],
        }, columns=TABLE_COLUMNS["summary"])

    def summary(self) -> dict[str, float]:
        """Summary metrics as plain numbers."""
        return {k: float(v[0]) for k, v in self.metrics.items()}

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables of the output contract, by file stem."""
        return {"costs": self.costs_df(), "outcomes": self.outcomes_df(), "summary": self.summary_df()}


def run(scenario: Scenario) -> Result:
    """Run one scenario deterministically and return its :class:`Result`."""
    inputs = build_cost_inputs(scenario, draws=1)
    proj = project_costs(inputs)
    metrics = cost_metrics(proj, np.array([scenario.scenario.discount_rate]),
                           np.array([float(scenario.context.learners or 0)]))
    return Result(scenario=scenario, inputs=inputs, costs=proj, metrics=metrics)


def combine_tables(results: list[Result]) -> dict[str, pd.DataFrame]:
    """Concatenate the tables of several results (rows tagged by scenario name)."""
    per = [r.tables() for r in results]
    return {name: pd.concat([t[name] for t in per], ignore_index=True) for name in per[0]}
