"""A risk run of many draws in chunks: what the quantile tables need of every draw, and nothing else.

:func:`dfl_finance.studies.risk.run_risk` keeps the whole engine run (every table of every draw): right for a few
hundred draws, hundreds of megabytes for 10,000. :func:`risk_draws` runs the draws in chunks of at most
:data:`CHUNK_DRAWS` draws and about :data:`CHUNK_BYTES` of engine arrays (:func:`~dfl_finance.model.sizing.chunk_draws`;
never more than :data:`~dfl_finance.model.sizing.CHUNK_MEMORY`) and keeps of each draw only its summary metrics and
its yearly cost, gap and burden share (:class:`RiskDraws`), so its memory grows by about 2 KB a draw. The inputs are
sampled once for all the draws, and the engine computes every draw on its own, so the numbers do not depend on the
chunk size: a test finds every draw's metrics equal to 1e-13 (a matrix product may round its last bit differently for
another number of draws) and the rounded tables identical.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.model.samples import draw_samples
from dfl_finance.model.sizing import chunk_draws
from dfl_finance.outputs.result import Result, RiskDraws, run

if TYPE_CHECKING:
    from dfl_finance.engine import Floats
    from dfl_finance.inputs.models import Scenario

#: At most this many draws per engine call of a risk run (a progress step; about 0.1-0.3 s each).
CHUNK_DRAWS = 2_000
#: At most about this many bytes of engine arrays per engine call of a risk run (the estimate of
#: :func:`~dfl_finance.model.sizing.memory_estimate`). Smaller chunks cost less per draw: measured on the two-core
#: machine, 10,000 draws of the Rwanda IDA scenario (about 50 KB a draw) take 0.40-0.45 s of CPU in chunks of 500 to
#: 1,250 draws and 0.7-1.0 s in chunks of 1,500 to 2,000 (arrays of 75-100 MB a chunk; not page faults: keeping
#: malloc from returning memory removes the faults but not the step, so it is the memory traffic of larger arrays);
#: the same step for a scenario of 39 KB a draw lies between 1,000 and 1,500 draws.
CHUNK_BYTES = 40 * 2**20
#: At least this many draws per engine call when the memory limit allows (:data:`CHUNK_BYTES` is a preference, not
#: a limit): each call has a fixed cost (compiling the scenario, the summary's Python), a large scenario's too.
CHUNK_FLOOR = 250


def risk_draws(scenario: Scenario, draws: int | None = None, seed: int | None = None, method: str | None = None,
               basis: str | None = None, chunk: int | None = None,
               progress: Callable[[int], None] | None = None) -> RiskDraws:
    """Run ``scenario`` over ``draws`` draws of its uncertain inputs (defaults: its ``[risk]`` table), in chunks of
    ``chunk`` draws (default: :data:`CHUNK_DRAWS`, fewer beyond :data:`CHUNK_BYTES` of arrays), calling
    ``progress(n)`` after each chunk of ``n`` draws. The same numbers as
    :func:`~dfl_finance.studies.risk.run_risk` for the same draws, seed and method."""
    risk = scenario.risk
    n = risk.draws if draws is None else draws
    samples = draw_samples(scenario, n, risk.seed if seed is None else seed, method or risk.method)
    if chunk is None:
        near = max(chunk_draws(scenario, CHUNK_BYTES), CHUNK_FLOOR)  # within CHUNK_BYTES, but not too small
        size = min(chunk_draws(scenario, most=CHUNK_DRAWS), near)  # and within the memory limit
    else:
        size = max(1, int(chunk))
    # The first chunk runs last: it is kept (``first``: names, units, draw 0), so every other chunk's engine arrays
    # are freed before the next chunk makes its own; one chunk's arrays at the peak, not two or three, and fewer
    # fresh pages to fault in (issue 21). Each chunk's numbers do not depend on the order the chunks run in.
    starts = list(range(0, n, size))
    chunks: dict[int, tuple[dict[str, Floats], dict[str, Floats], dict[str, Floats]]] = {}
    first: Result | None = None
    for start in [*starts[1:], *starts[:1]]:
        stop = min(start + size, n)
        part = {loc: values[start:stop] for loc, values in samples.items()}
        res = run(scenario, basis, draws=stop - start, samples=part)
        # the burden share over draw 0's years (the first chunk's): every year here, cut to those below
        years = None if start == 0 else res.sim.fiscal["burden_share"].shape[1]
        chunks[start] = (res.summary_arrays(), res.yearly_arrays(years), res.dli_arrays())
        if start == 0:
            first = res
        if progress is not None:
            progress(stop - start)
        del res  # this chunk's engine arrays, before the next chunk makes its own
    if first is None:
        raise ValueError("a risk run needs at least one draw")
    keys = list(chunks[0][0])  # the first chunk's metrics in every chunk (NaN where a chunk has not one)
    width = chunks[0][1]["burden_share"].shape[1]
    arrays: dict[str, list[Floats]] = {key: [] for key in keys}
    yearly: dict[str, list[Floats]] = {}
    results: dict[str, list[Floats]] = {}  # results-based financing: each DLI row in each draw
    for start in starts:
        chunk_arrays, chunk_yearly, chunk_results = chunks[start]
        count = min(start + size, n) - start
        for key in keys:
            arrays[key].append(np.asarray(chunk_arrays.get(key, np.full(count, np.nan)), dtype=float))
        for key, values in chunk_yearly.items():
            values = values[:, :width] if key == "burden_share" else values
            yearly.setdefault(key, []).append(np.asarray(values, dtype=float))
        for key, values in chunk_results.items():
            results.setdefault(key, []).append(values)
    return RiskDraws(first=first, arrays={key: np.concatenate(parts) for key, parts in arrays.items()},
                     yearly={key: np.concatenate(parts, axis=0) for key, parts in yearly.items()},
                     results={key: np.concatenate(parts, axis=0) for key, parts in results.items()})
