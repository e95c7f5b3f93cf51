"""Sensitivity of summary metrics to a scenario's ``[[uncertain]]`` inputs: a tornado (one input at a time) and
global Sobol indices (``scipy.stats.sobol_indices``). Every evaluation of the model is one vectorised engine run
over many draws, each draw one input vector (:func:`evaluate`).

- **Tornado**: each input at its distribution's 5th and at its 95th percentile (:data:`TORNADO_QUANTILES`), every
  other input at the scenario's own value (the deterministic run's, ``[risk] point``); the swing of a metric is
  ``|high - low|``; inputs ranked by swing. All ``2 k`` runs (and the base run, every input at its own value) are one
  engine call.
- **Sobol indices**: first-order and total indices of each metric (Saltelli 2010 estimators, as
  ``scipy.stats.sobol_indices`` computes them) from ``N (k + 2)`` runs, with bootstrap (BCa) confidence intervals
  from the result's ``bootstrap()``. The inputs are taken as independent (a group's correlation is left out).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from dfl_finance.engine.sampling import Marginal
from dfl_finance.errors import DflFinanceError, known
from dfl_finance.inputs.paths import describe, get, resolve
from dfl_finance.model.samples import marginal, point_values
from dfl_finance.model.sizing import chunk_draws
from dfl_finance.outputs.result import Result, round_statistic, run
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import COUNTED_DRIVERS, MAX_DRAWS, METRICS, SHARE_DIGITS, metric_definition

if TYPE_CHECKING:
    from dfl_finance.engine import Floats
    from dfl_finance.inputs.models import Scenario
    from dfl_finance.outputs.result import Result

#: The tornado's low and high value of an input: these quantiles of its distribution.
TORNADO_QUANTILES = (0.05, 0.95)
#: Columns of tornado.csv and sobol.csv (:mod:`dfl_finance.outputs.tables`); ``input_label`` and ``input_unit``: the
#: input in words and its unit (:func:`dfl_finance.inputs.paths.describe`; ``unit`` is the metric's).
TORNADO_COLUMNS = columns("tornado")
#: ``note``: empty, or why an index is above 1 (:func:`above_one_note`).
SOBOL_COLUMNS = columns("sobol")
#: The indices of sobol.csv and the bounds of their confidence intervals.
SOBOL_INDEX_COLUMNS = SOBOL_COLUMNS[3:-3]
#: Bootstrap of the Sobol indices: confidence level and resamples (scipy's defaults).
CONFIDENCE_LEVEL, RESAMPLES = 0.95, 999
#: Default base sample size of the Sobol indices (a power of 2).
DEFAULT_N = 1024
#: Decimals of the indices in sobol.csv.
INDEX_DIGITS = 4
#: Uniform numbers are kept this far from 0 and 1 (where a normal or lognormal input is infinite).
_EDGE = 1e-12


class SensitivityError(DflFinanceError):
    """A sensitivity analysis that cannot be run as asked (unknown metric, no uncertain inputs, a bad N)."""


@dataclass(frozen=True)
class Input:
    """One uncertain input: its path as written, its location, its distribution, the scenario's own value, and its
    label and unit in words (:func:`dfl_finance.inputs.paths.describe`)."""

    path: str
    loc: tuple[str | int, ...]
    marginal: Marginal
    own: float
    label: str = ""
    unit: str = ""


def check_metrics(metrics: Sequence[str]) -> list[str]:
    """The metrics, each a summary metric key (:data:`~dfl_finance.vocabulary.METRICS`), without repeats."""
    if not metrics:
        raise SensitivityError("give at least one metric")
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise SensitivityError(f"unknown metric {unknown[0]!r}: the summary metrics are {known(METRICS, 40)}")
    return list(dict.fromkeys(metrics))


def check_n(n: int) -> int:
    """``n``, the Sobol base sample size, if it is a power of 2 of at least 2 (the balance of Sobol points)."""
    if n < 2 or n & (n - 1):
        lower = 2 ** max(1, int(math.log2(max(n, 2))))
        raise SensitivityError(f"the Sobol sample size N must be a power of 2, at least 2 (got {n}; "
                               f"try {lower} or {lower * 2})")
    return n


def check_design(n: int, k: int) -> None:
    """Refuse (SensitivityError) a Sobol design of more engine draws than a risk run may have: ``n (k + 2)`` for
    ``k`` inputs, at most :data:`~dfl_finance.vocabulary.MAX_DRAWS` (``--n 2^30`` asked for 48 GiB)."""
    draws = n * (k + 2)
    if draws > MAX_DRAWS:
        most = 2 ** int(math.log2(MAX_DRAWS // (k + 2))) if MAX_DRAWS // (k + 2) >= 2 else 2
        raise SensitivityError(f"the Sobol sample size N = {n:,} with {k} uncertain inputs needs N x (k + 2) = "
                               f"{draws:,} engine draws; at most {MAX_DRAWS:,} (N at most {most:,} here)")


def _own_value(scenario: Scenario, loc: tuple[str | int, ...], path: str, m: Marginal) -> float:
    """The value of the field at ``loc`` in a run without draws (compile's default where the file leaves it empty);
    a ``[macro]`` rate that the file leaves to the data's series has no one value: its distribution's median."""
    point = point_values(scenario).get(loc)
    if point is not None:  # [risk] point: the deterministic run's value (mean or mode), not the file's
        return point
    value = get(scenario, path)
    if isinstance(value, list):  # one rate per year: no one value, its distribution's median
        return float(m.ppf(np.array(0.5)))
    if value is not None:
        return float(value)
    field = loc[-1]
    if field in ("budget_growth", "education_budget", *COUNTED_DRIVERS):
        return 0.0
    if field in ("annual_cap", "commitment", "budget_share_cap"):
        return math.inf  # no cap
    if field == "target_year":
        return float(scenario.end_year)
    return float(m.ppf(np.array(0.5)))


def uncertain_inputs(scenario: Scenario) -> list[Input]:
    """The scenario's ``[[uncertain]]`` rows as :class:`Input` (a scenario without any is refused)."""
    if not scenario.uncertain:
        raise SensitivityError(f"scenario {scenario.name!r} has no [[uncertain]] rows: sensitivity needs them (the "
                               "inputs whose effect it measures, each with a distribution)")
    out = []
    for row in scenario.uncertain:
        loc = tuple(resolve(scenario, row.path))
        m = marginal(row, loc, scenario)
        words = describe(scenario, loc)
        out.append(Input(row.path, loc, m, _own_value(scenario, loc, row.path, m), words.label, words.unit))
    return out


def _chunk_draws(scenario: Scenario) -> int:
    """The draws of one engine call (:func:`dfl_finance.model.sizing.chunk_draws`)."""
    return chunk_draws(scenario)


def evaluate(scenario: Scenario, inputs: Sequence[Input], values: Floats, metrics: Sequence[str],
             basis: str | None = None, progress: Callable[[int], None] | None = None) -> tuple[Floats, Result]:
    """The metrics for many input vectors: ``values`` (k, D), one column per draw, run through the engine as one
    vectorised run of D draws (in chunks of equal results when it would need more than
    :data:`~dfl_finance.model.sizing.CHUNK_MEMORY`).

    Returns the metrics (m, D) and the :class:`~dfl_finance.outputs.result.Result` of the first chunk (for units).
    ``progress(n)`` is called after each chunk of ``n`` draws.
    """
    values = np.asarray(values, dtype=float)
    D = values.shape[1]
    chunk = _chunk_draws(scenario)
    out = np.empty((len(metrics), D))
    first: Result | None = None
    for start in range(0, D, chunk):
        part = values[:, start:start + chunk]
        n = part.shape[1]
        samples = {inp.loc: part[j] for j, inp in enumerate(inputs)}
        res = run(scenario, basis, draws=n, samples=samples)
        arrays = res.metric_arrays()
        if any(m not in arrays for m in metrics):
            arrays = res.summary_arrays()
        for i, m in enumerate(metrics):
            out[i, start:start + n] = arrays.get(m, np.full(n, np.nan))
        if first is None:
            first = res
        if progress is not None:
            progress(n)
    if first is None:
        raise ValueError("no draws to evaluate")
    return out, first


def _unit(res: Result, metric: str) -> str:
    return metric_definition(metric).unit_for(res._metric_currency(metric, res.currency))


def _rounded(res: Result, metric: str, value: float) -> float:
    """A metric's value rounded as the quantile tables round it (money to the minor unit; years not to whole
    years)."""
    return round_statistic(value, metric, _unit(res, metric)) if math.isfinite(value) else math.nan


def tornado(scenario: Scenario, metrics: Sequence[str], basis: str | None = None) -> pd.DataFrame:
    """tornado.csv: each metric with each uncertain input at its low and at its high value (the 5th and 95th
    percentiles of its distribution), every other input at the scenario's own value; ranked by swing.

    One engine run of ``2 k + 1`` draws: the base (every input at its own value), then input ``j`` at its low
    (draw ``2 j + 1``) and at its high (draw ``2 j + 2``).
    """
    metrics = check_metrics(metrics)
    inputs = uncertain_inputs(scenario)
    k = len(inputs)
    q = np.asarray(TORNADO_QUANTILES, dtype=float)
    ends = np.stack([inp.marginal.ppf(q) for inp in inputs])  # (k, 2)
    values = np.repeat(np.array([[inp.own] for inp in inputs]), 2 * k + 1, axis=1)
    for j in range(k):
        values[j, 2 * j + 1: 2 * j + 3] = ends[j]
    out, res = evaluate(scenario, inputs, values, metrics, basis)
    rows = []
    for i, metric in enumerate(metrics):
        low, high = out[i, 1::2], out[i, 2::2]
        swing = np.abs(high - low)
        order = sorted(range(k), key=lambda j: -swing[j] if math.isfinite(swing[j]) else math.inf)
        for rank, j in enumerate(order, start=1):
            rows.append({"scenario": scenario.name, "metric": metric, "path": inputs[j].path,
                         # the inputs' values as written: to SHARE_DIGITS decimals (a rate or a unit cost alike)
                         "low_input": round(float(ends[j, 0]), SHARE_DIGITS) + 0.0,
                         "high_input": round(float(ends[j, 1]), SHARE_DIGITS) + 0.0,
                         "low_value": _rounded(res, metric, float(low[j])),
                         "high_value": _rounded(res, metric, float(high[j])),
                         "swing": _rounded(res, metric, float(swing[j])),
                         "unit": _unit(res, metric), "rank": rank, "input_label": inputs[j].label,
                         "input_unit": inputs[j].unit})
    df = pd.DataFrame(rows, columns=TORNADO_COLUMNS)
    df.attrs["base"] = {m: _rounded(res, m, float(out[i, 0])) for i, m in enumerate(metrics)}
    return df


@dataclass(frozen=True)
class SobolIndices:
    """Sobol indices of m outputs to k inputs, each (m, k); the bounds of their bootstrap confidence intervals."""

    first_order: Floats
    total_order: Floats
    first_order_low: Floats
    first_order_high: Floats
    total_order_low: Floats
    total_order_high: Floats


def sobol(func: Callable[[Floats], Floats], marginals: Sequence[Marginal], n: int, seed: int | None = None,
          confidence_level: float = CONFIDENCE_LEVEL, n_resamples: int = RESAMPLES) -> SobolIndices:
    """First-order and total Sobol indices of the outputs of ``func`` to its inputs, with ``scipy.stats.sobol_indices``
    and bootstrap confidence intervals from its result's ``bootstrap()``.

    Parameters
    ----------
    func
        ``values (k, D) -> outputs (m, D)``: the model for D input vectors at once.
    marginals
        The k inputs' distributions; the Sobol design's uniform numbers become values through their ``ppf``.
    n
        Base sample size, a power of 2; ``func`` is called for ``n (k + 2)`` vectors in all.
    seed
        Seed of the Sobol design and of the bootstrap: the same seed gives the same numbers.

    Notes
    -----
    The inputs are independent. An output with no variance has indices 0 (scipy's rule); an output that is not
    finite for some vector has NaN indices.

    Examples
    --------
    >>> import numpy as np
    >>> res = sobol(lambda x: np.atleast_2d(x[0] + 0 * x[1]), [Marginal("uniform", low=0.0, high=1.0)] * 2, 256, 1)
    >>> np.round(res.first_order, 3).tolist(), np.round(res.total_order, 3).tolist()
    ([[1.0, 0.0]], [[1.0, 0.0]])
    """
    check_n(n)
    k = len(marginals)
    bad: list[Floats] = []

    def model(u: Floats) -> Floats:
        u = np.clip(np.asarray(u, dtype=float), _EDGE, 1.0 - _EDGE)
        x = np.stack([m.ppf(u[j]) for j, m in enumerate(marginals)]) if k else np.zeros((0, u.shape[1]))
        y = np.atleast_2d(np.asarray(func(x), dtype=float))
        bad.append(~np.isfinite(y).all(axis=1))
        return np.where(np.isfinite(y), y, 0.0)

    rng = np.random.default_rng(seed)
    res = stats.sobol_indices(func=model, n=n, dists=[stats.uniform()] * k, rng=rng)
    # scipy squeezes the indices: (m, k) with the axes of length 1 left out
    missing = np.any(np.stack(bad), axis=0)
    m = missing.size
    first = np.asarray(res.first_order, dtype=float).reshape(m, k)
    total = np.asarray(res.total_order, dtype=float).reshape(m, k)
    # scipy's bootstrap draws from numpy's global generator: seed it for the same intervals, then put it back
    state = np.random.get_state()
    np.random.seed(int(rng.integers(2**32)))
    try:
        with warnings.catch_warnings():
            # an output with no variance (or a constant index) has a degenerate bootstrap distribution
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            boot = res.bootstrap(confidence_level=confidence_level, n_resamples=n_resamples)
    finally:
        np.random.set_state(state)
    bounds = [np.asarray(b, dtype=float).reshape(m, k) for b in (
        boot.first_order.confidence_interval.low, boot.first_order.confidence_interval.high,
        boot.total_order.confidence_interval.low, boot.total_order.confidence_interval.high)]
    # a degenerate interval (an index that the resamples do not move) is the index itself
    bounds[0], bounds[1] = (np.where(np.isfinite(b), b, first) for b in bounds[:2])
    bounds[2], bounds[3] = (np.where(np.isfinite(b), b, total) for b in bounds[2:])
    arrays = [first, total, *bounds]
    arrays = [np.where(missing[:, None], np.nan, a) for a in arrays]
    return SobolIndices(*arrays)


def sobol_df(scenario: Scenario, metrics: Sequence[str], n: int = DEFAULT_N, seed: int | None = None,
             basis: str | None = None, progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """sobol.csv: first-order and total Sobol indices of each metric to each uncertain input, with the bounds of
    their bootstrap confidence intervals (:data:`CONFIDENCE_LEVEL`); ``n`` base samples (a power of 2), so
    ``n (k + 2)`` engine draws (``progress(d)`` after each chunk of ``d``). ``seed``: the scenario's ``[risk]``
    seed by default."""
    metrics = check_metrics(metrics)
    check_n(n)
    inputs = uncertain_inputs(scenario)
    check_design(n, len(inputs))
    seed = scenario.risk.seed if seed is None else seed

    def model(x: Floats) -> Floats:
        return evaluate(scenario, inputs, x, metrics, basis, progress)[0]

    s = sobol(model, [inp.marginal for inp in inputs], n, seed)
    rows = []
    for i, metric in enumerate(metrics):
        for j, inp in enumerate(inputs):
            indices = {c: _index(getattr(s, c)[i, j]) for c in SOBOL_INDEX_COLUMNS}
            rows.append({"scenario": scenario.name, "metric": metric, "path": inp.path, **indices,
                         "input_label": inp.label, "input_unit": inp.unit,
                         "note": above_one_note(indices["first_order"], indices["total_order"], n)})
    return pd.DataFrame(rows, columns=SOBOL_COLUMNS)


def above_one_note(first_order: float, total_order: float, n: int) -> str:
    """Why an index above 1 (100%) is there, which a share of the variance cannot be: the estimators' noise at a
    small base sample size ``n``; ``""`` for indices at most 1.

    Examples
    --------
    >>> above_one_note(1.07, 0.98, 256).split(": ")
    ['first-order index above 1 (100%), which a share of the variance cannot be', 'small samples do this (N = 256 \
base samples); a larger N gives a closer estimate']
    >>> above_one_note(1.07, 1.02, 256).split(":")[0], above_one_note(0.4, 0.5, 256)
    ('first-order and total indices above 1 (100%), which a share of the variance cannot be', '')
    """
    over = [name for name, v in (("first-order", first_order), ("total", total_order))
            if math.isfinite(v) and v > 1.0]
    if not over:
        return ""
    return (f"{' and '.join(over)} {'indices' if len(over) > 1 else 'index'} above 1 (100%), which a share of the "
            f"variance cannot be: small samples do this (N = {n:,} base samples); a larger N gives a closer estimate")


def _index(value: float) -> float:
    return round(float(value), INDEX_DIGITS) + 0.0 if math.isfinite(value) else math.nan
