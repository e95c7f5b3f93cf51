"""Risk: uncertain inputs drawn by a sampling design (:mod:`dfl_finance.engine.sampling`, :mod:`.inputs`), applied to
the engine's per-draw arrays (:func:`dfl_finance.outputs.result.run`), and summarised as quantiles
(:func:`dfl_finance.outputs.result.quantiles_df`). :func:`run_risk` keeps the whole run; :func:`~.draws.risk_draws` runs
many draws in chunks and keeps what the quantile tables need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dfl_finance.model.samples import draw_samples
from dfl_finance.outputs.result import RiskDraws, run
from dfl_finance.studies.risk.draws import risk_draws

__all__ = ["RiskDraws", "risk_draws", "run_risk"]

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario
    from dfl_finance.outputs.result import Result


def run_risk(scenario: Scenario, draws: int | None = None, seed: int | None = None, method: str | None = None,
             basis: str | None = None) -> Result:
    """Run ``scenario`` over ``draws`` draws of its ``[[uncertain]]`` inputs (defaults: its ``[risk]`` table).

    The same scenario, draws, seed and method give the same numbers on any machine. Without uncertain inputs every
    draw is the deterministic run.
    """
    risk = scenario.risk
    n = risk.draws if draws is None else draws
    samples = draw_samples(scenario, n, risk.seed if seed is None else seed, method or risk.method)
    return run(scenario, basis, draws=n, samples=samples)
