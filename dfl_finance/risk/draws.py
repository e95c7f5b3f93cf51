"""A risk run of many draws in chunks: what the quantile tables need of every draw, and nothing else.

:func:`dfl_finance.risk.run_risk` keeps the whole engine run (every table of every draw): right for a few hundred
draws, hundreds of megabytes for 10,000. :func:`risk_draws` runs the draws in chunks of at most
:data:`CHUNK_DRAWS` (fewer when a chunk would need more than :data:`~dfl_finance.sizing.CHUNK_MEMORY`) and keeps of
each draw only its summary metrics and its yearly cost, gap and burden share (:class:`RiskDraws`), so its memory
grows by about 2 KB a draw. The inputs are sampled once for all the draws, and the engine computes every draw on its
own, so the numbers do not depend on the chunk size: a test finds every draw's metrics equal to 1e-13 (a matrix
product may round its last bit differently for another number of draws) and the rounded tables identical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from ..engine import Floats
    from ..results import Result
    from ..schema.models import Scenario

#: At most this many draws per engine call of a risk run (a progress step; about 0.1-0.3 s each).
CHUNK_DRAWS = 2_000


@dataclass(frozen=True)
class RiskDraws:
    """The summary metrics (D,) and yearly measures (D, n) of every draw of a risk run, in one price basis; ``first``
    is the first chunk's run (its draw 0's tables and summary, names and units)."""

    first: Result
    arrays: dict[str, Floats]
    yearly: dict[str, Floats]

    @property
    def draws(self) -> int:
        return int(next(iter(self.arrays.values())).shape[0])

    @property
    def name(self) -> str:
        return self.first.name

    @property
    def scenario(self) -> Scenario:
        return self.first.scenario

    @property
    def basis(self) -> str:
        return self.first.basis

    @property
    def currency(self) -> str:
        return self.first.currency

    @property
    def digits(self) -> int:
        return self.first.digits

    def summary_arrays(self) -> dict[str, Floats]:
        """Every summary metric of every draw, as :meth:`Result.summary_arrays`."""
        return dict(self.arrays)

    def metric_arrays(self) -> dict[str, Floats]:
        """The same as :meth:`summary_arrays` (the metrics in other bases included)."""
        return dict(self.arrays)

    def yearly_arrays(self) -> dict[str, Floats]:
        """Each year's cost, gap and burden share of every draw, as :meth:`Result.yearly_arrays`."""
        return dict(self.yearly)

    def summary_df(self) -> pd.DataFrame:
        """Draw 0's summary (its units are those of every draw)."""
        return self.first.for_draw(0).summary_df()

    def _metric_currency(self, key: str, cur: str) -> str:
        return self.first._metric_currency(key, cur)

    def _years(self, n: int) -> np.ndarray:
        return self.first._years(n)


def risk_draws(scenario: Scenario, draws: int | None = None, seed: int | None = None, method: str | None = None,
               basis: str | None = None, chunk: int | None = None,
               progress: Callable[[int], None] | None = None) -> RiskDraws:
    """Run ``scenario`` over ``draws`` draws of its uncertain inputs (defaults: its ``[risk]`` table), in chunks of
    ``chunk`` draws (default: :data:`CHUNK_DRAWS`, fewer if memory asks), calling ``progress(n)`` after each chunk
    of ``n`` draws. The same numbers as :func:`~dfl_finance.risk.run_risk` for the same draws, seed and method."""
    from ..compile import build_model_inputs
    from ..engine.model import simulate
    from ..results import DEFAULT_BASIS, Result
    from ..sizing import chunk_draws
    from .inputs import draw_samples

    risk = scenario.risk
    n = risk.draws if draws is None else draws
    samples = draw_samples(scenario, n, risk.seed if seed is None else seed, method or risk.method)
    size = chunk_draws(scenario, most=CHUNK_DRAWS) if chunk is None else max(1, int(chunk))
    first: Result | None = None
    arrays: dict[str, list[Floats]] = {}
    yearly: dict[str, list[Floats]] = {}
    for start in range(0, n, size):
        stop = min(start + size, n)
        part = {loc: values[start:stop] for loc, values in samples.items()}
        inputs = build_model_inputs(scenario, draws=stop - start, samples=part)
        res = Result(scenario=scenario, inputs=inputs, sim=simulate(inputs)).in_basis(basis or DEFAULT_BASIS)
        if first is None:
            first = res
        chunk_arrays = res.summary_arrays()
        for key in first.summary_arrays() if start else chunk_arrays:  # the same metrics in every chunk
            arrays.setdefault(key, []).append(np.asarray(chunk_arrays.get(key, np.full(stop - start, np.nan)),
                                                         dtype=float))
        # the burden share over draw 0's years (the first chunk's), in every chunk
        chunk_yearly = res.yearly_arrays(yearly["burden_share"][0].shape[1] if start else None)
        for key, values in chunk_yearly.items():
            yearly.setdefault(key, []).append(np.asarray(values, dtype=float))
        if progress is not None:
            progress(stop - start)
    if first is None:
        raise ValueError("a risk run needs at least one draw")
    return RiskDraws(first=first, arrays={key: np.concatenate(parts) for key, parts in arrays.items()},
                     yearly={key: np.concatenate(parts, axis=0) for key, parts in yearly.items()})
