"""Risk: uncertain inputs drawn with ``scipy.stats.qmc`` (:mod:`.sampling`, :mod:`.inputs`), applied to the
engine's per-draw arrays (:func:`dfl_finance.compile.build_model_inputs`), and summarised as quantiles
(:func:`dfl_finance.results.quantiles_df`). :func:`run_risk` keeps the whole run; :func:`~.draws.risk_draws` runs
many draws in chunks and keeps what the quantile tables need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .draws import RiskDraws, risk_draws

__all__ = ["RiskDraws", "risk_draws", "run_risk"]

if TYPE_CHECKING:
    from ..results import Result
    from ..schema.models import Scenario


def run_risk(scenario: Scenario, draws: int | None = None, seed: int | None = None, method: str | None = None,
             basis: str | None = None) -> Result:
    """Run ``scenario`` over ``draws`` draws of its ``[[uncertain]]`` inputs (defaults: its ``[risk]`` table).

    The same scenario, draws, seed and method give the same numbers on any machine. Without uncertain inputs every
    draw is the deterministic run.
    """
    from ..compile import build_model_inputs
    from ..engine.model import simulate
    from ..results import DEFAULT_BASIS, Result
    from .inputs import draw_samples

    risk = scenario.risk
    n = risk.draws if draws is None else draws
    samples = draw_samples(scenario, n, risk.seed if seed is None else seed, method or risk.method)
    inputs = build_model_inputs(scenario, draws=n, samples=samples)
    return Result(scenario=scenario, inputs=inputs, sim=simulate(inputs)).in_basis(basis or DEFAULT_BASIS)
