"""The draws of a scenario's uncertain inputs: each ``[[uncertain]]`` row, each cost line priced ``from-data`` and each
uncertain pledge as a distribution (:class:`~dfl_finance.engine.sampling.Marginal`, bounded by the field's allowed
range: :func:`~dfl_finance.inputs.uncertain.allowed_range`), drawn together
(:func:`~dfl_finance.engine.sampling.sample`) into ``{location: (draws,)}``: the samples that
:func:`~dfl_finance.model.compile.build_model_inputs` turns into the engine's inputs. Every study that draws (risk,
the robust optimiser, the sweep) draws here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dfl_finance.engine import Floats
from dfl_finance.engine.sampling import Marginal, sample
from dfl_finance.inputs.paths import resolve
from dfl_finance.inputs.uncertain import PLEDGE_LAG, PLEDGE_MATERIALISES, PLEDGE_SHARE, allowed_range

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario, Share, Uncertain


def marginal(row: Uncertain | Share, loc: Sequence[str | int], scenario: Scenario) -> Marginal:
    """The distribution of a row, with the bounds of the values it may take (:func:`allowed_range`)."""
    lo, hi, _, _, _ = allowed_range(loc, scenario)
    return Marginal(row.distribution, low=row.low, high=row.high, mode=row.mode, mean=row.mean, sd=row.sd,
                    median=row.median, sd_log=row.sd_log, values=tuple(row.values or ()),
                    weights=tuple(row.weights or ()), lower_bound=lo, upper_bound=hi)


def draw_samples(sc: Scenario, draws: int, seed: int, method: str) -> dict[tuple[str | int, ...], Floats]:
    """The values of every uncertain input in each draw, by location: ``{location: (draws,)}``."""
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
    values = sample(marginals, draws, method, seed, list(groups.values()), rhos)
    out = {loc: values[:, j] for j, loc in enumerate(locs)}
    for k, src in enumerate(sc.source):
        if src.reliability is not None:  # 1 where the pledge materialises, else 0
            out[("source", k, PLEDGE_MATERIALISES)] = (out[("source", k, PLEDGE_MATERIALISES)]
                                                       < src.reliability).astype(float)
    return out
