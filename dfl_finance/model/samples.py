"""The draws of a scenario's uncertain inputs: each ``[[uncertain]]`` row, each cost line priced ``from-data`` and each
uncertain pledge as a distribution (:class:`~dfl_finance.engine.sampling.Marginal`, bounded by the field's allowed
range: :func:`~dfl_finance.inputs.uncertain.allowed_range`), drawn together
(:func:`~dfl_finance.engine.sampling.sample`) into ``{location: (draws,)}``: the samples that
:func:`~dfl_finance.model.compile.build_model_inputs` turns into the engine's inputs. Every study that draws (risk,
the robust optimiser, the sweep) draws here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.engine.sampling import Marginal, sample, uniforms
from dfl_finance.inputs.overrides import apply_overrides
from dfl_finance.inputs.paths import format_location, model_at, resolve
from dfl_finance.inputs.uncertain import (
    DLI_ACHIEVED,
    DLI_DELAY,
    PLEDGE_LAG,
    PLEDGE_MATERIALISES,
    PLEDGE_SHARE,
    allowed_range,
)

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario, Share, Uncertain

#: A location -> its value in each draw (D,) (as :data:`dfl_finance.model.compile.Samples`).
Samples = Mapping[tuple[str | int, ...], Floats]


def marginal(row: Uncertain | Share, loc: Sequence[str | int], scenario: Scenario) -> Marginal:
    """The distribution of a row, with the bounds of the values it may take (:func:`allowed_range`)."""
    lo, hi, _, _, _ = allowed_range(loc, scenario)
    return Marginal(row.distribution, low=row.low, high=row.high, mode=row.mode, mean=row.mean, sd=row.sd,
                    median=row.median, sd_log=row.sd_log, values=tuple(row.values or ()),
                    weights=tuple(row.weights or ()), lower_bound=lo, upper_bound=hi)


def point_inputs(sc: Scenario) -> list[tuple[tuple[str | int, ...], Marginal]]:
    """The inputs whose value the deterministic run takes from ``[risk] point``, with their distributions: each
    ``[[uncertain]]`` row and each cost line priced ``from-data`` (not the pledges, taken as written)."""
    out = []
    for row in sc.uncertain:
        loc = tuple(resolve(sc, row.path))
        out.append((loc, marginal(row, loc, sc)))
    for i, p in enumerate(sc.programme):
        for j, c in enumerate(p.cost):
            if c.uncertain == "from-data" and c.price_range is not None:
                out.append((("programme", i, "cost", j, "unit_cost"),
                            Marginal("triangular", low=c.price_range[0], mode=c.unit_cost, high=c.price_range[1])))
    return out


def _whole(loc: Sequence[str | int]) -> bool:
    """Whether the field at ``loc`` takes whole numbers (a target year, a driver count)."""
    model = model_at(loc[:-1])
    info = model.model_fields.get(str(loc[-1])) if model is not None else None
    return info is not None and "int" in str(info.annotation) and "float" not in str(info.annotation)


def point_values(sc: Scenario) -> dict[tuple[str | int, ...], float]:
    """The value the deterministic run takes for each uncertain input, by location, as ``[risk] point`` says: its
    distribution's expected value (``mean``, :meth:`~dfl_finance.engine.sampling.Marginal.expected_value`), its
    most likely value (``mode``, :meth:`~dfl_finance.engine.sampling.Marginal.most_likely`), or nothing
    (``as_written``: the fields keep their values). A field of whole numbers takes the nearest whole number.

    Examples
    --------
    Rwanda's teacher workshop, a triangular (38.5, 38.5, 105) input: its mean (38.5 + 38.5 + 105) / 3 = 60.67.

    >>> from dfl_finance import load_scenario
    >>> from dfl_finance.inputs.profiles import bundled_scenarios_dir
    >>> sc = load_scenario(bundled_scenarios_dir() / "rwanda-domestic.toml")
    >>> round(point_values(sc)[("programme", 4, "cost", 0, "unit_cost")], 2)
    60.67
    """
    point = sc.risk.point
    if point == "as_written":
        return {}
    out = {}
    for loc, m in point_inputs(sc):
        value = m.expected_value() if point == "mean" else m.most_likely()
        out[loc] = float(round(value)) if _whole(loc) else value
    return out


def with_point(sc: Scenario, draws: int, samples: Samples | None) -> Samples | None:
    """``samples`` with every uncertain input they do not give at its point value (:func:`point_values`) in every
    draw: what a run without draws of that input uses (the deterministic run, a tornado's other inputs)."""
    values = point_values(sc)
    given = dict(samples or {})
    missing = {loc: np.full(draws, v) for loc, v in values.items() if loc not in given}
    return {**missing, **given} if missing else samples


def at_point(sc: Scenario) -> Scenario:
    """The scenario with each uncertain input's field set to its point value (:func:`point_values`) and ``[risk]
    point = "as_written"``: the same deterministic run, as a scenario that a stress test can change (a capex
    overrun raises the point's unit cost, not the file's). The scenario itself when its point is ``as_written``."""
    values = point_values(sc)
    if not values and sc.risk.point == "as_written":
        return sc
    overrides: dict[str, object] = {format_location(loc): (int(v) if _whole(loc) else v) for loc, v in values.items()}
    overrides["risk.point"] = "as_written"
    return apply_overrides(sc, overrides)


def common_uniforms(common: Sequence[str], draws: int, method: str, seed: int) -> Floats:
    """(draws, c) the uniform numbers of a portfolio's common factors (``[portfolio] common``), one column per path
    in its order: drawn once per draw from the portfolio's own stream (``seed``), the same for every country."""
    return uniforms(draws, len(common), method, seed)


def draw_samples(sc: Scenario, draws: int, seed: int, method: str, common: Sequence[str] = (),
                 common_seed: int | None = None) -> dict[tuple[str | int, ...], Floats]:
    """The values of every uncertain input in each draw, by location: ``{location: (draws,)}``.

    ``common``: field paths of inputs shared with other scenarios (a portfolio's common factors), each an
    ``[[uncertain]]`` row of ``sc``: their uniform numbers come from :func:`common_uniforms` with ``common_seed``
    (the same in every country) instead of ``sc``'s own stream, so each country takes the same quantile of its own
    distribution of the input in each draw: equal values where the distributions are equal, perfectly
    rank-correlated where they are not. The other inputs are drawn as without them; a path that ``sc`` does not
    draw is left out."""
    locs: list[tuple[str | int, ...]] = [tuple(resolve(sc, row.path)) for row in sc.uncertain]
    marginals = [marginal(row, loc, sc) for row, loc in zip(sc.uncertain, locs)]
    groups: dict[str, list[int]] = {}
    for j, row in enumerate(sc.uncertain):
        if row.group is not None:
            groups.setdefault(row.group, []).append(j)
    rhos = [next(float(r) for r in (sc.uncertain[j].rho for j in cols) if r is not None) for cols in groups.values()]
    # cost lines with uncertain = "from-data": triangular over their public range, the unit cost as the mode
    for i, p in enumerate(sc.programme):
        for j, c in enumerate(p.cost):
            if c.uncertain == "from-data" and c.price_range is not None:
                locs.append(("programme", i, "cost", j, "unit_cost"))
                marginals.append(Marginal("triangular", low=c.price_range[0], mode=c.unit_cost,
                                          high=c.price_range[1]))
    # pledges: whether it materialises (a uniform below the reliability), the share that disburses, the delay
    for k, src in enumerate(sc.source):
        if src.reliability is not None:
            locs.append(("source", k, PLEDGE_MATERIALISES))
            marginals.append(Marginal("uniform", low=0.0, high=1.0))
        if src.disbursement_share is not None:
            locs.append(("source", k, PLEDGE_SHARE))
            marginals.append(marginal(src.disbursement_share, ("source", k, "share_cap"), sc))
        if src.disbursement_lag is not None:
            lag = src.disbursement_lag
            locs.append(("source", k, PLEDGE_LAG))
            marginals.append(Marginal("discrete", values=tuple(map(float, lag.values)),
                                      weights=tuple(lag.weights or ())))
    # results-based financing: whether each DLI's result comes (a uniform below its probability), and its delay
    for k, src in enumerate(sc.source):
        for r, dli in enumerate(src.dli or []):
            if dli.probability is not None:
                locs.append(("source", k, "dli", r, DLI_ACHIEVED))
                marginals.append(Marginal("uniform", low=0.0, high=1.0))
            if dli.delay is not None:
                locs.append(("source", k, "dli", r, DLI_DELAY))
                marginals.append(Marginal("discrete", values=tuple(map(float, dli.delay.values)),
                                          weights=tuple(dli.delay.weights or ())))
    fixed: dict[int, Floats] = {}
    if common:
        shared = common_uniforms(common, draws, method, seed if common_seed is None else common_seed)
        for k, path in enumerate(common):
            loc = tuple(resolve(sc, path))
            if loc in locs:  # (an override set may have taken the row away: then it is not drawn at all)
                fixed[locs.index(loc)] = shared[:, k]
    values = sample(marginals, draws, method, seed, list(groups.values()), rhos, fixed)
    out = {loc: values[:, j] for j, loc in enumerate(locs)}
    for k, src in enumerate(sc.source):
        if src.reliability is not None:  # 1 where the pledge materialises, else 0
            out[("source", k, PLEDGE_MATERIALISES)] = (out[("source", k, PLEDGE_MATERIALISES)]
                                                       < src.reliability).astype(float)
        for r, dli in enumerate(src.dli or []):
            if dli.probability is not None:  # 1 where the result comes, else 0
                loc = ("source", k, "dli", r, DLI_ACHIEVED)
                out[loc] = (out[loc] < dli.probability).astype(float)
    return out
